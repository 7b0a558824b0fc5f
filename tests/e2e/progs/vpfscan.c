/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vpfscan: proof that early filtering keeps packets out of a guest's
 * memory, not merely out of its application. Captures N packets of
 * host:IF through a BPF filter, then, with the ring still open, maps the
 * ring's device (/dev/vnplugID) a second time and walks every block of
 * the TPACKET_V3 ring, released ones included (the kernel leaves their
 * contents until it reuses them), looking at every packet the host kernel
 * ever wrote there.
 *
 *   vpfscan -i host:IF -f FILTER -n N -p PORT
 *
 * Prints "captured=C in_ring=R outside=O": O counts packets in the ring
 * that are not UDP to or from PORT. Exits 0 when C == N, R == N and O == 0.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfring.h"
#include "../../../guest/libvpfring/vnplug_guest.h"
#include "../../../include/uapi/vnplug.h"
#include "../../../include/uapi/vpfring.h"

/* UDP to or from @port, in an untagged IPv4 frame. */
static int matches(const u_int8_t *p, u_int32_t len, u_int16_t port)
{
	u_int32_t ihl;
	u_int16_t sp, dp;

	if (len < 14 + 20 + 8 || p[12] != 0x08 || p[13] != 0x00 || p[23] != 17)
		return 0;
	ihl = (p[14] & 0x0f) * 4u;
	if (len < 14 + ihl + 8)
		return 0;
	sp = (u_int16_t)(p[14 + ihl] << 8 | p[15 + ihl]);
	dp = (u_int16_t)(p[16 + ihl] << 8 | p[17 + ihl]);
	return sp == port || dp == port;
}

/* The one ring device's region id, from /sys/class/vnplug. */
static int region_id(u_int32_t *id)
{
	DIR *d = opendir("/sys/class/vnplug");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "vnplug%u", id) == 1)
			n++;
	closedir(d);
	return n == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *dev = NULL, *filter = NULL;
	unsigned long n = 0, captured = 0, in_ring = 0, outside = 0;
	struct pfring_pkthdr h;
	struct vnplug_region *r;
	u_int16_t port = 0;
	u_int32_t id, b, bs, nb;
	u_char *pkt;
	pfring *ring;
	int c;

	while ((c = getopt(argc, argv, "i:f:n:p:")) != -1) {
		switch (c) {
		case 'i': dev = optarg; break;
		case 'f': filter = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'p': port = (u_int16_t)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: vpfscan -i host:IF -f FILTER -n N -p PORT\n");
			return 2;
		}
	}
	if (!dev || !filter || !n || !port) {
		fprintf(stderr, "usage: vpfscan -i host:IF -f FILTER -n N -p PORT\n");
		return 2;
	}
	ring = pfring_open(dev, 1518, PF_RING_PROMISC);
	if (!ring) {
		fprintf(stderr, "vpfscan: %s\n", pfring_strerror(NULL));
		return 1;
	}
	if (pfring_set_bpf_filter(ring, (char *)filter) < 0 ||
	    pfring_enable_ring(ring) < 0) {
		fprintf(stderr, "vpfscan: %s\n", pfring_strerror(ring));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (captured < n) {
		pkt = NULL;
		c = pfring_recv(ring, &pkt, 0, &h, 1);
		if (c < 0) {
			fprintf(stderr, "vpfscan: %s\n", pfring_strerror(ring));
			return 1;
		}
		if (c > 0)
			captured++;
	}
	/* Give the last block back: it stays in memory all the same. */
	if (region_id(&id) < 0 || vnplug_region_map(id, 5000, &r) < 0) {
		fprintf(stderr, "vpfscan: no single ring device to map\n");
		return 1;
	}
	/* The geometry the host wrote in the control page (vpfring.h). */
	{
		struct vpfring_ring d;

		memcpy(&d, (const u_int8_t *)vnplug_region_ctrl(r) +
				   VNPLUG_CTRL_APP_OFF, sizeof(d));
		if (d.magic != VPFRING_RING_MAGIC ||
		    d.format != VPFRING_FORMAT_TPACKET_V3) {
			fprintf(stderr, "vpfscan: not a TPACKET_V3 ring\n");
			return 1;
		}
		bs = d.block_size;
		nb = d.block_nr;
	}
	for (b = 0; b < nb; b++) {
		const u_int8_t *blk = (const u_int8_t *)vnplug_region_mem(r) + (size_t)b * bs;
		const struct tpacket_block_desc *bd = (const void *)blk;
		const struct tpacket3_hdr *t;
		u_int32_t k, off = bd->hdr.bh1.offset_to_first_pkt;

		for (k = 0; k < bd->hdr.bh1.num_pkts && off && off < bs; k++) {
			t = (const void *)(blk + off);
			in_ring++;
			if (!matches((const u_int8_t *)t + t->tp_mac, t->tp_snaplen, port))
				outside++;
			if (!t->tp_next_offset)
				break;
			off += t->tp_next_offset;
		}
	}
	printf("captured=%lu in_ring=%lu outside=%lu\n", captured, in_ring, outside);
	vnplug_region_unmap(r);
	pfring_close(ring);
	return captured == n && in_ring == n && outside == 0 ? 0 : 1;
}
