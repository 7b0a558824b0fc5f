/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfcount - count the packets of a PF_RING device and print statistics,
 * in the manner of PF_RING's pfcount.
 */
#include <err.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pfring.h"
#include "pfutils.h"

#define DEFAULT_SNAPLEN 128
#define RULE		"========================="

struct pfcount_opts {
	const char *device;
	struct pfu_rx_config rx;
	int active_wait;
	int use_loop;
	int verbose;
	int quiet;
	u_int64_t max_pkts;
	double duration;
	double interval;
};

struct pfcount {
	pfring *ring;
	int verbose;
	int stats_warned;
	u_int64_t last_ns;
	u_int64_t last_pkts;
	u_int64_t last_bytes;
};

static void usage(void)
{
	printf("Usage: pfcount -i <device> [options]\n"
	       "Count the packets of a PF_RING device and print statistics.\n"
	       "\n"
	       "  -i <device>   eth0, eth0@2, any, pcap:FILE, multi:a;b,\n"
	       "                pfring:eth0 (pf_ring.ko), packet:eth0 (AF_PACKET)\n"
	       "  -l <len>      capture length (default %d)\n"
	       "  -f <filter>   BPF filter expression\n"
	       "  -e <dir>      0 rx+tx (default), 1 rx only, 2 tx only\n"
	       "  -c <id>       join cluster <id>\n"
	       "  -C <type>     cluster type: flow|6, rr, 2, 4, 5, tcp5 "
	       "(default flow)\n"
	       "  -w <n>        poll watermark (packets)\n"
	       "  -p <ms>       poll duration (default %d)\n"
	       "  -a            active wait: spin instead of polling\n"
	       "  -s <n>        sampling rate: 1 packet in <n>\n"
	       "  -n <n>        stop after <n> packets (0: no limit)\n"
	       "  -d <sec>      stop after <sec> seconds\n"
	       "  -t <sec>      statistics interval (default 1)\n"
	       "  -P            promiscuous mode (the default)\n"
	       "  -N            no promiscuous mode\n"
	       "  -v            print every packet\n"
	       "  -q            quiet: only the final statistics\n"
	       "  -z            use pfring_loop() instead of pfring_recv()\n"
	       "  -V, --version print the version\n"
	       "  -h, --help    print this help\n",
	       DEFAULT_SNAPLEN, DEFAULT_POLL_DURATION);
}

static int parse_cluster_type(const char *s, cluster_type *out)
{
	static const struct {
		const char *name;
		cluster_type type;
	} names[] = {
	    {"flow", cluster_per_flow},
	    {"6", cluster_per_flow},
	    {"rr", cluster_round_robin},
	    {"2", cluster_per_flow_2_tuple},
	    {"4", cluster_per_flow_4_tuple},
	    {"5", cluster_per_flow_5_tuple},
	    {"tcp5", cluster_per_flow_tcp_5_tuple},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].type;
			return 0;
		}
	}
	warnx("-C: unknown cluster type '%s' (flow, 6, rr, 2, 4, 5, tcp5)", s);
	return -1;
}

/* Options that configure the ring. 1: not one of them. */
static int set_ring_option(struct pfu_rx_config *rx, int c, char *arg)
{
	u_int32_t v;

	switch (c) {
	case 'l':
		return pfu_parse_u32(c, arg, 1, MAX_CAPLEN, &rx->snaplen);
	case 'f':
		rx->bpf = arg;
		return 0;
	case 'e':
		if (pfu_parse_u32(c, arg, 0, 2, &v) < 0)
			return -1;
		rx->direction = (int)v;
		return 0;
	case 'c':
		rx->cluster_set = 1;
		return pfu_parse_u32(c, arg, 0, UINT32_MAX, &rx->cluster_id);
	case 'C':
		return parse_cluster_type(arg, &rx->cluster);
	case 'w':
		if (pfu_parse_u32(c, arg, 1, UINT16_MAX, &v) < 0)
			return -1;
		rx->watermark = (u_int16_t)v;
		return 0;
	case 'p':
		return pfu_parse_u32(c, arg, 1, 3600000, &rx->poll_ms);
	case 's':
		return pfu_parse_u32(c, arg, 1, UINT32_MAX, &rx->sampling);
	case 'P':
		rx->flags |= PF_RING_PROMISC;
		return 0;
	case 'N':
		rx->flags &= ~(u_int32_t)PF_RING_PROMISC;
		return 0;
	}
	return 1;
}

/* Options that drive the capture. 1: not one of them. */
static int set_run_option(struct pfcount_opts *o, int c, char *arg)
{
	switch (c) {
	case 'i':
		o->device = arg;
		return 0;
	case 'a':
		o->active_wait = 1;
		return 0;
	case 'z':
		o->use_loop = 1;
		return 0;
	case 'v':
		o->verbose = 1;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	case 'n':
		return pfu_parse_u64(c, arg, 0, UINT64_MAX, &o->max_pkts);
	case 'd':
		return pfu_parse_double(c, arg, 0.001, 1e9, &o->duration);
	case 't':
		return pfu_parse_double(c, arg, 0.01, 1e6, &o->interval);
	}
	return 1;
}

