/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpfring core: ring settings and filters. Each call validates its
 * arguments, records the setting in ring->cfg and has the module apply it;
 * if the module refuses, the previous setting is restored so the handle
 * never claims a filter that is not in force. Semantics: docs/filtering.md.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "pfring_priv.h"

u_int64_t pfring_now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u_int64_t)ts.tv_sec;
}

/* pfring_apply() with ring->call telling which public call it is for. */
static int apply_call(pfring *ring, enum pfring_setting what, const void *arg,
		      const struct pfring_call *call)
{
	int rc;

	ring->call = call;
	rc = pfring_apply(ring, what, arg);
	ring->call = NULL;
	return rc;
}

int pfring_apply(pfring *ring, enum pfring_setting what, const void *arg)
{
	if (ring->ops->apply != NULL)
		return ring->ops->apply(ring, what, arg);
	if (ring->sw_filter)
		return 0;
	return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
			    "%s devices cannot apply this setting",
			    ring->ops->name);
}

/* Set a scalar field, apply it, and put the old value back on failure. */
#define SET_AND_APPLY(ring, field, value, what)                                \
	({                                                                     \
		__typeof__((ring)->cfg.field) old_ = (ring)->cfg.field;        \
		int rc_;                                                       \
		(ring)->cfg.field = (value);                                   \
		rc_ = pfring_apply((ring), (what), NULL);                             \
		if (rc_ < 0)                                                   \
			(ring)->cfg.field = old_;                              \
		rc_ < 0 ? rc_ : 0;                                             \
	})

int pfring_set_direction(pfring *ring, packet_direction direction)
{
	if (ring == NULL || direction > tx_only_direction)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	return SET_AND_APPLY(ring, direction, direction, PFRING_SET_DIRECTION);
}

int pfring_set_socket_mode(pfring *ring, socket_mode mode)
{
	if (ring == NULL || mode > recv_only_mode)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	return SET_AND_APPLY(ring, mode, mode, PFRING_SET_SOCKET_MODE);
}

int pfring_set_sampling_rate(pfring *ring, u_int32_t rate)
{
	if (ring == NULL || rate == 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "sampling rate must be >= 1");
	ring->sw_sample_seen = 0;
	return SET_AND_APPLY(ring, sampling_rate, rate, PFRING_SET_SAMPLING);
}

int pfring_set_poll_watermark(pfring *ring, u_int16_t watermark)
{
	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (watermark == 0)
		watermark = 1;
	return SET_AND_APPLY(ring, poll_watermark, watermark,
			     PFRING_SET_WATERMARK);
}

int pfring_set_poll_duration(pfring *ring, u_int duration)
{
	if (ring == NULL || duration == 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "poll duration must be >= 1 ms");
	return SET_AND_APPLY(ring, poll_duration, duration,
			     PFRING_SET_POLL_DURATION);
}

/* Every back-end sends each packet as pfring_send() is called, so there is
 * no egress queue for a watermark to hold back; the value is checked only. */
int pfring_set_tx_watermark(pfring *ring, u_int16_t watermark)
{
	if (ring == NULL || watermark == 0)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	return 0;
}

int pfring_set_channel_id(pfring *ring, u_int32_t channel_id)
{
	if (ring == NULL || channel_id >= MAX_NUM_RX_CHANNELS)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "channel id must be below %d",
				    MAX_NUM_RX_CHANNELS);
	return SET_AND_APPLY(ring, channel_id, (int)channel_id,
			     PFRING_SET_CHANNEL);
}

int pfring_toggle_filtering_policy(pfring *ring,
				   u_int8_t rules_default_accept_policy)
{
	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	return SET_AND_APPLY(ring, rules.default_accept,
			     rules_default_accept_policy ? 1 : 0,
			     PFRING_SET_POLICY);
}

/* BPF */

static int compile_bpf(pfring *ring, const char *expr, struct bpf_program *prog)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)ring->caplen);
	int rc = 0;

	if (p == NULL)
		return pfring_error(ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
				    "pcap_open_dead failed");
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		rc = pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				  "bad BPF filter \"%s\": %s", expr,
				  pcap_geterr(p));
	pcap_close(p);
	return rc;
}

