/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The library's own logic, without a network: the API over the pcap:
 * back-end (where the library applies every filter itself), multi: over
 * files, rule bookkeeping, and every entry point fed bad arguments.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfring.h"
#include "pktbuild.h"
#include "check_main.h"

#define NPKT 300 /* 100 UDP/53, 100 TCP/80 with "GET", 100 TCP replies */

static char dir[64], file_a[96], file_b[96], dev_a[112];

static size_t build(uint8_t *buf, uint8_t proto, const char *src, uint16_t sp,
		    const char *dst, uint16_t dp, const char *payload)
{
	struct pb_spec s;

	memset(&s, 0, sizeof(s));
	s.ipv = 4;
	s.proto = proto;
	pb_ip4(s.src, src);
	pb_ip4(s.dst, dst);
	s.sport = sp;
	s.dport = dp;
	s.smac[5] = 1;
	s.dmac[5] = 2;
	s.payload = payload;
	s.payload_len = payload ? strlen(payload) : 0;
	return pb_build(buf, 256, &s);
}

static void write_fixture(const char *path, int n)
{
	static uint8_t store[NPKT][256];
	uint8_t *frames[NPKT];
	size_t lens[NPKT];
	int i;

	for (i = 0; i < n; i++) {
		frames[i] = store[i];
		if (i % 3 == 0)
			lens[i] = build(store[i], 17, "10.0.0.1", 1000, "10.0.0.2", 53, NULL);
		else if (i % 3 == 1)
			lens[i] = build(store[i], 6, "10.0.0.1", 2000, "10.0.0.2", 80, "GET /");
		else
			lens[i] = build(store[i], 6, "10.0.0.2", 80, "10.0.0.1", 2000, NULL);
	}
	ck_assert_int_eq(pb_write_pcap(path, frames, lens, (size_t)n), 0);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_api.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file_a, sizeof(file_a), "%s/a.pcap", dir);
	snprintf(file_b, sizeof(file_b), "%s/b.pcap", dir);
	snprintf(dev_a, sizeof(dev_a), "pcap:%s", file_a);
	write_fixture(file_a, NPKT);
	write_fixture(file_b, 30);
	setenv("PFRING_STATS_DIR", dir, 1);
}

