/*
 * QTest for vnplug-ctrl and vnplug-ring. The test plays vnplugd: it listens
 * on the UNIX socket vnplug-ctrl's chardev connects to, answers HELLO and
 * asks for ring devices with memfds and eventfds of its own, then looks at
 * them from the guest's side through libqos: PCI identity, BAR sizes,
 * register reset values, memory seen from both sides, the doorbell, the
 * interrupt, a bad register access, unplug through ACPI, and what happens
 * when vnplugd goes away.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "libqos/libqos-pc.h"
#include "standard-headers/linux/pci_regs.h"
#include "libqtest.h"
#include "hw/misc/vnplug-abi.h"

#define REGION_ID 7
#define REGION_SIZE (3 * 64 * 1024)     /* BAR2 becomes 256 KiB */
#define EJECT_PORT 0xae08               /* ACPI PCI hotplug: eject slot */
#define DEVFN_SLOT(devfn) (((devfn) >> 3) & 0x1f)

typedef struct Backend {
    char *dir;
    char *path;
    int lfd;
    int fd;
    pid_t qemu;
    uint32_t seq;
} Backend;

typedef struct Ring {
    int mem_fd, ctrl_fd, doorbell_fd, irq_fd;
    uint8_t *mem;
    struct vnplug_ctrl_page *ctrl;
} Ring;

typedef struct Fixture {
    Backend be;
    QOSState *qs;
    Ring ring;
    QPCIDevice *dev;
    QPCIBar regs, mem, ctrl;
    int devfn;
} Fixture;

/* ---- the vnplugd side ------------------------------------------------- */

static void be_listen(Backend *be)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    be->dir = g_dir_make_tmp("vnplug-test-XXXXXX", NULL);
    g_assert(be->dir);
    be->path = g_strdup_printf("%s/vm.sock", be->dir);
    g_strlcpy(sa.sun_path, be->path, sizeof(sa.sun_path));
    be->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(be->lfd, >=, 0);
    g_assert_cmpint(bind(be->lfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(be->lfd, 1), ==, 0);
    be->fd = -1;
}

static void be_send(Backend *be, uint16_t type, const void *p, size_t len,
                    const int *fds, int nfds)
{
    struct vnplug_sock_hdr h = {
        .magic = VNPLUG_SOCK_MAGIC, .type = type, .nfds = nfds,
        .len = len, .seq = ++be->seq,
    };
    struct iovec iov[2] = {
        { .iov_base = &h, .iov_len = sizeof(h) },
        { .iov_base = (void *)p, .iov_len = len },
    };
    char cbuf[CMSG_SPACE(sizeof(int) * VNPLUG_SOCK_MAX_FDS)] = { 0 };
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

    if (nfds) {
        struct cmsghdr *c;

        mh.msg_control = cbuf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    g_assert_cmpint(sendmsg(be->fd, &mh, 0), ==, sizeof(h) + len);
}

static bool read_full(int fd, void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);

        if (n <= 0) {
            return false;
        }
        done += n;
    }
    return true;
}

/* Reads the next frame; returns its type, or 0 at end of stream. */
static uint16_t be_recv(Backend *be, void *p, size_t size, uint32_t *len)
{
    struct vnplug_sock_hdr h;

    if (!read_full(be->fd, &h, sizeof(h))) {
        return 0;
    }
    g_assert_cmphex(h.magic, ==, VNPLUG_SOCK_MAGIC);
    g_assert_cmpuint(h.nfds, ==, 0);
    g_assert_cmpuint(h.len, <=, size);
    g_assert(read_full(be->fd, p, h.len));
    if (len) {
        *len = h.len;
    }
    return h.type;
}

/* Accepts QEMU's connection and answers its HELLO. */
static void be_accept(Backend *be, uint32_t live, uint32_t max_id)
{
    struct vnplug_sock_hello hello, mine = { .version = VNPLUG_VERSION };
    struct ucred cred;
    socklen_t cl = sizeof(cred);
    uint32_t len;

    be->fd = accept(be->lfd, NULL, NULL);
    g_assert_cmpint(be->fd, >=, 0);
    g_assert_cmpint(getsockopt(be->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl),
                    ==, 0);
    be->qemu = cred.pid;
    g_assert_cmpuint(be_recv(be, &hello, sizeof(hello), &len), ==,
                     VNPLUG_SOCK_HELLO);
    g_assert_cmpuint(len, ==, sizeof(hello));
    g_assert_cmpuint(hello.version, ==, VNPLUG_VERSION);
    g_assert_cmpuint(hello.live_regions, ==, live);
    g_assert_cmpuint(hello.max_region_id, ==, max_id);
    be_send(be, VNPLUG_SOCK_HELLO, &mine, sizeof(mine), NULL, 0);
}

