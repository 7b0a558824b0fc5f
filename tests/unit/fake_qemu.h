/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake QEMU for the suites that run the real vnplugd: starting the daemon
 * on a configuration in a temporary directory, layer-2 frames on a VM's
 * socket (include/uapi/vnplug.h), layer-1 control messages inside CTRL
 * frames, and the MAP / MAPPED / UNMAP / UNMAPPED exchange of a region.
 * Shared by test_vnplugd_proto.c (the framework, the test back-end) and
 * test_vpfring_proto.c (the vPF_RING back-end). Each helper fails the
 * running Check test on anything unexpected.
 */
#ifndef FAKE_QEMU_H
#define FAKE_QEMU_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uapi/vnplug.h"

/* A suite uses only some of these. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#define TMO 3000		/* ms to wait for a frame that must come */
#define QUIET 200		/* ms of silence meaning "nothing sent" */
#define HDR sizeof(struct vnplug_sock_hdr)
#define MSG_HDR sizeof(struct vnplug_msg_hdr)
#define APP_HDR sizeof(struct vnplug_app_hdr)

static struct {
	char dir[64];
	char conf[128];
	char log[128];
	pid_t pid;
} d;

static uint32_t qseq;		/* our frame numbers */
static bool auto_pong;		/* answer the daemon's PINGs */
static unsigned int pings_seen;

struct frame {
	struct vnplug_sock_hdr h;
	uint8_t p[VNPLUG_SOCK_MAX];
	int fds[16];
	int nfds;
};

struct msg {
	struct vnplug_msg_hdr m;
	struct vnplug_app_hdr a;	/* VNPLUG_MSG_APP only */
	uint8_t p[VNPLUG_MSG_MAX];
	size_t plen;
};

struct region {
	uint32_t id, session;
	uint64_t size;
	int fds[4];		/* memory, control page, doorbell, interrupt */
	uint8_t *mem;
	struct vnplug_ctrl_page *ctrl;
};

/* ---- the daemon ------------------------------------------------------ */

static void remove_dir(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	if (!d.dir[0])
		return;
	dir = opendir(d.dir);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", d.dir, de->d_name);
		unlink(path);
	}
	if (dir)
		closedir(dir);
	rmdir(d.dir);
	d.dir[0] = '\0';
}

/* Also run at exit: a failed check ends the test process. */
static void cleanup(void)
{
	if (d.pid > 0) {
		kill(d.pid, SIGKILL);
		waitpid(d.pid, NULL, 0);
		d.pid = 0;
	}
	remove_dir();
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static const char *daemon_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("VNPLUGD");
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	ck_assert_int_gt(n, 0);
	path[n] = '\0';
	strcpy(strrchr(path, '/') + 1, "../../bin/vnplugd");
	return path;
}

static void make_dir(void)
{
	static bool registered;

	if (!registered) {
		atexit(cleanup);
		registered = true;
	}
	strcpy(d.dir, "/tmp/vnplugd-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d.dir));
	snprintf(d.conf, sizeof(d.conf), "%s/vnplugd.conf", d.dir);
	snprintf(d.log, sizeof(d.log), "%s/vnplugd.log", d.dir);
	qseq = 0;
	auto_pong = false;
	pings_seen = 0;
}

/* Runs vnplugd with @args (NULL-terminated), stdout and stderr to @out. */
static pid_t spawn(const char *const *args, const char *out)
{
	pid_t parent = getpid(), pid = fork();
	int fd;

	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	/* The daemon must not outlive a test that failed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(126);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(126);
	close_range(3, ~0U, 0);
	execv(daemon_path(), (char *const *)args);
	_exit(127);
}

static void start_conf(const char *global, const char *vms)
{
	const char *args[] = { "vnplugd", "-v", "-c", d.conf, NULL };
	char text[4096];

	snprintf(text, sizeof(text), "[global]\nsocket_dir = %s\n%s\n%s",
		 d.dir, global, vms);
	write_file(d.conf, text);
	d.pid = spawn(args, d.log);
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

/* Exit status of @pid, or -1 if it still runs after @ms. */
static int wait_exit(pid_t pid, int ms)
{
	int st, i;

	for (i = 0; i < ms; i += 10) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st)
					     : 128 + WTERMSIG(st);
		usleep(10000);
	}
	return -1;
}

