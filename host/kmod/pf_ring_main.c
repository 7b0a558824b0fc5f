// SPDX-License-Identifier: GPL-2.0
/*
 * pf_ring.ko: the PF_RING socket family. A PF_RING socket owns a capture
 * ring that its reader maps; one packet handler (a ptype_all tap, so any
 * driver works) copies each packet once into every ring that wants it,
 * after the ring's BPF program, wildcard and precise rules, sampling and,
 * for ring clusters, the per-flow or round-robin choice of one member.
 */
#include <linux/errqueue.h>
#include <linux/file.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <net/ip.h>
#include <net/net_namespace.h>

#include "pfr_kmod.h"

unsigned int pfr_min_num_slots = 4096;
module_param_named(min_num_slots, pfr_min_num_slots, uint, 0444);
MODULE_PARM_DESC(min_num_slots, "Minimum number of slots of a ring (default 4096)");

bool pfr_enable_tx_capture = true;
module_param_named(enable_tx_capture, pfr_enable_tx_capture, bool, 0444);
MODULE_PARM_DESC(enable_tx_capture, "Capture transmitted packets too (default 1)");

bool pfr_enable_ip_defrag;
module_param_named(enable_ip_defrag, pfr_enable_ip_defrag, bool, 0444);
MODULE_PARM_DESC(enable_ip_defrag, "Reassemble received IPv4 fragments before capture (default 0)");

bool pfr_quick_mode;
module_param_named(quick_mode, pfr_quick_mode, bool, 0444);
MODULE_PARM_DESC(quick_mode, "At most one ring per device and RX queue (default 0)");

static int pfr_transparent_mode;
module_param_named(transparent_mode, pfr_transparent_mode, int, 0444);
MODULE_PARM_DESC(transparent_mode, "0 only: modes 1 and 2 need PF_RING-aware drivers");

atomic_t pfr_nr_socks = ATOMIC_INIT(0);
atomic_t pfr_nr_mems = ATOMIC_INIT(0);
atomic_t pfr_nr_clusters = ATOMIC_INIT(0);
atomic_t pfr_nr_mem_fds = ATOMIC_INIT(0);
atomic64_t pfr_mem_bytes = ATOMIC64_INIT(0);

DEFINE_MUTEX(pfr_lock);
LIST_HEAD(pfr_rings);
static atomic_t pfr_next_ring_id = ATOMIC_INIT(0);

/* Set while this CPU transmits a reflected copy: its TX tap is ignored. */
static DEFINE_PER_CPU(int, pfr_xmit_nest);

/* Reassembly queue owner for enable_ip_defrag, distinct from the stack's. */
#define PFR_DEFRAG_USER (IP_DEFRAG_MACVLAN + 0x100)

/* One packet on its way through the rings. */
struct pfr_pkt {
	struct sk_buff *skb;		/* data at the MAC header */
	struct net_device *dev;
	struct net *net;
	bool tx;
	bool vlan;			/* a tag to put back at byte 12 */
	u32 len;			/* frame length with the tag */
	u16 queue;
	u64 ts;
	bool parsed;
	u32 parse_len;
	struct pfr_pkt_info info;
	u8 *buf;			/* first parse_len bytes of the frame */
};

struct pfr_scratch {
	u8 buf[PFR_PARSE_BYTES];
};
static DEFINE_PER_CPU(struct pfr_scratch, pfr_scratch);

static struct proto pfr_proto = {
	.name = "PF_RING",
	.owner = THIS_MODULE,
	.obj_size = sizeof(struct pfr_sock),
};

static const struct proto_ops pfr_ops;

/* Copies the first @n bytes of the frame, putting a stripped VLAN tag back. */
static void pfr_copy_frame(const struct pfr_pkt *p, u8 *dst, u32 n)
{
	const struct sk_buff *skb = p->skb;
	__be16 tag[2];
	u32 k;

	if (!p->vlan) {
		skb_copy_bits(skb, 0, dst, n);
		return;
	}
	k = min_t(u32, n, 2 * ETH_ALEN);
	skb_copy_bits(skb, 0, dst, k);
	if (n <= k)
		return;
	tag[0] = skb->vlan_proto;
	tag[1] = htons(skb_vlan_tag_get(skb));
	memcpy(dst + k, tag, min_t(u32, n - k, VLAN_HLEN));
	if (n > k + VLAN_HLEN)
		skb_copy_bits(skb, k, dst + k + VLAN_HLEN, n - k - VLAN_HLEN);
}

static void pfr_parse_pkt(struct pfr_pkt *p)
{
	if (p->parsed)
		return;
	p->buf = this_cpu_ptr(&pfr_scratch)->buf;
	p->parse_len = min_t(u32, p->len, PFR_PARSE_BYTES);
	pfr_copy_frame(p, p->buf, p->parse_len);
	pfr_parse(p->buf, p->parse_len, PFR_LEVEL_PAYLOAD, &p->info);
	p->parsed = true;
}

static int pfr_run_bpf(struct pfr_sock *ps, struct sk_buff *skb)
{
	struct sk_filter *filter;
	int res = 1;

	filter = rcu_dereference(ps->sk.sk_filter);
	if (filter)
		res = bpf_prog_run_clear_cb(filter->prog, skb);
	return res;
}

