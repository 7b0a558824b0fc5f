/*
 * vnplug-ctrl: the vNPlug control channel, a virtio device with two
 * virtqueues (guest to host, host to guest) whose far end is vnplugd, the
 * host daemon, reached through a UNIX socket chardev:
 *
 *   -chardev socket,id=vnp,path=/run/vnplug/vm1.sock,reconnect=1
 *   -device vnplug-ctrl,chardev=vnp
 *
 * It relays control messages both ways unchanged (after checking their
 * framing: a guest is untrusted), and hotplugs or unplugs a vnplug-ring
 * device when vnplugd sends VNPLUG_SOCK_MAP or VNPLUG_SOCK_UNMAP with the
 * region's file descriptors. When vnplugd goes away, the guest learns it
 * through the configuration space and the rings it mapped are unplugged;
 * the chardev's reconnect option brings vnplugd back.
 *
 * docs/specs/vnplug.md describes the protocol and the device.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/iov.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/queue.h"
#include "qapi/error.h"
#include "chardev/char-fe.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-pci.h"
#include "standard-headers/linux/virtio_ids.h"
#include "migration/vmstate.h"
#include "monitor/qdev.h"
#include "hw/misc/vnplug.h"

#define TYPE_VNPLUG_CTRL "vnplug-ctrl-device"
OBJECT_DECLARE_SIMPLE_TYPE(VNPlugCtrl, VNPLUG_CTRL)

#define VQ_SIZE 64
#define MAX_PENDING 256         /* host -> guest messages waiting */
#define MAX_SESSIONS 4096       /* guest sessions remembered for reset */
#define MAX_FDS 16              /* descriptors waiting for their frame */
#define SOCK_FRAME_MAX (sizeof(struct vnplug_sock_hdr) + VNPLUG_SOCK_MAX)

typedef struct VNPlugCtrlMsg {
    QSIMPLEQ_ENTRY(VNPlugCtrlMsg) next;
    size_t len;
    uint8_t data[];
} VNPlugCtrlMsg;

struct VNPlugCtrl {
    VirtIODevice parent_obj;

    CharBackend chr;
    uint16_t virtio_id;
    char *ring_bus;

    VirtQueue *to_host;
    VirtQueue *to_guest;
    struct vnplug_ctrl_config cfg;

    bool hello_done;
    uint32_t tx_seq;
    uint8_t rx[SOCK_FRAME_MAX];
    size_t rx_len;
    int fds[MAX_FDS];
    int nfds;

    QSIMPLEQ_HEAD(, VNPlugCtrlMsg) pending;
    unsigned npending;
    GHashTable *rings;          /* region id -> VNPlugRingState */
    GHashTable *sessions;       /* guest sessions vnplugd was told of */
};

/* ---- the socket towards vnplugd --------------------------------------- */

static void vnplug_ctrl_send(VNPlugCtrl *s, uint16_t type, uint32_t seq,
                             const void *a, size_t alen,
                             const void *b, size_t blen)
{
    struct vnplug_sock_hdr h = {
        .magic = cpu_to_le32(VNPLUG_SOCK_MAGIC),
        .type = cpu_to_le16(type),
        .len = cpu_to_le32(alen + blen),
        .seq = cpu_to_le32(seq ? seq : ++s->tx_seq),
    };
    uint8_t buf[SOCK_FRAME_MAX];

    if (sizeof(h) + alen + blen > sizeof(buf)) {
        error_report("vnplug-ctrl: frame of %zu bytes not sent", alen + blen);
        return;
    }
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), a, alen);
    if (blen) {
        memcpy(buf + sizeof(h) + alen, b, blen);
    }
    qemu_chr_fe_write_all(&s->chr, buf, sizeof(h) + alen + blen);
}

static void vnplug_ctrl_sock_error(VNPlugCtrl *s, int status, uint32_t ref,
                                   const char *text)
{
    struct vnplug_sock_error e = {
        .status = cpu_to_le32(status),
        .ref_seq = cpu_to_le32(ref),
    };

    pstrcpy(e.text, sizeof(e.text), text);
    vnplug_ctrl_send(s, VNPLUG_SOCK_ERROR, 0, &e, sizeof(e), NULL, 0);
}

