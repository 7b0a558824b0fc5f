// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtual machines: a listening socket per configured VM, which is the
 * VM's only identity; at most one QEMU connection on it; the guest's
 * liveness (PING/PONG); rate-limited logging of what the guest gets wrong.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vnplugd.h"

#define LISTEN_BACKLOG 4

static struct vnp_vm *listen_vm(struct vnp_watch *w)
{
	return (struct vnp_vm *)((char *)w - offsetof(struct vnp_vm, listen));
}

/* ---- accessors of the host API --------------------------------------- */

const char *vnp_vm_name(const struct vnp_vm *vm)
{
	return vm->conf->name;
}

pid_t vnp_vm_qemu_pid(const struct vnp_vm *vm)
{
	return vm->conn && !vm->conn->w.dead ? vm->conn->pid : 0;
}

unsigned int vnp_vm_n_regions(const struct vnp_vm *vm)
{
	return vm->n_regions;
}

unsigned int vnp_vm_n_sessions(const struct vnp_vm *vm)
{
	return vm->n_sessions;
}

bool vnp_vm_may_use(const struct vnp_vm *vm, const char *ifname, int queue)
{
	return vnp_conf_may_use(vm->conf, ifname, queue);
}

struct vnp_conn *vnp_vm_conn(struct vnp_vm *vm)
{
	struct vnp_conn *c = vm->conn;

	return c && !c->w.dead && c->hello_done ? c : NULL;
}

/* ---- rate-limited complaints ----------------------------------------- */

static void rl_flush(struct vnp_vm *vm, int64_t now)
{
	struct vnp_ratelimit *rl = &vm->rl;

	if (now - rl->start < VNPD_RL_WINDOW_MS)
		return;
	if (rl->suppressed)
		vnp_warn("vm %s: %u more refusals not logged (%llu in all)",
			 vm->conf->name, rl->suppressed,
			 (unsigned long long)vm->st.rejected);
	rl->start = now;
	rl->printed = 0;
	rl->suppressed = 0;
}

void vnp_vm_reject(struct vnp_vm *vm, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	vm->st.rejected++;
	rl_flush(vm, vnp_now_ms());
	if (vm->rl.printed >= VNPD_RL_BURST) {
		vm->rl.suppressed++;
		return;
	}
	vm->rl.printed++;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	vnp_warn("vm %s: %s", vm->conf->name, text);
}

/* ---- connections ----------------------------------------------------- */

static pid_t peer_pid(int fd, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return 0;
	*uid = cr.uid;
	return cr.pid;
}

/*
 * A QEMU that reconnects has closed its old connection, but that
 * connection's end of file may still be waiting in this same batch of
 * events: settle it first rather than refuse the new one.
 */
static void settle_old_conn(struct vnp_vm *vm)
{
	struct vnp_conn *c = vm->conn;

	if (!c)
		return;
	if (!c->w.dead && vnp_conn_hung_up(c)) {
		vnp_info("vm %s: QEMU pid %d hung up", vm->conf->name, c->pid);
		vnp_conn_kill(c);
	}
	if (c->w.dead)
		vnp_conn_close(c);
}

static void on_accept(struct vnp_watch *w, uint32_t events)
{
	struct vnp_vm *vm = listen_vm(w);
	uid_t uid = (uid_t)-1;
	pid_t pid;
	int fd;

	fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			vnp_warn("vm %s: accept: %s", vm->conf->name,
				 strerror(errno));
		return;
	}
	pid = peer_pid(fd, &uid);
	settle_old_conn(vm);
	if (vm->conn) {
		vm->st.refused++;
		vnp_vm_reject(vm, "refusing a second QEMU connection (pid %d)"
			      "; pid %d is connected", pid, vm->conn->pid);
		vnp_refuse_fd(fd, -EBUSY, "VM %s already has a QEMU "
			      "connection (pid %d)", vm->conf->name,
			      vm->conn->pid);
		return;
	}
	vm->conn = vnp_conn_new(vm, fd, pid);
	if (!vm->conn) {
		close(fd);
		return;
	}
	vm->st.connections++;
	vnp_info("vm %s: QEMU pid %d (uid %d) connected", vm->conf->name, pid,
		 (int)uid);
}

