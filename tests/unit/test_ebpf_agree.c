// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The AF_PACKET back-end's eBPF filter (libpfring/bpf/filter.bpf.c) must
 * decide as common/ does. This suite loads the object through the
 * library's own loader (libpfring/ebpf.c), installs rule sets, runs a
 * corpus of frames through the socket filter with BPF_PROG_TEST_RUN and
 * compares, frame by frame, the verdict and afterwards every rule counter
 * with pfr_ruleset_eval() over the same frames. It also compares the
 * fanout program's hash with pfr_pkt_flow_hash(), and the classic BPF
 * translator (libpfring/cbpf.c) with libpcap's bpf_filter().
 *
 * Needs root (bpf()); without it every test fails and says so.
 */
#include <check.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pfring_ebpf.h"
#include "pktbuild.h"
#include "check_main.h"

#define MAX_FRAMES 2048
#define FRAME_LEN  1600
#define MAX_WC	   256
#define HT_SIZE	   64
#define CAPLEN	   96 /* what the filter returns for delivered frames */

struct frame {
	uint8_t data[FRAME_LEN];
	uint32_t len;
};

static struct frame *corpus;
static size_t ncorpus;

/* The packet corpus */

static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac2[6] = {0x02, 0, 0, 0, 0, 0x02};
static const char *const addr4[] = {"10.0.0.1", "10.0.0.2", "192.168.1.77"};
/* ::1:0 against ::2 sorts differently as bytes and as native words. */
static const char *const addr6[] = {"2001:db8::1:0", "2001:db8::2",
				    "2001:db8:1::100"};
static const uint16_t ports[][2] = {{1000, 53}, {53, 1000}, {80, 1024}};
static const uint8_t protos4[] = {6, 17, 132, 1, 47, 99};
static const uint8_t protos6[] = {6, 17, 132, 58, 47, 99};
static const char *const payloads[] = {"", "hello world", "xxGETxx /index"};

static struct frame *next_frame(void)
{
	ck_assert_uint_lt(ncorpus, MAX_FRAMES);
	return &corpus[ncorpus++];
}

static void add_spec(const struct pb_spec *s)
{
	struct frame *f = next_frame();

	f->len = (uint32_t)pb_build(f->data, sizeof(f->data), s);
	ck_assert_uint_gt(f->len, 0);
}

static void base_spec(struct pb_spec *s, int ipv, int a, int b)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->dmac, mac2, 6);
	memcpy(s->smac, mac1, 6);
	s->ipv = ipv;
	if (ipv == 4) {
		pb_ip4(s->src, addr4[a]);
		pb_ip4(s->dst, addr4[b]);
	} else {
		pb_ip6(s->src, addr6[a]);
		pb_ip6(s->dst, addr6[b]);
	}
}

static void set_vlans(struct pb_spec *s, int variant)
{
	static const uint16_t tpid[] = {0, 0, 0, 0x88a8, 0x9100};

	s->nvlan = variant == 0 ? 0 : variant == 2 ? 2 : 1;
	s->vlan[0] = 42;
	s->vlan[1] = 7;
	s->outer_tpid = tpid[variant];
	if (variant >= 3)
		s->nvlan = 2;
}

/* One protocol, pair of ends and ports, with every tagging and payload. */
static void add_flow(int ipv, int proto, int ends, int pt)
{
	struct pb_spec s;
	int v, pl;

	for (v = 0; v < 5; v++) {
		for (pl = 0; pl < 3; pl += 1 + (v > 0)) {
			base_spec(&s, ipv, ends, (ends + 1) % 3);
			s.proto = ipv == 4 ? protos4[proto] : protos6[proto];
			s.sport = ports[pt][0];
			s.dport = ports[pt][1];
			set_vlans(&s, v);
			s.payload = payloads[pl];
			s.payload_len = strlen(payloads[pl]);
			add_spec(&s);
		}
	}
}

/* Every protocol, both directions, tags, payloads. */
static void add_grid(int ipv)
{
	int i;

	for (i = 0; i < 6 * 3 * 3; i++)
		add_flow(ipv, i / 9, i / 3 % 3, i % 3);
}

