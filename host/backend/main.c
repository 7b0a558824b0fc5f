// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnplugd: the privileged vNPlug host daemon. One thread, one epoll set:
 * per-VM listening sockets, QEMU connections, doorbell eventfds, a
 * signalfd and a one-second timerfd, and with include_dir an inotify
 * descriptor and the timerfd of the reload it schedules. Nothing in it
 * blocks on a peer.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "vnplugd.h"

#ifndef VNPLUGD_VERSION
#define VNPLUGD_VERSION "unknown"
#endif

#define MAX_EVENTS 64
/*
 * A reload waits this long after the last event in include_dir, so that a
 * burst (a hook's write and rename, several domains at once) is one.
 */
#define NOTIFY_DELAY_MS 100
/* In include_dir: files complete, renamed, removed; the directory gone. */
#define DIR_EVENTS                                                             \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* In its parent, while include_dir does not exist: its creation. */
#define PARENT_EVENTS (IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)

struct vnp_daemon vnpd = {
	.epfd = -1,
	.sig.fd = -1,
	.timer.fd = -1,
	.notify.fd = -1,
	.notify_timer.fd = -1,
	.notify_wd = -1,
	.notify_parent_wd = -1,
	.log_level_opt = -1,
};

struct options {
	const char *config;
	bool check;
	int log_level;		/* -1: from the configuration */
	bool use_syslog;
};

int64_t vnp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vnp_watch_add(struct vnp_watch *w, int fd, uint32_t events,
		  void (*handle)(struct vnp_watch *, uint32_t))
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->handle = handle;
	w->dead = false;
	if (epoll_ctl(vnpd.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int vnp_watch_mod(struct vnp_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(vnpd.epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	return 0;
}

void vnp_watch_del(struct vnp_watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(vnpd.epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

void vnp_watch_bury(struct vnp_watch *w, void (*release)(struct vnp_watch *))
{
	if (w->dead)
		return;
	w->dead = true;
	w->release = release;
	w->next_dead = vnpd.dead;
	vnpd.dead = w;
}

/* A release may bury more (a connection's regions): loop until none. */
static void release_dead(void)
{
	struct vnp_watch *w;

	while ((w = vnpd.dead)) {
		vnpd.dead = w->next_dead;
		w->release(w);
	}
}

/* ---- reloading ------------------------------------------------------- */

static void notify_setup(void);

static void notify_arm(long ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000,
			      .tv_nsec = (ms % 1000) * 1000000L },
	};

	if (vnpd.notify_timer.fd >= 0)
		timerfd_settime(vnpd.notify_timer.fd, 0, &its, NULL);
}

/*
 * Read the whole configuration anew and apply it. A configuration that
 * does not parse changes nothing: the running one stays, whole.
 */
static void reload(const char *why, bool quiet)
{
	struct vnp_conf nc;
	char err[512];

	/* What is pending is read now; later events arm it again. */
	notify_arm(0);
	vnpd.notify_changed = false;
	vnp_dbg("reloading the configuration (%s)", why);
	if (vnp_conf_load(&nc, vnpd.conf_path, VNP_CONF_RELOAD, err,
			  sizeof(err)) < 0) {
		vnpd.reload_failures++;
		vnp_err("configuration not reloaded (%s): %s; the running one "
			"(%u VM%s) stays", why, err, vnpd.n_vms,
			vnpd.n_vms == 1 ? "" : "s");
		notify_setup();
		return;
	}
	/*
	 * The reload's own lines at the more verbose of the two levels: an
	 * administrator who turns logging up wants to see this one too.
	 */
	if (vnpd.log_level_opt < 0 &&
	    nc.global.log_level > vnp_log_get_level())
		vnp_log_set_level(nc.global.log_level);
	if (vnp_vms_reload(&nc, quiet) < 0)
		vnpd.reload_failures++;
	else
		vnpd.reloads++;
	if (vnpd.log_level_opt < 0)
		vnp_log_set_level(vnpd.conf.global.log_level);
	/* include_dir may have changed, or its watch gone with it. */
	notify_setup();
}

/* ---- include_dir ----------------------------------------------------- */

static void notify_unwatch(void)
{
	if (vnpd.notify_wd >= 0)
		inotify_rm_watch(vnpd.notify.fd, vnpd.notify_wd);
	if (vnpd.notify_parent_wd >= 0)
		inotify_rm_watch(vnpd.notify.fd, vnpd.notify_parent_wd);
	vnpd.notify_wd = -1;
	vnpd.notify_parent_wd = -1;
	vnpd.notify_dir[0] = '\0';
}

/* A file that is being written: its IN_CLOSE_WRITE will follow. */
static bool being_written(const char *dir, const char *name)
{
	char path[VNP_CONF_PATH_MAX + NAME_MAX + 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* A link (ln, ln -s) to a complete file gets no other event. */
	return !lstat(path, &st) && S_ISREG(st.st_mode) && st.st_nlink == 1;
}

static void notify_event(const struct inotify_event *ev, bool *rewatch)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		vnpd.notify_changed = true;
	} else if (ev->wd == vnpd.notify_wd) {
		if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
			/* IN_IGNORED follows IN_DELETE_SELF: log once. */
			if (!*rewatch)
				vnp_info("include_dir %s is gone",
					 vnpd.notify_dir);
			*rewatch = true;
			vnpd.notify_changed = true;
			return;
		}
		if (!ev->len || (ev->mask & IN_ISDIR) ||
		    !vnp_conf_included_name(ev->name))
			return;
		if ((ev->mask & IN_CREATE) &&
		    being_written(vnpd.notify_dir, ev->name))
			return;
		vnpd.notify_changed = true;
	} else if (ev->wd == vnpd.notify_parent_wd) {
		if (ev->mask & IN_IGNORED) {
			vnpd.notify_parent_wd = -1;
			vnp_warn("include_dir %s: its parent is gone; reload "
				 "with SIGHUP once it is back",
				 vnpd.notify_dir);
		} else if (ev->len && !strcmp(ev->name,
					      strrchr(vnpd.notify_dir, '/') + 1)) {
			*rewatch = true;
			vnpd.notify_changed = true;
		}
	}
}

static void on_notify(struct vnp_watch *w, uint32_t events)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	bool rewatch = false;
	ssize_t n;
	char *p;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			notify_event(ev, &rewatch);
		}
	}
	/*
	 * The directory went (or came): watch nothing until the reload, which
	 * reads it as it is then and watches what it finds.
	 */
	if (rewatch)
		notify_unwatch();
	if (vnpd.notify_changed)
		notify_arm(NOTIFY_DELAY_MS);
}

