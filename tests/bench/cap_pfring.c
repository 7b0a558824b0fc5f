/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cap_pfring - capture benchmark, libpfring path: pfring_open() on a
 * kernel device (the AF_PACKET TPACKET_V3 back-end on a stock kernel) and
 * a blocking, zero-copy pfring_recv() loop. With -R it also loads hash
 * rules (tests/bench/ebpf_rules.sh), which the back-end evaluates in its
 * eBPF socket filter.
 *
 * With -m/-d it sets the poll watermark and duration, and with -L it
 * measures each packet's latency (CLOCK_REALTIME when pfring_recv()
 * returns it minus the kernel's timestamp of its capture); used by
 * tests/bench/vm_capture.sh. After the usual fields, its result line has
 *   wakeups=N kinsert=I klost=L nvcsw=V nivcsw=U lat_n=K lat_mean_us=M
 *   lat_p99_us=P lat_max_us=X lat_neg=G
 * wakeups, kinsert and klost are the ring's "Reader Wake-ups", "Tot Insert"
 * and "Tot Pkt Lost" in /proc/net/pf_ring/PID-DEV.RINGID (pf_ring.ko), read
 * before the ring is closed; "n/a" where there is no such file (the
 * AF_PACKET back-end). nvcsw and nivcsw are the receiving thread's
 * voluntary and involuntary context switches during the run
 * (getrusage(RUSAGE_THREAD)): nvcsw counts the times it went to sleep in
 * pfring_recv(), so how often it was really woken, whatever the kernel
 * counted. The lat_ fields are "n/a" without -L (lat_n: the packets
 * measured, see -L in the help); lat_neg counts packets
 * stamped later than they were received (clock skew between CPUs), taken
 * as 0.
 */
#include <dirent.h>
#include <getopt.h>

#include "cap_common.h"
#include "pfring.h"

/* The flows pfsend generates (libpfring/examples/pfutils.h): flow f is
 * 10.0.0.1 + f, port 1024 + f % 4096 -> 10.0.0.2 port 9, UDP. */
#define FLOW_SRC_IP	 0x0a000001
#define FLOW_DST_IP	 0x0a000002
#define FLOW_SPORT	 1024
#define FLOW_DPORT	 9
#define FLOW_PORT_SPREAD 4096
#define MAX_RULES	 10000000
#define LAT_BINS	 (1u << 20) /* 1 us each: up to ~1.05 s, then one bin */

struct pfr_opts {
	struct cap_opts cap;
	uint32_t rules;	    /* hash rules to load, one per pfsend flow */
	int policy_drop;    /* default policy: drop what no rule forwards */
	uint32_t watermark; /* -m: poll watermark; 0: the library's */
	uint32_t poll_ms;   /* -d: poll duration */
	int poll_ms_set;
	int latency; /* -L: measure per-packet latency */
};

/* Per-packet latency: a histogram in 1 us bins (the p99) and the exact
 * sum (the mean). */
struct lat_acc {
	uint32_t *bins; /* LAT_BINS; the last one takes everything longer */
	uint64_t upto;	/* measure packets 1..upto; 0: all */
	uint64_t n, sum_ns, max_ns, negative;
};

static void usage(void)
{
	cap_usage_common("cap_pfring",
			 "Capture with libpfring (pfring_open + blocking "
			 "zero-copy pfring_recv).");
	printf("  -R <n>       load n hash rules (forward), one per pfsend "
	       "flow 0..n-1\n"
	       "               (10.0.0.1+f:1024+f%%4096 <-> 10.0.0.2:9 UDP)\n"
	       "  -D           default policy drop (pfring_toggle_filtering_"
	       "policy 0)\n");
	printf("  -m <n>       poll watermark: packets queued before the "
	       "reader is woken\n"
	       "               (pfring_set_poll_watermark; default: the "
	       "library's)\n"
	       "  -d <ms>      poll duration (pfring_set_poll_duration; "
	       "default: the library's)\n"
	       "  -L           measure each packet's latency: CLOCK_REALTIME "
	       "at receipt minus\n"
	       "               its kernel timestamp (lat_mean_us, lat_p99_us "
	       "in the result);\n"
	       "               with -c n, packets 1..n-(watermark-1) only: "
	       "the last ones of a\n"
	       "               burst wait for the poll duration, which steady "
	       "traffic never does\n"
	       "The result line also has wakeups=, kinsert=, klost= from the "
	       "ring's\n"
	       "/proc/net/pf_ring file (pf_ring.ko; n/a on AF_PACKET), and "
	       "nvcsw=, nivcsw=:\n"
	       "the receiving thread's voluntary (sleeps) and involuntary "
	       "context switches.\n");
}

