// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvnplug's socket transport (VNPLUG_SOCKET): the library plays QEMU and
 * vnplug.ko itself on a vnplugd per-VM socket.
 *
 * main() makes one temporary directory and sets VNPLUG_SOCKET to the VM
 * socket vm1.sock in it, for the whole run (the library reads it once).
 * Each test starts the built vnplugd (VNPLUGD_BIN) on that directory and
 * stops it with SIGTERM, requiring exit status 0. The tests run
 * vnplug-tool (VNPLUG_TOOL_BIN) against it, use the API in-process, kill
 * a client mid-session, and play a misbehaving vnplugd (a forked fake
 * listening on the same path) to check that bad input ends the connection
 * cleanly: errors to the callers, stray descriptors closed, no crash.
 */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "uapi/vnplug.h"
#include "vnplug_guest.h"
#include "check_main.h"

#ifndef VNPLUGD_BIN
#define VNPLUGD_BIN "vnplugd"
#endif
#ifndef VNPLUG_TOOL_BIN
#define VNPLUG_TOOL_BIN "vnplug-tool"
#endif

#define TMO  3000 /* ms for anything that must happen */
#define HDR  sizeof(struct vnplug_sock_hdr)
#define MHDR sizeof(struct vnplug_msg_hdr)
#define AHDR sizeof(struct vnplug_app_hdr)

static struct {
	char dir[64];
	char conf[128];
	char log[128];
	char sock[128];
	pid_t pid;	/* the daemon (or the fake), ours to stop */
	pid_t main_pid;
} d;

/* ---- time, files, processes ------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Exit status of pid, 128 + signal, or -1 if it still runs after ms. */
static int wait_exit(pid_t pid, int ms)
{
	int st, i;

	for (i = 0; i <= ms; i += 10) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st)
					     : 128 + WTERMSIG(st);
		usleep(10000);
	}
	return -1;
}

/* Entries of /proc/self/fd, without the directory's own. */
static unsigned int count_fds(void)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *dir = opendir("/proc/self/fd");

	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(dir))
			continue;
		n++;
	}
	closedir(dir);
	return n;
}

static void dump_log(void)
{
	char line[512];
	FILE *f = fopen(d.log, "r");

	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "  | %s", line);
	if (f)
		fclose(f);
}

static bool log_has(const char *text)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(d.log, "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	if (f)
		fclose(f);
	return found;
}

static bool wait_log(const char *text, int ms)
{
	int i;

	for (i = 0; i <= ms; i += 20) {
		if (log_has(text))
			return true;
		usleep(20000);
	}
	return false;
}

/* After each test: what a failed one left running. */
static void kill_daemon(void)
{
	if (d.pid > 0) {
		kill(d.pid, SIGKILL);
		waitpid(d.pid, NULL, 0);
		d.pid = 0;
	}
}

/* At exit; the directory only in the main process. */
static void cleanup(void)
{
	kill_daemon();
	if (getpid() != d.main_pid)
		return;
	unlink(d.conf);
	unlink(d.log);
	unlink(d.sock);
	rmdir(d.dir);
}

/* ---- the daemon ------------------------------------------------------ */

