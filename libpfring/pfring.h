/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfring.h - the PF_RING packet capture API (libpfring, part of vPF_RING).
 *
 * Source-compatible with PF_RING 5.x: names, types, flags and enum values
 * are the ones PF_RING applications were written against. The handle is
 * opaque. Calls return a negative PF_RING_ERROR_* code on failure and a
 * non-negative value on success unless their description says otherwise;
 * pfring_open() and friends set errno as well.
 *
 * Device names select a back-end by prefix:
 *   "eth0", "eth0@2", "any"   the kernel: pf_ring.ko when it is loaded,
 *                             otherwise AF_PACKET (TPACKET_V3) with filters
 *                             in an eBPF socket filter
 *   "pfring:eth0"             pf_ring.ko, an error if it is not loaded
 *   "packet:eth0"             AF_PACKET, even when pf_ring.ko is loaded
 *   "pcap:FILE"               replay a pcap file through the same API
 *   "multi:eth0;eth1@1"       one handle over several devices
 */
#ifndef PFRING_H
#define PFRING_H

#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PFRING_WUR __attribute__((warn_unused_result))
#else
#define PFRING_WUR
#endif

/* The PF_RING API level this header provides (5.6.2), as pfring_version()
 * reports it: major << 16 | minor << 8 | patch. */
#define RING_VERSION "5.6.2"
#define RING_VERSION_NUM 0x050602
/* This implementation's own version. */
#define VPFRING_VERSION "0.1.0"

#define MAX_CAPLEN 65535
#define DEFAULT_POLL_WATERMARK 128
#define DEFAULT_POLL_DURATION 500   /* ms */
#define MAX_NUM_RX_CHANNELS 64
#define MAX_NUM_RING_SOCKETS 64
#define REFLECTOR_NAME_LEN 8
#define FILTER_PLUGIN_DATA_LEN 256
#define RULE_PLUGIN_DATA_LEN 256
#define DEFAULT_MIN_PKT_QUEUED 128

/* pfring_open() flags */
#define PF_RING_DNA_SYMMETRIC_RSS (1 << 0)
#define PF_RING_REENTRANT (1 << 1)
#define PF_RING_LONG_HEADER (1 << 2)
#define PF_RING_PROMISC (1 << 3)
#define PF_RING_TIMESTAMP (1 << 4)
#define PF_RING_HW_TIMESTAMP (1 << 5)
#define PF_RING_RX_PACKET_BOUNCE (1 << 6)
#define PF_RING_DNA_FIXED_RSS_Q_0 (1 << 7)
#define PF_RING_STRIP_HW_TIMESTAMP (1 << 8)
#define PF_RING_DO_NOT_PARSE (1 << 9)
#define PF_RING_DO_NOT_TIMESTAMP (1 << 10)

/* Return codes */
#define PF_RING_ERROR_GENERIC -1
#define PF_RING_ERROR_INVALID_ARGUMENT -2
#define PF_RING_ERROR_NO_PKT_AVAILABLE -3
#define PF_RING_ERROR_NO_TX_SLOT_AVAILABLE -4
#define PF_RING_ERROR_WRONG_CONFIGURATION -5
#define PF_RING_ERROR_END_OF_DEMO_MODE -6
#define PF_RING_ERROR_NOT_SUPPORTED -7
#define PF_RING_ERROR_INVALID_LIB_VERSION -8
#define PF_RING_ERROR_UNKNOWN_ADAPTER -9
#define PF_RING_ERROR_NOT_ENOUGH_MEMORY -10
#define PF_RING_ERROR_INVALID_STATUS -11

/* An IPv4 (host byte order) or IPv6 (network byte order) address. */
typedef union {
	struct in6_addr v6;
	u_int32_t v4;
} ip_addr;

struct pkt_offset {
	int16_t eth_offset;
	int16_t vlan_offset;
	int16_t l3_offset;
	int16_t l4_offset;
	int16_t payload_offset;
};

struct pkt_parsing_info {
	u_int8_t dmac[ETH_ALEN], smac[ETH_ALEN];
	u_int16_t eth_type;     /* after VLAN tags, host order */
	u_int16_t vlan_id;      /* 0 when untagged */
	u_int8_t ip_version;
	u_int8_t l3_proto, ip_tos;
	ip_addr ip_src, ip_dst;
	u_int16_t l4_src_port, l4_dst_port;
	struct {
		u_int8_t flags;
		u_int32_t seq_num, ack_num;
	} tcp;
	u_int16_t last_matched_plugin_id, last_matched_rule_id;
	struct pkt_offset offset;
};

