/*
 * vNPlug devices: what vnplug-ctrl and vnplug-ring share inside QEMU.
 *
 * vnplug-ctrl (hw/virtio/vnplug-ctrl.c) talks to vnplugd and creates one
 * vnplug-ring (hw/misc/vnplug-ring.c) per region vnplugd maps. The guest-
 * visible interfaces are in vnplug-abi.h, a copy of the project's
 * include/uapi/vnplug.h; docs/specs/vnplug.md describes both devices.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#ifndef HW_MISC_VNPLUG_H
#define HW_MISC_VNPLUG_H

#include "hw/pci/pci.h"
#include "qemu/event_notifier.h"
#include "hw/misc/vnplug-abi.h"

#define TYPE_VNPLUG_RING "vnplug-ring"
OBJECT_DECLARE_SIMPLE_TYPE(VNPlugRingState, VNPLUG_RING)

/*
 * gone: the device was unrealized (the guest ejected it);
 * released: its memory is unmapped and its descriptors closed, which
 * happens once no flat view refers to it any more.
 */
typedef void VNPlugRingGoneFn(void *opaque, uint32_t region_id);

/*
 * What vnplug-ctrl hands a ring device before realizing it. The device
 * owns the descriptors from then on: realize maps and closes mem_fd and
 * ctrl_fd, and keeps the two eventfds, whatever the outcome.
 */
typedef struct VNPlugRingSetup {
    struct vnplug_sock_map map;
    int mem_fd;
    int ctrl_fd;
    int doorbell_fd;
    int irq_fd;
    VNPlugRingGoneFn *gone;
    VNPlugRingGoneFn *released;
    void *opaque;
} VNPlugRingSetup;

struct VNPlugRingState {
    PCIDevice parent_obj;

    MemoryRegion regs;          /* BAR0: registers and doorbell page */
    MemoryRegion mem_bar;       /* BAR2: power-of-two container */
    MemoryRegion mem;           /* ... holding the mapped region */
    MemoryRegion ctrl;          /* BAR4: the control page */

    VNPlugRingSetup setup;
    void *mem_ptr;
    size_t mem_len;             /* mapped bytes (page multiple) */
    void *ctrl_ptr;

    EventNotifier doorbell;     /* guest -> vnplugd, via ioeventfd */
    EventNotifier irq;          /* vnplugd -> guest, irqfd or fallback */
    bool doorbell_on;
    bool irq_on;
    bool irqfd;                 /* KVM injects vector 0 from irq */
    bool irqfd_unmasked;
    int virq;

    uint32_t status;
    uint32_t irq_count;
    uint32_t bad_access;
};

/* Prepares an unrealized vnplug-ring; takes ownership of setup's fds. */
void vnplug_ring_setup(VNPlugRingState *s, const VNPlugRingSetup *setup);

/* vnplugd went away: flag it in STATUS (the guest driver reports it). */
void vnplug_ring_backend_gone(VNPlugRingState *s);

/* An unplug was requested: flag it in STATUS. */
void vnplug_ring_unplugging(VNPlugRingState *s);

#endif
