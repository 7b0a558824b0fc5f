/*
 * vnplug-ring: a PCI device that maps a region of host memory, handed over
 * by vnplugd as a file descriptor, into the guest without copying.
 *
 *   BAR0  8 KiB   registers (enum vnplug_reg), then the doorbell page: a
 *                 32-bit write there signals vnplugd's doorbell eventfd
 *                 through an ioeventfd, without running device code
 *   BAR1          MSI-X, one vector: vnplugd's interrupt eventfd, through
 *                 KVM's irqfd where there is one, else a QEMU fd handler
 *   BAR2          the region (64-bit, prefetchable), a power of two with
 *                 the mapping at its start
 *   BAR4  4 KiB   the control page, a memfd vnplugd owns
 *
 * vnplug-ctrl creates and hotplugs these on vnplugd's request; they cannot
 * be created with -device. docs/specs/vnplug.md has the register table.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "sysemu/kvm.h"
#include "hw/misc/vnplug.h"

#define MEM_BAR_FLAGS (PCI_BASE_ADDRESS_SPACE_MEMORY | \
                       PCI_BASE_ADDRESS_MEM_TYPE_64 | \
                       PCI_BASE_ADDRESS_MEM_PREFETCH)

static void vnplug_ring_misuse(VNPlugRingState *s, const char *what,
                               hwaddr addr, unsigned size)
{
    s->bad_access++;
    qemu_log_mask(LOG_GUEST_ERROR,
                  "vnplug-ring%u: %s at 0x%" HWADDR_PRIx " size %u ignored\n",
                  s->setup.map.region_id, what, addr, size);
}

static uint64_t vnplug_ring_read(void *opaque, hwaddr addr, unsigned size)
{
    VNPlugRingState *s = opaque;
    const struct vnplug_sock_map *m = &s->setup.map;

    if (size != 4) {
        vnplug_ring_misuse(s, "read of a wrong size", addr, size);
        return 0;
    }
    switch ((enum vnplug_reg)addr) {
    case VNPLUG_REG_MAGIC:
        return VNPLUG_RING_MAGIC;
    case VNPLUG_REG_VERSION:
        return VNPLUG_VERSION;
    case VNPLUG_REG_REGION_ID:
        return m->region_id;
    case VNPLUG_REG_APP_ID:
        return m->app_id;
    case VNPLUG_REG_SESSION:
        return m->session;
    case VNPLUG_REG_STATUS:
        return s->status;
    case VNPLUG_REG_SIZE_LO:
        return (uint32_t)m->size;
    case VNPLUG_REG_SIZE_HI:
        return m->size >> 32;
    case VNPLUG_REG_CTRL_SIZE:
        return VNPLUG_CTRL_PAGE_SIZE;
    case VNPLUG_REG_IRQ_COUNT:
        return s->irq_count;
    case VNPLUG_REG_BAD_ACCESS:
        return s->bad_access;
    case VNPLUG_REG_DOORBELL:
        break;
    }
    vnplug_ring_misuse(s, "read of no register", addr, size);
    return 0;
}

static void vnplug_ring_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    VNPlugRingState *s = opaque;

    /*
     * A 32-bit doorbell write never gets here: the ioeventfd takes it.
     * Other sizes at the doorbell, and anything elsewhere, are misuse.
     */
    if (addr == VNPLUG_REG_DOORBELL && size == 4 && s->doorbell_on) {
        event_notifier_set(&s->doorbell);
        return;
    }
    vnplug_ring_misuse(s, "write", addr, size);
}

