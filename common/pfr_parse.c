// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Packet parser shared by pf_ring.ko and libpfring.
 *
 * Each layer is checked in full before any of its fields is stored, so a
 * truncated or malformed header leaves its own fields zero and the layers
 * before it intact. Offsets fit pfr_s16: the deepest payload (two tags,
 * IPv6 with eight maximal extension headers, TCP options) starts below
 * 17 KiB.
 */
#include "pfr_parse.h"

#define ETH_HLEN      14
#define VLAN_HLEN     4
#define MAX_VLAN_TAGS 2
#define IPV4_HLEN     20
#define IPV6_HLEN     40
#define IPV6_MAX_EXT  8
#define TCP_HLEN      20
#define UDP_HLEN      8
#define SCTP_HLEN     12
#define ICMP_HLEN     8 /* type, code, checksum and the 4-byte rest of header */
#define GRE_HLEN      4

#define IP_MF	    0x2000
#define IP_OFFMASK  0x1fff
#define IP6_OFFMASK 0xfff8

#define GRE_F_CSUM 0x8000
#define GRE_F_KEY  0x2000
#define GRE_F_SEQ  0x1000

/* Are @len bytes at @off inside the capture? Written to never overflow. */
static inline int have(pfr_u32 caplen, pfr_u32 off, pfr_u32 len)
{
	return off <= caplen && len <= caplen - off;
}

static int is_vlan_tpid(pfr_u16 type)
{
	return type == PFR_ETH_P_8021Q || type == PFR_ETH_P_8021AD ||
	       type == PFR_ETH_P_QINQ1;
}

/* Ethernet and up to two tags. Returns the L3 offset, or -1 to stop. */
static int parse_l2(const pfr_u8 *pkt, pfr_u32 caplen,
		    struct pfr_pkt_info *info)
{
	pfr_u16 vid[MAX_VLAN_TAGS] = {0, 0};
	pfr_u32 off = ETH_HLEN - 2; /* the EtherType or a tag's TPID */
	pfr_u16 type;
	int ntags = 0;

	if (!have(caplen, 0, ETH_HLEN)) {
		info->flags |= PFR_PF_TRUNCATED;
		return -1;
	}
	type = pfr_get_be16(pkt + off);
	while (is_vlan_tpid(type) && ntags < MAX_VLAN_TAGS) {
		if (!have(caplen, off, VLAN_HLEN + 2)) {
			info->flags |= PFR_PF_TRUNCATED;
			return -1;
		}
		vid[ntags++] = pfr_get_be16(pkt + off + 2) & 0x0fff;
		off += VLAN_HLEN;
		type = pfr_get_be16(pkt + off);
	}
	memcpy(info->dmac, pkt, PFR_ETH_ALEN);
	memcpy(info->smac, pkt + PFR_ETH_ALEN, PFR_ETH_ALEN);
	info->eth_type = type;
	info->num_vlan_tags = (pfr_u8)ntags;
	info->vlan_id = vid[0];
	info->qinq_vlan_id = vid[1];
	info->eth_offset = 0;
	if (ntags)
		info->vlan_offset = ETH_HLEN - 2;
	if (ntags == MAX_VLAN_TAGS)
		info->flags |= PFR_PF_QINQ;
	info->level = PFR_LEVEL_L2;
	if (is_vlan_tpid(type)) {
		/* A third tag: the frame is not one we can read further. */
		info->flags |= PFR_PF_MALFORMED;
		return -1;
	}
	return (int)(off + 2);
}

/* Returns the L4 offset, or -1 when there is no L4 header to parse. */
static int parse_ipv4(const pfr_u8 *pkt, pfr_u32 caplen, pfr_u32 off,
		      struct pfr_pkt_info *info)
{
	const pfr_u8 *h = pkt + off;
	pfr_u32 hlen;
	pfr_u16 frag;

	if (!have(caplen, off, IPV4_HLEN)) {
		info->flags |= PFR_PF_TRUNCATED;
		return -1;
	}
	hlen = (pfr_u32)(h[0] & 0x0f) * 4;
	if ((h[0] >> 4) != 4 || hlen < IPV4_HLEN ||
	    pfr_get_be16(h + 2) < hlen) {
		info->flags |= PFR_PF_MALFORMED;
		return -1;
	}
	if (!have(caplen, off, hlen)) {
		info->flags |= PFR_PF_TRUNCATED;
		return -1;
	}
	info->ip_version = 4;
	info->ip_tos = h[1];
	info->frag_id = pfr_get_be16(h + 4);
	info->ip_ttl = h[8];
	info->l3_proto = h[9];
	info->ip_src.v4 = pfr_get_be32(h + 12);
	info->ip_dst.v4 = pfr_get_be32(h + 16);
	info->l3_offset = (pfr_s16)off;
	info->level = PFR_LEVEL_L3;
	if (hlen > IPV4_HLEN)
		info->flags |= PFR_PF_IP_OPTIONS;
	frag = pfr_get_be16(h + 6);
	if (frag & (IP_MF | IP_OFFMASK)) {
		info->flags |= PFR_PF_FRAGMENT;
		info->frag_offset = (pfr_u16)((frag & IP_OFFMASK) * 8);
		if (info->frag_offset)
			return -1; /* later fragments carry no L4 header */
		info->flags |= PFR_PF_FRAG_FIRST;
	}
	return (int)(off + hlen);
}

