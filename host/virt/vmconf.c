// SPDX-License-Identifier: GPL-2.0-only
/*
 * The [vm NAME] section of a domain, and its check: what vnplug-virt
 * writes into a domain or into vnplugd's include_dir has passed vnplugd's
 * own parser (host/backend/conf.c) first, so vnplugd never meets a value
 * it refuses because of vnplug-virt.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "virt.h"

enum { F_NAME, F_SOCKET, F_IFACES, F_RINGS, F_MEM, F_USER, F_GROUP, F_N };

static const char *const keys[F_N] = {
	"", "socket", "interfaces", "max_rings", "max_ring_memory",
	"socket_user", "socket_group",
};

bool vx_vm_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= VNP_VM_NAME_MAX &&
	       strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789", *s) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

bool vx_value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

void vx_vm_free(struct vx_vm *vm)
{
	free(vm->name);
	free(vm->socket);
	free(vm->interfaces);
	free(vm->max_rings);
	free(vm->max_ring_memory);
	free(vm->socket_user);
	free(vm->socket_group);
	memset(vm, 0, sizeof(*vm));
}

static const char *field_value(const struct vx_vm *vm, int i)
{
	const char *v[F_N] = {
		vm->name, vm->socket, vm->interfaces, vm->max_rings,
		vm->max_ring_memory, vm->socket_user, vm->socket_group,
	};

	return v[i];
}

/* The section; @line_field[L] is the field on line L (-1: none). */
static char *vm_text(const struct vx_vm *vm, const char *header,
		     int line_field[32])
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *v, *h, *e;
	unsigned int line = 1;
	int i;

	if (!f)
		return NULL;
	for (i = 0; i < 32; i++)
		line_field[i] = -1;
	for (h = header; h && *h; h = e + (*e == '\n')) {
		e = strchrnul(h, '\n');
		fprintf(f, "#%s%.*s\n", e > h ? " " : "", (int)(e - h), h);
		line++;
	}
	fprintf(f, "[vm %s]\n", vm->name);
	line_field[line++ % 32] = F_NAME;
	for (i = F_SOCKET; i < F_N; i++) {
		v = field_value(vm, i);
		if (!v)
			continue;
		fprintf(f, "%s =%s%s\n", keys[i], *v ? " " : "", v);
		line_field[line++ % 32] = i;
	}
	fprintf(f, "socket_mode = 0660\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *vx_vm_text(const struct vx_vm *vm, const char *header)
{
	int lf[32];

	return vm_text(vm, header, lf);
}

static int bad(const char *ctx, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(const char *ctx, const char *field, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vx_err("%s%s%s: %s", ctx ? ctx : "", ctx ? ": " : "", field, msg);
	return -1;
}

int vx_vm_check(const struct vx_vm *vm, const char *const field[7],
		const char *ctx)
{
	char err[1024], *text, *msg;
	struct vnp_conf conf;
	unsigned int line;
	int lf[32], i, ret, n = 0;
	const char *v;
	size_t len;
	FILE *f;

	if (!vx_vm_name_ok(vm->name))
		return bad(ctx, field[F_NAME], "'%s' is not a vnplugd VM name "
			   "(1 to %d letters, digits, '_', '.' or '-', "
			   "starting with a letter or digit)", vm->name,
			   VNP_VM_NAME_MAX);
	for (i = F_SOCKET; i < F_N; i++) {
		v = field_value(vm, i);
		if (!v)
			continue;
		len = strlen(v);
		if (!vx_value_ok(v) || strchr(v, '#'))
			return bad(ctx, field[i], "'%s': control characters "
				   "and '#' cannot go into vnplugd.conf", v);
		if (len && (v[0] == ' ' || v[len - 1] == ' '))
			return bad(ctx, field[i], "'%s': leading or trailing "
				   "space", v);
		if (!len && i != F_IFACES)
			return bad(ctx, field[i], "empty");
	}
	v = vm->socket;
	if (v[0] != '/')
		return bad(ctx, field[F_SOCKET], "'%s' is not an absolute "
			   "path", v);
	if (strchr(v, ','))
		return bad(ctx, field[F_SOCKET], "'%s' has a comma, which "
			   "separates QEMU's -chardev options", v);
	if (strlen(v) >= VNP_SOCK_PATH_MAX)
		return bad(ctx, field[F_SOCKET], "'%s' is %zu bytes, longer "
			   "than the %zu a UNIX socket address holds", v,
			   strlen(v), VNP_SOCK_PATH_MAX - 1);

	text = vm_text(vm, NULL, lf);
	f = text ? fmemopen(text, strlen(text), "r") : NULL;
	if (!f) {
		free(text);
		vx_err("out of memory");
		return -1;
	}
	ret = vnp_conf_parse(&conf, "vm", f, 0, err, sizeof(err));
	fclose(f);
	free(text);
	if (!ret) {
		vnp_conf_free(&conf);
		return 0;
	}
	/* "vm:LINE: what": say which value instead of which line. */
	msg = err;
	if (sscanf(err, "vm:%u: %n", &line, &n) == 1 && n) {
		msg = err + n;
		i = lf[line % 32];
		return bad(ctx, i >= 0 ? field[i] : "vnplugd.conf",
			   "vnplugd would refuse it: %s", msg);
	}
	if (!strncmp(err, "vm: ", 4))
		msg = err + 4;
	return bad(ctx, "vnplugd.conf", "vnplugd would refuse it: %s", msg);
}