/* ---- listening sockets ----------------------------------------------- */

/*
 * Remove a stale socket left by a vnplugd that died, but never a file that
 * is not a socket, nor a socket somebody still listens on.
 */
static int remove_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		vnp_err("%s exists and is not a socket; not removing it",
			path);
		return -EEXIST;
	}
	/* Non-blocking: a listener with a full backlog must not hang us. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, path);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret < 0 && errno == EAGAIN)
		ret = 0;
	close(fd);
	if (!ret) {
		vnp_err("%s: another process (another vnplugd?) listens on it",
			path);
		return -EADDRINUSE;
	}
	vnp_info("removing stale socket %s", path);
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

static int set_owner_mode(const struct vnp_vm_conf *vc)
{
	if ((vc->socket_uid != (uid_t)-1 || vc->socket_gid != (gid_t)-1) &&
	    lchown(vc->socket, vc->socket_uid, vc->socket_gid) < 0)
		return -errno;
	if (chmod(vc->socket, vc->socket_mode) < 0)
		return -errno;
	return 0;
}

static int bind_socket(struct vnp_vm *vm, int fd)
{
	const struct vnp_vm_conf *vc = vm->conf;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int ret;

	strcpy(sa.sun_path, vc->socket);
	/* Nobody may connect before the owner and mode are right. */
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0)
		return -errno;
	if (stat(vc->socket, &st) < 0)
		return -errno;
	vm->sock_dev = st.st_dev;
	vm->sock_ino = st.st_ino;
	return set_owner_mode(vc);
}

static int vm_listen(struct vnp_vm *vm)
{
	const char *path = vm->conf->socket;
	int fd, ret;

	ret = remove_stale(path);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = bind_socket(vm, fd);
	if (!ret && listen(fd, LISTEN_BACKLOG) < 0)
		ret = -errno;
	if (!ret)
		ret = vnp_watch_add(&vm->listen, fd, EPOLLIN, on_accept);
	if (ret) {
		close(fd);
		vm->listen.fd = -1;
		return ret;
	}
	vnp_info("vm %s: listening on %s (mode %04o)", vm->conf->name, path,
		 (unsigned int)vm->conf->socket_mode);
	return 0;
}

