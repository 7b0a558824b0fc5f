/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "multi:ethA;ethB@1;pcap:f": one handle over several devices. Each member
 * is an ordinary ring (any back-end but multi:) opened with the same caplen
 * and flags; every setting made on the handle is made on each member, so
 * filters run where the member runs them (in the kernel for devices).
 * Packets are taken from the members in turn. Sampling is per member.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "pfring_priv.h"

#define MULTI_MAX 16

struct multi_priv {
	pfring *member[MULTI_MAX];
	u_int8_t exhausted[MULTI_MAX]; /* pcap: member at end of file */
	int n;
	int next;                      /* round-robin start */
	int epfd;                      /* members' selectable fds */
	int unpollable;                /* members without an fd (files) */
};

static int open_member(pfring *ring, struct multi_priv *mp, const char *name)
{
	pfring *m;

	if (name[0] == '\0' || strncmp(name, "multi:", 6) == 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "multi: empty or nested member \"%s\"", name);
	if (mp->n == MULTI_MAX)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "multi: at most %d members", MULTI_MAX);
	m = pfring_open(name, ring->caplen, ring->flags);
	if (m == NULL)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "multi: %s", pfring_strerror(NULL));
	mp->member[mp->n++] = m;
	return 0;
}

static int watch_member(struct multi_priv *mp, int i)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (u_int32_t)i };
	int fd = pfring_get_selectable_fd(mp->member[i]);

	if (fd < 0) {
		mp->unpollable++;
		return 0;
	}
	return epoll_ctl(mp->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void multi_close(pfring *ring)
{
	struct multi_priv *mp = ring->priv;
	int i;

	for (i = 0; i < mp->n; i++)
		pfring_close(mp->member[i]);
	if (mp->epfd >= 0)
		close(mp->epfd);
	free(mp);
}

static int open_members(pfring *ring, struct multi_priv *mp)
{
	char *names = strdup(ring->device), *save = NULL, *tok;
	int rc = 0, i;

	if (names == NULL)
		return PF_RING_ERROR_NOT_ENOUGH_MEMORY;
	for (tok = strtok_r(names, ";", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ";", &save))
		rc = open_member(ring, mp, tok);
	free(names);
	if (rc == 0 && mp->n == 0)
		rc = pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				  "multi: no devices given (multi:ethA;ethB)");
	for (i = 0; rc == 0 && i < mp->n; i++)
		if (watch_member(mp, i) < 0)
			rc = pfring_error(ring, PF_RING_ERROR_GENERIC,
					  "multi: epoll_ctl failed");
	return rc;
}

static int multi_open(pfring *ring)
{
	struct multi_priv *mp = calloc(1, sizeof(*mp));
	int rc;

	if (mp == NULL)
		return pfring_error(ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
				    "out of memory");
	ring->priv = mp;
	mp->epfd = epoll_create1(EPOLL_CLOEXEC);
	rc = mp->epfd < 0 ? pfring_error(ring, PF_RING_ERROR_GENERIC,
					 "multi: epoll_create1 failed")
			  : open_members(ring, mp);
	if (rc < 0)
		multi_close(ring);
	return rc;
}

/* One pass over the members without blocking: 1 with a packet, 0 if none
 * had one, PF_RING_ERROR_NO_PKT_AVAILABLE when every member is exhausted. */
static int recv_pass(pfring *ring, struct multi_priv *mp, u_char **buffer,
		     u_int buffer_len, struct pfring_pkthdr *hdr)
{
	int i, k, rc, live = 0;

	for (k = 0; k < mp->n; k++) {
		i = (mp->next + k) % mp->n;
		if (mp->exhausted[i])
			continue;
		rc = pfring_recv(mp->member[i], buffer, buffer_len, hdr, 0);
		if (rc == PF_RING_ERROR_NO_PKT_AVAILABLE) {
			mp->exhausted[i] = 1;
			continue;
		}
		live++;
		if (rc != 0) {
			mp->next = (i + 1) % mp->n;
			return rc < 0 ? pfring_error(ring, rc, "multi: %s",
					pfring_strerror(mp->member[i])) : 1;
		}
	}
	return live ? 0 : PF_RING_ERROR_NO_PKT_AVAILABLE;
}

static int multi_wait(pfring *ring, struct multi_priv *mp, int timeout_ms)
{
	struct epoll_event ev[MULTI_MAX];

	if (mp->unpollable)
		return 1;
	return epoll_wait(mp->epfd, ev, MULTI_MAX, timeout_ms);
}

static int multi_recv(pfring *ring, u_char **buffer, u_int buffer_len,
		      struct pfring_pkthdr *hdr, u_int8_t wait)
{
	struct multi_priv *mp = ring->priv;
	int rc, slice;

