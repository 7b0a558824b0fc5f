/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The guest side of the vNPlug API (libvnplug.a), on top of vnplug.ko:
 *
 *  - sessions: control messages to and from an application's back-end in
 *    vnplugd, through /dev/vnplug-ctrl (vnplug_session_*, vnplug_send,
 *    vnplug_recv, vnplug_call);
 *  - regions: memory vnplugd maps into the guest as a hotplugged
 *    vnplug-ring device, /dev/vnplug<id>, mapped into this process with its
 *    control page and doorbell (vnplug_region_*);
 *  - events: guest -> host (vnplug_region_notify, a store to the doorbell)
 *    and host -> guest (vnplug_region_wait, the device's interrupts).
 *
 * The messages, the test back-end's operations and the control page are
 * defined in include/uapi/vnplug.h; include it for struct vnplug_app_hdr's
 * fields. Every function returning int returns 0 (or a count) on success
 * and a negative errno on failure; errno itself is left as the failing
 * call set it. Timeouts are in milliseconds: negative waits forever, 0 does
 * not wait. A session or region handle must not be used by two threads at
 * once.
 *
 * VNPLUG_SOCKET (socket mode). When this environment variable names a
 * path (it is read once, at the first call), the library uses neither
 * vnplug.ko nor QEMU: it connects to that UNIX socket, a vnplugd per-VM
 * socket, and plays QEMU and the guest driver itself, in-process, so that
 * a libvnplug program runs on a host (or in a VM) against vnplugd. The
 * API stays the same; what differs:
 *
 *  - One connection per process, shared by its sessions: the first
 *    vnplug_session_open() connects and exchanges HELLO, and a service
 *    thread (all signals blocked) then reads the socket: it answers
 *    vnplugd's PINGs, queues messages per session, maps the regions
 *    vnplugd sends and answers its unmaps. Closing the last session
 *    closes the connection, which tells vnplugd that every session and
 *    region of the process is gone (as QEMU going away does); so does the
 *    process's death. A child after fork() does not use the parent's
 *    connection: its inherited sessions are stale, and it may open its
 *    own once the parent's is closed (vnplugd serves one per VM).
 *  - vnplug_session_open() errors: those of connect() (-ENOENT: no such
 *    socket; -ECONNREFUSED: nothing listens on it, vnplugd is not running;
 *    -EACCES), -ENAMETOOLONG, the status of vnplugd's refusal (-EBUSY: the
 *    VM already has a connection, QEMU's or another process's), -ETIMEDOUT
 *    (no HELLO within 5 s), -ECONNRESET (vnplugd closed the connection).
 *  - vnplug_session_fd() is the read end of a pipe: POLLIN while messages
 *    are queued, POLLHUP once the session is stale (vnplugd went away, or
 *    sent something that ended the connection); never POLLOUT, and it
 *    must not be read or written.
 *  - Regions: vnplug_region_map() waits for vnplugd's MAP of the region
 *    (-ENOTCONN when this process has no connection);
 *    vnplug_region_fd() is the interrupt eventfd (POLLIN while interrupts
 *    are pending; POLLHUP once the region is gone); vnplug_region_notify()
 *    adds 1 to the doorbell eventfd. When vnplugd unmaps a region the
 *    process still maps (the back-end was asked to, or the session
 *    closed), the library revokes the mapping at once, as the guest
 *    driver does (zeroed memory of the process replaces vnplugd's: reads
 *    give zeros, writes no longer reach vnplugd, no SIGBUS), and confirms
 *    to vnplugd: vnplug_region_wait() returns -ENODEV, and -EPIPE once the
 *    connection is lost (which revokes the mapping too).
 *    vnplug_region_unmap() of a region vnplugd still maps keeps the
 *    mapping, as a plugged device stays, until vnplugd unmaps it.
 *  - No sysfs: vnplug.ko's statistics do not exist.
 */
#ifndef VNPLUG_GUEST_H
#define VNPLUG_GUEST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vnplug_app_hdr; /* include/uapi/vnplug.h */
struct vnplug_session; /* opaque */
struct vnplug_region;  /* opaque */

/* ---------------------------------------------------------------------- */
/* Sessions                                                               */

/*
 * Opens a session (an open file of /dev/vnplug-ctrl; vnplug.ko tells vnplugd
 * it began and, on close or process death, that it ended: vnplugd then tears
 * down the session's regions). -ENOTCONN: vnplugd is not connected; -ENODEV:
 * no vnplug-ctrl device; -ENOENT: vnplug.ko not loaded.
 */
int vnplug_session_open(struct vnplug_session **sp);

/* Closes the session and frees the handle. NULL is ignored. */
void vnplug_session_close(struct vnplug_session *s);

/*
 * The session's descriptor, for poll(): POLLIN means a message may be read,
 * POLLERR|POLLHUP that the session is stale (vnplugd went away or
 * reconnected: close it and open another). Messages vnplug_call() put aside
 * are not visible there: see vnplug_session_pending().
 */
