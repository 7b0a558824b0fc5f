/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pf_ring.ko internals shared by its source files.
 */
#ifndef PFR_KMOD_H
#define PFR_KMOD_H

#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/proc_fs.h>
#include <linux/spinlock.h>
#include <net/sock.h>

#include "pf_ring.h"		/* include/uapi/pf_ring.h */
#include "pfr_rules.h"		/* common/ */

#define PFR_VERSION "0.1.0"
#define PFR_MAX_CAPLEN 65535
#define PFR_MAX_SLOTS (1u << 20)
#define PFR_MAX_RING_BYTES (1ull << 31)
#define PFR_MAX_WC_RULES 4096
#define PFR_HASH_MIN 1024
#define PFR_HASH_MAX 262144
#define PFR_PARSE_BYTES 256	/* frame bytes parsed and matched by rules */

/* Module parameters */
extern unsigned int pfr_min_num_slots;
extern bool pfr_enable_tx_capture;
extern bool pfr_enable_ip_defrag;
extern bool pfr_quick_mode;

/* Objects the module owns, shown in /proc/net/pf_ring/info. */
extern atomic_t pfr_nr_socks;
extern atomic_t pfr_nr_mems;
extern atomic_t pfr_nr_clusters;
extern atomic_t pfr_nr_mem_fds;
extern atomic64_t pfr_mem_bytes;

/* Ring memory: shared by the socket, mmap-only fds and mappings. */
struct pfr_mem {
	struct kref ref;
	void *base;
	size_t size;
};

struct pfr_cluster;

struct pfr_sock {
	struct sock sk;			/* first: struct sock * casts */
	spinlock_t lock;		/* packet path, rules, ring */
	struct list_head node;		/* pfr_rings, under pfr_lock + RCU */
	bool listed;
	u32 ring_id;
	pid_t pid;

	/* Binding */
	bool bound;
	int ifindex;			/* 0: any; -1: the device went away */
	int queue;			/* RX queue, -1: all */
	char ifname[IFNAMSIZ];
	struct net_device *promisc_dev;	/* under RTNL */
	bool promisc;
	struct proc_dir_entry *proc;

	/* Ring, once allocated (read by the packet path under RCU) */
	struct pfr_mem *mem;
	struct pfring_ring_hdr *hdr;
	struct pfring_reader_page *rd;
	u8 *slots;
	u32 num_slots, slot_size, caplen;
	u64 head;			/* the kernel's own copy */
	u64 tail_seen;			/* the reader's tail at its last check */

	/* Settings */
	u32 caplen_req, num_slots_req;
	bool enabled;
	u8 direction, mode;
	u32 sampling, sample_cnt;
	u32 watermark, poll_duration;
	char appname[PFRING_APPNAME_MAX];

	/* Poll duration: wakes a sleeping reader whose ring holds fewer than
	 * watermark packets once the oldest has waited poll_duration ms. */
	struct hrtimer timer;
	bool timer_armed;
	bool dead;			/* released: the timer stays off */
	bool woken;			/* woken since the reader last polled */
	u64 pending_since;		/* ns, monotonic: ring became non-empty */

	/* Filters (under lock) */
	struct pfr_ruleset rules;
	bool rules_active;
	u32 last_purged;

	/* Cluster membership, under pfr_lock */
	struct pfr_cluster *cluster;

	/* Counters (under lock) */
	u64 seen, filtered, lost, wakeups, reflected;
};

static inline struct pfr_sock *pfr_sk(struct sock *sk)
{
	return (struct pfr_sock *)sk;
}

extern struct mutex pfr_lock;
extern struct list_head pfr_rings;

/* pf_ring_ring.c: ring memory and the mmap-only fd */
int pfr_ring_alloc(struct pfr_sock *ps);
void pfr_mem_put(struct pfr_mem *mem);
int pfr_mem_mmap(struct pfr_mem *mem, struct vm_area_struct *vma);
struct file *pfr_mem_file(struct pfr_mem *mem);
u64 pfr_queued(struct pfr_sock *ps, bool *bad);

/* pf_ring_rules.c: filter and cluster state */
void pfr_rules_init(struct pfr_sock *ps);
void pfr_rules_free(struct pfr_sock *ps);
int pfr_set_wc_rules(struct pfr_sock *ps, sockptr_t optval, unsigned int optlen);
int pfr_hash_add(struct pfr_sock *ps, const struct pfring_hash_rule *r);
int pfr_hash_del(struct pfr_sock *ps, const struct pfring_hash_rule *r);
int pfr_wc_stats(struct pfr_sock *ps, struct pfring_wc_stats_req *req);
int pfr_hash_stats(struct pfr_sock *ps, struct pfring_hash_stats_req *req);
u32 pfr_purge_idle(struct pfr_sock *ps, u32 idle_sec, bool hash);
void pfr_flow_rule_update(struct pfr_sock *ps, const struct pfr_pkt_info *info,
			  const struct pfr_verdict *v);
int pfr_cluster_join(struct pfr_sock *ps, u32 id, u32 type);
void pfr_cluster_leave(struct pfr_sock *ps);
struct pfr_sock *pfr_cluster_pick(struct pfr_cluster *c, struct pfr_sock **cand,
				  unsigned int n, const struct pfr_pkt_info *info);
extern struct list_head pfr_clusters;

struct pfr_cluster {
	struct list_head node;		/* pfr_clusters, pfr_lock + RCU */
	struct rcu_head rcu;
	possible_net_t net;
	u32 id;
	u32 type;
	atomic_t rr;
	u32 nr;				/* members in use */
	struct pfr_sock *members[PFRING_CLUSTER_MAX_MEMBERS];
};

/* pf_ring_proc.c */
int pfr_proc_init(void);
void pfr_proc_exit(void);
void pfr_proc_add_ring(struct pfr_sock *ps);
void pfr_proc_del_ring(struct pfr_sock *ps);
void pfr_proc_dev_event(struct net_device *dev, unsigned long event);

#endif /* PFR_KMOD_H */
