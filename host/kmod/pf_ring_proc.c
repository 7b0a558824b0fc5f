// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/pf_ring in every network namespace: info (module settings and
 * the module's object counts), one file per ring named PID-DEVICE.RINGID,
 * and dev/ with one file per network device.
 */
#include <linux/if_arp.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "pfr_kmod.h"

struct pfr_net {
	struct proc_dir_entry *dir, *devdir;
};

/* A dev/ entry; the list is under RTNL (netdevice events run under it). */
struct pfr_devent {
	struct list_head node;
	possible_net_t net;
	int ifindex;
	char name[IFNAMSIZ];
};

static unsigned int pfr_net_id __read_mostly;
static LIST_HEAD(pfr_devents);

static const char *pfr_dir_name(u8 d)
{
	return d == PFRING_DIR_RX ? "RX only" : d == PFRING_DIR_TX ? "TX only" : "RX+TX";
}

static const char *pfr_mode_name(u8 m)
{
	return m == PFRING_MODE_SEND_ONLY ? "send only" :
	       m == PFRING_MODE_RECV_ONLY ? "receive only" : "send and receive";
}

static int pfr_info_show(struct seq_file *m, void *v)
{
	struct net *net = seq_file_single_net(m);
	struct pfr_sock *ps;
	unsigned int rings = 0;

	mutex_lock(&pfr_lock);
	list_for_each_entry(ps, &pfr_rings, node)
		if (net_eq(sock_net(&ps->sk), net))
			rings++;
	mutex_unlock(&pfr_lock);

	seq_printf(m, "PF_RING Version          : %s (vPF_RING, ring format %u)\n",
		   PFR_VERSION, PFRING_UAPI_VERSION);
	seq_printf(m, "Total rings              : %u\n", rings);
	seq_puts(m, "\nStandard (non DNA) Options\n");
	seq_printf(m, "Ring slots               : %u\n", pfr_min_num_slots);
	seq_printf(m, "Slot version             : %u\n", PFRING_UAPI_VERSION);
	seq_printf(m, "Capture TX               : %s\n",
		   pfr_enable_tx_capture ? "Yes [RX+TX]" : "No [RX only]");
	seq_printf(m, "IP Defragment            : %s\n", pfr_enable_ip_defrag ? "Yes" : "No");
	seq_printf(m, "Socket Mode              : %s\n", pfr_quick_mode ? "Quick" : "Standard");
	seq_puts(m, "Transparent mode         : Yes [mode 0]\n");
	seq_puts(m, "Total plugins            : 0\n");
	seq_puts(m, "\nModule objects (all namespaces)\n");
	seq_printf(m, "Sockets                  : %d\n", atomic_read(&pfr_nr_socks));
	seq_printf(m, "Ring buffers             : %d\n", atomic_read(&pfr_nr_mems));
	seq_printf(m, "Ring memory bytes        : %lld\n",
		   (long long)atomic64_read(&pfr_mem_bytes));
	seq_printf(m, "Mmap-only fds            : %d\n", atomic_read(&pfr_nr_mem_fds));
	seq_printf(m, "Clusters                 : %d\n", atomic_read(&pfr_nr_clusters));
	return 0;
}

