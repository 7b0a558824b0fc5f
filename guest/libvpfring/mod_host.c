// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The "host:" module: in a guest, "host:eth0" or "host:eth0@2" is the
 * host's interface, captured by the host kernel into a ring that is mapped
 * straight into this process (vPF_RING, include/uapi/vpfring.h).
 *
 * One handle is one vNPlug session. Every call the host must carry out
 * travels as one control message to vnplugd's vPF_RING back-end, which
 * makes the same libpfring call on the host. The ring is mapped when
 * capture is first enabled and read here with the readers the host's own
 * modules use (libpfring/ring_read.h), so a packet is never copied on its
 * way from the host kernel to the application when buffer_len is 0.
 *
 * Waiting: an empty ring is first polled for a while (20 us to 4 ms: the
 * spin grows to cover the gaps the host's wake-ups showed, and shrinks on
 * a quiet link, see spin_adapt()); then the reader says it is waiting in the control page,
 * looks once more, rings the doorbell and sleeps until the
 * device's interrupt, which the host raises when the ring is readable by
 * the host kernel's rules (the poll watermark; a retired TPACKET_V3 block),
 * or until the poll duration passes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../../include/uapi/vnplug.h"
#include "../../libpfring/pfring_priv.h"
#include "../../libpfring/ring_read.h"
#include "vnplug_guest.h"
#include "vpfring_wire.h"

/* Milliseconds a request may take; enabling waits for a PCI hotplug. */
#define CALL_TIMEOUT_MS 15000
#define ENABLE_TIMEOUT_MS 60000
/* Adaptive spin before sleeping, in nanoseconds. */
#define SPIN_MIN_NS 20000ull	/* 20 us */
#define SPIN_MAX_NS 4000000ull	/* 4 ms */

struct host_priv {
	struct vnplug_session *s;
	struct vnplug_region *rg;	/* NULL until first enabled */
	struct vnplug_ctrl_page *ctrl;
	struct vpfring_ring desc;	/* the mapped ring */
	u_int32_t format;		/* VPFRING_FORMAT_* */
	u_int32_t num_rx_channels;
	struct pfr_tpv3 tp;
	struct pfr_slots sl;
	int wake_fd;			/* breakloop/shutdown */
	u_int64_t spin_ns;		/* how long to spin before sleeping */
	u_int64_t doorbells;		/* sleeps announced to the host */
};

static struct host_priv *priv_of(pfring *ring)
{
	return ring->priv;
}

static int sys_error(pfring *ring, int err, const char *what)
{
	return pfring_error(ring, PF_RING_ERROR_GENERIC, "host:%s: %s: %s",
			    ring->device, what, strerror(err));
}

/*
 * One request and its reply. A reply that refuses carries the host's
 * error text; a refusal by vNPlug itself, or no reply, is reported as the
 * transport's error.
 */
static int call_for(pfring *ring, u_int32_t op, const void *req, size_t len,
		    void *reply, size_t reply_len, size_t *got, int timeout_ms)
{
	struct host_priv *hp = priv_of(ring);
	char buf[VNPLUG_MSG_MAX + 1];
	const char *verr;
	size_t n = 0;
	int rc;

	if (got)
		*got = 0;
	rc = vnplug_call(hp->s, VNPLUG_APP_VPFRING, op, req, len, buf,
			 sizeof(buf) - 1, &n, timeout_ms);
	if (rc == 0) {
		if (n > reply_len)
			return pfring_error(ring, PF_RING_ERROR_GENERIC,
					    "host:%s: reply to request %u has "
					    "%zu bytes, at most %zu expected",
					    ring->device, op, n, reply_len);
		if (n)
			memcpy(reply, buf, n);
		if (got)
			*got = n;
		return 0;
	}
	verr = vnplug_session_error(hp->s);
	if (verr)
		return pfring_error(ring, PF_RING_ERROR_GENERIC,
				    "host:%s: vNPlug refused the request: %s",
				    ring->device, verr);
	if (n > 0 && rc >= PF_RING_ERROR_INVALID_STATUS && rc < 0) {
		buf[n < sizeof(buf) - 1 ? n : sizeof(buf) - 1] = '\0';
		return pfring_error(ring, rc, "host:%s: %s", ring->device,
				    buf);
	}
	if (rc == -ECONNRESET || rc == -ENOTCONN)
		return pfring_error(ring, PF_RING_ERROR_GENERIC,
				    "host:%s: vnplugd is gone (%s); the host "
				    "ring is closed",
				    ring->device, strerror(-rc));
	return sys_error(ring, rc < 0 ? -rc : EPROTO, "vPF_RING request");
}

