// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vPF_RING back-end (VNPLUG_APP_VPFRING): each guest session is one
 * host pfring handle, opened with the host's libpfring (pf_ring.ko when it
 * is loaded, AF_PACKET TPACKET_V3 otherwise). Every request of
 * include/uapi/vpfring.h becomes the libpfring call it names; the ring's
 * memory is mapped into the guest when capture is first enabled, and a
 * doorbell from a guest about to sleep arms one interrupt for when the
 * host kernel says the ring is readable.
 *
 * Everything a guest sends is checked here before libpfring sees it:
 * payload lengths, the device name against the VM's "interfaces", flags,
 * ranges; and a guest may not make the host transmit on its own (no
 * reflect or bounce rules). Replies carry a PF_RING_ERROR_* status and,
 * on failure, the host's error text.
 *
 * A session's state (struct vpf_sess) lives until both the session has
 * closed and its region, if any, has ended: region callbacks may come after
 * session_closed(). It holds an epoll watch, so it is freed through
 * vnp_watch_bury(), after the current batch of events.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pfring_priv.h"
#include "../../guest/libvpfring/vpfring_wire.h"
#include "uapi/vpfring.h"
#include "vnplugd.h"

_Static_assert((int)PFRING_EXPORT_TPACKET_V3 == VPFRING_FORMAT_TPACKET_V3 &&
		       (int)PFRING_EXPORT_PFRING == VPFRING_FORMAT_PFRING,
	       "export formats are the wire's");

/* pfring_open() flags a guest may ask for; the rest are dropped. */
#define VPF_OPEN_FLAGS                                                         \
	(PF_RING_PROMISC | PF_RING_LONG_HEADER | PF_RING_TIMESTAMP |           \
	 PF_RING_DO_NOT_PARSE | PF_RING_DO_NOT_TIMESTAMP)
/* Bytes of error text in a reply (the host's pfring error buffer). */
#define VPF_TEXT_MAX PFRING_ERRBUF_SIZE
#define VPF_GEOMETRY_LOCKED                                                    \
	"set the poll watermark and duration before pfring_enable_ring(): "    \
	"an AF_PACKET host ring cannot change once mapped"

enum vpf_map_state {
	VPF_MAP_NONE,		/* not in the guest */
	VPF_MAP_PENDING,	/* MAP sent, ENABLE's reply waits for QEMU */
	VPF_MAP_DONE,		/* the guest sees the ring */
};

struct vpf_sess {
	struct vnp_watch w;	/* poll_fd while a doorbell is armed */
	struct list_head node;	/* on vpf_sessions while the session is open */
	struct vnp_vm *vm;
	uint32_t session;
	bool closed;		/* the session ended; waits for its region */
	pfring *ring;		/* NULL once closed */
	char dev[VPFRING_DEVICE_MAX];
	char ifname[IF_NAMESIZE];
	uint32_t format;	/* VPFRING_FORMAT_* */
	struct vnp_region *r;	/* NULL: none */
	enum vpf_map_state map;
	uint32_t enable_seq;	/* of the ENABLE waiting for QEMU */
	struct vpfring_ring info; /* what the guest was told */
	int poll_fd;		/* our dup of the ring's poll fd, or -1 */
	bool watching;
	uint64_t doorbells, signals, errors;
};

struct vpf_req {
	struct vnp_session *s;
	const struct vnplug_app_hdr *h;
	struct vnp_vm *vm;
	struct vpf_sess *vs;	/* NULL for OPEN */
};

static struct list_head vpf_sessions = LIST_HEAD_INIT(vpf_sessions);

/* ---- replies --------------------------------------------------------- */

static void reply_ok(struct vpf_req *q, const void *p, size_t len)
{
	vnp_reply(q->s, q->h, 0, p, len);
}

