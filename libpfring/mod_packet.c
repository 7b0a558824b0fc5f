/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AF_PACKET back-end: a TPACKET_V3 receive ring mapped into the
 * process, sendto() for transmission, and every filter pushed into the
 * kernel: classic BPF on the socket, or libpfring's eBPF filter (ebpf.c,
 * bpf/filter.bpf.c) once rules, a drop policy, sampling, a direction or a
 * queue are in use. Semantics: docs/filtering.md.
 *
 * Enabling and disabling: a packet socket opened with protocol 0 receives
 * nothing until it is bound with ETH_P_ALL (pfring_enable_ring). It cannot
 * be unhooked again: bind() with protocol 0 keeps the current protocol
 * (net/packet/af_packet.c, packet_bind), and a fanout member cannot be
 * rebound at all. So a disabled ring keeps its hook and has a filter that
 * drops everything; packets already in the ring stay readable. A
 * send-only ring has no RX ring and is never hooked.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pfring_ebpf.h"
#include "pfring_priv.h"
#include "ring_read.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Ring geometry, see ring_geometry(). */
#define RING_MIN_BLOCKS 4u
#define RING_MAX_BLOCK	(16u << 20)
/* Hash rules the kernel map holds (allocated as they come). */
#define EBPF_MAX_HASH_RULES 262144

/* What is attached to the socket. */
enum filter_kind {
	FILTER_DROP,	/* disabled, or send-only: nothing enters the ring */
	FILTER_SNAP,	/* no filter: classic "return caplen" */
	FILTER_CLASSIC, /* the BPF string's classic program */
	FILTER_EBPF,	/* the eBPF rules filter */
	FILTER_CHAIN,	/* the BPF string translated, then the rules filter */
};

struct pkt_priv {
	int fd;
	int wake_fd; /* eventfd: pfring_shutdown() wakes recv */
	int ifindex; /* 0: "any" */
	char ifname[IF_NAMESIZE];
	int hooked; /* bound with ETH_P_ALL */
	int enabled;
	int promisc; /* PACKET_MR_PROMISC added */
	/* The RX ring; map is NULL in send-only mode. */
	u_int8_t *map;
	size_t map_len;
	struct tpacket_req3 req;
	struct pfr_tpv3 rd; /* the reader (ring_read.h) */
	/* PACKET_STATISTICS resets on each read: totals so far. */
	u_int64_t st_packets, st_drops;
	u_int64_t swallowed; /* delivered to reflect, kept from the app */
	/* Filters */
	struct pfr_ebpf *ebpf; /* loaded on first need, kept */
	int chain_fd;	       /* translated BPF string, -1 */
	int attached_prog;     /* eBPF program on the socket, -1 */
	u_int32_t attached_ret; /* with no program: the one-instruction classic
				  filter's return value, or -1 for another */
	int reflect_rules;     /* some rule reflects or bounces */
	u_int32_t hash_transmit; /* hash rules that reflect or bounce */
	/* Cluster */
	int cluster_set;
	int cluster_joined;
	u_int cluster_id;
	cluster_type cluster_type;
};

static struct pkt_priv *priv_of(pfring *ring)
{
	return ring->priv;
}

static int sys_error(pfring *ring, const char *what)
{
	int code = errno == ENOMEM ? PF_RING_ERROR_NOT_ENOUGH_MEMORY
				   : PF_RING_ERROR_GENERIC;

	return pfring_error(ring, code, "%s: %s", what, strerror(errno));
}

/* Ring geometry */

/*
 * TPACKET_V3 wakes the reader only when the kernel retires a block: when
 * it is full, or tp_retire_blk_tov ms after it was opened. The poll
 * watermark (packets) thus becomes a block size: watermark times the room
 * one packet of caplen bytes takes in a block (tpacket3 header,
 * sockaddr_ll, MAC alignment), rounded up to a page. Smaller packets fill
 * a block later than the watermark says; the retire timeout, the poll
 * duration, bounds that wait. It is an approximation: the kernel counts
 * bytes, not packets. A block is at most RING_MAX_BLOCK; the ring has at
 * least RING_MIN_BLOCKS blocks and PFRING_RING_MIN_BYTES bytes, so a large
 * caplen gets a larger ring.
 */
static void ring_geometry(pfring *ring, struct tpacket_req3 *req)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t slot =
	    TPACKET_ALIGN(TPACKET_ALIGN(TPACKET3_HDRLEN + 16) + ring->caplen);
	size_t hdr = TPACKET_ALIGN(sizeof(struct tpacket_block_desc));
	size_t bs = hdr + (size_t)ring->cfg.poll_watermark * slot;
	size_t nr;

	bs = (bs + page - 1) / page * page;
	if (bs > RING_MAX_BLOCK)
		bs = RING_MAX_BLOCK;
	nr = (PFRING_RING_MIN_BYTES + bs - 1) / bs;
	if (nr < RING_MIN_BLOCKS)
		nr = RING_MIN_BLOCKS;
	if (slot > bs)
		slot = bs;
	memset(req, 0, sizeof(*req));
	req->tp_block_size = (unsigned int)bs;
	req->tp_block_nr = (unsigned int)nr;
	req->tp_frame_size = (unsigned int)slot;
	req->tp_frame_nr = (unsigned int)((bs / slot) * nr);
	req->tp_retire_blk_tov =
	    ring->cfg.poll_duration ? ring->cfg.poll_duration : 1;
}