static int call(pfring *ring, u_int32_t op, const void *req, size_t len,
		void *reply, size_t reply_len, size_t *got)
{
	return call_for(ring, op, req, len, reply, reply_len, got,
			CALL_TIMEOUT_MS);
}

/* A request whose reply must be exactly @reply_len bytes. */
static int call_get(pfring *ring, u_int32_t op, const void *req, size_t len,
		    void *reply, size_t reply_len)
{
	size_t got;
	int rc = call(ring, op, req, len, reply, reply_len, &got);

	if (rc == 0 && got != reply_len)
		return pfring_error(ring, PF_RING_ERROR_GENERIC,
				    "host:%s: reply to request %u has %zu "
				    "bytes, expected %zu",
				    ring->device, op, got, reply_len);
	return rc;
}

static int call_u32(pfring *ring, u_int32_t op, u_int32_t v)
{
	__u32 w = v;

	return call(ring, op, &w, sizeof(w), NULL, 0, NULL);
}

/* Mapping */

static int bad_desc(pfring *ring, const char *why)
{
	return pfring_error(ring, PF_RING_ERROR_WRONG_CONFIGURATION,
			    "host:%s: the host's ring cannot be read: %s",
			    ring->device, why);
}

static int attach_reader(pfring *ring)
{
	struct host_priv *hp = priv_of(ring);
	const struct vpfring_ring *d = &hp->desc;
	char why[PFRING_ERRBUF_SIZE - 64];
	u_int64_t blocks;
	int rc;

	if (d->size > vnplug_region_size(hp->rg))
		return bad_desc(ring, "ring larger than its region");
	if (d->format == VPFRING_FORMAT_TPACKET_V3) {
		blocks = (u_int64_t)d->block_size * d->block_nr;
		if (!d->block_size || !d->block_nr || d->block_size % 8 ||
		    blocks > d->size)
			return bad_desc(ring, "TPACKET_V3 blocks do not fit");
		pfr_tpv3_attach(&hp->tp, vnplug_region_mem(hp->rg),
				d->block_size, d->block_nr);
		return 0;
	}
	if (d->format != VPFRING_FORMAT_PFRING)
		return bad_desc(ring, "unknown ring format");
	rc = pfr_slots_attach(&hp->sl, vnplug_region_mem(hp->rg),
			      (size_t)d->size, why, sizeof(why));
	return rc < 0 ? bad_desc(ring, why) : 0;
}

/* Map the ring ENABLE's first reply described. */
static int map_ring(pfring *ring)
{
	struct host_priv *hp = priv_of(ring);
	const struct vpfring_ring *d = &hp->desc;
	int rc;

	if (d->magic != VPFRING_RING_MAGIC || d->format != hp->format)
		return bad_desc(ring, "bad ring description");
	rc = vnplug_region_map(d->region_id, ENABLE_TIMEOUT_MS, &hp->rg);
	if (rc < 0)
		return sys_error(ring, -rc, "mapping the ring device");
	hp->ctrl = vnplug_region_ctrl(hp->rg);
	rc = attach_reader(ring);
	if (rc < 0) {
		vnplug_region_unmap(hp->rg);
		hp->rg = NULL;
		hp->ctrl = NULL;
	}
	return rc;
}

/* Reading */

static int stopping(pfring *ring)
{
	return atomic_load(&ring->breakloop) || atomic_load(&ring->is_shutdown);
}

/* Packets ready to read: > 0, 0, or < 0 for a corrupt ring. */
static int64_t ready(struct host_priv *hp)
{
	if (!hp->rg)
		return 0;
	if (hp->format == VPFRING_FORMAT_TPACKET_V3)
		return pfr_tpv3_peek(&hp->tp) != NULL;
	return pfr_slots_ready(&hp->sl);
}

/* vnplugd gone (the session hung up) or the ring's device unplugged. */
static int host_gone(struct host_priv *hp)
{
	struct pollfd pfd[2] = {
	    {.fd = vnplug_session_fd(hp->s), .events = 0},
	    {.fd = hp->rg ? vnplug_region_fd(hp->rg) : -1, .events = 0}};

	return poll(pfd, 2, 0) > 0 &&
	       ((pfd[0].revents | pfd[1].revents) & (POLLHUP | POLLERR));
}

