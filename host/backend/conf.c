// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration parser. Everything is checked here, at start-up and by
 * --check-config, so that the daemon never meets a half-valid setting, and
 * every message names the file and line an administrator has to fix.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

#define LINE_MAX_LEN 4096
#define IFACE_PATTERN_MAX 64

enum section {
	SEC_NONE,
	SEC_GLOBAL,
	SEC_VM,
};

struct parser {
	struct vnp_conf *conf;
	const char *path;	/* of the file being read */
	unsigned int line;
	char *err;
	size_t errlen;
	unsigned int flags;	/* VNP_CONF_* */
	enum section section;
	unsigned int seen;	/* keys already set in this section (bits) */
	bool global_seen;
	bool included;		/* reading a file of include_dir */
	/* The main file's identity, lest include_dir hold it (0: unknown). */
	dev_t main_dev;
	ino_t main_ino;
};

struct key {
	const char *name;
	int (*set)(struct parser *p, const char *key, char *val);
};

static int perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (p->line)
		n = (size_t)snprintf(p->err, p->errlen, "%s:%u: ", p->path,
				     p->line);
	else
		n = (size_t)snprintf(p->err, p->errlen, "%s: ", p->path);
	if (n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static struct vnp_vm_conf *cur_vm(struct parser *p)
{
	return &p->conf->vms[p->conf->n_vms - 1];
}

/* ---- values ---------------------------------------------------------- */

static int parse_uint(struct parser *p, const char *key, const char *val,
		      unsigned long min, unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (!isdigit((unsigned char)*val) || *end || errno || v < min ||
	    v > max)
		return perr(p, "%s: bad number '%s' (expected %lu to %lu)",
			    key, val, min, max);
	*out = (unsigned int)v;
	return 0;
}

/* "256M": a byte count with an optional K, M, G or T (powers of 1024). */
static int parse_size(struct parser *p, const char *key, const char *val,
		      uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (!isdigit((unsigned char)*val) || errno)
		goto bad;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u || end[1])
			goto bad;
		for (; u >= units; u--) {
			if (v > UINT64_MAX / 1024)
				goto bad;
			v *= 1024;
		}
	}
	*out = v;
	return 0;
bad:
	return perr(p, "%s: bad size '%s' (expected bytes with an optional "
		    "K, M, G or T suffix)", key, val);
}

static int set_path(struct parser *p, const char *key, const char *val,
		    char *dst)
{
	if (val[0] != '/')
		return perr(p, "%s: '%s' is not an absolute path", key, val);
	if (strlen(val) >= VNP_SOCK_PATH_MAX)
		return perr(p, "%s: path longer than %zu bytes", key,
			    VNP_SOCK_PATH_MAX - 1);
	strcpy(dst, val);
	return 0;
}

/* ---- [global] -------------------------------------------------------- */

static int g_socket_dir(struct parser *p, const char *key, char *val)
{
	return set_path(p, key, val, p->conf->global.socket_dir);
}

static int g_ping_interval(struct parser *p, const char *key, char *val)
{
	p->conf->global.ping_interval_line = p->line;
	return parse_uint(p, key, val, 1, 3600,
			  &p->conf->global.ping_interval);
}

static int g_guest_timeout(struct parser *p, const char *key, char *val)
{
	p->conf->global.guest_timeout_line = p->line;
	return parse_uint(p, key, val, 1, 86400,
			  &p->conf->global.guest_timeout);
}

/* Any length a path may have: the directory is opened, never bound. */
static int g_include_dir(struct parser *p, const char *key, char *val)
{
	char *dir = p->conf->global.include_dir;
	size_t n = strlen(val);

	p->conf->global.include_dir_line = p->line;
	if (val[0] != '/')
		return perr(p, "%s: '%s' is not an absolute path", key, val);
	if (n >= sizeof(p->conf->global.include_dir))
		return perr(p, "%s: path longer than %zu bytes", key,
			    sizeof(p->conf->global.include_dir) - 1);
	/* "/etc/vnplug/vnplugd.d/" names files without a double '/'. */
	while (n > 1 && val[n - 1] == '/')
		val[--n] = '\0';
	strcpy(dir, val);
	return 0;
}