/* Where the IPv6 extension header chain ends and what it said. */
struct v6_chain {
	pfr_u32 off; /* of the header named by nh */
	pfr_u8 nh;
	pfr_u8 nfrag_later; /* a non-first fragment: nothing follows */
	pfr_u32 flags;
	pfr_u16 frag_offset;
	pfr_u32 frag_id;
};

static int is_v6_ext(pfr_u8 nh)
{
	switch (nh) {
	case PFR_IPPROTO_HOPOPTS:
	case PFR_IPPROTO_ROUTING:
	case PFR_IPPROTO_FRAGMENT:
	case PFR_IPPROTO_AH:
	case PFR_IPPROTO_DSTOPTS:
	case PFR_IPPROTO_MH:
		return 1;
	}
	return 0;
}

static pfr_u32 v6_ext_len(pfr_u8 nh, const pfr_u8 *h)
{
	if (nh == PFR_IPPROTO_FRAGMENT)
		return 8;
	if (nh == PFR_IPPROTO_AH)
		return ((pfr_u32)h[1] + 2) * 4;
	return ((pfr_u32)h[1] + 1) * 8;
}

/* A repeated fragment header (never valid) overrides the one before. */
static void v6_fragment(struct v6_chain *c, const pfr_u8 *h)
{
	c->flags = (c->flags & ~PFR_PF_FRAG_FIRST) | PFR_PF_FRAGMENT;
	c->frag_offset = pfr_get_be16(h + 2) & IP6_OFFMASK;
	c->frag_id = pfr_get_be32(h + 4);
	if (c->frag_offset)
		c->nfrag_later = 1;
	else
		c->flags |= PFR_PF_FRAG_FIRST;
}

/*
 * Skip extension headers. Returns 0 when the chain is complete (or cut off
 * by a later fragment or by the limit, which sets MALFORMED in c->flags),
 * or PFR_PF_TRUNCATED when a header runs past caplen.
 */
static pfr_u32 v6_walk(const pfr_u8 *pkt, pfr_u32 caplen, struct v6_chain *c)
{
	const pfr_u8 *h;
	pfr_u32 len;
	int n;

	for (n = 0; is_v6_ext(c->nh) && !c->nfrag_later; n++) {
		if (n == IPV6_MAX_EXT) {
			c->flags |= PFR_PF_MALFORMED;
			return 0;
		}
		if (!have(caplen, c->off, 8))
			return PFR_PF_TRUNCATED;
		h = pkt + c->off;
		len = v6_ext_len(c->nh, h);
		if (!have(caplen, c->off, len))
			return PFR_PF_TRUNCATED;
		if (c->nh == PFR_IPPROTO_FRAGMENT)
			v6_fragment(c, h);
		c->flags |= PFR_PF_IPV6_EXT;
		c->nh = h[0];
		c->off += len;
	}
	return 0;
}

static int parse_ipv6(const pfr_u8 *pkt, pfr_u32 caplen, pfr_u32 off,
		      struct pfr_pkt_info *info)
{
	const pfr_u8 *h = pkt + off;
	struct v6_chain c;
	pfr_u32 err;

	if (!have(caplen, off, IPV6_HLEN)) {
		info->flags |= PFR_PF_TRUNCATED;
		return -1;
	}
	if ((h[0] >> 4) != 6) {
		info->flags |= PFR_PF_MALFORMED;
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.off = off + IPV6_HLEN;
	c.nh = h[6];
	err = v6_walk(pkt, caplen, &c);
	if (err) {
		info->flags |= err;
		return -1;
	}
	info->ip_version = 6;
	info->ip_tos = (pfr_u8)(pfr_get_be16(h) >> 4);
	info->ip_ttl = h[7];
	info->l3_proto = c.nh;
	memcpy(info->ip_src.v6, h + 8, 16);
	memcpy(info->ip_dst.v6, h + 24, 16);
	info->flags |= c.flags;
	info->frag_offset = c.frag_offset;
	info->frag_id = c.frag_id;
	info->l3_offset = (pfr_s16)off;
	info->level = PFR_LEVEL_L3;
	if (c.nfrag_later || (c.flags & PFR_PF_MALFORMED))
		return -1;
	return (int)c.off;
}

static int parse_l3(const pfr_u8 *pkt, pfr_u32 caplen, pfr_u32 off,
		    struct pfr_pkt_info *info)
{
	if (info->eth_type == PFR_ETH_P_IP)
		return parse_ipv4(pkt, caplen, off, info);
	if (info->eth_type == PFR_ETH_P_IPV6)
		return parse_ipv6(pkt, caplen, off, info);
	return -1;
}

/* Returns the TCP header length, or 0 after flagging why there is none. */
static pfr_u32 tcp_hlen(const pfr_u8 *h, pfr_u32 caplen, pfr_u32 off,
			struct pfr_pkt_info *info)
{
	pfr_u32 hlen = (pfr_u32)(h[12] >> 4) * 4;

