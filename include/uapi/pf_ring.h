/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) WITH Linux-syscall-note */
/*
 * pf_ring.ko's interface to user space: the PF_RING socket family, its
 * socket options, and the layout of the capture ring that a reader maps.
 *
 * Every type has a fixed width and every structure an explicit layout, so
 * the same bytes mean the same thing to the kernel, to libpfring, to vnplugd
 * and (through a mapped PCI BAR) to a reader in a guest.
 *
 * The ring (mmap of the socket, or of the fd SO_PFRING_MMAP_FD returns):
 *
 *   offset 0              struct pfring_ring_hdr    written by the kernel only
 *   hdr.reader_off        struct pfring_reader_page written by the reader only
 *   hdr.slots_off         num_slots slots of slot_size bytes, each a
 *                         struct pfring_slot_hdr followed by caplen bytes
 *
 * Protocol: the kernel fills slot (head & (num_slots - 1)), then publishes
 * head + 1 with a release store. The reader loads head with acquire, reads
 * the slots from tail up to head, then stores tail with release. Both are
 * free-running 64-bit counters. The kernel keeps its own copy of everything
 * in the header, never reads the header back, and checks tail before every
 * use (head - num_slots <= tail <= head): a reader that writes garbage into
 * its page can only lose its own packets.
 */
#ifndef _UAPI_PF_RING_H
#define _UAPI_PF_RING_H

#include <linux/types.h>

#define PF_RING 27		/* socket family, PF_RING's historical number */
#define AF_RING PF_RING
#define SOL_PF_RING 27		/* setsockopt/getsockopt level */

#define PFRING_UAPI_VERSION 1
#define PFRING_RING_MAGIC 0x47524650u	/* "PFRG" little-endian */
#define PFRING_FORMAT_SLOTS 1		/* the format below */

#define PFRING_IFNAMSIZ 16
#define PFRING_APPNAME_MAX 64
#define PFRING_PATTERN_LEN 32
#define PFRING_ANY_DEVICE "any"

/*
 * bind() and sendmsg() address. bind: spr_ifname names the device ("any"
 * for every device), or spr_ifindex when spr_ifname is empty; spr_queue is
 * the RX queue (-1: all). sendmsg: spr_ifindex > 0 picks the output device,
 * otherwise the bound one.
 */
struct sockaddr_pfring {
	__u16 spr_family;	/* PF_RING */
	__s16 spr_queue;
	__s32 spr_ifindex;
	char spr_ifname[PFRING_IFNAMSIZ];
};

/* Socket options, level SOL_PF_RING. "set" takes, "get" returns the type. */
enum {
	SO_PFRING_VERSION = 1,		/* get __u32 PFRING_UAPI_VERSION */
	SO_PFRING_RING_INFO,		/* get struct pfring_ring_info */
	SO_PFRING_CAPLEN,		/* set/get __u32 */
	SO_PFRING_NUM_SLOTS,		/* set/get __u32, before the ring exists */
	SO_PFRING_ENABLE,		/* set/get __u32 0 or 1 */
	SO_PFRING_DIRECTION,		/* set/get __u32 enum pfring_uapi_direction */
	SO_PFRING_SOCKET_MODE,		/* set/get __u32 enum pfring_uapi_mode */
	SO_PFRING_SAMPLING,		/* set/get __u32 N: keep 1 in N */
	SO_PFRING_WATERMARK,		/* set/get __u32 packets, >= 1 */
	SO_PFRING_POLL_DURATION,	/* set/get __u32 ms (informational) */
	SO_PFRING_PROMISC,		/* set/get __u32 0 or 1 */
	SO_PFRING_APPNAME,		/* set/get string, < PFRING_APPNAME_MAX */
	SO_PFRING_CLUSTER,		/* set struct pfring_cluster_req */
	SO_PFRING_CLUSTER_REMOVE,	/* set, no value */
	SO_PFRING_WC_RULES,		/* set struct pfring_wc_rule[n]: the list */
	SO_PFRING_HASH_ADD,		/* set struct pfring_hash_rule */
	SO_PFRING_HASH_DEL,		/* set struct pfring_hash_rule (key) */
	SO_PFRING_POLICY,		/* set/get __u32 1 = accept unmatched */
	SO_PFRING_PURGE_IDLE,		/* set struct pfring_purge_req */
	SO_PFRING_WC_STATS,		/* get struct pfring_wc_stats_req (in/out) */
	SO_PFRING_HASH_STATS,		/* get struct pfring_hash_stats_req (in/out) */
	SO_PFRING_STATS,		/* get struct pfring_ring_stats */
	SO_PFRING_MMAP_FD,		/* get __s32: an mmap-only fd of the ring */
	SO_PFRING_RING_ID,		/* get __u32 */
	SO_PFRING_BOUND_IFINDEX,	/* get __s32, 0 for "any" */
	SO_PFRING_RULE_COUNTS,		/* get struct pfring_rule_counts */
};

