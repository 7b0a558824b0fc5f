// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libvnplug's socket transport: with VNPLUG_SOCKET=PATH in the environment,
 * the process connects to that vnplugd per-VM socket and plays QEMU (the
 * socket protocol, include/uapi/vnplug.h layer 2) and vnplug.ko (sessions,
 * PONGs, the ring devices) itself, so that any libvnplug program runs on a
 * host, or in a VM, against vnplugd without QEMU.
 *
 *  - One connection per process, opened by the first session and closed
 *    with the last one (closing it is what tells vnplugd that everything
 *    is gone, as QEMU dying does). HELLO is exchanged synchronously by the
 *    opener; then a service thread reads the socket all the time.
 *  - The service thread answers PING with PONG, queues CTRL messages per
 *    session (each session has a pipe whose read end polls readable while
 *    messages are queued and hangs up once the session is stale), maps
 *    MAPs (the memory and the control page; the two fds are closed at
 *    once, the doorbell and interrupt eventfds kept) and answers MAPPED,
 *    and answers UNMAP with UNMAPPED at once: a region still mapped by the
 *    application is revoked first (its pages are replaced by zeroed
 *    memory of this process: later accesses read zeros, not vnplugd's
 *    memory, and raise no SIGBUS, as after the guest driver's
 *    revocation), so vnplugd never waits for the application. The
 *    region leaves the table (vnplug_region_wait_gone) once UNMAPPED is
 *    sent. A region the application unmaps first stays mapped, as a
 *    plugged device does, until vnplugd's UNMAP.
 *  - Bad input from vnplugd that makes the stream untrustworthy (bad
 *    magic, over-long or short frames, descriptors on a frame that takes
 *    none, missing ones) ends the connection: stray descriptors are
 *    closed, sessions go stale (-ECONNRESET), regions report -EPIPE. A
 *    well-framed but wrong frame is answered with ERROR, as QEMU does.
 *
 * Locking: g.lock guards every session's queue and stale flag, the region
 * table and every region's state, the connection's dead flag and g.conn.
 * It is never held while sending. A connection's wlock serialises its
 * output (and tx_seq); nothing takes g.lock while holding it. g.open_lock
 * serialises connection set-up and tear-down (session open and close).
 * A connection's descriptor stays open while a session refers to it, so
 * that a sender never writes to a reused descriptor; it is closed once the
 * service thread has been joined.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../include/uapi/vnplug.h"
#include "vnplug_sock.h"

#define SOCK_HDR     sizeof(struct vnplug_sock_hdr)
#define MSG_HDR	     sizeof(struct vnplug_msg_hdr)
#define APP_HDR	     sizeof(struct vnplug_app_hdr)
#define HELLO_MS     5000 /* for vnplugd's HELLO */
#define QUEUE_MAX    64	  /* messages queued per session, as vnplug.ko */
#define ENV_NAME     "VNPLUG_SOCKET"

struct queued {
	struct queued *next;
	uint32_t len;
	uint8_t data[];
};

struct conn {
	int fd;
	bool dead;	/* g.lock */
	bool foreign;	/* inherited through fork(): never used again */
	bool thread_started;
	pthread_t thread;
	unsigned int nsessions; /* open sessions on it (g.lock) */
	pthread_mutex_t wlock;	/* the output and tx_seq */
	uint32_t tx_seq;
};

struct vnplug_sk_session {
	struct vnplug_sk_session *next; /* g.sessions */
	struct conn *conn;
	uint32_t id;
	int rfd, wfd;	/* readiness: one byte in the pipe while queued */
	bool stale;
	struct queued *head, *tail;
	unsigned int nqueued;
	uint64_t dropped;
};

struct vnplug_sk_region {
	struct vnplug_sk_region *next; /* g.regions, while live */
	struct conn *conn;
	uint32_t id;
	uint64_t size;
	size_t mem_len, ctrl_len;
	void *mem, *ctrl;
	int db_fd, irq_fd;
	unsigned int handles;	/* vnplug_region_map()s not unmapped */
	int gone;		/* 0 live; else -ENODEV or -EPIPE */
	bool linked;		/* in g.regions: not yet confirmed gone */
	bool pinned;		/* the service thread answers its UNMAP */
};

static struct {
	pthread_once_t once;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	bool enabled;
	bool path_too_long;
	pthread_mutex_t open_lock;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* regions appear or go, connections die */
	struct conn *conn;	/* the current connection, maybe dead */
	struct vnplug_sk_session *sessions;
	struct vnplug_sk_region *regions;
	uint32_t next_session;
	uint64_t dropped;	/* messages for no session */
} g = {
	.once = PTHREAD_ONCE_INIT,
	.open_lock = PTHREAD_MUTEX_INITIALIZER,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.next_session = 1,
};