static void vnplug_ctrl_region_reply(VNPlugCtrl *s, uint16_t type,
                                     uint32_t seq, uint32_t id, int status)
{
    struct vnplug_sock_region r = {
        .region_id = cpu_to_le32(id),
        .status = cpu_to_le32(status),
    };

    vnplug_ctrl_send(s, type, seq, &r, sizeof(r), NULL, 0);
}

static void vnplug_ctrl_drop_fds(VNPlugCtrl *s)
{
    while (s->nfds > 0) {
        close(s->fds[--s->nfds]);
    }
}

/* Takes n descriptors off the front of the queue, in arrival order. */
static bool vnplug_ctrl_take_fds(VNPlugCtrl *s, int *out, int n)
{
    if (s->nfds < n) {
        return false;
    }
    memcpy(out, s->fds, n * sizeof(int));
    memmove(s->fds, s->fds + n, (s->nfds - n) * sizeof(int));
    s->nfds -= n;
    return true;
}

/* ---- host -> guest ---------------------------------------------------- */

static void vnplug_ctrl_flush(VNPlugCtrl *s)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(s);
    VNPlugCtrlMsg *m;
    bool pushed = false;

    if (!virtio_queue_ready(s->to_guest) ||
        !(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        return;
    }
    while ((m = QSIMPLEQ_FIRST(&s->pending))) {
        VirtQueueElement *elem = virtqueue_pop(s->to_guest,
                                               sizeof(VirtQueueElement));
        size_t n;

        if (!elem) {
            break;
        }
        n = iov_from_buf(elem->in_sg, elem->in_num, 0, m->data, m->len);
        if (n < m->len) {
            qemu_log_mask(LOG_GUEST_ERROR, "vnplug-ctrl: a receive buffer "
                          "of %zu bytes is too small; message dropped\n", n);
            n = 0;
        }
        virtqueue_push(s->to_guest, elem, n);
        g_free(elem);
        QSIMPLEQ_REMOVE_HEAD(&s->pending, next);
        s->npending--;
        g_free(m);
        pushed = true;
    }
    if (pushed) {
        virtio_notify(vdev, s->to_guest);
    }
}

static void vnplug_ctrl_to_guest(VNPlugCtrl *s, const void *msg, size_t len)
{
    VNPlugCtrlMsg *m;

    if (s->npending >= MAX_PENDING) {
        warn_report_once("vnplug-ctrl: the guest does not take its "
                         "messages; dropping");
        return;
    }
    m = g_malloc(sizeof(*m) + len);
    m->len = len;
    memcpy(m->data, msg, len);
    QSIMPLEQ_INSERT_TAIL(&s->pending, m, next);
    s->npending++;
    vnplug_ctrl_flush(s);
}

static void vnplug_ctrl_drop_pending(VNPlugCtrl *s)
{
    VNPlugCtrlMsg *m;

    while ((m = QSIMPLEQ_FIRST(&s->pending))) {
        QSIMPLEQ_REMOVE_HEAD(&s->pending, next);
        g_free(m);
    }
    s->npending = 0;
}

/* A framework error addressed to the guest session that caused it. */
static void vnplug_ctrl_guest_error(VNPlugCtrl *s, uint32_t session,
                                    const uint8_t *msg, size_t len,
                                    int status, const char *text)
{
    struct {
        struct vnplug_msg_hdr h;
        struct vnplug_msg_error e;
    } QEMU_PACKED r = { 0 };
    struct vnplug_app_hdr app;

    qemu_log_mask(LOG_GUEST_ERROR, "vnplug-ctrl: session %u: %s\n",
                  session, text);
    if (!session) {
        return;
    }
    r.h.version = VNPLUG_VERSION;
    r.h.type = VNPLUG_MSG_ERROR;
    r.h.session = cpu_to_le32(session);
    r.h.len = cpu_to_le32(sizeof(r.e));
    r.e.status = cpu_to_le32(status);
    if (len >= sizeof(r.h) + sizeof(app) && msg[1] == VNPLUG_MSG_APP) {
        memcpy(&app, msg + sizeof(r.h), sizeof(app));
        r.e.app_id = app.app_id;
        r.e.op = app.op;
        r.e.seq = app.seq;
    }
    pstrcpy(r.e.text, sizeof(r.e.text), text);
    vnplug_ctrl_to_guest(s, &r, sizeof(r));
}

/* ---- rings ------------------------------------------------------------ */

