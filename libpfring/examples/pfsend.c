/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfsend - send synthetic UDP packets, or the packets of a pcap file,
 * through a PF_RING device at a given rate, in the manner of PF_RING's
 * pfsend.
 */
#include <err.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfring.h"
#include "pfutils.h"

#define DEFAULT_SRC_IP 0x0a000001 /* 10.0.0.1 */
#define DEFAULT_DST_IP 0x0a000002 /* 10.0.0.2 */
#define DEFAULT_SPORT  1024
#define DEFAULT_DPORT  9	   /* discard */
#define REPORT_NS      PFU_NSEC	   /* periodic TX line */
#define CLOCK_EVERY    64	   /* packets between looks at the clock */
#define CATCHUP_NS     10000000ULL /* pacing debt forgotten beyond 10 ms */
#define MAX_RATE       1e10
#define TX_CAPLEN      128

static const u_int8_t default_smac[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x01};
static const u_int8_t default_dmac[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x02};

struct pfsend_opts {
	const char *device;
	const char *pcap_file;
	struct pfu_pktgen_config gen;
	int smac_set;
	double gbps;
	double pps;
	u_int64_t count;
	int count_set;
	u_int32_t burst;
	int verbose;
	int quiet;
};

struct txpkt {
	u_char *data;
	u_int32_t len;
};

/* What to send: the file's packets, or the generator's flows. */
struct txsource {
	struct txpkt *pkts;
	size_t n;
	size_t cap;
	struct pfu_pktgen gen;
	int synthetic;
};

struct pacer {
	int on;
	u_int64_t start_ns;
	double next;	   /* ns after start_ns */
	double ns_per_pkt; /* -p */
	double ns_per_bit; /* -r */
};

struct txstats {
	u_int64_t sent, bytes, errors, retries;
	u_int64_t start_ns, last_ns, last_sent, last_bytes;
	u_int64_t failing; /* consecutive failed packets */
};

struct pfsend {
	const struct pfsend_opts *o;
	pfring *ring;
	struct txsource src;
	struct pacer pacer;
	struct txstats st;
};

static void usage(void)
{
	printf("Usage: pfsend -i <device> [options]\n"
	       "Send synthetic UDP packets, or a pcap file, through a PF_RING "
	       "device.\n"
	       "\n"
	       "  -i <device>   device to send through (eth0, multi:a;b, ...)\n"
	       "  -f <file>     send the packets of this pcap file\n"
	       "  -l <len>      synthetic frame length without CRC, %d..MTU+14 "
	       "(default %d)\n"
	       "  -F <n>        number of synthetic flows (default 1)\n"
	       "  -S <ip>       source IPv4 address of flow 0 (default "
	       "10.0.0.1)\n"
	       "  -D <ip>       destination IPv4 address (default 10.0.0.2)\n"
	       "  -m <mac>      destination MAC (default 02:00:00:00:00:02)\n"
	       "  -M <mac>      source MAC (default: the device's)\n"
	       "  -r <gbps>     line rate in Gbit/s (0: as fast as possible)\n"
	       "  -p <pps>      rate in packets/s; wins over -r (0: as fast as "
	       "possible)\n"
	       "  -n <n>        packets to send, 0 for no end (default: 0, or "
	       "the file once)\n"
	       "  -b <n>        packets per burst (default 1)\n"
	       "  -v            print every packet sent\n"
	       "  -q            quiet: only the final statistics\n"
	       "  -V, --version print the version\n"
	       "  -h, --help    print this help\n",
	       PFU_MIN_FRAME, PFU_MIN_FRAME);
}

/* Options of the synthetic generator. 1: not one of them. */
static int set_gen_option(struct pfsend_opts *o, int c, const char *arg)
{
	struct pfu_pktgen_config *g = &o->gen;

	switch (c) {
	case 'l':
		return pfu_parse_u32(c, arg, PFU_MIN_FRAME, MAX_CAPLEN,
				     &g->frame_len);
	case 'F':
		return pfu_parse_u32(c, arg, 1, PFU_MAX_FLOWS, &g->flows);
	case 'S':
		return pfu_parse_ipv4(c, arg, &g->src_ip);
	case 'D':
		return pfu_parse_ipv4(c, arg, &g->dst_ip);
	case 'm':
		return pfu_parse_mac(c, arg, g->dmac);
	case 'M':
		o->smac_set = 1;
		return pfu_parse_mac(c, arg, g->smac);
	}
	return 1;
}