/* ---------------------------------------------------------------------- */
/* Set-up, time                                                           */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&g.open_lock);
	pthread_mutex_lock(&g.lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&g.lock);
	pthread_mutex_unlock(&g.open_lock);
}

static void region_gone(struct vnplug_sk_region *r, int err, bool in_child);

/*
 * The child shares the parent's socket and eventfds but has no service
 * thread: everything it inherited is dead to it and never touched on the
 * wire (no SESSION_CLOSE, no shutdown of the parent's socket).
 */
static void atfork_child(void)
{
	struct vnplug_sk_session *s;

	for (s = g.sessions; s; s = s->next) {
		s->stale = true;
		s->conn->dead = s->conn->foreign = true;
		if (s->wfd >= 0)
			close(s->wfd);
		s->wfd = -1;
	}
	if (g.conn)
		g.conn->dead = g.conn->foreign = true;
	while (g.regions)
		region_gone(g.regions, -EPIPE, true);
	pthread_mutex_unlock(&g.lock);
	pthread_mutex_unlock(&g.open_lock);
}

static void init_once(void)
{
	const char *env = getenv(ENV_NAME);
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g.cond, &ca);
	pthread_condattr_destroy(&ca);
	if (!env || !*env)
		return;
	g.enabled = true;
	if (strlen(env) >= sizeof(g.path) - 1)
		g.path_too_long = true;
	snprintf(g.path, sizeof(g.path), "%s", env);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

const char *vnplug_sk_path(void)
{
	pthread_once(&g.once, init_once);
	return g.enabled ? g.path : NULL;
}

/* Waits on g.cond (g.lock held) until deadline: false once it passed. */
static bool cond_wait_until(int64_t deadline)
{
	struct timespec ts;

	if (deadline < 0) {
		pthread_cond_wait(&g.cond, &g.lock);
		return true;
	}
	if (!vnplug_remaining(deadline))
		return false;
	ts.tv_sec = deadline / 1000;
	ts.tv_nsec = (deadline % 1000) * 1000000;
	pthread_cond_timedwait(&g.cond, &g.lock, &ts);
	return true;
}

static size_t page_round(uint64_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return ((size_t)len + page - 1) & ~(page - 1);
}

/* ---------------------------------------------------------------------- */
/* Output                                                                 */