static void vnplug_ctrl_ring_gone(void *opaque, uint32_t id)
{
    VNPlugCtrl *s = opaque;

    g_hash_table_remove(s->rings, GUINT_TO_POINTER(id));
}

/* UNMAPPED promises vnplugd that QEMU no longer maps the region. */
static void vnplug_ctrl_ring_released(void *opaque, uint32_t id)
{
    VNPlugCtrl *s = opaque;

    if (s->hello_done) {
        vnplug_ctrl_region_reply(s, VNPLUG_SOCK_UNMAPPED, 0, id, 0);
    }
}

static BusState *vnplug_ctrl_ring_bus(VNPlugCtrl *s, Error **errp)
{
    DeviceState *proxy = qdev_get_parent_bus(DEVICE(s))->parent;
    BusState *bus;

    if (!s->ring_bus) {
        return qdev_get_parent_bus(proxy);
    }
    bus = (BusState *)object_resolve_path_type(s->ring_bus, TYPE_PCI_BUS,
                                               NULL);
    if (!bus) {
        error_setg(errp, "vnplug-ctrl: no PCI bus '%s'", s->ring_bus);
    }
    return bus;
}

static int vnplug_ctrl_plug(VNPlugCtrl *s, const VNPlugRingSetup *setup,
                            Error **errp)
{
    uint32_t id = setup->map.region_id;
    BusState *bus = vnplug_ctrl_ring_bus(s, errp);
    DeviceState *dev;

    if (!bus) {
        return -ENODEV;
    }
    if (!qbus_is_hotpluggable(bus)) {
        error_setg(errp, "vnplug-ctrl: bus %s does not take hotplugged "
                   "devices", bus->name);
        return -EOPNOTSUPP;
    }
    dev = qdev_new(TYPE_VNPLUG_RING);
    vnplug_ring_setup(VNPLUG_RING(dev), setup);
    if (!qdev_set_id(dev, g_strdup_printf("vnplug-ring%u", id), errp) ||
        !qdev_realize(dev, bus, errp)) {
        object_unparent(OBJECT(dev));
        object_unref(OBJECT(dev));
        return -EINVAL;
    }
    g_hash_table_insert(s->rings, GUINT_TO_POINTER(id), dev);
    object_unref(OBJECT(dev));
    return 0;
}

static void vnplug_ctrl_close_all(int *fds, int n)
{
    while (n-- > 0) {
        if (fds[n] >= 0) {
            close(fds[n]);
        }
    }
}

static void vnplug_ctrl_map(VNPlugCtrl *s, const struct vnplug_sock_hdr *h,
                            const void *p, int *fds)
{
    VNPlugRingSetup setup = {
        .gone = vnplug_ctrl_ring_gone,
        .released = vnplug_ctrl_ring_released,
        .opaque = s,
    };
    int ret = -EINVAL;
    Error *err = NULL;

    memcpy(&setup.map, p, sizeof(setup.map));
    if (h->nfds != 4) {
        error_setg(&err, "MAP needs 4 descriptors, got %u", h->nfds);
    } else if (g_hash_table_contains(s->rings,
                                     GUINT_TO_POINTER(setup.map.region_id))) {
        error_setg(&err, "region %u exists", setup.map.region_id);
        ret = -EEXIST;
    } else if (!phase_check(PHASE_MACHINE_READY)) {
        error_setg(&err, "the machine is not running yet");
        ret = -EAGAIN;
    } else {
        /* The ring device owns them from here, whatever happens. */
        setup.mem_fd = fds[0];
        setup.ctrl_fd = fds[1];
        setup.doorbell_fd = fds[2];
        setup.irq_fd = fds[3];
        fds[0] = fds[1] = fds[2] = fds[3] = -1;
        ret = vnplug_ctrl_plug(s, &setup, &err);
    }
    if (err) {
        error_report_err(err);
    }
    vnplug_ctrl_region_reply(s, VNPLUG_SOCK_MAPPED, h->seq,
                             setup.map.region_id, ret);
}

static void vnplug_ctrl_unplug_one(VNPlugRingState *ring)
{
    Error *err = NULL;

    vnplug_ring_unplugging(ring);
    qdev_unplug(DEVICE(ring), &err);
    if (err) {
        error_report_err(err);
    }
}

