// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnplugd's vPF_RING back-end (host/backend/app_vpfring.c) end to end:
 * each test starts the built daemon on a configuration in a temporary
 * directory and plays QEMU (fake_qemu.h), sending the guest's vPF_RING
 * requests (include/uapi/vpfring.h) as VNPLUG_APP_VPFRING messages.
 *
 * Without root the suite checks what needs no capture socket: requests
 * before OPEN, every malformed request, OPEN's checks of the device name
 * against the VM's "interfaces", and the host libpfring's own refusal of a
 * missing interface. As root it also opens real AF_PACKET TPACKET_V3 rings
 * on "lo" (no pf_ring.ko here): mapping into the guest, the control page,
 * doorbells and interrupts with real packets, rules and BPF filters,
 * refusals once mapped, and an unchanged descriptor count after a session
 * closes. Cases that need root are not registered without it, and the
 * suite says how many it left out.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pfring.h"
#include "uapi/vnplug.h"
#include "uapi/vpfring.h"
#include "check_main.h"
#include "fake_qemu.h"

#define VPF_GLOBAL "ping_interval = 60\nguest_timeout = 120\n"
#define VPF_VMS                                                                \
	"[vm vm1]\ninterfaces = vpftest* lo\n"                                 \
	"[vm vm2]\ninterfaces = lo@0\nmax_rings = 1\nmax_ring_memory = 1M\n"
#define LOCKED_TEXT                                                            \
	"set the poll watermark and duration before pfring_enable_ring(): "    \
	"an AF_PACKET host ring cannot change once mapped"

static uint32_t vseq;

static void vstart(void)
{
	make_dir();
	vseq = 0;
	start_conf(VPF_GLOBAL, VPF_VMS);
}

/* ---- requests -------------------------------------------------------- */

static uint32_t vreq(int fd, uint32_t session, uint32_t op, const void *p,
		     size_t len)
{
	app_msg(fd, session, VNPLUG_APP_VPFRING, op, ++vseq, p, len);
	return vseq;
}

/* One request; its reply must have @status. */
static void vcall(int fd, uint32_t session, uint32_t op, const void *p,
		  size_t len, int status, struct msg *m)
{
	uint32_t seq = vreq(fd, session, op, p, len);

	expect_app_reply(fd, session, VNPLUG_APP_VPFRING, op, seq, status, m);
}

/* A reply's text (not NUL-terminated on the wire) as a C string. */
static const char *reply_text(const struct msg *m)
{
	static char text[VNPLUG_MSG_MAX + 1];

	ck_assert_uint_gt(m->plen, 0);
	ck_assert_ptr_null(memchr(m->p, '\0', m->plen));
	memcpy(text, m->p, m->plen);
	text[m->plen] = '\0';
	return text;
}

/* A request refused with @code and a text containing @text. */
static void vrefused(int fd, uint32_t session, uint32_t op, const void *p,
		     size_t len, int code, const char *text)
{
	static struct msg m;
	const char *t;

	vcall(fd, session, op, p, len, code, &m);
	t = reply_text(&m);
	ck_assert_msg(strstr(t, text), "op %u: reply \"%s\" lacks \"%s\"", op,
		      t, text);
}

static void vcall_u32(int fd, uint32_t session, uint32_t op, uint32_t v,
		      int status)
{
	static struct msg m;

	vcall(fd, session, op, &v, sizeof(v), status, &m);
	if (!status)
		ck_assert_uint_eq(m.plen, 0);
}

/* A request answered 0 with exactly @len bytes, copied to @out. */
static void vget(int fd, uint32_t session, uint32_t op, const void *p,
		 size_t plen, void *out, size_t len)
{
	static struct msg m;

	vcall(fd, session, op, p, plen, 0, &m);
	ck_assert_uint_eq(m.plen, len);
	memcpy(out, m.p, len);
}

static struct vpfring_open open_req(const char *dev, uint32_t caplen)
{
	struct vpfring_open o = {
		.version = VPFRING_PROTO_VERSION, .caplen = caplen,
		.flags = PF_RING_PROMISC,
	};

	ck_assert_uint_lt(strlen(dev), sizeof(o.device));
	memcpy(o.device, dev, strlen(dev));
	return o;
}

static void open_refused(int fd, uint32_t session, const char *dev,
			 int code, const char *text)
{
	struct vpfring_open o = open_req(dev, 1500);

	vrefused(fd, session, VPFRING_OP_OPEN, &o, sizeof(o), code, text);
}

static struct vpfring_opened open_ok(int fd, uint32_t session,
				     const char *dev, uint32_t caplen)
{
	struct vpfring_open o = open_req(dev, caplen);
	struct vpfring_opened out;

	vget(fd, session, VPFRING_OP_OPEN, &o, sizeof(o), &out, sizeof(out));
	ck_assert_uint_eq(out.version, VPFRING_PROTO_VERSION);
	return out;
}

/* A payload the op takes (only its length matters before OPEN). */
static size_t valid_len(uint32_t op)
{
	switch (op) {
	case VPFRING_OP_OPEN:
		return sizeof(struct vpfring_open);
	case VPFRING_OP_SET_DIRECTION ... VPFRING_OP_TOGGLE_POLICY:
	case VPFRING_OP_REMOVE_RULE:
	case VPFRING_OP_RULE_STATS:
		return 4;
	case VPFRING_OP_SET_APPNAME:
	case VPFRING_OP_SET_BPF:
		return 3;
	case VPFRING_OP_ADD_RULE:
		return sizeof(struct vpfring_wc_rule);
	case VPFRING_OP_HASH_RULE:
		return sizeof(struct vpfring_hash_req);
	case VPFRING_OP_PURGE_IDLE:
		return sizeof(struct vpfring_purge);
	case VPFRING_OP_HASH_RULE_STATS:
		return sizeof(struct vpfring_hash_rule);
	case VPFRING_OP_SET_CLUSTER:
		return sizeof(struct vpfring_cluster);
	case VPFRING_OP_SEND:
		return sizeof(struct vpfring_send) + 1;
	default:
		return 0;
	}
}