/* An option of this program: 0, or -1 (bad value, unknown option). */
static int own_opt(struct pfr_opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'R':
		if (cap_parse_num(c, arg, MAX_RULES, &v) < 0)
			return -1;
		o->rules = (uint32_t)v;
		return 0;
	case 'D':
		o->policy_drop = 1;
		return 0;
	case 'm':
		if (cap_parse_num(c, arg, UINT16_MAX, &v) < 0 || v == 0) {
			fprintf(stderr, "-m: 1 to %u\n", UINT16_MAX);
			return -1;
		}
		o->watermark = (uint32_t)v;
		return 0;
	case 'd':
		o->poll_ms_set = 1;
		return cap_parse_u32(c, arg, &o->poll_ms);
	case 'L':
		o->latency = 1;
		return 0;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct pfr_opts *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c, rc;

	memset(o, 0, sizeof(*o));
	cap_opts_default(&o->cap);
	while ((c = getopt_long(argc, argv, CAP_COMMON_OPTS "R:Dm:d:L",
				longopts, NULL)) != -1) {
		if (c == 'h') {
			usage();
			exit(0);
		}
		rc = cap_common_opt(&o->cap, c, optarg);
		if (rc == 1)
			rc = own_opt(o, c, optarg);
		if (rc != 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return cap_check_opts(&o->cap);
}

static void flow_rule(hash_filtering_rule *h, uint32_t f)
{
	memset(h, 0, sizeof(*h));
	h->rule_id = (u_int16_t)f;
	h->proto = 17;
	h->host_peer_a.v4 = FLOW_SRC_IP + f;
	h->port_peer_a = (u_int16_t)(FLOW_SPORT + f % FLOW_PORT_SPREAD);
	h->host_peer_b.v4 = FLOW_DST_IP;
	h->port_peer_b = FLOW_DPORT;
	h->rule_action = forward_packet_and_stop_rule_evaluation;
}

/* Load the rules; prints "loaded rules=N s=T" (the time it took). */
static int load_rules(pfring *ring, const struct pfr_opts *o)
{
	uint64_t t0 = cap_now_ns();
	hash_filtering_rule h;
	uint32_t f;
	int rc;

	for (f = 0; f < o->rules; f++) {
		flow_rule(&h, f);
		rc = pfring_handle_hash_filtering_rule(ring, &h, 1);
		if (rc < 0) {
			/* For the script: how far loading got. */
			printf("loadfail loaded=%u\n", f);
			fprintf(stderr, "hash rule %u: %s\n", f,
				pfring_strerror(ring));
			return -1;
		}
	}
	if (o->policy_drop && pfring_toggle_filtering_policy(ring, 0) < 0) {
		fprintf(stderr, "policy: %s\n", pfring_strerror(ring));
		return -1;
	}
	printf("loaded rules=%u s=%.3f\n", o->rules,
	       (double)(cap_now_ns() - t0) / 1e9);
	return 0;
}

static pfring *open_ring(const struct pfr_opts *o)
{
	pfring *ring = pfring_open(o->cap.dev, o->cap.snaplen, PF_RING_PROMISC);

	if (ring == NULL) {
		fprintf(stderr, "pfring_open(%s): %s\n", o->cap.dev,
			pfring_strerror(NULL));
		return NULL;
	}
	if (pfring_set_socket_mode(ring, recv_only_mode) < 0 ||
	    pfring_set_application_name(ring, "cap_pfring") < 0 ||
	    (o->watermark &&
	     pfring_set_poll_watermark(ring, (u_int16_t)o->watermark) < 0) ||
	    (o->poll_ms_set &&
	     pfring_set_poll_duration(ring, o->poll_ms) < 0) ||
	    load_rules(ring, o) < 0 || pfring_enable_ring(ring) < 0) {
		fprintf(stderr, "%s: set-up failed: %s\n", o->cap.dev,
			pfring_strerror(ring));
		pfring_close(ring);
		return NULL;
	}
	return ring;
}

static void wake(void *arg)
{
	pfring_breakloop(arg);
}

static uint64_t pkt_ts(const struct pfring_pkthdr *h)
{
	if (h->extended_hdr.timestamp_ns)
		return h->extended_hdr.timestamp_ns;
	return (uint64_t)h->ts.tv_sec * 1000000000ULL +
	       (uint64_t)h->ts.tv_usec * 1000;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void lat_add(struct lat_acc *l, uint64_t ts_ns)
{
	uint64_t now = realtime_ns(), d, bin;

	if (now < ts_ns) { /* a stamp from the future: count it as 0 */
		l->negative++;
		d = 0;
	} else {
		d = now - ts_ns;
	}
	bin = d / 1000;
	l->bins[bin < LAT_BINS ? bin : LAT_BINS - 1]++;
	l->n++;
	l->sum_ns += d;
	if (d > l->max_ns)
		l->max_ns = d;
}

/* The latency fields of the result line, appended to @out. */
static void lat_report(const struct lat_acc *l, char *out, size_t len)
{
	size_t used = strlen(out);
	uint64_t want, cum = 0;
	uint32_t i;

	if (l->bins == NULL || l->n == 0) {
		snprintf(
		    out + used, len - used,
		    " lat_n=0 lat_mean_us=n/a lat_p99_us=n/a lat_max_us=n/a");
		return;
	}
	want = (l->n * 99 + 99) / 100; /* the ceil(0.99 n)-th packet */
	for (i = 0; i < LAT_BINS - 1; i++) {
		cum += l->bins[i];
		if (cum >= want)
			break;
	}
	snprintf(out + used, len - used,
		 " lat_n=%" PRIu64 " lat_mean_us=%.1f lat_p99_us=%u"
		 " lat_max_us=%.1f lat_neg=%" PRIu64,
		 l->n, (double)l->sum_ns / (double)l->n / 1e3, i + 1,
		 (double)l->max_ns / 1e3, l->negative);
}

/* The value of the line "KEY  : N" of a /proc file, or -1. */
static long long proc_field(FILE *f, const char *key)
{
	char line[256];
	size_t n = strlen(key);
	const char *colon;

	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, n) != 0 ||
		    (line[n] != ' ' && line[n] != ':'))
			continue;
		colon = strchr(line, ':');
		return colon ? strtoll(colon + 1, NULL, 10) : -1;
	}
	return -1;
}