static void start(void)
{
	const char *args[] = {"vnplugd", "-v", "-c", d.conf, NULL};
	char text[512];
	pid_t parent = getpid();
	int fd;

	unlink(d.log);
	snprintf(text, sizeof(text),
		 "[global]\nsocket_dir = %s\nping_interval = 60\n"
		 "guest_timeout = 120\n\n[vm vm1]\n",
		 d.dir);
	write_file(d.conf, text);
	d.pid = fork();
	ck_assert_int_ge(d.pid, 0);
	if (!d.pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		fd = open(d.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close_range(3, ~0U, 0);
		execv(VNPLUGD_BIN, (char *const *)args);
		_exit(127);
	}
	if (!wait_log("listening on", 5000)) {
		dump_log();
		ck_abort_msg("vnplugd did not start");
	}
}

/* SIGTERM: the daemon must exit 0 (under ASan: no leak, no error). */
static void stop(void)
{
	int st;

	ck_assert_int_eq(kill(d.pid, SIGTERM), 0);
	st = wait_exit(d.pid, 5000);
	if (st != 0)
		dump_log();
	ck_assert_int_eq(st, 0);
	d.pid = 0;
	ck_assert(!exists(d.sock));
}

/* ---- vnplug-tool ----------------------------------------------------- */

/* Starts the tool with VNPLUG_SOCKET=sock; *fd reads both its streams. */
static pid_t tool_spawn(const char *sock, const char *const *args, int *fd)
{
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(126);
		setenv("VNPLUG_SOCKET", sock, 1);
		execv(VNPLUG_TOOL_BIN, (char *const *)args);
		_exit(127);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

/*
 * Appends the tool's output to out (a string) until it ends, then closes
 * fd and returns the exit status (128 + signal; killed after 60 s). With
 * until, returns -1 as soon as out holds it, the tool still running.
 */
static int tool_read(pid_t pid, int fd, char *out, size_t size,
		     const char *until)
{
	int64_t end = now_ms() + 60000;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t len = strlen(out);
	ssize_t n;
	int st;

	for (;;) {
		if (until && strstr(out, until))
			return -1;
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fd, out + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		out[len] = '\0';
		if (len == size - 1)
			break;
	}
	out[len] = '\0';
	close(fd);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs the tool with VNPLUG_SOCKET=sock; its output (both streams). */
static int run_tool(const char *sock, char *out, size_t size,
		    const char *const *args)
{
	int fd;
	pid_t pid = tool_spawn(sock, args, &fd);

	out[0] = '\0';
	return tool_read(pid, fd, out, size, NULL);
}

#define TOOL(out, ...)                                                         \
	run_tool(d.sock, out, sizeof(out),                                     \
		 (const char *const[]){"vnplug-tool", "-t", "5000",           \
				       __VA_ARGS__, NULL})

/* Runs the tool and requires exit status st. */
#define TOOL_EXIT(st, out, ...)                                                \
	do {                                                                   \
		int st_ = TOOL(out, __VA_ARGS__);                              \
		ck_assert_msg(st_ == (st), "exit status %d, expected %d:\n%s", \
			      st_, st, out);                                   \
	} while (0)

#define HAS(out, text)                                                         \
	ck_assert_msg(strstr(out, text), "output lacks \"%s\":\n%s", text, out)

START_TEST(tool_ping)
{
	char out[4096];

	start();
	TOOL_EXIT(0, out, "ping", "-c", "5", "-s", "100");
	HAS(out, "ping: 5/5 ok, 100 bytes, rtt min/avg/max = ");
	TOOL_EXIT(0, out, "ping");
	HAS(out, "ping: 10/10 ok, 8 bytes");
	stop();
}
END_TEST

START_TEST(tool_pattern_write)
{
	char out[4096];

	start();
	TOOL_EXIT(0, out, "pattern", "256K");
	HAS(out, "pattern: region 1, 262144 bytes verified, control page ok");
	HAS(out, " ms, ok\n");
	TOOL_EXIT(0, out, "write", "64K");
	HAS(out, "write: region 2, 7 spans up to the last byte (65535) read "
		 "back by the host, ok\n");
	/* Not a whole page: the mapping is rounded up, the size is not. */
	TOOL_EXIT(0, out, "pattern", "12K");
	HAS(out, "pattern: region 3, 12288 bytes verified");
	stop();
}
END_TEST

START_TEST(tool_doorbell_signal)
{
	char out[4096];

	start();
	TOOL_EXIT(0, out, "doorbell", "64K", "1000");
	HAS(out, "doorbell: region 1, 1000 notified, host counted 1000, ok\n");
	TOOL_EXIT(0, out, "signal", "64K", "50");
	HAS(out, "signal: region 2, 50 requested, 50 received in 50 waits, "
		 "0 timeouts, ok\n");
	stop();
}
END_TEST

START_TEST(tool_cycles_stats)
{
	char out[8192];

	start();
	TOOL_EXIT(0, out, "cycles", "10", "64K");
	HAS(out, "cycles: before: host daemon_fds=");
	HAS(out, " regions=0 sessions=1\ncycles: after:  host daemon_fds=");
	HAS(out, "cycles: 10 x 65536 bytes map/verify/unmap, ");
	HAS(out, "statistics equal, ok\n");
	TOOL_EXIT(0, out, "stats");
	HAS(out, " regions=0 sessions=1\n");
	HAS(out, "stats: guest statistics not available with VNPLUG_SOCKET\n"
		 "stats: ok\n");
	TOOL_EXIT(1, out, "raw");
	HAS(out, "raw: FAIL: not available with VNPLUG_SOCKET");
	stop();
}
END_TEST

START_TEST(tool_bench)
{
	char out[8192];

	start();
	TOOL_EXIT(0, out, "bench", "-c", "50", "-d", "1", "-n", "2", "-s",
		  "64K");
	HAS(out, "(50 calls, 36-byte messages)");
	HAS(out, "(2 rounds, 65536 bytes)");
	HAS(out, "ping-pong)");
	ck_assert_msg(!strstr(out, "counts differ"), "%s", out);
	HAS(out, "bench: ok\n");
	stop();
}
END_TEST

/*
 * hold SIZE SECONDS: a region held to the end is unmapped as usual; one
 * whose vnplugd goes away (stopped, or killed as in tests/e2e) reads zeros,
 * exit status 4.
 */
static void hold_until_gone(bool kill9)
{
	const char *const args[] = {"vnplug-tool", "-t", "5000", "hold",
				    "64K", "60", NULL};
	char out[4096] = "";
	int fd, st;
	pid_t pid;

	pid = tool_spawn(d.sock, args, &fd);
	st = tool_read(pid, fd, out, sizeof(out), "hold: holding region ");
	ck_assert_msg(st == -1, "exit status %d:\n%s", st, out);
	if (kill9) {
		ck_assert_int_eq(kill(d.pid, SIGKILL), 0);
		ck_assert_int_eq(wait_exit(d.pid, TMO), 128 + SIGKILL);
		d.pid = 0;
		unlink(d.sock);
	} else {
		stop();
	}
	st = tool_read(pid, fd, out, sizeof(out), NULL);
	ck_assert_msg(st == 4, "exit status %d, expected 4:\n%s", st, out);
	HAS(out, " gone after ");
	HAS(out, " reads zeros after its device went away\n");
	ck_assert_msg(!strstr(out, "FAIL"), "%s", out);
}

START_TEST(tool_hold)
{
	char out[4096];

	start();
	TOOL_EXIT(0, out, "hold", "64K", "1");
	HAS(out, "hold: holding region 1 (65536 bytes) for 1 s\n");
	HAS(out, "hold: region 1 held for 1 s, ");
	HAS(out, "hold: ok\n");
	hold_until_gone(false);
	start();
	hold_until_gone(true);
}
END_TEST

/* No vnplugd: a clear error, exit status 1. */
START_TEST(tool_refused)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char out[4096], path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/none.sock", d.dir);
	ck_assert_int_eq(run_tool(path, out, sizeof(out),
				  (const char *const[]){"vnplug-tool", "ping",
							NULL}),
			 1);
	HAS(out, "ping: FAIL: cannot connect to vnplugd at ");
	HAS(out, "none.sock (VNPLUG_SOCKET): -ENOENT");
	HAS(out, "no such socket; is vnplugd running?");
	/* A socket file nobody listens on (a vnplugd that died). */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, d.sock);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	TOOL_EXIT(1, out, "pattern", "64K");
	HAS(out, "pattern: FAIL: cannot connect to vnplugd at ");
	HAS(out, "vm1.sock (VNPLUG_SOCKET): -ECONNREFUSED (Connection "
		 "refused): nothing listens there; is vnplugd running?");
	close(fd);
	unlink(d.sock);
}
END_TEST

/* ---- the socket protocol, from the test's side ------------------------ */

struct frame {
	struct vnplug_sock_hdr h;
	uint8_t p[VNPLUG_SOCK_MAX];
	int fds[8];
	int nfds;
};

static int raw_send(int fd, const void *buf, size_t len, const int *fds,
		    int nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct iovec iov = {(void *)buf, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (nfds) {
		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* A frame whose header says hnfds descriptors, carrying nfds. */
static int send_frame(int fd, uint16_t type, uint32_t seq, const void *p,
		      size_t len, uint16_t hnfds, const int *fds, int nfds)
{
	static uint8_t buf[HDR + VNPLUG_SOCK_MAX];
	struct vnplug_sock_hdr h = {
	    .magic = VNPLUG_SOCK_MAGIC,
	    .type = type,
	    .nfds = hnfds,
	    .len = (uint32_t)len,
	    .seq = seq,
	};

	memcpy(buf, &h, HDR);
	if (len)
		memcpy(buf + HDR, p, len);
	return raw_send(fd, buf, HDR + len, fds, nfds);
}

static void collect(struct frame *f, struct msghdr *m)
{
	struct cmsghdr *c;
	int n;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (f->nfds + n > 8)
			n = 8 - f->nfds;
		memcpy(f->fds + f->nfds, CMSG_DATA(c), sizeof(int) * n);
		f->nfds += n;
	}
}

/* 1: read, 0: end of file (or reset), -1: nothing within ms or error. */
static int recv_exact(int fd, void *buf, size_t len, struct frame *f, int ms)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		struct iovec iov = {(uint8_t *)buf + got, len - got};
		struct msghdr m = {
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cm.buf,
		    .msg_controllen = sizeof(cm.buf),
		};

		if (poll(&p, 1, ms) <= 0)
			return -1;
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == ECONNRESET)
			return 0;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		collect(f, &m);
		got += (size_t)n;
	}
	return 1;
}