/* ---- without root ---------------------------------------------------- */

START_TEST(ops_before_open)
{
	static uint8_t buf[256];
	struct vpfring_send sd = { .len = 1 };
	uint32_t op;
	int fd;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	memcpy(buf, &sd, sizeof(sd));
	memcpy(buf + sizeof(sd), "udp", 3);
	for (op = VPFRING_OP_ENABLE; op <= VPFRING_OP_MAX; op++) {
		if (op == VPFRING_OP_SET_APPNAME || op == VPFRING_OP_SET_BPF)
			memcpy(buf, "udp", 3);
		else if (op == VPFRING_OP_SEND)
			memcpy(buf, &sd, sizeof(sd));
		vrefused(fd, 1, op, buf, valid_len(op),
			 PF_RING_ERROR_INVALID_STATUS,
			 ": no ring: the session must open one first");
	}
	close(fd);
	stop();
}
END_TEST

START_TEST(open_checks)
{
	struct vpfring_open o = open_req("lo", 1500);
	static uint8_t big[sizeof(o) + 1];
	int fd;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	/* First: refusals are logged, 10 per VM and 5 s. */
	open_refused(fd, 1, "eth0", PF_RING_ERROR_INVALID_ARGUMENT,
		     "VM vm1 may not capture from eth0 (interfaces = vpftest* "
		     "lo in vnplugd.conf)");
	ck_assert(wait_log("vpfring: session 1 may not capture from eth0",
			   TMO));
	vrefused(fd, 1, VPFRING_OP_OPEN, &o, sizeof(o) - 1,
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "OPEN: payload of 47 bytes, expected 48");
	memcpy(big, &o, sizeof(o));
	vrefused(fd, 1, VPFRING_OP_OPEN, big, sizeof(big),
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "OPEN: payload of 49 bytes, expected 48");
	o.version = VPFRING_PROTO_VERSION + 1;
	vrefused(fd, 1, VPFRING_OP_OPEN, &o, sizeof(o),
		 PF_RING_ERROR_INVALID_LIB_VERSION,
		 "vPF_RING protocol version 2: this host speaks version 1");
	o.version = VPFRING_PROTO_VERSION;
	memset(o.device, 'l', sizeof(o.device));
	vrefused(fd, 1, VPFRING_OP_OPEN, &o, sizeof(o),
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "device name is not NUL-terminated within 32 bytes");
	open_refused(fd, 1, "pcap:x", PF_RING_ERROR_INVALID_ARGUMENT,
		     "bad device name \"pcap:x\": a host interface name has "
		     "letters, digits, '.', '-' and '_' only (no prefix, no "
		     "path)");
	open_refused(fd, 1, "../x", PF_RING_ERROR_INVALID_ARGUMENT,
		     "bad device name \"../x\": a host interface name");
	open_refused(fd, 1, "multi:lo;lo", PF_RING_ERROR_INVALID_ARGUMENT,
		     "bad device name \"multi:lo;lo\"");
	open_refused(fd, 1, "packet:lo", PF_RING_ERROR_INVALID_ARGUMENT,
		     "bad device name \"packet:lo\"");
	open_refused(fd, 1, "..", PF_RING_ERROR_INVALID_ARGUMENT,
		     "bad device name \"..\": not an interface name");
	open_refused(fd, 1, "", PF_RING_ERROR_INVALID_ARGUMENT,
		     "empty interface name");
	open_refused(fd, 1, "abcdefghijklmnop", PF_RING_ERROR_INVALID_ARGUMENT,
		     "interface name too long");
	open_refused(fd, 1, "lo@", PF_RING_ERROR_INVALID_ARGUMENT,
		     "the queue after '@' must be a number below 64");
	open_refused(fd, 1, "lo@64", PF_RING_ERROR_INVALID_ARGUMENT,
		     "the queue after '@' must be a number below 64");
	open_refused(fd, 1, "lo@+1", PF_RING_ERROR_INVALID_ARGUMENT,
		     "the queue after '@' must be a number below 64");
	open_refused(fd, 1, "lo@1@2", PF_RING_ERROR_INVALID_ARGUMENT,
		     "the queue after '@' must be a number below 64");
	open_refused(fd, 1, "any", PF_RING_ERROR_INVALID_ARGUMENT,
		     "VM vm1 may not capture from any (interfaces");
	o = open_req("lo", 0);
	vrefused(fd, 1, VPFRING_OP_OPEN, &o, sizeof(o),
		 PF_RING_ERROR_INVALID_ARGUMENT, "caplen 0: must be 1 to 65535");
	o.caplen = 65536;
	vrefused(fd, 1, VPFRING_OP_OPEN, &o, sizeof(o),
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "caplen 65536: must be 1 to 65535");
	o.caplen = 1500;
	o.reserved = 1;
	vrefused(fd, 1, VPFRING_OP_OPEN, &o, sizeof(o),
		 PF_RING_ERROR_INVALID_ARGUMENT, "reserved must be zero");
	/* A VM allowed one queue may not open the whole device. */
	close(fd);
	fd = qemu_up("vm2");
	session_open(fd, 1);
	open_refused(fd, 1, "lo", PF_RING_ERROR_INVALID_ARGUMENT,
		     "VM vm2 may not capture from lo (interfaces = lo@0 in "
		     "vnplugd.conf)");
	open_refused(fd, 1, "lo@1", PF_RING_ERROR_INVALID_ARGUMENT,
		     "VM vm2 may not capture from lo@1 (interfaces = lo@0 in "
		     "vnplugd.conf)");
	/* Still no ring after all that. */
	vrefused(fd, 1, VPFRING_OP_ENABLE, NULL, 0,
		 PF_RING_ERROR_INVALID_STATUS, "no ring");
	close(fd);
	stop();
}
END_TEST

