/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * filter_bench - user-space micro-benchmark of common/'s parser and rule
 * matcher, the code the kernel module and the library's software path run
 * on every packet. No root needed.
 *
 * Nanoseconds per packet of:
 *   parse           pfr_parse() alone, to PFR_LEVEL_PAYLOAD
 *   parse+wildcard  parse + pfr_ruleset_eval() over 1, 16, 256 wildcard
 *                   rules that never match (UDP from 10/8, but a
 *                   destination port the traffic never uses), so every
 *                   rule is walked
 *   parse+hash      parse + pfr_ruleset_eval() with 1, 1,000, 100,000 hash
 *                   rules (forward) in a pfr_htable whose nbuckets is the
 *                   next power of two; every packet hits a rule, and the
 *                   packets cycle over ALL installed rules, each cycle in a
 *                   new shuffled order, so lookups miss the caches as a
 *                   real table's would
 *
 * Packets are 60-byte Ethernet/IPv4/UDP frames, one per 64-byte slot, in
 * an array of -n (default 1M) walked once per repetition; each figure is
 * the median of -r repetitions after one untimed warm-up pass.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "pfr_rules.h"
#include "pfring_priv.h"

#define SLOT	      64 /* bytes per packet in the array */
#define WC_DPORT_BASE 10000 /* wildcard rules' ports: never the traffic's */
#define DEFAULT_PKTS  1000000u
#define DEFAULT_REPS  7u
#define MAX_REPS      101u
#define DEFAULT_CSV   "tests/bench/results/filter.csv"

enum bench_kind { BK_PARSE, BK_WILDCARD, BK_HASH };

struct bench_case {
	enum bench_kind kind;
	const char *name;
	uint32_t rules;
};