int pfring_set_bpf_filter(pfring *ring, char *filter_buffer)
{
	struct pfring_config *c;
	struct bpf_program old;
	int old_set, rc;

	if (ring == NULL || filter_buffer == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	c = &ring->cfg;
	old = c->bpf;
	old_set = c->bpf_set;
	rc = compile_bpf(ring, filter_buffer, &c->bpf);
	if (rc < 0) {
		c->bpf = old;
		return rc;
	}
	c->bpf_set = 1;
	rc = apply_call(ring, PFRING_SET_BPF, NULL,
			&(struct pfring_call){.bpf = filter_buffer});
	if (rc < 0) {
		pcap_freecode(&c->bpf);
		c->bpf = old;
		c->bpf_set = old_set;
		return rc;
	}
	if (old_set)
		pcap_freecode(&old);
	return 0;
}

int pfring_remove_bpf_filter(pfring *ring)
{
	int rc;

	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (!ring->cfg.bpf_set)
		return pfring_error(ring, PF_RING_ERROR_INVALID_STATUS,
				    "no BPF filter is set");
	ring->cfg.bpf_set = 0;
	rc = apply_call(ring, PFRING_SET_BPF, NULL, &(struct pfring_call){0});
	if (rc < 0) {
		ring->cfg.bpf_set = 1;
		return rc;
	}
	pcap_freecode(&ring->cfg.bpf);
	memset(&ring->cfg.bpf, 0, sizeof(ring->cfg.bpf));
	return 0;
}

/* Rule conversion from the PF_RING 5.x structures to common/'s. */

static int ip_is_v6(const ip_addr *a)
{
	static const u_int8_t zero[12];

	return memcmp(&a->v6.s6_addr[4], zero, sizeof(zero)) != 0;
}

static int resolve_reflector(pfring *ring, u_int8_t action, const char *name,
			     pfr_s32 *ifindex)
{
	char ifname[REFLECTOR_NAME_LEN + 1];

	*ifindex = 0;
	if (action != PFR_ACT_REFLECT_STOP && action != PFR_ACT_REFLECT_CONTINUE)
		return 0;
	memcpy(ifname, name, REFLECTOR_NAME_LEN);
	ifname[REFLECTOR_NAME_LEN] = '\0';
	*ifindex = pfring_ifindex(ifname);
	if (*ifindex <= 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "reflector device \"%s\" does not exist",
				    ifname);
	return 0;
}

int pfring_rule_to_wc(pfring *ring, const filtering_rule *in,
		      struct pfr_wc_rule *out)
{
	const filtering_rule_core_fields *f = &in->core_fields;

	if (in->rule_action > bounce_packet_and_continue_rule_evaluation)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "rule %u: unknown action %d", in->rule_id,
				    (int)in->rule_action);
	if (in->extended_fields.filter_plugin_id || in->plugin_action.plugin_id)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "rule %u: filtering plugins are not "
				    "supported", in->rule_id);
	memset(out, 0, sizeof(*out));
	out->rule_id = in->rule_id;
	out->action = (pfr_u8)in->rule_action;
	out->bidirectional = in->bidirectional;
	out->balance_id = in->balance_id;
	out->balance_pool = in->balance_pool;
	out->locked = in->locked;
	out->proto = f->proto;
	memcpy(out->smac, f->smac, ETH_ALEN);
	memcpy(out->dmac, f->dmac, ETH_ALEN);
	out->vlan_id = f->vlan_id;
	memcpy(&out->shost, &f->shost, sizeof(out->shost));
	memcpy(&out->shost_mask, &f->shost_mask, sizeof(out->shost_mask));
	memcpy(&out->dhost, &f->dhost, sizeof(out->dhost));
	memcpy(&out->dhost_mask, &f->dhost_mask, sizeof(out->dhost_mask));
	out->ip_version = (ip_is_v6(&f->shost) || ip_is_v6(&f->dhost)) ? 6 : 0;
	out->sport_low = f->sport_low;
	out->sport_high = f->sport_high;
	out->dport_low = f->dport_low;
	out->dport_high = f->dport_high;
	out->pattern_len = (pfr_u8)strnlen(in->extended_fields.payload_pattern,
					   PFR_PATTERN_LEN);
	memcpy(out->payload_pattern, in->extended_fields.payload_pattern,
	       out->pattern_len);
	if (resolve_reflector(ring, out->action, in->reflector_device_name,
			      &out->reflect_ifindex) < 0)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (pfr_wc_rule_check(out) < 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "rule %u is not valid", in->rule_id);
	return 0;
}

int pfring_hash_rule_to_hrule(pfring *ring, const hash_filtering_rule *in,
			      struct pfr_hrule *out)
{
	u_int8_t ipv = (ip_is_v6(&in->host_peer_a) || ip_is_v6(&in->host_peer_b))
			       ? 6 : 4;