/*
 * A ring whose head makes no sense: most likely its device is gone and
 * the addresses now show a zeroed page (vnplug.ko), which says so less
 * clearly than the device does.
 */
static int corrupt(pfring *ring)
{
	struct host_priv *hp = priv_of(ring);

	if (host_gone(hp))
		return pfring_error(ring, PF_RING_ERROR_GENERIC,
				    "host:%s: vnplugd is gone, or the ring's "
				    "device was unplugged; the host ring is "
				    "closed", ring->device);
	return pfring_error(ring, PF_RING_ERROR_GENERIC,
			    "host:%s: pf_ring.ko ring: head %llu is not within "
			    "%u slots of the reader's tail %llu",
			    ring->device,
			    (unsigned long long)pfr_slots_head(&hp->sl),
			    hp->sl.num_slots, (unsigned long long)hp->sl.tail);
}

static u_int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u_int64_t)ts.tv_sec * 1000000000ull + (u_int64_t)ts.tv_nsec;
}

/* Spin on the ring for hp->spin_ns at most; 1 if packets came. */
static int spin_ring(struct host_priv *hp)
{
	u_int64_t end = now_ns() + hp->spin_ns;
	u_int32_t i;

	do {
		for (i = 0; i < 64; i++) {
			if (ready(hp) != 0)
				return 1;
			__builtin_ia32_pause();
		}
	} while (now_ns() < end);
	return 0;
}

/*
 * After a sleep of @slept ns that the host ended (@woken): a spin of that
 * length would have saved the doorbell and the interrupt, so the next
 * spin covers it with a quarter to spare, up to SPIN_MAX_NS. A sleep
 * longer than that, or one that timed out, means a quiet link: spin half
 * as long.
 */
static void spin_adapt(struct host_priv *hp, int woken, u_int64_t slept)
{
	u_int64_t want = slept + slept / 4;

	if (woken && slept <= SPIN_MAX_NS) {
		if (want > hp->spin_ns)
			hp->spin_ns = want > SPIN_MAX_NS ? SPIN_MAX_NS : want;
	} else {
		hp->spin_ns = hp->spin_ns / 2 < SPIN_MIN_NS ? SPIN_MIN_NS
							    : hp->spin_ns / 2;
	}
}

static void set_waiting(struct host_priv *hp, int on)
{
	__atomic_store_n(&hp->ctrl->guest_waiting, on ? 1u : 0u,
			 __ATOMIC_SEQ_CST);
	if (hp->format == VPFRING_FORMAT_PFRING)
		pfr_slots_set_waiting(&hp->sl, on);
}

/*
 * Wait for packets, the poll duration, or pfring_breakloop()/shutdown().
 * > 0: look again, 0: timeout or wake-up, < 0: error.
 */