/* Options, fragments, extension headers, non-IP. */
static void add_special(void)
{
	static const int opt_len[] = {0, 4, 8, 40, 0};
	static const uint16_t frag_off[] = {0, 0, 64, 0, 32768};
	struct pb_spec s;
	int i;

	for (i = 0; i < 5; i++) {
		base_spec(&s, 4, 0, 1);
		s.proto = 6;
		s.sport = 1000;
		s.dport = 80;
		s.ip_opt_len = opt_len[i];
		s.more_frags = i == 1;
		s.frag_off = frag_off[i];
		s.payload = "a later fragment carries no TCP header";
		s.payload_len = 38;
		add_spec(&s);
	}
	for (i = 0; i < 11; i++) {
		base_spec(&s, 6, 0, 1);
		s.proto = 17;
		s.sport = 53;
		s.dport = 1000;
		s.payload = "GETpattern";
		s.payload_len = 10;
		s.v6_hopopts = i == 1 || i == 5;
		s.v6_routing = i == 2 || i == 5;
		s.v6_dstopts = i == 3 || i == 5 ? 1 : i >= 8 ? i - 1 : 0;
		s.v6_frag_hdr = i == 4 || i == 6 || i == 7;
		s.frag_off = i == 6 ? 128 : 0;
		s.more_frags = i == 7;
		add_spec(&s);
	}
	base_spec(&s, 0, 0, 1);
	s.ethertype = 0x0806;
	s.payload = "not an IP packet, an ARP one";
	s.payload_len = 28;
	add_spec(&s);
}

/* Frames cut short at many lengths, and malformed headers. */
static void add_broken(void)
{
	static const uint32_t cuts[] = {0,  5,	13, 14, 15, 17, 18, 20, 30,
					33, 34, 37, 38, 41, 42, 45, 53, 54};
	size_t i, j, n;
	struct frame *f;

	n = ncorpus < 40 ? ncorpus : 40;
	for (i = 0; i < n; i += 3)
		for (j = 0; j < sizeof(cuts) / sizeof(cuts[0]); j++) {
			if (cuts[j] >= corpus[i].len)
				continue;
			f = next_frame();
			*f = corpus[i];
			f->len = cuts[j];
		}
	/* From the first frame (IPv4, TCP): IHL 4, version 6 in an IPv4
	 * frame, total length < IHL, TCP data offset 4. */
	for (i = 0; i < 4; i++) {
		f = next_frame();
		*f = corpus[0];
		if (i == 0)
			f->data[14] = 0x44;
		else if (i == 1)
			f->data[14] = 0x65;
		else if (i == 2)
			f->data[16] = f->data[17] = 0;
		else
			f->data[14 + 20 + 12] = 0x40;
	}
	/* Three tags */
	f = next_frame();
	*f = corpus[0];
	memmove(f->data + 24, f->data + 12, f->len - 12);
	memcpy(f->data + 12, "\x81\x00\x00\x2a\x81\x00\x00\x07\x81\x00\x00\x01",
	       12);
	f->len += 12;
}

static void build_corpus(void)
{
	corpus = calloc(MAX_FRAMES, sizeof(*corpus));
	ck_assert_ptr_nonnull(corpus);
	ncorpus = 0;
	add_grid(4);
	add_broken();
	add_grid(6);
	add_special();
}

/* Rule sets */

struct ruleset_spec {
	const char *name;
	struct pfr_wc_rule wc[MAX_WC];
	uint32_t nwc;
	struct pfr_hrule h[16];
	uint32_t nh;
	int drop_policy;
	uint32_t sampling;
};

static void host4(struct pfr_ip *ip, const char *text)
{
	uint8_t b[16];

	pb_ip4(b, text);
	memset(ip, 0, sizeof(*ip));
	ip->v4 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		 (uint32_t)b[2] << 8 | b[3];
}

static void host6(struct pfr_ip *ip, const char *text)
{
	pb_ip6(ip->v6, text);
}

static struct pfr_wc_rule *wc(struct ruleset_spec *rs, uint16_t id,
			      uint8_t action)
{
	struct pfr_wc_rule *r = &rs->wc[rs->nwc++];

	memset(r, 0, sizeof(*r));
	r->rule_id = id;
	r->action = action;
	return r;
}

static void hrule(struct ruleset_spec *rs, uint16_t id, uint8_t action, int ipv,
		  const char *a, uint16_t pa, const char *b, uint16_t pb,
		  uint8_t proto, uint16_t vlan)
{
	struct pfr_hrule *h = &rs->h[rs->nh++];
	struct pfr_ip ia, ib;

	memset(h, 0, sizeof(*h));
	memset(&ia, 0, sizeof(ia));
	memset(&ib, 0, sizeof(ib));
	if (ipv == 4) {
		host4(&ia, a);
		host4(&ib, b);
	} else {
		host6(&ia, a);
		host6(&ib, b);
	}
	pfr_hrule_key_make(&h->key, (pfr_u8)ipv, &ia, pa, &ib, pb, proto, vlan);
	h->rule_id = id;
	h->action = action;
}

static void rs_policy(struct ruleset_spec *rs)
{
	rs->drop_policy = 1;
}

