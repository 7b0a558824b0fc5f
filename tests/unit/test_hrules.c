// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Precise (hash) rules in common/pfr_rules.c: add, lookup in both
 * directions, duplicates, a full table, removal and free-list reuse, long
 * chains, idle purge, counters through pfr_ruleset_eval, and random
 * operation sequences checked against a plain array.
 */
#include <check.h>
#include <stdlib.h>

#include "pfr_rules.h"
#include "pktbuild.h"
#include "check_main.h"

#define CAP 64

struct table {
	struct pfr_htable t;
	pfr_u32 buckets[CAP];
	struct pfr_hrule rules[CAP];
};

static void table_init(struct table *tb, pfr_u32 nbuckets, pfr_u32 cap)
{
	memset(tb, 0xa5, sizeof(*tb)); /* init must not rely on zeroed memory */
	pfr_htable_init(&tb->t, tb->buckets, nbuckets, tb->rules, cap);
}

static struct pfr_ip ip4(uint32_t v)
{
	struct pfr_ip a;

	memset(&a, 0, sizeof(a));
	a.v4 = v;
	return a;
}

static struct pfr_ip ip6(uint8_t first, uint8_t last)
{
	struct pfr_ip a;

	memset(&a, 0, sizeof(a));
	a.v6[0] = 0x20;
	a.v6[1] = first;
	a.v6[15] = last;
	return a;
}

/* One flow, both ways round. */
struct flow {
	const char *name;
	uint8_t ipv;
	struct pfr_ip a, b;
	uint16_t pa, pb;
	uint8_t proto;
	uint16_t vlan;
};

static struct flow flow_at(int i)
{
	/* clang-format off */
	static const struct {
		const char *name;
		uint8_t ipv;
		uint32_t a, b;
		uint16_t pa, pb;
		uint8_t proto;
		uint16_t vlan;
	} rows[] = {
		{ "v4 tcp", 4, 0x0a000001, 0x0a000002, 1000, 80, 6, 0 },
		{ "v4 udp vlan", 4, 0xc0a80001, 0x08080808, 53, 53, 17, 12 },
		{ "v4 same host", 4, 0x7f000001, 0x7f000001, 5000, 6000, 6, 0 },
		{ "v4 same endpoint", 4, 0x01010101, 0x01010101, 7, 7, 17, 1 },
		{ "v4 zero ports", 4, 0xffffffff, 0, 0, 0, 1, 4095 },
		{ "v6 tcp", 6, 1, 2, 443, 50000, 6, 0 },
		{ "v6 sctp vlan", 6, 9, 3, 36412, 36412, 132, 100 },
		{ "v6 icmp", 6, 200, 100, 0, 0, 58, 7 },
	};
	/* clang-format on */
	struct flow f;

	f.name = rows[i].name;
	f.ipv = rows[i].ipv;
	if (f.ipv == 4) {
		f.a = ip4(rows[i].a);
		f.b = ip4(rows[i].b);
	} else {
		f.a = ip6((uint8_t)rows[i].a, (uint8_t)(rows[i].a * 3));
		f.b = ip6((uint8_t)rows[i].b, (uint8_t)(rows[i].b * 3));
	}
	f.pa = rows[i].pa;
	f.pb = rows[i].pb;
	f.proto = rows[i].proto;
	f.vlan = rows[i].vlan;
	return f;
}

#define NFLOWS 8

static void key_of(struct pfr_hrule_key *k, const struct flow *f, int rev)
{
	if (rev)
		pfr_hrule_key_make(k, f->ipv, &f->b, f->pb, &f->a, f->pa,
				   f->proto, f->vlan);
	else
		pfr_hrule_key_make(k, f->ipv, &f->a, f->pa, &f->b, f->pb,
				   f->proto, f->vlan);
}

static struct pfr_hrule rule_of(const struct flow *f, int rev, uint16_t id)
{
	struct pfr_hrule r;

	memset(&r, 0, sizeof(r));
	key_of(&r.key, f, rev);
	r.rule_id = id;
	r.action = PFR_ACT_DROP_STOP;
	return r;
}