static void __attribute__((format(printf, 3, 4)))
reply_err(struct vpf_req *q, int code, const char *fmt, ...)
{
	char text[VPF_TEXT_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	vnp_reply(q->s, q->h, code, text, (size_t)n);
}

static const char *code_name(int code)
{
	static const char *const names[] = {
		[1] = "generic error", [2] = "invalid argument",
		[3] = "no packet available", [4] = "no TX slot available",
		[5] = "wrong configuration", [6] = "end of demo mode",
		[7] = "not supported", [8] = "invalid library version",
		[9] = "unknown adapter", [10] = "not enough memory",
		[11] = "invalid status",
	};

	if (code < 0 && -code < (int)(sizeof(names) / sizeof(names[0])))
		return names[-code];
	return "error";
}

/*
 * A libpfring call returned @rc: on failure answer its code and the host's
 * text (which the call may not have set: the error buffer was cleared
 * before, see ring_of()). Codes outside PF_RING's become generic.
 */
static void reply_rc(struct vpf_req *q, const char *what, int rc,
		     const void *p, size_t len)
{
	const char *text = q->vs->ring->errbuf;

	if (rc >= 0) {
		reply_ok(q, p, len);
		return;
	}
	if (rc < PF_RING_ERROR_INVALID_STATUS)
		rc = PF_RING_ERROR_GENERIC;
	if (text[0])
		reply_err(q, rc, "%.*s", VPF_TEXT_MAX - 1, text);
	else
		reply_err(q, rc, "%s: %s", what, code_name(rc));
}

/* The session's ring, its error buffer emptied for the next call. */
static pfring *ring_of(struct vpf_req *q)
{
	q->vs->ring->errbuf[0] = '\0';
	return q->vs->ring;
}

static void get_u32(const void *p, uint32_t *v)
{
	memcpy(v, p, sizeof(*v));
}

/* ---- sessions -------------------------------------------------------- */

static struct vpf_sess *sess_find(struct vnp_vm *vm, uint32_t session)
{
	struct vpf_sess *vs;

	list_for_each_entry(vs, &vpf_sessions, node)
		if (vs->vm == vm && vs->session == session)
			return vs;
	return NULL;
}

/* Host rings @vm's sessions hold open. */
static unsigned int sess_count(const struct vnp_vm *vm)
{
	const struct vpf_sess *vs;
	unsigned int n = 0;

	list_for_each_entry(vs, &vpf_sessions, node)
		n += vs->vm == vm;
	return n;
}

static void sess_release(struct vnp_watch *w)
{
	free(list_entry(w, struct vpf_sess, w));
}

static void watch_stop(struct vpf_sess *vs)
{
	if (!vs->watching)
		return;
	vnp_watch_del(&vs->w);
	vs->watching = false;
}

static void poll_fd_close(struct vpf_sess *vs)
{
	watch_stop(vs);
	if (vs->poll_fd >= 0)
		close(vs->poll_fd);
	vs->poll_fd = -1;
	vs->w.fd = -1;
}

/* Free @vs once the session is closed and its region gone. */
static void sess_maybe_free(struct vpf_sess *vs)
{
	if (vs->closed && !vs->r)
		vnp_watch_bury(&vs->w, sess_release);
}

/* ---- doorbells ------------------------------------------------------- */

/*
 * An error on the ring's socket (AF_PACKET: ENETDOWN when its interface
 * goes down or away) stays pending, and poll reports it, until someone
 * reads it: read it, or every doorbell would be answered at once and the
 * guest and vnplugd would wake each other forever. Returns false for a
 * hang-up, which nothing clears.
 */
static bool ring_error(struct vpf_sess *vs, uint32_t events)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(vs->poll_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (!vs->errors++)
		vnp_warn("vm %s session %u: %s ring: %s", vnp_vm_name(vs->vm),
			 vs->session, vs->dev,
			 err ? strerror(err) : "hang-up");
	return !(events & EPOLLHUP);
}

/* The ring became readable (or failed): wake the guest once. */
static void on_ready(struct vnp_watch *w, uint32_t events)
{
	struct vpf_sess *vs = list_entry(w, struct vpf_sess, w);

	watch_stop(vs);
	if (!(events & EPOLLIN) && (events & (EPOLLERR | EPOLLHUP)) &&
	    !ring_error(vs, events))
		return;
	if (!vs->r || vs->map != VPF_MAP_DONE)
		return;
	if (!vnp_region_signal(vs->r))
		vs->signals++;
}

static void vpf_doorbell(struct vnp_region *r, uint64_t count)
{
	struct vpf_sess *vs = vnp_region_cookie(r);
	int ret;

	vs->doorbells += count;
	if (vs->closed || vs->watching || vs->poll_fd < 0 ||
	    vs->map != VPF_MAP_DONE)
		return;
	/* Level-triggered: a ring already readable fires at once. */
	ret = vnp_watch_add(&vs->w, vs->poll_fd, EPOLLIN, on_ready);
	if (ret) {
		vnp_warn("vm %s session %u: watching the ring: %s",
			 vnp_vm_name(vs->vm), vs->session, strerror(-ret));
		/* Better a spurious wake-up than a guest asleep for good. */
		if (!vnp_region_signal(r))
			vs->signals++;
		return;
	}
	vs->watching = true;
}

/* ---- OPEN ------------------------------------------------------------ */

static bool ifname_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/*
 * "eth0" or "eth0@3": an interface name of letters, digits, '.', '-' and
 * '_' (not "." or ".."), shorter than IF_NAMESIZE, then optionally '@' and
 * a queue number below MAX_NUM_RX_CHANNELS. No libpfring module prefix
 * ("pcap:", "multi:", ...), no path. Returns NULL or why not.
 */
static const char *parse_device(const char *dev, char *ifname, int *queue)
{
	const char *at = strchr(dev, '@');
	size_t n = at ? (size_t)(at - dev) : strlen(dev), i;
	long q = 0;

	*queue = -1;
	if (!n)
		return "empty interface name";
	if (n >= IF_NAMESIZE)
		return "interface name too long";
	for (i = 0; i < n; i++)
		if (!ifname_char_ok(dev[i]))
			return "a host interface name has letters, digits, "
			       "'.', '-' and '_' only (no prefix, no path)";
	if ((n == 1 && dev[0] == '.') || (n == 2 && !strncmp(dev, "..", 2)))
		return "not an interface name";
	memcpy(ifname, dev, n);
	ifname[n] = '\0';
	if (!at)
		return NULL;
	if (!at[1] || strlen(at + 1) > 2)
		return "the queue after '@' must be a number below 64";
	for (i = 1; at[i]; i++) {
		if (at[i] < '0' || at[i] > '9')
			return "the queue after '@' must be a number below 64";
		q = q * 10 + (at[i] - '0');
	}
	if (q >= MAX_NUM_RX_CHANNELS)
		return "the queue after '@' must be a number below 64";
	*queue = (int)q;
	return NULL;
}

/* The VM's "interfaces" setting, for an error text. */
static void ifaces_text(const struct vnp_vm *vm, char *buf, size_t len)
{
	const struct vnp_vm_conf *vc = vm->conf;
	size_t off = 0;
	unsigned int i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < vc->n_ifaces && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%s%s%s", i ? " " : "",
			     vc->ifaces[i].ifname,
			     vc->ifaces[i].queue ? "@" : "",
			     vc->ifaces[i].queue ? vc->ifaces[i].queue : "");
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!vc->n_ifaces)
		snprintf(buf, len, "(none)");
}

static void not_allowed(struct vpf_req *q, const char *ifname, int queue)
{
	char list[128], dev[32];
	const char *name = vnp_vm_name(q->vm);

	if (queue >= 0)
		snprintf(dev, sizeof(dev), "%s@%d", ifname, queue);
	else
		snprintf(dev, sizeof(dev), "%s", ifname);
	ifaces_text(q->vm, list, sizeof(list));
	vnp_vm_reject(q->vm, "vpfring: session %u may not capture from %s",
		      vnp_session_id(q->s), dev);
	reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
		  "VM %s may not capture from %s (interfaces = %s in "
		  "vnplugd.conf)", name, dev, list);
}

static const char *format_name(uint32_t format)
{
	return format == VPFRING_FORMAT_PFRING ? "pf_ring.ko"
					       : "AF_PACKET TPACKET_V3";
}