static void rs_proto(struct ruleset_spec *rs)
{
	rs->drop_policy = 1;
	wc(rs, 1, PFR_ACT_FORWARD_STOP)->proto = 17;
	wc(rs, 2, PFR_ACT_FORWARD_STOP)->proto = 58;
}

static void rs_macs_vlan(struct ruleset_spec *rs)
{
	memcpy(wc(rs, 3, PFR_ACT_DROP_STOP)->smac, mac2, 6);
	memcpy(wc(rs, 4, PFR_ACT_EXEC_CONTINUE)->dmac, mac2, 6);
	wc(rs, 5, PFR_ACT_DROP_STOP)->vlan_id = 42;
	wc(rs, 6, PFR_ACT_EXEC_STOP)->vlan_id = 7;
}

static void rs_hosts4(struct ruleset_spec *rs)
{
	struct pfr_wc_rule *r;

	rs->drop_policy = 1;
	host4(&wc(rs, 10, PFR_ACT_FORWARD_STOP)->shost, "10.0.0.1");
	r = wc(rs, 11, PFR_ACT_FORWARD_STOP);
	host4(&r->dhost, "192.168.1.0");
	host4(&r->dhost_mask, "255.255.255.0");
	r = wc(rs, 12, PFR_ACT_EXEC_CONTINUE);
	host4(&r->shost, "10.0.0.0");
	host4(&r->shost_mask, "255.0.0.0");
	host4(&r->dhost, "10.0.0.2");
}

static void rs_hosts6(struct ruleset_spec *rs)
{
	struct pfr_wc_rule *r;

	r = wc(rs, 1, PFR_ACT_DROP_STOP);
	host6(&r->shost, "2001:db8::");
	host6(&r->shost_mask, "ffff:ffff:ffff:ffff::");
	r = wc(rs, 2, PFR_ACT_EXEC_STOP);
	host6(&r->dhost, "2001:db8:1::100");
	r = wc(rs, 3, PFR_ACT_FORWARD_STOP);
	host6(&r->dhost, "2001:db8::1:0");
	r->proto = 17;
}

static void rs_ports(struct ruleset_spec *rs)
{
	struct pfr_wc_rule *r;

	rs->drop_policy = 1;
	r = wc(rs, 1, PFR_ACT_FORWARD_STOP);
	r->sport_low = 50;
	r->sport_high = 60;
	r = wc(rs, 2, PFR_ACT_EXEC_CONTINUE);
	r->dport_low = 1000; /* high < low: just 1000 */
	r->dport_high = 3;
	r = wc(rs, 3, PFR_ACT_FORWARD_STOP);
	r->dport_low = 1024;
	r->dport_high = 65535;
	r->proto = 6;
}

static void rs_bidir(struct ruleset_spec *rs)
{
	struct pfr_wc_rule *r;

	rs->drop_policy = 1;
	r = wc(rs, 1, PFR_ACT_FORWARD_STOP);
	host4(&r->shost, "10.0.0.1");
	r->sport_low = 1000;
	memcpy(r->smac, mac1, 6);
	r->bidirectional = 1;
	r = wc(rs, 2, PFR_ACT_FORWARD_STOP);
	host6(&r->dhost, "2001:db8::2");
	r->dport_low = 53;
	r->bidirectional = 1;
}

static void rs_pattern(struct ruleset_spec *rs)
{
	struct pfr_wc_rule *r;

	r = wc(rs, 1, PFR_ACT_DROP_STOP);
	memcpy(r->payload_pattern, "GET", 3);
	r->pattern_len = 3;
	r = wc(rs, 2, PFR_ACT_EXEC_CONTINUE);
	memcpy(r->payload_pattern, "hello world", 11);
	r->pattern_len = 11;
	r = wc(rs, 3, PFR_ACT_EXEC_STOP);
	memcpy(r->payload_pattern, "d", 1);
	r->pattern_len = 1;
	r->proto = 17;
}

static void rs_balance(struct ruleset_spec *rs)
{
	struct pfr_wc_rule *r;
	int i;

	rs->drop_policy = 1;
	for (i = 0; i < 3; i++) {
		r = wc(rs, (uint16_t)(i + 1),
		       i == 1 ? PFR_ACT_FORWARD_STOP : PFR_ACT_EXEC_CONTINUE);
		r->balance_pool = 3;
		r->balance_id = (uint8_t)i;
	}
}

