/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * probe: the capture end of the netns and VM tests. Opens a ring with the
 * filters given on the command line, prints "ready" once enabled, counts
 * what arrives until it has the expected number of packets, the link has
 * been idle for a while, or a time limit passes, then prints exact results:
 *
 *   received=N dropped=D
 *   flow <proto> <ip>:<port> <ip>:<port> <count>     (-F)
 *   rule <id> match=M filtered=F                     (-R, per -r rule)
 *   hashrule <id> match=M filtered=F                 (-R, per -H rule)
 *   purged wc=N hash=M                               (-U: purge rules idle
 *                                                     for 0 s at the end)
 *
 * Rules: -r "id=1,action=drop,proto=17,shost=10.0.0.0/8,dport=53-60,
 *             vlan=10,smac=..,dmac=..,pattern=abc,bidir=1,balance=0/2,
 *             locked=1,reflector=veth1"
 *        -H "id=2,action=forward,proto=6,a=10.0.0.1:1000,b=10.0.0.2:80,vlan=0"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pfring.h"

#define MAX_RULES 64
#define MAX_FLOWS 4096

struct flow {
	u_int8_t proto, ipv;
	ip_addr a, b;
	u_int16_t pa, pb;
	u_int64_t count;
};

static struct {
	const char *dev;
	u_int64_t expect;
	double timeout_s, idle_s;
	u_int32_t sleep_us;
	int flows, rule_stats, active, copy, purge;
	filtering_rule rules[MAX_RULES];
	int nrules;
	hash_filtering_rule hrules[MAX_RULES];
	int nhrules;
	struct flow flow[MAX_FLOWS];
	int nflows;
} opt = { .timeout_s = 20, .idle_s = 1.5 };

static volatile sig_atomic_t stop;

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "probe: %s%s%s\n", what, arg[0] ? ": " : "", arg);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno || v > max)
		die("bad number", s);
	return v;
}

static void parse_range(const char *s, u_int16_t *lo, u_int16_t *hi)
{
	char buf[32], *dash;

	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	*lo = (u_int16_t)num(buf, 65535);
	*hi = dash ? (u_int16_t)num(dash + 1, 65535) : *lo;
}

/* "10.0.0.1", "10.0.0.0/8", "2001:db8::1/64" into host and mask. */
static void parse_host(const char *s, ip_addr *host, ip_addr *mask)
{
	char buf[64], *slash;
	unsigned long bits;
	int i;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(host, 0, sizeof(*host));
	memset(mask, 0, sizeof(*mask));
	if (inet_pton(AF_INET, buf, &host->v4) == 1) {
		host->v4 = ntohl(host->v4);
		bits = slash ? num(slash + 1, 32) : 32;
		mask->v4 = bits ? 0xffffffffu << (32 - bits) : 0;
		return;
	}
	if (inet_pton(AF_INET6, buf, &host->v6) != 1)
		die("bad address", s);
	bits = slash ? num(slash + 1, 128) : 128;
	for (i = 0; i < 16; i++, bits = bits > 8 ? bits - 8 : 0)
		mask->v6.s6_addr[i] = bits >= 8 ? 0xff : (u_int8_t)(0xff << (8 - bits));
}

static void parse_mac(const char *s, u_int8_t *mac)
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		   &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
		die("bad MAC", s);
}

static const char *const action_names[] = {
	"forward", "drop", "exec_cont", "exec_stop", "add",
	"del", "reflect", "reflect_cont", "bounce", "bounce_cont",
};

static rule_action_behaviour parse_action(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcmp(s, action_names[i]) == 0)
			return (rule_action_behaviour)i;
	die("unknown action", s);
	return 0;
}

