// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libpfring's eBPF object for AF_PACKET rings: one socket filter with the
 * filtering semantics of docs/filtering.md (queue, direction, hash rules,
 * wildcard rules, default policy, 1-in-N sampling) and one fanout program
 * that spreads flows over a cluster with common/'s flow hash.
 *
 * The library (libpfring/ebpf.c) loads it once per ring and writes the maps
 * described in filter_maps.h. Parsing follows common/pfr_parse.c field by
 * field; rule matching follows common/pfr_rules.c; tests/unit/
 * test_ebpf_agree.c checks both against common/ on the same packets.
 *
 * Where the packet is: a socket filter on a SOCK_RAW packet socket runs
 * with skb->data at the Ethernet header, so it loads relative to the data.
 * A fanout program runs before AF_PACKET pushes the header back (received
 * packets have skb->data at the network header), so it loads relative to
 * the MAC header.
 *
 * The verifier of Debian 12's kernel (6.1) must accept this file: loops over
 * rules and payload positions are bpf_loop() callbacks, every other loop is
 * unrolled (#pragma unroll): 6.1 refuses a loop whose back-edge clang emits
 * as a fall-through ("back-edge from insn ..."). A socket's filter is
 * charged to its option memory (net.core.optmem_max, 20 KiB on 6.1), so
 * the filter program must stay well below that (about 13 KiB now): code
 * used in several places is a function call (__noinline), not inlined.
 */
#include <linux/bpf.h>
#include <linux/if_packet.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/*
 * common/ compiles against libc in user space and kernel headers in
 * pf_ring.ko; -target bpf has neither, so this file provides
 * pfr_compat.h's types itself and skips that header. Only the structure
 * definitions and pfr_hash.h's inline hash are used from common/.
 */
#define PFR_COMPAT_H
typedef __u8 pfr_u8;
typedef __u16 pfr_u16;
typedef __u32 pfr_u32;
typedef __u64 pfr_u64;
typedef __s16 pfr_s16;
typedef __s32 pfr_s32;
#include "pfr_rules.h"

#include "filter_maps.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define IPV6_MAX_EXT 8


/* The fields of a parsed packet that rules look at. */
struct pkt {
	__u8 dmac[6], smac[6];
	__u16 vlan_id;
	__u8 ip_version;          /* 0: no IP layer */
	__u8 proto;
	__u16 sport, dport;
	struct pfr_ip src, dst;   /* IPv4 in word 0, host byte order */
	__s32 payload_off;        /* -1: no payload */
};

/* The filter program's per-CPU scratch: the packet and, for payload
 * patterns, its first bytes (with room for a pattern starting at the last
 * byte of the window). */
struct scratch {
	struct pkt p;
	__u32 payload_len;        /* bytes in payload[] */
	__u8 payload[PFR_BPF_PATTERN_WINDOW + PFR_BPF_PATTERN_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pfr_bpf_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PFR_BPF_MAX_WC_RULES);
	__type(key, __u32);
	__type(value, struct pfr_bpf_wc_rule);
} wc_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PFR_BPF_MAX_WC_RULES);
	__type(key, __u32);
	__type(value, struct pfr_bpf_rule_stats);
} wc_stats SEC(".maps");

/* Sized by the library before loading; allocated as rules arrive. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pfr_hrule_key);
	__type(value, struct pfr_bpf_hrule);
} hrules SEC(".maps");

/* Mapped by the library too: it counts the packets it delivers itself
 * after a reflect rule (see mod_packet.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} sample SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} chain SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Parsing */

static __always_inline long load(struct __sk_buff *skb, __u32 off, void *to,
				 __u32 len, int from_mac)
{
	if (from_mac)
		return bpf_skb_load_bytes_relative(skb, off, to, len,
						   BPF_HDR_START_MAC);
	return bpf_skb_load_bytes(skb, off, to, len);
}

