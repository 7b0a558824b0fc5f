// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Wildcard and precise (hash) rules, and their evaluation, with the
 * semantics of docs/filtering.md.
 */
#include "pfr_rules.h"

pfr_u32 pfr_pkt_flow_hash(const struct pfr_pkt_info *p, enum pfr_tuple tuple)
{
	struct pfr_flow_key k;

	/* v6w[0] aliases v4 and the parser zeroes the rest: IPv4 in word 0. */
	pfr_flow_key_make(&k, tuple, p->ip_version, p->ip_src.v6w,
			  p->ip_dst.v6w, p->l4_src_port, p->l4_dst_port,
			  p->l3_proto, p->vlan_id);
	return pfr_flow_key_hash(&k);
}

/* Wildcard rules */

static int ip_is_zero(const struct pfr_ip *a)
{
	return !(a->v6w[0] | a->v6w[1] | a->v6w[2] | a->v6w[3]);
}

/* Bytes 4..15 in use: only an IPv6 address can be meant. */
static int host_is_v6(const struct pfr_ip *a)
{
	return (a->v6w[1] | a->v6w[2] | a->v6w[3]) != 0;
}

/*
 * PF_RING's ip_addr cannot tell 10.0.0.1 from 2001:db8:: (bytes 4..15
 * zero), so such a host stays family-neutral and is compared in the
 * packet's own family; only a host with bytes 4..15 set pins the rule to
 * IPv6.
 */
static int rule_family(struct pfr_wc_rule *r)
{
	int v6 = host_is_v6(&r->shost) || host_is_v6(&r->dhost);

	if (r->ip_version == 0 && v6)
		r->ip_version = 6;
	if (r->ip_version == 4 && v6)
		return -1;
	if (r->ip_version != 0 && r->ip_version != 4 && r->ip_version != 6)
		return -1;
	return 0;
}

static void fill_mask(const struct pfr_ip *host, struct pfr_ip *mask,
		      pfr_u8 ip_version)
{
	if (ip_is_zero(host) || !ip_is_zero(mask))
		return;
	if (ip_version == 4)
		mask->v4 = 0xffffffffu;
	else
		memset(mask->v6, 0xff, sizeof(mask->v6));
}

static void fix_range(pfr_u16 *low, pfr_u16 *high)
{
	if (*high < *low)
		*high = *low;
}

int pfr_wc_rule_check(struct pfr_wc_rule *r)
{
	if (r->action > PFR_ACT_MAX || r->pattern_len > PFR_PATTERN_LEN)
		return -1;
	if (r->balance_pool && r->balance_id >= r->balance_pool)
		return -1;
	if (rule_family(r) < 0)
		return -1;
	fill_mask(&r->shost, &r->shost_mask, r->ip_version);
	fill_mask(&r->dhost, &r->dhost_mask, r->ip_version);
	fix_range(&r->sport_low, &r->sport_high);
	fix_range(&r->dport_low, &r->dport_high);
	return 0;
}

static int mac_match(const pfr_u8 *rule_mac, const pfr_u8 *mac)
{
	static const pfr_u8 any[PFR_ETH_ALEN];

	return !memcmp(rule_mac, any, PFR_ETH_ALEN) ||
	       !memcmp(rule_mac, mac, PFR_ETH_ALEN);
}

/* IPv4 sits in word 0 with zeros after it on both sides: one loop fits. */
static int host_match(const struct pfr_wc_rule *r, const struct pfr_ip *host,
		      const struct pfr_ip *mask, pfr_u8 ip_version,
		      const struct pfr_ip *addr)
{
	int i;

	if (ip_is_zero(host))
		return 1;
	if (!ip_version || (r->ip_version && ip_version != r->ip_version))
		return 0;
	for (i = 0; i < 4; i++) {
		if ((addr->v6w[i] ^ host->v6w[i]) & mask->v6w[i])
			return 0;
	}
	return 1;
}

/* After pfr_wc_rule_check, high >= low, so high == 0 means "any". */
static int port_match(pfr_u16 low, pfr_u16 high, pfr_u16 port)
{
	return !high || (port >= low && port <= high);
}