static void sock_path(char *buf, size_t len, const char *vm)
{
	snprintf(buf, len, "%s/%s.sock", d.dir, vm);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* SIGTERM: the daemon must exit 0 and remove its sockets. */
static void stop(void)
{
	char path[PATH_MAX];
	int st;

	ck_assert_int_eq(kill(d.pid, SIGTERM), 0);
	st = wait_exit(d.pid, 5000);
	if (st != 0)
		dump_log();
	ck_assert_int_eq(st, 0);
	d.pid = 0;
	sock_path(path, sizeof(path), "vm1");
	ck_assert(!exists(path));
	sock_path(path, sizeof(path), "vm2");
	ck_assert(!exists(path));
	remove_dir();
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

static unsigned int log_count(const char *text)
{
	char line[1024];
	unsigned int n = 0;
	FILE *f = fopen(d.log, "r");

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, text) != NULL;
	if (f)
		fclose(f);
	return n;
}

static bool wait_log(const char *text, int ms)
{
	int i;

	for (i = 0; i < ms; i += 20) {
		if (log_has(text))
			return true;
		usleep(20000);
	}
	return false;
}

/* Entries of /proc/PID/fd (PID 0: ours, without the directory's own). */
static unsigned int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	unsigned int n = 0;
	DIR *dir;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	else
		strcpy(path, "/proc/self/fd");
	dir = opendir(path);
	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (!pid && atoi(de->d_name) == dirfd(dir))
			continue;
		n++;
	}
	closedir(dir);
	return n;
}

/* ---- layer 2 --------------------------------------------------------- */

static int q_connect(const char *vm)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, i;

	sock_path(sa.sun_path, sizeof(sa.sun_path), vm);
	for (i = 0; i < 500; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(fd, 0);
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		ck_assert_msg(errno == ENOENT || errno == ECONNREFUSED,
			      "connect %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		usleep(10000);
	}
	dump_log();
	ck_abort_msg("vnplugd never listened on %s", sa.sun_path);
	return -1;
}

static void raw_send(int fd, const void *buf, size_t len, const int *fds,
		     int nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
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
	ck_assert_int_eq(sendmsg(fd, &m, MSG_NOSIGNAL), (ssize_t)len);
}

/* A frame whose header says @hnfds descriptors, carrying @nfds. */
static void q_send_fds(int fd, uint16_t type, uint32_t seq, const void *p,
		       size_t len, uint16_t hnfds, const int *fds, int nfds)
{
	static uint8_t buf[HDR + VNPLUG_SOCK_MAX];
	struct vnplug_sock_hdr h = {
		.magic = VNPLUG_SOCK_MAGIC, .type = type, .nfds = hnfds,
		.len = (uint32_t)len, .seq = seq,
	};

	ck_assert_uint_le(len, VNPLUG_SOCK_MAX);
	memcpy(buf, &h, HDR);
	if (len)
		memcpy(buf + HDR, p, len);
	raw_send(fd, buf, HDR + len, fds, nfds);
}

static uint32_t q_send(int fd, uint16_t type, const void *p, size_t len)
{
	q_send_fds(fd, type, ++qseq, p, len, 0, NULL, 0);
	return qseq;
}

static void collect_fds(struct frame *f, struct msghdr *m)
{
	struct cmsghdr *c;
	int n;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		ck_assert_int_le(f->nfds + n, 16);
		memcpy(f->fds + f->nfds, CMSG_DATA(c), sizeof(int) * n);
		f->nfds += n;
	}
}

