// SPDX-License-Identifier: GPL-2.0
/*
 * vnplug-ctrl: the control channel between guest applications and vnplugd.
 *
 * A virtio device with two virtqueues: TO_HOST carries the messages the
 * guest sends (user writes and the driver's own SESSION_OPEN, SESSION_CLOSE
 * and PONG), TO_GUEST is kept filled with VNPLUG_MSG_MAX-byte buffers for
 * the host's messages. Each open() of /dev/vnplug-ctrl is a session with an
 * id this driver assigns and stamps into every message the session writes;
 * host messages are routed to the session they name.
 *
 * The configuration space says whether vnplugd is connected and counts its
 * connections (generation). A session opened under another generation, or
 * whose device went away, is stale: its reads drain what is queued and then
 * fail with -ECONNRESET, its writes fail at once.
 *
 * Locking:
 *   bind_lock  probe/remove (one device at a time).
 *   lock       present, connected, generation, the session list, every
 *              session's queue and stale flag. Process context only.
 *   txlock     the TO_HOST virtqueue and the backlog; taken in its
 *              completion interrupt too (irqsave).
 *   rxlock     the TO_GUEST virtqueue; taken in its interrupt (irqsave).
 * Received messages are handled in rx_work, configuration changes in
 * config_work (virtio calls config_changed in interrupt context, and
 * reading the configuration may sleep).
 */
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "vnplug_ko.h"

#define VNPLUG_HDR_LEN sizeof(struct vnplug_msg_hdr)
#define VNPLUG_APP_LEN (VNPLUG_HDR_LEN + sizeof(struct vnplug_app_hdr))
/* Receive buffers kept on TO_GUEST, at most (the queue may be smaller). */
#define VNPLUG_RX_BUFS_MAX 256
/* PONGs waiting for room on TO_HOST, at most; more are dropped. */
#define VNPLUG_PONG_BACKLOG_MAX 16

/* A message for the host; the TO_HOST virtqueue's token. */
struct vnplug_txbuf {
	struct list_head node;		/* vnplug_ctrl.backlog */
	bool pong;
	u32 len;
	u8 data[];
};

/* A message from the host, queued to a session. */
struct vnplug_rxmsg {
	struct list_head node;
	u32 len;
	u8 data[];
};

struct vnplug_session {
	struct list_head node;		/* vnplug_ctrl.sessions */
	u32 id;
	u32 generation;
	bool stale;
	unsigned int nqueued;
	struct list_head queue;		/* vnplug_rxmsg */
	wait_queue_head_t wait;		/* readers */
	/* Allocated at open, so that close cannot fail to send it. */
	struct vnplug_txbuf *close_msg;
};

struct vnplug_ctrl {
	struct mutex bind_lock;
	struct virtio_device *vdev;

	spinlock_t lock;
	bool present;
	bool connected;
	u32 generation;
	u64 next_session;
	struct list_head sessions;

	spinlock_t txlock;
	struct virtqueue *txvq;
	struct list_head backlog;	/* driver messages waiting for room */
	unsigned int backlog_pongs;
	wait_queue_head_t txwait;	/* writers waiting for room */

	spinlock_t rxlock;
	struct virtqueue *rxvq;

	struct work_struct config_work;
	struct work_struct rx_work;
};

static struct vnplug_ctrl vnplug_ctrl;
static struct miscdevice vnplug_misc;

/* ---------------------------------------------------------------------- */
/* Towards the host                                                       */

static struct vnplug_txbuf *vnplug_msg_alloc(u8 type, u32 session,
					     const void *payload, u32 len)
{
	struct vnplug_txbuf *b;
	struct vnplug_msg_hdr *hdr;

	b = kmalloc(struct_size(b, data, VNPLUG_HDR_LEN + len), GFP_KERNEL);
	if (!b)
		return NULL;
	b->pong = type == VNPLUG_MSG_PONG;
	b->len = VNPLUG_HDR_LEN + len;
	hdr = (struct vnplug_msg_hdr *)b->data;
	hdr->version = VNPLUG_VERSION;
	hdr->type = type;
	hdr->flags = 0;
	vnplug_put32(&hdr->session, session);
	vnplug_put32(&hdr->len, len);
	if (len)
		memcpy(b->data + VNPLUG_HDR_LEN, payload, len);
	return b;
}