static const MemoryRegionOps vnplug_ring_regs_ops = {
    .read = vnplug_ring_read,
    .write = vnplug_ring_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* Registers are 32-bit; other sizes reach the handlers to be logged. */
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

/* Fallback path (no irqfd): QEMU reads the eventfd and raises vector 0. */
static void vnplug_ring_irq_ready(void *opaque)
{
    VNPlugRingState *s = opaque;
    PCIDevice *pdev = PCI_DEVICE(s);

    if (!event_notifier_test_and_clear(&s->irq)) {
        return;
    }
    s->irq_count++;
    if (msix_enabled(pdev)) {
        msix_notify(pdev, 0);
    }
}

static void vnplug_ring_watch_irq(VNPlugRingState *s, bool on)
{
    qemu_set_fd_handler(event_notifier_get_fd(&s->irq),
                        on ? vnplug_ring_irq_ready : NULL, NULL, s);
}

static int vnplug_ring_vector_unmask(PCIDevice *pdev, unsigned vector,
                                     MSIMessage msg)
{
    VNPlugRingState *s = VNPLUG_RING(pdev);
    int ret;

    ret = kvm_irqchip_update_msi_route(kvm_state, s->virq, msg, pdev);
    if (ret < 0) {
        return ret;
    }
    kvm_irqchip_commit_routes(kvm_state);
    ret = kvm_irqchip_add_irqfd_notifier_gsi(kvm_state, &s->irq, NULL,
                                             s->virq);
    if (ret < 0) {
        return ret;
    }
    s->irqfd_unmasked = true;
    return 0;
}

static void vnplug_ring_vector_mask(PCIDevice *pdev, unsigned vector)
{
    VNPlugRingState *s = VNPLUG_RING(pdev);

    if (s->irqfd_unmasked &&
        kvm_irqchip_remove_irqfd_notifier_gsi(kvm_state, &s->irq,
                                              s->virq) == 0) {
        s->irqfd_unmasked = false;
    }
}

/* While masked, an event becomes the vector's pending bit. */
static void vnplug_ring_vector_poll(PCIDevice *pdev, unsigned start,
                                    unsigned end)
{
    VNPlugRingState *s = VNPLUG_RING(pdev);

    if (start == 0 && end > 0 && msix_is_masked(pdev, 0) &&
        event_notifier_test_and_clear(&s->irq)) {
        msix_set_pending(pdev, 0);
    }
}

static void vnplug_ring_irqfd_on(VNPlugRingState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    KVMRouteChange c = kvm_irqchip_begin_route_changes(kvm_state);
    int virq = kvm_irqchip_add_msi_route(&c, 0, pdev);

    if (virq < 0) {
        error_report("vnplug-ring%u: no KVM MSI route (%d); interrupts "
                     "go through QEMU", s->setup.map.region_id, virq);
        return;
    }
    kvm_irqchip_commit_route_changes(&c);
    s->virq = virq;
    vnplug_ring_watch_irq(s, false);
    if (msix_set_vector_notifiers(pdev, vnplug_ring_vector_unmask,
                                  vnplug_ring_vector_mask,
                                  vnplug_ring_vector_poll)) {
        kvm_irqchip_release_virq(kvm_state, virq);
        vnplug_ring_watch_irq(s, true);
        return;
    }
    s->irqfd = true;
}

static void vnplug_ring_irqfd_off(VNPlugRingState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (!s->irqfd) {
        return;
    }
    msix_unset_vector_notifiers(pdev);
    /* MSI-X may be off already, so the mask notifier did not run. */
    vnplug_ring_vector_mask(pdev, 0);
    kvm_irqchip_release_virq(kvm_state, s->virq);
    s->irqfd = false;
    vnplug_ring_watch_irq(s, true);
}

static void vnplug_ring_write_config(PCIDevice *pdev, uint32_t addr,
                                     uint32_t val, int len)
{
    VNPlugRingState *s = VNPLUG_RING(pdev);
    bool was = msix_enabled(pdev);

    pci_default_write_config(pdev, addr, val, len);
    if (!kvm_msi_via_irqfd_enabled() || was == msix_enabled(pdev)) {
        return;
    }
    if (msix_enabled(pdev)) {
        vnplug_ring_irqfd_on(s);
    } else {
        vnplug_ring_irqfd_off(s);
    }
}

static void *vnplug_ring_map_fd(int fd, size_t len, uint64_t offset,
                                const char *what, Error **errp)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);

    if (p == MAP_FAILED) {
        error_setg_errno(errp, errno, "vnplug-ring: cannot map the %s", what);
        return NULL;
    }
    return p;
}