/* The whole of iov, whatever partial writes and signals do. */
static int send_all(int fd, struct iovec *iov, int iovcnt)
{
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
	ssize_t n;

	while (m.msg_iovlen) {
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (m.msg_iovlen && (size_t)n >= m.msg_iov->iov_len) {
			n -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov->iov_base = (uint8_t *)m.msg_iov->iov_base + n;
			m.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* One frame; seq 0: the connection's next number. */
static int conn_send(struct conn *c, uint16_t type, uint32_t seq,
		     const void *a, size_t alen, const void *b, size_t blen)
{
	struct vnplug_sock_hdr h = {
	    .magic = htole32(VNPLUG_SOCK_MAGIC),
	    .type = htole16(type),
	    .len = htole32((uint32_t)(alen + blen)),
	};
	struct iovec iov[3] = {
	    {&h, SOCK_HDR}, {(void *)a, alen}, {(void *)b, blen}};
	int err;

	pthread_mutex_lock(&c->wlock);
	h.seq = htole32(seq ? seq : ++c->tx_seq);
	err = send_all(c->fd, iov, 3);
	pthread_mutex_unlock(&c->wlock);
	return err;
}

/* A control message of the driver's own (SESSION_*, PONG). */
static int send_ctrl(struct conn *c, uint8_t type, uint32_t session,
		     const void *body, size_t len)
{
	struct vnplug_msg_hdr m = {
	    .version = VNPLUG_VERSION,
	    .type = type,
	    .session = htole32(session),
	    .len = htole32((uint32_t)len),
	};

	return conn_send(c, VNPLUG_SOCK_CTRL, 0, &m, MSG_HDR, body, len);
}

static int send_region(struct conn *c, uint16_t type, uint32_t seq,
		       uint32_t id, int status)
{
	struct vnplug_sock_region r = {
	    .region_id = htole32(id),
	    .status = (int32_t)htole32((uint32_t)status),
	};

	return conn_send(c, type, seq, &r, sizeof(r), NULL, 0);
}

static void send_error(struct conn *c, int status, uint32_t ref,
		       const char *text)
{
	struct vnplug_sock_error e = {
	    .status = (int32_t)htole32((uint32_t)status),
	    .ref_seq = htole32(ref),
	};

	snprintf(e.text, sizeof(e.text), "%s", text);
	conn_send(c, VNPLUG_SOCK_ERROR, 0, &e, sizeof(e), NULL, 0);
}

/* ---------------------------------------------------------------------- */
/* Regions                                                                */

/* A region in the table (live, or gone but not yet confirmed). */
static struct vnplug_sk_region *region_find(uint32_t id)
{
	struct vnplug_sk_region *r;

	for (r = g.regions; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static struct vnplug_sk_region *region_find_live(uint32_t id)
{
	struct vnplug_sk_region *r = region_find(id);

	return r && !r->gone ? r : NULL;
}

static void region_free(struct vnplug_sk_region *r)
{
	if (r->mem != MAP_FAILED)
		munmap(r->mem, r->mem_len);
	if (r->ctrl != MAP_FAILED)
		munmap(r->ctrl, r->ctrl_len);
	if (r->db_fd >= 0)
		close(r->db_fd);
	if (r->irq_fd >= 0)
		close(r->irq_fd);
	free(r);
}

/*
 * Replaces [addr, addr + len) by zeroed memory of this process, as the
 * guest driver maps a zeroed page once a device is gone: a reader busy
 * with the memory sees an empty ring rather than dying of SIGBUS, and
 * vnplugd's memory is no longer mapped here. PROT_NONE if that fails.
 */
static void revoke_range(void *addr, size_t len)
{
	if (mmap(addr, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		mmap(addr, len, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

/*
 * The interrupt descriptor of a gone region: a waiter in poll() is woken
 * (one more count on the eventfd), and the descriptor number then refers
 * to a pipe whose writer is closed, so that poll() reports POLLHUP as on
 * an unplugged /dev/vnplug<id>.
 */
static void irq_hang_up(int fd, bool in_child)
{
	uint64_t one = 1;
	int p[2];

	/* A child shares the eventfd with its parent: no count there. */
	if (!in_child && write(fd, &one, sizeof(one)) < 0) {
		/* nobody can be waiting on a full counter */
	}
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return;
	close(p[1]);
	dup3(p[0], fd, O_CLOEXEC);
	close(p[0]);
}

/* Frees a region nothing refers to any more (g.lock held). */
static void region_put(struct vnplug_sk_region *r)
{
	if (!r->handles && !r->linked && !r->pinned)
		region_free(r);
}

/*
 * A region is gone (g.lock held): the host unmapped it (-ENODEV) or the
 * connection is over (-EPIPE). From here vnplugd's memory is not mapped
 * here any more: unmapped if the application does not hold the region,
 * else revoked (its waits return err). In a child after fork() the memory
 * and the eventfds are the parent's too: only forgotten.
 */
static void region_revoke(struct vnplug_sk_region *r, int err, bool in_child)
{
	if (r->gone)
		return;
	r->gone = err;
	if (!r->handles) {
		munmap(r->mem, r->mem_len);
		munmap(r->ctrl, r->ctrl_len);
		r->mem = r->ctrl = MAP_FAILED;
		return;
	}
	if (!in_child) {
		revoke_range(r->mem, r->mem_len);
		revoke_range(r->ctrl, r->ctrl_len);
	}
	irq_hang_up(r->irq_fd, in_child);
}

/* Out of the table (g.lock held): vnplug_region_wait_gone() returns. */
static void region_unlink(struct vnplug_sk_region *r)
{
	struct vnplug_sk_region **pp;

	for (pp = &g.regions; r->linked && *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			r->next = NULL;
			r->linked = false;
			pthread_cond_broadcast(&g.cond);
			break;
		}
	}
	region_put(r);
}

static void region_gone(struct vnplug_sk_region *r, int err, bool in_child)
{
	region_revoke(r, err, in_child);
	region_unlink(r);
}

/* ---------------------------------------------------------------------- */
/* Connection state                                                       */

/*
 * The connection is over (g.lock held): its sessions go stale (their pipe
 * hangs up), its regions go with regions_err.
 */
static void conn_die_locked(struct conn *c, int regions_err)
{
	struct vnplug_sk_region *r, *next;
	struct vnplug_sk_session *s;

	if (c->dead)
		return;
	c->dead = true;
	for (s = g.sessions; s; s = s->next) {
		if (s->conn != c)
			continue;
		s->stale = true;
		if (s->wfd >= 0)
			close(s->wfd);
		s->wfd = -1;
	}
	for (r = g.regions; r; r = next) {
		next = r->next;
		if (r->conn == c)
			region_gone(r, regions_err, false);
	}
	pthread_cond_broadcast(&g.cond);
}

/* Ends the connection and tells vnplugd (and the service thread). */
static void conn_kill(struct conn *c, int regions_err)
{
	bool foreign;

	pthread_mutex_lock(&g.lock);
	conn_die_locked(c, regions_err);
	foreign = c->foreign;
	pthread_mutex_unlock(&g.lock);
	if (!foreign)
		shutdown(c->fd, SHUT_RDWR);
}

/* The last session is gone (g.open_lock held): close and free. */
static void conn_teardown(struct conn *c)
{
	bool foreign;

	pthread_mutex_lock(&g.lock);
	conn_die_locked(c, -ENODEV);
	if (g.conn == c)
		g.conn = NULL;
	foreign = c->foreign;
	pthread_mutex_unlock(&g.lock);
	if (!foreign) {
		shutdown(c->fd, SHUT_RDWR);
		if (c->thread_started)
			pthread_join(c->thread, NULL);
	}
	close(c->fd);
	pthread_mutex_destroy(&c->wlock);
	free(c);
}

/* ---------------------------------------------------------------------- */
/* Input                                                                  */

struct frame {
	struct vnplug_sock_hdr h;
	uint8_t p[VNPLUG_SOCK_MAX];
	int fds[VNPLUG_SOCK_MAX_FDS];
	int nfds;
	bool fd_overflow;
};

static void frame_close_fds(struct frame *f)
{
	while (f->nfds > 0)
		close(f->fds[--f->nfds]);
}

static void collect_fds(struct frame *f, struct msghdr *m)
{
	struct cmsghdr *cm;
	int i, n, fd;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(fd));
			if (f->nfds < VNPLUG_SOCK_MAX_FDS) {
				f->fds[f->nfds++] = fd;
			} else {
				close(fd);
				f->fd_overflow = true;
			}
		}
	}
	if (m->msg_flags & MSG_CTRUNC)
		f->fd_overflow = true;
}

/*
 * Exactly len bytes, collecting the descriptors that come with them: 0,
 * -ECONNRESET at the end of the stream (before any byte if at_start, else
 * -EPROTO: a frame cut short), -ETIMEDOUT or -errno.
 */
static int read_exact(int fd, struct frame *f, void *buf, size_t len,
		      bool at_start, int64_t deadline)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 2 * VNPLUG_SOCK_MAX_FDS)];
	} cm;
	size_t got = 0;
	ssize_t n;
	int ev;

	while (got < len) {
		struct iovec iov = {(uint8_t *)buf + got, len - got};
		struct msghdr m = {
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cm.buf,
		    .msg_controllen = sizeof(cm.buf),
		};

		if (deadline >= 0) {
			ev = vnplug_poll_one(fd, POLLIN, vnplug_remaining(deadline));
			if (ev < 0)
				return ev;
			if (!ev) {
				if (!vnplug_remaining(deadline))
					return -ETIMEDOUT;
				continue;
			}
		}
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == ECONNRESET || errno == EPIPE
				   ? (at_start && !got ? -ECONNRESET : -EPROTO)
				   : -errno;
		}
		collect_fds(f, &m);
		if (!n)
			return at_start && !got ? -ECONNRESET : -EPROTO;
		got += (size_t)n;
	}
	return 0;
}

