// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Wildcard rules (common/pfr_rules.c) against docs/filtering.md: every
 * field, masks, port ranges, payload patterns, bidirectional rules,
 * balance pools, normalisation, the sorted list, idle purge, and
 * evaluation with every action and the default policy.
 */
#include <check.h>
#include <stdlib.h>

#include "pfr_rules.h"
#include "pktbuild.h"
#include "check_main.h"

/* clang-format off */
#define MAC_A {0x02, 0, 0, 0, 0, 0x01}
#define MAC_B {0x02, 0, 0, 0, 0, 0x02}
#define MAC_C {0x02, 0, 0, 0, 0, 0x03}
#define V4                                                                     \
	.ipv = 4, .smac = MAC_A, .dmac = MAC_B, .src = {10, 0, 0, 1},          \
	.dst = {192, 168, 1, 2}
#define V6                                                                     \
	.ipv = 6, .smac = MAC_A, .dmac = MAC_B,                                \
	.src = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},                             \
	.dst = {0x20, 0x01, 0x0d, 0xb8, [15] = 2}
#define HTTP "GET /index.html HTTP/1.1\r\nHost: example.org\r\n"
#define PAT(s) .payload_pattern = s, .pattern_len = sizeof(s) - 1

#define IP4(a, b, c, d) {.v4 = ((a) << 24 | (b) << 16 | (c) << 8 | (d))}
#define V6NET {.v6 = {0x20, 0x01, 0x0d, 0xb8}}   /* 2001:db8:: */
#define V6NET_MASK {.v6 = {0xff, 0xff, 0xff, 0xff}} /* /32 */
#define IP6(last) {.v6 = {0x20, 0x01, 0x0d, 0xb8, [15] = (last)}}

/* clang-format on */

enum { P_TCP4, P_UDP6, P_ARP, P_FRAG, P_ICMP4, P_TCP4_REV };

/* clang-format off */
static const struct pb_spec pkts[] = {
	[P_TCP4] = { V4, .proto = 6, .sport = 40000, .dport = 80,
		     .payload = HTTP, .payload_len = sizeof(HTTP) - 1 },
	[P_UDP6] = { V6, .nvlan = 1, .vlan = {100}, .proto = 17, .sport = 5353,
		     .dport = 53, .payload = "dns query", .payload_len = 9 },
	[P_ARP] = { .smac = MAC_A, .dmac = MAC_B, .ethertype = 0x0806,
		    .payload = "GET arp", .payload_len = 7 },
	[P_FRAG] = { V4, .proto = 6, .sport = 40000, .dport = 80,
		     .frag_off = 8, .payload = HTTP,
		     .payload_len = sizeof(HTTP) - 1 },
	[P_ICMP4] = { V4, .proto = 1, .icmp_type = 8, .payload = "ping",
		      .payload_len = 4 },
	[P_TCP4_REV] = { .ipv = 4, .smac = MAC_B, .dmac = MAC_A,
			 .src = {192, 168, 1, 2}, .dst = {10, 0, 0, 1},
			 .proto = 6, .sport = 80, .dport = 40000,
			 .payload = "HTTP/1.1 200 OK", .payload_len = 15 },
};
/* clang-format on */

struct frame {
	uint8_t buf[512];
	size_t len;
	struct pfr_pkt_info pi;
};

static void frame_from(struct frame *f, const struct pb_spec *s)
{
	f->len = pb_build(f->buf, sizeof(f->buf), s);
	ck_assert_uint_gt(f->len, 0);
	pfr_parse(f->buf, (pfr_u32)f->len, PFR_LEVEL_PAYLOAD, &f->pi);
}

static int match(const struct pfr_wc_rule *in, const struct frame *f)
{
	struct pfr_wc_rule r = *in;

	ck_assert_int_eq(pfr_wc_rule_check(&r), 0);
	return pfr_wc_rule_match(&r, &f->pi, f->buf, (pfr_u32)f->len);
}

struct match_case {
	const char *name;
	struct pfr_wc_rule rule;
	int pkt;
	int expect;
};

