// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vnplug pieces of a libvirt domain: finding, adding, replacing and
 * removing them without touching anything else.
 *
 * Layout: blank text nodes are the document's indentation. A new element
 * goes in with a "\n" + indent text node before it, its indent taken from
 * its siblings (or its parent's plus the document's step), so that it
 * looks as if libvirt had written it; a removed element takes the blank
 * text before it along. Adding after the same anchor what was removed
 * gives the same bytes back, which is why attaching twice equals attaching
 * once, and attach then detach gives the input back.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "virt.h"

/* ---- nodes ------------------------------------------------------------ */

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
	if (!n || n->type != XML_ELEMENT_NODE ||
	    strcmp((const char *)n->name, name))
		return false;
	if (!ns)
		return !n->ns || !n->ns->href || !*n->ns->href;
	return n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns);
}

static xmlNodePtr child(xmlNodePtr p, const char *ns, const char *name)
{
	xmlNodePtr c;

	for (c = p ? p->children : NULL; c; c = c->next)
		if (is_el(c, ns, name))
			return c;
	return NULL;
}

static bool is_blank(const xmlNode *n)
{
	return n && n->type == XML_TEXT_NODE && xmlIsBlankNode(n);
}

/* The last node of @p that is not blank text, or NULL. */
static xmlNodePtr last_content(xmlNodePtr p)
{
	xmlNodePtr c;

	for (c = p->last; c && is_blank(c); c = c->prev)
		;
	return c;
}

static xmlNodePtr prev_content(xmlNodePtr n)
{
	for (n = n->prev; n && is_blank(n); n = n->prev)
		;
	return n;
}

/* An element's trimmed text; "" if none. Free with xmlFree(). */
static char *text_of(xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s, *e;

	if (!v)
		return (char *)xmlStrdup(BAD_CAST "");
	for (s = (char *)v; isspace((unsigned char)*s); s++)
		;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	memmove(v, s, strlen(s) + 1);
	return (char *)v;
}

static char *prop(xmlNodePtr n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, BAD_CAST name);
}

/* ---- layout ----------------------------------------------------------- */

struct layout {
	bool formatted;		/* the root's content is indented */
	char step[64];		/* one level of indentation */
};

/* The indentation before @n: the blank text after the last line break. */
static bool indent_of(xmlNodePtr n, char *out, size_t len)
{
	const char *s, *nl;

	if (n->parent && n->parent->type == XML_DOCUMENT_NODE) {
		*out = '\0';
		return true;
	}
	if (!is_blank(n->prev))
		return false;
	s = (const char *)n->prev->content;
	nl = strrchr(s, '\n');
	if (!nl || strlen(nl + 1) >= len)
		return false;
	strcpy(out, nl + 1);
	return true;
}

static void layout_init(struct layout *l, xmlNodePtr root)
{
	xmlNodePtr c;

	strcpy(l->step, "  ");
	l->formatted = false;
	for (c = root->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE && !is_blank(c))
			return;		/* mixed content: no layout */
		if (is_blank(c) && strchr((const char *)c->content, '\n'))
			l->formatted = true;
	}
	for (c = root->children; c; c = c->next)
		if (!is_blank(c) && indent_of(c, l->step, sizeof(l->step)) &&
		    *l->step)
			return;
	strcpy(l->step, "  ");
}

/* Where children of @p start their lines; false when it is not laid out. */
static bool child_indent(const struct layout *l, xmlNodePtr p, char *out,
			 size_t len)
{
	xmlNodePtr c;
	char pi[256];

	if (!l->formatted)
		return false;
	for (c = p->children; c; c = c->next)
		if (!is_blank(c) && c->type != XML_TEXT_NODE)
			return indent_of(c, out, len);
	if (!indent_of(p, pi, sizeof(pi)) ||
	    strlen(pi) + strlen(l->step) >= len)
		return false;
	strcpy(out, pi);
	strcat(out, l->step);
	return true;
}