/* Whether @ps takes packets of this device, queue and direction at all. */
static bool pfr_wants(struct pfr_sock *ps, const struct pfr_pkt *p)
{
	if (!READ_ONCE(ps->enabled) || !ps->mem || ps->mode == PFRING_MODE_SEND_ONLY)
		return false;
	if (!net_eq(sock_net(&ps->sk), p->net))
		return false;
	if (ps->ifindex && ps->ifindex != p->dev->ifindex)
		return false;
	if (ps->queue >= 0 && (p->tx || ps->queue != p->queue))
		return false;
	if (p->tx && ps->direction == PFRING_DIR_RX)
		return false;
	if (!p->tx && ps->direction == PFRING_DIR_TX)
		return false;
	/* A ring does not see its own transmissions. */
	return !(p->tx && p->skb->sk == &ps->sk);
}

/* Sends a copy of the frame out of @ifindex (reflect) or back (bounce). */
static void pfr_reflect(struct pfr_sock *ps, const struct pfr_pkt *p, int ifindex)
{
	struct net_device *out;
	struct sk_buff *nskb;

	out = ifindex ? dev_get_by_index_rcu(p->net, ifindex) : p->dev;
	if (!out || !(out->flags & IFF_UP) || p->tx)
		return;
	nskb = skb_copy(p->skb, GFP_ATOMIC);
	if (!nskb)
		return;
	nskb->dev = out;
	skb_reset_mac_header(nskb);
	nskb->pkt_type = PACKET_OUTGOING;
	__this_cpu_inc(pfr_xmit_nest);
	dev_queue_xmit(nskb);
	__this_cpu_dec(pfr_xmit_nest);
	spin_lock(&ps->lock);
	ps->reflected++;
	spin_unlock(&ps->lock);
}

/* Copies the packet into the next free slot. Called with ps->lock held. */
static bool pfr_insert(struct pfr_sock *ps, struct pfr_pkt *p, u32 rule_id,
		       u32 snap)
{
	struct pfring_slot_hdr *sh;
	bool bad;
	u32 caplen;

	/* The reader's page is read only when the ring looks full. */
	if (ps->head - ps->tail_seen >= ps->num_slots &&
	    pfr_queued(ps, &bad) >= ps->num_slots) {
		ps->lost++;
		return false;
	}
	sh = (struct pfring_slot_hdr *)(ps->slots +
		(size_t)(ps->head & (ps->num_slots - 1)) * ps->slot_size);
	caplen = min3(p->len, ps->caplen, snap);
	sh->ts_ns = p->ts;
	sh->caplen = caplen;
	sh->len = p->len;
	sh->ifindex = p->dev->ifindex;
	sh->rx_queue = p->tx ? 0xffff : p->queue;
	sh->flags = (p->tx ? PFRING_SLOT_TX : 0) |
		    (p->vlan ? PFRING_SLOT_VLAN_INSERTED : 0);
	sh->reserved0 = 0;
	sh->rule_id = rule_id;
	sh->reserved1 = 0;
	pfr_copy_frame(p, (u8 *)(sh + 1), caplen);
	ps->head++;
	smp_store_release(&ps->hdr->head, ps->head);
	WRITE_ONCE(ps->hdr->tot_insert, ps->head);
	return true;
}

static void pfr_publish_counters(struct pfr_sock *ps)
{
	WRITE_ONCE(ps->hdr->tot_pkts, ps->seen);
	WRITE_ONCE(ps->hdr->tot_lost, ps->lost);
	WRITE_ONCE(ps->hdr->tot_filtered, ps->filtered);
	WRITE_ONCE(ps->hdr->wakeups, ps->wakeups);
}

/*
 * Called with ps->lock held and @q packets queued, fewer than the
 * watermark: makes sure a sleeping reader is woken when the poll duration
 * passes. Returns true when it has passed already.
 */
static bool pfr_duration_due(struct pfr_sock *ps, u64 q, u64 now)
{
	u64 due;

	if (!q || !ps->poll_duration || ps->dead)
		return false;
	due = ps->pending_since + (u64)ps->poll_duration * NSEC_PER_MSEC;
	if (now >= due)
		return true;
	if (!ps->timer_armed) {
		ps->timer_armed = true;
		hrtimer_start(&ps->timer, ns_to_ktime(due - now), HRTIMER_MODE_REL_SOFT);
	}
	return false;
}

static enum hrtimer_restart pfr_timer_fn(struct hrtimer *t)
{
	struct pfr_sock *ps = container_of(t, struct pfr_sock, timer);
	bool wake = false, bad;

	spin_lock(&ps->lock);
	ps->timer_armed = false;
	if (!ps->dead && !ps->woken && ps->mem && pfr_queued(ps, &bad) &&
	    skwq_has_sleeper(ps->sk.sk_wq)) {
		ps->wakeups++;
		ps->woken = true;
		wake = true;
	}
	spin_unlock(&ps->lock);
	if (wake)
		ps->sk.sk_data_ready(&ps->sk);
	return HRTIMER_NORESTART;
}