static void on_notify_timer(struct vnp_watch *w, uint32_t events)
{
	uint64_t expirations;

	if (read(w->fd, &expirations, sizeof(expirations)) < 0)
		return;
	if (vnpd.notify_changed)
		reload("include_dir changed", false);
	else
		reload("include_dir watched anew", true);
}

/* The inotify descriptor and its timer, kept once made. */
static int notify_open(void)
{
	int fd, ret;

	if (vnpd.notify.fd >= 0)
		return 0;
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = vnp_watch_add(&vnpd.notify, fd, EPOLLIN, on_notify);
	if (ret) {
		close(fd);
		vnpd.notify.fd = -1;
		return ret;
	}
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = vnp_watch_add(&vnpd.notify_timer, fd, EPOLLIN, on_notify_timer);
	if (ret) {
		close(fd);
		vnpd.notify_timer.fd = -1;
	}
	return ret;
}

/*
 * Watch include_dir, or while it does not exist its parent, for it to
 * appear (a hook may make it for its first file). After a reload, as
 * include_dir may be another one. Whatever changed between the reading of
 * the directory and a new watch would be missed: a new watch checks again
 * (a reload that logs nothing unless something changed).
 */
static void notify_setup(void)
{
	const char *dir = vnpd.conf.global.include_dir;
	char parent[VNP_CONF_PATH_MAX];
	int ret;

	if (vnpd.notify_wd >= 0 && !strcmp(dir, vnpd.notify_dir))
		return;
	if (vnpd.notify.fd >= 0)
		notify_unwatch();
	if (!dir[0])
		return;
	ret = notify_open();
	if (ret) {
		vnp_warn("include_dir %s: inotify: %s; reload with SIGHUP "
			 "after changing it", dir, strerror(-ret));
		return;
	}
	snprintf(vnpd.notify_dir, sizeof(vnpd.notify_dir), "%s", dir);
	vnpd.notify_wd = inotify_add_watch(vnpd.notify.fd, dir, DIR_EVENTS);
	if (vnpd.notify_wd < 0 && errno == ENOENT && strcmp(dir, "/")) {
		snprintf(parent, sizeof(parent), "%s", dir);
		*strrchr(parent, '/') = '\0';
		vnpd.notify_parent_wd = inotify_add_watch(
			vnpd.notify.fd, parent[0] ? parent : "/", PARENT_EVENTS);
		if (vnpd.notify_parent_wd < 0) {
			vnp_warn("include_dir %s does not exist, and its parent "
				 "cannot be watched for it (%s): reload with "
				 "SIGHUP once it exists", dir, strerror(errno));
			return;
		}
		/* It may have appeared meanwhile. */
		vnpd.notify_wd = inotify_add_watch(vnpd.notify.fd, dir,
						   DIR_EVENTS);
		if (vnpd.notify_wd < 0) {
			vnp_info("include_dir %s does not exist: watching %s "
				 "for it", dir, parent[0] ? parent : "/");
			return;
		}
		inotify_rm_watch(vnpd.notify.fd, vnpd.notify_parent_wd);
		vnpd.notify_parent_wd = -1;
	}
	if (vnpd.notify_wd < 0) {
		vnp_warn("include_dir %s: cannot watch it (%s): reload with "
			 "SIGHUP after changing it", dir, strerror(errno));
		return;
	}
	vnp_info("watching include_dir %s", dir);
	notify_arm(NOTIFY_DELAY_MS);
}

