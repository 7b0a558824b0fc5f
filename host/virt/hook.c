// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvirt's qemu hook: /etc/libvirt/hooks/qemu.d/vnplug DOMAIN OP SUBOP
 * EXTRA, the domain's XML on standard input (https://libvirt.org/hooks.html).
 *
 * A domain with vnplug metadata becomes a [vm NAME] section in a file of
 * vnplugd's include_dir while it runs: written at "prepare" (before QEMU
 * starts) and "reconnect" (libvirtd restarted), removed at "release". The
 * file is checked, alone and against vnplugd's whole configuration,
 * before it is renamed into place, so vnplugd never reads a file it
 * refuses; a refusal fails the hook, and libvirt then refuses to start the
 * domain with our message. vnplugd sees the file (inotify) and creates or
 * removes the socket. Nothing here talks to libvirt: a hook that called
 * back into libvirtd would deadlock it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "virt.h"

static const char *const hook_fields[7] = {
	"<name>", "the socket path of the vnplug-ctrl chardev",
	"<vnplug:interfaces>", "<vnplug:max_rings>",
	"<vnplug:max_ring_memory>", "<vnplug:socket_user>",
	"<vnplug:socket_group>",
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static bool is_socket(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISSOCK(st.st_mode);
}

/* Wait up to @ms for @path to be a socket (@want) or gone (!@want). */
static bool wait_socket(const char *path, bool want, long ms)
{
	long t;

	for (t = 0; t <= ms; t += 50) {
		if (want ? is_socket(path) : access(path, F_OK) < 0)
			return true;
		sleep_ms(50);
	}
	return false;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, 0644) < 0)
		goto fail;
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	vx_err("%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return -1;
}

/*
 * Would vnplugd take @vm next to what it has? Its other VMs are the whole
 * configuration less @own (this domain's file of an earlier start):
 * vnplugd refuses a second VM of the same name or socket path, wherever
 * each is defined.
 */
static int check_clash(const struct vnp_conf *c, const struct vx_vm *vm,
		       const char *own)
{
	const struct vnp_vm_conf *v;
	unsigned int i;

	for (i = 0; i < c->n_vms; i++) {
		v = &c->vms[i];
		if (v->file && !strcmp(v->file, own))
			continue;
		if (!strcmp(v->name, vm->name)) {
			vx_err("domain %s: VM '%s' is already defined in "
			       "%s:%u: vnplugd would refuse both; remove it "
			       "there, or rename the domain", vm->name,
			       v->name, v->file ? v->file : c->path, v->line);
			return -1;
		}
		if (!strcmp(v->socket, vm->socket)) {
			vx_err("domain %s: socket %s is already VM '%s''s "
			       "(%s:%u): give the domain another socket "
			       "(vnplug-virt attach --socket-dir)", vm->name,
			       vm->socket, v->name,
			       v->file ? v->file : c->path, v->line);
			return -1;
		}
	}
	return 0;
}

static int load_conf(struct vnp_conf *c, const char *path)
{
	char err[1024];

	if (vnp_conf_load(c, path, VNP_CONF_RELOAD, err, sizeof(err)) < 0) {
		vx_err("vnplugd's configuration: %s", err);
		return -1;
	}
	if (!c->global.include_dir[0]) {
		vx_err("%s sets no include_dir: add 'include_dir = "
		       "/etc/vnplug/vnplugd.d' to its [global] section so "
		       "that vnplugd reads what this hook writes", path);
		vnp_conf_free(c);
		return -1;
	}
	return 0;
}