static int ring_map(pfring *ring, const struct tpacket_req3 *req)
{
	struct pkt_priv *pp = priv_of(ring);
	int rc;

	rc = setsockopt(pp->fd, SOL_PACKET, PACKET_RX_RING, req, sizeof(*req));
	if (rc < 0)
		return sys_error(ring, "PACKET_RX_RING");
	pp->req = *req;
	pp->map_len = (size_t)req->tp_block_size * req->tp_block_nr;
	pp->map = mmap(NULL, pp->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       pp->fd, 0);
	if (pp->map == MAP_FAILED) {
		pp->map = NULL;
		return sys_error(ring, "mapping the packet ring");
	}
	pfr_tpv3_attach(&pp->rd, pp->map, req->tp_block_size, req->tp_block_nr);
	return 0;
}

static int ring_create(pfring *ring)
{
	struct tpacket_req3 req;

	ring_geometry(ring, &req);
	return ring_map(ring, &req);
}

/* Unmap and free the ring (a zero-block request frees it). */
static void ring_destroy(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	struct tpacket_req3 none;

	if (!pp->map)
		return;
	munmap(pp->map, pp->map_len);
	pp->map = NULL;
	pp->rd.map = NULL;
	memset(&none, 0, sizeof(none));
	setsockopt(pp->fd, SOL_PACKET, PACKET_RX_RING, &none, sizeof(none));
}

/*
 * A new watermark or poll duration needs a new ring. This works while the
 * ring is enabled: PACKET_RX_RING unhooks the socket while it swaps the
 * ring and hooks it again (packet_set_ring), so no unbind is needed (nor
 * possible, see the top of this file). Packets still in the old ring are
 * lost. If the new ring cannot be had, the old geometry comes back.
 */
static int ring_rebuild(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	struct tpacket_req3 old = pp->req;
	int rc;

	if (!pp->map)
		return 0;
	ring_destroy(ring);
	rc = ring_create(ring);
	if (rc < 0)
		ring_map(ring, &old);
	return rc;
}

static int sock_bind(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = pp->ifindex};

	if (bind(pp->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return sys_error(ring, "binding the packet socket");
	pp->hooked = 1;
	return 0;
}

/* Receiving rings are hooked once enabled; send-only ones never need it. */
static int sock_hook(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);

	if (pp->hooked || !pp->enabled || ring->cfg.mode == send_only_mode)
		return 0;
	return sock_bind(ring);
}

/* Reading the ring */

/* Wait for the socket or a shutdown; > 0 ready, 0 timeout, < 0 error. */
static int wait_ring(pfring *ring, int timeout_ms)
{
	struct pkt_priv *pp = priv_of(ring);
	struct pollfd pfd[2] = {
	    {.fd = pp->fd, .events = POLLIN},
	    {.fd = pp->wake_fd, .events = POLLIN},
	};
	u_int64_t count;
	int rc = poll(pfd, 2, timeout_ms);

	if (rc < 0 && errno == EINTR)
		return 0;
	if (rc < 0)
		return sys_error(ring, "poll");
	/* A wake-up from pfring_breakloop() is used up here; one from
	 * pfring_shutdown() stays, so every later wait returns at once. */
	if ((pfd[1].revents & POLLIN) && !atomic_load(&ring->is_shutdown) &&
	    read(pp->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return sys_error(ring, "read eventfd");
	return pfd[0].revents & POLLIN ? rc : 0;
}

static int stopping(pfring *ring)
{
	return atomic_load(&ring->breakloop) || atomic_load(&ring->is_shutdown);
}

/* Reflect and bounce rules (the library's part, docs/filtering.md) */

static u_int8_t note_action(struct pfr_verdict *v, u_int8_t action,
			    int32_t reflect_ifindex)
{
	u_int8_t f = pfr_action_flags(action);

	if (f & PFR_ACTF_REFLECT) {
		v->reflect = 1;
		v->reflect_ifindex = reflect_ifindex;
	}
	if (f & PFR_ACTF_BOUNCE)
		v->bounce = 1;
	if (f & PFR_ACTF_STOP)
		v->forward = !!(f & PFR_ACTF_FORWARD);
	return f;
}

/*
 * The rules' verdict on a packet the filter delivered, decided as
 * pfr_ruleset_eval() does but without counting (the filter counted) and
 * with the hash rules the kernel holds (add-rule actions put some there).
 */
static void reeval(pfring *ring, const struct pfr_pkt_info *info,
		   const u_char *pkt, u_int caplen, struct pfr_verdict *v)
{
	const struct pfr_wc_list *l = &ring->cfg.rules.wc;
	struct pfr_hrule_key k;
	struct pfr_bpf_hrule h;
	u_int8_t f = 0;
	u_int32_t i;

	memset(v, 0, sizeof(*v));
	if (info->ip_version) {
		pfr_hrule_key_from_pkt(&k, info);
		if (pfr_ebpf_hash_get(priv_of(ring)->ebpf, &k, &h) == 0)
			f = note_action(v, h.action, h.reflect_ifindex);
	}
	for (i = 0; i < l->count && !(f & PFR_ACTF_STOP); i++) {
		if (pfr_wc_rule_match(&l->rules[i], info, pkt, caplen))
			f = note_action(v, l->rules[i].action,
					l->rules[i].reflect_ifindex);
	}
	if (!(f & PFR_ACTF_STOP))
		v->forward = ring->cfg.rules.default_accept;
}

static void transmit(struct pkt_priv *pp, const u_char *pkt, u_int len,
		     int ifindex)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_ifindex = ifindex};

	/* Best effort, as a switch port would: a full queue drops it. */
	sendto(pp->fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&sll,
	       sizeof(sll));
}

/* The filter skipped sampling for it; count it in the same sequence. */
static int sample_keep(pfring *ring)
{
	u_int64_t *n = pfr_ebpf_sample_counter(priv_of(ring)->ebpf), seen;

	if (ring->cfg.sampling_rate <= 1)
		return 1;
	seen = __atomic_fetch_add(n, 1, __ATOMIC_RELAXED);
	return seen % ring->cfg.sampling_rate == 0;
}

