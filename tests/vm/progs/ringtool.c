// SPDX-License-Identifier: GPL-2.0
/*
 * ringtool: drives pf_ring.ko's socket directly through include/uapi/pf_ring.h
 * for the VM tests that libpfring cannot express (leaks, a reader that
 * writes garbage, the mmap-only fd, devices removed under a ring).
 *
 *   ringtool churn N DEV        open, bind, enable, map and close N rings
 *   ringtool count DEV SECS     capture for SECS seconds, print "packets N"
 *   ringtool garbage DEV SECS   capture while writing random values into the
 *                               reader page; print what the kernel reported
 *   ringtool memfd DEV SECS     map the ring through SO_PFRING_MMAP_FD after
 *                               closing the socket; check the fd refuses I/O
 *   ringtool hold DEV SECS      keep a ring open, report poll errors
 *
 * RT_DIRECTION=0|1|2 (both, rx, tx) sets the ring's direction.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../../include/uapi/pf_ring.h"

struct ring {
	int fd;
	struct pfring_ring_info info;
	uint8_t *mem;
	struct pfring_ring_hdr *hdr;
	struct pfring_reader_page *rd;
};

static void die(const char *what)
{
	fprintf(stderr, "ringtool: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void setu32(int fd, int opt, uint32_t v, const char *what)
{
	if (setsockopt(fd, SOL_PF_RING, opt, &v, sizeof(v)) < 0)
		die(what);
}

static void ring_open(struct ring *r, const char *dev, uint32_t slots)
{
	struct sockaddr_pfring sa;
	socklen_t len = sizeof(r->info);

	memset(r, 0, sizeof(*r));
	r->fd = socket(PF_RING, SOCK_RAW, htons(ETH_P_ALL));
	if (r->fd < 0)
		die("socket(PF_RING)");
	setu32(r->fd, SO_PFRING_CAPLEN, 128, "caplen");
	if (slots)
		setu32(r->fd, SO_PFRING_NUM_SLOTS, slots, "num_slots");
	memset(&sa, 0, sizeof(sa));
	sa.spr_family = PF_RING;
	sa.spr_queue = -1;
	snprintf(sa.spr_ifname, sizeof(sa.spr_ifname), "%s", dev);
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (getsockopt(r->fd, SOL_PF_RING, SO_PFRING_RING_INFO, &r->info, &len) < 0)
		die("ring info");
	r->mem = mmap(NULL, r->info.tot_mem, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fd, 0);
	if (r->mem == MAP_FAILED)
		die("mmap");
	r->hdr = (struct pfring_ring_hdr *)r->mem;
	r->rd = (struct pfring_reader_page *)(r->mem + r->hdr->reader_off);
	if (r->hdr->magic != PFRING_RING_MAGIC || r->hdr->version != PFRING_UAPI_VERSION) {
		fprintf(stderr, "ringtool: bad ring header\n");
		exit(1);
	}
	if (getenv("RT_DIRECTION"))
		setu32(r->fd, SO_PFRING_DIRECTION, atoi(getenv("RT_DIRECTION")),
		       "direction");
	setu32(r->fd, SO_PFRING_ENABLE, 1, "enable");
}

static void ring_close(struct ring *r)
{
	munmap(r->mem, r->info.tot_mem);
	close(r->fd);
}

/* Consumes everything queued; returns the number of packets. */
static uint64_t ring_drain(struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->rd->tail, n = head - tail;

	__atomic_store_n(&r->rd->tail, head, __ATOMIC_RELEASE);
	return n;
}

static void get_stats(int fd, struct pfring_ring_stats *st)
{
	socklen_t len = sizeof(*st);

	if (getsockopt(fd, SOL_PF_RING, SO_PFRING_STATS, st, &len) < 0)
		die("stats");
}

static int cmd_churn(int n, const char *dev)
{
	struct ring r;
	int i;

	for (i = 0; i < n; i++) {
		ring_open(&r, dev, 64);
		ring_close(&r);
	}
	printf("churned %d\n", n);
	return 0;
}

