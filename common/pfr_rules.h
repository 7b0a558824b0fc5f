/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Packet filtering rules with PF_RING's semantics (user's guide 5.6.2,
 * sections 8.10 and 11):
 *
 *  - wildcard rules: every field that is zero matches anything; rules are
 *    evaluated in ascending rule id; the first rule whose action stops
 *    evaluation decides;
 *  - precise ("hash") rules: an exact 6-tuple <vlan, proto, ip a, port a,
 *    ip b, port b> that matches both directions, looked up in O(1);
 *  - the default policy decides when no rule matched.
 *
 * Hash rules are checked before wildcard rules, as in PF_RING.
 *
 * The caller owns all memory: tables are arrays it allocates (kmalloc,
 * vmalloc or malloc) and hands over, so this file needs no allocator.
 * Nothing here locks; callers serialise changes against lookups.
 */
#ifndef PFR_RULES_H
#define PFR_RULES_H

#include "pfr_compat.h"
#include "pfr_hash.h"
#include "pfr_parse.h"

/* The same numbers as PF_RING's rule_action_behaviour. */
enum pfr_action {
	PFR_ACT_FORWARD_STOP = 0,
	PFR_ACT_DROP_STOP = 1,
	PFR_ACT_EXEC_CONTINUE = 2,
	PFR_ACT_EXEC_STOP = 3,
	PFR_ACT_FORWARD_ADD_RULE_STOP = 4,
	PFR_ACT_FORWARD_DEL_RULE_STOP = 5,
	PFR_ACT_REFLECT_STOP = 6,
	PFR_ACT_REFLECT_CONTINUE = 7,
	PFR_ACT_BOUNCE_STOP = 8,
	PFR_ACT_BOUNCE_CONTINUE = 9,
	PFR_ACT_MAX = 9,
};

/* What an action does (docs/filtering.md, Actions), as flags. */
#define PFR_ACTF_STOP 0x01     /* stop rule evaluation */
#define PFR_ACTF_FORWARD 0x02  /* with STOP: deliver; STOP alone: keep out */
#define PFR_ACTF_REFLECT 0x04
#define PFR_ACTF_BOUNCE 0x08
#define PFR_ACTF_ADD_RULE 0x10
#define PFR_ACTF_DEL_RULE 0x20

/* A switch rather than a table so that the eBPF filter, which includes
 * this header, can use it too. Unknown actions forward and stop. */
static inline pfr_u8 pfr_action_flags(pfr_u8 action)
{
	switch (action) {
	case PFR_ACT_DROP_STOP:
	case PFR_ACT_EXEC_STOP:
		return PFR_ACTF_STOP;
	case PFR_ACT_EXEC_CONTINUE:
		return 0;
	case PFR_ACT_FORWARD_ADD_RULE_STOP:
		return PFR_ACTF_STOP | PFR_ACTF_FORWARD | PFR_ACTF_ADD_RULE;
	case PFR_ACT_FORWARD_DEL_RULE_STOP:
		return PFR_ACTF_STOP | PFR_ACTF_FORWARD | PFR_ACTF_DEL_RULE;
	case PFR_ACT_REFLECT_STOP:
		return PFR_ACTF_STOP | PFR_ACTF_REFLECT;
	case PFR_ACT_REFLECT_CONTINUE:
		return PFR_ACTF_REFLECT;
	case PFR_ACT_BOUNCE_STOP:
		return PFR_ACTF_STOP | PFR_ACTF_BOUNCE;
	case PFR_ACT_BOUNCE_CONTINUE:
		return PFR_ACTF_BOUNCE;
	}
	return PFR_ACTF_STOP | PFR_ACTF_FORWARD;
}

#define PFR_PATTERN_LEN 32

