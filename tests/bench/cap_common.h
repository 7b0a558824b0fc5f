/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cap_common.h - the harness the three capture benchmark programs share
 * (cap_pfring, cap_pcap, cap_tpacket): common options, the per-packet
 * accounting around probe_work(), a watchdog thread that ends a run after
 * an idle period, CPU accounting and the one-line result that
 * tests/bench/capture.sh parses.
 *
 * Protocol with the script: "ready" on stdout once the socket is bound and
 * its ring mapped (packets sent from then on are seen), then one line
 *   result path=P captured=N dropped=D user_s=U sys_s=S cpu_s=C
 *          span_s=T pps=R drain_s=W ip=I sum=X end=E ring=DESC
 * when the run ends: E is "count" (the expected count arrived), "idle" (no
 * packet for -t ms) or "nostart" (nothing within -w ms).
 *
 * span_s is the time between the kernel timestamps of the first and the
 * last packet captured (their arrival at the socket) and pps is captured
 * over span_s: the rate at which packets were captured, not lowered by
 * how long a TPACKET_V3 block waits to be retired at the end of a burst.
 * drain_s is the same span seen by the program (first to last packet
 * processed, to within CAP_CLOCK_EVERY packets), which includes that wait.
 *
 * A program may put more "key=value" fields of its own in cap_run.extra
 * (cap_pfring: wakeups=, lat_mean_us=, ...); they follow ring=DESC, so the
 * fields above keep their place.
 */
#ifndef CAP_COMMON_H
#define CAP_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "probe_work.h"

/* Longer than any block retire timeout in use (libpcap: 1000 ms), so that
 * the last, partly filled block of a burst is not given up for lost. */
#define CAP_DEFAULT_IDLE_MS  2500
#define CAP_DEFAULT_START_MS 15000
#define CAP_DEFAULT_SNAPLEN  1600
#define CAP_WATCH_NS	     20000000ULL /* watchdog period */
#define CAP_CLOCK_EVERY	     64		 /* packets between clock reads */
#define CAP_COMMON_OPTS	     "i:c:t:w:s:W:h"
#define CAP_RING_DESC_LEN    128
#define CAP_EXTRA_LEN	     256

enum cap_end {
	CAP_END_NONE = 0,
	CAP_END_COUNT,
	CAP_END_IDLE,
	CAP_END_NOSTART,
	CAP_END_ERROR,
};

struct cap_opts {
	const char *dev;
	uint64_t count;	   /* expected packets; 0: until idle */
	uint32_t idle_ms;  /* end after this long without a packet */
	uint32_t start_ms; /* end if the first packet takes longer */
	uint32_t snaplen;
	uint32_t work_ns;  /* extra analysis time per packet (-W) */
};

/* Breaks the program's blocking receive (called from the watchdog). */
typedef void (*cap_wake_fn)(void *arg);

struct cap_run {
	const struct cap_opts *o;
	struct probe_acc acc;
	uint64_t first_ns, last_ns; /* CLOCK_MONOTONIC, when processed */
	uint64_t first_ts, last_ts; /* kernel timestamps, ns */
	struct rusage ru0;
	_Atomic uint64_t seen; /* acc.pkts, published for the watchdog */
	atomic_int end;	       /* enum cap_end; non-zero: stop */
	atomic_int finished;   /* the receive loop has returned */
	cap_wake_fn wake;
	void *wake_arg;
	pthread_t main_thread, watchdog;
	char ring_desc[CAP_RING_DESC_LEN];
	char extra[CAP_EXTRA_LEN]; /* " key=value ..." after ring=, or "" */
};

