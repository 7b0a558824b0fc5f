// SPDX-License-Identifier: GPL-2.0
/*
 * vnplug.ko: the guest side of vNPlug. A virtio driver for vnplug-ctrl, the
 * control channel to vnplugd (/dev/vnplug-ctrl: one session per open file,
 * one message per read or write), and a PCI driver for the vnplug-ring
 * devices QEMU hotplugs, one per mapped region (/dev/vnplugN: mmap the
 * region, its control page and its doorbell; read() waits for the host's
 * interrupts, write() rings the doorbell). include/uapi/vnplug.h is the
 * contract with QEMU and vnplugd.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "vnplug_ko.h"

static unsigned int vnplug_virtio_id = VNPLUG_CTRL_VIRTIO_ID;
module_param_named(virtio_id, vnplug_virtio_id, uint, 0444);
MODULE_PARM_DESC(virtio_id,
		 "Virtio device id of vnplug-ctrl; must match QEMU's virtio-id property (default 63)");

bool vnplug_unchecked_writes;
module_param_named(unchecked_writes, vnplug_unchecked_writes, bool, 0644);
MODULE_PARM_DESC(unchecked_writes,
		 "Test aid (root): pass writes to /dev/vnplug-ctrl unchecked but for size (8192) and session stamp, so tests see QEMU and vnplugd refuse bad framing (default 0)");

struct vnplug_stats vnplug_stats;

static int __init vnplug_init(void)
{
	int err;

	if (!vnplug_virtio_id) {
		pr_err("vnplug: virtio_id must not be 0\n");
		err = -EINVAL;
		goto out;
	}
	err = vnplug_ring_init();
	if (err)
		goto out;
	err = vnplug_ctrl_init(vnplug_virtio_id);
	if (err)
		goto out_undo_ring;
	return 0;

out_undo_ring:
	vnplug_ring_exit();
out:
	return err;
}

static void __exit vnplug_exit(void)
{
	vnplug_ctrl_exit();
	vnplug_ring_exit();
}

module_init(vnplug_init);
module_exit(vnplug_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vNPlug guest driver: vnplug-ctrl control channel and vnplug-ring devices");
MODULE_VERSION("0.1.0");