/*
 * One frame with its descriptors: 0, or -EPROTO for a stream that cannot
 * be trusted any more (descriptors closed), or a connection error.
 */
static int frame_read(int fd, struct frame *f, int64_t deadline,
		      const char **why)
{
	int err;

	f->nfds = 0;
	f->fd_overflow = false;
	*why = "connection lost";
	err = read_exact(fd, f, &f->h, SOCK_HDR, true, deadline);
	if (!err) {
		f->h.magic = le32toh(f->h.magic);
		f->h.type = le16toh(f->h.type);
		f->h.nfds = le16toh(f->h.nfds);
		f->h.len = le32toh(f->h.len);
		f->h.seq = le32toh(f->h.seq);
		if (f->h.magic != VNPLUG_SOCK_MAGIC ||
		    f->h.len > VNPLUG_SOCK_MAX ||
		    f->h.nfds > VNPLUG_SOCK_MAX_FDS) {
			*why = "garbage (bad magic, length or descriptor "
			       "count)";
			err = -EPROTO;
		}
	} else if (err == -EPROTO) {
		*why = "frame cut short";
	}
	if (!err && f->h.len) {
		err = read_exact(fd, f, f->p, f->h.len, false, deadline);
		if (err == -EPROTO)
			*why = "frame cut short";
	}
	if (!err && (f->fd_overflow || f->nfds != f->h.nfds)) {
		*why = "descriptors do not match the frame";
		err = -EPROTO;
	}
	if (!err && f->nfds && f->h.type != VNPLUG_SOCK_MAP) {
		*why = "descriptors with a frame that takes none";
		err = -EPROTO;
	}
	if (err)
		frame_close_fds(f);
	return err;
}

