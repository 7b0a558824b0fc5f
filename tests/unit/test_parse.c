// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * common/pfr_parse.c: every protocol and branch, truncation at every byte,
 * malformed headers, max_level, and random corruption. Frames are parsed
 * from heap copies of exactly caplen bytes so that sanitizers and valgrind
 * catch any read past the end.
 */
#include <check.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>

#include "pfr_parse.h"
#include "pktbuild.h"
#include "check_main.h"

#define EXPECT_EQ(name, a, b)                                                  \
	ck_assert_msg((long)(a) == (long)(b), "%s: %s is %ld, expected %ld",   \
		      (name), #a, (long)(a), (long)(b))

#define DMAC .dmac = {0x02, 0, 0, 0, 0, 0x02}
#define SMAC .smac = {0x02, 0, 0, 0, 0, 0x01}
#define V4   .ipv = 4, .src = {10, 0, 0, 1}, .dst = {192, 168, 1, 2}
#define V6                                                                     \
	.ipv = 6, .src = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},                   \
	.dst = {0x20, 0x01, 0x0d, 0xb8, [15] = 2}
#define P8 .payload = "abcdefgh", .payload_len = 8

#define F_EXT	PFR_PF_IPV6_EXT
#define F_FRAG	PFR_PF_FRAGMENT
#define F_FIRST PFR_PF_FRAG_FIRST

static int parse_exact(const uint8_t *frame, size_t len, int max_level,
		       struct pfr_pkt_info *pi)
{
	uint8_t *copy = malloc(len ? len : 1);
	int level;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, frame, len);
	level = pfr_parse(copy, (pfr_u32)len, (pfr_u8)max_level, pi);
	free(copy);
	return level;
}

static size_t build(uint8_t *buf, size_t cap, const struct pb_spec *s)
{
	size_t len = pb_build(buf, cap, s);

	ck_assert_uint_gt(len, 0);
	return len;
}

/* Layer fields must be zero and offsets -1 above the level reached. */
static void check_consistent(const char *name, const struct pfr_pkt_info *pi,
			     size_t caplen)
{
	const int16_t off[] = {pi->eth_offset, pi->l3_offset, pi->l4_offset,
			       pi->payload_offset};
	int i;

	for (i = 0; i < 4; i++) {
		EXPECT_EQ(name, off[i] >= 0, pi->level >= i + 2);
		ck_assert_msg(off[i] <= (long)caplen, "%s: offset %d past end",
			      name, i);
	}
	if (pi->level < PFR_LEVEL_L2)
		EXPECT_EQ(name, pi->eth_type, 0);
	if (pi->level < PFR_LEVEL_L3) {
		EXPECT_EQ(name, pi->ip_version, 0);
		EXPECT_EQ(name, pi->l3_proto, 0);
		EXPECT_EQ(name, pi->ip_src.v6w[0] | pi->ip_dst.v6w[0], 0);
	}
	if (pi->level < PFR_LEVEL_L4) {
		EXPECT_EQ(name, pi->l4_src_port | pi->l4_dst_port, 0);
		EXPECT_EQ(name, pi->tcp_flags | pi->icmp_type | pi->gre_proto,
			  0);
	}
}

/* Protocols, tags, options, fragments and extension headers. */
struct proto_case {
	const char *name;
	struct pb_spec spec;
	int level;
	uint8_t ipv, proto;
	uint16_t sport, dport;
	uint32_t flags;
	uint16_t eth_type, vlan, qinq;
	uint8_t ntags;
	int16_t l3, l4, payload;
};

