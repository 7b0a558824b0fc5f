// SPDX-License-Identifier: GPL-2.0
/*
 * Ring memory: allocation, mapping, and the mmap-only file descriptor that
 * lets another process (vnplugd, then QEMU) map a ring without holding its
 * socket.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "pfr_kmod.h"

static void pfr_mem_release(struct kref *ref)
{
	struct pfr_mem *mem = container_of(ref, struct pfr_mem, ref);

	atomic64_sub(mem->size, &pfr_mem_bytes);
	atomic_dec(&pfr_nr_mems);
	vfree(mem->base);
	kfree(mem);
}

void pfr_mem_put(struct pfr_mem *mem)
{
	if (mem)
		kref_put(&mem->ref, pfr_mem_release);
}

/*
 * Geometry: header page, reader page, then num_slots slots. num_slots is a
 * power of two so that a free-running counter indexes a slot with a mask.
 */
int pfr_ring_alloc(struct pfr_sock *ps)
{
	struct pfring_ring_hdr *hdr;
	struct pfr_mem *mem;
	u32 slots, slot_size;
	u64 size;

	if (ps->mem)
		return 0;
	slots = max(ps->num_slots_req, pfr_min_num_slots);
	slots = min_t(u32, max_t(u32, slots, 2), PFR_MAX_SLOTS);
	slots = roundup_pow_of_two(slots);
	slot_size = ALIGN(sizeof(struct pfring_slot_hdr) + ps->caplen_req, 8);
	size = 2 * PAGE_SIZE + (u64)slots * slot_size;
	size = PAGE_ALIGN(size);
	if (size > PFR_MAX_RING_BYTES)
		return -E2BIG;

	mem = kzalloc(sizeof(*mem), GFP_KERNEL);
	if (!mem)
		return -ENOMEM;
	mem->base = vmalloc_user(size);
	if (!mem->base) {
		kfree(mem);
		return -ENOMEM;
	}
	mem->size = size;
	kref_init(&mem->ref);
	atomic_inc(&pfr_nr_mems);
	atomic64_add(size, &pfr_mem_bytes);

	hdr = mem->base;
	hdr->magic = PFRING_RING_MAGIC;
	hdr->version = PFRING_UAPI_VERSION;
	hdr->format = PFRING_FORMAT_SLOTS;
	hdr->hdr_len = sizeof(*hdr);
	hdr->slot_hdr_len = sizeof(struct pfring_slot_hdr);
	hdr->num_slots = slots;
	hdr->slot_size = slot_size;
	hdr->caplen = ps->caplen_req;
	hdr->page_size = PAGE_SIZE;
	hdr->reader_off = PAGE_SIZE;
	hdr->slots_off = 2 * PAGE_SIZE;
	hdr->tot_mem = size;
	hdr->ring_id = ps->ring_id;

	spin_lock_bh(&ps->lock);
	ps->hdr = hdr;
	ps->rd = mem->base + PAGE_SIZE;
	ps->slots = mem->base + 2 * PAGE_SIZE;
	ps->num_slots = slots;
	ps->slot_size = slot_size;
	ps->caplen = ps->caplen_req;
	ps->head = 0;
	ps->tail_seen = 0;
	/* Published last: the packet path tests ps->mem. */
	smp_store_release(&ps->mem, mem);
	spin_unlock_bh(&ps->lock);
	return 0;
}

/*
 * Packets waiting for the reader. A tail outside [head - num_slots, head]
 * is garbage the reader wrote: *bad is set and the ring counts as full, so
 * the reader loses its own packets and nothing else happens.
 */
u64 pfr_queued(struct pfr_sock *ps, bool *bad)
{
	u64 tail = smp_load_acquire(&ps->rd->tail);
	u64 head = ps->head;

	*bad = tail > head || head - tail > ps->num_slots;
	if (*bad)
		return ps->num_slots;
	ps->tail_seen = tail;
	return head - tail;
}

static void pfr_vm_open(struct vm_area_struct *vma)
{
	struct pfr_mem *mem = vma->vm_private_data;

	kref_get(&mem->ref);
}

static void pfr_vm_close(struct vm_area_struct *vma)
{
	pfr_mem_put(vma->vm_private_data);
}

static const struct vm_operations_struct pfr_vm_ops = {
	.open = pfr_vm_open,
	.close = pfr_vm_close,
};

/* Maps the whole ring or a prefix of it, from offset 0 only. */
int pfr_mem_mmap(struct pfr_mem *mem, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	int err;

	if (vma->vm_pgoff != 0 || len > mem->size)
		return -EINVAL;
	err = remap_vmalloc_range(vma, mem->base, 0);
	if (err)
		return err;
	vma->vm_private_data = mem;
	vma->vm_ops = &pfr_vm_ops;
	kref_get(&mem->ref);
	return 0;
}

static int pfr_memfd_mmap(struct file *file, struct vm_area_struct *vma)
{
	return pfr_mem_mmap(file->private_data, vma);
}

static int pfr_memfd_release(struct inode *inode, struct file *file)
{
	pfr_mem_put(file->private_data);
	atomic_dec(&pfr_nr_mem_fds);
	return 0;
}

/* No read, write or ioctl: the fd exists to be mapped. */
static const struct file_operations pfr_memfd_fops = {
	.owner = THIS_MODULE,
	.mmap = pfr_memfd_mmap,
	.release = pfr_memfd_release,
	.llseek = noop_llseek,
};

/* A file whose only operation is mmap of @mem; the caller installs it. */
struct file *pfr_mem_file(struct pfr_mem *mem)
{
	struct file *f;

	kref_get(&mem->ref);
	f = anon_inode_getfile("[pf_ring]", &pfr_memfd_fops, mem, O_RDWR);
	if (IS_ERR(f))
		pfr_mem_put(mem);
	else
		atomic_inc(&pfr_nr_mem_fds);
	return f;
}
