// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnplugd's configuration parser (host/backend/conf.c): good files with
 * and without defaults, the interface lookup, every kind of bad input
 * giving an error that names the file and line, and include_dir: which
 * files it reads and in what order, what they may hold, and errors that
 * name both places of a clash.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "check_main.h"

static char err[512];

static int parse(struct vnp_conf *c, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	ck_assert_ptr_nonnull(f);
	err[0] = '\0';
	ret = vnp_conf_parse(c, "t.conf", f, 0, err, sizeof(err));
	fclose(f);
	return ret;
}

START_TEST(full_file)
{
	static const char text[] =
		"# vnplugd test configuration\n"
		"\n"
		"[global]\n"
		"  socket_dir = /tmp/vnp   # trailing comment\n"
		"ping_interval=2\n"
		"guest_timeout = 7\n"
		"log_level = debug\n"
		"[ vm  web-1 ]\n"
		"socket = /var/run/x#1.sock\n"
		"interfaces = eth0, eth1@2 veth*\n"
		"max_rings = 3\n"
		"max_ring_memory = 64K\n"
		"socket_user = root\n"
		"socket_group = 0\n"
		"socket_mode = 0600\n"
		"[vm db.2]\n"
		"max_ring_memory = 2g\n"
		"interfaces =\n";
	struct vnp_conf c;
	const struct vnp_vm_conf *v;

	ck_assert_int_eq(parse(&c, text), 0);
	ck_assert_str_eq(c.global.socket_dir, "/tmp/vnp");
	ck_assert_uint_eq(c.global.ping_interval, 2);
	ck_assert_uint_eq(c.global.guest_timeout, 7);
	ck_assert_int_eq(c.global.log_level, VNP_LOG_DEBUG);
	ck_assert_uint_eq(c.n_vms, 2);
	v = &c.vms[0];
	ck_assert_str_eq(v->name, "web-1");
	ck_assert_uint_eq(v->line, 8);
	ck_assert_str_eq(v->socket, "/var/run/x#1.sock");
	ck_assert_uint_eq(v->n_ifaces, 3);
	ck_assert_str_eq(v->ifaces[0].ifname, "eth0");
	ck_assert_ptr_null(v->ifaces[0].queue);
	ck_assert_str_eq(v->ifaces[1].ifname, "eth1");
	ck_assert_str_eq(v->ifaces[1].queue, "2");
	ck_assert_str_eq(v->ifaces[2].ifname, "veth*");
	ck_assert_uint_eq(v->max_rings, 3);
	ck_assert_uint_eq(v->max_ring_memory, 65536);
	ck_assert_uint_eq(v->socket_uid, 0);
	ck_assert_uint_eq(v->socket_gid, 0);
	ck_assert_uint_eq(v->socket_mode, 0600);
	v = &c.vms[1];
	ck_assert_str_eq(v->name, "db.2");
	ck_assert_str_eq(v->socket, "/tmp/vnp/db.2.sock");
	ck_assert_uint_eq(v->max_ring_memory, 2ULL << 30);
	ck_assert_uint_eq(v->n_ifaces, 0);
	vnp_conf_free(&c);
}
END_TEST

START_TEST(defaults)
{
	struct vnp_conf c;
	const struct vnp_vm_conf *v;

	ck_assert_int_eq(parse(&c, "[vm a]\n"), 0);
	ck_assert_str_eq(c.global.socket_dir, "/run/vnplug");
	ck_assert_uint_eq(c.global.ping_interval, 5);
	ck_assert_uint_eq(c.global.guest_timeout, 15);
	ck_assert_int_eq(c.global.log_level, VNP_LOG_INFO);
	ck_assert_uint_eq(c.n_vms, 1);
	v = &c.vms[0];
	ck_assert_str_eq(v->socket, "/run/vnplug/a.sock");
	ck_assert_uint_eq(v->max_rings, 8);
	ck_assert_uint_eq(v->max_ring_memory, 256ULL << 20);
	ck_assert_uint_eq(v->socket_mode, 0660);
	ck_assert_uint_eq(v->socket_uid, (uid_t)-1);
	ck_assert_uint_eq(v->socket_gid, (gid_t)-1);
	ck_assert_uint_eq(v->n_ifaces, 0);
	ck_assert(!vnp_conf_may_use(v, "eth0", -1));
	vnp_conf_free(&c);
}
END_TEST

