// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnplugd end to end: each test starts the built daemon ($(O)/bin/vnplugd
 * next to this suite's directory, or $VNPLUGD) on a configuration in a
 * temporary directory, and plays QEMU on a VM's socket: layer-2 frames,
 * layer-1 control messages inside CTRL frames, and the test back-end's
 * operations. Every test ends by stopping the daemon with SIGTERM and
 * requiring exit status 0 with its sockets removed (under ASan, a leak or
 * a memory error in the daemon fails that).
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uapi/vnplug.h"
#include "check_main.h"
#include "fake_qemu.h"

#define DEFAULT_GLOBAL "ping_interval = 60\nguest_timeout = 120\n"
#define DEFAULT_VMS                                                            \
	"[vm vm1]\n"                                                           \
	"[vm vm2]\nmax_rings = 2\nmax_ring_memory = 128K\n"                    \
	"socket_mode = 0600\n"

static void start(void)
{
	make_dir();
	start_conf(DEFAULT_GLOBAL, DEFAULT_VMS);
}

static void test_req(int fd, uint32_t session, uint32_t op, uint32_t seq,
		     const void *p, size_t len)
{
	app_msg(fd, session, VNPLUG_APP_TEST, op, seq, p, len);
}

static void expect_reply(int fd, uint32_t session, uint32_t op, uint32_t seq,
			 int status, struct msg *m)
{
	expect_app_reply(fd, session, VNPLUG_APP_TEST, op, seq, status, m);
}

/* A test-back-end PING round trip: the daemon still serves @session. */
static void ping_ok(int fd, uint32_t session)
{
	static struct msg m;

	test_req(fd, session, VNPLUG_TEST_PING, 4242, "alive", 5);
	expect_reply(fd, session, VNPLUG_TEST_PING, 4242, 0, &m);
	ck_assert_uint_eq(m.plen, 5);
	ck_assert_mem_eq(m.p, "alive", 5);
}

static struct vnplug_test_stats stats(int fd, uint32_t session)
{
	struct vnplug_test_stats st;
	static struct msg m;

	test_req(fd, session, VNPLUG_TEST_STATS, 7007, NULL, 0);
	expect_reply(fd, session, VNPLUG_TEST_STATS, 7007, 0, &m);
	ck_assert_uint_eq(m.plen, sizeof(st));
	memcpy(&st, m.p, sizeof(st));
	return st;
}

/* ---- regions --------------------------------------------------------- */

/* The MAP frame of a new region: 4 descriptors, mapped here. */
static uint32_t expect_map(int fd, struct region *r, uint32_t session,
			   uint64_t size)
{
	uint32_t seq = expect_map_app(fd, r, session, VNPLUG_APP_TEST);

	ck_assert_uint_eq(r->size, size);
	return seq;
}

static void expect_map_reply(int fd, uint32_t session, uint32_t seq,
			     int status, uint64_t size, uint32_t region)
{
	static struct msg m;
	struct vnplug_test_map tm;

	expect_reply(fd, session, VNPLUG_TEST_MAP, seq, status, &m);
	ck_assert_uint_eq(m.plen, sizeof(tm));
	memcpy(&tm, m.p, sizeof(tm));
	ck_assert_uint_eq(tm.size, size);
	ck_assert_uint_eq(tm.region_id, region);
	ck_assert_uint_eq(tm.pad, 0);
}

static void map_req(int fd, uint32_t session, uint32_t seq, uint64_t size)
{
	struct vnplug_test_map tm = { .size = size };

	test_req(fd, session, VNPLUG_TEST_MAP, seq, &tm, sizeof(tm));
}

static void region_map(int fd, uint32_t session, uint32_t seq, uint64_t size,
		       struct region *r)
{
	map_req(fd, session, seq, size);
	expect_map(fd, r, session, size);
	mapped(fd, r->id, 0);
	expect_map_reply(fd, session, seq, 0, size, r->id);
}

static void unmap_req(int fd, uint32_t session, uint32_t seq, uint32_t id)
{
	struct vnplug_test_region rq = { .region_id = id };

	test_req(fd, session, VNPLUG_TEST_UNMAP, seq, &rq, sizeof(rq));
}

static void region_unmap(int fd, uint32_t seq, struct region *r)
{
	struct vnplug_test_region rg;
	static struct msg m;

	unmap_req(fd, r->session, seq, r->id);
	expect_unmap(fd, r->id);
	unmapped(fd, r->id, 0);
	expect_reply(fd, r->session, VNPLUG_TEST_UNMAP, seq, 0, &m);
	ck_assert_uint_eq(m.plen, sizeof(rg));
	memcpy(&rg, m.p, sizeof(rg));
	ck_assert_uint_eq(rg.region_id, r->id);
	region_close(r);
}

static uint8_t pattern(uint64_t i, uint32_t id)
{
	return (uint8_t)(i * 31 + id);
}

static void set_msg_field(uint8_t *buf, size_t off, const void *v, size_t n)
{
	memcpy(buf + off, v, n);
}

/* ---- layer 2 --------------------------------------------------------- */

START_TEST(hello_and_version)
{
	struct vnplug_sock_error e = { .status = -EPROTO, .text = "early" };
	struct vnplug_sock_hello h = { .version = VNPLUG_VERSION + 1 };
	uint32_t seq;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	ping_ok(fd, 1);
	/* A second HELLO is refused; the connection goes on. */
	h.version = VNPLUG_VERSION;
	seq = q_send(fd, VNPLUG_SOCK_HELLO, &h, sizeof(h));
	expect_sock_error(fd, -EPROTO, seq);
	ping_ok(fd, 1);
	close(fd);

	fd = q_connect("vm1");
	h.version = VNPLUG_VERSION + 1;
	seq = q_send(fd, VNPLUG_SOCK_HELLO, &h, sizeof(h));
	expect_sock_error(fd, -EPROTONOSUPPORT, seq);
	expect_eof(fd);
	close(fd);

	fd = q_connect("vm1");
	h.version = VNPLUG_VERSION;
	h.features = 1;
	seq = q_send(fd, VNPLUG_SOCK_HELLO, &h, sizeof(h));
	expect_sock_error(fd, -EPROTONOSUPPORT, seq);
	expect_eof(fd);
	close(fd);

	fd = q_connect("vm1");
	session_open(fd, 1);
	expect_sock_error(fd, -EPROTO, qseq);
	expect_eof(fd);
	close(fd);

	fd = q_connect("vm1");
	seq = q_send(fd, VNPLUG_SOCK_HELLO, &h, 8);
	expect_sock_error(fd, -EINVAL, seq);
	expect_eof(fd);
	close(fd);

	/* QEMU may say why it is unhappy before HELLO: logged only. */
	fd = q_connect("vm1");
	q_send(fd, VNPLUG_SOCK_ERROR, &e, sizeof(e));
	hello(fd, 0, 0);
	ck_assert(wait_log("reports error -71", TMO));
	close(fd);
	stop();
}
END_TEST

