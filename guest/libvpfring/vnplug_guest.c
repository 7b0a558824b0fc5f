// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The guest vNPlug API (vnplug_guest.h) on vnplug.ko's character devices:
 * /dev/vnplug-ctrl (one message per read or write; the driver stamps the
 * session id) and /dev/vnplug<id> (mmap offsets, read() = interrupts since
 * the last read) as include/uapi/vnplug.h defines them. With VNPLUG_SOCKET
 * set, on a socket to vnplugd instead (vnplug_sock.c).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../include/uapi/vnplug.h"
#include "vnplug_guest.h"
#include "vnplug_sock.h"

#define CTRL_DEV     "/dev/vnplug-ctrl"
#define RING_DEV_DIR "/dev"
#define RING_SYSFS   "/sys/class/vnplug"
#define HDR_LEN	     sizeof(struct vnplug_msg_hdr)
#define APP_LEN	     (HDR_LEN + sizeof(struct vnplug_app_hdr))
#define PENDING_MAX  64
/* Between two looks at /dev even when inotify is silent. */
#define DEV_POLL_MS 100

struct pending {
	struct pending *next;
	uint32_t len;
	uint8_t data[];
};

struct vnplug_session {
	int fd;
	struct vnplug_sk_session *sk; /* socket mode */
	uint32_t next_seq;
	struct pending *head, *tail;
	unsigned int npending;
	uint64_t dropped;
	bool have_error;
	char error[VNPLUG_ERR_TEXT];
	uint8_t buf[VNPLUG_MSG_MAX];
};

struct vnplug_region {
	uint32_t id;
	int fd;
	struct vnplug_sk_region *sk; /* socket mode */
	uint64_t size;
	size_t mem_len;
	void *mem;
	void *ctrl;
	void *db;
};

/* ---------------------------------------------------------------------- */
/* Time                                                                   */

int64_t vnplug_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline for timeout_ms: -1 is none. */
static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : vnplug_now_ms() + timeout_ms;
}

/* What is left of a deadline, for poll(): -1 forever, 0 expired. */
int vnplug_remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - vnplug_now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* poll() on one descriptor; 0 on timeout, revents, or -errno. */
int vnplug_poll_one(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int n;

	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n ? pfd.revents : 0;
}

/* ---------------------------------------------------------------------- */
/* Sessions                                                               */