/* socket_dir applies to every VM without socket=, wherever it is set. */
START_TEST(socket_dir_after_vms)
{
	struct vnp_conf c;

	ck_assert_int_eq(parse(&c, "[vm a]\n[global]\nsocket_dir = /s\n"), 0);
	ck_assert_str_eq(c.vms[0].socket, "/s/a.sock");
	vnp_conf_free(&c);
}
END_TEST

START_TEST(may_use)
{
	struct vnp_conf c;
	const struct vnp_vm_conf *v;

	ck_assert_int_eq(parse(&c, "[vm a]\ninterfaces = eth0 eth1@2 veth* "
				   "ens[0-9]@[0-3] lo@*\n"), 0);
	v = &c.vms[0];
	ck_assert(vnp_conf_may_use(v, "eth0", -1));
	ck_assert(vnp_conf_may_use(v, "eth0", 5));
	ck_assert(!vnp_conf_may_use(v, "eth1", -1));
	ck_assert(vnp_conf_may_use(v, "eth1", 2));
	ck_assert(!vnp_conf_may_use(v, "eth1", 3));
	ck_assert(!vnp_conf_may_use(v, "eth1", 12));
	ck_assert(vnp_conf_may_use(v, "veth12", -1));
	ck_assert(vnp_conf_may_use(v, "ens5", 3));
	ck_assert(!vnp_conf_may_use(v, "ens5", 4));
	ck_assert(!vnp_conf_may_use(v, "ens5", -1));
	ck_assert(vnp_conf_may_use(v, "lo", 0));
	ck_assert(!vnp_conf_may_use(v, "lo", -1));
	ck_assert(!vnp_conf_may_use(v, "eth10", -1));
	ck_assert(!vnp_conf_may_use(v, "eth", 0));
	vnp_conf_free(&c);
}
END_TEST

struct bad_case {
	const char *text;
	const char *error;	/* must appear in the message */
};