/* Options of the transmission. 1: not one of them. */
static int set_tx_option(struct pfsend_opts *o, int c, char *arg)
{
	switch (c) {
	case 'i':
		o->device = arg;
		return 0;
	case 'f':
		o->pcap_file = arg;
		return 0;
	case 'r':
		return pfu_parse_double(c, arg, 0, 1e4, &o->gbps);
	case 'p':
		return pfu_parse_double(c, arg, 0, MAX_RATE, &o->pps);
	case 'n':
		o->count_set = 1;
		return pfu_parse_u64(c, arg, 0, UINT64_MAX, &o->count);
	case 'b':
		return pfu_parse_u32(c, arg, 1, 1000000, &o->burst);
	case 'v':
		o->verbose = 1;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	}
	return 1;
}

static void default_opts(struct pfsend_opts *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->gen.smac, default_smac, ETH_ALEN);
	memcpy(o->gen.dmac, default_dmac, ETH_ALEN);
	o->gen.src_ip = DEFAULT_SRC_IP;
	o->gen.dst_ip = DEFAULT_DST_IP;
	o->gen.sport = DEFAULT_SPORT;
	o->gen.dport = DEFAULT_DPORT;
	o->gen.frame_len = PFU_MIN_FRAME;
	o->gen.flows = 1;
	o->burst = 1;
}

static int check_opts(const struct pfsend_opts *o, int argc, char **argv,
		      int synthetic_opt)
{
	if (optind < argc)
		return pfu_usage_error("unexpected argument '%s'",
				       argv[optind]);
	if (o->device == NULL)
		return pfu_usage_error("no device: use -i <device>");
	if (o->pcap_file && synthetic_opt)
		return pfu_usage_error("-l, -F, -S, -D, -m and -M shape "
				       "synthetic packets: not with -f");
	return -1;
}

/* -1 to run, otherwise the exit status. */
static int parse_args(int argc, char **argv, struct pfsend_opts *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c, rc, synthetic_opt = 0;

	default_opts(o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:f:l:F:S:D:m:M:r:p:n:b:vqVh",
				longopts, NULL)) != -1) {
		if (c == 'h' || c == 'V') {
			if (c == 'h')
				usage();
			else
				pfu_print_version();
			return PFU_EXIT_OK;
		}
		if (c == '?' || c == ':')
			return pfu_option_error(c, argv);
		rc = set_gen_option(o, c, optarg);
		synthetic_opt |= rc <= 0;
		if (rc > 0)
			rc = set_tx_option(o, c, optarg);
		if (rc != 0)
			return pfu_usage_hint();
	}
	return check_opts(o, argc, argv, synthetic_opt);
}

/* ------------------------------------------------------------------------
 * Packet sources
 */

static int add_packet(struct txsource *src, const u_char *data, u_int32_t len)
{
	struct txpkt *grown;

	if (src->n == src->cap) {
		src->cap = src->cap ? 2 * src->cap : 1024;
		grown = realloc(src->pkts, src->cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		src->pkts = grown;
	}
	src->pkts[src->n].data = malloc(len);
	if (src->pkts[src->n].data == NULL)
		return -1;
	memcpy(src->pkts[src->n].data, data, len);
	src->pkts[src->n++].len = len;
	return 0;
}

static int read_packets(pcap_t *p, const char *file, struct txsource *src)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc, truncated = 0;

	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		if (h->caplen == 0)
			continue;
		truncated |= h->caplen < h->len;
		if (add_packet(src, data, h->caplen) < 0) {
			warnx("%s: out of memory", file);
			return -1;
		}
	}
	if (rc == PCAP_ERROR) {
		warnx("%s: %s", file, pcap_geterr(p));
		return -1;
	}
	if (truncated)
		warnx("%s: some packets were cut short by the capture; "
		      "they are sent as captured",
		      file);
	return 0;
}

