/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnplug-virt: puts vnplug into libvirt domains. The domain XML is edited
 * in place with libxml2 (blank text kept, so its layout survives), and
 * every value that ends up in vnplugd's configuration goes through
 * vnplugd's own parser first (host/backend/conf.c).
 */
#ifndef VNPLUG_VIRT_H
#define VNPLUG_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <libxml/tree.h>

#define VX_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"
#define VX_VNPLUG_NS "http://vpfring.org/xmlns/vnplug/1"
#define VX_CHARDEV_ID "vnplug0"
/* vnplugd's VM names: at most 64 bytes (conf.h's VNP_VM_NAME_MAX). */
#define VX_NAME_BUF 65

#ifndef VX_DEFAULT_EMULATOR
/* Where host/qemu-vnplug/build.sh keeps the patched QEMU (virt.mk sets it). */
#define VX_DEFAULT_EMULATOR \
	"/var/cache/vpfring/qemu/current/qemu-system-x86_64-vnplug"
#endif
#define VX_DEFAULT_SOCKET_DIR "/run/vnplug"
#define VX_DEFAULT_USER "libvirt-qemu"
#define VX_DEFAULT_GROUP "libvirt-qemu"
#define VX_DEFAULT_MAX_RINGS "8"
#define VX_DEFAULT_MAX_RING_MEMORY "256M"
#define VX_DEFAULT_VNPLUGD_CONF "/etc/vnplug/vnplugd.conf"

/* What vnplugd's [vm NAME] section of a domain holds. */
struct vx_vm {
	char *name;
	char *socket;		/* the vnplug-ctrl chardev's path */
	char *interfaces;	/* patterns separated by single spaces */
	char *max_rings;
	char *max_ring_memory;
	char *socket_user;
	char *socket_group;
};

/* What attach and xml add, besides the [vm] values. */
struct vx_attach_opts {
	const char *emulator;
	const char *socket_dir;
	struct vx_vm vm;	/* name and socket filled in per domain */
	bool reset_pci;
};

/* A parsed domain XML and what its writer needs to give it back. */
struct vx_doc {
	xmlDocPtr doc;
	const char *name;	/* file name for messages */
	char *prolog;		/* the input before the root, verbatim */
	char *epilog;		/* and after it */
	char quote;		/* attribute quote the input mostly used */
};

/* ---- main.c ---- */
extern const char *vx_prog;
void vx_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vx_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "FILE:LINE: ..." for what is wrong in a document (@node may be NULL). */
void vx_xerr(const struct vx_doc *d, xmlNodePtr node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vx_xwarn(const struct vx_doc *d, xmlNodePtr node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- xmlio.c ---- */
/* Read @path ("-": standard input) whole; NULL after a message. */
char *vx_read_file(const char *path, size_t *len);
int vx_doc_parse(struct vx_doc *d, const char *name, const char *buf,
		 size_t len);
int vx_doc_write(const struct vx_doc *d, FILE *out);
void vx_doc_free(struct vx_doc *d);
/*
 * Write @d to @path through a temporary file and rename(2): in place (the
 * file's mode and owner kept, a symbolic link's target replaced) or a new
 * output file.
 */
int vx_doc_save(const struct vx_doc *d, const char *path, bool in_place);

/* ---- edit.c ---- */
int vx_attach(struct vx_doc *d, struct vx_attach_opts *o);
int vx_detach(struct vx_doc *d, bool *changed);
/*
 * The vnplug pieces of a domain for the hook: 0 and @vm filled in, 1 when
 * the domain has no vnplug metadata, -1 after a message.
 */
int vx_read_vnplug(const struct vx_doc *d, struct vx_vm *vm);
/* Likewise, only whether there is vnplug metadata, and the <name>. */
int vx_vnplug_name(const struct vx_doc *d, const char **name);
/* The domain's <name>, checked; NULL after a message. */
const char *vx_domain_name(const struct vx_doc *d);

/* ---- vmconf.c ---- */
/*
 * Check @vm the way vnplugd will: each value alone (one line, no '#'),
 * then a [vm NAME] section of them through vnp_conf_parse(). @field names
 * a value in messages ("--interfaces", "<vnplug:interfaces>"): index 0
 * name, 1 socket, 2 interfaces, 3 max_rings, 4 max_ring_memory, 5 user,
 * 6 group. @ctx prefixes messages.
 */
int vx_vm_check(const struct vx_vm *vm, const char *const field[7],
		const char *ctx);
/* The [vm NAME] section vnplugd reads for @vm; malloc'd. */
char *vx_vm_text(const struct vx_vm *vm, const char *header);
bool vx_vm_name_ok(const char *s);
/* One line of text: no control characters. */
bool vx_value_ok(const char *s);
void vx_vm_free(struct vx_vm *vm);

/* ---- hook.c ---- */
int vx_hook(const char *conf, const char *domain, const char *op);

/* ---- pci.c ---- */
struct vx_pci_addr {
	unsigned int domain, bus, slot, function;
};
int vx_pci_parse(const char *s, struct vx_pci_addr *a);
void vx_hostdev_print(const struct vx_pci_addr *a, bool managed, FILE *out);
void vx_vfio_steps_print(const struct vx_pci_addr *a, FILE *out);

#endif /* VNPLUG_VIRT_H */