/* The fields that depend on direction, with the packet's ends swapped. */
static int match_dir(const struct pfr_wc_rule *r, const struct pfr_pkt_info *p,
		     int swap)
{
	const pfr_u8 *smac = swap ? p->dmac : p->smac;
	const pfr_u8 *dmac = swap ? p->smac : p->dmac;
	const struct pfr_ip *src = swap ? &p->ip_dst : &p->ip_src;
	const struct pfr_ip *dst = swap ? &p->ip_src : &p->ip_dst;
	pfr_u16 sport = swap ? p->l4_dst_port : p->l4_src_port;
	pfr_u16 dport = swap ? p->l4_src_port : p->l4_dst_port;

	return mac_match(r->smac, smac) && mac_match(r->dmac, dmac) &&
	       host_match(r, &r->shost, &r->shost_mask, p->ip_version, src) &&
	       host_match(r, &r->dhost, &r->dhost_mask, p->ip_version, dst) &&
	       port_match(r->sport_low, r->sport_high, sport) &&
	       port_match(r->dport_low, r->dport_high, dport);
}

static int names_ip_field(const struct pfr_wc_rule *r)
{
	return r->proto || r->sport_high || r->dport_high ||
	       !ip_is_zero(&r->shost) || !ip_is_zero(&r->dhost);
}

static int payload_has(const struct pfr_wc_rule *r,
		       const struct pfr_pkt_info *p, const pfr_u8 *pkt,
		       pfr_u32 caplen)
{
	const pfr_u8 *pat = (const pfr_u8 *)r->payload_pattern;
	pfr_u32 off, last;

	if (p->payload_offset < 0 || (pfr_u32)p->payload_offset > caplen ||
	    caplen - (pfr_u32)p->payload_offset < r->pattern_len)
		return 0;
	last = caplen - r->pattern_len;
	for (off = (pfr_u32)p->payload_offset; off <= last; off++) {
		if (pkt[off] == pat[0] &&
		    !memcmp(pkt + off, pat, r->pattern_len))
			return 1;
	}
	return 0;
}

static int balance_match(const struct pfr_wc_rule *r,
			 const struct pfr_pkt_info *p)
{
	return pfr_pkt_flow_hash(p, PFR_TUPLE_5) % r->balance_pool ==
	       r->balance_id;
}

int pfr_wc_rule_match(const struct pfr_wc_rule *r, const struct pfr_pkt_info *p,
		      const pfr_u8 *pkt, pfr_u32 caplen)
{
	if (r->vlan_id && r->vlan_id != p->vlan_id)
		return 0;
	if (r->proto && r->proto != p->l3_proto)
		return 0;
	if (!p->ip_version && names_ip_field(r))
		return 0;
	if (!match_dir(r, p, 0) && !(r->bidirectional && match_dir(r, p, 1)))
		return 0;
	if (r->balance_pool && !balance_match(r, p))
		return 0;
	return !r->pattern_len || payload_has(r, p, pkt, caplen);
}