/* clang-format off */
static const struct bad_case bad[] = {
	{ "[global]\nfoo = 1\n[vm a]\n", "t.conf:2: unknown key 'foo' in [global]" },
	{ "[vm a]\n\nsocket_path = /x\n", "t.conf:3: unknown key 'socket_path' in [vm a]" },
	{ "[global]\nping_interval = 5s\n[vm a]\n", "t.conf:2: ping_interval: bad number '5s'" },
	{ "[global]\nping_interval = 0\n[vm a]\n", "t.conf:2: ping_interval: bad number '0' (expected 1 to 3600)" },
	{ "[global]\nguest_timeout = -1\n[vm a]\n", "t.conf:2: guest_timeout: bad number" },
	{ "[vm a]\nmax_rings = 99999999999999999999\n", "t.conf:2: max_rings: bad number" },
	{ "[vm a]\nmax_ring_memory = 12X\n", "t.conf:2: max_ring_memory: bad size '12X'" },
	{ "[vm a]\nmax_ring_memory = M\n", "t.conf:2: max_ring_memory: bad size 'M'" },
	{ "[vm a]\nmax_ring_memory = 1MB\n", "t.conf:2: max_ring_memory: bad size '1MB'" },
	{ "[vm a]\nmax_ring_memory = 99999999999T\n", "t.conf:2: max_ring_memory: bad size" },
	{ "[vm a]\n[vm b]\n[vm a]\n", "t.conf:3: duplicate VM 'a' (first defined at line 1)" },
	{ "[vm a]\nsocket = /x/s\n[vm b]\nsocket = /x/s\n", "t.conf:4: vm b: duplicate socket path '/x/s' (also vm a, line 1)" },
	{ "[vm a]\n[vm b]\nsocket = /run/vnplug/a.sock\n", "t.conf:3: vm b: duplicate socket path" },
	{ "[vm a/b]\n", "t.conf:1: bad VM name 'a/b'" },
	{ "# c\n[vm -a]\n", "t.conf:2: bad VM name '-a'" },
	{ "[vm ]\n", "t.conf:1: unknown section [vm]" },
	{ "[vm a b]\n", "t.conf:1: bad VM name 'a b'" },
	{ "[vm a]\n[vm 0123456789012345678901234567890123456789012345678901234567890123456789]\n", "t.conf:2: bad VM name" },
	{ "ping_interval = 5\n[vm a]\n", "t.conf:1: 'ping_interval' outside a section" },
	{ "[gobal]\n", "t.conf:1: unknown section [gobal]" },
	{ "[global\n", "t.conf:1: bad section header" },
	{ "[global] x\n", "t.conf:1: bad section header" },
	{ "[global]\nping_interval\n", "t.conf:2: expected 'key = value'" },
	{ "[vm a]\nmax_rings = 1\nmax_rings = 2\n", "t.conf:3: duplicate key 'max_rings'" },
	{ "[vm a]\nsocket =\n", "t.conf:2: socket: empty value" },
	{ "[vm a]\nsocket_mode = 0800\n", "t.conf:2: socket_mode: bad mode '0800'" },
	{ "[vm a]\nsocket_mode = 01777\n", "t.conf:2: socket_mode: bad mode" },
	{ "[vm a]\nsocket_user = no-such-user-here\n", "t.conf:2: socket_user: unknown user 'no-such-user-here'" },
	{ "[vm a]\nsocket_group = no-such-group-here\n", "t.conf:2: socket_group: unknown group" },
	{ "[vm a]\nsocket = run/a.sock\n", "t.conf:2: socket: 'run/a.sock' is not an absolute path" },
	{ "[vm a]\nsocket = /01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\n", "t.conf:2: socket: path longer than 107 bytes" },
	{ "[global]\nsocket_dir = /0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456\n\n[vm vm-with-long-name]\n", "t.conf:4: vm vm-with-long-name: socket path" },
	{ "[vm a]\ninterfaces = eth0 eth1@x\n", "t.conf:2: interfaces: bad entry 'eth1@x'" },
	{ "[vm a]\ninterfaces = a/b\n", "t.conf:2: interfaces: bad entry 'a/b'" },
	{ "[vm a]\ninterfaces = @2\n", "t.conf:2: interfaces: bad entry '@2'" },
	{ "[vm a]\ninterfaces = eth0@1@2\n", "t.conf:2: interfaces: bad entry" },
	{ "[global]\nping_interval = 10\nguest_timeout = 5\n[vm a]\n", "t.conf:3: guest_timeout (5 s) is shorter than ping_interval (10 s)" },
	{ "[global]\nping_interval = 20\n[vm a]\n", "t.conf:2: guest_timeout (15 s) is shorter" },
	{ "[global]\nlog_level = loud\n[vm a]\n", "t.conf:2: log_level: unknown level 'loud'" },
	{ "[global]\n[global]\n", "t.conf:2: duplicate [global] section" },
	{ "[global]\n", "t.conf: no [vm NAME] section" },
	{ "", "t.conf: no [vm NAME] section" },
};
/* clang-format on */

#define N_BAD (int)(sizeof(bad) / sizeof(bad[0]))

START_TEST(bad_input)
{
	struct vnp_conf c;

	ck_assert_int_eq(parse(&c, bad[_i].text), -1);
	ck_assert_msg(strstr(err, bad[_i].error), "case %d: got \"%s\", "
		      "want \"%s\"", _i, err, bad[_i].error);
	ck_assert_uint_eq(c.n_vms, 0);
	ck_assert_ptr_null(c.vms);
}
END_TEST

START_TEST(long_line)
{
	size_t n = 5000;
	char *text = malloc(n + 32);
	struct vnp_conf c;

	ck_assert_ptr_nonnull(text);
	strcpy(text, "[vm a]\n# ");
	memset(text + 9, 'x', n);
	strcpy(text + 9 + n, "\n");
	ck_assert_int_eq(parse(&c, text), -1);
	ck_assert_str_eq(err, "t.conf:2: line longer than 4096 bytes");
	free(text);
}
END_TEST

