/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading libpfring's eBPF object (bpf/filter.bpf.c, embedded by
 * bpf/objs.S) and keeping its maps in step with a ring's settings. The map
 * layouts are in bpf/filter_maps.h; this file is their only writer on the
 * library's side.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pfring_ebpf.h"

#define ERRBUF_SIZE 256

/* The object file, embedded by bpf/objs.S. */
extern const unsigned char pfring_bpf_filter_obj[];
extern const unsigned char pfring_bpf_filter_obj_end[];

struct pfr_ebpf {
	struct bpf_object *obj;
	int prog_fd[2]; /* enum pfr_ebpf_prog */
	int config_fd, wc_fd, stats_fd, hrules_fd, sample_fd, chain_fd;
	uint64_t *sample; /* the sample map's value, mapped */
	size_t sample_len;
	struct pfr_bpf_config cfg; /* what the config map holds */
	char err[ERRBUF_SIZE];
};

static int ebpf_error(struct pfr_ebpf *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record "<what>: <strerror(-err)>"; returns @err (negative). */
static int ebpf_error(struct pfr_ebpf *e, int err, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
	n = strlen(e->err);
	snprintf(e->err + n, sizeof(e->err) - n, ": %s", strerror(-err));
	return err;
}

const char *pfr_ebpf_error(const struct pfr_ebpf *e)
{
	return e->err;
}

int pfr_ebpf_prog_fd(const struct pfr_ebpf *e, enum pfr_ebpf_prog which)
{
	return e->prog_fd[which];
}

uint64_t *pfr_ebpf_sample_counter(const struct pfr_ebpf *e)
{
	return e->sample;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC too. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Loading */

/* Each map's name in filter.bpf.c and where its fd goes. */
static const struct {
	const char *name;
	size_t off;
} map_fds[] = {
    {"config", offsetof(struct pfr_ebpf, config_fd)},
    {"wc_rules", offsetof(struct pfr_ebpf, wc_fd)},
    {"wc_stats", offsetof(struct pfr_ebpf, stats_fd)},
    {"hrules", offsetof(struct pfr_ebpf, hrules_fd)},
    {"sample", offsetof(struct pfr_ebpf, sample_fd)},
    {"chain", offsetof(struct pfr_ebpf, chain_fd)},
};

static int find_fds(struct pfr_ebpf *e)
{
	struct bpf_program *prog;
	size_t i;
	int *fd;

	for (i = 0; i < sizeof(map_fds) / sizeof(map_fds[0]); i++) {
		fd = (int *)((char *)e + map_fds[i].off);
		*fd = bpf_object__find_map_fd_by_name(e->obj, map_fds[i].name);
		if (*fd < 0)
			return ebpf_error(e, -ENOENT, "eBPF map %s",
					  map_fds[i].name);
	}
	prog = bpf_object__find_program_by_name(e->obj, "pfr_filter");
	e->prog_fd[PFR_EBPF_FILTER] = prog ? bpf_program__fd(prog) : -1;
	prog = bpf_object__find_program_by_name(e->obj, "pfr_fanout");
	e->prog_fd[PFR_EBPF_FANOUT] = prog ? bpf_program__fd(prog) : -1;
	if (e->prog_fd[PFR_EBPF_FILTER] < 0 || e->prog_fd[PFR_EBPF_FANOUT] < 0)
		return ebpf_error(e, -ENOENT, "eBPF programs");
	return 0;
}

static int load_object(struct pfr_ebpf *e, uint32_t max_hash_rules)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "pfring");
	struct bpf_map *map;
	int err;

	e->obj = bpf_object__open_mem(
	    pfring_bpf_filter_obj,
	    (size_t)(pfring_bpf_filter_obj_end - pfring_bpf_filter_obj), &opts);
	if (!e->obj)
		return ebpf_error(e, -errno, "opening the eBPF filter object");
	map = bpf_object__find_map_by_name(e->obj, "hrules");
	err = map ? bpf_map__set_max_entries(map, max_hash_rules) : -ENOENT;
	if (err)
		return ebpf_error(e, err, "sizing the eBPF hash rule map");
	err = bpf_object__load(e->obj);
	if (err == -EPERM || err == -EACCES)
		return ebpf_error(e, err,
				  "loading the eBPF filter needs root "
				  "(CAP_BPF and CAP_NET_ADMIN)");
	if (err)
		return ebpf_error(e, err,
				  "loading the eBPF filter (kernel too "
				  "old, or verifier refusal)");
	return find_fds(e);
}

