/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ebpf_filter_run - the AF_PACKET back-end's eBPF socket filter, timed by
 * the kernel (BPF_PROG_TEST_RUN with a repeat count) with N hash rules in
 * its map: the per-packet cost of the filter alone, which a veth test
 * (tests/bench/ebpf_rules.sh) sees only through the noise of the whole
 * send and receive path. Needs root (loads a BPF program).
 *
 * Rules and frames are pfsend's flows (10.0.0.1 + f, port 1024 + f % 4096
 * -> 10.0.0.2 port 9, UDP), hash rules with action forward and the policy
 * drop (accept with no rules), as ebpf_rules.sh loads them. The frames
 * sampled are spread evenly over the installed rules.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "pfring_ebpf.h"

#define PREFIX	       14 /* dummy header: see build_frame() */
#define CAPLEN	       1600
#define DEFAULT_RUNS   1000000u
#define DEFAULT_FRAMES 1000u
#define MAX_RULES      10000000u
#define REPS	       5 /* passes; the median is reported */

struct opts {
	uint32_t rules, frames, runs;
};

static void usage(void)
{
	printf("Usage: ebpf_filter_run [options]\n"
	       "Time libpfring's eBPF socket filter in the kernel "
	       "(BPF_PROG_TEST_RUN) with\n"
	       "hash rules for pfsend's flows 0..n-1 (forward; policy drop, "
	       "or accept\n"
	       "with none). Prints one line: ebpf rules=N frames=F runs=R "
	       "ns_per_pkt=T\n"
	       "min=M delivered=D: the median and the lowest mean of %d "
	       "passes, and how\n"
	       "many frames the filter kept. Needs root.\n"
	       "\n"
	       "  -R <n>     hash rules (default 0)\n"
	       "  -f <n>     distinct frames, spread over the rules "
	       "(default %u)\n"
	       "  -r <n>     filter runs per pass (default %u)\n"
	       "  -h, --help print this help\n",
	       REPS, DEFAULT_FRAMES, DEFAULT_RUNS);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c, rc = 0;

	o->rules = 0;
	o->frames = DEFAULT_FRAMES;
	o->runs = DEFAULT_RUNS;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, "R:f:r:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage();
			exit(0);
		} else if (c == 'R') {
			rc = parse_u32(c, optarg, 0, MAX_RULES, &o->rules);
		} else if (c == 'f') {
			rc = parse_u32(c, optarg, 1, 1000000, &o->frames);
		} else if (c == 'r') {
			rc = parse_u32(c, optarg, 1, UINT32_MAX, &o->runs);
		} else {
			rc = -1;
		}
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		rc = -1;
	}
	return rc;
}

/*
 * Flow @f's frame behind PREFIX bytes of a dummy broadcast Ethernet
 * header: a test run hands a socket filter an skb whose data begins after
 * one Ethernet header, so the filter sees the real frame where a SOCK_RAW
 * packet socket's filter would (as pfr_ebpf_test_run() does).
 */
static void build_frame(uint8_t *buf, uint32_t f)
{
	memset(buf, 0xff, PREFIX);
	flow_frame(buf + PREFIX, f);
}

static int load_rules(struct pfr_ebpf *e, uint32_t n)
{
	struct pfr_ip src, dst;
	struct pfr_hrule h;
	uint32_t f;

	memset(&dst, 0, sizeof(dst));
	dst.v4 = FLOW_DST;
	for (f = 0; f < n; f++) {
		memset(&h, 0, sizeof(h));
		memset(&src, 0, sizeof(src));
		src.v4 = FLOW_SRC + f;
		pfr_hrule_key_make(&h.key, 4, &src, flow_sport(f), &dst,
				   FLOW_DPORT, 17, 0);
		h.rule_id = (pfr_u16)f;
		h.action = PFR_ACT_FORWARD_STOP;
		if (pfr_ebpf_hash_add(e, &h) < 0)
			return -1;
	}
	return 0;
}

static struct pfr_ebpf *open_filter(const struct opts *o)
{
	struct pfr_bpf_config c = {
	    .caplen = CAPLEN,
	    .sampling_rate = 1,
	    .channel = -1,
	    .default_accept = o->rules == 0,
	};
	struct pfr_ebpf *e;
	char err[256];

	if (pfr_ebpf_open(&e, o->rules ? o->rules : 1, err, sizeof(err))) {
		fprintf(stderr, "loading the filter: %s\n", err);
		return NULL;
	}
	if (pfr_ebpf_set_config(e, &c) < 0 || load_rules(e, o->rules) < 0) {
		fprintf(stderr, "%s\n", pfr_ebpf_error(e));
		pfr_ebpf_close(e);
		return NULL;
	}
	return e;
}

/* Run the filter @repeat times on flow @f; its mean ns per run. */
static int time_frame(int prog_fd, uint32_t f, uint32_t repeat, uint32_t *ns,
		      uint32_t *retval)
{
	uint8_t buf[PREFIX + FRAME_LEN];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = buf,
		    .data_size_in = sizeof(buf), .repeat = (int)repeat);

	build_frame(buf, f);
	if (bpf_prog_test_run_opts(prog_fd, &t)) {
		perror("BPF_PROG_TEST_RUN");
		return -1;
	}
	*ns = t.duration;
	*retval = t.retval;
	return 0;
}

/* Mean ns per run over the frames, spread evenly over the flows that have
 * rules (over 0..frames-1 without rules); *@delivered counts the frames
 * the filter kept. */
static int one_pass(const struct opts *o, int prog_fd, double *mean,
		    uint32_t *delivered)
{
	uint32_t span = o->rules ? o->rules : o->frames;
	uint32_t repeat = o->runs / o->frames ? o->runs / o->frames : 1;
	uint32_t i, ns, retval;
	double total = 0;

	*delivered = 0;
	for (i = 0; i < o->frames; i++) {
		if (time_frame(prog_fd,
			       (uint32_t)((uint64_t)i * span / o->frames),
			       repeat, &ns, &retval) < 0)
			return -1;
		total += ns;
		*delivered += retval != 0;
	}
	*mean = total / o->frames;
	return 0;
}

/* The median and minimum of REPS passes. */
static int run(const struct opts *o, int prog_fd)
{
	double mean[REPS];
	uint32_t i, delivered = 0;

	for (i = 0; i < REPS; i++) {
		if (one_pass(o, prog_fd, &mean[i], &delivered) < 0)
			return -1;
	}
	qsort(mean, REPS, sizeof(mean[0]), cmp_double);
	printf("ebpf rules=%u frames=%u runs=%u ns_per_pkt=%.1f min=%.1f"
	       " delivered=%u\n",
	       o->rules, o->frames, o->runs, mean[REPS / 2], mean[0],
	       delivered);
	return 0;
}

int main(int argc, char **argv)
{
	struct pfr_ebpf *e;
	struct opts o;
	int rc;

	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "Try 'ebpf_filter_run --help'.\n");
		return 2;
	}
	e = open_filter(&o);
	if (e == NULL)
		return 1;
	rc = run(&o, pfr_ebpf_prog_fd(e, PFR_EBPF_FILTER));
	pfr_ebpf_close(e);
	return rc < 0 ? 1 : 0;
}