/* 1: read, 0: end of file (or reset), -1: nothing within @ms. */
static int recv_exact(int fd, void *buf, size_t len, struct frame *f, int ms)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} cm;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		struct iovec iov = { (uint8_t *)buf + got, len - got };
		struct msghdr m = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
		};

		if (poll(&p, 1, ms) == 0)
			return -1;
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == ECONNRESET)
			return 0;
		ck_assert_int_ge(n, 0);
		if (n == 0)
			return 0;
		collect_fds(f, &m);
		got += (size_t)n;
	}
	return 1;
}

static int q_recv(int fd, struct frame *f, int ms)
{
	int r;

	f->nfds = 0;
	r = recv_exact(fd, &f->h, HDR, f, ms);
	if (r != 1)
		return r;
	ck_assert_uint_eq(f->h.magic, VNPLUG_SOCK_MAGIC);
	ck_assert_uint_le(f->h.len, VNPLUG_SOCK_MAX);
	ck_assert_uint_eq(f->h.nfds, f->nfds);
	if (!f->h.len)
		return 1;
	r = recv_exact(fd, f->p, f->h.len, f, ms);
	ck_assert_int_eq(r, 1);
	return 1;
}

static void ctrl_msg(int fd, uint8_t type, uint32_t session, const void *body,
		     size_t len);