START_TEST(second_connection)
{
	int a, b, c;

	start();
	a = qemu_up("vm1");
	session_open(a, 1);
	b = q_connect("vm1");
	expect_sock_error(b, -EBUSY, 0);
	expect_eof(b);
	close(b);
	ck_assert(log_has("refusing a second QEMU connection"));
	ping_ok(a, 1);
	/* Another VM is another socket and another identity. */
	c = qemu_up("vm2");
	session_open(c, 1);
	ping_ok(c, 1);
	ping_ok(a, 1);
	close(a);
	close(c);
	stop();
}
END_TEST

START_TEST(bad_magic_closes)
{
	struct vnplug_sock_hdr h = {
		.magic = 0xdeadbeef, .type = VNPLUG_SOCK_CTRL, .len = 4,
		.seq = 9,
	};
	uint8_t buf[HDR + 4] = { 0 };
	int fd;

	start();
	fd = qemu_up("vm1");
	memcpy(buf, &h, HDR);
	raw_send(fd, buf, sizeof(buf), NULL, 0);
	expect_sock_error(fd, -EPROTO, 9);
	expect_eof(fd);
	close(fd);
	ck_assert(log_has("bad magic 0xdeadbeef"));
	/* QEMU reconnects. */
	fd = qemu_up("vm1");
	session_open(fd, 1);
	ping_ok(fd, 1);
	close(fd);
	stop();
}
END_TEST

START_TEST(oversized_frame)
{
	static uint8_t big[VNPLUG_SOCK_MAX];
	struct vnplug_sock_hdr h = {
		.magic = VNPLUG_SOCK_MAGIC, .type = VNPLUG_SOCK_CTRL,
		.len = VNPLUG_SOCK_MAX + 1, .seq = 5,
	};
	uint32_t seq;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	/* The largest frame is fine as a frame; as a message it is not. */
	seq = q_send(fd, VNPLUG_SOCK_CTRL, big, sizeof(big));
	expect_sock_error(fd, -EINVAL, seq);
	ping_ok(fd, 1);
	raw_send(fd, &h, HDR, NULL, 0);
	expect_sock_error(fd, -EPROTO, 5);
	expect_eof(fd);
	close(fd);
	stop();
}
END_TEST

/* vnplugd closed its copy of the pipe's write end: the read end sees EOF. */
static void expect_pipe_eof(int rd)
{
	struct pollfd p = { .fd = rd, .events = POLLIN };
	char c;

	ck_assert_int_eq(poll(&p, 1, TMO), 1);
	ck_assert_int_eq(read(rd, &c, 1), 0);
	close(rd);
}

static void send_with_pipe(int fd, uint32_t seq, const void *msg, size_t len,
			   uint16_t hnfds, int copies, int status)
{
	int p[2], fds[8], i;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	for (i = 0; i < copies; i++)
		fds[i] = p[1];
	q_send_fds(fd, VNPLUG_SOCK_CTRL, seq, msg, len, hnfds, fds, copies);
	close(p[1]);
	expect_sock_error(fd, status, seq);
	expect_pipe_eof(p[0]);
}

START_TEST(fds_refused)
{
	static uint8_t msg[VNPLUG_SOCK_MAX];
	unsigned int base;
	size_t len;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	ping_ok(fd, 1);
	base = count_fds(d.pid);
	/* A valid message, refused for its descriptor: never served. */
	len = build_app(msg, 1, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 1, "x", 1);
	send_with_pipe(fd, 50, msg, len, 1, 1, -EBADF);
	ping_ok(fd, 1);
	send_with_pipe(fd, 51, msg, len, 0, 1, -EBADF);
	send_with_pipe(fd, 52, msg, len, 3, 3, -EBADF);
	q_send_fds(fd, VNPLUG_SOCK_CTRL, 53, msg, len, 2, NULL, 0);
	expect_sock_error(fd, -EBADF, 53);
	ping_ok(fd, 1);
	ck_assert_uint_eq(count_fds(d.pid), base);
	/* More than 4 declared, or sent: garbage, the connection ends. */
	q_send_fds(fd, VNPLUG_SOCK_CTRL, 54, msg, len, 5, NULL, 0);
	expect_sock_error(fd, -EPROTO, 54);
	expect_eof(fd);
	close(fd);
	fd = qemu_up("vm1");
	send_with_pipe(fd, 55, msg, len, 4, 6, -EPROTO);
	expect_eof(fd);
	close(fd);
	fd = qemu_up("vm1");
	session_open(fd, 1);
	ping_ok(fd, 1);
	ck_assert_uint_eq(count_fds(d.pid), base);
	close(fd);
	stop();
}
END_TEST