static int cmd_count(const char *dev, double secs)
{
	struct pfring_ring_stats st;
	struct pollfd pfd;
	struct ring r;
	uint64_t got = 0;
	double end;

	ring_open(&r, dev, 0);
	end = now() + secs;
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	while (now() < end) {
		poll(&pfd, 1, 100);
		got += ring_drain(&r);
	}
	got += ring_drain(&r);
	get_stats(r.fd, &st);
	printf("packets %llu recv %llu drop %llu\n", (unsigned long long)got,
	       (unsigned long long)st.recv, (unsigned long long)st.drop);
	ring_close(&r);
	return 0;
}

static int cmd_garbage(const char *dev, double secs)
{
	struct pfring_ring_stats st;
	struct ring r;
	unsigned int seed = 12345;
	uint64_t writes = 0;
	double end;

	ring_open(&r, dev, 256);
	end = now() + secs;
	while (now() < end) {
		uint64_t v = ((uint64_t)rand_r(&seed) << 33) ^ rand_r(&seed);

		switch (writes % 4) {
		case 0: r.rd->tail = v; break;
		case 1: r.rd->tail = ~0ull - (v & 0xff); break;
		case 2: r.rd->flags = (uint32_t)v; break;
		default: /* scribble over the kernel's header too */
			r.hdr->head = v;
			r.hdr->num_slots = (uint32_t)v;
			r.hdr->slot_size = (uint32_t)(v >> 32);
		}
		writes++;
		if (writes % 1024 == 0)
			usleep(1000);
	}
	get_stats(r.fd, &st);
	printf("garbage writes %llu recv %llu drop %llu\n",
	       (unsigned long long)writes, (unsigned long long)st.recv,
	       (unsigned long long)st.drop);
	ring_close(&r);
	printf("closed\n");
	return 0;
}

static int cmd_memfd(const char *dev, double secs)
{
	struct pfring_ring_hdr *hdr;
	struct ring r;
	socklen_t len = sizeof(int);
	uint64_t before, during;
	int mfd, fail = 0;
	uint8_t *m;
	char c;

	ring_open(&r, dev, 0);
	if (getsockopt(r.fd, SOL_PF_RING, SO_PFRING_MMAP_FD, &mfd, &len) < 0)
		die("mmap fd");
	if (read(mfd, &c, 1) >= 0 || write(mfd, "x", 1) >= 0) {
		printf("memfd allows I/O\n");
		fail = 1;
	}
	m = mmap(NULL, r.info.tot_mem, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (m == MAP_FAILED)
		die("mmap of memfd");
	close(mfd);	/* the mapping keeps the memory */
	hdr = (struct pfring_ring_hdr *)m;
	before = __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);
	printf("memfd ready\n");
	fflush(stdout);
	sleep((unsigned int)secs);
	during = __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);
	ring_close(&r);	/* socket gone: the mapping must stay readable */
	printf("memfd magic %s new %llu after-close-head %llu\n",
	       hdr->magic == PFRING_RING_MAGIC ? "ok" : "bad",
	       (unsigned long long)(during - before),
	       (unsigned long long)hdr->head);
	munmap(m, r.info.tot_mem);
	return fail;
}

static int cmd_hold(const char *dev, double secs)
{
	struct pollfd pfd;
	struct ring r;
	double end;
	int err = 0;

	ring_open(&r, dev, 0);
	printf("holding\n");
	fflush(stdout);
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	end = now() + secs;
	while (now() < end) {
		if (poll(&pfd, 1, 100) > 0 && (pfd.revents & POLLERR)) {
			socklen_t l = sizeof(err);

			getsockopt(r.fd, SOL_SOCKET, SO_ERROR, &err, &l);
			break;
		}
		ring_drain(&r);
	}
	printf("hold error %s\n", err ? strerror(err) : "none");
	ring_close(&r);
	printf("closed\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "churn"))
		return cmd_churn(atoi(argv[2]), argv[3]);
	if (argc == 4 && !strcmp(argv[1], "count"))
		return cmd_count(argv[2], atof(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "garbage"))
		return cmd_garbage(argv[2], atof(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "memfd"))
		return cmd_memfd(argv[2], atof(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return cmd_hold(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: ringtool churn N DEV | count DEV SECS | "
		"garbage DEV SECS | memfd DEV SECS | hold DEV SECS\n");
	return 2;
}