/* pfring_open() says why in text only; its errno and the name tell more. */
static int open_error_code(const char *ifname)
{
	if (errno == ENOMEM)
		return PF_RING_ERROR_NOT_ENOUGH_MEMORY;
	if (strcmp(ifname, "any") && !if_nametoindex(ifname))
		return PF_RING_ERROR_UNKNOWN_ADAPTER;
	return PF_RING_ERROR_GENERIC;
}

static void op_open(struct vpf_req *q, const void *p, size_t len)
{
	char ifname[IF_NAMESIZE], safe[VPFRING_DEVICE_MAX + 1];
	struct pfring_ring_export ex;
	struct vpfring_opened out;
	struct vpfring_open o;
	struct vpf_sess *vs;
	const char *why;
	uint32_t flags;
	pfring *ring;
	int queue, code;

	memcpy(&o, p, sizeof(o));
	if (o.version != VPFRING_PROTO_VERSION) {
		vnp_vm_reject(q->vm, "vpfring: session %u speaks version %u",
			      vnp_session_id(q->s), o.version);
		reply_err(q, PF_RING_ERROR_INVALID_LIB_VERSION,
			  "vPF_RING protocol version %u: this host speaks "
			  "version %d", o.version, VPFRING_PROTO_VERSION);
		return;
	}
	if (!memchr(o.device, '\0', sizeof(o.device))) {
		vnp_vm_reject(q->vm, "vpfring: session %u: device name not "
			      "NUL-terminated", vnp_session_id(q->s));
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "device name is not NUL-terminated within %d bytes",
			  VPFRING_DEVICE_MAX);
		return;
	}
	vnp_sanitize(safe, sizeof(safe), o.device, sizeof(o.device));
	why = parse_device(o.device, ifname, &queue);
	if (why) {
		vnp_vm_reject(q->vm, "vpfring: session %u: bad device \"%s\"",
			      vnp_session_id(q->s), safe);
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "bad device name \"%s\": %s", safe, why);
		return;
	}
	if (o.reserved || !o.caplen || o.caplen > MAX_CAPLEN) {
		vnp_vm_reject(q->vm, "vpfring: session %u: caplen %u, "
			      "reserved %u", vnp_session_id(q->s), o.caplen,
			      o.reserved);
		if (o.reserved)
			reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
				  "struct vpfring_open: reserved must be zero");
		else
			reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
				  "caplen %u: must be 1 to %d", o.caplen,
				  MAX_CAPLEN);
		return;
	}
	if (!vnp_vm_may_use(q->vm, ifname, queue)) {
		not_allowed(q, ifname, queue);
		return;
	}
	/* Each open ring holds host kernel memory, mapped or not. */
	if (sess_count(q->vm) >= q->vm->conf->max_rings) {
		vnp_vm_reject(q->vm, "vpfring: session %u: max_rings=%u host "
			      "rings open already", vnp_session_id(q->s),
			      q->vm->conf->max_rings);
		reply_err(q, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
			  "VM %s has %u host rings open already (max_rings = "
			  "%u in vnplugd.conf)", vnp_vm_name(q->vm),
			  sess_count(q->vm), q->vm->conf->max_rings);
		return;
	}
	flags = o.flags & VPF_OPEN_FLAGS;
	if (flags != o.flags)
		vnp_dbg("vm %s session %u: ignoring pfring_open() flags %#x",
			vnp_vm_name(q->vm), vnp_session_id(q->s),
			o.flags & ~VPF_OPEN_FLAGS);
	vs = calloc(1, sizeof(*vs));
	if (!vs) {
		reply_err(q, PF_RING_ERROR_NOT_ENOUGH_MEMORY, "out of memory");
		return;
	}
	ring = pfring_open(o.device, o.caplen, flags);
	if (!ring) {
		code = open_error_code(ifname);
		free(vs);
		vnp_info("vm %s session %u: %s: %s", vnp_vm_name(q->vm),
			 vnp_session_id(q->s), safe, pfring_strerror(NULL));
		reply_err(q, code, "%.*s", VPF_TEXT_MAX - 1,
			  pfring_strerror(NULL));
		return;
	}
	pfring_set_application_name(ring, (char *)vnp_vm_name(q->vm));
	vs->w.fd = -1;
	vs->poll_fd = -1;
	vs->vm = q->vm;
	vs->session = vnp_session_id(q->s);
	vs->ring = ring;
	memcpy(vs->dev, safe, sizeof(vs->dev) - 1);
	memcpy(vs->ifname, ifname, sizeof(vs->ifname));
	vs->format = ring->ops == &pfring_mod_kernel ? VPFRING_FORMAT_PFRING
						     : VPFRING_FORMAT_TPACKET_V3;
	memset(&ex, 0, sizeof(ex));
	if (pfring_export_ring(ring, &ex) == 0)
		vs->format = (uint32_t)ex.format;
	list_add_tail(&vs->node, &vpf_sessions);
	vnp_info("vm %s session %u: %s open (%s ring, %llu bytes)",
		 vnp_vm_name(vs->vm), vs->session, vs->dev,
		 format_name(vs->format), (unsigned long long)ex.size);
	out = (struct vpfring_opened){
		.version = VPFRING_PROTO_VERSION,
		.format = vs->format,
		.ring_id = pfring_get_ring_id(ring),
		.num_rx_channels = pfring_get_num_rx_channels(ring),
	};
	reply_ok(q, &out, sizeof(out));
}

/* ---- ENABLE, DISABLE and the mapping --------------------------------- */

static int vpf_region_init(struct vnp_region *r)
{
	struct vpf_sess *vs = vnp_region_cookie(r);
	size_t len;
	void *app = vnp_region_ctrl_app(r, &len);

	if (!app || len < sizeof(vs->info))
		return -ENOSPC;
	vs->info.region_id = vnp_region_id(r);
	memcpy(app, &vs->info, sizeof(vs->info));
	return 0;
}