static xmlNodePtr ws_node(xmlDocPtr doc, const char *indent)
{
	xmlNodePtr t;
	char buf[320];

	snprintf(buf, sizeof(buf), "\n%s", indent);
	t = xmlNewDocText(doc, BAD_CAST buf);
	if (!t) {
		vx_err("out of memory");
		exit(1);
	}
	return t;
}

/*
 * Put @n into @p right after @anchor (first if NULL), on a line of its
 * own when @p is laid out. libxml2 merges adjacent text nodes, so the
 * element goes in first and its indentation before it.
 */
static void insert_after(const struct layout *l, xmlNodePtr p,
			 xmlNodePtr anchor, xmlNodePtr n)
{
	char ind[256], pi[256];
	bool fmt = child_indent(l, p, ind, sizeof(ind));
	bool empty = !p->children;

	if (anchor)
		xmlAddNextSibling(anchor, n);
	else if (p->children)
		xmlAddPrevSibling(p->children, n);
	else
		xmlAddChild(p, n);
	if (!fmt)
		return;
	xmlAddPrevSibling(n, ws_node(p->doc, ind));
	if (empty && indent_of(p, pi, sizeof(pi)))
		xmlAddNextSibling(n, ws_node(p->doc, pi));
}

static void append(const struct layout *l, xmlNodePtr p, xmlNodePtr n)
{
	insert_after(l, p, last_content(p), n);
}

/* Remove @n and the indentation before it. */
static void remove_node(xmlNodePtr n)
{
	xmlNodePtr ws = n->prev;

	if (is_blank(ws)) {
		xmlUnlinkNode(ws);
		xmlFreeNode(ws);
	}
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Remove @n if only blank text is left in it. */
static void remove_if_empty(xmlNodePtr n)
{
	if (!last_content(n))
		remove_node(n);
}

static xmlNodePtr new_el(xmlDocPtr doc, xmlNsPtr ns, const char *name,
			 const char *text)
{
	xmlNodePtr n = xmlNewDocNode(doc, ns, BAD_CAST name, NULL);

	if (!n) {
		vx_err("out of memory");
		exit(1);
	}
	/* No empty text child: it would come back as <x/>. */
	if (text && *text)
		xmlAddChild(n, xmlNewDocText(doc, BAD_CAST text));
	return n;
}

/*
 * A new child of <domain> goes after the last of @after present (libvirt's
 * order of the elements of a domain), else first.
 */
static xmlNodePtr add_domain_child(const struct layout *l, xmlNodePtr root,
				   const char *name,
				   const char *const *after)
{
	xmlNodePtr n = new_el(root->doc, NULL, name, NULL), c, anchor = NULL;
	unsigned int i;

	for (c = root->children; c; c = c->next)
		for (i = 0; after[i]; i++)
			if (is_el(c, NULL, after[i]))
				anchor = c;
	insert_after(l, root, anchor, n);
	return n;
}

/* ---- the domain ------------------------------------------------------- */

static xmlNodePtr domain_root(const struct vx_doc *d)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	char *type;
	bool ok;

	if (!is_el(root, NULL, "domain")) {
		vx_xerr(d, root, "the root element is <%s>, not a libvirt "
			"<domain>", root ? (const char *)root->name : "");
		return NULL;
	}
	type = prop(root, "type");
	ok = type && (!strcmp(type, "kvm") || !strcmp(type, "qemu"));
	if (!ok)
		vx_xerr(d, root, "<domain type='%s'>: vnplug needs a QEMU "
			"domain (type 'kvm' or 'qemu')", type ? type : "");
	xmlFree(type);
	return ok ? root : NULL;
}

