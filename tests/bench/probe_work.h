/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * probe_work.h - the per-packet work of every capture benchmark program.
 *
 * A real probe looks at each packet's headers; a benchmark loop that only
 * counts would flatter the path that hands over packets fastest and hide
 * the cost of touching their memory. All three capture programs run this
 * same code: Ethernet (up to two VLAN tags), IPv4 or IPv6, and the TCP/UDP
 * ports and TCP flags, folded into a running FNV-style checksum that the
 * program prints, so the compiler cannot drop the work. It depends on
 * nothing but <stdint.h>, so that no capture path gets the library's
 * parser for free.
 */
#ifndef PROBE_WORK_H
#define PROBE_WORK_H

#include <stdint.h>

#define PW_FNV_BASIS	 0xcbf29ce484222325ULL
#define PW_FNV_PRIME	 0x100000001b3ULL
#define PW_ETH_HLEN	 14
#define PW_MAX_VLAN_TAGS 2

/* What the probe keeps about the packets it saw. */
struct probe_acc {
	uint64_t pkts;	  /* every packet */
	uint64_t bytes;	  /* wire lengths */
	uint64_t ip_pkts; /* packets with a complete IPv4/IPv6 header */
	uint64_t sum;	  /* checksum of the header fields */
};

static inline void probe_init(struct probe_acc *a)
{
	a->pkts = a->bytes = a->ip_pkts = 0;
	a->sum = PW_FNV_BASIS;
}

static inline uint16_t pw_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pw_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void pw_fold(struct probe_acc *a, uint64_t v)
{
	a->sum = (a->sum ^ v) * PW_FNV_PRIME;
}

/* TCP/UDP: both ports in one word; TCP adds its flags. */
static inline void pw_l4(struct probe_acc *a, const uint8_t *l4, uint32_t left,
			 uint8_t proto)
{
	if ((proto == 6 || proto == 17) && left >= 4)
		pw_fold(a, pw_be32(l4));
	if (proto == 6 && left >= 14)
		pw_fold(a, l4[13]);
}

static inline void pw_ipv4(struct probe_acc *a, const uint8_t *ip,
			   uint32_t left)
{
	uint32_t ihl;

	if (left < 20 || ip[0] >> 4 != 4)
		return;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > left)
		return;
	a->ip_pkts++;
	pw_fold(a, (uint64_t)pw_be32(ip + 12) << 32 | pw_be32(ip + 16));
	pw_fold(a, (uint64_t)pw_be16(ip + 2) << 16 | ip[8] << 8 | ip[9]);
	if ((pw_be16(ip + 6) & 0x1fff) == 0) /* first or only fragment */
		pw_l4(a, ip + ihl, left - ihl, ip[9]);
}

/* No extension headers walked: the next header must be TCP or UDP. */
static inline void pw_ipv6(struct probe_acc *a, const uint8_t *ip,
			   uint32_t left)
{
	uint32_t i;

	if (left < 40 || ip[0] >> 4 != 6)
		return;
	a->ip_pkts++;
	for (i = 8; i < 40; i += 8)
		pw_fold(a,
			(uint64_t)pw_be32(ip + i) << 32 | pw_be32(ip + i + 4));
	pw_fold(a, (uint64_t)pw_be16(ip + 4) << 16 | ip[7] << 8 | ip[6]);
	pw_l4(a, ip + 40, left - 40, ip[6]);
}

/* Parse one frame of @caplen bytes captured from a @len-byte packet. */
static inline void probe_work(struct probe_acc *a, const uint8_t *pkt,
			      uint32_t caplen, uint32_t len)
{
	uint32_t off = 12, tags = 0;
	uint16_t type;

	a->pkts++;
	a->bytes += len;
	if (caplen < PW_ETH_HLEN)
		return;
	pw_fold(a, (uint64_t)pw_be32(pkt) << 32 | pw_be32(pkt + 4));
	pw_fold(a, pw_be32(pkt + 8));
	type = pw_be16(pkt + off);
	while ((type == 0x8100 || type == 0x88a8) &&
	       tags++ < PW_MAX_VLAN_TAGS && off + 6 <= caplen) {
		pw_fold(a, pw_be16(pkt + off + 2) & 0x0fff);
		off += 4;
		type = pw_be16(pkt + off);
	}
	off += 2;
	pw_fold(a, type);
	if (type == 0x0800)
		pw_ipv4(a, pkt + off, caplen - off);
	else if (type == 0x86dd)
		pw_ipv6(a, pkt + off, caplen - off);
}

#endif /* PROBE_WORK_H */