/* clang-format off */
static const struct proto_case proto_cases[] = {
	{ "tcp4", { DMAC, SMAC, V4, .proto = 6, .sport = 1234, .dport = 80, P8 },
	  5, 4, 6, 1234, 80, 0, 0x0800, 0, 0, 0, 14, 34, 54 },
	{ "udp4", { V4, .proto = 17, .sport = 5353, .dport = 53, P8 },
	  5, 4, 17, 5353, 53, 0, 0x0800, 0, 0, 0, 14, 34, 42 },
	{ "sctp4", { V4, .proto = 132, .sport = 2905, .dport = 2906, P8 },
	  5, 4, 132, 2905, 2906, 0, 0x0800, 0, 0, 0, 14, 34, 46 },
	{ "icmp4", { V4, .proto = 1, .icmp_type = 8, P8 },
	  5, 4, 1, 0, 0, 0, 0x0800, 0, 0, 0, 14, 34, 42 },
	{ "gre4", { V4, .proto = 47, .gre_proto = 0x0800, P8 },
	  5, 4, 47, 0, 0, 0, 0x0800, 0, 0, 0, 14, 34, 38 },
	{ "gre4_key", { V4, .proto = 47, .gre_proto = 0x6558,
			.gre_key_present = 1, .gre_key = 7, P8 },
	  5, 4, 47, 0, 0, 0, 0x0800, 0, 0, 0, 14, 34, 42 },
	{ "ospf4", { V4, .proto = 89, P8 },
	  3, 4, 89, 0, 0, 0, 0x0800, 0, 0, 0, 14, -1, -1 },
	{ "esp4", { V4, .proto = 50, P8 },
	  3, 4, 50, 0, 0, 0, 0x0800, 0, 0, 0, 14, -1, -1 },
	{ "tcp4_empty", { V4, .proto = 6, .sport = 1, .dport = 2 },
	  5, 4, 6, 1, 2, 0, 0x0800, 0, 0, 0, 14, 34, 54 },
	{ "tcp6", { V6, .proto = 6, .sport = 40000, .dport = 443, P8 },
	  5, 6, 6, 40000, 443, 0, 0x86DD, 0, 0, 0, 14, 54, 74 },
	{ "udp6", { V6, .proto = 17, .sport = 546, .dport = 547, P8 },
	  5, 6, 17, 546, 547, 0, 0x86DD, 0, 0, 0, 14, 54, 62 },
	{ "sctp6", { V6, .proto = 132, .sport = 9, .dport = 10, P8 },
	  5, 6, 132, 9, 10, 0, 0x86DD, 0, 0, 0, 14, 54, 66 },
	{ "icmp6", { V6, .proto = 58, .icmp_type = 128, P8 },
	  5, 6, 58, 0, 0, 0, 0x86DD, 0, 0, 0, 14, 54, 62 },
	{ "gre6", { V6, .proto = 47, .gre_proto = 0x86DD, P8 },
	  5, 6, 47, 0, 0, 0, 0x86DD, 0, 0, 0, 14, 54, 58 },
	{ "none6", { V6, .proto = 59 },
	  3, 6, 59, 0, 0, 0, 0x86DD, 0, 0, 0, 14, -1, -1 },
	{ "esp6", { V6, .proto = 50, P8 },
	  3, 6, 50, 0, 0, 0, 0x86DD, 0, 0, 0, 14, -1, -1 },
	{ "vlan_tcp4", { V4, .nvlan = 1, .vlan = {100}, .proto = 6,
			 .sport = 1, .dport = 2, P8 },
	  5, 4, 6, 1, 2, 0, 0x0800, 100, 0, 1, 18, 38, 58 },
	{ "vlan_pcp_bits", { V4, .nvlan = 1, .vlan = {0xE064}, .proto = 17,
			     .sport = 1, .dport = 2, P8 },
	  5, 4, 17, 1, 2, 0, 0x0800, 100, 0, 1, 18, 38, 46 },
	{ "vlan_88a8_single", { V6, .nvlan = 1, .vlan = {4095},
				.outer_tpid = 0x88A8, .proto = 17, P8 },
	  5, 6, 17, 0, 0, 0, 0x86DD, 4095, 0, 1, 18, 58, 66 },
	{ "qinq_88a8", { V4, .nvlan = 2, .vlan = {200, 300},
			 .outer_tpid = 0x88A8, .proto = 17, .sport = 7,
			 .dport = 8, P8 },
	  5, 4, 17, 7, 8, PFR_PF_QINQ, 0x0800, 200, 300, 2, 22, 42, 50 },
	{ "qinq_9100", { V6, .nvlan = 2, .vlan = {1, 2}, .outer_tpid = 0x9100,
			 .proto = 6, .sport = 7, .dport = 8, P8 },
	  5, 6, 6, 7, 8, PFR_PF_QINQ, 0x86DD, 1, 2, 2, 22, 62, 82 },
	{ "qinq_8100", { V4, .nvlan = 2, .vlan = {10, 20}, .proto = 1, P8 },
	  5, 4, 1, 0, 0, PFR_PF_QINQ, 0x0800, 10, 20, 2, 22, 42, 50 },
	{ "ipopt4", { V4, .ip_opt_len = 4, .proto = 6, .sport = 3, .dport = 4,
		      P8 },
	  5, 4, 6, 3, 4, PFR_PF_IP_OPTIONS, 0x0800, 0, 0, 0, 14, 38, 58 },
	{ "ipopt40", { V4, .ip_opt_len = 40, .proto = 17, .sport = 3,
		       .dport = 4, P8 },
	  5, 4, 17, 3, 4, PFR_PF_IP_OPTIONS, 0x0800, 0, 0, 0, 14, 74, 82 },
	{ "frag4_first", { V4, .proto = 17, .sport = 5, .dport = 6,
			   .more_frags = 1, P8 },
	  5, 4, 17, 5, 6, F_FRAG | F_FIRST, 0x0800, 0, 0, 0, 14, 34, 42 },
	{ "frag4_middle", { V4, .proto = 17, .sport = 5, .dport = 6,
			    .more_frags = 1, .frag_off = 1480, P8 },
	  3, 4, 17, 0, 0, F_FRAG, 0x0800, 0, 0, 0, 14, -1, -1 },
	{ "frag4_last", { V4, .proto = 6, .sport = 5, .dport = 6,
			  .frag_off = 8, P8 },
	  3, 4, 6, 0, 0, F_FRAG, 0x0800, 0, 0, 0, 14, -1, -1 },
	{ "hopopts6", { V6, .v6_hopopts = 1, .proto = 6, .sport = 1,
			.dport = 2, P8 },
	  5, 6, 6, 1, 2, F_EXT, 0x86DD, 0, 0, 0, 14, 62, 82 },
	{ "routing6", { V6, .v6_routing = 1, .proto = 6, .sport = 1,
			.dport = 2, P8 },
	  5, 6, 6, 1, 2, F_EXT, 0x86DD, 0, 0, 0, 14, 62, 82 },
	{ "dstopts6", { V6, .v6_dstopts = 1, .proto = 17, .sport = 1,
			.dport = 2, P8 },
	  5, 6, 17, 1, 2, F_EXT, 0x86DD, 0, 0, 0, 14, 62, 70 },
	{ "frag6_first", { V6, .v6_frag_hdr = 1, .more_frags = 1, .proto = 17,
			   .sport = 1, .dport = 2, P8 },
	  5, 6, 17, 1, 2, F_EXT | F_FRAG | F_FIRST, 0x86DD, 0, 0, 0, 14, 62,
	  70 },
	{ "frag6_atomic", { V6, .v6_frag_hdr = 1, .proto = 17, .sport = 1,
			    .dport = 2, P8 },
	  5, 6, 17, 1, 2, F_EXT | F_FRAG | F_FIRST, 0x86DD, 0, 0, 0, 14, 62,
	  70 },
	{ "frag6_later", { V6, .v6_frag_hdr = 1, .frag_off = 1232,
			   .proto = 17, .sport = 1, .dport = 2, P8 },
	  3, 6, 17, 0, 0, F_EXT | F_FRAG, 0x86DD, 0, 0, 0, 14, -1, -1 },
	{ "all_ext6", { V6, .v6_hopopts = 1, .v6_routing = 1, .v6_frag_hdr = 1,
			.v6_dstopts = 1, .proto = 6, .sport = 1, .dport = 2,
			P8 },
	  5, 6, 6, 1, 2, F_EXT | F_FRAG | F_FIRST, 0x86DD, 0, 0, 0, 14, 86,
	  106 },
	{ "eight_ext6", { V6, .v6_hopopts = 2, .v6_routing = 3,
			  .v6_dstopts = 3, .proto = 17, P8 },
	  5, 6, 17, 0, 0, F_EXT, 0x86DD, 0, 0, 0, 14, 118, 126 },
	{ "nine_ext6", { V6, .v6_hopopts = 3, .v6_routing = 3,
			 .v6_dstopts = 3, .proto = 17, P8 },
	  3, 6, 60, 0, 0, F_EXT | PFR_PF_MALFORMED, 0x86DD, 0, 0, 0, 14, -1,
	  -1 },
	{ "arp", { .ethertype = 0x0806, P8 },
	  2, 0, 0, 0, 0, 0, 0x0806, 0, 0, 0, -1, -1, -1 },
	{ "vlan_arp", { .nvlan = 1, .vlan = {5}, .ethertype = 0x0806, P8 },
	  2, 0, 0, 0, 0, 0, 0x0806, 5, 0, 1, -1, -1, -1 },
	{ "qinq_lldp", { .nvlan = 2, .vlan = {5, 6}, .ethertype = 0x88CC },
	  2, 0, 0, 0, 0, PFR_PF_QINQ, 0x88CC, 5, 6, 2, -1, -1, -1 },
};
/* clang-format on */

