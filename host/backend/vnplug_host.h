/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vNPlug host API: what an application back-end compiled into vnplugd
 * (the test back-end, vPF_RING) uses to talk to its guest side and to map
 * memory into the guest. Everything here runs on vnplugd's single thread,
 * from inside the callbacks of struct vnp_app, so nothing needs locking.
 *
 * Objects and their lifetimes:
 *  - struct vnp_vm: one configured virtual machine; lives as long as
 *    vnplugd.
 *  - struct vnp_session: one open /dev/vnplug-ctrl of a guest process. A
 *    pointer to it is valid only during the callback that received it; keep
 *    the session id (vnp_session_id()) and use vnp_send() later.
 *  - struct vnp_region: one mapped device (ring memory, control page,
 *    doorbell, interrupt). Valid from a successful vnp_region_create()
 *    until the callback that ends it returns: either region_mapped() with
 *    a negative status, or region_unmapped(). Exactly one of the two is
 *    called for every region created.
 */
#ifndef VNPLUG_HOST_H
#define VNPLUG_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uapi/vnplug.h"

struct vnp_vm;
struct vnp_session;
struct vnp_region;

/*
 * An application back-end. @name is for logs; @id is the app_id its guest
 * side puts in struct vnplug_app_hdr. Only @message is required.
 */
struct vnp_app {
	const char *name;
	uint32_t id;
	/*
	 * A VNPLUG_MSG_APP for this back-end from open session @s. @hdr has
	 * been copied out of the frame; @payload (@len bytes, maybe
	 * unaligned) is untrusted and valid only during the call. Reply with
	 * vnp_reply(), now or later with vnp_send().
	 */
	void (*message)(struct vnp_session *s, const struct vnplug_app_hdr *hdr,
			const void *payload, size_t len);
	/*
	 * Session @s is ending (guest close, guest process death, guest
	 * timeout, QEMU gone). Called for every registered back-end; after it
	 * returns the framework destroys the session's remaining regions.
	 */
	void (*session_closed)(struct vnp_session *s);
	/*
	 * Optional: region @r has its id and control page but QEMU has not
	 * been told yet: fill the memory or the control page's application
	 * area here. A negative return cancels vnp_region_create() with it.
	 */
	int (*region_init)(struct vnp_region *r);
	/*
	 * QEMU answered MAP: @status 0 means the guest sees the device. A
	 * negative @status ends the region when this returns.
	 */
	void (*region_mapped)(struct vnp_region *r, int status);
	/*
	 * The region is gone and its record is about to be freed: QEMU
	 * reported UNMAPPED (@status is QEMU's), or it did not within
	 * guest_timeout (-ETIMEDOUT), or QEMU disconnected (-ECONNRESET), or
	 * the back-end was unregistered (-ESHUTDOWN).
	 */
	void (*region_unmapped)(struct vnp_region *r, int status);
	/*
	 * The guest rang region @r's doorbell; @count is the eventfd's
	 * counter, i.e. the number of doorbell writes since the last call.
	 */
	void (*doorbell)(struct vnp_region *r, uint64_t count);
};

/*
 * Make @app receive its messages. Returns 0, -EINVAL (no id, name or
 * message callback), -EEXIST (the id is taken) or -ENOSPC (table full).
 * @app must stay valid until vnp_app_unregister().
 */
int vnp_app_register(const struct vnp_app *app);

/*
 * Stop routing to @app: its messages are then refused as "unknown
 * application", and each of its regions is destroyed and reported to it
 * with region_unmapped(-ESHUTDOWN) before this returns.
 */
void vnp_app_unregister(const struct vnp_app *app);

/*
 * Send an application message to guest session @session of @vm: @hdr
 * (app_id, op, seq, status) then @len bytes of @payload. Returns 0,
 * -ENOENT (no such session), -EMSGSIZE (longer than VNPLUG_MSG_MAX) or
 * -ENOTCONN (no QEMU connection).
 */