int vnplug_session_open(struct vnplug_session **sp)
{
	struct vnplug_session *s;
	int err;

	*sp = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (vnplug_sk_path()) {
		err = vnplug_sk_session_open(&s->sk, &s->fd);
		if (err) {
			free(s);
			return err;
		}
	} else {
		s->fd = open(CTRL_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (s->fd < 0) {
			err = -errno;
			free(s);
			return err;
		}
	}
	s->next_seq = 1;
	*sp = s;
	return 0;
}

void vnplug_session_close(struct vnplug_session *s)
{
	struct pending *p;

	if (!s)
		return;
	while ((p = s->head)) {
		s->head = p->next;
		free(p);
	}
	if (s->sk)
		vnplug_sk_session_close(s->sk);
	else
		close(s->fd);
	free(s);
}

int vnplug_session_fd(const struct vnplug_session *s)
{
	return s->fd;
}

unsigned int vnplug_session_pending(const struct vnplug_session *s)
{
	return s->npending;
}

uint64_t vnplug_session_dropped(const struct vnplug_session *s)
{
	return s->dropped;
}

const char *vnplug_session_error(const struct vnplug_session *s)
{
	return s->have_error ? s->error : NULL;
}

int vnplug_send(struct vnplug_session *s, uint32_t app_id, uint32_t op,
		uint32_t seq, const void *payload, size_t len)
{
	uint8_t msg[VNPLUG_MSG_MAX];
	struct vnplug_msg_hdr hdr;
	struct vnplug_app_hdr app;
	ssize_t n;
	int ev;

	if (len > sizeof(msg) - APP_LEN)
		return -EMSGSIZE;
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = VNPLUG_VERSION;
	hdr.type = VNPLUG_MSG_APP;
	hdr.len = htole32((uint32_t)(sizeof(app) + len));
	app.app_id = htole32(app_id);
	app.op = htole32(op);
	app.seq = htole32(seq);
	app.status = 0;
	memcpy(msg, &hdr, sizeof(hdr));
	memcpy(msg + HDR_LEN, &app, sizeof(app));
	if (len)
		memcpy(msg + APP_LEN, payload, len);
	if (s->sk)
		return vnplug_sk_send(s->sk, msg, APP_LEN + len);
	for (;;) {
		n = write(s->fd, msg, APP_LEN + len);
		if (n >= 0)
			return n == (ssize_t)(APP_LEN + len) ? 0 : -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		ev = vnplug_poll_one(s->fd, POLLOUT, -1);
		if (ev < 0)
			return ev;
	}
}

/*
 * One read() of a non-blocking device, waiting in poll() until deadline
 * while there is nothing: the bytes read or -errno. On POLLERR or POLLHUP
 * (a stale session, a device gone) the next read() says why.
 */
static ssize_t read_by(int fd, void *buf, size_t len, int64_t deadline)
{
	ssize_t n;
	int ev, left;

	for (;;) {
		n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		left = vnplug_remaining(deadline);
		if (!left)
			return -ETIMEDOUT;
		ev = vnplug_poll_one(fd, POLLIN, left);
		if (ev < 0)
			return ev;
	}
}

/* Reads one message into s->buf: its length or -errno. */
static int ctrl_read(struct vnplug_session *s, int64_t deadline)
{
	if (s->sk)
		return vnplug_sk_read(s->sk, s->buf, sizeof(s->buf), deadline);
	return (int)read_by(s->fd, s->buf, sizeof(s->buf), deadline);
}

static int status_of(int32_t status)
{
	/* A status is 0 or a negative errno; anything else is garbage. */
	return status > 0 ? -EPROTO : status;
}

/*
 * Decodes one message for the caller (see vnplug_recv). A received ERROR
 * is remembered for vnplug_session_error().
 */
static int decode(struct vnplug_session *s, const uint8_t *m, uint32_t len,
		  struct vnplug_app_hdr *hdr, void *buf, size_t buflen,
		  size_t *lenp)
{
	struct vnplug_msg_hdr mh;
	struct vnplug_app_hdr app;
	struct vnplug_msg_error e;
	size_t plen;

	memset(hdr, 0, sizeof(*hdr));
	if (lenp)
		*lenp = 0;
	if (len < HDR_LEN)
		return -EPROTO;
	memcpy(&mh, m, sizeof(mh));
	if (mh.type == VNPLUG_MSG_ERROR) {
		memset(&e, 0, sizeof(e));
		plen = len - HDR_LEN;
		memcpy(&e, m + HDR_LEN, plen < sizeof(e) ? plen : sizeof(e));
		hdr->app_id = le32toh(e.app_id);
		hdr->op = le32toh(e.op);
		hdr->seq = le32toh(e.seq);
		hdr->status = status_of((int32_t)le32toh((uint32_t)e.status));
		if (!hdr->status)
			hdr->status = -EPROTO;
		memcpy(s->error, e.text, sizeof(s->error));
		s->error[sizeof(s->error) - 1] = '\0';
		s->have_error = true;
		return hdr->status;
	}
	if (mh.type != VNPLUG_MSG_APP || len < APP_LEN)
		return -EPROTO;
	memcpy(&app, m + HDR_LEN, sizeof(app));
	hdr->app_id = le32toh(app.app_id);
	hdr->op = le32toh(app.op);
	hdr->seq = le32toh(app.seq);
	hdr->status = (int32_t)le32toh((uint32_t)app.status);
	plen = len - APP_LEN;
	if (lenp)
		*lenp = plen;
	if (plen && buflen)
		memcpy(buf, m + APP_LEN, plen < buflen ? plen : buflen);
	return plen > buflen ? -EMSGSIZE : (int)plen;
}

int vnplug_recv(struct vnplug_session *s, struct vnplug_app_hdr *hdr, void *buf,
		size_t buflen, int timeout_ms)
{
	struct pending *p = s->head;
	int n, ret;

	s->have_error = false;
	if (p) {
		s->head = p->next;
		if (!s->head)
			s->tail = NULL;
		s->npending--;
		ret = decode(s, p->data, p->len, hdr, buf, buflen, NULL);
		free(p);
		return ret;
	}
	n = ctrl_read(s, deadline_of(timeout_ms));
	if (n < 0) {
		memset(hdr, 0, sizeof(*hdr));
		return n;
	}
	return decode(s, s->buf, (uint32_t)n, hdr, buf, buflen, NULL);
}

/* Keeps s->buf aside for vnplug_recv(), or drops it. */
static void put_aside(struct vnplug_session *s, uint32_t len)
{
	struct pending *p;

	if (s->npending >= PENDING_MAX || !(p = malloc(sizeof(*p) + len))) {
		s->dropped++;
		return;
	}
	p->next = NULL;
	p->len = len;
	memcpy(p->data, s->buf, len);
	if (s->tail)
		s->tail->next = p;
	else
		s->head = p;
	s->tail = p;
	s->npending++;
}

/* Is the message in s->buf the answer to (app_id, seq)? */
static bool is_reply(const struct vnplug_session *s, uint32_t len,
		     uint32_t app_id, uint32_t seq)
{
	struct vnplug_msg_hdr mh;
	struct vnplug_app_hdr app;
	struct vnplug_msg_error e;

	if (len < HDR_LEN)
		return false;
	memcpy(&mh, s->buf, sizeof(mh));
	if (mh.type == VNPLUG_MSG_APP && len >= APP_LEN) {
		memcpy(&app, s->buf + HDR_LEN, sizeof(app));
		return le32toh(app.app_id) == app_id && le32toh(app.seq) == seq;
	}
	if (mh.type == VNPLUG_MSG_ERROR &&
	    len >= HDR_LEN + offsetof(struct vnplug_msg_error, text)) {
		memcpy(&e, s->buf + HDR_LEN,
		       offsetof(struct vnplug_msg_error, text));
		/* Zeros: the refused message could not be parsed; ours. */
		return (le32toh(e.app_id) == app_id && le32toh(e.seq) == seq) ||
		       (!e.app_id && !e.seq);
	}
	return false;
}

int vnplug_call(struct vnplug_session *s, uint32_t app_id, uint32_t op,
		const void *req, size_t reqlen, void *reply, size_t replylen,
		size_t *replylen_out, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct vnplug_app_hdr hdr;
	uint32_t seq;
	int n, ret;

	s->have_error = false;
	if (replylen_out)
		*replylen_out = 0;
	seq = s->next_seq++;
	if (!seq)
		seq = s->next_seq++;
	ret = vnplug_send(s, app_id, op, seq, req, reqlen);
	if (ret)
		return ret;
	for (;;) {
		n = ctrl_read(s, deadline);
		if (n < 0)
			return n;
		if (!is_reply(s, (uint32_t)n, app_id, seq)) {
			put_aside(s, (uint32_t)n);
			continue;
		}
		ret = decode(s, s->buf, (uint32_t)n, &hdr, reply, replylen,
			     replylen_out);
		if (ret < 0)
			return ret;
		return status_of(hdr.status);
	}
}

/* ---------------------------------------------------------------------- */
/* Regions                                                                */

static void ring_path(char *buf, size_t size, uint32_t id)
{
	snprintf(buf, size, RING_DEV_DIR "/vnplug%" PRIu32, id);
}

/*
 * Waits until path exists (present) or not (!present), watching /dev with
 * inotify and looking again every DEV_POLL_MS in case an event is missed.
 */
static int dev_wait(const char *path, bool present, int64_t deadline)
{
	char events[4096];
	int ifd, left, ev, err;

	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd >= 0 && inotify_add_watch(ifd, RING_DEV_DIR,
					  IN_CREATE | IN_DELETE | IN_MOVED_TO |
					      IN_MOVED_FROM | IN_ATTRIB) < 0) {
		close(ifd);
		ifd = -1;
	}
	for (;;) {
		if ((access(path, F_OK) == 0) == present) {
			err = 0;
			break;
		}
		if (present && errno != ENOENT) {
			err = -errno;
			break;
		}
		left = vnplug_remaining(deadline);
		if (!left) {
			err = -ETIMEDOUT;
			break;
		}
		if (left < 0 || left > DEV_POLL_MS)
			left = DEV_POLL_MS;
		if (ifd < 0) {
			poll(NULL, 0, left);
			continue;
		}
		ev = vnplug_poll_one(ifd, POLLIN, left);
		if (ev > 0)
			while (read(ifd, events, sizeof(events)) > 0)
				;
	}
	if (ifd >= 0)
		close(ifd);
	return err;
}