/* ---------------------------------------------------------------------- */
/* The service thread                                                     */

static void deliver(struct conn *c, uint32_t session, const uint8_t *data,
		    uint32_t len)
{
	struct queued *q = malloc(sizeof(*q) + len);
	struct vnplug_sk_session *s;

	pthread_mutex_lock(&g.lock);
	for (s = g.sessions; s; s = s->next)
		if (s->conn == c && s->id == session)
			break;
	if (!q || !s || s->stale || s->nqueued >= QUEUE_MAX) {
		if (s)
			s->dropped++;
		else
			g.dropped++;
		pthread_mutex_unlock(&g.lock);
		free(q);
		return;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->data, data, len);
	if (s->tail)
		s->tail->next = q;
	else
		s->head = q;
	s->tail = q;
	if (!s->nqueued++ && write(s->wfd, "m", 1) < 0) {
		/* the pipe holds at most this byte */
	}
	pthread_mutex_unlock(&g.lock);
}

/* A control message from the host, checked as vnplug.ko checks it. */
static int on_ctrl(struct conn *c, const struct frame *f)
{
	struct vnplug_msg_hdr m;
	uint32_t plen, session;

	if (f->h.len < MSG_HDR || f->h.len > VNPLUG_MSG_MAX) {
		send_error(c, -EINVAL, f->h.seq, "malformed CTRL frame");
		return 0;
	}
	memcpy(&m, f->p, MSG_HDR);
	plen = le32toh(m.len);
	session = le32toh(m.session);
	if (m.version != VNPLUG_VERSION || m.flags ||
	    plen != f->h.len - MSG_HDR) {
		send_error(c, -EINVAL, f->h.seq, "malformed CTRL frame");
		return 0;
	}
	switch (m.type) {
	case VNPLUG_MSG_APP:
		if (f->h.len >= MSG_HDR + APP_HDR)
			deliver(c, session, f->p, f->h.len);
		return 0;
	case VNPLUG_MSG_ERROR:
		if (plen >= offsetof(struct vnplug_msg_error, text) &&
		    plen <= sizeof(struct vnplug_msg_error))
			deliver(c, session, f->p, f->h.len);
		return 0;
	case VNPLUG_MSG_PING:
		if (session)
			return 0;
		return send_ctrl(c, VNPLUG_MSG_PONG, 0, f->p + MSG_HDR, plen);
	default:
		return 0;
	}
}

/* MAP: map the memory and the control page, keep the eventfds. */
static int on_map(struct conn *c, struct frame *f)
{
	long page = sysconf(_SC_PAGESIZE);
	struct vnplug_sk_region *r = NULL;
	struct vnplug_sock_map m;
	bool exists;
	int status = 0;

	memcpy(&m, f->p, sizeof(m));
	m.region_id = le32toh(m.region_id);
	m.size = le64toh(m.size);
	m.mem_offset = le64toh(m.mem_offset);
	pthread_mutex_lock(&g.lock);
	exists = region_find(m.region_id) != NULL;
	pthread_mutex_unlock(&g.lock);
	if (f->nfds != 4 || !m.region_id || !m.size ||
	    m.size > VNPLUG_MAP_MEM_MAX || m.mem_offset % (uint64_t)page)
		status = -EINVAL;
	else if (exists)
		status = -EEXIST;
	else if (!(r = calloc(1, sizeof(*r))))
		status = -ENOMEM;
	if (!status) {
		r->conn = c;
		r->id = m.region_id;
		r->size = m.size;
		r->mem_len = page_round(m.size);
		r->ctrl_len = page_round(VNPLUG_CTRL_PAGE_SIZE);
		r->ctrl = MAP_FAILED;
		r->mem = mmap(NULL, r->mem_len, PROT_READ | PROT_WRITE,
			      MAP_SHARED, f->fds[0], (off_t)m.mem_offset);
		if (r->mem != MAP_FAILED)
			r->ctrl = mmap(NULL, r->ctrl_len,
				       PROT_READ | PROT_WRITE, MAP_SHARED,
				       f->fds[1], 0);
		if (r->ctrl == MAP_FAILED)
			status = -errno;
	}
	if (!status) {
		/* Kept: the doorbell and interrupt eventfds. */
		r->db_fd = f->fds[2];
		r->irq_fd = f->fds[3];
		f->nfds = 2;
		pthread_mutex_lock(&g.lock);
		r->next = g.regions;
		r->linked = true;
		g.regions = r;
		pthread_cond_broadcast(&g.cond);
		pthread_mutex_unlock(&g.lock);
	} else if (r) {
		r->db_fd = r->irq_fd = -1;
		region_free(r);
	}
	frame_close_fds(f);
	return send_region(c, VNPLUG_SOCK_MAPPED, f->h.seq, m.region_id,
			   status);
}

