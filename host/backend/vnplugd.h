/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnplugd's internals, shared by its source files (back-ends use
 * vnplug_host.h only):
 *
 *   main.c      command line, event loop, signals, timer, reloading
 *   vm.c        per-VM listening sockets, QEMU connections, liveness,
 *               applying a reloaded configuration
 *   conn.c      layer 2: frames in and out of a QEMU connection
 *   ctrl.c      layer 1: control messages, sessions, back-end routing
 *   region.c    mapped devices
 *   conf.c      the configuration file (conf.h)
 *   log.c       logging (log.h)
 *   apps.c      the compiled-in back-ends (apps.h), app_test.c one of them
 */
#ifndef VNPLUGD_H
#define VNPLUGD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "apps.h"
#include "conf.h"
#include "list.h"
#include "log.h"
#include "vnplug_host.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
/* vnplug.h's fields are little-endian and vnplugd uses them as they are. */
#error "vnplugd supports little-endian hosts only"
#endif

#define VNPD_HELLO_TIMEOUT_MS 5000
/* Bytes queued for a QEMU that does not read before it is dropped. */
#define VNPD_OUT_MAX (1u << 20)
#define VNPD_MAX_SESSIONS 256
#define VNPD_MAX_APPS 16
/* Guest misbehaviour logged per VM and window; the rest is counted. */
#define VNPD_RL_BURST 10
#define VNPD_RL_WINDOW_MS 5000

/*
 * Something in the epoll set. Objects die while an epoll batch may still
 * hold a pointer to them, so they are marked dead and freed (release) only
 * after the batch.
 */
struct vnp_watch {
	int fd;
	void (*handle)(struct vnp_watch *w, uint32_t events);
	bool dead;
	void (*release)(struct vnp_watch *w);
	struct vnp_watch *next_dead;
};

struct vnp_frame {
	struct list_head node;
	size_t len, off;
	unsigned int nfds;
	int fds[VNPLUG_SOCK_MAX_FDS];
	uint8_t data[];	/* header and payload */
};

struct vnp_conn {
	struct vnp_watch w;
	struct vnp_vm *vm;
	pid_t pid;
	bool hello_done;
	bool closed;		/* VM state torn down, fd closed */
	int64_t hello_deadline;
	uint32_t seq;		/* of our last frame */
	/* The frame being read; 8-byte aligned for the payload structs. */
	union {
		struct vnplug_sock_hdr hdr;
		uint64_t align;
		uint8_t bytes[sizeof(struct vnplug_sock_hdr) +
			      VNPLUG_SOCK_MAX];
	} in;
	size_t in_len;
	int in_fds[VNPLUG_SOCK_MAX_FDS];
	unsigned int in_nfds;
	bool in_fds_lost;	/* more arrived than fit, or truncated */
	struct list_head out;
	size_t out_bytes;
	bool want_out;
};

struct vnp_ratelimit {
	int64_t start;
	unsigned int printed;
	unsigned int suppressed;
};

struct vnp_vm_stats {
	uint64_t rejected;	/* frames or messages refused */
	uint64_t connections;
	uint64_t refused;	/* second connections */
	uint64_t ctrl_in, ctrl_out;
	uint64_t pings, pongs;
	uint64_t guest_timeouts;
	uint64_t regions_created;
};

/*
 * A configured VM. Allocated one by one and never moved, as its sessions,
 * regions and connection point to it; freed through its listen watch's
 * release, after the epoll batch in which a reload removed it. @conf points
 * into vnpd.conf.vms[], which a reload replaces: only vm.c's reload sets it.
 */
struct vnp_vm {
	const struct vnp_vm_conf *conf;
	struct vnp_watch listen;	/* fd -1: not listening */
	dev_t sock_dev;		/* the socket file we made, to remove */
	ino_t sock_ino;		/* only that one at exit */
	struct vnp_conn *conn;
	struct list_head sessions;
	unsigned int n_sessions;
	struct list_head regions;
	unsigned int n_regions;
	uint64_t region_bytes;
	uint32_t last_region_id;
	uint64_t ping_cookie;		/* of the last PING */
	bool ping_outstanding;		/* no PONG since ping_since */
	int64_t ping_since;		/* the oldest unanswered PING */
	unsigned int ping_countdown;	/* ticks until the next PING */
	int64_t pong_at;		/* the last matching PONG */
	struct vnp_ratelimit rl;
	struct vnp_vm_stats st;
};

struct vnp_session {
	struct list_head node;
	struct vnp_vm *vm;
	uint32_t id;
};

enum vnp_region_state {
	VNP_REGION_MAPPING,	/* MAP sent */
	VNP_REGION_MAPPED,	/* QEMU answered MAPPED{0} */
	VNP_REGION_UNMAPPING,	/* destroyed: UNMAP sent, fds closed */
};

