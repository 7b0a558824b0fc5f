/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) WITH Linux-syscall-note */
/*
 * vPF_RING: the vNPlug application (VNPLUG_APP_VPFRING) that lets a guest
 * capture from a host interface. Its guest side is libpfring's "host:"
 * module (guest/libvpfring/mod_host.c); its host side is vnplugd's vPF_RING
 * back-end (host/backend/app_vpfring.c). docs/specs/vpfring.md describes it
 * in prose.
 *
 * One session (one open of /dev/vnplug-ctrl) is one pfring handle. The guest
 * opens it with VPFRING_OP_OPEN; every later pfring_* call the host must
 * carry out is one request (struct vnplug_app_hdr with op and seq, then the
 * payload below) and one reply with the same op and seq. A reply's status
 * is 0 or a negative PF_RING_ERROR_* code (pfring.h); a failed reply's
 * payload is the host's error text (not NUL-terminated). Closing the
 * session (or the guest process dying) closes the host ring.
 *
 * The ring itself is mapped into the guest when capture is first enabled:
 * VPFRING_OP_ENABLE's first successful reply carries struct vpfring_ring,
 * and the region it names is then a hotplugged vnplug-ring device whose
 * memory is the host kernel's ring, in one of two formats:
 *
 *  - VPFRING_FORMAT_TPACKET_V3: an AF_PACKET TPACKET_V3 ring (the kernel's
 *    linux/if_packet.h layout, block_nr blocks of block_size bytes);
 *  - VPFRING_FORMAT_PFRING: a pf_ring.ko ring (include/uapi/pf_ring.h; its
 *    own header gives the geometry).
 *
 * The same struct vpfring_ring sits at the start of the control page's
 * application area (VNPLUG_CTRL_APP_OFF), written by the host before the
 * device appears. The reader releases slots or blocks by writing into the
 * ring as it would on the host; the host kernel checks what it reads back.
 *
 * Wake-ups: a reader that finds the ring empty after spinning sets the
 * control page's guest_waiting, looks at the ring once more, rings the
 * doorbell and waits for the device's interrupt, at most poll_duration ms.
 * On a doorbell the host waits for the ring to become readable as the host
 * kernel defines it (the poll watermark, or a retired TPACKET_V3 block) and
 * then raises one interrupt.
 *
 * All fields are little-endian; every structure has a fixed layout. Every
 * payload a guest sends is untrusted: the host checks its length first and
 * each field before use.
 */
#ifndef _UAPI_VPFRING_H
#define _UAPI_VPFRING_H

#include <linux/types.h>

#define VPFRING_PROTO_VERSION 1
#define VPFRING_DEVICE_MAX 32	/* "eth0" or "eth0@3", NUL-padded */
#define VPFRING_APPNAME_MAX 64
#define VPFRING_BPF_MAX 2048	/* filter text, bytes */
#define VPFRING_SEND_MAX 2048	/* bytes of one transmitted packet */

enum vpfring_op {
	VPFRING_OP_OPEN = 1,		   /* struct vpfring_open -> vpfring_opened */
	VPFRING_OP_ENABLE = 2,		   /* -> struct vpfring_ring (first time) */
	VPFRING_OP_DISABLE = 3,
	VPFRING_OP_SET_DIRECTION = 4,	   /* __u32 packet_direction */
	VPFRING_OP_SET_SOCKET_MODE = 5,	   /* __u32 socket_mode */
	VPFRING_OP_SET_SAMPLING_RATE = 6,  /* __u32 */
	VPFRING_OP_SET_POLL_WATERMARK = 7, /* __u32 (16 bits used) */
	VPFRING_OP_SET_POLL_DURATION = 8,  /* __u32 ms */
	VPFRING_OP_SET_CHANNEL_ID = 9,	   /* __u32 */
	VPFRING_OP_TOGGLE_POLICY = 10,	   /* __u32: 1 accept, 0 drop */
	VPFRING_OP_SET_APPNAME = 11,	   /* the name's bytes */
	VPFRING_OP_SET_BPF = 12,	   /* the filter's text */
	VPFRING_OP_REMOVE_BPF = 13,
	VPFRING_OP_ADD_RULE = 14,	   /* struct vpfring_wc_rule */
	VPFRING_OP_REMOVE_RULE = 15,	   /* __u32 rule id */
	VPFRING_OP_HASH_RULE = 16,	   /* struct vpfring_hash_req */
	VPFRING_OP_PURGE_IDLE = 17,	   /* struct vpfring_purge -> __u32 */
	VPFRING_OP_RULE_STATS = 18,	   /* __u32 -> vpfring_rule_stats */
	VPFRING_OP_HASH_RULE_STATS = 19,   /* vpfring_hash_rule -> same */
	VPFRING_OP_SET_CLUSTER = 20,	   /* struct vpfring_cluster */
	VPFRING_OP_REMOVE_FROM_CLUSTER = 21,
	VPFRING_OP_STATS = 22,		   /* -> struct vpfring_stats */
	VPFRING_OP_VERSION = 23,	   /* -> __u32 */
	VPFRING_OP_BOUND_DEVICE_ADDRESS = 24, /* -> __u8[6] */
	VPFRING_OP_BOUND_DEVICE_ID = 25,   /* -> __s32 */
	VPFRING_OP_NUM_RX_CHANNELS = 26,   /* -> __u32 */
	VPFRING_OP_RING_ID = 27,	   /* -> __s32, the host ring's id */
	VPFRING_OP_MTU = 28,		   /* -> __s32 */
	VPFRING_OP_INTERFACE_SPEED = 29,   /* -> __u32 Mbit/s */
	VPFRING_OP_SEND = 30,		   /* struct vpfring_send + bytes */
	VPFRING_OP_MAX = 30,
};