/*
 * UNMAP: unmap or revoke the region, promise it with UNMAPPED, and only
 * then take it out of the table, so that once vnplug_region_wait_gone()
 * returns, vnplugd has had the UNMAPPED before anything sent after.
 */
static int on_unmap(struct conn *c, const struct frame *f)
{
	struct vnplug_sock_region m;
	struct vnplug_sk_region *r;
	int err;

	memcpy(&m, f->p, sizeof(m));
	m.region_id = le32toh(m.region_id);
	pthread_mutex_lock(&g.lock);
	r = region_find_live(m.region_id);
	if (r) {
		region_revoke(r, -ENODEV, false);
		r->pinned = true;
	}
	pthread_mutex_unlock(&g.lock);
	err = send_region(c, VNPLUG_SOCK_UNMAPPED, f->h.seq, m.region_id,
			  r ? 0 : -ENOENT);
	if (r) {
		pthread_mutex_lock(&g.lock);
		r->pinned = false;
		region_unlink(r);
		pthread_mutex_unlock(&g.lock);
	}
	return err;
}

/* One frame after HELLO: 0, or an error that ends the connection. */
static int on_frame(struct conn *c, struct frame *f)
{
	static const uint32_t exact[] = {
	    [VNPLUG_SOCK_HELLO] = sizeof(struct vnplug_sock_hello),
	    [VNPLUG_SOCK_MAP] = sizeof(struct vnplug_sock_map),
	    [VNPLUG_SOCK_UNMAP] = sizeof(struct vnplug_sock_region),
	    [VNPLUG_SOCK_ERROR] = sizeof(struct vnplug_sock_error),
	};
	uint16_t type = f->h.type;

	if (type < sizeof(exact) / sizeof(exact[0]) && exact[type] &&
	    f->h.len != exact[type]) {
		frame_close_fds(f);
		send_error(c, -EINVAL, f->h.seq, "bad frame");
		return 0;
	}
	switch (type) {
	case VNPLUG_SOCK_CTRL:
		return on_ctrl(c, f);
	case VNPLUG_SOCK_MAP:
		return on_map(c, f);
	case VNPLUG_SOCK_UNMAP:
		return on_unmap(c, f);
	case VNPLUG_SOCK_ERROR:
		/* About something we sent; nothing to undo. */
		return 0;
	case VNPLUG_SOCK_HELLO:
		send_error(c, -EPROTO, f->h.seq, "HELLO twice");
		return 0;
	default:
		send_error(c, -EINVAL, f->h.seq, "bad frame");
		return 0;
	}
}