static bool is_ping(const struct frame *f)
{
	struct vnplug_msg_hdr m;

	if (f->h.type != VNPLUG_SOCK_CTRL || f->h.len < MSG_HDR)
		return false;
	memcpy(&m, f->p, MSG_HDR);
	return m.type == VNPLUG_MSG_PING;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next frame that is not a PING (answered if auto_pong). */
static int next_frame(int fd, struct frame *f, int ms)
{
	int64_t end = now_ms() + ms;
	struct vnplug_msg_hdr m;
	int r;

	for (;;) {
		r = q_recv(fd, f, (int)(end > now_ms() ? end - now_ms() : 0));
		if (r != 1 || !is_ping(f))
			return r;
		memcpy(&m, f->p, MSG_HDR);
		ck_assert_uint_eq(m.session, 0);
		ck_assert_uint_eq(m.len, 8);
		ck_assert_uint_eq(f->h.len, MSG_HDR + 8);
		pings_seen++;
		if (auto_pong)
			ctrl_msg(fd, VNPLUG_MSG_PONG, 0, f->p + MSG_HDR, 8);
	}
}

static void expect_frame(int fd, struct frame *f, uint16_t type)
{
	int r = next_frame(fd, f, TMO);

	if (r != 1)
		dump_log();
	ck_assert_msg(r == 1, "expected frame type %u, got %s", type,
		      r ? "nothing" : "end of file");
	ck_assert_uint_eq(f->h.type, type);
}

static void expect_sock_error(int fd, int status, uint32_t ref_seq)
{
	static struct frame f;
	struct vnplug_sock_error e;

	expect_frame(fd, &f, VNPLUG_SOCK_ERROR);
	ck_assert_uint_eq(f.h.len, sizeof(e));
	memcpy(&e, f.p, sizeof(e));
	ck_assert_int_eq(e.status, status);
	ck_assert_uint_eq(e.ref_seq, ref_seq);
	ck_assert_ptr_nonnull(memchr(e.text, '\0', sizeof(e.text)));
	ck_assert_uint_gt(strlen(e.text), 0);
}

static void expect_eof(int fd)
{
	static struct frame f;

	ck_assert_int_eq(next_frame(fd, &f, TMO), 0);
}

static void expect_nothing(int fd, int ms)
{
	static struct frame f;
	int r = next_frame(fd, &f, ms);

	ck_assert_msg(r == -1, "unexpected %s (type %u)",
		      r ? "frame" : "end of file", f.h.type);
}

static void hello(int fd, uint32_t live, uint32_t max)
{
	struct vnplug_sock_hello h = {
		.version = VNPLUG_VERSION, .live_regions = live,
		.max_region_id = max,
	};
	static struct frame f;
	uint32_t seq = q_send(fd, VNPLUG_SOCK_HELLO, &h, sizeof(h));

	expect_frame(fd, &f, VNPLUG_SOCK_HELLO);
	ck_assert_uint_eq(f.h.seq, seq);
	ck_assert_uint_eq(f.h.nfds, 0);
	ck_assert_uint_eq(f.h.len, sizeof(h));
	memcpy(&h, f.p, sizeof(h));
	ck_assert_uint_eq(h.version, VNPLUG_VERSION);
	ck_assert_uint_eq(h.features, 0);
	ck_assert_uint_eq(h.live_regions, 0);
	ck_assert_uint_eq(h.max_region_id, 0);
}

static int qemu_up(const char *vm)
{
	int fd = q_connect(vm);

	hello(fd, 0, 0);
	return fd;
}

/* ---- layer 1 --------------------------------------------------------- */

static void ctrl_raw(int fd, const void *msg, size_t len)
{
	q_send(fd, VNPLUG_SOCK_CTRL, msg, len);
}

static size_t build_msg(uint8_t *buf, uint8_t type, uint32_t session,
			const void *body, size_t len)
{
	struct vnplug_msg_hdr m = {
		.version = VNPLUG_VERSION, .type = type, .session = session,
		.len = (uint32_t)len,
	};

	memcpy(buf, &m, MSG_HDR);
	if (len)
		memcpy(buf + MSG_HDR, body, len);
	return MSG_HDR + len;
}

static size_t build_app(uint8_t *buf, uint32_t session, uint32_t app,
			uint32_t op, uint32_t seq, const void *p, size_t len)
{
	struct vnplug_app_hdr a = { .app_id = app, .op = op, .seq = seq };
	static uint8_t body[VNPLUG_SOCK_MAX];

	memcpy(body, &a, APP_HDR);
	if (len)
		memcpy(body + APP_HDR, p, len);
	return build_msg(buf, VNPLUG_MSG_APP, session, body, APP_HDR + len);
}

static void ctrl_msg(int fd, uint8_t type, uint32_t session, const void *body,
		     size_t len)
{
	static uint8_t buf[VNPLUG_SOCK_MAX];

	ctrl_raw(fd, buf, build_msg(buf, type, session, body, len));
}

static void app_msg(int fd, uint32_t session, uint32_t app, uint32_t op,
		    uint32_t seq, const void *p, size_t len)
{
	static uint8_t buf[VNPLUG_SOCK_MAX];

	ctrl_raw(fd, buf, build_app(buf, session, app, op, seq, p, len));
}

static void session_open(int fd, uint32_t session)
{
	ctrl_msg(fd, VNPLUG_MSG_SESSION_OPEN, session, NULL, 0);
}

static void session_close(int fd, uint32_t session)
{
	ctrl_msg(fd, VNPLUG_MSG_SESSION_CLOSE, session, NULL, 0);
}

static void expect_msg(int fd, struct msg *m)
{
	static struct frame f;

	expect_frame(fd, &f, VNPLUG_SOCK_CTRL);
	ck_assert_uint_ge(f.h.len, MSG_HDR);
	ck_assert_uint_le(f.h.len, VNPLUG_MSG_MAX);
	memcpy(&m->m, f.p, MSG_HDR);
	ck_assert_uint_eq(m->m.version, VNPLUG_VERSION);
	ck_assert_uint_eq(m->m.flags, 0);
	ck_assert_uint_eq(m->m.len, f.h.len - MSG_HDR);
	m->plen = m->m.len;
	if (m->m.type == VNPLUG_MSG_APP) {
		ck_assert_uint_ge(m->m.len, APP_HDR);
		memcpy(&m->a, f.p + MSG_HDR, APP_HDR);
		m->plen -= APP_HDR;
		memcpy(m->p, f.p + MSG_HDR + APP_HDR, m->plen);
	} else {
		memcpy(m->p, f.p + MSG_HDR, m->plen);
	}
}

/* A reply of application @app to request (@op, @seq) of @session. */
static void expect_app_reply(int fd, uint32_t session, uint32_t app,
			     uint32_t op, uint32_t seq, int status,
			     struct msg *m)
{
	expect_msg(fd, m);
	ck_assert_uint_eq(m->m.type, VNPLUG_MSG_APP);
	ck_assert_uint_eq(m->m.session, session);
	ck_assert_uint_eq(m->a.app_id, app);
	ck_assert_uint_eq(m->a.op, op);
	ck_assert_uint_eq(m->a.seq, seq);
	ck_assert_int_eq(m->a.status, status);
}

static void expect_msg_error(int fd, uint32_t session, int status,
			     uint32_t app, uint32_t op, uint32_t seq,
			     const char *text)
{
	static struct msg m;
	struct vnplug_msg_error e;

	expect_msg(fd, &m);
	ck_assert_uint_eq(m.m.type, VNPLUG_MSG_ERROR);
	ck_assert_uint_eq(m.m.session, session);
	ck_assert_uint_eq(m.plen, sizeof(e));
	memcpy(&e, m.p, sizeof(e));
	ck_assert_int_eq(e.status, status);
	ck_assert_uint_eq(e.app_id, app);
	ck_assert_uint_eq(e.op, op);
	ck_assert_uint_eq(e.seq, seq);
	ck_assert_ptr_nonnull(memchr(e.text, '\0', sizeof(e.text)));
	ck_assert_msg(strstr(e.text, text), "error text \"%s\" lacks \"%s\"",
		      e.text, text);
}

/* ---- regions --------------------------------------------------------- */

static bool is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[eventfd]");
}