/* Frees what the host has consumed. txlock held, txvq set. */
static void vnplug_tx_reclaim(struct vnplug_ctrl *c)
{
	struct vnplug_txbuf *b;
	unsigned int len;

	while ((b = virtqueue_get_buf(c->txvq, &len)))
		kfree(b);
}

/* txlock held, txvq set. */
static int vnplug_tx_add(struct vnplug_ctrl *c, struct vnplug_txbuf *b)
{
	struct scatterlist sg;
	int err;

	sg_init_one(&sg, b->data, b->len);
	err = virtqueue_add_outbuf(c->txvq, &sg, 1, b, GFP_ATOMIC);
	if (!err)
		atomic64_inc(&vnplug_stats.msgs_tx);
	return err;
}

/*
 * Moves backlogged driver messages onto the queue while there is room.
 * Returns whether any was added (the caller kicks). txlock held, txvq set.
 */
static bool vnplug_tx_flush(struct vnplug_ctrl *c)
{
	struct vnplug_txbuf *b, *tmp;
	bool added = false;
	int err;

	list_for_each_entry_safe(b, tmp, &c->backlog, node) {
		err = vnplug_tx_add(c, b);
		if (err == -ENOSPC)
			break;
		list_del(&b->node);
		if (b->pong)
			c->backlog_pongs--;
		if (err) {
			pr_err_ratelimited("vnplug-ctrl: message lost: %d\n",
					   err);
			kfree(b);
			continue;
		}
		added = true;
	}
	return added;
}

/*
 * Sends one of the driver's own messages, never blocking: when the queue
 * is full it waits on the backlog, which goes out before any user write.
 * Consumes b.
 */
static void vnplug_tx_driver(struct vnplug_ctrl *c, struct vnplug_txbuf *b)
{
	unsigned long flags;
	bool kick;
	int err = -ENOSPC;

	spin_lock_irqsave(&c->txlock, flags);
	if (!c->txvq) {
		spin_unlock_irqrestore(&c->txlock, flags);
		kfree(b);
		return;
	}
	vnplug_tx_reclaim(c);
	kick = vnplug_tx_flush(c);
	if (list_empty(&c->backlog)) {
		err = vnplug_tx_add(c, b);
		if (!err)
			kick = true;
	}
	if (err == -ENOSPC) {
		if (b->pong && c->backlog_pongs >= VNPLUG_PONG_BACKLOG_MAX) {
			kfree(b);
		} else {
			list_add_tail(&b->node, &c->backlog);
			if (b->pong)
				c->backlog_pongs++;
		}
	} else if (err) {
		pr_err_ratelimited("vnplug-ctrl: message lost: %d\n", err);
		kfree(b);
	}
	if (kick)
		virtqueue_kick(c->txvq);
	spin_unlock_irqrestore(&c->txlock, flags);
}

/*
 * Sends a user message: 0 (b is the queue's now), -ENOSPC (full, or driver
 * messages wait first), -ENOTCONN (no device) or another error.
 */
static int vnplug_tx_user(struct vnplug_ctrl *c, struct vnplug_txbuf *b)
{
	unsigned long flags;
	bool kick;
	int err;

	spin_lock_irqsave(&c->txlock, flags);
	if (!c->txvq) {
		spin_unlock_irqrestore(&c->txlock, flags);
		return -ENOTCONN;
	}
	vnplug_tx_reclaim(c);
	kick = vnplug_tx_flush(c);
	if (!list_empty(&c->backlog)) {
		err = -ENOSPC;
	} else {
		err = vnplug_tx_add(c, b);
		if (!err)
			kick = true;
	}
	if (kick)
		virtqueue_kick(c->txvq);
	spin_unlock_irqrestore(&c->txlock, flags);
	return err;
}

static bool vnplug_tx_writable(struct vnplug_ctrl *c)
{
	unsigned long flags;
	bool ok = false;

	spin_lock_irqsave(&c->txlock, flags);
	if (c->txvq) {
		vnplug_tx_reclaim(c);
		if (vnplug_tx_flush(c))
			virtqueue_kick(c->txvq);
		ok = list_empty(&c->backlog) && c->txvq->num_free > 0;
	}
	spin_unlock_irqrestore(&c->txlock, flags);
	return ok;
}

/* TO_HOST completion: interrupt context. */
static void vnplug_tx_done(struct virtqueue *vq)
{
	struct vnplug_ctrl *c = vq->vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&c->txlock, flags);
	if (c->txvq) {
		vnplug_tx_reclaim(c);
		if (vnplug_tx_flush(c))
			virtqueue_kick(c->txvq);
	}
	spin_unlock_irqrestore(&c->txlock, flags);
	wake_up_interruptible(&c->txwait);
}

