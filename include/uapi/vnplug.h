/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) WITH Linux-syscall-note */
/*
 * vNPlug: the hypervisor-bypass framework's interfaces, shared by the QEMU
 * devices (host/qemu-vnplug), the host daemon vnplugd (host/backend), the
 * guest driver vnplug.ko (guest/vnplug-ko) and the guest library
 * (guest/libvpfring). docs/specs/vnplug.md describes them in prose.
 *
 *   guest application --- /dev/vnplug-ctrl ---> vnplug.ko --- virtqueue --->
 *   QEMU vnplug-ctrl --- UNIX socket (+ SCM_RIGHTS) ---> vnplugd --> back-end
 *
 * Three layers travel on that path:
 *
 *  1. A control message (struct vnplug_msg_hdr, then for application
 *     messages struct vnplug_app_hdr, then the application's payload). It
 *     crosses the virtqueues unchanged, and QEMU relays it to vnplugd inside
 *     a VNPLUG_SOCK_CTRL frame. At most VNPLUG_MSG_MAX bytes in all.
 *  2. The socket protocol between QEMU and vnplugd: struct vnplug_sock_hdr
 *     frames, some carrying file descriptors (SCM_RIGHTS on the frame's
 *     first byte).
 *  3. The vnplug-ring PCI device QEMU hotplugs for each region vnplugd maps:
 *     BAR0 registers and doorbell, BAR1 MSI-X, BAR2 the region's memory,
 *     BAR4 the control page.
 *
 * All multi-byte fields are little-endian. Everything a guest sends is
 * untrusted: QEMU checks the framing, vnplugd checks everything, and the
 * guest driver stamps the session id itself.
 */
#ifndef _UAPI_VNPLUG_H
#define _UAPI_VNPLUG_H

#include <linux/types.h>

#define VNPLUG_VERSION 1

/* ---------------------------------------------------------------------- */
/* Identities                                                             */

/*
 * vnplug-ring: Red Hat's vendor id with a device id from the range QEMU's
 * docs/specs/pci-ids leaves for experimental devices (1af4:10f0-10ff).
 */
#define VNPLUG_RING_VENDOR_ID 0x1af4
#define VNPLUG_RING_DEVICE_ID 0x10f0
#define VNPLUG_RING_REVISION 1
#define VNPLUG_RING_CLASS 0x0580	/* memory controller, other */

/*
 * vnplug-ctrl: a virtio device id the virtio specification has not
 * assigned (it assigns 1 to 41 and a few more below 50). The highest id
 * that still fits virtio-pci's modern range (PCI device 0x1040 + id), so
 * it is unlikely ever to be assigned. QEMU's property virtio-id and
 * vnplug.ko's parameter virtio_id change it together.
 */
#define VNPLUG_CTRL_VIRTIO_ID 63

/*
 * vnplug-ctrl's virtio configuration space (read-only to the guest). QEMU
 * changes it, and raises a configuration interrupt, when vnplugd connects
 * or goes away. generation counts connections: a guest session opened
 * under another generation belongs to a vnplugd that is gone.
 */
struct vnplug_ctrl_config {
	__u32 status;		/* enum vnplug_ctrl_status bits */
	__u32 generation;
};

enum vnplug_ctrl_status {
	VNPLUG_CTRL_CONNECTED = 1u << 0,	/* vnplugd answered HELLO */
};

/* Virtqueues of vnplug-ctrl. */
enum vnplug_ctrl_vq {
	VNPLUG_VQ_TO_HOST = 0,
	VNPLUG_VQ_TO_GUEST = 1,
};

/* ---------------------------------------------------------------------- */
/* Control messages (guest <-> host, layer 1)                             */

#define VNPLUG_MSG_MAX 4096	/* whole message, headers included */

/* Framework header: first in every message. */
struct vnplug_msg_hdr {
	__u8 version;		/* VNPLUG_VERSION */
	__u8 type;		/* enum vnplug_msg_type */
	__u16 flags;		/* must be zero */
	__u32 session;		/* guest session; stamped by vnplug.ko */
	__u32 len;		/* bytes after this header */
};

enum vnplug_msg_type {
	/* An application message: struct vnplug_app_hdr and payload follow. */
	VNPLUG_MSG_APP = 1,
	/* Guest driver -> host: a session began / ended (close or death). */
	VNPLUG_MSG_SESSION_OPEN = 2,
	VNPLUG_MSG_SESSION_CLOSE = 3,
	/* Host -> guest driver, session 0: are you alive? The driver answers
	 * VNPLUG_MSG_PONG with the same 8-byte payload (a cookie). */
	VNPLUG_MSG_PING = 4,
	VNPLUG_MSG_PONG = 5,
	/* Host -> a guest session: the framework refused something the session
	 * sent. Payload: struct vnplug_msg_error. */
	VNPLUG_MSG_ERROR = 6,
};