static void vnplug_ctrl_unmap(VNPlugCtrl *s, const struct vnplug_sock_hdr *h,
                              const void *p, int *fds)
{
    struct vnplug_sock_region r;
    VNPlugRingState *ring;

    memcpy(&r, p, sizeof(r));
    ring = g_hash_table_lookup(s->rings, GUINT_TO_POINTER(r.region_id));
    if (!ring) {
        vnplug_ctrl_region_reply(s, VNPLUG_SOCK_UNMAPPED, h->seq,
                                 r.region_id, -ENOENT);
        return;
    }
    vnplug_ctrl_unplug_one(ring);
}

static void vnplug_ctrl_unplug_all(VNPlugCtrl *s)
{
    GHashTableIter it;
    gpointer key, ring;

    g_hash_table_iter_init(&it, s->rings);
    while (g_hash_table_iter_next(&it, &key, &ring)) {
        vnplug_ring_backend_gone(ring);
        vnplug_ctrl_unplug_one(ring);
    }
}

/* ---- frames from vnplugd ---------------------------------------------- */

static void vnplug_ctrl_set_connected(VNPlugCtrl *s, bool on)
{
    uint32_t status = le32_to_cpu(s->cfg.status);
    uint32_t gen = le32_to_cpu(s->cfg.generation);

    if (on) {
        status |= VNPLUG_CTRL_CONNECTED;
        gen++;
    } else {
        status &= ~VNPLUG_CTRL_CONNECTED;
    }
    s->cfg.status = cpu_to_le32(status);
    s->cfg.generation = cpu_to_le32(gen);
    virtio_notify_config(VIRTIO_DEVICE(s));
}

static void vnplug_ctrl_hello(VNPlugCtrl *s, const struct vnplug_sock_hdr *h,
                              const void *p, int *fds)
{
    struct vnplug_sock_hello hello;

    memcpy(&hello, p, sizeof(hello));
    if (le32_to_cpu(hello.version) != VNPLUG_VERSION) {
        error_report("vnplug-ctrl: vnplugd speaks version %u, not %u",
                     le32_to_cpu(hello.version), VNPLUG_VERSION);
        vnplug_ctrl_sock_error(s, -EPROTO, h->seq, "version mismatch");
        qemu_chr_fe_disconnect(&s->chr);
        return;
    }
    s->hello_done = true;
    vnplug_ctrl_set_connected(s, true);
}

static void vnplug_ctrl_relay(VNPlugCtrl *s, const struct vnplug_sock_hdr *h,
                              const void *p, int *fds)
{
    struct vnplug_msg_hdr m;

    memcpy(&m, p, sizeof(m));
    if (h->len > VNPLUG_MSG_MAX ||
        le32_to_cpu(m.len) != h->len - sizeof(m)) {
        vnplug_ctrl_sock_error(s, -EINVAL, h->seq, "malformed CTRL frame");
        return;
    }
    vnplug_ctrl_to_guest(s, p, h->len);
}

static void vnplug_ctrl_peer_error(VNPlugCtrl *s,
                                   const struct vnplug_sock_hdr *h,
                                   const void *p, int *fds)
{
    struct vnplug_sock_error e;

    memcpy(&e, p, sizeof(e));
    e.text[sizeof(e.text) - 1] = 0;
    error_report("vnplug-ctrl: vnplugd reports error %d: %s",
                 (int32_t)le32_to_cpu(e.status), e.text);
}

/* fds: the frame's h->nfds descriptors; a handler that keeps one sets -1. */
typedef void VNPlugFrameFn(VNPlugCtrl *s, const struct vnplug_sock_hdr *h,
                           const void *payload, int *fds);

static const struct {
    VNPlugFrameFn *fn;
    uint32_t min_len;           /* payload bytes at least */
    bool exact;
} vnplug_frames[] = {
    [VNPLUG_SOCK_HELLO] = { vnplug_ctrl_hello,
                            sizeof(struct vnplug_sock_hello), true },
    [VNPLUG_SOCK_CTRL] = { vnplug_ctrl_relay,
                           sizeof(struct vnplug_msg_hdr), false },
    [VNPLUG_SOCK_MAP] = { vnplug_ctrl_map,
                          sizeof(struct vnplug_sock_map), true },
    [VNPLUG_SOCK_UNMAP] = { vnplug_ctrl_unmap,
                            sizeof(struct vnplug_sock_region), true },
    [VNPLUG_SOCK_ERROR] = { vnplug_ctrl_peer_error,
                            sizeof(struct vnplug_sock_error), true },
};

