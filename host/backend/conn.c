// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layer 2: struct vnplug_sock_hdr frames on a QEMU connection. Input is
 * read one frame part at a time (header, then payload), never past the
 * current frame, so that descriptors passed with SCM_RIGHTS can only be
 * attributed to the frame they came with. Output is queued (bounded) and
 * sent as the socket accepts it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnplugd.h"

#define HDR_LEN sizeof(struct vnplug_sock_hdr)
/* Frames handled per wake-up, so that one VM cannot starve the others. */
#define FRAMES_PER_EVENT 32

struct frame_type {
	const char *name;
	size_t len;		/* exact payload size; 0: checked by fn */
	void (*fn)(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
		   const uint8_t *p);
};

static void conn_release(struct vnp_watch *w);
static void conn_event(struct vnp_watch *w, uint32_t events);

static struct vnp_conn *watch_conn(struct vnp_watch *w)
{
	return (struct vnp_conn *)((char *)w - offsetof(struct vnp_conn, w));
}

struct vnp_conn *vnp_conn_new(struct vnp_vm *vm, int fd, pid_t pid)
{
	struct vnp_conn *c = calloc(1, sizeof(*c));
	int ret;

	if (!c) {
		vnp_err("vm %s: out of memory", vm->conf->name);
		return NULL;
	}
	c->vm = vm;
	c->pid = pid;
	c->hello_deadline = vnp_now_ms() + VNPD_HELLO_TIMEOUT_MS;
	list_init(&c->out);
	ret = vnp_watch_add(&c->w, fd, EPOLLIN, conn_event);
	if (ret) {
		vnp_err("vm %s: epoll: %s", vm->conf->name, strerror(-ret));
		free(c);
		return NULL;
	}
	return c;
}

/* ---- output ---------------------------------------------------------- */

static void frame_free(struct vnp_frame *f)
{
	unsigned int i;

	for (i = 0; i < f->nfds; i++)
		close(f->fds[i]);
	free(f);
}

static void want_out(struct vnp_conn *c, bool on)
{
	if (c->want_out == on)
		return;
	c->want_out = on;
	vnp_watch_mod(&c->w, EPOLLIN | (on ? EPOLLOUT : 0));
}

static ssize_t send_frame(int fd, struct vnp_frame *f)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * VNPLUG_SOCK_MAX_FDS)];
	} cm;
	struct iovec iov = { f->data + f->off, f->len - f->off };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	/* Descriptors travel with the frame's first byte. */
	if (f->off == 0 && f->nfds) {
		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * f->nfds);
		cmsg = CMSG_FIRSTHDR(&m);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * f->nfds);
		memcpy(CMSG_DATA(cmsg), f->fds, sizeof(int) * f->nfds);
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void conn_flush(struct vnp_conn *c)
{
	struct vnp_frame *f;
	ssize_t n;

	while (!c->w.dead && !list_empty(&c->out)) {
		f = list_first_entry(&c->out, struct vnp_frame, node);
		n = send_frame(c->w.fd, f);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want_out(c, true);
			return;
		}
		if (n < 0) {
			vnp_warn("vm %s: sending to QEMU pid %d: %s",
				 c->vm->conf->name, c->pid, strerror(errno));
			vnp_conn_kill(c);
			return;
		}
		/* QEMU holds its copies now; ours go. */
		while (f->nfds)
			close(f->fds[--f->nfds]);
		f->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (f->off == f->len) {
			list_del(&f->node);
			frame_free(f);
		}
	}
	if (!c->w.dead)
		want_out(c, false);
}