START_TEST(missing_file)
{
	struct vnp_conf c;

	ck_assert_int_eq(vnp_conf_load(&c, "/nonexistent/vnplugd.conf", 0, err,
				       sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/vnplugd.conf: No such file or "
		      "directory");
	ck_assert_uint_eq(c.n_vms, 0);
}
END_TEST

START_TEST(summary)
{
	struct vnp_conf c;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(parse(&c, "[vm a]\ninterfaces = eth0 eth1@2\n"
				   "max_ring_memory = 1536K\n"), 0);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	vnp_conf_print(&c, f);
	fclose(f);
	ck_assert_str_eq(out,
		"t.conf: OK, 1 VM\n"
		"global: socket_dir=/run/vnplug include_dir=(none) "
		"ping_interval=5s guest_timeout=15s log_level=info\n"
		"vm a: socket=/run/vnplug/a.sock mode=0660 owner=(unchanged) "
		"group=(unchanged) max_rings=8 max_ring_memory=1536K "
		"interfaces=eth0 eth1@2 (from t.conf:1)\n");
	free(out);
	vnp_conf_free(&c);
}
END_TEST

/* ---- include_dir ----------------------------------------------------- */

/* A fresh directory per test: inc/ is include_dir, the main file beside. */
static char top[64], inc[128];

static void inc_setup(void)
{
	strcpy(top, "/tmp/vnplugd-conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(inc, sizeof(inc), "%s/inc", top);
	ck_assert_int_eq(mkdir(inc, 0755), 0);
}

/* Two levels are all the tests make. */
static void rm_tree(const char *dir, int depth)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0 && (errno == EISDIR || errno == EPERM) &&
		    depth > 0)
			rm_tree(path, depth - 1);
	}
	closedir(d);
	rmdir(dir);
}

static void inc_teardown(void)
{
	chmod(inc, 0755);
	rm_tree(top, 2);
}

/* put(DIR, NAME, TEXT): write a file of the test. */
static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* The main text, formatted (include_dir's path goes in it). */
static int parsef(struct vnp_conf *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int parsef(struct vnp_conf *c, const char *fmt, ...)
{
	static char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return parse(c, text);
}

/* Does @err read exactly "@inc/@name: @rest"? */
static void assert_err_in(const char *name, const char *rest)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s/%s%s", inc, name, rest);
	ck_assert_str_eq(err, want);
}

/* Byte order of names, whatever the locale or the directory's order. */
START_TEST(include_order)
{
	char file[512];
	struct vnp_conf c;

	put(inc, "b.conf", "[vm vb]\n");
	put(inc, "a.conf", "# first\n\n[vm va1]\n[vm va2]\nmax_rings = 1\n");
	put(inc, "B.conf", "[vm vB]\n");
	put(inc, "10.conf", "[vm v10]\n");
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s/\n"
				    "[vm main]\n", inc), 0);
	ck_assert_str_eq(c.global.include_dir, inc);
	ck_assert_uint_eq(c.global.include_dir_line, 2);
	ck_assert_uint_eq(c.n_included, 4);
	ck_assert(!c.include_missing);
	ck_assert_uint_eq(c.n_vms, 6);
	ck_assert_str_eq(c.vms[0].name, "main");
	ck_assert_str_eq(c.vms[0].file, "t.conf");
	ck_assert_uint_eq(c.vms[0].line, 3);
	ck_assert_str_eq(c.vms[1].name, "v10");
	ck_assert_str_eq(c.vms[2].name, "vB");
	ck_assert_str_eq(c.vms[3].name, "va1");
	ck_assert_str_eq(c.vms[4].name, "va2");
	ck_assert_str_eq(c.vms[5].name, "vb");
	snprintf(file, sizeof(file), "%s/a.conf", inc);
	ck_assert_str_eq(c.vms[4].file, file);
	ck_assert_uint_eq(c.vms[4].line, 4);
	ck_assert_uint_eq(c.vms[4].max_rings, 1);
	/* socket_dir of the main file, default paths for included VMs */
	ck_assert_str_eq(c.vms[5].socket, "/run/vnplug/vb.sock");
	vnp_conf_free(&c);
}
END_TEST