	if (in->rule_action > bounce_packet_and_continue_rule_evaluation)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "hash rule %u: unknown action %d",
				    in->rule_id, (int)in->rule_action);
	if (in->plugin_action.plugin_id)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "hash rule %u: plugins are not supported",
				    in->rule_id);
	memset(out, 0, sizeof(*out));
	pfr_hrule_key_make(&out->key, ipv,
			   (const struct pfr_ip *)&in->host_peer_a,
			   in->port_peer_a,
			   (const struct pfr_ip *)&in->host_peer_b,
			   in->port_peer_b, in->proto, in->vlan_id);
	out->rule_id = in->rule_id;
	out->action = (pfr_u8)in->rule_action;
	return resolve_reflector(ring, out->action, in->reflector_device_name,
				 &out->reflect_ifindex);
}

/* Wildcard rules */

int pfring_add_filtering_rule(pfring *ring, filtering_rule *rule_to_add)
{
	struct pfr_wc_rule r;
	int rc;

	if (ring == NULL || rule_to_add == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	rc = pfring_rule_to_wc(ring, rule_to_add, &r);
	if (rc < 0)
		return rc;
	r.last_match = pfring_now_sec();
	if (pfr_wc_add(&ring->cfg.rules.wc, &r) < 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "rule %u exists already, or the ring has "
				    "%u rules", r.rule_id, ring->cfg.rules.wc.max);
	rc = apply_call(ring, PFRING_SET_WC_RULES, NULL,
			&(struct pfring_call){.wc_add = rule_to_add});
	if (rc < 0)
		pfr_wc_remove(&ring->cfg.rules.wc, r.rule_id);
	return rc < 0 ? rc : 0;
}

int pfring_remove_filtering_rule(pfring *ring, u_int16_t rule_id)
{
	struct pfr_wc_rule *found, saved;
	int rc;

	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	found = pfr_wc_find(&ring->cfg.rules.wc, rule_id);
	if (found == NULL)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "no rule with id %u", rule_id);
	saved = *found;
	pfr_wc_remove(&ring->cfg.rules.wc, rule_id);
	rc = apply_call(ring, PFRING_SET_WC_RULES, NULL,
			&(struct pfring_call){.wc_remove = 1,
					      .wc_remove_id = rule_id});
	if (rc < 0)
		pfr_wc_add(&ring->cfg.rules.wc, &saved);
	return rc < 0 ? rc : 0;
}

static void fill_rule_stats(hash_filtering_rule_stats *st, pfr_u64 matched,
			    pfr_u64 filtered, pfr_u64 last_match)
{
	u_int64_t now = pfring_now_sec();

	st->match = matched;
	st->filtered = filtered;
	st->inactivity = (u_int32_t)(now > last_match ? now - last_match : 0);
}

static int copy_stats(const hash_filtering_rule_stats *st, char *stats,
		      u_int *stats_len)
{
	if (*stats_len < sizeof(*st))
		return PF_RING_ERROR_INVALID_ARGUMENT;
	memcpy(stats, st, sizeof(*st));
	*stats_len = sizeof(*st);
	return 0;
}

int pfring_wc_stats(pfring *ring, u_int16_t rule_id,
		    hash_filtering_rule_stats *st)
{
	struct pfr_wc_rule *r = pfr_wc_find(&ring->cfg.rules.wc, rule_id);

	if (r == NULL)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "no rule with id %u", rule_id);
	if (ring->ops->wc_rule_stats != NULL)
		return ring->ops->wc_rule_stats(ring, rule_id, st);
	fill_rule_stats(st, r->matched, r->filtered, r->last_match);
	return 0;
}