static int recv_frame(int fd, struct frame *f, int ms)
{
	int r;

	f->nfds = 0;
	r = recv_exact(fd, &f->h, HDR, f, ms);
	if (r != 1)
		return r;
	if (f->h.magic != VNPLUG_SOCK_MAGIC || f->h.len > VNPLUG_SOCK_MAX)
		return -1;
	if (!f->h.len)
		return 1;
	return recv_exact(fd, f->p, f->h.len, f, ms) == 1 ? 1 : -1;
}

static size_t build_msg(uint8_t *buf, uint8_t type, uint32_t session,
			const void *body, size_t len)
{
	struct vnplug_msg_hdr m = {
	    .version = VNPLUG_VERSION,
	    .type = type,
	    .session = session,
	    .len = (uint32_t)len,
	};

	memcpy(buf, &m, MHDR);
	if (len)
		memcpy(buf + MHDR, body, len);
	return MHDR + len;
}

/* The VM's one connection is taken (as by QEMU): -EBUSY, explained. */
START_TEST(tool_busy)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vnplug_sock_hello h = {.version = VNPLUG_VERSION};
	static struct frame f;
	char out[4096];
	int fd;

	start();
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, d.sock);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(send_frame(fd, VNPLUG_SOCK_HELLO, 1, &h, sizeof(h), 0,
				    NULL, 0),
			 0);
	ck_assert_int_eq(recv_frame(fd, &f, TMO), 1);
	ck_assert_uint_eq(f.h.type, VNPLUG_SOCK_HELLO);
	TOOL_EXIT(1, out, "ping");
	HAS(out, "ping: FAIL: cannot connect to vnplugd at ");
	HAS(out, "(VNPLUG_SOCKET): -EBUSY (Device or resource busy): the VM "
		 "already has a connection (QEMU or another process)");
	close(fd);
	TOOL_EXIT(0, out, "ping", "-c", "1");
	HAS(out, "ping: 1/1 ok");
	stop();
}
END_TEST

/* ---- the API against the real vnplugd ---------------------------------- */

static struct vnplug_session *open_session(void)
{
	struct vnplug_session *s = NULL;
	int64_t end = now_ms() + TMO;
	int err;

	/* vnplugd may not have seen the last connection go yet. */
	while ((err = vnplug_session_open(&s)) == -EBUSY && now_ms() < end)
		usleep(20000);
	ck_assert_msg(!err, "vnplug_session_open: %s", strerror(-err));
	return s;
}

static int test_call(struct vnplug_session *s, uint32_t op, const void *req,
		     size_t reqlen, void *rep, size_t replen, size_t *outlen)
{
	static uint8_t scratch[VNPLUG_MSG_MAX];

	if (!rep) {
		rep = scratch;
		replen = sizeof(scratch);
	}
	return vnplug_call(s, VNPLUG_APP_TEST, op, req, reqlen, rep, replen,
			   outlen, TMO);
}

static uint32_t host_map(struct vnplug_session *s, uint64_t size)
{
	struct vnplug_test_map req = {.size = htole64(size)}, rep;
	size_t n;

	ck_assert_int_eq(test_call(s, VNPLUG_TEST_MAP, &req, sizeof(req), &rep,
				   sizeof(rep), &n),
			 0);
	ck_assert_uint_eq(n, sizeof(rep));
	ck_assert_uint_eq(le64toh(rep.size), size);
	ck_assert_uint_ne(rep.region_id, 0);
	return le32toh(rep.region_id);
}

static int host_unmap(struct vnplug_session *s, uint32_t id)
{
	struct vnplug_test_region req = {.region_id = htole32(id)};

	return test_call(s, VNPLUG_TEST_UNMAP, &req, sizeof(req), NULL, 0,
			 NULL);
}

static struct vnplug_test_stats host_stats(struct vnplug_session *s)
{
	struct vnplug_test_stats st;
	size_t n;

	ck_assert_int_eq(test_call(s, VNPLUG_TEST_STATS, NULL, 0, &st,
				   sizeof(st), &n),
			 0);
	ck_assert_uint_eq(n, sizeof(st));
	return st;
}

static uint32_t host_doorbells(struct vnplug_session *s, uint32_t id)
{
	struct vnplug_test_region req = {.region_id = htole32(id)}, rep;
	size_t n;

	ck_assert_int_eq(test_call(s, VNPLUG_TEST_DOORBELLS, &req, sizeof(req),
				   &rep, sizeof(rep), &n),
			 0);
	ck_assert_uint_eq(n, sizeof(rep));
	return le32toh(rep.count);
}

static void host_signal(struct vnplug_session *s, uint32_t id, uint32_t n)
{
	struct vnplug_test_region req = {.region_id = htole32(id),
					 .count = htole32(n)};

	ck_assert_int_eq(test_call(s, VNPLUG_TEST_SIGNAL, &req, sizeof(req),
				   NULL, 0, NULL),
			 0);
}