/* Are @len (> 0) bytes at @off inside the packet? */
static __always_inline int have(struct __sk_buff *skb, __u32 off, __u32 len,
				int from_mac)
{
	__u8 b;

	return load(skb, off + len - 1, &b, 1, from_mac) == 0;
}

static __always_inline int is_vlan_tpid(__u16 type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

/*
 * Ethernet and up to two tags; a tag the kernel moved into the skb (VLAN
 * offload) is the outer one. Returns the L3 offset and the EtherType in
 * *type, or -1 to stop.
 */
static __always_inline int parse_l2(struct __sk_buff *skb, struct pkt *p,
				    __u16 *type, int from_mac)
{
	struct {
		__u8 mac[12];
		__be16 type;
	} eth;
	struct {
		__be16 tci, type;
	} tag;
	__u32 off = ETH_HLEN - 2, ntags = 0, i;
	__u16 vid = 0;

	if (load(skb, 0, &eth, sizeof(eth), from_mac))
		return -1;
	if (skb->vlan_present) {
		vid = skb->vlan_tci & 0x0fff;
		ntags = 1;
	}
	*type = bpf_ntohs(eth.type);
	#pragma unroll
	for (i = 0; i < 2; i++) {
		if (!is_vlan_tpid(*type) || ntags >= 2)
			break;
		if (load(skb, off + 2, &tag, sizeof(tag), from_mac))
			return -1;
		if (!ntags)
			vid = bpf_ntohs(tag.tci) & 0x0fff;
		ntags++;
		off += VLAN_HLEN;
		*type = bpf_ntohs(tag.type);
	}
	__builtin_memcpy(p->dmac, eth.mac, 6);
	__builtin_memcpy(p->smac, eth.mac + 6, 6);
	p->vlan_id = vid;
	if (is_vlan_tpid(*type))
		return -1; /* a third tag: not a frame we read further */
	return (int)(off + 2);
}

/* Returns the L4 offset, or -1 when there is no L4 header to parse. */
static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 off,
				      struct pkt *p, int from_mac)
{
	struct {
		__u8 vihl, tos;
		__be16 tot_len, id, frag;
		__u8 ttl, proto;
		__be16 csum;
		__be32 src, dst;
	} h;
	__u32 hlen;
	__u16 frag;

	if (load(skb, off, &h, sizeof(h), from_mac))
		return -1;
	hlen = (__u32)(h.vihl & 0x0f) * 4;
	if ((h.vihl >> 4) != 4 || hlen < IPV4_HLEN ||
	    bpf_ntohs(h.tot_len) < hlen)
		return -1;
	if (!have(skb, off, hlen, from_mac))
		return -1;
	p->ip_version = 4;
	p->proto = h.proto;
	p->src.v4 = bpf_ntohl(h.src);
	p->dst.v4 = bpf_ntohl(h.dst);
	frag = bpf_ntohs(h.frag);
	if (frag & 0x1fff)
		return -1; /* later fragments carry no L4 header */
	return (int)(off + hlen);
}

static __always_inline int is_v6_ext(__u8 nh)
{
	return nh == PFR_IPPROTO_HOPOPTS || nh == PFR_IPPROTO_ROUTING ||
	       nh == PFR_IPPROTO_FRAGMENT || nh == PFR_IPPROTO_AH ||
	       nh == PFR_IPPROTO_DSTOPTS || nh == PFR_IPPROTO_MH;
}

static __always_inline __u32 v6_ext_len(__u8 nh, const __u8 *e)
{
	if (nh == PFR_IPPROTO_FRAGMENT)
		return 8;
	if (nh == PFR_IPPROTO_AH)
		return ((__u32)e[1] + 2) * 4;
	return ((__u32)e[1] + 1) * 8;
}

/* Where an IPv6 extension header chain ends. */
struct v6_chain {
	__u32 off;
	__u8 nh;
	__u8 stop;     /* a later fragment, or too many headers: no L4 */
};