static void be_close(Backend *be)
{
    if (be->fd >= 0) {
        close(be->fd);
        be->fd = -1;
    }
}

static int count_fds(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
    GDir *d = g_dir_open(path, 0, NULL);
    int n = 0;

    g_assert(d);
    while (g_dir_read_name(d)) {
        n++;
    }
    g_dir_close(d);
    return n;
}

static bool maps_memfd(pid_t pid, const char *name)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/maps", (int)pid);
    g_autofree char *maps = NULL;

    g_assert(g_file_get_contents(path, &maps, NULL, NULL));
    return strstr(maps, name) != NULL;
}

/*
 * The counter of an eventfd, or 0 when nothing comes within ms. QEMU's
 * socket chardev makes the descriptors it receives blocking, which is
 * shared with ours, so poll first.
 */
static uint64_t eventfd_take(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    uint64_t v = 0;

    if (poll(&p, 1, ms) == 1) {
        g_assert_cmpint(read(fd, &v, sizeof(v)), ==, sizeof(v));
    }
    return v;
}

/* ---- a region ------------------------------------------------------- */

static uint8_t pattern(size_t i)
{
    return (i * 31 + REGION_ID) & 0xff;
}

static void ring_create(Ring *r)
{
    size_t i;

    r->mem_fd = memfd_create("vnplug-test-mem", MFD_CLOEXEC);
    r->ctrl_fd = memfd_create("vnplug-test-ctrl", MFD_CLOEXEC);
    g_assert_cmpint(ftruncate(r->mem_fd, REGION_SIZE), ==, 0);
    g_assert_cmpint(ftruncate(r->ctrl_fd, VNPLUG_CTRL_PAGE_SIZE), ==, 0);
    r->mem = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                  r->mem_fd, 0);
    r->ctrl = mmap(NULL, VNPLUG_CTRL_PAGE_SIZE, PROT_READ | PROT_WRITE,
                   MAP_SHARED, r->ctrl_fd, 0);
    g_assert(r->mem != MAP_FAILED && r->ctrl != MAP_FAILED);
    for (i = 0; i < REGION_SIZE; i++) {
        r->mem[i] = pattern(i);
    }
    r->ctrl->magic = VNPLUG_CTRL_MAGIC;
    r->ctrl->region_id = REGION_ID;
    r->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    r->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g_assert(r->doorbell_fd >= 0 && r->irq_fd >= 0);
}

static void ring_destroy(Ring *r)
{
    munmap(r->mem, REGION_SIZE);
    munmap(r->ctrl, VNPLUG_CTRL_PAGE_SIZE);
    close(r->mem_fd);
    close(r->ctrl_fd);
    close(r->doorbell_fd);
    close(r->irq_fd);
}

static int map_region(Backend *be, Ring *r, uint32_t id, int nfds)
{
    struct vnplug_sock_map m = {
        .region_id = id, .app_id = VNPLUG_APP_TEST, .session = 3,
        .size = REGION_SIZE,
    };
    int fds[4] = { r->mem_fd, r->ctrl_fd, r->doorbell_fd, r->irq_fd };
    struct vnplug_sock_region rep;

    be_send(be, VNPLUG_SOCK_MAP, &m, sizeof(m), fds, nfds);
    g_assert_cmpuint(be_recv(be, &rep, sizeof(rep), NULL), ==,
                     VNPLUG_SOCK_MAPPED);
    g_assert_cmpuint(rep.region_id, ==, id);
    return rep.status;
}

/* ---- the guest side ----------------------------------------------------- */

static void save_dev(QPCIDevice *dev, int devfn, void *data)
{
    Fixture *f = data;

    g_assert(!f->dev);
    f->dev = dev;
    f->devfn = devfn;
}

