/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * libvnplug's socket transport (internal to libvnplug.a): when the
 * environment variable VNPLUG_SOCKET names a vnplugd per-VM socket, the
 * library plays QEMU and vnplug.ko in-process over that socket instead of
 * using /dev/vnplug-ctrl and /dev/vnplug<id>. vnplug_guest.c dispatches
 * here; the semantics are those of vnplug_guest.h.
 *
 * Deadlines are CLOCK_MONOTONIC milliseconds, -1 for none (as
 * vnplug_guest.c's deadline_of() makes them).
 */
#ifndef VNPLUG_SOCK_H
#define VNPLUG_SOCK_H

#include <stddef.h>
#include <stdint.h>

struct vnplug_sk_session;
struct vnplug_sk_region;

/* The socket path, or NULL: use vnplug.ko. Read from the environment once. */
const char *vnplug_sk_path(void);

/*
 * A session: connects first if this process has no connection (HELLO
 * exchanged), sends SESSION_OPEN. *fdp: a descriptor that polls readable
 * while messages are queued, and hung up once the session is stale.
 */
/* Time, shared with vnplug_guest.c: CLOCK_MONOTONIC milliseconds, and
 * what is left of a deadline for poll() (-1 forever, 0 expired). */
int64_t vnplug_now_ms(void);
int vnplug_remaining(int64_t deadline);
/* poll() on one descriptor: revents, 0 on timeout or EINTR, or -errno. */
int vnplug_poll_one(int fd, short events, int timeout_ms);

int vnplug_sk_session_open(struct vnplug_sk_session **sp, int *fdp);
/* SESSION_CLOSE; the last session's close also closes the connection. */
void vnplug_sk_session_close(struct vnplug_sk_session *s);
/* msg: a whole control message; its session field is stamped here. */
int vnplug_sk_send(struct vnplug_sk_session *s, void *msg, size_t len);
/* One queued message into buf: its length, -ETIMEDOUT, -ECONNRESET. */
int vnplug_sk_read(struct vnplug_sk_session *s, void *buf, size_t len,
		   int64_t deadline);

struct vnplug_sk_mapping {
	void *mem;	/* the region, rounded up to the page */
	void *ctrl;	/* the control page */
	uint64_t size;	/* region bytes, as vnplugd gave them */
	int fd;		/* the interrupt eventfd, for poll() */
};

int vnplug_sk_region_map(uint32_t region_id, int64_t deadline,
			 struct vnplug_sk_region **rp,
			 struct vnplug_sk_mapping *m);
void vnplug_sk_region_unmap(struct vnplug_sk_region *r);
void vnplug_sk_region_notify(struct vnplug_sk_region *r);
int vnplug_sk_region_wait(struct vnplug_sk_region *r, int64_t deadline);
int vnplug_sk_region_wait_gone(uint32_t region_id, int64_t deadline);

#endif /* VNPLUG_SOCK_H */