static void rs_actions(struct ruleset_spec *rs)
{
	static const uint8_t act[] = {
	    PFR_ACT_EXEC_CONTINUE,   PFR_ACT_REFLECT_CONTINUE,
	    PFR_ACT_BOUNCE_CONTINUE, PFR_ACT_FORWARD_DEL_RULE_STOP,
	    PFR_ACT_REFLECT_STOP,    PFR_ACT_BOUNCE_STOP,
	    PFR_ACT_DROP_STOP,	     PFR_ACT_EXEC_STOP,
	};
	static const uint8_t proto[] = {6, 99, 132, 1, 47, 58, 17, 6};
	unsigned int i;

	for (i = 0; i < sizeof(act); i++)
		wc(rs, (uint16_t)(10 * i + 1), act[i])->proto = proto[i];
}

static void rs_hash(struct ruleset_spec *rs)
{
	rs->drop_policy = 1;
	hrule(rs, 1, PFR_ACT_FORWARD_STOP, 4, "10.0.0.2", 53, "10.0.0.1", 1000,
	      17, 0);
	hrule(rs, 2, PFR_ACT_DROP_STOP, 4, "10.0.0.2", 80, "10.0.0.1", 1024, 6,
	      42);
	hrule(rs, 3, PFR_ACT_EXEC_CONTINUE, 6, "2001:db8::1:0", 1000,
	      "2001:db8::2", 53, 6, 0);
	hrule(rs, 4, PFR_ACT_FORWARD_STOP, 6, "2001:db8:1::100", 53,
	      "2001:db8::1:0", 1000, 132, 7);
	hrule(rs, 5, PFR_ACT_FORWARD_STOP, 4, "192.168.1.77", 0, "10.0.0.1", 0,
	      1, 0);
	wc(rs, 9, PFR_ACT_FORWARD_STOP)->proto = 6;
}

static void rs_add_rule(struct ruleset_spec *rs)
{
	rs->drop_policy = 1;
	wc(rs, 20, PFR_ACT_FORWARD_ADD_RULE_STOP)->sport_low = 1000;
	wc(rs, 21, PFR_ACT_EXEC_CONTINUE)->proto = 17;
}

static void rs_del_rule(struct ruleset_spec *rs)
{
	hrule(rs, 1, PFR_ACT_EXEC_CONTINUE, 4, "10.0.0.1", 1000, "10.0.0.2", 53,
	      17, 0);
	hrule(rs, 2, PFR_ACT_FORWARD_DEL_RULE_STOP, 6, "2001:db8::1:0", 1000,
	      "2001:db8::2", 53, 132, 0);
	wc(rs, 5, PFR_ACT_FORWARD_DEL_RULE_STOP)->proto = 17;
	wc(rs, 6, PFR_ACT_DROP_STOP)->proto = 132;
}

static void rs_sampling(struct ruleset_spec *rs)
{
	rs->sampling = 3;
	wc(rs, 1, PFR_ACT_DROP_STOP)->proto = 6;
}

static void rs_many(struct ruleset_spec *rs)
{
	struct pfr_wc_rule *r;
	int i;

	rs->drop_policy = 1;
	/* Added out of order: the list is evaluated in id order. */
	for (i = 0; i < 200; i++) {
		r = wc(rs, (uint16_t)(1000 - 3 * i), PFR_ACT_EXEC_CONTINUE);
		r->sport_low = (uint16_t)(2000 + i);
	}
	r = wc(rs, 1, PFR_ACT_EXEC_CONTINUE);
	r->dport_low = 53;
	r = wc(rs, 60000, PFR_ACT_FORWARD_STOP);
	r->sport_low = 80;
}

typedef void (*rs_builder)(struct ruleset_spec *rs);

static const struct {
	const char *name;
	rs_builder build;
} rulesets[] = {
    {"policy drop", rs_policy},	  {"proto", rs_proto},
    {"macs, vlan", rs_macs_vlan}, {"IPv4 hosts", rs_hosts4},
    {"IPv6 hosts", rs_hosts6},	  {"ports", rs_ports},
    {"bidirectional", rs_bidir},  {"pattern", rs_pattern},
    {"balance", rs_balance},	  {"actions", rs_actions},
    {"hash rules", rs_hash},	  {"add rule", rs_add_rule},
    {"del rule", rs_del_rule},	  {"sampling", rs_sampling},
    {"200 rules", rs_many},
};

/* Both sides */

struct sides {
	struct pfr_ebpf *e;
	struct pfr_ruleset rs;
	struct pfr_wc_rule wc_rules[MAX_WC];
	uint32_t buckets[HT_SIZE];
	struct pfr_hrule hrules[HT_SIZE];
	uint32_t sampling;
	uint64_t passed; /* packets that passed the rules, for sampling */
};