static int g_log_level(struct parser *p, const char *key, char *val)
{
	int l = vnp_log_level_parse(val);

	if (l < 0)
		return perr(p, "%s: unknown level '%s' (expected debug, info, "
			    "warn or error)", key, val);
	p->conf->global.log_level = l;
	return 0;
}

static const struct key global_keys[] = {
	{ "socket_dir", g_socket_dir },
	{ "ping_interval", g_ping_interval },
	{ "guest_timeout", g_guest_timeout },
	{ "log_level", g_log_level },
	{ "include_dir", g_include_dir },
};

/* ---- [vm NAME] ------------------------------------------------------- */

static int v_socket(struct parser *p, const char *key, char *val)
{
	cur_vm(p)->socket_line = p->line;
	return set_path(p, key, val, cur_vm(p)->socket);
}

/* Linux refuses '/', ':' and white space in interface names. */
static bool iface_glob_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= IFACE_PATTERN_MAX && !strpbrk(s, "/:@");
}

static bool queue_glob_ok(const char *s)
{
	return *s && strspn(s, "0123456789*?[]!-") == strlen(s);
}

static int add_iface(struct parser *p, struct vnp_vm_conf *vm, char *tok)
{
	struct vnp_iface_pattern *ip, *n;
	char *at = strchr(tok, '@');

	if (at)
		*at++ = '\0';
	if (!iface_glob_ok(tok) || (at && !queue_glob_ok(at)))
		return perr(p, "interfaces: bad entry '%s%s%s' (expected "
			    "IFNAME or IFNAME@QUEUE, globs allowed)", tok,
			    at ? "@" : "", at ? at : "");
	n = realloc(vm->ifaces, (vm->n_ifaces + 1) * sizeof(*n));
	if (!n)
		return perr(p, "out of memory");
	vm->ifaces = n;
	ip = &n[vm->n_ifaces];
	ip->ifname = strdup(tok);
	ip->queue = at ? strdup(at) : NULL;
	vm->n_ifaces++;
	if (!ip->ifname || (at && !ip->queue))
		return perr(p, "out of memory");
	return 0;
}

static int v_interfaces(struct parser *p, const char *key, char *val)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(val, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save))
		if (add_iface(p, cur_vm(p), tok) < 0)
			return -1;
	return 0;
}

static int v_max_rings(struct parser *p, const char *key, char *val)
{
	return parse_uint(p, key, val, 0, 4096, &cur_vm(p)->max_rings);
}

static int v_max_ring_memory(struct parser *p, const char *key, char *val)
{
	return parse_size(p, key, val, &cur_vm(p)->max_ring_memory);
}

/* A numeric id or a name from the user database. */
static int v_socket_user(struct parser *p, const char *key, char *val)
{
	struct passwd *pw = getpwnam(val);
	unsigned int id;

	if (pw) {
		cur_vm(p)->socket_uid = pw->pw_uid;
		return 0;
	}
	if (!isdigit((unsigned char)*val))
		return perr(p, "%s: unknown user '%s'", key, val);
	if (parse_uint(p, key, val, 0, 0xfffffffe, &id) < 0)
		return -1;
	cur_vm(p)->socket_uid = id;
	return 0;
}

static int v_socket_group(struct parser *p, const char *key, char *val)
{
	struct group *gr = getgrnam(val);
	unsigned int id;

	if (gr) {
		cur_vm(p)->socket_gid = gr->gr_gid;
		return 0;
	}
	if (!isdigit((unsigned char)*val))
		return perr(p, "%s: unknown group '%s'", key, val);
	if (parse_uint(p, key, val, 0, 0xfffffffe, &id) < 0)
		return -1;
	cur_vm(p)->socket_gid = id;
	return 0;
}

static int v_socket_mode(struct parser *p, const char *key, char *val)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(val, &end, 8);
	if (!isdigit((unsigned char)*val) || *end || errno || v > 0777)
		return perr(p, "%s: bad mode '%s' (expected octal, at most "
			    "0777)", key, val);
	cur_vm(p)->socket_mode = (mode_t)v;
	return 0;
}