/* clang-format off */
static const struct match_case match_cases[] = {
	{ "empty tcp4", { .rule_id = 1 }, P_TCP4, 1 },
	{ "empty udp6", { .rule_id = 1 }, P_UDP6, 1 },
	{ "empty arp", { .rule_id = 1 }, P_ARP, 1 },
	{ "smac", { .smac = MAC_A }, P_TCP4, 1 },
	{ "smac other", { .smac = MAC_C }, P_TCP4, 0 },
	{ "smac is dmac", { .smac = MAC_B }, P_TCP4, 0 },
	{ "dmac", { .dmac = MAC_B }, P_UDP6, 1 },
	{ "dmac other", { .dmac = MAC_A }, P_UDP6, 0 },
	{ "both macs", { .smac = MAC_A, .dmac = MAC_B }, P_ARP, 1 },
	{ "vlan", { .vlan_id = 100 }, P_UDP6, 1 },
	{ "vlan other", { .vlan_id = 101 }, P_UDP6, 0 },
	{ "vlan untagged", { .vlan_id = 100 }, P_TCP4, 0 },
	{ "proto tcp", { .proto = 6 }, P_TCP4, 1 },
	{ "proto tcp on udp", { .proto = 6 }, P_UDP6, 0 },
	{ "proto udp", { .proto = 17 }, P_UDP6, 1 },
	{ "proto icmp", { .proto = 1 }, P_ICMP4, 1 },
	{ "proto on arp", { .proto = 6 }, P_ARP, 0 },
	{ "shost /32", { .shost = IP4(10, 0, 0, 1) }, P_TCP4, 1 },
	{ "shost /32 other", { .shost = IP4(10, 0, 0, 2) }, P_TCP4, 0 },
	{ "shost /24", { .shost = IP4(10, 0, 0, 0),
			 .shost_mask = IP4(255, 255, 255, 0) }, P_TCP4, 1 },
	{ "shost /24 other", { .shost = IP4(10, 0, 1, 0),
			       .shost_mask = IP4(255, 255, 255, 0) }, P_TCP4,
	  0 },
	{ "shost /8", { .shost = IP4(10, 9, 9, 9),
			.shost_mask = IP4(255, 0, 0, 0) }, P_TCP4, 1 },
	{ "dhost /32", { .dhost = IP4(192, 168, 1, 2) }, P_TCP4, 1 },
	{ "dhost /32 other", { .dhost = IP4(192, 168, 1, 3) }, P_TCP4, 0 },
	{ "dhost /16", { .dhost = IP4(192, 168, 0, 0),
			 .dhost_mask = IP4(255, 255, 0, 0) }, P_TCP4, 1 },
	{ "dhost is src", { .dhost = IP4(10, 0, 0, 1) }, P_TCP4, 0 },
	{ "both hosts", { .shost = IP4(10, 0, 0, 1),
			  .dhost = IP4(192, 168, 1, 2) }, P_TCP4, 1 },
	{ "v4 host, v6 pkt", { .shost = IP4(32, 1, 13, 184) }, P_UDP6, 0 },
	{ "v4 host, arp", { .dhost = IP4(192, 168, 1, 2) }, P_ARP, 0 },
	{ "v6 /128", { .shost = IP6(1) }, P_UDP6, 1 },
	{ "v6 /128 other", { .shost = IP6(3) }, P_UDP6, 0 },
	{ "v6 dhost", { .dhost = IP6(2) }, P_UDP6, 1 },
	{ "v6 host, v4 pkt", { .dhost = IP6(2) }, P_TCP4, 0 },
	{ "v6 /64", { .shost = {.v6 = {0x20, 0x01, 0x0d, 0xb8, [9] = 7}},
		      .shost_mask = {.v6 = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff}} }, P_UDP6, 1 },
	{ "v6 /64 other", { .shost = {.v6 = {0x20, 0x01, 0x0d, 0xb9, [9] = 7}},
			    .shost_mask = {.v6 = {0xff, 0xff, 0xff, 0xff, 0xff,
						  0xff, 0xff, 0xff}} },
	  P_UDP6, 0 },
	{ "v6 /32, version given", { .ip_version = 6,
				     .dhost = {.v6 = {0x20, 0x01, 0x0d, 0xb8}},
				     .dhost_mask = {.v6 = {0xff, 0xff, 0xff,
							   0xff}} },
	  P_UDP6, 1 },
	{ "neutral /32 on v6", { .shost = V6NET, .shost_mask = V6NET_MASK },
	  P_UDP6, 1 },
	{ "neutral /32 on v4", { .shost = V6NET, .shost_mask = V6NET_MASK },
	  P_TCP4, 0 },
	{ "neutral and v6 hosts", { .shost = V6NET, .shost_mask = V6NET_MASK,
				    .dhost = IP6(2) }, P_UDP6, 1 },
	{ "neutral and v6 on v4", { .shost = IP4(10, 0, 0, 1),
				    .dhost = IP6(2) }, P_TCP4, 0 },
	{ "neutral, v4 given", { .ip_version = 4, .shost = V6NET,
				 .shost_mask = V6NET_MASK }, P_UDP6, 0 },
	{ "v4 given on v4", { .ip_version = 4, .shost = IP4(10, 0, 0, 1) },
	  P_TCP4, 1 },
	{ "sport exact", { .sport_low = 40000, .sport_high = 40000 }, P_TCP4, 1 },
	{ "sport range miss", { .sport_low = 1, .sport_high = 1024 }, P_TCP4,
	  0 },
	{ "sport range hit", { .sport_low = 5000, .sport_high = 6000 }, P_UDP6,
	  1 },
	{ "dport exact", { .dport_low = 80, .dport_high = 80 }, P_TCP4, 1 },
	{ "dport below", { .dport_low = 0, .dport_high = 79 }, P_TCP4, 0 },
	{ "dport 0..80", { .dport_low = 0, .dport_high = 80 }, P_TCP4, 1 },
	{ "dport high<low", { .dport_low = 80, .dport_high = 1 }, P_TCP4, 1 },
	{ "dport high<low miss", { .dport_low = 81, .dport_high = 0 }, P_TCP4,
	  0 },
	{ "dport low only", { .dport_low = 53 }, P_UDP6, 1 },
	{ "dport top", { .dport_low = 65535, .dport_high = 65535 }, P_TCP4, 0 },
	{ "port on arp", { .dport_low = 0, .dport_high = 100 }, P_ARP, 0 },
	{ "port 0 on fragment", { .dport_low = 0, .dport_high = 100 }, P_FRAG,
	  1 },
	{ "port 80 on fragment", { .dport_low = 80, .dport_high = 80 }, P_FRAG,
	  0 },
	{ "port 0 on icmp", { .sport_low = 0, .sport_high = 10 }, P_ICMP4, 1 },
	{ "pattern", { PAT("index") }, P_TCP4, 1 },
	{ "pattern first", { PAT("GET") }, P_TCP4, 1 },
	{ "pattern last", { PAT("org\r\n") }, P_TCP4, 1 },
	{ "pattern past end", { PAT("org\r\nX") }, P_TCP4, 0 },
	{ "pattern absent", { PAT("POST") }, P_TCP4, 0 },
	{ "pattern in header", { PAT("\x02\x00\x00\x00\x00\x02") }, P_TCP4, 0 },
	{ "pattern 32", { PAT("GET /index.html HTTP/1.1\r\nHost: ") }, P_TCP4,
	  1 },
	{ "pattern 32 miss", { PAT("GET /index.html HTTP/1.1\r\nHost:_") },
	  P_TCP4, 0 },
	{ "pattern on arp", { PAT("GET") }, P_ARP, 0 },
	{ "pattern on fragment", { PAT("GET") }, P_FRAG, 0 },
	{ "pattern udp6", { PAT("query") }, P_UDP6, 1 },
	{ "all fields", { .smac = MAC_A, .dmac = MAC_B, .proto = 6,
			  .shost = IP4(10, 0, 0, 1),
			  .dhost = IP4(192, 168, 1, 2), .sport_low = 40000,
			  .dport_low = 80, PAT("HTTP") }, P_TCP4, 1 },
	{ "all fields, reversed pkt", { .smac = MAC_A, .dmac = MAC_B,
					.proto = 6, .shost = IP4(10, 0, 0, 1),
					.dhost = IP4(192, 168, 1, 2),
					.sport_low = 40000, .dport_low = 80 },
	  P_TCP4_REV, 0 },
	{ "bidir reversed pkt", { .bidirectional = 1, .smac = MAC_A,
				  .dmac = MAC_B, .proto = 6,
				  .shost = IP4(10, 0, 0, 1),
				  .dhost = IP4(192, 168, 1, 2),
				  .sport_low = 40000, .dport_low = 80 },
	  P_TCP4_REV, 1 },
	{ "bidir forward pkt", { .bidirectional = 1, .shost = IP4(10, 0, 0, 1),
				 .dport_low = 80 }, P_TCP4, 1 },
	{ "bidir mac", { .bidirectional = 1, .smac = MAC_B }, P_TCP4, 1 },
	{ "unidir mac", { .smac = MAC_B }, P_TCP4, 0 },
	{ "bidir masks", { .bidirectional = 1, .shost = IP4(192, 168, 0, 0),
			   .shost_mask = IP4(255, 255, 0, 0),
			   .dhost = IP4(10, 0, 0, 0),
			   .dhost_mask = IP4(255, 0, 0, 0) }, P_TCP4, 1 },
	{ "bidir ports", { .bidirectional = 1, .sport_low = 80,
			   .sport_high = 80, .dport_low = 30000,
			   .dport_high = 50000 }, P_TCP4, 1 },
	{ "bidir no mixing", { .bidirectional = 1, .shost = IP4(10, 0, 0, 1),
			       .sport_low = 80 }, P_TCP4, 0 },
	{ "bidir v6", { .bidirectional = 1, .shost = IP6(2), .dhost = IP6(1),
			.sport_low = 53, .dport_low = 5353 }, P_UDP6, 1 },
	{ "bidir keeps vlan", { .bidirectional = 1, .vlan_id = 5 }, P_UDP6, 0 },
};
/* clang-format on */