static int wait_ring(pfring *ring, int timeout_ms)
{
	struct host_priv *hp = priv_of(ring);
	/* The session's descriptor reports only a hang-up: vnplugd gone. */
	struct pollfd pfd[3] = {{.fd = hp->wake_fd, .events = POLLIN},
				{.fd = -1, .events = POLLIN},
				{.fd = vnplug_session_fd(hp->s), .events = 0}};
	u_int64_t count, t0;
	int64_t n;
	int rc;

	if (hp->rg && spin_ring(hp))
		return 1;
	if (hp->rg) {
		if (hp->format == VPFRING_FORMAT_PFRING)
			pfr_slots_release(&hp->sl, 1);
		set_waiting(hp, 1);
		n = ready(hp);
		if (n != 0) {
			set_waiting(hp, 0);
			return n > 0 ? 1 : corrupt(ring);
		}
		vnplug_region_notify(hp->rg);
		hp->doorbells++;
		pfd[1].fd = vnplug_region_fd(hp->rg);
	}
	t0 = now_ns();
	rc = poll(pfd, 3, timeout_ms);
	if (hp->rg) {
		set_waiting(hp, 0);
		spin_adapt(hp, rc > 0 && pfd[1].revents, now_ns() - t0);
	}
	if (rc > 0 && (pfd[2].revents & (POLLHUP | POLLERR)) && ready(hp) == 0)
		return pfring_error(ring, PF_RING_ERROR_GENERIC,
				    "host:%s: vnplugd is gone; the host ring "
				    "is closed", ring->device);
	if (rc < 0 && errno == EINTR)
		return 0;
	if (rc < 0)
		return sys_error(ring, errno, "poll");
	if ((pfd[0].revents & POLLIN) && !atomic_load(&ring->is_shutdown) &&
	    read(hp->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return sys_error(ring, errno, "read eventfd");
	if (pfd[1].revents) {
		rc = vnplug_region_wait(hp->rg, 0);
		if (rc == -ENODEV || rc == -EPIPE)
			return pfring_error(ring, PF_RING_ERROR_GENERIC,
					    "host:%s: the ring device is gone "
					    "(%s)", ring->device,
					    rc == -ENODEV ? "unplugged"
							  : "vnplugd is gone");
		return 1;
	}
	return 0;
}

static int next_packet(pfring *ring, u_char **buffer, u_int buffer_len,
		       struct pfring_pkthdr *hdr)
{
	struct host_priv *hp = priv_of(ring);
	struct tpacket3_hdr *h;
	int64_t n;

	if (!hp->rg)
		return 0;
	if (hp->format == VPFRING_FORMAT_TPACKET_V3) {
		h = pfr_tpv3_next(&hp->tp);
		if (!h)
			return 0;
		pfr_tpv3_deliver(h, ring->caplen, buffer, buffer_len, hdr);
		return 1;
	}
	pfr_slots_release(&hp->sl, 0); /* the last recv's zero-copy buffer */
	n = pfr_slots_ready(&hp->sl);
	if (n < 0)
		return corrupt(ring);
	if (n == 0) {
		pfr_slots_release(&hp->sl, 1);
		return 0;
	}
	pfr_slots_deliver(&hp->sl, pfr_slots_at(&hp->sl, hp->sl.tail),
			  ring->caplen, buffer, buffer_len, hdr);
	hp->sl.tail++;
	if (buffer_len)
		pfr_slots_release(&hp->sl, 0);
	return 1;
}

static int host_recv(pfring *ring, u_char **buffer, u_int buffer_len,
		     struct pfring_pkthdr *hdr, u_int8_t wait)
{
	int rc;

	for (;;) {
		rc = next_packet(ring, buffer, buffer_len, hdr);
		if (rc != 0)
			return rc;
		if (!wait || stopping(ring))
			return 0;
		rc = wait_ring(ring, (int)ring->cfg.poll_duration);
		if (rc < 0)
			return rc;
	}
}

static int host_poll(pfring *ring, u_int timeout_ms)
{
	struct host_priv *hp = priv_of(ring);
	int64_t n = ready(hp);
	int rc;

	if (n != 0)
		return n > 0 ? 1 : corrupt(ring);
	rc = wait_ring(ring, (int)timeout_ms);
	if (rc < 0)
		return rc;
	n = ready(hp);
	return n >= 0 ? n > 0 : corrupt(ring);
}

static int host_next_pkt_time(pfring *ring, struct timespec *ts)
{
	struct host_priv *hp = priv_of(ring);
	const struct tpacket3_hdr *h;
	u_int64_t t;

	if (ready(hp) <= 0)
		return PF_RING_ERROR_NO_PKT_AVAILABLE;
	if (hp->format == VPFRING_FORMAT_TPACKET_V3) {
		h = pfr_tpv3_peek(&hp->tp);
		ts->tv_sec = h->tp_sec;
		ts->tv_nsec = h->tp_nsec;
		return 0;
	}
	t = pfr_slots_at(&hp->sl, hp->sl.tail)->ts_ns;
	ts->tv_sec = (time_t)(t / 1000000000ull);
	ts->tv_nsec = (long)(t % 1000000000ull);
	return 0;
}

static u_int32_t host_num_queued(pfring *ring)
{
	struct host_priv *hp = priv_of(ring);

	if (!hp->rg)
		return 0;
	if (hp->format == VPFRING_FORMAT_TPACKET_V3)
		return pfr_tpv3_queued(&hp->tp);
	return pfr_slots_queued(&hp->sl);
}

/* Settings: each becomes the same call on the host */

static int apply_wc(pfring *ring)
{
	const struct pfring_call *c = ring->call;
	struct vpfring_wc_rule w;

	if (c && c->wc_add) {
		vpfring_wc_rule_encode(c->wc_add, &w);
		return call(ring, VPFRING_OP_ADD_RULE, &w, sizeof(w), NULL, 0,
			    NULL);
	}
	if (c && c->wc_remove)
		return call_u32(ring, VPFRING_OP_REMOVE_RULE, c->wc_remove_id);
	return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
			    "host:%s: this change of the rule list cannot be "
			    "forwarded", ring->device);
}

static int apply_hash(pfring *ring, int add)
{
	struct vpfring_hash_req req;

	if (!ring->call || !ring->call->hash)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "host:%s: this hash rule change cannot be "
				    "forwarded", ring->device);
	memset(&req, 0, sizeof(req));
	vpfring_hash_rule_encode(ring->call->hash, &req.rule);
	req.add = (__u32)add;
	return call(ring, VPFRING_OP_HASH_RULE, &req, sizeof(req), NULL, 0,
		    NULL);
}