static void default_opts(struct pfcount_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rx.appname = "pfcount";
	o->rx.snaplen = DEFAULT_SNAPLEN;
	o->rx.flags = PF_RING_PROMISC;
	o->rx.direction = -1;
	o->rx.cluster = cluster_per_flow;
	o->interval = 1.0;
}

/* Checks across options, once all are known. */
static int check_opts(const struct pfcount_opts *o, int argc, char **argv,
		      int cluster_type_set)
{
	if (optind < argc)
		return pfu_usage_error("unexpected argument '%s'",
				       argv[optind]);
	if (o->device == NULL)
		return pfu_usage_error("no device: use -i <device>");
	if (cluster_type_set && !o->rx.cluster_set)
		return pfu_usage_error("-C needs a cluster id (-c <id>)");
	return -1;
}

/* -1 to run, otherwise the exit status. */
static int parse_args(int argc, char **argv, struct pfcount_opts *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c, rc, ctype_set = 0;

	default_opts(o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:l:f:e:c:C:w:p:as:n:d:t:PNvqzVh",
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
		ctype_set |= c == 'C';
		rc = set_ring_option(&o->rx, c, optarg);
		if (rc > 0)
			rc = set_run_option(o, c, optarg);
		if (rc != 0)
			return pfu_usage_hint();
	}
	return check_opts(o, argc, argv, ctype_set);
}

/* ------------------------------------------------------------------------
 * Packets
 */

static void print_l3(const struct pkt_parsing_info *pi)
{
	char src[PFU_ADDR_LEN], dst[PFU_ADDR_LEN], proto[16];
	const char *p = pfu_proto_str(pi->l3_proto, proto, sizeof(proto));
	int ports = pi->l3_proto == IPPROTO_TCP ||
		    pi->l3_proto == IPPROTO_UDP || pi->l3_proto == IPPROTO_SCTP;

	pfu_ip_str(&pi->ip_src, pi->ip_version, src, sizeof(src));
	pfu_ip_str(&pi->ip_dst, pi->ip_version, dst, sizeof(dst));
	if (ports)
		printf("[IPv%u][%s:%u -> %s:%u][%s]", pi->ip_version, src,
		       pi->l4_src_port, dst, pi->l4_dst_port, p);
	else
		printf("[IPv%u][%s -> %s][%s]", pi->ip_version, src, dst, p);
}

static void print_packet(const struct pfring_pkthdr *h, const u_char *pkt)
{
	struct pfring_pkthdr ph = *h;
	const struct pkt_parsing_info *pi = &ph.extended_hdr.parsed_pkt;
	char ts[32], smac[PFU_MAC_LEN], dmac[PFU_MAC_LEN];

	memset(&ph.extended_hdr.parsed_pkt, 0,
	       sizeof(ph.extended_hdr.parsed_pkt));
	/* pfring_parse_pkt() only reads the packet. */
	pfring_parse_pkt((u_char *)(uintptr_t)pkt, &ph, 4, 0, 0);
	printf("%s [%s][if %d][%s -> %s]", pfu_pkt_time_str(h, ts, sizeof(ts)),
	       h->extended_hdr.rx_direction ? "RX" : "TX",
	       h->extended_hdr.if_index, pfu_mac_str(pi->smac, smac),
	       pfu_mac_str(pi->dmac, dmac));
	if (pi->vlan_id)
		printf("[vlan %u]", pi->vlan_id);
	if (pi->ip_version == 4 || pi->ip_version == 6)
		print_l3(pi);
	else
		printf("[eth_type 0x%04x]", pi->eth_type);
	printf("[len %u][caplen %u]\n", h->len, h->caplen);
}

static int on_packet(void *ctx, const struct pfring_pkthdr *h,
		     const u_char *pkt)
{
	struct pfcount *pc = ctx;

	if (pc->verbose)
		print_packet(h, pkt);
	return 0;
}

/* ------------------------------------------------------------------------
 * Statistics
 */

static u_int64_t dropped(struct pfcount *pc)
{
	pfring_stat st;

	if (pfring_stats(pc->ring, &st) == 0)
		return st.drop;
	if (!pc->stats_warned)
		warnx("pfring_stats: %s", pfring_strerror(pc->ring));
	pc->stats_warned = 1;
	return 0;
}