/* Load the filter or fail saying why (root is needed). */
static struct pfr_ebpf *load_filter(void)
{
	struct pfr_ebpf *e;
	char err[256];
	int rc = pfr_ebpf_open(&e, 1024, err, sizeof(err));

	ck_assert_msg(rc != -EPERM && rc != -EACCES,
		      "test_ebpf_agree needs root (bpf() refused: %s)", err);
	ck_assert_msg(rc == 0, "loading filter.bpf.o: %s", err);
	return e;
}

static void set_config(struct sides *sd, int default_accept)
{
	struct pfr_bpf_config c = {
	    .caplen = CAPLEN,
	    .sampling_rate = sd->sampling ? sd->sampling : 1,
	    .channel = -1,
	    .default_accept = (uint8_t)default_accept,
	};

	ck_assert_int_eq(pfr_ebpf_set_config(sd->e, &c), 0);
}

static void sides_init(struct sides *sd, const struct ruleset_spec *spec)
{
	uint32_t i;

	memset(sd, 0, sizeof(*sd));
	sd->e = load_filter();
	sd->rs.wc.rules = sd->wc_rules;
	sd->rs.wc.max = MAX_WC;
	pfr_htable_init(&sd->rs.ht, sd->buckets, HT_SIZE, sd->hrules, HT_SIZE);
	sd->rs.default_accept = !spec->drop_policy;
	sd->sampling = spec->sampling;
	for (i = 0; i < spec->nwc; i++)
		ck_assert_int_eq(pfr_wc_add(&sd->rs.wc, &spec->wc[i]), 0);
	for (i = 0; i < spec->nh; i++) {
		ck_assert_int_eq(pfr_htable_add(&sd->rs.ht, &spec->h[i]), 0);
		ck_assert_int_eq(pfr_ebpf_hash_add(sd->e, &spec->h[i]), 0);
	}
	ck_assert_int_eq(
	    pfr_ebpf_set_wc_rules(sd->e, sd->rs.wc.rules, sd->rs.wc.count), 0);
	set_config(sd, sd->rs.default_accept);
}

/* What the filter must return for @f, by common/. */
static uint32_t expected(struct sides *sd, const struct frame *f)
{
	struct pfr_pkt_info info;
	struct pfr_verdict v;

	pfr_parse(f->data, f->len, PFR_LEVEL_PAYLOAD, &info);
	pfr_ruleset_eval(&sd->rs, &info, f->data, f->len, 0, &v);
	if (v.reflect || v.bounce)
		return PFR_BPF_FULL_FRAME; /* for the library to transmit */
	if (!v.forward)
		return 0;
	if (sd->sampling > 1 && sd->passed++ % sd->sampling != 0)
		return 0;
	return CAPLEN;
}

static uint32_t run_filter(int fd, const struct frame *f, int fanout)
{
	uint32_t ret = 0;

	ck_assert_int_eq(pfr_ebpf_test_run(fd, f->data, f->len, fanout, &ret),
			 0);
	return ret;
}

static void check_wc_counters(struct sides *sd, const char *name)
{
	struct pfr_bpf_rule_stats st;
	const struct pfr_wc_rule *r;
	uint32_t i;

	for (i = 0; i < sd->rs.wc.count; i++) {
		r = &sd->rs.wc.rules[i];
		ck_assert_int_eq(pfr_ebpf_wc_stats(sd->e, r->rule_id, &st), 0);
		ck_assert_msg(
		    st.matched == r->matched && st.filtered == r->filtered,
		    "%s: rule %u matched %llu/%llu filtered %llu/%llu "
		    "(eBPF/common)",
		    name, r->rule_id, (unsigned long long)st.matched,
		    (unsigned long long)r->matched,
		    (unsigned long long)st.filtered,
		    (unsigned long long)r->filtered);
	}
}

/* The same hash rules on both sides, with the same counters. */
static void check_hash_counters(struct sides *sd, const char *name)
{
	struct pfr_hrule_key k, *prev = NULL, keys[HT_SIZE * 4];
	const struct pfr_hrule *h;
	struct pfr_bpf_hrule v;
	uint32_t n = 0, i;

	while (pfr_ebpf_hash_next(sd->e, prev, &k) == 0 && n < HT_SIZE * 4) {
		keys[n] = k;
		prev = &keys[n++];
	}
	ck_assert_msg(n == sd->rs.ht.count,
		      "%s: %u hash rules in eBPF, %u in "
		      "common",
		      name, n, sd->rs.ht.count);
	for (i = 0; i < n; i++) {
		h = pfr_htable_lookup(&sd->rs.ht, &keys[i]);
		ck_assert_msg(h != NULL, "%s: eBPF hash rule %u not in common",
			      name, i);
		ck_assert_int_eq(pfr_ebpf_hash_get(sd->e, &keys[i], &v), 0);
		ck_assert_msg(v.st.matched == h->matched &&
				  v.st.filtered == h->filtered &&
				  v.rule_id == h->rule_id,
			      "%s: hash rule %u matched %llu/%llu", name,
			      h->rule_id, (unsigned long long)v.st.matched,
			      (unsigned long long)h->matched);
	}
}