static struct vnp_frame *frame_build(uint16_t type, uint32_t seq,
				     const struct iovec *iov, int iovcnt,
				     size_t len)
{
	struct vnplug_sock_hdr h = {
		.magic = VNPLUG_SOCK_MAGIC, .type = type,
		.len = (uint32_t)len, .seq = seq,
	};
	struct vnp_frame *f = malloc(sizeof(*f) + HDR_LEN + len);
	size_t off = HDR_LEN;
	int i;

	if (!f)
		return NULL;
	f->len = HDR_LEN + len;
	f->off = 0;
	f->nfds = 0;
	memcpy(f->data, &h, HDR_LEN);
	for (i = 0; i < iovcnt; i++) {
		if (!iov[i].iov_len)
			continue;
		memcpy(f->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	return f;
}

/* The frame owns duplicates, so callers may close theirs at once. */
static int frame_dup_fds(struct vnp_frame *f, const int *fds,
			 unsigned int nfds)
{
	struct vnplug_sock_hdr *h = (struct vnplug_sock_hdr *)f->data;
	int fd;

	for (f->nfds = 0; f->nfds < nfds; f->nfds++) {
		fd = fcntl(fds[f->nfds], F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return -errno;
		f->fds[f->nfds] = fd;
	}
	h->nfds = (uint16_t)nfds;
	return 0;
}

int vnp_conn_send(struct vnp_conn *c, uint16_t type, uint32_t seq,
		  const struct iovec *iov, int iovcnt, const int *fds,
		  unsigned int nfds)
{
	struct vnp_frame *f;
	size_t len = 0;
	int i, ret;

	if (c->w.dead)
		return -ENOTCONN;
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > VNPLUG_SOCK_MAX || nfds > VNPLUG_SOCK_MAX_FDS)
		return -EMSGSIZE;
	f = frame_build(type, seq, iov, iovcnt, len);
	if (!f)
		return -ENOMEM;
	ret = frame_dup_fds(f, fds, nfds);
	if (ret) {
		frame_free(f);
		return ret;
	}
	list_add_tail(&f->node, &c->out);
	c->out_bytes += f->len;
	conn_flush(c);
	if (!c->w.dead && c->out_bytes > VNPD_OUT_MAX) {
		vnp_warn("vm %s: QEMU pid %d does not read its socket (%zu "
			 "bytes queued); disconnecting", c->vm->conf->name,
			 c->pid, c->out_bytes);
		vnp_conn_kill(c);
		return -ENOBUFS;
	}
	return c->w.dead ? -ENOTCONN : 0;
}

static void error_fill(struct vnplug_sock_error *e, int status,
		       uint32_t ref_seq, const char *fmt, va_list ap)
{
	memset(e, 0, sizeof(*e));
	e->status = status;
	e->ref_seq = ref_seq;
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
}

int vnp_conn_send_error(struct vnp_conn *c, int status, uint32_t ref_seq,
			const char *fmt, ...)
{
	struct vnplug_sock_error e;
	struct iovec iov = { &e, sizeof(e) };
	va_list ap;

	va_start(ap, fmt);
	error_fill(&e, status, ref_seq, fmt, ap);
	va_end(ap);
	return vnp_conn_send(c, VNPLUG_SOCK_ERROR, ++c->seq, &iov, 1, NULL, 0);
}

void vnp_refuse_fd(int fd, int status, const char *fmt, ...)
{
	struct {
		struct vnplug_sock_hdr h;
		struct vnplug_sock_error e;
	} f = {
		.h = { .magic = VNPLUG_SOCK_MAGIC, .type = VNPLUG_SOCK_ERROR,
		       .len = sizeof(struct vnplug_sock_error), .seq = 1 },
	};
	va_list ap;

	va_start(ap, fmt);
	error_fill(&f.e, status, 0, fmt, ap);
	va_end(ap);
	/* A fresh socket's buffer takes it whole; if not, never mind. */
	if (send(fd, &f, sizeof(f), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		vnp_dbg("refused connection: %s", strerror(errno));
	close(fd);
}

/* ---- life and death -------------------------------------------------- */

void vnp_conn_kill(struct vnp_conn *c)
{
	vnp_watch_bury(&c->w, conn_release);
}

static void in_fds_close(struct vnp_conn *c)
{
	while (c->in_nfds)
		close(c->in_fds[--c->in_nfds]);
	c->in_fds_lost = false;
}

void vnp_conn_close(struct vnp_conn *c)
{
	struct vnp_frame *f;

	if (c->closed)
		return;
	c->closed = true;
	if (c->vm->conn == c) {
		c->vm->conn = NULL;
		vnp_vm_forget(c->vm);
	}
	vnp_watch_del(&c->w);
	close(c->w.fd);
	c->w.fd = -1;
	while (!list_empty(&c->out)) {
		f = list_first_entry(&c->out, struct vnp_frame, node);
		list_del(&f->node);
		frame_free(f);
	}
	in_fds_close(c);
}

static void conn_release(struct vnp_watch *w)
{
	struct vnp_conn *c = watch_conn(w);

	vnp_conn_close(c);
	free(c);
}

bool vnp_conn_hung_up(const struct vnp_conn *c)
{
	struct pollfd p = { .fd = c->w.fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 &&
	       (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Log, answer ERROR and hang up: the stream cannot be trusted further. */
static void conn_fail(struct vnp_conn *c, int status, uint32_t ref_seq,
		      const char *what)
{
	vnp_vm_reject(c->vm, "QEMU pid %d: %s; disconnecting", c->pid, what);
	vnp_conn_send_error(c, status, ref_seq, "%s", what);
	vnp_conn_kill(c);
}

/* Log and answer ERROR; the connection goes on. */
static void conn_refuse(struct vnp_conn *c, int status, uint32_t ref_seq,
			const char *what)
{
	vnp_vm_reject(c->vm, "QEMU pid %d: %s", c->pid, what);
	vnp_conn_send_error(c, status, ref_seq, "%s", what);
}

/* ---- frame handlers -------------------------------------------------- */

static void on_hello(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
		     const uint8_t *p)
{
	struct vnplug_sock_hello in, out = { .version = VNPLUG_VERSION };
	struct iovec iov = { &out, sizeof(out) };
	struct vnp_vm *vm = c->vm;
	char what[96];

	memcpy(&in, p, sizeof(in));
	if (c->hello_done) {
		conn_refuse(c, -EPROTO, h->seq, "second HELLO");
		return;
	}
	if (in.version != VNPLUG_VERSION || in.features) {
		snprintf(what, sizeof(what), "HELLO with version %u features "
			 "%#x; vnplugd speaks version %d, no features",
			 in.version, in.features, VNPLUG_VERSION);
		conn_fail(c, -EPROTONOSUPPORT, h->seq, what);
		return;
	}
	c->hello_done = true;
	if (vm->last_region_id < in.max_region_id)
		vm->last_region_id = in.max_region_id;
	vm->ping_outstanding = false;
	vm->ping_countdown = vnpd.conf.global.ping_interval;
	vnp_info("vm %s: QEMU pid %d said HELLO (%u ring devices left from "
		 "before, highest id %u)", vm->conf->name, c->pid,
		 in.live_regions, in.max_region_id);
	vnp_conn_send(c, VNPLUG_SOCK_HELLO, h->seq, &iov, 1, NULL, 0);
}

static void on_ctrl(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
		    const uint8_t *p)
{
	vnp_ctrl_input(c, h, p);
}

static void on_mapped(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
		      const uint8_t *p)
{
	struct vnplug_sock_region m;

	memcpy(&m, p, sizeof(m));
	vnp_region_on_mapped(c, h, &m);
}

static void on_unmapped(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
			const uint8_t *p)
{
	struct vnplug_sock_region m;

	memcpy(&m, p, sizeof(m));
	vnp_region_on_unmapped(c, h, &m);
}

/* Never answered: two peers answering each other's errors would loop. */
static void on_error(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
		     const uint8_t *p)
{
	struct vnplug_sock_error e;
	char text[VNPLUG_ERR_TEXT];

	if (h->len != sizeof(e)) {
		vnp_vm_reject(c->vm, "QEMU pid %d: ERROR frame of %u bytes",
			      c->pid, h->len);
		return;
	}
	memcpy(&e, p, sizeof(e));
	vnp_sanitize(text, sizeof(text), e.text, sizeof(e.text));
	vnp_warn("vm %s: QEMU pid %d reports error %d (%s) about frame %u: "
		 "%s", c->vm->conf->name, c->pid, e.status,
		 strerror(-e.status), e.ref_seq, text);
}

static const struct frame_type frame_types[] = {
	[VNPLUG_SOCK_HELLO] = { "HELLO", sizeof(struct vnplug_sock_hello),
				on_hello },
	[VNPLUG_SOCK_CTRL] = { "CTRL", 0, on_ctrl },
	[VNPLUG_SOCK_MAP] = { "MAP", 0, NULL },
	[VNPLUG_SOCK_MAPPED] = { "MAPPED", sizeof(struct vnplug_sock_region),
				 on_mapped },
	[VNPLUG_SOCK_UNMAP] = { "UNMAP", 0, NULL },
	[VNPLUG_SOCK_UNMAPPED] = { "UNMAPPED",
				   sizeof(struct vnplug_sock_region),
				   on_unmapped },
	[VNPLUG_SOCK_ERROR] = { "ERROR", 0, on_error },
};

#define N_FRAME_TYPES (sizeof(frame_types) / sizeof(frame_types[0]))

/* ---- input ----------------------------------------------------------- */

/*
 * QEMU has no reason to pass descriptors: any it sent is closed. More than
 * fit (the kernel closed the rest) is garbage, like a bad header.
 */
static bool check_fds(struct vnp_conn *c, const struct vnplug_sock_hdr *h)
{
	char what[128];

	if (!h->nfds && !c->in_nfds && !c->in_fds_lost)
		return true;
	snprintf(what, sizeof(what), "frame %u declares %u descriptors, "
		 "carries %u%s; QEMU may send none", h->seq, h->nfds,
		 c->in_nfds, c->in_fds_lost ? " and more" : "");
	if (c->in_fds_lost)
		conn_fail(c, -EPROTO, h->seq, what);
	else
		conn_refuse(c, -EBADF, h->seq, what);
	in_fds_close(c);
	return false;
}

/*
 * Is this frame acceptable here? If not, describe why in @what and return
 * the status for the ERROR answer.
 */
static int frame_check(const struct vnp_conn *c, const struct frame_type *t,
		       char *what, size_t size)
{
	const struct vnplug_sock_hdr *h = &c->in.hdr;

	/* Only HELLO, or QEMU's ERROR explaining why not, may come first. */
	if (!c->hello_done &&
	    (!t || (t->fn != on_hello && t->fn != on_error))) {
		snprintf(what, size, "frame type %u before HELLO", h->type);
		return -EPROTO;
	}
	if (!t) {
		snprintf(what, size, "unknown frame type %u", h->type);
		return -EINVAL;
	}
	if (!t->fn) {
		snprintf(what, size, "QEMU may not send %s", t->name);
		return -EPROTO;
	}
	if (t->len && h->len != t->len) {
		snprintf(what, size, "%s frame of %u bytes, expected %zu",
			 t->name, h->len, t->len);
		return -EINVAL;
	}
	return 0;
}

static void frame_dispatch(struct vnp_conn *c)
{
	const struct vnplug_sock_hdr *h = &c->in.hdr;
	const struct frame_type *t = NULL;
	char what[128];
	int status;

	if (!check_fds(c, h))
		return;
	if (h->type < N_FRAME_TYPES && frame_types[h->type].name)
		t = &frame_types[h->type];
	status = frame_check(c, t, what, sizeof(what));
	if (!status)
		t->fn(c, h, c->in.bytes + HDR_LEN);
	else if (!c->hello_done && t && t->fn == on_error)
		vnp_vm_reject(c->vm, "QEMU pid %d: %s", c->pid, what);
	else if (!c->hello_done)
		conn_fail(c, status, h->seq, what); /* HELLO comes first */
	else
		conn_refuse(c, status, h->seq, what);
}

/*
 * Bad magic, an impossible length or too many descriptors (the limits of
 * docs/specs/vnplug.md): frame boundaries can no longer be trusted.
 */
static bool header_ok(struct vnp_conn *c)
{
	const struct vnplug_sock_hdr *h = &c->in.hdr;
	char what[96];

	if (h->magic != VNPLUG_SOCK_MAGIC)
		snprintf(what, sizeof(what), "bad magic %#x", h->magic);
	else if (h->len > VNPLUG_SOCK_MAX)
		snprintf(what, sizeof(what), "frame of %u bytes (at most %d)",
			 h->len, VNPLUG_SOCK_MAX);
	else if (h->nfds > VNPLUG_SOCK_MAX_FDS || c->in_fds_lost)
		snprintf(what, sizeof(what), "frame with more than %d "
			 "descriptors", VNPLUG_SOCK_MAX_FDS);
	else
		return true;
	in_fds_close(c);
	conn_fail(c, -EPROTO, h->seq, what);
	return false;
}

static void collect_fds(struct vnp_conn *c, struct msghdr *m)
{
	struct cmsghdr *cmsg;
	unsigned int i, n;
	int fd;

	if (m->msg_flags & MSG_CTRUNC)
		c->in_fds_lost = true;
	for (cmsg = CMSG_FIRSTHDR(m); cmsg; cmsg = CMSG_NXTHDR(m, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (unsigned int)((cmsg->cmsg_len - CMSG_LEN(0)) /
				   sizeof(int));
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			       sizeof(int));
			if (c->in_nfds < VNPLUG_SOCK_MAX_FDS) {
				c->in_fds[c->in_nfds++] = fd;
			} else {
				close(fd);
				c->in_fds_lost = true;
			}
		}
	}
}

static ssize_t conn_recv(struct vnp_conn *c, size_t want)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * VNPLUG_SOCK_MAX_FDS)];
	} cm;
	struct iovec iov = { c->in.bytes + c->in_len, want };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
	};
	ssize_t n;

	n = recvmsg(c->w.fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	collect_fds(c, &m);
	return n;
}

enum read_result {
	READ_STOP,	/* nothing more now, or the connection is dead */
	READ_MORE,	/* part of a frame */
	READ_FRAME,	/* a whole frame is in c->in */
};

/* Read toward the end of the current frame, never past it. */
static enum read_result read_part(struct vnp_conn *c)
{
	size_t want = c->in_len < HDR_LEN ? HDR_LEN - c->in_len
					  : HDR_LEN + c->in.hdr.len - c->in_len;
	ssize_t n = conn_recv(c, want);

	if (n == -EAGAIN)
		return READ_STOP;
	if (n == 0) {
		vnp_info("vm %s: QEMU pid %d disconnected", c->vm->conf->name,
			 c->pid);
		vnp_conn_kill(c);
		return READ_STOP;
	}
	if (n < 0) {
		vnp_warn("vm %s: reading from QEMU pid %d: %s",
			 c->vm->conf->name, c->pid, strerror((int)-n));
		vnp_conn_kill(c);
		return READ_STOP;
	}
	c->in_len += (size_t)n;
	if (c->in_len == HDR_LEN && !header_ok(c))
		return READ_STOP;
	if (c->in_len >= HDR_LEN && c->in_len == HDR_LEN + c->in.hdr.len)
		return READ_FRAME;
	return READ_MORE;
}

static void conn_read(struct vnp_conn *c)
{
	int frames = 0;
	enum read_result r;

	while (!c->w.dead && frames < FRAMES_PER_EVENT) {
		r = read_part(c);
		if (r == READ_STOP)
			return;
		if (r == READ_MORE)
			continue;
		frame_dispatch(c);
		in_fds_close(c);
		c->in_len = 0;
		frames++;
	}
}

static void conn_event(struct vnp_watch *w, uint32_t events)
{
	struct vnp_conn *c = watch_conn(w);

	if (events & EPOLLOUT)
		conn_flush(c);
	if (!w->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(c);
}
