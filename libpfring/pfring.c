/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpfring core: the handle, module dispatch by device-name prefix, the
 * receive loop and the calls that are the same for every back-end.
 * Filtering calls live in pfring_filter.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfring_priv.h"

#define PFRING_MAX_WC_RULES 256
#define PFRING_HT_INITIAL 64

/* pfring_strerror(NULL) after a failed pfring_open(). */
static __thread char open_errbuf[PFRING_ERRBUF_SIZE];
static atomic_int next_ring_id;

struct module_prefix {
	const char *prefix;
	const struct pfring_module_ops *ops;
};

static const struct module_prefix module_prefixes[] = {
	{ "pcap:", &pfring_mod_pcap },
	{ "multi:", &pfring_mod_multi },
	{ "pfring:", &pfring_mod_kernel },  /* pf_ring.ko, or an error */
	{ "packet:", &pfring_mod_packet },  /* AF_PACKET even with pf_ring.ko */
	{ "host:", &pfring_mod_host },      /* in a guest: the host's ring */
};

int pfring_error(pfring *ring, int code, const char *fmt, ...)
{
	char *buf = ring ? ring->errbuf : open_errbuf;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PFRING_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
	if (ring != NULL && ring->ops == NULL)
		memcpy(open_errbuf, buf, PFRING_ERRBUF_SIZE);
	return code;
}

const char *pfring_strerror(pfring *ring)
{
	return ring ? ring->errbuf : open_errbuf;
}

/* No prefix: pf_ring.ko when it is loaded, AF_PACKET otherwise. */
static const struct pfring_module_ops *pick_module(const char *name,
						   const char **device)
{
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(module_prefixes) / sizeof(module_prefixes[0]);
	     i++) {
		size_t n = strlen(module_prefixes[i].prefix);

		if (strncmp(name, module_prefixes[i].prefix, n) == 0) {
			*device = name + n;
			return module_prefixes[i].ops;
		}
	}
	*device = name;
	return stat(PFRING_PROC_DIR, &st) == 0 ? &pfring_mod_kernel
					       : &pfring_mod_packet;
}

static int init_rules(pfring *ring)
{
	struct pfr_ruleset *rs = &ring->cfg.rules;
	struct pfr_hrule *rules;
	u_int32_t *buckets;

	rs->wc.rules = calloc(PFRING_MAX_WC_RULES, sizeof(*rs->wc.rules));
	rules = pfring_table_alloc(PFRING_HT_INITIAL * sizeof(*rules));
	buckets = pfring_table_alloc(PFRING_HT_INITIAL * sizeof(*buckets));
	if (!rs->wc.rules || !rules || !buckets) {
		pfring_table_free(rules, PFRING_HT_INITIAL * sizeof(*rules));
		pfring_table_free(buckets, PFRING_HT_INITIAL * sizeof(*buckets));
		return -1;
	}
	rs->wc.max = PFRING_MAX_WC_RULES;
	pfr_htable_init(&rs->ht, buckets, PFRING_HT_INITIAL, rules,
			PFRING_HT_INITIAL);
	rs->default_accept = 1;
	return 0;
}

static void free_ring(pfring *ring)
{
	if (ring->cfg.bpf_set)
		pcap_freecode(&ring->cfg.bpf);
	free(ring->cfg.rules.wc.rules);
	pfring_table_free(ring->cfg.rules.ht.rules,
			  ring->cfg.rules.ht.capacity *
				  sizeof(*ring->cfg.rules.ht.rules));
	/* Buckets are allocated one per entry (a power of two). */
	pfring_table_free(ring->cfg.rules.ht.buckets,
			  ring->cfg.rules.ht.capacity *
				  sizeof(*ring->cfg.rules.ht.buckets));
	pthread_mutex_destroy(&ring->lock);
	free(ring->device_name);
	free(ring);
}

static pfring *alloc_ring(const char *device_name, u_int32_t caplen,
			  u_int32_t flags)
{
	pfring *ring = calloc(1, sizeof(*ring));

	if (ring == NULL)
		return NULL;
	pthread_mutex_init(&ring->lock, NULL);
	ring->device_name = strdup(device_name);
	if (ring->device_name == NULL || init_rules(ring) < 0) {
		free_ring(ring);
		return NULL;
	}
	ring->caplen = caplen > MAX_CAPLEN ? MAX_CAPLEN : caplen;
	ring->flags = flags;
	ring->cfg.direction = rx_and_tx_direction;
	ring->cfg.mode = send_and_recv_mode;
	ring->cfg.sampling_rate = 1;
	ring->cfg.poll_watermark = DEFAULT_POLL_WATERMARK;
	ring->cfg.poll_duration = DEFAULT_POLL_DURATION;
	ring->cfg.channel_id = -1;
	ring->ring_id = atomic_fetch_add(&next_ring_id, 1);
	return ring;
}