	if (hlen < TCP_HLEN) {
		info->flags |= PFR_PF_MALFORMED;
		return 0;
	}
	if (!have(caplen, off, hlen)) {
		info->flags |= PFR_PF_TRUNCATED;
		return 0;
	}
	return hlen;
}

static pfr_u32 gre_hlen(pfr_u16 gflags)
{
	return GRE_HLEN + ((gflags & GRE_F_CSUM) ? 4 : 0) +
	       ((gflags & GRE_F_KEY) ? 4 : 0) + ((gflags & GRE_F_SEQ) ? 4 : 0);
}

/* The fixed part of each L4 header the parser reads; 0 = not parsed. */
static pfr_u32 l4_min_len(pfr_u8 proto)
{
	switch (proto) {
	case PFR_IPPROTO_TCP:
		return TCP_HLEN;
	case PFR_IPPROTO_UDP:
		return UDP_HLEN;
	case PFR_IPPROTO_SCTP:
		return SCTP_HLEN;
	case PFR_IPPROTO_ICMP:
	case PFR_IPPROTO_ICMPV6:
		return ICMP_HLEN;
	case PFR_IPPROTO_GRE:
		return GRE_HLEN;
	}
	return 0;
}

/* Returns the header length of the L4 header at @off, 0 to stop. */
static pfr_u32 l4_hlen(const pfr_u8 *pkt, pfr_u32 caplen, pfr_u32 off,
		       struct pfr_pkt_info *info)
{
	pfr_u32 hlen = l4_min_len(info->l3_proto);

	if (!hlen)
		return 0;
	if (!have(caplen, off, hlen)) {
		info->flags |= PFR_PF_TRUNCATED;
		return 0;
	}
	if (info->l3_proto == PFR_IPPROTO_TCP)
		return tcp_hlen(pkt + off, caplen, off, info);
	if (info->l3_proto == PFR_IPPROTO_GRE) {
		hlen = gre_hlen(pfr_get_be16(pkt + off));
		if (!have(caplen, off, hlen)) {
			info->flags |= PFR_PF_TRUNCATED;
			return 0;
		}
	}
	return hlen;
}

static void gre_fields(const pfr_u8 *h, struct pfr_pkt_info *info)
{
	pfr_u16 gflags = pfr_get_be16(h);

	info->gre_proto = pfr_get_be16(h + 2);
	if (gflags & GRE_F_KEY)
		info->gre_key = pfr_get_be32(h + GRE_HLEN +
					     ((gflags & GRE_F_CSUM) ? 4 : 0));
}

/* Store the fields of a complete L4 header. */
static void l4_fields(const pfr_u8 *h, struct pfr_pkt_info *info)
{
	switch (info->l3_proto) {
	case PFR_IPPROTO_TCP:
		info->tcp_flags = h[13];
		info->tcp_seq = pfr_get_be32(h + 4);
		info->tcp_ack = pfr_get_be32(h + 8);
		info->l4_src_port = pfr_get_be16(h);
		info->l4_dst_port = pfr_get_be16(h + 2);
		break;
	case PFR_IPPROTO_UDP:
	case PFR_IPPROTO_SCTP:
		info->l4_src_port = pfr_get_be16(h);
		info->l4_dst_port = pfr_get_be16(h + 2);
		break;
	case PFR_IPPROTO_ICMP:
	case PFR_IPPROTO_ICMPV6:
		info->icmp_type = h[0];
		info->icmp_code = h[1];
		break;
	case PFR_IPPROTO_GRE:
		gre_fields(h, info);
		break;
	}
}

/* Returns the payload offset, or -1 to stop. */
static int parse_l4(const pfr_u8 *pkt, pfr_u32 caplen, pfr_u32 off,
		    struct pfr_pkt_info *info)
{
	pfr_u32 hlen = l4_hlen(pkt, caplen, off, info);

	if (!hlen)
		return -1;
	l4_fields(pkt + off, info);
	info->l4_offset = (pfr_s16)off;
	info->level = PFR_LEVEL_L4;
	return (int)(off + hlen);
}

int pfr_parse(const pfr_u8 *pkt, pfr_u32 caplen, pfr_u8 max_level,
	      struct pfr_pkt_info *info)
{
	int off;

	memset(info, 0, sizeof(*info));
	info->eth_offset = -1;
	info->vlan_offset = -1;
	info->l3_offset = -1;
	info->l4_offset = -1;
	info->payload_offset = -1;
	if (max_level < PFR_LEVEL_L2)
		return info->level;
	off = parse_l2(pkt, caplen, info);
	if (off < 0 || max_level < PFR_LEVEL_L3)
		return info->level;
	off = parse_l3(pkt, caplen, (pfr_u32)off, info);
	if (off < 0 || max_level < PFR_LEVEL_L4)
		return info->level;
	off = parse_l4(pkt, caplen, (pfr_u32)off, info);
	if (off < 0 || max_level < PFR_LEVEL_PAYLOAD)
		return info->level;
	info->payload_offset = (pfr_s16)off;
	info->level = PFR_LEVEL_PAYLOAD;
	return info->level;
}