static void find_ring(Fixture *f)
{
    uint64_t size;

    f->dev = NULL;
    qpci_device_foreach(f->qs->pcibus, VNPLUG_RING_VENDOR_ID,
                        VNPLUG_RING_DEVICE_ID, save_dev, f);
    g_assert(f->dev);
    f->regs = qpci_iomap(f->dev, VNPLUG_BAR_REGS, &size);
    g_assert_cmpuint(size, ==, VNPLUG_REGS_SIZE);
    f->mem = qpci_iomap(f->dev, VNPLUG_BAR_MEM, &size);
    g_assert_cmpuint(size, ==, pow2ceil(REGION_SIZE));
    f->ctrl = qpci_iomap(f->dev, VNPLUG_BAR_CTRL, &size);
    g_assert_cmpuint(size, ==, VNPLUG_CTRL_PAGE_SIZE);
    qpci_device_enable(f->dev);
}

static uint32_t reg(Fixture *f, enum vnplug_reg r)
{
    return qpci_io_readl(f->dev, f->regs, r);
}

static void setup(Fixture *f)
{
    be_listen(&f->be);
    f->qs = qtest_pc_boot("-machine pc -chardev socket,id=vnp,path=%s,"
                          "reconnect=1 -device vnplug-ctrl,chardev=vnp",
                          f->be.path);
    be_accept(&f->be, 0, 0);
    ring_create(&f->ring);
    g_assert_cmpint(map_region(&f->be, &f->ring, REGION_ID, 4), ==, 0);
    find_ring(f);
}

static void teardown(Fixture *f)
{
    g_free(f->dev);
    qtest_shutdown(f->qs);
    be_close(&f->be);
    close(f->be.lfd);
    ring_destroy(&f->ring);
    unlink(f->be.path);
    rmdir(f->be.dir);
    g_free(f->be.path);
    g_free(f->be.dir);
}

static bool wait_for(bool (*cond)(Fixture *), Fixture *f)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (!cond(f)) {
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_usleep(10000);
    }
    return true;
}

/* ---- tests ------------------------------------------------------------ */

static void test_identity(void)
{
    Fixture f = { 0 };

    setup(&f);
    g_assert_cmphex(qpci_config_readw(f.dev, PCI_VENDOR_ID), ==,
                    VNPLUG_RING_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(f.dev, PCI_DEVICE_ID), ==,
                    VNPLUG_RING_DEVICE_ID);
    g_assert_cmphex(qpci_config_readw(f.dev, PCI_CLASS_DEVICE), ==,
                    VNPLUG_RING_CLASS);
    g_assert_cmpuint(qpci_config_readb(f.dev, PCI_REVISION_ID), ==,
                     VNPLUG_RING_REVISION);
    g_assert_cmpuint(qpci_msix_table_size(f.dev), ==, VNPLUG_MSIX_VECTORS);
    g_assert_cmphex(reg(&f, VNPLUG_REG_MAGIC), ==, VNPLUG_RING_MAGIC);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_VERSION), ==, VNPLUG_VERSION);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_REGION_ID), ==, REGION_ID);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_APP_ID), ==, VNPLUG_APP_TEST);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_SESSION), ==, 3);
    g_assert_cmphex(reg(&f, VNPLUG_REG_STATUS), ==, VNPLUG_STATUS_READY);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_SIZE_LO), ==, REGION_SIZE);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_SIZE_HI), ==, 0);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_CTRL_SIZE), ==,
                     VNPLUG_CTRL_PAGE_SIZE);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_IRQ_COUNT), ==, 0);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_BAD_ACCESS), ==, 0);
    teardown(&f);
}

