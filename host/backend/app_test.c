// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test back-end (VNPLUG_APP_TEST): exercises every part of the host
 * API for the tests, and shows how a back-end is written. It uses
 * vnplug_host.h only. Operations are described in include/uapi/vnplug.h;
 * a request whose payload is not exactly its struct gets -EINVAL, an
 * unknown operation -EOPNOTSUPP, a region that is not this session's
 * mapped test region -ENOENT.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "apps.h"
#include "vnplug_host.h"

#define PAGE 4096u
/* Each signal is a write(2): bound the work one request can cause. */
#define TEST_SIGNAL_MAX 4096u

struct test_region {
	struct vnp_vm *vm;
	struct vnp_region *r;
	uint32_t session;
	uint8_t *mem;
	uint64_t size;
	uint64_t doorbells;
	bool map_pending, unmap_pending;
	uint32_t map_seq, unmap_seq;
};

struct test_op {
	size_t len;	/* the payload's exact size */
	bool any_len;
	void (*fn)(struct vnp_session *s, const struct vnplug_app_hdr *h,
		   const void *p, size_t len);
};

static void reply_later(struct test_region *tr, uint32_t op, uint32_t seq,
			int status, const void *p, size_t len)
{
	struct vnplug_app_hdr h = {
		.app_id = VNPLUG_APP_TEST, .op = op, .seq = seq,
		.status = status,
	};

	vnp_send(tr->vm, tr->session, &h, p, len);
}

/* The pattern of vnplug.h: it repeats every 256 bytes, so fill a page and
 * copy it. */
static void write_pattern(uint8_t *mem, uint64_t size, uint32_t id)
{
	uint8_t page[PAGE];
	uint32_t size32 = (uint32_t)size;
	uint64_t off;
	unsigned int i;

	for (i = 0; i < PAGE; i++)
		page[i] = (uint8_t)(i * 31 + id);
	for (off = 0; off < size; off += PAGE)
		memcpy(mem + off, page, PAGE);
	memcpy(mem, &id, sizeof(id));
	memcpy(mem + 4, &size32, sizeof(size32));
}

static void test_region_free(struct test_region *tr)
{
	if (tr->mem)
		munmap(tr->mem, tr->size);
	free(tr);
}

/* A region this session may use: its own, mapped, of this back-end. */
static struct test_region *find_own(struct vnp_session *s, uint32_t id)
{
	struct vnp_region *r = vnp_region_find(vnp_session_vm(s), id);

	if (!r || vnp_region_app_id(r) != VNPLUG_APP_TEST ||
	    vnp_region_session(r) != vnp_session_id(s) ||
	    !vnp_region_is_mapped(r))
		return NULL;
	return vnp_region_cookie(r);
}

/* ---- memory ---------------------------------------------------------- */