#define NPROTO (int)(sizeof(proto_cases) / sizeof(proto_cases[0]))

START_TEST(test_protocols)
{
	const struct proto_case *c = &proto_cases[_i];
	struct pfr_pkt_info pi;
	uint8_t buf[1024];
	size_t len = build(buf, sizeof(buf), &c->spec);
	int level = parse_exact(buf, len, PFR_LEVEL_PAYLOAD, &pi);

	EXPECT_EQ(c->name, level, c->level);
	EXPECT_EQ(c->name, pi.level, c->level);
	EXPECT_EQ(c->name, pi.ip_version, c->ipv);
	EXPECT_EQ(c->name, pi.l3_proto, c->proto);
	EXPECT_EQ(c->name, pi.l4_src_port, c->sport);
	EXPECT_EQ(c->name, pi.l4_dst_port, c->dport);
	EXPECT_EQ(c->name, pi.flags, c->flags);
	EXPECT_EQ(c->name, pi.eth_type, c->eth_type);
	EXPECT_EQ(c->name, pi.vlan_id, c->vlan);
	EXPECT_EQ(c->name, pi.qinq_vlan_id, c->qinq);
	EXPECT_EQ(c->name, pi.num_vlan_tags, c->ntags);
	EXPECT_EQ(c->name, pi.eth_offset, 0);
	EXPECT_EQ(c->name, pi.vlan_offset, c->ntags ? 12 : -1);
	EXPECT_EQ(c->name, pi.l3_offset, c->l3);
	EXPECT_EQ(c->name, pi.l4_offset, c->l4);
	EXPECT_EQ(c->name, pi.payload_offset, c->payload);
	ck_assert(memcmp(pi.dmac, c->spec.dmac, 6) == 0);
	ck_assert(memcmp(pi.smac, c->spec.smac, 6) == 0);
	check_consistent(c->name, &pi, len);
}
END_TEST