/* Application header: after the framework header of a VNPLUG_MSG_APP. */
struct vnplug_app_hdr {
	__u32 app_id;		/* which back-end: enum vnplug_app_id */
	__u32 op;		/* the application's operation */
	__u32 seq;		/* request number; the reply carries it back */
	__s32 status;		/* replies: 0 or a negative errno */
};

enum vnplug_app_id {
	VNPLUG_APP_TEST = 1,	/* vnplugd's test back-end (below) */
	VNPLUG_APP_VPFRING = 2,	/* vPF_RING (vpfring.h) */
};

/*
 * Payload of VNPLUG_MSG_ERROR: what was refused (the offending message's
 * application id, op and seq when it had them, else zero), an errno and a
 * text for humans, NUL-terminated, at most VNPLUG_ERR_TEXT bytes.
 */
#define VNPLUG_ERR_TEXT 128
struct vnplug_msg_error {
	__s32 status;
	__u32 app_id;
	__u32 op;
	__u32 seq;
	char text[VNPLUG_ERR_TEXT];
};

/* ---------------------------------------------------------------------- */
/* The socket protocol between QEMU and vnplugd (layer 2)                 */

#define VNPLUG_SOCK_MAGIC 0x53504e56u	/* "VNPS" little-endian */
#define VNPLUG_SOCK_MAX (VNPLUG_MSG_MAX + 64)	/* payload bytes, at most */
#define VNPLUG_SOCK_MAX_FDS 4

struct vnplug_sock_hdr {
	__u32 magic;		/* VNPLUG_SOCK_MAGIC */
	__u16 type;		/* enum vnplug_sock_type */
	__u16 nfds;		/* descriptors sent with this frame */
	__u32 len;		/* payload bytes after this header */
	__u32 seq;		/* sender's number; replies carry it back */
};

enum vnplug_sock_type {
	/* Both ways, first: struct vnplug_sock_hello. QEMU speaks first;
	 * vnplugd answers or sends ERROR and closes. */
	VNPLUG_SOCK_HELLO = 1,
	/* Both ways: one control message (layer 1), whole. */
	VNPLUG_SOCK_CTRL = 2,
	/* vnplugd -> QEMU: hotplug a ring device. struct vnplug_sock_map,
	 * and 4 fds in this order: memory, control page, doorbell eventfd,
	 * interrupt eventfd. */
	VNPLUG_SOCK_MAP = 3,
	/* QEMU -> vnplugd: the answer to MAP. struct vnplug_sock_region. */
	VNPLUG_SOCK_MAPPED = 4,
	/* vnplugd -> QEMU: unplug a region's device. struct vnplug_sock_region
	 * (status zero). QEMU asks the guest to eject it. */
	VNPLUG_SOCK_UNMAP = 5,
	/* QEMU -> vnplugd: the device is gone (the guest ejected it) and QEMU
	 * no longer maps its memory. struct vnplug_sock_region. */
	VNPLUG_SOCK_UNMAPPED = 6,
	/* Both ways: struct vnplug_sock_error. */
	VNPLUG_SOCK_ERROR = 7,
};

struct vnplug_sock_hello {
	__u32 version;		/* VNPLUG_VERSION */
	__u32 features;		/* must be zero */
	/* QEMU -> vnplugd: ring devices still plugged from an earlier
	 * connection, and the highest region id among them, so that a
	 * restarted vnplugd picks new ids above it. Zero from vnplugd. */
	__u32 live_regions;
	__u32 max_region_id;
};

#define VNPLUG_MAP_MEM_MAX (1ULL << 36)	/* 64 GiB */
#define VNPLUG_CTRL_PAGE_SIZE 4096

struct vnplug_sock_map {
	__u32 region_id;	/* non-zero, unique within the VM */
	__u32 app_id;		/* for the guest's information */
	__u32 session;		/* the guest session it serves */
	__u32 flags;		/* must be zero */
	__u64 size;		/* bytes of memory at mem_offset in the fd */
	__u64 mem_offset;	/* multiple of the host page size */
};

struct vnplug_sock_region {
	__u32 region_id;
	__s32 status;		/* 0 or a negative errno */
};

struct vnplug_sock_error {
	__s32 status;		/* negative errno */
	__u32 ref_seq;		/* the frame it refers to, or 0 */
	char text[VNPLUG_ERR_TEXT];	/* NUL-terminated */
};

/* ---------------------------------------------------------------------- */
/* vnplug-ring (layer 3)                                                  */

enum vnplug_ring_bar {
	VNPLUG_BAR_REGS = 0,	/* 8 KiB: registers, then the doorbell page */
	VNPLUG_BAR_MSIX = 1,
	VNPLUG_BAR_MEM = 2,	/* 64-bit, prefetchable: the region */
	VNPLUG_BAR_CTRL = 4,	/* 64-bit: the control page */
};

#define VNPLUG_REGS_SIZE 8192
#define VNPLUG_RING_MAGIC 0x524e5056u	/* "VPNR" little-endian */
#define VNPLUG_MSIX_VECTORS 1		/* vector 0: host -> guest events */

