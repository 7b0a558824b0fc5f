// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layer 1: the guest's control messages, relayed by QEMU in CTRL frames.
 * vnplugd checks every header field before routing an application message
 * to its back-end by app_id; sessions are the guest driver's, created and
 * ended by SESSION_OPEN and SESSION_CLOSE.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "vnplugd.h"

#define MSG_HDR_LEN sizeof(struct vnplug_msg_hdr)
#define APP_HDR_LEN sizeof(struct vnplug_app_hdr)

struct msg_type {
	const char *name;
	void (*fn)(struct vnp_vm *vm, const struct vnplug_msg_hdr *m,
		   const uint8_t *body);
};

static const struct vnp_app *apps[VNPD_MAX_APPS];
static unsigned int n_apps;

/* ---- back-end registry ----------------------------------------------- */

const struct vnp_app *vnp_app_find(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < n_apps; i++)
		if (apps[i]->id == id)
			return apps[i];
	return NULL;
}

int vnp_app_register(const struct vnp_app *app)
{
	if (!app->id || !app->name || !app->message)
		return -EINVAL;
	if (vnp_app_find(app->id))
		return -EEXIST;
	if (n_apps == VNPD_MAX_APPS)
		return -ENOSPC;
	apps[n_apps++] = app;
	vnp_dbg("back-end %s (id %u) registered", app->name, app->id);
	return 0;
}

static struct vnp_region *first_region_of(struct vnp_vm *vm,
					  const struct vnp_app *app)
{
	struct vnp_region *r;

	list_for_each_entry(r, &vm->regions, node)
		if (r->app == app)
			return r;
	return NULL;
}

/* Its regions stay until QEMU confirms, but no longer report to it. */
static void app_drop_regions(const struct vnp_app *app)
{
	struct vnp_region *r;
	unsigned int i;

	for (i = 0; i < vnpd.n_vms; i++) {
		while ((r = first_region_of(vnpd.vms[i], app))) {
			r->app = NULL;
			vnp_region_destroy(r);
			if (app->region_unmapped)
				app->region_unmapped(r, -ESHUTDOWN);
		}
	}
}

void vnp_app_unregister(const struct vnp_app *app)
{
	unsigned int i;

	for (i = 0; i < n_apps; i++)
		if (apps[i] == app)
			break;
	if (i == n_apps)
		return;
	apps[i] = apps[--n_apps];
	app_drop_regions(app);
	vnp_dbg("back-end %s (id %u) unregistered", app->name, app->id);
}

/* ---- sending --------------------------------------------------------- */

static int ctrl_send(struct vnp_vm *vm, uint8_t type, uint32_t session,
		     const void *a, size_t alen, const void *b, size_t blen)
{
	struct vnplug_msg_hdr m = {
		.version = VNPLUG_VERSION, .type = type, .session = session,
		.len = (uint32_t)(alen + blen),
	};
	struct iovec iov[3] = {
		{ &m, MSG_HDR_LEN }, { (void *)a, alen }, { (void *)b, blen },
	};
	struct vnp_conn *c = vnp_vm_conn(vm);

	if (!c)
		return -ENOTCONN;
	if (MSG_HDR_LEN + alen + blen > VNPLUG_MSG_MAX)
		return -EMSGSIZE;
	vm->st.ctrl_out++;
	return vnp_conn_send(c, VNPLUG_SOCK_CTRL, ++c->seq, iov, 3, NULL, 0);
}

int vnp_send(struct vnp_vm *vm, uint32_t session,
	     const struct vnplug_app_hdr *hdr, const void *payload, size_t len)
{
	if (!vnp_session_find(vm, session))
		return -ENOENT;
	return ctrl_send(vm, VNPLUG_MSG_APP, session, hdr, APP_HDR_LEN,
			 payload, len);
}

int vnp_reply(struct vnp_session *s, const struct vnplug_app_hdr *req,
	      int status, const void *payload, size_t len)
{
	struct vnplug_app_hdr h = {
		.app_id = req->app_id, .op = req->op, .seq = req->seq,
		.status = status,
	};

	return vnp_send(s->vm, s->id, &h, payload, len);
}

int vnp_ctrl_send_ping(struct vnp_vm *vm, uint64_t cookie)
{
	return ctrl_send(vm, VNPLUG_MSG_PING, 0, &cookie, sizeof(cookie),
			 NULL, 0);
}

