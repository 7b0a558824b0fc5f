// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnplug-virt: the libvirt side of vnplug. attach/detach edit a domain's
 * XML, xml prints the pieces, hook is libvirt's qemu hook that hands a
 * starting domain to vnplugd, hostdev and vfio-steps help with the PCI
 * passthrough comparison. Exit status: 0 done, 1 error, 2 usage.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "virt.h"

#ifndef VNPLUG_VIRT_VERSION
#define VNPLUG_VIRT_VERSION "unknown"
#endif

const char *vx_prog = "vnplug-virt";

/* ---- messages --------------------------------------------------------- */

static void vmsg(const char *kind, const char *where, long line,
		 const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void vmsg(const char *kind, const char *where, long line,
		 const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", vx_prog, kind);
	if (where && line > 0)
		fprintf(stderr, "%s:%ld: ", where, line);
	else if (where)
		fprintf(stderr, "%s: ", where);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void vx_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", NULL, 0, fmt, ap);
	va_end(ap);
}

void vx_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", NULL, 0, fmt, ap);
	va_end(ap);
}

void vx_xerr(const struct vx_doc *d, xmlNodePtr node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", d->name, node ? xmlGetLineNo(node) : 0, fmt, ap);
	va_end(ap);
}

void vx_xwarn(const struct vx_doc *d, xmlNodePtr node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", d->name, node ? xmlGetLineNo(node) : 0, fmt, ap);
	va_end(ap);
}

/* ---- usage ------------------------------------------------------------ */

#define VALUE_OPTS \
	"  -e, --emulator PATH        the patched QEMU (default\n" \
	"                             " VX_DEFAULT_EMULATOR ")\n" \
	"  -s, --socket-dir DIR       vnplugd's socket is DIR/NAME.sock " \
	"(default " VX_DEFAULT_SOCKET_DIR ")\n" \
	"  -I, --interfaces LIST      host interfaces the guest may capture " \
	"(required):\n" \
	"                             \"eth1 eth2@* ens*@[0-3]\", as " \
	"vnplugd.conf's interfaces;\n" \
	"                             '' allows none\n" \
	"      --max-rings N          rings at once (default " \
	VX_DEFAULT_MAX_RINGS ")\n" \
	"      --max-ring-memory SIZE their bytes, K/M/G/T suffixes " \
	"(default " VX_DEFAULT_MAX_RING_MEMORY ")\n" \
	"      --socket-owner USER:GROUP  the socket's owner, QEMU's user " \
	"and group\n" \
	"                             (default " VX_DEFAULT_USER ":" \
	VX_DEFAULT_GROUP ")\n"

static void usage_main(FILE *out)
{
	fprintf(out,
		"Usage: vnplug-virt COMMAND [OPTION]... [ARG]...\n"
		"Puts vnplug (vPF_RING's host rings) into libvirt domains.\n\n"
		"Commands:\n"
		"  attach [FILE|-]        add the vnplug pieces to a domain "
		"XML\n"
		"  detach [FILE|-]        remove them\n"
		"  xml --name NAME ...    print the pieces, to merge by hand "
		"(virsh edit)\n"
		"  hook DOMAIN OP SUBOP EXTRA\n"
		"                         libvirt's qemu hook: hands a "
		"starting domain to vnplugd\n"
		"  hostdev PCI_ADDR       print a <hostdev> giving a guest a "
		"whole NIC (vfio-pci)\n"
		"  vfio-steps PCI_ADDR    print the commands that bind a NIC "
		"to vfio-pci\n\n"
		"  -h, --help             this text; COMMAND --help: the "
		"command's options\n"
		"  -V, --version          print the version\n\n"
		"Exit status: 0 done, 1 error, 2 usage error. See "
		"vnplug-virt(8).\n");
}