	for (;;) {
		rc = recv_pass(ring, mp, buffer, buffer_len, hdr);
		if (rc != 0 || !wait)
			return rc;
		if (atomic_load(&ring->breakloop) ||
		    atomic_load(&ring->is_shutdown))
			return 0;
		/* Short slices keep pfring_breakloop() prompt. */
		slice = ring->cfg.poll_duration < 100 ? ring->cfg.poll_duration
						      : 100;
		if (multi_wait(ring, mp, slice) < 0)
			return pfring_error(ring, PF_RING_ERROR_GENERIC,
					    "multi: epoll_wait failed");
	}
}

static int multi_poll(pfring *ring, u_int timeout_ms)
{
	return multi_wait(ring, ring->priv, (int)timeout_ms);
}

static int multi_send(pfring *ring, const u_char *pkt, u_int len, u_int8_t flush,
		      int ifindex)
{
	struct multi_priv *mp = ring->priv;
	int i, id;

	for (i = 0; ifindex > 0 && i < mp->n; i++)
		if (pfring_get_bound_device_id(mp->member[i], &id) == 0 &&
		    id == ifindex)
			return pfring_send(mp->member[i], (u_char *)pkt, len,
					   flush);
	return pfring_send_ifindex(mp->member[0], (u_char *)pkt, len, flush,
				   ifindex);
}

static int multi_stats(pfring *ring, pfring_stat *st)
{
	struct multi_priv *mp = ring->priv;
	pfring_stat s;
	int i, rc;

	for (i = 0; i < mp->n; i++) {
		rc = pfring_stats(mp->member[i], &s);
		if (rc < 0)
			return rc;
		st->recv += s.recv;
		st->drop += s.drop;
	}
	return 0;
}

static int each_member(pfring *ring, int (*fn)(pfring *))
{
	struct multi_priv *mp = ring->priv;
	int i, rc;

	for (i = 0; i < mp->n; i++) {
		rc = fn(mp->member[i]);
		if (rc < 0)
			return pfring_error(ring, rc, "multi: %s",
					    pfring_strerror(mp->member[i]));
	}
	return 0;
}

static int multi_enable(pfring *ring)
{
	return each_member(ring, pfring_enable_ring);
}

static int multi_disable(pfring *ring)
{
	return each_member(ring, pfring_disable_ring);
}

static void multi_shutdown(pfring *ring)
{
	struct multi_priv *mp = ring->priv;
	int i;

	for (i = 0; i < mp->n; i++)
		pfring_shutdown(mp->member[i]);
}

/* Settings: the handle's cfg is copied to the member, then applied there. */

static int copy_bpf(pfring *m, const struct pfring_config *c)
{
	size_t sz = c->bpf.bf_len * sizeof(*c->bpf.bf_insns);
	struct bpf_insn *insns = c->bpf_set ? malloc(sz) : NULL;

	if (c->bpf_set && insns == NULL)
		return PF_RING_ERROR_NOT_ENOUGH_MEMORY;
	if (m->cfg.bpf_set)
		pcap_freecode(&m->cfg.bpf);
	memset(&m->cfg.bpf, 0, sizeof(m->cfg.bpf));
	m->cfg.bpf_set = c->bpf_set;
	if (c->bpf_set) {
		memcpy(insns, c->bpf.bf_insns, sz);
		m->cfg.bpf.bf_insns = insns;
		m->cfg.bpf.bf_len = c->bpf.bf_len;
	}
	return 0;
}

static int copy_setting(pfring *m, const pfring *ring, enum pfring_setting what,
			const void *arg)
{
	const struct pfring_config *c = &ring->cfg;

	switch (what) {
	case PFRING_SET_WC_RULES:
		memcpy(m->cfg.rules.wc.rules, c->rules.wc.rules,
		       c->rules.wc.count * sizeof(*c->rules.wc.rules));
		m->cfg.rules.wc.count = c->rules.wc.count;
		return 0;
	case PFRING_SET_HASH_ADD:
		return pfring_hrule_insert(m, arg);
	case PFRING_SET_HASH_DEL:
		return 0; /* removed after the member applied it */
	case PFRING_SET_BPF:
		return copy_bpf(m, c);
	case PFRING_SET_POLICY:
		m->cfg.rules.default_accept = c->rules.default_accept;
		return 0;
	case PFRING_SET_SAMPLING:
		m->sw_sample_seen = 0;
		break;
	default:
		break;
	}
	/* Scalar settings: everything but the rules and the BPF program. */
	m->cfg.direction = c->direction;
	m->cfg.mode = c->mode;
	m->cfg.sampling_rate = c->sampling_rate;
	m->cfg.poll_watermark = c->poll_watermark;
	m->cfg.poll_duration = c->poll_duration;
	m->cfg.channel_id = c->channel_id;
	memcpy(m->cfg.appname, c->appname, sizeof(c->appname));
	return 0;
}