pfring *pfring_open(const char *device_name, u_int32_t caplen, u_int32_t flags)
{
	const struct pfring_module_ops *ops;
	const char *device;
	pfring *ring;
	int rc;

	if (device_name == NULL || device_name[0] == '\0' || caplen == 0) {
		pfring_error(NULL, 0, "pfring_open: %s",
			     caplen ? "empty device name" : "caplen must be > 0");
		errno = EINVAL;
		return NULL;
	}
	ops = pick_module(device_name, &device);
	ring = alloc_ring(device_name, caplen, flags);
	if (ring == NULL) {
		pfring_error(NULL, 0, "pfring_open: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ring->device = ring->device_name + (device - device_name);
	rc = ops->open(ring);
	if (rc < 0) {
		/* The module wrote ring->errbuf; keep it for pfring_strerror(NULL). */
		memcpy(open_errbuf, ring->errbuf, PFRING_ERRBUF_SIZE);
		free_ring(ring);
		errno = rc == PF_RING_ERROR_NOT_ENOUGH_MEMORY ? ENOMEM : ENODEV;
		return NULL;
	}
	ring->ops = ops;
	return ring;
}

u_int8_t pfring_open_multichannel(const char *device_name, u_int32_t caplen,
				  u_int32_t flags,
				  pfring *ring[MAX_NUM_RX_CHANNELS])
{
	char name[64];
	u_int8_t n, i;

	if (device_name == NULL || strchr(device_name, '@') != NULL ||
	    strchr(device_name, ':') != NULL) {
		pfring_error(NULL, 0, "pfring_open_multichannel: need a plain "
				      "interface name");
		return 0;
	}
	n = pfring_sysfs_rx_queues(device_name);
	if (n > MAX_NUM_RX_CHANNELS)
		n = MAX_NUM_RX_CHANNELS;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s@%u", device_name, i);
		ring[i] = pfring_open(name, caplen, flags);
		if (ring[i] == NULL)
			break;
	}
	return i;
}

static void remove_stats_file(pfring *ring);

void pfring_close(pfring *ring)
{
	if (ring == NULL)
		return;
	remove_stats_file(ring);
	ring->ops->close(ring);
	free_ring(ring);
}

void pfring_shutdown(pfring *ring)
{
	if (ring == NULL)
		return;
	atomic_store(&ring->is_shutdown, 1);
	if (ring->ops->shutdown)
		ring->ops->shutdown(ring);
}

static int lock_ring(pfring *ring)
{
	if (ring->flags & PF_RING_REENTRANT)
		pthread_mutex_lock(&ring->lock);
	return 0;
}

static void unlock_ring(pfring *ring)
{
	if (ring->flags & PF_RING_REENTRANT)
		pthread_mutex_unlock(&ring->lock);
}

static int recv_filtered(pfring *ring, u_char **buffer, u_int buffer_len,
			 struct pfring_pkthdr *hdr, u_int8_t wait)
{
	int rc;

	for (;;) {
		rc = ring->ops->recv(ring, buffer, buffer_len, hdr, wait);
		if (rc <= 0 || !ring->sw_filter ||
		    pfring_sw_accept(ring, *buffer, hdr))
			return rc;
	}
}

int pfring_recv(pfring *ring, u_char **buffer, u_int buffer_len,
		struct pfring_pkthdr *hdr, u_int8_t wait_for_incoming_packet)
{
	int rc;

	if (ring == NULL || buffer == NULL || hdr == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (buffer_len > 0 && *buffer == NULL)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "pfring_recv: buffer_len > 0 needs a buffer");
	if (!ring->was_enabled || ring->cfg.mode == send_only_mode)
		return pfring_error(ring, PF_RING_ERROR_INVALID_STATUS,
				    "pfring_recv: ring not enabled for receive");
	/* A disabled ring takes no new packets, but what it holds can still
	 * be read, so that a capture stopped on time loses nothing. */
	if (!ring->enabled)
		wait_for_incoming_packet = 0;
	lock_ring(ring);
	rc = recv_filtered(ring, buffer, buffer_len, hdr,
			   wait_for_incoming_packet);
	if (rc > 0) {
		ring->last_rx = *buffer;
		ring->last_rx_len = hdr->caplen;
		if ((ring->flags & PF_RING_LONG_HEADER) &&
		    !(ring->flags & PF_RING_DO_NOT_PARSE))
			pfring_parse_pkt(*buffer, hdr, 4, 0, 1);
	}
	unlock_ring(ring);
	return rc;
}

int pfring_recv_parsed(pfring *ring, u_char **buffer, u_int buffer_len,
		       struct pfring_pkthdr *hdr,
		       u_int8_t wait_for_incoming_packet, u_int8_t level,
		       u_int8_t add_timestamp, u_int8_t add_hash)
{
	int rc = pfring_recv(ring, buffer, buffer_len, hdr,
			     wait_for_incoming_packet);

	if (rc > 0)
		pfring_parse_pkt(*buffer, hdr, level, add_timestamp, add_hash);
	return rc;
}

int pfring_loop(pfring *ring, pfringProcessPacket looper,
		const u_char *user_bytes, u_int8_t wait_for_packet)
{
	struct pfring_pkthdr hdr;
	u_char *pkt;
	int rc;

	if (ring == NULL || looper == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	atomic_store(&ring->breakloop, 0);
	while (!atomic_load(&ring->breakloop) &&
	       !atomic_load(&ring->is_shutdown)) {
		pkt = NULL;
		rc = pfring_recv(ring, &pkt, 0, &hdr, wait_for_packet);
		if (rc < 0)
			return atomic_load(&ring->breakloop) ? 0 : rc;
		if (rc > 0)
			looper(&hdr, pkt, user_bytes);
	}
	return 0;
}

/* Async-signal-safe as long as the module's wakeup is (an eventfd write). */
void pfring_breakloop(pfring *ring)
{
	if (ring == NULL)
		return;
	atomic_store(&ring->breakloop, 1);
	if (ring->ops->wakeup)
		ring->ops->wakeup(ring);
}

int pfring_next_pkt_time(pfring *ring, struct timespec *ts)
{
	if (ring == NULL || ts == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->ops->next_pkt_time == NULL)
		return PF_RING_ERROR_NOT_SUPPORTED;
	return ring->ops->next_pkt_time(ring, ts);
}

static int not_supported(pfring *ring, const char *what)
{
	return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
			    "%s: needs hardware support that no back-end of "
			    "this library has", what);
}

int pfring_next_pkt_raw_timestamp(pfring *ring, u_int64_t *timestamp_ns)
{
	return not_supported(ring, "pfring_next_pkt_raw_timestamp");
}

int pfring_set_cluster(pfring *ring, u_int clusterId, cluster_type the_type)
{
	int rc;

	if (ring == NULL || the_type > cluster_per_flow_tcp_5_tuple)
		return pfring_error(ring, PF_RING_ERROR_INVALID_ARGUMENT,
				    "pfring_set_cluster: bad cluster type");
	if (ring->ops->set_cluster == NULL)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "clusters are not supported by %s",
				    ring->ops->name);
	rc = ring->ops->set_cluster(ring, clusterId, the_type);
	if (rc == 0) {
		ring->cfg.cluster_set = 1;
		ring->cfg.cluster_id = clusterId;
		ring->cfg.cluster_type = the_type;
	}
	return rc;
}