const char *vx_domain_name(const struct vx_doc *d)
{
	static char name[VX_NAME_BUF];
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	xmlNodePtr n = child(root, NULL, "name");
	char *v;
	bool ok;

	if (!n) {
		vx_xerr(d, root, "the domain has no <name>");
		return NULL;
	}
	v = text_of(n);
	ok = vx_vm_name_ok(v);
	if (ok)
		snprintf(name, sizeof(name), "%s", v);
	else
		vx_xerr(d, n, "domain name '%s' cannot be a vnplugd VM name "
			"(1 to 64 letters, digits, '_', '.' or '-', starting "
			"with a letter or digit): rename the domain", v);
	xmlFree(v);
	return ok ? name : NULL;
}

/* ---- <qemu:commandline> ----------------------------------------------- */

/* Does QEMU option string @opts ("socket,id=x,path=...") set @key? */
static const char *opt_value(const char *opts, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	const char *p = opts, *e;

	while (p && *p) {
		e = strchr(p, ',');
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			p += kl + 1;
			*len = e ? (size_t)(e - p) : strlen(p);
			return p;
		}
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

static bool opt_is(const char *opts, const char *key, const char *val)
{
	size_t len;
	const char *v = opt_value(opts, key, &len);

	return v && len == strlen(val) && !strncmp(v, val, len);
}

static bool is_ctrl_device(const char *v)
{
	return !strncmp(v, "vnplug-ctrl", 11) && (!v[11] || v[11] == ',');
}

#define MAX_ARGS 4096

struct args {
	xmlNodePtr node[MAX_ARGS];
	char *value[MAX_ARGS];
	bool vnplug[MAX_ARGS];
	unsigned int n;
};

/* The <qemu:arg> elements of every <qemu:commandline>, in order. */
static int args_collect(const struct vx_doc *d, xmlNodePtr root,
			struct args *a)
{
	xmlNodePtr cl, c;

	a->n = 0;
	for (cl = root->children; cl; cl = cl->next) {
		if (!is_el(cl, VX_QEMU_NS, "commandline"))
			continue;
		for (c = cl->children; c; c = c->next) {
			if (!is_el(c, VX_QEMU_NS, "arg"))
				continue;
			if (a->n == MAX_ARGS) {
				vx_xerr(d, c, "more than %d <qemu:arg>",
					MAX_ARGS);
				return -1;
			}
			a->node[a->n] = c;
			a->value[a->n] = prop(c, "value");
			if (!a->value[a->n])
				a->value[a->n] = (char *)xmlStrdup(BAD_CAST "");
			a->vnplug[a->n] = false;
			a->n++;
		}
	}
	return 0;
}

/* args_collect() into a new struct args; NULL (said why) on error. */
static struct args *args_load(const struct vx_doc *d, xmlNodePtr root)
{
	struct args *a = calloc(1, sizeof(*a));

	if (!a) {
		vx_err("out of memory");
		return NULL;
	}
	if (args_collect(d, root, a) < 0) {
		free(a);
		return NULL;
	}
	return a;
}

static void args_free(struct args *a)
{
	unsigned int i;

	for (i = 0; i < a->n; i++)
		xmlFree(a->value[i]);
	free(a);
}

/*
 * Mark vnplug's arguments: "-device vnplug-ctrl,..." and the "-chardev"
 * with its chardev's id (or vnplug-virt's id). Returns how many devices.
 */
static unsigned int args_mark(struct args *a)
{
	unsigned int i, j, devices = 0;
	const char *id;
	size_t idlen;

	for (i = 0; i + 1 < a->n; i++) {
		if (strcmp(a->value[i], "-device") ||
		    !is_ctrl_device(a->value[i + 1]))
			continue;
		a->vnplug[i] = a->vnplug[i + 1] = true;
		devices++;
		id = opt_value(a->value[i + 1], "chardev", &idlen);
		for (j = 0; id && j + 1 < a->n; j++) {
			size_t l;
			const char *v;

			if (strcmp(a->value[j], "-chardev"))
				continue;
			v = opt_value(a->value[j + 1], "id", &l);
			if (v && l == idlen && !strncmp(v, id, l))
				a->vnplug[j] = a->vnplug[j + 1] = true;
		}
	}
	for (j = 0; j + 1 < a->n; j++)
		if (!strcmp(a->value[j], "-chardev") &&
		    opt_is(a->value[j + 1], "id", VX_CHARDEV_ID))
			a->vnplug[j] = a->vnplug[j + 1] = true;
	return devices;
}

/*
 * Remove vnplug's arguments; *anchor is what preceded the first of them
 * in @first (the commandline new ones go to), or @first's last content if
 * there were none there. Empty commandlines other than @first go.
 */
static bool args_remove(struct args *a, xmlNodePtr first, xmlNodePtr *anchor)
{
	bool found = false, any = false;
	xmlNodePtr cl;
	unsigned int i;

	for (i = 0; i < a->n; i++) {
		if (!a->vnplug[i])
			continue;
		if (anchor && !found && a->node[i]->parent == first) {
			*anchor = prev_content(a->node[i]);
			found = true;
		}
		cl = a->node[i]->parent;
		remove_node(a->node[i]);
		a->node[i] = NULL;
		any = true;
		if (cl != first)
			remove_if_empty(cl);
	}
	if (anchor && !found)
		*anchor = first ? last_content(first) : NULL;
	return any;
}

/* ---- attach ----------------------------------------------------------- */

static bool is_i440fx(const char *m)
{
	return !strcmp(m, "pc") || !strncmp(m, "pc-i440fx-", 10) ||
	       (!strncmp(m, "pc-", 3) && isdigit((unsigned char)m[3]));
}

static int check_os(const struct vx_doc *d, xmlNodePtr root,
		    xmlNodePtr *type_out)
{
	xmlNodePtr os = child(root, NULL, "os"), type = child(os, NULL, "type");
	char *v, *arch;
	int ret = 0;

	if (!type) {
		vx_xerr(d, os ? os : root, "the domain has no <os><type>: "
			"libvirt needs <os><type>hvm</type></os> for a QEMU "
			"domain");
		return -1;
	}
	v = text_of(type);
	arch = prop(type, "arch");
	if (strcmp(v, "hvm")) {
		vx_xerr(d, type, "<os><type>%s</type>: vnplug needs a full "
			"virtual machine (hvm)", v);
		ret = -1;
	} else if (arch && strcmp(arch, "x86_64") && strcmp(arch, "i686")) {
		vx_xerr(d, type, "arch '%s': vnplug's QEMU is "
			"qemu-system-x86_64 (x86_64 or i686 guests)", arch);
		ret = -1;
	}
	xmlFree(v);
	xmlFree(arch);
	*type_out = type;
	return ret;
}

/* The ring devices are ACPI-hotplugged PCI devices of i440fx ("pc"). */
static void set_machine(const struct vx_doc *d, xmlNodePtr type)
{
	char *m = prop(type, "machine");

	if (m && is_i440fx(m)) {
		xmlFree(m);
		return;
	}
	if (m)
		vx_xwarn(d, type, "machine '%s' replaced by 'pc': vnplug "
			 "hotplugs its ring devices with the ACPI PCI hotplug "
			 "of the i440fx machine%s", m, strstr(m, "q35") ?
			 " (q35 hotplugs into PCI Express root ports)" : "");
	xmlSetProp(type, BAD_CAST "machine", BAD_CAST "pc");
	xmlFree(m);
}

/*
 * A q35 domain's PCI Express controllers and the PCI addresses on them
 * are refused on "pc": --reset-pci removes them (libvirt assigns new
 * ones), else a warning says so.
 */
static void reset_pci(const struct vx_doc *d, xmlNodePtr devices, bool doit)
{
	unsigned int ctrls = 0, addrs = 0, pcie = 0;
	xmlNodePtr c, next, a, anext;
	xmlNodePtr first_pcie = NULL;
	char *type, *model;

	for (c = devices->children; c; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		type = prop(c, "type");
		model = prop(c, "model");
		if (is_el(c, NULL, "controller") && type &&
		    !strcmp(type, "pci")) {
			if (model && !strncmp(model, "pcie-", 5)) {
				pcie++;
				if (!first_pcie)
					first_pcie = c;
			}
			if (doit) {
				remove_node(c);
				ctrls++;
				c = NULL;
			}
		}
		xmlFree(type);
		xmlFree(model);
		for (a = c ? c->children : NULL; doit && a; a = anext) {
			anext = a->next;
			if (!is_el(a, NULL, "address"))
				continue;
			type = prop(a, "type");
			if (type && !strcmp(type, "pci")) {
				remove_node(a);
				addrs++;
			}
			xmlFree(type);
		}
	}
	if (doit && (ctrls || addrs))
		vx_xwarn(d, devices, "--reset-pci: removed %u PCI controller%s "
			 "and %u PCI address%s: libvirt lays them out again",
			 ctrls, ctrls == 1 ? "" : "s", addrs,
			 addrs == 1 ? "" : "es");
	else if (!doit && pcie)
		vx_xwarn(d, first_pcie, "%u PCI Express controller%s, which "
			 "libvirt refuses on machine 'pc': run again with "
			 "--reset-pci, or remove the <controller type='pci'> "
			 "elements and the devices' <address type='pci'/>",
			 pcie, pcie == 1 ? "" : "s");
}

static void set_text(xmlNodePtr n, const char *text)
{
	xmlNodePtr c;

	while ((c = n->children)) {
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
	xmlAddChild(n, xmlNewDocText(n->doc, BAD_CAST text));
}

static const char *const after_metadata[] = {
	"name", "uuid", "genid", "title", "description", NULL
};
static const char *const after_features[] = { "os", "idmap", NULL };
static const char *const after_devices[] = {
	"os", "idmap", "features", "cpu", "clock", "on_poweroff", "on_reboot",
	"on_crash", "on_lockfailure", "pm", "perf", NULL
};

static void attach_devices(const struct layout *l, xmlNodePtr root,
			   const struct vx_attach_opts *o)
{
	xmlNodePtr features, devices, emu;

	features = child(root, NULL, "features");
	if (!features)
		features = add_domain_child(l, root, "features",
					    after_features);
	if (!child(features, NULL, "acpi"))
		insert_after(l, features, NULL,
			     new_el(root->doc, NULL, "acpi", NULL));
	devices = child(root, NULL, "devices");
	if (!devices)
		devices = add_domain_child(l, root, "devices", after_devices);
	emu = child(devices, NULL, "emulator");
	if (emu)
		set_text(emu, o->emulator);
	else
		insert_after(l, devices, NULL,
			     new_el(root->doc, NULL, "emulator", o->emulator));
}

static void attach_metadata(const struct layout *l, xmlNodePtr root,
			    const struct vx_vm *vm)
{
	static const char *const keys[] = {
		"interfaces", "max_rings", "max_ring_memory", "socket_user",
		"socket_group",
	};
	const char *vals[] = {
		vm->interfaces, vm->max_rings, vm->max_ring_memory,
		vm->socket_user, vm->socket_group,
	};
	xmlNodePtr md = child(root, NULL, "metadata"), c, next, anchor = NULL;
	xmlNodePtr v;
	xmlNsPtr ns;
	bool found = false;
	unsigned int i;

	if (!md)
		md = add_domain_child(l, root, "metadata", after_metadata);
	for (c = md->children; c; c = next) {
		next = c->next;
		if (!is_el(c, VX_VNPLUG_NS, "vnplug"))
			continue;
		if (!found)
			anchor = prev_content(c);
		found = true;
		remove_node(c);
	}
	if (!found)
		anchor = last_content(md);
	v = new_el(root->doc, NULL, "vnplug", NULL);
	ns = xmlNewNs(v, BAD_CAST VX_VNPLUG_NS, BAD_CAST "vnplug");
	xmlSetNs(v, ns);
	insert_after(l, md, anchor, v);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		append(l, v, new_el(root->doc, ns, keys[i], vals[i]));
}

static int attach_args(const struct vx_doc *d, const struct layout *l,
		       xmlNodePtr root, const struct vx_vm *vm)
{
	xmlNodePtr cl = child(root, VX_QEMU_NS, "commandline"), anchor, n;
	char chardev[256];
	const char *vals[4];
	struct args *a;
	xmlNsPtr ns;
	unsigned int i;

	a = args_load(d, root);
	if (!a)
		return -1;
	args_mark(a);
	args_remove(a, cl, &anchor);
	args_free(a);
	if (cl) {
		ns = cl->ns;
	} else {
		ns = xmlSearchNsByHref(root->doc, root, BAD_CAST VX_QEMU_NS);
		if (!ns)
			ns = xmlNewNs(root, BAD_CAST VX_QEMU_NS,
				      BAD_CAST "qemu");
		if (!ns) {
			vx_xerr(d, root, "prefix 'qemu' is taken by another "
				"namespace than %s", VX_QEMU_NS);
			return -1;
		}
		/* libvirt writes namespaced elements last. */
		cl = xmlNewDocNode(root->doc, ns, BAD_CAST "commandline", NULL);
		append(l, root, cl);
		anchor = NULL;
	}
	snprintf(chardev, sizeof(chardev), "socket,id=%s,path=%s,reconnect=1",
		 VX_CHARDEV_ID, vm->socket);
	vals[0] = "-chardev";
	vals[1] = chardev;
	vals[2] = "-device";
	vals[3] = "vnplug-ctrl,chardev=" VX_CHARDEV_ID;
	for (i = 0; i < 4; i++) {
		n = new_el(root->doc, ns, "arg", NULL);
		xmlSetProp(n, BAD_CAST "value", BAD_CAST vals[i]);
		insert_after(l, cl, anchor, n);
		anchor = n;
	}
	return 0;
}

static const char *const attach_fields[7] = {
	"<name>", "socket path (--socket-dir + <name> + .sock)",
	"--interfaces", "--max-rings", "--max-ring-memory",
	"--socket-owner USER", "--socket-owner GROUP",
};

int vx_attach(struct vx_doc *d, struct vx_attach_opts *o)
{
	xmlNodePtr root = domain_root(d), type, devices;
	struct layout l;
	const char *name;
	struct stat st;
	size_t dirlen;

	if (!root || !(name = vx_domain_name(d)) || check_os(d, root, &type))
		return -1;
	free(o->vm.name);
	free(o->vm.socket);
	o->vm.name = strdup(name);
	/* "/run/vnplug/" names the same directory: one '/' */
	dirlen = strlen(o->socket_dir);
	while (dirlen > 1 && o->socket_dir[dirlen - 1] == '/')
		dirlen--;
	if (!o->vm.name || asprintf(&o->vm.socket, "%.*s/%s.sock",
				    (int)dirlen, o->socket_dir, name) < 0) {
		o->vm.socket = NULL;
		vx_err("out of memory");
		return -1;
	}
	if (vx_vm_check(&o->vm, attach_fields, d->name) < 0)
		return -1;
	if (o->emulator[0] != '/' || !vx_value_ok(o->emulator)) {
		vx_err("--emulator '%s': expected an absolute path on one line",
		       o->emulator);
		return -1;
	}
	if (stat(o->emulator, &st) < 0)
		vx_warn("--emulator %s does not exist (yet): libvirt will "
			"refuse the domain until it does (host/qemu-vnplug/"
			"build.sh makes it)", o->emulator);

	layout_init(&l, root);
	set_machine(d, type);
	attach_devices(&l, root, o);
	devices = child(root, NULL, "devices");
	reset_pci(d, devices, o->reset_pci);
	attach_metadata(&l, root, &o->vm);
	return attach_args(d, &l, root, &o->vm);
}

/* ---- detach ----------------------------------------------------------- */

static bool ns_used(xmlNodePtr n, xmlNsPtr ns)
{
	xmlAttrPtr a;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns == ns)
			return true;
		for (a = n->properties; a; a = a->next)
			if (a->ns == ns)
				return true;
		if (ns_used(n->children, ns))
			return true;
	}
	return false;
}

