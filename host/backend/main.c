// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnplugd: the privileged vNPlug host daemon. One thread, one epoll set:
 * per-VM listening sockets, QEMU connections, doorbell eventfds, a
 * signalfd and a one-second timerfd. Nothing in it blocks on a peer.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "vnplugd.h"

#ifndef VNPLUGD_VERSION
#define VNPLUGD_VERSION "unknown"
#endif

#define MAX_EVENTS 64

struct vnp_daemon vnpd = { .epfd = -1 };

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

/* ---- signals and timer ----------------------------------------------- */

static void on_signal(struct vnp_watch *w, uint32_t events)
{
	struct signalfd_siginfo si;

	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			vnp_vms_dump();
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
	return vnp_vms_open();
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
		"its state.\nSee vnplugd(8).\n", VNP_CONF_DEFAULT_PATH);
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
	if (vnp_conf_load(&vnpd.conf, o.config, err, sizeof(err)) < 0) {
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
	vnp_info("vnplugd %s starting: %s, %u VM%s", VNPLUGD_VERSION,
		 o.config, vnpd.conf.n_vms, vnpd.conf.n_vms == 1 ? "" : "s");
	vnpd.sig.fd = -1;
	vnpd.timer.fd = -1;
	ret = setup() < 0 || run() < 0;
	shutdown_all();
	if (!ret)
		vnp_info("stopped");
	return ret;
}