START_TEST(bad_frames_keep_serving)
{
	struct vnplug_sock_map map = { .region_id = 1 };
	struct vnplug_sock_error e = { .status = -EIO, .text = "qemu says" };
	struct vnplug_sock_region rg = { .region_id = 1 };
	uint32_t seq;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	seq = q_send(fd, 99, NULL, 0);
	expect_sock_error(fd, -EINVAL, seq);
	seq = q_send(fd, 0, NULL, 0);
	expect_sock_error(fd, -EINVAL, seq);
	seq = q_send(fd, VNPLUG_SOCK_MAP, &map, sizeof(map));
	expect_sock_error(fd, -EPROTO, seq);
	seq = q_send(fd, VNPLUG_SOCK_UNMAP, &rg, sizeof(rg));
	expect_sock_error(fd, -EPROTO, seq);
	seq = q_send(fd, VNPLUG_SOCK_MAPPED, &rg, 4);
	expect_sock_error(fd, -EINVAL, seq);
	mapped(fd, 12345, 0);
	expect_sock_error(fd, -ENOENT, qseq);
	unmapped(fd, 12345, 0);
	expect_sock_error(fd, -ENOENT, qseq);
	mapped(fd, 1, 5);
	expect_sock_error(fd, -EINVAL, qseq);
	ctrl_raw(fd, "abc", 3);
	expect_sock_error(fd, -EINVAL, qseq);
	/* QEMU's own ERROR frames are logged, never answered. */
	q_send(fd, VNPLUG_SOCK_ERROR, &e, sizeof(e));
	q_send(fd, VNPLUG_SOCK_ERROR, &e, 4);
	expect_nothing(fd, QUIET);
	ck_assert(wait_log("reports error -5", TMO));
	ping_ok(fd, 1);
	close(fd);
	stop();
}
END_TEST

/* ---- layer 1 --------------------------------------------------------- */

START_TEST(layer1_malformed)
{
	static uint8_t buf[VNPLUG_SOCK_MAX];
	uint64_t cookie = 0x1234;
	uint16_t flags = 1;
	uint32_t len32;
	uint8_t v = VNPLUG_VERSION + 1;
	size_t len;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 7);
	len = build_app(buf, 7, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 1, "x", 1);
	set_msg_field(buf, 0, &v, 1);
	ctrl_raw(fd, buf, len);
	expect_msg_error(fd, 7, -EPROTONOSUPPORT, 0, 0, 0, "version");

	len = build_app(buf, 7, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 1, "x", 1);
	set_msg_field(buf, 2, &flags, 2);
	ctrl_raw(fd, buf, len);
	expect_msg_error(fd, 7, -EINVAL, 0, 0, 0, "flags");

	len = build_app(buf, 7, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 1, "x", 1);
	len32 = (uint32_t)(len - MSG_HDR + 1);
	set_msg_field(buf, 8, &len32, 4);
	ctrl_raw(fd, buf, len);
	expect_msg_error(fd, 7, -EINVAL, 0, 0, 0, "bytes follow");
	len32 -= 2;
	set_msg_field(buf, 8, &len32, 4);
	ctrl_raw(fd, buf, len);
	expect_msg_error(fd, 7, -EINVAL, 0, 0, 0, "bytes follow");

	ctrl_msg(fd, 99, 7, NULL, 0);
	expect_msg_error(fd, 7, -EINVAL, 0, 0, 0, "unexpected message type");
	ctrl_msg(fd, VNPLUG_MSG_PING, 7, &cookie, 8);
	expect_msg_error(fd, 7, -EINVAL, 0, 0, 0, "unexpected message type");
	ctrl_msg(fd, VNPLUG_MSG_ERROR, 7, NULL, 0);
	expect_msg_error(fd, 7, -EINVAL, 0, 0, 0, "unexpected message type");
	ctrl_msg(fd, VNPLUG_MSG_APP, 7, "12345678", 8);
	expect_msg_error(fd, 7, -EINVAL, 0, 0, 0, "shorter than its header");

	app_msg(fd, 9, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 31, "x", 1);
	expect_msg_error(fd, 9, -ENOENT, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 31,
			 "unknown session");
	app_msg(fd, 7, 77, 3, 42, NULL, 0);
	expect_msg_error(fd, 7, -ENOENT, 77, 3, 42, "unknown application");
	session_open(fd, 7);
	expect_msg_error(fd, 7, -EEXIST, 0, 0, 0, "already open");
	ctrl_msg(fd, VNPLUG_MSG_SESSION_OPEN, 8, "x", 1);
	expect_msg_error(fd, 8, -EINVAL, 0, 0, 0, "SESSION_OPEN");
	session_close(fd, 8);
	expect_msg_error(fd, 8, -ENOENT, 0, 0, 0, "unknown session");
	ctrl_msg(fd, VNPLUG_MSG_PONG, 7, &cookie, 8);
	expect_msg_error(fd, 7, -EINVAL, 0, 0, 0, "PING");

	/* Session 0 is never answered: the next frame is the PING's. */
	len = build_app(buf, 0, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 1, "x", 1);
	set_msg_field(buf, 2, &flags, 2);
	ctrl_raw(fd, buf, len);
	app_msg(fd, 0, 77, 1, 1, NULL, 0);
	ctrl_msg(fd, 99, 0, NULL, 0);
	ping_ok(fd, 7);

	/* Every refusal counted: 14 answered, 3 not. */
	kill(d.pid, SIGUSR1);
	ck_assert_msg(wait_log("rejected 17 ", TMO), "rejection count");
	close(fd);
	stop();
}
END_TEST

START_TEST(log_rate_limited)
{
	int64_t t0 = now_ms();
	unsigned int n;
	int fd, i;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	for (i = 0; i < 60; i++) {
		ctrl_msg(fd, 99, 1, NULL, 0);
		expect_msg_error(fd, 1, -EINVAL, 0, 0, 0, "unexpected");
	}
	ping_ok(fd, 1);
	kill(d.pid, SIGUSR1);
	ck_assert(wait_log("rejected 60 ", TMO));
	n = log_count("unexpected message type 99");
	/* Ten a window of 5 s; the loop takes far less unless very slow. */
	if (now_ms() - t0 < 4000)
		ck_assert_uint_eq(n, 10);
	else
		ck_assert_uint_le(n, 20);
	close(fd);
	stop();
}
END_TEST