static int pfr_ring_show(struct seq_file *m, void *v)
{
	struct pfr_sock *ps = m->private;
	struct pfr_cluster *c;
	struct pfring_ring_stats st;
	char app[PFRING_APPNAME_MAX];
	bool bad = false;
	u64 queued = 0;
	u32 wc, hc;

	spin_lock_bh(&ps->lock);
	st.recv = ps->head;
	st.drop = ps->lost;
	st.filtered = ps->filtered;
	st.seen = ps->seen;
	st.wakeups = ps->wakeups;
	st.reflected = ps->reflected;
	if (ps->mem)
		queued = pfr_queued(ps, &bad);
	wc = ps->rules.wc.count;
	hc = ps->rules.ht.count;
	strscpy(app, ps->appname, sizeof(app));
	spin_unlock_bh(&ps->lock);

	seq_printf(m, "Bound Device       : %s\n", ps->ifindex < 0 ? "(removed)" : ps->ifname);
	seq_printf(m, "Device Index       : %d\n", ps->ifindex);
	if (ps->queue >= 0)
		seq_printf(m, "RX Queue           : %d\n", ps->queue);
	else
		seq_puts(m, "RX Queue           : any\n");
	seq_printf(m, "Slot Version       : %u [%s]\n", PFRING_UAPI_VERSION, PFR_VERSION);
	seq_printf(m, "Active             : %d\n", READ_ONCE(ps->enabled));
	seq_printf(m, "Ring ID            : %u\n", ps->ring_id);
	seq_printf(m, "Process ID         : %d\n", ps->pid);
	seq_printf(m, "Appl. Name         : %s\n", app);
	seq_printf(m, "Direction          : %s\n", pfr_dir_name(ps->direction));
	seq_printf(m, "Socket Mode        : %s\n", pfr_mode_name(ps->mode));
	seq_printf(m, "Sampling Rate      : %u\n", ps->sampling);
	seq_printf(m, "Capture Length     : %u\n", ps->mem ? ps->caplen : ps->caplen_req);
	seq_printf(m, "Num Slots          : %u\n", ps->num_slots);
	seq_printf(m, "Slot Size          : %u\n", ps->slot_size);
	seq_printf(m, "Tot Memory         : %zu\n", ps->mem ? ps->mem->size : 0);
	seq_printf(m, "Poll Watermark     : %u\n", ps->watermark);
	seq_printf(m, "Poll Duration      : %u ms\n", ps->poll_duration);
	seq_printf(m, "Promiscuous        : %s\n", ps->promisc ? "Yes" : "No");
	mutex_lock(&pfr_lock);
	c = ps->cluster;
	if (c)
		seq_printf(m, "Cluster Id         : %u (type %u, %u members)\n",
			   c->id, c->type, c->nr);
	else
		seq_puts(m, "Cluster Id         : none\n");
	mutex_unlock(&pfr_lock);
	seq_printf(m, "BPF Filter         : %s\n",
		   rcu_access_pointer(ps->sk.sk_filter) ? "Yes" : "No");
	seq_printf(m, "Wildcard Rules     : %u\n", wc);
	seq_printf(m, "Hash Rules         : %u\n", hc);
	seq_printf(m, "Default Policy     : %s\n",
		   ps->rules.default_accept ? "accept" : "drop");
	seq_printf(m, "Tot Packets        : %llu\n", st.seen);
	seq_printf(m, "Tot Pkt Lost       : %llu\n", st.drop);
	seq_printf(m, "Tot Filtered       : %llu\n", st.filtered);
	seq_printf(m, "Tot Insert         : %llu\n", st.recv);
	seq_printf(m, "Tot Reflected      : %llu\n", st.reflected);
	seq_printf(m, "Reader Wake-ups    : %llu\n", st.wakeups);
	seq_printf(m, "Num Queued         : %llu%s\n", queued,
		   bad ? " (reader page invalid)" : "");
	return 0;
}

void pfr_proc_add_ring(struct pfr_sock *ps)
{
	struct pfr_net *pn = net_generic(sock_net(&ps->sk), pfr_net_id);
	char name[64];

	if (!pn->dir)
		return;
	snprintf(name, sizeof(name), "%d-%s.%u", ps->pid, ps->ifname, ps->ring_id);
	ps->proc = proc_create_single_data(name, 0444, pn->dir, pfr_ring_show, ps);
}

/* Returns once no reader of the file is left (proc_remove waits). */
void pfr_proc_del_ring(struct pfr_sock *ps)
{
	proc_remove(ps->proc);
	ps->proc = NULL;
}