struct vnp_region {
	struct vnp_watch w;	/* the doorbell eventfd */
	struct list_head node;
	struct vnp_vm *vm;
	const struct vnp_app *app;	/* NULL once unregistered */
	uint32_t id, app_id, session;
	uint64_t size;
	enum vnp_region_state state;
	int ctrl_fd, irq_fd;
	struct vnplug_ctrl_page *ctrl;
	void *cookie;
	int64_t unmap_deadline;
};

struct vnp_daemon {
	struct vnp_conf conf;
	const char *conf_path;		/* -c FILE, read again on reload */
	int log_level_opt;		/* from the command line, or -1 */
	struct vnp_vm **vms;		/* in vnpd.conf.vms[]'s order */
	unsigned int n_vms;
	int epfd;
	struct vnp_watch sig, timer;
	/* include_dir's inotify descriptor and the reload it schedules. */
	struct vnp_watch notify, notify_timer;
	int notify_wd;			/* include_dir, or -1 */
	int notify_parent_wd;		/* its parent while it is missing */
	char notify_dir[VNP_CONF_PATH_MAX];	/* what they are for */
	bool notify_changed;		/* a pending reload is for an event */
	uint64_t reloads, reload_failures;
	struct vnp_watch *dead;
	bool quit;
	uint64_t cookie_seed;
};

extern struct vnp_daemon vnpd;

/* main.c */
int64_t vnp_now_ms(void);
int vnp_watch_add(struct vnp_watch *w, int fd, uint32_t events,
		  void (*handle)(struct vnp_watch *, uint32_t));
int vnp_watch_mod(struct vnp_watch *w, uint32_t events);
void vnp_watch_del(struct vnp_watch *w);
void vnp_watch_bury(struct vnp_watch *w, void (*release)(struct vnp_watch *));

/* vm.c */
int vnp_vms_open(void);
void vnp_vms_close(void);
/*
 * Serve @nc from now on: keep the VMs whose socket path is unchanged
 * (connection, sessions and regions included), close those gone or moved
 * as if QEMU had disconnected, open the new ones. Takes @nc over and
 * frees the configuration it replaces. -1 (nothing changed, @nc freed)
 * only when out of memory. @quiet: a check of vnplugd's own, whose
 * summary is logged at debug level when nothing changed.
 */
int vnp_vms_reload(struct vnp_conf *nc, bool quiet);
void vnp_vms_tick(int64_t now);
void vnp_vms_dump(void);
/* Free every session and region of @vm, QEMU having gone. */
void vnp_vm_forget(struct vnp_vm *vm);
/* Tear down every session (back-ends told) and unplug every region. */
void vnp_vm_teardown_guest(struct vnp_vm *vm);
/* The VM's QEMU connection if it answered HELLO and is alive. */
struct vnp_conn *vnp_vm_conn(struct vnp_vm *vm);

/* conn.c */
struct vnp_conn *vnp_conn_new(struct vnp_vm *vm, int fd, pid_t pid);
int vnp_conn_send(struct vnp_conn *c, uint16_t type, uint32_t seq,
		  const struct iovec *iov, int iovcnt, const int *fds,
		  unsigned int nfds);
int vnp_conn_send_error(struct vnp_conn *c, int status, uint32_t ref_seq,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Stop serving @c. Safe anywhere, even deep in a back-end's call: the VM's
 * sessions and regions are torn down after the current batch of events.
 */
void vnp_conn_kill(struct vnp_conn *c);
/* Tear @c down now; only from the top of an event handler. */
void vnp_conn_close(struct vnp_conn *c);
/* Did QEMU close its end (the next read would see end of file)? */
bool vnp_conn_hung_up(const struct vnp_conn *c);
/* Send ERROR on a connection we will not serve, then close @fd. */
void vnp_refuse_fd(int fd, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ctrl.c */
void vnp_ctrl_input(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
		    const uint8_t *p);
int vnp_ctrl_send_ping(struct vnp_vm *vm, uint64_t cookie);
struct vnp_session *vnp_session_find(struct vnp_vm *vm, uint32_t id);
void vnp_session_close(struct vnp_session *s);
const struct vnp_app *vnp_app_find(uint32_t id);

/* region.c */
void vnp_region_on_mapped(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
			  const struct vnplug_sock_region *m);
void vnp_region_on_unmapped(struct vnp_conn *c,
			    const struct vnplug_sock_hdr *h,
			    const struct vnplug_sock_region *m);
/* End @r now: back-end told (region_unmapped(@status)), record freed. */
void vnp_region_release(struct vnp_region *r, int status);
void vnp_regions_tick(struct vnp_vm *vm, int64_t now);
/* Regions not being unmapped: what the guest still uses. */
unsigned int vnp_vm_n_active_regions(const struct vnp_vm *vm);
void vnp_region_dump(const struct vnp_region *r);

#endif /* VNPLUGD_H */