static int load_pcap(const char *file, struct txsource *src)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(file, errbuf);
	int rc;

	if (p == NULL) {
		if (strstr(errbuf, file) != NULL)
			warnx("%s", errbuf);
		else
			warnx("%s: %s", file, errbuf);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		warnx("%s: link type %s, not Ethernet", file,
		      pcap_datalink_val_to_name(pcap_datalink(p)));
		pcap_close(p);
		return -1;
	}
	rc = read_packets(p, file, src);
	pcap_close(p);
	if (rc == 0 && src->n == 0) {
		warnx("%s: no packets", file);
		rc = -1;
	}
	return rc;
}

static void free_source(struct txsource *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		free(src->pkts[i].data);
	free(src->pkts);
	if (src->synthetic)
		pfu_pktgen_free(&src->gen);
}

/* Frame @i of the sequence the source sends; its length in @len. */
static u_char *packet_at(struct txsource *src, u_int64_t i, u_int32_t *len)
{
	struct txpkt *p;

	if (src->synthetic) {
		*len = src->gen.cfg.frame_len;
		return pfu_pktgen_flow(&src->gen,
				       (u_int32_t)(i % src->gen.cfg.flows));
	}
	p = &src->pkts[i % src->n];
	*len = p->len;
	return p->data;
}

/* ------------------------------------------------------------------------
 * Ring and generator set-up
 */

static pfring *open_tx_ring(const char *device)
{
	/* Nothing is received: a short capture length keeps small whatever
	 * the library sets up for receiving before send_only_mode. */
	pfring *ring = pfring_open(device, TX_CAPLEN, 0);

	if (ring == NULL) {
		warnx("cannot open '%s': %s", device, pfring_strerror(NULL));
		return NULL;
	}
	if (pfring_set_socket_mode(ring, send_only_mode) < 0)
		warnx("pfring_set_socket_mode: %s", pfring_strerror(ring));
	else if (pfring_set_application_name(ring, "pfsend") < 0)
		warnx("pfring_set_application_name: %s", pfring_strerror(ring));
	else if (pfring_enable_ring(ring) < 0)
		warnx("pfring_enable_ring: %s", pfring_strerror(ring));
	else
		return ring;
	pfring_close(ring);
	return NULL;
}

/* 0, or PFU_EXIT_USAGE after a message. */
static int check_frame_len(pfring *ring, const struct pfsend_opts *o)
{
	int mtu = pfring_get_mtu_size(ring);

	if (mtu <= 0 || o->gen.frame_len <= (u_int32_t)mtu + ETH_HLEN)
		return 0;
	warnx("-l: %u bytes is longer than the MTU of %s allows (%d + %d)",
	      o->gen.frame_len, o->device, mtu, ETH_HLEN);
	return pfu_usage_hint();
}

static int init_generator(struct pfsend *ps)
{
	struct pfu_pktgen_config cfg = ps->o->gen;
	u_char mac[ETH_ALEN];
	static const u_char zero[ETH_ALEN];

	if (!ps->o->smac_set &&
	    pfring_get_bound_device_address(ps->ring, mac) == 0 &&
	    memcmp(mac, zero, ETH_ALEN) != 0)
		memcpy(cfg.smac, mac, ETH_ALEN);
	if (pfu_pktgen_init(&ps->src.gen, &cfg) < 0) {
		warnx("cannot build %u-byte frames", cfg.frame_len);
		return -1;
	}
	ps->src.synthetic = 1;
	return 0;
}

/* ------------------------------------------------------------------------
 * Pacing
 */

static void pacer_init(struct pacer *p, const struct pfsend_opts *o)
{
	memset(p, 0, sizeof(*p));
	if (o->pps > 0)
		p->ns_per_pkt = 1e9 / o->pps;
	else if (o->gbps > 0)
		p->ns_per_bit = 1.0 / o->gbps;
	p->on = p->ns_per_pkt > 0 || p->ns_per_bit > 0;
	p->start_ns = pfu_now_ns();
}