static int pfr_dev_show(struct seq_file *m, void *v)
{
	struct net *net = seq_file_single_net(m);
	int ifindex = (long)pde_data(file_inode(m->file));
	struct net_device *dev;
	struct pfr_sock *ps;
	unsigned int rings = 0;

	mutex_lock(&pfr_lock);
	list_for_each_entry(ps, &pfr_rings, node)
		if (net_eq(sock_net(&ps->sk), net) && ps->ifindex == ifindex)
			rings++;
	mutex_unlock(&pfr_lock);

	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	if (dev) {
		seq_printf(m, "Name              : %s\n", dev->name);
		seq_printf(m, "Index             : %d\n", dev->ifindex);
		seq_printf(m, "Address           : %pM\n", dev->dev_addr);
		seq_printf(m, "Polling Mode      : NAPI/stack (any driver)\n");
		seq_printf(m, "Type              : %s\n",
			   dev->type == ARPHRD_ETHER ? "Ethernet" :
			   dev->type == ARPHRD_LOOPBACK ? "Loopback" : "Other");
		seq_printf(m, "Max # TX Queues   : %u\n", dev->real_num_tx_queues);
		seq_printf(m, "# RX Queues       : %u\n", dev->real_num_rx_queues);
		seq_printf(m, "# Bound Rings     : %u\n", rings);
	}
	rcu_read_unlock();
	return 0;
}

static void pfr_devent_del(struct pfr_devent *e)
{
	struct pfr_net *pn = net_generic(read_pnet(&e->net), pfr_net_id);

	if (pn->devdir)
		remove_proc_entry(e->name, pn->devdir);
	list_del(&e->node);
	kfree(e);
}

/* Under RTNL. */
void pfr_proc_dev_event(struct net_device *dev, unsigned long event)
{
	struct pfr_net *pn = net_generic(dev_net(dev), pfr_net_id);
	struct pfr_devent *e, *tmp;

	if (event == NETDEV_UNREGISTER || event == NETDEV_CHANGENAME) {
		list_for_each_entry_safe(e, tmp, &pfr_devents, node)
			if (e->ifindex == dev->ifindex &&
			    net_eq(read_pnet(&e->net), dev_net(dev)))
				pfr_devent_del(e);
	}
	if ((event != NETDEV_REGISTER && event != NETDEV_CHANGENAME) || !pn->devdir)
		return;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return;
	write_pnet(&e->net, dev_net(dev));
	e->ifindex = dev->ifindex;
	memcpy(e->name, dev->name, IFNAMSIZ);
	if (!proc_create_net_single(e->name, 0444, pn->devdir, pfr_dev_show,
				    (void *)(long)dev->ifindex)) {
		kfree(e);
		return;
	}
	list_add(&e->node, &pfr_devents);
}

static int __net_init pfr_net_init(struct net *net)
{
	struct pfr_net *pn = net_generic(net, pfr_net_id);

	/* The net as the directories' data: proc_create_net_single needs it. */
	pn->dir = proc_mkdir_data("pf_ring", 0, net->proc_net, net);
	if (!pn->dir)
		return -ENOMEM;
	pn->devdir = proc_mkdir_data("dev", 0, pn->dir, net);
	if (!pn->devdir ||
	    !proc_create_net_single("info", 0444, pn->dir, pfr_info_show, NULL)) {
		remove_proc_subtree("pf_ring", net->proc_net);
		pn->dir = pn->devdir = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit pfr_net_exit(struct net *net)
{
	struct pfr_net *pn = net_generic(net, pfr_net_id);
	struct pfr_devent *e, *tmp;

	rtnl_lock();
	list_for_each_entry_safe(e, tmp, &pfr_devents, node)
		if (net_eq(read_pnet(&e->net), net))
			pfr_devent_del(e);
	rtnl_unlock();
	remove_proc_subtree("pf_ring", net->proc_net);
	pn->dir = pn->devdir = NULL;
}

static struct pernet_operations pfr_net_ops = {
	.init = pfr_net_init,
	.exit = pfr_net_exit,
	.id = &pfr_net_id,
	.size = sizeof(struct pfr_net),
};

int pfr_proc_init(void)
{
	return register_pernet_subsys(&pfr_net_ops);
}

void pfr_proc_exit(void)
{
	unregister_pernet_subsys(&pfr_net_ops);
}