static const struct key vm_keys[] = {
	{ "socket", v_socket },
	{ "interfaces", v_interfaces },
	{ "max_rings", v_max_rings },
	{ "max_ring_memory", v_max_ring_memory },
	{ "socket_user", v_socket_user },
	{ "socket_group", v_socket_group },
	{ "socket_mode", v_socket_mode },
};

/* ---- lines ----------------------------------------------------------- */

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* VM names become file names: keep them to a portable set. */
static bool vm_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= VNP_VM_NAME_MAX && isalnum((unsigned char)*s) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int open_vm(struct parser *p, const char *name)
{
	struct vnp_conf *c = p->conf;
	struct vnp_vm_conf *vm;
	unsigned int i;

	if (!vm_name_ok(name))
		return perr(p, "bad VM name '%s' (1 to %d letters, digits, "
			    "'_', '.' or '-', starting with a letter or digit)",
			    name, VNP_VM_NAME_MAX);
	for (i = 0; i < c->n_vms; i++) {
		if (strcmp(c->vms[i].name, name))
			continue;
		if (!strcmp(c->vms[i].file, p->path))
			return perr(p, "duplicate VM '%s' (first defined at "
				    "line %u)", name, c->vms[i].line);
		return perr(p, "duplicate VM '%s' (first defined at %s:%u)",
			    name, c->vms[i].file, c->vms[i].line);
	}
	vm = realloc(c->vms, (c->n_vms + 1) * sizeof(*vm));
	if (!vm)
		return perr(p, "out of memory");
	c->vms = vm;
	vm = &c->vms[c->n_vms];
	memset(vm, 0, sizeof(*vm));
	vm->file = strdup(p->path);
	if (!vm->file)
		return perr(p, "out of memory");
	c->n_vms++;
	strcpy(vm->name, name);
	vm->max_rings = 8;
	vm->max_ring_memory = 256ULL << 20;
	vm->socket_uid = (uid_t)-1;
	vm->socket_gid = (gid_t)-1;
	vm->socket_mode = 0660;
	vm->line = p->line;
	p->section = SEC_VM;
	return 0;
}

static int parse_section(struct parser *p, char *s)
{
	char *end = strchr(s, ']');
	char *name;

	if (!end || trim(end + 1)[0])
		return perr(p, "bad section header (expected [global] or "
			    "[vm NAME])");
	*end = '\0';
	s = trim(s + 1);
	p->seen = 0;
	if (!strcmp(s, "global")) {
		if (p->included)
			return perr(p, "[global] in a file of include_dir: "
				    "these hold [vm NAME] sections only "
				    "(global settings go in %s)",
				    p->conf->path);
		if (p->global_seen)
			return perr(p, "duplicate [global] section");
		p->global_seen = true;
		p->section = SEC_GLOBAL;
		return 0;
	}
	if (strncmp(s, "vm", 2) || !isspace((unsigned char)s[2]))
		return perr(p, "unknown section [%s] (expected [global] or "
			    "[vm NAME])", s);
	name = trim(s + 2);
	return open_vm(p, name);
}

static int parse_key(struct parser *p, char *s)
{
	const struct key *keys = p->section == SEC_GLOBAL ? global_keys
							  : vm_keys;
	size_t i, n = p->section == SEC_GLOBAL
			      ? sizeof(global_keys) / sizeof(global_keys[0])
			      : sizeof(vm_keys) / sizeof(vm_keys[0]);
	char *eq = strchr(s, '='), *key, *val;

	if (!eq)
		return perr(p, "expected 'key = value' or a [section]");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (p->section == SEC_NONE && p->included)
		return perr(p, "'%s' outside a section (a file of include_dir "
			    "holds [vm NAME] sections only)", key);
	if (p->section == SEC_NONE)
		return perr(p, "'%s' outside a section (start with [global] "
			    "or [vm NAME])", key);
	for (i = 0; i < n; i++) {
		if (strcmp(key, keys[i].name))
			continue;
		if (p->seen & (1u << i))
			return perr(p, "duplicate key '%s' in this section",
				    key);
		p->seen |= 1u << i;
		if (!*val && keys[i].set != v_interfaces)
			return perr(p, "%s: empty value", key);
		return keys[i].set(p, key, val);
	}
	if (p->section == SEC_GLOBAL)
		return perr(p, "unknown key '%s' in [global]", key);
	return perr(p, "unknown key '%s' in [vm %s]", key, cur_vm(p)->name);
}