/* A wildcard rule. Zero in a field means "any". */
struct pfr_wc_rule {
	pfr_u16 rule_id;
	pfr_u8 action;         /* enum pfr_action */
	pfr_u8 bidirectional;  /* also try with source and destination swapped */
	pfr_u8 balance_id;     /* with balance_pool > 0: match only when */
	pfr_u8 balance_pool;   /*   5-tuple hash % balance_pool == balance_id */
	pfr_u8 locked;         /* never purged as idle */
	pfr_u8 proto;
	pfr_u8 smac[PFR_ETH_ALEN], dmac[PFR_ETH_ALEN];
	pfr_u16 vlan_id;
	pfr_u8 ip_version;     /* 4 or 6 for host fields; 0 = both/unused */
	pfr_u8 pattern_len;    /* bytes of payload_pattern in use (0 = any) */
	struct pfr_ip shost, shost_mask, dhost, dhost_mask;
	pfr_u16 sport_low, sport_high; /* both 0: any; high < low: = low */
	pfr_u16 dport_low, dport_high;
	pfr_s32 reflect_ifindex;       /* for reflect actions */
	char payload_pattern[PFR_PATTERN_LEN];
	/* Kept by pfr_ruleset_eval (copied as given by pfr_wc_add): */
	pfr_u64 matched;       /* packets that matched */
	pfr_u64 filtered;      /* matched packets its own action kept out */
	pfr_u64 last_match;    /* caller's clock (seconds) at last match; */
			       /*   the caller sets it to "now" when adding */
};

/* A precise rule's key in canonical order (see pfr_hrule_key_make). */
struct pfr_hrule_key {
	struct pfr_ip host_a, host_b;
	pfr_u16 port_a, port_b;
	pfr_u16 vlan_id;
	pfr_u8 proto;
	pfr_u8 ip_version;
};

struct pfr_hrule {
	struct pfr_hrule_key key;
	pfr_u16 rule_id;
	pfr_u8 action;
	pfr_u8 in_use;
	pfr_s32 reflect_ifindex;
	pfr_u32 next;          /* chain: index + 1 of the next entry, 0 = end */
	pfr_u64 matched;       /* as in pfr_wc_rule */
	pfr_u64 filtered;
	pfr_u64 last_match;    /* the caller sets it to "now" when adding */
};

/* A precise-rule table over caller-provided arrays. */
struct pfr_htable {
	pfr_u32 *buckets;      /* nbuckets heads: index + 1, 0 = empty */
	struct pfr_hrule *rules;
	pfr_u32 nbuckets;      /* power of two */
	pfr_u32 capacity;      /* entries in rules[] */
	pfr_u32 count;
	pfr_u32 free_head;     /* free list through .next, index + 1 */
};

/* What evaluation decided for one packet. */
struct pfr_verdict {
	pfr_u8 forward;          /* deliver to the ring */
	pfr_u8 reflect;          /* transmit a copy on reflect_ifindex */
	pfr_u8 bounce;           /* transmit a copy back out the input device */
	pfr_u8 add_hash_rule;    /* install a forward hash rule for the flow */
	pfr_u8 del_hash_rule;    /* remove the flow's hash rule */
	pfr_u8 matched;          /* some rule matched */
	pfr_u16 rule_id;         /* the last rule that matched */
	pfr_s32 reflect_ifindex;
};

/*
 * Symmetric flow hash of a parsed packet: pfr_flow_key_make over the
 * address words of struct pfr_ip (IPv4: v4, host order, in word 0).
 */
pfr_u32 pfr_pkt_flow_hash(const struct pfr_pkt_info *p, enum pfr_tuple tuple);

/*
 * Normalise a wildcard rule in place; returns 0 or -1 if invalid.
 * Normalising: a port range with high < low becomes low..low; a zero mask
 * with a non-zero host becomes all ones (v4 only with ip_version 4, else
 * all 16 bytes); ip_version 0 becomes 6 when bytes 4..15 of either host are
 * non-zero. Hosts are then compared in the packet's family (v4 against
 * IPv4, 16 bytes against IPv6), limited to ip_version's family when set.
 * Invalid: action > PFR_ACT_MAX, pattern_len > PFR_PATTERN_LEN,
 * balance_id >= balance_pool > 0, ip_version 4 with a host whose bytes
 * 4..15 are non-zero, ip_version other than 0, 4 or 6.
 */
int pfr_wc_rule_check(struct pfr_wc_rule *r);

