/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vnplug.ko's private declarations, shared by vnplug_main.c (module
 * parameters, counters), vnplug_ctrl.c (the vnplug-ctrl virtio driver and
 * /dev/vnplug-ctrl) and vnplug_ring.c (the vnplug-ring PCI driver and
 * /dev/vnplugN).
 */
#ifndef _VNPLUG_KO_H
#define _VNPLUG_KO_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <asm/byteorder.h>

#include "uapi/vnplug.h"

/* Messages a session may have queued; beyond, the newest are dropped. */
#define VNPLUG_SESSION_QUEUE_MAX 64

/*
 * /sys/class/misc/vnplug-ctrl/stats. Gauges (sessions, rings, ring_files,
 * queued) go back to where they were when everything is closed; the others
 * only grow.
 */
struct vnplug_stats {
	atomic_t sessions;		/* open /dev/vnplug-ctrl files */
	atomic64_t msgs_tx;		/* messages handed to the host */
	atomic64_t msgs_rx;		/* messages received from the host */
	atomic64_t rx_dropped;		/* received and not delivered */
	atomic64_t rejected_writes;	/* writes refused by the checks */
	atomic64_t pings;		/* PINGs answered */
	atomic_t rings;			/* live vnplug-ring devices */
	atomic_t ring_files;		/* open /dev/vnplugN files */
	atomic_t queued;		/* messages queued to sessions */
};

extern struct vnplug_stats vnplug_stats;
extern bool vnplug_unchecked_writes;

int vnplug_ctrl_init(unsigned int virtio_id);
void vnplug_ctrl_exit(void);
int vnplug_ring_init(void);
void vnplug_ring_exit(void);

/* vnplugd connected or went away: every ring re-reads its STATUS. */
void vnplug_ring_backend_changed(void);

/* The contract's multi-byte fields are little-endian. */
static inline u32 vnplug_get32(const __u32 *p)
{
	return le32_to_cpup((const __le32 *)p);
}

static inline void vnplug_put32(__u32 *p, u32 v)
{
	*(__le32 *)p = cpu_to_le32(v);
}

#endif /* _VNPLUG_KO_H */