int pfring_get_filtering_rule_stats(pfring *ring, u_int16_t rule_id,
				    char *stats, u_int *stats_len)
{
	hash_filtering_rule_stats st;
	int rc;

	if (ring == NULL || stats == NULL || stats_len == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	rc = pfring_wc_stats(ring, rule_id, &st);
	return rc < 0 ? rc : copy_stats(&st, stats, stats_len);
}

int pfring_purge_idle_rules(pfring *ring, u_int16_t inactivity_sec)
{
	pfr_u32 n;
	int rc;

	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	/* A kernel filter knows when its rules last matched; it purges both
	 * its own copy and ring->cfg.rules. */
	if (ring->ops->purge_idle != NULL)
		return ring->ops->purge_idle(ring, inactivity_sec, 0);
	n = pfr_wc_purge(&ring->cfg.rules.wc, pfring_now_sec(), inactivity_sec);
	rc = n ? pfring_apply(ring, PFRING_SET_WC_RULES, NULL) : 0;
	return rc < 0 ? rc : (int)n;
}

/* Hash rules: the table grows by doubling when full. */

static int htable_grow(pfring *ring)
{
	struct pfr_htable *old = &ring->cfg.rules.ht, grown;
	pfr_u32 cap = old->capacity * 2, i;
	struct pfr_hrule *rules = pfring_table_alloc(cap * sizeof(*rules));
	pfr_u32 *buckets = pfring_table_alloc(cap * sizeof(*buckets));

	if (rules == NULL || buckets == NULL) {
		pfring_table_free(rules, cap * sizeof(*rules));
		pfring_table_free(buckets, cap * sizeof(*buckets));
		return pfring_error(ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
				    "no memory for %u hash rules", cap);
	}
	pfr_htable_init(&grown, buckets, cap, rules, cap);
	for (i = 0; i < old->capacity; i++)
		if (old->rules[i].in_use)
			pfr_htable_add(&grown, &old->rules[i]);
	pfring_table_free(old->rules, old->capacity * sizeof(*old->rules));
	pfring_table_free(old->buckets, old->capacity * sizeof(*old->buckets));
	*old = grown;
	return 0;
}

int pfring_hrule_insert(pfring *ring, const struct pfr_hrule *r)
{
	int rc = pfr_htable_add(&ring->cfg.rules.ht, r);

	if (rc == -2) {
		if (htable_grow(ring) < 0)
			return PF_RING_ERROR_NOT_ENOUGH_MEMORY;
		rc = pfr_htable_add(&ring->cfg.rules.ht, r);
	}
	if (rc < 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "hash rule %u: the same 6-tuple exists "
				    "already", r->rule_id);
	return 0;
}

static int add_hash_rule(pfring *ring, struct pfr_hrule *r)
{
	int rc;

	r->last_match = pfring_now_sec();
	rc = pfring_hrule_insert(ring, r);
	if (rc < 0)
		return rc;
	rc = pfring_apply(ring, PFRING_SET_HASH_ADD, r);
	if (rc < 0)
		pfr_htable_remove(&ring->cfg.rules.ht, &r->key);
	return rc < 0 ? rc : 0;
}

/* The module removes the rule first, while it can still look it up. */
static int del_hash_rule(pfring *ring, const struct pfr_hrule *r)
{
	int rc;

	if (pfr_htable_lookup(&ring->cfg.rules.ht, &r->key) == NULL)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "no such hash rule");
	rc = pfring_apply(ring, PFRING_SET_HASH_DEL, &r->key);
	if (rc < 0)
		return rc;
	pfr_htable_remove(&ring->cfg.rules.ht, &r->key);
	return 0;
}

int pfring_handle_hash_filtering_rule(pfring *ring,
				      hash_filtering_rule *rule_to_add,
				      u_char add_rule)
{
	struct pfr_hrule r;
	int rc;

	if (ring == NULL || rule_to_add == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	rc = pfring_hash_rule_to_hrule(ring, rule_to_add, &r);
	if (rc < 0)
		return rc;
	ring->call = &(struct pfring_call){.hash = rule_to_add};
	rc = add_rule ? add_hash_rule(ring, &r) : del_hash_rule(ring, &r);
	ring->call = NULL;
	return rc;
}

int pfring_hash_stats(pfring *ring, const struct pfr_hrule_key *key,
		      hash_filtering_rule_stats *st)
{
	struct pfr_hrule *found = pfr_htable_lookup(&ring->cfg.rules.ht, key);

	if (found == NULL)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "no such hash rule");
	if (ring->ops->hash_rule_stats != NULL)
		return ring->ops->hash_rule_stats(ring, key, st);
	fill_rule_stats(st, found->matched, found->filtered,
			found->last_match);
	return 0;
}

int pfring_get_hash_filtering_rule_stats(pfring *ring,
					 hash_filtering_rule *rule,
					 char *stats, u_int *stats_len)
{
	hash_filtering_rule_stats st;
	struct pfr_hrule r;
	int rc;

	if (ring == NULL || rule == NULL || stats == NULL || stats_len == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	rc = pfring_hash_rule_to_hrule(ring, rule, &r);
	if (rc < 0)
		return rc;
	ring->call = &(struct pfring_call){.hash = rule};
	rc = pfring_hash_stats(ring, &r.key, &st);
	ring->call = NULL;
	return rc < 0 ? rc : copy_stats(&st, stats, stats_len);
}

int pfring_purge_idle_hash_rules(pfring *ring, u_int16_t inactivity_sec)
{
	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->ops->purge_idle != NULL)
		return ring->ops->purge_idle(ring, inactivity_sec, 1);
	return (int)pfr_htable_purge(&ring->cfg.rules.ht, pfring_now_sec(),
				     inactivity_sec);
}

/* Parsing */