/* ---------------------------------------------------------------------- */
/* From the host                                                          */

/* Process context; before virtio_device_ready (no kick here). */
static int vnplug_rx_fill(struct vnplug_ctrl *c)
{
	struct scatterlist sg;
	unsigned int n;
	void *buf;
	int err;

	for (n = 0; n < VNPLUG_RX_BUFS_MAX; n++) {
		buf = kmalloc(VNPLUG_MSG_MAX, GFP_KERNEL);
		if (!buf)
			break;
		sg_init_one(&sg, buf, VNPLUG_MSG_MAX);
		spin_lock_irq(&c->rxlock);
		err = virtqueue_add_inbuf(c->rxvq, &sg, 1, buf, GFP_ATOMIC);
		spin_unlock_irq(&c->rxlock);
		if (err) {
			kfree(buf);
			break;
		}
	}
	return n ? 0 : -ENOMEM;
}

static void vnplug_rx_drop(const char *why, u32 session)
{
	atomic64_inc(&vnplug_stats.rx_dropped);
	dev_warn_ratelimited(vnplug_misc.this_device,
			     "host message dropped (session %u): %s\n",
			     session, why);
}

/* Queues a copy of a host message to the session it names. */
static void vnplug_rx_deliver(struct vnplug_ctrl *c, u32 id,
			      const void *data, u32 len)
{
	struct vnplug_session *s;
	struct vnplug_rxmsg *m;
	const char *why = NULL;

	m = kmalloc(struct_size(m, data, len), GFP_KERNEL);
	if (!m) {
		vnplug_rx_drop("out of memory", id);
		return;
	}
	m->len = len;
	memcpy(m->data, data, len);

	spin_lock(&c->lock);
	list_for_each_entry(s, &c->sessions, node)
		if (s->id == id)
			break;
	if (list_entry_is_head(s, &c->sessions, node)) {
		why = "no such session";
	} else if (s->stale) {
		why = "session is stale";
	} else if (s->nqueued >= VNPLUG_SESSION_QUEUE_MAX) {
		why = "session's queue is full";
	} else {
		list_add_tail(&m->node, &s->queue);
		s->nqueued++;
		atomic_inc(&vnplug_stats.queued);
		wake_up_interruptible(&s->wait);
		m = NULL;
	}
	spin_unlock(&c->lock);
	if (why) {
		kfree(m);
		vnplug_rx_drop(why, id);
	}
}

/* One message from the host: check, then route. Process context. */
static void vnplug_rx_msg(struct vnplug_ctrl *c, const u8 *data, u32 len)
{
	const struct vnplug_msg_hdr *hdr = (const void *)data;
	struct vnplug_txbuf *pong;
	u32 session, plen;

	atomic64_inc(&vnplug_stats.msgs_rx);
	if (len < VNPLUG_HDR_LEN || len > VNPLUG_MSG_MAX) {
		vnplug_rx_drop("bad length", 0);
		return;
	}
	session = vnplug_get32(&hdr->session);
	plen = vnplug_get32(&hdr->len);
	if (hdr->version != VNPLUG_VERSION || hdr->flags ||
	    plen != len - VNPLUG_HDR_LEN) {
		vnplug_rx_drop("bad header", session);
		return;
	}
	switch (hdr->type) {
	case VNPLUG_MSG_APP:
		if (len < VNPLUG_APP_LEN) {
			vnplug_rx_drop("short application message", session);
			return;
		}
		vnplug_rx_deliver(c, session, data, len);
		return;
	case VNPLUG_MSG_ERROR:
		if (plen < offsetof(struct vnplug_msg_error, text) ||
		    plen > sizeof(struct vnplug_msg_error)) {
			vnplug_rx_drop("bad ERROR payload", session);
			return;
		}
		vnplug_rx_deliver(c, session, data, len);
		return;
	case VNPLUG_MSG_PING:
		if (session) {
			vnplug_rx_drop("PING for a session", session);
			return;
		}
		atomic64_inc(&vnplug_stats.pings);
		pong = vnplug_msg_alloc(VNPLUG_MSG_PONG, 0,
					data + VNPLUG_HDR_LEN, plen);
		if (!pong) {
			vnplug_rx_drop("out of memory for PONG", 0);
			return;
		}
		vnplug_tx_driver(c, pong);
		return;
	default:
		vnplug_rx_drop("unexpected type", session);
		return;
	}
}

