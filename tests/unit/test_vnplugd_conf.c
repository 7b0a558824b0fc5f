// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnplugd's configuration parser (host/backend/conf.c): good files with
 * and without defaults, the interface lookup, and every kind of bad input
 * giving an error that names the file and line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	ret = vnp_conf_parse(c, "t.conf", f, err, sizeof(err));
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

	ck_assert_int_eq(vnp_conf_load(&c, "/nonexistent/vnplugd.conf", err,
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
		"global: socket_dir=/run/vnplug ping_interval=5s "
		"guest_timeout=15s log_level=info\n"
		"vm a: socket=/run/vnplug/a.sock mode=0660 owner=(unchanged) "
		"group=(unchanged) max_rings=8 max_ring_memory=1536K "
		"interfaces=eth0 eth1@2\n");
	free(out);
	vnp_conf_free(&c);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("vnplugd_conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, full_file);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, socket_dir_after_vms);
	tcase_add_test(tc, may_use);
	tcase_add_loop_test(tc, bad_input, 0, N_BAD);
	tcase_add_test(tc, long_line);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, summary);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(conf_suite());
}