static void usage_attach(FILE *out)
{
	fprintf(out,
		"Usage: vnplug-virt attach --interfaces LIST [OPTION]... "
		"[FILE|-]\n"
		"Reads a libvirt domain XML (FILE, or standard input) and "
		"writes it with\nthe vnplug pieces added, nothing else "
		"changed: <emulator>, machine 'pc'\n(i440fx: the ring devices "
		"are ACPI-hotplugged), <acpi/>, the vnplug chardev\nand "
		"device in <qemu:commandline>, and the domain's vnplugd "
		"settings in\n<metadata> (%s).\nPieces already there are "
		"replaced: attaching twice gives what attaching once\n"
		"does.\n\n"
		"  -o, --output FILE          write FILE (default: standard "
		"output)\n"
		"  -i, --in-place             replace the input FILE\n"
		VALUE_OPTS
		"      --reset-pci            remove the PCI controllers and "
		"the devices' PCI\n"
		"                             addresses (converting a q35 "
		"domain: libvirt lays\n"
		"                             them out again for 'pc')\n"
		"  -h, --help                 this text\n", VX_VNPLUG_NS);
}

static void usage_detach(FILE *out)
{
	fprintf(out,
		"Usage: vnplug-virt detach [-o FILE | -i] [FILE|-]\n"
		"Removes what attach added to a domain XML: the vnplug "
		"chardev and device of\n<qemu:commandline> and the vnplug "
		"metadata (and the elements and namespace\ndeclaration left "
		"empty by that). <emulator>, the machine type and <acpi/>\n"
		"stay as they are: the domain still runs on the patched QEMU, "
		"without vnplug.\n\n"
		"  -o, --output FILE   write FILE (default: standard output)\n"
		"  -i, --in-place      replace the input FILE\n"
		"  -h, --help          this text\n");
}

static void usage_xml(FILE *out)
{
	fprintf(out,
		"Usage: vnplug-virt xml --name NAME --interfaces LIST "
		"[OPTION]...\n"
		"Prints the pieces attach adds, as a domain skeleton, for "
		"merging by hand\n(virsh edit NAME).\n\n"
		"  -n, --name NAME            the domain's name (the vnplugd "
		"VM name)\n"
		VALUE_OPTS
		"  -h, --help                 this text\n");
}

static void usage_hook(FILE *out)
{
	fprintf(out,
		"Usage: vnplug-virt hook [-c VNPLUGD_CONF] DOMAIN OP SUBOP "
		"EXTRA\n"
		"libvirt's qemu hook (/etc/libvirt/hooks/qemu.d/vnplug), "
		"the domain XML on\nstandard input. For a domain with vnplug "
		"metadata, OP prepare (and reconnect)\nwrites "
		"INCLUDE_DIR/libvirt-DOMAIN.conf, checked against vnplugd's "
		"whole\nconfiguration first, and waits up to 5 s for vnplugd "
		"to create the socket;\nrelease removes the file. INCLUDE_DIR "
		"is vnplugd.conf's [global] include_dir.\nOther domains and "
		"operations: nothing.\n\n"
		"  -c, --config FILE   vnplugd's configuration (default %s)\n"
		"  -h, --help          this text\n", VX_DEFAULT_VNPLUGD_CONF);
}

static void usage_hostdev(FILE *out)
{
	fprintf(out,
		"Usage: vnplug-virt hostdev [--managed yes|no] PCI_ADDR\n"
		"Prints the <hostdev> that gives a domain the host's PCI "
		"device PCI_ADDR\n([DDDD:]BB:SS.F, as lspci -D shows it) "
		"through vfio-pci: PCI passthrough,\nthe comparison to "
		"vPF_RING (the guest owns the NIC; the host sees nothing).\n\n"
		"      --managed yes|no   yes (default): libvirt binds the "
		"device to vfio-pci\n"
		"                         when the domain starts and gives it "
		"back after; no:\n"
		"                         bind it yourself (vnplug-virt "
		"vfio-steps)\n"
		"  -h, --help             this text\n");
}

static void usage_vfio(FILE *out)
{
	fprintf(out,
		"Usage: vnplug-virt vfio-steps PCI_ADDR\n"
		"Prints, without running them, the shell commands that bind "
		"the host's PCI\ndevice PCI_ADDR to vfio-pci on a host with an "
		"IOMMU, and those that undo it.\n\n"
		"  -h, --help   this text\n");
}

/* ---- options ---------------------------------------------------------- */

enum {
	OPT_MAX_RINGS = 256,
	OPT_MAX_MEM,
	OPT_OWNER,
	OPT_RESET_PCI,
	OPT_MANAGED,
};

