/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cap_tpacket - capture benchmark, bare kernel path: an AF_PACKET socket
 * with a TPACKET_V3 receive ring, mapped and walked block by block, with
 * poll() only when the next block is still the kernel's. The reference
 * for what the libraries add on top of the kernel interface.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "cap_common.h"

/* libpfring's default ring for a 1600-byte caplen, near enough: 4 MiB in
 * blocks of ~128 full-size packets, retired after 500 ms at the latest. */
#define DEFAULT_BLOCK_KB 256
#define DEFAULT_BLOCKS	 16
#define DEFAULT_TOV_MS	 500
#define FRAME_SIZE	 2048 /* only a hint with V3: blocks hold any length */
#define POLL_MS		 100

struct tp_opts {
	struct cap_opts cap;
	uint32_t block_kb, blocks, tov_ms;
};

struct tp_ring {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint32_t block_size, nblocks;
};

static void usage(void)
{
	cap_usage_common("cap_tpacket",
			 "Capture with a bare AF_PACKET TPACKET_V3 ring.");
	printf("  -k <KiB>     block size (default %d)\n"
	       "  -n <n>       number of blocks (default %d)\n"
	       "  -T <ms>      block retire timeout (default %d)\n",
	       DEFAULT_BLOCK_KB, DEFAULT_BLOCKS, DEFAULT_TOV_MS);
}

static int own_opt(struct tp_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'k':
		return cap_parse_u32(c, arg, &o->block_kb);
	case 'n':
		return cap_parse_u32(c, arg, &o->blocks);
	case 'T':
		return cap_parse_u32(c, arg, &o->tov_ms);
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct tp_opts *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c, rc;

	cap_opts_default(&o->cap);
	o->block_kb = DEFAULT_BLOCK_KB;
	o->blocks = DEFAULT_BLOCKS;
	o->tov_ms = DEFAULT_TOV_MS;
	while ((c = getopt_long(argc, argv, CAP_COMMON_OPTS "k:n:T:", longopts,
				NULL)) != -1) {
		if (c == 'h') {
			usage();
			exit(0);
		}
		rc = cap_common_opt(&o->cap, c, optarg);
		if (rc == 1)
			rc = own_opt(o, c, optarg);
		if (rc != 0)
			return -1;
	}
	if (optind < argc || o->blocks == 0 || o->block_kb == 0 ||
	    o->block_kb > 1024 * 1024 || o->block_kb % 4) {
		fprintf(stderr, "bad arguments: -k must be a multiple of 4 "
				"(KiB, pages), -n > 0\n");
		return -1;
	}
	return cap_check_opts(&o->cap);
}

static int set_ring(int fd, const struct tp_opts *o, struct tp_ring *ring)
{
	struct tpacket_req3 req;
	int version = TPACKET_V3;

	memset(&req, 0, sizeof(req));
	ring->block_size = o->block_kb * 1024;
	ring->nblocks = o->blocks;
	req.tp_block_size = ring->block_size;
	req.tp_block_nr = ring->nblocks;
	req.tp_frame_size = FRAME_SIZE;
	req.tp_frame_nr = ring->block_size / FRAME_SIZE * ring->nblocks;
	req.tp_retire_blk_tov = o->tov_ms;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version,
		       sizeof(version)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return -1;
	ring->map_len = (size_t)ring->block_size * ring->nblocks;
	ring->map = mmap(NULL, ring->map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_LOCKED | MAP_POPULATE, fd, 0);
	if (ring->map == MAP_FAILED)
		ring->map = mmap(NULL, ring->map_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
	return ring->map == MAP_FAILED ? -1 : 0;
}

/* Bind to @ifindex only now, so that no packet of another interface
 * (the socket starts with protocol 0: none) enters the ring. */
static int bind_promisc(int fd, int ifindex)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -1;
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	return setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
			  sizeof(mr));
}

static int open_ring(const struct tp_opts *o, struct tp_ring *ring)
{
	int ifindex = (int)if_nametoindex(o->cap.dev);
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (ifindex == 0) {
		fprintf(stderr, "%s: no such interface\n", o->cap.dev);
		return -1;
	}
	ring->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (ring->fd < 0 || set_ring(ring->fd, o, ring) < 0 ||
	    bind_promisc(ring->fd, ifindex) < 0) {
		perror(o->cap.dev);
		return -1;
	}
	/* Reading the statistics resets them. */
	getsockopt(ring->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len);
	return 0;
}

static void walk_block(struct cap_run *r, struct tpacket_block_desc *bd)
{
	uint32_t i, n = bd->hdr.bh1.num_pkts;
	struct tpacket3_hdr *h =
	    (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);

	for (i = 0; i < n; i++) {
		cap_packet(r, (uint8_t *)h + h->tp_mac, h->tp_snaplen,
			   h->tp_len,
			   (uint64_t)h->tp_sec * 1000000000ULL + h->tp_nsec);
		h = (void *)((uint8_t *)h + h->tp_next_offset);
	}
}

static void recv_loop(struct tp_ring *ring, struct cap_run *r)
{
	struct pollfd pfd = {.fd = ring->fd, .events = POLLIN | POLLERR};
	struct tpacket_block_desc *bd;
	uint32_t next = 0;

	while (!cap_done(r)) {
		bd = (void *)(ring->map + (size_t)next * ring->block_size);
		/* Pairs with the kernel's smp_wmb() before it hands over. */
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status,
				      __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER)) {
			poll(&pfd, 1, POLL_MS);
			continue;
		}
		walk_block(r, bd);
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
		next = (next + 1) % ring->nblocks;
	}
}

static uint64_t ring_drops(int fd)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		perror("PACKET_STATISTICS");
	return st.tp_drops;
}

int main(int argc, char **argv)
{
	struct tp_opts o;
	struct tp_ring ring;
	struct cap_run r;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	memset(&ring, 0, sizeof(ring));
	if (open_ring(&o, &ring) < 0)
		return 1;
	cap_init(&r, &o.cap, NULL, NULL);
	snprintf(r.ring_desc, sizeof(r.ring_desc), "tpacket-v3=%ux%uKiB;tov=%u",
		 o.blocks, o.block_kb, o.tov_ms);
	if (cap_start(&r) < 0)
		return 1;
	recv_loop(&ring, &r);
	cap_finish(&r);
	cap_report(&r, "tpacket_v3", ring_drops(ring.fd));
	munmap(ring.map, ring.map_len);
	close(ring.fd);
	return 0;
}