static int map_sample(struct pfr_ebpf *e)
{
	e->sample_len = (size_t)sysconf(_SC_PAGESIZE);
	e->sample = mmap(NULL, e->sample_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, e->sample_fd, 0);
	if (e->sample == MAP_FAILED) {
		e->sample = NULL;
		return ebpf_error(e, -errno, "mapping the eBPF sample counter");
	}
	return 0;
}

static int push_config(struct pfr_ebpf *e)
{
	__u32 key = 0;

	if (bpf_map_update_elem(e->config_fd, &key, &e->cfg, BPF_ANY))
		return ebpf_error(e, -errno, "writing the eBPF filter config");
	return 0;
}

static int init_maps(struct pfr_ebpf *e)
{
	__u32 key = PFR_BPF_CHAIN_SLOT;
	int err;

	err = map_sample(e);
	if (err)
		return err;
	if (bpf_map_update_elem(e->chain_fd, &key, &e->prog_fd[PFR_EBPF_FILTER],
				BPF_ANY))
		return ebpf_error(e, -errno, "filling the eBPF prog array");
	e->cfg.caplen = PFR_BPF_FULL_FRAME;
	e->cfg.sampling_rate = 1;
	e->cfg.channel = -1;
	e->cfg.default_accept = 1;
	return push_config(e);
}

int pfr_ebpf_open(struct pfr_ebpf **out, uint32_t max_hash_rules, char *err,
		  size_t errlen)
{
	struct pfr_ebpf *e = calloc(1, sizeof(*e));
	int rc;

	*out = NULL;
	if (!e) {
		snprintf(err, errlen, "no memory for the eBPF filter");
		return -ENOMEM;
	}
	rc = load_object(e, max_hash_rules ? max_hash_rules : 1);
	if (rc)
		goto out_close;
	rc = init_maps(e);
	if (rc)
		goto out_close;
	*out = e;
	return 0;
out_close:
	snprintf(err, errlen, "%s", e->err);
	pfr_ebpf_close(e);
	return rc;
}

void pfr_ebpf_close(struct pfr_ebpf *e)
{
	if (!e)
		return;
	if (e->sample)
		munmap(e->sample, e->sample_len);
	bpf_object__close(e->obj);
	free(e);
}

/* Configuration */

int pfr_ebpf_set_config(struct pfr_ebpf *e, const struct pfr_bpf_config *c)
{
	struct pfr_bpf_config old = e->cfg;
	int err;

	e->cfg = *c;
	e->cfg.wc_count = old.wc_count;
	e->cfg.patterns = old.patterns;
	e->cfg.reserved = 0;
	err = push_config(e);
	if (err)
		e->cfg = old;
	return err;
}

int pfr_ebpf_reset_sampling(struct pfr_ebpf *e)
{
	__atomic_store_n(e->sample, 0, __ATOMIC_RELAXED);
	return 0;
}

/* Wildcard rules */

static int ip_nonzero(const struct pfr_ip *a)
{
	return (a->v6w[0] | a->v6w[1] | a->v6w[2] | a->v6w[3]) != 0;
}

static int mac_nonzero(const pfr_u8 *mac)
{
	static const pfr_u8 zero[PFR_ETH_ALEN];

	return memcmp(mac, zero, PFR_ETH_ALEN) != 0;
}

/* A host test as the filter does it: (addr & mask) == host & mask. */
static void host_to_bpf(const struct pfr_ip *host, const struct pfr_ip *mask,
			__u32 *bhost, __u32 *bmask)
{
	int i;

	for (i = 0; i < 4; i++) {
		bmask[i] = mask->v6w[i];
		bhost[i] = host->v6w[i] & mask->v6w[i];
	}
}