START_TEST(session_limit)
{
	struct vnplug_test_stats st;
	uint32_t i;
	int fd;

	start();
	fd = qemu_up("vm1");
	for (i = 1; i <= 256; i++)
		session_open(fd, i);
	ping_ok(fd, 256);
	session_open(fd, 1000);
	expect_msg_error(fd, 1000, -EMFILE, 0, 0, 0, "too many sessions");
	st = stats(fd, 1);
	ck_assert_uint_eq(st.sessions, 256);
	session_close(fd, 1);
	session_open(fd, 1000);
	ping_ok(fd, 1000);
	st = stats(fd, 1000);
	ck_assert_uint_eq(st.sessions, 256);
	close(fd);
	stop();
}
END_TEST

/* ---- the test back-end ----------------------------------------------- */

START_TEST(test_app_ping_and_errors)
{
	static const uint64_t bad_sizes[] = {
		0, 4095, 4097, 8191, VNPLUG_TEST_MAX_SIZE + 4096,
	};
	static uint8_t big[VNPLUG_MSG_MAX];
	size_t n = VNPLUG_MSG_MAX - MSG_HDR - APP_HDR;
	struct vnplug_test_region rg = { .region_id = 555, .count = 1 };
	struct vnplug_test_read rd = { .region_id = 555, .len = 1 };
	struct vnplug_test_map tm = { .size = 4096, .pad = 1 };
	static struct msg m;
	unsigned int i;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 3);
	test_req(fd, 3, VNPLUG_TEST_PING, 1, NULL, 0);
	expect_reply(fd, 3, VNPLUG_TEST_PING, 1, 0, &m);
	ck_assert_uint_eq(m.plen, 0);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	test_req(fd, 3, VNPLUG_TEST_PING, 2, big, n);
	expect_reply(fd, 3, VNPLUG_TEST_PING, 2, 0, &m);
	ck_assert_uint_eq(m.plen, n);
	ck_assert_mem_eq(m.p, big, n);

	test_req(fd, 3, 99, 3, NULL, 0);
	expect_reply(fd, 3, 99, 3, -EOPNOTSUPP, &m);
	ck_assert_uint_eq(m.plen, 0);
	test_req(fd, 3, 0, 4, NULL, 0);
	expect_reply(fd, 3, 0, 4, -EOPNOTSUPP, &m);
	test_req(fd, 3, VNPLUG_TEST_MAP, 5, "12345678", 8);
	expect_reply(fd, 3, VNPLUG_TEST_MAP, 5, -EINVAL, &m);
	ck_assert_uint_eq(m.plen, 0);
	test_req(fd, 3, VNPLUG_TEST_STATS, 6, "x", 1);
	expect_reply(fd, 3, VNPLUG_TEST_STATS, 6, -EINVAL, &m);
	test_req(fd, 3, VNPLUG_TEST_READ, 7, &rd, 8);
	expect_reply(fd, 3, VNPLUG_TEST_READ, 7, -EINVAL, &m);

	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		map_req(fd, 3, 10 + i, bad_sizes[i]);
		expect_map_reply(fd, 3, 10 + i, -EINVAL, bad_sizes[i], 0);
	}
	test_req(fd, 3, VNPLUG_TEST_MAP, 20, &tm, sizeof(tm));
	expect_map_reply(fd, 3, 20, -EINVAL, 4096, 0);

	unmap_req(fd, 3, 21, 555);
	expect_reply(fd, 3, VNPLUG_TEST_UNMAP, 21, -ENOENT, &m);
	test_req(fd, 3, VNPLUG_TEST_SIGNAL, 22, &rg, sizeof(rg));
	expect_reply(fd, 3, VNPLUG_TEST_SIGNAL, 22, -ENOENT, &m);
	test_req(fd, 3, VNPLUG_TEST_READ, 23, &rd, sizeof(rd));
	expect_reply(fd, 3, VNPLUG_TEST_READ, 23, -ENOENT, &m);
	test_req(fd, 3, VNPLUG_TEST_DOORBELLS, 24, &rg, sizeof(rg));
	expect_reply(fd, 3, VNPLUG_TEST_DOORBELLS, 24, -ENOENT, &m);
	ck_assert_uint_eq(stats(fd, 3).regions, 0);
	close(fd);
	stop();
}
END_TEST