/* ENABLE's reply, once QEMU has answered. */
static void enable_reply(struct vpf_sess *vs, int status, const void *p,
			 size_t len)
{
	struct vnplug_app_hdr h = {
		.app_id = VNPLUG_APP_VPFRING, .op = VPFRING_OP_ENABLE,
		.seq = vs->enable_seq, .status = status,
	};

	vnp_send(vs->vm, vs->session, &h, p, len);
}

static void vpf_region_mapped(struct vnp_region *r, int status)
{
	struct vpf_sess *vs = vnp_region_cookie(r);
	char text[VPF_TEXT_MAX];

	if (!status) {
		vs->map = VPF_MAP_DONE;
		vnp_dbg("vm %s session %u: %s ring is region %u",
			vnp_vm_name(vs->vm), vs->session, vs->dev,
			vnp_region_id(r));
		if (!vs->closed)
			enable_reply(vs, 0, &vs->info, sizeof(vs->info));
		return;
	}
	/* The region ends when this returns. */
	vs->r = NULL;
	vs->map = VPF_MAP_NONE;
	if (!vs->closed) {
		pfring_disable_ring(vs->ring);
		snprintf(text, sizeof(text), "QEMU could not map the ring into "
			 "the guest: %s", strerror(-status));
		enable_reply(vs, status == -ENOMEM
					 ? PF_RING_ERROR_NOT_ENOUGH_MEMORY
					 : PF_RING_ERROR_GENERIC,
			     text, strlen(text));
	}
	sess_maybe_free(vs);
}

static void vpf_region_unmapped(struct vnp_region *r, int status)
{
	struct vpf_sess *vs = vnp_region_cookie(r);
	static const char gone[] = "the ring device went away before QEMU "
				   "had mapped it";

	if (!vs->closed)
		vnp_info("vm %s session %u: %s ring (region %u) unplugged "
			 "(%d)", vnp_vm_name(vs->vm), vs->session, vs->dev,
			 vnp_region_id(r), status);
	/* QEMU gave up the device without answering MAP: ENABLE fails. */
	if (!vs->closed && vs->map == VPF_MAP_PENDING) {
		pfring_disable_ring(vs->ring);
		enable_reply(vs, PF_RING_ERROR_GENERIC, gone, sizeof(gone) - 1);
	}
	watch_stop(vs);
	vs->r = NULL;
	vs->map = VPF_MAP_NONE;
	sess_maybe_free(vs);
}

static void region_create_error(struct vpf_req *q, int ret, uint64_t size)
{
	if (ret == -ENOSPC)
		reply_err(q, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
			  "the ring (%llu bytes) would exceed this VM's "
			  "max_rings or max_ring_memory in vnplugd.conf",
			  (unsigned long long)size);
	else
		reply_err(q, PF_RING_ERROR_GENERIC,
			  "mapping the ring into the guest: %s",
			  strerror(-ret));
}

/* Hand the enabled ring to QEMU; ENABLE is answered from region_mapped. */
static void map_ring(struct vpf_req *q)
{
	struct vpf_sess *vs = q->vs;
	struct pfring_ring_export ex;
	int rc, fd;

	rc = pfring_export_ring(ring_of(q), &ex);
	if (rc < 0) {
		pfring_disable_ring(vs->ring);
		reply_rc(q, "exporting the ring", rc, NULL, 0);
		return;
	}
	poll_fd_close(vs);
	fd = fcntl(ex.poll_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		pfring_disable_ring(vs->ring);
		reply_err(q, PF_RING_ERROR_GENERIC, "dup: %s", strerror(errno));
		return;
	}
	vs->poll_fd = fd;
	vs->format = (uint32_t)ex.format;
	vs->info = (struct vpfring_ring){
		.magic = VPFRING_RING_MAGIC,
		.format = (uint32_t)ex.format,
		.caplen = ex.caplen,
		.size = ex.size,
		.poll_duration = vs->ring->cfg.poll_duration,
	};
	if (ex.format == PFRING_EXPORT_TPACKET_V3) {
		vs->info.block_size = ex.block_size;
		vs->info.block_nr = ex.block_nr;
		vs->info.frame_size = ex.frame_size;
		vs->info.frame_nr = ex.frame_nr;
	}
	rc = vnp_region_create(vs->vm, vs->session, VNPLUG_APP_VPFRING,
			       ex.mem_fd, 0, ex.size, vs, &vs->r);
	if (rc) {
		vs->r = NULL;
		pfring_disable_ring(vs->ring);
		region_create_error(q, rc, ex.size);
		return;
	}
	vs->map = VPF_MAP_PENDING;
	vs->enable_seq = q->h->seq;
}

static void op_enable(struct vpf_req *q, const void *p, size_t len)
{
	int rc;

	if (q->vs->map == VPF_MAP_PENDING) {
		reply_err(q, PF_RING_ERROR_INVALID_STATUS,
			  "the ring is being mapped into the guest (an "
			  "earlier ENABLE is not answered yet)");
		return;
	}
	rc = pfring_enable_ring(ring_of(q));
	/* Mapped already, or send-only: no ring to map (no payload). */
	if (rc < 0 || q->vs->map == VPF_MAP_DONE ||
	    q->vs->ring->cfg.mode == send_only_mode) {
		reply_rc(q, "pfring_enable_ring", rc, NULL, 0);
		return;
	}
	map_ring(q);
}

static void op_disable(struct vpf_req *q, const void *p, size_t len)
{
	reply_rc(q, "pfring_disable_ring", pfring_disable_ring(ring_of(q)),
		 NULL, 0);
}

/* ---- settings -------------------------------------------------------- */

/* A mapped AF_PACKET ring: the kernel will not replace it (mod_packet.c). */
static bool geometry_locked(const struct vpf_sess *vs)
{
	return vs->r && vs->format == VPFRING_FORMAT_TPACKET_V3;
}

static void op_set_direction(struct vpf_req *q, const void *p, size_t len)
{
	uint32_t v;

	get_u32(p, &v);
	if (v > tx_only_direction) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "packet direction %u: must be 0 to %d", v,
			  tx_only_direction);
		return;
	}
	reply_rc(q, "pfring_set_direction",
		 pfring_set_direction(ring_of(q), (packet_direction)v), NULL,
		 0);
}