int vnplug_session_fd(const struct vnplug_session *s);

/* Messages put aside by vnplug_call(), which vnplug_recv() returns first. */
unsigned int vnplug_session_pending(const struct vnplug_session *s);

/* Messages vnplug_call() dropped: not its reply and no room to keep them. */
uint64_t vnplug_session_dropped(const struct vnplug_session *s);

/*
 * The text of the VNPLUG_MSG_ERROR that made the last vnplug_recv() or
 * vnplug_call() fail, or NULL if that failure was not such an error.
 */
const char *vnplug_session_error(const struct vnplug_session *s);

/*
 * Sends one application message: len bytes of payload (at most
 * VNPLUG_MSG_MAX minus both headers, else -EMSGSIZE) for back-end app_id.
 * Blocks while the control queue is full. -ECONNRESET: the session is
 * stale; -ENOTCONN: vnplugd is not connected.
 */
int vnplug_send(struct vnplug_session *s, uint32_t app_id, uint32_t op,
		uint32_t seq, const void *payload, size_t len);

/*
 * Receives one message for this session, waiting up to timeout_ms
 * (-ETIMEDOUT). An application message: fills *hdr (app_id, op, seq and the
 * back-end's status), copies its payload into buf and returns the payload's
 * length; a payload longer than buflen is cut and -EMSGSIZE returned (the
 * message is consumed). A VNPLUG_MSG_ERROR: fills *hdr from the error
 * (app_id, op and seq of what was refused, status) and returns its status;
 * vnplug_session_error() then gives its text. -ECONNRESET: stale session.
 */
int vnplug_recv(struct vnplug_session *s, struct vnplug_app_hdr *hdr, void *buf,
		size_t buflen, int timeout_ms);

/*
 * A request and its reply: sends (app_id, op) with the session's next
 * sequence number and waits up to timeout_ms for the reply carrying it.
 * Other messages received meanwhile are kept for vnplug_recv() (up to 64;
 * more are dropped and counted, vnplug_session_dropped()). Returns 0 and
 * the reply's payload length in *replylen_out (may be NULL), or the reply's
 * non-zero status, or the status of a VNPLUG_MSG_ERROR refusing the
 * request, or -EMSGSIZE when the reply is longer than replylen (cut), or
 * -ETIMEDOUT and the other errors of vnplug_send()/vnplug_recv().
 */
int vnplug_call(struct vnplug_session *s, uint32_t app_id, uint32_t op,
		const void *req, size_t reqlen, void *reply, size_t replylen,
		size_t *replylen_out, int timeout_ms);

/* ---------------------------------------------------------------------- */
/* Regions                                                                */

/*
 * Maps region region_id (its id in vnplugd's answer to whatever request
 * made it) into this process: waits up to timeout_ms for /dev/vnplug<id>
 * to appear (QEMU hotplugs the device; the guest's ACPI handling creates
 * it), opens it, reads its size from /sys/class/vnplug/vnplug<id>/size and
 * maps the region, the control page and the doorbell page. -ETIMEDOUT: the
 * device did not appear.
 */
int vnplug_region_map(uint32_t region_id, int timeout_ms,
		      struct vnplug_region **rp);

/*
 * Unmaps the region and closes the device, freeing the handle. The host
 * unplugs the device when the back-end is asked to (or when the session
 * ends); vnplug_region_wait_gone() waits for that. NULL is ignored.
 */
void vnplug_region_unmap(struct vnplug_region *r);

void *vnplug_region_mem(const struct vnplug_region *r);	    /* the region */
uint64_t vnplug_region_size(const struct vnplug_region *r); /* its bytes */
void *vnplug_region_ctrl(const struct vnplug_region *r);    /* control page */
int vnplug_region_fd(const struct vnplug_region *r);	    /* for poll() */
uint32_t vnplug_region_id(const struct vnplug_region *r);

/*
 * Guest -> host event: one 32-bit store to the mapped doorbell page (the
 * host's ioeventfd). Stores to the region made before it are visible to
 * the host before the event.
 */
void vnplug_region_notify(struct vnplug_region *r);

/*
 * Host -> guest events: waits up to timeout_ms for an interrupt from the
 * device and returns how many arrived since the last wait (at least 1).
 * -ETIMEDOUT; -ENODEV: the device was unplugged; -EPIPE: vnplugd is gone.
 */
int vnplug_region_wait(struct vnplug_region *r, int timeout_ms);

/*
 * Waits up to timeout_ms for /dev/vnplug<region_id> to disappear (socket
 * mode: for vnplugd to have unmapped the region).
 */
int vnplug_region_wait_gone(uint32_t region_id, int timeout_ms);

/*
 * The socket libvnplug uses instead of vnplug.ko (VNPLUG_SOCKET, see
 * above), or NULL.
 */
const char *vnplug_socket_path(void);

#ifdef __cplusplus
}
#endif

#endif /* VNPLUG_GUEST_H */
