// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions: the devices QEMU hotplugs into the guest. vnplugd owns each
 * region's control page (a sealed memfd, so that QEMU cannot shrink it
 * under vnplugd's mapping) and its two eventfds: the doorbell (guest to
 * host, watched here) and the interrupt (host to guest). A region's record
 * outlives vnp_region_destroy() until QEMU confirms the unplug, so that
 * the VM's limits keep counting memory QEMU may still map.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vnplugd.h"

static const char *const state_names[] = {
	[VNP_REGION_MAPPING] = "mapping",
	[VNP_REGION_MAPPED] = "mapped",
	[VNP_REGION_UNMAPPING] = "unmapping",
};

static struct vnp_region *watch_region(struct vnp_watch *w)
{
	return (struct vnp_region *)((char *)w -
				     offsetof(struct vnp_region, w));
}

/* ---- accessors ------------------------------------------------------- */

uint32_t vnp_region_id(const struct vnp_region *r)
{
	return r->id;
}

uint32_t vnp_region_app_id(const struct vnp_region *r)
{
	return r->app_id;
}

uint32_t vnp_region_session(const struct vnp_region *r)
{
	return r->session;
}

uint64_t vnp_region_size(const struct vnp_region *r)
{
	return r->size;
}

struct vnp_vm *vnp_region_vm(const struct vnp_region *r)
{
	return r->vm;
}

void *vnp_region_cookie(const struct vnp_region *r)
{
	return r->cookie;
}

bool vnp_region_is_mapped(const struct vnp_region *r)
{
	return r->state == VNP_REGION_MAPPED;
}

void *vnp_region_ctrl_app(struct vnp_region *r, size_t *len)
{
	if (!r->ctrl)
		return NULL;
	*len = VNPLUG_CTRL_PAGE_SIZE - VNPLUG_CTRL_APP_OFF;
	return (uint8_t *)r->ctrl + VNPLUG_CTRL_APP_OFF;
}

struct vnp_region *vnp_region_find(struct vnp_vm *vm, uint32_t id)
{
	struct vnp_region *r;

	list_for_each_entry(r, &vm->regions, node)
		if (r->id == id)
			return r;
	return NULL;
}

unsigned int vnp_vm_n_active_regions(const struct vnp_vm *vm)
{
	const struct vnp_region *r;
	unsigned int n = 0;

	list_for_each_entry(r, &vm->regions, node)
		n += r->state != VNP_REGION_UNMAPPING;
	return n;
}

/* ---- descriptors ----------------------------------------------------- */

static void region_close_fds(struct vnp_region *r)
{
	if (r->w.fd >= 0) {
		vnp_watch_del(&r->w);
		close(r->w.fd);
		r->w.fd = -1;
	}
	if (r->irq_fd >= 0) {
		close(r->irq_fd);
		r->irq_fd = -1;
	}
	if (r->ctrl) {
		munmap(r->ctrl, VNPLUG_CTRL_PAGE_SIZE);
		r->ctrl = NULL;
	}
	if (r->ctrl_fd >= 0) {
		close(r->ctrl_fd);
		r->ctrl_fd = -1;
	}
}

