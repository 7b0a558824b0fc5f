/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfdump - write the packets of a PF_RING device to a pcap file.
 */
#include <err.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pfring.h"
#include "pfutils.h"

#define DEFAULT_SNAPLEN 1536

struct pfdump_opts {
	const char *device;
	const char *out;
	struct pfu_rx_config rx;
	u_int64_t max_pkts;
	double duration;
	int nano;
	int active_wait;
};

struct pfdump {
	pfring *ring;
	pcap_t *dead;
	pcap_dumper_t *dumper;
	int nano;
	u_int32_t snaplen;
	u_int64_t written;
	u_int64_t bytes;
};

static void usage(void)
{
	printf("Usage: pfdump -i <device> -w <file> [options]\n"
	       "Write the packets of a PF_RING device to a pcap file.\n"
	       "\n"
	       "  -i <device>   eth0, eth0@2, any, pcap:FILE, multi:a;b\n"
	       "  -w <file>     pcap file to write, - for stdout\n"
	       "  -f <filter>   BPF filter expression\n"
	       "  -n <n>        stop after <n> packets (0: no limit)\n"
	       "  -d <sec>      stop after <sec> seconds\n"
	       "  -l <len>      capture length (default %d)\n"
	       "  -s <n>        sampling rate: 1 packet in <n>\n"
	       "  -e <dir>      0 rx+tx (default), 1 rx only, 2 tx only\n"
	       "  -T            nanosecond timestamps in the file\n"
	       "  -P            promiscuous mode (the default)\n"
	       "  -N            no promiscuous mode\n"
	       "  -a            active wait: spin instead of polling\n"
	       "  -V, --version print the version\n"
	       "  -h, --help    print this help\n",
	       DEFAULT_SNAPLEN);
}

/* 1: not an option of ours. */
static int set_option(struct pfdump_opts *o, int c, char *arg)
{
	u_int32_t v;

	switch (c) {
	case 'i':
		o->device = arg;
		return 0;
	case 'w':
		o->out = arg;
		return 0;
	case 'f':
		o->rx.bpf = arg;
		return 0;
	case 'n':
		return pfu_parse_u64(c, arg, 0, UINT64_MAX, &o->max_pkts);
	case 'd':
		return pfu_parse_double(c, arg, 0.001, 1e9, &o->duration);
	case 'l':
		return pfu_parse_u32(c, arg, 1, MAX_CAPLEN, &o->rx.snaplen);
	case 's':
		return pfu_parse_u32(c, arg, 1, UINT32_MAX, &o->rx.sampling);
	case 'e':
		if (pfu_parse_u32(c, arg, 0, 2, &v) < 0)
			return -1;
		o->rx.direction = (int)v;
		return 0;
	}
	return 1;
}

static int set_flag(struct pfdump_opts *o, int c)
{
	switch (c) {
	case 'T':
		o->nano = 1;
		return 0;
	case 'P':
		o->rx.flags |= PF_RING_PROMISC;
		return 0;
	case 'N':
		o->rx.flags &= ~(u_int32_t)PF_RING_PROMISC;
		return 0;
	case 'a':
		o->active_wait = 1;
		return 0;
	}
	return 1;
}

static void default_opts(struct pfdump_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rx.appname = "pfdump";
	o->rx.snaplen = DEFAULT_SNAPLEN;
	o->rx.flags = PF_RING_PROMISC;
	o->rx.direction = -1;
}

static int check_opts(const struct pfdump_opts *o, int argc, char **argv)
{
	if (optind < argc)
		return pfu_usage_error("unexpected argument '%s'",
				       argv[optind]);
	if (o->device == NULL)
		return pfu_usage_error("no device: use -i <device>");
	if (o->out == NULL)
		return pfu_usage_error("no output file: use -w <file>");
	return -1;
}

/* -1 to run, otherwise the exit status. */
static int parse_args(int argc, char **argv, struct pfdump_opts *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c, rc;

	default_opts(o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:w:f:n:d:l:s:e:TPNaVh", longopts,
				NULL)) != -1) {
		if (c == 'h' || c == 'V') {
			if (c == 'h')
				usage();
			else
				pfu_print_version();
			return PFU_EXIT_OK;
		}
		if (c == '?' || c == ':')
			return pfu_option_error(c, argv);
		rc = set_option(o, c, optarg);
		if (rc > 0)
			rc = set_flag(o, c);
		if (rc != 0)
			return pfu_usage_hint();
	}
	return check_opts(o, argc, argv);
}

