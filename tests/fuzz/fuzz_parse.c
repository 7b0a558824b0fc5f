// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libFuzzer harness: pfr_parse() on arbitrary bytes at every max_level.
 * AddressSanitizer catches any read past caplen (libFuzzer hands over a
 * buffer of exactly that size); the checks below are the parser's
 * documented invariants.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pfr_parse.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_offsets(const struct pfr_pkt_info *pi, size_t size)
{
	const int16_t off[] = {pi->eth_offset, pi->l3_offset, pi->l4_offset,
			       pi->payload_offset};
	int i;

	for (i = 0; i < 4; i++) {
		CHECK((off[i] >= 0) == (pi->level >= i + 2));
		CHECK(off[i] < 0 || (size_t)off[i] <= size);
		CHECK(i == 0 || off[i] < 0 || off[i] > off[i - 1]);
	}
	CHECK((pi->vlan_offset >= 0) == (pi->num_vlan_tags > 0));
}

static void check_info(const struct pfr_pkt_info *pi, int level, size_t size,
		       int max)
{
	CHECK(level == pi->level);
	CHECK(level <= PFR_LEVEL_PAYLOAD && level <= (max < 2 ? 0 : max));
	CHECK(level == 0 || level >= PFR_LEVEL_L2);
	CHECK(pi->num_vlan_tags <= 2);
	CHECK(pi->vlan_id <= 0xfff && pi->qinq_vlan_id <= 0xfff);
	CHECK(level >= PFR_LEVEL_L3 ? pi->ip_version == 4 || pi->ip_version == 6
				    : pi->ip_version == 0);
	if (pi->flags & PFR_PF_FRAG_FIRST)
		CHECK((pi->flags & PFR_PF_FRAGMENT) && pi->frag_offset == 0);
	if (pi->frag_offset)
		CHECK(level <= PFR_LEVEL_L3);
	if (level < PFR_LEVEL_L4)
		CHECK(!pi->l4_src_port && !pi->l4_dst_port && !pi->tcp_flags);
	if (level == PFR_LEVEL_PAYLOAD || (level == PFR_LEVEL_L4 && max == 4))
		CHECK(!(pi->flags & (PFR_PF_TRUNCATED | PFR_PF_MALFORMED)));
	check_offsets(pi, size);
}

/* What a lower max_level parsed must agree with the full parse. */
static void check_prefix(const struct pfr_pkt_info *pi,
			 const struct pfr_pkt_info *full)
{
	if (pi->level >= PFR_LEVEL_L2)
		CHECK(pi->eth_type == full->eth_type &&
		      pi->vlan_id == full->vlan_id &&
		      !memcmp(pi->smac, full->smac, sizeof(pi->smac)));
	if (pi->level >= PFR_LEVEL_L3)
		CHECK(!memcmp(&pi->ip_src, &full->ip_src, sizeof(pi->ip_src)) &&
		      pi->l3_proto == full->l3_proto &&
		      pi->l3_offset == full->l3_offset);
	if (pi->level >= PFR_LEVEL_L4)
		CHECK(pi->l4_src_port == full->l4_src_port &&
		      pi->l4_dst_port == full->l4_dst_port &&
		      pi->l4_offset == full->l4_offset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pfr_pkt_info full, pi;
	int level, max;

	level = pfr_parse(data, (pfr_u32)size, PFR_LEVEL_PAYLOAD, &full);
	check_info(&full, level, size, PFR_LEVEL_PAYLOAD);
	for (max = 0; max <= 6; max++) {
		level = pfr_parse(data, (pfr_u32)size, (pfr_u8)max, &pi);
		check_info(&pi, level, size, max);
		CHECK(level <= full.level);
		check_prefix(&pi, &full);
	}
	/* A shorter capture never parses further. */
	level = pfr_parse(data, (pfr_u32)(size / 2), PFR_LEVEL_PAYLOAD, &pi);
	check_info(&pi, level, size / 2, PFR_LEVEL_PAYLOAD);
	CHECK(level <= full.level);
	return 0;
}