START_TEST(map_frame_and_pattern)
{
	struct region r, r2;
	unsigned int base;
	uint32_t v32;
	uint64_t i;
	struct stat st;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	base = count_fds(d.pid);
	map_req(fd, 1, 11, 65536);
	expect_map(fd, &r, 1, 65536);
	ck_assert_uint_eq(r.id, 1);

	ck_assert_int_eq(fstat(r.fds[0], &st), 0);
	ck_assert_int_eq(st.st_size, 65536);
	memcpy(&v32, r.mem, 4);
	ck_assert_uint_eq(v32, 1);
	memcpy(&v32, r.mem + 4, 4);
	ck_assert_uint_eq(v32, 65536);
	for (i = 8; i < 65536; i++)
		if (r.mem[i] != pattern(i, 1))
			ck_abort_msg("byte %llu is %u, expected %u",
				     (unsigned long long)i, r.mem[i],
				     pattern(i, 1));

	ck_assert_int_eq(fstat(r.fds[1], &st), 0);
	ck_assert_int_eq(st.st_size, VNPLUG_CTRL_PAGE_SIZE);
	ck_assert_uint_eq(r.ctrl->magic, VNPLUG_CTRL_MAGIC);
	ck_assert_uint_eq(r.ctrl->version, VNPLUG_VERSION);
	ck_assert_uint_eq(r.ctrl->region_id, 1);
	ck_assert_uint_eq(r.ctrl->app_id, VNPLUG_APP_TEST);
	ck_assert_uint_eq(r.ctrl->host_signals, 0);
	ck_assert_uint_eq(r.ctrl->host_doorbells, 0);
	for (i = 0; i < sizeof(r.ctrl->host_spare); i++)
		ck_assert_uint_eq(r.ctrl->host_spare[i], 0);
	/* Sealed: QEMU cannot shrink memory vnplugd has mapped. */
	ck_assert_int_eq(ftruncate(r.fds[1], 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(r.fds[0], 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert(is_eventfd(r.fds[2]));
	ck_assert(is_eventfd(r.fds[3]));

	/* The guest hears only when QEMU has answered. */
	expect_nothing(fd, QUIET);
	mapped(fd, r.id, 0);
	expect_map_reply(fd, 1, 11, 0, 65536, 1);
	ck_assert_uint_eq(stats(fd, 1).regions, 1);
	/* Control page and two eventfds; the memory fd went to QEMU. */
	ck_assert_uint_eq(count_fds(d.pid), base + 3);

	region_map(fd, 1, 12, 4096, &r2);
	ck_assert_uint_eq(r2.id, 2);
	ck_assert_uint_eq(r2.ctrl->region_id, 2);
	ck_assert_uint_eq(r2.mem[8], pattern(8, 2));
	ck_assert_uint_eq(count_fds(d.pid), base + 6);
	region_close(&r);
	region_close(&r2);
	close(fd);
	stop();
}
END_TEST

START_TEST(mapped_error_propagates)
{
	struct region r, r2;
	unsigned int base;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	base = count_fds(d.pid);
	map_req(fd, 1, 21, 8192);
	expect_map(fd, &r, 1, 8192);
	mapped(fd, r.id, -ENOMEM);
	expect_map_reply(fd, 1, 21, -ENOMEM, 8192, 0);
	ck_assert_uint_eq(stats(fd, 1).regions, 0);
	ck_assert_uint_eq(count_fds(d.pid), base);
	region_close(&r);
	mapped(fd, r.id, 0);
	expect_sock_error(fd, -ENOENT, qseq);
	region_map(fd, 1, 22, 4096, &r2);
	ck_assert_uint_eq(r2.id, 2);
	region_close(&r2);
	close(fd);
	stop();
}
END_TEST

static uint32_t doorbells(int fd, uint32_t session, uint32_t id)
{
	struct vnplug_test_region rg = { .region_id = id };
	static struct msg m;

	test_req(fd, session, VNPLUG_TEST_DOORBELLS, 33, &rg, sizeof(rg));
	expect_reply(fd, session, VNPLUG_TEST_DOORBELLS, 33, 0, &m);
	ck_assert_uint_eq(m.plen, sizeof(rg));
	memcpy(&rg, m.p, sizeof(rg));
	ck_assert_uint_eq(rg.region_id, id);
	return rg.count;
}

/* The doorbell and the request race in vnplugd's epoll: poll for it. */
static uint32_t doorbells_reach(int fd, uint32_t id, uint32_t want)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < 200; i++) {
		n = doorbells(fd, 1, id);
		if (n >= want)
			break;
		usleep(10000);
	}
	return n;
}

START_TEST(doorbell_counts)
{
	uint64_t v;
	struct region r;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	region_map(fd, 1, 31, 4096, &r);
	ck_assert_uint_eq(doorbells(fd, 1, r.id), 0);
	v = 3;
	ck_assert_int_eq(write(r.fds[2], &v, 8), 8);
	v = 4;
	ck_assert_int_eq(write(r.fds[2], &v, 8), 8);
	ck_assert_uint_eq(doorbells_reach(fd, r.id, 7), 7);
	ck_assert_uint_eq(__atomic_load_n(&r.ctrl->host_doorbells,
					  __ATOMIC_ACQUIRE), 7);
	/* vnplugd consumed the counter. */
	ck_assert_int_eq(read(r.fds[2], &v, 8), -1);
	ck_assert_int_eq(errno, EAGAIN);
	v = 5;
	ck_assert_int_eq(write(r.fds[2], &v, 8), 8);
	ck_assert_uint_eq(doorbells_reach(fd, r.id, 12), 12);
	ck_assert_uint_eq(r.ctrl->host_doorbells, 12);
	ck_assert_uint_eq(r.ctrl->host_signals, 0);
	region_close(&r);
	close(fd);
	stop();
}
END_TEST

static void signal_req(int fd, uint32_t id, uint32_t count, int status,
		       uint32_t done)
{
	struct vnplug_test_region rg = { .region_id = id, .count = count };
	static struct msg m;

	test_req(fd, 1, VNPLUG_TEST_SIGNAL, 41, &rg, sizeof(rg));
	expect_reply(fd, 1, VNPLUG_TEST_SIGNAL, 41, status, &m);
	ck_assert_uint_eq(m.plen, sizeof(rg));
	memcpy(&rg, m.p, sizeof(rg));
	ck_assert_uint_eq(rg.region_id, id);
	ck_assert_uint_eq(rg.count, done);
}

START_TEST(signal_interrupts)
{
	struct region r;
	uint64_t v;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	region_map(fd, 1, 40, 4096, &r);
	signal_req(fd, r.id, 5, 0, 5);
	ck_assert_int_eq(read(r.fds[3], &v, 8), 8);
	ck_assert_uint_eq(v, 5);
	ck_assert_uint_eq(r.ctrl->host_signals, 5);
	signal_req(fd, r.id, 0, 0, 0);
	ck_assert_int_eq(read(r.fds[3], &v, 8), -1);
	ck_assert_int_eq(errno, EAGAIN);
	signal_req(fd, r.id, 4097, -EINVAL, 0);
	signal_req(fd, r.id, 4096, 0, 4096);
	ck_assert_int_eq(read(r.fds[3], &v, 8), 8);
	ck_assert_uint_eq(v, 4096);
	ck_assert_uint_eq(r.ctrl->host_signals, 4101);
	ck_assert_uint_eq(r.ctrl->host_doorbells, 0);
	region_close(&r);
	close(fd);
	stop();
}
END_TEST

static void read_req(int fd, uint32_t id, uint32_t len, uint64_t off,
		     int status, struct msg *m)
{
	struct vnplug_test_read rd = {
		.region_id = id, .len = len, .offset = off,
	};

	test_req(fd, 1, VNPLUG_TEST_READ, 51, &rd, sizeof(rd));
	expect_reply(fd, 1, VNPLUG_TEST_READ, 51, status, m);
	ck_assert_uint_eq(m->plen, status ? 0 : len);
}

START_TEST(read_sees_guest_writes)
{
	static const char text[] = "written by the guest";
	static struct msg m;
	struct region r;
	uint32_t v[2];
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	region_map(fd, 1, 50, 8192, &r);
	memcpy(r.mem + 1000, text, sizeof(text));
	read_req(fd, r.id, sizeof(text), 1000, 0, &m);
	ck_assert_mem_eq(m.p, text, sizeof(text));
	read_req(fd, r.id, 8, 0, 0, &m);
	memcpy(v, m.p, 8);
	ck_assert_uint_eq(v[0], r.id);
	ck_assert_uint_eq(v[1], 8192);
	read_req(fd, r.id, 1024, 8192 - 1024, 0, &m);
	ck_assert_mem_eq(m.p, r.mem + 8192 - 1024, 1024);
	ck_assert_uint_eq(m.p[1023], pattern(8191, r.id));
	read_req(fd, r.id, 0, 8192, 0, &m);
	read_req(fd, r.id, 1025, 0, -EINVAL, &m);
	read_req(fd, r.id, 8, 8188, -EINVAL, &m);
	read_req(fd, r.id, 1, UINT64_MAX, -EINVAL, &m);
	read_req(fd, r.id, 16, UINT64_MAX - 8, -EINVAL, &m);
	region_close(&r);
	close(fd);
	stop();
}
END_TEST

START_TEST(unmap_waits_for_qemu)
{
	struct vnplug_test_region rg;
	struct region r, r2;
	static struct msg m;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	session_open(fd, 2);
	region_map(fd, 1, 60, 4096, &r);
	/* Another session's region is not there for session 2. */
	unmap_req(fd, 2, 61, r.id);
	expect_reply(fd, 2, VNPLUG_TEST_UNMAP, 61, -ENOENT, &m);
	unmap_req(fd, 1, 62, r.id);
	expect_unmap(fd, r.id);
	expect_nothing(fd, QUIET);
	/* Unusable at once, counted until QEMU confirms. */
	signal_req(fd, r.id, 1, -ENOENT, 0);
	ck_assert_uint_eq(stats(fd, 2).regions, 1);
	unmapped(fd, r.id, 0);
	expect_reply(fd, 1, VNPLUG_TEST_UNMAP, 62, 0, &m);
	ck_assert_uint_eq(m.plen, sizeof(rg));
	memcpy(&rg, m.p, sizeof(rg));
	ck_assert_uint_eq(rg.region_id, r.id);
	ck_assert_uint_eq(stats(fd, 2).regions, 0);
	region_close(&r);
	/* The guest ejected a device by itself. */
	region_map(fd, 1, 63, 4096, &r2);
	unmapped(fd, r2.id, 0);
	ck_assert_uint_eq(stats(fd, 2).regions, 0);
	ck_assert(log_has("unplugged by the guest"));
	region_close(&r2);
	close(fd);
	stop();
}
END_TEST

START_TEST(session_close_unmaps)
{
	struct vnplug_test_stats st;
	struct region a, b, c;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 5);
	session_open(fd, 6);
	region_map(fd, 5, 70, 4096, &a);
	region_map(fd, 5, 71, 8192, &b);
	region_map(fd, 6, 72, 4096, &c);
	session_close(fd, 5);
	expect_unmap(fd, a.id);
	expect_unmap(fd, b.id);
	expect_nothing(fd, QUIET);
	st = stats(fd, 6);
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(st.regions, 3);
	app_msg(fd, 5, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 73, NULL, 0);
	expect_msg_error(fd, 5, -ENOENT, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 73,
			 "unknown session");
	unmapped(fd, a.id, 0);
	unmapped(fd, b.id, 0);
	ck_assert_uint_eq(stats(fd, 6).regions, 1);
	region_close(&a);
	region_close(&b);
	region_close(&c);
	close(fd);
	stop();
}
END_TEST