static uint8_t pattern_byte(uint32_t id, uint64_t size, uint64_t i)
{
	uint32_t head[2] = {htole32(id), htole32((uint32_t)size)};

	if (i < sizeof(head))
		return ((const uint8_t *)head)[i];
	return (uint8_t)((i * 31 + id) & 0xff);
}

static short poll_revents(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};

	return poll(&p, 1, ms) > 0 ? p.revents : 0;
}

/* Reading the first byte of mem in a child: how it ends. */
static int touch_in_child(const volatile uint8_t *mem)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		/* ASan would report it and exit 1 otherwise. */
		signal(SIGBUS, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		(void)mem[0];
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * A revoked mapping, in a child: every byte of [mem, mem + len) must read
 * zero (vnplugd's memory replaced by zeroed memory, as vnplug.ko maps a
 * zeroed page once a device is gone), and writes must not crash. 0 if so,
 * 1 a byte not zero, 2 a write not read back, 128 + signal a crash.
 */
static int revoked_in_child(const volatile void *p, size_t len)
{
	volatile uint8_t *mem = (volatile uint8_t *)(uintptr_t)p;
	pid_t pid = fork();
	size_t i;
	int st;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		/* ASan would report it and exit 1 otherwise. */
		signal(SIGBUS, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		for (i = 0; i < len; i++)
			if (mem[i])
				_exit(1);
		mem[0] = 0xa5;
		mem[len - 1] = 0x5a;
		_exit(mem[0] == 0xa5 && mem[len - 1] == 0x5a ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The region and the control page of a revoked region read zeros. */
#define ASSERT_REVOKED(r)                                                      \
	do {                                                                   \
		ck_assert_int_eq(revoked_in_child(vnplug_region_mem(r),        \
						  vnplug_region_size(r)),      \
				 0);                                           \
		ck_assert_int_eq(revoked_in_child(vnplug_region_ctrl(r),       \
						  VNPLUG_CTRL_PAGE_SIZE),      \
				 0);                                           \
	} while (0)

START_TEST(api_messages)
{
	struct vnplug_app_hdr hdr;
	struct vnplug_session *s;
	unsigned int fds0 = count_fds();
	char buf[64];
	uint32_t i;
	int fd;

	start();
	ck_assert_str_eq(vnplug_socket_path(), d.sock);
	s = open_session();
	fd = vnplug_session_fd(s);
	ck_assert_int_eq(poll_revents(fd, POLLIN, 0), 0);
	ck_assert_int_eq(vnplug_send(s, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 77,
				     "hello", 5),
			 0);
	ck_assert_int_eq(poll_revents(fd, POLLIN, TMO), POLLIN);
	ck_assert_int_eq(vnplug_recv(s, &hdr, buf, sizeof(buf), 0), 5);
	ck_assert_uint_eq(hdr.app_id, VNPLUG_APP_TEST);
	ck_assert_uint_eq(hdr.op, VNPLUG_TEST_PING);
	ck_assert_uint_eq(hdr.seq, 77);
	ck_assert_int_eq(hdr.status, 0);
	ck_assert_mem_eq(buf, "hello", 5);
	/* Nothing queued: not readable any more. */
	ck_assert_int_eq(poll_revents(fd, POLLIN, 0), 0);
	ck_assert_int_eq(vnplug_recv(s, &hdr, buf, sizeof(buf), 0),
			 -ETIMEDOUT);
	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(vnplug_send(s, VNPLUG_APP_TEST,
					     VNPLUG_TEST_PING, i, &i,
					     sizeof(i)),
				 0);
	for (i = 1; i <= 3; i++) {
		ck_assert_int_eq(vnplug_recv(s, &hdr, buf, sizeof(buf), TMO),
				 4);
		ck_assert_uint_eq(hdr.seq, i);
		ck_assert_mem_eq(buf, &i, 4);
	}
	ck_assert_int_eq(vnplug_recv(s, &hdr, buf, sizeof(buf), 50),
			 -ETIMEDOUT);
	/* vnplugd's ERROR for an unknown application. */
	ck_assert_int_eq(vnplug_call(s, 99, 1, NULL, 0, buf, sizeof(buf), NULL,
				     TMO),
			 -ENOENT);
	ck_assert_ptr_nonnull(vnplug_session_error(s));
	ck_assert_ptr_nonnull(
	    strstr(vnplug_session_error(s), "unknown application 99"));
	ck_assert_uint_eq(host_stats(s).sessions, 1);
	vnplug_session_close(s);
	/* The connection went with the last session. */
	ck_assert_uint_eq(count_fds(), fds0);
	ck_assert(wait_log("disconnected", TMO));
	stop();
}
END_TEST

START_TEST(api_region_events)
{
	struct vnplug_test_read rd;
	struct vnplug_region *r, *r2;
	struct vnplug_session *s;
	const struct vnplug_ctrl_page *cp;
	unsigned int fds0 = count_fds();
	uint8_t *mem, back[16];
	uint32_t id, count;
	int64_t end;
	size_t n;
	uint64_t i;

	start();
	s = open_session();
	id = host_map(s, 64 << 10);
	ck_assert_int_eq(vnplug_region_map(id, TMO, &r), 0);
	ck_assert_uint_eq(vnplug_region_id(r), id);
	ck_assert_uint_eq(vnplug_region_size(r), 64 << 10);
	mem = vnplug_region_mem(r);
	for (i = 0; i < (64 << 10); i++)
		if (mem[i] != pattern_byte(id, 64 << 10, i))
			ck_abort_msg("offset %" PRIu64 ": 0x%02x", i, mem[i]);
	cp = vnplug_region_ctrl(r);
	ck_assert_uint_eq(le32toh(cp->magic), VNPLUG_CTRL_MAGIC);
	ck_assert_uint_eq(le32toh(cp->region_id), id);
	ck_assert_uint_eq(le32toh(cp->app_id), VNPLUG_APP_TEST);

	/* Doorbells: exactly as many as rung. */
	ck_assert_uint_eq(host_doorbells(s, id), 0);
	for (i = 0; i < 7; i++)
		vnplug_region_notify(r);
	end = now_ms() + TMO;
	while ((count = host_doorbells(s, id)) < 7 && now_ms() < end)
		usleep(10000);
	usleep(100000);
	ck_assert_uint_eq(host_doorbells(s, id), 7);

	/* Interrupts: SIGNAL answers after its writes; they add up. */
	host_signal(s, id, 3);
	ck_assert_int_eq(vnplug_region_wait(r, TMO), 3);
	ck_assert_int_eq(vnplug_region_wait(r, 0), -ETIMEDOUT);
	ck_assert_int_eq(poll_revents(vnplug_region_fd(r), POLLIN, 0), 0);
	host_signal(s, id, 1);
	ck_assert_int_eq(poll_revents(vnplug_region_fd(r), POLLIN, TMO),
			 POLLIN);
	ck_assert_int_eq(vnplug_region_wait(r, 0), 1);
	ck_assert_uint_eq(le64toh(cp->host_signals), 4);

	/* The host reads what this process wrote. */
	memcpy(mem + 100, "socket mode", 11);
	rd.region_id = htole32(id);
	rd.len = htole32(11);
	rd.offset = htole64(100);
	ck_assert_int_eq(test_call(s, VNPLUG_TEST_READ, &rd, sizeof(rd), back,
				   sizeof(back), &n),
			 0);
	ck_assert_uint_eq(n, 11);
	ck_assert_mem_eq(back, "socket mode", 11);

	/* A second handle on the same region. */
	ck_assert_int_eq(vnplug_region_map(id, 0, &r2), 0);
	ck_assert_ptr_eq(vnplug_region_mem(r2), mem);
	vnplug_region_unmap(r2);
	ck_assert_int_eq(touch_in_child(mem), 0);

	/* Unmapped by the host while mapped here: revoked, -ENODEV. */
	ck_assert_int_eq(host_unmap(s, id), 0);
	ck_assert_int_eq(vnplug_region_wait(r, TMO), -ENODEV);
	ck_assert_int_eq(vnplug_region_wait(r, 0), -ENODEV);
	ck_assert(poll_revents(vnplug_region_fd(r), POLLIN, 0) & POLLHUP);
	ck_assert_int_eq(vnplug_region_wait_gone(id, 0), 0);
	ck_assert_int_eq(vnplug_region_map(id, 0, &r2), -ETIMEDOUT);
	ASSERT_REVOKED(r);
	vnplug_region_unmap(r);
	ck_assert_uint_eq(host_stats(s).regions, 0);
	/* Unmapped here first: the host's UNMAP is confirmed at once. */
	id = host_map(s, 8192);
	ck_assert_int_eq(vnplug_region_map(id, TMO, &r), 0);
	vnplug_region_unmap(r);
	ck_assert_int_eq(vnplug_region_wait_gone(id, 0), -ETIMEDOUT);
	ck_assert_int_eq(host_unmap(s, id), 0);
	ck_assert_int_eq(vnplug_region_wait_gone(id, 0), 0);
	ck_assert_uint_eq(host_stats(s).regions, 0);
	ck_assert_uint_eq(host_stats(s).sessions, 1);
	vnplug_session_close(s);
	ck_assert_uint_eq(count_fds(), fds0);
	stop();
}
END_TEST

/* Closing a session unmaps its regions; the last one ends the connection. */
START_TEST(api_session_close)
{
	struct vnplug_session *s1, *s2, *s3;
	struct vnplug_region *ra, *rc;
	unsigned int fds0 = count_fds();
	uint32_t a, b, c;

	start();
	s1 = open_session();
	s2 = open_session();
	ck_assert_uint_eq(host_stats(s2).sessions, 2);
	a = host_map(s1, 64 << 10);
	b = host_map(s1, 64 << 10);
	ck_assert_int_eq(vnplug_region_map(a, TMO, &ra), 0);
	ck_assert_uint_eq(host_stats(s2).regions, 2);
	vnplug_session_close(s1);
	ck_assert_int_eq(vnplug_region_wait(ra, TMO), -ENODEV);
	ASSERT_REVOKED(ra);
	ck_assert_int_eq(vnplug_region_wait_gone(b, TMO), 0);
	vnplug_region_unmap(ra);
	ck_assert_uint_eq(host_stats(s2).regions, 0);
	ck_assert_uint_eq(host_stats(s2).sessions, 1);

	c = host_map(s2, 64 << 10);
	ck_assert_int_eq(vnplug_region_map(c, TMO, &rc), 0);
	vnplug_session_close(s2);
	/* No connection any more: gone at once, nothing to map. */
	ck_assert_int_eq(vnplug_region_wait(rc, 0), -ENODEV);
	ASSERT_REVOKED(rc);
	vnplug_region_unmap(rc);
	ck_assert_int_eq(vnplug_region_map(c, 0, &rc), -ENOTCONN);
	ck_assert_int_eq(vnplug_region_wait_gone(c, 0), 0);
	ck_assert_uint_eq(count_fds(), fds0);

	/* A new connection; vnplugd freed everything of the last one. */
	s3 = open_session();
	ck_assert_uint_eq(host_stats(s3).regions, 0);
	ck_assert_uint_eq(host_stats(s3).sessions, 1);
	vnplug_session_close(s3);
	ck_assert_uint_eq(count_fds(), fds0);
	stop();
}
END_TEST

/* A client killed mid-session: vnplugd frees its session and region. */
START_TEST(killed_client)
{
	struct vnplug_test_stats st;
	struct vnplug_session *s;
	struct vnplug_region *r;
	char ready = 0, text[64];
	int p[2], status;
	pid_t pid;

	start();
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		close(p[0]);
		if (vnplug_session_open(&s))
			_exit(10);
		if (vnplug_region_map(host_map(s, 64 << 10), TMO, &r))
			_exit(11);
		st = host_stats(s);
		if (st.regions != 1 || st.sessions != 1)
			_exit(12);
		if (write(p[1], "R", 1) != 1)
			_exit(13);
		pause();
		_exit(14);
	}
	close(p[1]);
	ck_assert_int_eq(poll_revents(p[0], POLLIN, 10000) & POLLIN, POLLIN);
	ck_assert_int_eq(read(p[0], &ready, 1), 1);
	ck_assert_int_eq(ready, 'R');
	close(p[0]);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	snprintf(text, sizeof(text), "QEMU pid %d disconnected", (int)pid);
	ck_assert(wait_log(text, TMO));
	s = open_session();
	st = host_stats(s);
	ck_assert_uint_eq(st.regions, 0);
	ck_assert_uint_eq(st.sessions, 1);
	vnplug_session_close(s);
	stop();
}
END_TEST

/* vnplugd dies: sessions stale (-ECONNRESET), regions -EPIPE. */
START_TEST(daemon_gone)
{
	struct vnplug_app_hdr hdr;
	struct vnplug_session *s, *s2;
	struct vnplug_region *r;
	unsigned int fds0 = count_fds();
	char buf[16];

	start();
	s = open_session();
	ck_assert_int_eq(vnplug_region_map(host_map(s, 64 << 10), TMO, &r), 0);
	ck_assert_int_eq(kill(d.pid, SIGKILL), 0);
	ck_assert_int_eq(wait_exit(d.pid, TMO), 128 + SIGKILL);
	d.pid = 0;
	ck_assert(poll_revents(vnplug_session_fd(s), POLLIN, TMO) & POLLHUP);
	ck_assert_int_eq(vnplug_recv(s, &hdr, buf, sizeof(buf), TMO),
			 -ECONNRESET);
	ck_assert_int_eq(vnplug_send(s, VNPLUG_APP_TEST, VNPLUG_TEST_PING, 1,
				     "x", 1),
			 -ECONNRESET);
	ck_assert_int_eq(vnplug_call(s, VNPLUG_APP_TEST, VNPLUG_TEST_PING, "x",
				     1, buf, sizeof(buf), NULL, TMO),
			 -ECONNRESET);
	ck_assert_int_eq(vnplug_region_wait(r, TMO), -EPIPE);
	ck_assert(poll_revents(vnplug_region_fd(r), POLLIN, 0) & POLLHUP);
	ASSERT_REVOKED(r);
	/* Its socket file is left, nobody listens. */
	ck_assert_int_eq(vnplug_session_open(&s2), -ECONNREFUSED);
	vnplug_region_unmap(r);
	vnplug_session_close(s);
	ck_assert_uint_eq(count_fds(), fds0);
	/* A new vnplugd, a new connection. */
	start();
	s = open_session();
	ck_assert_uint_eq(host_stats(s).sessions, 1);
	vnplug_session_close(s);
	stop();
}
END_TEST

/* ---- a misbehaving vnplugd ------------------------------------------- */

#define FAKE_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fake vnplugd: line %d: %s\n",         \
				__LINE__, #cond);                              \
			_exit(1);                                              \
		}                                                              \
	} while (0)

enum fake_case {
	FAKE_GARBAGE,	     /* bad magic */
	FAKE_STRAY_FD,	     /* a descriptor the header does not announce */
	FAKE_FD_ON_CTRL,     /* an announced descriptor on a CTRL frame */
	FAKE_SHORT,	     /* a frame cut short by the end of the stream */
	FAKE_REFUSE,	     /* ERROR instead of HELLO */
	FAKE_BAD_VERSION,    /* HELLO of another version */
	FAKE_PROTOCOL,	     /* MAP, PING, UNMAP and their answers */
};

static struct frame ff;
static uint32_t fake_session; /* the client's, from its SESSION_OPEN */

static void fake_expect(int fd, uint16_t type)
{
	int r = recv_frame(fd, &ff, TMO);

	if (r != 1)
		fprintf(stderr, "fake vnplugd: expected frame %u, got %d\n",
			type, r);
	FAKE_CHECK(r == 1);
	if (ff.h.type != type)
		fprintf(stderr, "fake vnplugd: expected frame %u, got %u\n",
			type, ff.h.type);
	FAKE_CHECK(ff.h.type == type);
}

/* The client's ERROR, then the end of the connection. */
static void fake_expect_drop(int fd, int status)
{
	struct vnplug_sock_error e;

	fake_expect(fd, VNPLUG_SOCK_ERROR);
	FAKE_CHECK(ff.h.len == sizeof(e));
	memcpy(&e, ff.p, sizeof(e));
	FAKE_CHECK(e.status == status);
	FAKE_CHECK(recv_frame(fd, &ff, TMO) == 0);
}

static void fake_expect_ctrl(int fd, uint8_t type, uint32_t session)
{
	struct vnplug_msg_hdr m;

	fake_expect(fd, VNPLUG_SOCK_CTRL);
	FAKE_CHECK(ff.h.len >= MHDR);
	memcpy(&m, ff.p, MHDR);
	if (type == VNPLUG_MSG_SESSION_OPEN && !session && m.session)
		fake_session = session = m.session;
	FAKE_CHECK(m.type == type && m.session == session);
	FAKE_CHECK(m.len == ff.h.len - MHDR);
}

static void fake_expect_region(int fd, uint16_t type, uint32_t seq,
			       uint32_t id, int status)
{
	struct vnplug_sock_region m;

	fake_expect(fd, type);
	FAKE_CHECK(ff.h.len == sizeof(m) && ff.h.seq == seq);
	memcpy(&m, ff.p, sizeof(m));
	FAKE_CHECK(m.region_id == id && m.status == status);
}

static void fake_protocol(int fd, int go)
{
	struct vnplug_sock_map map = {.region_id = 5,
				      .app_id = VNPLUG_APP_TEST,
				      .session = fake_session,
				      .size = 8000};
	struct vnplug_sock_region un = {.region_id = 5};
	struct vnplug_ctrl_page cp = {.magic = VNPLUG_CTRL_MAGIC,
				      .region_id = 5};
	uint64_t cookie = 0x1122334455667788ULL, v;
	struct {
		struct vnplug_app_hdr a;
		char text[5];
	} app = {{VNPLUG_APP_TEST, VNPLUG_TEST_PING, 9, 0}, "fake!"};
	uint8_t msg[128];
	int fds[4], i;
	char c;

	fds[0] = memfd_create("mem", MFD_CLOEXEC);
	fds[1] = memfd_create("ctrl", MFD_CLOEXEC);
	fds[2] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds[3] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	FAKE_CHECK(fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0 && fds[3] >= 0);
	FAKE_CHECK(!ftruncate(fds[0], 8192) && !ftruncate(fds[1], 4096));
	FAKE_CHECK(pwrite(fds[0], "region five", 11, 0) == 11);
	FAKE_CHECK(pwrite(fds[1], &cp, sizeof(cp), 0) == sizeof(cp));
	/* Three descriptors: refused, closed, the connection goes on. */
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_MAP, 41, &map, sizeof(map), 3,
			       fds, 3));
	fake_expect_region(fd, VNPLUG_SOCK_MAPPED, 41, 5, -EINVAL);
	/* A MAP of the wrong size: ERROR, descriptors closed. */
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_MAP, 42, &map, sizeof(map) - 8,
			       4, fds, 4));
	fake_expect(fd, VNPLUG_SOCK_ERROR);
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_MAP, 43, &map, sizeof(map), 4,
			       fds, 4));
	fake_expect_region(fd, VNPLUG_SOCK_MAPPED, 43, 5, 0);
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_MAP, 44, &map, sizeof(map), 4,
			       fds, 4));
	fake_expect_region(fd, VNPLUG_SOCK_MAPPED, 44, 5, -EEXIST);
	/* PING: the guest driver's PONG, same cookie. */
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_CTRL, 45, msg,
			       build_msg(msg, VNPLUG_MSG_PING, 0, &cookie, 8),
			       0, NULL, 0));
	fake_expect_ctrl(fd, VNPLUG_MSG_PONG, 0);
	FAKE_CHECK(ff.h.len == MHDR + 8 && !memcmp(ff.p + MHDR, &cookie, 8));
	/* A message for nobody, one for the client's session. */
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_CTRL, 46, msg,
			       build_msg(msg, VNPLUG_MSG_APP, fake_session + 1,
					 &app, AHDR + 5),
			       0, NULL, 0));
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_CTRL, 47, msg,
			       build_msg(msg, VNPLUG_MSG_APP, fake_session,
					 &app, AHDR + 5),
			       0, NULL, 0));
	/* The doorbell the client rings, then two interrupts for it. */
	for (i = 0; i < 300 && read(fds[2], &v, 8) != 8; i++)
		usleep(10000);
	FAKE_CHECK(i < 300 && v == 1);
	v = 2;
	FAKE_CHECK(write(fds[3], &v, 8) == 8);
	/* An unknown region: -ENOENT at once. */
	un.region_id = 77;
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_UNMAP, 48, &un, sizeof(un), 0,
			       NULL, 0));
	fake_expect_region(fd, VNPLUG_SOCK_UNMAPPED, 48, 77, -ENOENT);
	/* The client waited: unplug while it still maps the region. */
	FAKE_CHECK(read(go, &c, 1) == 1);
	un.region_id = 5;
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_UNMAP, 49, &un, sizeof(un), 0,
			       NULL, 0));
	fake_expect_region(fd, VNPLUG_SOCK_UNMAPPED, 49, 5, 0);
	/* The client closes its session (after UNMAPPED, which it waited
	 * for): SESSION_CLOSE, then the end. */
	fake_expect_ctrl(fd, VNPLUG_MSG_SESSION_CLOSE, fake_session);
	FAKE_CHECK(recv_frame(fd, &ff, TMO) == 0);
}