static void vnplug_rx_work(struct work_struct *work)
{
	struct vnplug_ctrl *c = container_of(work, struct vnplug_ctrl,
					     rx_work);
	struct scatterlist sg;
	unsigned int len;
	void *buf;
	int err;

	for (;;) {
		spin_lock_irq(&c->rxlock);
		if (!c->rxvq) {
			spin_unlock_irq(&c->rxlock);
			return;
		}
		buf = virtqueue_get_buf(c->rxvq, &len);
		if (!buf) {
			if (virtqueue_enable_cb(c->rxvq)) {
				spin_unlock_irq(&c->rxlock);
				return;
			}
			/* More arrived while enabling: go on polling. */
			virtqueue_disable_cb(c->rxvq);
			spin_unlock_irq(&c->rxlock);
			continue;
		}
		spin_unlock_irq(&c->rxlock);

		vnplug_rx_msg(c, buf, len);

		/* Give the same buffer back to the host. */
		sg_init_one(&sg, buf, VNPLUG_MSG_MAX);
		spin_lock_irq(&c->rxlock);
		err = -ENODEV;
		if (c->rxvq) {
			err = virtqueue_add_inbuf(c->rxvq, &sg, 1, buf,
						  GFP_ATOMIC);
			if (!err)
				virtqueue_kick(c->rxvq);
		}
		spin_unlock_irq(&c->rxlock);
		if (err)
			kfree(buf);
		cond_resched();
	}
}

/* TO_GUEST interrupt. */
static void vnplug_rx_done(struct virtqueue *vq)
{
	struct vnplug_ctrl *c = vq->vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&c->rxlock, flags);
	if (c->rxvq)
		virtqueue_disable_cb(c->rxvq);
	spin_unlock_irqrestore(&c->rxlock, flags);
	schedule_work(&c->rx_work);
}

/* ---------------------------------------------------------------------- */
/* Connection state                                                       */

static void vnplug_read_config(struct virtio_device *vdev, u32 *status,
			       u32 *generation)
{
	u32 before, after;

	/* Both fields from one configuration generation. */
	do {
		before = vdev->config->generation ?
			 vdev->config->generation(vdev) : 0;
		virtio_cread(vdev, struct vnplug_ctrl_config, status, status);
		virtio_cread(vdev, struct vnplug_ctrl_config, generation,
			     generation);
		after = vdev->config->generation ?
			vdev->config->generation(vdev) : 0;
	} while (before != after);
}

/*
 * Applies the configuration: on disconnect or a new generation, every
 * session of another generation becomes stale. The rings re-read their
 * STATUS first, so that once sysfs says "disconnected" they know too.
 */
static void vnplug_ctrl_update(struct vnplug_ctrl *c, bool connected,
			       u32 generation)
{
	struct vnplug_session *s;
	bool changed;

	spin_lock(&c->lock);
	changed = c->connected != connected || c->generation != generation;
	spin_unlock(&c->lock);
	if (changed)
		vnplug_ring_backend_changed();

	spin_lock(&c->lock);
	c->connected = connected;
	c->generation = generation;
	list_for_each_entry(s, &c->sessions, node) {
		if (!s->stale &&
		    (!connected || s->generation != generation)) {
			s->stale = true;
			wake_up_interruptible(&s->wait);
		}
	}
	spin_unlock(&c->lock);
	wake_up_interruptible(&c->txwait);
	if (changed)
		dev_info(&c->vdev->dev, "vnplugd %s, generation %u\n",
			 connected ? "connected" : "disconnected", generation);
}

static void vnplug_config_work(struct work_struct *work)
{
	struct vnplug_ctrl *c = container_of(work, struct vnplug_ctrl,
					     config_work);
	u32 status, generation;

	/* remove() cancels this work before it clears vdev. */
	vnplug_read_config(c->vdev, &status, &generation);
	vnplug_ctrl_update(c, status & VNPLUG_CTRL_CONNECTED, generation);
}

/* Interrupt context, virtio's config lock held. */
static void vnplug_ctrl_config_changed(struct virtio_device *vdev)
{
	struct vnplug_ctrl *c = vdev->priv;

	schedule_work(&c->config_work);
}