enum pfring_uapi_direction {
	PFRING_DIR_BOTH = 0,
	PFRING_DIR_RX = 1,
	PFRING_DIR_TX = 2,
};

enum pfring_uapi_mode {
	PFRING_MODE_SEND_RECV = 0,
	PFRING_MODE_SEND_ONLY = 1,
	PFRING_MODE_RECV_ONLY = 2,
};

/* Cluster types: the numbers of libpfring's cluster_type. */
enum pfring_uapi_cluster {
	PFRING_CLUSTER_FLOW_6 = 0,	/* vlan, proto, ips, ports */
	PFRING_CLUSTER_ROUND_ROBIN = 1,
	PFRING_CLUSTER_FLOW_2 = 2,	/* ips */
	PFRING_CLUSTER_FLOW_4 = 3,	/* ips, ports */
	PFRING_CLUSTER_FLOW_5 = 4,	/* ips, ports, proto */
	PFRING_CLUSTER_FLOW_TCP_5 = 5,	/* 5-tuple for TCP, 2-tuple others */
	PFRING_CLUSTER_MAX = 5,
};

#define PFRING_CLUSTER_MAX_MEMBERS 32

struct pfring_ring_info {
	__u64 tot_mem;		/* bytes to mmap */
	__u32 num_slots;
	__u32 slot_size;
	__u32 caplen;
	__u32 ring_id;
};

/*
 * Kernel-written header, at offset 0. The first 64 bytes never change after
 * the ring is created; the counters sit on their own cache line.
 */
struct pfring_ring_hdr {
	__u32 magic;		/* PFRING_RING_MAGIC */
	__u16 version;		/* PFRING_UAPI_VERSION */
	__u16 format;		/* PFRING_FORMAT_SLOTS */
	__u32 hdr_len;		/* sizeof(struct pfring_ring_hdr) */
	__u32 slot_hdr_len;	/* sizeof(struct pfring_slot_hdr) */
	__u32 num_slots;	/* a power of two */
	__u32 slot_size;	/* bytes, a multiple of 8 */
	__u32 caplen;		/* packet bytes a slot holds at most; a later
				   SO_PFRING_CAPLEN may lower what is copied */
	__u32 page_size;
	__u64 reader_off;	/* struct pfring_reader_page, own page */
	__u64 slots_off;	/* slot 0, page-aligned */
	__u64 tot_mem;		/* size of the mapping */
	__u32 ring_id;
	__u32 reserved0;
	/* 64: changing, kernel-written */
	__u64 head;		/* packets written; release store */
	__u64 tot_pkts;		/* packets seen by this ring (before filters) */
	__u64 tot_insert;	/* packets written (= head) */
	__u64 tot_lost;		/* packets lost: ring full or reader page bad */
	__u64 tot_filtered;	/* packets kept out by filters or sampling */
	__u64 wakeups;		/* reader wake-ups the kernel issued */
	__u64 reserved1[2];
};

