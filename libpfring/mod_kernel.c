/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pf_ring.ko back-end: a PF_RING socket (include/uapi/pf_ring.h, the
 * contract with the kernel module), its capture ring mapped into the
 * process, and every setting pushed down as a socket option, so that all
 * filtering (rules, BPF, sampling, direction, queue, clusters) happens in
 * the kernel before a packet is copied into the ring.
 *
 * Reading the ring: the kernel fills slot (head & (num_slots - 1)) and
 * publishes head + 1 with a release store; the reader loads head with
 * acquire, reads the slots from its tail up to head and stores its tail
 * with release in the reader page. A zero-copy buffer (buffer_len == 0)
 * points into its slot, which is handed back to the kernel only at the
 * next recv. The geometry is read once from the header and validated;
 * after that nothing but head is read from the header, and a slot's
 * length is bounded by that geometry.
 *
 * Every error names the socket option that failed and errno's text, so a
 * disagreement with the kernel module shows up as one readable line.
 */
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../include/uapi/pf_ring.h"
#include "pfring_priv.h"
#include "ring_read.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(sizeof(struct pfr_ip) == 16,
	       "struct pfr_ip must be the uapi's 16-byte address");
_Static_assert(PFRING_PATTERN_LEN == PFR_PATTERN_LEN,
	       "payload pattern lengths differ");

struct kern_priv {
	int fd;
	int wake_fd; /* eventfd: pfring_breakloop()/pfring_shutdown() */
	int ifindex; /* 0: "any" */
	char ifname[IF_NAMESIZE];
	/* The mapping, and the reader of the ring in it (ring_read.h). */
	u_int8_t *map;
	size_t map_len;
	struct pfr_slots rd;
	int mmap_fd; /* SO_PFRING_MMAP_FD, for pfring_export_ring(); -1 */
};

static struct kern_priv *priv_of(pfring *ring)
{
	return ring->priv;
}

/* Errors */

static const char *const opt_names[] = {
    [SO_PFRING_VERSION] = "SO_PFRING_VERSION",
    [SO_PFRING_RING_INFO] = "SO_PFRING_RING_INFO",
    [SO_PFRING_CAPLEN] = "SO_PFRING_CAPLEN",
    [SO_PFRING_NUM_SLOTS] = "SO_PFRING_NUM_SLOTS",
    [SO_PFRING_ENABLE] = "SO_PFRING_ENABLE",
    [SO_PFRING_DIRECTION] = "SO_PFRING_DIRECTION",
    [SO_PFRING_SOCKET_MODE] = "SO_PFRING_SOCKET_MODE",
    [SO_PFRING_SAMPLING] = "SO_PFRING_SAMPLING",
    [SO_PFRING_WATERMARK] = "SO_PFRING_WATERMARK",
    [SO_PFRING_POLL_DURATION] = "SO_PFRING_POLL_DURATION",
    [SO_PFRING_PROMISC] = "SO_PFRING_PROMISC",
    [SO_PFRING_APPNAME] = "SO_PFRING_APPNAME",
    [SO_PFRING_CLUSTER] = "SO_PFRING_CLUSTER",
    [SO_PFRING_CLUSTER_REMOVE] = "SO_PFRING_CLUSTER_REMOVE",
    [SO_PFRING_WC_RULES] = "SO_PFRING_WC_RULES",
    [SO_PFRING_HASH_ADD] = "SO_PFRING_HASH_ADD",
    [SO_PFRING_HASH_DEL] = "SO_PFRING_HASH_DEL",
    [SO_PFRING_POLICY] = "SO_PFRING_POLICY",
    [SO_PFRING_PURGE_IDLE] = "SO_PFRING_PURGE_IDLE",
    [SO_PFRING_WC_STATS] = "SO_PFRING_WC_STATS",
    [SO_PFRING_HASH_STATS] = "SO_PFRING_HASH_STATS",
    [SO_PFRING_STATS] = "SO_PFRING_STATS",
    [SO_PFRING_MMAP_FD] = "SO_PFRING_MMAP_FD",
    [SO_PFRING_RING_ID] = "SO_PFRING_RING_ID",
    [SO_PFRING_BOUND_IFINDEX] = "SO_PFRING_BOUND_IFINDEX",
    [SO_PFRING_RULE_COUNTS] = "SO_PFRING_RULE_COUNTS",
};

static const char *opt_name(int opt)
{
	if (opt >= 0 && (size_t)opt < ARRAY_SIZE(opt_names) && opt_names[opt])
		return opt_names[opt];
	return "SO_PFRING_?";
}

static int errno_code(int err)
{
	switch (err) {
	case ENOMEM:
	case ENOBUFS:
		return PF_RING_ERROR_NOT_ENOUGH_MEMORY;
	case ENOPROTOOPT:
	case EOPNOTSUPP:
		return PF_RING_ERROR_NOT_SUPPORTED;
	case EINVAL:
	case ERANGE:
		return PF_RING_ERROR_INVALID_ARGUMENT;
	}
	return PF_RING_ERROR_GENERIC;
}

static int sys_error(pfring *ring, const char *what)
{
	int err = errno;

	return pfring_error(ring, errno_code(err), "pf_ring.ko: %s: %s", what,
			    strerror(err));
}