/* Filters, samples and copies one packet into one ring. */
static void pfr_deliver(struct pfr_sock *ps, struct pfr_pkt *p)
{
	struct pfr_verdict v = { .forward = 1 };
	u32 snap = U32_MAX, rule_id = U32_MAX;
	bool wake = false, bad, keep = true;
	int res;

	if (rcu_access_pointer(ps->sk.sk_filter)) {
		res = pfr_run_bpf(ps, p->skb);
		if (res <= 0)
			keep = false;
		else
			snap = res;
	}

	spin_lock(&ps->lock);
	if (unlikely(!ps->mem))
		goto unlock;
	ps->seen++;
	if (keep && ps->rules_active) {
		pfr_parse_pkt(p);
		pfr_ruleset_eval(&ps->rules, &p->info, p->buf, p->parse_len,
				 ktime_get_seconds(), &v);
		if (v.matched)
			rule_id = v.rule_id;
		if (v.add_hash_rule || v.del_hash_rule)
			pfr_flow_rule_update(ps, &p->info, &v);
		keep = v.forward;
	}
	if (keep && ps->sampling > 1 && ps->sample_cnt++ % ps->sampling)
		keep = false;
	if (!keep) {
		ps->filtered++;
	} else if (pfr_insert(ps, p, rule_id, snap)) {
		u64 q = ps->head - ps->tail_seen;

		/*
		 * One wake-up per sleep: until the reader polls again, more
		 * packets need not wake it (seed 004). tail_seen is exact
		 * while the reader sleeps (it polled first) and may lag while
		 * it reads, so the reader's page is read again, and the
		 * barrier of the sleeper check paid, only at the watermark.
		 * Below it only the first packet into a ring the reader had
		 * emptied does anything: it starts the poll-duration timer.
		 */
		if (q == 1) {
			ps->pending_since = ktime_get_ns();
			if (q < ps->watermark)
				pfr_duration_due(ps, q, ps->pending_since);
		}
		if (!ps->woken && q >= ps->watermark &&
		    pfr_queued(ps, &bad) >= ps->watermark &&
		    skwq_has_sleeper(ps->sk.sk_wq)) {
			ps->wakeups++;
			ps->woken = true;
			wake = true;
		}
	}
	pfr_publish_counters(ps);
unlock:
	spin_unlock(&ps->lock);
	if (wake)
		ps->sk.sk_data_ready(&ps->sk);
	if (v.reflect)
		pfr_reflect(ps, p, v.reflect_ifindex);
	if (v.bounce)
		pfr_reflect(ps, p, 0);
}

static void pfr_deliver_clusters(struct pfr_pkt *p)
{
	struct pfr_sock *cand[PFRING_CLUSTER_MAX_MEMBERS], *ps;
	struct pfr_cluster *c;
	unsigned int n, i, nr;

	list_for_each_entry_rcu(c, &pfr_clusters, node) {
		if (!net_eq(read_pnet(&c->net), p->net))
			continue;
		nr = smp_load_acquire(&c->nr);
		for (i = 0, n = 0; i < nr; i++) {
			ps = READ_ONCE(c->members[i]);
			if (ps && pfr_wants(ps, p))
				cand[n++] = ps;
		}
		if (!n)
			continue;
		if (c->type != PFRING_CLUSTER_ROUND_ROBIN)
			pfr_parse_pkt(p);
		ps = pfr_cluster_pick(c, cand, n, &p->info);
		pfr_deliver(ps, p);
	}
}

static int pfr_rcv(struct sk_buff *skb, struct net_device *dev,
		   struct packet_type *pt, struct net_device *orig_dev)
{
	struct pfr_pkt p;
	struct pfr_sock *ps;
	bool any_cluster = false;
	int mac_off = 0;

	if (skb->pkt_type == PACKET_LOOPBACK || list_empty(&pfr_rings) ||
	    __this_cpu_read(pfr_xmit_nest))
		goto out;
	p.tx = skb->pkt_type == PACKET_OUTGOING;
	if (p.tx && !pfr_enable_tx_capture)
		goto out;
	if (!p.tx && pfr_enable_ip_defrag && skb->protocol == htons(ETH_P_IP) &&
	    dev_has_header(dev)) {
		skb = ip_check_defrag(dev_net(dev), skb, PFR_DEFRAG_USER);
		if (!skb)
			return 0;	/* queued for reassembly */
	}

	if (dev_has_header(dev))
		mac_off = skb->data - skb_mac_header(skb);
	skb_push(skb, mac_off);

	p.skb = skb;
	p.dev = dev;
	p.net = dev_net(dev);
	p.vlan = skb_vlan_tag_present(skb);
	p.len = skb->len + (p.vlan ? VLAN_HLEN : 0);
	p.queue = skb_rx_queue_recorded(skb) ? skb_get_rx_queue(skb) : 0;
	p.ts = ktime_get_real_ns();
	p.parsed = false;

	rcu_read_lock();
	list_for_each_entry_rcu(ps, &pfr_rings, node) {
		if (READ_ONCE(ps->cluster)) {
			any_cluster = true;
			continue;
		}
		if (pfr_wants(ps, &p))
			pfr_deliver(ps, &p);
	}
	if (any_cluster)
		pfr_deliver_clusters(&p);
	rcu_read_unlock();

	skb_pull(skb, mac_off);
out:
	consume_skb(skb);
	return 0;
}

static struct packet_type pfr_ptype __read_mostly = {
	.type = cpu_to_be16(ETH_P_ALL),
	.func = pfr_rcv,
};

/* Socket life cycle */

static void pfr_sock_destruct(struct sock *sk)
{
	struct pfr_sock *ps = pfr_sk(sk);

	pfr_rules_free(ps);
	pfr_mem_put(ps->mem);
	ps->mem = NULL;
	atomic_dec(&pfr_nr_socks);
}