struct cmd_opts {
	const char *output;
	bool in_place;
	const char *name;
	const char *config;
	const char *interfaces;
	const char *owner;
	bool managed;
	struct vx_attach_opts a;
};

static const struct option attach_long[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "in-place", no_argument, NULL, 'i' },
	{ "name", required_argument, NULL, 'n' },
	{ "emulator", required_argument, NULL, 'e' },
	{ "socket-dir", required_argument, NULL, 's' },
	{ "interfaces", required_argument, NULL, 'I' },
	{ "max-rings", required_argument, NULL, OPT_MAX_RINGS },
	{ "max-ring-memory", required_argument, NULL, OPT_MAX_MEM },
	{ "socket-owner", required_argument, NULL, OPT_OWNER },
	{ "reset-pci", no_argument, NULL, OPT_RESET_PCI },
	{ "config", required_argument, NULL, 'c' },
	{ "managed", required_argument, NULL, OPT_MANAGED },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct command {
	const char *name;
	const char *shortopts;
	const int *allowed;	/* long options without a short one */
	void (*usage)(FILE *out);
	int (*run)(struct cmd_opts *o, int argc, char **argv);
	int min_args, max_args;
};

static bool allowed(const int *list, int c)
{
	for (; list && *list; list++)
		if (*list == c)
			return true;
	return false;
}