static const struct bench_case cases[] = {
    {BK_PARSE, "parse", 0},
    {BK_WILDCARD, "parse+wildcard", 1},
    {BK_WILDCARD, "parse+wildcard", 16},
    {BK_WILDCARD, "parse+wildcard", 256},
    {BK_HASH, "parse+hash", 1},
    {BK_HASH, "parse+hash", 1000},
    {BK_HASH, "parse+hash", 100000},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

struct opts {
	uint32_t pkts, reps;
	const char *csv;
};

/* One case's measurements. */
struct result {
	double ns_med, ns_min, ns_max, instr; /* instr < 0: not available */
};

/* Everything a case runs on. */
struct bench {
	const struct opts *o;
	uint8_t *pkts;	 /* o->pkts slots of SLOT bytes */
	uint32_t *order; /* flow of each packet */
	struct pfr_ruleset rs;
	struct pfr_wc_rule *wc;
	uint32_t *buckets;
	struct pfr_hrule *hrules;
	int perf_fd; /* instructions counter, -1 without one */
	uint64_t sink;
};

static void usage(void)
{
	printf("Usage: filter_bench [options]\n"
	       "Nanoseconds per packet of common/'s pfr_parse, wildcard rule "
	       "evaluation\n"
	       "(1/16/256 rules) and hash rule lookup (1/1,000/100,000 rules), "
	       "all through\n"
	       "pfr_ruleset_eval. Prints a table and writes a CSV.\n"
	       "\n"
	       "  -n <n>     packets in the array, walked once per repetition "
	       "(default %u)\n"
	       "  -r <n>     repetitions, the median is reported (default %u, "
	       "max %u)\n"
	       "  -o <file>  CSV output (default %s; '-' for none)\n"
	       "  -h, --help print this help\n"
	       "\n"
	       "Pin it for steadier figures: taskset -c 1 filter_bench\n",
	       DEFAULT_PKTS, DEFAULT_REPS, MAX_REPS, DEFAULT_CSV);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c, rc = 0;

	o->pkts = DEFAULT_PKTS;
	o->reps = DEFAULT_REPS;
	o->csv = DEFAULT_CSV;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, "n:r:o:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage();
			exit(0);
		} else if (c == 'n') {
			rc = parse_u32(c, optarg, 1000, 100000000, &o->pkts);
		} else if (c == 'r') {
			rc = parse_u32(c, optarg, 1, MAX_REPS, &o->reps);
		} else if (c == 'o') {
			o->csv = optarg;
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

/* ------------------------------------------------------------------------
 * Traffic
 */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Ethernet/IPv4/UDP frame of flow @f (checksums left zero: unchecked). */
static void build_frame(uint8_t *p, uint32_t f)
{
	memset(p, 0, SLOT);
	flow_frame(p, f);
}

static void shuffle(uint32_t *a, uint32_t n)
{
	uint32_t i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = (uint32_t)(rng_next() % (i + 1));
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

/* Packets cycling over flows 0..nflows-1, each cycle shuffled anew. */
static void build_traffic(struct bench *b, uint32_t nflows)
{
	uint32_t i, n = b->o->pkts, base, len;

	for (base = 0; base < n; base += nflows) {
		len = n - base < nflows ? n - base : nflows;
		for (i = 0; i < len; i++)
			b->order[base + i] = i;
		if (len == nflows)
			shuffle(b->order + base, len);
	}
	for (i = 0; i < n; i++)
		build_frame(b->pkts + (size_t)i * SLOT, b->order[i]);
}

/* ------------------------------------------------------------------------
 * Rules
 */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int load_wildcard(struct bench *b, uint32_t n)
{
	struct pfr_wc_rule r;
	uint32_t i;

	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.rule_id = (pfr_u16)(i + 1);
		r.action = PFR_ACT_DROP_STOP;
		r.proto = 17;
		r.shost.v4 = 0x0a000000u;
		r.shost_mask.v4 = 0xff000000u;
		r.dport_low = r.dport_high = (pfr_u16)(WC_DPORT_BASE + i);
		if (pfr_wc_add(&b->rs.wc, &r) < 0)
			return -1;
	}
	return 0;
}

static int load_hash(struct bench *b, uint32_t n)
{
	struct pfr_ip src, dst;
	struct pfr_hrule h;
	uint32_t f;

	pfr_htable_init(&b->rs.ht, b->buckets, pow2_at_least(n), b->hrules, n);
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
		if (pfr_htable_add(&b->rs.ht, &h) < 0)
			return -1;
	}
	return 0;
}

/* Empty rule set, accept policy, then the case's rules and traffic. */
static int prepare_case(struct bench *b, const struct bench_case *c)
{
	memset(&b->rs, 0, sizeof(b->rs));
	b->rs.default_accept = 1;
	b->rs.wc.rules = b->wc;
	b->rs.wc.max = 256;
	pfr_htable_init(&b->rs.ht, b->buckets, 0, b->hrules, 0);
	if (c->kind == BK_WILDCARD && load_wildcard(b, c->rules) < 0)
		return -1;
	if (c->kind == BK_HASH && load_hash(b, c->rules) < 0)
		return -1;
	build_traffic(b, c->kind == BK_HASH ? c->rules : 100000);
	return 0;
}

/* ------------------------------------------------------------------------
 * Measurement
 */

static int perf_open(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static uint64_t perf_read(int fd)
{
	uint64_t v = 0;

	if (fd < 0 || read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One pass over the array; returns how many packets matched a rule. */
static uint64_t run_pass(struct bench *b, enum bench_kind kind)
{
	struct pfr_pkt_info info;
	struct pfr_verdict v;
	uint64_t matched = 0, sink = 0;
	const uint8_t *p;
	uint32_t i;

	for (i = 0; i < b->o->pkts; i++) {
		p = b->pkts + (size_t)i * SLOT;
		pfr_parse(p, FRAME_LEN, PFR_LEVEL_PAYLOAD, &info);
		sink += info.l4_src_port;
		if (kind == BK_PARSE)
			continue;
		pfr_ruleset_eval(&b->rs, &info, p, FRAME_LEN, 0, &v);
		matched += v.matched;
		sink += v.forward;
	}
	b->sink += sink;
	return matched;
}

/* Did every packet get the verdict the case is built for? */
static int check_pass(const struct bench_case *c, uint64_t matched,
		      uint32_t pkts)
{
	uint64_t want = c->kind == BK_HASH ? pkts : 0;

	if (matched == want)
		return 0;
	fprintf(stderr,
		"%s/%u: %" PRIu64 " packets matched, expected %" PRIu64 "\n",
		c->name, c->rules, matched, want);
	return -1;
}

static int measure(struct bench *b, const struct bench_case *c,
		   struct result *res)
{
	double ns[MAX_REPS], instr[MAX_REPS];
	uint64_t t0, i0, matched;
	uint32_t r, n = b->o->reps;

	if (check_pass(c, run_pass(b, c->kind), b->o->pkts) < 0)
		return -1;
	for (r = 0; r < n; r++) {
		i0 = perf_read(b->perf_fd);
		t0 = now_ns();
		matched = run_pass(b, c->kind);
		ns[r] = (double)(now_ns() - t0) / b->o->pkts;
		instr[r] = (double)(perf_read(b->perf_fd) - i0) / b->o->pkts;
		if (check_pass(c, matched, b->o->pkts) < 0)
			return -1;
	}
	qsort(ns, n, sizeof(ns[0]), cmp_double);
	qsort(instr, n, sizeof(instr[0]), cmp_double);
	res->ns_med = ns[n / 2];
	res->ns_min = ns[0];
	res->ns_max = ns[n - 1];
	res->instr = b->perf_fd >= 0 ? instr[n / 2] : -1;
	return 0;
}

/* ------------------------------------------------------------------------
 * Output
 */

static void print_header(const struct opts *o, int have_perf)
{
	printf("filter_bench: %u packets/pass, median of %u passes; "
	       "instructions/packet %s\n\n",
	       o->pkts, o->reps,
	       have_perf ? "from perf_event_open"
			 : "n/a (no hardware counters here)");
	printf("%-16s %7s %9s %9s %9s %8s %10s\n", "test", "rules", "ns/pkt",
	       "min", "max", "Mpps", "instr/pkt");
}

static void print_row(const struct bench_case *c, const struct result *r)
{
	char instr[32];

	if (r->instr >= 0)
		snprintf(instr, sizeof(instr), "%.1f", r->instr);
	else
		snprintf(instr, sizeof(instr), "n/a");
	printf("%-16s %7u %9.1f %9.1f %9.1f %8.2f %10s\n", c->name, c->rules,
	       r->ns_med, r->ns_min, r->ns_max, 1e3 / r->ns_med, instr);
}

/* mkdir -p of @path's directory. */
static int make_parent_dirs(const char *path)
{
	char buf[4096];
	char *s;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (s = buf + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

static int write_csv(const struct opts *o, const struct result *res)
{
	FILE *f;
	size_t i;

	if (strcmp(o->csv, "-") == 0)
		return 0;
	if (make_parent_dirs(o->csv) < 0 || (f = fopen(o->csv, "w")) == NULL) {
		perror(o->csv);
		return -1;
	}
	fprintf(f, "test,rules,ns_per_pkt,ns_min,ns_max,mpps,instr_per_pkt,"
		   "packets,reps\n");
	for (i = 0; i < NCASES; i++) {
		fprintf(f, "%s,%u,%.2f,%.2f,%.2f,%.3f,", cases[i].name,
			cases[i].rules, res[i].ns_med, res[i].ns_min,
			res[i].ns_max, 1e3 / res[i].ns_med);
		if (res[i].instr >= 0)
			fprintf(f, "%.1f", res[i].instr);
		fprintf(f, ",%u,%u\n", o->pkts, o->reps);
	}
	fclose(f);
	printf("\nCSV: %s\n", o->csv);
	return 0;
}

/* The 100,000-rule over 1-rule ratio of a kind, from the results. */
static void print_ratio(const struct result *res, enum bench_kind kind,
			const char *what)
{
	const struct result *lo = NULL, *hi = NULL;
	size_t i;

	for (i = 0; i < NCASES; i++) {
		if (cases[i].kind != kind)
			continue;
		if (lo == NULL)
			lo = &res[i];
		hi = &res[i];
	}
	if (lo && hi)
		printf("%s: %.2f\n", what, hi->ns_med / lo->ns_med);
}

/* ------------------------------------------------------------------------
 * Main
 */

static int alloc_bench(struct bench *b, const struct opts *o)
{
	memset(b, 0, sizeof(*b));
	b->o = o;
	b->pkts = aligned_alloc(SLOT, (size_t)o->pkts * SLOT);
	b->order = calloc(o->pkts, sizeof(*b->order));
	b->wc = calloc(256, sizeof(*b->wc));
	/* The library's own allocator for rule tables (huge pages). */
	b->buckets = pfring_table_alloc(pow2_at_least(100000) * sizeof(*b->buckets));
	b->hrules = pfring_table_alloc(100000 * sizeof(*b->hrules));
	b->perf_fd = perf_open();
	if (b->pkts && b->order && b->wc && b->buckets && b->hrules)
		return 0;
	fprintf(stderr, "out of memory\n");
	return -1;
}

static void free_bench(struct bench *b)
{
	free(b->pkts);
	free(b->order);
	free(b->wc);
	pfring_table_free(b->buckets, pow2_at_least(100000) * sizeof(*b->buckets));
	pfring_table_free(b->hrules, 100000 * sizeof(*b->hrules));
	if (b->perf_fd >= 0)
		close(b->perf_fd);
}

static int run_all(struct bench *b, struct result *res)
{
	size_t i;

	for (i = 0; i < NCASES; i++) {
		if (prepare_case(b, &cases[i]) < 0) {
			fprintf(stderr, "%s/%u: cannot load the rules\n",
				cases[i].name, cases[i].rules);
			return -1;
		}
		if (measure(b, &cases[i], &res[i]) < 0)
			return -1;
		print_row(&cases[i], &res[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct result res[NCASES];
	struct opts o;
	struct bench b;
	int rc = 1;

	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "Try 'filter_bench --help'.\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (alloc_bench(&b, &o) == 0) {
		print_header(&o, b.perf_fd >= 0);
		if (run_all(&b, res) == 0) {
			printf("\n");
			print_ratio(res, BK_WILDCARD, "wildcard 256/1 rules");
			print_ratio(res, BK_HASH, "hash 100000/1 rules");
			/* Printed so the passes cannot be optimised away. */
			printf("(checksum %" PRIx64 ")\n", b.sink);
			rc = write_csv(&o, res) < 0;
		}
	}
	free_bench(&b);
	return rc;
}