static int apply_bpf(pfring *ring)
{
	const char *f = ring->call ? ring->call->bpf : NULL;
	size_t len;

	if (!ring->call)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "host:%s: BPF change without a call",
				    ring->device);
	if (!f)
		return call(ring, VPFRING_OP_REMOVE_BPF, NULL, 0, NULL, 0, NULL);
	len = strlen(f);
	if (len > VPFRING_BPF_MAX)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "host:%s: BPF filter of %zu bytes; a host "
				    "ring takes at most %u",
				    ring->device, len, VPFRING_BPF_MAX);
	return call(ring, VPFRING_OP_SET_BPF, f, len, NULL, 0, NULL);
}

static int host_apply(pfring *ring, enum pfring_setting what, const void *arg)
{
	const struct pfring_config *c = &ring->cfg;

	switch (what) {
	case PFRING_SET_DIRECTION:
		return call_u32(ring, VPFRING_OP_SET_DIRECTION, c->direction);
	case PFRING_SET_SOCKET_MODE:
		return call_u32(ring, VPFRING_OP_SET_SOCKET_MODE, c->mode);
	case PFRING_SET_SAMPLING:
		return call_u32(ring, VPFRING_OP_SET_SAMPLING_RATE,
				c->sampling_rate);
	case PFRING_SET_WC_RULES:
		return apply_wc(ring);
	case PFRING_SET_HASH_ADD:
		return apply_hash(ring, 1);
	case PFRING_SET_HASH_DEL:
		return apply_hash(ring, 0);
	case PFRING_SET_POLICY:
		return call_u32(ring, VPFRING_OP_TOGGLE_POLICY,
				c->rules.default_accept);
	case PFRING_SET_BPF:
		return apply_bpf(ring);
	case PFRING_SET_WATERMARK:
		return call_u32(ring, VPFRING_OP_SET_POLL_WATERMARK,
				c->poll_watermark);
	case PFRING_SET_POLL_DURATION:
		return call_u32(ring, VPFRING_OP_SET_POLL_DURATION,
				c->poll_duration);
	case PFRING_SET_APPNAME:
		return call(ring, VPFRING_OP_SET_APPNAME, c->appname,
			    strnlen(c->appname, sizeof(c->appname)), NULL, 0,
			    NULL);
	case PFRING_SET_CHANNEL:
		return call_u32(ring, VPFRING_OP_SET_CHANNEL_ID,
				(u_int32_t)c->channel_id);
	case PFRING_SET_PROMISC:
		return 0; /* the open flags carried it to the host */
	}
	(void)arg;
	return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
			    "host:%s: setting %d is not forwarded to the host",
			    ring->device, (int)what);
}

static int host_set_cluster(pfring *ring, u_int id, cluster_type type)
{
	struct vpfring_cluster c = {.id = id, .type = (__u32)type};

	return call(ring, VPFRING_OP_SET_CLUSTER, &c, sizeof(c), NULL, 0, NULL);
}

static int host_remove_from_cluster(pfring *ring)
{
	return call(ring, VPFRING_OP_REMOVE_FROM_CLUSTER, NULL, 0, NULL, 0,
		    NULL);
}

static void rule_stats_out(const struct vpfring_rule_stats *w,
			   hash_filtering_rule_stats *st)
{
	st->match = w->match;
	st->filtered = w->filtered;
	st->inactivity = w->inactivity;
}