/*
 * Only "NAME.conf" regular files (or links to one): hidden files (a
 * hook's temporary), other suffixes, directories and FIFOs (which must
 * not block the parser) are skipped.
 */
START_TEST(include_skips)
{
	char path[512], target[512];
	struct vnp_conf c;

	put(inc, ".hidden.conf", "[vm hidden]\n");
	put(inc, ".libvirt-x.conf.tmp", "[vm tmp]\n");
	put(inc, "x.conf.tmp", "[vm tmp2]\n");
	put(inc, "x.conf~", "[vm backup]\n");
	put(inc, "README", "not a configuration\n");
	put(inc, "conf", "[vm bare]\n");
	snprintf(path, sizeof(path), "%s/dir.conf", inc);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/fifo.conf", inc);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	put(top, "elsewhere", "[vm linked]\n");
	snprintf(target, sizeof(target), "%s/elsewhere", top);
	snprintf(path, sizeof(path), "%s/link.conf", inc);
	ck_assert_int_eq(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/dangling.conf", inc);
	ck_assert_int_eq(symlink("/nonexistent/x", path), 0);
	put(inc, "y.conf", "[vm y]\n");
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n", inc), 0);
	ck_assert_uint_eq(c.n_vms, 2);
	ck_assert_str_eq(c.vms[0].name, "linked");
	ck_assert_str_eq(c.vms[1].name, "y");
	ck_assert_uint_eq(c.n_included, 2);
	ck_assert(!vnp_conf_included_name(".x.conf"));
	ck_assert(!vnp_conf_included_name(".conf"));
	ck_assert(!vnp_conf_included_name("x.conf.tmp"));
	ck_assert(!vnp_conf_included_name("x.CONF"));
	ck_assert(vnp_conf_included_name("x.conf"));
	ck_assert(vnp_conf_included_name("libvirt-web1.conf"));
	vnp_conf_free(&c);
}
END_TEST

START_TEST(include_global_refused)
{
	struct vnp_conf c;

	put(inc, "a.conf", "[vm a]\n[global]\nping_interval = 1\n");
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n", inc), -1);
	assert_err_in("a.conf", ":2: [global] in a file of include_dir: "
		      "these hold [vm NAME] sections only (global settings "
		      "go in t.conf)");
	ck_assert_uint_eq(c.n_vms, 0);
	ck_assert_ptr_null(c.vms);
}
END_TEST

/* Each file starts outside any section, whatever the last one ended in. */
START_TEST(include_key_outside_section)
{
	struct vnp_conf c;

	put(inc, "a.conf", "[vm a]\n");
	put(inc, "b.conf", "# the hook forgot the header\nmax_rings = 2\n");
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n", inc), -1);
	assert_err_in("b.conf", ":2: 'max_rings' outside a section (a file of "
		      "include_dir holds [vm NAME] sections only)");
}
END_TEST

START_TEST(include_bad_key)
{
	struct vnp_conf c;

	put(inc, "a.conf", "[vm a]\n\nmax_rings = many\n");
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n[vm m]\n",
				inc), -1);
	assert_err_in("a.conf", ":3: max_rings: bad number 'many' (expected 0 "
		      "to 4096)");
}
END_TEST