/* '#' starts a comment at the start of a line or after white space. */
static void strip_comment(char *s)
{
	char *h;

	for (h = strchr(s, '#'); h; h = strchr(h + 1, '#')) {
		if (h == s || isspace((unsigned char)h[-1])) {
			*h = '\0';
			return;
		}
	}
}

static int parse_line(struct parser *p, char *line)
{
	char *s;

	strip_comment(line);
	s = trim(line);
	if (!*s)
		return 0;
	if (*s == '[')
		return parse_section(p, s);
	return parse_key(p, s);
}

/* ---- whole file ------------------------------------------------------ */

static int finish_vm(struct parser *p, struct vnp_vm_conf *vm)
{
	const struct vnp_global_conf *g = &p->conf->global;
	int n;

	if (vm->socket_line)
		return 0;
	n = snprintf(vm->socket, sizeof(vm->socket), "%s/%s.sock",
		     g->socket_dir, vm->name);
	if (n < 0 || (size_t)n >= sizeof(vm->socket)) {
		p->path = vm->file;
		p->line = vm->line;
		return perr(p, "vm %s: socket path '%s/%s.sock' longer than "
			    "%zu bytes; set socket=", vm->name, g->socket_dir,
			    vm->name, VNP_SOCK_PATH_MAX - 1);
	}
	return 0;
}

static int check_sockets(struct parser *p)
{
	struct vnp_conf *c = p->conf;
	const struct vnp_vm_conf *a, *b;
	unsigned int i, j;

	for (i = 0; i < c->n_vms; i++) {
		if (finish_vm(p, &c->vms[i]) < 0)
			return -1;
		b = &c->vms[i];
		for (j = 0; j < i; j++) {
			a = &c->vms[j];
			if (strcmp(b->socket, a->socket))
				continue;
			p->path = b->file;
			p->line = b->socket_line ?: b->line;
			if (!strcmp(a->file, b->file))
				return perr(p, "vm %s: duplicate socket path "
					    "'%s' (also vm %s, line %u)",
					    b->name, b->socket, a->name,
					    a->line);
			return perr(p, "vm %s: duplicate socket path '%s' "
				    "(also vm %s, %s:%u)", b->name, b->socket,
				    a->name, a->file, a->line);
		}
	}
	return 0;
}

static int finish(struct parser *p)
{
	const struct vnp_global_conf *g = &p->conf->global;

	p->path = p->conf->path;
	if (g->guest_timeout < g->ping_interval) {
		p->line = g->guest_timeout_line ?: g->ping_interval_line;
		return perr(p, "guest_timeout (%u s) is shorter than "
			    "ping_interval (%u s)", g->guest_timeout,
			    g->ping_interval);
	}
	p->line = 0;
	/*
	 * At start, nothing to serve is a mistake, unless the VMs come from
	 * include_dir: the host may have no domain yet.
	 */
	if (!p->conf->n_vms && !g->include_dir[0] &&
	    !(p->flags & VNP_CONF_RELOAD))
		return perr(p, "no [vm NAME] section: nothing to serve");
	return check_sockets(p);
}

static void set_defaults(struct vnp_conf *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	strcpy(c->global.socket_dir, "/run/vnplug");
	c->global.ping_interval = 5;
	c->global.guest_timeout = 15;
	c->global.log_level = VNP_LOG_INFO;
}

static int parse_lines(struct parser *p, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	while ((n = getline(&line, &cap, f)) >= 0) {
		p->line++;
		if (n > LINE_MAX_LEN) {
			ret = perr(p, "line longer than %d bytes",
				   LINE_MAX_LEN);
			break;
		}
		if (memchr(line, '\0', (size_t)n)) {
			ret = perr(p, "NUL byte in line");
			break;
		}
		ret = parse_line(p, line);
		if (ret < 0)
			break;
	}
	if (!ret && ferror(f))
		ret = perr(p, "read error");
	free(line);
	return ret;
}

