// SPDX-License-Identifier: GPL-2.0
/*
 * vnplug-ring: the PCI device QEMU hotplugs for each region vnplugd maps
 * (include/uapi/vnplug.h, layer 3), and its character device /dev/vnplugN
 * (N = region id):
 *
 *   mmap   offset 0: the region (BAR2); VNPLUG_MMAP_DOORBELL: BAR0's
 *          doorbell page, uncached; VNPLUG_MMAP_CTRL: the control page
 *          (BAR4). Shared mappings only.
 *   read   8 bytes: the host interrupts since this file's last read,
 *          blocking until there is at least one.
 *   write  4 or 8 bytes: rings the doorbell (a guest -> host event).
 *   poll   POLLIN interrupts pending, POLLOUT while the device lives,
 *          POLLERR|POLLHUP once it is gone (POLLERR alone: vnplugd gone).
 *
 * BAR2 and BAR4 are memremap()ed write-back in probe. Their memory is
 * ordinary host RAM (a memfd or a ring vnplugd hands QEMU), and the memtype
 * that mapping reserves is what x86 PAT gives the user mappings inserted by
 * vmf_insert_pfn(), so the guest kernel and applications agree on the
 * caching type (a conflicting type would make PAT refuse or alias). BAR0
 * keeps pci_iomap()'s uncached type, which the doorbell page inherits.
 *
 * Unplug can happen at any time, with files open and mapped. Mappings are
 * VM_PFNMAP and filled by the fault handler, so remove() can revoke them:
 * it marks the device gone under the write side of ring->sem (faults and
 * doorbell writes hold the read side), zaps the PTEs of every open file's
 * mapping, wakes waiters and frees interrupts and iomaps. Later faults map
 * one zeroed page of the ring's own at every address, so that a reader
 * busy with the memory sees an empty ring rather than dying of SIGBUS,
 * and learns that the device is gone from read() or poll() (-ENODEV,
 * POLLHUP). Reads and writes get -ENODEV. The structure is refcounted:
 * each open file holds a reference, remove() drops the device's.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "vnplug_ko.h"

/* Ring devices at once, at most (character device minors). */
#define VNPLUG_RING_MINORS 1024

struct vnplug_ring {
	struct kref ref;
	struct page *dummy;		/* mapped everywhere once gone */
	struct device *dev;		/* /dev/vnplugN */
	u32 minor;
	u32 region_id;
	u32 app_id;
	u32 session;
	u64 size;
	u32 ctrl_size;
	unsigned long mem_pages;	/* mappable at offset 0 */
	phys_addr_t mem_phys;
	phys_addr_t ctrl_phys;
	phys_addr_t db_phys;
	void __iomem *regs;
	void *mem;
	void *ctrl;
	unsigned int irq;

	struct rw_semaphore sem;	/* gone vs. faults and register use */
	bool gone;
	bool backend_gone;		/* STATUS's BACKEND_GONE, last read */
	atomic64_t irqs;		/* interrupts received */
	wait_queue_head_t wait;

	struct mutex files_lock;
	struct list_head files;		/* vnplug_ring_file */
	struct list_head node;		/* vnplug_rings */
	char irq_name[24];
};

/* One open file of /dev/vnplugN. */
struct vnplug_ring_file {
	struct vnplug_ring *ring;
	struct file *file;
	struct list_head node;		/* vnplug_ring.files */
	atomic64_t seen;		/* ring->irqs at the last read */
};

static dev_t vnplug_devt;
static struct cdev vnplug_cdev;
static struct class *vnplug_class;
/* Minors to live rings, and the list of them; open() looks up here. */
static DEFINE_MUTEX(vnplug_rings_lock);
static DEFINE_XARRAY_ALLOC(vnplug_minors);
static LIST_HEAD(vnplug_rings);

static void vnplug_ring_free(struct kref *ref)
{
	struct vnplug_ring *r = container_of(ref, struct vnplug_ring, ref);

	__free_page(r->dummy);
	kfree(r);
}

/* Reads STATUS into backend_gone. ring->sem held, device not gone. */
static u32 vnplug_ring_status(struct vnplug_ring *r)
{
	u32 status = ioread32(r->regs + VNPLUG_REG_STATUS);

	WRITE_ONCE(r->backend_gone, !!(status & VNPLUG_STATUS_BACKEND_GONE));
	return status;
}