static void *service(void *arg)
{
	struct conn *c = arg;
	struct frame *f = malloc(sizeof(*f));
	const char *why = "out of memory";
	int err = -ENOMEM;

	while (f) {
		err = frame_read(c->fd, f, -1, &why);
		if (!err)
			err = on_frame(c, f);
		if (err)
			break;
	}
	if (err == -EPROTO)
		send_error(c, -EPROTO, f ? f->h.seq : 0, why);
	free(f);
	conn_kill(c, -EPIPE);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Connecting                                                             */

/* HELLO both ways: 0, or what vnplugd's ERROR said, or -errno. */
static int hello(struct conn *c)
{
	struct vnplug_sock_hello h = {.version = htole32(VNPLUG_VERSION)};
	int64_t deadline = vnplug_now_ms() + HELLO_MS;
	struct vnplug_sock_error e;
	struct frame *f = malloc(sizeof(*f));
	const char *why;
	int err, serr;

	if (!f)
		return -ENOMEM;
	/* A refusing vnplugd may have closed already: read its ERROR. */
	serr = conn_send(c, VNPLUG_SOCK_HELLO, 0, &h, sizeof(h), NULL, 0);
	err = frame_read(c->fd, f, deadline, &why);
	if (err == -ECONNRESET && serr)
		err = serr == -EPIPE ? -ECONNRESET : serr;
	if (err)
		goto out;
	frame_close_fds(f);
	if (f->h.type == VNPLUG_SOCK_ERROR && f->h.len == sizeof(e)) {
		memcpy(&e, f->p, sizeof(e));
		err = (int32_t)le32toh((uint32_t)e.status);
		if (err >= 0 || err < -4095)
			err = -EPROTO;
		goto out;
	}
	if (f->h.type != VNPLUG_SOCK_HELLO || f->h.len != sizeof(h)) {
		send_error(c, -EPROTO, f->h.seq, "HELLO first");
		err = -EPROTO;
		goto out;
	}
	memcpy(&h, f->p, sizeof(h));
	if (le32toh(h.version) != VNPLUG_VERSION) {
		send_error(c, -EPROTO, f->h.seq, "version mismatch");
		err = -EPROTONOSUPPORT;
	}
out:
	free(f);
	return err;
}

/* Connects and says HELLO, then starts the service thread. */
static int conn_open(struct conn **cp)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	sigset_t all, old;
	struct conn *c;
	int err;

	*cp = NULL;
	if (g.path_too_long)
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->wlock, NULL);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = -errno;
		goto out_free;
	}
	memcpy(sa.sun_path, g.path, strlen(g.path));
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		err = -errno;
		goto out_close;
	}
	err = hello(c);
	if (err)
		goto out_close;
	/* Signals stay with the application's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&c->thread, NULL, service, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto out_close;
	c->thread_started = true;
	*cp = c;
	return 0;

out_close:
	close(c->fd);
out_free:
	pthread_mutex_destroy(&c->wlock);
	free(c);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Sessions                                                               */

static void session_close_locked(struct vnplug_sk_session *s)
{
	struct vnplug_sk_session **pp;
	struct conn *c = s->conn;
	struct queued *q;
	bool send_close, last;

	pthread_mutex_lock(&g.lock);
	for (pp = &g.sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	send_close = !s->stale && !c->dead;
	last = !--c->nsessions;
	while ((q = s->head)) {
		s->head = q->next;
		free(q);
	}
	if (s->wfd >= 0)
		close(s->wfd);
	pthread_mutex_unlock(&g.lock);
	close(s->rfd);
	if (send_close &&
	    send_ctrl(c, VNPLUG_MSG_SESSION_CLOSE, s->id, NULL, 0))
		conn_kill(c, -EPIPE);
	if (last)
		conn_teardown(c);
	free(s);
}

int vnplug_sk_session_open(struct vnplug_sk_session **sp, int *fdp)
{
	struct vnplug_sk_session *s;
	struct conn *c;
	int p[2], err;

	*sp = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC)) {
		err = -errno;
		free(s);
		return err;
	}
	s->rfd = p[0];
	s->wfd = p[1];
	pthread_mutex_lock(&g.open_lock);
	pthread_mutex_lock(&g.lock);
	c = g.conn;
	/* A dead one lives on for its stale sessions, but not as ours. */
	if (c && c->dead)
		g.conn = c = NULL;
	pthread_mutex_unlock(&g.lock);
	if (!c) {
		err = conn_open(&c);
		if (err) {
			pthread_mutex_unlock(&g.open_lock);
			close(s->rfd);
			close(s->wfd);
			free(s);
			return err;
		}
	}
	pthread_mutex_lock(&g.lock);
	g.conn = c;
	c->nsessions++;
	s->conn = c;
	s->id = g.next_session++;
	if (!g.next_session)
		g.next_session = 1;
	s->next = g.sessions;
	g.sessions = s;
	if (c->dead) {
		s->stale = true;
		close(s->wfd);
		s->wfd = -1;
	}
	pthread_mutex_unlock(&g.lock);
	err = s->stale ? -ECONNRESET
		       : send_ctrl(c, VNPLUG_MSG_SESSION_OPEN, s->id, NULL, 0);
	if (err) {
		if (err != -ECONNRESET)
			conn_kill(c, -EPIPE);
		session_close_locked(s);
		pthread_mutex_unlock(&g.open_lock);
		return -ECONNRESET;
	}
	pthread_mutex_unlock(&g.open_lock);
	*sp = s;
	*fdp = s->rfd;
	return 0;
}

void vnplug_sk_session_close(struct vnplug_sk_session *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&g.open_lock);
	session_close_locked(s);
	pthread_mutex_unlock(&g.open_lock);
}