#define NMATCH (int)(sizeof(match_cases) / sizeof(match_cases[0]))

START_TEST(test_match)
{
	const struct match_case *c = &match_cases[_i];
	struct frame f;

	frame_from(&f, &pkts[c->pkt]);
	ck_assert_msg(match(&c->rule, &f) == c->expect, "%s: expected %d",
		      c->name, c->expect);
}
END_TEST

/* A bidirectional rule matches a packet iff it matches the reverse one. */
START_TEST(test_bidir_symmetric)
{
	struct pfr_wc_rule r = match_cases[_i].rule;
	struct frame fwd, rev;

	r.bidirectional = 1;
	frame_from(&fwd, &pkts[P_TCP4]);
	frame_from(&rev, &pkts[P_TCP4_REV]);
	r.pattern_len = 0; /* the two payloads differ */
	ck_assert_int_eq(match(&r, &fwd), match(&r, &rev));
}
END_TEST

/* Normalisation by pfr_wc_rule_check. */
/* clang-format off */
#define ONES                                                                   \
	{                                                                      \
		.v6 = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   \
		       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}                \
	}
/* clang-format on */

struct norm_case {
	const char *name;
	struct pfr_wc_rule in, out;
};

/* clang-format off */
static const struct norm_case norm_cases[] = {
	{ "ports swapped", { .sport_low = 90, .sport_high = 10,
			     .dport_low = 7 },
	  { .sport_low = 90, .sport_high = 90, .dport_low = 7,
	    .dport_high = 7 } },
	{ "ports kept", { .sport_low = 10, .sport_high = 90 },
	  { .sport_low = 10, .sport_high = 90 } },
	{ "neutral mask filled", { .shost = IP4(1, 2, 3, 4) },
	  { .shost = IP4(1, 2, 3, 4), .shost_mask = ONES } },
	{ "v4 mask filled", { .ip_version = 4, .shost = IP4(1, 2, 3, 4) },
	  { .ip_version = 4, .shost = IP4(1, 2, 3, 4),
	    .shost_mask = IP4(255, 255, 255, 255) } },
	{ "mask kept", { .dhost = IP4(1, 2, 3, 4),
			 .dhost_mask = IP4(255, 0, 0, 0) },
	  { .dhost = IP4(1, 2, 3, 4), .dhost_mask = IP4(255, 0, 0, 0) } },
	{ "v6 host pins both", { .shost = IP4(1, 2, 3, 4), .dhost = IP6(1) },
	  { .ip_version = 6, .shost = IP4(1, 2, 3, 4), .shost_mask = ONES,
	    .dhost = IP6(1), .dhost_mask = ONES } },
	{ "v6 mask filled", { .dhost = IP6(9) },
	  { .ip_version = 6, .dhost = IP6(9), .dhost_mask = ONES } },
	{ "no host, no mask", { .shost_mask = IP4(255, 0, 0, 0) },
	  { .shost_mask = IP4(255, 0, 0, 0) } },
	{ "v6 given, v4-looking host", { .ip_version = 6,
					 .shost = {.v6 = {0x20, 0x01}} },
	  { .ip_version = 6, .shost = {.v6 = {0x20, 0x01}},
	    .shost_mask = ONES } },
	{ "version without hosts", { .ip_version = 4 }, { .ip_version = 4 } },
};
/* clang-format on */

