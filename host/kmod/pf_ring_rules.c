// SPDX-License-Identifier: GPL-2.0
/*
 * A ring's filter state (wildcard list, precise-rule hash table, default
 * policy; matching itself is common/pfr_rules.c) and clusters of rings.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "pfr_kmod.h"

LIST_HEAD(pfr_clusters);

static u64 pfr_now(void)
{
	return ktime_get_seconds();
}

static void pfr_rules_update_active(struct pfr_sock *ps)
{
	ps->rules_active = ps->rules.wc.count || ps->rules.ht.count ||
			   !ps->rules.default_accept;
}

void pfr_rules_init(struct pfr_sock *ps)
{
	memset(&ps->rules, 0, sizeof(ps->rules));
	ps->rules.default_accept = 1;
	ps->rules_active = false;
}

void pfr_rules_free(struct pfr_sock *ps)
{
	kvfree(ps->rules.wc.rules);
	kvfree(ps->rules.ht.buckets);
	kvfree(ps->rules.ht.rules);
	ps->rules.wc.rules = NULL;
	ps->rules.ht.buckets = NULL;
	ps->rules.ht.rules = NULL;
}

static void pfr_ip_from_uapi(struct pfr_ip *ip, const __u8 b[16])
{
	memcpy(ip, b, sizeof(*ip));
}

static void pfr_wc_from_uapi(struct pfr_wc_rule *w, const struct pfring_wc_rule *u)
{
	memset(w, 0, sizeof(*w));
	w->rule_id = u->rule_id;
	w->action = u->action;
	w->bidirectional = u->bidirectional;
	w->balance_id = u->balance_id;
	w->balance_pool = u->balance_pool;
	w->locked = u->locked;
	w->proto = u->proto;
	memcpy(w->smac, u->smac, sizeof(w->smac));
	memcpy(w->dmac, u->dmac, sizeof(w->dmac));
	w->vlan_id = u->vlan_id;
	w->ip_version = u->ip_version;
	w->pattern_len = min_t(u8, u->pattern_len, PFR_PATTERN_LEN);
	pfr_ip_from_uapi(&w->shost, u->shost);
	pfr_ip_from_uapi(&w->shost_mask, u->shost_mask);
	pfr_ip_from_uapi(&w->dhost, u->dhost);
	pfr_ip_from_uapi(&w->dhost_mask, u->dhost_mask);
	w->sport_low = u->sport_low;
	w->sport_high = u->sport_high;
	w->dport_low = u->dport_low;
	w->dport_high = u->dport_high;
	w->reflect_ifindex = u->reflect_ifindex;
	memcpy(w->payload_pattern, u->payload_pattern, PFR_PATTERN_LEN);
}

static int pfr_htable_reserve(struct pfr_sock *ps, u32 want);

/*
 * Replaces the wildcard list with @optval (an array of struct
 * pfring_wc_rule). Counters of rules whose id survives are kept.
 */
int pfr_set_wc_rules(struct pfr_sock *ps, sockptr_t optval, unsigned int optlen)
{
	struct pfring_wc_rule *in = NULL;
	struct pfr_wc_list nl = { 0 };
	struct pfr_wc_rule *old;
	unsigned int n, i;
	u64 now = pfr_now();
	int err = 0;

	if (optlen % sizeof(*in))
		return -EINVAL;
	n = optlen / sizeof(*in);
	if (n > PFR_MAX_WC_RULES)
		return -ENOSPC;
	if (n) {
		in = kvmalloc_array(n, sizeof(*in), GFP_KERNEL);
		nl.rules = kvmalloc_array(n, sizeof(*nl.rules), GFP_KERNEL);
		if (!in || !nl.rules) {
			err = -ENOMEM;
			goto out;
		}
		if (copy_from_sockptr(in, optval, optlen)) {
			err = -EFAULT;
			goto out;
		}
	}
	nl.max = n;
	for (i = 0; i < n; i++) {
		struct pfr_wc_rule w;

		pfr_wc_from_uapi(&w, &in[i]);
		w.last_match = now;
		if (pfr_wc_add(&nl, &w) < 0) {
			err = -EINVAL;	/* bad field or duplicate id */
			goto out;
		}
		/* flow rules are added on the packet path: the table must exist */
		if (pfr_action_flags(w.action) & (PFR_ACTF_ADD_RULE | PFR_ACTF_DEL_RULE))
			err = pfr_htable_reserve(ps, 1);
		if (err)
			goto out;
	}

	spin_lock_bh(&ps->lock);
	for (i = 0; i < nl.count; i++) {
		struct pfr_wc_rule *prev = pfr_wc_find(&ps->rules.wc,
						       nl.rules[i].rule_id);

		if (prev) {
			nl.rules[i].matched = prev->matched;
			nl.rules[i].filtered = prev->filtered;
			nl.rules[i].last_match = prev->last_match;
		}
	}
	old = ps->rules.wc.rules;
	ps->rules.wc = nl;
	pfr_rules_update_active(ps);
	spin_unlock_bh(&ps->lock);
	nl.rules = old;
out:
	kvfree(nl.rules);
	kvfree(in);
	return err;
}

