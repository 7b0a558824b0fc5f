// SPDX-License-Identifier: LGPL-2.1-or-later
/* Rules to and from the vPF_RING wire: see vpfring_wire.h. */
#include <string.h>

#include "vpfring_wire.h"

_Static_assert(sizeof(ip_addr) == 16, "ip_addr is 16 bytes on the wire");
_Static_assert(REFLECTOR_NAME_LEN <= sizeof(((struct vpfring_wc_rule *)0)->reflector),
	       "the wire's reflector name is too short");
_Static_assert(sizeof(((filtering_rule_extended_fields *)0)->payload_pattern) ==
		   sizeof(((struct vpfring_wc_rule *)0)->payload_pattern),
	       "payload pattern lengths differ");

/* @src holds at most @n bytes of a string, maybe without its NUL. */
static void copy_name(char *dst, size_t dst_len, const char *src, size_t n)
{
	size_t len = strnlen(src, n);

	if (len >= dst_len)
		len = dst_len - 1;
	memcpy(dst, src, len);
	memset(dst + len, 0, dst_len - len);
}

void vpfring_wc_rule_encode(const filtering_rule *in,
			    struct vpfring_wc_rule *out)
{
	const filtering_rule_core_fields *f = &in->core_fields;

	memset(out, 0, sizeof(*out));
	out->rule_id = in->rule_id;
	out->action = (__u8)in->rule_action;
	out->balance_id = in->balance_id;
	out->balance_pool = in->balance_pool;
	out->locked = in->locked;
	out->bidirectional = in->bidirectional;
	out->proto = f->proto;
	memcpy(out->smac, f->smac, sizeof(out->smac));
	memcpy(out->dmac, f->dmac, sizeof(out->dmac));
	out->vlan_id = f->vlan_id;
	out->sport_low = f->sport_low;
	out->sport_high = f->sport_high;
	out->dport_low = f->dport_low;
	out->dport_high = f->dport_high;
	out->filter_plugin_id = in->extended_fields.filter_plugin_id;
	out->plugin_id = in->plugin_action.plugin_id;
	memcpy(out->shost, &f->shost, 16);
	memcpy(out->shost_mask, &f->shost_mask, 16);
	memcpy(out->dhost, &f->dhost, 16);
	memcpy(out->dhost_mask, &f->dhost_mask, 16);
	memcpy(out->payload_pattern, in->extended_fields.payload_pattern,
	       sizeof(out->payload_pattern));
	copy_name(out->reflector, sizeof(out->reflector),
		  in->reflector_device_name, REFLECTOR_NAME_LEN);
}

void vpfring_wc_rule_decode(const struct vpfring_wc_rule *in,
			    filtering_rule *out)
{
	filtering_rule_core_fields *f = &out->core_fields;

	memset(out, 0, sizeof(*out));
	out->rule_id = in->rule_id;
	out->rule_action = (rule_action_behaviour)in->action;
	out->balance_id = in->balance_id;
	out->balance_pool = in->balance_pool;
	out->locked = in->locked;
	out->bidirectional = in->bidirectional;
	f->proto = in->proto;
	memcpy(f->smac, in->smac, sizeof(f->smac));
	memcpy(f->dmac, in->dmac, sizeof(f->dmac));
	f->vlan_id = in->vlan_id;
	f->sport_low = in->sport_low;
	f->sport_high = in->sport_high;
	f->dport_low = in->dport_low;
	f->dport_high = in->dport_high;
	out->extended_fields.filter_plugin_id = in->filter_plugin_id;
	out->plugin_action.plugin_id = in->plugin_id;
	memcpy(&f->shost, in->shost, 16);
	memcpy(&f->shost_mask, in->shost_mask, 16);
	memcpy(&f->dhost, in->dhost, 16);
	memcpy(&f->dhost_mask, in->dhost_mask, 16);
	/* 32 bytes either way; pfring_rule_to_wc() reads it with strnlen(). */
	memcpy(out->extended_fields.payload_pattern, in->payload_pattern,
	       sizeof(in->payload_pattern));
	copy_name(out->reflector_device_name, REFLECTOR_NAME_LEN, in->reflector,
		  sizeof(in->reflector));
}

void vpfring_hash_rule_encode(const hash_filtering_rule *in,
			      struct vpfring_hash_rule *out)
{
	memset(out, 0, sizeof(*out));
	out->rule_id = in->rule_id;
	out->vlan_id = in->vlan_id;
	out->proto = in->proto;
	out->action = (__u8)in->rule_action;
	out->plugin_id = in->plugin_action.plugin_id;
	out->port_a = in->port_peer_a;
	out->port_b = in->port_peer_b;
	memcpy(out->host_a, &in->host_peer_a, 16);
	memcpy(out->host_b, &in->host_peer_b, 16);
	copy_name(out->reflector, sizeof(out->reflector),
		  in->reflector_device_name, REFLECTOR_NAME_LEN);
}

void vpfring_hash_rule_decode(const struct vpfring_hash_rule *in,
			      hash_filtering_rule *out)
{
	memset(out, 0, sizeof(*out));
	out->rule_id = in->rule_id;
	out->vlan_id = in->vlan_id;
	out->proto = in->proto;
	out->rule_action = (rule_action_behaviour)in->action;
	out->plugin_action.plugin_id = in->plugin_id;
	out->port_peer_a = in->port_a;
	out->port_peer_b = in->port_b;
	memcpy(&out->host_peer_a, in->host_a, 16);
	memcpy(&out->host_peer_b, in->host_b, 16);
	copy_name(out->reflector_device_name, REFLECTOR_NAME_LEN, in->reflector,
		  sizeof(in->reflector));
}