START_TEST(test_addresses)
{
	const struct proto_case *c = &proto_cases[_i];
	struct pfr_pkt_info pi;
	uint8_t buf[1024], zero[12] = {0};
	size_t len = build(buf, sizeof(buf), &c->spec);

	parse_exact(buf, len, PFR_LEVEL_PAYLOAD, &pi);
	if (c->ipv == 4) {
		EXPECT_EQ(c->name, pi.ip_src.v4, 0x0a000001);
		EXPECT_EQ(c->name, pi.ip_dst.v4, 0xc0a80102);
		ck_assert(memcmp(pi.ip_src.v6 + 4, zero, 12) == 0);
		ck_assert(memcmp(pi.ip_dst.v6 + 4, zero, 12) == 0);
		EXPECT_EQ(c->name, pi.frag_id, 0x1234);
	} else if (c->ipv == 6) {
		ck_assert(memcmp(pi.ip_src.v6, c->spec.src, 16) == 0);
		ck_assert(memcmp(pi.ip_dst.v6, c->spec.dst, 16) == 0);
	}
	if (c->ipv)
		EXPECT_EQ(c->name, pi.ip_ttl, 64);
}
END_TEST

START_TEST(test_tcp_fields)
{
	struct pb_spec s = {V4,
			    .proto = 6,
			    .sport = 1,
			    .dport = 2,
			    .tcp_flags = 0x12,
			    .tcp_seq = 0xdeadbeef,
			    .tcp_ack = 0x01020304,
			    .ttl = 3,
			    P8};
	struct pfr_pkt_info pi;
	uint8_t buf[256];
	size_t len = build(buf, sizeof(buf), &s);

	buf[15] = 0xb8; /* TOS */
	parse_exact(buf, len, PFR_LEVEL_PAYLOAD, &pi);
	ck_assert_uint_eq(pi.tcp_flags, 0x12);
	ck_assert_uint_eq(pi.tcp_seq, 0xdeadbeef);
	ck_assert_uint_eq(pi.tcp_ack, 0x01020304);
	ck_assert_uint_eq(pi.ip_ttl, 3);
	ck_assert_uint_eq(pi.ip_tos, 0xb8);
}
END_TEST

START_TEST(test_tcp_options)
{
	struct pb_spec s = {V4,
			    .proto = 6,
			    .sport = 1,
			    .dport = 2,
			    .payload = "0123456789abcdefghij",
			    .payload_len = 20};
	struct pfr_pkt_info pi;
	uint8_t buf[256];
	size_t len = build(buf, sizeof(buf), &s);

	buf[34 + 12] = 8 << 4; /* 12 bytes of options, taken from payload */
	ck_assert_int_eq(parse_exact(buf, len, 5, &pi), 5);
	ck_assert_int_eq(pi.payload_offset, 34 + 32);
}
END_TEST

START_TEST(test_ipv6_tclass)
{
	struct pb_spec s = {V6, .proto = 17, .ttl = 255, P8};
	struct pfr_pkt_info pi;
	uint8_t buf[256];
	size_t len = build(buf, sizeof(buf), &s);

	buf[14] = 0x6a; /* traffic class 0xab */
	buf[15] = 0xb0;
	parse_exact(buf, len, PFR_LEVEL_PAYLOAD, &pi);
	ck_assert_uint_eq(pi.ip_tos, 0xab);
	ck_assert_uint_eq(pi.ip_ttl, 255);
}
END_TEST

START_TEST(test_icmp_gre_fields)
{
	struct pb_spec icmp = {V6, .proto = 58, .icmp_type = 135,
			       .icmp_code = 3, P8};
	struct pb_spec gre = {V4, .proto = 47, .gre_proto = 0x6558,
			      .gre_key_present = 1, .gre_key = 0xcafe0001};
	struct pfr_pkt_info pi;
	uint8_t buf[256];
	size_t len = build(buf, sizeof(buf), &icmp);

	parse_exact(buf, len, PFR_LEVEL_PAYLOAD, &pi);
	ck_assert_uint_eq(pi.icmp_type, 135);
	ck_assert_uint_eq(pi.icmp_code, 3);
	len = build(buf, sizeof(buf), &gre);
	parse_exact(buf, len, PFR_LEVEL_PAYLOAD, &pi);
	ck_assert_uint_eq(pi.gre_proto, 0x6558);
	ck_assert_uint_eq(pi.gre_key, 0xcafe0001);
}
END_TEST