START_TEST(test_add_lookup_both_ways)
{
	struct flow f = flow_at(_i / 2);
	int rev = _i % 2;
	struct pfr_hrule r = rule_of(&f, rev, 42), *found;
	struct pfr_hrule_key k;
	struct table tb;

	table_init(&tb, 16, CAP);
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0);
	ck_assert_uint_eq(tb.t.count, 1);
	key_of(&k, &f, 0);
	found = pfr_htable_lookup(&tb.t, &k);
	ck_assert_ptr_nonnull(found);
	ck_assert_uint_eq(found->rule_id, 42);
	ck_assert_uint_eq(found->in_use, 1);
	key_of(&k, &f, 1);
	ck_assert_ptr_eq(pfr_htable_lookup(&tb.t, &k), found);
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), -1);
	r = rule_of(&f, !rev, 43);
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), -1);
	ck_assert_uint_eq(tb.t.count, 1);
}
END_TEST

/* Keys differing in any one field are different rules. */
START_TEST(test_fields_distinguish)
{
	struct flow base = flow_at(_i), f;
	struct pfr_hrule r = rule_of(&base, 0, 1), changed;
	struct pfr_hrule_key k;
	struct table tb;
	int field;

	for (field = 0; field < 6; field++) {
		table_init(&tb, 8, CAP);
		ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0);
		f = base;
		switch (field) {
		case 0:
			f.pa++;
			break;
		case 1:
			f.pb++;
			break;
		case 2:
			f.proto++;
			break;
		case 3:
			f.vlan++;
			break;
		case 4:
			f.b.v6[3] ^= 1;
			break;
		case 5:
			f.ipv = f.ipv == 4 ? 6 : 4;
			break;
		}
		key_of(&k, &f, 0);
		ck_assert_msg(pfr_htable_lookup(&tb.t, &k) == NULL,
			      "%s: field %d ignored", base.name, field);
		changed = rule_of(&f, field & 1, (uint16_t)(field + 2));
		ck_assert_int_eq(pfr_htable_add(&tb.t, &changed), 0);
		ck_assert_uint_eq(tb.t.count, 2);
	}
}
END_TEST

/* A caller's key in either order, with junk after an IPv4 address. */
START_TEST(test_add_canonicalises)
{
	struct pfr_hrule r;
	struct pfr_hrule_key k;
	struct pfr_ip a = ip4(0x0a000009), b = ip4(0x0a000001);
	struct table tb;

	table_init(&tb, 4, 4);
	memset(&r, 0, sizeof(r));
	r.key.ip_version = 4;
	r.key.host_a = a;
	r.key.host_b = b;
	r.key.host_a.v6[8] = 0x77; /* junk: ignored for IPv4 */
	r.key.port_a = 1;
	r.key.port_b = 2;
	r.key.proto = 6;
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0);
	pfr_hrule_key_make(&k, 4, &a, 1, &b, 2, 6, 0);
	ck_assert_ptr_nonnull(pfr_htable_lookup(&tb.t, &k));
	ck_assert_int_eq(pfr_htable_remove(&tb.t, &r.key), 0);
	ck_assert_uint_eq(tb.t.count, 0);
}
END_TEST

START_TEST(test_full_and_reuse)
{
	struct flow f = flow_at(0);
	struct pfr_hrule r, dup;
	struct pfr_hrule_key k;
	struct table tb;
	int i;

	table_init(&tb, 4, 8);
	for (i = 0; i < 8; i++) {
		f.pa = (uint16_t)(100 + i);
		r = rule_of(&f, i & 1, (uint16_t)i);
		ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0);
	}
	f.pa = 200;
	r = rule_of(&f, 0, 99);
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), -2);
	f.pa = 103;
	dup = rule_of(&f, 1, 98);
	ck_assert_int_eq(pfr_htable_add(&tb.t, &dup), -1); /* even when full */
	key_of(&k, &f, 1);
	ck_assert_int_eq(pfr_htable_remove(&tb.t, &k), 0);
	ck_assert_int_eq(pfr_htable_remove(&tb.t, &k), -1);
	ck_assert_ptr_null(pfr_htable_lookup(&tb.t, &k));
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0); /* the freed slot */
	ck_assert_uint_eq(tb.t.count, 8);
	for (i = 0; i < 8; i++) {
		f.pa = (uint16_t)(i == 3 ? 200 : 100 + i);
		key_of(&k, &f, 0);
		ck_assert_ptr_nonnull(pfr_htable_lookup(&tb.t, &k));
	}
}
END_TEST

