/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * apicheck TX RX: the AF_PACKET back-end's API calls on a live veth pair
 * (TX and RX its two ends, RX with 4 queues), as TAP lines. Checks the
 * values against what the kernel reports in /sys.
 */
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pfring.h"

static int n;

static void result(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n, what);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sys_mac(const char *ifname, u_char mac[6])
{
	char path[128];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	rc = fscanf(f, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		    &mac[2], &mac[3], &mac[4], &mac[5]);
	fclose(f);
	return rc == 6 ? 0 : -1;
}

static void frame(u_char *f, size_t len, u_int8_t tag)
{
	memset(f, 0, len);
	memset(f, 0xff, 6);         /* broadcast */
	f[6] = 0x02;
	f[11] = tag;
	f[12] = 0x88;               /* local experimental EtherType */
	f[13] = 0xb5;
	f[14] = tag;
}

static pfring *open_rx(const char *dev)
{
	pfring *r = pfring_open(dev, 256, PF_RING_PROMISC);

	if (r == NULL) {
		printf("Bail out! %s: %s\n", dev, pfring_strerror(NULL));
		exit(1);
	}
	pfring_set_poll_duration(r, 50);
	pfring_enable_ring(r);
	return r;
}

static void check_device_info(pfring *rx, const char *ifname)
{
	u_char mac[6], want[6];
	int id = 0;

	result(pfring_get_bound_device_address(rx, mac) == 0 &&
		       sys_mac(ifname, want) == 0 && !memcmp(mac, want, 6),
	       "bound device address is the interface's MAC");
	result(pfring_get_bound_device_id(rx, &id) == 0 &&
		       id == (int)if_nametoindex(ifname),
	       "bound device id is the ifindex");
	result(pfring_get_num_rx_channels(rx) == 4, "4 RX channels on a 4-queue veth");
	result(pfring_get_mtu_size(rx) == 1500, "MTU 1500");
	result(pfring_get_selectable_fd(rx) >= 0, "selectable fd");
}

static void check_receive(pfring *tx, pfring *rx)
{
	struct pfring_pkthdr h;
	struct timespec ts = { 0, 0 };
	u_char f[64], *p = NULL;
	struct pollfd pfd = { .fd = pfring_get_selectable_fd(rx), .events = POLLIN };

	result(pfring_recv(rx, &p, 0, &h, 0) == 0, "non-blocking recv on an empty ring returns 0");
	frame(f, sizeof(f), 1);
	result(pfring_send(tx, f, sizeof(f), 1) == (int)sizeof(f), "pfring_send returns the bytes sent");
	result(poll(&pfd, 1, 2000) == 1, "the selectable fd polls readable");
	result(pfring_next_pkt_time(rx, &ts) == 0 && ts.tv_sec > 0, "next packet time before reading it");
	result(pfring_get_num_queued_pkts(rx) >= 1, "one packet queued");
	result(pfring_recv(rx, &p, 0, &h, 1) == 1 && h.len == sizeof(f) && p[14] == 1 &&
		       h.extended_hdr.if_index > 0 && h.extended_hdr.rx_direction == 1 &&
		       (u_int64_t)ts.tv_sec == h.extended_hdr.timestamp_ns / 1000000000ull,
	       "zero-copy recv returns it with its header");
}

static void check_send_last(pfring *tx, pfring *rx, pfring *back)
{
	struct pfring_pkthdr h;
	u_char f[80], *p = NULL;
	int id = 0;

	frame(f, sizeof(f), 2);
	pfring_send(tx, f, sizeof(f), 1);
	pfring_recv(rx, &p, 0, &h, 1);
	/* Out of RX's own device: it arrives on TX's end, where back listens. */
	pfring_get_bound_device_id(rx, &id);
	result(pfring_send_last_rx_packet(rx, id) == 0, "send_last_rx_packet");
	p = NULL;
	result(pfring_recv(back, &p, 0, &h, 1) == 1 && h.len == sizeof(f) && p[14] == 2,
	       "the last packet went out again");
}

static void *break_later(void *arg)
{
	usleep(300000);
	pfring_breakloop(arg);
	return NULL;
}

static void count_cb(const struct pfring_pkthdr *h, const u_char *p,
		     const u_char *user)
{
}

/* A poll duration of 10 s: only an immediate wake-up returns in time. */
static void check_breakloop(pfring *rx)
{
	pthread_t t;
	double t0;
	int rc;

	pfring_set_poll_duration(rx, 10000);
	pthread_create(&t, NULL, break_later, rx);
	t0 = now_s();
	rc = pfring_loop(rx, count_cb, NULL, 1);
	pthread_join(t, NULL);
	printf("# loop returned %d after %.2f s\n", rc, now_s() - t0);
	result(rc == 0 && now_s() - t0 < 2.0, "pfring_breakloop wakes a blocked pfring_loop");
}

static void check_multichannel(const char *ifname)
{
	pfring *rings[MAX_NUM_RX_CHANNELS];
	u_int8_t i, got = pfring_open_multichannel(ifname, 128, 0, rings);

	result(got == 4, "pfring_open_multichannel opens one ring per queue");
	for (i = 0; i < got; i++)
		pfring_close(rings[i]);
}

int main(int argc, char **argv)
{
	pfring *tx, *rx, *back;
	u_int32_t v = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: apicheck TX-IF RX-IF\n");
		return 2;
	}
	printf("1..18\n");
	tx = pfring_open(argv[1], 128, 0);
	result(tx != NULL && pfring_set_socket_mode(tx, send_only_mode) == 0 &&
		       pfring_enable_ring(tx) == 0, "open a send-only ring");
	rx = open_rx(argv[2]);
	back = open_rx(argv[1]);
	pfring_set_direction(back, rx_only_direction);
	result(pfring_set_application_name(rx, "apicheck") == 0, "application name");
	result(pfring_version(rx, &v) == 0 && v == RING_VERSION_NUM, "version");
	check_device_info(rx, argv[2]);
	check_receive(tx, rx);
	check_send_last(tx, rx, back);
	check_breakloop(rx);
	check_multichannel(argv[2]);
	pfring_close(back);
	pfring_close(rx);
	pfring_close(tx);
	return 0;
}