static void wc_field(filtering_rule *r, const char *k, const char *v)
{
	filtering_rule_core_fields *f = &r->core_fields;
	unsigned long pool;

	if (!strcmp(k, "id"))
		r->rule_id = (u_int16_t)num(v, 65535);
	else if (!strcmp(k, "action"))
		r->rule_action = parse_action(v);
	else if (!strcmp(k, "proto"))
		f->proto = (u_int8_t)num(v, 255);
	else if (!strcmp(k, "vlan"))
		f->vlan_id = (u_int16_t)num(v, 4095);
	else if (!strcmp(k, "smac"))
		parse_mac(v, f->smac);
	else if (!strcmp(k, "dmac"))
		parse_mac(v, f->dmac);
	else if (!strcmp(k, "shost"))
		parse_host(v, &f->shost, &f->shost_mask);
	else if (!strcmp(k, "dhost"))
		parse_host(v, &f->dhost, &f->dhost_mask);
	else if (!strcmp(k, "sport"))
		parse_range(v, &f->sport_low, &f->sport_high);
	else if (!strcmp(k, "dport"))
		parse_range(v, &f->dport_low, &f->dport_high);
	else if (!strcmp(k, "pattern"))
		snprintf(r->extended_fields.payload_pattern,
			 sizeof(r->extended_fields.payload_pattern), "%s", v);
	else if (!strcmp(k, "bidir"))
		r->bidirectional = (u_int8_t)num(v, 1);
	else if (!strcmp(k, "locked"))
		r->locked = (u_int8_t)num(v, 1);
	else if (!strcmp(k, "reflector"))
		snprintf(r->reflector_device_name, REFLECTOR_NAME_LEN, "%s", v);
	else if (!strcmp(k, "balance") && sscanf(v, "%*u/%lu", &pool) == 1) {
		r->balance_id = (u_int8_t)num(strtok(strdup(v), "/"), 255);
		r->balance_pool = (u_int8_t)pool;
	} else
		die("unknown rule field", k);
}

static void parse_endpoint(const char *s, ip_addr *ip, u_int16_t *port)
{
	char buf[64], *colon;
	ip_addr mask;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (colon == NULL)
		die("bad endpoint (ip:port, [v6]:port)", s);
	*colon = '\0';
	*port = (u_int16_t)num(colon + 1, 65535);
	if (buf[0] == '[') {
		buf[strlen(buf) - 1] = '\0';
		parse_host(buf + 1, ip, &mask);
	} else {
		parse_host(buf, ip, &mask);
	}
}

static void hash_field(hash_filtering_rule *r, const char *k, const char *v)
{
	if (!strcmp(k, "id"))
		r->rule_id = (u_int16_t)num(v, 65535);
	else if (!strcmp(k, "action"))
		r->rule_action = parse_action(v);
	else if (!strcmp(k, "proto"))
		r->proto = (u_int8_t)num(v, 255);
	else if (!strcmp(k, "vlan"))
		r->vlan_id = (u_int16_t)num(v, 4095);
	else if (!strcmp(k, "a"))
		parse_endpoint(v, &r->host_peer_a, &r->port_peer_a);
	else if (!strcmp(k, "b"))
		parse_endpoint(v, &r->host_peer_b, &r->port_peer_b);
	else if (!strcmp(k, "reflector"))
		snprintf(r->reflector_device_name, REFLECTOR_NAME_LEN, "%s", v);
	else
		die("unknown hash rule field", k);
}

static void parse_fields(const char *spec, void *rule, int hash)
{
	char *copy = strdup(spec), *save = NULL, *kv, *eq;

	for (kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		eq = strchr(kv, '=');
		if (eq == NULL)
			die("rule field without '='", kv);
		*eq = '\0';
		if (hash)
			hash_field(rule, kv, eq + 1);
		else
			wc_field(rule, kv, eq + 1);
	}
	free(copy);
}

static void count_flow(const struct pfring_pkthdr *h)
{
	const struct pkt_parsing_info *p = &h->extended_hdr.parsed_pkt;
	int i;

	for (i = 0; i < opt.nflows; i++) {
		struct flow *f = &opt.flow[i];

		if (f->proto == p->l3_proto && f->pa == p->l4_src_port &&
		    f->pb == p->l4_dst_port && !memcmp(&f->a, &p->ip_src, sizeof(f->a)) &&
		    !memcmp(&f->b, &p->ip_dst, sizeof(f->b))) {
			f->count++;
			return;
		}
	}
	if (opt.nflows == MAX_FLOWS)
		return;
	opt.flow[opt.nflows++] = (struct flow){ p->l3_proto, p->ip_version,
		p->ip_src, p->ip_dst, p->l4_src_port, p->l4_dst_port, 1 };
}