static int multi_apply(pfring *ring, enum pfring_setting what, const void *arg)
{
	struct multi_priv *mp = ring->priv;
	int i, rc;

	for (i = 0; i < mp->n; i++) {
		rc = copy_setting(mp->member[i], ring, what, arg);
		if (rc == 0)
			rc = pfring_apply(mp->member[i], what, arg);
		if (rc == 0 && what == PFRING_SET_HASH_DEL)
			pfr_htable_remove(&mp->member[i]->cfg.rules.ht, arg);
		if (rc < 0)
			return pfring_error(ring, rc, "multi: %s",
					    pfring_strerror(mp->member[i]));
	}
	return 0;
}

/* A rule's statistics over the whole handle: matches add up, the
 * inactivity is the shortest among the members. */
static void merge_stats(hash_filtering_rule_stats *sum,
			const hash_filtering_rule_stats *s, int first)
{
	sum->match = (first ? 0 : sum->match) + s->match;
	sum->filtered = (first ? 0 : sum->filtered) + s->filtered;
	if (first || s->inactivity < sum->inactivity)
		sum->inactivity = s->inactivity;
}

static int multi_wc_stats(pfring *ring, u_int16_t rule_id,
			  hash_filtering_rule_stats *st)
{
	struct multi_priv *mp = ring->priv;
	hash_filtering_rule_stats s;
	int i, rc;

	for (i = 0; i < mp->n; i++) {
		rc = pfring_wc_stats(mp->member[i], rule_id, &s);
		if (rc < 0)
			return rc;
		merge_stats(st, &s, i == 0);
	}
	return 0;
}

static int multi_hash_stats(pfring *ring, const struct pfr_hrule_key *key,
			    hash_filtering_rule_stats *st)
{
	struct multi_priv *mp = ring->priv;
	hash_filtering_rule_stats s;
	int i, rc;

	for (i = 0; i < mp->n; i++) {
		rc = pfring_hash_stats(mp->member[i], key, &s);
		if (rc < 0)
			return rc;
		merge_stats(st, &s, i == 0);
	}
	return 0;
}

/* A rule is idle when it is idle on every member. */
static int purge_wc(pfring *ring, u_int16_t sec)
{
	struct pfr_wc_list *l = &ring->cfg.rules.wc;
	hash_filtering_rule_stats st;
	int purged = 0;
	pfr_u32 i = 0;

	while (i < l->count) {
		struct pfr_wc_rule *r = &l->rules[i];

		if (!r->locked && multi_wc_stats(ring, r->rule_id, &st) == 0 &&
		    st.inactivity >= sec) {
			pfr_wc_remove(l, r->rule_id);
			purged++;
			continue;
		}
		i++;
	}
	if (purged && multi_apply(ring, PFRING_SET_WC_RULES, NULL) < 0)
		return PF_RING_ERROR_GENERIC;
	return purged;
}

static int purge_hash(pfring *ring, u_int16_t sec)
{
	struct pfr_htable *t = &ring->cfg.rules.ht;
	hash_filtering_rule_stats st;
	struct pfr_hrule_key key;
	int purged = 0, rc;
	pfr_u32 i;

	for (i = 0; i < t->capacity; i++) {
		if (!t->rules[i].in_use ||
		    multi_hash_stats(ring, &t->rules[i].key, &st) < 0 ||
		    st.inactivity < sec)
			continue;
		key = t->rules[i].key;
		rc = multi_apply(ring, PFRING_SET_HASH_DEL, &key);
		if (rc < 0)
			return rc;
		pfr_htable_remove(t, &key);
		purged++;
	}
	return purged;
}

static int multi_purge_idle(pfring *ring, u_int16_t sec, int hash)
{
	return hash ? purge_hash(ring, sec) : purge_wc(ring, sec);
}

static int multi_selectable_fd(pfring *ring)
{
	struct multi_priv *mp = ring->priv;

	return mp->epfd;
}

static u_int32_t multi_num_queued(pfring *ring)
{
	struct multi_priv *mp = ring->priv;
	u_int32_t n = 0;
	int i;

	for (i = 0; i < mp->n; i++)
		n += pfring_get_num_queued_pkts(mp->member[i]);
	return n;
}

const struct pfring_module_ops pfring_mod_multi = {
	.name = "multi",
	.open = multi_open,
	.close = multi_close,
	.recv = multi_recv,
	.poll = multi_poll,
	.send = multi_send,
	.stats = multi_stats,
	.enable = multi_enable,
	.disable = multi_disable,
	.apply = multi_apply,
	.wc_rule_stats = multi_wc_stats,
	.hash_rule_stats = multi_hash_stats,
	.purge_idle = multi_purge_idle,
	.get_selectable_fd = multi_selectable_fd,
	.num_queued = multi_num_queued,
	.shutdown = multi_shutdown,
};