/* "pf_ring.ko: setsockopt SO_PFRING_SAMPLING (8) = 100: Invalid argument" */
static int opt_error(pfring *ring, const char *call, int opt, const char *val)
{
	int err = errno;

	return pfring_error(
	    ring, errno_code(err), "pf_ring.ko: %s %s (%d)%s%s: %s%s", call,
	    opt_name(opt), opt, val ? " = " : "", val ? val : "", strerror(err),
	    err == ENOPROTOOPT ? " (option unknown to this pf_ring.ko)" : "");
}

/* Socket options */

static int set_opt(pfring *ring, int opt, const void *val, socklen_t len,
		   const char *shown)
{
	if (setsockopt(priv_of(ring)->fd, SOL_PF_RING, opt, val, len) < 0)
		return opt_error(ring, "setsockopt", opt, shown);
	return 0;
}

static int set_u32(pfring *ring, int opt, u_int32_t v)
{
	char shown[16];
	__u32 val = v;

	snprintf(shown, sizeof(shown), "%u", v);
	return set_opt(ring, opt, &val, sizeof(val), shown);
}

/* A get whose answer must be exactly @len bytes. @buf may carry input. */
static int get_opt(pfring *ring, int opt, void *buf, socklen_t len)
{
	socklen_t got = len;

	if (getsockopt(priv_of(ring)->fd, SOL_PF_RING, opt, buf, &got) < 0)
		return opt_error(ring, "getsockopt", opt, NULL);
	if (got != len)
		return pfring_error(
		    ring, PF_RING_ERROR_GENERIC,
		    "pf_ring.ko: getsockopt %s (%d) returned %u "
		    "bytes, expected %u (include/uapi/pf_ring.h "
		    "differs between kernel and library?)",
		    opt_name(opt), opt, (unsigned)got, (unsigned)len);
	return 0;
}

/* Settings: one function per enum pfring_setting (kern_apply's table). */

/* include/uapi/pf_ring.h numbers directions and modes as pfring.h does. */
_Static_assert((int)rx_and_tx_direction == (int)PFRING_DIR_BOTH &&
		   (int)rx_only_direction == (int)PFRING_DIR_RX &&
		   (int)tx_only_direction == (int)PFRING_DIR_TX,
	       "pfring.h and pf_ring.h directions differ");
_Static_assert((int)send_and_recv_mode == (int)PFRING_MODE_SEND_RECV &&
		   (int)send_only_mode == (int)PFRING_MODE_SEND_ONLY &&
		   (int)recv_only_mode == (int)PFRING_MODE_RECV_ONLY,
	       "pfring.h and pf_ring.h socket modes differ");

static int apply_direction(pfring *ring, const void *arg)
{
	return set_u32(ring, SO_PFRING_DIRECTION, (u_int32_t)ring->cfg.direction);
}

static int apply_socket_mode(pfring *ring, const void *arg)
{
	return set_u32(ring, SO_PFRING_SOCKET_MODE, (u_int32_t)ring->cfg.mode);
}

static int apply_sampling(pfring *ring, const void *arg)
{
	u_int32_t n = ring->cfg.sampling_rate;

	return set_u32(ring, SO_PFRING_SAMPLING, n ? n : 1);
}

static void wc_to_uapi(const struct pfr_wc_rule *in, struct pfring_wc_rule *out)
{
	memset(out, 0, sizeof(*out));
	out->rule_id = in->rule_id;
	out->action = in->action;
	out->bidirectional = in->bidirectional;
	out->balance_id = in->balance_id;
	out->balance_pool = in->balance_pool;
	out->locked = in->locked;
	out->proto = in->proto;
	memcpy(out->smac, in->smac, sizeof(out->smac));
	memcpy(out->dmac, in->dmac, sizeof(out->dmac));
	out->vlan_id = in->vlan_id;
	out->ip_version = in->ip_version;
	out->pattern_len = in->pattern_len;
	memcpy(out->shost, &in->shost, sizeof(out->shost));
	memcpy(out->shost_mask, &in->shost_mask, sizeof(out->shost_mask));
	memcpy(out->dhost, &in->dhost, sizeof(out->dhost));
	memcpy(out->dhost_mask, &in->dhost_mask, sizeof(out->dhost_mask));
	out->sport_low = in->sport_low;
	out->sport_high = in->sport_high;
	out->dport_low = in->dport_low;
	out->dport_high = in->dport_high;
	out->reflect_ifindex = in->reflect_ifindex;
	memcpy(out->payload_pattern, in->payload_pattern,
	       sizeof(out->payload_pattern));
}

/* The whole list replaces the kernel's; an empty list is a zero-length set. */
static int apply_wc_rules(pfring *ring, const void *arg)
{
	const struct pfr_wc_list *l = &ring->cfg.rules.wc;
	struct pfring_wc_rule *v, none;
	char shown[32];
	u_int32_t i;
	int rc;

	v = l->count ? calloc(l->count, sizeof(*v)) : &none;
	if (!v)
		return pfring_error(ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
				    "pf_ring.ko: %u wildcard rules: out of "
				    "memory",
				    l->count);
	for (i = 0; i < l->count; i++)
		wc_to_uapi(&l->rules[i], &v[i]);
	snprintf(shown, sizeof(shown), "%u rules", l->count);
	rc = set_opt(ring, SO_PFRING_WC_RULES, v,
		     (socklen_t)(l->count * sizeof(*v)), shown);
	if (v != &none)
		free(v);
	return rc;
}