static int ctrl_page_create(struct vnp_region *r)
{
	struct vnplug_ctrl_page *cp;
	int fd;

	fd = memfd_create("vnplug-ctrl", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	r->ctrl_fd = fd;
	if (ftruncate(fd, VNPLUG_CTRL_PAGE_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		return -errno;
	cp = mmap(NULL, VNPLUG_CTRL_PAGE_SIZE, PROT_READ | PROT_WRITE,
		  MAP_SHARED, fd, 0);
	if (cp == MAP_FAILED)
		return -errno;
	cp->magic = VNPLUG_CTRL_MAGIC;
	cp->version = VNPLUG_VERSION;
	cp->region_id = r->id;
	cp->app_id = r->app_id;
	r->ctrl = cp;
	return 0;
}

static void on_doorbell(struct vnp_watch *w, uint32_t events)
{
	struct vnp_region *r = watch_region(w);
	uint64_t count;

	if (w->fd < 0 || read(w->fd, &count, sizeof(count)) != sizeof(count))
		return;
	/* The host half of the page is ours alone; the guest only reads. */
	__atomic_fetch_add(&r->ctrl->host_doorbells, count, __ATOMIC_RELEASE);
	if (r->app && r->app->doorbell)
		r->app->doorbell(r, count);
}

static int eventfds_create(struct vnp_region *r)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = vnp_watch_add(&r->w, fd, EPOLLIN, on_doorbell);
	if (ret) {
		close(fd);
		return ret;
	}
	r->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return r->irq_fd < 0 ? -errno : 0;
}

/* ---- creation -------------------------------------------------------- */

static int check_limits(struct vnp_vm *vm, uint64_t size)
{
	const struct vnp_vm_conf *vc = vm->conf;

	if (vm->n_regions >= vc->max_rings) {
		vnp_vm_reject(vm, "refusing a new region: max_rings=%u reached",
			      vc->max_rings);
		return -ENOSPC;
	}
	if (size > vc->max_ring_memory ||
	    vm->region_bytes > vc->max_ring_memory - size) {
		vnp_vm_reject(vm, "refusing a region of %llu bytes: %llu of "
			      "max_ring_memory=%llu bytes in use",
			      (unsigned long long)size,
			      (unsigned long long)vm->region_bytes,
			      (unsigned long long)vc->max_ring_memory);
		return -ENOSPC;
	}
	return 0;
}

static int check_args(uint64_t offset, uint64_t size, int mem_fd)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!size || size > VNPLUG_MAP_MEM_MAX || offset % page ||
	    offset > UINT64_MAX - size)
		return -EINVAL;
	if (fcntl(mem_fd, F_GETFD) < 0)
		return -EBADF;
	return 0;
}

/* Ids are unique in the VM and above those QEMU still has plugged. */
static uint32_t alloc_id(struct vnp_vm *vm)
{
	uint32_t id;

	do
		id = ++vm->last_region_id;
	while (!id || vnp_region_find(vm, id));
	return id;
}

static int send_map(struct vnp_conn *c, struct vnp_region *r, int mem_fd,
		    uint64_t offset)
{
	struct vnplug_sock_map m = {
		.region_id = r->id, .app_id = r->app_id,
		.session = r->session, .size = r->size, .mem_offset = offset,
	};
	struct iovec iov = { &m, sizeof(m) };
	int fds[VNPLUG_SOCK_MAX_FDS] = { mem_fd, r->ctrl_fd, r->w.fd,
					 r->irq_fd };

	return vnp_conn_send(c, VNPLUG_SOCK_MAP, ++c->seq, &iov, 1, fds, 4);
}

static struct vnp_region *region_alloc(struct vnp_vm *vm, uint32_t session,
				       const struct vnp_app *app,
				       uint64_t size, void *cookie)
{
	struct vnp_region *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->w.fd = -1;
	r->irq_fd = -1;
	r->ctrl_fd = -1;
	r->vm = vm;
	r->app = app;
	r->app_id = app->id;
	r->session = session;
	r->size = size;
	r->cookie = cookie;
	r->state = VNP_REGION_MAPPING;
	r->id = alloc_id(vm);
	return r;
}

static int region_setup(struct vnp_conn *c, struct vnp_region *r,
			int mem_fd, uint64_t offset)
{
	int ret = ctrl_page_create(r);

	if (!ret)
		ret = eventfds_create(r);
	if (!ret && r->app->region_init)
		ret = r->app->region_init(r);
	if (!ret)
		ret = send_map(c, r, mem_fd, offset);
	return ret;
}

int vnp_region_create(struct vnp_vm *vm, uint32_t session, uint32_t app_id,
		      int mem_fd, uint64_t offset, uint64_t size, void *cookie,
		      struct vnp_region **out)
{
	struct vnp_conn *c = vnp_vm_conn(vm);
	const struct vnp_app *app = vnp_app_find(app_id);
	struct vnp_region *r;
	int ret;