/* The rule's own fields, short of the padding before the counters. */
#define RULE_FIELDS                                                            \
	(offsetof(struct pfr_wc_rule, payload_pattern) + PFR_PATTERN_LEN)
#define NNORM (int)(sizeof(norm_cases) / sizeof(norm_cases[0]))

START_TEST(test_normalise)
{
	const struct norm_case *c = &norm_cases[_i];
	struct pfr_wc_rule r = c->in;

	ck_assert_msg(pfr_wc_rule_check(&r) == 0, "%s: rejected", c->name);
	ck_assert_msg(memcmp(&r, &c->out, RULE_FIELDS) == 0, "%s: differs",
		      c->name);
	ck_assert_msg(pfr_wc_rule_check(&r) == 0 &&
			  memcmp(&r, &c->out, RULE_FIELDS) == 0,
		      "%s: not idempotent", c->name);
}
END_TEST

/* clang-format off */
static const struct pfr_wc_rule invalid_rules[] = {
	{ .action = PFR_ACT_MAX + 1 },
	{ .action = 255 },
	{ .pattern_len = PFR_PATTERN_LEN + 1 },
	{ .balance_pool = 4, .balance_id = 4 },
	{ .balance_pool = 1, .balance_id = 200 },
	{ .ip_version = 4, .dhost = IP6(1) },
	{ .ip_version = 5 },
	{ .ip_version = 6 + 4 },
};
/* clang-format on */

#define NINVALID (int)(sizeof(invalid_rules) / sizeof(invalid_rules[0]))

START_TEST(test_invalid)
{
	struct pfr_wc_rule r = invalid_rules[_i], slot[1];
	struct pfr_wc_list l = {slot, 0, 1};

	ck_assert_int_eq(pfr_wc_rule_check(&r), -1);
	ck_assert_int_eq(pfr_wc_add(&l, &invalid_rules[_i]), -1);
	ck_assert_uint_eq(l.count, 0);
}
END_TEST

START_TEST(test_valid_limits)
{
	struct pfr_wc_rule r = {.action = PFR_ACT_MAX,
				.pattern_len = PFR_PATTERN_LEN,
				.balance_pool = 255,
				.balance_id = 254};

	ck_assert_int_eq(pfr_wc_rule_check(&r), 0);
}
END_TEST

/* Exactly one rule of a pool takes each flow, and both directions. */
START_TEST(test_balance)
{
	int pool = _i + 1, id, hits, hits_rev;
	struct pfr_wc_rule r = {.balance_pool = (pfr_u8)pool};
	struct pb_spec s = pkts[P_TCP4], rs = pkts[P_TCP4_REV];
	struct frame f, fr;
	int flow;

	for (flow = 0; flow < 64; flow++) {
		s.sport = rs.dport = (uint16_t)(1000 + flow * 37);
		frame_from(&f, &s);
		frame_from(&fr, &rs);
		hits = hits_rev = 0;
		for (id = 0; id < pool; id++) {
			r.balance_id = (pfr_u8)id;
			hits += match(&r, &f);
			hits_rev += match(&r, &fr);
			ck_assert_int_eq(match(&r, &f), match(&r, &fr));
		}
		ck_assert_int_eq(hits, 1);
		ck_assert_int_eq(hits_rev, 1);
	}
}
END_TEST

START_TEST(test_balance_spread)
{
	struct pfr_wc_rule r = {.balance_pool = 4};
	struct pb_spec s = pkts[P_TCP4];
	int count[4] = {0}, flow, id;
	struct frame f;

	for (flow = 0; flow < 400; flow++) {
		s.sport = (uint16_t)(20000 + flow);
		frame_from(&f, &s);
		for (id = 0; id < 4; id++) {
			r.balance_id = (pfr_u8)id;
			count[id] += match(&r, &f);
		}
	}
	for (id = 0; id < 4; id++)
		ck_assert_int_gt(count[id], 60);
}
END_TEST

/* The sorted list */

static void list_ids(const struct pfr_wc_list *l, char *out, size_t cap)
{
	size_t n = 0;
	pfr_u32 i;

	out[0] = '\0';
	for (i = 0; i < l->count && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%u", i ? "," : "",
				      l->rules[i].rule_id);
}