static void test_memory(void)
{
    Fixture f = { 0 };
    uint8_t buf[256];
    uint32_t magic;
    size_t i;

    setup(&f);
    /* host -> guest: the pattern at the start and at the very end */
    qpci_memread(f.dev, f.mem, 0, buf, sizeof(buf));
    for (i = 0; i < sizeof(buf); i++) {
        g_assert_cmpuint(buf[i], ==, pattern(i));
    }
    qpci_memread(f.dev, f.mem, REGION_SIZE - sizeof(buf), buf, sizeof(buf));
    for (i = 0; i < sizeof(buf); i++) {
        g_assert_cmpuint(buf[i], ==, pattern(REGION_SIZE - sizeof(buf) + i));
    }
    /* guest -> host, no copy in between */
    memset(buf, 0xa5, sizeof(buf));
    qpci_memwrite(f.dev, f.mem, 4096, buf, sizeof(buf));
    g_assert_cmpuint(f.ring.mem[4096], ==, 0xa5);
    g_assert_cmpuint(f.ring.mem[4096 + 255], ==, 0xa5);
    g_assert_cmpuint(f.ring.mem[4096 + 256], ==, pattern(4096 + 256));
    f.ring.mem[100] = 0x5a;
    qpci_memread(f.dev, f.mem, 100, buf, 1);
    g_assert_cmpuint(buf[0], ==, 0x5a);
    /* the control page, both ways */
    qpci_memread(f.dev, f.ctrl, 0, &magic, sizeof(magic));
    g_assert_cmphex(magic, ==, VNPLUG_CTRL_MAGIC);
    qpci_io_writel(f.dev, f.ctrl,
                   offsetof(struct vnplug_ctrl_page, guest_waiting), 1);
    g_assert_cmpuint(f.ring.ctrl->guest_waiting, ==, 1);
    teardown(&f);
}

static void test_doorbell(void)
{
    Fixture f = { 0 };
    int i;

    setup(&f);
    g_assert_cmpuint(eventfd_take(f.ring.doorbell_fd, 0), ==, 0);
    for (i = 0; i < 3; i++) {
        qpci_io_writel(f.dev, f.regs, VNPLUG_REG_DOORBELL, 1);
    }
    g_assert_cmpuint(eventfd_take(f.ring.doorbell_fd, 5000), ==, 3);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_BAD_ACCESS), ==, 0);
    teardown(&f);
}

static bool irq_pending(Fixture *f)
{
    return qpci_msix_pending(f->dev, 0);
}

static void test_interrupt(void)
{
    Fixture f = { 0 };
    uint64_t one = 1;

    setup(&f);
    qpci_msix_enable(f.dev);
    /* the vector is masked after reset: an event sets its pending bit */
    g_assert(qpci_msix_masked(f.dev, 0));
    g_assert(!qpci_msix_pending(f.dev, 0));
    g_assert_cmpint(write(f.ring.irq_fd, &one, sizeof(one)), ==, sizeof(one));
    g_assert(wait_for(irq_pending, &f));
    g_assert_cmpuint(reg(&f, VNPLUG_REG_IRQ_COUNT), ==, 1);
    teardown(&f);
}

static void test_bad_access(void)
{
    Fixture f = { 0 };

    setup(&f);
    /* a byte read, a write to a read-only register, a hole, a short
     * doorbell write: each logged, counted and otherwise ignored */
    g_assert_cmpuint(qpci_io_readb(f.dev, f.regs, VNPLUG_REG_REGION_ID), ==,
                     0);
    qpci_io_writel(f.dev, f.regs, VNPLUG_REG_MAGIC, 0);
    g_assert_cmpuint(qpci_io_readl(f.dev, f.regs, 0x800), ==, 0);
    qpci_io_writew(f.dev, f.regs, VNPLUG_REG_DOORBELL, 1);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_BAD_ACCESS), ==, 4);
    g_assert_cmphex(reg(&f, VNPLUG_REG_MAGIC), ==, VNPLUG_RING_MAGIC);
    g_assert_cmpuint(reg(&f, VNPLUG_REG_REGION_ID), ==, REGION_ID);
    teardown(&f);
}