/* extended_hdr.flags */
#define PKT_FLAGS_CHECKSUM_OFFLOAD (1 << 0)
#define PKT_FLAGS_CHECKSUM_OK (1 << 1)
#define PKT_FLAGS_IP_MORE_FRAG (1 << 2)
#define PKT_FLAGS_IP_FRAG_OFFSET (1 << 3)
#define PKT_FLAGS_VLAN_HWACCEL (1 << 4)

struct pfring_extended_pkthdr {
	u_int64_t timestamp_ns; /* nanoseconds since the epoch */
	u_int32_t flags;
	u_int8_t rx_direction;  /* 1 = received, 0 = transmitted */
	int32_t if_index;
	u_int32_t pkt_hash;     /* symmetric 5-tuple hash (with add_hash) */
	u_int16_t parsed_header_len;
	struct pkt_parsing_info parsed_pkt;
};

struct pfring_pkthdr {
	struct timeval ts;
	u_int32_t caplen;       /* bytes present in the buffer */
	u_int32_t len;          /* length on the wire */
	struct pfring_extended_pkthdr extended_hdr;
};

typedef struct {
	u_int64_t recv, drop;
} pfring_stat;

typedef enum {
	rx_and_tx_direction = 0,
	rx_only_direction,
	tx_only_direction
} packet_direction;

typedef enum {
	send_and_recv_mode = 0,
	send_only_mode,
	recv_only_mode
} socket_mode;

typedef enum {
	cluster_per_flow = 0,        /* 6-tuple: vlan, proto, ips, ports */
	cluster_round_robin,
	cluster_per_flow_2_tuple,    /* src ip, dst ip */
	cluster_per_flow_4_tuple,    /* ips, ports */
	cluster_per_flow_5_tuple,    /* ips, ports, proto */
	cluster_per_flow_tcp_5_tuple /* 5-tuple for TCP, 2-tuple otherwise */
} cluster_type;

typedef enum {
	hardware_and_software = 0,
	hardware_only,
	software_only
} filtering_mode;

typedef enum {
	forward_packet_and_stop_rule_evaluation = 0,
	dont_forward_packet_and_stop_rule_evaluation,
	execute_action_and_continue_rule_evaluation,
	execute_action_and_stop_rule_evaluation,
	forward_packet_add_rule_and_stop_rule_evaluation,
	forward_packet_del_rule_and_stop_rule_evaluation,
	reflect_packet_and_stop_rule_evaluation,
	reflect_packet_and_continue_rule_evaluation,
	bounce_packet_and_stop_rule_evaluation,
	bounce_packet_and_continue_rule_evaluation
} rule_action_behaviour;

typedef struct {
	u_int8_t smac[ETH_ALEN], dmac[ETH_ALEN]; /* zero MAC: any */
	u_int16_t vlan_id;                       /* 0: any */
	u_int8_t proto;                          /* 0: any */
	ip_addr shost, dhost;                    /* 0: any */
	ip_addr shost_mask, dhost_mask;          /* 0 mask with a host: /32 (/128) */
	u_int16_t sport_low, sport_high;         /* both 0: any */
	u_int16_t dport_low, dport_high;
} filtering_rule_core_fields;

typedef struct {
	char payload_pattern[32];  /* strlen() > 0: payload must contain it */
	u_int16_t filter_plugin_id; /* plugins are not supported: must be 0 */
	char filter_plugin_data[FILTER_PLUGIN_DATA_LEN];
} filtering_rule_extended_fields;

typedef struct {
	u_int16_t plugin_id;       /* must be 0 */
	char plugin_data[RULE_PLUGIN_DATA_LEN];
} filtering_rule_plugin_action;

/* Filled by the library; ignored on input. */
typedef struct {
	u_int32_t jiffies_last_match; /* seconds of the last match */
	void *reflector_dev;
} filtering_internals;

typedef struct {
	u_int16_t rule_id;                 /* evaluated from lowest to highest */
	rule_action_behaviour rule_action;
	u_int8_t balance_id, balance_pool; /* pool > 0: match only if
					      hash(5-tuple) % pool == id */
	u_int8_t locked;                   /* never purged as idle */
	u_int8_t bidirectional;            /* also match with peers swapped */
	filtering_rule_core_fields core_fields;
	filtering_rule_extended_fields extended_fields;
	filtering_rule_plugin_action plugin_action;
	char reflector_device_name[REFLECTOR_NAME_LEN];
	filtering_internals internals;
} filtering_rule;