START_TEST(unknown_ops)
{
	static const uint32_t ops[] = { 0, VPFRING_OP_MAX + 1, 1000,
					UINT32_MAX };
	char text[128];
	unsigned int i;
	int fd;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		snprintf(text, sizeof(text), "unknown vPF_RING operation %u "
			 "(this host speaks version 1, operations 1 to %d)",
			 ops[i], VPFRING_OP_MAX);
		vrefused(fd, 1, ops[i], "x", 1, PF_RING_ERROR_NOT_SUPPORTED,
			 text);
	}
	close(fd);
	stop();
}
END_TEST

static void wrong_len(int fd, uint32_t op, size_t len)
{
	static uint8_t buf[sizeof(struct vpfring_send) + VPFRING_SEND_MAX + 2];
	char text[64];

	memset(buf, 'a', sizeof(buf));
	snprintf(text, sizeof(text), ": payload of %zu bytes, expected", len);
	vrefused(fd, 1, op, buf, len, PF_RING_ERROR_INVALID_ARGUMENT, text);
}

START_TEST(wrong_lengths)
{
	static struct msg m;
	size_t len;
	uint32_t op;
	int fd;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	for (op = VPFRING_OP_OPEN; op <= VPFRING_OP_MAX; op++) {
		switch (op) {
		case VPFRING_OP_SET_APPNAME:
			wrong_len(fd, op, VPFRING_APPNAME_MAX + 1);
			break;
		case VPFRING_OP_SET_BPF:
			wrong_len(fd, op, 0);
			wrong_len(fd, op, VPFRING_BPF_MAX + 1);
			break;
		case VPFRING_OP_SEND:
			wrong_len(fd, op, 0);
			wrong_len(fd, op, sizeof(struct vpfring_send));
			wrong_len(fd, op, sizeof(struct vpfring_send) +
						  VPFRING_SEND_MAX + 1);
			break;
		default:
			len = valid_len(op);
			wrong_len(fd, op, len + 1);
			if (len)
				wrong_len(fd, op, len - 1);
		}
	}
	ck_assert(wait_log("vpfring: session 1: OPEN with 49 bytes", TMO));
	/* The session is still served. */
	vcall(fd, 1, VPFRING_OP_STATS, NULL, 0, PF_RING_ERROR_INVALID_STATUS,
	      &m);
	close(fd);
	stop();
}
END_TEST

START_TEST(open_missing_interface)
{
	int fd;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	/* Allowed by "vpftest*", but the host has no such interface: the
	 * host libpfring's own words. */
	open_refused(fd, 1, "vpftest0", PF_RING_ERROR_UNKNOWN_ADAPTER,
		     "no such interface: vpftest0");
	open_refused(fd, 1, "vpftest0@3", PF_RING_ERROR_UNKNOWN_ADAPTER,
		     "no such interface: vpftest0");
	vrefused(fd, 1, VPFRING_OP_ENABLE, NULL, 0,
		 PF_RING_ERROR_INVALID_STATUS, "no ring");
	session_close(fd, 1);
	close(fd);
	stop();
}
END_TEST

/* ---- as root: real rings on lo --------------------------------------- */

static uint32_t lo_index(void)
{
	uint32_t i = if_nametoindex("lo");

	ck_assert_uint_ne(i, 0);
	return i;
}