void vnplug_ring_backend_changed(void)
{
	struct vnplug_ring *r;

	mutex_lock(&vnplug_rings_lock);
	list_for_each_entry(r, &vnplug_rings, node) {
		down_read(&r->sem);
		if (!r->gone)
			vnplug_ring_status(r);
		up_read(&r->sem);
		wake_up_interruptible_all(&r->wait);
	}
	mutex_unlock(&vnplug_rings_lock);
}

static irqreturn_t vnplug_ring_irq(int irq, void *data)
{
	struct vnplug_ring *r = data;

	atomic64_inc(&r->irqs);
	wake_up_interruptible_all(&r->wait);
	return IRQ_HANDLED;
}

/* ---------------------------------------------------------------------- */
/* /dev/vnplugN                                                           */

/* The physical page behind a page of the file, or 0 (none). */
static phys_addr_t vnplug_ring_page(struct vnplug_ring *r, pgoff_t pgoff)
{
	if (pgoff < r->mem_pages)
		return r->mem_phys + ((phys_addr_t)pgoff << PAGE_SHIFT);
	if (pgoff == VNPLUG_MMAP_DOORBELL >> PAGE_SHIFT)
		return r->db_phys;
	if (pgoff == VNPLUG_MMAP_CTRL >> PAGE_SHIFT)
		return r->ctrl_phys;
	return 0;
}

static vm_fault_t vnplug_ring_fault(struct vm_fault *vmf)
{
	struct vnplug_ring_file *f = vmf->vma->vm_file->private_data;
	struct vnplug_ring *r = f->ring;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	phys_addr_t phys;

	down_read(&r->sem);
	/* vmf->pgoff is the file's page, whatever part of the VMA is left. */
	phys = vnplug_ring_page(r, vmf->pgoff);
	if (phys && r->gone)
		phys = page_to_phys(r->dummy);
	if (phys)
		ret = vmf_insert_pfn(vmf->vma, vmf->address, PHYS_PFN(phys));
	up_read(&r->sem);
	return ret;
}

static const struct vm_operations_struct vnplug_ring_vm_ops = {
	.fault = vnplug_ring_fault,
};

static int vnplug_ring_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vnplug_ring_file *f = file->private_data;
	struct vnplug_ring *r = f->ring;
	unsigned long len = vma->vm_end - vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;

	/* A private writable PFN mapping would be a COW mapping: refused. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (off == 0) {
		if (len > r->mem_pages << PAGE_SHIFT)
			return -EINVAL;
	} else if (off == VNPLUG_MMAP_DOORBELL && len == PAGE_SIZE) {
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	} else if (off == VNPLUG_MMAP_CTRL && len == PAGE_SIZE) {
		/* write-back, as the region */
	} else {
		return -EINVAL;
	}
	if (READ_ONCE(r->gone))
		return -ENODEV;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
#endif
	vma->vm_ops = &vnplug_ring_vm_ops;
	return 0;
}

static int vnplug_ring_open(struct inode *inode, struct file *file)
{
	struct vnplug_ring_file *f;
	struct vnplug_ring *r;
	int err;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		err = -ENOMEM;
		goto out_undo;
	}
	mutex_lock(&vnplug_rings_lock);
	r = xa_load(&vnplug_minors, iminor(inode));
	if (r && !READ_ONCE(r->gone))
		kref_get(&r->ref);
	else
		r = NULL;
	mutex_unlock(&vnplug_rings_lock);
	if (!r) {
		err = -ENODEV;
		goto out_undo;
	}
	f->ring = r;
	f->file = file;
	atomic64_set(&f->seen, atomic64_read(&r->irqs));
	mutex_lock(&r->files_lock);
	list_add_tail(&f->node, &r->files);
	mutex_unlock(&r->files_lock);
	atomic_inc(&vnplug_stats.ring_files);
	file->private_data = f;
	return stream_open(inode, file);

out_undo:
	kfree(f);
	return err;
}

static int vnplug_ring_release(struct inode *inode, struct file *file)
{
	struct vnplug_ring_file *f = file->private_data;
	struct vnplug_ring *r = f->ring;

	mutex_lock(&r->files_lock);
	list_del(&f->node);
	mutex_unlock(&r->files_lock);
	atomic_dec(&vnplug_stats.ring_files);
	kref_put(&r->ref, vnplug_ring_free);
	kfree(f);
	return 0;
}