static int host_wc_rule_stats(pfring *ring, u_int16_t rule_id,
			      hash_filtering_rule_stats *st)
{
	struct vpfring_rule_stats w;
	__u32 id = rule_id;
	int rc = call_get(ring, VPFRING_OP_RULE_STATS, &id, sizeof(id), &w,
			  sizeof(w));

	if (rc == 0)
		rule_stats_out(&w, st);
	return rc;
}

static int host_hash_rule_stats(pfring *ring, const struct pfr_hrule_key *key,
				hash_filtering_rule_stats *st)
{
	struct vpfring_hash_rule req;
	struct vpfring_rule_stats w;
	int rc;

	(void)key;
	if (!ring->call || !ring->call->hash)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "host:%s: hash rule statistics without "
				    "the rule", ring->device);
	vpfring_hash_rule_encode(ring->call->hash, &req);
	rc = call_get(ring, VPFRING_OP_HASH_RULE_STATS, &req, sizeof(req), &w,
		      sizeof(w));
	if (rc == 0)
		rule_stats_out(&w, st);
	return rc;
}

static int host_purge_idle(pfring *ring, u_int16_t inactivity_sec, int hash)
{
	struct vpfring_purge p = {.idle_sec = inactivity_sec,
				  .hash = hash ? 1 : 0};
	__u32 n;
	int rc = call_get(ring, VPFRING_OP_PURGE_IDLE, &p, sizeof(p), &n,
			  sizeof(n));

	return rc < 0 ? rc : (int)n;
}

/* Enable, disable, statistics */

static int host_enable(pfring *ring)
{
	struct host_priv *hp = priv_of(ring);
	size_t got;
	int rc;

	rc = call_for(ring, VPFRING_OP_ENABLE, NULL, 0, &hp->desc,
		      sizeof(hp->desc), &got, ENABLE_TIMEOUT_MS);
	if (rc < 0 || hp->rg)
		return rc;
	if (got == 0 && ring->cfg.mode == send_only_mode)
		return 0; /* nothing to receive, nothing mapped */
	if (got != sizeof(hp->desc))
		return bad_desc(ring, "enabled without a ring description");
	return map_ring(ring);
}

static int host_disable(pfring *ring)
{
	return call(ring, VPFRING_OP_DISABLE, NULL, 0, NULL, 0, NULL);
}

static int host_stats(pfring *ring, pfring_stat *st)
{
	struct vpfring_stats w;
	int rc = call_get(ring, VPFRING_OP_STATS, NULL, 0, &w, sizeof(w));

	if (rc == 0) {
		st->recv = w.recv;
		st->drop = w.drop;
	}
	return rc;
}

/* Information */

static int host_bound_device_address(pfring *ring, u_char mac[6])
{
	return call_get(ring, VPFRING_OP_BOUND_DEVICE_ADDRESS, NULL, 0, mac, 6);
}

static int host_bound_device_id(pfring *ring, int *device_id)
{
	__s32 id;
	int rc = call_get(ring, VPFRING_OP_BOUND_DEVICE_ID, NULL, 0, &id,
			  sizeof(id));

	if (rc == 0)
		*device_id = id;
	return rc;
}

static u_int8_t host_num_rx_channels(pfring *ring)
{
	u_int32_t n = priv_of(ring)->num_rx_channels;

	return n == 0 ? 1 : n > 255 ? 255 : (u_int8_t)n;
}

static int host_mtu(pfring *ring)
{
	__s32 mtu;
	int rc = call_get(ring, VPFRING_OP_MTU, NULL, 0, &mtu, sizeof(mtu));

	return rc < 0 ? rc : mtu;
}

static int host_get_selectable_fd(pfring *ring)
{
	struct host_priv *hp = priv_of(ring);

	return hp->rg ? vnplug_region_fd(hp->rg) : hp->wake_fd;
}

static int host_send(pfring *ring, const u_char *pkt, u_int len,
		     u_int8_t flush, int ifindex)
{
	struct {
		struct vpfring_send h;
		u_char data[VPFRING_SEND_MAX];
	} m;
	int rc;

	if (ifindex >= 0)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "host:%s: a guest sends on the ring's own "
				    "interface only", ring->device);
	if (len > VPFRING_SEND_MAX)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "host:%s: %u-byte packet; at most %u",
				    ring->device, len, VPFRING_SEND_MAX);
	m.h.len = len;
	m.h.flush = flush;
	memcpy(m.data, pkt, len);
	rc = call(ring, VPFRING_OP_SEND, &m, sizeof(m.h) + len, NULL, 0, NULL);
	return rc < 0 ? rc : (int)len;
}