static void agree_on_corpus(struct sides *sd, const char *name, int fd)
{
	uint32_t want, got;
	size_t i;

	for (i = 0; i < ncorpus; i++) {
		want = expected(sd, &corpus[i]);
		got = run_filter(fd, &corpus[i], 0);
		ck_assert_msg(got == want,
			      "%s: frame %zu (%u bytes): eBPF returned %u, "
			      "common says %u",
			      name, i, corpus[i].len, got, want);
	}
	check_wc_counters(sd, name);
	check_hash_counters(sd, name);
}

START_TEST(test_rulesets)
{
	struct ruleset_spec *spec = calloc(1, sizeof(*spec));
	struct sides *sd = malloc(sizeof(*sd));

	ck_assert_ptr_nonnull(spec);
	ck_assert_ptr_nonnull(sd);
	rulesets[_i].build(spec);
	sides_init(sd, spec);
	/* Twice: counters, added and removed hash rules carry over. */
	agree_on_corpus(sd, rulesets[_i].name,
			pfr_ebpf_prog_fd(sd->e, PFR_EBPF_FILTER));
	agree_on_corpus(sd, rulesets[_i].name,
			pfr_ebpf_prog_fd(sd->e, PFR_EBPF_FILTER));
	pfr_ebpf_close(sd->e);
	free(sd);
	free(spec);
}
END_TEST

/* Rules replaced on a loaded filter: counters of kept ids stay. */
START_TEST(test_rule_updates)
{
	struct ruleset_spec *spec = calloc(1, sizeof(*spec));
	struct sides *sd = malloc(sizeof(*sd));
	struct pfr_bpf_rule_stats st;

	rs_proto(spec);
	sides_init(sd, spec);
	agree_on_corpus(sd, "updates",
			pfr_ebpf_prog_fd(sd->e, PFR_EBPF_FILTER));
	ck_assert_int_eq(pfr_wc_remove(&sd->rs.wc, 2), 0);
	memcpy(wc(spec, 7, PFR_ACT_DROP_STOP)->dmac, mac2, 6);
	ck_assert_int_eq(pfr_wc_add(&sd->rs.wc, &spec->wc[spec->nwc - 1]), 0);
	ck_assert_int_eq(
	    pfr_ebpf_set_wc_rules(sd->e, sd->rs.wc.rules, sd->rs.wc.count), 0);
	ck_assert_int_eq(pfr_ebpf_wc_stats(sd->e, 2, &st), -ENOENT);
	sd->rs.default_accept = 1;
	set_config(sd, 1);
	agree_on_corpus(sd, "updates",
			pfr_ebpf_prog_fd(sd->e, PFR_EBPF_FILTER));
	pfr_ebpf_close(sd->e);
	free(sd);
	free(spec);
}
END_TEST

/* Queue and direction need packets from a device; queue 0 is test_run's. */
START_TEST(test_channel)
{
	struct sides sd;
	struct ruleset_spec spec = {0};
	struct pfr_bpf_config c = {
	    .caplen = CAPLEN, .sampling_rate = 1, .default_accept = 1};
	int fd;

	sides_init(&sd, &spec);
	fd = pfr_ebpf_prog_fd(sd.e, PFR_EBPF_FILTER);
	c.channel = 0;
	ck_assert_int_eq(pfr_ebpf_set_config(sd.e, &c), 0);
	ck_assert_uint_eq(run_filter(fd, &corpus[0], 0), CAPLEN);
	c.channel = 1;
	ck_assert_int_eq(pfr_ebpf_set_config(sd.e, &c), 0);
	ck_assert_uint_eq(run_filter(fd, &corpus[0], 0), 0);
	c.channel = -1;
	c.direction = 2; /* tx only: test_run packets are received */
	ck_assert_int_eq(pfr_ebpf_set_config(sd.e, &c), 0);
	ck_assert_uint_eq(run_filter(fd, &corpus[0], 0), 0);
	c.direction = 1;
	ck_assert_int_eq(pfr_ebpf_set_config(sd.e, &c), 0);
	ck_assert_uint_eq(run_filter(fd, &corpus[0], 0), CAPLEN);
	pfr_ebpf_close(sd.e);
}
END_TEST

