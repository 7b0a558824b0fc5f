// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtual machines: a listening socket per configured VM, which is the
 * VM's only identity; at most one QEMU connection on it; the guest's
 * liveness (PING/PONG); rate-limited logging of what the guest gets wrong;
 * a reloaded configuration applied to them.
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

static struct vnp_vm *vm_new(const struct vnp_vm_conf *vc)
{
	struct vnp_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->conf = vc;
	vm->listen.fd = -1;
	list_init(&vm->sessions);
	list_init(&vm->regions);
	return vm;
}

static void vm_release(struct vnp_watch *w)
{
	free(listen_vm(w));
}

/* An array of @n VMs (NULL for none); -1 only when out of memory. */
static int vms_alloc(struct vnp_vm ***out, unsigned int n)
{
	*out = NULL;
	if (!n)
		return 0;
	*out = calloc(n, sizeof(**out));
	return *out ? 0 : -1;
}

int vnp_vms_open(void)
{
	const struct vnp_conf *conf = &vnpd.conf;
	unsigned int i;
	int ret;

	if (vms_alloc(&vnpd.vms, conf->n_vms) < 0) {
		vnp_err("out of memory");
		return -1;
	}
	for (i = 0; i < conf->n_vms; i++) {
		vnpd.vms[i] = vm_new(&conf->vms[i]);
		if (!vnpd.vms[i]) {
			vnp_err("out of memory");
			return -1;
		}
		vnpd.n_vms++;
	}
	if (make_socket_dir(conf) < 0)
		return -1;
	for (i = 0; i < vnpd.n_vms; i++) {
		ret = vm_listen(vnpd.vms[i]);
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

/*
 * Stop serving @vm: its QEMU connection ends as if QEMU had gone (sessions
 * closed, back-ends told, regions freed), then its socket and the file.
 * The record itself goes after the epoll batch, which may still name it.
 */
static void vm_close(struct vnp_vm *vm)
{
	if (vm->conn) {
		vnp_conn_kill(vm->conn);
		vnp_conn_close(vm->conn);
	}
	if (vm->listen.fd >= 0) {
		vnp_watch_del(&vm->listen);
		close(vm->listen.fd);
		vm->listen.fd = -1;
		remove_socket(vm);
	}
	vnp_watch_bury(&vm->listen, vm_release);
}

void vnp_vms_close(void)
{
	unsigned int i;

	for (i = 0; i < vnpd.n_vms; i++)
		vm_close(vnpd.vms[i]);
	free(vnpd.vms);
	vnpd.vms = NULL;
	vnpd.n_vms = 0;
}

/* ---- reloading ------------------------------------------------------- */

static const struct vnp_vm_conf *conf_find(const struct vnp_conf *c,
					   const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n_vms; i++)
		if (!strcmp(c->vms[i].name, name))
			return &c->vms[i];
	return NULL;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_ifaces(const struct vnp_vm_conf *a,
			const struct vnp_vm_conf *b)
{
	unsigned int i;

	if (a->n_ifaces != b->n_ifaces)
		return false;
	for (i = 0; i < a->n_ifaces; i++)
		if (!same_str(a->ifaces[i].ifname, b->ifaces[i].ifname) ||
		    !same_str(a->ifaces[i].queue, b->ifaces[i].queue))
			return false;
	return true;
}

static void add_word(char *buf, size_t len, const char *word)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", word);
}

/* The settings of a kept VM that differ, as "interfaces, max_rings". */
static bool vm_conf_diff(const struct vnp_vm_conf *a,
			 const struct vnp_vm_conf *b, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!same_ifaces(a, b))
		add_word(buf, len, "interfaces");
	if (a->max_rings != b->max_rings)
		add_word(buf, len, "max_rings");
	if (a->max_ring_memory != b->max_ring_memory)
		add_word(buf, len, "max_ring_memory");
	if (a->socket_uid != b->socket_uid)
		add_word(buf, len, "socket_user");
	if (a->socket_gid != b->socket_gid)
		add_word(buf, len, "socket_group");
	if (a->socket_mode != b->socket_mode)
		add_word(buf, len, "socket_mode");
	return buf[0];
}

/*
 * A kept VM takes its new settings. Interfaces and limits are checked at
 * each open and allocation, so they apply to what comes next; rings
 * already there keep running even above new limits, which only refuse
 * new ones until the VM is below them.
 */
static bool vm_update(struct vnp_vm *vm, const struct vnp_vm_conf *vc)
{
	char what[128];
	bool changed = vm_conf_diff(vm->conf, vc, what, sizeof(what));
	int ret;

	if (changed)
		vnp_info("vm %s: %s changed (%s:%u)", vc->name, what, vc->file,
			 vc->line);
	vm->conf = vc;
	if (vm->listen.fd >= 0) {
		/* Again even if unchanged: repairs what someone else did. */
		ret = set_owner_mode(vc);
		if (ret)
			vnp_warn("vm %s: owner and mode of %s: %s", vc->name,
				 vc->socket, strerror(-ret));
	}
	if (vm->n_regions > vc->max_rings)
		vnp_warn("vm %s: %u %s the new max_rings=%u (%u in use): "
			 "they keep running, new ones are refused", vc->name,
			 vm->n_regions - vc->max_rings,
			 vm->n_regions - vc->max_rings == 1 ? "ring exceeds"
							    : "rings exceed",
			 vc->max_rings, vm->n_regions);
	if (vm->region_bytes > vc->max_ring_memory)
		vnp_warn("vm %s: rings of %llu bytes exceed the new "
			 "max_ring_memory=%llu: they keep running, new ones "
			 "are refused", vc->name,
			 (unsigned long long)vm->region_bytes,
			 (unsigned long long)vc->max_ring_memory);
	if (vm->ping_countdown > vnpd.conf.global.ping_interval)
		vm->ping_countdown = vnpd.conf.global.ping_interval;
	return changed;
}