/* Ring formats */
#define VPFRING_FORMAT_TPACKET_V3 1
#define VPFRING_FORMAT_PFRING 2

#define VPFRING_RING_MAGIC 0x52465056u /* "VPFR" little-endian */

struct vpfring_open {
	__u32 version;		/* VPFRING_PROTO_VERSION */
	__u32 caplen;
	__u32 flags;		/* pfring_open() flags (PF_RING_*) */
	__u32 reserved;
	char device[VPFRING_DEVICE_MAX]; /* host name, without "host:" */
};

struct vpfring_opened {
	__u32 version;		/* the host's VPFRING_PROTO_VERSION */
	__u32 format;		/* VPFRING_FORMAT_* the ring will have */
	__s32 ring_id;		/* the host ring's id */
	__u32 num_rx_channels;
};

/* The mapped ring; also at VNPLUG_CTRL_APP_OFF in the control page. */
struct vpfring_ring {
	__u32 magic;		/* VPFRING_RING_MAGIC */
	__u32 format;		/* VPFRING_FORMAT_* */
	__u32 region_id;	/* the vnplug region holding the ring */
	__u32 caplen;		/* bytes of a packet the ring keeps */
	__u64 size;		/* bytes of ring memory, from the region's start */
	/* VPFRING_FORMAT_TPACKET_V3 (zero otherwise) */
	__u32 block_size;
	__u32 block_nr;
	__u32 frame_size;
	__u32 frame_nr;
	/* The longest a reader sleeps without an interrupt (ms). */
	__u32 poll_duration;
	__u32 reserved[5];
};

/* A wildcard rule: pfring.h's filtering_rule, with fixed widths. */
struct vpfring_wc_rule {
	__u16 rule_id;
	__u8 action;		/* rule_action_behaviour */
	__u8 balance_id;
	__u8 balance_pool;
	__u8 locked;
	__u8 bidirectional;
	__u8 proto;
	__u8 smac[6], dmac[6];
	__u16 vlan_id;
	__u16 sport_low, sport_high, dport_low, dport_high;
	__u16 filter_plugin_id;	/* must be 0 */
	__u16 plugin_id;	/* must be 0 */
	/* pfring.h's ip_addr: IPv4 in the first 32-bit word, host order;
	   IPv6 as 16 bytes in network order. */
	__u8 shost[16], shost_mask[16], dhost[16], dhost_mask[16];
	char payload_pattern[32];
	char reflector[16];	/* NUL-padded; must be empty from a guest */
};

/* A precise (hash) rule: pfring.h's hash_filtering_rule, fixed widths. */
struct vpfring_hash_rule {
	__u16 rule_id;
	__u16 vlan_id;
	__u8 proto;
	__u8 action;		/* rule_action_behaviour */
	__u16 plugin_id;	/* must be 0 */
	__u16 port_a, port_b;
	__u32 reserved;
	__u8 host_a[16], host_b[16];
	char reflector[16];	/* NUL-padded; must be empty from a guest */
};

struct vpfring_hash_req {
	struct vpfring_hash_rule rule;
	__u32 add;		/* 1 add, 0 remove */
	__u32 reserved;
};

struct vpfring_purge {
	__u32 idle_sec;
	__u32 hash;		/* 0 wildcard rules, 1 hash rules */
};

struct vpfring_rule_stats {
	__u64 match;
	__u64 filtered;
	__u32 inactivity;	/* seconds */
	__u32 reserved;
};

struct vpfring_cluster {
	__u32 id;
	__u32 type;		/* cluster_type */
};

struct vpfring_stats {
	__u64 recv;
	__u64 drop;
};

struct vpfring_send {
	__u32 len;		/* bytes that follow, at most VPFRING_SEND_MAX */
	__u32 flush;
};

#endif /* _UAPI_VPFRING_H */