START_TEST(limits_enospc)
{
	struct region a, b, c, e;
	static struct msg m;
	int fd;

	start();
	fd = qemu_up("vm2");	/* max_rings 2, max_ring_memory 128K */
	session_open(fd, 1);
	region_map(fd, 1, 80, 65536, &a);
	region_map(fd, 1, 81, 65536, &b);
	map_req(fd, 1, 82, 4096);
	expect_map_reply(fd, 1, 82, -ENOSPC, 4096, 0);
	ck_assert(wait_log("max_rings=2 reached", TMO));
	/* Destroyed but not confirmed: still counted. */
	unmap_req(fd, 1, 83, a.id);
	expect_unmap(fd, a.id);
	map_req(fd, 1, 84, 4096);
	expect_map_reply(fd, 1, 84, -ENOSPC, 4096, 0);
	unmapped(fd, a.id, 0);
	expect_reply(fd, 1, VNPLUG_TEST_UNMAP, 83, 0, &m);
	region_close(&a);
	/* One ring of 64K left: 68K more is over 128K, 64K is not. */
	map_req(fd, 1, 85, 69632);
	expect_map_reply(fd, 1, 85, -ENOSPC, 69632, 0);
	ck_assert(wait_log("max_ring_memory=131072", TMO));
	region_map(fd, 1, 86, 65536, &c);
	region_unmap(fd, 87, &c);
	region_map(fd, 1, 88, 4096, &e);
	ck_assert_uint_eq(stats(fd, 1).regions, 2);
	region_close(&b);
	region_close(&e);
	close(fd);
	stop();
}
END_TEST

/* Frames until an UNMAP arrives, within @ms. */
static uint32_t wait_unmap(int fd, int ms)
{
	static struct frame f;
	struct vnplug_sock_region rg;
	int r = next_frame(fd, &f, ms);

	ck_assert_int_eq(r, 1);
	ck_assert_uint_eq(f.h.type, VNPLUG_SOCK_UNMAP);
	memcpy(&rg, f.p, sizeof(rg));
	return rg.region_id;
}