static int pfr_create(struct net *net, struct socket *sock, int protocol,
		      int kern)
{
	struct pfr_sock *ps;
	struct sock *sk;

	if (!ns_capable(net->user_ns, CAP_NET_RAW))
		return -EPERM;
	if (sock->type != SOCK_RAW)
		return -ESOCKTNOSUPPORT;
	sk = sk_alloc(net, PF_RING, GFP_KERNEL, &pfr_proto, kern);
	if (!sk)
		return -ENOMEM;
	sock->ops = &pfr_ops;
	sock_init_data(sock, sk);
	sock_set_flag(sk, SOCK_RCU_FREE);
	sk->sk_destruct = pfr_sock_destruct;

	ps = pfr_sk(sk);
	spin_lock_init(&ps->lock);
	INIT_LIST_HEAD(&ps->node);
	hrtimer_init(&ps->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	ps->timer.function = pfr_timer_fn;
	ps->ring_id = atomic_inc_return(&pfr_next_ring_id) - 1;
	ps->pid = task_tgid_nr(current);
	ps->queue = -1;
	ps->caplen_req = 1518;
	ps->sampling = 1;
	ps->watermark = 1;
	ps->direction = PFRING_DIR_BOTH;
	ps->mode = PFRING_MODE_SEND_RECV;
	BUILD_BUG_ON(sizeof(ps->appname) < TASK_COMM_LEN);
	__get_task_comm(ps->appname, sizeof(ps->appname), current);
	pfr_rules_init(ps);
	atomic_inc(&pfr_nr_socks);
	return 0;
}

static void pfr_promisc_set(struct pfr_sock *ps, bool on)
{
	struct net_device *dev;

	rtnl_lock();
	if (ps->promisc_dev && (!on || ps->promisc_dev->ifindex != ps->ifindex)) {
		dev_set_promiscuity(ps->promisc_dev, -1);
		dev_put(ps->promisc_dev);
		ps->promisc_dev = NULL;
	}
	if (on && !ps->promisc_dev && ps->ifindex > 0) {
		dev = __dev_get_by_index(sock_net(&ps->sk), ps->ifindex);
		if (dev && !dev_set_promiscuity(dev, 1)) {
			dev_hold(dev);
			ps->promisc_dev = dev;
		}
	}
	rtnl_unlock();
}

static int pfr_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct pfr_sock *ps;

	if (!sk)
		return 0;
	ps = pfr_sk(sk);
	WRITE_ONCE(ps->enabled, false);
	spin_lock_bh(&ps->lock);
	ps->dead = true;
	spin_unlock_bh(&ps->lock);
	hrtimer_cancel(&ps->timer);
	pfr_cluster_leave(ps);
	mutex_lock(&pfr_lock);
	if (ps->listed) {
		list_del_rcu(&ps->node);
		ps->listed = false;
	}
	mutex_unlock(&pfr_lock);
	pfr_proc_del_ring(ps);
	pfr_promisc_set(ps, false);

	sock_orphan(sk);
	sock->sk = NULL;
	sock_put(sk);	/* freed after an RCU grace period (SOCK_RCU_FREE) */
	return 0;
}

static bool pfr_quick_mode_taken(struct pfr_sock *ps, int ifindex, int queue)
{
	struct pfr_sock *o;

	list_for_each_entry(o, &pfr_rings, node)
		if (o != ps && net_eq(sock_net(&o->sk), sock_net(&ps->sk)) &&
		    o->ifindex == ifindex && o->queue == queue)
			return true;
	return false;
}

static int pfr_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_pfring *sa = (struct sockaddr_pfring *)uaddr;
	struct pfr_sock *ps = pfr_sk(sock->sk);
	struct net *net = sock_net(sock->sk);
	char name[IFNAMSIZ];
	struct net_device *dev;
	int ifindex = 0, err = 0;

	if (addr_len < (int)sizeof(*sa) || sa->spr_family != PF_RING)
		return -EINVAL;
	if (sa->spr_queue < -1)
		return -EINVAL;
	memcpy(name, sa->spr_ifname, IFNAMSIZ);
	name[IFNAMSIZ - 1] = 0;

	if (strcmp(name, PFRING_ANY_DEVICE) != 0) {
		rcu_read_lock();
		if (name[0])
			dev = dev_get_by_name_rcu(net, name);
		else
			dev = dev_get_by_index_rcu(net, sa->spr_ifindex);
		if (dev) {
			ifindex = dev->ifindex;
			memcpy(name, dev->name, IFNAMSIZ);
		}
		rcu_read_unlock();
		if (!dev)
			return -ENODEV;
	} else if (sa->spr_queue >= 0) {
		return -EINVAL;	/* a queue of every device means nothing */
	}

	lock_sock(sock->sk);
	mutex_lock(&pfr_lock);
	if (pfr_quick_mode && pfr_quick_mode_taken(ps, ifindex, sa->spr_queue)) {
		net_info_ratelimited("pf_ring: quick_mode: %s@%d has a ring already\n",
				     name, sa->spr_queue);
		err = -EBUSY;
		goto unlock;
	}
	spin_lock_bh(&ps->lock);
	ps->ifindex = ifindex;
	ps->queue = sa->spr_queue;
	memcpy(ps->ifname, name, IFNAMSIZ);
	ps->bound = true;
	spin_unlock_bh(&ps->lock);
	if (!ps->listed) {
		list_add_tail_rcu(&ps->node, &pfr_rings);
		ps->listed = true;
	}