typedef struct {
	u_int16_t rule_id;
	u_int16_t vlan_id;
	u_int8_t proto;
	ip_addr host_peer_a, host_peer_b;  /* IPv4 unless either has IPv6 bits */
	u_int16_t port_peer_a, port_peer_b;
	rule_action_behaviour rule_action;
	filtering_rule_plugin_action plugin_action;
	char reflector_device_name[REFLECTOR_NAME_LEN];
	filtering_internals internals;
} hash_filtering_rule;

/* Statistics returned by pfring_get_(hash_)filtering_rule_stats(). */
typedef struct {
	u_int64_t match;            /* packets that matched the rule */
	u_int64_t filtered;         /* of which not forwarded to the ring */
	u_int32_t inactivity;       /* seconds since the last match */
} hash_filtering_rule_stats;

/* Hardware (in-NIC) rules: kept for source compatibility. No back-end of
 * this library drives a NIC's filters; the calls return
 * PF_RING_ERROR_NOT_SUPPORTED. */
typedef enum {
	intel_82599_five_tuple_rule,
	intel_82599_perfect_filter_hash_rule,
	silicom_redirector_rule
} hw_filtering_rule_type;

typedef struct {
	u_int8_t proto;
	u_int32_t s_addr, d_addr;
	u_int16_t s_port, d_port;
	u_int16_t queue_id;
} intel_82599_five_tuple_filter_hw_rule;

typedef struct {
	u_int16_t vlan_id;
	u_int8_t proto;
	u_int32_t s_addr, d_addr;
	u_int16_t s_port, d_port;
	u_int16_t queue_id;
} intel_82599_perfect_filter_hw_rule;

typedef struct {
	u_int8_t rule_type;
	u_int8_t rule_port;
	u_int8_t rule_target_port;
	u_int16_t vlan_id;
	u_int8_t proto;
	u_int32_t src_addr, dst_addr;
	u_int32_t src_mask, dst_mask;
	u_int16_t src_port_low, src_port_high;
	u_int16_t dst_port_low, dst_port_high;
} silicom_redirector_hw_rule;

typedef struct {
	hw_filtering_rule_type rule_family_type;
	u_int16_t rule_id;
	union {
		intel_82599_five_tuple_filter_hw_rule five_tuple_rule;
		intel_82599_perfect_filter_hw_rule perfect_rule;
		silicom_redirector_hw_rule redirector_rule;
	} rule_family;
} hw_filtering_rule;

typedef struct __pfring pfring; /* opaque */

typedef void (*pfringProcessPacket)(const struct pfring_pkthdr *h,
				    const u_char *p, const u_char *user_bytes);

/* Everything below is the library's exported interface. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* 8.4 Initialisation */
pfring *pfring_open(const char *device_name, u_int32_t caplen, u_int32_t flags)
	PFRING_WUR;
u_int8_t pfring_open_multichannel(const char *device_name, u_int32_t caplen,
				  u_int32_t flags,
				  pfring *ring[MAX_NUM_RX_CHANNELS]);

/* 8.5 Termination */
void pfring_close(pfring *ring);
void pfring_shutdown(pfring *ring);

/* 8.6 Reading packets */
int pfring_recv(pfring *ring, u_char **buffer, u_int buffer_len,
		struct pfring_pkthdr *hdr, u_int8_t wait_for_incoming_packet);
int pfring_recv_parsed(pfring *ring, u_char **buffer, u_int buffer_len,
		       struct pfring_pkthdr *hdr,
		       u_int8_t wait_for_incoming_packet, u_int8_t level,
		       u_int8_t add_timestamp, u_int8_t add_hash);
int pfring_loop(pfring *ring, pfringProcessPacket looper,
		const u_char *user_bytes, u_int8_t wait_for_packet);
void pfring_breakloop(pfring *ring);
int pfring_next_pkt_time(pfring *ring, struct timespec *ts);
int pfring_next_pkt_raw_timestamp(pfring *ring, u_int64_t *timestamp_ns);

/* 8.7 Clusters */
int pfring_set_cluster(pfring *ring, u_int clusterId, cluster_type the_type);
int pfring_remove_from_cluster(pfring *ring);

/* 8.9 Sampling */
int pfring_set_sampling_rate(pfring *ring, u_int32_t rate);