/* ------------------------------------------------------------------------
 * The pcap file
 */

static int open_dump(struct pfdump *d, const char *path)
{
	u_int precision =
	    d->nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;

	d->dead = pcap_open_dead_with_tstamp_precision(
	    DLT_EN10MB, (int)d->snaplen, precision);
	if (d->dead == NULL) {
		warnx("pcap_open_dead: out of memory");
		return -1;
	}
	d->dumper = pcap_dump_open(d->dead, path);
	if (d->dumper == NULL) {
		warnx("%s", pcap_geterr(d->dead));
		return -1;
	}
	return 0;
}

/* Flush and close; -1 when the file could not be written in full. */
static int close_dump(struct pfdump *d)
{
	int rc = 0;

	if (d->dumper) {
		if (pcap_dump_flush(d->dumper) < 0 ||
		    ferror(pcap_dump_file(d->dumper))) {
			warnx("write error on the output file");
			rc = -1;
		}
		pcap_dump_close(d->dumper);
	}
	if (d->dead)
		pcap_close(d->dead);
	return rc;
}

static int on_packet(void *ctx, const struct pfring_pkthdr *h,
		     const u_char *pkt)
{
	struct pfdump *d = ctx;
	struct pcap_pkthdr ph;
	u_int64_t ns = h->extended_hdr.timestamp_ns;

	if (ns == 0)
		ns = (u_int64_t)h->ts.tv_sec * PFU_NSEC +
		     (u_int64_t)h->ts.tv_usec * 1000;
	ph.ts.tv_sec = (time_t)(ns / PFU_NSEC);
	ph.ts.tv_usec =
	    (suseconds_t)(d->nano ? ns % PFU_NSEC : ns % PFU_NSEC / 1000);
	ph.caplen = h->caplen < d->snaplen ? h->caplen : d->snaplen;
	ph.len = h->len > ph.caplen ? h->len : ph.caplen;
	pcap_dump((u_char *)d->dumper, &ph, pkt);
	if (ferror(pcap_dump_file(d->dumper))) {
		warnx("write error on the output file");
		return -1;
	}
	d->written++;
	d->bytes += ph.caplen;
	return 0;
}

/* ------------------------------------------------------------------------
 * Main
 */

static u_int64_t dropped(pfring *ring)
{
	pfring_stat st;

	if (pfring_stats(ring, &st) == 0)
		return st.drop;
	warnx("pfring_stats: %s", pfring_strerror(ring));
	return 0;
}

static int capture(struct pfdump *d, const struct pfdump_opts *o)
{
	struct pfu_capture cap;

	memset(&cap, 0, sizeof(cap));
	cap.ring = d->ring;
	cap.max_pkts = o->max_pkts;
	cap.duration_ns = o->duration > 0 ? pfu_sec_to_ns(o->duration) : 0;
	cap.active_wait = o->active_wait;
	cap.on_packet = on_packet;
	cap.ctx = d;
	return pfu_capture_run(&cap);
}

static int run(const struct pfdump_opts *o)
{
	struct pfdump d;
	FILE *report = strcmp(o->out, "-") == 0 ? stderr : stdout;
	int rc;

	memset(&d, 0, sizeof(d));
	d.nano = o->nano;
	d.snaplen = o->rx.snaplen;
	d.ring = pfu_rx_open(o->device, &o->rx);
	if (d.ring == NULL)
		return PFU_EXIT_FAILURE;
	rc = open_dump(&d, o->out);
	if (rc == 0 && pfu_signals_install(d.ring) < 0) {
		warn("sigaction");
		rc = -1;
	}
	if (rc == 0)
		rc = capture(&d, o);
	if (close_dump(&d) < 0)
		rc = -1;
	fprintf(report, "pfdump: written=%llu bytes=%llu dropped=%llu\n",
		(unsigned long long)d.written, (unsigned long long)d.bytes,
		(unsigned long long)dropped(d.ring));
	pfring_close(d.ring);
	return rc < 0 ? PFU_EXIT_FAILURE : PFU_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct pfdump_opts o;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	return run(&o);
}