/* Insert in several orders; the list is always sorted by id. */
START_TEST(test_list_sorted)
{
	static const uint16_t orders[][6] = {
	    {5, 1, 3, 65535, 0, 2},
	    {0, 1, 2, 3, 5, 65535},
	    {65535, 5, 3, 2, 1, 0},
	    {3, 65535, 0, 5, 2, 1},
	};
	struct pfr_wc_rule slots[6], r = {0};
	struct pfr_wc_list l = {slots, 0, 6};
	char ids[64];
	int i;

	for (i = 0; i < 6; i++) {
		r.rule_id = orders[_i][i];
		r.action = (pfr_u8)(i % 3);
		ck_assert_int_eq(pfr_wc_add(&l, &r), 0);
	}
	list_ids(&l, ids, sizeof(ids));
	ck_assert_str_eq(ids, "0,1,2,3,5,65535");
	for (i = 0; i < 6; i++) {
		ck_assert_ptr_nonnull(pfr_wc_find(&l, orders[_i][i]));
		ck_assert_uint_eq(pfr_wc_find(&l, orders[_i][i])->action,
				  i % 3);
	}
	ck_assert_ptr_null(pfr_wc_find(&l, 4));
}
END_TEST

START_TEST(test_list_dup_full_remove)
{
	struct pfr_wc_rule slots[3], r = {0};
	struct pfr_wc_list l = {slots, 0, 3};
	char ids[64];

	r.rule_id = 10;
	ck_assert_int_eq(pfr_wc_add(&l, &r), 0);
	ck_assert_int_eq(pfr_wc_add(&l, &r), -1); /* duplicate */
	r.rule_id = 20;
	ck_assert_int_eq(pfr_wc_add(&l, &r), 0);
	r.rule_id = 15;
	ck_assert_int_eq(pfr_wc_add(&l, &r), 0);
	r.rule_id = 1;
	ck_assert_int_eq(pfr_wc_add(&l, &r), -1); /* full */
	ck_assert_uint_eq(l.count, 3);
	ck_assert_int_eq(pfr_wc_remove(&l, 15), 0);
	ck_assert_int_eq(pfr_wc_remove(&l, 15), -1);
	ck_assert_int_eq(pfr_wc_remove(&l, 99), -1);
	list_ids(&l, ids, sizeof(ids));
	ck_assert_str_eq(ids, "10,20");
	ck_assert_int_eq(pfr_wc_add(&l, &r), 0);
	list_ids(&l, ids, sizeof(ids));
	ck_assert_str_eq(ids, "1,10,20");
	ck_assert_int_eq(pfr_wc_remove(&l, 1), 0);
	ck_assert_int_eq(pfr_wc_remove(&l, 20), 0);
	ck_assert_int_eq(pfr_wc_remove(&l, 10), 0);
	ck_assert_uint_eq(l.count, 0);
	ck_assert_int_eq(pfr_wc_remove(&l, 10), -1);
	ck_assert_ptr_null(pfr_wc_find(&l, 10));
}
END_TEST

/* add stores the normalised rule and keeps the caller's counters. */
START_TEST(test_list_add_normalises)
{
	struct pfr_wc_rule slot[1], r = {.rule_id = 4,
					 .dport_low = 80,
					 .shost = IP4(1, 1, 1, 1),
					 .matched = 7,
					 .last_match = 99};
	struct pfr_wc_list l = {slot, 0, 1};

	ck_assert_int_eq(pfr_wc_add(&l, &r), 0);
	ck_assert_uint_eq(slot[0].dport_high, 80);
	ck_assert_uint_eq(slot[0].shost_mask.v4, 0xffffffff);
	ck_assert_uint_eq(slot[0].ip_version, 0);
	ck_assert_uint_eq(slot[0].matched, 7);
	ck_assert_uint_eq(slot[0].last_match, 99);
}
END_TEST

/* Idle purge: unlocked rules idle for idle seconds or more go. */
START_TEST(test_purge)
{
	/* clang-format off */
	static const struct {
		uint16_t id;
		uint8_t locked;
		uint64_t last;
	} rows[] = {
		{ 1, 0, 85 },  /* idle 15: purged */
		{ 2, 0, 95 },  /* idle 5: kept */
		{ 3, 0, 90 },  /* idle exactly 10: purged */
		{ 4, 1, 0 },   /* locked: kept */
		{ 5, 0, 150 }, /* in the future: kept */
		{ 6, 0, 0 },   /* never matched since added at 0: purged */
		{ 7, 1, 100 },
	};
	/* clang-format on */
	struct pfr_wc_rule slots[7], r = {0};
	struct pfr_wc_list l = {slots, 0, 7};
	char ids[64];
	size_t i;

	for (i = 0; i < 7; i++) {
		r.rule_id = rows[i].id;
		r.locked = rows[i].locked;
		r.last_match = rows[i].last;
		ck_assert_int_eq(pfr_wc_add(&l, &r), 0);
	}
	ck_assert_uint_eq(pfr_wc_purge(&l, 100, 10), 3);
	list_ids(&l, ids, sizeof(ids));
	ck_assert_str_eq(ids, "2,4,5,7");
	ck_assert_uint_eq(pfr_wc_purge(&l, 100, 10), 0);
	ck_assert_uint_eq(pfr_wc_purge(&l, 1000, 0), 2);
	list_ids(&l, ids, sizeof(ids));
	ck_assert_str_eq(ids, "4,7");
}
END_TEST

/* Evaluation */

struct rules {
	struct pfr_wc_rule wc[8];
	struct pfr_hrule hr[4];
	pfr_u32 buckets[4];
	struct pfr_ruleset rs;
};