START_TEST(test_empty_and_degenerate)
{
	struct flow f = flow_at(0);
	struct pfr_hrule r = rule_of(&f, 0, 1);
	struct table tb;

	table_init(&tb, 8, CAP);
	ck_assert_ptr_null(pfr_htable_lookup(&tb.t, &r.key));
	ck_assert_int_eq(pfr_htable_remove(&tb.t, &r.key), -1);
	ck_assert_uint_eq(pfr_htable_purge(&tb.t, 100, 0), 0);
	table_init(&tb, 0, CAP); /* no buckets: holds nothing */
	ck_assert_uint_eq(tb.t.capacity, 0);
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), -2);
	ck_assert_ptr_null(pfr_htable_lookup(&tb.t, &r.key));
	table_init(&tb, 8, 0); /* no entries */
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), -2);
	table_init(&tb, 6, CAP); /* rounded down to 4 */
	ck_assert_uint_eq(tb.t.nbuckets, 4);
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0);
	ck_assert_ptr_nonnull(pfr_htable_lookup(&tb.t, &r.key));
	r.action = PFR_ACT_MAX + 1;
	r.key.port_a = 9;
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), -3);
}
END_TEST

/* add copies counters as given, so a table can be grown by re-adding. */
START_TEST(test_add_keeps_counters)
{
	struct flow f = flow_at(5);
	struct pfr_hrule r = rule_of(&f, 0, 3), *e;
	struct table tb;

	r.matched = 11;
	r.filtered = 4;
	r.last_match = 77;
	r.reflect_ifindex = 5;
	table_init(&tb, 4, 4);
	ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0);
	e = pfr_htable_lookup(&tb.t, &r.key);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->matched, 11);
	ck_assert_uint_eq(e->filtered, 4);
	ck_assert_uint_eq(e->last_match, 77);
	ck_assert_int_eq(e->reflect_ifindex, 5);
}
END_TEST

/* Everything in one bucket: chains stay intact through removals. */
START_TEST(test_long_chain)
{
	struct flow f = flow_at(_i);
	struct pfr_hrule r;
	struct pfr_hrule_key k;
	struct table tb;
	int i;

	table_init(&tb, 1, CAP);
	for (i = 0; i < CAP; i++) {
		f.pb = (uint16_t)(3000 + i);
		r = rule_of(&f, i & 1, (uint16_t)i);
		ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0);
	}
	for (i = 0; i < CAP; i += 2) {
		f.pb = (uint16_t)(3000 + i);
		key_of(&k, &f, 1);
		ck_assert_int_eq(pfr_htable_remove(&tb.t, &k), 0);
	}
	for (i = 0; i < CAP; i++) {
		struct pfr_hrule *e;

		f.pb = (uint16_t)(3000 + i);
		key_of(&k, &f, i % 3 == 0);
		e = pfr_htable_lookup(&tb.t, &k);
		ck_assert_int_eq(e != NULL, i & 1);
		if (e != NULL)
			ck_assert_uint_eq(e->rule_id, i);
	}
	ck_assert_uint_eq(tb.t.count, CAP / 2);
}
END_TEST