/* ---------------------------------------------------------------------- */
/* /dev/vnplug-ctrl                                                       */

static int vnplug_ctrl_open(struct inode *inode, struct file *file)
{
	struct vnplug_ctrl *c = &vnplug_ctrl;
	struct vnplug_session *s;
	struct vnplug_txbuf *open_msg = NULL;
	int err;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		err = -ENOMEM;
		goto out_undo;
	}
	INIT_LIST_HEAD(&s->queue);
	init_waitqueue_head(&s->wait);
	/* Session ids are filled in below. */
	open_msg = vnplug_msg_alloc(VNPLUG_MSG_SESSION_OPEN, 0, NULL, 0);
	s->close_msg = vnplug_msg_alloc(VNPLUG_MSG_SESSION_CLOSE, 0, NULL, 0);
	if (!open_msg || !s->close_msg) {
		err = -ENOMEM;
		goto out_undo;
	}

	spin_lock(&c->lock);
	if (!c->present) {
		err = -ENODEV;
	} else if (!c->connected) {
		err = -ENOTCONN;
	} else if (c->next_session > U32_MAX) {
		/* Ids are never reused while the module is loaded. */
		err = -ENOSPC;
	} else {
		s->id = c->next_session++;
		s->generation = c->generation;
		list_add_tail(&s->node, &c->sessions);
		err = 0;
	}
	spin_unlock(&c->lock);
	if (err)
		goto out_undo;

	atomic_inc(&vnplug_stats.sessions);
	vnplug_put32(&((struct vnplug_msg_hdr *)open_msg->data)->session,
		     s->id);
	vnplug_put32(&((struct vnplug_msg_hdr *)s->close_msg->data)->session,
		     s->id);
	file->private_data = s;
	stream_open(inode, file);
	vnplug_tx_driver(c, open_msg);
	return 0;

out_undo:
	kfree(open_msg);
	if (s)
		kfree(s->close_msg);
	kfree(s);
	return err;
}

static int vnplug_ctrl_release(struct inode *inode, struct file *file)
{
	struct vnplug_ctrl *c = &vnplug_ctrl;
	struct vnplug_session *s = file->private_data;
	struct vnplug_rxmsg *m, *tmp;
	unsigned int nqueued;
	bool send_close;
	LIST_HEAD(queue);

	spin_lock(&c->lock);
	list_del(&s->node);
	send_close = c->present && c->connected && !s->stale &&
		     s->generation == c->generation;
	list_splice_init(&s->queue, &queue);
	nqueued = s->nqueued;
	s->nqueued = 0;
	spin_unlock(&c->lock);

	list_for_each_entry_safe(m, tmp, &queue, node)
		kfree(m);
	atomic_sub(nqueued, &vnplug_stats.queued);
	if (send_close)
		vnplug_tx_driver(c, s->close_msg);
	else
		kfree(s->close_msg);
	atomic_dec(&vnplug_stats.sessions);
	kfree(s);
	return 0;
}

static bool vnplug_session_stale(struct vnplug_ctrl *c,
				 struct vnplug_session *s)
{
	bool stale;

	spin_lock(&c->lock);
	stale = s->stale;
	spin_unlock(&c->lock);
	return stale;
}

static bool vnplug_session_readable(struct vnplug_ctrl *c,
				    struct vnplug_session *s)
{
	bool ret;

	spin_lock(&c->lock);
	ret = s->stale || !list_empty(&s->queue);
	spin_unlock(&c->lock);
	return ret;
}

/* Why a message written by user space is refused, or NULL. */
static const char *vnplug_check_write(const u8 *data, size_t count)
{
	const struct vnplug_msg_hdr *hdr = (const void *)data;

	if (count < VNPLUG_APP_LEN)
		return "shorter than the headers";
	if (hdr->version != VNPLUG_VERSION)
		return "bad version";
	if (hdr->type != VNPLUG_MSG_APP)
		return "not an application message";
	if (hdr->flags)
		return "flags not zero";
	if (vnplug_get32(&hdr->len) != count - VNPLUG_HDR_LEN)
		return "len does not match the write";
	return NULL;
}

