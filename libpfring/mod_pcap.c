/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "pcap:FILE": replays a capture file through the PF_RING API, as fast as
 * the reader asks, with every filter applied by the library (ring->sw_filter),
 * so demos and tests see exactly the file's packets. At the end of the file
 * pfring_recv() returns PF_RING_ERROR_NO_PKT_AVAILABLE.
 */
#include <stdlib.h>
#include <string.h>

#include "pfring_priv.h"

struct pcap_priv {
	pcap_t *pcap;
	struct pcap_pkthdr *next_hdr;   /* read ahead by next_pkt_time */
	const u_char *next_data;
	int eof;
	u_int64_t read;
};

static int pcap_mod_open(pfring *ring)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_priv *pp;

	pp = calloc(1, sizeof(*pp));
	if (pp == NULL)
		return pfring_error(ring, PF_RING_ERROR_NOT_ENOUGH_MEMORY,
				    "out of memory");
	pp->pcap = pcap_open_offline_with_tstamp_precision(
		ring->device, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (pp->pcap == NULL) {
		free(pp);
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "pcap:%s: %s", ring->device, errbuf);
	}
	if (pcap_datalink(pp->pcap) != DLT_EN10MB) {
		pcap_close(pp->pcap);
		free(pp);
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "pcap:%s: not an Ethernet capture",
				    ring->device);
	}
	ring->priv = pp;
	ring->sw_filter = 1;
	return 0;
}

static void pcap_mod_close(pfring *ring)
{
	struct pcap_priv *pp = ring->priv;

	pcap_close(pp->pcap);
	free(pp);
}

/* Make the next packet of the file current; 1 if there is one. */
static int read_ahead(pfring *ring, struct pcap_priv *pp)
{
	int rc;

	if (pp->next_hdr != NULL)
		return 1;
	if (pp->eof)
		return 0;
	rc = pcap_next_ex(pp->pcap, &pp->next_hdr, &pp->next_data);
	if (rc == 1)
		return 1;
	pp->next_hdr = NULL;
	pp->eof = 1;
	if (rc == PCAP_ERROR)
		return pfring_error(ring, PF_RING_ERROR_GENERIC, "pcap:%s: %s",
				    ring->device, pcap_geterr(pp->pcap));
	return 0;
}

static void fill_hdr(pfring *ring, const struct pcap_pkthdr *ph,
		     struct pfring_pkthdr *hdr, u_int buffer_len)
{
	u_int32_t caplen = ph->caplen < ring->caplen ? ph->caplen : ring->caplen;

	if (buffer_len > 0 && caplen > buffer_len)
		caplen = buffer_len;
	memset(hdr, 0, sizeof(*hdr));
	hdr->caplen = caplen;
	hdr->len = ph->len;
	/* Opened with nanosecond precision: tv_usec holds nanoseconds. */
	hdr->ts.tv_sec = ph->ts.tv_sec;
	hdr->ts.tv_usec = ph->ts.tv_usec / 1000;
	hdr->extended_hdr.timestamp_ns =
		(u_int64_t)ph->ts.tv_sec * 1000000000ull + ph->ts.tv_usec;
	hdr->extended_hdr.rx_direction = 1;
}

static int pcap_mod_recv(pfring *ring, u_char **buffer, u_int buffer_len,
			 struct pfring_pkthdr *hdr, u_int8_t wait)
{
	struct pcap_priv *pp = ring->priv;
	int rc = read_ahead(ring, pp);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return pfring_error(ring, PF_RING_ERROR_NO_PKT_AVAILABLE,
				    "pcap:%s: end of file", ring->device);
	fill_hdr(ring, pp->next_hdr, hdr, buffer_len);
	if (buffer_len == 0)
		*buffer = (u_char *)pp->next_data;
	else
		memcpy(*buffer, pp->next_data, hdr->caplen);
	pp->next_hdr = NULL;
	pp->read++;
	return 1;
}

static int pcap_mod_poll(pfring *ring, u_int timeout_ms)
{
	struct pcap_priv *pp = ring->priv;

	return read_ahead(ring, pp);
}

static int pcap_mod_stats(pfring *ring, pfring_stat *st)
{
	struct pcap_priv *pp = ring->priv;

	st->recv = pp->read;
	st->drop = 0;
	return 0;
}

static int pcap_mod_next_pkt_time(pfring *ring, struct timespec *ts)
{
	struct pcap_priv *pp = ring->priv;
	int rc = read_ahead(ring, pp);

	if (rc <= 0)
		return rc < 0 ? rc : PF_RING_ERROR_NO_PKT_AVAILABLE;
	ts->tv_sec = pp->next_hdr->ts.tv_sec;
	ts->tv_nsec = pp->next_hdr->ts.tv_usec;
	return 0;
}

static u_int32_t pcap_mod_num_queued(pfring *ring)
{
	struct pcap_priv *pp = ring->priv;

	return pp->next_hdr != NULL;
}

static int transmits(pfr_u8 action)
{
	return action >= PFR_ACT_REFLECT_STOP;
}

static int has_transmit_rule(const struct pfr_wc_list *l)
{
	pfr_u32 i;

	for (i = 0; i < l->count; i++)
		if (transmits(l->rules[i].action))
			return 1;
	return 0;
}

/* A file has no queues and no device to transmit on: queue binding and
 * reflect/bounce rules are refused rather than silently ignored. The core
 * filters everything else itself. */
static int pcap_mod_apply(pfring *ring, enum pfring_setting what,
			  const void *arg)
{
	const struct pfr_hrule *hr = arg;

	if (what == PFRING_SET_CHANNEL)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "pcap: files have no RX queues");
	if ((what == PFRING_SET_WC_RULES && has_transmit_rule(&ring->cfg.rules.wc)) ||
	    (what == PFRING_SET_HASH_ADD && transmits(hr->action)))
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "pcap: reflect and bounce rules need a "
				    "device to transmit on");
	return 0;
}

const struct pfring_module_ops pfring_mod_pcap = {
	.name = "pcap",
	.open = pcap_mod_open,
	.close = pcap_mod_close,
	.recv = pcap_mod_recv,
	.poll = pcap_mod_poll,
	.stats = pcap_mod_stats,
	.apply = pcap_mod_apply,
	.next_pkt_time = pcap_mod_next_pkt_time,
	.num_queued = pcap_mod_num_queued,
};