static const char *ip_str(u_int8_t ipv, const ip_addr *a, char *buf)
{
	u_int32_t v4 = htonl(a->v4);

	return inet_ntop(ipv == 6 ? AF_INET6 : AF_INET,
			 ipv == 6 ? (const void *)&a->v6 : (const void *)&v4, buf, 64);
}

static void report(pfring *ring, u_int64_t received)
{
	hash_filtering_rule_stats st;
	char b1[64], b2[64];
	pfring_stat ps = { 0, 0 };
	u_int len;
	int i;

	pfring_stats(ring, &ps);
	printf("received=%llu dropped=%llu\n", (unsigned long long)received,
	       (unsigned long long)ps.drop);
	for (i = 0; opt.flows && i < opt.nflows; i++)
		printf("flow %u %s:%u %s:%u %llu\n", opt.flow[i].proto,
		       ip_str(opt.flow[i].ipv, &opt.flow[i].a, b1), opt.flow[i].pa,
		       ip_str(opt.flow[i].ipv, &opt.flow[i].b, b2), opt.flow[i].pb,
		       (unsigned long long)opt.flow[i].count);
	for (i = 0; opt.rule_stats && i < opt.nrules; i++) {
		len = sizeof(st);
		if (pfring_get_filtering_rule_stats(ring, opt.rules[i].rule_id,
						    (char *)&st, &len) == 0)
			printf("rule %u match=%llu filtered=%llu\n",
			       opt.rules[i].rule_id, (unsigned long long)st.match,
			       (unsigned long long)st.filtered);
	}
	for (i = 0; opt.rule_stats && i < opt.nhrules; i++) {
		len = sizeof(st);
		if (pfring_get_hash_filtering_rule_stats(ring, &opt.hrules[i],
							 (char *)&st, &len) == 0)
			printf("hashrule %u match=%llu filtered=%llu\n",
			       opt.hrules[i].rule_id, (unsigned long long)st.match,
			       (unsigned long long)st.filtered);
	}
}

static void check(pfring *ring, int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "probe: %s: %s (%d)\n", what, pfring_strerror(ring), rc);
		exit(1);
	}
}

static cluster_type parse_cluster(const char *s)
{
	static const char *const names[] = { "6", "rr", "2", "4", "5", "tcp5" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (cluster_type)i;
	die("bad cluster type (6, rr, 2, 4, 5, tcp5)", s);
	return 0;
}

static void on_signal(int sig)
{
	stop = 1;
}

static void apply_options(pfring *ring, int argc, char **argv)
{
	int c, cluster = -1;
	cluster_type ctype = cluster_per_flow;

	optind = 1;
	while ((c = getopt(argc, argv, "i:n:t:I:f:r:H:P:e:s:c:C:w:d:S:FRabU")) != -1) {
		switch (c) {
		case 'f':
			check(ring, pfring_set_bpf_filter(ring, optarg), "bpf");
			break;
		case 'P':
			check(ring, pfring_toggle_filtering_policy(ring,
					!strcmp(optarg, "accept")), "policy");
			break;
		case 'e':
			check(ring, pfring_set_direction(ring,
					(packet_direction)num(optarg, 2)), "direction");
			break;
		case 's':
			check(ring, pfring_set_sampling_rate(ring,
					(u_int32_t)num(optarg, 1u << 30)), "sampling");
			break;
		case 'c':
			cluster = (int)num(optarg, 65535);
			break;
		case 'C':
			ctype = parse_cluster(optarg);
			break;
		case 'w':
			check(ring, pfring_set_poll_watermark(ring,
					(u_int16_t)num(optarg, 65535)), "watermark");
			break;
		case 'd':
			check(ring, pfring_set_poll_duration(ring,
					(u_int)num(optarg, 100000)), "duration");
			break;
		}
	}
	for (c = 0; c < opt.nrules; c++)
		check(ring, pfring_add_filtering_rule(ring, &opt.rules[c]), "rule");
	for (c = 0; c < opt.nhrules; c++)
		check(ring, pfring_handle_hash_filtering_rule(ring, &opt.hrules[c], 1),
		      "hash rule");
	if (cluster >= 0)
		check(ring, pfring_set_cluster(ring, (u_int)cluster, ctype), "cluster");
}

static void parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "i:n:t:I:f:r:H:P:e:s:c:C:w:d:S:FRabU")) != -1) {
		switch (c) {
		case 'i': opt.dev = optarg; break;
		case 'n': opt.expect = num(optarg, ~0ul); break;
		case 't': opt.timeout_s = (double)num(optarg, 3600); break;
		case 'I': opt.idle_s = num(optarg, 600000) / 1000.0; break;
		case 'S': opt.sleep_us = (u_int32_t)num(optarg, 1000000); break;
		case 'F': opt.flows = 1; break;
		case 'R': opt.rule_stats = 1; break;
		case 'a': opt.active = 1; break;
		case 'b': opt.copy = 1; break;
		case 'U': opt.purge = 1; break;
		case 'r':
			if (opt.nrules == MAX_RULES)
				die("too many rules", "");
			parse_fields(optarg, &opt.rules[opt.nrules++], 0);
			break;
		case 'H':
			if (opt.nhrules == MAX_RULES)
				die("too many hash rules", "");
			parse_fields(optarg, &opt.hrules[opt.nhrules++], 1);
			break;
		case 'f': case 'P': case 'e': case 's': case 'c': case 'C':
		case 'w': case 'd':
			break;
		default:
			die("bad option", "");
		}
	}
	if (opt.dev == NULL)
		die("-i DEVICE is required", "");
}

