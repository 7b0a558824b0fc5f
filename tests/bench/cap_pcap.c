/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cap_pcap - capture benchmark, libpcap path: pcap_create() +
 * pcap_activate() configured as tcpdump does (promiscuous, 1 s timeout,
 * the library's default buffer unless -B), then pcap_loop().
 */
#include <getopt.h>
#include <pcap/pcap.h>

#include "cap_common.h"

#define PCAP_TIMEOUT_MS	 1000		   /* tcpdump's */
#define PCAP_DEFAULT_BUF (2 * 1024 * 1024) /* libpcap >= 1.0 on Linux */
#define MAX_BUF		 (1ULL << 31)

struct pc_opts {
	struct cap_opts cap;
	uint32_t buffer; /* 0: libpcap's default */
};

struct pc_ctx {
	struct cap_run *r;
	pcap_t *p;
};

static void usage(void)
{
	cap_usage_common("cap_pcap", "Capture with libpcap (pcap_loop).");
	printf("  -B <bytes>   pcap_set_buffer_size (default: libpcap's own, "
	       "%d on Linux)\n",
	       PCAP_DEFAULT_BUF);
}

static int parse_args(int argc, char **argv, struct pc_opts *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	uint64_t v;
	int c, rc;

	memset(o, 0, sizeof(*o));
	cap_opts_default(&o->cap);
	while ((c = getopt_long(argc, argv, CAP_COMMON_OPTS "B:", longopts,
				NULL)) != -1) {
		if (c == 'h') {
			usage();
			exit(0);
		}
		rc = cap_common_opt(&o->cap, c, optarg);
		if (rc == 1 && c == 'B') {
			rc = cap_parse_num(c, optarg, MAX_BUF, &v);
			o->buffer = (uint32_t)v;
		}
		if (rc != 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return cap_check_opts(&o->cap);
}

static int configure(pcap_t *p, const struct pc_opts *o)
{
	if (pcap_set_snaplen(p, (int)o->cap.snaplen) ||
	    pcap_set_promisc(p, 1) || pcap_set_timeout(p, PCAP_TIMEOUT_MS))
		return -1;
	if (o->buffer && pcap_set_buffer_size(p, (int)o->buffer))
		return -1;
	return 0;
}

static pcap_t *open_pcap(const struct pc_opts *o)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(o->cap.dev, errbuf);
	int rc;

	if (p == NULL) {
		fprintf(stderr, "pcap_create(%s): %s\n", o->cap.dev, errbuf);
		return NULL;
	}
	if (configure(p, o) < 0) {
		fprintf(stderr, "%s: cannot configure the handle\n",
			o->cap.dev);
		pcap_close(p);
		return NULL;
	}
	rc = pcap_activate(p);
	if (rc < 0) {
		fprintf(stderr, "pcap_activate(%s): %s\n", o->cap.dev,
			pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		fprintf(stderr, "pcap_activate(%s): warning %d: %s\n",
			o->cap.dev, rc, pcap_geterr(p));
	return p;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *pkt)
{
	struct pc_ctx *ctx = (struct pc_ctx *)user;

	cap_packet(ctx->r, pkt, h->caplen, h->len,
		   (uint64_t)h->ts.tv_sec * 1000000000ULL +
		       (uint64_t)h->ts.tv_usec * 1000);
	if (cap_done(ctx->r))
		pcap_breakloop(ctx->p);
}

static void wake(void *arg)
{
	pcap_breakloop(arg);
}

int main(int argc, char **argv)
{
	struct pc_opts o;
	struct cap_run r;
	struct pc_ctx ctx;
	struct pcap_stat st;
	pcap_t *p;
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	p = open_pcap(&o);
	if (p == NULL)
		return 1;
	cap_init(&r, &o.cap, wake, p);
	snprintf(r.ring_desc, sizeof(r.ring_desc), "pcap-buffer=%u%s",
		 o.buffer ? o.buffer : PCAP_DEFAULT_BUF,
		 o.buffer ? "" : "(default)");
	ctx.r = &r;
	ctx.p = p;
	if (cap_start(&r) < 0)
		return 1;
	do {
		rc = pcap_loop(p, -1, on_packet, (u_char *)&ctx);
	} while (rc >= 0 && !cap_done(&r));
	if (rc == PCAP_ERROR)
		fprintf(stderr, "pcap_loop: %s\n", pcap_geterr(p));
	cap_finish(&r);
	memset(&st, 0, sizeof(st));
	if (pcap_stats(p, &st) < 0)
		fprintf(stderr, "pcap_stats: %s\n", pcap_geterr(p));
	cap_report(&r, "libpcap", st.ps_drop);
	pcap_close(p);
	return rc == PCAP_ERROR ? 1 : 0;
}