static void hkey_to_uapi(const struct pfr_hrule_key *k,
			 struct pfring_hash_rule *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->host_a, &k->host_a, sizeof(out->host_a));
	memcpy(out->host_b, &k->host_b, sizeof(out->host_b));
	out->port_a = k->port_a;
	out->port_b = k->port_b;
	out->vlan_id = k->vlan_id;
	out->proto = k->proto;
	out->ip_version = k->ip_version;
}

static void hrule_to_uapi(const struct pfr_hrule *r,
			  struct pfring_hash_rule *out)
{
	hkey_to_uapi(&r->key, out);
	out->rule_id = r->rule_id;
	out->action = r->action;
	out->reflect_ifindex = r->reflect_ifindex;
}

static int push_hash_rule(pfring *ring, const struct pfr_hrule *r)
{
	struct pfring_hash_rule h;
	char shown[32];

	hrule_to_uapi(r, &h);
	snprintf(shown, sizeof(shown), "rule %u", r->rule_id);
	return set_opt(ring, SO_PFRING_HASH_ADD, &h, sizeof(h), shown);
}

static int apply_hash_add(pfring *ring, const void *arg)
{
	return push_hash_rule(ring, arg);
}

static int apply_hash_del(pfring *ring, const void *arg)
{
	const struct pfr_hrule *r = pfr_htable_lookup(&ring->cfg.rules.ht, arg);
	struct pfring_hash_rule h;
	char shown[32];

	hkey_to_uapi(arg, &h);
	if (r)
		h.rule_id = r->rule_id;
	snprintf(shown, sizeof(shown), "rule %u", h.rule_id);
	return set_opt(ring, SO_PFRING_HASH_DEL, &h, sizeof(h), shown);
}

static int apply_policy(pfring *ring, const void *arg)
{
	return set_u32(ring, SO_PFRING_POLICY, ring->cfg.rules.default_accept);
}

/* Classic BPF on the socket, as on any socket (level SOL_SOCKET). */
static int apply_bpf(pfring *ring, const void *arg)
{
	struct kern_priv *kp = priv_of(ring);
	struct sock_fprog fp;
	int dummy = 0;

	if (!ring->cfg.bpf_set) {
		if (setsockopt(kp->fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy,
			       sizeof(dummy)) < 0 &&
		    errno != ENOENT)
			return sys_error(ring, "setsockopt SO_DETACH_FILTER");
		return 0;
	}
	fp.len = (unsigned short)ring->cfg.bpf.bf_len;
	fp.filter = (struct sock_filter *)ring->cfg.bpf.bf_insns;
	if (setsockopt(kp->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) <
	    0)
		return sys_error(ring, "setsockopt SO_ATTACH_FILTER");
	return 0;
}

static int apply_watermark(pfring *ring, const void *arg)
{
	u_int32_t w = ring->cfg.poll_watermark;

	return set_u32(ring, SO_PFRING_WATERMARK, w ? w : 1);
}

static int apply_poll_duration(pfring *ring, const void *arg)
{
	return set_u32(ring, SO_PFRING_POLL_DURATION, ring->cfg.poll_duration);
}

/*
 * A NUL-terminated string, NUL included in the length, at most
 * PFRING_APPNAME_MAX - 1 bytes in all (the header's "< PFRING_APPNAME_MAX"
 * holds however the kernel counts).
 */
static int apply_appname(pfring *ring, const void *arg)
{
	char name[PFRING_APPNAME_MAX];
	size_t n = strnlen(ring->cfg.appname, sizeof(name) - 2);

	memcpy(name, ring->cfg.appname, n);
	name[n] = '\0';
	return set_opt(ring, SO_PFRING_APPNAME, name, (socklen_t)(n + 1), name);
}

/* bind() to the device and the queue cfg.channel_id (-1: every queue). */
static int sock_bind(pfring *ring)
{
	struct kern_priv *kp = priv_of(ring);
	struct sockaddr_pfring sa;

	memset(&sa, 0, sizeof(sa));
	sa.spr_family = PF_RING;
	sa.spr_queue = (__s16)ring->cfg.channel_id;
	sa.spr_ifindex = kp->ifindex;
	snprintf(sa.spr_ifname, sizeof(sa.spr_ifname), "%s", kp->ifname);
	if (bind(kp->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		return pfring_error(ring, errno_code(err),
				    "pf_ring.ko: bind to %s queue %d: %s",
				    kp->ifname, ring->cfg.channel_id,
				    strerror(err));
	}
	return 0;
}

static int apply_channel(pfring *ring, const void *arg)
{
	return sock_bind(ring);
}

/* "any" is no one device: nothing to make promiscuous (as AF_PACKET). */
static int apply_promisc(pfring *ring, const void *arg)
{
	if (priv_of(ring)->ifindex == 0)
		return 0;
	return set_u32(ring, SO_PFRING_PROMISC,
		       !!(ring->flags & PF_RING_PROMISC));
}

typedef int (*apply_fn)(pfring *ring, const void *arg);

static const apply_fn apply_table[] = {
    [PFRING_SET_DIRECTION] = apply_direction,
    [PFRING_SET_SOCKET_MODE] = apply_socket_mode,
    [PFRING_SET_SAMPLING] = apply_sampling,
    [PFRING_SET_WC_RULES] = apply_wc_rules,
    [PFRING_SET_HASH_ADD] = apply_hash_add,
    [PFRING_SET_HASH_DEL] = apply_hash_del,
    [PFRING_SET_POLICY] = apply_policy,
    [PFRING_SET_BPF] = apply_bpf,
    [PFRING_SET_WATERMARK] = apply_watermark,
    [PFRING_SET_POLL_DURATION] = apply_poll_duration,
    [PFRING_SET_APPNAME] = apply_appname,
    [PFRING_SET_CHANNEL] = apply_channel,
    [PFRING_SET_PROMISC] = apply_promisc,
};

static int kern_apply(pfring *ring, enum pfring_setting what, const void *arg)
{
	if ((size_t)what >= ARRAY_SIZE(apply_table) || !apply_table[what])
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "setting %d is not supported", (int)what);
	return apply_table[what](ring, arg);
}