static __u8 wc_has(const struct pfr_wc_rule *r)
{
	__u8 has = 0;

	has |= mac_nonzero(r->smac) ? PFR_BPF_HAS_SMAC : 0;
	has |= mac_nonzero(r->dmac) ? PFR_BPF_HAS_DMAC : 0;
	has |= ip_nonzero(&r->shost) ? PFR_BPF_HAS_SHOST : 0;
	has |= ip_nonzero(&r->dhost) ? PFR_BPF_HAS_DHOST : 0;
	has |= r->sport_high ? PFR_BPF_HAS_SPORT : 0;
	has |= r->dport_high ? PFR_BPF_HAS_DPORT : 0;
	if (r->proto || (has & (PFR_BPF_HAS_SHOST | PFR_BPF_HAS_DHOST |
				PFR_BPF_HAS_SPORT | PFR_BPF_HAS_DPORT)))
		has |= PFR_BPF_HAS_IP;
	return has;
}

/* @in is normalised already (pfr_wc_rule_check, as pfr_wc_add does). */
static void wc_to_bpf(const struct pfr_wc_rule *r, struct pfr_bpf_wc_rule *b)
{
	memset(b, 0, sizeof(*b));
	b->rule_id = r->rule_id;
	b->action = r->action;
	b->bidirectional = r->bidirectional;
	b->balance_id = r->balance_id;
	b->balance_pool = r->balance_pool;
	b->proto = r->proto;
	b->has = wc_has(r);
	if (b->has & (PFR_BPF_HAS_SHOST | PFR_BPF_HAS_DHOST))
		b->ip_version = r->ip_version;
	memcpy(b->smac, r->smac, sizeof(b->smac));
	memcpy(b->dmac, r->dmac, sizeof(b->dmac));
	b->vlan_id = r->vlan_id;
	host_to_bpf(&r->shost, &r->shost_mask, b->shost, b->shost_mask);
	host_to_bpf(&r->dhost, &r->dhost_mask, b->dhost, b->dhost_mask);
	b->sport_low = r->sport_low;
	b->sport_high = r->sport_high;
	b->dport_low = r->dport_low;
	b->dport_high = r->dport_high;
	b->pattern_len = r->pattern_len;
	memcpy(b->pattern, r->payload_pattern, r->pattern_len);
	memset(b->pattern_mask, 0xff, r->pattern_len);
}

static int write_wc_rule(struct pfr_ebpf *e, __u32 pos,
			 const struct pfr_wc_rule *r)
{
	struct pfr_bpf_rule_stats st = {.last_match_ns = now_ns()};
	struct pfr_bpf_wc_rule b;
	__u32 id = r->rule_id;

	wc_to_bpf(r, &b);
	if (bpf_map_update_elem(e->wc_fd, &pos, &b, BPF_ANY))
		return ebpf_error(e, -errno, "writing eBPF wildcard rule %u",
				  r->rule_id);
	/* A rule that stays keeps its counters. */
	if (bpf_map_update_elem(e->stats_fd, &id, &st, BPF_NOEXIST) &&
	    errno != EEXIST)
		return ebpf_error(e, -errno, "counters of eBPF rule %u",
				  r->rule_id);
	return 0;
}

static int has_rule(const struct pfr_wc_rule *rules, uint32_t n, __u32 id)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (rules[i].rule_id == id)
			return 1;
	}
	return 0;
}

/* Drop the counters of rules that are gone. */
static void forget_removed(struct pfr_ebpf *e, const struct pfr_wc_rule *rules,
			   uint32_t n)
{
	__u32 key, next, gone[PFR_BPF_MAX_WC_RULES];
	uint32_t ngone = 0, i;
	int err;

	for (err = bpf_map_get_next_key(e->stats_fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(e->stats_fd, &key, &next)) {
		if (!has_rule(rules, n, next) && ngone < PFR_BPF_MAX_WC_RULES)
			gone[ngone++] = next;
		key = next;
	}
	for (i = 0; i < ngone; i++)
		bpf_map_delete_elem(e->stats_fd, &gone[i]);
}

static int any_pattern(const struct pfr_wc_rule *rules, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (rules[i].pattern_len)
			return 1;
	}
	return 0;
}

/*
 * Map updates are not atomic against packets being filtered meanwhile: a
 * shorter list takes effect (count first) before its rules are rewritten,
 * a longer one after.
 */
