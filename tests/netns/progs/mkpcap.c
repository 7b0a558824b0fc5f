/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mkpcap: writes the traffic the netns tests send, as pcap files that
 * pfsend replays, so every test knows exactly what is on the wire.
 *
 *   mkpcap mix OUT            the fixed protocol mix below (480 packets)
 *   mkpcap flows OUT F K [L]  F UDP flows of K packets each, L-byte frames,
 *                             interleaved; flow i is 10.1.x.y:(1024+i) ->
 *                             10.2.0.1:5000 (i spread over x.y)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../unit/pktbuild.h"

#define FRAME_MAX 2048

struct mix_entry {
	const char *what;
	int count;
	struct pb_spec spec;
};

static u_int8_t *frames[200000];
static size_t lens[200000];
static size_t nframes;

static void add_frame(const struct pb_spec *s)
{
	u_int8_t *buf = malloc(FRAME_MAX);
	size_t len;

	if (buf == NULL || nframes == sizeof(frames) / sizeof(frames[0])) {
		fprintf(stderr, "mkpcap: too many frames\n");
		exit(1);
	}
	len = pb_build(buf, FRAME_MAX, s);
	if (len == 0) {
		fprintf(stderr, "mkpcap: frame does not fit\n");
		exit(1);
	}
	frames[nframes] = buf;
	lens[nframes++] = len;
}

static void base(struct pb_spec *s, int ipv, u_int8_t proto, const char *src,
		 u_int16_t sport, const char *dst, u_int16_t dport)
{
	static const u_int8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const u_int8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

	memset(s, 0, sizeof(*s));
	memcpy(s->smac, smac, 6);
	memcpy(s->dmac, dmac, 6);
	s->ipv = ipv;
	s->proto = proto;
	s->sport = sport;
	s->dport = dport;
	if (ipv == 6) {
		pb_ip6(s->src, src);
		pb_ip6(s->dst, dst);
	} else {
		pb_ip4(s->src, src);
		pb_ip4(s->dst, dst);
	}
}

/* The mix: what each netns filter test counts against. */
static int make_mix(void)
{
	static const char get[] = "GET /index.html HTTP/1.1\r\n";
	struct mix_entry m[6];
	int i, k, left;

	base(&m[0].spec, 4, 17, "10.0.0.1", 1000, "10.0.0.2", 53);
	m[0].count = 100;                               /* DNS */
	base(&m[1].spec, 4, 6, "10.0.0.1", 2000, "10.0.0.2", 80);
	m[1].spec.payload = get;
	m[1].spec.payload_len = sizeof(get) - 1;
	m[1].spec.tcp_flags = 0x18;
	m[1].count = 200;                               /* HTTP requests */
	base(&m[2].spec, 4, 1, "10.0.0.3", 0, "10.0.0.2", 0);
	m[2].spec.icmp_type = 8;
	m[2].count = 50;                                /* pings */
	base(&m[3].spec, 4, 17, "10.0.1.1", 5000, "10.0.1.2", 5001);
	m[3].spec.nvlan = 1;
	m[3].spec.vlan[0] = 10;
	m[3].count = 30;                                /* VLAN 10 */
	base(&m[4].spec, 6, 17, "2001:db8::1", 3000, "2001:db8::2", 4000);
	m[4].count = 40;                                /* IPv6 */
	base(&m[5].spec, 4, 6, "10.0.0.2", 80, "10.0.0.1", 2000);
	m[5].spec.tcp_flags = 0x10;
	m[5].count = 60;                                /* HTTP replies */
	/* Interleave so that no filter sees one kind in a long run. */
	do {
		left = 0;
		for (i = 0; i < 6; i++) {
			for (k = 0; k < 2 && m[i].count > 0; k++, m[i].count--)
				add_frame(&m[i].spec);
			left += m[i].count;
		}
	} while (left > 0);
	return 0;
}

static int make_flows(int flows, int per_flow, int len)
{
	struct pb_spec s;
	char src[32];
	static u_int8_t pad[FRAME_MAX];
	int i, k;

	for (k = 0; k < per_flow; k++) {
		for (i = 0; i < flows; i++) {
			snprintf(src, sizeof(src), "10.1.%d.%d", (i >> 8) & 255,
				 i & 255);
			base(&s, 4, 17, src, (u_int16_t)(1024 + i), "10.2.0.1", 5000);
			s.payload = pad;
			s.payload_len = len > 42 ? (size_t)(len - 42) : 0;
			add_frame(&s);
		}
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: mkpcap mix OUT | mkpcap flows OUT F K [LEN]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc >= 3 && strcmp(argv[1], "mix") == 0)
		rc = make_mix();
	else if (argc >= 5 && strcmp(argv[1], "flows") == 0)
		rc = make_flows(atoi(argv[3]), atoi(argv[4]),
				argc > 5 ? atoi(argv[5]) : 60);
	else
		return usage();
	if (rc == 0 && pb_write_pcap(argv[2], frames, lens, nframes) < 0) {
		fprintf(stderr, "mkpcap: cannot write %s\n", argv[2]);
		return 1;
	}
	printf("%zu\n", nframes);
	return rc;
}