/* ---- signals and timer ----------------------------------------------- */

static void on_signal(struct vnp_watch *w, uint32_t events)
{
	struct signalfd_siginfo si;
	char why[64];

	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			vnp_vms_dump();
			continue;
		}
		if (si.ssi_signo == SIGHUP) {
			snprintf(why, sizeof(why), "SIGHUP from pid %u",
				 si.ssi_pid);
			reload(why, false);
			continue;
		}
		vnp_info("%s from pid %u: shutting down",
			 strsignal((int)si.ssi_signo), si.ssi_pid);
		vnpd.quit = true;
	}
}

static void on_timer(struct vnp_watch *w, uint32_t events)
{
	uint64_t expirations;

	if (read(w->fd, &expirations, sizeof(expirations)) < 0)
		return;
	vnp_vms_tick(vnp_now_ms());
}

static int setup_signals(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return vnp_watch_add(&vnpd.sig, fd, EPOLLIN, on_signal);
}

/* Every timeout is in whole seconds: a one-second tick is precise enough. */
static int setup_timer(void)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = 1 },
		.it_value = { .tv_sec = 1 },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		close(fd);
		return -errno;
	}
	return vnp_watch_add(&vnpd.timer, fd, EPOLLIN, on_timer);
}

static int setup(void)
{
	int ret;

	if (getrandom(&vnpd.cookie_seed, sizeof(vnpd.cookie_seed),
		      GRND_NONBLOCK) < 0)
		vnpd.cookie_seed = (uint64_t)vnp_now_ms() ^ (uint64_t)getpid();
	vnpd.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (vnpd.epfd < 0) {
		vnp_err("epoll_create1: %s", strerror(errno));
		return -1;
	}
	ret = setup_signals();
	if (!ret)
		ret = setup_timer();
	if (ret) {
		vnp_err("signalfd/timerfd: %s", strerror(-ret));
		return -1;
	}
	ret = vnp_apps_register_builtin();
	if (ret) {
		vnp_err("registering the back-ends: %s", strerror(-ret));
		return -1;
	}
	if (vnp_vms_open() < 0)
		return -1;
	notify_setup();
	return 0;
}