static bool vnplug_ring_ready(struct vnplug_ring *r,
			      struct vnplug_ring_file *f)
{
	return atomic64_read(&r->irqs) != atomic64_read(&f->seen) ||
	       READ_ONCE(r->gone) || READ_ONCE(r->backend_gone);
}

static ssize_t vnplug_ring_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	struct vnplug_ring_file *f = file->private_data;
	struct vnplug_ring *r = f->ring;
	s64 seen, now;
	int err;

	if (count < sizeof(u64))
		return -EINVAL;
	for (;;) {
		if (READ_ONCE(r->gone))
			return -ENODEV;
		if (READ_ONCE(r->backend_gone))
			return -EPIPE;
		seen = atomic64_read(&f->seen);
		now = atomic64_read(&r->irqs);
		if (now != seen) {
			/* Readers sharing the file each take their own. */
			if (atomic64_cmpxchg(&f->seen, seen, now) != seen)
				continue;
			break;
		}
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(r->wait,
					       vnplug_ring_ready(r, f));
		if (err)
			return err;
	}
	if (put_user((u64)(now - seen), (u64 __user *)buf))
		return -EFAULT;
	return sizeof(u64);
}

static ssize_t vnplug_ring_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct vnplug_ring_file *f = file->private_data;
	struct vnplug_ring *r = f->ring;
	u64 v64;
	u32 v32;
	int err = 0;

	if (count == sizeof(u32)) {
		if (get_user(v32, (u32 __user *)buf))
			return -EFAULT;
	} else if (count == sizeof(u64)) {
		if (get_user(v64, (u64 __user *)buf))
			return -EFAULT;
		v32 = (u32)v64;
	} else {
		return -EINVAL;
	}
	down_read(&r->sem);
	if (r->gone)
		err = -ENODEV;
	else if (vnplug_ring_status(r) & VNPLUG_STATUS_BACKEND_GONE)
		err = -EPIPE;
	else
		iowrite32(v32, r->regs + VNPLUG_REG_DOORBELL);
	up_read(&r->sem);
	return err ? err : count;
}

static __poll_t vnplug_ring_poll(struct file *file, poll_table *wait)
{
	struct vnplug_ring_file *f = file->private_data;
	struct vnplug_ring *r = f->ring;
	__poll_t mask = 0;

	poll_wait(file, &r->wait, wait);
	if (READ_ONCE(r->gone))
		return EPOLLERR | EPOLLHUP;
	if (atomic64_read(&r->irqs) != atomic64_read(&f->seen))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(r->backend_gone))
		mask |= EPOLLERR;
	return mask | EPOLLOUT | EPOLLWRNORM;
}

static const struct file_operations vnplug_ring_fops = {
	.owner = THIS_MODULE,
	.open = vnplug_ring_open,
	.release = vnplug_ring_release,
	.read = vnplug_ring_read,
	.write = vnplug_ring_write,
	.poll = vnplug_ring_poll,
	.mmap = vnplug_ring_mmap,
	.llseek = noop_llseek,
};

/* /sys/class/vnplug/vnplugN/ */

static ssize_t region_id_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct vnplug_ring *r = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", r->region_id);
}
static DEVICE_ATTR_RO(region_id);

static ssize_t app_id_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vnplug_ring *r = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", r->app_id);
}
static DEVICE_ATTR_RO(app_id);

static ssize_t session_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct vnplug_ring *r = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", r->session);
}
static DEVICE_ATTR_RO(session);

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct vnplug_ring *r = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%llu\n", r->size);
}
static DEVICE_ATTR_RO(size);

/* STATUS, read now: "0x%08x" and the names of the bits set. */
static ssize_t status_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vnplug_ring *r = dev_get_drvdata(dev);
	u32 status = 0;
	bool gone;
	int n;

	down_read(&r->sem);
	gone = r->gone;
	if (!gone)
		status = vnplug_ring_status(r);
	up_read(&r->sem);
	if (gone)
		return sysfs_emit(buf, "gone\n");
	n = sysfs_emit(buf, "0x%08x", status);
	if (status & VNPLUG_STATUS_READY)
		n += sysfs_emit_at(buf, n, " ready");
	if (status & VNPLUG_STATUS_BACKEND_GONE)
		n += sysfs_emit_at(buf, n, " backend_gone");
	if (status & VNPLUG_STATUS_UNPLUGGING)
		n += sysfs_emit_at(buf, n, " unplugging");
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}
static DEVICE_ATTR_RO(status);