START_TEST(open_lo_queries)
{
	struct vpfring_opened op;
	struct vpfring_stats st;
	static uint8_t sendbuf[sizeof(struct vpfring_send) + 60];
	struct vpfring_send sd = { .len = 60, .flush = 1 };
	static struct msg m;
	uint32_t u;
	int32_t s32;
	uint8_t mac[6];
	int fd;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	op = open_ok(fd, 1, "lo", 1500);
	ck_assert_uint_eq(op.format, VPFRING_FORMAT_TPACKET_V3);
	ck_assert_int_ge(op.ring_id, 0);
	ck_assert_uint_ge(op.num_rx_channels, 1);
	ck_assert(wait_log("vm vm1 session 1: lo open (AF_PACKET TPACKET_V3 "
			   "ring, ", TMO));
	open_refused(fd, 1, "lo", PF_RING_ERROR_INVALID_STATUS,
		     "this session has a ring already");
	vget(fd, 1, VPFRING_OP_RING_ID, NULL, 0, &s32, sizeof(s32));
	ck_assert_int_eq(s32, op.ring_id);
	vget(fd, 1, VPFRING_OP_VERSION, NULL, 0, &u, sizeof(u));
	ck_assert_uint_eq(u, RING_VERSION_NUM);
	vget(fd, 1, VPFRING_OP_MTU, NULL, 0, &s32, sizeof(s32));
	ck_assert_int_gt(s32, 0);
	vget(fd, 1, VPFRING_OP_BOUND_DEVICE_ID, NULL, 0, &s32, sizeof(s32));
	ck_assert_int_eq(s32, (int32_t)lo_index());
	vget(fd, 1, VPFRING_OP_BOUND_DEVICE_ADDRESS, NULL, 0, mac,
	     sizeof(mac));
	vget(fd, 1, VPFRING_OP_NUM_RX_CHANNELS, NULL, 0, &u, sizeof(u));
	ck_assert_uint_eq(u, op.num_rx_channels);
	vget(fd, 1, VPFRING_OP_INTERFACE_SPEED, NULL, 0, &u, sizeof(u));
	vget(fd, 1, VPFRING_OP_STATS, NULL, 0, &st, sizeof(st));
	/* Settings: checked here, then by the host's libpfring. */
	vcall(fd, 1, VPFRING_OP_SET_APPNAME, "pfcount", 7, 0, &m);
	vcall(fd, 1, VPFRING_OP_SET_APPNAME, NULL, 0, 0, &m);
	vrefused(fd, 1, VPFRING_OP_SET_APPNAME, "a\tb", 3,
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "application name: printable ASCII only (byte 1 is 0x9)");
	u = 3;
	vrefused(fd, 1, VPFRING_OP_SET_DIRECTION, &u, 4,
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "packet direction 3: must be 0 to 2");
	vrefused(fd, 1, VPFRING_OP_SET_SOCKET_MODE, &u, 4,
		 PF_RING_ERROR_INVALID_ARGUMENT, "socket mode 3: must be 0 to 2");
	vrefused(fd, 1, VPFRING_OP_TOGGLE_POLICY, &u, 4,
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "filtering policy 3: 1 accepts, 0 drops");
	u = 0;
	vrefused(fd, 1, VPFRING_OP_SET_SAMPLING_RATE, &u, 4,
		 PF_RING_ERROR_INVALID_ARGUMENT, "sampling rate must be >= 1");
	vrefused(fd, 1, VPFRING_OP_SET_POLL_DURATION, &u, 4,
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "poll duration must be >= 1 ms");
	u = 70000;
	vrefused(fd, 1, VPFRING_OP_SET_POLL_WATERMARK, &u, 4,
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "poll watermark 70000: must be at most 65535");
	vcall_u32(fd, 1, VPFRING_OP_SET_POLL_WATERMARK, 16, 0);
	vcall_u32(fd, 1, VPFRING_OP_SET_POLL_DURATION, 100, 0);
	vcall_u32(fd, 1, VPFRING_OP_SET_SAMPLING_RATE, 1, 0);
	vrefused(fd, 1, VPFRING_OP_REMOVE_FROM_CLUSTER, NULL, 0,
		 PF_RING_ERROR_INVALID_STATUS, "ring is not in a cluster");
	/* SEND: the header's length must match the bytes that follow. */
	memcpy(sendbuf, &sd, sizeof(sd));
	vrefused(fd, 1, VPFRING_OP_SEND, sendbuf, sizeof(sd) + 10,
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "SEND: len 60 (1 to 2048) does not match the 10 bytes");
	/* Send-only: enabled, nothing to map. */
	vcall_u32(fd, 1, VPFRING_OP_SET_SOCKET_MODE, send_only_mode, 0);
	vcall(fd, 1, VPFRING_OP_ENABLE, NULL, 0, 0, &m);
	ck_assert_uint_eq(m.plen, 0);
	expect_nothing(fd, QUIET);
	/* A broadcast frame of the local experimental EtherType. */
	memset(sendbuf + sizeof(sd), 0xff, 6);
	sendbuf[sizeof(sd) + 12] = 0x88;
	sendbuf[sizeof(sd) + 13] = 0xb5;
	vcall(fd, 1, VPFRING_OP_SEND, sendbuf, sizeof(sendbuf), 0, &m);
	ck_assert_uint_eq(m.plen, 0);
	session_close(fd, 1);
	ck_assert(wait_log("vm vm1 session 1: lo closed (", TMO));
	/* The id is free again. */
	session_open(fd, 1);
	open_ok(fd, 1, "lo", 128);
	close(fd);
	stop();
}
END_TEST

/* ENABLE: the MAP frame and the control page; QEMU's answer not sent. */
static void enable_map(int fd, uint32_t session, struct region *r,
		       uint32_t *seq, struct vpfring_ring *ring)
{
	size_t n;

	*seq = vreq(fd, session, VPFRING_OP_ENABLE, NULL, 0);
	expect_map_app(fd, r, session, VNPLUG_APP_VPFRING);
	ck_assert_uint_eq(r->ctrl->magic, VNPLUG_CTRL_MAGIC);
	ck_assert_uint_eq(r->ctrl->region_id, r->id);
	ck_assert_uint_eq(r->ctrl->app_id, VNPLUG_APP_VPFRING);
	memcpy(ring, (uint8_t *)r->ctrl + VNPLUG_CTRL_APP_OFF, sizeof(*ring));
	ck_assert_uint_eq(ring->magic, VPFRING_RING_MAGIC);
	ck_assert_uint_eq(ring->format, VPFRING_FORMAT_TPACKET_V3);
	ck_assert_uint_eq(ring->region_id, r->id);
	ck_assert_uint_eq(ring->size, r->size);
	ck_assert_uint_gt(ring->block_size, 0);
	ck_assert_uint_eq(ring->block_size % 4096, 0);
	ck_assert_uint_eq((uint64_t)ring->block_size * ring->block_nr,
			  ring->size);
	ck_assert_uint_gt(ring->frame_size, 0);
	ck_assert_uint_gt(ring->frame_nr, 0);
	for (n = 0; n < sizeof(ring->reserved) / sizeof(ring->reserved[0]);
	     n++)
		ck_assert_uint_eq(ring->reserved[n], 0);
}

/* QEMU answers MAPPED 0; ENABLE's reply is the control page's struct. */
static void enable_done(int fd, uint32_t session, const struct region *r,
			uint32_t seq, const struct vpfring_ring *ring)
{
	static struct msg m;

	mapped(fd, r->id, 0);
	expect_app_reply(fd, session, VNPLUG_APP_VPFRING, VPFRING_OP_ENABLE,
			 seq, 0, &m);
	ck_assert_uint_eq(m.plen, sizeof(*ring));
	ck_assert_mem_eq(m.p, ring, sizeof(*ring));
}

static void enable_ok(int fd, uint32_t session, struct region *r,
		      struct vpfring_ring *ring)
{
	uint32_t seq;