/* Every setting of ring->cfg, on a new socket. */
static int sock_configure(pfring *ring)
{
	const struct pfr_htable *t = &ring->cfg.rules.ht;
	u_int32_t i;
	int rc;

	rc = set_u32(ring, SO_PFRING_ENABLE, 0); /* until pfring_enable_ring */
	if (rc == 0)
		rc = apply_direction(ring, NULL);
	if (rc == 0)
		rc = apply_socket_mode(ring, NULL);
	if (rc == 0)
		rc = apply_sampling(ring, NULL);
	if (rc == 0)
		rc = apply_watermark(ring, NULL);
	if (rc == 0)
		rc = apply_poll_duration(ring, NULL);
	if (rc == 0)
		rc = apply_policy(ring, NULL);
	if (rc == 0 && ring->cfg.appname[0])
		rc = apply_appname(ring, NULL);
	if (rc == 0 && (ring->flags & PF_RING_PROMISC))
		rc = apply_promisc(ring, NULL);
	if (rc == 0 && ring->cfg.rules.wc.count)
		rc = apply_wc_rules(ring, NULL);
	for (i = 0; rc == 0 && t->count && i < t->capacity; i++)
		if (t->rules[i].in_use)
			rc = push_hash_rule(ring, &t->rules[i]);
	if (rc == 0 && ring->cfg.bpf_set)
		rc = apply_bpf(ring, NULL);
	return rc;
}

/* The ring */

