/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfutils.h - helpers shared by the example tools (pfcount, pfsend, pfdump):
 * number formatting in PF_RING's style, strict option parsing, address
 * printing, a synthetic UDP packet generator, clocks, signals and the
 * capture loop that pfcount and pfdump share.
 *
 * Messages go to stderr prefixed with the program's name (warnx(3)).
 */
#ifndef PFUTILS_H
#define PFUTILS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pfring.h"

/* Exit status of every tool. */
enum pfu_exit {
	PFU_EXIT_OK = 0,
	PFU_EXIT_FAILURE = 1, /* something failed at run time */
	PFU_EXIT_USAGE = 2,   /* bad or unknown option, bad number */
};

/* Bytes a frame occupies on the wire besides its own: preamble and start
 * delimiter (8), CRC (4) and the inter-frame gap (12). Bit rates are line
 * rates, as PF_RING reports them. */
#define PFU_WIRE_OVERHEAD 24

#define PFU_NUM_LEN  48 /* room for any pfu_fmt_num() result */
#define PFU_MAC_LEN  18
#define PFU_ADDR_LEN 46 /* INET6_ADDRSTRLEN */
#define PFU_NSEC     1000000000ULL

/* --- numbers ----------------------------------------------------------- */

/* @v with @decimals decimals and ' between thousands: 64'415'543.00. */
const char *pfu_fmt_num(double v, int decimals, char *buf, size_t len);
/* An auto-scaled bit rate: "950.00 bit/s", "12.50 Mbit/s", "9.55 Gbit/s". */
const char *pfu_fmt_bitrate(double bits_per_sec, char *buf, size_t len);
/* Line-rate bits of @pkts frames holding @bytes bytes in all. */
double pfu_line_bits(u_int64_t pkts, u_int64_t bytes);

/* --- option parsing: 0, or -1 after a message naming -@flag ----------- */

int pfu_parse_u64(int flag, const char *s, u_int64_t min, u_int64_t max,
		  u_int64_t *out);
int pfu_parse_u32(int flag, const char *s, u_int32_t min, u_int32_t max,
		  u_int32_t *out);
/* A finite decimal number in [min, max]. */
int pfu_parse_double(int flag, const char *s, double min, double max,
		     double *out);
/* aa:bb:cc:dd:ee:ff */
int pfu_parse_mac(int flag, const char *s, u_int8_t mac[ETH_ALEN]);
/* Dotted quad; @out in host byte order. */
int pfu_parse_ipv4(int flag, const char *s, u_int32_t *out);

/*
 * getopt_long() reported @c ('?' unknown option, ':' missing argument) for
 * argv[optind - 1]: say so, point to --help and return PFU_EXIT_USAGE.
 */
int pfu_option_error(int c, char *const argv[]);
/* "Try 'tool --help'..." on stderr; returns PFU_EXIT_USAGE. */
int pfu_usage_hint(void);
/* A usage error of ours: the message, the --help hint, PFU_EXIT_USAGE. */
int pfu_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "pfcount (vPF_RING 0.1.0, PF_RING API 5.6.2)" on stdout. */
void pfu_print_version(void);

/* --- printing ---------------------------------------------------------- */

const char *pfu_mac_str(const u_int8_t mac[ETH_ALEN], char buf[PFU_MAC_LEN]);
/* @version 4: a.v4 (host order); 6: a.v6. */
const char *pfu_ip_str(const ip_addr *a, int version, char *buf, size_t len);
/* "TCP", "UDP", ... or the number. */
const char *pfu_proto_str(u_int8_t proto, char *buf, size_t len);
/* Local wall-clock time of a packet: HH:MM:SS.nnnnnnnnn. */
const char *pfu_pkt_time_str(const struct pfring_pkthdr *h, char *buf,
			     size_t len);

/* --- time -------------------------------------------------------------- */

u_int64_t pfu_now_ns(void); /* CLOCK_MONOTONIC */
u_int64_t pfu_sec_to_ns(double sec);
/* Sleep, then spin for the last stretch, until pfu_now_ns() >= @deadline
 * or a stop is requested. */
void pfu_wait_until_ns(u_int64_t deadline);

/* --- signals ----------------------------------------------------------- */

/*
 * SIGINT, SIGTERM and SIGHUP request a stop and break @ring's loop
 * (pfring_breakloop()); SIGPIPE is ignored. Handlers are installed without
 * SA_RESTART so that a blocking call returns early.
 */
