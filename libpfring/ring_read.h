/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Readers of the two kernel capture rings libpfring maps: an AF_PACKET
 * TPACKET_V3 ring and a pf_ring.ko ring (include/uapi/pf_ring.h). The
 * host's modules (mod_packet.c, mod_kernel.c) and the guest's "host:"
 * module (guest/libvpfring/mod_host.c), which reads the same rings through
 * a PCI BAR, share them, so a packet is read and handed back to the kernel
 * the same way in both places. Not installed.
 *
 * A reader only touches the memory it was given; opening, mapping and
 * waiting belong to the module.
 */
#ifndef PFRING_RING_READ_H
#define PFRING_RING_READ_H

#include <linux/if_packet.h>
#include <stddef.h>
#include <sys/types.h>

#include "pfring.h"
#include "../include/uapi/pf_ring.h"

/* ---------------------------------------------------------------------- */
/* AF_PACKET TPACKET_V3: blocks handed over whole                          */

struct pfr_tpv3 {
	u_int8_t *map;
	u_int32_t block_size;
	u_int32_t block_nr;
	unsigned int blk;	   /* block being read, or the next one */
	int in_blk;		   /* blk is ours and being read */
	u_int32_t left;		   /* unread packets in blk */
	struct tpacket3_hdr *next; /* the next of them */
};

/* Start reading the ring at @map from its first block. */
void pfr_tpv3_attach(struct pfr_tpv3 *r, void *map, u_int32_t block_size,
		     u_int32_t block_nr);

/*
 * The next packet, or NULL. The block of the previous packet goes back to
 * the kernel only now, when the reader has moved past its last packet: a
 * zero-copy buffer stays valid until the next call.
 */
struct tpacket3_hdr *pfr_tpv3_next(struct pfr_tpv3 *r);

/* The next packet without taking it, or NULL. */
struct tpacket3_hdr *pfr_tpv3_peek(struct pfr_tpv3 *r);

/* Packets in blocks the kernel handed over that the reader has not read. */
u_int32_t pfr_tpv3_queued(const struct pfr_tpv3 *r);

/* The interface and direction the kernel recorded for @h. */
const struct sockaddr_ll *pfr_tpv3_sll(const struct tpacket3_hdr *h);

/*
 * Fill @hdr for packet @h (caplen bounded by @caplen) and hand its bytes
 * over: a pointer into the ring when @buffer_len is 0, else a copy of at
 * most @buffer_len bytes into *@buffer.
 */
void pfr_tpv3_deliver(const struct tpacket3_hdr *h, u_int32_t caplen,
		      u_char **buffer, u_int buffer_len,
		      struct pfring_pkthdr *hdr);

/* ---------------------------------------------------------------------- */
/* pf_ring.ko: slots with a kernel-written head, a reader-written tail     */

struct pfr_slots {
	u_int8_t *map;
	size_t map_len;
	struct pfring_ring_hdr *hdr;
	struct pfring_reader_page *rp;
	u_int8_t *slots;
	u_int32_t num_slots;
	u_int32_t slot_size;
	u_int32_t caplen;
	u_int32_t batch;     /* slots given back at once */
	u_int64_t tail;	     /* next slot to read */
	u_int64_t published; /* tail the kernel has been given */
	u_int64_t head_seen; /* head at the last load */
};

/*
 * Check the ring header at @map (@len bytes mapped) against this
 * library's pf_ring.h and against the mapping, and start reading where
 * the reader page says. A ring that fails a check is not read at all:
 * returns PF_RING_ERROR_WRONG_CONFIGURATION or
 * PF_RING_ERROR_INVALID_LIB_VERSION with the reason in @why.
 */
int pfr_slots_attach(struct pfr_slots *r, void *map, size_t len, char *why,
		     size_t why_len);

u_int64_t pfr_slots_head(const struct pfr_slots *r);

/*
 * Hand the slots read so far back to the kernel, in batches (the reader's
 * page and the kernel's header then change hands once per batch); @all
 * gives back everything, as before a wait.
 */
void pfr_slots_release(struct pfr_slots *r, int all);

/* Slots ready to read (head loaded only when the last load is used up);
 * -1 when head is not within the ring of the tail. */
int64_t pfr_slots_ready(struct pfr_slots *r);

/* Slots ready now, head loaded afresh; 0 when corrupt. */
u_int32_t pfr_slots_queued(struct pfr_slots *r);

const struct pfring_slot_hdr *pfr_slots_at(const struct pfr_slots *r,
					   u_int64_t n);

/* As pfr_tpv3_deliver(), for slot @sh (caplen bounded by the ring's and
 * by @caplen). */
void pfr_slots_deliver(const struct pfr_slots *r,
		       const struct pfring_slot_hdr *sh, u_int32_t caplen,
		       u_char **buffer, u_int buffer_len,
		       struct pfring_pkthdr *hdr);

/* The reader page's "about to sleep" hint. */
void pfr_slots_set_waiting(struct pfr_slots *r, int waiting);

#endif /* PFRING_RING_READ_H */