/* 8.10 Filtering */
int pfring_add_filtering_rule(pfring *ring, filtering_rule *rule_to_add);
int pfring_remove_filtering_rule(pfring *ring, u_int16_t rule_id);
int pfring_get_filtering_rule_stats(pfring *ring, u_int16_t rule_id,
				    char *stats, u_int *stats_len);
int pfring_purge_idle_rules(pfring *ring, u_int16_t inactivity_sec);
int pfring_handle_hash_filtering_rule(pfring *ring,
				      hash_filtering_rule *rule_to_add,
				      u_char add_rule);
int pfring_get_hash_filtering_rule_stats(pfring *ring,
					 hash_filtering_rule *rule,
					 char *stats, u_int *stats_len);
int pfring_purge_idle_hash_rules(pfring *ring, u_int16_t inactivity_sec);
int pfring_set_bpf_filter(pfring *ring, char *filter_buffer);
int pfring_remove_bpf_filter(pfring *ring);

/* 8.11 In-NIC filtering: PF_RING_ERROR_NOT_SUPPORTED, see above. */
int pfring_add_hw_rule(pfring *ring, hw_filtering_rule *rule);
int pfring_remove_hw_rule(pfring *ring, hw_filtering_rule *rule);
/* software_only works; modes that involve hardware are not supported. */
int pfring_set_filtering_mode(pfring *ring, filtering_mode mode);

/* 8.12 Filtering policy */
int pfring_toggle_filtering_policy(pfring *ring,
				   u_int8_t rules_default_accept_policy);

/* 8.13 Transmission */
int pfring_send(pfring *ring, u_char *pkt, u_int pkt_len, u_int8_t flush_packet);
int pfring_send_ifindex(pfring *ring, u_char *pkt, u_int pkt_len,
			u_int8_t flush_packet, int if_index);
int pfring_send_get_time(pfring *ring, u_char *pkt, u_int pkt_len,
			 struct timespec *ts);
int pfring_send_last_rx_packet(pfring *ring, int tx_interface_id);
int pfring_flush_tx_packets(pfring *ring);

/* 8.14 Miscellaneous */
int pfring_enable_ring(pfring *ring);
int pfring_disable_ring(pfring *ring);
int pfring_stats(pfring *ring, pfring_stat *stats);
int pfring_set_application_stats(pfring *ring, char *stats);
char *pfring_get_appl_stats_file_name(pfring *ring, char *path, u_int path_len);
int pfring_version(pfring *ring, u_int32_t *version);
int pfring_set_direction(pfring *ring, packet_direction direction);
int pfring_set_socket_mode(pfring *ring, socket_mode mode);
int pfring_poll(pfring *ring, u_int wait_duration);
int pfring_set_poll_watermark(pfring *ring, u_int16_t watermark);
int pfring_set_tx_watermark(pfring *ring, u_int16_t watermark);
int pfring_set_poll_duration(pfring *ring, u_int duration);
int pfring_set_application_name(pfring *ring, char *name);
int pfring_get_bound_device_address(pfring *ring, u_char mac_address[6]);
int pfring_get_bound_device_id(pfring *ring, int *device_id);
u_int8_t pfring_get_num_rx_channels(pfring *ring);
int pfring_get_selectable_fd(pfring *ring);
int pfring_enable_rss_rehash(pfring *ring);
int pfring_get_device_clock(pfring *ring, struct timespec *ts);
int pfring_set_device_clock(pfring *ring, struct timespec *ts);
int pfring_adjust_device_clock(pfring *ring, struct timespec *offset,
			       int8_t sign);
int pfring_enable_hw_timestamp(pfring *ring, char *device_name,
			       u_int8_t enable_rx, u_int8_t enable_tx);
int pfring_parse_pkt(u_char *pkt, struct pfring_pkthdr *hdr, u_int8_t level,
		     u_int8_t add_timestamp, u_int8_t add_hash);
int pfring_get_mtu_size(pfring *ring);
u_int32_t pfring_get_interface_speed(pfring *ring);
int pfring_get_ring_id(pfring *ring);
u_int32_t pfring_get_num_queued_pkts(pfring *ring);
u_int16_t pfring_get_slot_header_len(pfring *ring);
int pfring_set_channel_id(pfring *ring, u_int32_t channel_id);

/* The last error's text for @ring (or for a failed pfring_open() when NULL). */
const char *pfring_strerror(pfring *ring);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

/* PF_RING 5.x spelling of pfring_recv_parsed(). */
#define pfring_rcv_parsed pfring_recv_parsed

#ifdef __cplusplus
}
#endif

#endif /* PFRING_H */