static void op_set_socket_mode(struct vpf_req *q, const void *p, size_t len)
{
	uint32_t v;

	get_u32(p, &v);
	if (v > recv_only_mode) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "socket mode %u: must be 0 to %d", v, recv_only_mode);
		return;
	}
	if (v == send_only_mode && geometry_locked(q->vs)) {
		reply_err(q, PF_RING_ERROR_INVALID_STATUS,
			  "an AF_PACKET host ring mapped into the guest cannot "
			  "become send-only: set the mode before "
			  "pfring_enable_ring()");
		return;
	}
	reply_rc(q, "pfring_set_socket_mode",
		 pfring_set_socket_mode(ring_of(q), (socket_mode)v), NULL, 0);
}

static void op_set_sampling_rate(struct vpf_req *q, const void *p, size_t len)
{
	uint32_t v;

	get_u32(p, &v);
	reply_rc(q, "pfring_set_sampling_rate",
		 pfring_set_sampling_rate(ring_of(q), v), NULL, 0);
}

static void op_set_poll_watermark(struct vpf_req *q, const void *p,
				  size_t len)
{
	uint32_t v;

	get_u32(p, &v);
	if (geometry_locked(q->vs)) {
		reply_err(q, PF_RING_ERROR_INVALID_STATUS, VPF_GEOMETRY_LOCKED);
		return;
	}
	if (v > UINT16_MAX) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "poll watermark %u: must be at most %u", v,
			  UINT16_MAX);
		return;
	}
	reply_rc(q, "pfring_set_poll_watermark",
		 pfring_set_poll_watermark(ring_of(q), (u_int16_t)v), NULL, 0);
}

static void op_set_poll_duration(struct vpf_req *q, const void *p,
				 size_t len)
{
	struct vpf_sess *vs = q->vs;
	struct vpfring_ring *shared;
	size_t alen;
	uint32_t v;
	int rc;

	get_u32(p, &v);
	if (geometry_locked(vs)) {
		reply_err(q, PF_RING_ERROR_INVALID_STATUS, VPF_GEOMETRY_LOCKED);
		return;
	}
	rc = pfring_set_poll_duration(ring_of(q), v);
	/* A pf_ring.ko ring may change it mapped: tell the reader. */
	if (rc == 0 && vs->r) {
		vs->info.poll_duration = v;
		shared = vnp_region_ctrl_app(vs->r, &alen);
		if (shared)
			__atomic_store_n(&shared->poll_duration, v,
					 __ATOMIC_RELEASE);
	}
	reply_rc(q, "pfring_set_poll_duration", rc, NULL, 0);
}

static void op_set_channel_id(struct vpf_req *q, const void *p, size_t len)
{
	uint32_t v;

	get_u32(p, &v);
	if (v >= MAX_NUM_RX_CHANNELS) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "channel id %u: must be below %d", v,
			  MAX_NUM_RX_CHANNELS);
		return;
	}
	if (!vnp_vm_may_use(q->vm, q->vs->ifname, (int)v)) {
		not_allowed(q, q->vs->ifname, (int)v);
		return;
	}
	reply_rc(q, "pfring_set_channel_id",
		 pfring_set_channel_id(ring_of(q), v), NULL, 0);
}

static void op_toggle_policy(struct vpf_req *q, const void *p, size_t len)
{
	uint32_t v;

	get_u32(p, &v);
	if (v > 1) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "filtering policy %u: 1 accepts, 0 drops", v);
		return;
	}
	reply_rc(q, "pfring_toggle_filtering_policy",
		 pfring_toggle_filtering_policy(ring_of(q), (u_int8_t)v), NULL,
		 0);
}

/* The host's name is "<vm>:<name>", so /proc/net/pf_ring names the VM. */
static void op_set_appname(struct vpf_req *q, const void *p, size_t len)
{
	char name[VNP_VM_NAME_MAX + 2 + VPFRING_APPNAME_MAX];
	const char *in = p;
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] < 0x20 || in[i] > 0x7e) {
			vnp_vm_reject(q->vm, "vpfring: session %u: application "
				      "name with byte %#x",
				      vnp_session_id(q->s),
				      (unsigned char)in[i]);
			reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
				  "application name: printable ASCII only "
				  "(byte %zu is %#x)", i,
				  (unsigned char)in[i]);
			return;
		}
	}
	if (len)
		snprintf(name, sizeof(name), "%s:%.*s", vnp_vm_name(q->vm),
			 (int)len, in);
	else
		snprintf(name, sizeof(name), "%s", vnp_vm_name(q->vm));
	reply_rc(q, "pfring_set_application_name",
		 pfring_set_application_name(ring_of(q), name), NULL, 0);
}

/* ---- filters --------------------------------------------------------- */

static void op_set_bpf(struct vpf_req *q, const void *p, size_t len)
{
	char text[VPFRING_BPF_MAX + 1];

	if (memchr(p, '\0', len)) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "BPF filter text contains a NUL byte");
		return;
	}
	memcpy(text, p, len);
	text[len] = '\0';
	reply_rc(q, "pfring_set_bpf_filter",
		 pfring_set_bpf_filter(ring_of(q), text), NULL, 0);
}

static void op_remove_bpf(struct vpf_req *q, const void *p, size_t len)
{
	reply_rc(q, "pfring_remove_bpf_filter",
		 pfring_remove_bpf_filter(ring_of(q)), NULL, 0);
}

static bool transmits(uint8_t action)
{
	return action == reflect_packet_and_stop_rule_evaluation ||
	       action == reflect_packet_and_continue_rule_evaluation ||
	       action == bounce_packet_and_stop_rule_evaluation ||
	       action == bounce_packet_and_continue_rule_evaluation;
}

static bool named(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i])
			return true;
	return false;
}