static bool global_diff(const struct vnp_global_conf *a,
			const struct vnp_global_conf *b)
{
	char what[128] = "";

	if (strcmp(a->socket_dir, b->socket_dir))
		add_word(what, sizeof(what), "socket_dir");
	if (strcmp(a->include_dir, b->include_dir))
		add_word(what, sizeof(what), "include_dir");
	if (a->ping_interval != b->ping_interval)
		add_word(what, sizeof(what), "ping_interval");
	if (a->guest_timeout != b->guest_timeout)
		add_word(what, sizeof(what), "guest_timeout");
	if (a->log_level != b->log_level)
		add_word(what, sizeof(what), "log_level");
	if (what[0])
		vnp_info("global: %s changed", what);
	return what[0];
}

/* A VM of the new configuration that has no socket yet. */
static void vm_start(struct vnp_vm *vm)
{
	int ret = vm_listen(vm);

	if (ret)
		vnp_err("vm %s: socket %s: %s; not serving it until a reload "
			"succeeds in creating it", vm->conf->name,
			vm->conf->socket, strerror(-ret));
}

int vnp_vms_reload(struct vnp_conf *nc, bool quiet)
{
	struct vnp_conf old = vnpd.conf;
	struct vnp_vm **vms = NULL, **fresh = NULL, *vm;
	const struct vnp_vm_conf *vc;
	unsigned int i, j, n_fresh = 0, added = 0, removed = 0, changed = 0;
	bool global_changed;

	/*
	 * Every allocation first, so that running out of memory leaves the
	 * running configuration whole. fresh[j]: a record for nc->vms[j]
	 * in case no kept VM takes that place.
	 */
	if (vms_alloc(&vms, nc->n_vms) < 0 ||
	    vms_alloc(&fresh, nc->n_vms) < 0)
		goto oom;
	for (j = 0; j < nc->n_vms; j++) {
		fresh[j] = vm_new(&nc->vms[j]);
		if (!fresh[j])
			goto oom;
	}

	global_changed = global_diff(&old.global, &nc->global);
	/* Gone and moved VMs close first, so that their paths are free. */
	for (i = 0; i < vnpd.n_vms; i++) {
		vm = vnpd.vms[i];
		vc = conf_find(nc, vm->conf->name);
		if (!vc) {
			vnp_info("vm %s: removed from the configuration: "
				 "closing its socket %s", vm->conf->name,
				 vm->conf->socket);
			removed++;
		} else if (strcmp(vc->socket, vm->conf->socket)) {
			vnp_info("vm %s: socket moves from %s to %s",
				 vm->conf->name, vm->conf->socket, vc->socket);
			changed++;
		} else {
			vms[vc - nc->vms] = vm;
			continue;
		}
		if (vm->conn && !vm->conn->closed)
			vnp_info("vm %s: closing the connection of QEMU pid %d "
				 "(%u sessions, %u regions)", vm->conf->name,
				 vm->conn->pid, vm->n_sessions, vm->n_regions);
		vm_close(vm);
		vm->conf = NULL;	/* old's, freed below */
	}
	vnpd.conf = *nc;
	for (j = 0; j < nc->n_vms; j++) {
		vc = &vnpd.conf.vms[j];
		if (vms[j]) {
			changed += vm_update(vms[j], vc);
			free(fresh[j]);
			continue;
		}
		vms[j] = fresh[j];
		if (!conf_find(&old, vc->name)) {
			vnp_info("vm %s: added (%s:%u)", vc->name, vc->file,
				 vc->line);
			added++;
		}
		n_fresh++;
	}
	free(fresh);
	free(vnpd.vms);
	vnpd.vms = vms;
	vnpd.n_vms = nc->n_vms;
	vnp_conf_free(&old);

	if (n_fresh)
		make_socket_dir(&vnpd.conf);
	/* New VMs, moved ones, and kept ones whose socket failed before. */
	for (i = 0; i < vnpd.n_vms; i++)
		if (vnpd.vms[i]->listen.fd < 0)
			vm_start(vnpd.vms[i]);
	vnp_log(quiet && !global_changed && !added && !removed && !changed
			? VNP_LOG_DEBUG : VNP_LOG_INFO,
		"configuration reloaded: %u VM%s (+%u -%u ~%u)", vnpd.n_vms,
		vnpd.n_vms == 1 ? "" : "s", added, removed, changed);
	return 0;

oom:
	vnp_err("configuration not reloaded: out of memory; keeping the "
		"running one");
	for (j = 0; fresh && j < nc->n_vms; j++)
		free(fresh[j]);
	free(fresh);
	free(vms);
	vnp_conf_free(nc);
	return -1;
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
		vm = vnpd.vms[i];
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
	else if (vm->listen.fd < 0)
		vnp_info("vm %s: socket %s could not be created (see the log)",
			 vm->conf->name, vm->conf->socket);
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
	vnp_info("configuration %s: %llu reloads, %llu failed", vnpd.conf_path,
		 (unsigned long long)vnpd.reloads,
		 (unsigned long long)vnpd.reload_failures);
	for (i = 0; i < vnpd.n_vms; i++)
		dump_vm(vnpd.vms[i], now);
	vnp_log_set_level(level);
}