/* wakeups=, kinsert=, klost= from /proc/net/pf_ring/PID-DEV.RINGID: the
 * file of this process whose name ends in the ring's id. */
static void kernel_counters(pfring *ring, char *out, size_t len)
{
	char name[64], path[320], prefix[32], suffix[32];
	long long wk = -1, ins = -1, lost = -1;
	size_t used = strlen(out), nl, pl, sl;
	int id = pfring_get_ring_id(ring);
	struct dirent *e;
	DIR *d;
	FILE *f;

	name[0] = 0;
	snprintf(prefix, sizeof(prefix), "%d-", (int)getpid());
	snprintf(suffix, sizeof(suffix), ".%d", id);
	pl = strlen(prefix);
	sl = strlen(suffix);
	d = id >= 0 ? opendir("/proc/net/pf_ring") : NULL;
	while (d != NULL && (e = readdir(d)) != NULL) {
		nl = strlen(e->d_name);
		if (nl > pl + sl && nl < sizeof(name) &&
		    strncmp(e->d_name, prefix, pl) == 0 &&
		    strcmp(e->d_name + nl - sl, suffix) == 0) {
			memcpy(name, e->d_name, nl + 1);
			break;
		}
	}
	if (d != NULL)
		closedir(d);
	if (name[0]) {
		snprintf(path, sizeof(path), "/proc/net/pf_ring/%s", name);
		f = fopen(path, "r");
		if (f != NULL) {
			wk = proc_field(f, "Reader Wake-ups");
			ins = proc_field(f, "Tot Insert");
			lost = proc_field(f, "Tot Pkt Lost");
			fclose(f);
		}
	}
	if (wk < 0) {
		snprintf(out + used, len - used,
			 " wakeups=n/a kinsert=n/a klost=n/a");
		return;
	}
	snprintf(out + used, len - used,
		 " wakeups=%lld kinsert=%lld klost=%lld", wk, ins, lost);
}