/* GRE with C, K and S: 16 bytes, key after the checksum word. */
START_TEST(test_gre_all_flags)
{
	struct pb_spec s = {V4, .proto = 47, .gre_proto = 0x0800, P8};
	struct pfr_pkt_info pi;
	uint8_t buf[256];
	size_t len;

	s.payload = "CCCCKKKKSSSSpayload";
	s.payload_len = 19;
	len = build(buf, sizeof(buf), &s);
	buf[34] = 0xb0; /* C, K, S */
	pb_be32(buf + 34 + 8, 0x11223344);
	ck_assert_int_eq(parse_exact(buf, len, 5, &pi), 5);
	ck_assert_uint_eq(pi.gre_key, 0x11223344);
	ck_assert_int_eq(pi.payload_offset, 34 + 16);
	ck_assert_int_eq(parse_exact(buf, 34 + 15, 5, &pi), 3);
	ck_assert(pi.flags & PFR_PF_TRUNCATED);
	ck_assert_uint_eq(pi.gre_key, 0);
}
END_TEST

/* IPv6 extension chains the builder does not make: AH, mobility, sizes. */
struct ext_case {
	const char *name;
	uint8_t types[10];
	uint16_t lens[10];
	int n;
	uint8_t last; /* what follows the chain */
	int level;
	uint8_t proto;
	uint32_t flags;
};

/* clang-format off */
static const struct ext_case ext_cases[] = {
	{ "ah12", { 51 }, { 12 }, 1, 17, 5, 17, F_EXT },
	{ "ah24", { 51 }, { 24 }, 1, 6, 5, 6, F_EXT },
	{ "ah1028", { 51 }, { 1028 }, 1, 17, 5, 17, F_EXT },
	{ "mobility8", { 135 }, { 8 }, 1, 59, 3, 59, F_EXT },
	{ "mobility24", { 135 }, { 24 }, 1, 17, 5, 17, F_EXT },
	{ "hop16", { 0 }, { 16 }, 1, 17, 5, 17, F_EXT },
	{ "dst2048", { 60 }, { 2048 }, 1, 17, 5, 17, F_EXT },
	{ "routing64", { 43 }, { 64 }, 1, 58, 5, 58, F_EXT },
	{ "hop_ah_dst", { 0, 51, 60 }, { 8, 16, 8 }, 3, 132, 5, 132, F_EXT },
	{ "hop_esp", { 0 }, { 8 }, 1, 50, 3, 50, F_EXT },
	{ "eight_max", { 0, 60, 43, 44, 51, 135, 60, 60 },
	  { 2048, 2048, 2048, 8, 1028, 2048, 2048, 2048 }, 8, 6, 5, 6,
	  F_EXT | F_FRAG | F_FIRST },
	{ "nine", { 0, 60, 43, 51, 135, 60, 60, 60, 43 },
	  { 8, 8, 8, 12, 8, 8, 8, 8, 8 }, 9, 17, 3, 43,
	  F_EXT | PFR_PF_MALFORMED },
	{ "ten", { 0, 60, 43, 51, 135, 60, 60, 60, 43, 0 },
	  { 8, 8, 8, 12, 8, 8, 8, 8, 8, 8 }, 10, 17, 3, 43,
	  F_EXT | PFR_PF_MALFORMED },
};
/* clang-format on */

#define NEXT	(int)(sizeof(ext_cases) / sizeof(ext_cases[0]))
#define EXT_BUF 20000

/* Ethernet + IPv6 + the chain + 20 bytes of L4 header + 8 of payload. */
static size_t build_ext(uint8_t *buf, const struct ext_case *c, size_t *l4)
{
	struct pb_spec s = {V6, .proto = c->n ? c->types[0] : c->last};
	size_t len = build(buf, EXT_BUF, &s);
	int i;

	for (i = 0; i < c->n; i++) {
		uint8_t *h = buf + len;

		memset(h, 0, c->lens[i]);
		h[0] = i + 1 < c->n ? c->types[i + 1] : c->last;
		if (c->types[i] == 51)
			h[1] = (uint8_t)(c->lens[i] / 4 - 2);
		else if (c->types[i] != 44)
			h[1] = (uint8_t)(c->lens[i] / 8 - 1);
		len += c->lens[i];
	}
	*l4 = len;
	memset(buf + len, 0, 28);
	pb_be16(buf + len, 1111);
	pb_be16(buf + len + 2, 2222);
	buf[len + 12] = 5 << 4; /* TCP data offset; harmless for the rest */
	return len + 28;
}

