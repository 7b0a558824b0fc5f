/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnplugd's configuration file: an INI-like text with a [global] section
 * and one [vm NAME] section per virtual machine, and, when [global] sets
 * include_dir, the [vm NAME] sections of the files in that directory (one
 * per libvirt domain, written by a hook). README.md and vnplugd.8 describe
 * the keys. The parser stops at the first error and describes it as
 * "FILE:LINE: what is wrong".
 */
#ifndef VNPLUGD_CONF_H
#define VNPLUGD_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/un.h>

#define VNP_CONF_DEFAULT_PATH "/etc/vnplug/vnplugd.conf"
#define VNP_VM_NAME_MAX 64
/* sun_path's size, its terminating NUL included. */
#define VNP_SOCK_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
#define VNP_CONF_PATH_MAX 4096

/* vnp_conf_parse() and vnp_conf_load() flags */
/* A running vnplugd reloads: no VM at all is fine (every socket goes). */
#define VNP_CONF_RELOAD 0x1u

struct vnp_global_conf {
	char socket_dir[VNP_SOCK_PATH_MAX];
	char include_dir[VNP_CONF_PATH_MAX];	/* "": none */
	unsigned int ping_interval;	/* seconds */
	unsigned int guest_timeout;	/* seconds */
	int log_level;			/* enum vnp_log_level */
	/* Lines where keys were set (0: default), for later checks. */
	unsigned int ping_interval_line;
	unsigned int guest_timeout_line;
	unsigned int include_dir_line;
};

/* One "interfaces" entry: an interface glob and, after '@', a queue glob. */
struct vnp_iface_pattern {
	char *ifname;
	char *queue;	/* NULL: the whole device and any of its queues */
};

struct vnp_vm_conf {
	char name[VNP_VM_NAME_MAX + 1];
	char socket[VNP_SOCK_PATH_MAX];
	struct vnp_iface_pattern *ifaces;
	unsigned int n_ifaces;
	unsigned int max_rings;
	uint64_t max_ring_memory;	/* bytes */
	uid_t socket_uid;		/* (uid_t)-1: leave as created */
	gid_t socket_gid;		/* (gid_t)-1: leave as created */
	mode_t socket_mode;
	char *file;			/* where it is defined */
	unsigned int line;		/* of the [vm NAME] header there */
	unsigned int socket_line;	/* 0: default path */
};

struct vnp_conf {
	char path[VNP_CONF_PATH_MAX];
	struct vnp_global_conf global;
	struct vnp_vm_conf *vms;
	unsigned int n_vms;
	unsigned int n_included;	/* files read from include_dir */
	bool include_missing;		/* include_dir does not exist */
};

/*
 * Parse @f, named @path in messages, into @conf, then the files of
 * include_dir if it sets one. @flags: VNP_CONF_*. On error returns -1 with
 * a one-line description in @err (@errlen bytes); @conf is then empty.
 */
int vnp_conf_parse(struct vnp_conf *conf, const char *path, FILE *f,
		   unsigned int flags, char *err, size_t errlen);

/* Open and parse @path; errors as vnp_conf_parse(). */
int vnp_conf_load(struct vnp_conf *conf, const char *path,
		  unsigned int flags, char *err, size_t errlen);

/*
 * Is @name, in include_dir, a file to read? "NAME.conf" not starting with
 * '.', so that a writer can fill ".NAME.conf.tmp" and rename it.
 */
bool vnp_conf_included_name(const char *name);

void vnp_conf_free(struct vnp_conf *conf);

/* Print what vnplugd will do with @conf, for --check-config. */
void vnp_conf_print(const struct vnp_conf *conf, FILE *out);

/*
 * May the VM open host interface @ifname, queue @queue (-1: the whole
 * device)? An entry without '@' allows the whole device and any queue; an
 * entry "IF@Q" allows only the queues whose decimal number matches glob Q.
 */
bool vnp_conf_may_use(const struct vnp_vm_conf *vm, const char *ifname,
		      int queue);

#endif /* VNPLUGD_CONF_H */