static int read_u64_file(const char *path, uint64_t *v)
{
	char buf[64], *end;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	errno = 0;
	*v = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EPROTO;
	return 0;
}

int vnplug_region_map(uint32_t region_id, int timeout_ms,
		      struct vnplug_region **rp)
{
	int64_t deadline = deadline_of(timeout_ms);
	long page = sysconf(_SC_PAGESIZE);
	struct vnplug_region *r;
	char path[64];
	int err;

	*rp = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->id = region_id;
	r->mem = r->ctrl = r->db = MAP_FAILED;
	if (vnplug_sk_path()) {
		struct vnplug_sk_mapping m;

		err = vnplug_sk_region_map(region_id, deadline, &r->sk, &m);
		if (err) {
			free(r);
			return err;
		}
		r->fd = m.fd;
		r->size = m.size;
		r->mem = m.mem;
		r->ctrl = m.ctrl;
		*rp = r;
		return 0;
	}
	ring_path(path, sizeof(path), region_id);
	for (;;) {
		r->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (r->fd >= 0)
			break;
		if (errno != ENOENT) {
			err = -errno;
			goto out_undo;
		}
		err = dev_wait(path, true, deadline);
		if (err)
			goto out_undo;
	}
	snprintf(path, sizeof(path), RING_SYSFS "/vnplug%" PRIu32 "/size",
		 region_id);
	err = read_u64_file(path, &r->size);
	if (err)
		goto out_undo;
	if (!r->size || r->size > SIZE_MAX - (size_t)page) {
		err = -EPROTO;
		goto out_undo;
	}
	r->mem_len = (r->size + (size_t)page - 1) & ~((size_t)page - 1);
	r->mem = mmap(NULL, r->mem_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fd, 0);
	if (r->mem == MAP_FAILED) {
		err = -errno;
		goto out_undo;
	}
	r->ctrl = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED,
		       r->fd, (off_t)VNPLUG_MMAP_CTRL);
	if (r->ctrl == MAP_FAILED) {
		err = -errno;
		goto out_undo;
	}
	r->db = mmap(NULL, (size_t)page, PROT_WRITE, MAP_SHARED, r->fd,
		     (off_t)VNPLUG_MMAP_DOORBELL);
	if (r->db == MAP_FAILED) {
		err = -errno;
		goto out_undo;
	}
	*rp = r;
	return 0;

