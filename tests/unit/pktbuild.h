/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Test packet builder: Ethernet frames with VLAN tags, IPv4 (options,
 * fragments) or IPv6 (extension headers) and a TCP, UDP, SCTP, ICMP,
 * ICMPv6 or GRE header, for the unit suites and the eBPF agreement test.
 * Header only; user space only.
 *
 * The IPv4 header checksum is correct; other checksums are zero. A
 * non-first fragment (frag_off > 0) carries only the payload.
 */
#ifndef PKTBUILD_H
#define PKTBUILD_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct pb_spec {
	uint8_t dmac[6], smac[6];
	int nvlan;	     /* 0 to 2 tags */
	uint16_t vlan[2];    /* TCI of each tag, outer first */
	uint16_t outer_tpid; /* 0 -> 0x8100; inner tags use 0x8100 */
	int ipv;	     /* 0 (no IP; ethertype from .ethertype), 4, 6 */
	uint16_t ethertype;  /* used when ipv == 0 */
	uint8_t src[16], dst[16]; /* IPv4: first 4 bytes, network order */
	uint8_t proto;		  /* 6 tcp, 17 udp, 132 sctp, 1 icmp, 58 icmpv6,
				     47 gre, other: no L4 header is written */
	uint16_t sport, dport;	  /* host order */
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint8_t icmp_type, icmp_code;
	uint16_t gre_proto;
	int gre_key_present;
	uint32_t gre_key;
	int ip_opt_len;	   /* IPv4 options bytes, multiple of 4, <= 40 */
	uint16_t frag_off; /* bytes, multiple of 8 */
	int more_frags;	   /* IPv4 MF / IPv6 fragment header M */
	int v6_frag_hdr;   /* IPv6: insert a fragment header */
	/* IPv6: how many of each to insert (8 bytes each), in this order:
	 * hop-by-hop, routing, fragment, destination options. */
	int v6_hopopts, v6_dstopts, v6_routing;
	uint8_t ttl; /* 0 -> 64 */
	const void *payload;
	size_t payload_len;
};

/* A cursor that refuses to write past the buffer. */
struct pb_out {
	uint8_t *buf;
	size_t cap, len;
	int overflow;
};

static inline uint8_t *pb_put(struct pb_out *o, size_t n)
{
	uint8_t *p;

	if (o->overflow || n > o->cap - o->len) {
		o->overflow = 1;
		return NULL;
	}
	p = o->buf + o->len;
	memset(p, 0, n);
	o->len += n;
	return p;
}

static inline void pb_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pb_be32(uint8_t *p, uint32_t v)
{
	pb_be16(p, (uint16_t)(v >> 16));
	pb_be16(p + 2, (uint16_t)v);
}

static inline uint16_t pb_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline int pb_is_later_frag(const struct pb_spec *s)
{
	return s->frag_off != 0 && (s->ipv == 4 || s->v6_frag_hdr);
}

static inline size_t pb_l4_len(const struct pb_spec *s)
{
	if (pb_is_later_frag(s))
		return 0;
	switch (s->proto) {
	case 6:
		return 20;
	case 17:
		return 8;
	case 132:
		return 12;
	case 1:
	case 58:
		return 8;
	case 47:
		return s->gre_key_present ? 8 : 4;
	}
	return 0;
}

static inline void pb_l4(uint8_t *h, const struct pb_spec *s, size_t len)
{
	switch (s->proto) {
	case 6:
		pb_be32(h + 4, s->tcp_seq);
		pb_be32(h + 8, s->tcp_ack);
		h[12] = 5 << 4;
		h[13] = s->tcp_flags;
		pb_be16(h + 14, 65535);
		break;
	case 17:
		pb_be16(h + 4, (uint16_t)(len + s->payload_len));
		break;
	case 1:
	case 58:
		h[0] = s->icmp_type;
		h[1] = s->icmp_code;
		return;
	case 47:
		pb_be16(h, s->gre_key_present ? 0x2000 : 0);
		pb_be16(h + 2, s->gre_proto);
		if (s->gre_key_present)
			pb_be32(h + 4, s->gre_key);
		return;
	}
	pb_be16(h, s->sport);
	pb_be16(h + 2, s->dport);
}

static inline void pb_ipv4(uint8_t *h, const struct pb_spec *s, size_t l4len)
{
	size_t hlen = 20 + (size_t)s->ip_opt_len;

	h[0] = (uint8_t)(0x40 | (hlen / 4));
	pb_be16(h + 2, (uint16_t)(hlen + l4len + s->payload_len));
	pb_be16(h + 4, 0x1234);
	pb_be16(h + 6,
		(uint16_t)((s->more_frags ? 0x2000 : 0) | (s->frag_off / 8)));
	h[8] = s->ttl ? s->ttl : 64;
	h[9] = s->proto;
	memcpy(h + 12, s->src, 4);
	memcpy(h + 16, s->dst, 4);
	memset(h + 20, 1, (size_t)s->ip_opt_len); /* NOP options */
	pb_be16(h + 10, pb_csum(h, hlen));
}

