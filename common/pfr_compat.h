/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Types and the few library calls that common/ uses, so that the same files
 * compile in the kernel (pf_ring.ko) and in user space (libpfring).
 * Nothing here may need more than a kernel offers: no allocation, no I/O.
 */
#ifndef PFR_COMPAT_H
#define PFR_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/stddef.h>
typedef u8 pfr_u8;
typedef u16 pfr_u16;
typedef u32 pfr_u32;
typedef u64 pfr_u64;
typedef s16 pfr_s16;
typedef s32 pfr_s32;
#else
#include <stddef.h>
#include <stdint.h>
#include <string.h>
typedef uint8_t pfr_u8;
typedef uint16_t pfr_u16;
typedef uint32_t pfr_u32;
typedef uint64_t pfr_u64;
typedef int16_t pfr_s16;
typedef int32_t pfr_s32;
#endif

/* Big-endian loads from possibly unaligned packet bytes. */
static inline pfr_u16 pfr_get_be16(const pfr_u8 *p)
{
	return (pfr_u16)((p[0] << 8) | p[1]);
}

static inline pfr_u32 pfr_get_be32(const pfr_u8 *p)
{
	return ((pfr_u32)p[0] << 24) | ((pfr_u32)p[1] << 16) |
	       ((pfr_u32)p[2] << 8) | (pfr_u32)p[3];
}

#endif /* PFR_COMPAT_H */