	if (!c)
		return -ENOTCONN;
	if (!app || !vnp_session_find(vm, session))
		return -ENOENT;
	ret = check_args(offset, size, mem_fd);
	if (!ret)
		ret = check_limits(vm, size);
	if (ret)
		return ret;
	r = region_alloc(vm, session, app, size, cookie);
	if (!r)
		return -ENOMEM;
	ret = region_setup(c, r, mem_fd, offset);
	if (ret) {
		vnp_warn("vm %s: region %u: %s", vm->conf->name, r->id,
			 strerror(-ret));
		region_close_fds(r);
		free(r);
		return ret;
	}
	list_add_tail(&r->node, &vm->regions);
	vm->n_regions++;
	vm->region_bytes += size;
	vm->st.regions_created++;
	vnp_dbg("vm %s: region %u (%s, session %u, %llu bytes): MAP sent",
		vm->conf->name, r->id, app->name, session,
		(unsigned long long)size);
	*out = r;
	return 0;
}

/* ---- signalling ------------------------------------------------------ */

int vnp_region_signal(struct vnp_region *r)
{
	uint64_t one = 1;

	if (r->state == VNP_REGION_UNMAPPING)
		return -ESHUTDOWN;
	if (write(r->irq_fd, &one, sizeof(one)) < 0)
		return -errno;
	__atomic_fetch_add(&r->ctrl->host_signals, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ---- the end --------------------------------------------------------- */

static void region_free(struct vnp_watch *w)
{
	free(watch_region(w));
}

/* Unlink and free @r, telling its back-end if @notify. */
static void region_end(struct vnp_region *r, int status, bool notify)
{
	const struct vnp_app *app = r->app;
	struct vnp_vm *vm = r->vm;

	list_del(&r->node);
	vm->n_regions--;
	vm->region_bytes -= r->size;
	region_close_fds(r);
	r->state = VNP_REGION_UNMAPPING;
	r->app = NULL;
	vnp_dbg("vm %s: region %u released (%d)", vm->conf->name, r->id,
		status);
	if (notify && app && app->region_unmapped)
		app->region_unmapped(r, status);
	vnp_watch_bury(&r->w, region_free);
}

void vnp_region_release(struct vnp_region *r, int status)
{
	region_end(r, status, true);
}

void vnp_region_destroy(struct vnp_region *r)
{
	struct vnplug_sock_region m = { .region_id = r->id };
	struct iovec iov = { &m, sizeof(m) };
	struct vnp_conn *c = vnp_vm_conn(r->vm);

	if (r->state == VNP_REGION_UNMAPPING)
		return;
	r->state = VNP_REGION_UNMAPPING;
	region_close_fds(r);
	if (!c) {
		vnp_region_release(r, -ECONNRESET);
		return;
	}
	r->unmap_deadline = vnp_now_ms() +
			    (int64_t)vnpd.conf.global.guest_timeout * 1000;
	vnp_dbg("vm %s: region %u: UNMAP sent", r->vm->conf->name, r->id);
	vnp_conn_send(c, VNPLUG_SOCK_UNMAP, ++c->seq, &iov, 1, NULL, 0);
}

/* ---- QEMU's answers -------------------------------------------------- */

static bool status_ok(int32_t status)
{
	return status <= 0 && status >= -4095;
}

/* Look up the region an answer names; refuse the answer if it is wrong. */
static struct vnp_region *answer_region(struct vnp_conn *c,
					const struct vnplug_sock_hdr *h,
					const struct vnplug_sock_region *m,
					const char *what)
{
	struct vnp_region *r = vnp_region_find(c->vm, m->region_id);
	int status = 0;

	if (!status_ok(m->status))
		status = -EINVAL;
	else if (!r)
		status = -ENOENT;
	if (!status)
		return r;
	vnp_vm_reject(c->vm, "QEMU pid %d: %s for region %u, status %d: %s",
		      c->pid, what, m->region_id, m->status,
		      r ? "bad status" : "no such region");
	vnp_conn_send_error(c, status, h->seq, "%s for region %u: %s", what,
			    m->region_id, r ? "bad status" : "no such region");
	return NULL;
}

static void map_failed(struct vnp_region *r, int status)
{
	const struct vnp_app *app = r->app;

	vnp_warn("vm %s: QEMU could not map region %u: %s", r->vm->conf->name,
		 r->id, strerror(-status));
	/* Its back-end must not destroy it from the callback: it is over. */
	r->state = VNP_REGION_UNMAPPING;
	if (app && app->region_mapped)
		app->region_mapped(r, status);
	region_end(r, status, false);
}

void vnp_region_on_mapped(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
			  const struct vnplug_sock_region *m)
{
	struct vnp_region *r = answer_region(c, h, m, "MAPPED");

	if (!r)
		return;
	if (r->state == VNP_REGION_MAPPED) {
		vnp_vm_reject(c->vm, "QEMU pid %d: MAPPED twice for region %u",
			      c->pid, r->id);
		vnp_conn_send_error(c, -EPROTO, h->seq, "region %u is already "
				    "mapped", r->id);
	} else if (r->state == VNP_REGION_UNMAPPING) {
		/* Destroyed meanwhile: UNMAPPED follows unless it failed. */
		if (m->status)
			vnp_region_release(r, m->status);
	} else if (m->status) {
		map_failed(r, m->status);
	} else {
		r->state = VNP_REGION_MAPPED;
		vnp_dbg("vm %s: region %u mapped", c->vm->conf->name, r->id);
		if (r->app && r->app->region_mapped)
			r->app->region_mapped(r, 0);
	}
}

void vnp_region_on_unmapped(struct vnp_conn *c,
			    const struct vnplug_sock_hdr *h,
			    const struct vnplug_sock_region *m)
{
	struct vnp_region *r;

	/*
	 * Not ours any more, but an id we or a vnplugd before us handed out
	 * (QEMU's HELLO raised last_region_id above its devices): a device
	 * of an earlier connection, one forgotten after guest_timeout, or
	 * QEMU's -ENOENT to an UNMAP that crossed a failed MAPPED.
	 */
	if (!vnp_region_find(c->vm, m->region_id) && m->region_id &&
	    m->region_id <= c->vm->last_region_id) {
		vnp_dbg("vm %s: UNMAPPED for old region %u (%d)",
			c->vm->conf->name, m->region_id, m->status);
		return;
	}
	r = answer_region(c, h, m, "UNMAPPED");
	if (!r)
		return;
	if (r->state != VNP_REGION_UNMAPPING)
		vnp_info("vm %s: region %u unplugged by the guest",
			 c->vm->conf->name, r->id);
	vnp_region_release(r, m->status);
}

void vnp_regions_tick(struct vnp_vm *vm, int64_t now)
{
	struct vnp_region *r;
	bool again = true;

	/* A back-end's callback may release others: rescan each time. */
	while (again) {
		again = false;
		list_for_each_entry(r, &vm->regions, node) {
			if (r->state != VNP_REGION_UNMAPPING ||
			    now < r->unmap_deadline)
				continue;
			vnp_warn("vm %s: QEMU did not confirm the unplug of "
				 "region %u within %u s; forgetting it",
				 vm->conf->name, r->id,
				 vnpd.conf.global.guest_timeout);
			vnp_region_release(r, -ETIMEDOUT);
			again = true;
			break;
		}
	}
}

void vnp_region_dump(const struct vnp_region *r)
{
	const struct vnplug_ctrl_page *cp = r->ctrl;

	vnp_info("  region %u: %s, app %u, session %u, %llu bytes, "
		 "signals %llu, doorbells %llu", r->id, state_names[r->state],
		 r->app_id, r->session, (unsigned long long)r->size,
		 cp ? (unsigned long long)cp->host_signals : 0ULL,
		 cp ? (unsigned long long)cp->host_doorbells : 0ULL);
}