static void rules_init(struct rules *t, int default_accept)
{
	memset(t, 0, sizeof(*t));
	t->rs.wc.rules = t->wc;
	t->rs.wc.max = 8;
	pfr_htable_init(&t->rs.ht, t->buckets, 4, t->hr, 4);
	t->rs.default_accept = (pfr_u8)default_accept;
}

static void add_wc(struct rules *t, uint16_t id, uint8_t action,
		   const struct pfr_wc_rule *base)
{
	struct pfr_wc_rule r = {0};

	if (base != NULL)
		r = *base;
	r.rule_id = id;
	r.action = action;
	r.reflect_ifindex = 7;
	ck_assert_int_eq(pfr_wc_add(&t->rs.wc, &r), 0);
}

static void eval(struct rules *t, const struct frame *f, uint64_t now,
		 struct pfr_verdict *v)
{
	pfr_ruleset_eval(&t->rs, &f->pi, f->buf, (pfr_u32)f->len, now, v);
}

/* The actions table of docs/filtering.md, written out independently. */
/* clang-format off */
static const struct {
	int stop, forward, reflect, bounce, add, del;
} actions[PFR_ACT_MAX + 1] = {
	[PFR_ACT_FORWARD_STOP] = { 1, 1, 0, 0, 0, 0 },
	[PFR_ACT_DROP_STOP] = { 1, 0, 0, 0, 0, 0 },
	[PFR_ACT_EXEC_CONTINUE] = { 0, 0, 0, 0, 0, 0 },
	[PFR_ACT_EXEC_STOP] = { 1, 0, 0, 0, 0, 0 },
	[PFR_ACT_FORWARD_ADD_RULE_STOP] = { 1, 1, 0, 0, 1, 0 },
	[PFR_ACT_FORWARD_DEL_RULE_STOP] = { 1, 1, 0, 0, 0, 1 },
	[PFR_ACT_REFLECT_STOP] = { 1, 0, 1, 0, 0, 0 },
	[PFR_ACT_REFLECT_CONTINUE] = { 0, 0, 1, 0, 0, 0 },
	[PFR_ACT_BOUNCE_STOP] = { 1, 0, 0, 1, 0, 0 },
	[PFR_ACT_BOUNCE_CONTINUE] = { 0, 0, 0, 1, 0, 0 },
};
/* clang-format on */

/* Each action alone, under both default policies. */
START_TEST(test_action)
{
	int a = _i / 2, policy = _i % 2;
	struct pfr_verdict v;
	struct rules t;
	struct frame f;

	rules_init(&t, policy);
	add_wc(&t, 3, (uint8_t)a, NULL);
	frame_from(&f, &pkts[P_TCP4]);
	eval(&t, &f, 1234, &v);
	ck_assert_int_eq(v.matched, 1);
	ck_assert_int_eq(v.rule_id, 3);
	ck_assert_int_eq(v.forward,
			 actions[a].stop ? actions[a].forward : policy);
	ck_assert_int_eq(v.reflect, actions[a].reflect);
	ck_assert_int_eq(v.reflect_ifindex, actions[a].reflect ? 7 : 0);
	ck_assert_int_eq(v.bounce, actions[a].bounce);
	ck_assert_int_eq(v.add_hash_rule, actions[a].add);
	ck_assert_int_eq(v.del_hash_rule, actions[a].del);
	ck_assert_uint_eq(t.wc[0].matched, 1);
	ck_assert_uint_eq(t.wc[0].last_match, 1234);
	ck_assert_uint_eq(t.wc[0].filtered,
			  actions[a].stop && !actions[a].forward);
	ck_assert_uint_eq(t.rs.ht.count, actions[a].add);
}
END_TEST

/* Each action followed by a FORWARD_STOP and a DROP_STOP rule. */
START_TEST(test_action_then_more)
{
	int a = _i;
	struct pfr_verdict v;
	struct rules t;
	struct frame f;

	rules_init(&t, 0);
	add_wc(&t, 10, (uint8_t)a, NULL);
	add_wc(&t, 20, PFR_ACT_FORWARD_STOP, NULL);
	add_wc(&t, 30, PFR_ACT_DROP_STOP, NULL);
	frame_from(&f, &pkts[P_UDP6]);
	eval(&t, &f, 5, &v);
	ck_assert_uint_eq(t.wc[1].matched, !actions[a].stop);
	ck_assert_uint_eq(t.wc[2].matched, 0);
	ck_assert_int_eq(v.rule_id, actions[a].stop ? 10 : 20);
	ck_assert_int_eq(v.forward, actions[a].stop ? actions[a].forward : 1);
	ck_assert_int_eq(v.reflect, actions[a].reflect);
	ck_assert_int_eq(v.bounce, actions[a].bounce);
}
END_TEST

START_TEST(test_id_order)
{
	struct pfr_wc_rule tcp = {.proto = 6};
	struct pfr_verdict v;
	struct rules t;
	struct frame f;

	rules_init(&t, 1);
	add_wc(&t, 10, PFR_ACT_FORWARD_STOP, NULL);
	add_wc(&t, 5, PFR_ACT_DROP_STOP, &tcp);
	frame_from(&f, &pkts[P_TCP4]);
	eval(&t, &f, 1, &v);
	ck_assert_int_eq(v.forward, 0);
	ck_assert_int_eq(v.rule_id, 5);
	ck_assert_uint_eq(pfr_wc_find(&t.rs.wc, 10)->matched, 0);
	frame_from(&f, &pkts[P_UDP6]); /* rule 5 does not match */
	eval(&t, &f, 2, &v);
	ck_assert_int_eq(v.forward, 1);
	ck_assert_int_eq(v.rule_id, 10);
	ck_assert_uint_eq(pfr_wc_find(&t.rs.wc, 5)->matched, 1);
	ck_assert_uint_eq(pfr_wc_find(&t.rs.wc, 5)->filtered, 1);
	ck_assert_uint_eq(pfr_wc_find(&t.rs.wc, 5)->last_match, 1);
}
END_TEST