START_TEST(test_ext_chains)
{
	const struct ext_case *c = &ext_cases[_i];
	struct pfr_pkt_info pi;
	uint8_t *buf = malloc(EXT_BUF);
	size_t l4, len;

	ck_assert_ptr_nonnull(buf);
	len = build_ext(buf, c, &l4);
	EXPECT_EQ(c->name, parse_exact(buf, len, 5, &pi), c->level);
	EXPECT_EQ(c->name, pi.l3_proto, c->proto);
	EXPECT_EQ(c->name, pi.flags, c->flags);
	EXPECT_EQ(c->name, pi.l4_offset, c->level >= 4 ? (long)l4 : -1);
	if (c->level >= 4 && c->proto != 58) {
		EXPECT_EQ(c->name, pi.l4_src_port, 1111);
		EXPECT_EQ(c->name, pi.l4_dst_port, 2222);
	}
	check_consistent(c->name, &pi, len);
	free(buf);
}
END_TEST

/* Two fragment headers (never valid): the second one counts. */
START_TEST(test_double_fragment)
{
	static const struct ext_case c = {"frag frag", {44, 44}, {8, 8}, 2,
					  17,	       5,	 17,	 F_EXT};
	struct pfr_pkt_info pi;
	uint8_t *buf = malloc(EXT_BUF);
	size_t l4, len;

	ck_assert_ptr_nonnull(buf);
	len = build_ext(buf, &c, &l4);
	pb_be16(buf + 14 + 40 + 8 + 2, 1); /* M */
	ck_assert_int_eq(parse_exact(buf, len, 5, &pi), 5);
	ck_assert_uint_eq(pi.flags, F_EXT | F_FRAG | F_FIRST);
	pb_be16(buf + 14 + 40 + 2, 1);
	pb_be16(buf + 14 + 40 + 8 + 2, 64);
	ck_assert_int_eq(parse_exact(buf, len, 5, &pi), 3);
	ck_assert_uint_eq(pi.flags, F_EXT | F_FRAG);
	ck_assert_uint_eq(pi.frag_offset, 64);
	free(buf);
}
END_TEST

/* Cut the extension chain anywhere inside it: L3 is incomplete. */
START_TEST(test_ext_truncated)
{
	const struct ext_case *c = &ext_cases[_i];
	struct pfr_pkt_info pi;
	uint8_t *buf = malloc(EXT_BUF);
	size_t l4, len, cut;

	ck_assert_ptr_nonnull(buf);
	len = build_ext(buf, c, &l4);
	for (cut = 14 + 40; cut < l4 && c->level >= 4; cut++) {
		EXPECT_EQ(c->name, parse_exact(buf, cut, 5, &pi), 2);
		ck_assert(pi.flags & PFR_PF_TRUNCATED);
		check_consistent(c->name, &pi, cut);
	}
	ck_assert_uint_gt(len, l4);
	free(buf);
}
END_TEST

/* Frames cut at every byte: no over-read, level monotone, flags right. */
/* clang-format off */
static const struct pb_spec trunc_frames[] = {
	{ V6, .nvlan = 2, .vlan = {1, 2}, .outer_tpid = 0x88A8, .v6_hopopts = 1,
	  .v6_routing = 1, .v6_frag_hdr = 1, .v6_dstopts = 1, .proto = 6,
	  .sport = 1, .dport = 2, P8 },
	{ V6, .proto = 6, .sport = 443, .dport = 50000, P8 },
	{ V4, .nvlan = 1, .vlan = {7}, .ip_opt_len = 12, .proto = 6,
	  .sport = 1, .dport = 2, P8 },
	{ V4, .proto = 47, .gre_key_present = 1, .gre_key = 9, P8 },
	{ V4, .proto = 132, .sport = 1, .dport = 2, P8 },
	{ V4, .proto = 1, .icmp_type = 3, .more_frags = 1, P8 },
	{ V6, .proto = 58, .v6_dstopts = 2, .icmp_type = 1, P8 },
	{ V6, .proto = 17, .v6_frag_hdr = 1, .frag_off = 64, P8 },
	{ .nvlan = 2, .vlan = {3, 4}, .ethertype = 0x0806, P8 },
};
/* clang-format on */

#define NTRUNC (int)(sizeof(trunc_frames) / sizeof(trunc_frames[0]))

START_TEST(test_truncation)
{
	struct pfr_pkt_info full, pi;
	uint8_t buf[512];
	size_t len = build(buf, sizeof(buf), &trunc_frames[_i]), cut;
	int prev = 0, level;
	char name[64];

	parse_exact(buf, len, 5, &full);
	ck_assert_uint_eq(full.flags & (PFR_PF_TRUNCATED | PFR_PF_MALFORMED),
			  0);
	for (cut = 0; cut <= len; cut++) {
		snprintf(name, sizeof(name), "frame %d cut %zu", _i, cut);
		level = parse_exact(buf, cut, 5, &pi);
		ck_assert_msg(level >= prev, "%s: level went down", name);
		EXPECT_EQ(name, level < full.level,
			  !!(pi.flags & PFR_PF_TRUNCATED));
		EXPECT_EQ(name, pi.flags & PFR_PF_MALFORMED, 0);
		check_consistent(name, &pi, cut);
		if (level == full.level)
			ck_assert_msg(memcmp(&pi, &full, sizeof(pi)) == 0,
				      "%s: fields differ", name);
		prev = level;
	}
	ck_assert_int_eq(prev, full.level);
}
END_TEST