static void test_unplug(void)
{
    Fixture f = { 0 };
    struct vnplug_sock_region r = { .region_id = REGION_ID };
    int fds_mapped;

    setup(&f);
    g_assert(maps_memfd(f.be.qemu, "vnplug-test-mem"));
    fds_mapped = count_fds(f.be.qemu);
    be_send(&f.be, VNPLUG_SOCK_UNMAP, &r, sizeof(r), NULL, 0);
    while (!(reg(&f, VNPLUG_REG_STATUS) & VNPLUG_STATUS_UNPLUGGING)) {
        g_usleep(10000);
    }
    /* the guest's part of ACPI hotplug: eject the slot */
    qtest_outl(f.qs->qts, EJECT_PORT, 1u << DEVFN_SLOT(f.devfn));
    qtest_qmp_eventwait(f.qs->qts, "DEVICE_DELETED");
    g_assert_cmpuint(be_recv(&f.be, &r, sizeof(r), NULL), ==,
                     VNPLUG_SOCK_UNMAPPED);
    g_assert_cmpuint(r.region_id, ==, REGION_ID);
    g_assert_cmpint(r.status, ==, 0);
    /* QEMU kept no descriptor of the region and dropped its mapping */
    g_assert_cmpint(count_fds(f.be.qemu), ==, fds_mapped - 2);
    g_assert(!maps_memfd(f.be.qemu, "vnplug-test-mem"));
    /* an unknown region is answered, not fatal */
    r.region_id = 99;
    be_send(&f.be, VNPLUG_SOCK_UNMAP, &r, sizeof(r), NULL, 0);
    g_assert_cmpuint(be_recv(&f.be, &r, sizeof(r), NULL), ==,
                     VNPLUG_SOCK_UNMAPPED);
    g_assert_cmpint(r.status, ==, -ENOENT);
    teardown(&f);
}

static void test_bad_frames(void)
{
    Fixture f = { 0 };
    struct vnplug_sock_error e;
    struct vnplug_sock_region r = { .region_id = REGION_ID + 1 };
    int before = 0;

    setup(&f);
    before = count_fds(f.be.qemu);
    /* MAP with too few descriptors: refused, and nothing leaks */
    g_assert_cmpint(map_region(&f.be, &f.ring, REGION_ID + 1, 2), ==,
                    -EINVAL);
    /* the same region id twice */
    g_assert_cmpint(map_region(&f.be, &f.ring, REGION_ID, 4), ==, -EEXIST);
    g_assert_cmpint(count_fds(f.be.qemu), ==, before);
    /* an unknown frame type and a short one get an ERROR back */
    be_send(&f.be, 99, &r, sizeof(r), NULL, 0);
    g_assert_cmpuint(be_recv(&f.be, &e, sizeof(e), NULL), ==,
                     VNPLUG_SOCK_ERROR);
    g_assert_cmpint(e.status, ==, -EINVAL);
    be_send(&f.be, VNPLUG_SOCK_UNMAP, &r, 2, NULL, 0);
    g_assert_cmpuint(be_recv(&f.be, &e, sizeof(e), NULL), ==,
                     VNPLUG_SOCK_ERROR);
    /* garbage: QEMU drops the connection, reconnects and says which
     * region is still plugged */
    g_assert_cmpint(write(f.be.fd, "garbage garbage garbage", 23), ==, 23);
    while (be_recv(&f.be, &e, sizeof(e), NULL) == VNPLUG_SOCK_ERROR) {
        continue;
    }
    be_close(&f.be);
    be_accept(&f.be, 1, REGION_ID);
    g_assert_cmphex(reg(&f, VNPLUG_REG_MAGIC), ==, VNPLUG_RING_MAGIC);
    teardown(&f);
}

static bool backend_gone(Fixture *f)
{
    return reg(f, VNPLUG_REG_STATUS) & VNPLUG_STATUS_BACKEND_GONE;
}

static void test_backend_gone(void)
{
    Fixture f = { 0 };

    setup(&f);
    be_close(&f.be);
    g_assert(wait_for(backend_gone, &f));
    g_assert(reg(&f, VNPLUG_REG_STATUS) & VNPLUG_STATUS_UNPLUGGING);
    /* the mapping stays valid until the guest ejects the device */
    g_assert_cmpuint(qpci_io_readb(f.dev, f.mem, 1), ==, pattern(1));
    be_accept(&f.be, 1, REGION_ID);
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vnplug/ring/identity", test_identity);
    qtest_add_func("/vnplug/ring/memory", test_memory);
    qtest_add_func("/vnplug/ring/doorbell", test_doorbell);
    qtest_add_func("/vnplug/ring/interrupt", test_interrupt);
    qtest_add_func("/vnplug/ring/bad-access", test_bad_access);
    qtest_add_func("/vnplug/ring/unplug", test_unplug);
    qtest_add_func("/vnplug/ctrl/bad-frames", test_bad_frames);
    qtest_add_func("/vnplug/ctrl/backend-gone", test_backend_gone);
    return g_test_run();
}
