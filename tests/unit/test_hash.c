// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * common/pfr_hash.h and pfr_pkt_flow_hash: both directions of a flow hash
 * alike for every tuple type, each tuple type covers exactly its fields,
 * distinct flows hash apart, and hash rule keys are canonical.
 */
#include <check.h>
#include <stdlib.h>

#include "pfr_rules.h"
#include "pktbuild.h"
#include "check_main.h"

#define NTUPLES 5

/* clang-format off */
static const enum pfr_tuple tuples[NTUPLES] = {
	PFR_TUPLE_2, PFR_TUPLE_4, PFR_TUPLE_5, PFR_TUPLE_TCP_5, PFR_TUPLE_6,
};
/* clang-format on */

#define V4 .ipv = 4, .src = {10, 1, 2, 3}, .dst = {172, 16, 0, 9}
#define V6                                                                     \
	.ipv = 6, .src = {0xfe, 0x80, [8] = 0x12, [15] = 0x34},                \
	.dst = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x56, [15] = 0x78}

/* clang-format off */
static const struct pb_spec flows[] = {
	{ V4, .proto = 6, .sport = 40000, .dport = 80 },
	{ V4, .proto = 17, .sport = 53, .dport = 53 },
	{ V4, .proto = 132, .sport = 1, .dport = 65535 },
	{ V4, .proto = 1, .icmp_type = 8 },
	{ V4, .proto = 47, .gre_proto = 0x0800 },
	{ V4, .proto = 89 },
	{ V4, .proto = 6, .sport = 9, .dport = 9, .nvlan = 1, .vlan = {42} },
	{ V4, .proto = 17, .sport = 9, .dport = 10, .frag_off = 64 },
	{ V6, .proto = 6, .sport = 443, .dport = 51000 },
	{ V6, .proto = 17, .sport = 0, .dport = 7 },
	{ V6, .proto = 132, .sport = 100, .dport = 100, .v6_hopopts = 1 },
	{ V6, .proto = 58, .icmp_type = 128, .nvlan = 2, .vlan = {1, 2} },
	{ .ipv = 4, .src = {10, 0, 0, 1}, .dst = {10, 0, 0, 1}, .proto = 6,
	  .sport = 2, .dport = 1 },
	{ .ethertype = 0x0806 },
};
/* clang-format on */

#define NFLOWS (int)(sizeof(flows) / sizeof(flows[0]))

static void parse_spec(const struct pb_spec *s, struct pfr_pkt_info *pi)
{
	uint8_t buf[512];
	size_t len = pb_build(buf, sizeof(buf), s);

	ck_assert_uint_gt(len, 0);
	pfr_parse(buf, (pfr_u32)len, PFR_LEVEL_PAYLOAD, pi);
}

static struct pb_spec reversed(const struct pb_spec *s)
{
	struct pb_spec r = *s;

	memcpy(r.src, s->dst, 16);
	memcpy(r.dst, s->src, 16);
	memcpy(r.smac, s->dmac, 6);
	memcpy(r.dmac, s->smac, 6);
	r.sport = s->dport;
	r.dport = s->sport;
	return r;
}

START_TEST(test_symmetry)
{
	const struct pb_spec *s = &flows[_i / NTUPLES];
	enum pfr_tuple t = tuples[_i % NTUPLES];
	struct pb_spec rs = reversed(s);
	struct pfr_pkt_info fwd, rev;

	parse_spec(s, &fwd);
	parse_spec(&rs, &rev);
	ck_assert_uint_eq(pfr_pkt_flow_hash(&fwd, t),
			  pfr_pkt_flow_hash(&rev, t));
}
END_TEST

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random endpoints (often sharing a host or a port) through the key. */
START_TEST(test_symmetry_random)
{
	uint32_t seed = 0x12345678u + (uint32_t)_i * 7919u, a[4], b[4];
	struct pfr_flow_key k1, k2;
	uint16_t pa, pb;
	int i, t;

	for (i = 0; i < 4; i++) {
		a[i] = (_i & 1) || i == 0 ? xorshift(&seed) : 0;
		b[i] = (_i & 2) ? a[i]
				: ((_i & 1) || i == 0 ? xorshift(&seed) : 0);
	}
	pa = (uint16_t)xorshift(&seed);
	pb = (_i & 4) ? pa : (uint16_t)xorshift(&seed);
	for (t = 0; t < NTUPLES; t++) {
		pfr_flow_key_make(&k1, tuples[t], 4, a, b, pa, pb, 6, 5);
		pfr_flow_key_make(&k2, tuples[t], 4, b, a, pb, pa, 6, 5);
		ck_assert(memcmp(&k1, &k2, sizeof(k1)) == 0);
		ck_assert_uint_eq(pfr_flow_key_hash(&k1),
				  pfr_flow_key_hash(&k2));
	}
}
END_TEST