static inline uint64_t cap_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void cap_usage_common(const char *prog, const char *what)
{
	printf("Usage: %s -i <device> [options]\n"
	       "%s\n"
	       "Each packet's Ethernet/IP/L4 headers are parsed and folded "
	       "into a checksum\n"
	       "(tests/bench/probe_work.h). Prints \"ready\" once capturing, "
	       "then one\n"
	       "\"result ...\" line (see tests/bench/README.md).\n"
	       "\n"
	       "  -i <device>  interface to capture on\n"
	       "  -c <n>       stop after n packets (default 0: at the idle "
	       "timeout)\n"
	       "  -t <ms>      stop after ms without a packet (default %d)\n"
	       "  -w <ms>      give up if no packet arrives within ms "
	       "(default %d)\n"
	       "  -s <bytes>   capture length (default %d)\n"
	       "  -W <ns>      spend ns more on each packet, as a heavier "
	       "probe would\n"
	       "  -h, --help   print this help\n",
	       prog, what, CAP_DEFAULT_IDLE_MS, CAP_DEFAULT_START_MS,
	       CAP_DEFAULT_SNAPLEN);
}

static inline int cap_parse_num(int c, const char *s, uint64_t max,
				uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "-%c: '%s' is not a number up to %" PRIu64 "\n",
			c, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

static inline int cap_parse_u32(int c, const char *s, uint32_t *out)
{
	uint64_t v;

	if (cap_parse_num(c, s, UINT32_MAX, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static inline void cap_opts_default(struct cap_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->idle_ms = CAP_DEFAULT_IDLE_MS;
	o->start_ms = CAP_DEFAULT_START_MS;
	o->snaplen = CAP_DEFAULT_SNAPLEN;
}

/* One of the common options: 0 when taken, -1 bad value, 1 not ours. */
static inline int cap_common_opt(struct cap_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'i':
		o->dev = arg;
		return 0;
	case 'c':
		return cap_parse_num(c, arg, UINT64_MAX, &o->count);
	case 't':
		return cap_parse_u32(c, arg, &o->idle_ms);
	case 'w':
		return cap_parse_u32(c, arg, &o->start_ms);
	case 's':
		return cap_parse_u32(c, arg, &o->snaplen);
	case 'W':
		return cap_parse_u32(c, arg, &o->work_ns);
	}
	return 1;
}

static inline int cap_check_opts(const struct cap_opts *o)
{
	if (o->dev == NULL) {
		fprintf(stderr, "no device: use -i <device> (see --help)\n");
		return -1;
	}
	if (o->snaplen < PW_ETH_HLEN || o->idle_ms == 0) {
		fprintf(stderr, "-s must be >= %d and -t > 0\n", PW_ETH_HLEN);
		return -1;
	}
	return 0;
}

/* The work of one packet, stamped @ts_ns by the kernel; inline in every
 * receive loop. */
static inline void cap_packet(struct cap_run *r, const uint8_t *pkt,
			      uint32_t caplen, uint32_t len, uint64_t ts_ns)
{
	probe_work(&r->acc, pkt, caplen, len);
	if (r->o->work_ns) {
		uint64_t until = cap_now_ns() + r->o->work_ns;

		while (cap_now_ns() < until)
			; /* the analysis a real probe would do */
	}
	atomic_store_explicit(&r->seen, r->acc.pkts, memory_order_relaxed);
	r->last_ts = ts_ns;
	if (r->acc.pkts == 1) {
		r->first_ts = ts_ns;
		r->first_ns = r->last_ns = cap_now_ns();
	} else if (r->acc.pkts % CAP_CLOCK_EVERY == 0) {
		r->last_ns = cap_now_ns();
	}
}

/* Non-zero once the loop should stop; records a count end. */
static inline int cap_done(struct cap_run *r)
{
	int expected = CAP_END_NONE;

	if (r->o->count && r->acc.pkts >= r->o->count) {
		r->last_ns = cap_now_ns();
		atomic_compare_exchange_strong(&r->end, &expected,
					       CAP_END_COUNT);
		return 1;
	}
	return atomic_load_explicit(&r->end, memory_order_relaxed) != 0;
}

static inline void cap_stop(struct cap_run *r, int why)
{
	int expected = CAP_END_NONE;

	atomic_compare_exchange_strong(&r->end, &expected, why);
}

/* Has the run been idle too long? Returns the end reason or 0. */
static inline int cap_idle_check(struct cap_run *r, uint64_t *prev,
				 uint64_t *since)
{
	uint64_t seen = atomic_load_explicit(&r->seen, memory_order_relaxed);
	uint64_t now = cap_now_ns();
	uint64_t limit_ms = seen ? r->o->idle_ms : r->o->start_ms;

	if (seen != *prev) {
		*prev = seen;
		*since = now;
		return 0;
	}
	if (now - *since < limit_ms * 1000000ULL)
		return 0;
	return seen ? CAP_END_IDLE : CAP_END_NOSTART;
}

/* Until the loop has returned: end the run when idle, then keep waking
 * the receive call (a wake may land just before it blocks). */
static void *cap_watchdog(void *arg)
{
	struct cap_run *r = arg;
	struct timespec tick = {0, (long)CAP_WATCH_NS};
	uint64_t prev = 0, since = cap_now_ns();
	int why;

	while (!atomic_load(&r->finished)) {
		nanosleep(&tick, NULL);
		if (!atomic_load(&r->end)) {
			why = cap_idle_check(r, &prev, &since);
			if (!why)
				continue;
			cap_stop(r, why);
		}
		if (r->wake)
			r->wake(r->wake_arg);
		pthread_kill(r->main_thread, SIGUSR1);
	}
	return NULL;
}

static void cap_on_sigusr1(int sig)
{
	(void)sig; /* only interrupts a blocking call (no SA_RESTART) */
}

/* Say "ready", start the clock and the watchdog. */
static inline int cap_start(struct cap_run *r)
{
	struct sigaction sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cap_on_sigusr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror("sigaction");
		return -1;
	}
	r->main_thread = pthread_self();
	getrusage(RUSAGE_SELF, &r->ru0);
	printf("ready\n");
	fflush(stdout);
	rc = pthread_create(&r->watchdog, NULL, cap_watchdog, r);
	if (rc) {
		fprintf(stderr, "pthread_create: %s\n", strerror(rc));
		return -1;
	}
	return 0;
}

static inline void cap_init(struct cap_run *r, const struct cap_opts *o,
			    cap_wake_fn wake, void *wake_arg)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->wake = wake;
	r->wake_arg = wake_arg;
	probe_init(&r->acc);
}

/* The receive loop has returned: stop the watchdog. */
static inline void cap_finish(struct cap_run *r)
{
	cap_stop(r, CAP_END_ERROR); /* no-op when already ended */
	atomic_store(&r->finished, 1);
	pthread_join(r->watchdog, NULL);
}

static inline double cap_tv_s(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_usec - a->tv_usec) / 1e6;
}