int vnp_send(struct vnp_vm *vm, uint32_t session,
	     const struct vnplug_app_hdr *hdr, const void *payload,
	     size_t len);

/* Answer request @req of session @s: same app_id, op and seq. */
int vnp_reply(struct vnp_session *s, const struct vnplug_app_hdr *req,
	      int status, const void *payload, size_t len);

/*
 * Map @size bytes at @offset (a multiple of the page size) of @mem_fd into
 * the guest, for session @session and back-end @app_id: creates the
 * control page (a memfd) and the doorbell and interrupt eventfds, picks a
 * region id, and sends VNPLUG_SOCK_MAP to QEMU. @mem_fd stays the
 * caller's (it is duplicated); @cookie is the back-end's, see
 * vnp_region_cookie(). On success *@out is set and returns 0; the answer
 * arrives through region_mapped(). Errors: -ENOTCONN, -ENOENT (unknown
 * session or back-end), -EINVAL (size, offset), -EBADF, -ENOSPC (the VM's
 * max_rings or max_ring_memory would be exceeded), or a system error.
 */
int vnp_region_create(struct vnp_vm *vm, uint32_t session, uint32_t app_id,
		      int mem_fd, uint64_t offset, uint64_t size, void *cookie,
		      struct vnp_region **out);

/*
 * Interrupt the guest: add 1 to the interrupt eventfd and count it in the
 * control page's host_signals. Returns 0, -ESHUTDOWN (region being
 * unmapped) or -errno from write(2).
 */
int vnp_region_signal(struct vnp_region *r);

/*
 * Ask QEMU to unplug @r and close vnplugd's descriptors for it. The record
 * lives on, and counts against the VM's limits, until QEMU confirms
 * (UNMAPPED) or guest_timeout passes; region_unmapped() then ends it.
 * Calling it again, or on a region being unmapped, does nothing.
 */
void vnp_region_destroy(struct vnp_region *r);

/* The region of @vm with id @id, whoever owns it, or NULL. */
struct vnp_region *vnp_region_find(struct vnp_vm *vm, uint32_t id);

/* Accessors. */
uint32_t vnp_region_id(const struct vnp_region *r);
uint32_t vnp_region_app_id(const struct vnp_region *r);
uint32_t vnp_region_session(const struct vnp_region *r);
uint64_t vnp_region_size(const struct vnp_region *r);
struct vnp_vm *vnp_region_vm(const struct vnp_region *r);
void *vnp_region_cookie(const struct vnp_region *r);
/* True between region_mapped(0) and vnp_region_destroy(). */
bool vnp_region_is_mapped(const struct vnp_region *r);
/*
 * The application area of the control page (from VNPLUG_CTRL_APP_OFF to
 * the end; *@len is set to its size), which the guest maps read-write, or
 * NULL once the region is being unmapped.
 */
void *vnp_region_ctrl_app(struct vnp_region *r, size_t *len);

uint32_t vnp_session_id(const struct vnp_session *s);
struct vnp_vm *vnp_session_vm(const struct vnp_session *s);

const char *vnp_vm_name(const struct vnp_vm *vm);
/* QEMU's process id (SO_PEERCRED), or 0 when QEMU is not connected. */
pid_t vnp_vm_qemu_pid(const struct vnp_vm *vm);
unsigned int vnp_vm_n_regions(const struct vnp_vm *vm);
unsigned int vnp_vm_n_sessions(const struct vnp_vm *vm);

/*
 * May @vm open host interface @ifname, queue @queue (-1: the whole
 * device), according to its "interfaces" setting? See vnplugd.8.
 */
bool vnp_vm_may_use(const struct vnp_vm *vm, const char *ifname, int queue);

/*
 * Log, rate-limited per VM, that @vm's guest did something refused, and
 * count it in the VM's statistics. For back-ends checking their payloads.
 */
void vnp_vm_reject(struct vnp_vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* VNPLUG_HOST_H */