/* Append @n 8-byte extension headers of type @type; *@nh links them. */
static inline void pb_v6_ext(struct pb_out *o, uint8_t **nh, uint8_t type,
			     int n, const struct pb_spec *s)
{
	uint8_t *h;

	while (n-- > 0 && (h = pb_put(o, 8)) != NULL) {
		**nh = type;
		*nh = h;
		if (type == 44) {
			pb_be16(h + 2, (uint16_t)(s->frag_off |
						  (s->more_frags ? 1 : 0)));
			pb_be32(h + 4, 0xabcd1234);
		} else if (type != 43) {
			h[2] = 1; /* PadN over the remaining four bytes */
			h[3] = 4;
		}
	}
}

static inline void pb_ipv6(struct pb_out *o, const struct pb_spec *s,
			   size_t l4len)
{
	size_t start = o->len;
	uint8_t *h = pb_put(o, 40), *nh;

	if (h == NULL)
		return;
	h[0] = 0x60;
	h[7] = s->ttl ? s->ttl : 64;
	memcpy(h + 8, s->src, 16);
	memcpy(h + 24, s->dst, 16);
	nh = h + 6;
	pb_v6_ext(o, &nh, 0, s->v6_hopopts, s);
	pb_v6_ext(o, &nh, 43, s->v6_routing, s);
	pb_v6_ext(o, &nh, 44, s->v6_frag_hdr ? 1 : 0, s);
	pb_v6_ext(o, &nh, 60, s->v6_dstopts, s);
	*nh = s->proto;
	pb_be16(h + 4,
		(uint16_t)(o->len - start - 40 + l4len + s->payload_len));
}

static inline void pb_l2(struct pb_out *o, const struct pb_spec *s)
{
	uint8_t *h = pb_put(o, 12);
	int i;

	if (h == NULL)
		return;
	memcpy(h, s->dmac, 6);
	memcpy(h + 6, s->smac, 6);
	for (i = 0; i < s->nvlan && i < 2; i++) {
		h = pb_put(o, 4);
		if (h == NULL)
			return;
		pb_be16(h, (i == 0 && s->outer_tpid) ? s->outer_tpid : 0x8100);
		pb_be16(h + 2, s->vlan[i]);
	}
	h = pb_put(o, 2);
	if (h != NULL)
		pb_be16(h, s->ipv == 4	 ? 0x0800
			   : s->ipv == 6 ? 0x86DD
					 : s->ethertype);
}

/* Build the frame into @buf; returns its length, or 0 if it doesn't fit. */
static inline size_t pb_build(uint8_t *buf, size_t cap, const struct pb_spec *s)
{
	struct pb_out o = {buf, cap, 0, 0};
	size_t l4len = s->ipv ? pb_l4_len(s) : 0;
	uint8_t *h;

	pb_l2(&o, s);
	if (s->ipv == 4) {
		h = pb_put(&o, 20 + (size_t)s->ip_opt_len);
		if (h != NULL)
			pb_ipv4(h, s, l4len);
	} else if (s->ipv == 6) {
		pb_ipv6(&o, s, l4len);
	}
	h = pb_put(&o, l4len);
	if (h != NULL && l4len)
		pb_l4(h, s, l4len);
	h = pb_put(&o, s->payload_len);
	if (h != NULL && s->payload_len)
		memcpy(h, s->payload, s->payload_len);
	return o.overflow ? 0 : o.len;
}

/* Fill a 16-byte address from dotted IPv4 text (network order, 4 bytes). */
static inline void pb_ip4(uint8_t *dst16, const char *dotted)
{
	memset(dst16, 0, 16);
	if (inet_pton(AF_INET, dotted, dst16) != 1)
		memset(dst16, 0, 16);
}

static inline void pb_ip6(uint8_t *dst16, const char *text)
{
	if (inet_pton(AF_INET6, text, dst16) != 1)
		memset(dst16, 0, 16);
}

static inline void pb_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Write @n frames as a classic pcap file (microsecond, DLT_EN10MB, one
 * millisecond apart). Returns 0, or -1 if the file could not be written.
 */
static inline int pb_write_pcap(const char *path, uint8_t **frames,
				size_t *lens, size_t n)
{
	uint8_t ghdr[24] = {0}, rec[16];
	FILE *f = fopen(path, "wb");
	size_t i;
	int ok;

	if (f == NULL)
		return -1;
	pb_le32(ghdr, 0xa1b2c3d4);	/* microsecond timestamps */
	pb_le32(ghdr + 4, 2 | 4 << 16); /* version 2.4 */
	pb_le32(ghdr + 16, 262144);	/* snaplen */
	pb_le32(ghdr + 20, 1);		/* DLT_EN10MB */
	ok = fwrite(ghdr, sizeof(ghdr), 1, f) == 1;
	for (i = 0; ok && i < n; i++) {
		pb_le32(rec, (uint32_t)(1700000000 + i / 1000));
		pb_le32(rec + 4, (uint32_t)(i % 1000) * 1000);
		pb_le32(rec + 8, (uint32_t)lens[i]);
		pb_le32(rec + 12, (uint32_t)lens[i]);
		ok = fwrite(rec, sizeof(rec), 1, f) == 1 &&
		     (lens[i] == 0 || fwrite(frames[i], lens[i], 1, f) == 1);
	}
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

#endif /* PKTBUILD_H */
