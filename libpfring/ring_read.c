// SPDX-License-Identifier: LGPL-2.1-or-later
/* Readers of TPACKET_V3 and pf_ring.ko rings: see ring_read.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ring_read.h"

/* ---------------------------------------------------------------------- */
/* TPACKET_V3                                                             */

static struct tpacket_block_desc *block(const struct pfr_tpv3 *r,
					unsigned int i)
{
	return (struct tpacket_block_desc *)(r->map +
					     (size_t)i * r->block_size);
}

/*
 * The kernel fills a block, then hands it over by setting block_status to
 * TP_STATUS_USER after a write barrier (prb_close_block() and
 * prb_retire_current_block() in net/packet/af_packet.c): this acquire load
 * pairs with it. The kernel fills a block again only once it reads
 * TP_STATUS_KERNEL there (prb_curr_blk_in_use(), prb_dispatch_next_block()),
 * so the reader's store is a release: its reads of the block come first.
 */
static int block_ready(const struct pfr_tpv3 *r, unsigned int i)
{
	u_int32_t status = __atomic_load_n(&block(r, i)->hdr.bh1.block_status,
					   __ATOMIC_ACQUIRE);

	return status & TP_STATUS_USER;
}

static void block_release(struct pfr_tpv3 *r)
{
	__atomic_store_n(&block(r, r->blk)->hdr.bh1.block_status,
			 TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	r->blk = (r->blk + 1) % r->block_nr;
	r->in_blk = 0;
}

static struct tpacket3_hdr *first_packet(struct tpacket_block_desc *bd)
{
	return (struct tpacket3_hdr *)((u_int8_t *)bd +
				       bd->hdr.bh1.offset_to_first_pkt);
}

void pfr_tpv3_attach(struct pfr_tpv3 *r, void *map, u_int32_t block_size,
		     u_int32_t block_nr)
{
	memset(r, 0, sizeof(*r));
	r->map = map;
	r->block_size = block_size;
	r->block_nr = block_nr;
}

struct tpacket3_hdr *pfr_tpv3_next(struct pfr_tpv3 *r)
{
	struct tpacket_block_desc *bd;
	struct tpacket3_hdr *h;

	if (!r->map)
		return NULL;
	if (r->in_blk && r->left == 0)
		block_release(r);
	while (!r->in_blk) {
		if (!block_ready(r, r->blk))
			return NULL;
		bd = block(r, r->blk);
		r->in_blk = 1;
		r->left = bd->hdr.bh1.num_pkts;
		r->next = first_packet(bd);
		if (r->left == 0)
			block_release(r);
	}
	h = r->next;
	r->left--;
	r->next = (struct tpacket3_hdr *)((u_int8_t *)h + h->tp_next_offset);
	return h;
}

struct tpacket3_hdr *pfr_tpv3_peek(struct pfr_tpv3 *r)
{
	unsigned int b;

	if (!r->map)
		return NULL;
	if (r->in_blk && r->left)
		return r->next;
	b = r->in_blk ? (r->blk + 1) % r->block_nr : r->blk;
	if (!block_ready(r, b) || block(r, b)->hdr.bh1.num_pkts == 0)
		return NULL;
	return first_packet(block(r, b));
}

u_int32_t pfr_tpv3_queued(const struct pfr_tpv3 *r)
{
	u_int32_t n = r->in_blk ? r->left : 0, i;
	unsigned int b = r->blk;

	if (!r->map)
		return 0;
	if (r->in_blk)
		b = (b + 1) % r->block_nr;
	for (i = r->in_blk; i < r->block_nr && block_ready(r, b); i++) {
		n += block(r, b)->hdr.bh1.num_pkts;
		b = (b + 1) % r->block_nr;
	}
	return n;
}

const struct sockaddr_ll *pfr_tpv3_sll(const struct tpacket3_hdr *h)
{
	return (const struct sockaddr_ll *)((const u_int8_t *)h +
					    TPACKET_ALIGN(sizeof(*h)));
}

static void hand_over(u_char *data, u_char **buffer, u_int buffer_len,
		      struct pfring_pkthdr *hdr)
{
	if (buffer_len == 0) {
		*buffer = data; /* valid until the next read */
		return;
	}
	if (hdr->caplen > buffer_len)
		hdr->caplen = buffer_len;
	memcpy(*buffer, data, hdr->caplen);
}

void pfr_tpv3_deliver(const struct tpacket3_hdr *h, u_int32_t caplen,
		      u_char **buffer, u_int buffer_len,
		      struct pfring_pkthdr *hdr)
{
	struct pfring_extended_pkthdr *x = &hdr->extended_hdr;
	const struct sockaddr_ll *sll = pfr_tpv3_sll(h);

	/* Field by field: clearing the whole header (parsed_pkt included, which
	 * only a parse fills) cost more than the rest of the receive path. */
	x->flags = 0;
	x->pkt_hash = 0;
	x->parsed_header_len = 0;
	x->parsed_pkt.vlan_id = 0;
	hdr->ts.tv_sec = h->tp_sec;
	hdr->ts.tv_usec = h->tp_nsec / 1000;
	hdr->caplen = h->tp_snaplen < caplen ? h->tp_snaplen : caplen;
	hdr->len = h->tp_len;
	x->timestamp_ns = (u_int64_t)h->tp_sec * 1000000000ull + h->tp_nsec;
	x->if_index = sll->sll_ifindex;
	x->rx_direction = sll->sll_pkttype != PACKET_OUTGOING;
	if (h->tp_status & TP_STATUS_VLAN_VALID) {
		x->parsed_pkt.vlan_id = h->hv1.tp_vlan_tci & 0x0fff;
		x->flags |= PKT_FLAGS_VLAN_HWACCEL;
	}
	hand_over((u_char *)h + h->tp_mac, buffer, buffer_len, hdr);
}

/* ---------------------------------------------------------------------- */
/* pf_ring.ko                                                             */

static int refuse(char *why, size_t len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int refuse(char *why, size_t len, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return code;
}

int pfr_slots_attach(struct pfr_slots *r, void *map, size_t len, char *why,
		     size_t why_len)
{
	const struct pfring_ring_hdr *h = map;
	u_int64_t tot = len, slots_end, head;
	u_int32_t ns, ss, cl;

	memset(r, 0, sizeof(*r));
	if (len < sizeof(*h))
		return refuse(why, why_len, PF_RING_ERROR_WRONG_CONFIGURATION,
			      "%zu bytes: shorter than its header", len);
	ns = h->num_slots;
	ss = h->slot_size;
	cl = h->caplen;
	if (h->magic != PFRING_RING_MAGIC)
		return refuse(why, why_len, PF_RING_ERROR_WRONG_CONFIGURATION,
			      "magic 0x%08x, expected 0x%08x", h->magic,
			      PFRING_RING_MAGIC);
	if (h->version != PFRING_UAPI_VERSION)
		return refuse(why, why_len, PF_RING_ERROR_INVALID_LIB_VERSION,
			      "ring version %u, this libpfring reads version "
			      "%u (build both from one include/uapi/pf_ring.h)",
			      h->version, PFRING_UAPI_VERSION);
	if (h->format != PFRING_FORMAT_SLOTS)
		return refuse(why, why_len, PF_RING_ERROR_WRONG_CONFIGURATION,
			      "format %u, expected %u", h->format,
			      PFRING_FORMAT_SLOTS);
	if (h->hdr_len != sizeof(struct pfring_ring_hdr) ||
	    h->slot_hdr_len != sizeof(struct pfring_slot_hdr))
		return refuse(why, why_len, PF_RING_ERROR_INVALID_LIB_VERSION,
			      "header %u bytes, slot header %u bytes; "
			      "expected %zu and %zu",
			      h->hdr_len, h->slot_hdr_len,
			      sizeof(struct pfring_ring_hdr),
			      sizeof(struct pfring_slot_hdr));
	if (h->tot_mem != tot)
		return refuse(why, why_len, PF_RING_ERROR_WRONG_CONFIGURATION,
			      "header says %llu bytes, %llu are mapped",
			      (unsigned long long)h->tot_mem,
			      (unsigned long long)tot);
	if (ns == 0 || (ns & (ns - 1)) != 0)
		return refuse(why, why_len, PF_RING_ERROR_WRONG_CONFIGURATION,
			      "%u slots: not a power of two", ns);
	if (cl == 0 || ss % 8 != 0 ||
	    (u_int64_t)ss < (u_int64_t)sizeof(struct pfring_slot_hdr) + cl)
		return refuse(why, why_len, PF_RING_ERROR_WRONG_CONFIGURATION,
			      "slot size %u for caplen %u (slot header %zu)",
			      ss, cl, sizeof(struct pfring_slot_hdr));
	if (h->reader_off < sizeof(struct pfring_ring_hdr) ||
	    h->reader_off % 8 != 0 ||
	    h->reader_off > tot - sizeof(struct pfring_reader_page))
		return refuse(why, why_len, PF_RING_ERROR_WRONG_CONFIGURATION,
			      "reader page at %llu in %llu bytes",
			      (unsigned long long)h->reader_off,
			      (unsigned long long)tot);
	slots_end = h->slots_off + (u_int64_t)ns * ss;
	if (h->slots_off < sizeof(struct pfring_ring_hdr) ||
	    h->slots_off % 8 != 0 || h->slots_off > tot || slots_end > tot ||
	    (h->reader_off + sizeof(struct pfring_reader_page) > h->slots_off &&
	     h->reader_off < slots_end))
		return refuse(why, why_len, PF_RING_ERROR_WRONG_CONFIGURATION,
			      "slots at %llu..%llu in %llu bytes (reader "
			      "page at %llu)",
			      (unsigned long long)h->slots_off,
			      (unsigned long long)slots_end,
			      (unsigned long long)tot,
			      (unsigned long long)h->reader_off);
	r->map = map;
	r->map_len = len;
	r->hdr = map;
	r->num_slots = ns;
	r->batch = ns / 4 < 64 ? (ns / 4 ? ns / 4 : 1) : 64;
	r->slot_size = ss;
	r->caplen = cl;
	r->rp = (struct pfring_reader_page *)(r->map + h->reader_off);
	r->slots = r->map + h->slots_off;
	/* The reader page is the reader's; start where it says (0 on a new
	 * ring), or at head if that makes no sense. */
	r->tail = __atomic_load_n(&r->rp->tail, __ATOMIC_RELAXED);
	head = pfr_slots_head(r);
	if (head - r->tail > r->num_slots) {
		r->tail = head;
		__atomic_store_n(&r->rp->tail, r->tail, __ATOMIC_RELEASE);
	}
	r->published = r->tail;
	r->head_seen = r->tail;
	return 0;
}

u_int64_t pfr_slots_head(const struct pfr_slots *r)
{
	return __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
}

void pfr_slots_release(struct pfr_slots *r, int all)
{
	if (r->map && r->tail - r->published >= (all ? 1 : r->batch)) {
		__atomic_store_n(&r->rp->tail, r->tail, __ATOMIC_RELEASE);
		r->published = r->tail;
	}
}

int64_t pfr_slots_ready(struct pfr_slots *r)
{
	u_int64_t n;

	if (!r->map)
		return 0;
	if (r->head_seen == r->tail)
		r->head_seen = pfr_slots_head(r);
	n = r->head_seen - r->tail;
	return n > r->num_slots ? -1 : (int64_t)n;
}

u_int32_t pfr_slots_queued(struct pfr_slots *r)
{
	int64_t n;

	if (r->map)
		r->head_seen = pfr_slots_head(r);
	n = pfr_slots_ready(r);
	return n > 0 ? (u_int32_t)n : 0;
}

const struct pfring_slot_hdr *pfr_slots_at(const struct pfr_slots *r,
					   u_int64_t n)
{
	return (const struct pfring_slot_hdr *)(r->slots +
						(size_t)(n & (r->num_slots -
							      1)) *
						    r->slot_size);
}

void pfr_slots_deliver(const struct pfr_slots *r,
		       const struct pfring_slot_hdr *sh, u_int32_t caplen,
		       u_char **buffer, u_int buffer_len,
		       struct pfring_pkthdr *hdr)
{
	struct pfring_extended_pkthdr *x = &hdr->extended_hdr;
	u_int64_t ts = sh->ts_ns;
	u_int32_t cl = sh->caplen;

	/* The slot's length is the kernel's word; the geometry bounds it. */
	if (cl > r->caplen)
		cl = r->caplen;
	if (cl > caplen)
		cl = caplen;
	x->flags = 0;
	x->pkt_hash = 0;
	x->parsed_header_len = 0;
	x->parsed_pkt.vlan_id = 0;
	hdr->ts.tv_sec = (time_t)(ts / 1000000000ull);
	hdr->ts.tv_usec = (suseconds_t)(ts % 1000000000ull / 1000);
	hdr->caplen = cl;
	hdr->len = sh->len;
	x->timestamp_ns = ts;
	x->if_index = sh->ifindex;
	x->rx_direction = !(sh->flags & PFRING_SLOT_TX);
	hand_over((u_char *)(sh + 1), buffer, buffer_len, hdr);
}

void pfr_slots_set_waiting(struct pfr_slots *r, int waiting)
{
	__atomic_store_n(&r->rp->flags, waiting ? PFRING_READER_WAITING : 0,
			 waiting ? __ATOMIC_SEQ_CST : __ATOMIC_RELAXED);
}