/* Only if a VM's socket goes there by default. */
static int make_socket_dir(const struct vnp_conf *conf)
{
	const char *dir = conf->global.socket_dir;
	unsigned int i;

	for (i = 0; i < conf->n_vms; i++)
		if (!conf->vms[i].socket_line)
			break;
	if (i == conf->n_vms)
		return 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		vnp_err("creating %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int vnp_vms_open(void)
{
	const struct vnp_conf *conf = &vnpd.conf;
	struct vnp_vm *vm;
	unsigned int i;
	int ret;

	vnpd.vms = calloc(conf->n_vms, sizeof(*vnpd.vms));
	if (!vnpd.vms) {
		vnp_err("out of memory");
		return -1;
	}
	vnpd.n_vms = conf->n_vms;
	for (i = 0; i < vnpd.n_vms; i++) {
		vm = &vnpd.vms[i];
		vm->conf = &conf->vms[i];
		vm->listen.fd = -1;
		list_init(&vm->sessions);
		list_init(&vm->regions);
	}
	if (make_socket_dir(conf) < 0)
		return -1;
	for (i = 0; i < vnpd.n_vms; i++) {
		ret = vm_listen(&vnpd.vms[i]);
		if (ret) {
			vnp_err("vm %s: socket %s: %s", conf->vms[i].name,
				conf->vms[i].socket, strerror(-ret));
			return -1;
		}
	}
	return 0;
}

/* Remove our socket file, not one that replaced it since. */
static void remove_socket(struct vnp_vm *vm)
{
	struct stat st;

	if (stat(vm->conf->socket, &st) < 0 || st.st_dev != vm->sock_dev ||
	    st.st_ino != vm->sock_ino)
		return;
	if (unlink(vm->conf->socket) < 0)
		vnp_warn("removing %s: %s", vm->conf->socket, strerror(errno));
}

void vnp_vms_close(void)
{
	struct vnp_vm *vm;
	unsigned int i;

	for (i = 0; i < vnpd.n_vms; i++) {
		vm = &vnpd.vms[i];
		if (vm->conn) {
			vnp_conn_kill(vm->conn);
			vnp_conn_close(vm->conn);
		}
		if (vm->listen.fd < 0)
			continue;
		vnp_watch_del(&vm->listen);
		close(vm->listen.fd);
		vm->listen.fd = -1;
		remove_socket(vm);
	}
	free(vnpd.vms);
	vnpd.vms = NULL;
	vnpd.n_vms = 0;
}

/* ---- tearing down ---------------------------------------------------- */

static struct vnp_region *first_active_region(struct vnp_vm *vm)
{
	struct vnp_region *r;

	list_for_each_entry(r, &vm->regions, node)
		if (r->state != VNP_REGION_UNMAPPING)
			return r;
	return NULL;
}

/* Back-ends may destroy or release other regions from their callbacks:
 * start over from the head each time rather than trust a saved next. */
void vnp_vm_teardown_guest(struct vnp_vm *vm)
{
	struct vnp_region *r;

	while (!list_empty(&vm->sessions))
		vnp_session_close(list_first_entry(&vm->sessions,
						   struct vnp_session, node));
	while ((r = first_active_region(vm)))
		vnp_region_destroy(r);
}

void vnp_vm_forget(struct vnp_vm *vm)
{
	vnp_vm_teardown_guest(vm);
	while (!list_empty(&vm->regions))
		vnp_region_release(list_first_entry(&vm->regions,
						    struct vnp_region, node),
				   -ECONNRESET);
	vm->ping_outstanding = false;
}

/* ---- timer ----------------------------------------------------------- */

/*
 * A guest is dead when a PING has gone unanswered for guest_timeout while
 * it uses something. Counting from the oldest unanswered PING, not from
 * the last PONG, keeps a guest that answers at once safe whatever the
 * ratio of guest_timeout to ping_interval.
 */
static void check_guest(struct vnp_vm *vm, int64_t now)
{
	const struct vnp_global_conf *g = &vnpd.conf.global;

	if (vm->ping_outstanding &&
	    (vm->n_sessions || vnp_vm_n_active_regions(vm)) &&
	    now - vm->ping_since >= (int64_t)g->guest_timeout * 1000) {
		vnp_warn("vm %s: guest not answering (no PONG for %u s): "
			 "closing its %u sessions, unplugging its %u regions",
			 vm->conf->name, g->guest_timeout, vm->n_sessions,
			 vnp_vm_n_active_regions(vm));
		vm->st.guest_timeouts++;
		vnp_vm_teardown_guest(vm);
	}
}

/* Whole ticks rather than times: the timer's jitter cannot skip one. */
static void send_ping(struct vnp_vm *vm, int64_t now)
{
	uint64_t cookie;

	if (vm->ping_countdown > 1) {
		vm->ping_countdown--;
		return;
	}
	vm->ping_countdown = vnpd.conf.global.ping_interval;
	cookie = vnpd.cookie_seed + (vm->st.pings + 1) * 0x9e3779b97f4a7c15ULL;
	if (vnp_ctrl_send_ping(vm, cookie))
		return;
	vm->ping_cookie = cookie;
	if (!vm->ping_outstanding)
		vm->ping_since = now;
	vm->ping_outstanding = true;
	vm->st.pings++;
}

static void check_hello(struct vnp_conn *c, int64_t now)
{
	if (c->w.dead || c->hello_done || now < c->hello_deadline)
		return;
	vnp_vm_reject(c->vm, "QEMU pid %d sent no HELLO within %d s",
		      c->pid, VNPD_HELLO_TIMEOUT_MS / 1000);
	vnp_conn_send_error(c, -ETIMEDOUT, 0, "no HELLO within %d s",
			    VNPD_HELLO_TIMEOUT_MS / 1000);
	vnp_conn_kill(c);
}

void vnp_vms_tick(int64_t now)
{
	struct vnp_vm *vm;
	unsigned int i;

	for (i = 0; i < vnpd.n_vms; i++) {
		vm = &vnpd.vms[i];
		if (vm->conn)
			check_hello(vm->conn, now);
		if (vnp_vm_conn(vm))
			check_guest(vm, now);
		if (vnp_vm_conn(vm))
			send_ping(vm, now);
		vnp_regions_tick(vm, now);
		rl_flush(vm, now);
	}
}

/* ---- SIGUSR1 --------------------------------------------------------- */

static void dump_sessions(const struct vnp_vm *vm)
{
	const struct vnp_session *s;
	char line[256];
	size_t n = 0;

	line[0] = '\0';
	list_for_each_entry(s, &vm->sessions, node) {
		if (n + 12 >= sizeof(line)) {
			snprintf(line + n, sizeof(line) - n, " ...");
			break;
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %u", s->id);
	}
	vnp_info("  sessions: %u%s%s", vm->n_sessions, n ? ":" : "", line);
}

static void dump_vm(const struct vnp_vm *vm, int64_t now)
{
	const struct vnp_vm_stats *st = &vm->st;
	const struct vnp_region *r;
	const struct vnp_conn *c = vm->conn;

	if (c)
		vnp_info("vm %s: socket %s, QEMU pid %d%s", vm->conf->name,
			 vm->conf->socket, c->pid,
			 c->hello_done ? "" : " (no HELLO yet)");
	else
		vnp_info("vm %s: socket %s, QEMU not connected",
			 vm->conf->name, vm->conf->socket);
	if (c && vm->pong_at)
		vnp_info("  output queue %zu bytes, PING %s, last PONG %lld ms "
			 "ago", c->out_bytes,
			 vm->ping_outstanding ? "unanswered" : "answered",
			 (long long)(now - vm->pong_at));
	else if (c)
		vnp_info("  output queue %zu bytes, no PONG yet", c->out_bytes);
	dump_sessions(vm);
	vnp_info("  regions: %u of max_rings %u, %llu of max_ring_memory "
		 "%llu bytes", vm->n_regions, vm->conf->max_rings,
		 (unsigned long long)vm->region_bytes,
		 (unsigned long long)vm->conf->max_ring_memory);
	list_for_each_entry(r, &vm->regions, node)
		vnp_region_dump(r);
	vnp_info("  counters: connections %llu refused %llu rejected %llu "
		 "ctrl in %llu out %llu pings %llu pongs %llu guest timeouts "
		 "%llu regions created %llu",
		 (unsigned long long)st->connections,
		 (unsigned long long)st->refused,
		 (unsigned long long)st->rejected,
		 (unsigned long long)st->ctrl_in,
		 (unsigned long long)st->ctrl_out,
		 (unsigned long long)st->pings, (unsigned long long)st->pongs,
		 (unsigned long long)st->guest_timeouts,
		 (unsigned long long)st->regions_created);
}

/* Asked for explicitly: shown even when the log level is warn or error. */
void vnp_vms_dump(void)
{
	int level = vnp_log_get_level();
	int64_t now = vnp_now_ms();
	unsigned int i;

	if (level < VNP_LOG_INFO)
		vnp_log_set_level(VNP_LOG_INFO);
	vnp_info("state: %u VM%s", vnpd.n_vms, vnpd.n_vms == 1 ? "" : "s");
	for (i = 0; i < vnpd.n_vms; i++)
		dump_vm(&vnpd.vms[i], now);
	vnp_log_set_level(level);
}