START_TEST(test_continue_chain)
{
	struct pfr_verdict v;
	struct rules t;
	struct frame f;
	int i;

	rules_init(&t, 1);
	add_wc(&t, 1, PFR_ACT_EXEC_CONTINUE, NULL);
	add_wc(&t, 2, PFR_ACT_REFLECT_CONTINUE, NULL);
	add_wc(&t, 3, PFR_ACT_BOUNCE_CONTINUE, NULL);
	add_wc(&t, 4, PFR_ACT_DROP_STOP, NULL);
	add_wc(&t, 5, PFR_ACT_FORWARD_STOP, NULL);
	frame_from(&f, &pkts[P_ARP]);
	eval(&t, &f, 9, &v);
	ck_assert_int_eq(v.forward, 0);
	ck_assert_int_eq(v.reflect, 1);
	ck_assert_int_eq(v.reflect_ifindex, 7);
	ck_assert_int_eq(v.bounce, 1);
	ck_assert_int_eq(v.rule_id, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(t.wc[i].matched, 1);
		ck_assert_uint_eq(t.wc[i].filtered, i == 3);
	}
	ck_assert_uint_eq(t.wc[4].matched, 0);
}
END_TEST

/* No rule, no match, or only continuing rules: the policy decides. */
START_TEST(test_default_policy)
{
	struct pfr_wc_rule udp = {.proto = 17};
	int policy = _i % 2, setup = _i / 2;
	struct pfr_verdict v;
	struct rules t;
	struct frame f;

	rules_init(&t, policy);
	if (setup == 1)
		add_wc(&t, 1, PFR_ACT_DROP_STOP, &udp);
	if (setup == 2)
		add_wc(&t, 1, PFR_ACT_EXEC_CONTINUE, NULL);
	frame_from(&f, &pkts[P_TCP4]);
	eval(&t, &f, 1, &v);
	ck_assert_int_eq(v.forward, policy);
	ck_assert_int_eq(v.matched, setup == 2);
}
END_TEST

/* FORWARD_ADD_RULE installs the flow's hash rule; then it takes over. */
START_TEST(test_add_rule_action)
{
	struct pfr_wc_rule tcp = {.proto = 6};
	struct pfr_hrule_key k;
	struct pfr_hrule *h;
	struct pfr_verdict v;
	struct frame f, rev;
	struct rules t;

	rules_init(&t, 0);
	add_wc(&t, 7, PFR_ACT_FORWARD_ADD_RULE_STOP, &tcp);
	frame_from(&f, &pkts[P_TCP4]);
	frame_from(&rev, &pkts[P_TCP4_REV]);
	eval(&t, &f, 10, &v);
	ck_assert_int_eq(v.forward, 1);
	ck_assert_int_eq(v.add_hash_rule, 1);
	pfr_hrule_key_from_pkt(&k, &rev.pi);
	h = pfr_htable_lookup(&t.rs.ht, &k);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->rule_id, 7);
	ck_assert_uint_eq(h->action, PFR_ACT_FORWARD_STOP);
	ck_assert_uint_eq(h->last_match, 10);
	ck_assert_uint_eq(h->matched, 0);
	eval(&t, &rev, 11, &v);
	ck_assert_int_eq(v.forward, 1);
	ck_assert_int_eq(v.add_hash_rule, 0);
	ck_assert_uint_eq(h->matched, 1);
	ck_assert_uint_eq(h->last_match, 11);
	ck_assert_uint_eq(t.wc[0].matched, 1);
	ck_assert_uint_eq(t.rs.ht.count, 1);
}
END_TEST

/* A full table: the packet is still delivered, nothing else changes. */
START_TEST(test_add_rule_table_full)
{
	struct pfr_hrule filler = {.action = PFR_ACT_FORWARD_STOP};
	struct pfr_verdict v;
	struct frame f;
	struct rules t;
	int i;

	rules_init(&t, 0);
	add_wc(&t, 7, PFR_ACT_FORWARD_ADD_RULE_STOP, NULL);
	for (i = 0; i < 4; i++) {
		filler.key.ip_version = 4;
		filler.key.port_a = (pfr_u16)(i + 1);
		ck_assert_int_eq(pfr_htable_add(&t.rs.ht, &filler), 0);
	}
	frame_from(&f, &pkts[P_TCP4]);
	eval(&t, &f, 1, &v);
	ck_assert_int_eq(v.forward, 1);
	ck_assert_int_eq(v.add_hash_rule, 1);
	ck_assert_uint_eq(t.rs.ht.count, 4);
}
END_TEST

/* Non-IP packets have no 6-tuple: no hash rule is added or consulted. */
START_TEST(test_add_rule_non_ip)
{
	struct pfr_verdict v;
	struct frame f;
	struct rules t;

	rules_init(&t, 0);
	add_wc(&t, 7, PFR_ACT_FORWARD_ADD_RULE_STOP, NULL);
	frame_from(&f, &pkts[P_ARP]);
	eval(&t, &f, 1, &v);
	eval(&t, &f, 2, &v);
	ck_assert_int_eq(v.forward, 1);
	ck_assert_uint_eq(t.rs.ht.count, 0);
	ck_assert_uint_eq(t.wc[0].matched, 2);
}
END_TEST

