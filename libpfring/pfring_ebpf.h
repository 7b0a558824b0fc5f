/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpfring's eBPF filter (bpf/filter.bpf.c) seen from the library: load
 * the embedded object, keep its maps in step with a ring's settings, and
 * translate classic BPF for the filter chain (cbpf.c). Private: used by
 * mod_packet.c and the unit tests. Using it needs neither libbpf's nor
 * libpcap's headers (both define a struct bpf_insn).
 *
 * Calls return 0 (or an fd, or a count) on success and -errno on failure,
 * with a message in pfr_ebpf_error(), or in @err for calls without a
 * handle.
 */
#ifndef PFRING_EBPF_H
#define PFRING_EBPF_H

#include <stddef.h>
#include <stdint.h>

#include "../common/pfr_rules.h"
#include "bpf/filter_maps.h"

struct sock_filter;
struct pfr_ebpf;

enum pfr_ebpf_prog {
	PFR_EBPF_FILTER, /* the socket filter: rules, policy, sampling */
	PFR_EBPF_FANOUT, /* the PACKET_FANOUT_EBPF program */
};

/* Load filter.bpf.o; its hash rule map holds up to @max_hash_rules. */
int pfr_ebpf_open(struct pfr_ebpf **out, uint32_t max_hash_rules, char *err,
		  size_t errlen);
void pfr_ebpf_close(struct pfr_ebpf *e);
const char *pfr_ebpf_error(const struct pfr_ebpf *e);
int pfr_ebpf_prog_fd(const struct pfr_ebpf *e, enum pfr_ebpf_prog which);

/* Replace the configuration; wc_count is kept as pfr_ebpf_set_wc_rules()
 * set it. */
int pfr_ebpf_set_config(struct pfr_ebpf *e, const struct pfr_bpf_config *c);
/* Replace the wildcard rules by @rules[0..n) (sorted by rule id, as in a
 * struct pfr_wc_list). Counters of rule ids that stay are kept. */
int pfr_ebpf_set_wc_rules(struct pfr_ebpf *e, const struct pfr_wc_rule *rules,
			  uint32_t n);
/* Start the 1-in-N sequence again (the next packet that passes is kept). */
int pfr_ebpf_reset_sampling(struct pfr_ebpf *e);
/* The sampling counter, shared with the filter program (mapped). */
uint64_t *pfr_ebpf_sample_counter(const struct pfr_ebpf *e);

int pfr_ebpf_wc_stats(struct pfr_ebpf *e, uint16_t rule_id,
		      struct pfr_bpf_rule_stats *st);
/* Remove the counters of wildcard rule @rule_id (after removing it). */
int pfr_ebpf_wc_forget(struct pfr_ebpf *e, uint16_t rule_id);

/* Hash rules; keys are canonical (pfr_hrule_key_make). */
int pfr_ebpf_hash_add(struct pfr_ebpf *e, const struct pfr_hrule *r);
int pfr_ebpf_hash_del(struct pfr_ebpf *e, const struct pfr_hrule_key *k);
/* 0 and *@v filled, or -ENOENT. */
int pfr_ebpf_hash_get(struct pfr_ebpf *e, const struct pfr_hrule_key *k,
		      struct pfr_bpf_hrule *v);
/* Iterate: @prev NULL for the first key. 0, or -ENOENT at the end. */
int pfr_ebpf_hash_next(struct pfr_ebpf *e, const struct pfr_hrule_key *prev,
		       struct pfr_hrule_key *next);

/*
 * Translate the classic program @prog[0..len) and load it as a socket
 * filter. @chain_map_fd < 0: returns as the classic program would;
 * otherwise every non-zero return tail-calls slot PFR_BPF_CHAIN_SLOT of
 * that prog array instead. Returns the program's fd.
 */
int pfr_cbpf_load(const struct sock_filter *prog, unsigned int len,
		  int chain_map_fd, char *err, size_t errlen);
/* The same, chained into @e's filter program. */
int pfr_ebpf_chain_load(struct pfr_ebpf *e, const struct sock_filter *prog,
			unsigned int len);

/*
 * Run socket filter @prog_fd once over the Ethernet frame @frame (for
 * tests); *@retval is the program's return value. The packet looks
 * received (not PACKET_OUTGOING), on queue 0, without a VLAN tag in the
 * metadata.
 *
 * BPF_PROG_TEST_RUN hands a socket filter an skb whose data starts at the
 * network header. For the filter's view (@fanout 0) the frame is prefixed
 * with a dummy Ethernet header, so that skb->data is at @frame as on a
 * SOCK_RAW packet socket. For the fanout program's view (@fanout 1) the
 * frame is passed as is: its MAC header is @frame, as in
 * PACKET_FANOUT_EBPF.
 */
int pfr_ebpf_test_run(int prog_fd, const void *frame, uint32_t len, int fanout,
		      uint32_t *retval);

/* Size of the verifier log kept when a load fails. */
#define PFR_BPF_LOG_SIZE (256 * 1024)

#endif /* PFRING_EBPF_H */