int pfu_signals_install(pfring *ring);
int pfu_stop_requested(void);

/* --- receiving rings --------------------------------------------------- */

/* How pfu_rx_open() sets a ring up; 0 (or NULL) leaves a setting alone. */
struct pfu_rx_config {
	const char *appname;
	u_int32_t snaplen;
	u_int32_t flags; /* pfring_open() flags */
	int direction;	 /* packet_direction, or -1 */
	char *bpf;
	u_int32_t sampling; /* 1 in N */
	int cluster_set;
	u_int32_t cluster_id;
	cluster_type cluster;
	u_int16_t watermark;
	u_int32_t poll_ms;
};

/* Open @device, apply @cfg and enable the ring; NULL after a message. */
pfring *pfu_rx_open(const char *device, const struct pfu_rx_config *cfg);

/* --- the capture loop of pfcount and pfdump ---------------------------- */

enum pfu_end {
	PFU_END_NONE = 0,
	PFU_END_SIGNAL, /* SIGINT, SIGTERM, SIGHUP */
	PFU_END_COUNT,	/* max_pkts reached */
	PFU_END_TIME,	/* duration elapsed */
	PFU_END_EOF,	/* the device has no more packets (pcap: replay) */
	PFU_END_ERROR,	/* a library call or on_packet failed */
};

struct pfu_capture;
/* 0 to go on, negative to stop with PFU_END_ERROR. */
typedef int (*pfu_packet_fn)(void *ctx, const struct pfring_pkthdr *h,
			     const u_char *pkt);
typedef void (*pfu_tick_fn)(void *ctx, const struct pfu_capture *cap,
			    u_int64_t now_ns);

struct pfu_capture {
	/* set by the caller */
	pfring *ring;
	u_int64_t max_pkts;    /* 0: no limit */
	u_int64_t duration_ns; /* 0: no limit */
	u_int64_t interval_ns; /* on_tick period; 0: no ticks */
	u_int32_t poll_ms;     /* longest sleep in pfring_poll() */
	int active_wait;       /* spin on pfring_recv() instead of polling */
	int use_loop;	       /* pfring_loop() instead of pfring_recv() */
	pfu_packet_fn on_packet;
	pfu_tick_fn on_tick;
	void *ctx;
	/* results */
	u_int64_t start_ns;
	u_int64_t pkts;
	u_int64_t bytes; /* sum of the packets' wire lengths */
	enum pfu_end end;
	int error; /* the failing call's PF_RING_ERROR_* */
	/* private */
	u_int64_t next_tick_ns;
	u_int64_t deadline_ns;
	_Atomic u_int64_t next_break_ns;
	atomic_int ticker_quit;
};

/* Receive until a limit, a signal, the end of the input or an error.
 * Returns 0, or negative (cap->error) when the capture failed. */
int pfu_capture_run(struct pfu_capture *cap);

/* --- synthetic packets ------------------------------------------------- */

#define PFU_MIN_FRAME 60
#define PFU_MAX_FLOWS (1U << 24)

struct pfu_pktgen_config {
	u_int8_t smac[ETH_ALEN], dmac[ETH_ALEN];
	u_int32_t src_ip, dst_ip; /* host order */
	u_int16_t sport, dport;
	u_int32_t frame_len; /* PFU_MIN_FRAME.. (no CRC) */
	u_int32_t flows;     /* 1..PFU_MAX_FLOWS */
};

/*
 * Ethernet/IPv4/UDP frames. Flow f (0..flows-1) has source address
 * src_ip + f and source port sport + f % 4096 (wrapping in 1024..65535),
 * so that flows hash apart; both checksums are correct.
 */
struct pfu_pktgen {
	struct pfu_pktgen_config cfg;
	u_char *frame;
	u_int32_t udp_sum; /* UDP checksum over everything but the flow's
			      source address and port */
};

int pfu_pktgen_init(struct pfu_pktgen *g, const struct pfu_pktgen_config *cfg);
/* The frame of @flow (modulo flows), valid until the next call. */
u_char *pfu_pktgen_flow(struct pfu_pktgen *g, u_int32_t flow);
void pfu_pktgen_free(struct pfu_pktgen *g);
/* Internet checksum (RFC 1071) of @len bytes, starting from @sum. */
u_int16_t pfu_inet_csum(const void *data, size_t len, u_int32_t sum);

#endif /* PFUTILS_H */