unlock:
	mutex_unlock(&pfr_lock);
	if (!err) {
		pfr_proc_del_ring(ps);
		pfr_proc_add_ring(ps);
		if (ps->promisc)
			pfr_promisc_set(ps, true);
	}
	release_sock(sock->sk);
	return err;
}

/* Socket options: one helper each */

static int pfr_get_u32(sockptr_t optval, unsigned int optlen, u32 *v)
{
	if (optlen < sizeof(*v))
		return -EINVAL;
	return copy_from_sockptr(v, optval, sizeof(*v)) ? -EFAULT : 0;
}

static int pfr_opt_caplen(struct pfr_sock *ps, u32 v)
{
	if (v < 1 || v > PFR_MAX_CAPLEN)
		return -EINVAL;
	if (ps->mem && v > ps->caplen)
		return -EBUSY;	/* slots are sized already */
	ps->caplen_req = v;
	if (ps->mem) {
		spin_lock_bh(&ps->lock);
		ps->caplen = v;
		spin_unlock_bh(&ps->lock);
	}
	return 0;
}

static int pfr_opt_num_slots(struct pfr_sock *ps, u32 v)
{
	if (ps->mem)
		return -EBUSY;
	if (v < 2 || v > PFR_MAX_SLOTS)
		return -EINVAL;
	ps->num_slots_req = v;
	return 0;
}

static int pfr_opt_enable(struct pfr_sock *ps, u32 v)
{
	int err;

	if (v && !ps->bound)
		return -ENOTCONN;
	if (v) {
		err = pfr_ring_alloc(ps);
		if (err)
			return err;
	}
	WRITE_ONCE(ps->enabled, !!v);
	return 0;
}

static int pfr_opt_direction(struct pfr_sock *ps, u32 v)
{
	if (v > PFRING_DIR_TX)
		return -EINVAL;
	WRITE_ONCE(ps->direction, v);
	return 0;
}

static int pfr_opt_mode(struct pfr_sock *ps, u32 v)
{
	if (v > PFRING_MODE_RECV_ONLY)
		return -EINVAL;
	WRITE_ONCE(ps->mode, v);
	return 0;
}

static int pfr_opt_sampling(struct pfr_sock *ps, u32 v)
{
	if (v < 1)
		return -EINVAL;
	spin_lock_bh(&ps->lock);
	ps->sampling = v;
	ps->sample_cnt = 0;
	spin_unlock_bh(&ps->lock);
	return 0;
}

static int pfr_opt_watermark(struct pfr_sock *ps, u32 v)
{
	if (v < 1)
		return -EINVAL;
	WRITE_ONCE(ps->watermark, v);
	return 0;
}

static int pfr_opt_poll_duration(struct pfr_sock *ps, u32 v)
{
	spin_lock_bh(&ps->lock);
	ps->poll_duration = v;	/* 0: the watermark alone wakes the reader */
	spin_unlock_bh(&ps->lock);
	return 0;
}

static int pfr_opt_cluster_remove(struct pfr_sock *ps)
{
	pfr_cluster_leave(ps);
	return 0;
}

static int pfr_opt_promisc(struct pfr_sock *ps, u32 v)
{
	ps->promisc = !!v;
	if (ps->bound)
		pfr_promisc_set(ps, ps->promisc);
	return 0;
}

static int pfr_opt_appname(struct pfr_sock *ps, sockptr_t optval,
			   unsigned int optlen)
{
	char name[PFRING_APPNAME_MAX];
	unsigned int n = min_t(unsigned int, optlen, sizeof(name) - 1);

	if (copy_from_sockptr(name, optval, n))
		return -EFAULT;
	name[n] = 0;
	spin_lock_bh(&ps->lock);
	strscpy(ps->appname, name, sizeof(ps->appname));
	spin_unlock_bh(&ps->lock);
	return 0;
}

static int pfr_opt_cluster(struct pfr_sock *ps, sockptr_t optval,
			   unsigned int optlen)
{
	struct pfring_cluster_req req;

	if (optlen < sizeof(req))
		return -EINVAL;
	if (copy_from_sockptr(&req, optval, sizeof(req)))
		return -EFAULT;
	return pfr_cluster_join(ps, req.cluster_id, req.type);
}

static int pfr_opt_hash(struct pfr_sock *ps, sockptr_t optval,
			unsigned int optlen, bool add)
{
	struct pfring_hash_rule r;

	if (optlen < sizeof(r))
		return -EINVAL;
	if (copy_from_sockptr(&r, optval, sizeof(r)))
		return -EFAULT;
	return add ? pfr_hash_add(ps, &r) : pfr_hash_del(ps, &r);
}

static int pfr_opt_policy(struct pfr_sock *ps, u32 v)
{
	spin_lock_bh(&ps->lock);
	ps->rules.default_accept = !!v;
	ps->rules_active = ps->rules.wc.count || ps->rules.ht.count ||
			   !ps->rules.default_accept;
	spin_unlock_bh(&ps->lock);
	return 0;
}

static int pfr_opt_purge(struct pfr_sock *ps, sockptr_t optval,
			 unsigned int optlen)
{
	struct pfring_purge_req req;

	if (optlen < sizeof(req))
		return -EINVAL;
	if (copy_from_sockptr(&req, optval, sizeof(req)))
		return -EFAULT;
	pfr_purge_idle(ps, req.idle_sec, req.hash != 0);
	return 0;
}

