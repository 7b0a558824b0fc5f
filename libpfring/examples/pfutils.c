/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfutils.c - helpers shared by pfcount, pfsend and pfdump.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pfutils.h"

/* ------------------------------------------------------------------------
 * Numbers
 */

/* Copy the digits of @digits (n of them) into @out with ' every three. */
static size_t group_thousands(const char *digits, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = '\'';
		out[o++] = digits[i];
	}
	return o;
}

const char *pfu_fmt_num(double v, int decimals, char *buf, size_t len)
{
	char raw[PFU_NUM_LEN], out[PFU_NUM_LEN * 2];
	const char *digits = raw;
	size_t n, o = 0;

	if (!isfinite(v) || v >= 1e18 || v <= -1e18) {
		snprintf(buf, len, "%.*f", decimals, v);
		return buf;
	}
	snprintf(raw, sizeof(raw), "%.*f", decimals, v);
	if (*digits == '-')
		out[o++] = *digits++;
	n = strcspn(digits, ".");
	o += group_thousands(digits, n, out + o);
	snprintf(out + o, sizeof(out) - o, "%s", digits + n);
	snprintf(buf, len, "%s", out);
	return buf;
}

const char *pfu_fmt_bitrate(double bps, char *buf, size_t len)
{
	static const char *const unit[] = {"bit/s", "Kbit/s", "Mbit/s",
					   "Gbit/s", "Tbit/s"};
	unsigned int i = 0;

	while ((bps >= 1000.0 || bps <= -1000.0) &&
	       i + 1 < sizeof(unit) / sizeof(unit[0])) {
		bps /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.2f %s", bps, unit[i]);
	return buf;
}

double pfu_line_bits(u_int64_t pkts, u_int64_t bytes)
{
	return 8.0 * ((double)bytes + (double)pkts * PFU_WIRE_OVERHEAD);
}

/* ------------------------------------------------------------------------
 * Option parsing
 */

int pfu_parse_u64(int flag, const char *s, u_int64_t min, u_int64_t max,
		  u_int64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9') {
		warnx("-%c: '%s' is not a non-negative integer", flag, s);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		warnx("-%c: '%s' is not a non-negative integer", flag, s);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		warnx("-%c: %s is out of range (%llu..%llu)", flag, s,
		      (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int pfu_parse_u32(int flag, const char *s, u_int32_t min, u_int32_t max,
		  u_int32_t *out)
{
	u_int64_t v;

	if (pfu_parse_u64(flag, s, min, max, &v) < 0)
		return -1;
	*out = (u_int32_t)v;
	return 0;
}

int pfu_parse_double(int flag, const char *s, double min, double max,
		     double *out)
{
	double v;
	char *end;

	if ((s[0] < '0' || s[0] > '9') && s[0] != '.') {
		warnx("-%c: '%s' is not a non-negative number", flag, s);
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0') {
		warnx("-%c: '%s' is not a non-negative number", flag, s);
		return -1;
	}
	if (errno == ERANGE || !isfinite(v) || v < min || v > max) {
		warnx("-%c: %s is out of range (%g..%g)", flag, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pfu_parse_mac(int flag, const char *s, u_int8_t mac[ETH_ALEN])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		goto bad;
	for (i = 0; i < ETH_ALEN; i++) {
		hi = hex_digit(s[3 * i]);
		lo = hex_digit(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			goto bad;
		mac[i] = (u_int8_t)(hi << 4 | lo);
	}
	return 0;
bad:
	warnx("-%c: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", flag, s);
	return -1;
}

int pfu_parse_ipv4(int flag, const char *s, u_int32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		warnx("-%c: '%s' is not an IPv4 address", flag, s);
		return -1;
	}
	*out = ntohl(a.s_addr);
	return 0;
}

int pfu_usage_hint(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n",
		program_invocation_short_name);
	return PFU_EXIT_USAGE;
}

int pfu_option_error(int c, char *const argv[])
{
	const char *arg = argv[optind - 1];

	if (strncmp(arg, "--", 2) == 0 && arg[2] != '\0')
		warnx("unknown option, or bad use of '%s'", arg);
	else if (c == ':' && optopt != 0)
		warnx("option '-%c' requires an argument", optopt);
	else if (c == ':')
		warnx("option '%s' requires an argument", arg);
	else if (optopt != 0)
		warnx("unknown option '-%c'", optopt);
	else
		warnx("unknown option '%s'", arg);
	return pfu_usage_hint();
}

int pfu_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	return pfu_usage_hint();
}

void pfu_print_version(void)
{
	printf("%s (vPF_RING %s, PF_RING API %s)\n",
	       program_invocation_short_name, VPFRING_VERSION, RING_VERSION);
}

/* ------------------------------------------------------------------------
 * Printing
 */

const char *pfu_mac_str(const u_int8_t mac[ETH_ALEN], char buf[PFU_MAC_LEN])
{
	snprintf(buf, PFU_MAC_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

const char *pfu_ip_str(const ip_addr *a, int version, char *buf, size_t len)
{
	struct in_addr v4;

	if (version == 6)
		return inet_ntop(AF_INET6, &a->v6, buf, len) ? buf : "?";
	v4.s_addr = htonl(a->v4);
	return inet_ntop(AF_INET, &v4, buf, len) ? buf : "?";
}

const char *pfu_proto_str(u_int8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "ICMPv6";
	case IPPROTO_SCTP:
		return "SCTP";
	case IPPROTO_GRE:
		return "GRE";
	default:
		snprintf(buf, len, "proto %u", proto);
		return buf;
	}
}

const char *pfu_pkt_time_str(const struct pfring_pkthdr *h, char *buf,
			     size_t len)
{
	u_int64_t ns = h->extended_hdr.timestamp_ns;
	time_t sec;
	struct tm tm;

	if (ns == 0)
		ns = (u_int64_t)h->ts.tv_sec * PFU_NSEC +
		     (u_int64_t)h->ts.tv_usec * 1000;
	sec = (time_t)(ns / PFU_NSEC);
	if (localtime_r(&sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, len, "%02d:%02d:%02d.%09llu", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (unsigned long long)(ns % PFU_NSEC));
	return buf;
}

/* ------------------------------------------------------------------------
 * Time
 */

/* Below this, pfu_wait_until_ns() spins rather than trusting the
 * scheduler to wake it up in time. */
#define SPIN_NS 100000ULL
#define NAP_NS	100000000ULL

u_int64_t pfu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u_int64_t)ts.tv_sec * PFU_NSEC + (u_int64_t)ts.tv_nsec;
}

u_int64_t pfu_sec_to_ns(double sec)
{
	return (u_int64_t)(sec * (double)PFU_NSEC + 0.5);
}

static void sleep_until_ns(u_int64_t t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(t / PFU_NSEC);
	ts.tv_nsec = (long)(t % PFU_NSEC);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

void pfu_wait_until_ns(u_int64_t deadline)
{
	u_int64_t now;

	/* Naps of at most NAP_NS: a stop that lands just before one is
	 * seen soon. */
	while ((now = pfu_now_ns()) < deadline && !pfu_stop_requested()) {
		if (deadline - now > SPIN_NS + NAP_NS)
			sleep_until_ns(now + NAP_NS);
		else if (deadline - now > SPIN_NS)
			sleep_until_ns(deadline - SPIN_NS);
	}
}

/* ------------------------------------------------------------------------
 * Signals: the only state shared with a handler.
 */

static volatile sig_atomic_t stop_requested;
static pfring *volatile signal_ring;

static void on_stop_signal(int sig)
{
	pfring *ring = signal_ring;

	stop_requested = 1;
	if (ring != NULL)
		pfring_breakloop(ring); /* one atomic store */
}

int pfu_signals_install(pfring *ring)
{
	static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;
	size_t i;

	signal_ring = ring;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		if (sigaction(stop_signals[i], &sa, NULL) < 0)
			return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

int pfu_stop_requested(void)
{
	return stop_requested != 0;
}

/* ------------------------------------------------------------------------
 * Receiving rings
 */

static int rx_failed(pfring *ring, const char *call)
{
	warnx("%s: %s", call, pfring_strerror(ring));
	return -1;
}

/* Settings that do not change what the ring receives. */
static int rx_tune(pfring *ring, const struct pfu_rx_config *cfg)
{
	if (cfg->watermark &&
	    pfring_set_poll_watermark(ring, cfg->watermark) < 0)
		return rx_failed(ring, "pfring_set_poll_watermark");
	if (cfg->poll_ms && pfring_set_poll_duration(ring, cfg->poll_ms) < 0)
		return rx_failed(ring, "pfring_set_poll_duration");
	return 0;
}

/* Settings that select packets: direction, cluster, filter, sampling. */
static int rx_select(pfring *ring, const struct pfu_rx_config *cfg)
{
	if (cfg->direction >= 0 &&
	    pfring_set_direction(ring, (packet_direction)cfg->direction) < 0)
		return rx_failed(ring, "pfring_set_direction");
	if (cfg->cluster_set &&
	    pfring_set_cluster(ring, cfg->cluster_id, cfg->cluster) < 0)
		return rx_failed(ring, "pfring_set_cluster");
	if (cfg->bpf && pfring_set_bpf_filter(ring, cfg->bpf) < 0) {
		warnx("pfring_set_bpf_filter(\"%s\"): %s", cfg->bpf,
		      pfring_strerror(ring));
		return -1;
	}
	if (cfg->sampling > 1 &&
	    pfring_set_sampling_rate(ring, cfg->sampling) < 0)
		return rx_failed(ring, "pfring_set_sampling_rate");
	return 0;
}

pfring *pfu_rx_open(const char *device, const struct pfu_rx_config *cfg)
{
	pfring *ring = pfring_open(device, cfg->snaplen, cfg->flags);

	if (ring == NULL) {
		warnx("cannot open '%s': %s", device, pfring_strerror(NULL));
		return NULL;
	}
	if (pfring_set_application_name(ring, (char *)cfg->appname) < 0)
		rx_failed(ring, "pfring_set_application_name");
	else if (rx_select(ring, cfg) == 0 && rx_tune(ring, cfg) == 0) {
		if (pfring_enable_ring(ring) == 0)
			return ring;
		rx_failed(ring, "pfring_enable_ring");
	}
	pfring_close(ring);
	return NULL;
}

/* ------------------------------------------------------------------------
 * The capture loop
 */

/* How often the ticker thread of the pfring_loop() mode looks at the
 * clock and at a pending stop. */
#define TICKER_NS 100000000ULL
/* Packets between two looks at the clock in the pfring_recv() mode. */
#define CLOCK_EVERY 64

static u_int64_t next_event_ns(const struct pfu_capture *c)
{
	u_int64_t t = UINT64_MAX;

	if (c->interval_ns && c->next_tick_ns < t)
		t = c->next_tick_ns;
	if (c->duration_ns && c->deadline_ns < t)
		t = c->deadline_ns;
	return t;
}

/* Run a due tick; 1 when the capture must end (deadline or stop). */
static int check_clock(struct pfu_capture *c, u_int64_t now)
{
	if (pfu_stop_requested()) {
		c->end = PFU_END_SIGNAL;
		return 1;
	}
	if (c->duration_ns && now >= c->deadline_ns) {
		c->end = PFU_END_TIME;
		return 1;
	}
	if (c->interval_ns && now >= c->next_tick_ns) {
		if (c->on_tick)
			c->on_tick(c->ctx, c, now);
		c->next_tick_ns += c->interval_ns;
		if (c->next_tick_ns <= now)
			c->next_tick_ns = now + c->interval_ns;
	}
	return 0;
}

/* Count a packet and hand it over; 1 when the capture must end. */
static int deliver(struct pfu_capture *c, const struct pfring_pkthdr *h,
		   const u_char *pkt)
{
	c->pkts++;
	c->bytes += h->len;
	if (c->on_packet && c->on_packet(c->ctx, h, pkt) < 0) {
		c->end = PFU_END_ERROR;
		return 1;
	}
	if (c->max_pkts && c->pkts >= c->max_pkts) {
		c->end = PFU_END_COUNT;
		return 1;
	}
	return 0;
}

static int fail(struct pfu_capture *c, int rc, const char *call)
{
	warnx("%s: %s", call, pfring_strerror(c->ring));
	c->end = PFU_END_ERROR;
	c->error = rc < 0 ? rc : PF_RING_ERROR_GENERIC;
	return c->error;
}

/* No packet ready: sleep in pfring_poll() until one is, or until the
 * next tick or deadline. */
static int idle(struct pfu_capture *c)
{
	u_int64_t now = pfu_now_ns(), next = next_event_ns(c);
	u_int64_t ms = c->poll_ms ? c->poll_ms : DEFAULT_POLL_DURATION;
	int rc;

	if (c->active_wait || next <= now)
		return 0;
	if ((next - now + 999999) / 1000000 < ms)
		ms = (next - now + 999999) / 1000000;
	rc = pfring_poll(c->ring, (u_int)ms);
	if (rc < 0 && errno != EINTR && !pfu_stop_requested())
		return fail(c, rc, "pfring_poll");
	return 0;
}

static int run_recv(struct pfu_capture *c)
{
	struct pfring_pkthdr h;
	u_char *pkt;
	unsigned int n = 0;
	int rc;

	for (;;) {
		if (n++ % CLOCK_EVERY == 0 && check_clock(c, pfu_now_ns()))
			return 0;
		pkt = NULL;
		rc = pfring_recv(c->ring, &pkt, 0, &h, 0);
		if (rc > 0 && deliver(c, &h, pkt))
			return c->end == PFU_END_ERROR ? -1 : 0;
		if (rc > 0)
			continue;
		n = 0;
		if (rc == PF_RING_ERROR_NO_PKT_AVAILABLE) {
			c->end = PFU_END_EOF;
			return 0;
		}
		if (rc < 0 && !pfu_stop_requested())
			return fail(c, rc, "pfring_recv");
		if (rc == 0 && idle(c) < 0)
			return c->error;
	}
}

static void loop_packet(const struct pfring_pkthdr *h, const u_char *pkt,
			const u_char *user)
{
	struct pfu_capture *c = (struct pfu_capture *)(uintptr_t)user;

	if (c->end == PFU_END_NONE && deliver(c, h, pkt))
		pfring_breakloop(c->ring);
}

/* pfring_loop() only returns when broken: this thread breaks it at each
 * tick and deadline, and again while a stop is pending. */
static void *ticker(void *arg)
{
	struct pfu_capture *c = arg;
	struct timespec ts;
	u_int64_t now, next, nap;

	while (!atomic_load(&c->ticker_quit)) {
		now = pfu_now_ns();
		next = atomic_load(&c->next_break_ns);
		if (now >= next || pfu_stop_requested())
			pfring_breakloop(c->ring);
		nap = now < next && next - now < TICKER_NS ? next - now
							   : TICKER_NS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)nap;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int start_ticker(struct pfu_capture *c, pthread_t *tid)
{
	sigset_t all, old;
	int rc;

	/* Signals go to the capturing thread, so its poll() wakes up. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	atomic_store(&c->ticker_quit, 0);
	atomic_store(&c->next_break_ns, next_event_ns(c));
	rc = pthread_create(tid, NULL, ticker, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		warnx("pthread_create: %s", strerror(rc));
		c->end = PFU_END_ERROR;
		c->error = PF_RING_ERROR_GENERIC;
		return -1;
	}
	return 0;
}

static int loop_once(struct pfu_capture *c)
{
	int rc;

	atomic_store(&c->next_break_ns, next_event_ns(c));
	rc = pfring_loop(c->ring, loop_packet, (const u_char *)c,
			 !c->active_wait);
	if (c->end != PFU_END_NONE)
		return 1;
	if (rc == PF_RING_ERROR_NO_PKT_AVAILABLE) {
		c->end = PFU_END_EOF;
		return 1;
	}
	if (rc < 0 && !pfu_stop_requested()) {
		fail(c, rc, "pfring_loop");
		return 1;
	}
	return 0;
}

static int run_loop(struct pfu_capture *c)
{
	pthread_t tid;

	if (start_ticker(c, &tid) < 0)
		return c->error;
	while (!check_clock(c, pfu_now_ns()) && !loop_once(c))
		;
	atomic_store(&c->ticker_quit, 1);
	pthread_join(tid, NULL);
	return c->end == PFU_END_ERROR ? (c->error ? c->error : -1) : 0;
}

/*
 * A capture stopped by a signal or its duration still has packets in the
 * ring that the kernel has not handed over yet (AF_PACKET passes a block
 * on when it is full or its poll duration ends). Stop the ring taking new
 * packets, then read what it holds for one more poll duration, so that
 * what was counted plus what was dropped is what arrived.
 */
static void drain(struct pfu_capture *c)
{
	u_int64_t ms = c->poll_ms ? c->poll_ms : DEFAULT_POLL_DURATION;
	u_int64_t until = pfu_now_ns() + (ms + 20) * 1000000ULL;
	struct pfring_pkthdr h;
	u_char *pkt;
	int rc;

	if (pfring_disable_ring(c->ring) < 0)
		return;
	while (pfu_now_ns() < until) {
		pkt = NULL;
		rc = pfring_recv(c->ring, &pkt, 0, &h, 0);
		if (rc > 0 && deliver(c, &h, pkt))
			return;
		if (rc < 0)
			return;
		if (rc == 0)
			pfring_poll(c->ring, 5);
	}
}

int pfu_capture_run(struct pfu_capture *c)
{
	int rc;

	c->start_ns = pfu_now_ns();
	c->pkts = 0;
	c->bytes = 0;
	c->end = PFU_END_NONE;
	c->error = 0;
	c->next_tick_ns = c->start_ns + c->interval_ns;
	c->deadline_ns = c->start_ns + c->duration_ns;
	rc = c->use_loop ? run_loop(c) : run_recv(c);
	if (rc == 0 && (c->end == PFU_END_SIGNAL || c->end == PFU_END_TIME))
		drain(c);
	return rc;
}

/* ------------------------------------------------------------------------
 * Synthetic packets
 */

#define ETH_HLEN_ 14
#define IP_HLEN	  20
#define UDP_HLEN  8
#define HDRS_LEN  (ETH_HLEN_ + IP_HLEN + UDP_HLEN)
#define IP_OFF	  ETH_HLEN_
#define UDP_OFF	  (ETH_HLEN_ + IP_HLEN)

static void put16(u_char *p, u_int16_t v)
{
	p[0] = (u_char)(v >> 8);
	p[1] = (u_char)v;
}

static void put32(u_char *p, u_int32_t v)
{
	put16(p, (u_int16_t)(v >> 16));
	put16(p + 2, (u_int16_t)v);
}

/* One's complement sum of big-endian 16-bit words, not folded. */
static u_int32_t sum16(const u_char *p, size_t len, u_int32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (u_int32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (u_int32_t)(p[len - 1] << 8);
	return sum;
}

static u_int16_t fold(u_int32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u_int16_t)sum;
}

u_int16_t pfu_inet_csum(const void *data, size_t len, u_int32_t sum)
{
	return (u_int16_t)~fold(sum16(data, len, sum));
}

static u_int16_t flow_sport(const struct pfu_pktgen_config *cfg, u_int32_t flow)
{
	u_int32_t port = cfg->sport + flow % 4096;

	return (u_int16_t)(port > 0xffff ? port - 0x10000 + 1024 : port);
}

/* Everything but the flow's source address, port and the checksums. */
static void build_template(const struct pfu_pktgen_config *cfg, u_char *f)
{
	u_int32_t i, ip_len = cfg->frame_len - ETH_HLEN_;

	memcpy(f, cfg->dmac, ETH_ALEN);
	memcpy(f + ETH_ALEN, cfg->smac, ETH_ALEN);
	put16(f + 12, ETHERTYPE_IP);
	f[IP_OFF] = 0x45; /* IPv4, 20-byte header */
	put16(f + IP_OFF + 2, (u_int16_t)ip_len);
	put16(f + IP_OFF + 6, 0x4000); /* don't fragment */
	f[IP_OFF + 8] = 64;	       /* TTL */
	f[IP_OFF + 9] = IPPROTO_UDP;
	put32(f + IP_OFF + 16, cfg->dst_ip);
	put16(f + UDP_OFF + 2, cfg->dport);
	put16(f + UDP_OFF + 4, (u_int16_t)(ip_len - IP_HLEN));
	for (i = HDRS_LEN; i < cfg->frame_len; i++)
		f[i] = (u_char)(i - HDRS_LEN);
}

/* The UDP checksum's sum over the pseudo-header and datagram, without
 * the source address and port (they change per flow). */
static u_int32_t udp_base_sum(const struct pfu_pktgen_config *cfg,
			      const u_char *f)
{
	u_int32_t udp_len = cfg->frame_len - UDP_OFF;
	u_int32_t sum = (cfg->dst_ip >> 16) + (cfg->dst_ip & 0xffff);

	sum += IPPROTO_UDP + udp_len;
	return sum16(f + UDP_OFF + 2, udp_len - 2, sum);
}

int pfu_pktgen_init(struct pfu_pktgen *g, const struct pfu_pktgen_config *cfg)
{
	if (cfg->frame_len < PFU_MIN_FRAME || cfg->frame_len > MAX_CAPLEN ||
	    cfg->flows == 0 || cfg->flows > PFU_MAX_FLOWS)
		return -1;
	g->cfg = *cfg;
	g->frame = calloc(1, cfg->frame_len);
	if (g->frame == NULL)
		return -1;
	build_template(cfg, g->frame);
	g->udp_sum = udp_base_sum(cfg, g->frame);
	return 0;
}

u_char *pfu_pktgen_flow(struct pfu_pktgen *g, u_int32_t flow)
{
	u_char *f = g->frame;
	u_int32_t src = g->cfg.src_ip + flow % g->cfg.flows;
	u_int16_t sport = flow_sport(&g->cfg, flow % g->cfg.flows);
	u_int16_t csum;

	put32(f + IP_OFF + 12, src);
	put16(f + IP_OFF + 10, 0);
	put16(f + IP_OFF + 10, pfu_inet_csum(f + IP_OFF, IP_HLEN, 0));
	put16(f + UDP_OFF, sport);
	csum = pfu_inet_csum(NULL, 0,
			     g->udp_sum + (src >> 16) + (src & 0xffff) + sport);
	put16(f + UDP_OFF + 6, csum ? csum : 0xffff);
	return f;
}

void pfu_pktgen_free(struct pfu_pktgen *g)
{
	free(g->frame);
	g->frame = NULL;
}