/* Drop the root's qemu namespace declaration once nothing uses it. */
static void drop_unused_ns(xmlNodePtr root, const char *href)
{
	xmlNsPtr *pp, ns;

	for (pp = &root->nsDef; (ns = *pp); pp = &ns->next) {
		if (!ns->href || strcmp((const char *)ns->href, href))
			continue;
		if (ns_used(root, ns))
			return;
		*pp = ns->next;
		ns->next = NULL;
		xmlFreeNs(ns);
		return;
	}
}

int vx_detach(struct vx_doc *d, bool *changed)
{
	xmlNodePtr root = domain_root(d), md, c, next;
	bool md_changed = false;
	struct args *a;

	*changed = false;
	if (!root)
		return -1;
	a = args_load(d, root);
	if (!a)
		return -1;
	args_mark(a);
	*changed = args_remove(a, NULL, NULL);
	args_free(a);
	md = child(root, NULL, "metadata");
	for (c = md ? md->children : NULL; c; c = next) {
		next = c->next;
		if (is_el(c, VX_VNPLUG_NS, "vnplug")) {
			remove_node(c);
			md_changed = true;
		}
	}
	if (md_changed)
		remove_if_empty(md);
	if (*changed)
		drop_unused_ns(root, VX_QEMU_NS);
	*changed = *changed || md_changed;
	return 0;
}