static ssize_t vnplug_ctrl_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct vnplug_ctrl *c = &vnplug_ctrl;
	struct vnplug_session *s = file->private_data;
	bool unchecked = READ_ONCE(vnplug_unchecked_writes);
	struct vnplug_txbuf *b = NULL;
	const char *why;
	int err;

	if (count > (unchecked ? 2 * VNPLUG_MSG_MAX : VNPLUG_MSG_MAX)) {
		why = "too long";
		err = -EMSGSIZE;
		goto out_reject;
	}
	if (!count || (!unchecked && count < VNPLUG_APP_LEN)) {
		why = "shorter than the headers";
		err = -EINVAL;
		goto out_reject;
	}
	b = kmalloc(struct_size(b, data, count), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->pong = false;
	b->len = count;
	if (copy_from_user(b->data, ubuf, count)) {
		err = -EFAULT;
		goto out_undo;
	}
	if (!unchecked) {
		why = vnplug_check_write(b->data, count);
		if (why) {
			err = -EINVAL;
			goto out_reject;
		}
	}
	if (count >= offsetofend(struct vnplug_msg_hdr, session))
		vnplug_put32(&((struct vnplug_msg_hdr *)b->data)->session,
			     s->id);

	for (;;) {
		if (vnplug_session_stale(c, s)) {
			err = -ECONNRESET;
			goto out_undo;
		}
		err = vnplug_tx_user(c, b);
		if (!err)
			return count;
		if (err != -ENOSPC)
			goto out_undo;
		if (file->f_flags & O_NONBLOCK) {
			err = -EAGAIN;
			goto out_undo;
		}
		err = wait_event_interruptible(c->txwait,
					       vnplug_tx_writable(c) ||
					       vnplug_session_stale(c, s));
		if (err)
			goto out_undo;
	}

out_reject:
	atomic64_inc(&vnplug_stats.rejected_writes);
	dev_warn_ratelimited(vnplug_misc.this_device,
			     "session %u: write of %zu bytes refused: %s\n",
			     s->id, count, why);
out_undo:
	kfree(b);
	return err;
}

static ssize_t vnplug_ctrl_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct vnplug_ctrl *c = &vnplug_ctrl;
	struct vnplug_session *s = file->private_data;
	struct vnplug_rxmsg *m;
	bool stale;
	ssize_t ret;
	int err;

	for (;;) {
		spin_lock(&c->lock);
		m = list_first_entry_or_null(&s->queue, struct vnplug_rxmsg,
					     node);
		if (m && count < m->len) {
			spin_unlock(&c->lock);
			return -EMSGSIZE;
		}
		if (m) {
			list_del(&m->node);
			s->nqueued--;
			spin_unlock(&c->lock);
			break;
		}
		stale = s->stale;
		spin_unlock(&c->lock);
		if (stale)
			return -ECONNRESET;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(s->wait,
					       vnplug_session_readable(c, s));
		if (err)
			return err;
	}

	if (copy_to_user(ubuf, m->data, m->len)) {
		/* Put it back where it was: nothing is lost. */
		spin_lock(&c->lock);
		list_add(&m->node, &s->queue);
		s->nqueued++;
		spin_unlock(&c->lock);
		return -EFAULT;
	}
	atomic_dec(&vnplug_stats.queued);
	ret = m->len;
	kfree(m);
	return ret;
}

static __poll_t vnplug_ctrl_poll(struct file *file, poll_table *wait)
{
	struct vnplug_ctrl *c = &vnplug_ctrl;
	struct vnplug_session *s = file->private_data;
	bool stale, connected;
	__poll_t mask = 0;

	poll_wait(file, &s->wait, wait);
	poll_wait(file, &c->txwait, wait);
	spin_lock(&c->lock);
	if (!list_empty(&s->queue))
		mask |= EPOLLIN | EPOLLRDNORM;
	stale = s->stale;
	connected = c->present && c->connected;
	spin_unlock(&c->lock);
	if (stale)
		mask |= EPOLLERR | EPOLLHUP;
	else if (connected && vnplug_tx_writable(c))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static const struct file_operations vnplug_ctrl_fops = {
	.owner = THIS_MODULE,
	.open = vnplug_ctrl_open,
	.release = vnplug_ctrl_release,
	.read = vnplug_ctrl_read,
	.write = vnplug_ctrl_write,
	.poll = vnplug_ctrl_poll,
	.llseek = noop_llseek,
};

/* /sys/class/misc/vnplug-ctrl/ */

static ssize_t backend_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct vnplug_ctrl *c = &vnplug_ctrl;
	bool connected;

	spin_lock(&c->lock);
	connected = c->present && c->connected;
	spin_unlock(&c->lock);
	return sysfs_emit(buf, "%s\n",
			  connected ? "connected" : "disconnected");
}
static DEVICE_ATTR_RO(backend);