static void vnplug_ctrl_frame(VNPlugCtrl *s, struct vnplug_sock_hdr *h,
                              const uint8_t *p)
{
    int fds[VNPLUG_SOCK_MAX_FDS];

    if (!vnplug_ctrl_take_fds(s, fds, h->nfds)) {
        error_report("vnplug-ctrl: frame %u announces %u descriptors that "
                     "did not come", h->seq, h->nfds);
        vnplug_ctrl_sock_error(s, -EBADF, h->seq, "descriptors missing");
        vnplug_ctrl_drop_fds(s);
        return;
    }
    if (h->type >= ARRAY_SIZE(vnplug_frames) || !vnplug_frames[h->type].fn ||
        h->len < vnplug_frames[h->type].min_len ||
        (vnplug_frames[h->type].exact &&
         h->len != vnplug_frames[h->type].min_len)) {
        error_report("vnplug-ctrl: bad frame from vnplugd (type %u, %u "
                     "bytes)", h->type, h->len);
        vnplug_ctrl_sock_error(s, -EINVAL, h->seq, "bad frame");
        goto out;
    }
    if (!s->hello_done && h->type != VNPLUG_SOCK_HELLO &&
        h->type != VNPLUG_SOCK_ERROR) {
        vnplug_ctrl_sock_error(s, -EPROTO, h->seq, "HELLO first");
        goto out;
    }
    vnplug_frames[h->type].fn(s, h, p, fds);
out:
    vnplug_ctrl_close_all(fds, h->nfds);
}

/* Returns false when the stream cannot be trusted any more. */
static bool vnplug_ctrl_parse(VNPlugCtrl *s)
{
    struct vnplug_sock_hdr h;
    size_t used = 0;

    while (s->rx_len - used >= sizeof(h)) {
        memcpy(&h, s->rx + used, sizeof(h));
        h.magic = le32_to_cpu(h.magic);
        h.type = le16_to_cpu(h.type);
        h.nfds = le16_to_cpu(h.nfds);
        h.len = le32_to_cpu(h.len);
        h.seq = le32_to_cpu(h.seq);
        if (h.magic != VNPLUG_SOCK_MAGIC || h.len > VNPLUG_SOCK_MAX ||
            h.nfds > VNPLUG_SOCK_MAX_FDS) {
            error_report("vnplug-ctrl: garbage from vnplugd; reconnecting");
            return false;
        }
        if (s->rx_len - used < sizeof(h) + h.len) {
            break;
        }
        vnplug_ctrl_frame(s, &h, s->rx + used + sizeof(h));
        used += sizeof(h) + h.len;
    }
    memmove(s->rx, s->rx + used, s->rx_len - used);
    s->rx_len -= used;
    return true;
}

static int vnplug_ctrl_can_read(void *opaque)
{
    VNPlugCtrl *s = opaque;

    return sizeof(s->rx) - s->rx_len;
}

static void vnplug_ctrl_read(void *opaque, const uint8_t *buf, int size)
{
    VNPlugCtrl *s = opaque;
    int fds[MAX_FDS];
    int i, n = qemu_chr_fe_get_msgfds(&s->chr, fds, MAX_FDS);

    for (i = 0; i < n; i++) {
        if (s->nfds < MAX_FDS) {
            s->fds[s->nfds++] = fds[i];
        } else {
            close(fds[i]);
        }
    }
    memcpy(s->rx + s->rx_len, buf, size);
    s->rx_len += size;
    if (!vnplug_ctrl_parse(s)) {
        vnplug_ctrl_sock_error(s, -EPROTO, 0, "unsynchronised stream");
        qemu_chr_fe_disconnect(&s->chr);
    }
}

static void vnplug_ctrl_say_hello(VNPlugCtrl *s)
{
    struct vnplug_sock_hello hello = {
        .version = cpu_to_le32(VNPLUG_VERSION),
        .live_regions = cpu_to_le32(g_hash_table_size(s->rings)),
    };
    GHashTableIter it;
    gpointer key;
    uint32_t max = 0;

    g_hash_table_iter_init(&it, s->rings);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        max = MAX(max, GPOINTER_TO_UINT(key));
    }
    hello.max_region_id = cpu_to_le32(max);
    vnplug_ctrl_send(s, VNPLUG_SOCK_HELLO, 0, &hello, sizeof(hello), NULL, 0);
}