/* Frames whose headers are impossible, or cut short. */
struct bad_case {
	const char *name;
	struct pb_spec spec;
	int at;	     /* patch byte at this offset ... */
	uint8_t val; /* ... with this value */
	int cut;     /* > 0: caplen */
	int level;
	uint32_t flag;
};

/* clang-format off */
static const struct bad_case bad_cases[] = {
	{ "ihl4", { V4, .proto = 6, P8 }, 14, 0x44, 0, 2, PFR_PF_MALFORMED },
	{ "ihl0", { V4, .proto = 6, P8 }, 14, 0x40, 0, 2, PFR_PF_MALFORMED },
	{ "v4_says_6", { V4, .proto = 6, P8 }, 14, 0x65, 0, 2,
	  PFR_PF_MALFORMED },
	{ "v6_says_4", { V6, .proto = 6, P8 }, 14, 0x45, 0, 2,
	  PFR_PF_MALFORMED },
	{ "totlen_19", { V4, .proto = 6, P8 }, 17, 19, 0, 2, PFR_PF_MALFORMED },
	{ "totlen_0", { V4, .proto = 6, P8 }, 17, 0, 0, 2, PFR_PF_MALFORMED },
	{ "totlen_lt_opts", { V4, .ip_opt_len = 8, .proto = 6, P8 }, 17, 24, 0,
	  2, PFR_PF_MALFORMED },
	{ "tcp_doff4", { V4, .proto = 6, .sport = 1, P8 }, 46, 0x40, 0, 3,
	  PFR_PF_MALFORMED },
	{ "tcp_doff0", { V6, .proto = 6, .sport = 1, P8 }, 66, 0x00, 0, 3,
	  PFR_PF_MALFORMED },
	{ "options_cut", { V4, .ip_opt_len = 40, .proto = 6, P8 }, -1, 0, 64,
	  2, PFR_PF_TRUNCATED },
	{ "tcp_doff15_short", { V4, .proto = 6, P8 }, 46, 0xf0, 0, 3,
	  PFR_PF_TRUNCATED },
	{ "eth_13", { V4, .proto = 6, P8 }, -1, 0, 13, 0, PFR_PF_TRUNCATED },
	{ "vlan_cut", { V4, .nvlan = 1, .proto = 6, P8 }, -1, 0, 17, 0,
	  PFR_PF_TRUNCATED },
	{ "qinq_cut", { V4, .nvlan = 2, .proto = 6, P8 }, -1, 0, 21, 0,
	  PFR_PF_TRUNCATED },
	{ "udp_cut", { V4, .proto = 17, P8 }, -1, 0, 41, 3, PFR_PF_TRUNCATED },
	{ "icmp_cut", { V4, .proto = 1, P8 }, -1, 0, 38, 3, PFR_PF_TRUNCATED },
	{ "sctp_cut", { V6, .proto = 132, P8 }, -1, 0, 65, 3,
	  PFR_PF_TRUNCATED },
};
/* clang-format on */

#define NBAD (int)(sizeof(bad_cases) / sizeof(bad_cases[0]))

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct pfr_pkt_info pi;
	uint8_t buf[256];
	size_t len = build(buf, sizeof(buf), &c->spec);

	if (c->at >= 0)
		buf[c->at] = c->val;
	if (c->cut > 0)
		len = (size_t)c->cut;
	EXPECT_EQ(c->name, parse_exact(buf, len, 5, &pi), c->level);
	ck_assert_msg(pi.flags & c->flag, "%s: flag %#x missing", c->name,
		      c->flag);
	check_consistent(c->name, &pi, len);
}
END_TEST

/* Three tags: L2 with the first two, MALFORMED, nothing more. */
START_TEST(test_three_tags)
{
	static const uint16_t tpids[] = {0x8100, 0x88A8, 0x9100};
	/* clang-format off */
	static const struct pb_spec s = { V4, .nvlan = 2, .vlan = {10, 20},
					  .proto = 6, .sport = 1, .dport = 2,
					  P8 };
	/* clang-format on */
	struct pfr_pkt_info pi;
	uint8_t buf[256], out[260];
	size_t len = build(buf, sizeof(buf), &s);

	memcpy(out, buf, 20);
	pb_be16(out + 20, tpids[_i]);
	pb_be16(out + 22, 30);
	memcpy(out + 24, buf + 20, len - 20);
	ck_assert_int_eq(parse_exact(out, len + 4, 5, &pi), 2);
	ck_assert(pi.flags & PFR_PF_MALFORMED);
	ck_assert(pi.flags & PFR_PF_QINQ);
	ck_assert_uint_eq(pi.num_vlan_tags, 2);
	ck_assert_uint_eq(pi.vlan_id, 10);
	ck_assert_uint_eq(pi.qinq_vlan_id, 20);
	ck_assert_uint_eq(pi.eth_type, tpids[_i]);
	ck_assert_int_eq(pi.l3_offset, -1);
	/* The third TPID is read, its TCI never: a cut there is still L2. */
	ck_assert_int_eq(parse_exact(out, 22, 5, &pi), 2);
	ck_assert(pi.flags & PFR_PF_MALFORMED);
}
END_TEST