static struct attribute *vnplug_ring_attrs[] = {
	&dev_attr_region_id.attr,
	&dev_attr_app_id.attr,
	&dev_attr_session.attr,
	&dev_attr_size.attr,
	&dev_attr_status.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vnplug_ring);

/* ---------------------------------------------------------------------- */
/* The PCI driver                                                         */

/*
 * Unpublishes the ring and revokes it: no new opens, faults and register
 * accesses in progress finish, later ones fail, mapped pages are zapped.
 */
static void vnplug_ring_revoke(struct vnplug_ring *r)
{
	struct vnplug_ring_file *f;

	mutex_lock(&vnplug_rings_lock);
	xa_erase(&vnplug_minors, r->minor);
	list_del_init(&r->node);
	mutex_unlock(&vnplug_rings_lock);

	down_write(&r->sem);
	r->gone = true;
	up_write(&r->sem);
	wake_up_interruptible_all(&r->wait);

	mutex_lock(&r->files_lock);
	list_for_each_entry(f, &r->files, node)
		unmap_mapping_range(f->file->f_mapping, 0, 0, 1);
	mutex_unlock(&r->files_lock);
}

static int vnplug_ring_check_bars(struct pci_dev *pdev)
{
	static const int bars[] = {
		VNPLUG_BAR_REGS, VNPLUG_BAR_MEM, VNPLUG_BAR_CTRL,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bars); i++) {
		if (!(pci_resource_flags(pdev, bars[i]) & IORESOURCE_MEM) ||
		    !pci_resource_len(pdev, bars[i])) {
			dev_err(&pdev->dev, "BAR%d is not a memory BAR\n",
				bars[i]);
			return -ENODEV;
		}
	}
	if (pci_resource_len(pdev, VNPLUG_BAR_REGS) < VNPLUG_REGS_SIZE ||
	    !PAGE_ALIGNED(VNPLUG_REG_DOORBELL) ||
	    VNPLUG_REG_DOORBELL + PAGE_SIZE > VNPLUG_REGS_SIZE) {
		dev_err(&pdev->dev, "BAR0 too small for the doorbell page\n");
		return -ENODEV;
	}
	if (pci_resource_len(pdev, VNPLUG_BAR_CTRL) < PAGE_SIZE ||
	    !PAGE_ALIGNED(pci_resource_start(pdev, VNPLUG_BAR_CTRL)) ||
	    !PAGE_ALIGNED(pci_resource_start(pdev, VNPLUG_BAR_MEM)) ||
	    !PAGE_ALIGNED(pci_resource_start(pdev, VNPLUG_BAR_REGS))) {
		dev_err(&pdev->dev, "BARs not page-aligned or too small\n");
		return -ENODEV;
	}
	return 0;
}

/* Reads the identity registers and checks them against the BARs. */
static int vnplug_ring_read_regs(struct pci_dev *pdev, struct vnplug_ring *r)
{
	u32 magic, version, status;

	magic = ioread32(r->regs + VNPLUG_REG_MAGIC);
	version = ioread32(r->regs + VNPLUG_REG_VERSION);
	if (magic != VNPLUG_RING_MAGIC || version != VNPLUG_VERSION) {
		dev_err(&pdev->dev,
			"magic 0x%08x version %u, expected 0x%08x version %u\n",
			magic, version, VNPLUG_RING_MAGIC, VNPLUG_VERSION);
		return -ENODEV;
	}
	r->region_id = ioread32(r->regs + VNPLUG_REG_REGION_ID);
	r->app_id = ioread32(r->regs + VNPLUG_REG_APP_ID);
	r->session = ioread32(r->regs + VNPLUG_REG_SESSION);
	r->size = ioread32(r->regs + VNPLUG_REG_SIZE_LO) |
		  (u64)ioread32(r->regs + VNPLUG_REG_SIZE_HI) << 32;
	r->ctrl_size = ioread32(r->regs + VNPLUG_REG_CTRL_SIZE);
	status = vnplug_ring_status(r);

	if (!r->region_id) {
		dev_err(&pdev->dev, "region id 0\n");
		return -ENODEV;
	}
	if (!r->size || r->size > VNPLUG_MAP_MEM_MAX ||
	    PAGE_ALIGN(r->size) > pci_resource_len(pdev, VNPLUG_BAR_MEM)) {
		dev_err(&pdev->dev, "region size %llu, BAR2 %llu bytes\n",
			r->size,
			(u64)pci_resource_len(pdev, VNPLUG_BAR_MEM));
		return -ENODEV;
	}
	if (r->ctrl_size < sizeof(struct vnplug_ctrl_page) ||
	    r->ctrl_size > pci_resource_len(pdev, VNPLUG_BAR_CTRL)) {
		dev_err(&pdev->dev, "control page %u bytes, BAR4 %llu\n",
			r->ctrl_size,
			(u64)pci_resource_len(pdev, VNPLUG_BAR_CTRL));
		return -ENODEV;
	}
	if (!(status & VNPLUG_STATUS_READY)) {
		dev_err(&pdev->dev, "memory not ready (status 0x%x)\n",
			status);
		return -ENODEV;
	}
	r->mem_pages = PAGE_ALIGN(r->size) >> PAGE_SHIFT;
	return 0;
}