/* The documented limit: patterns are looked for in the first
 * PFR_BPF_PATTERN_WINDOW payload bytes. */
START_TEST(test_pattern_window)
{
	static char payload[1200];
	struct ruleset_spec spec = {0};
	struct pfr_wc_rule *r;
	struct frame f;
	struct pb_spec s;
	struct sides sd;
	int fd, at;

	spec.drop_policy = 1;
	r = wc(&spec, 1, PFR_ACT_FORWARD_STOP);
	memcpy(r->payload_pattern, "NEEDLE", 6);
	r->pattern_len = 6;
	sides_init(&sd, &spec);
	fd = pfr_ebpf_prog_fd(sd.e, PFR_EBPF_FILTER);
	for (at = 0; at < 1100; at += 1) {
		memset(payload, 'x', sizeof(payload));
		memcpy(payload + at, "NEEDLE", 6);
		base_spec(&s, 4, 0, 1);
		s.proto = 17;
		s.payload = payload;
		s.payload_len = sizeof(payload);
		f.len = (uint32_t)pb_build(f.data, sizeof(f.data), &s);
		ck_assert_uint_eq(run_filter(fd, &f, 0),
				  at + 6 <= PFR_BPF_PATTERN_WINDOW ? CAPLEN
								   : 0);
	}
	pfr_ebpf_close(sd.e);
}
END_TEST

/*
 * Without the dummy header, test_run parses the frame's own Ethernet
 * header and refuses IPv4 or IPv6 frames too short for the IP header.
 */
static int fanout_testable(const struct frame *f)
{
	uint16_t type;

	if (f->len <= 14)
		return 0;
	type = (uint16_t)(f->data[12] << 8 | f->data[13]);
	return !(type == 0x0800 && f->len < 14 + 20) &&
	       !(type == 0x86dd && f->len < 14 + 40);
}

/* The fanout program hashes as pfr_pkt_flow_hash() does, every tuple. */
START_TEST(test_fanout_hash)
{
	struct pfr_bpf_config c = {.caplen = CAPLEN,
				   .sampling_rate = 1,
				   .channel = -1,
				   .default_accept = 1};
	struct pfr_pkt_info info;
	struct pfr_ebpf *e = load_filter();
	int fd = pfr_ebpf_prog_fd(e, PFR_EBPF_FANOUT), t;
	uint32_t got;
	size_t i;

	for (t = PFR_TUPLE_2; t <= PFR_TUPLE_6; t++) {
		c.fanout_tuple = (uint8_t)t;
		ck_assert_int_eq(pfr_ebpf_set_config(e, &c), 0);
		for (i = 0; i < ncorpus; i++) {
			if (!fanout_testable(&corpus[i]))
				continue;
			pfr_parse(corpus[i].data, corpus[i].len,
				  PFR_LEVEL_PAYLOAD, &info);
			got = run_filter(fd, &corpus[i], 1);
			ck_assert_msg(got == pfr_pkt_flow_hash(&info, t),
				      "tuple %d frame %zu: %08x != %08x", t, i,
				      got, pfr_pkt_flow_hash(&info, t));
		}
	}
	pfr_ebpf_close(e);
}
END_TEST

/* Classic BPF translation */

static const char *const exprs[] = {
    "udp",
    "tcp port 80",
    "ip host 10.0.0.1",
    "ip6",
    "ip6 and udp dst port 1000",
    "vlan 42",
    "vlan and udp",
    "vlan 42 and vlan 7 and tcp",
    "ip[6:2] & 0x1fff != 0",
    "ip[6:2] & 0x3fff != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) = 0",
    "icmp or icmp6",
    "ether src 02:00:00:00:00:01",
    "ether dst 02:00:00:00:00:01",
    "net 192.168.0.0/16",
    "src net 2001:db8::/64",
    "portrange 50-60",
    "len > 100",
    "less 60",
    "ip proto 47",
    "ip6 proto 132 or sctp",
    "udp[8:4] = 0x68656c6c",
    "ether[12:2] = 0x88a8",
    "ip[0] & 0xf > 5",
    "ip and (ip[2:2] / 4) % 3 = 0",
    "ip and ip[1] << 2 < 10",
    "ip and ip[8] >> 1 = 32",
    "ip and ip[8] - ip[9] > 0",
    "ip and ip[2:2] * 2 > 100",
    "ip and (ip[8] ^ 0xff) = 0xbf",
    "ip and (ip[8] | 1) = 65",
    "ip and ip[8] / ip[1] = 0",
    "ip and ip[8] % ip[1] = 0",
    "ip and ip[8] << ip[9] > 0",
    "ip and -ip[8] < 0",
    "tcp and tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420",
    "arp",
    "not ip and not ip6",
    "ip6 and ip6[6] = 44",
    "udp port 53 or tcp port 80 or sctp",
};