/* Index of the first rule whose id is >= @id. */
static pfr_u32 wc_lower_bound(const struct pfr_wc_list *l, pfr_u16 id)
{
	pfr_u32 lo = 0, hi = l->count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->rules[mid].rule_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int pfr_wc_add(struct pfr_wc_list *l, const struct pfr_wc_rule *r)
{
	struct pfr_wc_rule norm = *r;
	pfr_u32 pos, i;

	if (l->count >= l->max || pfr_wc_rule_check(&norm) < 0)
		return -1;
	pos = wc_lower_bound(l, r->rule_id);
	if (pos < l->count && l->rules[pos].rule_id == r->rule_id)
		return -1;
	for (i = l->count; i > pos; i--)
		l->rules[i] = l->rules[i - 1];
	l->rules[pos] = norm;
	l->count++;
	return 0;
}

int pfr_wc_remove(struct pfr_wc_list *l, pfr_u16 rule_id)
{
	pfr_u32 pos = wc_lower_bound(l, rule_id), i;

	if (pos >= l->count || l->rules[pos].rule_id != rule_id)
		return -1;
	for (i = pos; i + 1 < l->count; i++)
		l->rules[i] = l->rules[i + 1];
	l->count--;
	return 0;
}

struct pfr_wc_rule *pfr_wc_find(struct pfr_wc_list *l, pfr_u16 rule_id)
{
	pfr_u32 pos = wc_lower_bound(l, rule_id);

	if (pos >= l->count || l->rules[pos].rule_id != rule_id)
		return NULL;
	return &l->rules[pos];
}

/* A clock that went backwards makes nothing idle. */
static int is_idle(pfr_u64 last_match, pfr_u64 now, pfr_u64 idle)
{
	return now >= last_match && now - last_match >= idle;
}

pfr_u32 pfr_wc_purge(struct pfr_wc_list *l, pfr_u64 now, pfr_u64 idle)
{
	pfr_u32 i, kept = 0, removed;

	for (i = 0; i < l->count; i++) {
		if (!l->rules[i].locked &&
		    is_idle(l->rules[i].last_match, now, idle))
			continue;
		if (kept != i)
			l->rules[kept] = l->rules[i];
		kept++;
	}
	removed = l->count - kept;
	l->count = kept;
	return removed;
}

/* Precise rules */

void pfr_htable_init(struct pfr_htable *t, pfr_u32 *buckets, pfr_u32 nbuckets,
		     struct pfr_hrule *rules, pfr_u32 capacity)
{
	pfr_u32 i;

	while (nbuckets & (nbuckets - 1))
		nbuckets &= nbuckets - 1; /* keep the highest bit */
	if (!nbuckets)
		capacity = 0;
	t->buckets = buckets;
	t->rules = rules;
	t->nbuckets = nbuckets;
	t->capacity = capacity;
	t->count = 0;
	t->free_head = capacity ? 1 : 0;
	if (nbuckets)
		memset(buckets, 0, nbuckets * sizeof(*buckets));
	for (i = 0; i < capacity; i++) {
		rules[i].in_use = 0;
		rules[i].next = i + 1 < capacity ? i + 2 : 0;
	}
}

/* Does endpoint (x, xp) sort after (y, yp)? IPv4 compares as a number. */
static int hrule_endpoint_gt(pfr_u8 ip_version, const struct pfr_ip *x,
			     pfr_u16 xp, const struct pfr_ip *y, pfr_u16 yp)
{
	int c;

	if (ip_version == 4)
		c = (x->v4 > y->v4) - (x->v4 < y->v4);
	else
		c = memcmp(x->v6, y->v6, sizeof(x->v6));
	return c ? c > 0 : xp > yp;
}

static void hrule_copy_host(struct pfr_ip *to, const struct pfr_ip *from,
			    pfr_u8 ip_version)
{
	if (ip_version == 4)
		to->v4 = from->v4;
	else
		memcpy(to->v6, from->v6, sizeof(to->v6));
}

void pfr_hrule_key_make(struct pfr_hrule_key *k, pfr_u8 ip_version,
			const struct pfr_ip *a, pfr_u16 port_a,
			const struct pfr_ip *b, pfr_u16 port_b, pfr_u8 proto,
			pfr_u16 vlan_id)
{
	int swap = hrule_endpoint_gt(ip_version, a, port_a, b, port_b);

	/* Keys are compared with memcmp: no byte may be left undefined. */
	memset(k, 0, sizeof(*k));
	hrule_copy_host(&k->host_a, swap ? b : a, ip_version);
	hrule_copy_host(&k->host_b, swap ? a : b, ip_version);
	k->port_a = swap ? port_b : port_a;
	k->port_b = swap ? port_a : port_b;
	k->vlan_id = vlan_id;
	k->proto = proto;
	k->ip_version = ip_version;
}

void pfr_hrule_key_from_pkt(struct pfr_hrule_key *k,
			    const struct pfr_pkt_info *p)
{
	pfr_hrule_key_make(k, p->ip_version, &p->ip_src, p->l4_src_port,
			   &p->ip_dst, p->l4_dst_port, p->l3_proto, p->vlan_id);
}

/* Rebuild a caller's key in canonical form (it may name b before a). */
static void hrule_key_canon(struct pfr_hrule_key *out,
			    const struct pfr_hrule_key *in)
{
	pfr_hrule_key_make(out, in->ip_version, &in->host_a, in->port_a,
			   &in->host_b, in->port_b, in->proto, in->vlan_id);
}

static pfr_u32 hrule_bucket(const struct pfr_htable *t,
			    const struct pfr_hrule_key *k)
{
	pfr_u32 h = 0x5bd1e995u;
	int i;

	for (i = 0; i < 4; i++)
		h = pfr_hash_step(h, k->host_a.v6w[i]);
	for (i = 0; i < 4; i++)
		h = pfr_hash_step(h, k->host_b.v6w[i]);
	h = pfr_hash_step(h, ((pfr_u32)k->port_a << 16) | k->port_b);
	h = pfr_hash_step(h, ((pfr_u32)k->vlan_id << 16) |
				 ((pfr_u32)k->proto << 8) | k->ip_version);
	return pfr_hash_final(h) & (t->nbuckets - 1);
}

struct pfr_hrule *pfr_htable_lookup(const struct pfr_htable *t,
				    const struct pfr_hrule_key *k)
{
	pfr_u32 i;

	if (!t->count)
		return NULL;
	for (i = t->buckets[hrule_bucket(t, k)]; i; i = t->rules[i - 1].next) {
		if (!memcmp(&t->rules[i - 1].key, k, sizeof(*k)))
			return &t->rules[i - 1];
	}
	return NULL;
}

int pfr_htable_add(struct pfr_htable *t, const struct pfr_hrule *r)
{
	struct pfr_hrule_key k;
	struct pfr_hrule *e;
	pfr_u32 idx, b;

	if (r->action > PFR_ACT_MAX)
		return -3;
	hrule_key_canon(&k, &r->key);
	if (pfr_htable_lookup(t, &k))
		return -1;
	if (!t->free_head)
		return -2;
	idx = t->free_head;
	e = &t->rules[idx - 1];
	t->free_head = e->next;
	*e = *r;
	e->key = k;
	e->in_use = 1;
	b = hrule_bucket(t, &k);
	e->next = t->buckets[b];
	t->buckets[b] = idx;
	t->count++;
	return 0;
}

/* Take the entry that *@link points to off its chain onto the free list. */
static void hrule_unlink(struct pfr_htable *t, pfr_u32 *link)
{
	pfr_u32 idx = *link;
	struct pfr_hrule *e = &t->rules[idx - 1];

	*link = e->next;
	e->in_use = 0;
	e->next = t->free_head;
	t->free_head = idx;
	t->count--;
}

int pfr_htable_remove(struct pfr_htable *t, const struct pfr_hrule_key *k)
{
	struct pfr_hrule_key ck;
	pfr_u32 *link;

	if (!t->count)
		return -1;
	hrule_key_canon(&ck, k);
	link = &t->buckets[hrule_bucket(t, &ck)];
	for (; *link; link = &t->rules[*link - 1].next) {
		if (!memcmp(&t->rules[*link - 1].key, &ck, sizeof(ck))) {
			hrule_unlink(t, link);
			return 0;
		}
	}
	return -1;
}

pfr_u32 pfr_htable_purge(struct pfr_htable *t, pfr_u64 now, pfr_u64 idle)
{
	pfr_u32 b, *link, removed = 0;
	struct pfr_hrule *e;

	for (b = 0; b < t->nbuckets && t->count; b++) {
		link = &t->buckets[b];
		while (*link) {
			e = &t->rules[*link - 1];
			if (is_idle(e->last_match, now, idle)) {
				hrule_unlink(t, link);
				removed++;
			} else {
				link = &e->next;
			}
		}
	}
	return removed;
}

/* Evaluation */

/* An action outside the table (a rule edited in place) forwards. */
/* Record one matching rule in @v; returns its action's ACT_* flags. */
static pfr_u8 verdict_apply(struct pfr_verdict *v, pfr_u8 action,
			    pfr_u16 rule_id, pfr_s32 reflect_ifindex)
{
	pfr_u8 f = pfr_action_flags(action);

	v->matched = 1;
	v->rule_id = rule_id;
	if (f & PFR_ACTF_REFLECT) {
		v->reflect = 1;
		v->reflect_ifindex = reflect_ifindex;
	}
	if (f & PFR_ACTF_BOUNCE)
		v->bounce = 1;
	if (f & PFR_ACTF_ADD_RULE)
		v->add_hash_rule = 1;
	if (f & PFR_ACTF_DEL_RULE)
		v->del_hash_rule = 1;
	if (f & PFR_ACTF_STOP)
		v->forward = !!(f & PFR_ACTF_FORWARD);
	return f;
}

static int kept_out(pfr_u8 f)
{
	return (f & PFR_ACTF_STOP) && !(f & PFR_ACTF_FORWARD);
}

/* FORWARD_ADD_RULE / DEL_RULE act on the flow's own hash rule. */
static void table_effect(struct pfr_ruleset *rs, const struct pfr_pkt_info *p,
			 pfr_u8 f, pfr_u16 rule_id, pfr_u64 now)
{
	struct pfr_hrule h;

	if (!(f & (PFR_ACTF_ADD_RULE | PFR_ACTF_DEL_RULE)) || !p->ip_version)
		return;
	memset(&h, 0, sizeof(h));
	pfr_hrule_key_from_pkt(&h.key, p);
	if (f & PFR_ACTF_DEL_RULE) {
		pfr_htable_remove(&rs->ht, &h.key);
		return;
	}
	h.rule_id = rule_id;
	h.action = PFR_ACT_FORWARD_STOP;
	h.last_match = now;
	/* A full table only means this flow keeps going through the list. */
	pfr_htable_add(&rs->ht, &h);
}

static pfr_u8 eval_hash(struct pfr_ruleset *rs, const struct pfr_pkt_info *p,
			pfr_u64 now, struct pfr_verdict *v)
{
	struct pfr_hrule_key k;
	struct pfr_hrule *h;
	pfr_u16 rule_id;
	pfr_u8 f;

	if (!rs->ht.count || !p->ip_version)
		return 0;
	pfr_hrule_key_from_pkt(&k, p);
	h = pfr_htable_lookup(&rs->ht, &k);
	if (!h)
		return 0;
	f = verdict_apply(v, h->action, h->rule_id, h->reflect_ifindex);
	h->matched++;
	h->last_match = now;
	if (kept_out(f))
		h->filtered++;
	rule_id = h->rule_id; /* a DEL_RULE action frees h */
	table_effect(rs, p, f, rule_id, now);
	return f;
}

static pfr_u8 eval_wc(struct pfr_ruleset *rs, const struct pfr_pkt_info *p,
		      const pfr_u8 *pkt, pfr_u32 caplen, pfr_u64 now,
		      struct pfr_verdict *v)
{
	struct pfr_wc_rule *r;
	pfr_u8 f = 0;
	pfr_u32 i;

	for (i = 0; i < rs->wc.count && !(f & PFR_ACTF_STOP); i++) {
		r = &rs->wc.rules[i];
		if (!pfr_wc_rule_match(r, p, pkt, caplen))
			continue;
		f = verdict_apply(v, r->action, r->rule_id, r->reflect_ifindex);
		r->matched++;
		r->last_match = now;
		if (kept_out(f))
			r->filtered++;
		table_effect(rs, p, f, r->rule_id, now);
	}
	return f;
}

void pfr_ruleset_eval(struct pfr_ruleset *rs, const struct pfr_pkt_info *p,
		      const pfr_u8 *pkt, pfr_u32 caplen, pfr_u64 now,
		      struct pfr_verdict *v)
{
	pfr_u8 f;

	memset(v, 0, sizeof(*v));
	f = eval_hash(rs, p, now, v);
	if (!(f & PFR_ACTF_STOP))
		f = eval_wc(rs, p, pkt, caplen, now, v);
	if (!(f & PFR_ACTF_STOP))
		v->forward = rs->default_accept ? 1 : 0;
}