/* ---- for the hook ----------------------------------------------------- */

/* A vnplug-ctrl chardev QEMU connects with, to a path vnplugd can have. */
static int check_chardev(const struct vx_doc *d, xmlNodePtr at,
			 const char *v, const char **path, size_t *plen)
{
	size_t l;

	if (strncmp(v, "socket,", 7)) {
		vx_xerr(d, at, "the vnplug-ctrl chardev is not a socket: %s",
			v);
		return -1;
	}
	if (opt_value(v, "server", &l) || strstr(v, ",server,") ||
	    (strlen(v) > 7 && !strcmp(v + strlen(v) - 7, ",server"))) {
		vx_xerr(d, at, "the vnplug-ctrl chardev listens (server): "
			"QEMU must connect to vnplugd's socket");
		return -1;
	}
	*path = opt_value(v, "path", plen);
	/* QEMU reads ",," as a comma: a path vnplugd cannot have */
	if (*path && (*path)[*plen] == ',' && (*path)[*plen + 1] == ',') {
		vx_xerr(d, at, "the vnplug-ctrl chardev's path has a comma, "
			"which vnplugd's socket paths cannot");
		return -1;
	}
	return 0;
}

/* The path of the chardev that vnplug-ctrl uses. */
static int read_socket(const struct vx_doc *d, xmlNodePtr root,
		       struct vx_vm *vm)
{
	struct args *a;
	unsigned int i, devices = 0, j;
	const char *id, *v, *path = NULL;
	size_t idlen, l, plen = 0;
	xmlNodePtr at = root;
	int ret = -1;