static ssize_t generation_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vnplug_ctrl *c = &vnplug_ctrl;
	u32 generation;

	spin_lock(&c->lock);
	generation = c->generation;
	spin_unlock(&c->lock);
	return sysfs_emit(buf, "%u\n", generation);
}
static DEVICE_ATTR_RO(generation);

static ssize_t stats_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vnplug_stats *st = &vnplug_stats;

	return sysfs_emit(buf,
			  "sessions %d\nmsgs_tx %lld\nmsgs_rx %lld\n"
			  "rx_dropped %lld\nrejected_writes %lld\npings %lld\n"
			  "rings %d\nring_files %d\nqueued %d\n",
			  atomic_read(&st->sessions),
			  atomic64_read(&st->msgs_tx),
			  atomic64_read(&st->msgs_rx),
			  atomic64_read(&st->rx_dropped),
			  atomic64_read(&st->rejected_writes),
			  atomic64_read(&st->pings),
			  atomic_read(&st->rings),
			  atomic_read(&st->ring_files),
			  atomic_read(&st->queued));
}
static DEVICE_ATTR_RO(stats);

static struct attribute *vnplug_ctrl_attrs[] = {
	&dev_attr_backend.attr,
	&dev_attr_generation.attr,
	&dev_attr_stats.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vnplug_ctrl);

static struct miscdevice vnplug_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vnplug-ctrl",
	.fops = &vnplug_ctrl_fops,
	.groups = vnplug_ctrl_groups,
	.mode = 0600,
};

/* ---------------------------------------------------------------------- */
/* The virtio driver                                                      */

static int vnplug_find_vqs(struct virtio_device *vdev, struct virtqueue **vqs)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	struct virtqueue_info info[] = {
		[VNPLUG_VQ_TO_HOST] = { "to-host", vnplug_tx_done },
		[VNPLUG_VQ_TO_GUEST] = { "to-guest", vnplug_rx_done },
	};

	return virtio_find_vqs(vdev, 2, vqs, info, NULL);
#else
	vq_callback_t *callbacks[] = {
		[VNPLUG_VQ_TO_HOST] = vnplug_tx_done,
		[VNPLUG_VQ_TO_GUEST] = vnplug_rx_done,
	};
	static const char * const names[] = {
		[VNPLUG_VQ_TO_HOST] = "to-host",
		[VNPLUG_VQ_TO_GUEST] = "to-guest",
	};

	return virtio_find_vqs(vdev, 2, vqs, callbacks, names, NULL);
#endif
}

static int vnplug_ctrl_probe(struct virtio_device *vdev)
{
	struct vnplug_ctrl *c = &vnplug_ctrl;
	struct virtqueue *vqs[2];
	u32 status, generation;
	void *buf;
	int err;

	mutex_lock(&c->bind_lock);
	if (c->vdev) {
		dev_err(&vdev->dev,
			"only one vnplug-ctrl device is supported, %s has it\n",
			dev_name(&c->vdev->dev));
		err = -EBUSY;
		goto out_unlock;
	}
	vdev->priv = c;
	err = vnplug_find_vqs(vdev, vqs);
	if (err) {
		dev_err(&vdev->dev, "no virtqueues: %d\n", err);
		goto out_unlock;
	}
	spin_lock_irq(&c->txlock);
	c->txvq = vqs[VNPLUG_VQ_TO_HOST];
	spin_unlock_irq(&c->txlock);
	spin_lock_irq(&c->rxlock);
	c->rxvq = vqs[VNPLUG_VQ_TO_GUEST];
	spin_unlock_irq(&c->rxlock);
	err = vnplug_rx_fill(c);
	if (err)
		goto out_undo_vqs;
	c->vdev = vdev;

	virtio_device_ready(vdev);
	spin_lock_irq(&c->rxlock);
	virtqueue_kick(c->rxvq);
	spin_unlock_irq(&c->rxlock);

	vnplug_read_config(vdev, &status, &generation);
	spin_lock(&c->lock);
	c->present = true;
	spin_unlock(&c->lock);
	vnplug_ctrl_update(c, status & VNPLUG_CTRL_CONNECTED, generation);
	dev_info(&vdev->dev, "vnplug-ctrl ready, /dev/%s\n", vnplug_misc.name);
	mutex_unlock(&c->bind_lock);
	return 0;

out_undo_vqs:
	spin_lock_irq(&c->txlock);
	c->txvq = NULL;
	spin_unlock_irq(&c->txlock);
	spin_lock_irq(&c->rxlock);
	c->rxvq = NULL;
	spin_unlock_irq(&c->rxlock);
	while ((buf = virtqueue_detach_unused_buf(vqs[VNPLUG_VQ_TO_GUEST])))
		kfree(buf);
	vdev->config->del_vqs(vdev);
out_unlock:
	mutex_unlock(&c->bind_lock);
	return err;
}