/*
 * The filter delivers every packet a reflect or bounce rule matched, whole.
 * Transmit it as the rules say; returns 1 if the application gets it too.
 */
static int reflect_and_keep(pfring *ring, const struct tpacket3_hdr *h)
{
	struct pkt_priv *pp = priv_of(ring);
	const u_char *pkt = (const u_char *)h + h->tp_mac;
	struct pfr_pkt_info info;
	struct pfr_verdict v;

	pfr_parse(pkt, h->tp_snaplen, PFR_LEVEL_PAYLOAD, &info);
	if (h->tp_status & TP_STATUS_VLAN_VALID)
		info.vlan_id = h->hv1.tp_vlan_tci & 0x0fff;
	reeval(ring, &info, pkt, h->tp_snaplen, &v);
	if (!v.reflect && !v.bounce)
		return 1; /* delivered for its own verdict, sampled already */
	if (v.reflect)
		transmit(pp, pkt, h->tp_snaplen, v.reflect_ifindex);
	if (v.bounce)
		transmit(pp, pkt, h->tp_snaplen, pfr_tpv3_sll(h)->sll_ifindex);
	if (v.forward && sample_keep(ring))
		return 1;
	pp->swallowed++;
	return 0;
}

static int pkt_recv(pfring *ring, u_char **buffer, u_int buffer_len,
		    struct pfring_pkthdr *hdr, u_int8_t wait)
{
	struct pkt_priv *pp = priv_of(ring);
	struct tpacket3_hdr *h;
	int rc;

	for (;;) {
		h = pfr_tpv3_next(&pp->rd);
		if (h && pp->reflect_rules && !reflect_and_keep(ring, h))
			continue;
		if (h) {
			pfr_tpv3_deliver(h, ring->caplen, buffer, buffer_len, hdr);
			return 1;
		}
		if (!wait || stopping(ring))
			return 0;
		rc = wait_ring(ring, (int)ring->cfg.poll_duration);
		if (rc < 0)
			return rc;
	}
}

static int pkt_poll(pfring *ring, u_int timeout_ms)
{
	struct pkt_priv *pp = priv_of(ring);
	int rc;

	if (pfr_tpv3_peek(&pp->rd))
		return 1;
	rc = wait_ring(ring, (int)timeout_ms);
	if (rc <= 0)
		return rc;
	return pfr_tpv3_peek(&pp->rd) ? 1 : 0;
}

static int pkt_next_pkt_time(pfring *ring, struct timespec *ts)
{
	struct tpacket3_hdr *h = pfr_tpv3_peek(&priv_of(ring)->rd);

	if (!h)
		return PF_RING_ERROR_NO_PKT_AVAILABLE;
	ts->tv_sec = h->tp_sec;
	ts->tv_nsec = h->tp_nsec;
	return 0;
}

static u_int32_t pkt_num_queued(pfring *ring)
{
	return pfr_tpv3_queued(&priv_of(ring)->rd);
}

/* Statistics */

static void read_kernel_stats(struct pkt_priv *pp)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (getsockopt(pp->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return;
	pp->st_packets += st.tp_packets; /* drops included */
	pp->st_drops += st.tp_drops;
}

static int pkt_stats(pfring *ring, pfring_stat *st)
{
	struct pkt_priv *pp = priv_of(ring);
	u_int64_t recv;

	read_kernel_stats(pp);
	recv = pp->st_packets - pp->st_drops;
	st->recv = recv > pp->swallowed ? recv - pp->swallowed : 0;
	st->drop = pp->st_drops;
	return 0;
}

/* Filters */

static int rules_need_ebpf(pfring *ring)
{
	const struct pfring_config *c = &ring->cfg;
	struct pfr_hrule_key k;

	if (c->rules.wc.count || c->rules.ht.count || !c->rules.default_accept)
		return 1;
	/* Hash rules that add-rule actions installed in the kernel. */
	return priv_of(ring)->ebpf &&
	       pfr_ebpf_hash_next(priv_of(ring)->ebpf, NULL, &k) == 0;
}

static int needs_ebpf(pfring *ring)
{
	const struct pfring_config *c = &ring->cfg;

	return c->sampling_rate > 1 || c->direction != rx_and_tx_direction ||
	       c->channel_id >= 0 || rules_need_ebpf(ring);
}

static enum filter_kind wanted_filter(pfring *ring)
{
	if (!priv_of(ring)->enabled || ring->cfg.mode == send_only_mode)
		return FILTER_DROP;
	if (needs_ebpf(ring))
		return ring->cfg.bpf_set ? FILTER_CHAIN : FILTER_EBPF;
	return ring->cfg.bpf_set ? FILTER_CLASSIC : FILTER_SNAP;
}

static const u_int8_t cluster_tuple[] = {
    [cluster_per_flow] = PFR_TUPLE_6,
    [cluster_round_robin] = PFR_TUPLE_5, /* unused: PACKET_FANOUT_LB */
    [cluster_per_flow_2_tuple] = PFR_TUPLE_2,
    [cluster_per_flow_4_tuple] = PFR_TUPLE_4,
    [cluster_per_flow_5_tuple] = PFR_TUPLE_5,
    [cluster_per_flow_tcp_5_tuple] = PFR_TUPLE_TCP_5,
};

static int ebpf_push_config(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	const struct pfring_config *c = &ring->cfg;
	struct pfr_bpf_config bc = {
	    .caplen = ring->caplen,
	    .sampling_rate = c->sampling_rate ? c->sampling_rate : 1,
	    .channel = c->channel_id,
	    .direction = (__u8)c->direction,
	    .default_accept = c->rules.default_accept,
	    .fanout_tuple = cluster_tuple[pp->cluster_type],
	};

	if (pfr_ebpf_set_config(pp->ebpf, &bc) < 0)
		return pfring_error(ring, PF_RING_ERROR_GENERIC, "%s",
				    pfr_ebpf_error(pp->ebpf));
	return 0;
}

static int ebpf_push_wc_rules(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	const struct pfr_wc_list *l = &ring->cfg.rules.wc;

	if (pfr_ebpf_set_wc_rules(pp->ebpf, l->rules, l->count) < 0)
		return pfring_error(ring, PF_RING_ERROR_GENERIC, "%s",
				    pfr_ebpf_error(pp->ebpf));
	return 0;
}

static int ebpf_push_hash_rules(pfring *ring)
{
	const struct pfr_htable *t = &ring->cfg.rules.ht;
	struct pkt_priv *pp = priv_of(ring);
	u_int32_t i;

	for (i = 0; i < t->capacity; i++) {
		if (t->rules[i].in_use &&
		    pfr_ebpf_hash_add(pp->ebpf, &t->rules[i]) < 0)
			return pfring_error(ring, PF_RING_ERROR_GENERIC, "%s",
					    pfr_ebpf_error(pp->ebpf));
	}
	return 0;
}

/* Load the eBPF object on first need and give it every setting. */
static int ebpf_ensure(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	char err[PFRING_ERRBUF_SIZE];
	int rc;

	if (pp->ebpf)
		return 0;
	if (pfr_ebpf_open(&pp->ebpf, EBPF_MAX_HASH_RULES, err, sizeof(err)))
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED, "%s: %s",
				    ring->device, err);
	rc = ebpf_push_config(ring);
	if (rc == 0)
		rc = ebpf_push_wc_rules(ring);
	if (rc == 0)
		rc = ebpf_push_hash_rules(ring);
	if (rc < 0) {
		pfr_ebpf_close(pp->ebpf);
		pp->ebpf = NULL;
	}
	return rc;
}