/* BAR0, 32-bit accesses only; other sizes are logged and ignored. */
enum vnplug_reg {
	VNPLUG_REG_MAGIC = 0x00,	/* RO VNPLUG_RING_MAGIC */
	VNPLUG_REG_VERSION = 0x04,	/* RO VNPLUG_VERSION */
	VNPLUG_REG_REGION_ID = 0x08,	/* RO */
	VNPLUG_REG_APP_ID = 0x0c,	/* RO */
	VNPLUG_REG_SESSION = 0x10,	/* RO the session it serves */
	VNPLUG_REG_STATUS = 0x14,	/* RO enum vnplug_status bits */
	VNPLUG_REG_SIZE_LO = 0x18,	/* RO region bytes (BAR2 is the next */
	VNPLUG_REG_SIZE_HI = 0x1c,	/*    power of two) */
	VNPLUG_REG_CTRL_SIZE = 0x20,	/* RO control page bytes */
	VNPLUG_REG_IRQ_COUNT = 0x24,	/* RO interrupts raised, wraps */
	VNPLUG_REG_BAD_ACCESS = 0x28,	/* RO guest misuses logged, wraps */
	VNPLUG_REG_DOORBELL = 0x1000,	/* WO any value: host event */
};

enum vnplug_status {
	VNPLUG_STATUS_READY = 1u << 0,	  /* memory mapped */
	VNPLUG_STATUS_BACKEND_GONE = 1u << 1, /* vnplugd disconnected */
	VNPLUG_STATUS_UNPLUGGING = 1u << 2, /* unplug requested */
};

/*
 * The control page (BAR4), a memfd vnplugd owns. The first 64 bytes are
 * written by the host only, the next 64 by the guest only; the rest belongs
 * to the application.
 */
#define VNPLUG_CTRL_MAGIC 0x50434e56u	/* "VNCP" little-endian */
#define VNPLUG_CTRL_APP_OFF 128

struct vnplug_ctrl_page {
	/* host-written */
	__u32 magic;
	__u32 version;
	__u32 region_id;
	__u32 app_id;
	__u64 host_signals;	/* interrupts the host requested */
	__u64 host_doorbells;	/* doorbells the host consumed */
	__u8 host_spare[32];	/* must be zero */
	/* guest-written (untrusted) */
	__u32 guest_waiting;	/* non-zero: the guest sleeps, signal it */
	__u32 guest_spare0;
	__u64 guest_wakeups;	/* guest's own count */
	__u8 guest_spare[48];
};

/*
 * /dev/vnplugN (N = region id) mmap offsets: the region at 0, the doorbell
 * page and the control page at these fixed offsets.
 */
#define VNPLUG_MMAP_DOORBELL (1ULL << 40)
#define VNPLUG_MMAP_CTRL (2ULL << 40)

/* ---------------------------------------------------------------------- */
/* vnplugd's test back-end (VNPLUG_APP_TEST), for tests and as an example  */

enum vnplug_test_op {
	VNPLUG_TEST_PING = 1,	  /* echo the payload back */
	VNPLUG_TEST_MAP = 2,	  /* struct vnplug_test_map -> reply same */
	VNPLUG_TEST_UNMAP = 3,	  /* struct vnplug_test_region */
	VNPLUG_TEST_SIGNAL = 4,	  /* struct vnplug_test_region: count irqs */
	VNPLUG_TEST_READ = 5,	  /* struct vnplug_test_read -> the bytes */
	VNPLUG_TEST_DOORBELLS = 6, /* struct vnplug_test_region -> count */
	VNPLUG_TEST_STATS = 7,	  /* -> struct vnplug_test_stats */
};

/*
 * The pattern the test back-end writes into a new region: byte i holds
 * (i * 31 + region_id) & 0xff, except the first 8 bytes, which hold the
 * region id and the size's low 32 bits (little-endian __u32 each).
 */
#define VNPLUG_TEST_MAX_SIZE (64ULL << 20)
#define VNPLUG_TEST_READ_MAX 1024

struct vnplug_test_map {
	__u64 size;		/* request: bytes; reply: same */
	__u32 region_id;	/* reply */
	__u32 pad;		/* must be zero */
};

struct vnplug_test_region {
	__u32 region_id;
	__u32 count;		/* SIGNAL: how many; DOORBELLS reply: seen */
};

struct vnplug_test_read {
	__u32 region_id;
	__u32 len;		/* at most VNPLUG_TEST_READ_MAX */
	__u64 offset;
};

struct vnplug_test_stats {
	__u32 daemon_fds;	/* vnplugd's open descriptors */
	__u32 qemu_fds;		/* the VM's QEMU process's (peer pid) */
	__u32 regions;		/* live regions of this VM, all back-ends */
	__u32 sessions;		/* guest sessions vnplugd knows of */
};

#endif /* _UAPI_VNPLUG_H */