	a = args_load(d, root);
	if (!a)
		return -1;
	for (i = 0; i + 1 < a->n; i++) {
		if (strcmp(a->value[i], "-device") ||
		    !is_ctrl_device(a->value[i + 1]))
			continue;
		devices++;
		at = a->node[i + 1];
		id = opt_value(a->value[i + 1], "chardev", &idlen);
		for (j = 0; id && j + 1 < a->n; j++) {
			if (strcmp(a->value[j], "-chardev"))
				continue;
			v = opt_value(a->value[j + 1], "id", &l);
			if (!v || l != idlen || strncmp(v, id, l))
				continue;
			at = a->node[j + 1];
			if (check_chardev(d, at, a->value[j + 1], &path,
					  &plen) < 0)
				goto out;
		}
	}
	if (devices != 1 || !path) {
		vx_xerr(d, at, "the domain has vnplug metadata but %s: run "
			"vnplug-virt attach on it again", devices > 1 ?
			"more than one -device vnplug-ctrl" : !devices ?
			"no -device vnplug-ctrl in <qemu:commandline>" :
			"no -chardev socket with a path for its vnplug-ctrl");
		goto out;
	}
	vm->socket = strndup(path, plen);
	ret = vm->socket ? 0 : -1;
out:
	args_free(a);
	return ret;
}