/* The fake vnplugd, in a child: listens on d.sock, plays one case. */
static pid_t fake_start(enum fake_case fc, int *gop)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vnplug_sock_hello hello = {.version = VNPLUG_VERSION};
	struct vnplug_sock_error e = {.status = -EBUSY, .text = "busy"};
	int lfd, fd, go[2], efd;
	uint8_t junk[64] = {0};
	pid_t pid;

	unlink(d.sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	strcpy(sa.sun_path, d.sock);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid) {
		close(lfd);
		close(go[0]);
		*gop = go[1];
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(20);
	close(go[1]);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	FAKE_CHECK(fd >= 0);
	if (fc == FAKE_REFUSE) {
		FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_ERROR, 1, &e, sizeof(e),
				       0, NULL, 0));
		close(fd);
		_exit(0);
	}
	fake_expect(fd, VNPLUG_SOCK_HELLO);
	FAKE_CHECK(ff.h.len == sizeof(hello));
	if (fc == FAKE_BAD_VERSION) {
		hello.version = 99;
		FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_HELLO, ff.h.seq, &hello,
				       sizeof(hello), 0, NULL, 0));
		fake_expect_drop(fd, -EPROTO);
		_exit(0);
	}
	FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_HELLO, ff.h.seq, &hello,
			       sizeof(hello), 0, NULL, 0));
	fake_expect_ctrl(fd, VNPLUG_MSG_SESSION_OPEN, 0);
	FAKE_CHECK(ff.h.len == MHDR);
	efd = eventfd(0, EFD_CLOEXEC);
	FAKE_CHECK(efd >= 0);
	switch (fc) {
	case FAKE_GARBAGE:
		FAKE_CHECK(write(fd, junk, sizeof(junk)) == sizeof(junk));
		fake_expect_drop(fd, -EPROTO);
		break;
	case FAKE_STRAY_FD:
		/* A PING whose header announces no descriptor. */
		FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_CTRL, 5, junk,
				       build_msg(junk, VNPLUG_MSG_PING, 0,
						 junk + 32, 8),
				       0, &efd, 1));
		fake_expect_drop(fd, -EPROTO);
		break;
	case FAKE_FD_ON_CTRL:
		FAKE_CHECK(!send_frame(fd, VNPLUG_SOCK_CTRL, 5, junk,
				       build_msg(junk, VNPLUG_MSG_PING, 0,
						 junk + 32, 8),
				       1, &efd, 1));
		fake_expect_drop(fd, -EPROTO);
		break;
	case FAKE_SHORT: {
		struct vnplug_sock_hdr h = {.magic = VNPLUG_SOCK_MAGIC,
					    .type = VNPLUG_SOCK_CTRL,
					    .len = 64,
					    .seq = 6};

		memcpy(junk, &h, HDR);
		FAKE_CHECK(write(fd, junk, HDR + 10) == HDR + 10);
		shutdown(fd, SHUT_WR);
		fake_expect_drop(fd, -EPROTO);
		break;
	}
	case FAKE_PROTOCOL:
		fake_protocol(fd, go[0]);
		break;
	default:
		break;
	}
	_exit(0);
}