static bool vnplug_ring_check_map(const struct vnplug_sock_map *m,
                                  Error **errp)
{
    if (!m->region_id) {
        error_setg(errp, "vnplug-ring: region id 0 is reserved");
        return false;
    }
    if (!m->size || m->size > VNPLUG_MAP_MEM_MAX) {
        error_setg(errp, "vnplug-ring: region size %" PRIu64 " not in "
                   "1..%llu", (uint64_t)m->size, VNPLUG_MAP_MEM_MAX);
        return false;
    }
    if (m->mem_offset % qemu_real_host_page_size()) {
        error_setg(errp, "vnplug-ring: offset %" PRIu64 " is not a multiple "
                   "of the page size", (uint64_t)m->mem_offset);
        return false;
    }
    return true;
}

/* Maps the region and the control page, and closes their fds at once. */
static bool vnplug_ring_map(VNPlugRingState *s, Error **errp)
{
    VNPlugRingSetup *su = &s->setup;

    s->mem_len = ROUND_UP(su->map.size, qemu_real_host_page_size());
    if (vnplug_ring_check_map(&su->map, errp)) {
        s->mem_ptr = vnplug_ring_map_fd(su->mem_fd, s->mem_len,
                                        su->map.mem_offset, "region", errp);
    }
    if (s->mem_ptr) {
        s->ctrl_ptr = vnplug_ring_map_fd(su->ctrl_fd, VNPLUG_CTRL_PAGE_SIZE,
                                         0, "control page", errp);
    }
    close(su->mem_fd);
    close(su->ctrl_fd);
    su->mem_fd = su->ctrl_fd = -1;
    return s->ctrl_ptr != NULL;
}

static void vnplug_ring_init_bars(VNPlugRingState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    Object *o = OBJECT(s);

    memory_region_init_io(&s->regs, o, &vnplug_ring_regs_ops, s,
                          "vnplug-ring.regs", VNPLUG_REGS_SIZE);
    pci_register_bar(pdev, VNPLUG_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->regs);

    memory_region_init(&s->mem_bar, o, "vnplug-ring.bar2",
                       pow2ceil(s->mem_len));
    memory_region_init_ram_ptr(&s->mem, o, "vnplug-ring.mem", s->mem_len,
                               s->mem_ptr);
    memory_region_add_subregion(&s->mem_bar, 0, &s->mem);
    pci_register_bar(pdev, VNPLUG_BAR_MEM, MEM_BAR_FLAGS, &s->mem_bar);

    memory_region_init_ram_ptr(&s->ctrl, o, "vnplug-ring.ctrl",
                               VNPLUG_CTRL_PAGE_SIZE, s->ctrl_ptr);
    pci_register_bar(pdev, VNPLUG_BAR_CTRL,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->ctrl);
}

static void vnplug_ring_init_events(VNPlugRingState *s)
{
    event_notifier_init_fd(&s->doorbell, s->setup.doorbell_fd);
    event_notifier_init_fd(&s->irq, s->setup.irq_fd);
    s->setup.doorbell_fd = s->setup.irq_fd = -1;
    memory_region_add_eventfd(&s->regs, VNPLUG_REG_DOORBELL, 4, false, 0,
                              &s->doorbell);
    s->doorbell_on = true;
    vnplug_ring_watch_irq(s, true);
    s->irq_on = true;
}

static void vnplug_ring_realize(PCIDevice *pdev, Error **errp)
{
    VNPlugRingState *s = VNPLUG_RING(pdev);

    if (s->setup.mem_fd < 0 || s->setup.irq_fd < 0) {
        error_setg(errp, "vnplug-ring: only vnplug-ctrl creates these");
        return;
    }
    if (!vnplug_ring_map(s, errp)) {
        return;
    }
    vnplug_ring_init_bars(s);
    if (msix_init_exclusive_bar(pdev, VNPLUG_MSIX_VECTORS, VNPLUG_BAR_MSIX,
                                errp)) {
        return;
    }
    msix_vector_use(pdev, 0);
    vnplug_ring_init_events(s);
    s->status = VNPLUG_STATUS_READY;
}

