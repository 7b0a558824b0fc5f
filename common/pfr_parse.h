/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Packet parsing: Ethernet, 802.1Q/802.1ad (QinQ), IPv4 (options,
 * fragments), IPv6 (extension headers), TCP, UDP, ICMP, ICMPv6, SCTP, GRE.
 *
 * The parser never reads past caplen. A truncated or malformed header stops
 * parsing at the last layer that was complete and sets a flag; it is never
 * an error to hand it arbitrary bytes.
 */
#ifndef PFR_PARSE_H
#define PFR_PARSE_H

#include "pfr_compat.h"

#define PFR_ETH_ALEN 6

/* EtherTypes and IP protocol numbers the parser knows. */
#define PFR_ETH_P_IP 0x0800
#define PFR_ETH_P_IPV6 0x86DD
#define PFR_ETH_P_8021Q 0x8100
#define PFR_ETH_P_8021AD 0x88A8
#define PFR_ETH_P_QINQ1 0x9100 /* pre-standard QinQ tag */

#define PFR_IPPROTO_HOPOPTS 0
#define PFR_IPPROTO_ICMP 1
#define PFR_IPPROTO_TCP 6
#define PFR_IPPROTO_UDP 17
#define PFR_IPPROTO_ROUTING 43
#define PFR_IPPROTO_FRAGMENT 44
#define PFR_IPPROTO_GRE 47
#define PFR_IPPROTO_ESP 50
#define PFR_IPPROTO_AH 51
#define PFR_IPPROTO_ICMPV6 58
#define PFR_IPPROTO_NONE 59
#define PFR_IPPROTO_DSTOPTS 60
#define PFR_IPPROTO_SCTP 132
#define PFR_IPPROTO_MH 135

/*
 * An IP address. IPv4 is kept in host byte order in v4 (as PF_RING's
 * parsed_pkt does); IPv6 in network byte order in v6. Unused bytes are zero.
 */
struct pfr_ip {
	union {
		pfr_u32 v4;
		pfr_u8 v6[16];
		pfr_u32 v6w[4];
	};
};

/* Layers, as pfring_parse_pkt's "level" counts them. */
enum pfr_level {
	PFR_LEVEL_NONE = 0,
	PFR_LEVEL_L2 = 2,
	PFR_LEVEL_L3 = 3,
	PFR_LEVEL_L4 = 4,
	PFR_LEVEL_PAYLOAD = 5,
};

/* pfr_pkt_info.flags */
#define PFR_PF_TRUNCATED (1u << 0)   /* a header ran past caplen */
#define PFR_PF_MALFORMED (1u << 1)   /* a header field is impossible */
#define PFR_PF_IP_OPTIONS (1u << 2)  /* IPv4 IHL > 5 */
#define PFR_PF_FRAGMENT (1u << 3)    /* IPv4 MF or offset, or IPv6 frag hdr */
#define PFR_PF_FRAG_FIRST (1u << 4)  /* fragment with offset 0 */
#define PFR_PF_IPV6_EXT (1u << 5)    /* one or more IPv6 extension headers */
#define PFR_PF_QINQ (1u << 6)        /* two or more VLAN tags */

struct pfr_pkt_info {
	pfr_u8 dmac[PFR_ETH_ALEN];
	pfr_u8 smac[PFR_ETH_ALEN];
	pfr_u16 eth_type;     /* after all VLAN tags, host order */
	pfr_u16 vlan_id;      /* outer tag's VID, 0 without a tag */
	pfr_u16 qinq_vlan_id; /* inner tag's VID with QinQ, else 0 */
	pfr_u8 num_vlan_tags;
	pfr_u8 ip_version;    /* 0, 4 or 6 */
	pfr_u8 l3_proto;      /* upper protocol after IPv6 ext headers */
	pfr_u8 ip_tos;        /* IPv4 TOS or IPv6 traffic class */
	pfr_u8 ip_ttl;        /* IPv4 TTL or IPv6 hop limit */
	pfr_u8 level;         /* enum pfr_level reached */
	pfr_u32 flags;        /* PFR_PF_* */
	pfr_u16 frag_offset;  /* in bytes, 0 when not a fragment */
	pfr_u32 frag_id;      /* IPv4 id or IPv6 fragment identification */
	struct pfr_ip ip_src, ip_dst;
	pfr_u16 l4_src_port;  /* TCP/UDP/SCTP ports, host order; 0 otherwise */
	pfr_u16 l4_dst_port;
	pfr_u8 tcp_flags;
	pfr_u32 tcp_seq, tcp_ack;
	pfr_u8 icmp_type, icmp_code;
	pfr_u16 gre_proto;    /* protocol carried by GRE */
	pfr_u32 gre_key;      /* GRE key when present (flags & K) */
	/*
	 * Offsets from the start of the frame; -1 when the layer is absent.
	 * A layer's offset and fields are set only when @level reached it.
	 */
	pfr_s16 eth_offset;
	pfr_s16 vlan_offset;  /* of the outer tag's TPID (12) */
	pfr_s16 l3_offset;
	pfr_s16 l4_offset;
	pfr_s16 payload_offset;
};

/*
 * Parse up to @max_level (an enum pfr_level) of the frame @pkt of @caplen
 * bytes into @info (fully overwritten). Returns the level reached (>= 0).
 * L2 is Ethernet with its tags, L3 the IP header with its options or
 * extension headers, L4 the TCP/UDP/SCTP/ICMP/ICMPv6/GRE header; PAYLOAD
 * means payload_offset is set (the payload may be empty). A third VLAN tag
 * ends parsing at L2 and a ninth IPv6 extension header at L3 (l3_proto is
 * then that header's type), both with MALFORMED. A non-first fragment ends
 * at L3.
 */
int pfr_parse(const pfr_u8 *pkt, pfr_u32 caplen, pfr_u8 max_level,
	      struct pfr_pkt_info *info);

#endif /* PFR_PARSE_H */