/* Change one field of a flow; which tuple types must notice? */
struct variation {
	const char *name;
	struct pb_spec base, changed;
	int differs[NTUPLES]; /* 2, 4, 5, TCP_5, 6 */
};

/* clang-format off */
static const struct variation variations[] = {
	{ "tcp sport", { V4, .proto = 6, .sport = 1, .dport = 2 },
	  { V4, .proto = 6, .sport = 3, .dport = 2 }, { 0, 1, 1, 1, 1 } },
	{ "udp dport", { V4, .proto = 17, .sport = 1, .dport = 2 },
	  { V4, .proto = 17, .sport = 1, .dport = 4 }, { 0, 1, 1, 0, 1 } },
	{ "tcp to udp", { V4, .proto = 6, .sport = 1, .dport = 2 },
	  { V4, .proto = 17, .sport = 1, .dport = 2 }, { 0, 0, 1, 1, 1 } },
	{ "udp to sctp", { V6, .proto = 17, .sport = 1, .dport = 2 },
	  { V6, .proto = 132, .sport = 1, .dport = 2 }, { 0, 0, 1, 0, 1 } },
	{ "vlan", { V4, .proto = 6, .sport = 1, .dport = 2 },
	  { V4, .proto = 6, .sport = 1, .dport = 2, .nvlan = 1, .vlan = {7} },
	  { 0, 0, 0, 0, 1 } },
	{ "vlan id", { V6, .proto = 17, .nvlan = 1, .vlan = {7} },
	  { V6, .proto = 17, .nvlan = 1, .vlan = {8} }, { 0, 0, 0, 0, 1 } },
	{ "dst host", { V4, .proto = 6, .sport = 1, .dport = 2 },
	  { .ipv = 4, .src = {10, 1, 2, 3}, .dst = {172, 16, 0, 8}, .proto = 6,
	    .sport = 1, .dport = 2 },
	  { 1, 1, 1, 1, 1 } },
	{ "v6 low byte", { V6, .proto = 6, .sport = 1, .dport = 2 },
	  { .ipv = 6, .src = {0xfe, 0x80, [8] = 0x12, [15] = 0x35},
	    .dst = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x56, [15] = 0x78},
	    .proto = 6, .sport = 1, .dport = 2 },
	  { 1, 1, 1, 1, 1 } },
	{ "v4 vs v6", { .ipv = 4, .src = {1, 2, 3, 4}, .proto = 17 },
	  { .ipv = 6, .src = {1, 2, 3, 4}, .proto = 17 }, { 1, 1, 1, 1, 1 } },
	{ "mac only", { V4, .proto = 6, .smac = {1} },
	  { V4, .proto = 6, .smac = {2} }, { 0, 0, 0, 0, 0 } },
	{ "later fragment ports", { V4, .proto = 17, .frag_off = 8, .sport = 1 },
	  { V4, .proto = 17, .frag_off = 8, .sport = 2 }, { 0, 0, 0, 0, 0 } },
};
/* clang-format on */

#define NVAR (int)(sizeof(variations) / sizeof(variations[0]))

START_TEST(test_tuple_fields)
{
	const struct variation *v = &variations[_i / NTUPLES];
	int t = _i % NTUPLES;
	struct pfr_pkt_info a, b;
	uint32_t ha, hb;

	parse_spec(&v->base, &a);
	parse_spec(&v->changed, &b);
	ha = pfr_pkt_flow_hash(&a, tuples[t]);
	hb = pfr_pkt_flow_hash(&b, tuples[t]);
	ck_assert_msg((ha != hb) == v->differs[t], "%s, tuple %d: %s", v->name,
		      t, ha != hb ? "differs" : "equal");
}
END_TEST

/* The documented key: IPv4 in host order in word 0, words 1..3 zero. */
START_TEST(test_ipv4_word0)
{
	/* clang-format off */
	static const struct pb_spec s = { V4, .proto = 6, .sport = 1000,
					  .dport = 22, .nvlan = 1,
					  .vlan = {3} };
	/* clang-format on */
	uint32_t src[4] = {0x0a010203, 0, 0, 0}, dst[4] = {0xac100009};
	struct pfr_flow_key k;
	struct pfr_pkt_info pi;

	parse_spec(&s, &pi);
	pfr_flow_key_make(&k, tuples[_i], 4, src, dst, 1000, 22, 6, 3);
	ck_assert_uint_eq(pfr_pkt_flow_hash(&pi, tuples[_i]),
			  pfr_flow_key_hash(&k));
}
END_TEST

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

#define NDISTINCT 4096