	enable_map(fd, session, r, &seq, ring);
	enable_done(fd, session, r, seq, ring);
}

/* The session ends: vnplugd unplugs its ring; QEMU confirms. */
static void close_and_unplug(int fd, uint32_t session, struct region *r)
{
	session_close(fd, session);
	expect_unmap(fd, r->id);
	unmapped(fd, r->id, 0);
	region_close(r);
}

START_TEST(enable_maps_ring)
{
	struct vpfring_ring ring;
	struct region r;
	static struct msg m;
	uint32_t seq;
	int fd;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	open_ok(fd, 1, "lo", 1500);
	vcall_u32(fd, 1, VPFRING_OP_SET_POLL_DURATION, 20, 0);
	enable_map(fd, 1, &r, &seq, &ring);
	ck_assert_uint_eq(ring.caplen, 1500);
	ck_assert_uint_eq(ring.poll_duration, 20);
	/* Not answered until QEMU is. */
	vrefused(fd, 1, VPFRING_OP_ENABLE, NULL, 0,
		 PF_RING_ERROR_INVALID_STATUS, "being mapped into the guest");
	/* Memory QEMU holds: no new geometry, mapped or not yet. */
	vrefused(fd, 1, VPFRING_OP_SET_POLL_WATERMARK, "\1\0\0\0", 4,
		 PF_RING_ERROR_INVALID_STATUS, LOCKED_TEXT);
	enable_done(fd, 1, &r, seq, &ring);
	/* Later ENABLEs: nothing more to map. */
	vcall(fd, 1, VPFRING_OP_ENABLE, NULL, 0, 0, &m);
	ck_assert_uint_eq(m.plen, 0);
	vrefused(fd, 1, VPFRING_OP_SET_POLL_WATERMARK, "\1\0\0\0", 4,
		 PF_RING_ERROR_INVALID_STATUS, LOCKED_TEXT);
	vrefused(fd, 1, VPFRING_OP_SET_POLL_DURATION, "\1\0\0\0", 4,
		 PF_RING_ERROR_INVALID_STATUS, LOCKED_TEXT);
	vrefused(fd, 1, VPFRING_OP_SET_SOCKET_MODE, "\1\0\0\0", 4,
		 PF_RING_ERROR_INVALID_STATUS, "cannot become send-only");
	vcall_u32(fd, 1, VPFRING_OP_SET_SOCKET_MODE, recv_only_mode, 0);
	vcall(fd, 1, VPFRING_OP_DISABLE, NULL, 0, 0, &m);
	vcall(fd, 1, VPFRING_OP_ENABLE, NULL, 0, 0, &m);
	ck_assert_uint_eq(m.plen, 0);
	/* The ring is the one the control page describes. */
	ck_assert_mem_eq((uint8_t *)r.ctrl + VNPLUG_CTRL_APP_OFF, &ring,
			 sizeof(ring));
	close_and_unplug(fd, 1, &r);
	close(fd);
	stop();
}
END_TEST

static void send_udp(const char *text)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = htons(9),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(sendto(s, text, strlen(text), 0,
				(struct sockaddr *)&sa, sizeof(sa)),
			 (ssize_t)strlen(text));
	close(s);
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void ring_doorbell(const struct region *r)
{
	uint64_t one = 1;

	ck_assert_int_eq(write(r->fds[2], &one, sizeof(one)), sizeof(one));
}

static uint64_t read_irq(const struct region *r)
{
	uint64_t v = 0;

	ck_assert_int_eq(read(r->fds[3], &v, sizeof(v)), sizeof(v));
	return v;
}

/* vnplugd counts a signal in the control page just after raising it. */
static void expect_counter(const __u64 *counter, uint64_t v)
{
	int i;

	for (i = 0; i < 100 && __atomic_load_n(counter, __ATOMIC_ACQUIRE) != v;
	     i++)
		usleep(10000);
	ck_assert_uint_eq(__atomic_load_n(counter, __ATOMIC_ACQUIRE), v);
}