static int pfr_setsockopt(struct socket *sock, int level, int optname,
			  sockptr_t optval, unsigned int optlen)
{
	struct pfr_sock *ps = pfr_sk(sock->sk);
	u32 v = 0;
	int err;

	if (level != SOL_PF_RING)
		return -ENOPROTOOPT;
	switch (optname) {
	case SO_PFRING_CAPLEN:
	case SO_PFRING_NUM_SLOTS:
	case SO_PFRING_ENABLE:
	case SO_PFRING_DIRECTION:
	case SO_PFRING_SOCKET_MODE:
	case SO_PFRING_SAMPLING:
	case SO_PFRING_WATERMARK:
	case SO_PFRING_POLL_DURATION:
	case SO_PFRING_PROMISC:
	case SO_PFRING_POLICY:
		err = pfr_get_u32(optval, optlen, &v);
		if (err)
			return err;
		break;
	}

	lock_sock(sock->sk);
	switch (optname) {
	case SO_PFRING_CAPLEN:
		err = pfr_opt_caplen(ps, v);
		break;
	case SO_PFRING_NUM_SLOTS:
		err = pfr_opt_num_slots(ps, v);
		break;
	case SO_PFRING_ENABLE:
		err = pfr_opt_enable(ps, v);
		break;
	case SO_PFRING_DIRECTION:
		err = pfr_opt_direction(ps, v);
		break;
	case SO_PFRING_SOCKET_MODE:
		err = pfr_opt_mode(ps, v);
		break;
	case SO_PFRING_SAMPLING:
		err = pfr_opt_sampling(ps, v);
		break;
	case SO_PFRING_WATERMARK:
		err = pfr_opt_watermark(ps, v);
		break;
	case SO_PFRING_POLL_DURATION:
		err = pfr_opt_poll_duration(ps, v);
		break;
	case SO_PFRING_PROMISC:
		err = pfr_opt_promisc(ps, v);
		break;
	case SO_PFRING_APPNAME:
		err = pfr_opt_appname(ps, optval, optlen);
		break;
	case SO_PFRING_CLUSTER:
		err = pfr_opt_cluster(ps, optval, optlen);
		break;
	case SO_PFRING_CLUSTER_REMOVE:
		err = pfr_opt_cluster_remove(ps);
		break;
	case SO_PFRING_WC_RULES:
		err = pfr_set_wc_rules(ps, optval, optlen);
		break;
	case SO_PFRING_HASH_ADD:
	case SO_PFRING_HASH_DEL:
		err = pfr_opt_hash(ps, optval, optlen, optname == SO_PFRING_HASH_ADD);
		break;
	case SO_PFRING_POLICY:
		err = pfr_opt_policy(ps, v);
		break;
	case SO_PFRING_PURGE_IDLE:
		err = pfr_opt_purge(ps, optval, optlen);
		break;
	default:
		err = -ENOPROTOOPT;
	}
	release_sock(sock->sk);
	return err;
}

static void pfr_fill_stats(struct pfr_sock *ps, struct pfring_ring_stats *st)
{
	memset(st, 0, sizeof(*st));
	spin_lock_bh(&ps->lock);
	st->recv = ps->head;
	st->drop = ps->lost;
	st->filtered = ps->filtered;
	st->seen = ps->seen;
	st->wakeups = ps->wakeups;
	st->reflected = ps->reflected;
	spin_unlock_bh(&ps->lock);
}