static int attach_classic(pfring *ring, const struct sock_filter *insns,
			  unsigned int len)
{
	struct sock_fprog fp = {.len = (unsigned short)len,
				.filter = (struct sock_filter *)insns};

	if (setsockopt(priv_of(ring)->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
		       sizeof(fp)) < 0)
		return sys_error(ring, "attaching the BPF filter");
	priv_of(ring)->attached_prog = -1;
	priv_of(ring)->attached_ret = len == 1 ? insns[0].k : (u_int32_t)-1;
	return 0;
}

/*
 * "Return K" (drop with 0, or snap to caplen): every rule change on a
 * disabled ring asks for the same one again, and 100,000 hash rules should
 * not cost 100,000 attachments.
 */
static int attach_ret(pfring *ring, u_int32_t k)
{
	struct sock_filter ret = BPF_STMT(BPF_RET | BPF_K, k);
	struct pkt_priv *pp = priv_of(ring);

	if (pp->attached_prog < 0 && pp->attached_ret == k)
		return 0;
	return attach_classic(ring, &ret, 1);
}

static int set_bpf_prog(struct pkt_priv *pp, int prog_fd)
{
	return setsockopt(pp->fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd,
			  sizeof(prog_fd));
}

/*
 * The kernel charges a socket's filter to its option memory
 * (net.core.optmem_max: 20 KiB on 6.1) and charges the new filter before
 * it releases the old one; the rules filter takes some 13 KiB. So one eBPF
 * program never directly replaces another: a one-instruction "drop" comes
 * in between (a packet arriving meanwhile is dropped, never let through
 * unfiltered). An eBPF filter already attached is not attached again.
 */
static int attach_ebpf(pfring *ring, int prog_fd)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct pkt_priv *pp = priv_of(ring);
	int old = pp->attached_prog, rc;

	if (old == prog_fd)
		return 0;
	if (old >= 0) {
		rc = attach_classic(ring, &drop, 1);
		if (rc < 0)
			return rc;
	}
	if (set_bpf_prog(pp, prog_fd) < 0) {
		rc = errno == ENOMEM
			 ? pfring_error(ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
					"attaching the eBPF filter: socket "
					"option memory (sysctl "
					"net.core.optmem_max) too small")
			 : sys_error(ring, "attaching the eBPF filter");
		if (old >= 0 && set_bpf_prog(pp, old) == 0)
			pp->attached_prog = old;
		return rc;
	}
	pp->attached_prog = prog_fd;
	return 0;
}

/* The BPF string's program, translated, in front of the rules. */
static int attach_chain(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	const struct bpf_program *b = &ring->cfg.bpf;

	if (pp->chain_fd < 0) {
		pp->chain_fd = pfr_ebpf_chain_load(
		    pp->ebpf, (const struct sock_filter *)b->bf_insns,
		    b->bf_len);
		if (pp->chain_fd < 0) {
			pp->chain_fd = -1;
			return pfring_error(ring,
					    PF_RING_ERROR_INVALID_ARGUMENT,
					    "BPF filter with rules: %s",
					    pfr_ebpf_error(pp->ebpf));
		}
	}
	return attach_ebpf(ring, pp->chain_fd);
}