out_undo:
	vnplug_region_unmap(r);
	return err;
}

void vnplug_region_unmap(struct vnplug_region *r)
{
	long page = sysconf(_SC_PAGESIZE);

	if (!r)
		return;
	if (r->sk) {
		vnplug_sk_region_unmap(r->sk);
		free(r);
		return;
	}
	if (r->db != MAP_FAILED)
		munmap(r->db, (size_t)page);
	if (r->ctrl != MAP_FAILED)
		munmap(r->ctrl, (size_t)page);
	if (r->mem != MAP_FAILED)
		munmap(r->mem, r->mem_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

void *vnplug_region_mem(const struct vnplug_region *r)
{
	return r->mem;
}

uint64_t vnplug_region_size(const struct vnplug_region *r)
{
	return r->size;
}

void *vnplug_region_ctrl(const struct vnplug_region *r)
{
	return r->ctrl;
}

int vnplug_region_fd(const struct vnplug_region *r)
{
	return r->fd;
}

uint32_t vnplug_region_id(const struct vnplug_region *r)
{
	return r->id;
}

void vnplug_region_notify(struct vnplug_region *r)
{
	if (r->sk) {
		vnplug_sk_region_notify(r->sk);
		return;
	}
	/* One 32-bit store, after every earlier store to the region. */
	__atomic_store_n((uint32_t *)r->db, 1, __ATOMIC_RELEASE);
}

int vnplug_region_wait(struct vnplug_region *r, int timeout_ms)
{
	uint64_t count;
	ssize_t n;

	if (r->sk)
		return vnplug_sk_region_wait(r->sk, deadline_of(timeout_ms));
	/* -ENODEV once the device is gone, -EPIPE once vnplugd is */
	n = read_by(r->fd, &count, sizeof(count), deadline_of(timeout_ms));
	if (n < 0)
		return (int)n;
	if (n != (ssize_t)sizeof(count))
		return -EIO;
	return count > INT_MAX ? INT_MAX : (int)count;
}

int vnplug_region_wait_gone(uint32_t region_id, int timeout_ms)
{
	char path[64];

	if (vnplug_sk_path())
		return vnplug_sk_region_wait_gone(region_id,
						  deadline_of(timeout_ms));
	ring_path(path, sizeof(path), region_id);
	return dev_wait(path, false, deadline_of(timeout_ms));
}

const char *vnplug_socket_path(void)
{
	return vnplug_sk_path();
}