static void add_flow_hrule(struct rules *t, const struct frame *f, uint16_t id,
			   uint8_t action)
{
	struct pfr_hrule h = {.rule_id = id, .action = action};

	pfr_hrule_key_from_pkt(&h.key, &f->pi);
	ck_assert_int_eq(pfr_htable_add(&t->rs.ht, &h), 0);
}

/* DEL_RULE removes the flow's hash rule, whichever rule asks. */
START_TEST(test_del_rule_action)
{
	struct pfr_verdict v;
	struct frame f, rev;
	struct rules t;

	rules_init(&t, 0);
	frame_from(&f, &pkts[P_TCP4]);
	frame_from(&rev, &pkts[P_TCP4_REV]);
	if (_i == 0) { /* a continuing hash rule, then a wildcard DEL_RULE */
		add_flow_hrule(&t, &f, 1, PFR_ACT_EXEC_CONTINUE);
		add_wc(&t, 9, PFR_ACT_FORWARD_DEL_RULE_STOP, NULL);
	} else { /* the hash rule's own action */
		add_flow_hrule(&t, &f, 1, PFR_ACT_FORWARD_DEL_RULE_STOP);
	}
	eval(&t, &rev, 1, &v);
	ck_assert_int_eq(v.forward, 1);
	ck_assert_int_eq(v.del_hash_rule, 1);
	ck_assert_int_eq(v.rule_id, _i == 0 ? 9 : 1);
	ck_assert_uint_eq(t.rs.ht.count, 0);
	eval(&t, &f, 2, &v); /* nothing left to delete */
	ck_assert_int_eq(v.forward, _i == 0);
	ck_assert_uint_eq(t.rs.ht.count, 0);
}
END_TEST

/* Hash rules are looked at first, and may continue into the list. */
START_TEST(test_hash_before_wildcard)
{
	struct pfr_verdict v;
	struct frame f;
	struct rules t;

	rules_init(&t, 1);
	frame_from(&f, &pkts[P_UDP6]);
	add_flow_hrule(&t, &f, 100,
		       _i ? PFR_ACT_BOUNCE_CONTINUE : PFR_ACT_DROP_STOP);
	add_wc(&t, 1, PFR_ACT_FORWARD_STOP, NULL);
	eval(&t, &f, 3, &v);
	ck_assert_int_eq(v.forward, _i);
	ck_assert_int_eq(v.bounce, _i);
	ck_assert_int_eq(v.rule_id, _i ? 1 : 100);
	ck_assert_uint_eq(t.wc[0].matched, _i);
	ck_assert_uint_eq(t.rs.ht.rules[0].matched, 1);
	ck_assert_uint_eq(t.rs.ht.rules[0].filtered, !_i);
	ck_assert_uint_eq(t.rs.ht.rules[0].last_match, 3);
}
END_TEST

/* An action changed in place to something unknown cannot overrun. */
START_TEST(test_unknown_action_in_place)
{
	struct pfr_verdict v;
	struct frame f;
	struct rules t;

	rules_init(&t, 0);
	add_wc(&t, 1, PFR_ACT_DROP_STOP, NULL);
	pfr_wc_find(&t.rs.wc, 1)->action = 200;
	frame_from(&f, &pkts[P_TCP4]);
	eval(&t, &f, 1, &v);
	ck_assert_int_eq(v.forward, 1);
	ck_assert_int_eq(v.matched, 1);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *m = tcase_create("match"), *l = tcase_create("list");
	TCase *e = tcase_create("eval");

	tcase_add_loop_test(m, test_match, 0, NMATCH);
	tcase_add_loop_test(m, test_bidir_symmetric, 0, NMATCH);
	tcase_add_loop_test(m, test_normalise, 0, NNORM);
	tcase_add_loop_test(m, test_invalid, 0, NINVALID);
	tcase_add_test(m, test_valid_limits);
	tcase_add_loop_test(m, test_balance, 0, 8);
	tcase_add_test(m, test_balance_spread);
	tcase_add_loop_test(l, test_list_sorted, 0, 4);
	tcase_add_test(l, test_list_dup_full_remove);
	tcase_add_test(l, test_list_add_normalises);
	tcase_add_test(l, test_purge);
	tcase_add_loop_test(e, test_action, 0, 2 * (PFR_ACT_MAX + 1));
	tcase_add_loop_test(e, test_action_then_more, 0, PFR_ACT_MAX + 1);
	tcase_add_test(e, test_id_order);
	tcase_add_test(e, test_continue_chain);
	tcase_add_loop_test(e, test_default_policy, 0, 6);
	tcase_add_test(e, test_add_rule_action);
	tcase_add_test(e, test_add_rule_table_full);
	tcase_add_test(e, test_add_rule_non_ip);
	tcase_add_loop_test(e, test_del_rule_action, 0, 2);
	tcase_add_loop_test(e, test_hash_before_wildcard, 0, 2);
	tcase_add_test(e, test_unknown_action_in_place);
	suite_add_tcase(s, m);
	suite_add_tcase(s, l);
	suite_add_tcase(s, e);
	return s;
}

int main(void)
{
	return run_suite(rules_suite());
}