/* Wait for the next packet's turn. A sender more than CATCHUP_NS late
 * forgets the debt rather than bursting to make it up. */
static void pacer_wait(struct pacer *p)
{
	u_int64_t due = p->start_ns + (u_int64_t)p->next;
	u_int64_t now = pfu_now_ns();

	if (now > due + CATCHUP_NS)
		p->next = (double)(now - p->start_ns);
	else if (now < due)
		pfu_wait_until_ns(due);
}

static void pacer_account(struct pacer *p, u_int32_t len)
{
	if (p->ns_per_pkt > 0)
		p->next += p->ns_per_pkt;
	else
		p->next += 8.0 * (len + PFU_WIRE_OVERHEAD) * p->ns_per_bit;
}

/* ------------------------------------------------------------------------
 * Reports
 */

static void print_rate(const char *what, u_int64_t pkts, u_int64_t bytes,
		       u_int64_t ns)
{
	double sec = (double)ns / PFU_NSEC;
	double pps = sec > 0 ? (double)pkts / sec : 0;
	double gbps = sec > 0 ? pfu_line_bits(pkts, bytes) / sec / 1e9 : 0;
	char n1[PFU_NUM_LEN];

	printf("[%s %s pps/%.2f Gbps]", what,
	       pfu_fmt_num(pps, 2, n1, sizeof(n1)), gbps);
}

static void print_tx_line(struct txstats *st, u_int64_t now)
{
	char n1[PFU_NUM_LEN];

	printf("TX rate: ");
	print_rate("current", st->sent - st->last_sent,
		   st->bytes - st->last_bytes, now - st->last_ns);
	print_rate("average", st->sent, st->bytes, now - st->start_ns);
	printf("[total %s pkts]\n",
	       pfu_fmt_num((double)st->sent, 0, n1, sizeof(n1)));
	st->last_ns = now;
	st->last_sent = st->sent;
	st->last_bytes = st->bytes;
}

static void maybe_report(struct pfsend *ps, u_int64_t i)
{
	u_int64_t now;

	if (ps->o->quiet || (!ps->pacer.on && i % CLOCK_EVERY != 0))
		return;
	now = pfu_now_ns();
	if (now - ps->st.last_ns >= REPORT_NS)
		print_tx_line(&ps->st, now);
}

static void print_banner(const struct pfsend *ps)
{
	const struct pfsend_opts *o = ps->o;
	const struct pfu_pktgen_config *g = &ps->src.gen.cfg;
	char a[PFU_MAC_LEN], b[PFU_MAC_LEN], r[PFU_NUM_LEN];

	if (ps->src.synthetic)
		printf("Sending %u-byte frames of %u flow(s) %s -> %s to %s",
		       g->frame_len, g->flows, pfu_mac_str(g->smac, a),
		       pfu_mac_str(g->dmac, b), o->device);
	else
		printf("Sending the %zu packets of %s to %s", ps->src.n,
		       o->pcap_file, o->device);
	if (o->pps > 0)
		printf(" at %s pps\n", pfu_fmt_num(o->pps, 2, r, sizeof(r)));
	else if (o->gbps > 0)
		printf(" at %s (line rate)\n",
		       pfu_fmt_bitrate(o->gbps * 1e9, r, sizeof(r)));
	else
		printf(" as fast as possible\n");
}

/* ------------------------------------------------------------------------
 * Sending
 */

/* Send one frame, waiting for a free slot as long as it takes. */
static int send_one(struct pfsend *ps, u_char *pkt, u_int32_t len, int flush)
{
	unsigned int busy = 0;
	int rc;

	for (;;) {
		rc = pfring_send(ps->ring, pkt, len, (u_int8_t)flush);
		if (rc != PF_RING_ERROR_NO_TX_SLOT_AVAILABLE ||
		    pfu_stop_requested())
			return rc;
		ps->st.retries++;
		pfring_flush_tx_packets(ps->ring);
		if (++busy % 16 == 0)
			sched_yield();
	}
}