static inline const char *cap_end_str(int end)
{
	static const char *const names[] = {"none", "count", "idle", "nostart",
					    "error"};

	return end >= 0 && end <= CAP_END_ERROR ? names[end] : "?";
}

static inline void cap_report(struct cap_run *r, const char *path,
			      uint64_t dropped)
{
	struct rusage ru;
	double user, sys, span, drain;

	getrusage(RUSAGE_SELF, &ru);
	user = cap_tv_s(&r->ru0.ru_utime, &ru.ru_utime);
	sys = cap_tv_s(&r->ru0.ru_stime, &ru.ru_stime);
	span = (double)(r->last_ts - r->first_ts) / 1e9;
	drain = (double)(r->last_ns - r->first_ns) / 1e9;
	printf("result path=%s captured=%" PRIu64 " dropped=%" PRIu64
	       " user_s=%.4f sys_s=%.4f cpu_s=%.4f span_s=%.6f pps=%.0f"
	       " drain_s=%.6f ip=%" PRIu64 " sum=%016" PRIx64
	       " end=%s ring=%s%s\n",
	       path, r->acc.pkts, dropped, user, sys, user + sys, span,
	       span > 0 ? (double)r->acc.pkts / span : 0.0, drain,
	       r->acc.ip_pkts, r->acc.sum, cap_end_str(atomic_load(&r->end)),
	       r->ring_desc, r->extra);
	fflush(stdout);
}

#endif /* CAP_COMMON_H */