/* A socket holds one filter; attaching replaces the previous one. */
static int filter_attach(pfring *ring)
{
	enum filter_kind kind = wanted_filter(ring);
	int rc;

	if (kind == FILTER_EBPF || kind == FILTER_CHAIN) {
		rc = ebpf_ensure(ring);
		if (rc < 0)
			return rc;
	}
	switch (kind) {
	case FILTER_DROP:
		return attach_ret(ring, 0);
	case FILTER_SNAP:
		return attach_ret(ring, ring->caplen);
	case FILTER_CLASSIC:
		return attach_classic(
		    ring, (const struct sock_filter *)ring->cfg.bpf.bf_insns,
		    ring->cfg.bpf.bf_len);
	case FILTER_EBPF:
		return attach_ebpf(ring, pfr_ebpf_prog_fd(priv_of(ring)->ebpf,
							  PFR_EBPF_FILTER));
	case FILTER_CHAIN:
		return attach_chain(ring);
	}
	return 0;
}

static int transmits(u_int8_t action)
{
	return (pfr_action_flags(action) & (PFR_ACTF_REFLECT | PFR_ACTF_BOUNCE)) != 0;
}

/* Hash rules that transmit are counted as they come and go, so that this
 * stays O(wildcard rules) however many hash rules there are. */
static int any_reflect(pfring *ring)
{
	const struct pfr_wc_list *wc = &ring->cfg.rules.wc;
	u_int32_t i;

	for (i = 0; i < wc->count; i++) {
		if (transmits(wc->rules[i].action))
			return 1;
	}
	return priv_of(ring)->hash_transmit > 0;
}

/* Before a hash rule leaves cfg.rules.ht. */
static void forget_hash_rule(pfring *ring, const struct pfr_hrule_key *key)
{
	const struct pfr_hrule *r = pfr_htable_lookup(&ring->cfg.rules.ht, key);

	if (r && transmits(r->action))
		priv_of(ring)->hash_transmit--;
}

/* One helper per setting (pkt_apply's table). */

/* Direction, policy, channel: the filter's configuration. */
static int apply_config(pfring *ring, const void *arg)
{
	int rc;

	if (needs_ebpf(ring) || priv_of(ring)->ebpf) {
		rc = ebpf_ensure(ring);
		if (rc == 0)
			rc = ebpf_push_config(ring);
		if (rc < 0)
			return rc;
	}
	return filter_attach(ring);
}

static int apply_sampling(pfring *ring, const void *arg)
{
	int rc = apply_config(ring, arg);

	if (rc == 0 && priv_of(ring)->ebpf)
		pfr_ebpf_reset_sampling(priv_of(ring)->ebpf);
	return rc;
}

static int apply_wc_rules(pfring *ring, const void *arg)
{
	int rc = 0;

	if (needs_ebpf(ring) || priv_of(ring)->ebpf) {
		rc = ebpf_ensure(ring);
		if (rc == 0)
			rc = ebpf_push_wc_rules(ring);
	}
	if (rc < 0)
		return rc;
	priv_of(ring)->reflect_rules = any_reflect(ring);
	return filter_attach(ring);
}

static int apply_hash_add(pfring *ring, const void *arg)
{
	struct pkt_priv *pp = priv_of(ring);
	int rc = ebpf_ensure(ring);

	if (rc < 0)
		return rc;
	/* ebpf_ensure() pushed the whole table if it just loaded. */
	if (pfr_ebpf_hash_add(pp->ebpf, arg) < 0)
		return pfring_error(ring, PF_RING_ERROR_GENERIC, "%s",
				    pfr_ebpf_error(pp->ebpf));
	if (transmits(((const struct pfr_hrule *)arg)->action))
		pp->hash_transmit++;
	pp->reflect_rules = any_reflect(ring);
	return filter_attach(ring);
}

static int apply_hash_del(pfring *ring, const void *arg)
{
	struct pkt_priv *pp = priv_of(ring);

	if (pp->ebpf && pfr_ebpf_hash_del(pp->ebpf, arg) < 0)
		return pfring_error(ring, PF_RING_ERROR_GENERIC, "%s",
				    pfr_ebpf_error(pp->ebpf));
	forget_hash_rule(ring, arg);
	pp->reflect_rules = any_reflect(ring);
	return filter_attach(ring);
}

/* A new or removed BPF string; the old translation goes once replaced. */
static int apply_bpf(pfring *ring, const void *arg)
{
	struct pkt_priv *pp = priv_of(ring);
	int old = pp->chain_fd, rc;

	pp->chain_fd = -1;
	rc = filter_attach(ring);
	if (rc < 0) {
		if (pp->chain_fd >= 0)
			close(pp->chain_fd);
		pp->chain_fd = old;
		return rc;
	}
	if (old >= 0)
		close(old);
	return 0;
}

static int apply_geometry(pfring *ring, const void *arg)
{
	return ring_rebuild(ring);
}

/* Send-only: no ring, nothing received. */
static int apply_socket_mode(pfring *ring, const void *arg)
{
	struct pkt_priv *pp = priv_of(ring);
	int rc = 0;

	if (ring->cfg.mode == send_only_mode)
		ring_destroy(ring);
	else if (!pp->map)
		rc = ring_create(ring);
	if (rc == 0)
		rc = filter_attach(ring);
	return rc < 0 ? rc : sock_hook(ring);
}

static int set_promisc(pfring *ring, int on)
{
	struct pkt_priv *pp = priv_of(ring);
	struct packet_mreq mr = {.mr_ifindex = pp->ifindex,
				 .mr_type = PACKET_MR_PROMISC};

	if (pp->promisc == on || pp->ifindex == 0) /* "any": no one device */
		return 0;
	if (setsockopt(pp->fd, SOL_PACKET,
		       on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr,
		       sizeof(mr)) < 0)
		return sys_error(ring, "promiscuous mode");
	pp->promisc = on;
	return 0;
}

static int apply_promisc(pfring *ring, const void *arg)
{
	return set_promisc(ring, !!(ring->flags & PF_RING_PROMISC));
}

static int apply_nothing(pfring *ring, const void *arg)
{
	return 0;
}

typedef int (*apply_fn)(pfring *ring, const void *arg);