static int bad_ring(pfring *ring, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad_ring(pfring *ring, int code, const char *fmt, ...)
{
	char what[PFRING_ERRBUF_SIZE - 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pfring_error(ring, code, "pf_ring.ko ring of %s refused: %s",
			    priv_of(ring)->ifname, what);
}

/*
 * The header against what this library was built for, against the mapping
 * and against SO_PFRING_RING_INFO; a ring that fails any check is not read
 * at all.
 */
static int ring_validate(pfring *ring, const struct pfring_ring_info *info)
{
	struct kern_priv *kp = priv_of(ring);
	const struct pfring_ring_hdr *h;
	char why[PFRING_ERRBUF_SIZE - 64];
	int rc;

	rc = pfr_slots_attach(&kp->rd, kp->map, kp->map_len, why, sizeof(why));
	if (rc < 0)
		return bad_ring(ring, rc, "%s", why);
	h = kp->rd.hdr;
	if (h->num_slots != info->num_slots ||
	    h->slot_size != info->slot_size || h->caplen != info->caplen) {
		kp->rd.map = NULL; /* not to be read */
		return bad_ring(
		    ring, PF_RING_ERROR_WRONG_CONFIGURATION,
		    "header (%u slots of %u, caplen %u) disagrees with "
		    "SO_PFRING_RING_INFO (%u, %u, %u)",
		    h->num_slots, h->slot_size, h->caplen, info->num_slots,
		    info->slot_size, info->caplen);
	}
	return 0;
}

static int ring_map(pfring *ring)
{
	struct kern_priv *kp = priv_of(ring);
	struct pfring_ring_info info;
	int rc;

	rc = get_opt(ring, SO_PFRING_RING_INFO, &info, sizeof(info));
	if (rc < 0)
		return rc;
	if (info.tot_mem < sizeof(struct pfring_ring_hdr) ||
	    info.tot_mem > (u_int64_t)SIZE_MAX / 2)
		return bad_ring(ring, PF_RING_ERROR_WRONG_CONFIGURATION,
				"SO_PFRING_RING_INFO says %llu bytes",
				(unsigned long long)info.tot_mem);
	kp->map_len = (size_t)info.tot_mem;
	kp->map = mmap(NULL, kp->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       kp->fd, 0);
	if (kp->map == MAP_FAILED) {
		int err = errno;

		kp->map = NULL;
		return pfring_error(ring, errno_code(err),
				    "pf_ring.ko: mmap of the %zu-byte ring: %s",
				    kp->map_len, strerror(err));
	}
	return ring_validate(ring, &info);
}

/* Reading */

static int corrupt(pfring *ring)
{
	struct kern_priv *kp = priv_of(ring);

	return pfring_error(ring, PF_RING_ERROR_GENERIC,
			    "pf_ring.ko ring of %s: head %llu is not within %u "
			    "slots of the reader's tail %llu",
			    kp->ifname,
			    (unsigned long long)pfr_slots_head(&kp->rd),
			    kp->rd.num_slots, (unsigned long long)kp->rd.tail);
}

static int stopping(pfring *ring)
{
	return atomic_load(&ring->breakloop) || atomic_load(&ring->is_shutdown);
}

/*
 * Sleep until the kernel says the watermark is reached, @timeout_ms pass
 * or pfring_breakloop()/pfring_shutdown() writes the eventfd. The reader
 * page says it is waiting (a hint), then the ring is looked at once more,
 * so a packet published in between is not slept over. > 0: readable,
 * 0: timeout or wake-up, < 0: error.
 */
static int wait_ring(pfring *ring, int timeout_ms)
{
	struct kern_priv *kp = priv_of(ring);
	struct pollfd pfd[2] = {
	    {.fd = kp->fd, .events = POLLIN},
	    {.fd = kp->wake_fd, .events = POLLIN},
	};
	u_int64_t count;
	int rc;

	pfr_slots_release(&kp->rd, 1); /* the kernel counts what is left for the watermark */
	pfr_slots_set_waiting(&kp->rd, 1);
	if (pfr_slots_ready(&kp->rd) != 0) {
		pfr_slots_set_waiting(&kp->rd, 0);
		return 1;
	}
	rc = poll(pfd, 2, timeout_ms);
	pfr_slots_set_waiting(&kp->rd, 0);
	if (rc < 0 && errno == EINTR)
		return 0;
	if (rc < 0)
		return sys_error(ring, "poll");
	/* A wake-up from pfring_breakloop() is used up here; one from
	 * pfring_shutdown() stays, so every later wait returns at once. */
	if ((pfd[1].revents & POLLIN) && !atomic_load(&ring->is_shutdown) &&
	    read(kp->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return sys_error(ring, "read eventfd");
	if (pfd[0].revents & POLLNVAL)
		return pfring_error(ring, PF_RING_ERROR_GENERIC,
				    "pf_ring.ko: poll: socket closed");
	/* An error or hang-up with nothing to read would make every wait
	 * return at once: report it rather than spin. */
	if ((pfd[0].revents & (POLLERR | POLLHUP)) && pfr_slots_ready(&kp->rd) == 0) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(kp->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		return pfring_error(
		    ring, PF_RING_ERROR_GENERIC,
		    "pf_ring.ko: poll on the ring of %s: %s%s%s", kp->ifname,
		    pfd[0].revents & POLLHUP ? "hang-up" : "error",
		    err ? ": " : "", err ? strerror(err) : "");
	}
	return pfd[0].revents & POLLIN ? rc : 0;
}

static int kern_recv(pfring *ring, u_char **buffer, u_int buffer_len,
		     struct pfring_pkthdr *hdr, u_int8_t wait)
{
	struct kern_priv *kp = priv_of(ring);
	int64_t n;
	int rc;

	pfr_slots_release(&kp->rd, 0); /* the zero-copy buffer of the last recv */
	for (;;) {
		n = pfr_slots_ready(&kp->rd);
		if (n < 0)
			return corrupt(ring);
		if (n > 0) {
			pfr_slots_deliver(&kp->rd,
					  pfr_slots_at(&kp->rd, kp->rd.tail),
					  ring->caplen, buffer, buffer_len, hdr);
			kp->rd.tail++;
			if (buffer_len)
				pfr_slots_release(&kp->rd, 0);
			return 1;
		}
		pfr_slots_release(&kp->rd, 1); /* nothing to read: give everything back */
		if (!wait || stopping(ring))
			return 0;
		/* Woken at the watermark; after poll_duration with fewer,
		 * whatever is there is read. */
		rc = wait_ring(ring, (int)ring->cfg.poll_duration);
		if (rc < 0)
			return rc;
	}
}

static int kern_poll(pfring *ring, u_int timeout_ms)
{
	struct kern_priv *kp = priv_of(ring);
	int64_t n = pfr_slots_ready(&kp->rd);
	int rc;

	if (n != 0)
		return n > 0 ? 1 : corrupt(ring);
	rc = wait_ring(ring, (int)timeout_ms);
	if (rc < 0)
		return rc;
	n = pfr_slots_ready(&kp->rd);
	return n >= 0 ? n > 0 : corrupt(ring);
}

static int kern_next_pkt_time(pfring *ring, struct timespec *ts)
{
	struct kern_priv *kp = priv_of(ring);
	u_int64_t t;

	if (pfr_slots_ready(&kp->rd) <= 0)
		return PF_RING_ERROR_NO_PKT_AVAILABLE;
	t = pfr_slots_at(&kp->rd, kp->rd.tail)->ts_ns;
	ts->tv_sec = (time_t)(t / 1000000000ull);
	ts->tv_nsec = (long)(t % 1000000000ull);
	return 0;
}

static u_int32_t kern_num_queued(pfring *ring)
{
	return pfr_slots_queued(&priv_of(ring)->rd);
}

/* Statistics */

static int kern_stats(pfring *ring, pfring_stat *st)
{
	struct pfring_ring_stats s;
	int rc = get_opt(ring, SO_PFRING_STATS, &s, sizeof(s));

	if (rc < 0)
		return rc;
	st->recv = s.recv;
	st->drop = s.drop;
	return 0;
}

static int kern_enable(pfring *ring)
{
	return set_u32(ring, SO_PFRING_ENABLE, 1);
}

/* Packets already in the ring stay readable (the core reads them with
 * wait = 0 once disabled). */
static int kern_disable(pfring *ring)
{
	return set_u32(ring, SO_PFRING_ENABLE, 0);
}

/* Clusters */

static const u_int32_t cluster_types[] = {
    [cluster_per_flow] = PFRING_CLUSTER_FLOW_6,
    [cluster_round_robin] = PFRING_CLUSTER_ROUND_ROBIN,
    [cluster_per_flow_2_tuple] = PFRING_CLUSTER_FLOW_2,
    [cluster_per_flow_4_tuple] = PFRING_CLUSTER_FLOW_4,
    [cluster_per_flow_5_tuple] = PFRING_CLUSTER_FLOW_5,
    [cluster_per_flow_tcp_5_tuple] = PFRING_CLUSTER_FLOW_TCP_5,
};

static int join_cluster(pfring *ring, u_int id, cluster_type type)
{
	struct pfring_cluster_req req = {.cluster_id = id,
					 .type = cluster_types[type]};
	char shown[48];

	snprintf(shown, sizeof(shown), "cluster %u type %u", id, req.type);
	return set_opt(ring, SO_PFRING_CLUSTER, &req, sizeof(req), shown);
}

static int leave_cluster(pfring *ring)
{
	return set_opt(ring, SO_PFRING_CLUSTER_REMOVE, NULL, 0, NULL);
}

/* A ring is in one cluster at most: leave the old one first, and go back
 * to it if the new one refuses. */
static int kern_set_cluster(pfring *ring, u_int id, cluster_type type)
{
	char msg[PFRING_ERRBUF_SIZE];
	int rc;

	if ((size_t)type >= ARRAY_SIZE(cluster_types))
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "cluster type %d", (int)type);
	if (ring->cfg.cluster_set) {
		rc = leave_cluster(ring);
		if (rc < 0)
			return rc;
	}
	rc = join_cluster(ring, id, type);
	if (rc < 0 && ring->cfg.cluster_set) {
		memcpy(msg, ring->errbuf, sizeof(msg));
		join_cluster(ring, ring->cfg.cluster_id,
			     ring->cfg.cluster_type);
		memcpy(ring->errbuf, msg, sizeof(msg));
	}
	return rc;
}

static int kern_remove_from_cluster(pfring *ring)
{
	return leave_cluster(ring);
}

/* Rule statistics and idle rules, from the kernel */

static u_int32_t clamp_u32(u_int64_t v)
{
	return v > 0xffffffffu ? 0xffffffffu : (u_int32_t)v;
}

static int kern_wc_rule_stats(pfring *ring, u_int16_t rule_id,
			      hash_filtering_rule_stats *st)
{
	struct pfring_wc_stats_req req;
	int rc;

	memset(&req, 0, sizeof(req));
	req.rule_id = rule_id;
	rc = get_opt(ring, SO_PFRING_WC_STATS, &req, sizeof(req));
	if (rc < 0)
		return rc;
	st->match = req.matched;
	st->filtered = req.filtered;
	st->inactivity = clamp_u32(req.idle_sec);
	return 0;
}

static int hash_stats_req(pfring *ring, const struct pfr_hrule_key *key,
			  struct pfring_hash_stats_req *req)
{
	memset(req, 0, sizeof(*req));
	hkey_to_uapi(key, &req->rule);
	return get_opt(ring, SO_PFRING_HASH_STATS, req, sizeof(*req));
}

static int kern_hash_rule_stats(pfring *ring, const struct pfr_hrule_key *key,
				hash_filtering_rule_stats *st)
{
	struct pfring_hash_stats_req req;
	int rc = hash_stats_req(ring, key, &req);

	if (rc < 0)
		return rc;
	st->match = req.matched;
	st->filtered = req.filtered;
	st->inactivity = clamp_u32(req.idle_sec);
	return 0;
}

/*
 * After the kernel purged: the rules of cfg.rules it no longer has go from
 * cfg.rules too (a stats query for them fails with ENOENT).
 */
static int forget_purged_wc(pfring *ring)
{
	struct pfr_wc_list *l = &ring->cfg.rules.wc;
	struct pfring_wc_stats_req req;
	socklen_t len;
	u_int32_t i = 0;
	u_int16_t id;

	while (i < l->count) {
		id = l->rules[i].rule_id;
		memset(&req, 0, sizeof(req));
		req.rule_id = id;
		len = sizeof(req);
		if (getsockopt(priv_of(ring)->fd, SOL_PF_RING,
			       SO_PFRING_WC_STATS, &req, &len) == 0) {
			i++;
			continue;
		}
		if (errno != ENOENT)
			return opt_error(ring, "getsockopt", SO_PFRING_WC_STATS,
					 NULL);
		pfr_wc_remove(l, id);
	}
	return 0;
}

static int forget_purged_hash(pfring *ring)
{
	struct pfr_htable *t = &ring->cfg.rules.ht;
	struct pfring_hash_stats_req req;
	struct pfr_hrule_key k;
	socklen_t len;
	u_int32_t i;

	/* Removing entry i leaves the others where they are. */
	for (i = 0; i < t->capacity && t->count; i++) {
		if (!t->rules[i].in_use)
			continue;
		memset(&req, 0, sizeof(req));
		hkey_to_uapi(&t->rules[i].key, &req.rule);
		len = sizeof(req);
		if (getsockopt(priv_of(ring)->fd, SOL_PF_RING,
			       SO_PFRING_HASH_STATS, &req, &len) == 0)
			continue;
		if (errno != ENOENT)
			return opt_error(ring, "getsockopt",
					 SO_PFRING_HASH_STATS, NULL);
		k = t->rules[i].key;
		pfr_htable_remove(t, &k);
	}
	return 0;
}

/* Returns how many rules the kernel removed (those add-rule actions
 * installed included). */
static int kern_purge_idle(pfring *ring, u_int16_t inactivity_sec, int hash)
{
	struct pfring_purge_req req = {.idle_sec = inactivity_sec,
				       .hash = hash ? 1 : 0};
	struct pfring_rule_counts counts;
	char shown[48];
	int rc;

	snprintf(shown, sizeof(shown), "%s rules idle %u s",
		 hash ? "hash" : "wildcard", inactivity_sec);
	rc = set_opt(ring, SO_PFRING_PURGE_IDLE, &req, sizeof(req), shown);
	if (rc == 0)
		rc = get_opt(ring, SO_PFRING_RULE_COUNTS, &counts,
			     sizeof(counts));
	if (rc < 0)
		return rc;
	if (counts.last_purged == 0)
		return 0;
	rc = hash ? forget_purged_hash(ring) : forget_purged_wc(ring);
	if (rc < 0)
		return rc;
	return counts.last_purged > INT_MAX ? INT_MAX : (int)counts.last_purged;
}

/* Sending */

static int kern_send(pfring *ring, const u_char *pkt, u_int len, u_int8_t flush,
		     int ifindex)
{
	struct kern_priv *kp = priv_of(ring);
	struct sockaddr_pfring sa;
	ssize_t n;

	if (ifindex <= 0 && kp->ifindex == 0)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "sending on \"any\" needs an interface "
				    "index");
	memset(&sa, 0, sizeof(sa));
	sa.spr_family = PF_RING;
	sa.spr_queue = -1;
	sa.spr_ifindex = ifindex > 0 ? ifindex : 0; /* 0: the bound device */
	n = sendto(kp->fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&sa,
		   sizeof(sa));
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return pfring_error(ring, PF_RING_ERROR_NO_TX_SLOT_AVAILABLE,
				    "pf_ring.ko: send: %s", strerror(errno));
	return sys_error(ring, "sendto");
}

static int kern_flush_tx(pfring *ring)
{
	return 0;
}

/* The device, by name: an ordinary datagram socket asks for it, whatever
 * ioctls the PF_RING socket has. */
static int dev_ioctl(pfring *ring, unsigned long req, struct ifreq *ifr)
{
	struct kern_priv *kp = priv_of(ring);
	int fd, rc = 0;

	if (kp->ifindex == 0)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "\"any\" is not one device");
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", kp->ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sys_error(ring, "socket for an interface ioctl");
	if (ioctl(fd, req, ifr) < 0)
		rc = sys_error(ring, kp->ifname);
	close(fd);
	return rc;
}

static int kern_bound_device_address(pfring *ring, u_char mac[6])
{
	struct ifreq ifr;
	int rc = dev_ioctl(ring, SIOCGIFHWADDR, &ifr);

	if (rc == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return rc;
}

static int kern_mtu(pfring *ring)
{
	struct ifreq ifr;
	int rc = dev_ioctl(ring, SIOCGIFMTU, &ifr);

	return rc < 0 ? rc : ifr.ifr_mtu;
}

static int kern_bound_device_id(pfring *ring, int *device_id)
{
	*device_id = priv_of(ring)->ifindex;
	return 0;
}

static u_int8_t kern_num_rx_channels(pfring *ring)
{
	struct kern_priv *kp = priv_of(ring);

	return kp->ifindex ? pfring_sysfs_rx_queues(kp->ifname) : 1;
}

static int kern_get_selectable_fd(pfring *ring)
{
	return priv_of(ring)->fd;
}

/* Wake a recv blocked in poll(); async-signal-safe (one write). */
static void kern_wakeup(pfring *ring)
{
	u_int64_t one = 1;

	if (write(priv_of(ring)->wake_fd, &one, sizeof(one)) < 0)
		return; /* already signalled to the maximum: awake anyway */
}

/* The core has set is_shutdown, so the eventfd is never read again and
 * every later wait returns at once. */
static void kern_shutdown(pfring *ring)
{
	kern_wakeup(ring);
}

/* Open and close */

/* "eth0", "eth0@2" or "any"; the queue becomes the ring's channel. */
static int parse_device(pfring *ring)
{
	struct kern_priv *kp = priv_of(ring);
	int queue, any;

	if (pfring_split_queue(ring->device, kp->ifname, sizeof(kp->ifname),
			       &queue) < 0 ||
	    strlen(kp->ifname) >= PFRING_IFNAMSIZ)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "bad device name: %s", ring->device);
	any = strcmp(kp->ifname, PFRING_ANY_DEVICE) == 0;
	kp->ifindex = any ? 0 : pfring_ifindex(kp->ifname);
	if (kp->ifindex == 0 && !any)
		return pfring_error(ring, PF_RING_ERROR_UNKNOWN_ADAPTER,
				    "no such interface: %s", kp->ifname);
	if (queue >= 0)
		ring->cfg.channel_id = queue;
	return 0;
}

static int sock_create(pfring *ring)
{
	struct kern_priv *kp = priv_of(ring);
	__u32 version;
	int err, rc;

	kp->fd = socket(PF_RING, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (kp->fd < 0) {
		err = errno;
		return pfring_error(ring, errno_code(err),
				    "PF_RING socket: %s%s", strerror(err),
				    err == EPERM ? " (needs CAP_NET_RAW)"
				    : err == EAFNOSUPPORT
					? " (is pf_ring.ko loaded?)"
					: "");
	}
	rc = get_opt(ring, SO_PFRING_VERSION, &version, sizeof(version));
	if (rc == 0 && version != PFRING_UAPI_VERSION)
		rc = pfring_error(ring, PF_RING_ERROR_INVALID_LIB_VERSION,
				  "pf_ring.ko speaks version %u of "
				  "include/uapi/pf_ring.h, this libpfring %u",
				  version, PFRING_UAPI_VERSION);
	return rc;
}

static void kern_close(pfring *ring)
{
	struct kern_priv *kp = priv_of(ring);

	if (!kp)
		return;
	if (kp->map)
		munmap(kp->map, kp->map_len);
	if (kp->fd >= 0)
		close(kp->fd);
	if (kp->mmap_fd >= 0)
		close(kp->mmap_fd);
	if (kp->wake_fd >= 0)
		close(kp->wake_fd);
	free(kp);
	ring->priv = NULL;
}

/*
 * Slots for at least PFRING_RING_MIN_BYTES of ring, the AF_PACKET back-end's
 * size, so that both hold about as many small packets; the module rounds up
 * to a power of two and to its min_num_slots.
 */
static u_int32_t ring_slots(const pfring *ring)
{
	u_int32_t slot = (u_int32_t)((sizeof(struct pfring_slot_hdr) +
				      ring->caplen + 7) & ~7u);
	u_int32_t n = (PFRING_RING_MIN_BYTES + slot - 1) / slot;

	return n < 2 ? 2 : n;
}

static int kern_open(pfring *ring)
{
	struct kern_priv *kp;
	struct stat st;
	__u32 id;
	int rc;

	if (stat(PFRING_PROC_DIR, &st) < 0)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "pf_ring.ko is not loaded (no %s)",
				    PFRING_PROC_DIR);
	kp = calloc(1, sizeof(*kp));
	if (!kp)
		return pfring_error(ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
				    "out of memory");
	kp->fd = -1;
	kp->mmap_fd = -1;
	ring->priv = kp;
	kp->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (kp->wake_fd < 0) {
		rc = sys_error(ring, "eventfd");
		goto out_close;
	}
	rc = parse_device(ring);
	if (rc == 0)
		rc = sock_create(ring);
	if (rc == 0)
		rc = set_u32(ring, SO_PFRING_CAPLEN, ring->caplen);
	if (rc == 0)
		rc = set_u32(ring, SO_PFRING_NUM_SLOTS, ring_slots(ring));
	if (rc == 0)
		rc = sock_bind(ring);
	if (rc == 0)
		rc = ring_map(ring);
	if (rc == 0)
		rc = sock_configure(ring);
	if (rc == 0)
		rc = get_opt(ring, SO_PFRING_RING_ID, &id, sizeof(id));
	if (rc < 0)
		goto out_close;
	ring->ring_id = (int)id;
	return 0;
out_close:
	kern_close(ring);
	return rc;
}

/*
 * For vnplugd: the ring's memory as an mmap-only descriptor, so that the
 * socket itself never leaves this process. Asked for once, kept until
 * close.
 */
static int kern_export(pfring *ring, struct pfring_ring_export *ex)
{
	struct kern_priv *kp = priv_of(ring);
	__s32 fd;
	int rc;

	if (!kp->map)
		return pfring_error(ring, PF_RING_ERROR_INVALID_STATUS,
				    "pf_ring.ko: the ring is not mapped");
	if (kp->mmap_fd < 0) {
		rc = get_opt(ring, SO_PFRING_MMAP_FD, &fd, sizeof(fd));
		if (rc < 0)
			return rc;
		kp->mmap_fd = fd;
	}
	memset(ex, 0, sizeof(*ex));
	ex->format = PFRING_EXPORT_PFRING;
	ex->mem_fd = kp->mmap_fd;
	ex->size = kp->map_len;
	ex->poll_fd = kp->fd;
	ex->caplen = kp->rd.caplen;
	return 0;
}

const struct pfring_module_ops pfring_mod_kernel = {
    .name = "pf_ring.ko",
    .open = kern_open,
    .close = kern_close,
    .recv = kern_recv,
    .poll = kern_poll,
    .send = kern_send,
    .flush_tx = kern_flush_tx,
    .stats = kern_stats,
    .enable = kern_enable,
    .disable = kern_disable,
    .apply = kern_apply,
    .set_cluster = kern_set_cluster,
    .remove_from_cluster = kern_remove_from_cluster,
    .wc_rule_stats = kern_wc_rule_stats,
    .hash_rule_stats = kern_hash_rule_stats,
    .purge_idle = kern_purge_idle,
    .get_selectable_fd = kern_get_selectable_fd,
    .next_pkt_time = kern_next_pkt_time,
    .bound_device_address = kern_bound_device_address,
    .bound_device_id = kern_bound_device_id,
    .num_rx_channels = kern_num_rx_channels,
    .num_queued = kern_num_queued,
    .mtu = kern_mtu,
    .shutdown = kern_shutdown,
    .wakeup = kern_wakeup,
    .export_ring = kern_export,
};