START_TEST(include_duplicate_vm)
{
	char want[1024];
	struct vnp_conf c;

	put(inc, "b.conf", "\n\n[vm web1]\n");
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n\n"
				    "[vm web1]\n", inc), -1);
	assert_err_in("b.conf", ":3: duplicate VM 'web1' (first defined at "
		      "t.conf:4)");
	put(inc, "a.conf", "[vm web2]\n");
	put(inc, "b.conf", "[vm x]\n[vm web2]\n");
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n", inc), -1);
	snprintf(want, sizeof(want), "%s/b.conf:2: duplicate VM 'web2' (first "
		 "defined at %s/a.conf:1)", inc, inc);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(include_duplicate_socket)
{
	char want[1024];
	struct vnp_conf c;

	/* An explicit path against another VM's default one. */
	put(inc, "b.conf", "[vm b]\nsocket = /s/a.sock\n");
	ck_assert_int_eq(parsef(&c, "[global]\nsocket_dir = /s\n"
				    "include_dir = %s\n[vm a]\n", inc), -1);
	assert_err_in("b.conf", ":2: vm b: duplicate socket path '/s/a.sock' "
		      "(also vm a, t.conf:4)");
	put(inc, "a.conf", "[vm a2]\nsocket = /x/s\n");
	put(inc, "b.conf", "\n[vm b2]\nmax_rings = 1\nsocket = /x/s\n");
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n", inc), -1);
	snprintf(want, sizeof(want), "%s/b.conf:4: vm b2: duplicate socket "
		 "path '/x/s' (also vm a2, %s/a.conf:1)", inc, inc);
	ck_assert_str_eq(err, want);
}
END_TEST

/* The host may have no domain yet: no VM at all is fine. */
START_TEST(include_missing_dir)
{
	struct vnp_conf c;

	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s/none\n", top),
			 0);
	ck_assert_uint_eq(c.n_vms, 0);
	ck_assert_uint_eq(c.n_included, 0);
	ck_assert(c.include_missing);
	vnp_conf_free(&c);
	ck_assert_int_eq(parsef(&c, "[vm a]\n[global]\ninclude_dir = "
				    "/nonexistent/vnplugd.d\n"), 0);
	ck_assert_uint_eq(c.n_vms, 1);
	vnp_conf_free(&c);
}
END_TEST

START_TEST(include_empty_dir)
{
	struct vnp_conf c;

	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n", inc), 0);
	ck_assert_uint_eq(c.n_vms, 0);
	ck_assert(!c.include_missing);
	vnp_conf_free(&c);
	/* Without include_dir, still nothing to serve... */
	ck_assert_int_eq(parse(&c, "[global]\n"), -1);
	ck_assert_str_eq(err, "t.conf: no [vm NAME] section: nothing to serve");
}
END_TEST

/* ...but a running vnplugd may be told to serve no VM any more. */
START_TEST(reload_no_vm)
{
	char path[512];
	struct vnp_conf c;

	snprintf(path, sizeof(path), "%s/main.conf", top);
	put(top, "main.conf", "[global]\nping_interval = 2\n");
	ck_assert_int_eq(vnp_conf_load(&c, path, 0, err, sizeof(err)), -1);
	ck_assert_int_eq(vnp_conf_load(&c, path, VNP_CONF_RELOAD, err,
				       sizeof(err)), 0);
	ck_assert_uint_eq(c.n_vms, 0);
	ck_assert_uint_eq(c.global.ping_interval, 2);
	vnp_conf_free(&c);
}
END_TEST

START_TEST(include_relative_refused)
{
	struct vnp_conf c;

	ck_assert_int_eq(parse(&c, "[global]\ninclude_dir = vnplugd.d\n"
				   "[vm a]\n"), -1);
	ck_assert_str_eq(err, "t.conf:2: include_dir: 'vnplugd.d' is not an "
			 "absolute path");
	ck_assert_int_eq(parse(&c, "[global]\ninclude_dir =\n[vm a]\n"), -1);
	ck_assert_str_eq(err, "t.conf:2: include_dir: empty value");
}
END_TEST

/* Unreadable is not empty: the VMs it defines must not silently go. */
START_TEST(include_unreadable)
{
	char want[1024];
	struct vnp_conf c;

	put(top, "plain", "x\n");
	ck_assert_int_eq(parsef(&c, "[global]\n\ninclude_dir = %s/plain\n"
				    "[vm a]\n", top), -1);
	snprintf(want, sizeof(want), "t.conf:3: include_dir '%s/plain': Not "
		 "a directory", top);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(c.n_vms, 0);
	/* root reads anything: the mode check means nothing then */
	if (geteuid() == 0)
		return;
	put(inc, "a.conf", "[vm b]\n");
	ck_assert_int_eq(chmod(inc, 0), 0);
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n[vm a]\n",
				inc), -1);
	snprintf(want, sizeof(want), "t.conf:2: include_dir '%s': Permission "
		 "denied", inc);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(chmod(inc, 0755), 0);
	snprintf(want, sizeof(want), "%s/a.conf", inc);
	ck_assert_int_eq(chmod(want, 0), 0);
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n[vm a]\n",
				inc), -1);
	assert_err_in("a.conf", ": Permission denied");
}
END_TEST