/* Reader-written page. The kernel validates every value before use. */
struct pfring_reader_page {
	__u64 tail;		/* packets consumed; release store */
	__u32 flags;		/* PFRING_READER_* (hints only) */
	__u32 reserved;
};

#define PFRING_READER_WAITING 0x1	/* the reader is about to sleep */

/* Slot flags */
#define PFRING_SLOT_TX 0x01		/* transmitted, not received */
#define PFRING_SLOT_VLAN_INSERTED 0x02	/* tag put back from skb metadata */
#define PFRING_SLOT_REFLECTED 0x04	/* also reflected or bounced */

struct pfring_slot_hdr {
	__u64 ts_ns;		/* CLOCK_REALTIME, nanoseconds */
	__u32 caplen;		/* bytes that follow in the slot */
	__u32 len;		/* bytes on the wire */
	__s32 ifindex;
	__u16 rx_queue;		/* 0xffff when not recorded */
	__u8 flags;		/* PFRING_SLOT_* */
	__u8 reserved0;
	__u32 rule_id;		/* last rule that matched, 0xffffffff: none */
	__u32 reserved1;
};

/*
 * A wildcard rule (seed: filtering_rule). Zero means "any" in a match
 * field. Host addresses are stored as libpfring's common/pfr_parse.h struct
 * pfr_ip holds them: IPv4 in the first 32-bit word in host byte order,
 * IPv6 as 16 bytes in network order.
 */
struct pfring_wc_rule {
	__u16 rule_id;
	__u8 action;		/* PF_RING rule_action_behaviour */
	__u8 bidirectional;
	__u8 balance_id;
	__u8 balance_pool;
	__u8 locked;
	__u8 proto;
	__u8 smac[6], dmac[6];
	__u16 vlan_id;
	__u8 ip_version;
	__u8 pattern_len;
	__u8 shost[16], shost_mask[16], dhost[16], dhost_mask[16];
	__u16 sport_low, sport_high, dport_low, dport_high;
	__s32 reflect_ifindex;
	char payload_pattern[PFRING_PATTERN_LEN];
	__u32 reserved;
};

/* A precise (hash) rule: one flow, both directions. */
struct pfring_hash_rule {
	__u8 host_a[16], host_b[16];
	__u16 port_a, port_b;
	__u16 vlan_id;
	__u8 proto;
	__u8 ip_version;
	__u16 rule_id;
	__u8 action;
	__u8 reserved0;
	__s32 reflect_ifindex;
	__u32 reserved1;
};

struct pfring_cluster_req {
	__u32 cluster_id;
	__u32 type;		/* enum pfring_uapi_cluster */
};

struct pfring_purge_req {
	__u32 idle_sec;
	__u32 hash;		/* 0: wildcard rules, 1: hash rules */
};

struct pfring_wc_stats_req {
	__u32 rule_id;		/* in */
	__u32 reserved;
	__u64 matched;		/* out */
	__u64 filtered;
	__u64 idle_sec;
};

struct pfring_hash_stats_req {
	struct pfring_hash_rule rule;	/* in: the key */
	__u64 matched;			/* out */
	__u64 filtered;
	__u64 idle_sec;
};

struct pfring_ring_stats {
	__u64 recv;		/* packets written into the ring */
	__u64 drop;		/* packets lost: ring full or reader page bad */
	__u64 filtered;		/* kept out by rules, BPF or sampling */
	__u64 seen;		/* packets that reached this ring */
	__u64 wakeups;
	__u64 reflected;	/* copies sent by reflect or bounce */
};

struct pfring_rule_counts {
	__u32 wc_rules;
	__u32 hash_rules;
	__u32 last_purged;	/* rules removed by the last SO_PFRING_PURGE_IDLE */
	__u32 reserved;
};

#endif /* _UAPI_PF_RING_H */
