/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench_util.h - what the user-space benchmark programs share: strict
 * number parsing, medians, and the test traffic (flow f is the UDP flow
 * 10.0.0.1+f:1024+f%4096 -> 10.0.0.2:9 in a 60-byte frame, as pfsend
 * builds it with -F).
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_SRC   0x0a000001u
#define FLOW_DST   0x0a000002u
#define FLOW_SPORT 1024
#define FLOW_DPORT 9
#define FRAME_LEN  60 /* Ethernet + IPv4 + UDP + 18 bytes of payload */

static inline int parse_u32(int c, const char *s, uint32_t min, uint32_t max,
			    uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "-%c: '%s' must be a number in %u..%u\n", c, s,
			min, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* For qsort() of doubles, to take medians. */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static inline uint16_t flow_sport(uint32_t f)
{
	return (uint16_t)(FLOW_SPORT + f % 4096);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Flow @f's frame, FRAME_LEN bytes at @p (zeroed first). */
static inline void flow_frame(uint8_t *p, uint32_t f)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};

	memset(p, 0, FRAME_LEN);
	memcpy(p, macs, sizeof(macs));
	put16(p + 12, 0x0800);
	p[14] = 0x45;
	put16(p + 16, FRAME_LEN - 14);
	p[22] = 64;
	p[23] = 17;
	put32(p + 26, FLOW_SRC + f);
	put32(p + 30, FLOW_DST);
	put16(p + 34, flow_sport(f));
	put16(p + 36, FLOW_DPORT);
	put16(p + 38, FRAME_LEN - 34);
}

#endif /* BENCH_UTIL_H */