static int vnplug_ring_probe(struct pci_dev *pdev,
			     const struct pci_device_id *id)
{
	struct vnplug_ring *r;
	int err;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->dummy = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!r->dummy) {
		kfree(r);
		return -ENOMEM;
	}
	kref_init(&r->ref);
	init_rwsem(&r->sem);
	init_waitqueue_head(&r->wait);
	mutex_init(&r->files_lock);
	INIT_LIST_HEAD(&r->files);
	INIT_LIST_HEAD(&r->node);

	err = pci_enable_device(pdev);
	if (err)
		goto out_undo_alloc;
	err = vnplug_ring_check_bars(pdev);
	if (err)
		goto out_undo_enable;
	err = pci_request_regions(pdev, "vnplug-ring");
	if (err)
		goto out_undo_enable;
	r->regs = pci_iomap(pdev, VNPLUG_BAR_REGS, VNPLUG_REGS_SIZE);
	if (!r->regs) {
		err = -ENOMEM;
		goto out_undo_regions;
	}
	err = vnplug_ring_read_regs(pdev, r);
	if (err)
		goto out_undo_iomap;

	r->mem_phys = pci_resource_start(pdev, VNPLUG_BAR_MEM);
	r->ctrl_phys = pci_resource_start(pdev, VNPLUG_BAR_CTRL);
	r->db_phys = pci_resource_start(pdev, VNPLUG_BAR_REGS) +
		     VNPLUG_REG_DOORBELL;
	r->mem = memremap(r->mem_phys, r->mem_pages << PAGE_SHIFT,
			  MEMREMAP_WB);
	if (!r->mem) {
		dev_err(&pdev->dev, "cannot map BAR2 write-back\n");
		err = -ENOMEM;
		goto out_undo_iomap;
	}
	r->ctrl = memremap(r->ctrl_phys, PAGE_SIZE, MEMREMAP_WB);
	if (!r->ctrl) {
		dev_err(&pdev->dev, "cannot map BAR4 write-back\n");
		err = -ENOMEM;
		goto out_undo_mem;
	}

	/* MSI-X messages are writes by the device: bus mastering. */
	pci_set_master(pdev);
	err = pci_alloc_irq_vectors(pdev, VNPLUG_MSIX_VECTORS,
				    VNPLUG_MSIX_VECTORS, PCI_IRQ_MSIX);
	if (err < 0) {
		dev_err(&pdev->dev, "no MSI-X vector: %d\n", err);
		goto out_undo_master;
	}
	r->irq = pci_irq_vector(pdev, 0);
	snprintf(r->irq_name, sizeof(r->irq_name), "vnplug%u", r->region_id);
	err = request_irq(r->irq, vnplug_ring_irq, 0, r->irq_name, r);
	if (err)
		goto out_undo_vectors;

	mutex_lock(&vnplug_rings_lock);
	err = xa_alloc(&vnplug_minors, &r->minor, r,
		       XA_LIMIT(0, VNPLUG_RING_MINORS - 1), GFP_KERNEL);
	if (!err)
		list_add_tail(&r->node, &vnplug_rings);
	mutex_unlock(&vnplug_rings_lock);
	if (err) {
		dev_err(&pdev->dev, "more than %d ring devices\n",
			VNPLUG_RING_MINORS);
		goto out_undo_irq;
	}

	/* Last: the node appears, with its attributes, when all is ready. */
	r->dev = device_create_with_groups(vnplug_class, &pdev->dev,
					   MKDEV(MAJOR(vnplug_devt), r->minor),
					   r, vnplug_ring_groups, "vnplug%u",
					   r->region_id);
	if (IS_ERR(r->dev)) {
		err = PTR_ERR(r->dev);
		dev_err(&pdev->dev, "/dev/vnplug%u: %d\n", r->region_id, err);
		goto out_undo_minor;
	}
	pci_set_drvdata(pdev, r);
	atomic_inc(&vnplug_stats.rings);
	dev_info(&pdev->dev,
		 "/dev/vnplug%u: %llu bytes, app %u, session %u%s\n",
		 r->region_id, r->size, r->app_id, r->session,
		 r->backend_gone ? ", vnplugd gone" : "");
	return 0;