START_TEST(guest_timeout)
{
	struct region a, b;
	int64_t t0;
	int fd, silent;

	make_dir();
	start_conf("ping_interval = 1\nguest_timeout = 2\n", DEFAULT_VMS);
	fd = qemu_up("vm1");
	/* Meanwhile, on vm2, a QEMU that never says HELLO. */
	silent = q_connect("vm2");
	session_open(fd, 1);
	region_map(fd, 1, 90, 4096, &a);
	region_map(fd, 1, 91, 4096, &b);
	/* A guest that answers is left alone. */
	auto_pong = true;
	expect_nothing(fd, 3000);
	ck_assert_uint_ge(pings_seen, 2);
	auto_pong = false;
	t0 = now_ms();
	ck_assert_uint_eq(wait_unmap(fd, 6000), a.id);
	ck_assert_uint_eq(wait_unmap(fd, TMO), b.id);
	ck_assert_int_ge(now_ms() - t0, 900);
	ck_assert(log_has("guest not answering"));
	app_msg(fd, 1, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 92, NULL, 0);
	expect_msg_error(fd, 1, -ENOENT, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 92,
			 "unknown session");
	/* QEMU never confirms: the records go after guest_timeout. */
	ck_assert(wait_log("did not confirm the unplug of region 2", 5000));
	auto_pong = true;
	session_open(fd, 2);
	ck_assert_uint_eq(stats(fd, 2).regions, 0);
	region_close(&a);
	region_close(&b);
	close(fd);
	/* 5 s without HELLO are up by now. */
	expect_sock_error(silent, -ETIMEDOUT, 0);
	expect_eof(silent);
	close(silent);
	stop();
}
END_TEST

START_TEST(reconnect_ids_continue)
{
	struct vnplug_test_stats st;
	struct region a, b, c, e;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	region_map(fd, 1, 100, 4096, &a);
	ck_assert_uint_eq(a.id, 1);
	close(fd);
	region_close(&a);

	fd = q_connect("vm1");
	hello(fd, 1, 100);
	session_open(fd, 1);
	st = stats(fd, 1);
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(st.regions, 0);
	region_map(fd, 1, 101, 4096, &b);
	ck_assert_uint_eq(b.id, 101);
	region_map(fd, 1, 102, 4096, &c);
	ck_assert_uint_eq(c.id, 102);
	/* The earlier connection's device going: nothing to answer. */
	unmapped(fd, 1, 0);
	expect_nothing(fd, QUIET);
	unmapped(fd, 150, 0);
	expect_sock_error(fd, -ENOENT, qseq);
	close(fd);
	region_close(&b);
	region_close(&c);

	/* A new QEMU (nothing plugged): ids still do not go back. */
	fd = qemu_up("vm1");
	session_open(fd, 1);
	region_map(fd, 1, 103, 4096, &e);
	ck_assert_uint_eq(e.id, 103);
	region_close(&e);
	close(fd);
	stop();
}
END_TEST

START_TEST(map_unmap_cycles_leak_nothing)
{
	unsigned int base, mine, i;
	struct region r;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	region_map(fd, 1, 1, 4096, &r);
	region_unmap(fd, 2, &r);
	base = count_fds(d.pid);
	mine = count_fds(0);
	for (i = 0; i < 100; i++) {
		region_map(fd, 1, 10 + 2 * i, 4096 * (1 + i % 4), &r);
		region_unmap(fd, 11 + 2 * i, &r);
	}
	ck_assert_uint_eq(r.id, 101);
	ck_assert_uint_eq(count_fds(d.pid), base);
	ck_assert_uint_eq(count_fds(0), mine);
	ck_assert_uint_eq(stats(fd, 1).regions, 0);
	close(fd);
	stop();
}
END_TEST

START_TEST(stats_exact)
{
	struct vnplug_test_stats st;
	unsigned int mine;
	struct region a;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	session_open(fd, 2);
	region_map(fd, 1, 1, 4096, &a);
	mine = count_fds(0);
	st = stats(fd, 2);
	ck_assert_uint_eq(st.qemu_fds, mine);
	ck_assert_uint_eq(st.daemon_fds, count_fds(d.pid));
	ck_assert_uint_eq(st.regions, 1);
	ck_assert_uint_eq(st.sessions, 2);
	region_close(&a);
	close(fd);
	stop();
}
END_TEST

START_TEST(two_vms_apart)
{
	struct vnplug_test_stats st;
	struct region ra, rb;
	int a, b;

	start();
	a = qemu_up("vm1");
	b = qemu_up("vm2");
	session_open(a, 1);
	session_open(b, 1);
	region_map(a, 1, 1, 4096, &ra);
	region_map(b, 1, 1, 4096, &rb);
	ck_assert_uint_eq(ra.id, 1);
	ck_assert_uint_eq(rb.id, 1);
	session_close(a, 1);
	expect_unmap(a, ra.id);
	expect_nothing(b, QUIET);
	st = stats(b, 1);
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(st.regions, 1);
	region_close(&ra);
	region_close(&rb);
	close(a);
	close(b);
	stop();
}
END_TEST

START_TEST(slow_reader_dropped)
{
	static uint8_t buf[HDR + VNPLUG_MSG_MAX];
	static uint8_t body[4000];
	struct vnplug_sock_hdr h = {
		.magic = VNPLUG_SOCK_MAGIC, .type = VNPLUG_SOCK_CTRL,
	};
	struct timeval tv = { .tv_sec = 5 };
	size_t len;
	ssize_t n = 0;
	int fd, i;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	len = build_app(buf + HDR, 1, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 1,
			body, sizeof(body));
	h.len = (uint32_t)len;
	memcpy(buf, &h, HDR);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
				    sizeof(tv)), 0);
	/* Ask, never read the answers: vnplugd must not queue forever. */
	for (i = 0; i < 2000; i++) {
		n = send(fd, buf, HDR + len, MSG_NOSIGNAL);
		if (n < 0)
			break;
	}
	ck_assert_int_lt(n, 0);
	ck_assert_msg(errno == EPIPE || errno == ECONNRESET, "send: %s",
		      strerror(errno));
	ck_assert_int_lt(i, 1000);
	ck_assert(wait_log("does not read its socket", TMO));
	close(fd);
	fd = qemu_up("vm1");
	session_open(fd, 1);
	ping_ok(fd, 1);
	close(fd);
	stop();
}
END_TEST