/* Sealed against resizing: QEMU holds the fd and must not SIGBUS us. */
static int memory_create(struct test_region *tr)
{
	int fd, ret = 0;
	void *mem;

	fd = memfd_create("vnplug-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)tr->size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	mem = mmap(NULL, tr->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	tr->mem = mem;
	return fd;
}

static int map_check(const struct vnplug_test_map *m)
{
	if (m->pad || m->size < PAGE || m->size > VNPLUG_TEST_MAX_SIZE ||
	    m->size % PAGE)
		return -EINVAL;
	return 0;
}

static void op_map(struct vnp_session *s, const struct vnplug_app_hdr *h,
		   const void *p, size_t len)
{
	struct vnp_vm *vm = vnp_session_vm(s);
	struct vnplug_test_map m;
	struct test_region *tr;
	int fd, ret;

	memcpy(&m, p, sizeof(m));
	ret = map_check(&m);
	m.region_id = 0;
	m.pad = 0;
	tr = ret ? NULL : calloc(1, sizeof(*tr));
	if (!tr) {
		vnp_reply(s, h, ret ?: -ENOMEM, &m, sizeof(m));
		return;
	}
	tr->vm = vm;
	tr->session = vnp_session_id(s);
	tr->size = m.size;
	fd = memory_create(tr);
	ret = fd < 0 ? fd
		     : vnp_region_create(vm, tr->session, VNPLUG_APP_TEST, fd,
					 0, m.size, tr, &tr->r);
	if (fd >= 0)
		close(fd);
	if (ret) {
		test_region_free(tr);
		vnp_reply(s, h, ret, &m, sizeof(m));
		return;
	}
	/* Answered when QEMU has answered: region_mapped(). */
	tr->map_pending = true;
	tr->map_seq = h->seq;
}

static void op_unmap(struct vnp_session *s, const struct vnplug_app_hdr *h,
		     const void *p, size_t len)
{
	struct vnplug_test_region rq;
	struct test_region *tr;

	memcpy(&rq, p, sizeof(rq));
	tr = find_own(s, rq.region_id);
	if (!tr) {
		vnp_reply(s, h, -ENOENT, &rq, sizeof(rq));
		return;
	}
	/* Answered when QEMU confirms: region_unmapped(). */
	tr->unmap_pending = true;
	tr->unmap_seq = h->seq;
	vnp_region_destroy(tr->r);
}

/* ---- the other operations -------------------------------------------- */

static void op_ping(struct vnp_session *s, const struct vnplug_app_hdr *h,
		    const void *p, size_t len)
{
	vnp_reply(s, h, 0, p, len);
}

static void op_signal(struct vnp_session *s, const struct vnplug_app_hdr *h,
		      const void *p, size_t len)
{
	struct vnplug_test_region rq, out;
	struct test_region *tr;
	int ret = 0;

	memcpy(&rq, p, sizeof(rq));
	out = (struct vnplug_test_region){ .region_id = rq.region_id };
	tr = find_own(s, rq.region_id);
	if (!tr || rq.count > TEST_SIGNAL_MAX) {
		vnp_reply(s, h, tr ? -EINVAL : -ENOENT, &out, sizeof(out));
		return;
	}
	while (out.count < rq.count && !ret) {
		ret = vnp_region_signal(tr->r);
		out.count += !ret;
	}
	vnp_reply(s, h, ret, &out, sizeof(out));
}

static void op_read(struct vnp_session *s, const struct vnplug_app_hdr *h,
		    const void *p, size_t len)
{
	struct vnplug_test_read rq;
	struct test_region *tr;

	memcpy(&rq, p, sizeof(rq));
	tr = find_own(s, rq.region_id);
	if (!tr) {
		vnp_reply(s, h, -ENOENT, NULL, 0);
		return;
	}
	if (rq.len > VNPLUG_TEST_READ_MAX || rq.offset > tr->size ||
	    rq.len > tr->size - rq.offset) {
		vnp_reply(s, h, -EINVAL, NULL, 0);
		return;
	}
	vnp_reply(s, h, 0, tr->mem + rq.offset, rq.len);
}

static void op_doorbells(struct vnp_session *s,
			 const struct vnplug_app_hdr *h, const void *p,
			 size_t len)
{
	struct vnplug_test_region rq;
	struct test_region *tr;

	memcpy(&rq, p, sizeof(rq));
	tr = find_own(s, rq.region_id);
	rq.count = 0;
	if (tr)
		rq.count = tr->doorbells > UINT32_MAX ? UINT32_MAX
						      : (uint32_t)tr->doorbells;
	vnp_reply(s, h, tr ? 0 : -ENOENT, &rq, sizeof(rq));
}

/* Entries of a /proc/.../fd directory, without the one reading it. */
static unsigned int count_fds(const char *dir, bool self)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (self && atoi(de->d_name) == dirfd(d))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static void op_stats(struct vnp_session *s, const struct vnplug_app_hdr *h,
		     const void *p, size_t len)
{
	struct vnp_vm *vm = vnp_session_vm(s);
	struct vnplug_test_stats st = { 0 };
	pid_t pid = vnp_vm_qemu_pid(vm);
	char dir[64];

	st.daemon_fds = count_fds("/proc/self/fd", true);
	if (pid > 0) {
		snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
		st.qemu_fds = count_fds(dir, false);
	}
	st.regions = vnp_vm_n_regions(vm);
	st.sessions = vnp_vm_n_sessions(vm);
	vnp_reply(s, h, 0, &st, sizeof(st));
}

static const struct test_op test_ops[] = {
	[VNPLUG_TEST_PING] = { 0, true, op_ping },
	[VNPLUG_TEST_MAP] = { sizeof(struct vnplug_test_map), false, op_map },
	[VNPLUG_TEST_UNMAP] = { sizeof(struct vnplug_test_region), false,
				op_unmap },
	[VNPLUG_TEST_SIGNAL] = { sizeof(struct vnplug_test_region), false,
				 op_signal },
	[VNPLUG_TEST_READ] = { sizeof(struct vnplug_test_read), false,
			       op_read },
	[VNPLUG_TEST_DOORBELLS] = { sizeof(struct vnplug_test_region), false,
				    op_doorbells },
	[VNPLUG_TEST_STATS] = { 0, false, op_stats },
};

#define N_TEST_OPS (sizeof(test_ops) / sizeof(test_ops[0]))

/* ---- callbacks ------------------------------------------------------- */

static void test_message(struct vnp_session *s, const struct vnplug_app_hdr *h,
			 const void *p, size_t len)
{
	const struct test_op *op = NULL;

	if (h->op < N_TEST_OPS && test_ops[h->op].fn)
		op = &test_ops[h->op];
	if (!op) {
		vnp_reply(s, h, -EOPNOTSUPP, NULL, 0);
		return;
	}
	if (!op->any_len && len != op->len) {
		vnp_vm_reject(vnp_session_vm(s), "test back-end: op %u with %zu"
			      " bytes, expected %zu", h->op, len, op->len);
		vnp_reply(s, h, -EINVAL, NULL, 0);
		return;
	}
	op->fn(s, h, p, len);
}

static int test_region_init(struct vnp_region *r)
{
	struct test_region *tr = vnp_region_cookie(r);

	write_pattern(tr->mem, tr->size, vnp_region_id(r));
	return 0;
}

static void test_region_mapped(struct vnp_region *r, int status)
{
	struct test_region *tr = vnp_region_cookie(r);
	struct vnplug_test_map m = {
		.size = tr->size, .region_id = status ? 0 : vnp_region_id(r),
	};

	tr->map_pending = false;
	reply_later(tr, VNPLUG_TEST_MAP, tr->map_seq, status, &m, sizeof(m));
	if (status)
		test_region_free(tr);
}

static void test_region_unmapped(struct vnp_region *r, int status)
{
	struct test_region *tr = vnp_region_cookie(r);
	struct vnplug_test_region rg = { .region_id = vnp_region_id(r) };
	struct vnplug_test_map m = { .size = tr->size };

	/* Destroyed before QEMU answered MAP (the session closed). */
	if (tr->map_pending)
		reply_later(tr, VNPLUG_TEST_MAP, tr->map_seq, -ECANCELED, &m,
			    sizeof(m));
	if (tr->unmap_pending)
		reply_later(tr, VNPLUG_TEST_UNMAP, tr->unmap_seq, status, &rg,
			    sizeof(rg));
	test_region_free(tr);
}

static void test_doorbell(struct vnp_region *r, uint64_t count)
{
	struct test_region *tr = vnp_region_cookie(r);

	tr->doorbells += count;
}

const struct vnp_app vnp_app_test = {
	.name = "test",
	.id = VNPLUG_APP_TEST,
	.message = test_message,
	.region_init = test_region_init,
	.region_mapped = test_region_mapped,
	.region_unmapped = test_region_unmapped,
	.doorbell = test_doorbell,
};
