/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An application written against PF_RING 5.x, the way such applications
 * were written: it must build against the installed pfring.h unchanged and
 * link with `pkg-config --libs libpfring`. It counts a pcap: replay and
 * prints the flows it sees, using the 5.x structure fields.
 */
#include <pfring.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pfring *pd;
static unsigned long long numPkts, numBytes;

static void sigproc(int sig)
{
	pfring_breakloop(pd);
}

static void dummyProcessPacket(const struct pfring_pkthdr *h,
			       const u_char *p, const u_char *user_bytes)
{
	const struct pkt_parsing_info *pp = &h->extended_hdr.parsed_pkt;

	numPkts++;
	numBytes += h->len;
	if (pp->l3_proto == 6 && pp->l4_dst_port == 80 && numPkts < 3)
		printf("tcp %u.%u.%u.%u:%u -> :%u hash=%u\n",
		       (pp->ip_src.v4 >> 24) & 0xff, (pp->ip_src.v4 >> 16) & 0xff,
		       (pp->ip_src.v4 >> 8) & 0xff, pp->ip_src.v4 & 0xff,
		       pp->l4_src_port, pp->l4_dst_port, h->extended_hdr.pkt_hash);
}

int main(int argc, char *argv[])
{
	char *device = argc > 1 ? argv[1] : "eth0";
	u_int32_t version;
	pfring_stat pfringStat;
	filtering_rule rule;
	hash_filtering_rule hash_rule;
	packet_direction direction = rx_and_tx_direction;
	cluster_type cluster_hash_type = cluster_per_flow_5_tuple;
	int rc;

	pd = pfring_open(device, 128, PF_RING_PROMISC | PF_RING_LONG_HEADER);
	if (pd == NULL) {
		fprintf(stderr, "pfring_open error [%s]\n", pfring_strerror(NULL));
		return -1;
	}
	pfring_version(pd, &version);
	printf("Using PF_RING v.%d.%d.%d\n", (version & 0xFFFF0000) >> 16,
	       (version & 0x0000FF00) >> 8, version & 0x000000FF);
	pfring_set_application_name(pd, "pf5_app");
	pfring_set_direction(pd, direction);
	(void)cluster_hash_type;

	memset(&rule, 0, sizeof(rule));
	rule.rule_id = 1;
	rule.rule_action = forward_packet_and_stop_rule_evaluation;
	rule.core_fields.proto = 6;
	rule.core_fields.dport_low = 80, rule.core_fields.dport_high = 80;
	if (pfring_add_filtering_rule(pd, &rule) < 0)
		return -1;
	memset(&hash_rule, 0, sizeof(hash_rule));
	hash_rule.rule_id = 2;
	hash_rule.rule_action = dont_forward_packet_and_stop_rule_evaluation;
	hash_rule.proto = 17;
	hash_rule.host_peer_a.v4 = 0x0a000001, hash_rule.port_peer_a = 1000;
	hash_rule.host_peer_b.v4 = 0x0a000002, hash_rule.port_peer_b = 53;
	if (pfring_handle_hash_filtering_rule(pd, &hash_rule, 1) < 0)
		return -1;
	pfring_toggle_filtering_policy(pd, 0);

	signal(SIGINT, sigproc);
	if (pfring_enable_ring(pd) != 0) {
		printf("Unable to enable ring :-(\n");
		pfring_close(pd);
		return -1;
	}
	rc = pfring_loop(pd, dummyProcessPacket, (u_char *)NULL, 1);
	if (pfring_stats(pd, &pfringStat) >= 0)
		printf("pkts=%llu bytes=%llu recv=%llu drop=%llu rc=%d\n",
		       numPkts, numBytes, (unsigned long long)pfringStat.recv,
		       (unsigned long long)pfringStat.drop, rc);
	pfring_close(pd);
	return 0;
}