static void print_absolute(struct pfcount *pc, const struct pfu_capture *c,
			   u_int64_t now)
{
	u_int64_t drop = dropped(pc), total = c->pkts + drop;
	double sec = (double)(now - c->start_ns) / PFU_NSEC;
	double pps = sec > 0 ? (double)c->pkts / sec : 0;
	double mbps =
	    sec > 0 ? pfu_line_bits(c->pkts, c->bytes) / sec / 1e6 : 0;
	char n1[PFU_NUM_LEN], n2[PFU_NUM_LEN], n3[PFU_NUM_LEN], n4[PFU_NUM_LEN];

	printf(RULE "\nAbsolute Stats: [%llu pkts rcvd][%llu pkts dropped]\n"
		    "Total Pkts=%llu/Dropped=%.1f %%\n",
	       (unsigned long long)c->pkts, (unsigned long long)drop,
	       (unsigned long long)total,
	       total ? 100.0 * (double)drop / (double)total : 0.0);
	printf("%s pkts - %s bytes [%s pkt/sec - %s Mbit/sec]\n",
	       pfu_fmt_num((double)c->pkts, 0, n1, sizeof(n1)),
	       pfu_fmt_num((double)c->bytes, 0, n2, sizeof(n2)),
	       pfu_fmt_num(pps, 2, n3, sizeof(n3)),
	       pfu_fmt_num(mbps, 2, n4, sizeof(n4)));
}

static void print_actual(struct pfcount *pc, const struct pfu_capture *c,
			 u_int64_t now)
{
	u_int64_t pkts = c->pkts - pc->last_pkts;
	u_int64_t bytes = c->bytes - pc->last_bytes;
	double ms = (double)(now - pc->last_ns) / 1e6;
	double pps = ms > 0 ? (double)pkts * 1000.0 / ms : 0;
	double gbps = ms > 0 ? pfu_line_bits(pkts, bytes) / (ms * 1e6) : 0;
	char n1[PFU_NUM_LEN], n2[PFU_NUM_LEN], n3[PFU_NUM_LEN];

	printf(RULE "\nActual Stats: %llu pkts [%s ms][%s pps/%s Gbps]\n",
	       (unsigned long long)pkts, pfu_fmt_num(ms, 2, n1, sizeof(n1)),
	       pfu_fmt_num(pps, 2, n2, sizeof(n2)),
	       pfu_fmt_num(gbps, 2, n3, sizeof(n3)));
}

static void on_tick(void *ctx, const struct pfu_capture *c, u_int64_t now)
{
	struct pfcount *pc = ctx;

	print_absolute(pc, c, now);
	if (pc->last_ns == 0)
		pc->last_ns = c->start_ns;
	print_actual(pc, c, now);
	printf(RULE "\n");
	pc->last_ns = now;
	pc->last_pkts = c->pkts;
	pc->last_bytes = c->bytes;
}

static void print_final(struct pfcount *pc, const struct pfu_capture *c)
{
	print_absolute(pc, c, pfu_now_ns());
	printf(RULE "\n");
	printf("pfcount: received=%llu bytes=%llu dropped=%llu\n",
	       (unsigned long long)c->pkts, (unsigned long long)c->bytes,
	       (unsigned long long)dropped(pc));
}

/* ------------------------------------------------------------------------
 * Main
 */

static void print_banner(pfring *ring, const struct pfcount_opts *o)
{
	u_int32_t v = 0;

	if (pfring_version(ring, &v) < 0)
		v = RING_VERSION_NUM;
	printf("Using PF_RING v.%u.%u.%u (vPF_RING %s)\n", v >> 16,
	       (v >> 8) & 0xff, v & 0xff, VPFRING_VERSION);
	printf(
	    "Capturing from %s [snaplen %u][%s]%s\n", o->device, o->rx.snaplen,
	    o->rx.flags & PF_RING_PROMISC ? "promiscuous" : "not promiscuous",
	    o->rx.bpf ? "[filtered]" : "");
}

static void setup_capture(struct pfu_capture *cap, struct pfcount *pc,
			  const struct pfcount_opts *o)
{
	memset(cap, 0, sizeof(*cap));
	cap->ring = pc->ring;
	cap->max_pkts = o->max_pkts;
	cap->duration_ns = o->duration > 0 ? pfu_sec_to_ns(o->duration) : 0;
	cap->interval_ns = o->quiet ? 0 : pfu_sec_to_ns(o->interval);
	cap->poll_ms = o->rx.poll_ms;
	cap->active_wait = o->active_wait;
	cap->use_loop = o->use_loop;
	cap->on_packet = on_packet;
	cap->on_tick = on_tick;
	cap->ctx = pc;
}

static int run(const struct pfcount_opts *o)
{
	struct pfcount pc;
	struct pfu_capture cap;
	int rc;

	memset(&pc, 0, sizeof(pc));
	pc.verbose = o->verbose;
	pc.ring = pfu_rx_open(o->device, &o->rx);
	if (pc.ring == NULL)
		return PFU_EXIT_FAILURE;
	if (pfu_signals_install(pc.ring) < 0) {
		warn("sigaction");
		pfring_close(pc.ring);
		return PFU_EXIT_FAILURE;
	}
	if (!o->quiet)
		print_banner(pc.ring, o);
	setup_capture(&cap, &pc, o);
	rc = pfu_capture_run(&cap);
	print_final(&pc, &cap);
	pfring_close(pc.ring);
	return rc < 0 ? PFU_EXIT_FAILURE : PFU_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct pfcount_opts o;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	/* Periodic statistics must show up even when piped. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return run(&o);
}
