// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI passthrough, the comparison to vPF_RING: a guest that owns a whole
 * NIC through vfio-pci. vnplug-virt only prints: the <hostdev> for libvirt,
 * or the commands that bind a device to vfio-pci by hand.
 */
#include <ctype.h>
#include <string.h>

#include "virt.h"

/* @n hexadecimal digits exactly; the value in *v. */
static bool hex_field(const char *s, size_t n, unsigned int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		*v = *v * 16 + (unsigned int)(isdigit((unsigned char)s[i]) ?
			s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	return true;
}

/* [DDDD:]BB:SS.F, as lspci -D prints it; nothing more, nothing less. */
int vx_pci_parse(const char *s, struct vx_pci_addr *a)
{
	size_t len = strlen(s);

	a->domain = 0;
	if (len == 12) {
		if (s[4] != ':' || !hex_field(s, 4, &a->domain))
			return -1;
		s += 5;
		len -= 5;
	}
	if (len != 7 || s[2] != ':' || s[5] != '.' ||
	    !hex_field(s, 2, &a->bus) || !hex_field(s + 3, 2, &a->slot) ||
	    !hex_field(s + 6, 1, &a->function) || a->slot > 0x1f ||
	    a->function > 7)
		return -1;
	return 0;
}

void vx_hostdev_print(const struct vx_pci_addr *a, bool managed, FILE *out)
{
	fprintf(out,
		"<hostdev mode='subsystem' type='pci' managed='%s'>\n"
		"  <source>\n"
		"    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' "
		"function='0x%x'/>\n"
		"  </source>\n"
		"</hostdev>\n", managed ? "yes" : "no", a->domain, a->bus,
		a->slot, a->function);
}

void vx_vfio_steps_print(const struct vx_pci_addr *a, FILE *out)
{
	char addr[16], dev[64];

	snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%x", a->domain, a->bus,
		 a->slot, a->function);
	snprintf(dev, sizeof(dev), "/sys/bus/pci/devices/%s", addr);
	fprintf(out,
		"# Binding %s to vfio-pci, for a guest that owns it (PCI "
		"passthrough).\n"
		"# Printed by vnplug-virt vfio-steps, not run. As root, on a "
		"host with an\n"
		"# IOMMU turned on (intel_iommu=on on the kernel command "
		"line for Intel;\n"
		"# AMD's is on by default). The host loses the device until "
		"it is undone.\n"
		"set -e\n"
		"modprobe vfio-pci\n"
		"# an IOMMU is on when the kernel made IOMMU groups:\n"
		"test -n \"$(ls -A /sys/kernel/iommu_groups)\" || "
		"{ echo 'no IOMMU groups: turn the IOMMU on, reboot' >&2; "
		"exit 1; }\n"
		"# the device's group: all its members go to the guest "
		"together (each one\n"
		"# bound to vfio-pci, or driverless; PCI bridges excepted)\n"
		"ls %s/iommu_group/devices\n"
		"# its driver now, to give it back later\n"
		"basename \"$(readlink %s/driver)\"\n"
		"echo vfio-pci > %s/driver_override\n"
		"if [ -e %s/driver ]; then echo %s > %s/driver/unbind; fi\n"
		"echo %s > /sys/bus/pci/drivers_probe\n"
		"# now vfio-pci, and /dev/vfio/GROUP exists:\n"
		"basename \"$(readlink %s/driver)\"\n"
		"ls /dev/vfio\n"
		"\n"
		"# Undoing it: back to the driver the kernel picks.\n"
		"# echo %s > /sys/bus/pci/drivers/vfio-pci/unbind\n"
		"# echo > %s/driver_override\n"
		"# echo %s > /sys/bus/pci/drivers_probe\n"
		"\n"
		"# Or let libvirt do both: vnplug-virt hostdev %s prints a "
		"<hostdev\n"
		"# managed='yes'>, with which libvirt binds the device to "
		"vfio-pci when the\n"
		"# domain starts and gives it back when it stops (by hand: "
		"virsh nodedev-detach\n"
		"# pci_%04x_%02x_%02x_%x, virsh nodedev-reattach).\n",
		addr, dev, dev, dev, dev, addr, dev, addr, dev, addr, dev,
		addr, addr, a->domain, a->bus, a->slot, a->function);
}
