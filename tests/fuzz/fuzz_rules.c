// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libFuzzer harness: rule sets and a packet, through pfr_ruleset_eval().
 *
 * Input: one header byte (bits 0-2: wildcard rules, 3-4: hash rules,
 * 5: default policy, 6-7: purge idle time), then WC_REC bytes per wildcard
 * rule and H_REC bytes per hash rule (layouts below), then the frame.
 * Checked: normalisation and list order, symmetry of flow hashes, hash
 * keys and bidirectional rules, the verdict against the rules' counters,
 * FORWARD_ADD_RULE / DEL_RULE effects, and the hash table's structure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pfr_rules.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

#define MAX_WC 7
#define HT_CAP 4

/* clang-format off */
/* Wildcard rule record. */
enum {
	W_ID, W_ACTION, W_FLAGS, W_POOL, W_BID, W_PROTO, W_VLAN, /* 2 */
	W_SHOST = 8, W_SLEN = 12, W_DHOST = 13, W_DLEN = 17, W_SPORT = 18,
	W_DPORT = 22, W_PATLEN = 26, W_PAT = 27, WC_REC = 31
};
#define WF_BIDIR 0x01
#define WF_LOCKED 0x02
#define WF_V6 0x04     /* hosts are 2001:db8::<4 bytes> */
#define WF_SMAC 0x08   /* smac: the frame's source MAC */
#define WF_DMAC 0x10   /* dmac: the frame's destination MAC */
#define WF_VERSION 0x20 /* ip_version given (4, or 6 with WF_V6) */

/* Hash rule record. */
enum { H_ID, H_ACTION, H_FLAGS, H_PROTO, H_VLAN, /* 2 */
       H_A = 6, H_B = 10, H_PA = 14, H_PB = 15, H_REC = 16 };
#define HF_FROM_PKT 0x01 /* the frame's own key ... */
#define HF_REVERSE 0x02  /* ... built from the other direction ... */
#define HF_BUMP 0x04     /* ... with port a changed */
#define HF_V6 0x08
/* clang-format on */