static void vnplug_ctrl_event(void *opaque, QEMUChrEvent event)
{
    VNPlugCtrl *s = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        s->rx_len = 0;
        vnplug_ctrl_drop_fds(s);
        vnplug_ctrl_say_hello(s);
        break;
    case CHR_EVENT_CLOSED:
        if (s->hello_done) {
            warn_report("vnplug-ctrl: vnplugd went away; unplugging its "
                        "rings");
        }
        s->hello_done = false;
        s->rx_len = 0;
        vnplug_ctrl_drop_fds(s);
        vnplug_ctrl_drop_pending(s);
        g_hash_table_remove_all(s->sessions);
        vnplug_ctrl_unplug_all(s);
        vnplug_ctrl_set_connected(s, false);
        break;
    default:
        break;
    }
}

/* ---- guest -> host ---------------------------------------------------- */

/*
 * Checks one guest message and, when it is fit to go, returns NULL; else
 * the reason. The guest driver stamps the session, but a guest kernel is
 * as untrusted as its applications.
 */
static const char *vnplug_ctrl_check(const uint8_t *msg, size_t len,
                                     int *status)
{
    struct vnplug_msg_hdr h;

    *status = -EINVAL;
    if (len < sizeof(h)) {
        return "message shorter than its header";
    }
    memcpy(&h, msg, sizeof(h));
    if (len > VNPLUG_MSG_MAX) {
        *status = -EMSGSIZE;
        return "message larger than VNPLUG_MSG_MAX";
    }
    if (h.version != VNPLUG_VERSION || h.flags) {
        return "unknown framework version or flags";
    }
    if (le32_to_cpu(h.len) != len - sizeof(h)) {
        return "length field does not match the message";
    }
    switch (h.type) {
    case VNPLUG_MSG_APP:
        if (len < sizeof(h) + sizeof(struct vnplug_app_hdr)) {
            return "application message without its header";
        }
        return NULL;
    case VNPLUG_MSG_SESSION_OPEN:
    case VNPLUG_MSG_SESSION_CLOSE:
    case VNPLUG_MSG_PONG:
        return NULL;
    }
    return "unknown message type";
}

/* Remembers sessions, so that a reset can close them at vnplugd. */
static void vnplug_ctrl_track(VNPlugCtrl *s, const uint8_t *msg)
{
    struct vnplug_msg_hdr h;

    memcpy(&h, msg, sizeof(h));
    if (h.type == VNPLUG_MSG_SESSION_OPEN &&
        g_hash_table_size(s->sessions) < MAX_SESSIONS) {
        g_hash_table_add(s->sessions, GUINT_TO_POINTER(h.session));
    } else if (h.type == VNPLUG_MSG_SESSION_CLOSE) {
        g_hash_table_remove(s->sessions, GUINT_TO_POINTER(h.session));
    }
}

static void vnplug_ctrl_from_guest(VNPlugCtrl *s, const uint8_t *msg,
                                   size_t len, size_t full)
{
    struct vnplug_msg_hdr h = { 0 };
    const char *why;
    int status;

    memcpy(&h, msg, MIN(len, sizeof(h)));
    why = vnplug_ctrl_check(msg, full, &status);
    if (why) {
        vnplug_ctrl_guest_error(s, le32_to_cpu(h.session), msg, len, status,
                                why);
        return;
    }
    if (!s->hello_done) {
        if (h.type == VNPLUG_MSG_APP) {
            vnplug_ctrl_guest_error(s, le32_to_cpu(h.session), msg, len,
                                    -ENOTCONN, "vnplugd is not connected");
        }
        return;
    }
    vnplug_ctrl_track(s, msg);
    vnplug_ctrl_send(s, VNPLUG_SOCK_CTRL, 0, msg, len, NULL, 0);
}

static void vnplug_ctrl_handle_to_host(VirtIODevice *vdev, VirtQueue *vq)
{
    VNPlugCtrl *s = VNPLUG_CTRL(vdev);
    uint8_t msg[VNPLUG_MSG_MAX];
    VirtQueueElement *elem;

    while ((elem = virtqueue_pop(vq, sizeof(VirtQueueElement)))) {
        size_t full = iov_size(elem->out_sg, elem->out_num);
        size_t len = iov_to_buf(elem->out_sg, elem->out_num, 0, msg,
                                sizeof(msg));

        vnplug_ctrl_from_guest(s, msg, len, full);
        virtqueue_push(vq, elem, 0);
        g_free(elem);
    }
    virtio_notify(vdev, vq);
}