static void vnplug_ctrl_remove(struct virtio_device *vdev)
{
	struct vnplug_ctrl *c = vdev->priv;
	struct vnplug_session *s;
	struct vnplug_txbuf *b, *tmp;
	struct virtqueue *txvq, *rxvq;
	LIST_HEAD(backlog);
	void *buf;

	mutex_lock(&c->bind_lock);
	/* The core disabled config_changed before calling us. */
	cancel_work_sync(&c->config_work);

	spin_lock(&c->lock);
	c->present = false;
	c->connected = false;
	list_for_each_entry(s, &c->sessions, node) {
		s->stale = true;
		wake_up_interruptible(&s->wait);
	}
	spin_unlock(&c->lock);

	/* No more interrupts or buffer use once reset returns. */
	virtio_reset_device(vdev);

	spin_lock_irq(&c->txlock);
	txvq = c->txvq;
	c->txvq = NULL;
	list_splice_init(&c->backlog, &backlog);
	c->backlog_pongs = 0;
	spin_unlock_irq(&c->txlock);
	spin_lock_irq(&c->rxlock);
	rxvq = c->rxvq;
	c->rxvq = NULL;
	spin_unlock_irq(&c->rxlock);
	wake_up_interruptible_all(&c->txwait);
	/* rx_work sees rxvq NULL, frees the buffer it holds and stops. */
	cancel_work_sync(&c->rx_work);

	list_for_each_entry_safe(b, tmp, &backlog, node)
		kfree(b);
	while ((buf = virtqueue_detach_unused_buf(txvq)))
		kfree(buf);
	while ((buf = virtqueue_detach_unused_buf(rxvq)))
		kfree(buf);
	vdev->config->del_vqs(vdev);

	c->vdev = NULL;
	mutex_unlock(&c->bind_lock);
	dev_info(&vdev->dev, "vnplug-ctrl removed\n");
}

/* Not const: the device id comes from the virtio_id parameter. */
static struct virtio_device_id vnplug_ctrl_ids[] = {
	{ VNPLUG_CTRL_VIRTIO_ID, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vnplug_ctrl_ids);

static struct virtio_driver vnplug_virtio_driver = {
	.driver.name = "vnplug-ctrl",
	.driver.owner = THIS_MODULE,
	.id_table = vnplug_ctrl_ids,
	.probe = vnplug_ctrl_probe,
	.remove = vnplug_ctrl_remove,
	.config_changed = vnplug_ctrl_config_changed,
};

int vnplug_ctrl_init(unsigned int virtio_id)
{
	struct vnplug_ctrl *c = &vnplug_ctrl;
	int err;

	mutex_init(&c->bind_lock);
	spin_lock_init(&c->lock);
	spin_lock_init(&c->txlock);
	spin_lock_init(&c->rxlock);
	INIT_LIST_HEAD(&c->sessions);
	INIT_LIST_HEAD(&c->backlog);
	init_waitqueue_head(&c->txwait);
	INIT_WORK(&c->config_work, vnplug_config_work);
	INIT_WORK(&c->rx_work, vnplug_rx_work);
	c->next_session = 1;

	err = misc_register(&vnplug_misc);
	if (err) {
		pr_err("vnplug: /dev/vnplug-ctrl: %d\n", err);
		goto out;
	}
	vnplug_ctrl_ids[0].device = virtio_id;
	err = register_virtio_driver(&vnplug_virtio_driver);
	if (err) {
		pr_err("vnplug: virtio driver: %d\n", err);
		goto out_undo_misc;
	}
	return 0;

out_undo_misc:
	misc_deregister(&vnplug_misc);
out:
	return err;
}

void vnplug_ctrl_exit(void)
{
	unregister_virtio_driver(&vnplug_virtio_driver);
	misc_deregister(&vnplug_misc);
}