int pfring_remove_from_cluster(pfring *ring)
{
	int rc;

	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (!ring->cfg.cluster_set)
		return pfring_error(ring, PF_RING_ERROR_INVALID_STATUS,
				    "ring is not in a cluster");
	rc = ring->ops->remove_from_cluster(ring);
	if (rc == 0)
		ring->cfg.cluster_set = 0;
	return rc;
}

int pfring_send(pfring *ring, u_char *pkt, u_int pkt_len, u_int8_t flush_packet)
{
	return pfring_send_ifindex(ring, pkt, pkt_len, flush_packet, -1);
}

int pfring_send_ifindex(pfring *ring, u_char *pkt, u_int pkt_len,
			u_int8_t flush_packet, int if_index)
{
	int rc;

	if (ring == NULL || pkt == NULL || pkt_len == 0)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->ops->send == NULL)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "%s devices cannot send", ring->ops->name);
	if (ring->cfg.mode == recv_only_mode)
		return pfring_error(ring, PF_RING_ERROR_INVALID_STATUS,
				    "ring is in receive-only mode");
	lock_ring(ring);
	rc = ring->ops->send(ring, pkt, pkt_len, flush_packet, if_index);
	unlock_ring(ring);
	return rc;
}

int pfring_send_get_time(pfring *ring, u_char *pkt, u_int pkt_len,
			 struct timespec *ts)
{
	return not_supported(ring, "pfring_send_get_time");
}

