// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Writes the fuzzers' seed inputs into <dir>/fuzz_parse/ and
 * <dir>/fuzz_rules/: a few frames of each kind, and for fuzz_rules a
 * header byte and rule records (see fuzz_rules.c) before a frame.
 */
#include <stdlib.h>

#include "pfr_rules.h"
#include "pktbuild.h"

#define V4 .ipv = 4, .src = {10, 0, 0, 1}, .dst = {10, 0, 0, 2}
#define V6                                                                     \
	.ipv = 6, .src = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},                   \
	.dst = {0x20, 0x01, 0x0d, 0xb8, [15] = 2}

/* clang-format off */
static const struct pb_spec frames[] = {
	{ V4, .proto = 6, .sport = 40000, .dport = 80, .tcp_flags = 0x18,
	  .payload = "GET /", .payload_len = 5 },
	{ V6, .proto = 17, .sport = 53, .dport = 5353, .v6_hopopts = 1,
	  .v6_frag_hdr = 1, .more_frags = 1, .payload = "q", .payload_len = 1 },
	{ V4, .nvlan = 2, .vlan = {100, 200}, .outer_tpid = 0x88A8, .proto = 47,
	  .gre_proto = 0x0800, .gre_key_present = 1, .gre_key = 7 },
	{ V4, .ip_opt_len = 8, .proto = 1, .icmp_type = 8, .more_frags = 1 },
	{ V6, .proto = 6, .v6_frag_hdr = 1, .frag_off = 1232 },
	{ V6, .nvlan = 1, .vlan = {5}, .proto = 132, .sport = 2905,
	  .dport = 2905, .v6_routing = 1, .v6_dstopts = 1 },
	{ .ethertype = 0x0806, .payload = "arp", .payload_len = 3 },
	{ V6, .proto = 58, .icmp_type = 128, .payload = "ping",
	  .payload_len = 4 },
};
/* clang-format on */

#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

static void write_file(const char *dir, const char *sub, int n,
		       const uint8_t *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/seed%02d", dir, sub, n);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Wildcard record: id, action, flags, pool, balance id, proto, vlan(2),
 * shost(4), shost prefix, dhost(4), dhost prefix, sport lo/hi, dport
 * lo/hi (2 each), pattern length, pattern(4). */
/* clang-format off */
static const uint8_t wc_recs[][31] = {
	{ 1, 7, 0x01, 0, 0, 6, 0, 0, 10, 0, 0, 2, 32, 0, 0, 0, 0, 0,
	  0, 0, 0, 0, 0, 80, 0, 80, 3, 'G', 'E', 'T', 0 },
	{ 2, 4, 0x24, 0, 0, 17, 0, 0, 0, 0, 0, 1, 64, 0, 0, 0, 0, 0,
	  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ 3, 2, 0x18, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ 9, 1, 0x02, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ 4, 5, 0x00, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2, 24,
	  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};
/* clang-format on */

/* Hash record: id, action, flags, proto, vlan(2), a(4), b(4), pa, pb. */
/* clang-format off */
static const uint8_t h_recs[][16] = {
	{ 1, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ 2, 5, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ 3, 0, 0x00, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 53, 53 },
	{ 4, 2, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};
/* clang-format on */

struct rules_seed {
	uint8_t head;
	int wc[4], h[4]; /* record numbers, -1 ends */
	int frame;
};

/* clang-format off */
static const struct rules_seed rules_seeds[] = {
	{ 0x09, { 0, -1 }, { 0, -1 }, 0 },           /* 1 wc, 1 hash */
	{ 0x22, { 1, 2, -1 }, { -1 }, 1 },           /* add rule, balance */
	{ 0x10, { -1 }, { 1, 2, -1 }, 0 },           /* hash only */
	{ 0xc3, { 3, 4, 0, -1 }, { -1 }, 2 },        /* purge, vlan, del */
	{ 0x19, { 2, -1 }, { 3, 0, -1 }, 7 },        /* continue, icmp6 */
};
/* clang-format on */

static void write_rules_seed(const char *dir, int n, const struct rules_seed *s)
{
	uint8_t buf[512];
	size_t len = 1;
	int i;

	buf[0] = s->head;
	for (i = 0; s->wc[i] >= 0; i++, len += 31)
		memcpy(buf + len, wc_recs[s->wc[i]], 31);
	for (i = 0; s->h[i] >= 0; i++, len += 16)
		memcpy(buf + len, h_recs[s->h[i]], 16);
	len += pb_build(buf + len, sizeof(buf) - len, &frames[s->frame]);
	write_file(dir, "fuzz_rules", n, buf, len);
}

int main(int argc, char **argv)
{
	uint8_t buf[256], tagged[260];
	size_t i, len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s corpus-dir\n", argv[0]);
		return 2;
	}
	for (i = 0; i < NFRAMES; i++) {
		len = pb_build(buf, sizeof(buf), &frames[i]);
		write_file(argv[1], "fuzz_parse", (int)i, buf, len);
	}
	/* A third tag, spliced in after the second. */
	len = pb_build(buf, sizeof(buf), &frames[2]);
	memcpy(tagged, buf, 20);
	pb_be16(tagged + 20, 0x8100);
	pb_be16(tagged + 22, 300);
	memcpy(tagged + 24, buf + 20, len - 20);
	write_file(argv[1], "fuzz_parse", (int)NFRAMES, tagged, len + 4);
	for (i = 0; i < sizeof(rules_seeds) / sizeof(rules_seeds[0]); i++)
		write_rules_seed(argv[1], (int)i, &rules_seeds[i]);
	return 0;
}