int pfr_ebpf_set_wc_rules(struct pfr_ebpf *e, const struct pfr_wc_rule *rules,
			  uint32_t n)
{
	uint32_t i;
	int err;

	if (n > PFR_BPF_MAX_WC_RULES)
		return ebpf_error(e, -E2BIG,
				  "%u wildcard rules (eBPF holds %u)", n,
				  PFR_BPF_MAX_WC_RULES);
	if (n < e->cfg.wc_count) {
		e->cfg.wc_count = n;
		err = push_config(e);
		if (err)
			return err;
	}
	for (i = 0; i < n; i++) {
		err = write_wc_rule(e, i, &rules[i]);
		if (err)
			return err;
	}
	forget_removed(e, rules, n);
	e->cfg.wc_count = n;
	e->cfg.patterns = (__u8)any_pattern(rules, n);
	return push_config(e);
}

int pfr_ebpf_wc_stats(struct pfr_ebpf *e, uint16_t rule_id,
		      struct pfr_bpf_rule_stats *st)
{
	__u32 id = rule_id;

	if (bpf_map_lookup_elem(e->stats_fd, &id, st))
		return ebpf_error(e, -errno, "eBPF counters of rule %u",
				  rule_id);
	return 0;
}

int pfr_ebpf_wc_forget(struct pfr_ebpf *e, uint16_t rule_id)
{
	__u32 id = rule_id;

	if (bpf_map_delete_elem(e->stats_fd, &id) && errno != ENOENT)
		return ebpf_error(e, -errno, "eBPF counters of rule %u",
				  rule_id);
	return 0;
}

/* Hash rules */

/* The caller's key may name b before a; the filter builds canonical ones. */
static void canon_key(const struct pfr_hrule_key *in, struct pfr_hrule_key *k)
{
	pfr_hrule_key_make(k, in->ip_version, &in->host_a, in->port_a,
			   &in->host_b, in->port_b, in->proto, in->vlan_id);
}

int pfr_ebpf_hash_add(struct pfr_ebpf *e, const struct pfr_hrule *r)
{
	struct pfr_bpf_hrule v = {
	    .rule_id = r->rule_id,
	    .action = r->action,
	    .reflect_ifindex = r->reflect_ifindex,
	    .st = {.last_match_ns = now_ns()},
	};
	struct pfr_hrule_key k;

	canon_key(&r->key, &k);
	if (bpf_map_update_elem(e->hrules_fd, &k, &v, BPF_ANY))
		return ebpf_error(e, -errno, "adding eBPF hash rule %u",
				  r->rule_id);
	return 0;
}

int pfr_ebpf_hash_del(struct pfr_ebpf *e, const struct pfr_hrule_key *key)
{
	struct pfr_hrule_key k;

	canon_key(key, &k);
	/* Absent is fine: a DEL_RULE action may have removed it already. */
	if (bpf_map_delete_elem(e->hrules_fd, &k) && errno != ENOENT)
		return ebpf_error(e, -errno, "removing an eBPF hash rule");
	return 0;
}

int pfr_ebpf_hash_get(struct pfr_ebpf *e, const struct pfr_hrule_key *key,
		      struct pfr_bpf_hrule *v)
{
	struct pfr_hrule_key k;

	canon_key(key, &k);
	if (bpf_map_lookup_elem(e->hrules_fd, &k, v))
		return -errno;
	return 0;
}

int pfr_ebpf_hash_next(struct pfr_ebpf *e, const struct pfr_hrule_key *prev,
		       struct pfr_hrule_key *next)
{
	if (bpf_map_get_next_key(e->hrules_fd, prev, next))
		return -errno;
	return 0;
}

/* Classic BPF in front of the rules */

int pfr_ebpf_chain_load(struct pfr_ebpf *e, const struct sock_filter *prog,
			unsigned int len)
{
	return pfr_cbpf_load(prog, len, e->chain_fd, e->err, sizeof(e->err));
}

/* Tests */

int pfr_ebpf_test_run(int prog_fd, const void *frame, uint32_t len, int fanout,
		      uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	uint32_t pre = fanout ? 0 : 14;
	unsigned char *buf = malloc(len + pre);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	/* The dummy header: broadcast, so the skb is not PACKET_OUTGOING. */
	memset(buf, 0xff, pre);
	memcpy(buf + pre, frame, len);
	opts.data_in = buf;
	opts.data_size_in = len + pre;
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		err = -errno;
	*retval = opts.retval;
	free(buf);
	return err;
}