static void vnplug_ring_exit(PCIDevice *pdev)
{
    VNPlugRingState *s = VNPLUG_RING(pdev);

    vnplug_ring_irqfd_off(s);
    if (s->irq_on) {
        vnplug_ring_watch_irq(s, false);
        s->irq_on = false;
    }
    if (s->doorbell_on) {
        memory_region_del_eventfd(&s->regs, VNPLUG_REG_DOORBELL, 4, false, 0,
                                  &s->doorbell);
        s->doorbell_on = false;
    }
    if (msix_present(pdev)) {
        msix_vector_unuse(pdev, 0);
        msix_uninit_exclusive_bar(pdev);
    }
    /* The container refers to the device through its subregion. */
    memory_region_del_subregion(&s->mem_bar, &s->mem);
    if (s->setup.gone) {
        s->setup.gone(s->setup.opaque, s->setup.map.region_id);
        s->setup.gone = NULL;
    }
}

static void vnplug_ring_close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/*
 * Flat views hold references to the device through its memory regions, so
 * finalize runs once no vCPU can reach the mappings any more.
 */
static void vnplug_ring_finalize(Object *obj)
{
    VNPlugRingState *s = VNPLUG_RING(obj);

    if (s->mem_ptr) {
        munmap(s->mem_ptr, s->mem_len);
    }
    if (s->ctrl_ptr) {
        munmap(s->ctrl_ptr, VNPLUG_CTRL_PAGE_SIZE);
    }
    if (event_notifier_get_fd(&s->doorbell) >= 0) {
        event_notifier_cleanup(&s->doorbell);
    }
    if (event_notifier_get_fd(&s->irq) >= 0) {
        event_notifier_cleanup(&s->irq);
    }
    vnplug_ring_close_fd(&s->setup.mem_fd);
    vnplug_ring_close_fd(&s->setup.ctrl_fd);
    vnplug_ring_close_fd(&s->setup.doorbell_fd);
    vnplug_ring_close_fd(&s->setup.irq_fd);
    if (s->setup.released && (s->status & VNPLUG_STATUS_READY)) {
        s->setup.released(s->setup.opaque, s->setup.map.region_id);
    }
}

static void vnplug_ring_instance_init(Object *obj)
{
    VNPlugRingState *s = VNPLUG_RING(obj);

    s->setup.mem_fd = s->setup.ctrl_fd = -1;
    s->setup.doorbell_fd = s->setup.irq_fd = -1;
    event_notifier_init_fd(&s->doorbell, -1);
    event_notifier_init_fd(&s->irq, -1);
}

static void vnplug_ring_reset(DeviceState *dev)
{
    VNPlugRingState *s = VNPLUG_RING(dev);

    vnplug_ring_irqfd_off(s);
    msix_unuse_all_vectors(PCI_DEVICE(s));
    msix_vector_use(PCI_DEVICE(s), 0);
}

void vnplug_ring_setup(VNPlugRingState *s, const VNPlugRingSetup *setup)
{
    s->setup = *setup;
}

void vnplug_ring_backend_gone(VNPlugRingState *s)
{
    s->status |= VNPLUG_STATUS_BACKEND_GONE;
}

void vnplug_ring_unplugging(VNPlugRingState *s)
{
    s->status |= VNPLUG_STATUS_UNPLUGGING;
}

/* The region lives in vnplugd's memory: it cannot move with the VM. */
static const VMStateDescription vnplug_ring_vmstate = {
    .name = TYPE_VNPLUG_RING,
    .unmigratable = 1,
};

static void vnplug_ring_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = vnplug_ring_realize;
    k->exit = vnplug_ring_exit;
    k->config_write = vnplug_ring_write_config;
    k->vendor_id = VNPLUG_RING_VENDOR_ID;
    k->device_id = VNPLUG_RING_DEVICE_ID;
    k->revision = VNPLUG_RING_REVISION;
    k->class_id = VNPLUG_RING_CLASS;
    dc->desc = "vNPlug ring: host memory mapped into the guest";
    dc->reset = vnplug_ring_reset;
    dc->vmsd = &vnplug_ring_vmstate;
    /* It needs descriptors only vnplug-ctrl has. */
    dc->user_creatable = false;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo vnplug_ring_info = {
    .name = TYPE_VNPLUG_RING,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VNPlugRingState),
    .instance_init = vnplug_ring_instance_init,
    .instance_finalize = vnplug_ring_finalize,
    .class_init = vnplug_ring_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void vnplug_ring_register_types(void)
{
    type_register_static(&vnplug_ring_info);
}

type_init(vnplug_ring_register_types)
