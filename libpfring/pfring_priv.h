/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpfring internals: the handle and the interface every back-end module
 * implements. Not installed.
 *
 * The library core (pfring.c) owns the handle's configuration: it validates
 * each call's arguments, records the setting in ring->cfg and then asks the
 * module to apply it (ops->apply). A module that filters in the kernel
 * (AF_PACKET's eBPF filter, pf_ring.ko) pushes the setting down; a module
 * that sets ring->sw_filter (pcap replay) lets the core run the same
 * filters in user space on each packet it returns (pfring_sw_accept()).
 */
#ifndef PFRING_PRIV_H
#define PFRING_PRIV_H

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>

#include "pfring.h"
#include "../common/pfr_rules.h"

#define PFRING_ERRBUF_SIZE 256
/* Ring memory a kernel back-end asks for at least, so that AF_PACKET and
 * pf_ring.ko rings hold about as many packets. */
#define PFRING_RING_MIN_BYTES (4u << 20)
#define PFRING_APPNAME_LEN 64

/* What changed, for ops->apply(). */
enum pfring_setting {
	PFRING_SET_DIRECTION,
	PFRING_SET_SOCKET_MODE,
	PFRING_SET_SAMPLING,
	PFRING_SET_WC_RULES,      /* arg: NULL; cfg.rules.wc is the new list */
	PFRING_SET_HASH_ADD,      /* arg: const struct pfr_hrule * */
	PFRING_SET_HASH_DEL,      /* arg: const struct pfr_hrule_key *; the
				     rule is still in cfg.rules.ht */
	PFRING_SET_POLICY,
	PFRING_SET_BPF,           /* cfg.bpf_set, cfg.bpf hold the program */
	PFRING_SET_WATERMARK,
	PFRING_SET_POLL_DURATION,
	PFRING_SET_APPNAME,
	PFRING_SET_CHANNEL,       /* cfg.channel_id changed */
	PFRING_SET_PROMISC,
};

struct pfring_config {
	packet_direction direction;
	socket_mode mode;
	u_int32_t sampling_rate;      /* 1 = every packet */
	u_int16_t poll_watermark;
	u_int32_t poll_duration;      /* ms */
	int channel_id;               /* RX queue, -1 = all */
	char appname[PFRING_APPNAME_LEN];
	int bpf_set;
	struct bpf_program bpf;       /* compiled for DLT_EN10MB, caplen */
	struct pfr_ruleset rules;     /* wildcard list + hash table */
	int cluster_set;
	u_int cluster_id;
	cluster_type cluster_type;
};

/*
 * A ring's memory, for a process that maps it elsewhere (vnplugd hands it
 * to QEMU, which maps it into a guest; see include/uapi/vpfring.h).
 */
enum pfring_export_format {
	PFRING_EXPORT_TPACKET_V3 = 1, /* = VPFRING_FORMAT_TPACKET_V3 */
	PFRING_EXPORT_PFRING = 2,     /* = VPFRING_FORMAT_PFRING */
};

struct pfring_ring_export {
	enum pfring_export_format format;
	int mem_fd;	  /* mmap() size bytes at offset 0; the ring's own */
	u_int64_t size;
	int poll_fd;	  /* POLLIN: a sleeping reader should wake */
	u_int32_t caplen; /* bytes of a packet the ring keeps */
	/* PFRING_EXPORT_TPACKET_V3 */
	u_int32_t block_size, block_nr, frame_size, frame_nr;
};

/*
 * The public call behind what the core hands a module, for a module that
 * forwards calls rather than applying settings ("host:" gives each call to
 * the host's libpfring). Set by the core around ops->apply() for
 * PFRING_SET_WC_RULES, PFRING_SET_HASH_ADD/DEL and PFRING_SET_BPF, and
 * around ops->hash_rule_stats(); ring->call is NULL otherwise.
 */
struct pfring_call {
	const filtering_rule *wc_add;	 /* pfring_add_filtering_rule() */
	int wc_remove;			 /* pfring_remove_filtering_rule() */
	u_int16_t wc_remove_id;
	const hash_filtering_rule *hash; /* handle_hash_filtering_rule(),
					    get_hash_filtering_rule_stats() */
	const char *bpf;		 /* pfring_set_bpf_filter(), or NULL:
					    pfring_remove_bpf_filter() */
};

struct pfring_module_ops {
	const char *name;
	/* Open ring->device (the name without its prefix); set ring->priv. */
	int (*open)(pfring *ring);
	void (*close)(pfring *ring);
	/*
	 * Return 1 with a packet, 0 when none is ready and !wait, negative on
	 * error. Fill hdr->ts, caplen, len and extended_hdr.timestamp_ns,
	 * if_index, rx_direction. buffer_len == 0: *buffer points into the
	 * module's memory, valid until the next recv; otherwise copy at most
	 * buffer_len bytes into *buffer. Must honour ring->breakloop.
	 */
	int (*recv)(pfring *ring, u_char **buffer, u_int buffer_len,
		    struct pfring_pkthdr *hdr, u_int8_t wait);
	/* > 0 when packets are ready, 0 on timeout, negative on error. */
	int (*poll)(pfring *ring, u_int timeout_ms);
	int (*send)(pfring *ring, const u_char *pkt, u_int len, u_int8_t flush,
		    int ifindex);
	int (*flush_tx)(pfring *ring);
	int (*stats)(pfring *ring, pfring_stat *st);
	int (*enable)(pfring *ring);
	int (*disable)(pfring *ring);
	/* Push one changed setting (see enum pfring_setting). */
	int (*apply)(pfring *ring, enum pfring_setting what, const void *arg);
	int (*set_cluster)(pfring *ring, u_int id, cluster_type type);
	int (*remove_from_cluster)(pfring *ring);
	/* Rule statistics kept by the kernel; NULL: the core's own counters. */
	int (*wc_rule_stats)(pfring *ring, u_int16_t rule_id,
			     hash_filtering_rule_stats *st);
	int (*hash_rule_stats)(pfring *ring, const struct pfr_hrule_key *key,
			       hash_filtering_rule_stats *st);
	/* Remove idle rules in the kernel too; the core purges cfg.rules. */
	int (*purge_idle)(pfring *ring, u_int16_t inactivity_sec, int hash);
	int (*get_selectable_fd)(pfring *ring);
	int (*next_pkt_time)(pfring *ring, struct timespec *ts);
	int (*bound_device_address)(pfring *ring, u_char mac[6]);
	int (*bound_device_id)(pfring *ring, int *device_id);
	u_int8_t (*num_rx_channels)(pfring *ring);
	u_int32_t (*num_queued)(pfring *ring);
	int (*mtu)(pfring *ring);
	void (*shutdown)(pfring *ring);
	/* Wake a recv blocked in the module now (pfring_breakloop()). */
	void (*wakeup)(pfring *ring);
	/* The ring's memory for another process; see pfring_export_ring(). */
	int (*export_ring)(pfring *ring, struct pfring_ring_export *ex);
};

struct __pfring {
	const struct pfring_module_ops *ops;
	void *priv;
	char *device_name;            /* as the application passed it */
	const char *device;           /* after the module prefix */
	u_int32_t caplen;
	u_int32_t flags;
	int enabled;
	int was_enabled;              /* enabled once: may drain after disable */
	atomic_int breakloop;
	atomic_int is_shutdown;
	int sw_filter;                /* core filters each packet (pcap:) */
	struct pfring_config cfg;
	u_int64_t sw_sample_seen;     /* packets that passed the filters */
	u_int64_t sw_filtered;        /* packets the core's filters dropped */
	int ring_id;
	pthread_mutex_t lock;         /* PF_RING_REENTRANT */
	const struct pfring_call *call; /* see struct pfring_call */
	const u_char *last_rx;        /* for pfring_send_last_rx_packet() */
	u_int last_rx_len;
	char errbuf[PFRING_ERRBUF_SIZE];
};

/* Modules. */
extern const struct pfring_module_ops pfring_mod_packet; /* AF_PACKET */
extern const struct pfring_module_ops pfring_mod_pcap;   /* pcap:FILE */
extern const struct pfring_module_ops pfring_mod_multi;  /* multi:a;b */
extern const struct pfring_module_ops pfring_mod_kernel; /* pf_ring.ko */
extern const struct pfring_module_ops pfring_mod_host;   /* host: (guest) */

/* Present while pf_ring.ko is loaded: no prefix then means pf_ring.ko. */
#define PFRING_PROC_DIR "/proc/net/pf_ring"

/*
 * The ring's memory and what a reader elsewhere needs to read it, for
 * vnplugd: the AF_PACKET and pf_ring.ko modules only, once the ring is
 * open for receiving. The descriptors stay the ring's. Returns 0 or a
 * PF_RING_ERROR_* code.
 */
int pfring_export_ring(pfring *ring, struct pfring_ring_export *ex);

/* Record an error message for pfring_strerror(); returns @code. */
int pfring_error(pfring *ring, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Core software filter (for modules with ring->sw_filter): direction, BPF,
 * hash and wildcard rules, default policy, then 1-in-N sampling, in that
 * order. @hdr has caplen, len and extended_hdr.rx_direction set. Returns 1
 * to deliver, 0 to drop.
 */
int pfring_sw_accept(pfring *ring, const u_char *pkt,
		     struct pfring_pkthdr *hdr);

/* Convert PF_RING rules to common/'s form; negative PF_RING error or 0. */
int pfring_rule_to_wc(pfring *ring, const filtering_rule *in,
		      struct pfr_wc_rule *out);
int pfring_hash_rule_to_hrule(pfring *ring, const hash_filtering_rule *in,
			      struct pfr_hrule *out);

/* Hand one setting, already recorded in ring->cfg, to the module; modules
 * with ring->sw_filter accept it as the core filters for them. */
int pfring_apply(pfring *ring, enum pfring_setting what, const void *arg);

/* Rule statistics, from the module when it keeps them, else the core. */
int pfring_wc_stats(pfring *ring, u_int16_t rule_id,
		    hash_filtering_rule_stats *st);
int pfring_hash_stats(pfring *ring, const struct pfr_hrule_key *key,
		      hash_filtering_rule_stats *st);

/* Insert into cfg.rules.ht, growing the table when full. */
int pfring_hrule_insert(pfring *ring, const struct pfr_hrule *r);

/* Seconds on CLOCK_MONOTONIC: the clock of rules' last_match. */
u_int64_t pfring_now_sec(void);

/* Fill the extended header's parsed_pkt from a common/ parse. */
void pfring_fill_parsed(struct pfring_pkthdr *hdr,
			const struct pfr_pkt_info *info);

/* Utilities shared by the modules. */
int pfring_ifindex(const char *ifname);              /* 0 if none */
int pfring_split_queue(const char *dev, char *ifname, size_t len,
		       int *queue);                   /* "eth0@2" */
u_int8_t pfring_sysfs_rx_queues(const char *ifname); /* /sys count, >= 1 */
/* Zeroed memory for rule tables, on huge pages when large. */
void *pfring_table_alloc(size_t size);
void pfring_table_free(void *p, size_t size);

#endif /* PFRING_PRIV_H */