/* A retired block of the mapped TPACKET_V3 ring holds @text. */
static bool ring_has(const struct region *r, const struct vpfring_ring *ring,
		     const char *text)
{
	const struct tpacket_block_desc *b;
	const struct tpacket3_hdr *h;
	const uint8_t *blk;
	uint32_t i, k, off;

	for (i = 0; i < ring->block_nr; i++) {
		blk = r->mem + (uint64_t)i * ring->block_size;
		b = (const struct tpacket_block_desc *)blk;
		if (!(__atomic_load_n(&b->hdr.bh1.block_status,
				      __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			continue;
		off = b->hdr.bh1.offset_to_first_pkt;
		for (k = 0; k < b->hdr.bh1.num_pkts; k++) {
			ck_assert_uint_lt(off, ring->block_size);
			h = (const struct tpacket3_hdr *)(blk + off);
			if (memmem((const uint8_t *)h + h->tp_mac,
				   h->tp_snaplen, text, strlen(text)))
				return true;
			off += h->tp_next_offset;
		}
	}
	return false;
}

START_TEST(doorbell_signals)
{
	struct vpfring_ring ring;
	struct region r;
	int fd, i;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	open_ok(fd, 1, "lo", 256);
	/* The retire timeout of a TPACKET_V3 block. */
	vcall_u32(fd, 1, VPFRING_OP_SET_POLL_DURATION, 10, 0);
	enable_ok(fd, 1, &r, &ring);
	ck_assert(!readable(r.fds[3], 0));
	/* The guest sleeps; a packet comes: one interrupt. */
	ring_doorbell(&r);
	send_udp("vpfring-doorbell-1");
	ck_assert_msg(readable(r.fds[3], 3000), "no interrupt");
	ck_assert_uint_eq(read_irq(&r), 1);
	/* The packet is in the guest's memory (blocks retire every 10 ms,
	 * and the first one may have held other traffic). */
	for (i = 0; i < 150 && !ring_has(&r, &ring, "vpfring-doorbell-1"); i++)
		usleep(20000);
	ck_assert(ring_has(&r, &ring, "vpfring-doorbell-1"));
	expect_counter(&r.ctrl->host_doorbells, 1);
	expect_counter(&r.ctrl->host_signals, 1);
	/* No doorbell, no interrupt, whatever arrives. */
	send_udp("vpfring-doorbell-2");
	ck_assert(!readable(r.fds[3], 300));
	/* The ring is readable (nothing released it): at once. */
	ring_doorbell(&r);
	ck_assert_msg(readable(r.fds[3], 3000), "no second interrupt");
	ck_assert_uint_eq(read_irq(&r), 1);
	expect_counter(&r.ctrl->host_doorbells, 2);
	expect_counter(&r.ctrl->host_signals, 2);
	close_and_unplug(fd, 1, &r);
	ck_assert(wait_log("vm vm1 session 1: 2 doorbells, 2 signals", TMO));
	close(fd);
	stop();
}
END_TEST

static void run(const char *cmd)
{
	char line[256];

	snprintf(line, sizeof(line), "PATH=$PATH:/usr/sbin:/sbin %s", cmd);
	ck_assert_msg(system(line) == 0, "%s failed", cmd);
}

/*
 * The interface goes away under a mapped ring: the error the socket then
 * reports wakes the guest once, and is not taken for a readable ring at
 * every doorbell after (the guest and vnplugd would wake each other in a
 * loop). In a network namespace of this test's own, on a veth pair.
 */
START_TEST(interface_gone)
{
	struct vpfring_ring ring;
	struct region r;
	int fd;

	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	run("ip link set lo up");
	/* Quiet: no IPv6 autoconfiguration, no carrier (the peer stays down):
	 * nothing is captured, so only the error can wake the guest. */
	run("echo 1 2>/dev/null >/proc/sys/net/ipv6/conf/default/"
	    "disable_ipv6 || true");
	run("ip link add vpftest0 type veth peer name vpftest1 && "
	    "ip link set vpftest0 up");
	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	open_ok(fd, 1, "vpftest0", 1500);
	enable_ok(fd, 1, &r, &ring);
	ring_doorbell(&r);
	ck_assert(!readable(r.fds[3], 200));
	run("ip link del vpftest0");
	ck_assert_msg(readable(r.fds[3], 3000), "no interrupt");
	ck_assert_uint_eq(read_irq(&r), 1);
	/* The error was read: the next doorbells wait for packets. */
	ring_doorbell(&r);
	ck_assert(!readable(r.fds[3], 300));
	ring_doorbell(&r);
	ck_assert(!readable(r.fds[3], 300));
	ck_assert(wait_log("vm vm1 session 1: vpftest0 ring: Network is down",
			   TMO));
	expect_counter(&r.ctrl->host_doorbells, 3);
	ck_assert_uint_eq(r.ctrl->host_signals, 1);
	close_and_unplug(fd, 1, &r);
	ck_assert(wait_log("vm vm1 session 1: 3 doorbells, 1 signals, 1 ring "
			   "errors", TMO));
	close(fd);
	stop();
}
END_TEST

static struct vpfring_wc_rule wc_rule(uint16_t id, uint8_t action)
{
	struct vpfring_wc_rule w = { .rule_id = id, .action = action,
				     .proto = 17 };

	return w;
}

START_TEST(rules_and_bpf)
{
	struct vpfring_wc_rule w;
	struct vpfring_hash_req hr = { .add = 1 };
	struct vpfring_purge pg = { .idle_sec = 3600 };
	struct vpfring_rule_stats rs;
	struct vpfring_stats st;
	static struct msg m;
	uint32_t n;
	int fd;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	open_ok(fd, 1, "lo", 1500);
	/* Nothing that makes the host transmit. */
	w = wc_rule(1, reflect_packet_and_stop_rule_evaluation);
	memcpy(w.reflector, "lo", 2);
	vrefused(fd, 1, VPFRING_OP_ADD_RULE, &w, sizeof(w),
		 PF_RING_ERROR_NOT_SUPPORTED,
		 "wildcard rule 1: reflect and bounce actions (and reflector "
		 "devices) are not allowed from a guest");
	w = wc_rule(2, bounce_packet_and_continue_rule_evaluation);
	vrefused(fd, 1, VPFRING_OP_ADD_RULE, &w, sizeof(w),
		 PF_RING_ERROR_NOT_SUPPORTED, "wildcard rule 2: reflect and");
	w = wc_rule(3, forward_packet_and_stop_rule_evaluation);
	memcpy(w.reflector, "lo", 2);
	vrefused(fd, 1, VPFRING_OP_ADD_RULE, &w, sizeof(w),
		 PF_RING_ERROR_NOT_SUPPORTED, "wildcard rule 3: reflect and");
	hr.rule.rule_id = 4;
	hr.rule.action = bounce_packet_and_stop_rule_evaluation;
	vrefused(fd, 1, VPFRING_OP_HASH_RULE, &hr, sizeof(hr),
		 PF_RING_ERROR_NOT_SUPPORTED, "hash rule 4: reflect and");
	hr.add = 2;
	vrefused(fd, 1, VPFRING_OP_HASH_RULE, &hr, sizeof(hr),
		 PF_RING_ERROR_INVALID_ARGUMENT, "hash rule: add is 2");
	ck_assert(wait_log("vpfring: session 1: wildcard rule 1 reflects or "
			   "bounces", TMO));
	/* Forwarding rules go to the host's libpfring. */
	w = wc_rule(5, forward_packet_and_stop_rule_evaluation);
	vcall(fd, 1, VPFRING_OP_ADD_RULE, &w, sizeof(w), 0, &m);
	vrefused(fd, 1, VPFRING_OP_ADD_RULE, &w, sizeof(w),
		 PF_RING_ERROR_INVALID_ARGUMENT, "rule 5 exists already");
	n = 5;
	vget(fd, 1, VPFRING_OP_RULE_STATS, &n, sizeof(n), &rs, sizeof(rs));
	ck_assert_uint_eq(rs.reserved, 0);
	n = 6;
	vrefused(fd, 1, VPFRING_OP_RULE_STATS, &n, sizeof(n),
		 PF_RING_ERROR_INVALID_ARGUMENT, "no rule with id 6");
	n = 70000;
	vrefused(fd, 1, VPFRING_OP_REMOVE_RULE, &n, sizeof(n),
		 PF_RING_ERROR_INVALID_ARGUMENT, "rule id 70000");
	vget(fd, 1, VPFRING_OP_PURGE_IDLE, &pg, sizeof(pg), &n, sizeof(n));
	ck_assert_uint_eq(n, 0);
	pg.hash = 2;
	vrefused(fd, 1, VPFRING_OP_PURGE_IDLE, &pg, sizeof(pg),
		 PF_RING_ERROR_INVALID_ARGUMENT, "hash 2 (0 or 1)");
	n = 5;
	vcall(fd, 1, VPFRING_OP_REMOVE_RULE, &n, sizeof(n), 0, &m);
	vrefused(fd, 1, VPFRING_OP_RULE_STATS, &n, sizeof(n),
		 PF_RING_ERROR_INVALID_ARGUMENT, "no rule with id 5");
	/* A hash rule, its statistics, its removal. */
	memset(&hr, 0, sizeof(hr));
	hr.add = 1;
	hr.rule.rule_id = 7;
	hr.rule.proto = 17;
	hr.rule.host_a[0] = 1;
	hr.rule.host_b[0] = 2;
	hr.rule.port_a = 53;
	hr.rule.port_b = 5353;
	vcall(fd, 1, VPFRING_OP_HASH_RULE, &hr, sizeof(hr), 0, &m);
	vget(fd, 1, VPFRING_OP_HASH_RULE_STATS, &hr.rule, sizeof(hr.rule), &rs,
	     sizeof(rs));
	hr.add = 0;
	vcall(fd, 1, VPFRING_OP_HASH_RULE, &hr, sizeof(hr), 0, &m);
	vrefused(fd, 1, VPFRING_OP_HASH_RULE_STATS, &hr.rule, sizeof(hr.rule),
		 PF_RING_ERROR_INVALID_ARGUMENT, "no such hash rule");
	vget(fd, 1, VPFRING_OP_STATS, NULL, 0, &st, sizeof(st));
	/* BPF: the host compiles it and says why it cannot. */
	vcall(fd, 1, VPFRING_OP_SET_BPF, "udp", 3, 0, &m);
	vrefused(fd, 1, VPFRING_OP_SET_BPF, "not a filter((", 14,
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "bad BPF filter \"not a filter((\"");
	vrefused(fd, 1, VPFRING_OP_SET_BPF, "udp\0tcp", 7,
		 PF_RING_ERROR_INVALID_ARGUMENT, "contains a NUL byte");
	vcall(fd, 1, VPFRING_OP_REMOVE_BPF, NULL, 0, 0, &m);
	vrefused(fd, 1, VPFRING_OP_REMOVE_BPF, NULL, 0,
		 PF_RING_ERROR_INVALID_STATUS, "no BPF filter is set");
	close(fd);
	stop();
}
END_TEST

START_TEST(channel_and_limits)
{
	struct vpfring_opened op;
	int fd;

	vstart();
	fd = qemu_up("vm2");	/* lo@0, max_rings 1, max_ring_memory 1M */
	session_open(fd, 1);
	session_open(fd, 2);
	op = open_ok(fd, 1, "lo@0", 1500);
	ck_assert_uint_eq(op.format, VPFRING_FORMAT_TPACKET_V3);
	/* An open ring holds host memory, mapped or not: max_rings. */
	open_refused(fd, 2, "lo@0", PF_RING_ERROR_NOT_ENOUGH_MEMORY,
		     "VM vm2 has 1 host rings open already (max_rings = 1 in "
		     "vnplugd.conf)");
	vrefused(fd, 1, VPFRING_OP_SET_CHANNEL_ID, "\1\0\0\0", 4,
		 PF_RING_ERROR_INVALID_ARGUMENT,
		 "VM vm2 may not capture from lo@1 (interfaces = lo@0 in "
		 "vnplugd.conf)");
	vrefused(fd, 1, VPFRING_OP_SET_CHANNEL_ID, "\100\0\0\0", 4,
		 PF_RING_ERROR_INVALID_ARGUMENT, "channel id 64: must be below");
	/* A ring of at least 4 MiB does not fit in 1 MiB. */
	vrefused(fd, 1, VPFRING_OP_ENABLE, NULL, 0,
		 PF_RING_ERROR_NOT_ENOUGH_MEMORY,
		 "would exceed this VM's max_rings or max_ring_memory in "
		 "vnplugd.conf");
	ck_assert(wait_log("max_ring_memory=1048576", TMO));
	vrefused(fd, 1, VPFRING_OP_ENABLE, NULL, 0,
		 PF_RING_ERROR_NOT_ENOUGH_MEMORY, "max_ring_memory");
	/* Closing one frees its place. */
	session_close(fd, 1);
	open_ok(fd, 2, "lo@0", 1500);
	close(fd);
	stop();
}
END_TEST

START_TEST(map_failure_then_retry)
{
	struct vpfring_ring ring;
	struct region r;
	static struct msg m;
	uint32_t seq;
	int fd;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	open_ok(fd, 1, "lo", 1500);
	enable_map(fd, 1, &r, &seq, &ring);
	mapped(fd, r.id, -ENOMEM);
	expect_app_reply(fd, 1, VNPLUG_APP_VPFRING, VPFRING_OP_ENABLE, seq,
			 PF_RING_ERROR_NOT_ENOUGH_MEMORY, &m);
	ck_assert_str_eq(reply_text(&m), "QEMU could not map the ring into "
			 "the guest: Cannot allocate memory");
	region_close(&r);
	/* Not mapped: its geometry may change, and ENABLE maps again. */
	vcall_u32(fd, 1, VPFRING_OP_SET_POLL_WATERMARK, 64, 0);
	enable_ok(fd, 1, &r, &ring);
	ck_assert_uint_eq(r.id, 2);
	/* The guest ejects the device itself: ENABLE maps it anew. */
	unmapped(fd, r.id, 0);
	ck_assert(wait_log("vm vm1 session 1: lo ring (region 2) unplugged",
			   TMO));
	region_close(&r);
	vcall_u32(fd, 1, VPFRING_OP_SET_POLL_DURATION, 50, 0);
	enable_ok(fd, 1, &r, &ring);
	ck_assert_uint_eq(ring.poll_duration, 50);
	unmapped(fd, r.id, 0);
	region_close(&r);
	/* Ejected before QEMU answered MAP: ENABLE fails, and may retry. */
	enable_map(fd, 1, &r, &seq, &ring);
	unmapped(fd, r.id, 0);
	expect_app_reply(fd, 1, VNPLUG_APP_VPFRING, VPFRING_OP_ENABLE, seq,
			 PF_RING_ERROR_GENERIC, &m);
	ck_assert_str_eq(reply_text(&m), "the ring device went away before "
			 "QEMU had mapped it");
	region_close(&r);
	enable_ok(fd, 1, &r, &ring);
	close_and_unplug(fd, 1, &r);
	close(fd);
	stop();
}
END_TEST

/* vnplugd's descriptor count comes back to @base within a few seconds. */
static void expect_fds(unsigned int base)
{
	int i;

	for (i = 0; i < 100 && count_fds(d.pid) != base; i++)
		usleep(20000);
	ck_assert_uint_eq(count_fds(d.pid), base);
}

START_TEST(close_leaks_nothing)
{
	struct vpfring_ring ring;
	struct region r;
	unsigned int base;
	uint32_t seq;
	int fd, i;

	vstart();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	session_open(fd, 2);
	base = count_fds(d.pid);
	for (i = 0; i < 3; i++) {
		/* Mapped, a doorbell armed, then closed. */
		open_ok(fd, 1, "lo", 1500);
		enable_ok(fd, 1, &r, &ring);
		ring_doorbell(&r);
		usleep(50000);
		close_and_unplug(fd, 1, &r);
		expect_fds(base);
		session_open(fd, 1);
	}
	/* Closed while QEMU maps: no reply, the region still ends. */
	open_ok(fd, 2, "lo", 1500);
	enable_map(fd, 2, &r, &seq, &ring);
	session_close(fd, 2);
	expect_unmap(fd, r.id);
	mapped(fd, r.id, 0);
	unmapped(fd, r.id, 0);
	expect_nothing(fd, QUIET);
	region_close(&r);
	session_open(fd, 2);
	expect_fds(base);
	/* QEMU goes away with a ring mapped: all freed. */
	open_ok(fd, 1, "lo", 1500);
	enable_ok(fd, 1, &r, &ring);
	close(fd);
	region_close(&r);
	fd = qemu_up("vm1");
	session_open(fd, 1);
	session_open(fd, 2);
	expect_fds(base);
	open_ok(fd, 1, "lo", 1500);
	close(fd);
	stop();
}
END_TEST

/* Cases that open host rings: registered only as root. */
#define ROOT_CASES(X)                                                          \
	X(open_lo_queries)                                                     \
	X(enable_maps_ring)                                                    \
	X(doorbell_signals)                                                    \
	X(interface_gone)                                                      \
	X(rules_and_bpf)                                                       \
	X(channel_and_limits)                                                  \
	X(map_failure_then_retry)                                              \
	X(close_leaks_nothing)
#define CASE_NAME(t) #t,
#define CASE_ADD(t) tcase_add_test(rc, t);

static const char *const root_cases[] = { ROOT_CASES(CASE_NAME) };

#define N_ROOT_CASES (sizeof(root_cases) / sizeof(root_cases[0]))

static Suite *vpfring_suite(bool root)
{
	Suite *s = suite_create("vpfring_proto");
	TCase *tc = tcase_create("no_root");
	TCase *rc = tcase_create("root");

	tcase_set_timeout(tc, 20);
	tcase_add_checked_fixture(tc, NULL, cleanup);
	tcase_add_test(tc, ops_before_open);
	tcase_add_test(tc, open_checks);
	tcase_add_test(tc, unknown_ops);
	tcase_add_test(tc, wrong_lengths);
	tcase_add_test(tc, open_missing_interface);
	suite_add_tcase(s, tc);
	if (!root)
		return s;
	tcase_set_timeout(rc, 30);
	tcase_add_checked_fixture(rc, NULL, cleanup);
	ROOT_CASES(CASE_ADD)
	suite_add_tcase(s, rc);
	return s;
}

int main(void)
{
	bool root = geteuid() == 0;
	unsigned int i;

	if (!root) {
		printf("test_vpfring_proto: not root: %zu cases that open host "
		       "rings NOT RUN:", N_ROOT_CASES);
		for (i = 0; i < N_ROOT_CASES; i++)
			printf(" %s", root_cases[i]);
		printf("\n");
		fflush(stdout);
	}
	return run_suite(vpfring_suite(root));
}