/* Shared with the watchdog thread, which ends a blocking pfring_recv()
 * through pfring_breakloop() when the time limit or the idle time passes. */
static _Atomic u_int64_t received;
static _Atomic double last_rx;
static atomic_int done;

static void *watchdog(void *arg)
{
	pfring *ring = arg;
	double start = now_s();

	while (!stop) {
		double t = now_s();

		if (t - start > opt.timeout_s ||
		    (received > 0 && t - last_rx > opt.idle_s))
			break;
		usleep(20000);
	}
	done = 1;
	pfring_breakloop(ring);
	return NULL;
}

static void on_packet(u_char *p, struct pfring_pkthdr *h)
{
	/* The time first: the watchdog reads received, then last_rx. */
	last_rx = now_s();
	received++;
	if (opt.flows) {
		pfring_parse_pkt(p, h, 4, 0, 0);
		count_flow(h);
	}
	if (opt.sleep_us)
		usleep(opt.sleep_us);
}

static void capture(pfring *ring)
{
	static u_char buf[MAX_CAPLEN];
	struct pfring_pkthdr h;
	pthread_t tid;
	u_char *p;
	int rc;

	last_rx = now_s();
	pthread_create(&tid, NULL, watchdog, ring);
	while (!done && (opt.expect == 0 || received < opt.expect)) {
		p = opt.copy ? buf : NULL;
		rc = pfring_recv(ring, &p, opt.copy ? sizeof(buf) : 0, &h,
				 !opt.active);
		if (rc == PF_RING_ERROR_NO_PKT_AVAILABLE)
			break;
		check(ring, rc, "recv");
		if (rc > 0)
			on_packet(p, &h);
	}
	/* Keep reading until idle: a packet beyond the expected count is an
	 * error the test must see. */
	while (!done) {
		p = NULL;
		rc = pfring_recv(ring, &p, 0, &h, 0);
		if (rc > 0)
			on_packet(p, &h);
		else if (rc < 0)
			break;
		else
			usleep(1000);
	}
	stop = 1;
	pthread_join(tid, NULL);
}

int main(int argc, char **argv)
{
	pfring *ring;

	parse_args(argc, argv);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ring = pfring_open(opt.dev, 1518, PF_RING_PROMISC);
	if (ring == NULL) {
		fprintf(stderr, "probe: %s: %s\n", opt.dev, pfring_strerror(NULL));
		return 1;
	}
	pfring_set_application_name(ring, "probe");
	pfring_set_poll_duration(ring, 50);
	apply_options(ring, argc, argv);
	check(ring, pfring_enable_ring(ring), "enable");
	printf("ready\n");
	fflush(stdout);
	capture(ring);
	report(ring, received);
	if (opt.purge)
		printf("purged wc=%d hash=%d\n", pfring_purge_idle_rules(ring, 0),
		       pfring_purge_idle_hash_rules(ring, 0));
	pfring_close(ring);
	return 0;
}