static const apply_fn apply_table[] = {
    [PFRING_SET_DIRECTION] = apply_config,
    [PFRING_SET_SOCKET_MODE] = apply_socket_mode,
    [PFRING_SET_SAMPLING] = apply_sampling,
    [PFRING_SET_WC_RULES] = apply_wc_rules,
    [PFRING_SET_HASH_ADD] = apply_hash_add,
    [PFRING_SET_HASH_DEL] = apply_hash_del,
    [PFRING_SET_POLICY] = apply_config,
    [PFRING_SET_BPF] = apply_bpf,
    [PFRING_SET_WATERMARK] = apply_geometry,
    [PFRING_SET_POLL_DURATION] = apply_geometry,
    [PFRING_SET_APPNAME] = apply_nothing,
    [PFRING_SET_CHANNEL] = apply_config,
    [PFRING_SET_PROMISC] = apply_promisc,
};

static int pkt_apply(pfring *ring, enum pfring_setting what, const void *arg)
{
	if ((size_t)what >= ARRAY_SIZE(apply_table) || !apply_table[what])
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "setting %d is not supported", (int)what);
	return apply_table[what](ring, arg);
}

/* Rule statistics and idle rules, from the kernel's maps */

static u_int32_t idle_sec(u_int64_t last_ns)
{
	struct timespec ts;
	u_int64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (u_int64_t)ts.tv_sec * 1000000000ull + (u_int64_t)ts.tv_nsec;
	return now > last_ns ? (u_int32_t)((now - last_ns) / 1000000000ull) : 0;
}

static void fill_stats(hash_filtering_rule_stats *st,
		       const struct pfr_bpf_rule_stats *k)
{
	st->match = k->matched;
	st->filtered = k->filtered;
	st->inactivity = idle_sec(k->last_match_ns);
}

static int pkt_wc_rule_stats(pfring *ring, u_int16_t rule_id,
			     hash_filtering_rule_stats *st)
{
	struct pkt_priv *pp = priv_of(ring);
	struct pfr_bpf_rule_stats k;

	if (!pp->ebpf || pfr_ebpf_wc_stats(pp->ebpf, rule_id, &k) < 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "no counters for rule %u", rule_id);
	fill_stats(st, &k);
	return 0;
}

static int pkt_hash_rule_stats(pfring *ring, const struct pfr_hrule_key *key,
			       hash_filtering_rule_stats *st)
{
	struct pkt_priv *pp = priv_of(ring);
	struct pfr_bpf_hrule h;

	if (!pp->ebpf || pfr_ebpf_hash_get(pp->ebpf, key, &h) < 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "no such hash rule");
	fill_stats(st, &h.st);
	return 0;
}

static int is_idle(u_int64_t last_ns, u_int16_t inactivity_sec)
{
	return idle_sec(last_ns) >= inactivity_sec;
}

/* Wildcard rules idle in the kernel leave both lists. */
static int purge_wc(pfring *ring, u_int16_t inactivity_sec)
{
	struct pkt_priv *pp = priv_of(ring);
	struct pfr_wc_list *l = &ring->cfg.rules.wc;
	struct pfr_bpf_rule_stats k;
	u_int32_t i = 0, removed = 0;
	int rc;

	while (i < l->count) {
		if (!l->rules[i].locked &&
		    pfr_ebpf_wc_stats(pp->ebpf, l->rules[i].rule_id, &k) == 0 &&
		    is_idle(k.last_match_ns, inactivity_sec)) {
			pfr_wc_remove(l, l->rules[i].rule_id);
			removed++;
		} else {
			i++;
		}
	}
	if (!removed)
		return 0;
	rc = apply_wc_rules(ring, NULL);
	return rc < 0 ? rc : (int)removed;
}

/* The keys of the kernel's hash rules, in a malloc'ed array. */
static int hash_keys(pfring *ring, struct pfr_hrule_key **out, size_t *n)
{
	struct pfr_hrule_key *keys = NULL, *grown, k, *prev = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	while (pfr_ebpf_hash_next(priv_of(ring)->ebpf, prev, &k) == 0) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(keys, cap * sizeof(*keys));
			if (!grown) {
				free(keys);
				return pfring_error(
				    ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
				    "listing hash rules: out of memory");
			}
			keys = grown;
		}
		keys[*n] = k;
		prev = &keys[(*n)++];
	}
	*out = keys;
	return 0;
}

/* Idle hash rules, including those add-rule actions installed. */
static int purge_hash(pfring *ring, u_int16_t inactivity_sec)
{
	struct pkt_priv *pp = priv_of(ring);
	struct pfr_hrule_key *keys;
	struct pfr_bpf_hrule h;
	size_t n, i;
	int removed = 0, rc;

	rc = hash_keys(ring, &keys, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (pfr_ebpf_hash_get(pp->ebpf, &keys[i], &h) < 0 ||
		    !is_idle(h.st.last_match_ns, inactivity_sec))
			continue;
		pfr_ebpf_hash_del(pp->ebpf, &keys[i]);
		forget_hash_rule(ring, &keys[i]);
		pfr_htable_remove(&ring->cfg.rules.ht, &keys[i]);
		removed++;
	}
	free(keys);
	if (removed) {
		pp->reflect_rules = any_reflect(ring);
		rc = filter_attach(ring);
	}
	return rc < 0 ? rc : removed;
}