/* Distinct 5-tuples get distinct hashes and spread over a pool evenly. */
START_TEST(test_distinct_and_spread)
{
	uint32_t *h = malloc(NDISTINCT * sizeof(*h)), a[4] = {0}, b[4] = {0};
	uint32_t count[4] = {0};
	struct pfr_flow_key k;
	int i;

	ck_assert_ptr_nonnull(h);
	for (i = 0; i < NDISTINCT; i++) {
		a[0] = 0x0a000000u + (uint32_t)(i / 64);
		b[0] = 0xc0a80000u + (uint32_t)(i % 7);
		pfr_flow_key_make(&k, tuples[_i], 4, a, b, (uint16_t)(1024 + i),
				  80, 6, 0);
		h[i] = pfr_flow_key_hash(&k);
		count[h[i] % 4]++;
	}
	qsort(h, NDISTINCT, sizeof(*h), cmp_u32);
	for (i = 1; i < NDISTINCT && tuples[_i] != PFR_TUPLE_2; i++)
		ck_assert_uint_ne(h[i - 1], h[i]);
	for (i = 0; i < 4 && tuples[_i] != PFR_TUPLE_2; i++) {
		ck_assert_uint_gt(count[i], NDISTINCT / 4 * 85 / 100);
		ck_assert_uint_lt(count[i], NDISTINCT / 4 * 115 / 100);
	}
	free(h);
}
END_TEST

/* Hash rule keys: both directions give byte-identical keys. */
START_TEST(test_hrule_key_symmetric)
{
	const struct pb_spec *s = &flows[_i];
	struct pb_spec rs = reversed(s);
	struct pfr_pkt_info fwd, rev;
	struct pfr_hrule_key k1, k2;

	parse_spec(s, &fwd);
	parse_spec(&rs, &rev);
	memset(&k1, 0xaa, sizeof(k1));
	memset(&k2, 0x55, sizeof(k2));
	pfr_hrule_key_from_pkt(&k1, &fwd);
	pfr_hrule_key_from_pkt(&k2, &rev);
	ck_assert(memcmp(&k1, &k2, sizeof(k1)) == 0);
	ck_assert_uint_eq(k1.ip_version, fwd.ip_version);
	ck_assert_uint_eq(k1.proto, fwd.l3_proto);
	ck_assert_uint_eq(k1.vlan_id, fwd.vlan_id);
}
END_TEST

/* The smaller (host, port) endpoint is a; IPv4 compares as a number. */
START_TEST(test_hrule_key_order)
{
	struct pfr_ip lo = {.v4 = 0x0a000001}, hi = {.v4 = 0x0b000000};
	struct pfr_ip v6lo = {.v6 = {0x20, 1, [15] = 0xff}},
		      v6hi = {.v6 = {0x20, 2}};
	struct pfr_hrule_key k;

	pfr_hrule_key_make(&k, 4, &hi, 1, &lo, 2, 6, 0);
	ck_assert_uint_eq(k.host_a.v4, lo.v4);
	ck_assert_uint_eq(k.port_a, 2);
	pfr_hrule_key_make(&k, 4, &lo, 9, &lo, 3, 17, 0);
	ck_assert_uint_eq(k.port_a, 3);
	ck_assert_uint_eq(k.port_b, 9);
	pfr_hrule_key_make(&k, 6, &v6hi, 1, &v6lo, 2, 6, 0);
	ck_assert(memcmp(k.host_a.v6, v6lo.v6, 16) == 0);
	ck_assert_uint_eq(k.port_b, 1);
}
END_TEST

/* An IPv4 key ignores whatever the caller left in bytes 4..15. */
START_TEST(test_hrule_key_v4_clean)
{
	struct pfr_ip a, b;
	struct pfr_hrule_key k;
	uint8_t zero[12] = {0};

	memset(&a, 0xee, sizeof(a));
	memset(&b, 0x11, sizeof(b));
	a.v4 = 1;
	b.v4 = 2;
	pfr_hrule_key_make(&k, 4, &a, 1, &b, 1, 6, 0);
	ck_assert(memcmp(k.host_a.v6 + 4, zero, 12) == 0);
	ck_assert(memcmp(k.host_b.v6 + 4, zero, 12) == 0);
}
END_TEST

static Suite *hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("hash");

	tcase_add_loop_test(tc, test_symmetry, 0, NFLOWS * NTUPLES);
	tcase_add_loop_test(tc, test_symmetry_random, 0, 512);
	tcase_add_loop_test(tc, test_tuple_fields, 0, NVAR * NTUPLES);
	tcase_add_loop_test(tc, test_ipv4_word0, 0, NTUPLES);
	tcase_add_loop_test(tc, test_distinct_and_spread, 0, NTUPLES);
	tcase_add_loop_test(tc, test_hrule_key_symmetric, 0, NFLOWS);
	tcase_add_test(tc, test_hrule_key_order);
	tcase_add_test(tc, test_hrule_key_v4_clean);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(hash_suite());
}