static int prepare(const struct vnp_conf *c, const struct vx_doc *d,
		   const char *file)
{
	const char *dir = c->global.include_dir;
	char *tmp = NULL, *text = NULL, *header = NULL, err[1024];
	struct vnp_conf one;
	struct vx_vm vm;
	int ret;

	if (vx_read_vnplug(d, &vm))
		return -1;
	ret = -1;
	if (vx_vm_check(&vm, hook_fields, d->name) < 0 ||
	    check_clash(c, &vm, file) < 0)
		goto out;
	if (asprintf(&header, "Written by vnplug-virt's libvirt hook for "
		     "domain %s, from its <metadata>;\nremoved when the "
		     "domain stops. Change the domain (virsh edit %s), not "
		     "this file.", vm.name, vm.name) < 0)
		header = NULL;
	text = header ? vx_vm_text(&vm, header) : NULL;
	if (!text || asprintf(&tmp, "%s/.libvirt-%s.conf.tmp", dir,
			      vm.name) < 0) {
		tmp = NULL;
		vx_err("out of memory");
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		vx_err("include_dir %s: %s", dir, strerror(errno));
		goto out;
	}
	if (write_file(tmp, text) < 0)
		goto out;
	/* The file as vnplugd will read it; then it goes into place. */
	if (vnp_conf_load(&one, tmp, 0, err, sizeof(err)) < 0) {
		vx_err("%s", err);
		unlink(tmp);
		goto out;
	}
	vnp_conf_free(&one);
	if (rename(tmp, file) < 0) {
		vx_err("%s: %s", file, strerror(errno));
		unlink(tmp);
		goto out;
	}
	fsync_dir(dir);
	if (!wait_socket(vm.socket, true, 5000))
		vx_warn("vnplugd did not create %s within 5 s: is it "
			"running? (QEMU connects when it does)", vm.socket);
	ret = 0;
out:
	free(header);
	free(text);
	free(tmp);
	vx_vm_free(&vm);
	return ret;
}

/* The socket of the VM defined in @file, if vnplugd has it. */
static const char *socket_of(const struct vnp_conf *c, const char *file)
{
	unsigned int i;

	for (i = 0; i < c->n_vms; i++)
		if (c->vms[i].file && !strcmp(c->vms[i].file, file))
			return c->vms[i].socket;
	return NULL;
}

static int release(const struct vnp_conf *c, const char *file)
{
	const char *sock = socket_of(c, file);

	if (unlink(file) < 0) {
		if (errno == ENOENT)
			return 0;
		vx_err("%s: %s", file, strerror(errno));
		return -1;
	}
	fsync_dir(c->global.include_dir);
	if (sock && !wait_socket(sock, false, 2000))
		vx_warn("vnplugd did not remove %s within 2 s: is it "
			"running?", sock);
	return 0;
}

int vx_hook(const char *conf_path, const char *domain, const char *op)
{
	bool rel = !strcmp(op, "release");
	char *buf, *file = NULL, src[128];
	const char *name;
	struct vnp_conf c;
	struct vx_doc d;
	size_t len;
	int ret;

	if (!rel && strcmp(op, "prepare") && strcmp(op, "reconnect"))
		return 0;
	buf = vx_read_file("-", &len);
	if (!buf)
		return -1;
	snprintf(src, sizeof(src), "domain %.64s's XML", domain);
	ret = vx_doc_parse(&d, src, buf, len);
	free(buf);
	if (ret < 0)
		return -1;
	/* Not a vnplug domain: none of our business, whatever the rest. */
	ret = vx_vnplug_name(&d, &name);
	if (ret) {
		vx_doc_free(&d);
		return ret < 0 ? -1 : 0;
	}
	ret = -1;
	if (strcmp(name, domain)) {
		vx_err("%s: the XML is domain '%s's, not '%s's", src, name,
		       domain);
		vx_doc_free(&d);
		return -1;
	}
	if (load_conf(&c, conf_path) < 0) {
		vx_doc_free(&d);
		return -1;
	}
	if (asprintf(&file, "%s/libvirt-%s.conf", c.global.include_dir,
		     name) < 0) {
		vx_err("out of memory");
		file = NULL;
	} else if (rel) {
		ret = release(&c, file);
	} else {
		ret = prepare(&c, &d, file);
	}
	free(file);
	vnp_conf_free(&c);
	vx_doc_free(&d);
	return ret;
}