START_TEST(sigterm_with_clients)
{
	char path[PATH_MAX];
	struct region r;
	int fd;

	start();
	fd = qemu_up("vm1");
	session_open(fd, 1);
	region_map(fd, 1, 1, 4096, &r);
	ck_assert_int_eq(kill(d.pid, SIGTERM), 0);
	ck_assert_int_eq(wait_exit(d.pid, 5000), 0);
	d.pid = 0;
	expect_eof(fd);
	sock_path(path, sizeof(path), "vm1");
	ck_assert(!exists(path));
	sock_path(path, sizeof(path), "vm2");
	ck_assert(!exists(path));
	ck_assert(log_has("stopped"));
	region_close(&r);
	close(fd);
	remove_dir();
}
END_TEST

static mode_t sock_mode(const char *vm)
{
	char path[PATH_MAX];
	struct stat st;

	sock_path(path, sizeof(path), vm);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	return st.st_mode & 07777;
}

/* A socket file left by a daemon that died. */
static void leave_stale_socket(const char *vm)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	sock_path(sa.sun_path, sizeof(sa.sun_path), vm);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

START_TEST(socket_files)
{
	const char *args[] = { "vnplugd", "-c", NULL, NULL };
	char path[PATH_MAX];
	pid_t second;
	int fd;

	make_dir();
	leave_stale_socket("vm1");
	start_conf(DEFAULT_GLOBAL, DEFAULT_VMS);
	fd = qemu_up("vm1");
	ck_assert_uint_eq(sock_mode("vm1"), 0660);
	ck_assert_uint_eq(sock_mode("vm2"), 0600);
	ck_assert(log_has("removing stale socket"));
	/* A second daemon on the same sockets refuses, leaving them be. */
	args[2] = d.conf;
	second = spawn(args, d.log);
	ck_assert_int_eq(wait_exit(second, 5000), 1);
	ck_assert(log_has("another vnplugd?"));
	sock_path(path, sizeof(path), "vm1");
	ck_assert(exists(path));
	close(fd);
	stop();

	/* Never removes a file that is not a socket. */
	make_dir();
	sock_path(path, sizeof(path), "vm1");
	write_file(path, "not a socket");
	start_conf(DEFAULT_GLOBAL, DEFAULT_VMS);
	ck_assert_int_eq(wait_exit(d.pid, 5000), 1);
	d.pid = 0;
	ck_assert(log_has("exists and is not a socket"));
	ck_assert(exists(path));
	remove_dir();
}
END_TEST

static int run_cli(const char *const *args)
{
	unlink(d.log);
	return wait_exit(spawn(args, d.log), 5000);
}

START_TEST(check_config_cli)
{
	const char *check[] = { "vnplugd", "--check-config", "-c", NULL, NULL };
	const char *bad_level[] = { "vnplugd", "--log-level", "loud", NULL };
	const char *help[] = { "vnplugd", "--help", NULL };
	char path[PATH_MAX];

	make_dir();
	check[3] = d.conf;
	write_file(d.conf, "[global]\nsocket_dir = /nonexistent\n" DEFAULT_VMS);
	ck_assert_int_eq(run_cli(check), 0);
	ck_assert(log_has("vnplugd.conf: OK, 2 VMs"));
	ck_assert(log_has("vm vm2: socket=/nonexistent/vm2.sock mode=0600"));
	ck_assert(log_has("max_rings=2 max_ring_memory=128K"));
	sock_path(path, sizeof(path), "vm1");
	ck_assert(!exists(path));
	write_file(d.conf, "[vm a]\nfoo = 1\n");
	ck_assert_int_eq(run_cli(check), 1);
	ck_assert(log_has("vnplugd.conf:2: unknown key 'foo' in [vm a]"));
	ck_assert_int_eq(run_cli(bad_level), 2);
	ck_assert(log_has("unknown log level 'loud'"));
	ck_assert_int_eq(run_cli(help), 0);
	ck_assert(log_has("--check-config"));
	remove_dir();
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("vnplugd_proto");
	TCase *tc = tcase_create("proto");
	TCase *slow = tcase_create("timers");

	/* Explicit, so that Check's default of 4 s does not apply. */
	tcase_set_timeout(tc, 20);
	/* Without CK_FORK a failed test leaves its daemon: the next one
	 * cleans up (with fork, the exit handler does). */
	tcase_add_checked_fixture(tc, NULL, cleanup);
	tcase_add_test(tc, hello_and_version);
	tcase_add_test(tc, second_connection);
	tcase_add_test(tc, bad_magic_closes);
	tcase_add_test(tc, oversized_frame);
	tcase_add_test(tc, fds_refused);
	tcase_add_test(tc, bad_frames_keep_serving);
	tcase_add_test(tc, layer1_malformed);
	tcase_add_test(tc, log_rate_limited);
	tcase_add_test(tc, session_limit);
	tcase_add_test(tc, test_app_ping_and_errors);
	tcase_add_test(tc, map_frame_and_pattern);
	tcase_add_test(tc, mapped_error_propagates);
	tcase_add_test(tc, doorbell_counts);
	tcase_add_test(tc, signal_interrupts);
	tcase_add_test(tc, read_sees_guest_writes);
	tcase_add_test(tc, unmap_waits_for_qemu);
	tcase_add_test(tc, session_close_unmaps);
	tcase_add_test(tc, limits_enospc);
	tcase_add_test(tc, reconnect_ids_continue);
	tcase_add_test(tc, map_unmap_cycles_leak_nothing);
	tcase_add_test(tc, stats_exact);
	tcase_add_test(tc, two_vms_apart);
	tcase_add_test(tc, slow_reader_dropped);
	tcase_add_test(tc, sigterm_with_clients);
	tcase_add_test(tc, socket_files);
	tcase_add_test(tc, check_config_cli);
	suite_add_tcase(s, tc);
	tcase_set_timeout(slow, 30);
	tcase_add_checked_fixture(slow, NULL, cleanup);
	tcase_add_test(slow, guest_timeout);
	suite_add_tcase(s, slow);
	return s;
}

int main(void)
{
	return run_suite(proto_suite());
}