static int recv_loop(pfring *ring, struct cap_run *r, struct lat_acc *lat)
{
	struct pfring_pkthdr hdr;
	u_char *pkt;
	int rc;

	while (!cap_done(r)) {
		rc = pfring_recv(ring, &pkt, 0, &hdr, 1);
		if (rc > 0) {
			if (lat->bins &&
			    (!lat->upto || r->acc.pkts < lat->upto))
				lat_add(lat, pkt_ts(&hdr));
			cap_packet(r, pkt, hdr.caplen, hdr.len, pkt_ts(&hdr));
		} else if (rc < 0 && !atomic_load(&r->end)) {
			fprintf(stderr, "pfring_recv: %s\n",
				pfring_strerror(ring));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pfr_opts o;
	struct lat_acc lat = {0};
	struct rusage ru0, ru1;
	struct cap_run r;
	size_t n;
	pfring_stat st = {0, 0};
	pfring *ring;
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (o.latency) {
		uint64_t tail =
		    (o.watermark ? o.watermark : DEFAULT_POLL_WATERMARK) - 1;

		lat.bins = calloc(LAT_BINS, sizeof(*lat.bins));
		if (lat.bins == NULL) {
			perror("calloc");
			return 1;
		}
		if (o.cap.count > tail)
			lat.upto = o.cap.count - tail;
	}
	ring = open_ring(&o);
	if (ring == NULL)
		return 1;
	cap_init(&r, &o.cap, wake, ring);
	snprintf(r.ring_desc, sizeof(r.ring_desc),
		 "libpfring-default;rules=%u;policy=%s", o.rules,
		 o.policy_drop ? "drop" : "accept");
	if (o.watermark || o.poll_ms_set) {
		n = strlen(r.ring_desc);
		snprintf(r.ring_desc + n, sizeof(r.ring_desc) - n,
			 ";watermark=%u;poll_ms=%u",
			 o.watermark ? o.watermark : DEFAULT_POLL_WATERMARK,
			 o.poll_ms_set ? o.poll_ms : DEFAULT_POLL_DURATION);
	}
	if (cap_start(&r) < 0)
		return 1;
	getrusage(RUSAGE_THREAD, &ru0);
	rc = recv_loop(ring, &r, &lat);
	getrusage(RUSAGE_THREAD, &ru1);
	cap_finish(&r);
	if (pfring_stats(ring, &st) < 0)
		fprintf(stderr, "pfring_stats: %s\n", pfring_strerror(ring));
	kernel_counters(ring, r.extra, sizeof(r.extra));
	n = strlen(r.extra);
	snprintf(r.extra + n, sizeof(r.extra) - n, " nvcsw=%ld nivcsw=%ld",
		 ru1.ru_nvcsw - ru0.ru_nvcsw, ru1.ru_nivcsw - ru0.ru_nivcsw);
	lat_report(&lat, r.extra, sizeof(r.extra));
	cap_report(&r, "libpfring", st.drop);
	pfring_close(ring);
	free(lat.bins);
	return rc < 0 ? 1 : 0;
}
