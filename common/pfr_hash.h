/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Symmetric flow hashing: both directions of a flow hash alike, so a
 * cluster keeps a whole conversation on one member.
 *
 * Everything here is static inline over plain integers so that the eBPF
 * fanout program (libpfring/bpf/) includes this very file and computes the
 * same hash as the library and the kernel module.
 */
#ifndef PFR_HASH_H
#define PFR_HASH_H

#include "pfr_compat.h"

/* Which fields a flow hash covers (PF_RING cluster types map onto these). */
enum pfr_tuple {
	PFR_TUPLE_2 = 0,     /* src ip, dst ip */
	PFR_TUPLE_4 = 1,     /* + src port, dst port */
	PFR_TUPLE_5 = 2,     /* + l4 protocol */
	PFR_TUPLE_TCP_5 = 3, /* 5-tuple for TCP, 2-tuple for the rest */
	PFR_TUPLE_6 = 4,     /* 5-tuple + VLAN id */
};

/* One direction-independent flow: the two endpoints in canonical order. */
struct pfr_flow_key {
	pfr_u32 a[4], b[4];   /* addresses as 32-bit words (IPv4: [0] only) */
	pfr_u16 port_a, port_b;
	pfr_u16 vlan_id;
	pfr_u8 proto;
	pfr_u8 ip_version;
};

static inline pfr_u32 pfr_rotl32(pfr_u32 x, unsigned int r)
{
	return (x << r) | (x >> (32 - r));
}

/* One round of MurmurHash3's 32-bit body. */
static inline pfr_u32 pfr_hash_step(pfr_u32 h, pfr_u32 w)
{
	w *= 0xcc9e2d51u;
	w = pfr_rotl32(w, 15);
	w *= 0x1b873593u;
	h ^= w;
	h = pfr_rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline pfr_u32 pfr_hash_final(pfr_u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Nonzero when endpoint (x, xp) sorts after (y, yp). */
static inline int pfr_endpoint_gt(const pfr_u32 *x, pfr_u16 xp,
				  const pfr_u32 *y, pfr_u16 yp)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (x[i] != y[i])
			return x[i] > y[i];
	}
	return xp > yp;
}

/*
 * Fill @k from one packet's fields so that the reverse packet gives the
 * same key. @src/@dst are four 32-bit words each (IPv4: word 0, rest 0).
 * Fields the tuple does not cover are zeroed.
 */
static inline void pfr_flow_key_make(struct pfr_flow_key *k,
				     enum pfr_tuple tuple, pfr_u8 ip_version,
				     const pfr_u32 *src, const pfr_u32 *dst,
				     pfr_u16 sport, pfr_u16 dport,
				     pfr_u8 proto, pfr_u16 vlan_id)
{
	int ports = tuple != PFR_TUPLE_2;
	int i;

	if (tuple == PFR_TUPLE_TCP_5 && proto != 6 /* TCP */)
		ports = 0;
	if (!ports)
		sport = dport = 0;
	if (pfr_endpoint_gt(src, sport, dst, dport)) {
		const pfr_u32 *t = src;
		pfr_u16 tp = sport;

		src = dst;
		dst = t;
		sport = dport;
		dport = tp;
	}
	for (i = 0; i < 4; i++) {
		k->a[i] = src[i];
		k->b[i] = dst[i];
	}
	k->port_a = sport;
	k->port_b = dport;
	k->proto = (tuple == PFR_TUPLE_5 || tuple == PFR_TUPLE_6 ||
		    (tuple == PFR_TUPLE_TCP_5 && ports)) ? proto : 0;
	k->vlan_id = tuple == PFR_TUPLE_6 ? vlan_id : 0;
	k->ip_version = ip_version;
}

static inline pfr_u32 pfr_flow_key_hash(const struct pfr_flow_key *k)
{
	pfr_u32 h = 0x9747b28cu;
	int i;

	for (i = 0; i < 4; i++)
		h = pfr_hash_step(h, k->a[i]);
	for (i = 0; i < 4; i++)
		h = pfr_hash_step(h, k->b[i]);
	h = pfr_hash_step(h, ((pfr_u32)k->port_a << 16) | k->port_b);
	h = pfr_hash_step(h, ((pfr_u32)k->vlan_id << 16) |
				     ((pfr_u32)k->proto << 8) | k->ip_version);
	return pfr_hash_final(h);
}

#endif /* PFR_HASH_H */