static int run(void)
{
	struct epoll_event evs[MAX_EVENTS];
	struct vnp_watch *w;
	int i, n;

	while (!vnpd.quit) {
		n = epoll_wait(vnpd.epfd, evs, MAX_EVENTS, -1);
		if (n < 0 && errno != EINTR) {
			vnp_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			w = evs[i].data.ptr;
			if (!w->dead)
				w->handle(w, evs[i].events);
		}
		release_dead();
	}
	return 0;
}

static void shutdown_all(void)
{
	vnp_vms_close();
	release_dead();
	vnp_apps_unregister_builtin();
	release_dead();
	if (vnpd.sig.fd >= 0)
		close(vnpd.sig.fd);
	if (vnpd.timer.fd >= 0)
		close(vnpd.timer.fd);
	if (vnpd.notify.fd >= 0)
		close(vnpd.notify.fd);
	if (vnpd.notify_timer.fd >= 0)
		close(vnpd.notify_timer.fd);
	if (vnpd.epfd >= 0)
		close(vnpd.epfd);
	vnp_conf_free(&vnpd.conf);
}

/* ---- command line ---------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vnplugd [OPTION]...\n"
		"The vNPlug host daemon: maps host capture rings into VMs for "
		"QEMU.\n\n"
		"  -c, --config FILE    configuration (default %s)\n"
		"      --check-config   check the configuration, print a "
		"summary, exit\n"
		"  -v, --verbose        log at debug level\n"
		"      --log-level L    debug, info, warn or error (overrides "
		"the file)\n"
		"      --syslog         log to syslog instead of stderr\n"
		"  -h, --help           this text\n"
		"  -V, --version        print the version\n\n"
		"Runs in the foreground. SIGTERM/SIGINT stop it, SIGUSR1 logs "
		"its state,\nSIGHUP reloads the configuration (so does a change "
		"in include_dir):\nVMs gone lose their socket and connection, "
		"new ones get theirs, the others\nkeep running with their new "
		"settings. A configuration with an error changes\nnothing. "
		"See vnplugd(8).\n", VNP_CONF_DEFAULT_PATH);
}

enum { OPT_CHECK = 256, OPT_LEVEL, OPT_SYSLOG };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "verbose", no_argument, NULL, 'v' },
	{ "log-level", required_argument, NULL, OPT_LEVEL },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	int c;

	while ((c = getopt_long(argc, argv, "c:vhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case 'v':
			o->log_level = VNP_LOG_DEBUG;
			break;
		case OPT_LEVEL:
			o->log_level = vnp_log_level_parse(optarg);
			if (o->log_level < 0) {
				fprintf(stderr, "vnplugd: unknown log level "
					"'%s' (debug, info, warn, error)\n",
					optarg);
				return 2;
			}
			break;
		case OPT_SYSLOG:
			o->use_syslog = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vnplugd %s (vNPlug protocol %d)\n",
			       VNPLUGD_VERSION, VNPLUG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vnplugd: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = { .config = VNP_CONF_DEFAULT_PATH, .log_level = -1 };
	char err[512];
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	vnp_log_init(o.log_level < 0 ? VNP_LOG_INFO : o.log_level,
		     o.use_syslog && !o.check);
	if (vnp_conf_load(&vnpd.conf, o.config, 0, err, sizeof(err)) < 0) {
		vnp_err("%s", err);
		return 1;
	}
	if (o.check) {
		vnp_conf_print(&vnpd.conf, stdout);
		vnp_conf_free(&vnpd.conf);
		return 0;
	}
	if (o.log_level < 0)
		vnp_log_set_level(vnpd.conf.global.log_level);
	vnpd.conf_path = o.config;
	vnpd.log_level_opt = o.log_level;
	vnp_info("vnplugd %s starting: %s, %u VM%s", VNPLUGD_VERSION,
		 o.config, vnpd.conf.n_vms, vnpd.conf.n_vms == 1 ? "" : "s");
	ret = setup() < 0 || run() < 0;
	shutdown_all();
	if (!ret)
		vnp_info("stopped");
	return ret;
}