/* Account a failed frame; -1 once every distinct frame keeps failing. */
static int send_failed(struct pfsend *ps, int rc, u_int32_t len)
{
	size_t distinct = ps->src.synthetic ? ps->src.gen.cfg.flows : ps->src.n;

	ps->st.errors++;
	if (ps->st.errors == 1)
		warnx("pfring_send(%u bytes): %s", len,
		      pfring_strerror(ps->ring));
	if (++ps->st.failing < distinct)
		return 0;
	warnx("giving up: every packet fails (last error %d)", rc);
	return -1;
}

static void print_sent(u_int64_t n, const u_char *pkt, u_int32_t len)
{
	char a[PFU_MAC_LEN], b[PFU_MAC_LEN];

	printf("#%llu %s -> %s len %u\n", (unsigned long long)n,
	       pfu_mac_str(pkt + ETH_ALEN, a), pfu_mac_str(pkt, b), len);
}

static int done(const struct pfsend *ps)
{
	return (ps->o->count && ps->st.sent >= ps->o->count) ||
	       pfu_stop_requested();
}

static int send_all(struct pfsend *ps)
{
	u_int64_t i;
	u_int32_t len, burst = ps->o->burst;
	u_char *pkt;
	int rc;

	for (i = 0; !done(ps); i++) {
		pkt = packet_at(&ps->src, i, &len);
		if (ps->pacer.on && i % burst == 0)
			pacer_wait(&ps->pacer);
		if (pfu_stop_requested())
			break;
		rc = send_one(ps, pkt, len, (i + 1) % burst == 0);
		if (ps->pacer.on)
			pacer_account(&ps->pacer, len);
		if (rc >= 0) {
			ps->st.sent++;
			ps->st.bytes += len;
			ps->st.failing = 0;
			if (ps->o->verbose)
				print_sent(ps->st.sent, pkt, len);
		} else if (rc != PF_RING_ERROR_NO_TX_SLOT_AVAILABLE &&
			   send_failed(ps, rc, len) < 0) {
			return -1;
		}
		maybe_report(ps, i + 1);
	}
	return 0;
}

static int flush_tx(struct pfsend *ps)
{
	if (pfring_flush_tx_packets(ps->ring) >= 0)
		return 0;
	warnx("pfring_flush_tx_packets: %s", pfring_strerror(ps->ring));
	return -1;
}

static int transmit(struct pfsend *ps)
{
	int rc;

	if (!ps->o->quiet)
		print_banner(ps);
	pacer_init(&ps->pacer, ps->o);
	ps->st.start_ns = ps->st.last_ns = ps->pacer.start_ns;
	rc = send_all(ps);
	if (flush_tx(ps) < 0)
		rc = -1;
	print_tx_line(&ps->st, pfu_now_ns());
	printf("pfsend: sent=%llu bytes=%llu errors=%llu\n",
	       (unsigned long long)ps->st.sent,
	       (unsigned long long)ps->st.bytes,
	       (unsigned long long)ps->st.errors);
	return rc;
}

/* ------------------------------------------------------------------------
 * Main
 */

static int prepare(struct pfsend *ps, struct pfsend_opts *o)
{
	int rc;

	if (o->pcap_file) {
		if (load_pcap(o->pcap_file, &ps->src) < 0)
			return PFU_EXIT_FAILURE;
		if (!o->count_set)
			o->count = ps->src.n;
	}
	ps->ring = open_tx_ring(o->device);
	if (ps->ring == NULL)
		return PFU_EXIT_FAILURE;
	if (!o->pcap_file) {
		rc = check_frame_len(ps->ring, o);
		if (rc != 0)
			return rc;
		if (init_generator(ps) < 0)
			return PFU_EXIT_FAILURE;
	}
	if (pfu_signals_install(ps->ring) < 0) {
		warn("sigaction");
		return PFU_EXIT_FAILURE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct pfsend_opts o;
	struct pfsend ps;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&ps, 0, sizeof(ps));
	ps.o = &o;
	rc = prepare(&ps, &o);
	if (rc < 0)
		rc = transmit(&ps) < 0 ? PFU_EXIT_FAILURE : PFU_EXIT_OK;
	if (ps.ring)
		pfring_close(ps.ring);
	free_source(&ps.src);
	return rc;
}