void pfring_fill_parsed(struct pfring_pkthdr *hdr,
			const struct pfr_pkt_info *in)
{
	struct pkt_parsing_info *p = &hdr->extended_hdr.parsed_pkt;
	u_int16_t hw_vlan = p->vlan_id;

	memset(p, 0, sizeof(*p));
	memcpy(p->dmac, in->dmac, ETH_ALEN);
	memcpy(p->smac, in->smac, ETH_ALEN);
	p->eth_type = in->eth_type;
	/* A tag the kernel took off the frame (VLAN offload) still counts. */
	p->vlan_id = in->vlan_id ? in->vlan_id : hw_vlan;
	p->ip_version = in->ip_version;
	p->l3_proto = in->l3_proto;
	p->ip_tos = in->ip_tos;
	memcpy(&p->ip_src, &in->ip_src, sizeof(p->ip_src));
	memcpy(&p->ip_dst, &in->ip_dst, sizeof(p->ip_dst));
	p->l4_src_port = in->l4_src_port;
	p->l4_dst_port = in->l4_dst_port;
	p->tcp.flags = in->tcp_flags;
	p->tcp.seq_num = in->tcp_seq;
	p->tcp.ack_num = in->tcp_ack;
	p->offset.eth_offset = in->eth_offset;
	p->offset.vlan_offset = in->vlan_offset;
	p->offset.l3_offset = in->l3_offset;
	p->offset.l4_offset = in->l4_offset;
	p->offset.payload_offset = in->payload_offset;
	hdr->extended_hdr.parsed_header_len =
		in->payload_offset > 0 ? (u_int16_t)in->payload_offset : 0;
	if (in->flags & PFR_PF_FRAGMENT)
		hdr->extended_hdr.flags |=
			in->frag_offset ? PKT_FLAGS_IP_FRAG_OFFSET
					: PKT_FLAGS_IP_MORE_FRAG;
}

int pfring_parse_pkt(u_char *pkt, struct pfring_pkthdr *hdr, u_int8_t level,
		     u_int8_t add_timestamp, u_int8_t add_hash)
{
	struct pfr_pkt_info info;
	int reached;

	if (pkt == NULL || hdr == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	/* Parsing is idempotent, so a header that was parsed before is simply
	 * parsed again. Level 4 in PF_RING's numbering includes the payload
	 * offset. */
	reached = pfr_parse(pkt, hdr->caplen,
			    level >= 4 ? PFR_LEVEL_PAYLOAD : level, &info);
	pfring_fill_parsed(hdr, &info);
	if (add_timestamp && hdr->ts.tv_sec == 0 && hdr->ts.tv_usec == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		hdr->ts.tv_sec = ts.tv_sec;
		hdr->ts.tv_usec = ts.tv_nsec / 1000;
		hdr->extended_hdr.timestamp_ns =
			(u_int64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	}
	if (add_hash)
		hdr->extended_hdr.pkt_hash = pfr_pkt_flow_hash(&info, PFR_TUPLE_5);
	return reached > PFR_LEVEL_L4 ? PFR_LEVEL_L4 : reached;
}

/* The software filter (modules with ring->sw_filter). */

static int rules_active(const struct pfr_ruleset *rs)
{
	return rs->wc.count > 0 || rs->ht.count > 0 || !rs->default_accept;
}

static int sw_rules_accept(pfring *ring, const u_char *pkt,
			   struct pfring_pkthdr *hdr)
{
	struct pfr_pkt_info info;
	struct pfr_verdict v;

	pfr_parse(pkt, hdr->caplen, PFR_LEVEL_PAYLOAD, &info);
	pfr_ruleset_eval(&ring->cfg.rules, &info, pkt, hdr->caplen,
			 pfring_now_sec(), &v);
	return v.forward;
}

int pfring_sw_accept(pfring *ring, const u_char *pkt, struct pfring_pkthdr *hdr)
{
	const struct pfring_config *c = &ring->cfg;
	int rx = hdr->extended_hdr.rx_direction;

	if ((c->direction == rx_only_direction && !rx) ||
	    (c->direction == tx_only_direction && rx))
		goto filtered;
	if (c->bpf_set &&
	    !bpf_filter(c->bpf.bf_insns, pkt, hdr->len, hdr->caplen))
		goto filtered;
	if (rules_active(&c->rules) && !sw_rules_accept(ring, pkt, hdr))
		goto filtered;
	if (c->sampling_rate > 1 &&
	    ring->sw_sample_seen++ % c->sampling_rate != 0)
		goto filtered;
	return 1;
filtered:
	ring->sw_filtered++;
	return 0;
}
