/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cap_pfring - capture benchmark, libpfring path: pfring_open() on a
 * kernel device (the AF_PACKET TPACKET_V3 back-end on a stock kernel) and
 * a blocking, zero-copy pfring_recv() loop. With -R it also loads hash
 * rules (tests/bench/ebpf_rules.sh), which the back-end evaluates in its
 * eBPF socket filter.
 */
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

struct pfr_opts {
	struct cap_opts cap;
	uint32_t rules;	 /* hash rules to load, one per pfsend flow */
	int policy_drop; /* default policy: drop what no rule forwards */
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
	while ((c = getopt_long(argc, argv, CAP_COMMON_OPTS "R:D", longopts,
				NULL)) != -1) {
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

static int recv_loop(pfring *ring, struct cap_run *r)
{
	struct pfring_pkthdr hdr;
	u_char *pkt;
	int rc;

	while (!cap_done(r)) {
		rc = pfring_recv(ring, &pkt, 0, &hdr, 1);
		if (rc > 0) {
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
	struct cap_run r;
	pfring_stat st = {0, 0};
	pfring *ring;
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	ring = open_ring(&o);
	if (ring == NULL)
		return 1;
	cap_init(&r, &o.cap, wake, ring);
	snprintf(r.ring_desc, sizeof(r.ring_desc),
		 "libpfring-default;rules=%u;policy=%s", o.rules,
		 o.policy_drop ? "drop" : "accept");
	if (cap_start(&r) < 0)
		return 1;
	rc = recv_loop(ring, &r);
	cap_finish(&r);
	if (pfring_stats(ring, &st) < 0)
		fprintf(stderr, "pfring_stats: %s\n", pfring_strerror(ring));
	cap_report(&r, "libpfring", st.drop);
	pfring_close(ring);
	return rc < 0 ? 1 : 0;
}