/* The vnplug metadata element; NULL if none, or after a message. */
static xmlNodePtr vnplug_md(const struct vx_doc *d, xmlNodePtr root,
			    bool *err)
{
	xmlNodePtr md = child(root, NULL, "metadata"), c, v = NULL;

	*err = false;
	for (c = md ? md->children : NULL; c; c = c->next) {
		if (!is_el(c, VX_VNPLUG_NS, "vnplug"))
			continue;
		if (v) {
			vx_xerr(d, c, "a second vnplug metadata element");
			*err = true;
			return NULL;
		}
		v = c;
	}
	return v;
}

int vx_vnplug_name(const struct vx_doc *d, const char **name)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc);
	bool err;

	if (!is_el(root, NULL, "domain")) {
		domain_root(d);		/* says why */
		return -1;
	}
	if (!vnplug_md(d, root, &err))
		return err ? -1 : 1;
	if (!domain_root(d))
		return -1;
	*name = vx_domain_name(d);
	return *name ? 0 : -1;
}

int vx_read_vnplug(const struct vx_doc *d, struct vx_vm *vm)
{
	static const char *const keys[] = {
		"interfaces", "max_rings", "max_ring_memory", "socket_user",
		"socket_group",
	};
	char **dst[] = {
		&vm->interfaces, &vm->max_rings, &vm->max_ring_memory,
		&vm->socket_user, &vm->socket_group,
	};
	xmlNodePtr root, v, c;
	const char *name;
	unsigned int i;
	char *t, *s, *o;
	bool err;
	int ret;

	memset(vm, 0, sizeof(*vm));
	ret = vx_vnplug_name(d, &name);
	if (ret)
		return ret;
	root = xmlDocGetRootElement(d->doc);
	v = vnplug_md(d, root, &err);
	vm->name = strdup(name);
	if (!vm->name)
		goto fail;
	for (c = v->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (is_el(c, VX_VNPLUG_NS, keys[i]))
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			vx_xerr(d, c, "unknown element <%s> in the vnplug "
				"metadata (%s)", (const char *)c->name,
				VX_VNPLUG_NS);
			goto fail;
		}
		if (*dst[i]) {
			vx_xerr(d, c, "<%s> twice in the vnplug metadata",
				keys[i]);
			goto fail;
		}
		t = text_of(c);
		/* interfaces: one space between patterns, as attach writes */
		if (i == 0) {
			for (s = o = t; *s; s++) {
				if (!isspace((unsigned char)*s))
					*o++ = *s;
				else if (!isspace((unsigned char)s[1]))
					*o++ = ' ';
			}
			*o = '\0';
		}
		*dst[i] = strdup(t);
		xmlFree(t);
		if (!*dst[i])
			goto fail;
	}
	if (read_socket(d, root, vm) < 0)
		goto fail;
	return 0;
fail:
	vx_vm_free(vm);
	return -1;
}