struct state {
	struct pfr_wc_rule wc[MAX_WC];
	struct pfr_hrule hr[HT_CAP];
	pfr_u32 buckets[HT_CAP];
	struct pfr_ruleset rs;
	const uint8_t *pkt;
	uint32_t caplen;
	struct pfr_pkt_info pi, rev;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

static void host(struct pfr_ip *a, const uint8_t *p, int v6)
{
	memset(a, 0, sizeof(*a));
	if (!v6) {
		a->v4 = be32(p);
		return;
	}
	a->v6[0] = 0x20;
	a->v6[1] = 0x01;
	a->v6[2] = 0x0d;
	a->v6[3] = 0xb8;
	memcpy(a->v6 + 12, p, 4);
}

static void prefix_mask(struct pfr_ip *m, uint8_t len, int v6)
{
	int bits = v6 ? len % 129 : len % 33, i;

	memset(m, 0, sizeof(*m));
	if (!v6) {
		m->v4 = bits ? 0xffffffffu << (32 - bits) : 0;
		return;
	}
	for (i = 0; i < 16; i++, bits -= 8)
		m->v6[i] = bits >= 8  ? 0xff
			   : bits > 0 ? (uint8_t)(0xff << (8 - bits))
				      : 0;
}

static void decode_wc(struct pfr_wc_rule *r, const uint8_t *p,
		      const struct state *st)
{
	int v6 = p[W_FLAGS] & WF_V6;

	memset(r, 0, sizeof(*r));
	r->rule_id = p[W_ID];
	r->action = p[W_ACTION] % 12; /* a few invalid ones too */
	r->bidirectional = p[W_FLAGS] & WF_BIDIR;
	r->locked = !!(p[W_FLAGS] & WF_LOCKED);
	r->balance_pool = p[W_POOL] % 5;
	r->balance_id = p[W_BID] % 5;
	r->proto = p[W_PROTO];
	r->vlan_id = be16(p + W_VLAN) & 0xfff;
	if (p[W_FLAGS] & WF_VERSION)
		r->ip_version = v6 ? 6 : 4;
	if (be32(p + W_SHOST))
		host(&r->shost, p + W_SHOST, v6);
	prefix_mask(&r->shost_mask, p[W_SLEN], v6);
	if (be32(p + W_DHOST))
		host(&r->dhost, p + W_DHOST, v6);
	prefix_mask(&r->dhost_mask, p[W_DLEN], v6);
	r->sport_low = be16(p + W_SPORT);
	r->sport_high = be16(p + W_SPORT + 2);
	r->dport_low = be16(p + W_DPORT);
	r->dport_high = be16(p + W_DPORT + 2);
	r->pattern_len = p[W_PATLEN] % 6; /* 5 is too long for W_PAT's 4 */
	memcpy(r->payload_pattern, p + W_PAT, 4);
	if (r->pattern_len > 4)
		r->pattern_len = PFR_PATTERN_LEN + 1;
	if ((p[W_FLAGS] & WF_SMAC) && st->caplen >= 12)
		memcpy(r->smac, st->pkt + 6, 6);
	if ((p[W_FLAGS] & WF_DMAC) && st->caplen >= 6)
		memcpy(r->dmac, st->pkt, 6);
	r->last_match = 5;
}

static void decode_h(struct pfr_hrule *r, const uint8_t *p,
		     const struct state *st)
{
	int v6 = p[H_FLAGS] & HF_V6;
	struct pfr_ip a, b;

	memset(r, 0, sizeof(*r));
	r->rule_id = p[H_ID];
	r->action = p[H_ACTION] % 12;
	r->last_match = p[H_FLAGS] >> 4;
	if (p[H_FLAGS] & HF_FROM_PKT) {
		pfr_hrule_key_from_pkt(
		    &r->key, p[H_FLAGS] & HF_REVERSE ? &st->rev : &st->pi);
		if (p[H_FLAGS] & HF_BUMP)
			r->key.port_a++;
		return;
	}
	host(&a, p + H_A, v6);
	host(&b, p + H_B, v6);
	pfr_hrule_key_make(&r->key, v6 ? 6 : 4, &a, p[H_PA], &b, p[H_PB],
			   p[H_PROTO], be16(p + H_VLAN) & 0xfff);
}

/* The same packet seen from the other end. */
static void reverse_info(struct pfr_pkt_info *q, const struct pfr_pkt_info *p)
{
	*q = *p;
	memcpy(q->smac, p->dmac, sizeof(q->smac));
	memcpy(q->dmac, p->smac, sizeof(q->dmac));
	q->ip_src = p->ip_dst;
	q->ip_dst = p->ip_src;
	q->l4_src_port = p->l4_dst_port;
	q->l4_dst_port = p->l4_src_port;
}

static void check_symmetry(const struct state *st)
{
	struct pfr_hrule_key k1, k2;
	int t;

	for (t = PFR_TUPLE_2; t <= PFR_TUPLE_6; t++)
		CHECK(pfr_pkt_flow_hash(&st->pi, (enum pfr_tuple)t) ==
		      pfr_pkt_flow_hash(&st->rev, (enum pfr_tuple)t));
	pfr_hrule_key_from_pkt(&k1, &st->pi);
	pfr_hrule_key_from_pkt(&k2, &st->rev);
	CHECK(!memcmp(&k1, &k2, sizeof(k1)));
}

static void add_rules(struct state *st, const uint8_t *p, int nwc, int nh)
{
	struct pfr_wc_rule r, norm;
	struct pfr_hrule_key k;
	struct pfr_hrule h;
	int i, rc;

	for (i = 0; i < nwc; i++, p += WC_REC) {
		decode_wc(&r, p, st);
		norm = r;
		rc = pfr_wc_rule_check(&norm);
		if (pfr_wc_add(&st->rs.wc, &r) == 0)
			CHECK(rc == 0 &&
			      !memcmp(pfr_wc_find(&st->rs.wc, r.rule_id), &norm,
				      sizeof(norm)));
		else
			CHECK(rc < 0 || pfr_wc_find(&st->rs.wc, r.rule_id));
	}
	for (i = 1; i < (int)st->rs.wc.count; i++)
		CHECK(st->rs.wc.rules[i - 1].rule_id <
		      st->rs.wc.rules[i].rule_id);
	for (i = 0; i < nh; i++, p += H_REC) {
		decode_h(&h, p, st);
		rc = pfr_htable_add(&st->rs.ht, &h);
		CHECK(rc == 0 || rc == -1 || rc == -2 || rc == -3);
		CHECK(rc != -3 || h.action > PFR_ACT_MAX);
		/* HF_BUMP may leave the key out of order: add sorts it. */
		pfr_hrule_key_make(&k, h.key.ip_version, &h.key.host_a,
				   h.key.port_a, &h.key.host_b, h.key.port_b,
				   h.key.proto, h.key.vlan_id);
		CHECK(rc != 0 || pfr_htable_lookup(&st->rs.ht, &k));
	}
}

/* Every entry in use is on its chain, and nothing else is. */
static void check_table(const struct pfr_htable *t)
{
	pfr_u32 i, b, n, in_use = 0, chained = 0;

	CHECK(t->count <= t->capacity);
	for (i = 0; i < t->capacity; i++) {
		if (!t->rules[i].in_use)
			continue;
		in_use++;
		CHECK(pfr_htable_lookup(t, &t->rules[i].key) == &t->rules[i]);
	}
	for (b = 0; b < t->nbuckets; b++) {
		for (n = t->buckets[b]; n; n = t->rules[n - 1].next) {
			CHECK(n <= t->capacity && t->rules[n - 1].in_use);
			CHECK(++chained <= t->capacity);
		}
	}
	CHECK(in_use == t->count && chained == t->count);
}

static uint64_t total_matched(const struct state *st)
{
	uint64_t sum = 0;
	pfr_u32 i;

	for (i = 0; i < st->rs.wc.count; i++)
		sum += st->rs.wc.rules[i].matched;
	for (i = 0; i < st->rs.ht.capacity; i++)
		sum +=
		    st->rs.ht.rules[i].in_use ? st->rs.ht.rules[i].matched : 0;
	return sum;
}

static void check_bidir(const struct state *st)
{
	const struct pfr_wc_rule *r;
	pfr_u32 i;

	for (i = 0; i < st->rs.wc.count; i++) {
		r = &st->rs.wc.rules[i];
		if (r->bidirectional)
			CHECK(pfr_wc_rule_match(r, &st->pi, st->pkt,
						st->caplen) ==
			      pfr_wc_rule_match(r, &st->rev, st->pkt,
						st->caplen));
	}
}

static void eval_once(struct state *st, uint64_t now)
{
	uint64_t before = total_matched(st);
	pfr_u32 full = st->rs.ht.count == st->rs.ht.capacity;
	struct pfr_hrule_key k;
	struct pfr_verdict v;

	pfr_ruleset_eval(&st->rs, &st->pi, st->pkt, st->caplen, now, &v);
	CHECK(v.forward <= 1 && !(v.add_hash_rule && v.del_hash_rule));
	if (!v.matched)
		CHECK(v.forward == st->rs.default_accept && !v.reflect &&
		      !v.bounce && !v.add_hash_rule && !v.del_hash_rule &&
		      total_matched(st) == before);
	else
		CHECK(total_matched(st) > before ||
		      v.del_hash_rule); /* a hash rule may delete itself */
	/* Only IP packets have a 6-tuple to add or delete. */
	pfr_hrule_key_from_pkt(&k, &st->pi);
	if (v.add_hash_rule && st->pi.ip_version)
		CHECK(full || pfr_htable_lookup(&st->rs.ht, &k));
	if (v.del_hash_rule && st->pi.ip_version)
		CHECK(!pfr_htable_lookup(&st->rs.ht, &k));
	check_table(&st->rs.ht);
}

static int is_idle(uint64_t last, uint64_t now, uint64_t idle)
{
	return last <= now && now - last >= idle;
}

static void check_purged(const struct state *st, uint64_t now, uint64_t idle)
{
	pfr_u32 i;

	for (i = 0; i < st->rs.wc.count; i++)
		CHECK(st->rs.wc.rules[i].locked ||
		      !is_idle(st->rs.wc.rules[i].last_match, now, idle));
	for (i = 0; i < st->rs.ht.capacity; i++)
		CHECK(!st->rs.ht.rules[i].in_use ||
		      !is_idle(st->rs.ht.rules[i].last_match, now, idle));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st;
	int nwc, nh;
	size_t head;
	uint64_t idle;

	if (size < 1)
		return 0;
	nwc = data[0] & 7;
	nh = data[0] >> 3 & 3;
	head = 1 + (size_t)nwc * WC_REC + (size_t)nh * H_REC;
	if (size < head)
		return 0;
	memset(&st, 0, sizeof(st));
	st.rs.wc.rules = st.wc;
	st.rs.wc.max = MAX_WC;
	pfr_htable_init(&st.rs.ht, st.buckets, HT_CAP, st.hr, HT_CAP);
	st.rs.default_accept = !!(data[0] & 0x20);
	st.pkt = data + head;
	st.caplen = (uint32_t)(size - head);
	pfr_parse(st.pkt, st.caplen, PFR_LEVEL_PAYLOAD, &st.pi);
	reverse_info(&st.rev, &st.pi);
	check_symmetry(&st);
	add_rules(&st, data + 1, nwc, nh);
	check_bidir(&st);
	check_table(&st.rs.ht);
	eval_once(&st, 10);
	eval_once(&st, 11);
	idle = (uint64_t)(data[0] >> 6) * 3;
	pfr_wc_purge(&st.rs.wc, 12, idle);
	pfr_htable_purge(&st.rs.ht, 12, idle);
	check_purged(&st, 12, idle);
	check_table(&st.rs.ht);
	eval_once(&st, 13);
	return 0;
}