static void fake_end(pid_t pid, int go)
{
	close(go);
	ck_assert_int_eq(wait_exit(pid, 10000), 0);
	unlink(d.sock);
}

/* The stream cannot be trusted: the connection ends, callers hear it. */
START_TEST(bad_input_drops)
{
	static const enum fake_case cases[] = {FAKE_GARBAGE, FAKE_STRAY_FD,
					       FAKE_FD_ON_CTRL, FAKE_SHORT};
	struct vnplug_app_hdr hdr;
	struct vnplug_session *s;
	unsigned int fds0 = count_fds();
	char buf[16];
	size_t i;
	pid_t pid;
	int go;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid = fake_start(cases[i], &go);
		ck_assert_int_eq(vnplug_session_open(&s), 0);
		ck_assert(poll_revents(vnplug_session_fd(s), POLLIN, TMO) &
			  POLLHUP);
		ck_assert_int_eq(vnplug_recv(s, &hdr, buf, sizeof(buf), TMO),
				 -ECONNRESET);
		ck_assert_int_eq(vnplug_send(s, VNPLUG_APP_TEST, 1, 1, "x", 1),
				 -ECONNRESET);
		vnplug_session_close(s);
		fake_end(pid, go);
		/* Stray descriptors closed, nothing kept. */
		ck_assert_uint_eq(count_fds(), fds0);
	}
}
END_TEST