static void vnplug_ctrl_handle_to_guest(VirtIODevice *vdev, VirtQueue *vq)
{
    vnplug_ctrl_flush(VNPLUG_CTRL(vdev));
}

/* ---- virtio device ---------------------------------------------------- */

static void vnplug_ctrl_get_config(VirtIODevice *vdev, uint8_t *config)
{
    memcpy(config, &VNPLUG_CTRL(vdev)->cfg, sizeof(struct vnplug_ctrl_config));
}

static uint64_t vnplug_ctrl_get_features(VirtIODevice *vdev, uint64_t f,
                                         Error **errp)
{
    return f;
}

static void vnplug_ctrl_set_status(VirtIODevice *vdev, uint8_t status)
{
    if (status & VIRTIO_CONFIG_S_DRIVER_OK) {
        vnplug_ctrl_flush(VNPLUG_CTRL(vdev));
    }
}

/*
 * A reset (guest reboot, driver unload) ends the guest's sessions without
 * their close messages: say them on the guest's behalf, so that vnplugd
 * releases what they held.
 */
static void vnplug_ctrl_reset(VirtIODevice *vdev)
{
    VNPlugCtrl *s = VNPLUG_CTRL(vdev);
    GHashTableIter it;
    gpointer key;

    vnplug_ctrl_drop_pending(s);
    if (!s->hello_done) {
        g_hash_table_remove_all(s->sessions);
        return;
    }
    g_hash_table_iter_init(&it, s->sessions);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        struct vnplug_msg_hdr h = {
            .version = VNPLUG_VERSION,
            .type = VNPLUG_MSG_SESSION_CLOSE,
            .session = cpu_to_le32(GPOINTER_TO_UINT(key)),
        };

        vnplug_ctrl_send(s, VNPLUG_SOCK_CTRL, 0, &h, sizeof(h), NULL, 0);
    }
    g_hash_table_remove_all(s->sessions);
}

static void vnplug_ctrl_realize(DeviceState *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VNPlugCtrl *s = VNPLUG_CTRL(dev);

    if (!qemu_chr_fe_backend_connected(&s->chr)) {
        error_setg(errp, "vnplug-ctrl: chardev is required (a UNIX socket "
                   "to vnplugd)");
        return;
    }
    if (!qemu_chr_has_feature(qemu_chr_fe_get_driver(&s->chr),
                              QEMU_CHAR_FEATURE_FD_PASS)) {
        error_setg(errp, "vnplug-ctrl: chardev must be a UNIX socket (it "
                   "receives file descriptors)");
        return;
    }
    if (s->virtio_id < 1 || s->virtio_id > 63) {
        error_setg(errp, "vnplug-ctrl: virtio-id must be 1..63 (modern "
                   "virtio-pci), not %u", s->virtio_id);
        return;
    }
    /*
     * virtio_init() looks the id up in QEMU's table of assigned ids and
     * aborts on any other, which ours is by design. Initialise with an
     * assigned id that allows no legacy mode, then set ours and a name
     * before the transport reads them when the device is plugged.
     */
    virtio_init(vdev, VIRTIO_ID_GPIO, sizeof(struct vnplug_ctrl_config));
    vdev->device_id = s->virtio_id;
    vdev->name = "vnplug-ctrl";
    s->to_host = virtio_add_queue(vdev, VQ_SIZE, vnplug_ctrl_handle_to_host);
    s->to_guest = virtio_add_queue(vdev, VQ_SIZE,
                                   vnplug_ctrl_handle_to_guest);
    QSIMPLEQ_INIT(&s->pending);
    s->rings = g_hash_table_new(NULL, NULL);
    s->sessions = g_hash_table_new(NULL, NULL);
    qemu_chr_fe_set_handlers(&s->chr, vnplug_ctrl_can_read, vnplug_ctrl_read,
                             vnplug_ctrl_event, NULL, s, NULL, true);
}