/* include_dir = the main file's own directory would read it twice. */
START_TEST(include_main_file)
{
	char path[256], text[512], want[1024];
	struct vnp_conf c;

	snprintf(path, sizeof(path), "%s/vnplugd.conf", inc);
	snprintf(text, sizeof(text), "[global]\ninclude_dir = %s\n", inc);
	put(inc, "vnplugd.conf", text);
	ck_assert_int_eq(vnp_conf_load(&c, path, 0, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: this is the main configuration "
		 "file %s; give include_dir a directory of its own", path,
		 path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(include_summary)
{
	char *out = NULL, want[2048];
	struct vnp_conf c;
	size_t len = 0;
	FILE *f;

	put(inc, "libvirt-web1.conf", "# by the hook\n[vm web1]\n"
	    "interfaces = eth0\n");
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s\n[vm a]\n",
				inc), 0);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	vnp_conf_print(&c, f);
	fclose(f);
	snprintf(want, sizeof(want),
		 "t.conf: OK, 2 VMs\n"
		 "global: socket_dir=/run/vnplug include_dir=%s (1 file) "
		 "ping_interval=5s guest_timeout=15s log_level=info\n"
		 "vm a: socket=/run/vnplug/a.sock mode=0660 owner=(unchanged) "
		 "group=(unchanged) max_rings=8 max_ring_memory=256M "
		 "interfaces=(none) (from t.conf:3)\n"
		 "vm web1: socket=/run/vnplug/web1.sock mode=0660 "
		 "owner=(unchanged) group=(unchanged) max_rings=8 "
		 "max_ring_memory=256M interfaces=eth0 "
		 "(from %s/libvirt-web1.conf:2)\n", inc, inc);
	ck_assert_str_eq(out, want);
	free(out);
	vnp_conf_free(&c);
	out = NULL;
	ck_assert_int_eq(parsef(&c, "[global]\ninclude_dir = %s/none\n", top),
			 0);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	vnp_conf_print(&c, f);
	fclose(f);
	snprintf(want, sizeof(want),
		 "t.conf: OK, 0 VMs\n"
		 "global: socket_dir=/run/vnplug include_dir=%s/none (missing: "
		 "nothing included) ping_interval=5s guest_timeout=15s "
		 "log_level=info\n", top);
	ck_assert_str_eq(out, want);
	free(out);
	vnp_conf_free(&c);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("vnplugd_conf");
	TCase *tc = tcase_create("conf");
	TCase *ti = tcase_create("include_dir");

	tcase_add_test(tc, full_file);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, socket_dir_after_vms);
	tcase_add_test(tc, may_use);
	tcase_add_loop_test(tc, bad_input, 0, N_BAD);
	tcase_add_test(tc, long_line);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, summary);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(ti, inc_setup, inc_teardown);
	tcase_add_test(ti, include_order);
	tcase_add_test(ti, include_skips);
	tcase_add_test(ti, include_global_refused);
	tcase_add_test(ti, include_key_outside_section);
	tcase_add_test(ti, include_bad_key);
	tcase_add_test(ti, include_duplicate_vm);
	tcase_add_test(ti, include_duplicate_socket);
	tcase_add_test(ti, include_missing_dir);
	tcase_add_test(ti, include_empty_dir);
	tcase_add_test(ti, reload_no_vm);
	tcase_add_test(ti, include_relative_refused);
	tcase_add_test(ti, include_unreadable);
	tcase_add_test(ti, include_main_file);
	tcase_add_test(ti, include_summary);
	suite_add_tcase(s, ti);
	return s;
}

int main(void)
{
	return run_suite(conf_suite());
}