START_TEST(hello_refused)
{
	struct vnplug_session *s;
	unsigned int fds0 = count_fds();
	pid_t pid;
	int go;

	pid = fake_start(FAKE_REFUSE, &go);
	ck_assert_int_eq(vnplug_session_open(&s), -EBUSY);
	fake_end(pid, go);
	ck_assert_uint_eq(count_fds(), fds0);
	pid = fake_start(FAKE_BAD_VERSION, &go);
	ck_assert_int_eq(vnplug_session_open(&s), -EPROTONOSUPPORT);
	fake_end(pid, go);
	ck_assert_uint_eq(count_fds(), fds0);
}
END_TEST

/* MAP, MAPPED, PING/PONG, doorbell, interrupts, UNMAP, UNMAPPED. */
START_TEST(protocol_as_qemu)
{
	const struct vnplug_ctrl_page *cp;
	struct vnplug_app_hdr hdr;
	struct vnplug_session *s;
	struct vnplug_region *r;
	unsigned int fds0 = count_fds();
	char buf[16];
	pid_t pid;
	int go;

	pid = fake_start(FAKE_PROTOCOL, &go);
	ck_assert_int_eq(vnplug_session_open(&s), 0);
	ck_assert_int_eq(vnplug_region_map(5, TMO, &r), 0);
	ck_assert_uint_eq(vnplug_region_size(r), 8000);
	ck_assert_mem_eq(vnplug_region_mem(r), "region five", 11);
	cp = vnplug_region_ctrl(r);
	ck_assert_uint_eq(cp->magic, VNPLUG_CTRL_MAGIC);
	ck_assert_uint_eq(cp->region_id, 5);
	/* Only the message for this session arrives. */
	ck_assert_int_eq(vnplug_recv(s, &hdr, buf, sizeof(buf), TMO), 5);
	ck_assert_uint_eq(hdr.seq, 9);
	ck_assert_mem_eq(buf, "fake!", 5);
	ck_assert_int_eq(vnplug_recv(s, &hdr, buf, sizeof(buf), 100),
			 -ETIMEDOUT);
	vnplug_region_notify(r);
	ck_assert_int_eq(vnplug_region_wait(r, TMO), 2);
	ck_assert_int_eq(write(go, "g", 1), 1);
	ck_assert_int_eq(vnplug_region_wait(r, TMO), -ENODEV);
	ASSERT_REVOKED(r);
	/* UNMAPPED is sent: the session's close comes after it. */
	ck_assert_int_eq(vnplug_region_wait_gone(5, TMO), 0);
	vnplug_region_unmap(r);
	vnplug_session_close(s);
	fake_end(pid, go);
	ck_assert_uint_eq(count_fds(), fds0);
}
END_TEST