/* A guest must not make the host transmit on the host's interfaces. */
static bool refuse_transmit(struct vpf_req *q, const char *kind,
			    unsigned int id, uint8_t action,
			    const char *reflector, size_t rlen)
{
	if (!transmits(action) && !named(reflector, rlen))
		return false;
	vnp_vm_reject(q->vm, "vpfring: session %u: %s rule %u reflects or "
		      "bounces", vnp_session_id(q->s), kind, id);
	reply_err(q, PF_RING_ERROR_NOT_SUPPORTED,
		  "%s rule %u: reflect and bounce actions (and reflector "
		  "devices) are not allowed from a guest: they would make the "
		  "host transmit on its interfaces", kind, id);
	return true;
}

static void op_add_rule(struct vpf_req *q, const void *p, size_t len)
{
	struct vpfring_wc_rule w;
	filtering_rule r;

	memcpy(&w, p, sizeof(w));
	if (refuse_transmit(q, "wildcard", w.rule_id, w.action, w.reflector,
			    sizeof(w.reflector)))
		return;
	vpfring_wc_rule_decode(&w, &r);
	reply_rc(q, "pfring_add_filtering_rule",
		 pfring_add_filtering_rule(ring_of(q), &r), NULL, 0);
}

static void op_remove_rule(struct vpf_req *q, const void *p, size_t len)
{
	uint32_t v;

	get_u32(p, &v);
	if (v > UINT16_MAX) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "rule id %u: must be at most %u", v, UINT16_MAX);
		return;
	}
	reply_rc(q, "pfring_remove_filtering_rule",
		 pfring_remove_filtering_rule(ring_of(q), (u_int16_t)v), NULL,
		 0);
}

static void op_hash_rule(struct vpf_req *q, const void *p, size_t len)
{
	struct vpfring_hash_req rq;
	hash_filtering_rule r;

	memcpy(&rq, p, sizeof(rq));
	if (rq.add > 1) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "hash rule: add is %u, must be 1 (add) or 0 "
			  "(remove)", rq.add);
		return;
	}
	if (rq.add && refuse_transmit(q, "hash", rq.rule.rule_id,
				      rq.rule.action, rq.rule.reflector,
				      sizeof(rq.rule.reflector)))
		return;
	vpfring_hash_rule_decode(&rq.rule, &r);
	reply_rc(q, "pfring_handle_hash_filtering_rule",
		 pfring_handle_hash_filtering_rule(ring_of(q), &r,
						   (u_char)rq.add),
		 NULL, 0);
}

static void op_purge_idle(struct vpf_req *q, const void *p, size_t len)
{
	struct vpfring_purge pg;
	uint32_t n;
	int rc;

	memcpy(&pg, p, sizeof(pg));
	if (pg.idle_sec > UINT16_MAX || pg.hash > 1) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "purge: idle_sec %u (at most %u), hash %u (0 or 1)",
			  pg.idle_sec, UINT16_MAX, pg.hash);
		return;
	}
	rc = pg.hash ? pfring_purge_idle_hash_rules(ring_of(q),
						    (u_int16_t)pg.idle_sec)
		     : pfring_purge_idle_rules(ring_of(q),
					       (u_int16_t)pg.idle_sec);
	n = rc > 0 ? (uint32_t)rc : 0;
	reply_rc(q, "purging idle rules", rc, &n, sizeof(n));
}

static void reply_rule_stats(struct vpf_req *q, const char *what, int rc,
			     const hash_filtering_rule_stats *st)
{
	struct vpfring_rule_stats out = { 0 };

	if (rc >= 0) {
		out.match = st->match;
		out.filtered = st->filtered;
		out.inactivity = st->inactivity;
	}
	reply_rc(q, what, rc, &out, sizeof(out));
}

static void op_rule_stats(struct vpf_req *q, const void *p, size_t len)
{
	hash_filtering_rule_stats st;
	u_int st_len = sizeof(st);
	uint32_t v;

	get_u32(p, &v);
	if (v > UINT16_MAX) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "rule id %u: must be at most %u", v, UINT16_MAX);
		return;
	}
	reply_rule_stats(q, "pfring_get_filtering_rule_stats",
			 pfring_get_filtering_rule_stats(ring_of(q),
							 (u_int16_t)v,
							 (char *)&st, &st_len),
			 &st);
}

static void op_hash_rule_stats(struct vpf_req *q, const void *p, size_t len)
{
	hash_filtering_rule_stats st;
	u_int st_len = sizeof(st);
	struct vpfring_hash_rule w;
	hash_filtering_rule r;

	memcpy(&w, p, sizeof(w));
	vpfring_hash_rule_decode(&w, &r);
	reply_rule_stats(q, "pfring_get_hash_filtering_rule_stats",
			 pfring_get_hash_filtering_rule_stats(ring_of(q), &r,
							      (char *)&st,
							      &st_len),
			 &st);
}

/* ---- clusters -------------------------------------------------------- */

/* AF_PACKET leaves a cluster with a new socket: not once mapped. */
static bool cluster_locked(struct vpf_req *q)
{
	if (!geometry_locked(q->vs) || !q->vs->ring->cfg.cluster_set)
		return false;
	reply_err(q, PF_RING_ERROR_INVALID_STATUS,
		  "an AF_PACKET host ring mapped into the guest cannot leave "
		  "or change its cluster (that takes a new socket): set the "
		  "cluster before pfring_enable_ring()");
	return true;
}

static void op_set_cluster(struct vpf_req *q, const void *p, size_t len)
{
	struct vpfring_cluster c;

	memcpy(&c, p, sizeof(c));
	if (c.type > cluster_per_flow_tcp_5_tuple) {
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "cluster type %u: must be 0 to %d", c.type,
			  cluster_per_flow_tcp_5_tuple);
		return;
	}
	if (cluster_locked(q))
		return;
	reply_rc(q, "pfring_set_cluster",
		 pfring_set_cluster(ring_of(q), c.id, (cluster_type)c.type),
		 NULL, 0);
}

static void op_remove_from_cluster(struct vpf_req *q, const void *p,
				   size_t len)
{
	if (cluster_locked(q))
		return;
	reply_rc(q, "pfring_remove_from_cluster",
		 pfring_remove_from_cluster(ring_of(q)), NULL, 0);
}