static void wake(pfring *ring)
{
	u_int64_t one = 1;

	if (write(priv_of(ring)->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is full: a wake-up is pending anyway. */
	}
}

/* Open, close */

static void host_close(pfring *ring)
{
	struct host_priv *hp = priv_of(ring);

	if (!hp)
		return;
	/* Unmap first: the session's end makes the host unplug the ring. */
	vnplug_region_unmap(hp->rg);
	vnplug_session_close(hp->s);
	if (hp->wake_fd >= 0)
		close(hp->wake_fd);
	free(hp);
	ring->priv = NULL;
}

static int session_error(pfring *ring, int err)
{
	const char *sock = getenv("VNPLUG_SOCKET");
	const char *hint;

	/* Without a VM: the socket transport plays QEMU and vnplug.ko. */
	if (sock && *sock)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "host:%s: no vPF_RING session through "
				    "VNPLUG_SOCKET=%s: %s", ring->device, sock,
				    err == ENOENT ? "no such socket (is vnplugd "
				    "running, with this VM configured?)"
				    : strerror(err));
	switch (err) {
	case ENOENT:
		hint = "vnplug.ko is not loaded (modprobe vnplug), or this is "
		       "not a vPF_RING guest";
		break;
	case ENODEV:
		hint = "no vnplug-ctrl device: QEMU needs -device vnplug-ctrl";
		break;
	case ENOTCONN:
	case ECONNREFUSED:
		hint = "vnplugd is not connected to this VM";
		break;
	default:
		hint = strerror(err);
	}
	return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
			    "host:%s: no vPF_RING session: %s", ring->device,
			    hint);
}

static int host_open(pfring *ring)
{
	struct host_priv *hp;
	struct vpfring_open req;
	struct vpfring_opened rep;
	size_t len = strlen(ring->device);
	int rc;

	if (len == 0 || len >= sizeof(req.device))
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "host:%s: a host interface name has 1 to "
				    "%zu characters",
				    ring->device, sizeof(req.device) - 1);
	hp = calloc(1, sizeof(*hp));
	if (!hp)
		return pfring_error(ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
				    "out of memory");
	ring->priv = hp;
	hp->spin_ns = SPIN_MIN_NS;
	hp->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (hp->wake_fd < 0) {
		rc = sys_error(ring, errno, "eventfd");
		goto fail;
	}
	rc = vnplug_session_open(&hp->s);
	if (rc < 0) {
		rc = session_error(ring, -rc);
		goto fail;
	}
	memset(&req, 0, sizeof(req));
	req.version = VPFRING_PROTO_VERSION;
	req.caplen = ring->caplen;
	req.flags = ring->flags;
	memcpy(req.device, ring->device, len);
	rc = call_get(ring, VPFRING_OP_OPEN, &req, sizeof(req), &rep,
		      sizeof(rep));
	if (rc < 0)
		goto fail;
	if (rep.format != VPFRING_FORMAT_TPACKET_V3 &&
	    rep.format != VPFRING_FORMAT_PFRING) {
		rc = bad_desc(ring, "unknown ring format");
		goto fail;
	}
	hp->format = rep.format;
	hp->num_rx_channels = rep.num_rx_channels;
	ring->ring_id = rep.ring_id;
	return 0;
fail:
	host_close(ring);
	return rc;
}

const struct pfring_module_ops pfring_mod_host = {
    .name = "host",
    .open = host_open,
    .close = host_close,
    .recv = host_recv,
    .poll = host_poll,
    .send = host_send,
    .stats = host_stats,
    .enable = host_enable,
    .disable = host_disable,
    .apply = host_apply,
    .set_cluster = host_set_cluster,
    .remove_from_cluster = host_remove_from_cluster,
    .wc_rule_stats = host_wc_rule_stats,
    .hash_rule_stats = host_hash_rule_stats,
    .purge_idle = host_purge_idle,
    .get_selectable_fd = host_get_selectable_fd,
    .next_pkt_time = host_next_pkt_time,
    .bound_device_address = host_bound_device_address,
    .bound_device_id = host_bound_device_id,
    .num_rx_channels = host_num_rx_channels,
    .num_queued = host_num_queued,
    .mtu = host_mtu,
    .shutdown = wake,
    .wakeup = wake,
};
