/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pfring.h's rule structures to and from their fixed-width forms in
 * include/uapi/vpfring.h: the guest's "host:" module encodes, vnplugd's
 * vPF_RING back-end decodes and hands the result to the host's libpfring,
 * which checks it as it checks any caller's. Part of libpfring; not
 * installed.
 */
#ifndef VPFRING_WIRE_H
#define VPFRING_WIRE_H

#include "../../include/uapi/vpfring.h"
#include "../../libpfring/pfring.h"

void vpfring_wc_rule_encode(const filtering_rule *in,
			    struct vpfring_wc_rule *out);
/* Strings come out NUL-terminated where pfring.h has room for it. */
void vpfring_wc_rule_decode(const struct vpfring_wc_rule *in,
			    filtering_rule *out);
void vpfring_hash_rule_encode(const hash_filtering_rule *in,
			      struct vpfring_hash_rule *out);
void vpfring_hash_rule_decode(const struct vpfring_hash_rule *in,
			      hash_filtering_rule *out);

#endif /* VPFRING_WIRE_H */