/* ---- queries --------------------------------------------------------- */

static void op_stats(struct vpf_req *q, const void *p, size_t len)
{
	struct vpfring_stats out = { 0 };
	pfring_stat st;
	int rc = pfring_stats(ring_of(q), &st);

	if (rc >= 0) {
		out.recv = st.recv;
		out.drop = st.drop;
	}
	reply_rc(q, "pfring_stats", rc, &out, sizeof(out));
}

static void op_version(struct vpf_req *q, const void *p, size_t len)
{
	u_int32_t v = 0;
	int rc = pfring_version(ring_of(q), &v);

	reply_rc(q, "pfring_version", rc, &v, sizeof(v));
}

static void op_bound_device_address(struct vpf_req *q, const void *p,
				    size_t len)
{
	u_char mac[6] = { 0 };
	int rc = pfring_get_bound_device_address(ring_of(q), mac);

	reply_rc(q, "pfring_get_bound_device_address", rc, mac, sizeof(mac));
}

static void op_bound_device_id(struct vpf_req *q, const void *p, size_t len)
{
	int id = 0;
	int rc = pfring_get_bound_device_id(ring_of(q), &id);
	int32_t out = id;

	reply_rc(q, "pfring_get_bound_device_id", rc, &out, sizeof(out));
}

static void op_num_rx_channels(struct vpf_req *q, const void *p, size_t len)
{
	uint32_t n = pfring_get_num_rx_channels(ring_of(q));

	reply_ok(q, &n, sizeof(n));
}

static void op_ring_id(struct vpf_req *q, const void *p, size_t len)
{
	int rc = pfring_get_ring_id(ring_of(q));
	int32_t id = rc;

	reply_rc(q, "pfring_get_ring_id", rc, &id, sizeof(id));
}

static void op_mtu(struct vpf_req *q, const void *p, size_t len)
{
	int rc = pfring_get_mtu_size(ring_of(q));
	int32_t mtu = rc;

	reply_rc(q, "pfring_get_mtu_size", rc, &mtu, sizeof(mtu));
}

static void op_interface_speed(struct vpf_req *q, const void *p, size_t len)
{
	uint32_t speed = pfring_get_interface_speed(ring_of(q));

	reply_ok(q, &speed, sizeof(speed));
}

/* ---- transmission ---------------------------------------------------- */

/* On the device the VM opened, which its "interfaces" allowed. */
static void op_send(struct vpf_req *q, const void *p, size_t len)
{
	u_char pkt[VPFRING_SEND_MAX];
	struct vpfring_send sd;
	int rc;

	memcpy(&sd, p, sizeof(sd));
	if (!sd.len || sd.len > VPFRING_SEND_MAX ||
	    len != sizeof(sd) + sd.len) {
		vnp_vm_reject(q->vm, "vpfring: session %u: SEND of %u bytes "
			      "in a payload of %zu", vnp_session_id(q->s),
			      sd.len, len);
		reply_err(q, PF_RING_ERROR_INVALID_ARGUMENT,
			  "SEND: len %u (1 to %d) does not match the %zu "
			  "bytes after struct vpfring_send", sd.len,
			  VPFRING_SEND_MAX, len - sizeof(sd));
		return;
	}
	memcpy(pkt, (const uint8_t *)p + sizeof(sd), sd.len);
	rc = pfring_send(ring_of(q), pkt, sd.len, sd.flush ? 1 : 0);
	reply_rc(q, "pfring_send", rc, NULL, 0);
}

/* ---- dispatch -------------------------------------------------------- */

struct vpf_op {
	const char *name;
	size_t min, max;	/* payload bytes */
	void (*fn)(struct vpf_req *q, const void *p, size_t len);
};

#define FIXED(n) (n), (n)

static const struct vpf_op vpf_ops[] = {
	[VPFRING_OP_OPEN] = { "OPEN", FIXED(sizeof(struct vpfring_open)),
			      op_open },
	[VPFRING_OP_ENABLE] = { "ENABLE", FIXED(0), op_enable },
	[VPFRING_OP_DISABLE] = { "DISABLE", FIXED(0), op_disable },
	[VPFRING_OP_SET_DIRECTION] = { "SET_DIRECTION", FIXED(4),
				       op_set_direction },
	[VPFRING_OP_SET_SOCKET_MODE] = { "SET_SOCKET_MODE", FIXED(4),
					 op_set_socket_mode },
	[VPFRING_OP_SET_SAMPLING_RATE] = { "SET_SAMPLING_RATE", FIXED(4),
					   op_set_sampling_rate },
	[VPFRING_OP_SET_POLL_WATERMARK] = { "SET_POLL_WATERMARK", FIXED(4),
					    op_set_poll_watermark },
	[VPFRING_OP_SET_POLL_DURATION] = { "SET_POLL_DURATION", FIXED(4),
					   op_set_poll_duration },
	[VPFRING_OP_SET_CHANNEL_ID] = { "SET_CHANNEL_ID", FIXED(4),
					op_set_channel_id },
	[VPFRING_OP_TOGGLE_POLICY] = { "TOGGLE_POLICY", FIXED(4),
				       op_toggle_policy },
	[VPFRING_OP_SET_APPNAME] = { "SET_APPNAME", 0, VPFRING_APPNAME_MAX,
				     op_set_appname },
	[VPFRING_OP_SET_BPF] = { "SET_BPF", 1, VPFRING_BPF_MAX, op_set_bpf },
	[VPFRING_OP_REMOVE_BPF] = { "REMOVE_BPF", FIXED(0), op_remove_bpf },
	[VPFRING_OP_ADD_RULE] = { "ADD_RULE",
				  FIXED(sizeof(struct vpfring_wc_rule)),
				  op_add_rule },
	[VPFRING_OP_REMOVE_RULE] = { "REMOVE_RULE", FIXED(4),
				     op_remove_rule },
	[VPFRING_OP_HASH_RULE] = { "HASH_RULE",
				   FIXED(sizeof(struct vpfring_hash_req)),
				   op_hash_rule },
	[VPFRING_OP_PURGE_IDLE] = { "PURGE_IDLE",
				    FIXED(sizeof(struct vpfring_purge)),
				    op_purge_idle },
	[VPFRING_OP_RULE_STATS] = { "RULE_STATS", FIXED(4), op_rule_stats },
	[VPFRING_OP_HASH_RULE_STATS] = {
		"HASH_RULE_STATS", FIXED(sizeof(struct vpfring_hash_rule)),
		op_hash_rule_stats },
	[VPFRING_OP_SET_CLUSTER] = { "SET_CLUSTER",
				     FIXED(sizeof(struct vpfring_cluster)),
				     op_set_cluster },
	[VPFRING_OP_REMOVE_FROM_CLUSTER] = { "REMOVE_FROM_CLUSTER", FIXED(0),
					     op_remove_from_cluster },
	[VPFRING_OP_STATS] = { "STATS", FIXED(0), op_stats },
	[VPFRING_OP_VERSION] = { "VERSION", FIXED(0), op_version },
	[VPFRING_OP_BOUND_DEVICE_ADDRESS] = { "BOUND_DEVICE_ADDRESS",
					      FIXED(0),
					      op_bound_device_address },
	[VPFRING_OP_BOUND_DEVICE_ID] = { "BOUND_DEVICE_ID", FIXED(0),
					 op_bound_device_id },
	[VPFRING_OP_NUM_RX_CHANNELS] = { "NUM_RX_CHANNELS", FIXED(0),
					 op_num_rx_channels },
	[VPFRING_OP_RING_ID] = { "RING_ID", FIXED(0), op_ring_id },
	[VPFRING_OP_MTU] = { "MTU", FIXED(0), op_mtu },
	[VPFRING_OP_INTERFACE_SPEED] = { "INTERFACE_SPEED", FIXED(0),
					 op_interface_speed },
	[VPFRING_OP_SEND] = { "SEND", sizeof(struct vpfring_send) + 1,
			      sizeof(struct vpfring_send) + VPFRING_SEND_MAX,
			      op_send },
};