out_undo_minor:
	/* Published for a moment: an open may have found it. */
	vnplug_ring_revoke(r);
out_undo_irq:
	free_irq(r->irq, r);
out_undo_vectors:
	pci_free_irq_vectors(pdev);
out_undo_master:
	pci_clear_master(pdev);
	memunmap(r->ctrl);
out_undo_mem:
	memunmap(r->mem);
out_undo_iomap:
	pci_iounmap(pdev, r->regs);
out_undo_regions:
	pci_release_regions(pdev);
out_undo_enable:
	pci_disable_device(pdev);
out_undo_alloc:
	kref_put(&r->ref, vnplug_ring_free);
	return err;
}

static void vnplug_ring_remove(struct pci_dev *pdev)
{
	struct vnplug_ring *r = pci_get_drvdata(pdev);

	vnplug_ring_revoke(r);
	device_unregister(r->dev);
	free_irq(r->irq, r);
	pci_free_irq_vectors(pdev);
	pci_clear_master(pdev);
	memunmap(r->ctrl);
	memunmap(r->mem);
	pci_iounmap(pdev, r->regs);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	atomic_dec(&vnplug_stats.rings);
	dev_info(&pdev->dev, "region %u removed\n", r->region_id);
	/* Open files keep the structure until their last close. */
	kref_put(&r->ref, vnplug_ring_free);
}

static const struct pci_device_id vnplug_ring_ids[] = {
	{ PCI_DEVICE(VNPLUG_RING_VENDOR_ID, VNPLUG_RING_DEVICE_ID) },
	{ 0 },
};
MODULE_DEVICE_TABLE(pci, vnplug_ring_ids);

static struct pci_driver vnplug_ring_driver = {
	.name = "vnplug-ring",
	.id_table = vnplug_ring_ids,
	.probe = vnplug_ring_probe,
	.remove = vnplug_ring_remove,
};

int vnplug_ring_init(void)
{
	int err;

	err = alloc_chrdev_region(&vnplug_devt, 0, VNPLUG_RING_MINORS,
				  "vnplug");
	if (err)
		goto out;
	cdev_init(&vnplug_cdev, &vnplug_ring_fops);
	vnplug_cdev.owner = THIS_MODULE;
	err = cdev_add(&vnplug_cdev, vnplug_devt, VNPLUG_RING_MINORS);
	if (err)
		goto out_undo_region;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	vnplug_class = class_create("vnplug");
#else
	vnplug_class = class_create(THIS_MODULE, "vnplug");
#endif
	if (IS_ERR(vnplug_class)) {
		err = PTR_ERR(vnplug_class);
		goto out_undo_cdev;
	}
	err = pci_register_driver(&vnplug_ring_driver);
	if (err)
		goto out_undo_class;
	return 0;

out_undo_class:
	class_destroy(vnplug_class);
out_undo_cdev:
	cdev_del(&vnplug_cdev);
out_undo_region:
	unregister_chrdev_region(vnplug_devt, VNPLUG_RING_MINORS);
out:
	pr_err("vnplug: ring devices: %d\n", err);
	return err;
}

void vnplug_ring_exit(void)
{
	pci_unregister_driver(&vnplug_ring_driver);
	class_destroy(vnplug_class);
	cdev_del(&vnplug_cdev);
	unregister_chrdev_region(vnplug_devt, VNPLUG_RING_MINORS);
	xa_destroy(&vnplug_minors);
}