static int pfr_getsockopt(struct socket *sock, int level, int optname,
			  char __user *optval, int __user *optlen)
{
	struct pfr_sock *ps = pfr_sk(sock->sk);
	union {
		u32 u;
		s32 s;
		struct pfring_ring_info info;
		struct pfring_ring_stats stats;
		struct pfring_wc_stats_req wc;
		struct pfring_hash_stats_req hs;
		struct pfring_rule_counts rc;
		char name[PFRING_APPNAME_MAX];
	} val;
	struct file *memfile = NULL;
	int len, size = sizeof(u32), err = 0;

	if (level != SOL_PF_RING)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	memset(&val, 0, sizeof(val));

	lock_sock(sock->sk);
	switch (optname) {
	case SO_PFRING_VERSION:
		val.u = PFRING_UAPI_VERSION;
		break;
	case SO_PFRING_RING_INFO:
		if (!ps->bound) {
			err = -ENOTCONN;
			break;
		}
		err = pfr_ring_alloc(ps);
		val.info.tot_mem = ps->mem ? ps->mem->size : 0;
		val.info.num_slots = ps->num_slots;
		val.info.slot_size = ps->slot_size;
		val.info.caplen = ps->mem ? ps->hdr->caplen : ps->caplen_req;
		val.info.ring_id = ps->ring_id;
		size = sizeof(val.info);
		break;
	case SO_PFRING_CAPLEN:
		val.u = ps->mem ? ps->caplen : ps->caplen_req;
		break;
	case SO_PFRING_NUM_SLOTS:
		val.u = ps->mem ? ps->num_slots : ps->num_slots_req;
		break;
	case SO_PFRING_ENABLE:
		val.u = ps->enabled;
		break;
	case SO_PFRING_DIRECTION:
		val.u = ps->direction;
		break;
	case SO_PFRING_SOCKET_MODE:
		val.u = ps->mode;
		break;
	case SO_PFRING_SAMPLING:
		val.u = ps->sampling;
		break;
	case SO_PFRING_WATERMARK:
		val.u = ps->watermark;
		break;
	case SO_PFRING_POLL_DURATION:
		val.u = ps->poll_duration;
		break;
	case SO_PFRING_PROMISC:
		val.u = ps->promisc;
		break;
	case SO_PFRING_POLICY:
		val.u = ps->rules.default_accept;
		break;
	case SO_PFRING_APPNAME:
		spin_lock_bh(&ps->lock);
		strscpy(val.name, ps->appname, sizeof(val.name));
		spin_unlock_bh(&ps->lock);
		size = strlen(val.name) + 1;
		break;
	case SO_PFRING_WC_STATS:
		size = sizeof(val.wc);
		if (len < size || copy_from_user(&val.wc, optval, size))
			err = len < size ? -EINVAL : -EFAULT;
		else
			err = pfr_wc_stats(ps, &val.wc);
		break;
	case SO_PFRING_HASH_STATS:
		size = sizeof(val.hs);
		if (len < size || copy_from_user(&val.hs, optval, size))
			err = len < size ? -EINVAL : -EFAULT;
		else
			err = pfr_hash_stats(ps, &val.hs);
		break;
	case SO_PFRING_STATS:
		pfr_fill_stats(ps, &val.stats);
		size = sizeof(val.stats);
		break;
	case SO_PFRING_MMAP_FD:
		if (!ps->mem) {
			err = -ENOTCONN;
			break;
		}
		if (len < size) {
			err = -EINVAL;
			break;
		}
		val.s = get_unused_fd_flags(O_CLOEXEC);
		if (val.s < 0) {
			err = val.s;
			break;
		}
		memfile = pfr_mem_file(ps->mem);
		if (IS_ERR(memfile)) {
			put_unused_fd(val.s);
			err = PTR_ERR(memfile);
		}
		break;
	case SO_PFRING_RING_ID:
		val.u = ps->ring_id;
		break;
	case SO_PFRING_BOUND_IFINDEX:
		val.s = ps->ifindex;
		break;
	case SO_PFRING_RULE_COUNTS:
		spin_lock_bh(&ps->lock);
		val.rc.wc_rules = ps->rules.wc.count;
		val.rc.hash_rules = ps->rules.ht.count;
		val.rc.last_purged = ps->last_purged;
		spin_unlock_bh(&ps->lock);
		size = sizeof(val.rc);
		break;
	default:
		err = -ENOPROTOOPT;
	}
	release_sock(sock->sk);
	if (err)
		return err;
	len = min(len, size);
	if (put_user(len, optlen) || copy_to_user(optval, &val, len)) {
		if (memfile) {	/* not delivered: nothing may leak */
			fput(memfile);
			put_unused_fd(val.s);
		}
		return -EFAULT;
	}
	if (memfile)
		fd_install(val.s, memfile);
	return 0;
}

static __poll_t pfr_poll(struct file *file, struct socket *sock,
			 poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct pfr_sock *ps = pfr_sk(sk);
	__poll_t mask = 0;
	bool bad = false;
	u64 q = 0;

	sock_poll_wait(file, sock, wait);
	if (sk->sk_err)
		mask |= EPOLLERR;
	spin_lock_bh(&ps->lock);
	ps->woken = false;	/* the reader is back: the next sleep may be woken */
	if (ps->mem) {
		q = pfr_queued(ps, &bad);
		if (bad || (q && q >= ps->watermark) ||
		    pfr_duration_due(ps, q, ktime_get_ns()))
			mask |= EPOLLIN | EPOLLRDNORM;
	}
	spin_unlock_bh(&ps->lock);
	if (ps->mode != PFRING_MODE_RECV_ONLY && sock_writeable(sk))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static int pfr_mmap(struct file *file, struct socket *sock,
		    struct vm_area_struct *vma)
{
	struct pfr_sock *ps = pfr_sk(sock->sk);
	int err;

	lock_sock(sock->sk);
	err = ps->bound ? pfr_ring_alloc(ps) : -ENOTCONN;
	if (!err)
		err = pfr_mem_mmap(ps->mem, vma);
	release_sock(sock->sk);
	return err;
}

/* Transmits one raw frame on the bound device or the one msg_name gives. */
static int pfr_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
	DECLARE_SOCKADDR(struct sockaddr_pfring *, sa, msg->msg_name);
	struct sock *sk = sock->sk;
	struct pfr_sock *ps = pfr_sk(sk);
	struct net_device *dev;
	struct sk_buff *skb;
	int ifindex = ps->ifindex, err, hlen, tlen;

	if (ps->mode == PFRING_MODE_RECV_ONLY)
		return -EPERM;
	if (sa) {
		if (msg->msg_namelen < (int)sizeof(*sa) || sa->spr_family != PF_RING)
			return -EINVAL;
		if (sa->spr_ifindex > 0)
			ifindex = sa->spr_ifindex;
	}
	if (ifindex <= 0)
		return -ENXIO;
	dev = dev_get_by_index(sock_net(sk), ifindex);
	if (!dev)
		return -ENXIO;
	err = -ENETDOWN;
	if (!(dev->flags & IFF_UP))
		goto out;
	err = -EMSGSIZE;
	if (len < ETH_HLEN || len > dev->mtu + dev->hard_header_len + VLAN_HLEN)
		goto out;
	hlen = LL_RESERVED_SPACE(dev);
	tlen = dev->needed_tailroom;
	skb = sock_alloc_send_skb(sk, hlen + tlen + len,
				  msg->msg_flags & MSG_DONTWAIT, &err);
	if (!skb)
		goto out;
	skb_reserve(skb, hlen);
	skb_reset_mac_header(skb);
	err = memcpy_from_msg(skb_put(skb, len), msg, len);
	if (err) {
		kfree_skb(skb);
		goto out;
	}
	skb->dev = dev;
	skb->protocol = eth_hdr(skb)->h_proto;
	skb->priority = sk->sk_priority;
	skb_set_network_header(skb, ETH_HLEN);
	err = dev_queue_xmit(skb);
	if (err > 0)
		err = net_xmit_errno(err);
	if (!err)
		err = len;
out:
	dev_put(dev);
	return err;
}