#define N_VPF_OPS (sizeof(vpf_ops) / sizeof(vpf_ops[0]))
_Static_assert(N_VPF_OPS == VPFRING_OP_MAX + 1, "an op without an entry");

/*
 * Checks in this order: the op is known, its payload has its length, the
 * session has (OPEN: has not) a ring. So a malformed request gets the same
 * answer whatever the session's state.
 */
static void vpf_message(struct vnp_session *s, const struct vnplug_app_hdr *h,
			const void *payload, size_t len)
{
	struct vpf_req q = { .s = s, .h = h, .vm = vnp_session_vm(s) };
	const struct vpf_op *op = NULL;

	if (h->op < N_VPF_OPS && vpf_ops[h->op].fn)
		op = &vpf_ops[h->op];
	if (!op) {
		vnp_vm_reject(q.vm, "vpfring: session %u: unknown op %u",
			      vnp_session_id(s), h->op);
		reply_err(&q, PF_RING_ERROR_NOT_SUPPORTED,
			  "unknown vPF_RING operation %u (this host speaks "
			  "version %d, operations 1 to %d)", h->op,
			  VPFRING_PROTO_VERSION, VPFRING_OP_MAX);
		return;
	}
	if (len < op->min || len > op->max) {
		vnp_vm_reject(q.vm, "vpfring: session %u: %s with %zu bytes",
			      vnp_session_id(s), op->name, len);
		if (op->min == op->max)
			reply_err(&q, PF_RING_ERROR_INVALID_ARGUMENT,
				  "%s: payload of %zu bytes, expected %zu",
				  op->name, len, op->min);
		else
			reply_err(&q, PF_RING_ERROR_INVALID_ARGUMENT,
				  "%s: payload of %zu bytes, expected %zu to "
				  "%zu", op->name, len, op->min, op->max);
		return;
	}
	q.vs = sess_find(q.vm, vnp_session_id(s));
	if (h->op == VPFRING_OP_OPEN && q.vs) {
		reply_err(&q, PF_RING_ERROR_INVALID_STATUS,
			  "this session has a ring already (one pfring "
			  "handle per session)");
		return;
	}
	if (h->op != VPFRING_OP_OPEN && !q.vs) {
		reply_err(&q, PF_RING_ERROR_INVALID_STATUS,
			  "%s: no ring: the session must open one first",
			  op->name);
		return;
	}
	op->fn(&q, payload, len);
}

static void vpf_session_closed(struct vnp_session *s)
{
	struct vpf_sess *vs = sess_find(vnp_session_vm(s), vnp_session_id(s));
	pfring_stat st = { 0 };

	if (!vs)
		return;
	list_del(&vs->node);
	vs->closed = true;
	poll_fd_close(vs);
	if (pfring_stats(vs->ring, &st) < 0)
		memset(&st, 0, sizeof(st));
	vnp_info("vm %s session %u: %s closed (%llu packets received, %llu "
		 "dropped)", vnp_vm_name(vs->vm), vs->session, vs->dev,
		 (unsigned long long)st.recv, (unsigned long long)st.drop);
	vnp_dbg("vm %s session %u: %llu doorbells, %llu signals, %llu ring "
		"errors", vnp_vm_name(vs->vm), vs->session,
		(unsigned long long)vs->doorbells,
		(unsigned long long)vs->signals,
		(unsigned long long)vs->errors);
	pfring_close(vs->ring);
	vs->ring = NULL;
	/* The framework destroys the region now; its end frees vs. */
	sess_maybe_free(vs);
}

const struct vnp_app vnp_app_vpfring = {
	.name = "vpfring",
	.id = VNPLUG_APP_VPFRING,
	.message = vpf_message,
	.session_closed = vpf_session_closed,
	.region_init = vpf_region_init,
	.region_mapped = vpf_region_mapped,
	.region_unmapped = vpf_region_unmapped,
	.doorbell = vpf_doorbell,
};