/*
 * Refuse message @m: count and log it (rate-limited), and tell the session
 * with VNPLUG_MSG_ERROR, quoting @a (the application header) if it had
 * one. Session 0 is the driver's own and never gets an answer, so that a
 * confused driver and vnplugd cannot bounce errors at each other.
 */
static void msg_refuse(struct vnp_vm *vm, const struct vnplug_msg_hdr *m,
		       const struct vnplug_app_hdr *a, int status,
		       const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void msg_refuse(struct vnp_vm *vm, const struct vnplug_msg_hdr *m,
		       const struct vnplug_app_hdr *a, int status,
		       const char *fmt, ...)
{
	struct vnplug_msg_error e = { .status = status };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	if (a) {
		e.app_id = a->app_id;
		e.op = a->op;
		e.seq = a->seq;
		vnp_vm_reject(vm, "session %u: app %u op %u seq %u: %s",
			      m->session, a->app_id, a->op, a->seq, e.text);
	} else {
		vnp_vm_reject(vm, "session %u: message type %u: %s",
			      m->session, m->type, e.text);
	}
	if (m->session)
		ctrl_send(vm, VNPLUG_MSG_ERROR, m->session, &e, sizeof(e),
			  NULL, 0);
}

/* ---- sessions -------------------------------------------------------- */

struct vnp_session *vnp_session_find(struct vnp_vm *vm, uint32_t id)
{
	struct vnp_session *s;

	list_for_each_entry(s, &vm->sessions, node)
		if (s->id == id)
			return s;
	return NULL;
}

uint32_t vnp_session_id(const struct vnp_session *s)
{
	return s->id;
}

struct vnp_vm *vnp_session_vm(const struct vnp_session *s)
{
	return s->vm;
}

static struct vnp_region *first_session_region(struct vnp_vm *vm,
					       uint32_t session)
{
	struct vnp_region *r;

	list_for_each_entry(r, &vm->regions, node)
		if (r->session == session && r->state != VNP_REGION_UNMAPPING)
			return r;
	return NULL;
}

/*
 * Unlinked first, so that nothing is sent to it any more; back-ends are
 * told from a copy of the table, since one may unregister meanwhile.
 */
void vnp_session_close(struct vnp_session *s)
{
	const struct vnp_app *snapshot[VNPD_MAX_APPS];
	struct vnp_vm *vm = s->vm;
	struct vnp_region *r;
	unsigned int i, n = n_apps;

	list_del(&s->node);
	vm->n_sessions--;
	memcpy(snapshot, apps, n * sizeof(apps[0]));
	for (i = 0; i < n; i++)
		if (snapshot[i]->session_closed)
			snapshot[i]->session_closed(s);
	while ((r = first_session_region(vm, s->id)))
		vnp_region_destroy(r);
	vnp_dbg("vm %s: session %u closed", vm->conf->name, s->id);
	free(s);
}

static void on_session_open(struct vnp_vm *vm, const struct vnplug_msg_hdr *m,
			    const uint8_t *body)
{
	struct vnp_session *s;

	if (!m->session || m->len) {
		msg_refuse(vm, m, NULL, -EINVAL, "SESSION_OPEN needs a "
			   "non-zero session and no payload");
		return;
	}
	if (vnp_session_find(vm, m->session)) {
		msg_refuse(vm, m, NULL, -EEXIST, "session already open");
		return;
	}
	if (vm->n_sessions >= VNPD_MAX_SESSIONS) {
		msg_refuse(vm, m, NULL, -EMFILE, "too many sessions (at most "
			   "%d)", VNPD_MAX_SESSIONS);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		msg_refuse(vm, m, NULL, -ENOMEM, "out of memory");
		return;
	}
	/* Until now an idle guest owed no PONG; its clock starts here. */
	if (!vm->n_sessions && !vnp_vm_n_active_regions(vm))
		vm->ping_since = vnp_now_ms();
	s->vm = vm;
	s->id = m->session;
	list_add_tail(&s->node, &vm->sessions);
	vm->n_sessions++;
	vnp_dbg("vm %s: session %u opened", vm->conf->name, s->id);
}

static void on_session_close(struct vnp_vm *vm,
			     const struct vnplug_msg_hdr *m,
			     const uint8_t *body)
{
	struct vnp_session *s = vnp_session_find(vm, m->session);

	if (m->len) {
		msg_refuse(vm, m, NULL, -EINVAL, "SESSION_CLOSE has no "
			   "payload");
		return;
	}
	if (!s) {
		msg_refuse(vm, m, NULL, -ENOENT, "unknown session %u",
			   m->session);
		return;
	}
	vnp_session_close(s);
}

/* ---- other messages -------------------------------------------------- */

static void on_pong(struct vnp_vm *vm, const struct vnplug_msg_hdr *m,
		    const uint8_t *body)
{
	uint64_t cookie;

	if (m->len != sizeof(cookie)) {
		msg_refuse(vm, m, NULL, -EINVAL, "PONG of %u bytes, expected "
			   "%zu", m->len, sizeof(cookie));
		return;
	}
	memcpy(&cookie, body, sizeof(cookie));
	if (!vm->ping_outstanding || cookie != vm->ping_cookie) {
		msg_refuse(vm, m, NULL, -EINVAL, "PONG does not answer the "
			   "last PING");
		return;
	}
	vm->ping_outstanding = false;
	vm->pong_at = vnp_now_ms();
	vm->st.pongs++;
}

static void on_app(struct vnp_vm *vm, const struct vnplug_msg_hdr *m,
		   const uint8_t *body)
{
	const struct vnp_app *app;
	struct vnplug_app_hdr a;
	struct vnp_session *s;

	if (m->len < APP_HDR_LEN) {
		msg_refuse(vm, m, NULL, -EINVAL, "application message of %u "
			   "bytes, shorter than its header", m->len);
		return;
	}
	memcpy(&a, body, APP_HDR_LEN);
	s = vnp_session_find(vm, m->session);
	if (!s) {
		msg_refuse(vm, m, &a, -ENOENT, "unknown session %u",
			   m->session);
		return;
	}
	app = vnp_app_find(a.app_id);
	if (!app) {
		msg_refuse(vm, m, &a, -ENOENT, "unknown application %u",
			   a.app_id);
		return;
	}
	app->message(s, &a, body + APP_HDR_LEN, m->len - APP_HDR_LEN);
}

static const struct msg_type msg_types[] = {
	[VNPLUG_MSG_APP] = { "APP", on_app },
	[VNPLUG_MSG_SESSION_OPEN] = { "SESSION_OPEN", on_session_open },
	[VNPLUG_MSG_SESSION_CLOSE] = { "SESSION_CLOSE", on_session_close },
	[VNPLUG_MSG_PING] = { "PING", NULL },	/* host to guest only */
	[VNPLUG_MSG_PONG] = { "PONG", on_pong },
	[VNPLUG_MSG_ERROR] = { "ERROR", NULL },	/* host to guest only */
};

#define N_MSG_TYPES (sizeof(msg_types) / sizeof(msg_types[0]))

void vnp_ctrl_input(struct vnp_conn *c, const struct vnplug_sock_hdr *h,
		    const uint8_t *p)
{
	struct vnp_vm *vm = c->vm;
	struct vnplug_msg_hdr m;
	size_t body_len;

	vm->st.ctrl_in++;
	if (h->len < MSG_HDR_LEN || h->len > VNPLUG_MSG_MAX) {
		vnp_vm_reject(vm, "QEMU pid %d: CTRL frame of %u bytes",
			      c->pid, h->len);
		vnp_conn_send_error(c, -EINVAL, h->seq, "control message of "
				    "%u bytes (expected %zu to %d)", h->len,
				    MSG_HDR_LEN, VNPLUG_MSG_MAX);
		return;
	}
	memcpy(&m, p, MSG_HDR_LEN);
	body_len = h->len - MSG_HDR_LEN;
	if (m.version != VNPLUG_VERSION)
		msg_refuse(vm, &m, NULL, -EPROTONOSUPPORT, "message version "
			   "%u, expected %d", m.version, VNPLUG_VERSION);
	else if (m.flags)
		msg_refuse(vm, &m, NULL, -EINVAL, "flags %#x must be zero",
			   m.flags);
	else if (m.len != body_len)
		msg_refuse(vm, &m, NULL, -EINVAL, "header says %u bytes follow"
			   ", the message has %zu", m.len, body_len);
	else if (m.type >= N_MSG_TYPES || !msg_types[m.type].fn)
		msg_refuse(vm, &m, NULL, -EINVAL, "unexpected message type %u",
			   m.type);
	else
		msg_types[m.type].fn(vm, &m, p + MSG_HDR_LEN);
}