/* The kernel knows when rules matched; without it, the core's counters. */
static int pkt_purge_idle(pfring *ring, u_int16_t inactivity_sec, int hash)
{
	struct pfr_ruleset *rs = &ring->cfg.rules;
	u_int32_t n;
	int rc;

	if (priv_of(ring)->ebpf)
		return hash ? purge_hash(ring, inactivity_sec)
			    : purge_wc(ring, inactivity_sec);
	if (hash)
		return (int)pfr_htable_purge(&rs->ht, pfring_now_sec(),
					     inactivity_sec);
	n = pfr_wc_purge(&rs->wc, pfring_now_sec(), inactivity_sec);
	rc = n ? apply_wc_rules(ring, NULL) : 0;
	return rc < 0 ? rc : (int)n;
}

/* The socket */

/* Protocol 0: nothing is received until sock_bind(). */
static int sock_create(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	int v = TPACKET_V3;

	pp->attached_prog = -1;
	pp->attached_ret = (u_int32_t)-1; /* a new socket has no filter */
	pp->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (pp->fd < 0)
		return pfring_error(ring, PF_RING_ERROR_GENERIC,
				    "AF_PACKET socket: %s%s", strerror(errno),
				    errno == EPERM ? " (needs CAP_NET_RAW)"
						   : "");
	if (setsockopt(pp->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0)
		return sys_error(ring, "PACKET_VERSION TPACKET_V3");
	return 0;
}

static void sock_destroy(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);

	if (pp->fd < 0)
		return;
	read_kernel_stats(pp);
	ring_destroy(ring);
	close(pp->fd);
	pp->fd = -1;
	pp->hooked = 0;
	pp->promisc = 0;
	pp->cluster_joined = 0;
}

/* A socket with every setting of the ring (not its cluster). */
static int sock_setup(pfring *ring)
{
	int rc = sock_create(ring);

	if (rc == 0 && ring->cfg.mode != send_only_mode)
		rc = ring_create(ring);
	if (rc == 0)
		rc = set_promisc(ring, !!(ring->flags & PF_RING_PROMISC));
	if (rc == 0)
		rc = filter_attach(ring);
	return rc < 0 ? rc : sock_hook(ring);
}

/*
 * AF_PACKET has no way to leave a fanout group: a member cannot unbind or
 * rebind, and the group only forgets a socket when it is closed. So
 * leaving means a new socket and ring with the same settings; the packets
 * still in the old ring are lost, its counters are kept.
 */
static int sock_reopen(pfring *ring)
{
	sock_destroy(ring);
	return sock_setup(ring);
}

/* Clusters */

static int fanout_join(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	int rr = pp->cluster_type == cluster_round_robin;
	int arg = (int)(pp->cluster_id & 0xffff) |
		  ((rr ? PACKET_FANOUT_LB : PACKET_FANOUT_EBPF) << 16);
	int prog, rc;

	rc = setsockopt(pp->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg));
	if (rc < 0)
		return pfring_error(ring, PF_RING_ERROR_GENERIC,
				    "joining cluster %u: %s (a cluster of "
				    "another type or device?)",
				    pp->cluster_id, strerror(errno));
	pp->cluster_joined = 1;
	if (rr)
		return 0;
	prog = pfr_ebpf_prog_fd(pp->ebpf, PFR_EBPF_FANOUT);
	if (setsockopt(pp->fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog,
		       sizeof(prog)) < 0)
		return sys_error(ring, "PACKET_FANOUT_DATA");
	return 0;
}

static int pkt_set_cluster(pfring *ring, u_int id, cluster_type type)
{
	struct pkt_priv *pp = priv_of(ring);
	int rc = 0;

	if (pp->cluster_joined)
		rc = sock_reopen(ring); /* leave the old cluster first */
	if (rc == 0 && type != cluster_round_robin)
		rc = ebpf_ensure(ring);
	pp->cluster_set = 1;
	pp->cluster_id = id;
	pp->cluster_type = type;
	if (rc == 0 && pp->ebpf)
		rc = ebpf_push_config(ring);
	/* A group takes bound sockets only: a disabled ring joins later. */
	if (rc == 0 && pp->hooked)
		rc = fanout_join(ring);
	if (rc < 0)
		pp->cluster_set = 0;
	return rc;
}

static int pkt_remove_from_cluster(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);

	pp->cluster_set = 0;
	return pp->cluster_joined ? sock_reopen(ring) : 0;
}

/* Enable, disable */

static int pkt_enable(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	int rc;

	pp->enabled = 1;
	rc = filter_attach(ring);
	if (rc == 0)
		rc = sock_hook(ring);
	if (rc == 0 && pp->hooked && pp->cluster_set && !pp->cluster_joined)
		rc = fanout_join(ring);
	if (rc < 0) {
		pp->enabled = 0;
		filter_attach(ring);
	}
	return rc;
}

static int pkt_disable(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	int rc;

	pp->enabled = 0;
	rc = filter_attach(ring);
	if (rc < 0)
		pp->enabled = 1;
	return rc;
}

/* Sending */

static int pkt_send(pfring *ring, const u_char *pkt, u_int len, u_int8_t flush,
		    int ifindex)
{
	struct pkt_priv *pp = priv_of(ring);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	ssize_t n;

	sll.sll_ifindex = ifindex >= 0 ? ifindex : pp->ifindex;
	if (sll.sll_ifindex == 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "sending on \"any\" needs an interface "
				    "index");
	n = sendto(pp->fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&sll,
		   sizeof(sll));
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return pfring_error(ring, PF_RING_ERROR_NO_TX_SLOT_AVAILABLE,
				    "send: %s", strerror(errno));
	return sys_error(ring, "send");
}

static int pkt_flush_tx(pfring *ring)
{
	return 0;
}

/* The device */

static int dev_ioctl(pfring *ring, unsigned long req, struct ifreq *ifr)
{
	struct pkt_priv *pp = priv_of(ring);

	if (pp->ifindex == 0)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "\"any\" is not one device");
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", pp->ifname);
	if (ioctl(pp->fd, req, ifr) < 0)
		return sys_error(ring, pp->ifname);
	return 0;
}

