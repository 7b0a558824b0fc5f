/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The maps of filter.bpf.c as libpfring sees them: the one definition of
 * their value layouts, included by the eBPF object and by the library
 * (ebpf.c). Fixed-width types only; every structure's size is asserted.
 *
 *   map        type                 key                   value         writer
 *   config     array[1]             u32 0                 pfr_bpf_config library
 *   wc_rules   array[256]           u32 position          pfr_bpf_wc_rule library
 *   wc_stats   hash                 u32 rule_id           pfr_bpf_rule_stats both
 *   hrules     hash                 struct pfr_hrule_key  pfr_bpf_hrule both
 *   sample     array[1], mmapable   u32 0                 u64 counter   both
 *   chain      prog array[1]        u32 0                 the filter program
 *   scratch    per-CPU array[1]     u32 0                 eBPF only
 */
#ifndef PFR_FILTER_MAPS_H
#define PFR_FILTER_MAPS_H

#include <linux/types.h>

#define PFR_BPF_MAX_WC_RULES 256
#define PFR_BPF_PATTERN_LEN 32
/* A payload pattern is looked for in the first PFR_BPF_PATTERN_WINDOW bytes
 * of the payload only (docs/filtering.md). */
#define PFR_BPF_PATTERN_WINDOW 512
/* The slot of the prog array holding the rules program: the translated
 * classic BPF program tail-calls it. */
#define PFR_BPF_CHAIN_SLOT 0
/* Returned for packets a reflect or bounce rule matched: the library needs
 * the whole frame to transmit it. */
#define PFR_BPF_FULL_FRAME 0xffff

/* pfr_bpf_wc_rule.has: the fields a rule tests. */
#define PFR_BPF_HAS_SMAC (1u << 0)
#define PFR_BPF_HAS_DMAC (1u << 1)
#define PFR_BPF_HAS_SHOST (1u << 2)
#define PFR_BPF_HAS_DHOST (1u << 3)
#define PFR_BPF_HAS_SPORT (1u << 4)
#define PFR_BPF_HAS_DPORT (1u << 5)
#define PFR_BPF_HAS_IP (1u << 6) /* names a host, a port or a protocol */

struct pfr_bpf_config {
	__u32 caplen;          /* returned for delivered packets */
	__u32 sampling_rate;   /* deliver 1 in N (N >= 1) */
	__s32 channel;         /* RX queue to keep, -1: every queue */
	__u32 wc_count;        /* rules in use at the start of wc_rules */
	__u8 direction;        /* packet_direction: 0 both, 1 rx, 2 tx */
	__u8 default_accept;   /* policy when no rule stopped evaluation */
	__u8 fanout_tuple;     /* enum pfr_tuple, for the fanout program */
	__u8 patterns;         /* some rule has a payload pattern */
	__u32 reserved;        /* must be zero */
};

/* A wildcard rule, normalised by the library: port ranges have
 * high >= low; host masks are complete (a host without a mask has an
 * all-ones one) and hosts are stored already masked. IPv4 addresses are
 * word 0, in host byte order, as in common/'s struct pfr_ip. */
struct pfr_bpf_wc_rule {
	__u16 rule_id;
	__u8 action;           /* enum pfr_action */
	__u8 bidirectional;
	__u8 balance_id;
	__u8 balance_pool;
	__u8 proto;
	__u8 ip_version;       /* 4 or 6 when the rule names a host, else 0 */
	__u8 smac[6];
	__u8 dmac[6];
	__u16 vlan_id;
	__u8 pattern_len;
	__u8 has;              /* PFR_BPF_HAS_* */
	__u16 sport_low, sport_high;
	__u16 dport_low, dport_high;
	__u32 shost[4], shost_mask[4];
	__u32 dhost[4], dhost_mask[4];
	__u8 pattern[PFR_BPF_PATTERN_LEN];      /* zero after pattern_len */
	__u8 pattern_mask[PFR_BPF_PATTERN_LEN]; /* 0xff for each byte in use */
};

/* Counters of a rule. last_match_ns is CLOCK_MONOTONIC (bpf_ktime_get_ns);
 * the library sets it to "now" when it installs the rule. */
struct pfr_bpf_rule_stats {
	__u64 matched;
	__u64 filtered;
	__u64 last_match_ns;
};

struct pfr_bpf_hrule {
	__u16 rule_id;
	__u8 action;           /* enum pfr_action */
	__u8 reserved;         /* must be zero */
	__s32 reflect_ifindex;
	struct pfr_bpf_rule_stats st;
};

_Static_assert(sizeof(struct pfr_bpf_config) == 24, "pfr_bpf_config");
_Static_assert(sizeof(struct pfr_bpf_wc_rule) == 160, "pfr_bpf_wc_rule");
_Static_assert(sizeof(struct pfr_bpf_rule_stats) == 24, "rule_stats");
_Static_assert(sizeof(struct pfr_bpf_hrule) == 32, "pfr_bpf_hrule");

#endif /* PFR_FILTER_MAPS_H */