/* "eth1, eth2@*" -> "eth1 eth2@*", as vnplugd splits the list. */
static char *normalize_list(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	bool sep = false;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (strchr(" \t,", *s)) {
			sep = o > out;
			continue;
		}
		if (sep)
			*o++ = ' ';
		sep = false;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* Checks what only the command line can get wrong: 2 on a usage error. */
static int value_opts(struct cmd_opts *o, const char *cmd)
{
	struct vx_vm *vm = &o->a.vm;
	const char *colon;

	if (!o->interfaces) {
		fprintf(stderr, "%s %s: --interfaces is required (the host "
			"interfaces the guest may capture; '' for none)\n",
			vx_prog, cmd);
		return 2;
	}
	vm->interfaces = normalize_list(o->interfaces);
	if (o->owner) {
		colon = strchr(o->owner, ':');
		if (!colon || colon == o->owner || !colon[1] ||
		    strchr(colon + 1, ':')) {
			fprintf(stderr, "%s %s: --socket-owner '%s': expected "
				"USER:GROUP\n", vx_prog, cmd, o->owner);
			return 2;
		}
		vm->socket_user = strndup(o->owner, (size_t)(colon - o->owner));
		vm->socket_group = strdup(colon + 1);
	} else {
		vm->socket_user = strdup(VX_DEFAULT_USER);
		vm->socket_group = strdup(VX_DEFAULT_GROUP);
	}
	if (!vm->max_rings)
		vm->max_rings = strdup(VX_DEFAULT_MAX_RINGS);
	if (!vm->max_ring_memory)
		vm->max_ring_memory = strdup(VX_DEFAULT_MAX_RING_MEMORY);
	if (!vm->interfaces || !vm->socket_user || !vm->socket_group ||
	    !vm->max_rings || !vm->max_ring_memory) {
		vx_err("out of memory");
		return 1;
	}
	return 0;
}

/* ---- attach, detach, xml ---------------------------------------------- */

static int output(const struct vx_doc *d, const struct cmd_opts *o,
		  const char *input)
{
	if (o->in_place)
		return vx_doc_save(d, input, true) ? 1 : 0;
	if (o->output && strcmp(o->output, "-"))
		return vx_doc_save(d, o->output, false) ? 1 : 0;
	if (vx_doc_write(d, stdout) < 0) {
		vx_err("standard output: %s", strerror(errno));
		return 1;
	}
	return 0;
}

static int output_args(const struct cmd_opts *o, const char *cmd,
		       const char *input)
{
	if (o->in_place && o->output) {
		fprintf(stderr, "%s %s: -i and -o exclude each other\n",
			vx_prog, cmd);
		return 2;
	}
	if (o->in_place && !strcmp(input, "-")) {
		fprintf(stderr, "%s %s: -i needs a FILE, not standard "
			"input\n", vx_prog, cmd);
		return 2;
	}
	return 0;
}

static int load(struct vx_doc *d, const char *input)
{
	char *buf;
	size_t len;
	int ret;

	buf = vx_read_file(input, &len);
	if (!buf)
		return -1;
	ret = vx_doc_parse(d, strcmp(input, "-") ? input : "<stdin>", buf,
			   len);
	free(buf);
	return ret;
}

static int run_attach(struct cmd_opts *o, int argc, char **argv)
{
	const char *input = argc ? argv[0] : "-";
	struct vx_doc d;
	int ret;

	ret = output_args(o, "attach", input);
	if (!ret)
		ret = value_opts(o, "attach");
	if (ret)
		return ret;
	if (load(&d, input) < 0)
		return 1;
	ret = vx_attach(&d, &o->a) < 0 ? 1 : output(&d, o, input);
	vx_doc_free(&d);
	return ret;
}

static int run_detach(struct cmd_opts *o, int argc, char **argv)
{
	const char *input = argc ? argv[0] : "-";
	struct vx_doc d;
	bool changed;
	int ret;

	ret = output_args(o, "detach", input);
	if (ret)
		return ret;
	if (load(&d, input) < 0)
		return 1;
	ret = vx_detach(&d, &changed) < 0 ? 1 : output(&d, o, input);
	if (!ret && !changed)
		vx_warn("%s: no vnplug pieces to remove",
			strcmp(input, "-") ? input : "<stdin>");
	vx_doc_free(&d);
	return ret;
}

static int run_xml(struct cmd_opts *o, int argc, char **argv)
{
	struct vx_doc d;
	char *skel;
	int ret;

	if (!o->name) {
		fprintf(stderr, "%s xml: --name is required\n", vx_prog);
		return 2;
	}
	ret = value_opts(o, "xml");
	if (ret)
		return ret;
	/* Checked before it goes into XML text. */
	if (!vx_vm_name_ok(o->name)) {
		vx_err("--name '%s': not a vnplugd VM name (1 to 64 letters, "
		       "digits, '_', '.' or '-', starting with a letter or "
		       "digit)", o->name);
		return 1;
	}
	if (asprintf(&skel,
		     "<!-- vnplug-virt xml: the pieces vnplug-virt attach puts "
		     "into domain %s.\n"
		     "     Merge them into its XML (virsh edit %s); "
		     "see vnplug-virt(8). -->\n"
		     "<domain type='kvm'>\n"
		     "  <name>%s</name>\n"
		     "  <os>\n"
		     "    <type arch='x86_64' machine='pc'>hvm</type>\n"
		     "  </os>\n"
		     "</domain>\n", o->name, o->name, o->name) < 0) {
		vx_err("out of memory");
		return 1;
	}
	ret = vx_doc_parse(&d, "--name", skel, strlen(skel));
	free(skel);
	if (ret < 0)
		return 1;
	ret = vx_attach(&d, &o->a) < 0 ? 1 : output(&d, o, "-");
	vx_doc_free(&d);
	return ret;
}

/* ---- hook, hostdev, vfio-steps ---------------------------------------- */

static int run_hook(struct cmd_opts *o, int argc, char **argv)
{
	return vx_hook(o->config ? o->config : VX_DEFAULT_VNPLUGD_CONF,
		       argv[0], argv[1]) < 0 ? 1 : 0;
}

static int pci_arg(const char *cmd, const char *s, struct vx_pci_addr *a)
{
	if (vx_pci_parse(s, a) == 0)
		return 0;
	vx_err("%s: bad PCI address '%s' (expected [DDDD:]BB:SS.F in "
	       "hexadecimal, as lspci -D prints it: slot at most 1f, "
	       "function 0 to 7)", cmd, s);
	return 1;
}

static int run_hostdev(struct cmd_opts *o, int argc, char **argv)
{
	struct vx_pci_addr a;

	if (pci_arg("hostdev", argv[0], &a))
		return 1;
	vx_hostdev_print(&a, o->managed, stdout);
	return 0;
}

static int run_vfio(struct cmd_opts *o, int argc, char **argv)
{
	struct vx_pci_addr a;

	if (pci_arg("vfio-steps", argv[0], &a))
		return 1;
	vx_vfio_steps_print(&a, stdout);
	return 0;
}

static const int attach_only[] = {
	OPT_MAX_RINGS, OPT_MAX_MEM, OPT_OWNER, OPT_RESET_PCI, 0
};
static const int xml_only[] = { OPT_MAX_RINGS, OPT_MAX_MEM, OPT_OWNER, 0 };
static const int hostdev_only[] = { OPT_MANAGED, 0 };

static const struct command commands[] = {
	{ "attach", "o:ie:s:I:h", attach_only, usage_attach, run_attach,
	  0, 1 },
	{ "detach", "o:ih", NULL, usage_detach, run_detach, 0, 1 },
	{ "xml", "n:e:s:I:h", xml_only, usage_xml, run_xml, 0, 0 },
	{ "hook", "c:h", NULL, usage_hook, run_hook, 4, 4 },
	{ "hostdev", "h", hostdev_only, usage_hostdev, run_hostdev, 1, 1 },
	{ "vfio-steps", "h", NULL, usage_vfio, run_vfio, 1, 1 },
};

static int parse_cmd(const struct command *cmd, struct cmd_opts *o,
		     int argc, char **argv)
{
	int c, n;

	opterr = 0;
	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, cmd->shortopts, attach_long, NULL);
		if (c == -1)
			break;
		/* A long option of another command is unknown here. */
		if (c != '?' && c != ':' && c >= 256 &&
		    !allowed(cmd->allowed, c))
			c = '?';
		if (c < 256 && c != '?' && c != ':' &&
		    !strchr(cmd->shortopts, c))
			c = '?';
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'i':
			o->in_place = true;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'e':
			o->a.emulator = optarg;
			break;
		case 's':
			o->a.socket_dir = optarg;
			break;
		case 'I':
			o->interfaces = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case OPT_MAX_RINGS:
			free(o->a.vm.max_rings);
			o->a.vm.max_rings = strdup(optarg);
			break;
		case OPT_MAX_MEM:
			free(o->a.vm.max_ring_memory);
			o->a.vm.max_ring_memory = strdup(optarg);
			break;
		case OPT_OWNER:
			o->owner = optarg;
			break;
		case OPT_RESET_PCI:
			o->a.reset_pci = true;
			break;
		case OPT_MANAGED:
			if (strcmp(optarg, "yes") && strcmp(optarg, "no")) {
				fprintf(stderr, "%s %s: --managed '%s': "
					"expected yes or no\n", vx_prog,
					cmd->name, optarg);
				return 2;
			}
			o->managed = !strcmp(optarg, "yes");
			break;
		case 'h':
			cmd->usage(stdout);
			return 0;
		default:
			fprintf(stderr, "%s %s: bad option '%s' (unknown "
				"here, or its value is missing)\n", vx_prog,
				cmd->name, argv[optind - 1]);
			fprintf(stderr, "Try 'vnplug-virt %s --help'.\n",
				cmd->name);
			return 2;
		}
	}
	n = argc - optind;
	if (n < cmd->min_args || n > cmd->max_args) {
		if (n > cmd->max_args)
			fprintf(stderr, "%s %s: unexpected argument '%s'\n",
				vx_prog, cmd->name,
				argv[optind + cmd->max_args]);
		else
			fprintf(stderr, "%s %s: missing argument%s\n",
				vx_prog, cmd->name,
				cmd->min_args > 1 ? "s" : "");
		cmd->usage(stderr);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct cmd_opts o = {
		.managed = true,
		.a = {
			.emulator = VX_DEFAULT_EMULATOR,
			.socket_dir = VX_DEFAULT_SOCKET_DIR,
		},
	};
	const struct command *cmd = NULL;
	unsigned int i;
	int ret;

	if (argc < 2) {
		usage_main(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("vnplug-virt %s\n", VNPLUG_VIRT_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "%s: unknown command '%s' (attach, detach, "
			"xml, hook, hostdev, vfio-steps; --help)\n", vx_prog,
			argv[1]);
		return 2;
	}
	ret = parse_cmd(cmd, &o, argc - 1, argv + 1);
	if (ret < 0)
		ret = cmd->run(&o, argc - 1 - optind, argv + 1 + optind);
	vx_vm_free(&o.a.vm);
	xmlCleanupParser();
	return ret;
}