START_TEST(test_purge)
{
	static const uint64_t last[] = {0, 50, 89, 90, 91, 100, 200};
	struct flow f = flow_at(1);
	struct pfr_hrule r;
	struct pfr_hrule_key k;
	struct table tb;
	size_t i;

	table_init(&tb, _i ? 1 : 16, CAP);
	for (i = 0; i < 7; i++) {
		f.pa = (uint16_t)(10 + i);
		r = rule_of(&f, 0, (uint16_t)i);
		r.last_match = last[i];
		ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0);
	}
	/* now 100, idle 10: last_match <= 90 goes; the future stays. */
	ck_assert_uint_eq(pfr_htable_purge(&tb.t, 100, 10), 4);
	ck_assert_uint_eq(tb.t.count, 3);
	for (i = 0; i < 7; i++) {
		f.pa = (uint16_t)(10 + i);
		key_of(&k, &f, 1);
		ck_assert_int_eq(pfr_htable_lookup(&tb.t, &k) != NULL,
				 last[i] > 90);
	}
	ck_assert_uint_eq(pfr_htable_purge(&tb.t, 100, 10), 0);
	ck_assert_uint_eq(pfr_htable_purge(&tb.t, 1000, 0), 3);
	ck_assert_uint_eq(tb.t.count, 0);
	for (i = 0; i < CAP; i++) { /* every slot is free again */
		f.pa = (uint16_t)(500 + i);
		r = rule_of(&f, 0, 1);
		ck_assert_int_eq(pfr_htable_add(&tb.t, &r), 0);
	}
}
END_TEST

/* Counters through evaluation: matched, filtered, last_match. */
START_TEST(test_eval_counters)
{
	static const uint8_t actions[] = {
	    PFR_ACT_FORWARD_STOP, PFR_ACT_DROP_STOP, PFR_ACT_EXEC_STOP,
	    PFR_ACT_REFLECT_STOP, PFR_ACT_BOUNCE_CONTINUE};
	uint8_t action = actions[_i];
	struct pb_spec s = {.ipv = 4,
			    .src = {10, 0, 0, 1},
			    .dst = {10, 0, 0, 2},
			    .proto = 17,
			    .sport = 1000,
			    .dport = 53,
			    .nvlan = 1,
			    .vlan = {12}};
	struct pb_spec rs = s;
	struct pfr_ruleset set;
	struct pfr_pkt_info pi;
	struct pfr_verdict v;
	struct pfr_hrule r;
	struct table tb;
	uint8_t buf[128];
	size_t len;
	int n;

	memcpy(rs.src, s.dst, 16);
	memcpy(rs.dst, s.src, 16);
	rs.sport = s.dport;
	rs.dport = s.sport;
	table_init(&tb, 16, CAP);
	memset(&set, 0, sizeof(set));
	set.ht = tb.t;
	set.default_accept = 1;
	len = pb_build(buf, sizeof(buf), &s);
	pfr_parse(buf, (pfr_u32)len, PFR_LEVEL_PAYLOAD, &pi);
	memset(&r, 0, sizeof(r));
	pfr_hrule_key_from_pkt(&r.key, &pi);
	r.action = action;
	r.rule_id = 5;
	ck_assert_int_eq(pfr_htable_add(&set.ht, &r), 0);
	for (n = 1; n <= 4; n++) {
		len = pb_build(buf, sizeof(buf), n & 1 ? &s : &rs);
		pfr_parse(buf, (pfr_u32)len, PFR_LEVEL_PAYLOAD, &pi);
		pfr_ruleset_eval(&set, &pi, buf, (pfr_u32)len, 1000 + n, &v);
		ck_assert_int_eq(v.matched, 1);
		ck_assert_int_eq(v.rule_id, 5);
	}
	ck_assert_ptr_nonnull(pfr_htable_lookup(&set.ht, &r.key));
	ck_assert_uint_eq(pfr_htable_lookup(&set.ht, &r.key)->matched, 4);
	ck_assert_uint_eq(pfr_htable_lookup(&set.ht, &r.key)->last_match, 1004);
	ck_assert_uint_eq(pfr_htable_lookup(&set.ht, &r.key)->filtered,
			  action == PFR_ACT_FORWARD_STOP ||
				  action == PFR_ACT_BOUNCE_CONTINUE
			      ? 0
			      : 4);
	s.vlan[0] = 13; /* another VLAN: another flow */
	len = pb_build(buf, sizeof(buf), &s);
	pfr_parse(buf, (pfr_u32)len, PFR_LEVEL_PAYLOAD, &pi);
	pfr_ruleset_eval(&set, &pi, buf, (pfr_u32)len, 2000, &v);
	ck_assert_int_eq(v.matched, 0);
	ck_assert_int_eq(v.forward, 1);
}
END_TEST