static void vnplug_ctrl_unrealize(DeviceState *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VNPlugCtrl *s = VNPLUG_CTRL(dev);

    qemu_chr_fe_deinit(&s->chr, false);
    vnplug_ctrl_drop_pending(s);
    vnplug_ctrl_drop_fds(s);
    g_hash_table_destroy(s->rings);
    g_hash_table_destroy(s->sessions);
    virtio_delete_queue(s->to_host);
    virtio_delete_queue(s->to_guest);
    virtio_cleanup(vdev);
}

static Property vnplug_ctrl_properties[] = {
    DEFINE_PROP_CHR("chardev", VNPlugCtrl, chr),
    DEFINE_PROP_UINT16("virtio-id", VNPlugCtrl, virtio_id,
                       VNPLUG_CTRL_VIRTIO_ID),
    DEFINE_PROP_STRING("ring-bus", VNPlugCtrl, ring_bus),
    DEFINE_PROP_END_OF_LIST(),
};

/* Its rings live in vnplugd's memory and cannot move with the VM. */
static const VMStateDescription vnplug_ctrl_vmstate = {
    .name = TYPE_VNPLUG_CTRL,
    .unmigratable = 1,
};

static void vnplug_ctrl_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);

    device_class_set_props(dc, vnplug_ctrl_properties);
    dc->vmsd = &vnplug_ctrl_vmstate;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    vdc->realize = vnplug_ctrl_realize;
    vdc->unrealize = vnplug_ctrl_unrealize;
    vdc->get_config = vnplug_ctrl_get_config;
    vdc->get_features = vnplug_ctrl_get_features;
    vdc->set_status = vnplug_ctrl_set_status;
    vdc->reset = vnplug_ctrl_reset;
}

static const TypeInfo vnplug_ctrl_info = {
    .name = TYPE_VNPLUG_CTRL,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VNPlugCtrl),
    .class_init = vnplug_ctrl_class_init,
};

/* ---- the PCI proxy: -device vnplug-ctrl ------------------------------- */

typedef struct VNPlugCtrlPCI {
    VirtIOPCIProxy parent_obj;
    VNPlugCtrl vdev;
} VNPlugCtrlPCI;

#define TYPE_VNPLUG_CTRL_PCI "vnplug-ctrl-pci-base"
DECLARE_INSTANCE_CHECKER(VNPlugCtrlPCI, VNPLUG_CTRL_PCI, TYPE_VNPLUG_CTRL_PCI)

static void vnplug_ctrl_pci_realize(VirtIOPCIProxy *vpci_dev, Error **errp)
{
    VNPlugCtrlPCI *p = VNPLUG_CTRL_PCI(vpci_dev);

    if (vpci_dev->nvectors == DEV_NVECTORS_UNSPECIFIED) {
        vpci_dev->nvectors = 3;     /* two queues and configuration */
    }
    qdev_realize(DEVICE(&p->vdev), BUS(&vpci_dev->bus), errp);
}

static void vnplug_ctrl_pci_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioPCIClass *k = VIRTIO_PCI_CLASS(klass);
    PCIDeviceClass *pcidev_k = PCI_DEVICE_CLASS(klass);

    k->realize = vnplug_ctrl_pci_realize;
    dc->desc = "vNPlug control channel to vnplugd";
    /* The ring devices it created would lose their owner. */
    dc->hotpluggable = false;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    pcidev_k->class_id = PCI_CLASS_OTHERS;
}

static void vnplug_ctrl_pci_instance_init(Object *obj)
{
    VNPlugCtrlPCI *p = VNPLUG_CTRL_PCI(obj);

    virtio_instance_init_common(obj, &p->vdev, sizeof(p->vdev),
                                TYPE_VNPLUG_CTRL);
}

static const VirtioPCIDeviceTypeInfo vnplug_ctrl_pci_info = {
    .base_name = TYPE_VNPLUG_CTRL_PCI,
    .non_transitional_name = "vnplug-ctrl",
    .instance_size = sizeof(VNPlugCtrlPCI),
    .instance_init = vnplug_ctrl_pci_instance_init,
    .class_init = vnplug_ctrl_pci_class_init,
};

static void vnplug_ctrl_register_types(void)
{
    type_register_static(&vnplug_ctrl_info);
    virtio_pci_types_register(&vnplug_ctrl_pci_info);
}

type_init(vnplug_ctrl_register_types)