static int pfr_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_pfring *sa = (struct sockaddr_pfring *)uaddr;
	struct pfr_sock *ps = pfr_sk(sock->sk);

	if (peer)
		return -EOPNOTSUPP;
	memset(sa, 0, sizeof(*sa));
	sa->spr_family = PF_RING;
	sa->spr_queue = ps->queue;
	sa->spr_ifindex = ps->ifindex;
	memcpy(sa->spr_ifname, ps->ifname, IFNAMSIZ);
	return sizeof(*sa);
}

static const struct proto_ops pfr_ops = {
	.family = PF_RING,
	.owner = THIS_MODULE,
	.release = pfr_release,
	.bind = pfr_bind,
	.connect = sock_no_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = pfr_getname,
	.poll = pfr_poll,
	.ioctl = sock_no_ioctl,
	.listen = sock_no_listen,
	.shutdown = sock_no_shutdown,
	.setsockopt = pfr_setsockopt,
	.getsockopt = pfr_getsockopt,
	.sendmsg = pfr_sendmsg,
	.recvmsg = sock_no_recvmsg,
	.mmap = pfr_mmap,
};

static const struct net_proto_family pfr_family = {
	.family = PF_RING,
	.create = pfr_create,
	.owner = THIS_MODULE,
};

/*
 * A device going away: rings bound to it stop receiving, report ENODEV
 * through poll, and give back their promiscuous reference so that the
 * device can be freed.
 */
static int pfr_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct pfr_sock *ps;

	pfr_proc_dev_event(dev, event);
	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	mutex_lock(&pfr_lock);
	list_for_each_entry(ps, &pfr_rings, node) {
		if (!net_eq(sock_net(&ps->sk), dev_net(dev)))
			continue;
		if (ps->promisc_dev == dev) {
			dev_set_promiscuity(dev, -1);
			dev_put(dev);
			ps->promisc_dev = NULL;
		}
		if (ps->ifindex == dev->ifindex) {
			spin_lock_bh(&ps->lock);
			ps->ifindex = -1;
			spin_unlock_bh(&ps->lock);
			ps->sk.sk_err = ENODEV;
			sk_error_report(&ps->sk);
		}
	}
	mutex_unlock(&pfr_lock);
	return NOTIFY_DONE;
}

static struct notifier_block pfr_netdev_nb = {
	.notifier_call = pfr_netdev_event,
};

static int __init pfr_init(void)
{
	int err;

	if (pfr_transparent_mode != 0) {
		pr_err("pf_ring: transparent_mode=%d needs PF_RING-aware drivers, and none ship with this module; load it with transparent_mode=0\n",
		       pfr_transparent_mode);
		return -EINVAL;
	}
	if (pfr_min_num_slots < 2 || pfr_min_num_slots > PFR_MAX_SLOTS) {
		pr_err("pf_ring: min_num_slots must be 2..%u\n", PFR_MAX_SLOTS);
		return -EINVAL;
	}
	err = proto_register(&pfr_proto, 1);
	if (err)
		return err;
	err = sock_register(&pfr_family);
	if (err) {
		pr_err("pf_ring: socket family %d is taken\n", PF_RING);
		goto out_proto;
	}
	err = pfr_proc_init();
	if (err)
		goto out_sock;
	err = register_netdevice_notifier(&pfr_netdev_nb);
	if (err)
		goto out_proc;
	dev_add_pack(&pfr_ptype);
	pr_info("pf_ring: vPF_RING %s loaded, ring slots %u, tx capture %s, ip defrag %s, quick mode %s\n",
		PFR_VERSION, pfr_min_num_slots, pfr_enable_tx_capture ? "on" : "off",
		pfr_enable_ip_defrag ? "on" : "off", pfr_quick_mode ? "on" : "off");
	return 0;

out_proc:
	pfr_proc_exit();
out_sock:
	sock_unregister(PF_RING);
out_proto:
	proto_unregister(&pfr_proto);
	return err;
}

static void __exit pfr_exit(void)
{
	dev_remove_pack(&pfr_ptype);	/* waits for running handlers */
	unregister_netdevice_notifier(&pfr_netdev_nb);
	sock_unregister(PF_RING);
	rcu_barrier();			/* sockets and clusters freed by RCU */
	pfr_proc_exit();
	proto_unregister(&pfr_proto);
	pr_info("pf_ring: unloaded\n");
}

module_init(pfr_init);
module_exit(pfr_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("PF_RING packet capture sockets (vPF_RING)");
MODULE_VERSION(PFR_VERSION);
MODULE_ALIAS_NETPROTO(PF_RING);