/* As the library compiles BPF strings (pfring_filter.c). */
static void compile_expr(const char *expr, struct bpf_program *prog)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	int rc;

	ck_assert_ptr_nonnull(p);
	rc = pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN);
	ck_assert_msg(rc == 0, "pcap cannot compile \"%s\": %s", expr,
		      pcap_geterr(p));
	pcap_close(p);
}

static int cbpf_load(const struct bpf_program *prog, int chain, char *err)
{
	return pfr_cbpf_load((const struct sock_filter *)prog->bf_insns,
			     prog->bf_len, chain, err, 256);
}

START_TEST(test_cbpf)
{
	struct bpf_program prog;
	uint32_t want, got;
	char err[256];
	size_t i;
	int fd;

	compile_expr(exprs[_i], &prog);
	fd = cbpf_load(&prog, -1, err);
	ck_assert_msg(fd != -EPERM, "test_ebpf_agree needs root: %s", err);
	ck_assert_msg(fd >= 0, "\"%s\": %s", exprs[_i], err);
	for (i = 0; i < ncorpus; i++) {
		want = bpf_filter(prog.bf_insns, corpus[i].data, corpus[i].len,
				  corpus[i].len);
		got = run_filter(fd, &corpus[i], 0);
		ck_assert_msg(got == want,
			      "\"%s\" frame %zu: eBPF %u, libpcap %u",
			      exprs[_i], i, got, want);
	}
	close(fd);
	pcap_freecode(&prog);
}
END_TEST

START_TEST(test_cbpf_ancillary)
{
	struct bpf_program prog;
	char err[256];

	/* pcap_open_dead's DLT_EN10MB has "inbound" read SKF_AD_PKTTYPE. */
	compile_expr("inbound", &prog);
	ck_assert_int_eq(cbpf_load(&prog, -1, err), -EINVAL);
	ck_assert_msg(strstr(err, "ancillary") != NULL, "message: %s", err);
	pcap_freecode(&prog);
}
END_TEST

/* BPF string and rules: the translation tail-calls the rules filter. */
START_TEST(test_chain)
{
	static const char *const chain_exprs[] = {"udp or tcp", "ip6", "vlan",
						  "len > 80"};
	struct ruleset_spec *spec = calloc(1, sizeof(*spec));
	struct sides *sd = malloc(sizeof(*sd));
	struct bpf_program prog;
	uint32_t want, got;
	size_t i, x;
	int fd;

	rs_ports(spec);
	spec->drop_policy = 0;
	wc(spec, 4, PFR_ACT_DROP_STOP)->vlan_id = 42;
	sides_init(sd, spec);
	for (x = 0; x < 4; x++) {
		compile_expr(chain_exprs[x], &prog);
		fd = pfr_ebpf_chain_load(
		    sd->e, (const struct sock_filter *)prog.bf_insns,
		    prog.bf_len);
		ck_assert_msg(fd >= 0, "%s", pfr_ebpf_error(sd->e));
		for (i = 0; i < ncorpus; i++) {
			want = bpf_filter(prog.bf_insns, corpus[i].data,
					  corpus[i].len, corpus[i].len)
				   ? expected(sd, &corpus[i])
				   : 0;
			got = run_filter(fd, &corpus[i], 0);
			ck_assert_msg(got == want, "\"%s\" frame %zu: %u != %u",
				      chain_exprs[x], i, got, want);
		}
		check_wc_counters(sd, chain_exprs[x]);
		close(fd);
		pcap_freecode(&prog);
	}
	pfr_ebpf_close(sd->e);
	free(sd);
	free(spec);
}
END_TEST

static void setup(void)
{
	build_corpus();
}

static void teardown(void)
{
	free(corpus);
	corpus = NULL;
}

static Suite *agree_suite(void)
{
	Suite *s = suite_create("ebpf_agree");
	TCase *tc = tcase_create("filter");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_rulesets, 0,
			    sizeof(rulesets) / sizeof(rulesets[0]));
	tcase_add_test(tc, test_rule_updates);
	tcase_add_test(tc, test_channel);
	tcase_add_test(tc, test_pattern_window);
	tcase_add_test(tc, test_fanout_hash);
	tcase_add_loop_test(tc, test_cbpf, 0, sizeof(exprs) / sizeof(exprs[0]));
	tcase_add_test(tc, test_cbpf_ancillary);
	tcase_add_test(tc, test_chain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(agree_suite());
}