/*
 * The MAP frame of a new region of application @app: 4 descriptors, the
 * memory (of the size the frame says) and the control page mapped here.
 * Returns the frame's seq.
 */
static uint32_t expect_map_app(int fd, struct region *r, uint32_t session,
			       uint32_t app)
{
	static struct frame f;
	struct vnplug_sock_map m;

	expect_frame(fd, &f, VNPLUG_SOCK_MAP);
	ck_assert_uint_eq(f.h.nfds, 4);
	ck_assert_int_eq(f.nfds, 4);
	ck_assert_uint_eq(f.h.len, sizeof(m));
	memcpy(&m, f.p, sizeof(m));
	ck_assert_uint_ne(m.region_id, 0);
	ck_assert_uint_eq(m.app_id, app);
	ck_assert_uint_eq(m.session, session);
	ck_assert_uint_eq(m.flags, 0);
	ck_assert_uint_gt(m.size, 0);
	ck_assert_uint_eq(m.mem_offset, 0);
	r->id = m.region_id;
	r->session = session;
	r->size = m.size;
	memcpy(r->fds, f.fds, sizeof(r->fds));
	r->mem = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fds[0], 0);
	ck_assert_ptr_ne(r->mem, MAP_FAILED);
	r->ctrl = mmap(NULL, VNPLUG_CTRL_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, r->fds[1], 0);
	ck_assert_ptr_ne(r->ctrl, MAP_FAILED);
	return f.h.seq;
}

static void mapped(int fd, uint32_t region, int status)
{
	struct vnplug_sock_region m = { .region_id = region, .status = status };

	q_send(fd, VNPLUG_SOCK_MAPPED, &m, sizeof(m));
}

static void unmapped(int fd, uint32_t region, int status)
{
	struct vnplug_sock_region m = { .region_id = region, .status = status };

	q_send(fd, VNPLUG_SOCK_UNMAPPED, &m, sizeof(m));
}

static void expect_unmap(int fd, uint32_t region)
{
	static struct frame f;
	struct vnplug_sock_region m;

	expect_frame(fd, &f, VNPLUG_SOCK_UNMAP);
	ck_assert_uint_eq(f.h.nfds, 0);
	ck_assert_uint_eq(f.h.len, sizeof(m));
	memcpy(&m, f.p, sizeof(m));
	ck_assert_uint_eq(m.region_id, region);
	ck_assert_int_eq(m.status, 0);
}

static void region_close(struct region *r)
{
	int i;

	munmap(r->mem, r->size);
	munmap(r->ctrl, VNPLUG_CTRL_PAGE_SIZE);
	for (i = 0; i < 4; i++)
		close(r->fds[i]);
}

#pragma GCC diagnostic pop

#endif /* FAKE_QEMU_H */