/* Random operations against a plain array of live keys. */
struct model {
	struct pfr_hrule_key keys[CAP * 2];
	uint16_t ids[CAP * 2];
	int n;
};

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Few distinct values, so that adds collide and removes hit. */
static void random_key(struct pfr_hrule_key *k, uint32_t *seed)
{
	uint32_t x = xorshift(seed);
	struct pfr_ip a, b;
	uint8_t ipv = x & 1 ? 6 : 4;

	a = ipv == 4 ? ip4(x >> 1 & 7) : ip6((uint8_t)(x >> 1 & 7), 1);
	b = ipv == 4 ? ip4(x >> 4 & 7) : ip6((uint8_t)(x >> 4 & 7), 2);
	pfr_hrule_key_make(k, ipv, &a, (uint16_t)(x >> 7 & 3), &b,
			   (uint16_t)(x >> 9 & 3), x >> 11 & 1 ? 6 : 17,
			   (uint16_t)(x >> 12 & 1));
}

static int model_find(const struct model *m, const struct pfr_hrule_key *k)
{
	int i;

	for (i = 0; i < m->n; i++) {
		if (memcmp(&m->keys[i], k, sizeof(*k)) == 0)
			return i;
	}
	return -1;
}

static void model_step(struct table *tb, struct model *m, uint32_t *seed,
		       uint16_t step)
{
	struct pfr_hrule r;
	int at, rc;

	memset(&r, 0, sizeof(r));
	random_key(&r.key, seed);
	r.rule_id = step;
	at = model_find(m, &r.key);
	if (xorshift(seed) % 3) {
		rc = pfr_htable_add(&tb->t, &r);
		ck_assert_int_eq(rc, at >= 0 ? -1 : m->n == CAP ? -2 : 0);
		if (rc == 0) {
			m->keys[m->n] = r.key;
			m->ids[m->n++] = step;
		}
	} else {
		ck_assert_int_eq(pfr_htable_remove(&tb->t, &r.key),
				 at >= 0 ? 0 : -1);
		if (at >= 0) {
			m->keys[at] = m->keys[--m->n];
			m->ids[at] = m->ids[m->n];
		}
	}
}

static void model_check(const struct table *tb, const struct model *m)
{
	pfr_u32 i, in_use = 0;
	struct pfr_hrule *e;
	int j;

	ck_assert_uint_eq(tb->t.count, (pfr_u32)m->n);
	for (j = 0; j < m->n; j++) {
		e = pfr_htable_lookup(&tb->t, &m->keys[j]);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->rule_id, m->ids[j]);
	}
	for (i = 0; i < tb->t.capacity; i++)
		in_use += tb->rules[i].in_use;
	ck_assert_uint_eq(in_use, tb->t.count);
}

START_TEST(test_random_model)
{
	uint32_t seed = 0xc0ffee00u + (uint32_t)_i;
	struct model *m = calloc(1, sizeof(*m));
	struct table tb;
	uint16_t step;

	ck_assert_ptr_nonnull(m);
	table_init(&tb, (pfr_u32)1 << (_i % 5), CAP);
	for (step = 1; step <= 600; step++) {
		model_step(&tb, m, &seed, step);
		if (step % 50 == 0)
			model_check(&tb, m);
	}
	model_check(&tb, m);
	free(m);
}
END_TEST

static Suite *hrules_suite(void)
{
	Suite *s = suite_create("hrules");
	TCase *tc = tcase_create("hrules");

	tcase_add_loop_test(tc, test_add_lookup_both_ways, 0, NFLOWS * 2);
	tcase_add_loop_test(tc, test_fields_distinguish, 0, NFLOWS);
	tcase_add_test(tc, test_add_canonicalises);
	tcase_add_test(tc, test_full_and_reuse);
	tcase_add_test(tc, test_empty_and_degenerate);
	tcase_add_test(tc, test_add_keeps_counters);
	tcase_add_loop_test(tc, test_long_chain, 0, NFLOWS);
	tcase_add_loop_test(tc, test_purge, 0, 2);
	tcase_add_loop_test(tc, test_eval_counters, 0, 5);
	tcase_add_loop_test(tc, test_random_model, 0, 100);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(hrules_suite());
}