int pfring_send_last_rx_packet(pfring *ring, int tx_interface_id)
{
	int rc;

	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->last_rx == NULL)
		return pfring_error(ring, PF_RING_ERROR_NO_PKT_AVAILABLE,
				    "no packet received yet");
	rc = pfring_send_ifindex(ring, (u_char *)ring->last_rx,
				 ring->last_rx_len, 1, tx_interface_id);
	return rc < 0 ? rc : 0;
}

int pfring_flush_tx_packets(pfring *ring)
{
	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	return ring->ops->flush_tx ? ring->ops->flush_tx(ring) : 0;
}

int pfring_enable_ring(pfring *ring)
{
	int rc;

	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->enabled)
		return 0;
	rc = ring->ops->enable ? ring->ops->enable(ring) : 0;
	if (rc == 0)
		ring->enabled = ring->was_enabled = 1;
	return rc;
}

int pfring_disable_ring(pfring *ring)
{
	int rc;

	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (!ring->enabled)
		return 0;
	rc = ring->ops->disable ? ring->ops->disable(ring) : 0;
	if (rc == 0)
		ring->enabled = 0;
	return rc;
}

int pfring_stats(pfring *ring, pfring_stat *stats)
{
	int rc;

	if (ring == NULL || stats == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	memset(stats, 0, sizeof(*stats));
	rc = ring->ops->stats(ring, stats);
	/* Packets the library filtered out never entered the ring. */
	if (rc == 0 && ring->sw_filter)
		stats->recv -= ring->sw_filtered < stats->recv ?
				       ring->sw_filtered : stats->recv;
	return rc;
}

/* Application statistics are published as one file per ring, as PF_RING
 * did under /proc/net/pf_ring/stats/; the directory can be overridden with
 * PFRING_STATS_DIR. */
char *pfring_get_appl_stats_file_name(pfring *ring, char *path, u_int path_len)
{
	const char *dir = getenv("PFRING_STATS_DIR");

	if (ring == NULL || path == NULL || path_len == 0)
		return NULL;
	if (dir == NULL || dir[0] == '\0')
		dir = "/run/pfring/stats";
	if ((u_int)snprintf(path, path_len, "%s/%d-%s.%d", dir, (int)getpid(),
			    ring->device, ring->ring_id) >= path_len)
		return NULL;
	for (char *p = path + strlen(dir) + 1; *p; p++)
		if (*p == '/' || *p == ';')
			*p = '_';
	return path;
}

static int make_dirs(const char *path)
{
	char tmp[256];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

int pfring_set_application_stats(pfring *ring, char *stats)
{
	char path[256], tmp[272];
	FILE *f;

	if (ring == NULL || stats == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (!pfring_get_appl_stats_file_name(ring, path, sizeof(path)) ||
	    make_dirs(path) < 0)
		return pfring_error(ring, PF_RING_ERROR_GENERIC,
				    "cannot create the statistics directory");
	/* Write then rename, so a reader never sees half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return pfring_error(ring, PF_RING_ERROR_GENERIC, "%s: %s", tmp,
				    strerror(errno));
	fprintf(f, "%s\n", stats);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return pfring_error(ring, PF_RING_ERROR_GENERIC, "%s: %s", path,
				    strerror(errno));
	}
	return 0;
}

static void remove_stats_file(pfring *ring)
{
	char path[256];

	if (pfring_get_appl_stats_file_name(ring, path, sizeof(path)))
		unlink(path);
}

int pfring_version(pfring *ring, u_int32_t *version)
{
	if (version == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	*version = RING_VERSION_NUM;
	return 0;
}

int pfring_poll(pfring *ring, u_int wait_duration)
{
	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->ops->poll == NULL)
		return PF_RING_ERROR_NOT_SUPPORTED;
	return ring->ops->poll(ring, wait_duration);
}

int pfring_get_bound_device_address(pfring *ring, u_char mac_address[6])
{
	if (ring == NULL || mac_address == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->ops->bound_device_address == NULL)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "%s devices have no address",
				    ring->ops->name);
	return ring->ops->bound_device_address(ring, mac_address);
}

int pfring_get_bound_device_id(pfring *ring, int *device_id)
{
	if (ring == NULL || device_id == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->ops->bound_device_id == NULL)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "%s devices have no interface index",
				    ring->ops->name);
	return ring->ops->bound_device_id(ring, device_id);
}

u_int8_t pfring_get_num_rx_channels(pfring *ring)
{
	if (ring == NULL || ring->ops->num_rx_channels == NULL)
		return 1;
	return ring->ops->num_rx_channels(ring);
}

int pfring_get_selectable_fd(pfring *ring)
{
	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->ops->get_selectable_fd == NULL)
		return PF_RING_ERROR_NOT_SUPPORTED;
	return ring->ops->get_selectable_fd(ring);
}

/* Every back-end's per-flow hashing is already symmetric. */
int pfring_enable_rss_rehash(pfring *ring)
{
	return ring == NULL ? PF_RING_ERROR_INVALID_ARGUMENT : 0;
}

int pfring_get_device_clock(pfring *ring, struct timespec *ts)
{
	return not_supported(ring, "pfring_get_device_clock");
}

int pfring_set_device_clock(pfring *ring, struct timespec *ts)
{
	return not_supported(ring, "pfring_set_device_clock");
}

int pfring_adjust_device_clock(pfring *ring, struct timespec *offset,
			       int8_t sign)
{
	return not_supported(ring, "pfring_adjust_device_clock");
}

int pfring_enable_hw_timestamp(pfring *ring, char *device_name,
			       u_int8_t enable_rx, u_int8_t enable_tx)
{
	return not_supported(ring, "pfring_enable_hw_timestamp");
}

int pfring_add_hw_rule(pfring *ring, hw_filtering_rule *rule)
{
	return not_supported(ring, "pfring_add_hw_rule");
}

int pfring_remove_hw_rule(pfring *ring, hw_filtering_rule *rule)
{
	return not_supported(ring, "pfring_remove_hw_rule");
}

int pfring_set_filtering_mode(pfring *ring, filtering_mode mode)
{
	if (ring == NULL || mode > software_only)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	return mode == software_only ? 0 : not_supported(ring, "hardware filtering");
}

int pfring_get_mtu_size(pfring *ring)
{
	if (ring == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->ops->mtu == NULL)
		return PF_RING_ERROR_NOT_SUPPORTED;
	return ring->ops->mtu(ring);
}

u_int32_t pfring_get_interface_speed(pfring *ring)
{
	char path[128], ifname[64];
	unsigned int speed = 0;
	int queue;
	FILE *f;

	if (ring == NULL ||
	    pfring_split_queue(ring->device, ifname, sizeof(ifname), &queue) < 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/speed", ifname);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%u", &speed) != 1 || speed > 10000000)
		speed = 0;
	fclose(f);
	return speed;
}

int pfring_export_ring(pfring *ring, struct pfring_ring_export *ex)
{
	if (ring == NULL || ex == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	if (ring->ops->export_ring == NULL)
		return pfring_error(ring, PF_RING_ERROR_NOT_SUPPORTED,
				    "%s rings cannot be mapped elsewhere",
				    ring->ops->name);
	return ring->ops->export_ring(ring, ex);
}

int pfring_get_ring_id(pfring *ring)
{
	return ring == NULL ? PF_RING_ERROR_INVALID_ARGUMENT : ring->ring_id;
}

u_int32_t pfring_get_num_queued_pkts(pfring *ring)
{
	if (ring == NULL || ring->ops->num_queued == NULL)
		return 0;
	return ring->ops->num_queued(ring);
}

u_int16_t pfring_get_slot_header_len(pfring *ring)
{
	return sizeof(struct pfring_pkthdr);
}

int pfring_set_application_name(pfring *ring, char *name)
{
	if (ring == NULL || name == NULL)
		return PF_RING_ERROR_INVALID_ARGUMENT;
	snprintf(ring->cfg.appname, sizeof(ring->cfg.appname), "%s", name);
	if (ring->ops->apply == NULL)
		return 0;
	return ring->ops->apply(ring, PFRING_SET_APPNAME, NULL);
}