/* ---- include_dir ----------------------------------------------------- */

bool vnp_conf_included_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".conf");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

/*
 * The names of include_dir to read, in byte order, so that the result
 * does not depend on the file system or the locale. A missing directory
 * holds none; one that cannot be read is an error, not an empty one: that
 * would drop every VM it defines.
 */
static int list_dir(struct parser *p, const char *dir, char ***out,
		    size_t *count)
{
	char **names = NULL, **nn;
	struct dirent *de;
	size_t n = 0;
	int ret = 0;
	DIR *d;

	*out = NULL;
	*count = 0;
	p->path = p->conf->path;
	p->line = p->conf->global.include_dir_line;
	d = opendir(dir);
	if (!d && errno == ENOENT) {
		p->conf->include_missing = true;
		return 0;
	}
	if (!d)
		return perr(p, "include_dir '%s': %s", dir, strerror(errno));
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				ret = perr(p, "include_dir '%s': %s", dir,
					   strerror(errno));
			break;
		}
		if (!vnp_conf_included_name(de->d_name))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn) {
			ret = perr(p, "out of memory");
			break;
		}
		names = nn;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			ret = perr(p, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (ret) {
		free_names(names, n);
		return ret;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	*count = n;
	return 0;
}

/*
 * Read one file of include_dir. Opened without blocking and checked
 * after opening, so that a FIFO or a directory named x.conf is skipped
 * rather than waited on, and a file removed since the directory was read
 * is simply not there (its removal triggers another reload anyway).
 */
static int include_file(struct parser *p, const char *path)
{
	struct stat st;
	FILE *f;
	int fd, ret;

	p->path = path;
	p->line = 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : perr(p, "%s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = errno;
		close(fd);
		return perr(p, "%s", strerror(ret));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if (p->main_ino && st.st_dev == p->main_dev &&
	    st.st_ino == p->main_ino) {
		close(fd);
		return perr(p, "this is the main configuration file %s; give "
			    "include_dir a directory of its own",
			    p->conf->path);
	}
	f = fdopen(fd, "r");
	if (!f) {
		ret = errno;
		close(fd);
		return perr(p, "%s", strerror(ret));
	}
	p->section = SEC_NONE;
	p->seen = 0;
	p->included = true;
	ret = parse_lines(p, f);
	fclose(f);
	if (!ret)
		p->conf->n_included++;
	return ret;
}

static int include_all(struct parser *p)
{
	const char *dir = p->conf->global.include_dir;
	char **names, *path = NULL;
	size_t n, i, len;
	int ret;

	if (!dir[0])
		return 0;
	ret = list_dir(p, dir, &names, &n);
	for (i = 0; !ret && i < n; i++) {
		len = strlen(dir) + 1 + strlen(names[i]) + 1;
		path = malloc(len);
		if (!path) {
			ret = perr(p, "out of memory");
			break;
		}
		snprintf(path, len, "%s/%s", dir, names[i]);
		ret = include_file(p, path);
		free(path);
	}
	free_names(names, n);
	return ret;
}

/* ---- whole configuration --------------------------------------------- */

int vnp_conf_parse(struct vnp_conf *conf, const char *path, FILE *f,
		   unsigned int flags, char *err, size_t errlen)
{
	struct parser p = {
		.conf = conf, .path = path, .err = err, .errlen = errlen,
		.flags = flags,
	};
	struct stat st;

	set_defaults(conf, path);
	/* fmemopen()'s streams have no descriptor, and need no check. */
	if (fileno(f) >= 0 && !fstat(fileno(f), &st)) {
		p.main_dev = st.st_dev;
		p.main_ino = st.st_ino;
	}
	if (parse_lines(&p, f) < 0 || include_all(&p) < 0 ||
	    finish(&p) < 0) {
		vnp_conf_free(conf);
		return -1;
	}
	return 0;
}

int vnp_conf_load(struct vnp_conf *conf, const char *path,
		  unsigned int flags, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		set_defaults(conf, path);
		return -1;
	}
	ret = vnp_conf_parse(conf, path, f, flags, err, errlen);
	fclose(f);
	return ret;
}

void vnp_conf_free(struct vnp_conf *conf)
{
	unsigned int i, j;

	for (i = 0; i < conf->n_vms; i++) {
		for (j = 0; j < conf->vms[i].n_ifaces; j++) {
			free(conf->vms[i].ifaces[j].ifname);
			free(conf->vms[i].ifaces[j].queue);
		}
		free(conf->vms[i].ifaces);
		free(conf->vms[i].file);
	}
	free(conf->vms);
	conf->vms = NULL;
	conf->n_vms = 0;
}

bool vnp_conf_may_use(const struct vnp_vm_conf *vm, const char *ifname,
		      int queue)
{
	const struct vnp_iface_pattern *ip;
	char q[16];
	unsigned int i;

	snprintf(q, sizeof(q), "%d", queue);
	for (i = 0; i < vm->n_ifaces; i++) {
		ip = &vm->ifaces[i];
		if (fnmatch(ip->ifname, ifname, 0))
			continue;
		if (!ip->queue)
			return true;
		if (queue >= 0 && !fnmatch(ip->queue, q, 0))
			return true;
	}
	return false;
}

/* ---- --check-config -------------------------------------------------- */

static void print_size(FILE *out, uint64_t v)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (v && !(v % 1024) && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		fprintf(out, "%llu", (unsigned long long)v);
	else
		fprintf(out, "%llu%c", (unsigned long long)v, units[u]);
}

static void print_owner(FILE *out, const struct vnp_vm_conf *vm)
{
	if (vm->socket_uid == (uid_t)-1)
		fprintf(out, " owner=(unchanged)");
	else
		fprintf(out, " owner=%u", (unsigned int)vm->socket_uid);
	if (vm->socket_gid == (gid_t)-1)
		fprintf(out, " group=(unchanged)");
	else
		fprintf(out, " group=%u", (unsigned int)vm->socket_gid);
}

static void print_vm(const struct vnp_vm_conf *vm, FILE *out)
{
	unsigned int i;

	fprintf(out, "vm %s: socket=%s mode=%04o", vm->name, vm->socket,
		(unsigned int)vm->socket_mode);
	print_owner(out, vm);
	fprintf(out, " max_rings=%u max_ring_memory=", vm->max_rings);
	print_size(out, vm->max_ring_memory);
	fprintf(out, " interfaces=");
	if (!vm->n_ifaces)
		fprintf(out, "(none)");
	for (i = 0; i < vm->n_ifaces; i++)
		fprintf(out, "%s%s%s%s", i ? " " : "", vm->ifaces[i].ifname,
			vm->ifaces[i].queue ? "@" : "",
			vm->ifaces[i].queue ? vm->ifaces[i].queue : "");
	/* Last: no interface pattern holds " (". */
	fprintf(out, " (from %s:%u)\n", vm->file, vm->line);
}

void vnp_conf_print(const struct vnp_conf *conf, FILE *out)
{
	const struct vnp_global_conf *g = &conf->global;
	unsigned int i;

	fprintf(out, "%s: OK, %u VM%s\n", conf->path, conf->n_vms,
		conf->n_vms == 1 ? "" : "s");
	fprintf(out, "global: socket_dir=%s include_dir=", g->socket_dir);
	if (!g->include_dir[0])
		fprintf(out, "(none)");
	else if (conf->include_missing)
		fprintf(out, "%s (missing: nothing included)", g->include_dir);
	else
		fprintf(out, "%s (%u file%s)", g->include_dir,
			conf->n_included, conf->n_included == 1 ? "" : "s");
	fprintf(out, " ping_interval=%us guest_timeout=%us log_level=%s\n",
		g->ping_interval, g->guest_timeout,
		vnp_log_level_name(g->log_level));
	for (i = 0; i < conf->n_vms; i++)
		print_vm(&conf->vms[i], out);
}