/* max_level stops parsing early; above PAYLOAD it changes nothing. */
START_TEST(test_max_level)
{
	static const int expect[] = {0, 0, 2, 3, 4, 5, 5, 5};
	int max = _i < 7 ? _i : 255;
	/* clang-format off */
	static const struct pb_spec s = { V4, .nvlan = 1, .vlan = {9},
					  .proto = 6, .sport = 1, .dport = 2,
					  P8 };
	/* clang-format on */
	struct pfr_pkt_info pi;
	uint8_t buf[256];
	size_t len = build(buf, sizeof(buf), &s);
	char name[32];

	snprintf(name, sizeof(name), "max %d", max);
	EXPECT_EQ(name, parse_exact(buf, len, max, &pi), expect[_i]);
	EXPECT_EQ(name, pi.flags, 0);
	check_consistent(name, &pi, len);
	if (expect[_i] >= 2)
		EXPECT_EQ(name, pi.vlan_id, 9);
	if (expect[_i] >= 4)
		EXPECT_EQ(name, pi.l4_dst_port, 2);
}
END_TEST

/* A tiny deterministic generator, so every run tests the same inputs. */
static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Valid frames with a few random bytes changed, cut at a random length. */
START_TEST(test_random_corruption)
{
	uint32_t seed = 0x9e3779b9u ^ (uint32_t)(_i * 2654435761u);
	const struct pb_spec *s = &proto_cases[_i % NPROTO].spec;
	struct pfr_pkt_info pi, lower;
	uint8_t buf[1024];
	size_t len = build(buf, sizeof(buf), s), cut;
	int k, max;

	for (k = 0; k < 4; k++)
		buf[xorshift(&seed) % len] = (uint8_t)xorshift(&seed);
	cut = xorshift(&seed) % (len + 1);
	parse_exact(buf, cut, 5, &pi);
	check_consistent("random", &pi, cut);
	for (max = 0; max < 5; max++) {
		parse_exact(buf, cut, max, &lower);
		ck_assert_int_le(lower.level, max);
		ck_assert_int_le(lower.level, pi.level);
		check_consistent("random lower", &lower, cut);
	}
}
END_TEST

/* pb_write_pcap fixtures read back through libpcap, frame for frame. */
START_TEST(test_pcap_fixture)
{
	char dir[] = "/tmp/pfr-parse-XXXXXX", path[64], err[PCAP_ERRBUF_SIZE];
	uint8_t bufs[NTRUNC][512], *frames[NTRUNC];
	size_t lens[NTRUNC];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/frames.pcap", dir);
	for (i = 0; i < NTRUNC; i++) {
		frames[i] = bufs[i];
		lens[i] = build(bufs[i], sizeof(bufs[i]), &trunc_frames[i]);
	}
	ck_assert_int_eq(pb_write_pcap(path, frames, lens, NTRUNC), 0);
	p = pcap_open_offline(path, err);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);
	for (i = 0; i < NTRUNC; i++) {
		ck_assert_int_eq(pcap_next_ex(p, &h, &data), 1);
		ck_assert_uint_eq(h->caplen, lens[i]);
		ck_assert(memcmp(data, frames[i], lens[i]) == 0);
	}
	ck_assert_int_eq(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_protocols, 0, NPROTO);
	tcase_add_loop_test(tc, test_addresses, 0, NPROTO);
	tcase_add_test(tc, test_tcp_fields);
	tcase_add_test(tc, test_tcp_options);
	tcase_add_test(tc, test_ipv6_tclass);
	tcase_add_test(tc, test_icmp_gre_fields);
	tcase_add_test(tc, test_gre_all_flags);
	tcase_add_loop_test(tc, test_ext_chains, 0, NEXT);
	tcase_add_loop_test(tc, test_ext_truncated, 0, NEXT);
	tcase_add_test(tc, test_double_fragment);
	tcase_add_loop_test(tc, test_truncation, 0, NTRUNC);
	tcase_add_loop_test(tc, test_bad, 0, NBAD);
	tcase_add_loop_test(tc, test_three_tags, 0, 3);
	tcase_add_loop_test(tc, test_max_level, 0, 8);
	tcase_add_loop_test(tc, test_random_corruption, 0, 2000);
	tcase_add_test(tc, test_pcap_fixture);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(parse_suite());
}