static int pkt_bound_device_address(pfring *ring, u_char mac[6])
{
	struct ifreq ifr;
	int rc = dev_ioctl(ring, SIOCGIFHWADDR, &ifr);

	if (rc == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return rc;
}

static int pkt_mtu(pfring *ring)
{
	struct ifreq ifr;
	int rc = dev_ioctl(ring, SIOCGIFMTU, &ifr);

	return rc < 0 ? rc : ifr.ifr_mtu;
}

static int pkt_bound_device_id(pfring *ring, int *device_id)
{
	*device_id = priv_of(ring)->ifindex;
	return 0;
}

static u_int8_t pkt_num_rx_channels(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);

	return pp->ifindex ? pfring_sysfs_rx_queues(pp->ifname) : 1;
}

static int pkt_get_selectable_fd(pfring *ring)
{
	return priv_of(ring)->fd;
}

/* Wake a recv blocked in poll(); async-signal-safe (one write). */
static void pkt_wakeup(pfring *ring)
{
	u_int64_t one = 1;

	if (write(priv_of(ring)->wake_fd, &one, sizeof(one)) < 0)
		return; /* already signalled to the maximum: awake anyway */
}

/* The core has set is_shutdown, so the eventfd is never read again and
 * every later wait returns at once. */
static void pkt_shutdown(pfring *ring)
{
	pkt_wakeup(ring);
}

/* Open and close */

/* "eth0", "eth0@2" or "any"; sets the queue as the ring's channel. */
static int parse_device(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);
	int queue, any;

	if (pfring_split_queue(ring->device, pp->ifname, sizeof(pp->ifname),
			       &queue) < 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "bad device name: %s", ring->device);
	any = strcmp(pp->ifname, "any") == 0;
	pp->ifindex = any ? 0 : pfring_ifindex(pp->ifname);
	if (pp->ifindex == 0 && !any)
		return pfring_error(ring, PF_RING_ERROR_UNKNOWN_ADAPTER,
				    "no such interface: %s", pp->ifname);
	if (queue >= 0)
		ring->cfg.channel_id = queue;
	return 0;
}

static void pkt_close(pfring *ring)
{
	struct pkt_priv *pp = priv_of(ring);

	if (!pp)
		return;
	sock_destroy(ring);
	if (pp->chain_fd >= 0)
		close(pp->chain_fd);
	pfr_ebpf_close(pp->ebpf);
	if (pp->wake_fd >= 0)
		close(pp->wake_fd);
	free(pp);
	ring->priv = NULL;
}

static int pkt_open(pfring *ring)
{
	struct pkt_priv *pp = calloc(1, sizeof(*pp));
	int rc;

	if (!pp)
		return pfring_error(ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
				    "out of memory");
	pp->fd = -1;
	pp->chain_fd = -1;
	pp->attached_prog = -1;
	pp->attached_ret = (u_int32_t)-1;
	ring->priv = pp;
	pp->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pp->wake_fd < 0) {
		rc = sys_error(ring, "eventfd");
		goto out_close;
	}
	rc = parse_device(ring);
	if (rc == 0)
		rc = sock_setup(ring);
	if (rc < 0)
		goto out_close;
	return 0;
out_close:
	pkt_close(ring);
	return rc;
}

/*
 * For vnplugd: an AF_PACKET ring can only be mapped through its socket, so
 * the socket itself is handed out (DESIGN.md: QEMU maps it and closes it).
 * While another process maps the ring, the kernel refuses to replace it
 * (packet_set_ring() with the ring mapped): a new watermark or poll
 * duration then fails rather than being lost.
 */
static int pkt_export(pfring *ring, struct pfring_ring_export *ex)
{
	struct pkt_priv *pp = priv_of(ring);

	if (!pp->map)
		return pfring_error(ring, PF_RING_ERROR_INVALID_STATUS,
				    "AF_PACKET: no receive ring (send-only)");
	memset(ex, 0, sizeof(*ex));
	ex->format = PFRING_EXPORT_TPACKET_V3;
	ex->mem_fd = pp->fd;
	ex->size = pp->map_len;
	ex->poll_fd = pp->fd;
	ex->caplen = ring->caplen;
	ex->block_size = pp->req.tp_block_size;
	ex->block_nr = pp->req.tp_block_nr;
	ex->frame_size = pp->req.tp_frame_size;
	ex->frame_nr = pp->req.tp_frame_nr;
	return 0;
}

const struct pfring_module_ops pfring_mod_packet = {
    .name = "AF_PACKET",
    .open = pkt_open,
    .close = pkt_close,
    .recv = pkt_recv,
    .poll = pkt_poll,
    .send = pkt_send,
    .flush_tx = pkt_flush_tx,
    .stats = pkt_stats,
    .enable = pkt_enable,
    .disable = pkt_disable,
    .apply = pkt_apply,
    .set_cluster = pkt_set_cluster,
    .remove_from_cluster = pkt_remove_from_cluster,
    .wc_rule_stats = pkt_wc_rule_stats,
    .hash_rule_stats = pkt_hash_rule_stats,
    .purge_idle = pkt_purge_idle,
    .get_selectable_fd = pkt_get_selectable_fd,
    .next_pkt_time = pkt_next_pkt_time,
    .bound_device_address = pkt_bound_device_address,
    .bound_device_id = pkt_bound_device_id,
    .num_rx_channels = pkt_num_rx_channels,
    .num_queued = pkt_num_queued,
    .mtu = pkt_mtu,
    .shutdown = pkt_shutdown,
    .wakeup = pkt_wakeup,
    .export_ring = pkt_export,
};