/*
 * Does @r (normalised by pfr_wc_rule_check) match packet @p (parsed to
 * PFR_LEVEL_PAYLOAD; @pkt/@caplen for the payload pattern)? Does not touch
 * the rule's counters.
 */
int pfr_wc_rule_match(const struct pfr_wc_rule *r, const struct pfr_pkt_info *p,
		      const pfr_u8 *pkt, pfr_u32 caplen);

/*
 * Wildcard rule list: @rules is an array of @max entries of which @count
 * are in use, kept sorted by rule_id. pfr_wc_add stores a normalised copy
 * (counters as given: set last_match to "now" when adding, so an idle
 * purge counts from then) and fails with -1 if the rule is invalid, the id
 * exists or the array is full.
 */
struct pfr_wc_list {
	struct pfr_wc_rule *rules;
	pfr_u32 count, max;
};

int pfr_wc_add(struct pfr_wc_list *l, const struct pfr_wc_rule *r);
int pfr_wc_remove(struct pfr_wc_list *l, pfr_u16 rule_id);
struct pfr_wc_rule *pfr_wc_find(struct pfr_wc_list *l, pfr_u16 rule_id);
/*
 * Remove the rules not locked whose last_match is @idle or more seconds
 * before @now; returns how many.
 */
pfr_u32 pfr_wc_purge(struct pfr_wc_list *l, pfr_u64 now, pfr_u64 idle);

/*
 * Precise rules. @buckets must hold @nbuckets words; a count that is not a
 * power of two is rounded down to one (0 makes a table that holds nothing).
 * Keys are canonical: the endpoint with the smaller (host, port) is a
 * (IPv4 hosts compare as numbers, others as 16 bytes), unused bytes zero.
 * add and remove canonicalise the key they are given; lookup expects a key
 * from pfr_hrule_key_make or pfr_hrule_key_from_pkt.
 */
void pfr_htable_init(struct pfr_htable *t, pfr_u32 *buckets, pfr_u32 nbuckets,
		     struct pfr_hrule *rules, pfr_u32 capacity);
void pfr_hrule_key_make(struct pfr_hrule_key *k, pfr_u8 ip_version,
			const struct pfr_ip *a, pfr_u16 port_a,
			const struct pfr_ip *b, pfr_u16 port_b,
			pfr_u8 proto, pfr_u16 vlan_id);
void pfr_hrule_key_from_pkt(struct pfr_hrule_key *k, const struct pfr_pkt_info *p);
/*
 * Copies @r (counters as given; set last_match to "now" when adding).
 * Returns 0, -1 if the key exists, -2 if the table is full, -3 if the
 * action is not an enum pfr_action.
 */
int pfr_htable_add(struct pfr_htable *t, const struct pfr_hrule *r);
/* Returns 0 or -1 if absent. */
int pfr_htable_remove(struct pfr_htable *t, const struct pfr_hrule_key *k);
struct pfr_hrule *pfr_htable_lookup(const struct pfr_htable *t,
				    const struct pfr_hrule_key *k);
/* Remove rules whose last_match is @idle or more seconds before @now. */
pfr_u32 pfr_htable_purge(struct pfr_htable *t, pfr_u64 now, pfr_u64 idle);

/* A ring's whole rule state. */
struct pfr_ruleset {
	struct pfr_wc_list wc;
	struct pfr_htable ht;
	pfr_u8 default_accept;   /* policy when nothing matched (PF_RING: 1) */
};

/*
 * Evaluate @rs on packet @p at time @now (seconds): hash rules first (IP
 * packets only), then wildcard rules in id order, then the default policy.
 * Updates the counters of the rules that matched, and applies
 * FORWARD_ADD_RULE (ignored when the table is full) / DEL_RULE to the hash
 * table itself. Fills @v.
 */
void pfr_ruleset_eval(struct pfr_ruleset *rs, const struct pfr_pkt_info *p,
		      const pfr_u8 *pkt, pfr_u32 caplen, pfr_u64 now,
		      struct pfr_verdict *v);

#endif /* PFR_RULES_H */