int vnplug_sk_send(struct vnplug_sk_session *s, void *msg, size_t len)
{
	struct vnplug_msg_hdr *m = msg;
	struct conn *c;
	bool stale;
	uint32_t id;

	if (len < MSG_HDR)
		return -EINVAL;
	if (len > VNPLUG_MSG_MAX)
		return -EMSGSIZE;
	pthread_mutex_lock(&g.lock);
	stale = s->stale;
	c = s->conn;
	pthread_mutex_unlock(&g.lock);
	if (stale)
		return -ECONNRESET;
	/* As vnplug.ko: the session is the driver's to say. */
	id = htole32(s->id);
	memcpy(&m->session, &id, sizeof(id));
	if (conn_send(c, VNPLUG_SOCK_CTRL, 0, msg, len, NULL, 0)) {
		conn_kill(c, -EPIPE);
		return -ECONNRESET;
	}
	return 0;
}

int vnplug_sk_read(struct vnplug_sk_session *s, void *buf, size_t len,
		   int64_t deadline)
{
	struct queued *q;
	char byte;
	int ev, left, n;

	for (;;) {
		pthread_mutex_lock(&g.lock);
		q = s->head;
		if (q && q->len > len) {
			pthread_mutex_unlock(&g.lock);
			return -EMSGSIZE;
		}
		if (q) {
			s->head = q->next;
			if (!s->head)
				s->tail = NULL;
			if (!--s->nqueued && read(s->rfd, &byte, 1) < 0) {
				/* the byte was there */
			}
			pthread_mutex_unlock(&g.lock);
			memcpy(buf, q->data, q->len);
			n = (int)q->len;
			free(q);
			return n;
		}
		if (s->stale) {
			pthread_mutex_unlock(&g.lock);
			return -ECONNRESET;
		}
		pthread_mutex_unlock(&g.lock);
		left = vnplug_remaining(deadline);
		if (!left)
			return -ETIMEDOUT;
		ev = vnplug_poll_one(s->rfd, POLLIN, left);
		if (ev < 0)
			return ev;
	}
}

/* ---------------------------------------------------------------------- */
/* Regions, for the application                                           */

int vnplug_sk_region_map(uint32_t region_id, int64_t deadline,
			 struct vnplug_sk_region **rp,
			 struct vnplug_sk_mapping *m)
{
	struct vnplug_sk_region *r;
	int err = 0;

	*rp = NULL;
	pthread_mutex_lock(&g.lock);
	for (;;) {
		r = region_find_live(region_id);
		if (r)
			break;
		if (!g.conn || g.conn->dead) {
			err = -ENOTCONN;
			break;
		}
		if (!cond_wait_until(deadline)) {
			err = -ETIMEDOUT;
			break;
		}
	}
	if (r) {
		r->handles++;
		m->mem = r->mem;
		m->ctrl = r->ctrl;
		m->size = r->size;
		m->fd = r->irq_fd;
		*rp = r;
	}
	pthread_mutex_unlock(&g.lock);
	return err;
}

void vnplug_sk_region_unmap(struct vnplug_sk_region *r)
{
	pthread_mutex_lock(&g.lock);
	/* A live one stays mapped, as a plugged device does. */
	r->handles--;
	region_put(r);
	pthread_mutex_unlock(&g.lock);
}

void vnplug_sk_region_notify(struct vnplug_sk_region *r)
{
	uint64_t one = 1;

	/* Earlier stores to the region before the event. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	while (write(r->db_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static int region_state(struct vnplug_sk_region *r)
{
	int gone;

	pthread_mutex_lock(&g.lock);
	gone = r->gone;
	pthread_mutex_unlock(&g.lock);
	return gone;
}

int vnplug_sk_region_wait(struct vnplug_sk_region *r, int64_t deadline)
{
	uint64_t count;
	ssize_t n;
	int ev, left, gone;

	for (;;) {
		gone = region_state(r);
		if (gone)
			return gone;
		left = vnplug_remaining(deadline);
		ev = vnplug_poll_one(r->irq_fd, POLLIN, left);
		if (ev < 0)
			return ev;
		gone = region_state(r);
		if (gone)
			return gone;
		if (ev & POLLNVAL)
			return -EBADF;
		if (ev & POLLIN) {
			n = read(r->irq_fd, &count, sizeof(count));
			if (n == (ssize_t)sizeof(count))
				return count > INT_MAX ? INT_MAX : (int)count;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return -errno;
			continue;
		}
		if (!ev && !left)
			return -ETIMEDOUT;
	}
}

int vnplug_sk_region_wait_gone(uint32_t region_id, int64_t deadline)
{
	int err = 0;

	pthread_mutex_lock(&g.lock);
	while (region_find(region_id)) {
		if (!cond_wait_until(deadline)) {
			err = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&g.lock);
	return err;
}