/*
 * Skip one extension header (number @n of the chain). Returns 0 to go on,
 * 1 when the chain ends (c->stop set if nothing follows that can be
 * parsed), -1 when the header runs past the packet. Not inlined: the walk
 * calls it nine times, and the program must stay small (see the top of
 * this file).
 */
static __noinline int v6_ext_step(struct __sk_buff *skb, struct v6_chain *c,
				  int n, int from_mac)
{
	__u8 e[8];
	__u32 len;
	int later;

	if (!is_v6_ext(c->nh))
		return 1;
	if (n == IPV6_MAX_EXT) {
		c->stop = 1;
		return 1;
	}
	if (load(skb, c->off, e, sizeof(e), from_mac))
		return -1;
	len = v6_ext_len(c->nh, e);
	if (!have(skb, c->off, len, from_mac))
		return -1;
	later = c->nh == PFR_IPPROTO_FRAGMENT &&
		(bpf_ntohs(*(__be16 *)&e[2]) & 0xfff8);
	c->nh = e[0];
	c->off += len;
	if (later) /* a later fragment: its L4 header is elsewhere */
		c->stop = 1;
	return later;
}

/* Returns 0, or -1 when a header runs past the packet. */
static __always_inline int v6_walk(struct __sk_buff *skb, struct v6_chain *c,
				   int from_mac)
{
	int n, rc;

	#pragma unroll
	for (n = 0; n <= IPV6_MAX_EXT; n++) {
		rc = v6_ext_step(skb, c, n, from_mac);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 off,
				      struct pkt *p, int from_mac)
{
	struct {
		__be32 vtcfl;
		__be16 plen;
		__u8 nh, hlim;
		__u32 src[4], dst[4];
	} h;
	struct v6_chain c = { .off = off + IPV6_HLEN };

	if (load(skb, off, &h, sizeof(h), from_mac))
		return -1;
	if ((bpf_ntohl(h.vtcfl) >> 28) != 6)
		return -1;
	c.nh = h.nh;
	if (v6_walk(skb, &c, from_mac))
		return -1;
	p->ip_version = 6;
	p->proto = c.nh;
	__builtin_memcpy(p->src.v6w, h.src, 16);
	__builtin_memcpy(p->dst.v6w, h.dst, 16);
	return c.stop ? -1 : (int)c.off;
}

static __always_inline __u32 l4_min_len(__u8 proto)
{
	switch (proto) {
	case PFR_IPPROTO_TCP:
		return 20;
	case PFR_IPPROTO_UDP:
	case PFR_IPPROTO_ICMP:
	case PFR_IPPROTO_ICMPV6:
		return 8;
	case PFR_IPPROTO_SCTP:
		return 12;
	case PFR_IPPROTO_GRE:
		return 4;
	}
	return 0;
}

/* The L4 header length at @off (the first 14 bytes are in @h), 0 if bad. */
static __always_inline __u32 l4_hlen(struct __sk_buff *skb, __u32 off,
				     __u8 proto, const __u8 *h, int from_mac)
{
	__u32 hlen = l4_min_len(proto);
	__u16 gflags;

	if (proto == PFR_IPPROTO_TCP) {
		hlen = (__u32)(h[12] >> 4) * 4;
		if (hlen < 20)
			return 0;
	} else if (proto == PFR_IPPROTO_GRE) {
		gflags = ((__u16)h[0] << 8) | h[1];
		hlen = 4 + ((gflags & 0x8000) ? 4 : 0) +
		       ((gflags & 0x2000) ? 4 : 0) + ((gflags & 0x1000) ? 4 : 0);
	}
	return have(skb, off, hlen, from_mac) ? hlen : 0;
}

static __always_inline void parse_l4(struct __sk_buff *skb, __u32 off,
				     struct pkt *p, int from_mac)
{
	__u32 min = l4_min_len(p->proto), hlen;
	__u8 h[14] = {};

	/* Every L4 header read is at least 4 bytes; TCP's is 20. */
	if (!min || !have(skb, off, min, from_mac))
		return;
	if (load(skb, off, h, p->proto == PFR_IPPROTO_TCP ? 14 : 4, from_mac))
		return;
	hlen = l4_hlen(skb, off, p->proto, h, from_mac);
	if (!hlen)
		return;
	if (p->proto == PFR_IPPROTO_TCP || p->proto == PFR_IPPROTO_UDP ||
	    p->proto == PFR_IPPROTO_SCTP) {
		p->sport = ((__u16)h[0] << 8) | h[1];
		p->dport = ((__u16)h[2] << 8) | h[3];
	}
	p->payload_off = (__s32)(off + hlen);
}

static __always_inline void parse(struct __sk_buff *skb, struct pkt *p,
				  int from_mac)
{
	__u16 type = 0;
	int off;

	__builtin_memset(p, 0, sizeof(*p));
	p->payload_off = -1;
	off = parse_l2(skb, p, &type, from_mac);
	if (off < 0)
		return;
	if (type == PFR_ETH_P_IP)
		off = parse_ipv4(skb, (__u32)off, p, from_mac);
	else if (type == PFR_ETH_P_IPV6)
		off = parse_ipv6(skb, (__u32)off, p, from_mac);
	else
		return;
	if (off >= 0)
		parse_l4(skb, (__u32)off, p, from_mac);
}

/* The first PFR_BPF_PATTERN_WINDOW payload bytes, for payload patterns. */
static __always_inline void load_payload(struct __sk_buff *skb,
					 struct scratch *s)
{
	__u32 off = (__u32)s->p.payload_off;
	__u64 n;

	s->payload_len = 0;
	if (s->p.payload_off < 0 || off >= skb->len)
		return;
	n = skb->len - off;
	if (n > PFR_BPF_PATTERN_WINDOW)
		n = PFR_BPF_PATTERN_WINDOW;
	/* n is in [1, window]; say so in a way the verifier sees. */
	n -= 1;
	asm volatile("%0 &= %1" : "+r"(n) : "i"(PFR_BPF_PATTERN_WINDOW - 1));
	n += 1;
	if (bpf_skb_load_bytes(skb, off, s->payload, (__u32)n) == 0)
		s->payload_len = (__u32)n;
}

/* Flow hash: the same function as common/'s pfr_pkt_flow_hash(). */
static __noinline __u32 flow_hash(const struct pkt *p,
				       enum pfr_tuple tuple)
{
	struct pfr_flow_key k;

	pfr_flow_key_make(&k, tuple, p->ip_version, p->src.v6w, p->dst.v6w,
			  p->sport, p->dport, p->proto, p->vlan_id);
	return pfr_flow_key_hash(&k);
}

/* Hash rules: keys in common/'s canonical order (pfr_hrule_key_make). */

static __always_inline int endpoint_gt(const struct pkt *p)
{
	__u32 x, y;
	int i;

	if (p->ip_version == 4) {
		if (p->src.v4 != p->dst.v4)
			return p->src.v4 > p->dst.v4;
		return p->sport > p->dport;
	}
	#pragma unroll
	for (i = 0; i < 4; i++) {
		/* memcmp order: compare the words as big-endian numbers */
		x = bpf_ntohl(p->src.v6w[i]);
		y = bpf_ntohl(p->dst.v6w[i]);
		if (x != y)
			return x > y;
	}
	return p->sport > p->dport;
}

static __noinline void hkey_make(struct pfr_hrule_key *k,
				      const struct pkt *p)
{
	int swap = endpoint_gt(p);

	__builtin_memset(k, 0, sizeof(*k));
	if (p->ip_version == 4) {
		k->host_a.v4 = swap ? p->dst.v4 : p->src.v4;
		k->host_b.v4 = swap ? p->src.v4 : p->dst.v4;
	} else {
		__builtin_memcpy(&k->host_a, swap ? &p->dst : &p->src, 16);
		__builtin_memcpy(&k->host_b, swap ? &p->src : &p->dst, 16);
	}
	k->port_a = swap ? p->dport : p->sport;
	k->port_b = swap ? p->sport : p->dport;
	k->vlan_id = p->vlan_id;
	k->proto = p->proto;
	k->ip_version = p->ip_version;
}

/* Evaluation */

/* What evaluation decided so far; lives on the filter program's stack. */
struct eval {
	__u64 now;
	__u32 count;     /* wildcard rules in use */
	__u8 stop;       /* a stopping rule decided */
	__u8 forward;
	__u8 reflect;    /* a reflect or bounce rule matched */
	__u8 hash_done;
	__u32 hash5;     /* 5-tuple hash, for balance pools */
};

static __always_inline int kept_out(__u8 f)
{
	return (f & PFR_ACTF_STOP) && !(f & PFR_ACTF_FORWARD);
}

static __always_inline void count_match(struct pfr_bpf_rule_stats *st,
					__u8 f, __u64 now)
{
	__sync_fetch_and_add(&st->matched, 1);
	if (kept_out(f))
		__sync_fetch_and_add(&st->filtered, 1);
	st->last_match_ns = now;
}

/* Record a matching rule's action in @ev; returns its flags. */
static __always_inline __u8 apply_action(struct eval *ev, __u8 action)
{
	__u8 f = pfr_action_flags(action);

	if (f & (PFR_ACTF_REFLECT | PFR_ACTF_BOUNCE))
		ev->reflect = 1;
	if (f & PFR_ACTF_STOP) {
		ev->stop = 1;
		ev->forward = !!(f & PFR_ACTF_FORWARD);
	}
	return f;
}

/* FORWARD_ADD_RULE / DEL_RULE act on the flow's own hash rule. */
static __noinline void table_effect(const struct pkt *p, __u8 f,
					 __u16 rule_id, __u64 now)
{
	struct pfr_bpf_hrule h = {};
	struct pfr_hrule_key k;

	if (!(f & (PFR_ACTF_ADD_RULE | PFR_ACTF_DEL_RULE)) || !p->ip_version)
		return;
	hkey_make(&k, p);
	if (f & PFR_ACTF_DEL_RULE) {
		bpf_map_delete_elem(&hrules, &k);
		return;
	}
	h.rule_id = rule_id;
	h.action = PFR_ACT_FORWARD_STOP;
	h.st.last_match_ns = now;
	/* A full map only means this flow keeps going through the list. */
	bpf_map_update_elem(&hrules, &k, &h, BPF_NOEXIST);
}

static __always_inline void eval_hash(struct eval *ev, const struct pkt *p)
{
	struct pfr_bpf_hrule *h;
	struct pfr_hrule_key k;
	__u16 rule_id;
	__u8 f;

	if (!p->ip_version)
		return;
	hkey_make(&k, p);
	h = bpf_map_lookup_elem(&hrules, &k);
	if (!h)
		return;
	f = apply_action(ev, h->action);
	count_match(&h->st, f, ev->now);
	rule_id = h->rule_id;
	table_effect(p, f, rule_id, ev->now);
}

static __always_inline int mac_match(const __u8 *rule_mac, const __u8 *mac)
{
	int i;

	#pragma unroll
	for (i = 0; i < 6; i++) {
		if (rule_mac[i] != mac[i])
			return 0;
	}
	return 1;
}

/* (addr & mask) == host, the host stored already masked. */
static __always_inline int host_match(const __u32 *host, const __u32 *mask,
				      const struct pfr_ip *addr)
{
	return (addr->v6w[0] & mask[0]) == host[0] &&
	       (addr->v6w[1] & mask[1]) == host[1] &&
	       (addr->v6w[2] & mask[2]) == host[2] &&
	       (addr->v6w[3] & mask[3]) == host[3];
}

static __always_inline int port_match(__u16 low, __u16 high, __u16 port)
{
	return port >= low && port <= high;
}

/* The fields that depend on direction, with the packet's ends swapped. */
static __noinline int match_dir(const struct pfr_bpf_wc_rule *r,
				     const struct pkt *p, int swap)
{
	const struct pfr_ip *src = swap ? &p->dst : &p->src;
	const struct pfr_ip *dst = swap ? &p->src : &p->dst;
	__u16 sport = swap ? p->dport : p->sport;
	__u16 dport = swap ? p->sport : p->dport;

	if ((r->has & PFR_BPF_HAS_SMAC) &&
	    !mac_match(r->smac, swap ? p->dmac : p->smac))
		return 0;
	if ((r->has & PFR_BPF_HAS_DMAC) &&
	    !mac_match(r->dmac, swap ? p->smac : p->dmac))
		return 0;
	if ((r->has & PFR_BPF_HAS_SHOST) &&
	    !host_match(r->shost, r->shost_mask, src))
		return 0;
	if ((r->has & PFR_BPF_HAS_DHOST) &&
	    !host_match(r->dhost, r->dhost_mask, dst))
		return 0;
	if ((r->has & PFR_BPF_HAS_SPORT) &&
	    !port_match(r->sport_low, r->sport_high, sport))
		return 0;
	return !(r->has & PFR_BPF_HAS_DPORT) ||
	       port_match(r->dport_low, r->dport_high, dport);
}

/* State of one payload pattern search. */
struct pat_search {
	__u32 rule;      /* position in wc_rules */
	__u8 found;
};

/* Bytes at @p as one 64-bit word (x86 and arm64 load unaligned words). */
static __always_inline __u64 word_at(const __u8 *p)
{
	return *(const __u64 *)p;
}

/*
 * Does the pattern start at payload byte @i? It is compared as four
 * 64-bit words under the rule's byte mask: no branch per byte, which keeps
 * the verifier's state count low.
 */
static long pat_step(__u32 i, void *data)
{
	struct pat_search *ps = data;
	const struct pfr_bpf_wc_rule *r;
	const struct scratch *s;
	__u64 at = i, diff = 0;
	__u32 key = 0;
	int w;

	r = bpf_map_lookup_elem(&wc_rules, &ps->rule);
	s = bpf_map_lookup_elem(&scratch, &key);
	if (!r || !s || i >= PFR_BPF_PATTERN_WINDOW)
		return 1;
	/* A no-op after the test above, but one the verifier sees (clang
	 * would drop a plain C mask). */
	asm volatile("%0 &= %1" : "+r"(at) : "i"(PFR_BPF_PATTERN_WINDOW - 1));
	if (s->payload[at] != r->pattern[0])
		return 0;
	#pragma unroll
	for (w = 0; w < PFR_BPF_PATTERN_LEN; w += 8)
		diff |= (word_at(&s->payload[at + w]) ^ word_at(&r->pattern[w])) &
			word_at(&r->pattern_mask[w]);
	if (diff)
		return 0;
	ps->found = 1;
	return 1;
}

static __always_inline int pattern_match(const struct pfr_bpf_wc_rule *r,
					 const struct scratch *s, __u32 rule)
{
	struct pat_search ps = { .rule = rule };

	if (s->p.payload_off < 0 || r->pattern_len > s->payload_len)
		return 0;
	bpf_loop(s->payload_len - r->pattern_len + 1, pat_step, &ps, 0);
	return ps.found;
}

static __always_inline int wc_match(const struct pfr_bpf_wc_rule *r,
				    const struct scratch *s, struct eval *ev,
				    __u32 rule)
{
	const struct pkt *p = &s->p;

	if (r->vlan_id && r->vlan_id != p->vlan_id)
		return 0;
	if (r->proto && r->proto != p->proto)
		return 0;
	if ((r->has & PFR_BPF_HAS_IP) && !p->ip_version)
		return 0;
	if (r->ip_version && r->ip_version != p->ip_version)
		return 0;
	if (!match_dir(r, p, 0) && !(r->bidirectional && match_dir(r, p, 1)))
		return 0;
	if (r->balance_pool) {
		if (!ev->hash_done) {
			ev->hash5 = flow_hash(p, PFR_TUPLE_5);
			ev->hash_done = 1;
		}
		if (ev->hash5 % r->balance_pool != r->balance_id)
			return 0;
	}
	return !r->pattern_len || pattern_match(r, s, rule);
}

/* Wildcard rule number @i (in rule id order); returns 1 to stop. */
static long wc_step(__u32 i, void *data)
{
	struct eval *ev = data;
	struct pfr_bpf_rule_stats *st;
	struct pfr_bpf_wc_rule *r;
	__u32 key = 0, id;
	struct scratch *s;
	__u8 f;

	r = bpf_map_lookup_elem(&wc_rules, &i);
	s = bpf_map_lookup_elem(&scratch, &key);
	if (!r || !s || i >= ev->count)
		return 1;
	if (!wc_match(r, s, ev, i))
		return 0;
	f = apply_action(ev, r->action);
	id = r->rule_id;
	st = bpf_map_lookup_elem(&wc_stats, &id);
	if (st)
		count_match(st, f, ev->now);
	table_effect(&s->p, f, r->rule_id, ev->now);
	return ev->stop ? 1 : 0;
}

/* Exactly one in N of the packets that passed: the 1st, the N+1th... */
static __always_inline int sampled(const struct pfr_bpf_config *c)
{
	__u32 key = 0;
	__u64 *n;

	if (c->sampling_rate <= 1)
		return 1;
	n = bpf_map_lookup_elem(&sample, &key);
	if (!n)
		return 0;
	return __sync_fetch_and_add(n, 1) % c->sampling_rate == 0;
}

static __always_inline int queue_and_direction(struct __sk_buff *skb,
					       const struct pfr_bpf_config *c)
{
	__u32 q = skb->queue_mapping ? skb->queue_mapping - 1 : 0;
	int tx = skb->pkt_type == PACKET_OUTGOING;

	if (c->channel >= 0 && q != (__u32)c->channel)
		return 0;
	if (c->direction == 1 /* rx_only_direction */ && tx)
		return 0;
	return !(c->direction == 2 /* tx_only_direction */ && !tx);
}

SEC("socket")
int pfr_filter(struct __sk_buff *skb)
{
	const struct pfr_bpf_config *c;
	struct eval ev = {};
	struct scratch *s;
	__u32 key = 0;

	c = bpf_map_lookup_elem(&config, &key);
	s = bpf_map_lookup_elem(&scratch, &key);
	if (!c || !s || !queue_and_direction(skb, c))
		return 0;
	parse(skb, &s->p, 0);
	if (c->patterns)
		load_payload(skb, s);
	ev.now = bpf_ktime_get_ns();
	ev.count = c->wc_count < PFR_BPF_MAX_WC_RULES ? c->wc_count
						      : PFR_BPF_MAX_WC_RULES;
	eval_hash(&ev, &s->p);
	if (!ev.stop && ev.count)
		bpf_loop(ev.count, wc_step, &ev, 0);
	if (!ev.stop)
		ev.forward = c->default_accept;
	/* The library transmits and decides; it needs the whole frame. */
	if (ev.reflect)
		return PFR_BPF_FULL_FRAME;
	if (!ev.forward || !sampled(c))
		return 0;
	return c->caplen;
}

SEC("socket")
int pfr_fanout(struct __sk_buff *skb)
{
	const struct pfr_bpf_config *c;
	struct pkt p;
	__u32 key = 0;

	c = bpf_map_lookup_elem(&config, &key);
	if (!c)
		return 0;
	parse(skb, &p, 1);
	return flow_hash(&p, (enum pfr_tuple)c->fanout_tuple);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