static void pfr_hrule_from_uapi(struct pfr_hrule *h, const struct pfring_hash_rule *u)
{
	struct pfr_ip a, b;

	memset(h, 0, sizeof(*h));
	pfr_ip_from_uapi(&a, u->host_a);
	pfr_ip_from_uapi(&b, u->host_b);
	pfr_hrule_key_make(&h->key, u->ip_version, &a, u->port_a, &b, u->port_b,
			   u->proto, u->vlan_id);
	h->rule_id = u->rule_id;
	h->action = u->action;
	h->reflect_ifindex = u->reflect_ifindex;
}

/* Grows (or creates) the hash table to hold @want rules. */
static int pfr_htable_reserve(struct pfr_sock *ps, u32 want)
{
	struct pfr_htable nt, ot;
	u32 cap, i;

	if (ps->rules.ht.rules && ps->rules.ht.capacity >= want)
		return 0;
	if (want > PFR_HASH_MAX)
		return -ENOSPC;
	cap = max_t(u32, PFR_HASH_MIN, ps->rules.ht.capacity * 2);
	cap = min_t(u32, max(cap, want), PFR_HASH_MAX);
	cap = roundup_pow_of_two(cap);

	memset(&nt, 0, sizeof(nt));
	nt.buckets = kvcalloc(cap, sizeof(*nt.buckets), GFP_KERNEL);
	nt.rules = kvcalloc(cap, sizeof(*nt.rules), GFP_KERNEL);
	if (!nt.buckets || !nt.rules) {
		kvfree(nt.buckets);
		kvfree(nt.rules);
		return -ENOMEM;
	}
	pfr_htable_init(&nt, nt.buckets, cap, nt.rules, cap);

	spin_lock_bh(&ps->lock);
	ot = ps->rules.ht;
	for (i = 0; ot.rules && i < ot.capacity; i++)
		if (ot.rules[i].in_use)
			pfr_htable_add(&nt, &ot.rules[i]);
	ps->rules.ht = nt;
	spin_unlock_bh(&ps->lock);
	kvfree(ot.buckets);
	kvfree(ot.rules);
	return 0;
}

int pfr_hash_add(struct pfr_sock *ps, const struct pfring_hash_rule *u)
{
	struct pfr_hrule h;
	int err, rc;

	if (u->action > PFR_ACT_MAX)
		return -EINVAL;
	pfr_hrule_from_uapi(&h, u);
	h.last_match = pfr_now();
	err = pfr_htable_reserve(ps, ps->rules.ht.count + 1);
	if (err)
		return err;
	spin_lock_bh(&ps->lock);
	rc = pfr_htable_add(&ps->rules.ht, &h);
	pfr_rules_update_active(ps);
	spin_unlock_bh(&ps->lock);
	if (rc == -1)
		return -EEXIST;
	return rc < 0 ? -EINVAL : 0;
}

int pfr_hash_del(struct pfr_sock *ps, const struct pfring_hash_rule *u)
{
	struct pfr_hrule h;
	int rc = -1;

	pfr_hrule_from_uapi(&h, u);
	spin_lock_bh(&ps->lock);
	if (ps->rules.ht.rules)
		rc = pfr_htable_remove(&ps->rules.ht, &h.key);
	pfr_rules_update_active(ps);
	spin_unlock_bh(&ps->lock);
	return rc < 0 ? -ENOENT : 0;
}

int pfr_wc_stats(struct pfr_sock *ps, struct pfring_wc_stats_req *req)
{
	struct pfr_wc_rule *r;
	int err = -ENOENT;

	if (req->rule_id > 0xffff)
		return -EINVAL;
	spin_lock_bh(&ps->lock);
	r = pfr_wc_find(&ps->rules.wc, req->rule_id);
	if (r) {
		req->matched = r->matched;
		req->filtered = r->filtered;
		req->idle_sec = pfr_now() - r->last_match;
		err = 0;
	}
	spin_unlock_bh(&ps->lock);
	return err;
}

int pfr_hash_stats(struct pfr_sock *ps, struct pfring_hash_stats_req *req)
{
	struct pfr_hrule h, *r = NULL;
	int err = -ENOENT;

	pfr_hrule_from_uapi(&h, &req->rule);
	spin_lock_bh(&ps->lock);
	if (ps->rules.ht.rules)
		r = pfr_htable_lookup(&ps->rules.ht, &h.key);
	if (r) {
		req->matched = r->matched;
		req->filtered = r->filtered;
		req->idle_sec = pfr_now() - r->last_match;
		err = 0;
	}
	spin_unlock_bh(&ps->lock);
	return err;
}

u32 pfr_purge_idle(struct pfr_sock *ps, u32 idle_sec, bool hash)
{
	u32 n = 0;

	spin_lock_bh(&ps->lock);
	if (hash && ps->rules.ht.rules)
		n = pfr_htable_purge(&ps->rules.ht, pfr_now(), idle_sec);
	else if (!hash)
		n = pfr_wc_purge(&ps->rules.wc, pfr_now(), idle_sec);
	ps->last_purged = n;
	pfr_rules_update_active(ps);
	spin_unlock_bh(&ps->lock);
	return n;
}