static void teardown(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static pfring *open_a(void)
{
	pfring *r = pfring_open(dev_a, 1518, 0);

	ck_assert_msg(r != NULL, "open: %s", pfring_strerror(NULL));
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	return r;
}

/* Read to the end of the file; returns the packets delivered. */
static int drain(pfring *r)
{
	struct pfring_pkthdr h;
	u_char *p;
	int n = 0, rc;

	while ((rc = pfring_recv(r, &p, 0, &h, 1)) > 0)
		n++;
	ck_assert_int_eq(rc, PF_RING_ERROR_NO_PKT_AVAILABLE);
	return n;
}

START_TEST(open_bad_arguments)
{
	ck_assert_ptr_null(pfring_open(NULL, 128, 0));
	ck_assert_ptr_null(pfring_open("", 128, 0));
	ck_assert_ptr_null(pfring_open(dev_a, 0, 0));
	ck_assert_ptr_null(pfring_open("pcap:/nonexistent/x.pcap", 128, 0));
	ck_assert_ptr_nonnull(strstr(pfring_strerror(NULL), "/nonexistent/x.pcap"));
	ck_assert_ptr_null(pfring_open("multi:", 128, 0));
	ck_assert_ptr_null(pfring_open("multi:;", 128, 0));
}
END_TEST

START_TEST(replay_whole_file)
{
	pfring *r = pfring_open(dev_a, 1518, 0);
	struct pfring_pkthdr h;
	pfring_stat st;
	u_char *p;

	ck_assert_int_eq(pfring_recv(r, &p, 0, &h, 1),
			 PF_RING_ERROR_INVALID_STATUS); /* not enabled yet */
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	ck_assert_int_eq(drain(r), NPKT);
	ck_assert_int_eq(pfring_stats(r, &st), 0);
	ck_assert_uint_eq(st.recv, NPKT);
	ck_assert_uint_eq(st.drop, 0);
	pfring_close(r);
}
END_TEST

START_TEST(copy_mode_cuts_to_buffer)
{
	pfring *r = open_a();
	struct pfring_pkthdr h;
	u_char buf[20], *p = buf;

	ck_assert_int_eq(pfring_recv(r, &p, sizeof(buf), &h, 1), 1);
	ck_assert_uint_eq(h.caplen, sizeof(buf));
	ck_assert_uint_gt(h.len, sizeof(buf));
	ck_assert_ptr_eq(p, buf);
	p = NULL;
	ck_assert_int_eq(pfring_recv(r, &p, sizeof(buf), &h, 1),
			 PF_RING_ERROR_INVALID_ARGUMENT);
	pfring_close(r);
}
END_TEST

static const struct {
	const char *bpf;
	int expect;
} bpf_cases[] = {
	{ "udp port 53", 100 }, { "tcp", 200 }, { "tcp dst port 80", 100 },
	{ "src host 10.0.0.2", 100 }, { "not ip", 0 }, { "len > 0", NPKT },
};

START_TEST(bpf_filters)
{
	pfring *r = pfring_open(dev_a, 1518, 0);

	ck_assert_int_eq(pfring_set_bpf_filter(r, (char *)bpf_cases[_i].bpf), 0);
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	ck_assert_int_eq(drain(r), bpf_cases[_i].expect);
	pfring_close(r);
}
END_TEST

START_TEST(bpf_bad_and_remove)
{
	pfring *r = pfring_open(dev_a, 1518, 0);

	ck_assert_int_eq(pfring_set_bpf_filter(r, "udp port"),
			 PF_RING_ERROR_INVALID_ARGUMENT);
	ck_assert_ptr_nonnull(strstr(pfring_strerror(r), "udp port"));
	ck_assert_int_lt(pfring_remove_bpf_filter(r), 0);
	ck_assert_int_eq(pfring_set_bpf_filter(r, "udp"), 0);
	ck_assert_int_eq(pfring_remove_bpf_filter(r), 0);
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	ck_assert_int_eq(drain(r), NPKT);
	pfring_close(r);
}
END_TEST

START_TEST(sampling_is_exact)
{
	static const u_int32_t rates[] = { 1, 2, 3, 7, 10, 300, 1000 };
	pfring *r = pfring_open(dev_a, 1518, 0);
	u_int32_t n = rates[_i];

	ck_assert_int_eq(pfring_set_sampling_rate(r, 0),
			 PF_RING_ERROR_INVALID_ARGUMENT);
	ck_assert_int_eq(pfring_set_sampling_rate(r, n), 0);
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	ck_assert_int_eq(drain(r), (int)((NPKT + n - 1) / n));
	pfring_close(r);
}
END_TEST

static void wc(filtering_rule *f, u_int16_t id, rule_action_behaviour act,
	       u_int8_t proto, u_int16_t dport)
{
	memset(f, 0, sizeof(*f));
	f->rule_id = id;
	f->rule_action = act;
	f->core_fields.proto = proto;
	f->core_fields.dport_low = f->core_fields.dport_high = dport;
}

START_TEST(wildcard_rules_and_stats)
{
	pfring *r = pfring_open(dev_a, 1518, 0);
	hash_filtering_rule_stats st;
	filtering_rule f;
	u_int len = sizeof(st);

	wc(&f, 10, dont_forward_packet_and_stop_rule_evaluation, 6, 0);
	ck_assert_int_eq(pfring_add_filtering_rule(r, &f), 0);
	ck_assert_int_lt(pfring_add_filtering_rule(r, &f), 0); /* same id */
	wc(&f, 5, forward_packet_and_stop_rule_evaluation, 6, 80);
	ck_assert_int_eq(pfring_add_filtering_rule(r, &f), 0);
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	/* Rule 5 (lower id) forwards TCP to port 80 before 10 drops TCP. */
	ck_assert_int_eq(drain(r), 200);
	ck_assert_int_eq(pfring_get_filtering_rule_stats(r, 5, (char *)&st, &len), 0);
	ck_assert_uint_eq(st.match, 100);
	ck_assert_uint_eq(st.filtered, 0);
	ck_assert_int_eq(pfring_get_filtering_rule_stats(r, 10, (char *)&st, &len), 0);
	ck_assert_uint_eq(st.match, 100);
	ck_assert_uint_eq(st.filtered, 100);
	len = 1;
	ck_assert_int_lt(pfring_get_filtering_rule_stats(r, 10, (char *)&st, &len), 0);
	len = sizeof(st);
	ck_assert_int_lt(pfring_get_filtering_rule_stats(r, 99, (char *)&st, &len), 0);
	ck_assert_int_eq(pfring_remove_filtering_rule(r, 5), 0);
	ck_assert_int_lt(pfring_remove_filtering_rule(r, 5), 0);
	pfring_close(r);
}
END_TEST

START_TEST(default_policy)
{
	pfring *r = pfring_open(dev_a, 1518, 0);
	filtering_rule f;

	ck_assert_int_eq(pfring_toggle_filtering_policy(r, 0), 0);
	wc(&f, 1, forward_packet_and_stop_rule_evaluation, 17, 0);
	ck_assert_int_eq(pfring_add_filtering_rule(r, &f), 0);
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	ck_assert_int_eq(drain(r), 100);
	pfring_close(r);
}
END_TEST

START_TEST(rule_limits)
{
	pfring *r = pfring_open(dev_a, 1518, 0);
	filtering_rule f;
	int i;

	for (i = 0; i < 256; i++) {
		wc(&f, (u_int16_t)i, forward_packet_and_stop_rule_evaluation, 0, 0);
		ck_assert_int_eq(pfring_add_filtering_rule(r, &f), 0);
	}
	wc(&f, 1000, forward_packet_and_stop_rule_evaluation, 0, 0);
	ck_assert_int_lt(pfring_add_filtering_rule(r, &f), 0);
	wc(&f, 2000, (rule_action_behaviour)42, 0, 0);
	ck_assert_int_eq(pfring_add_filtering_rule(r, &f),
			 PF_RING_ERROR_INVALID_ARGUMENT);
	f.rule_action = 0;
	f.extended_fields.filter_plugin_id = 3;
	ck_assert_int_eq(pfring_add_filtering_rule(r, &f),
			 PF_RING_ERROR_NOT_SUPPORTED);
	pfring_close(r);
}
END_TEST

static void hrule(hash_filtering_rule *h, u_int16_t id, u_int32_t a, u_int16_t pa,
		  u_int32_t b, u_int16_t pb, u_int8_t proto)
{
	memset(h, 0, sizeof(*h));
	h->rule_id = id;
	h->rule_action = forward_packet_and_stop_rule_evaluation;
	h->proto = proto;
	h->host_peer_a.v4 = a;
	h->host_peer_b.v4 = b;
	h->port_peer_a = pa;
	h->port_peer_b = pb;
}

START_TEST(hash_rules_both_directions)
{
	pfring *r = pfring_open(dev_a, 1518, 0);
	hash_filtering_rule_stats st;
	hash_filtering_rule h;
	u_int len = sizeof(st);

	ck_assert_int_eq(pfring_toggle_filtering_policy(r, 0), 0);
	/* Given b-to-a: the rule still matches both directions. */
	hrule(&h, 7, 0x0a000002, 80, 0x0a000001, 2000, 6);
	ck_assert_int_eq(pfring_handle_hash_filtering_rule(r, &h, 1), 0);
	ck_assert_int_lt(pfring_handle_hash_filtering_rule(r, &h, 1), 0);
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	ck_assert_int_eq(drain(r), 200);
	ck_assert_int_eq(pfring_get_hash_filtering_rule_stats(r, &h, (char *)&st, &len), 0);
	ck_assert_uint_eq(st.match, 200);
	ck_assert_int_eq(pfring_handle_hash_filtering_rule(r, &h, 0), 0);
	ck_assert_int_lt(pfring_handle_hash_filtering_rule(r, &h, 0), 0);
	ck_assert_int_lt(pfring_get_hash_filtering_rule_stats(r, &h, (char *)&st, &len), 0);
	pfring_close(r);
}
END_TEST

START_TEST(hash_table_grows_to_100k)
{
	pfring *r = pfring_open(dev_a, 1518, 0);
	hash_filtering_rule_stats st;
	hash_filtering_rule h;
	u_int len = sizeof(st);
	u_int32_t i;

	for (i = 0; i < 100000; i++) {
		hrule(&h, (u_int16_t)i, 0x0b000000 + i, 1, 0x0c000000, 2, 17);
		ck_assert_int_eq(pfring_handle_hash_filtering_rule(r, &h, 1), 0);
	}
	hrule(&h, 0, 0x0b000000 + 99999, 1, 0x0c000000, 2, 17);
	ck_assert_int_eq(pfring_get_hash_filtering_rule_stats(r, &h, (char *)&st, &len), 0);
	ck_assert_int_eq(pfring_purge_idle_hash_rules(r, 0), 100000);
	ck_assert_int_lt(pfring_get_hash_filtering_rule_stats(r, &h, (char *)&st, &len), 0);
	pfring_close(r);
}
END_TEST

START_TEST(purge_keeps_locked)
{
	pfring *r = pfring_open(dev_a, 1518, 0);
	filtering_rule f;

	wc(&f, 1, forward_packet_and_stop_rule_evaluation, 6, 0);
	ck_assert_int_eq(pfring_add_filtering_rule(r, &f), 0);
	wc(&f, 2, forward_packet_and_stop_rule_evaluation, 17, 0);
	f.locked = 1;
	ck_assert_int_eq(pfring_add_filtering_rule(r, &f), 0);
	ck_assert_int_eq(pfring_purge_idle_rules(r, 3600), 0);
	ck_assert_int_eq(pfring_purge_idle_rules(r, 0), 1);
	ck_assert_int_lt(pfring_remove_filtering_rule(r, 1), 0);
	ck_assert_int_eq(pfring_remove_filtering_rule(r, 2), 0);
	pfring_close(r);
}
END_TEST

START_TEST(direction_on_a_file)
{
	pfring *r = pfring_open(dev_a, 1518, 0);

	ck_assert_int_eq(pfring_set_direction(r, (packet_direction)3),
			 PF_RING_ERROR_INVALID_ARGUMENT);
	ck_assert_int_eq(pfring_set_direction(r, tx_only_direction), 0);
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	ck_assert_int_eq(drain(r), 0); /* a file's packets count as received */
	pfring_close(r);
}
END_TEST

START_TEST(file_refuses_device_features)
{
	pfring *r = open_a();
	filtering_rule f;
	u_char mac[6];
	int id;

	ck_assert_int_eq(pfring_set_channel_id(r, 1), PF_RING_ERROR_NOT_SUPPORTED);
	wc(&f, 1, reflect_packet_and_stop_rule_evaluation, 0, 0);
	strcpy(f.reflector_device_name, "lo");
	ck_assert_int_eq(pfring_add_filtering_rule(r, &f), PF_RING_ERROR_NOT_SUPPORTED);
	strcpy(f.reflector_device_name, "nosuch0");
	ck_assert_int_eq(pfring_add_filtering_rule(r, &f), PF_RING_ERROR_INVALID_ARGUMENT);
	ck_assert_int_lt(pfring_send(r, (u_char *)"x", 1, 1), 0);
	ck_assert_int_lt(pfring_get_bound_device_address(r, mac), 0);
	ck_assert_int_lt(pfring_get_bound_device_id(r, &id), 0);
	ck_assert_int_lt(pfring_set_cluster(r, 1, cluster_round_robin), 0);
	ck_assert_int_lt(pfring_remove_from_cluster(r), 0);
	pfring_close(r);
}
END_TEST

START_TEST(hardware_calls_not_supported)
{
	pfring *r = open_a();
	hw_filtering_rule hw;
	struct timespec ts = { 0, 0 };
	u_int64_t ns;

	memset(&hw, 0, sizeof(hw));
	ck_assert_int_eq(pfring_add_hw_rule(r, &hw), PF_RING_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(pfring_remove_hw_rule(r, &hw), PF_RING_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(pfring_set_filtering_mode(r, hardware_only), PF_RING_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(pfring_set_filtering_mode(r, software_only), 0);
	ck_assert_int_eq(pfring_get_device_clock(r, &ts), PF_RING_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(pfring_set_device_clock(r, &ts), PF_RING_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(pfring_adjust_device_clock(r, &ts, 1), PF_RING_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(pfring_enable_hw_timestamp(r, "x", 1, 1), PF_RING_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(pfring_next_pkt_raw_timestamp(r, &ns), PF_RING_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(pfring_send_get_time(r, (u_char *)"x", 1, &ts), PF_RING_ERROR_NOT_SUPPORTED);
	pfring_close(r);
}
END_TEST

START_TEST(null_ring_everywhere)
{
	struct pfring_pkthdr h;
	pfring_stat st;
	u_int32_t v;
	u_char *p = NULL;

	ck_assert_int_lt(pfring_recv(NULL, &p, 0, &h, 0), 0);
	ck_assert_int_lt(pfring_stats(NULL, &st), 0);
	ck_assert_int_lt(pfring_enable_ring(NULL), 0);
	ck_assert_int_lt(pfring_disable_ring(NULL), 0);
	ck_assert_int_lt(pfring_set_sampling_rate(NULL, 2), 0);
	ck_assert_int_lt(pfring_set_direction(NULL, rx_only_direction), 0);
	ck_assert_int_lt(pfring_set_socket_mode(NULL, recv_only_mode), 0);
	ck_assert_int_lt(pfring_set_cluster(NULL, 1, cluster_per_flow), 0);
	ck_assert_int_lt(pfring_set_bpf_filter(NULL, "udp"), 0);
	ck_assert_int_lt(pfring_add_filtering_rule(NULL, NULL), 0);
	ck_assert_int_lt(pfring_handle_hash_filtering_rule(NULL, NULL, 1), 0);
	ck_assert_int_lt(pfring_toggle_filtering_policy(NULL, 0), 0);
	ck_assert_int_lt(pfring_set_poll_watermark(NULL, 1), 0);
	ck_assert_int_lt(pfring_set_poll_duration(NULL, 1), 0);
	ck_assert_int_lt(pfring_set_application_name(NULL, "x"), 0);
	ck_assert_int_lt(pfring_get_selectable_fd(NULL), 0);
	ck_assert_int_lt(pfring_send(NULL, (u_char *)"x", 1, 1), 0);
	ck_assert_int_lt(pfring_poll(NULL, 1), 0);
	ck_assert_int_eq(pfring_get_num_rx_channels(NULL), 1);
	ck_assert_int_eq(pfring_version(NULL, &v), 0);
	ck_assert_uint_eq(v, RING_VERSION_NUM);
	ck_assert_int_lt(pfring_parse_pkt(NULL, &h, 4, 0, 0), 0);
	pfring_close(NULL);
	pfring_breakloop(NULL);
	pfring_shutdown(NULL);
}
END_TEST

START_TEST(parse_pkt_levels_and_hash)
{
	struct pfring_pkthdr a, b;
	uint8_t fa[256], fb[256];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.caplen = a.len = (u_int32_t)build(fa, 6, "10.0.0.1", 2000, "10.0.0.2", 80, "GET");
	b.caplen = b.len = (u_int32_t)build(fb, 6, "10.0.0.2", 80, "10.0.0.1", 2000, NULL);
	ck_assert_int_eq(pfring_parse_pkt(fa, &a, 4, 1, 1), 4);
	ck_assert_int_eq(pfring_parse_pkt(fb, &b, 4, 0, 1), 4);
	ck_assert_uint_eq(a.extended_hdr.parsed_pkt.l4_dst_port, 80);
	ck_assert_uint_eq(a.extended_hdr.parsed_pkt.ip_src.v4, 0x0a000001);
	ck_assert_uint_eq(a.extended_hdr.pkt_hash, b.extended_hdr.pkt_hash);
	ck_assert_int_ne(a.ts.tv_sec, 0);
	ck_assert_int_eq(a.extended_hdr.parsed_pkt.offset.payload_offset, 54);
	memset(&a, 0, sizeof(a));
	a.caplen = 14;
	ck_assert_int_eq(pfring_parse_pkt(fa, &a, 4, 0, 0), 2);
	ck_assert_int_eq(pfring_parse_pkt(fa, &b, 2, 0, 0), 2);
}
END_TEST

static int looped;

static void count_cb(const struct pfring_pkthdr *h, const u_char *p,
		     const u_char *user)
{
	looped++;
	if (user != NULL && looped == 10)
		pfring_breakloop((pfring *)user);
}

START_TEST(loop_and_breakloop)
{
	pfring *r = open_a();

	looped = 0;
	ck_assert_int_eq(pfring_loop(r, count_cb, (const u_char *)r, 1), 0);
	ck_assert_int_eq(looped, 10);
	looped = 0;
	ck_assert_int_eq(pfring_loop(r, count_cb, NULL, 1),
			 PF_RING_ERROR_NO_PKT_AVAILABLE);
	ck_assert_int_eq(looped, NPKT - 10);
	pfring_close(r);
}
END_TEST

START_TEST(next_pkt_time_peeks)
{
	pfring *r = open_a();
	struct pfring_pkthdr h;
	struct timespec ts;
	u_char *p;

	ck_assert_int_eq(pfring_next_pkt_time(r, &ts), 0);
	ck_assert_uint_eq(pfring_get_num_queued_pkts(r), 1);
	ck_assert_int_eq(pfring_recv(r, &p, 0, &h, 1), 1);
	ck_assert_int_eq(h.ts.tv_sec, ts.tv_sec);
	ck_assert_int_eq(drain(r), NPKT - 1);
	ck_assert_int_eq(pfring_next_pkt_time(r, &ts), PF_RING_ERROR_NO_PKT_AVAILABLE);
	pfring_close(r);
}
END_TEST

START_TEST(multi_over_files)
{
	char name[256];
	pfring *r;
	pfring_stat st;

	snprintf(name, sizeof(name), "multi:pcap:%s;pcap:%s", file_a, file_b);
	r = pfring_open(name, 1518, 0);
	ck_assert_msg(r != NULL, "%s", pfring_strerror(NULL));
	ck_assert_int_eq(pfring_set_bpf_filter(r, "udp"), 0);
	ck_assert_int_eq(pfring_enable_ring(r), 0);
	ck_assert_int_eq(drain(r), 100 + 10);
	ck_assert_int_eq(pfring_stats(r, &st), 0);
	ck_assert_uint_eq(st.recv, 110);
	pfring_close(r);
	snprintf(name, sizeof(name), "multi:pcap:%s;pcap:%s/none", file_a, dir);
	ck_assert_ptr_null(pfring_open(name, 1518, 0));
}
END_TEST

START_TEST(application_stats_file)
{
	pfring *r = open_a();
	char path[256];
	FILE *f;
	char line[64] = "";

	ck_assert_int_eq(pfring_set_application_name(r, "test_api"), 0);
	ck_assert_int_eq(pfring_set_application_stats(r, "rcvd=42"), 0);
	ck_assert_ptr_nonnull(pfring_get_appl_stats_file_name(r, path, sizeof(path)));
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_str_eq(line, "rcvd=42\n");
	pfring_close(r);
	ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("pcap");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, open_bad_arguments);
	tcase_add_test(tc, replay_whole_file);
	tcase_add_test(tc, copy_mode_cuts_to_buffer);
	tcase_add_loop_test(tc, bpf_filters, 0, sizeof(bpf_cases) / sizeof(bpf_cases[0]));
	tcase_add_test(tc, bpf_bad_and_remove);
	tcase_add_loop_test(tc, sampling_is_exact, 0, 7);
	tcase_add_test(tc, wildcard_rules_and_stats);
	tcase_add_test(tc, default_policy);
	tcase_add_test(tc, rule_limits);
	tcase_add_test(tc, hash_rules_both_directions);
	tcase_add_test(tc, hash_table_grows_to_100k);
	tcase_add_test(tc, purge_keeps_locked);
	tcase_add_test(tc, direction_on_a_file);
	tcase_add_test(tc, file_refuses_device_features);
	tcase_add_test(tc, hardware_calls_not_supported);
	tcase_add_test(tc, null_ring_everywhere);
	tcase_add_test(tc, parse_pkt_levels_and_hash);
	tcase_add_test(tc, loop_and_breakloop);
	tcase_add_test(tc, next_pkt_time_peeks);
	tcase_add_test(tc, multi_over_files);
	tcase_add_test(tc, application_stats_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(api_suite());
}