static Suite *sock_suite(void)
{
	Suite *s = suite_create("vnplug_sock");
	TCase *tool = tcase_create("tool");
	TCase *api = tcase_create("api");
	TCase *fake = tcase_create("fake_vnplugd");

	tcase_set_timeout(tool, 60);
	tcase_add_checked_fixture(tool, NULL, kill_daemon);
	tcase_add_test(tool, tool_ping);
	tcase_add_test(tool, tool_pattern_write);
	tcase_add_test(tool, tool_doorbell_signal);
	tcase_add_test(tool, tool_cycles_stats);
	tcase_add_test(tool, tool_bench);
	tcase_add_test(tool, tool_hold);
	tcase_add_test(tool, tool_refused);
	tcase_add_test(tool, tool_busy);
	suite_add_tcase(s, tool);
	tcase_set_timeout(api, 30);
	tcase_add_checked_fixture(api, NULL, kill_daemon);
	tcase_add_test(api, api_messages);
	tcase_add_test(api, api_region_events);
	tcase_add_test(api, api_session_close);
	tcase_add_test(api, killed_client);
	tcase_add_test(api, daemon_gone);
	suite_add_tcase(s, api);
	tcase_set_timeout(fake, 30);
	tcase_add_checked_fixture(fake, NULL, kill_daemon);
	tcase_add_test(fake, bad_input_drops);
	tcase_add_test(fake, hello_refused);
	tcase_add_test(fake, protocol_as_qemu);
	suite_add_tcase(s, fake);
	return s;
}

int main(void)
{
	d.main_pid = getpid();
	strcpy(d.dir, "/tmp/vnplug-sock-test.XXXXXX");
	if (!mkdtemp(d.dir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	snprintf(d.conf, sizeof(d.conf), "%s/vnplugd.conf", d.dir);
	snprintf(d.log, sizeof(d.log), "%s/vnplugd.log", d.dir);
	snprintf(d.sock, sizeof(d.sock), "%s/vm1.sock", d.dir);
	/* Before the library's first look, for the whole run. */
	setenv("VNPLUG_SOCKET", d.sock, 1);
	atexit(cleanup);
	return run_suite(sock_suite());
}