/*
 * "forward and add/delete a rule" actions: install or remove a precise
 * forward rule for the packet's flow. Called with ps->lock held, so only in
 * a table that exists and has room (no allocation on the packet path).
 */
void pfr_flow_rule_update(struct pfr_sock *ps, const struct pfr_pkt_info *info,
			  const struct pfr_verdict *v)
{
	struct pfr_hrule h;

	if (!info->ip_version)
		return;
	memset(&h, 0, sizeof(h));
	pfr_hrule_key_from_pkt(&h.key, info);
	if (v->add_hash_rule && ps->rules.ht.rules &&
	    ps->rules.ht.count < ps->rules.ht.capacity) {
		h.rule_id = v->rule_id;
		h.action = PFR_ACT_FORWARD_STOP;
		h.last_match = pfr_now();
		pfr_htable_add(&ps->rules.ht, &h);
	} else if (v->del_hash_rule && ps->rules.ht.rules) {
		pfr_htable_remove(&ps->rules.ht, &h.key);
	}
	pfr_rules_update_active(ps);
}

/* Clusters */

static struct pfr_cluster *pfr_cluster_find(struct net *net, u32 id)
{
	struct pfr_cluster *c;

	list_for_each_entry(c, &pfr_clusters, node)
		if (c->id == id && net_eq(read_pnet(&c->net), net))
			return c;
	return NULL;
}

int pfr_cluster_join(struct pfr_sock *ps, u32 id, u32 type)
{
	struct net *net = sock_net(&ps->sk);
	struct pfr_cluster *c;
	int err = 0;

	if (type > PFRING_CLUSTER_MAX)
		return -EINVAL;
	mutex_lock(&pfr_lock);
	if (ps->cluster) {
		err = ps->cluster->id == id ? 0 : -EBUSY;
		goto out;
	}
	c = pfr_cluster_find(net, id);
	if (c && c->type != type) {
		err = -EINVAL;	/* a cluster keeps the type it was made with */
		goto out;
	}
	if (c && c->nr >= PFRING_CLUSTER_MAX_MEMBERS) {
		err = -ENOSPC;
		goto out;
	}
	if (!c) {
		c = kzalloc(sizeof(*c), GFP_KERNEL);
		if (!c) {
			err = -ENOMEM;
			goto out;
		}
		write_pnet(&c->net, net);
		c->id = id;
		c->type = type;
		list_add_tail_rcu(&c->node, &pfr_clusters);
		atomic_inc(&pfr_nr_clusters);
	}
	WRITE_ONCE(c->members[c->nr], ps);
	smp_store_release(&c->nr, c->nr + 1);
	WRITE_ONCE(ps->cluster, c);
out:
	mutex_unlock(&pfr_lock);
	return err;
}

void pfr_cluster_leave(struct pfr_sock *ps)
{
	struct pfr_cluster *c;
	u32 i;

	mutex_lock(&pfr_lock);
	c = ps->cluster;
	if (!c)
		goto out;
	for (i = 0; i < c->nr; i++) {
		if (c->members[i] != ps)
			continue;
		WRITE_ONCE(c->members[i], c->members[c->nr - 1]);
		WRITE_ONCE(c->members[c->nr - 1], NULL);
		smp_store_release(&c->nr, c->nr - 1);
		break;
	}
	WRITE_ONCE(ps->cluster, NULL);
	if (!c->nr) {
		list_del_rcu(&c->node);
		kfree_rcu(c, rcu);
		atomic_dec(&pfr_nr_clusters);
	}
out:
	mutex_unlock(&pfr_lock);
}

static const enum pfr_tuple pfr_cluster_tuple[] = {
	[PFRING_CLUSTER_FLOW_6] = PFR_TUPLE_6,
	[PFRING_CLUSTER_FLOW_2] = PFR_TUPLE_2,
	[PFRING_CLUSTER_FLOW_4] = PFR_TUPLE_4,
	[PFRING_CLUSTER_FLOW_5] = PFR_TUPLE_5,
	[PFRING_CLUSTER_FLOW_TCP_5] = PFR_TUPLE_TCP_5,
};

/*
 * Picks the member of @c that gets a packet, among the @n members that can
 * take it (@cand, in membership order): by flow hash, so both directions of
 * a flow go to one member, or round robin.
 */
struct pfr_sock *pfr_cluster_pick(struct pfr_cluster *c, struct pfr_sock **cand,
				  unsigned int n, const struct pfr_pkt_info *info)
{
	u32 h;

	if (!n)
		return NULL;
	if (c->type == PFRING_CLUSTER_ROUND_ROBIN)
		h = (u32)atomic_inc_return(&c->rr);
	else
		h = pfr_pkt_flow_hash(info, pfr_cluster_tuple[c->type]);
	return cand[h % n];
}
