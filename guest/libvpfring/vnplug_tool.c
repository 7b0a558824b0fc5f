// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * vnplug-tool: end-to-end checks of vNPlug from inside a guest, against
 * vnplugd's test back-end (VNPLUG_APP_TEST). One subcommand per check; each
 * ends with one result line ("NAME: ... ok" or "NAME: FAIL: ...") and exits
 * non-zero on failure. See vnplug-tool.8. With VNPLUG_SOCKET set, libvnplug
 * talks to vnplugd's socket itself (no QEMU, no vnplug.ko): the guest's
 * statistics do not exist then, and raw (which writes to the device) is
 * not available.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../../include/uapi/vnplug.h"
#include "vnplug_guest.h"

#define EXIT_USAGE    2
#define EXIT_NO_REPLY 3 /* raw: nothing came back in time */
/* hold: the region read zeros once its device went away, as a revoked
 * mapping must (vnplug.ko and the socket transport map zeroed memory over
 * it); the expected end of an unplug test. */
#define EXIT_REVOKED  4

#define GUEST_STATS    "/sys/class/misc/vnplug-ctrl/stats"
#define GUEST_ATTR_DIR "/sys/class/misc/vnplug-ctrl"

/* Both headers of an application message (28 bytes), and what may follow. */
#define MSG_HDRS                                                               \
	(sizeof(struct vnplug_msg_hdr) + sizeof(struct vnplug_app_hdr))
#define MAX_PAYLOAD (VNPLUG_MSG_MAX - MSG_HDRS)
/* serial-bench: what the host peer (tests/bench/vnplug_serial_peer) says. */
#define SERIAL_PEER_HELLO "vnplug-serial-peer 1"

static int opt_timeout = 10000; /* ms, for each request and hotplug */
static const char *cmd = "vnplug-tool";
static uint8_t scratch[VNPLUG_MSG_MAX];
static struct vnplug_session *sess; /* opened once arguments are good */

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void sleep_ms(int ms)
{
	poll(NULL, 0, ms);
}

/* This process's CPU time (user + system), in seconds. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Timings of one measurement, for its median and 99th percentile. */
struct samples {
	double *v;
	size_t n, cap;
	double sum;
};

static int samples_add(struct samples *s, double v)
{
	double *nv;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap ? 2 * s->cap : 1024;
		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	s->sum += v;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts the samples; then samples_rank() and the extremes are valid. */
static void samples_sort(struct samples *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_double);
}

/* The p-quantile (0 < p <= 1) of sorted samples, by nearest rank. */
static double samples_rank(const struct samples *s, double p)
{
	size_t k;

	if (!s->n)
		return 0;
	k = (size_t)(p * (double)s->n);
	if ((double)k < p * (double)s->n)
		k++;
	return s->v[k ? k - 1 : 0];
}

/* "avg A UNIT, min B UNIT, median C UNIT, p99 D UNIT, max E UNIT" */
static void print_spread(struct samples *s, const char *unit)
{
	samples_sort(s);
	printf(
	    "avg %.1f %s, min %.1f %s, median %.1f %s, p99 %.1f %s, max %.1f "
	    "%s",
	    s->n ? s->sum / (double)s->n : 0.0, unit, s->n ? s->v[0] : 0.0,
	    unit, samples_rank(s, 0.5), unit, samples_rank(s, 0.99), unit,
	    s->n ? s->v[s->n - 1] : 0.0, unit);
}

/* "-EINVAL (Invalid argument)" for -EINVAL. */
static const char *errname(int err)
{
	static char buf[96];
	const char *name = strerrorname_np(-err);

	if (name)
		snprintf(buf, sizeof(buf), "-%s (%s)", name, strerror(-err));
	else
		snprintf(buf, sizeof(buf), "%d (%s)", err, strerror(-err));
	return buf;
}

/* The result line of a failed check; returns the exit status. */
__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;

	printf("%s: FAIL: ", cmd);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return EXIT_FAILURE;
}

/* An error of a request, with the text of the host's ERROR if any. */
static int fail_call(const char *what, int err)
{
	const char *text = vnplug_session_error(sess);

	if (text)
		return fail("%s: %s, host says \"%s\"", what, errname(err),
			    text);
	return fail("%s: %s", what, errname(err));
}

static int parse_u64(const char *arg, uint64_t *v, bool size)
{
	char *end;
	unsigned long long n;
	int shift = 0;

	errno = 0;
	n = strtoull(arg, &end, 0);
	if (errno || end == arg || *arg == '-')
		return -1;
	if (size && *end) {
		switch (*end) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		default:
			return -1;
		}
		end++;
	}
	if (*end || (shift && n > (ULLONG_MAX >> shift)))
		return -1;
	*v = (uint64_t)n << shift;
	return 0;
}

static int arg_u64(const char *arg, const char *what, uint64_t *v, bool size)
{
	if (parse_u64(arg, v, size) || !*v) {
		fprintf(stderr, "%s: bad %s: %s\n", cmd, what, arg);
		return -1;
	}
	return 0;
}

/* Opens the session, once the arguments are known to be good. */
static int need_session(void)
{
	const char *hint = "";
	int err;

	if (sess)
		return 0;
	err = vnplug_session_open(&sess);
	if (!err)
		return 0;
	if (vnplug_socket_path()) {
		if (err == -ECONNREFUSED)
			hint = ": nothing listens there; is vnplugd running?";
		else if (err == -ENOENT)
			hint = ": no such socket; is vnplugd running?";
		else if (err == -EBUSY)
			hint = ": the VM already has a connection (QEMU or "
			       "another process)";
		return fail("cannot connect to vnplugd at %s (VNPLUG_SOCKET): "
			    "%s%s",
			    vnplug_socket_path(), errname(err), hint);
	}
	if (err == -ENOENT)
		hint = ": is vnplug.ko loaded?";
	else if (err == -ENODEV)
		hint = ": no vnplug-ctrl device in this VM";
	else if (err == -ENOTCONN)
		hint = ": vnplugd is not connected";
	return fail("cannot open /dev/vnplug-ctrl: %s%s", errname(err), hint);
}

static int test_call(uint32_t op, const void *req, size_t reqlen, void *reply,
		     size_t replylen, size_t *outlen)
{
	if (!reply) {
		reply = scratch;
		replylen = sizeof(scratch);
	}
	return vnplug_call(sess, VNPLUG_APP_TEST, op, req, reqlen, reply,
			   replylen, outlen, opt_timeout);
}

/* ---------------------------------------------------------------------- */
/* Regions of the test back-end                                           */

static int unmap_id(uint32_t id)
{
	struct vnplug_test_region req = {.region_id = htole32(id)};
	char what[64];
	int err;

	err = test_call(VNPLUG_TEST_UNMAP, &req, sizeof(req), NULL, 0, NULL);
	if (err) {
		snprintf(what, sizeof(what), "UNMAP region %" PRIu32, id);
		return fail_call(what, err);
	}
	err = vnplug_region_wait_gone(id, opt_timeout);
	if (err)
		return fail("/dev/vnplug%" PRIu32
			    " still there after UNMAP: %s",
			    id, errname(err));
	return 0;
}

/* Unmaps locally, then asks the host to unplug and waits for it. */
static int unmap(struct vnplug_region *r)
{
	uint32_t id = vnplug_region_id(r);

	vnplug_region_unmap(r);
	return unmap_id(id);
}

/* MAP size bytes and map the device that appears: 0 or exit status. */
static int map(uint64_t size, struct vnplug_region **rp)
{
	struct vnplug_test_map req = {.size = htole64(size)}, rep;
	size_t n;
	uint32_t id;
	char what[64];
	int err;

	*rp = NULL;
	err = test_call(VNPLUG_TEST_MAP, &req, sizeof(req), &rep, sizeof(rep),
			&n);
	snprintf(what, sizeof(what), "MAP %" PRIu64 " bytes", size);
	if (err)
		return fail_call(what, err);
	if (n < sizeof(rep))
		return fail("%s: reply of %zu bytes", what, n);
	id = le32toh(rep.region_id);
	err = vnplug_region_map(id, opt_timeout, rp);
	if (err) {
		fail("map /dev/vnplug%" PRIu32 ": %s", id, errname(err));
		unmap_id(id);
		return EXIT_FAILURE;
	}
	if (vnplug_region_size(*rp) != size) {
		fail("/dev/vnplug%" PRIu32 " has %" PRIu64
		     " bytes, asked %" PRIu64,
		     id, vnplug_region_size(*rp), size);
		unmap(*rp);
		*rp = NULL;
		return EXIT_FAILURE;
	}
	return 0;
}

/*
 * The test back-end's pattern: byte i is (i * 31 + id) & 0xff, but for the
 * first 8 bytes (the region id and the size's low 32 bits, little-endian).
 */
static uint8_t pattern_byte(uint32_t id, uint64_t size, uint64_t i)
{
	uint32_t head[2] = {htole32(id), htole32((uint32_t)size)};

	if (i < sizeof(head))
		return ((const uint8_t *)head)[i];
	return (uint8_t)((i * 31 + id) & 0xff);
}

/*
 * Checks [from, to) of the region against the pattern; returns the first
 * bad offset, or to. The pattern repeats every 256 bytes, so whole 4 KiB
 * blocks are compared with memcmp against one reference block.
 */
static uint64_t verify(const struct vnplug_region *r, uint64_t from,
		       uint64_t to)
{
	static uint8_t ref[4096];
	const uint8_t *mem = vnplug_region_mem(r);
	uint32_t id = vnplug_region_id(r);
	uint64_t size = vnplug_region_size(r), i = from;
	size_t k;

	for (k = 0; k < sizeof(ref); k++)
		ref[k] = (uint8_t)((k * 31 + id) & 0xff);
	for (; i < to && (i < 8 || i % sizeof(ref)); i++)
		if (mem[i] != pattern_byte(id, size, i))
			return i;
	for (; i + sizeof(ref) <= to; i += sizeof(ref))
		if (memcmp(mem + i, ref, sizeof(ref)))
			break;
	for (; i < to; i++)
		if (mem[i] != pattern_byte(id, size, i))
			return i;
	return to;
}

static int verify_fail(const struct vnplug_region *r, uint64_t off)
{
	const uint8_t *mem = vnplug_region_mem(r);

	return fail(
	    "region %" PRIu32 " offset %" PRIu64 ": 0x%02x, expected 0x%02x",
	    vnplug_region_id(r), off, mem[off],
	    pattern_byte(vnplug_region_id(r), vnplug_region_size(r), off));
}

static int ctrl_check(const struct vnplug_region *r)
{
	const struct vnplug_ctrl_page *cp = vnplug_region_ctrl(r);
	uint32_t magic = le32toh(__atomic_load_n(&cp->magic, __ATOMIC_ACQUIRE));
	uint32_t id = le32toh(cp->region_id);

	if (magic != VNPLUG_CTRL_MAGIC || id != vnplug_region_id(r))
		return fail("control page: magic 0x%08" PRIx32
			    " region %" PRIu32
			    ", expected 0x%08x region %" PRIu32,
			    magic, id, VNPLUG_CTRL_MAGIC, vnplug_region_id(r));
	return 0;
}

static int host_doorbells(uint32_t id, uint32_t *count)
{
	struct vnplug_test_region req = {.region_id = htole32(id)}, rep;
	size_t n;
	int err;

	err = test_call(VNPLUG_TEST_DOORBELLS, &req, sizeof(req), &rep,
			sizeof(rep), &n);
	if (err)
		return fail_call("DOORBELLS", err);
	if (n < sizeof(rep))
		return fail("DOORBELLS: reply of %zu bytes", n);
	*count = le32toh(rep.count);
	return 0;
}

static int host_signal(uint32_t id, uint32_t count)
{
	struct vnplug_test_region req = {.region_id = htole32(id),
					 .count = htole32(count)};
	int err;

	err = test_call(VNPLUG_TEST_SIGNAL, &req, sizeof(req), NULL, 0, NULL);
	if (err)
		return fail_call("SIGNAL", err);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Statistics                                                             */

struct host_stats {
	uint32_t daemon_fds, qemu_fds, regions, sessions;
};

/* The gauges of the guest's stats: all back to their value when idle. */
static const char *const gauges[] = {"sessions", "rings", "ring_files",
				     "queued"};
#define NGAUGES (sizeof(gauges) / sizeof(gauges[0]))

static int get_host_stats(struct host_stats *hs)
{
	struct vnplug_test_stats rep;
	size_t n;
	int err;

	err = test_call(VNPLUG_TEST_STATS, NULL, 0, &rep, sizeof(rep), &n);
	if (err)
		return fail_call("STATS", err);
	if (n < sizeof(rep))
		return fail("STATS: reply of %zu bytes", n);
	hs->daemon_fds = le32toh(rep.daemon_fds);
	hs->qemu_fds = le32toh(rep.qemu_fds);
	hs->regions = le32toh(rep.regions);
	hs->sessions = le32toh(rep.sessions);
	return 0;
}

static void print_host_stats(const char *label, const struct host_stats *hs)
{
	printf("%s: %shost daemon_fds=%" PRIu32 " qemu_fds=%" PRIu32
	       " regions=%" PRIu32 " sessions=%" PRIu32 "\n",
	       cmd, label, hs->daemon_fds, hs->qemu_fds, hs->regions,
	       hs->sessions);
}

/* One value of the guest's stats file; -1 if missing. */
static long long guest_stat(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static int get_guest_stats(char *buf, size_t size)
{
	int err;

	/* Socket mode: no guest driver, nothing to compare. */
	if (vnplug_socket_path()) {
		buf[0] = '\0';
		return 0;
	}
	err = read_text(GUEST_STATS, buf, size);

	if (err)
		return fail("%s: %s", GUEST_STATS, errname(err));
	return 0;
}

static void print_gauges(const char *label, const char *text)
{
	size_t i;

	if (vnplug_socket_path())
		return;
	printf("%s: %sguest", cmd, label);
	for (i = 0; i < NGAUGES; i++)
		printf(" %s=%lld", gauges[i], guest_stat(text, gauges[i]));
	putchar('\n');
}

/* ---------------------------------------------------------------------- */
/* Subcommands                                                            */

static int cmd_ping(int argc, char **argv)
{
	uint64_t count = 10, bytes = 8, i;
	uint8_t req[MAX_PAYLOAD], rep[MAX_PAYLOAD];
	double min = 1e30, max = 0, sum = 0, t0, dt;
	size_t n;
	int c, err;

	optind = 1;
	while ((c = getopt(argc, argv, "c:s:")) != -1) {
		if (c == 'c' && !arg_u64(optarg, "count", &count, false))
			continue;
		if (c == 's' && !parse_u64(optarg, &bytes, false))
			continue;
		return EXIT_USAGE;
	}
	if (optind != argc)
		return EXIT_USAGE;
	if (need_session())
		return EXIT_FAILURE;
	if (bytes > MAX_PAYLOAD)
		return fail("-s %" PRIu64 ": at most %zu bytes", bytes,
			    MAX_PAYLOAD);
	for (i = 0; i < count; i++) {
		for (n = 0; n < bytes; n++)
			req[n] = (uint8_t)(i + n * 7);
		t0 = now_us();
		err = test_call(VNPLUG_TEST_PING, req, bytes, rep, sizeof(rep),
				&n);
		dt = now_us() - t0;
		if (err)
			return fail_call("PING", err);
		if (n != bytes || memcmp(req, rep, bytes))
			return fail("PING %" PRIu64
				    ": echo of %zu bytes differs",
				    i, n);
		sum += dt;
		min = dt < min ? dt : min;
		max = dt > max ? dt : max;
	}
	printf("%s: %" PRIu64 "/%" PRIu64 " ok, %" PRIu64
	       " bytes, rtt min/avg/max = %.1f/%.1f/%.1f us\n",
	       cmd, count, count, bytes, min, sum / count, max);
	return 0;
}

static int cmd_pattern(uint64_t size)
{
	struct vnplug_region *r;
	uint64_t bad;
	uint32_t id;
	double t0;
	int ret;

	t0 = now_us();
	ret = map(size, &r);
	if (ret)
		return ret;
	id = vnplug_region_id(r);
	ret = ctrl_check(r);
	bad = verify(r, 0, size);
	if (!ret && bad != size)
		ret = verify_fail(r, bad);
	if (unmap(r) && !ret)
		ret = EXIT_FAILURE;
	if (!ret)
		printf("%s: region %" PRIu32 ", %" PRIu64
		       " bytes verified, control page ok, %.1f ms, ok\n",
		       cmd, id, size, (now_us() - t0) / 1e3);
	return ret;
}

static uint8_t guest_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + 0x5a);
}

/* Sorts and dedups the offsets below size; returns how many are left. */
static size_t offsets(uint64_t *offs, size_t n, uint64_t size)
{
	size_t i, j, m = 0;
	uint64_t v;

	for (i = 0; i < n; i++) {
		v = offs[i];
		if (v >= size)
			continue;
		for (j = m; j > 0 && offs[j - 1] > v; j--)
			offs[j] = offs[j - 1];
		if (j > 0 && offs[j - 1] == v) {
			/* undo the shift */
			for (; j < m; j++)
				offs[j] = offs[j + 1];
			continue;
		}
		offs[j] = v;
		m++;
	}
	return m;
}

static int cmd_write(uint64_t size)
{
	uint64_t offs[] = {0, 1, 4095, 4096, size / 2, size - 16, size - 1};
	struct vnplug_test_read req;
	uint8_t rep[VNPLUG_TEST_READ_MAX], *mem;
	struct vnplug_region *r;
	uint64_t off, k, len;
	size_t i, n, noffs;
	uint32_t id;
	int ret, err;

	noffs = offsets(offs, sizeof(offs) / sizeof(offs[0]), size);
	ret = map(size, &r);
	if (ret)
		return ret;
	id = vnplug_region_id(r);
	mem = vnplug_region_mem(r);
	/* Spans of up to 16 bytes; the last one ends at the last byte. */
	for (i = 0; i < noffs; i++) {
		off = offs[i];
		len = size - off < 16 ? size - off : 16;
		for (k = 0; k < len; k++)
			mem[off + k] = guest_byte(off + k);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < noffs && !ret; i++) {
		off = offs[i];
		len = size - off < 16 ? size - off : 16;
		req.region_id = htole32(id);
		req.len = htole32((uint32_t)len);
		req.offset = htole64(off);
		err = test_call(VNPLUG_TEST_READ, &req, sizeof(req), rep,
				sizeof(rep), &n);
		if (err) {
			ret = fail_call("READ", err);
			break;
		}
		if (n != len) {
			ret = fail("READ %" PRIu64 "@%" PRIu64 ": %zu bytes",
				   len, off, n);
			break;
		}
		for (k = 0; k < len && !ret; k++)
			if (rep[k] != guest_byte(off + k))
				ret =
				    fail("host reads 0x%02x at offset %" PRIu64
					 ", guest wrote 0x%02x",
					 rep[k], off + k, guest_byte(off + k));
	}
	if (unmap(r) && !ret)
		ret = EXIT_FAILURE;
	if (!ret)
		printf("%s: region %" PRIu32
		       ", %zu spans up to the last byte (%" PRIu64
		       ") read back by the host, ok\n",
		       cmd, id, noffs, size - 1);
	return ret;
}

static int cmd_doorbell(uint64_t size, uint64_t n)
{
	struct vnplug_region *r;
	uint32_t id, before, count = 0;
	uint64_t i;
	double t0;
	int ret;

	ret = map(size, &r);
	if (ret)
		return ret;
	id = vnplug_region_id(r);
	ret = host_doorbells(id, &before);
	for (i = 0; i < n && !ret; i++)
		vnplug_region_notify(r);
	/* The host drains its eventfd on its own time: wait up to 2 s. */
	t0 = now_us();
	while (!ret) {
		ret = host_doorbells(id, &count);
		if (ret || count - before >= n || now_us() - t0 > 2e6)
			break;
		sleep_ms(20);
	}
	if (!ret && count - before != n)
		ret = fail("region %" PRIu32 ": %" PRIu64
			   " notified, host counted %" PRIu32,
			   id, n, count - before);
	if (unmap(r) && !ret)
		ret = EXIT_FAILURE;
	if (!ret)
		printf("%s: region %" PRIu32 ", %" PRIu64
		       " notified, host counted %" PRIu32 ", ok\n",
		       cmd, id, n, count - before);
	return ret;
}

static int cmd_signal(uint64_t size, uint64_t n)
{
	struct vnplug_region *r;
	uint64_t i, received = 0, waits = 0, timeouts = 0;
	int ret, got, wait_ms = opt_timeout < 2000 ? opt_timeout : 2000;
	uint32_t id;

	ret = map(size, &r);
	if (ret)
		return ret;
	id = vnplug_region_id(r);
	for (i = 0; i < n && !ret; i++) {
		ret = host_signal(id, 1);
		if (ret)
			break;
		got = vnplug_region_wait(r, wait_ms);
		if (got == -ETIMEDOUT) {
			timeouts++;
		} else if (got < 0) {
			ret = fail("wait %" PRIu64 ": %s", i, errname(got));
		} else {
			received += (uint64_t)got;
			waits++;
		}
	}
	/* Anything late or extra. */
	sleep_ms(50);
	got = vnplug_region_wait(r, 0);
	if (!ret && got > 0)
		received += (uint64_t)got;
	if (!ret && (timeouts || received != n))
		ret = fail("region %" PRIu32 ": %" PRIu64 " requested, %" PRIu64
			   " received in %" PRIu64 " waits, %" PRIu64
			   " timeouts of %d ms",
			   id, n, received, waits, timeouts, wait_ms);
	if (unmap(r) && !ret)
		ret = EXIT_FAILURE;
	if (!ret)
		printf("%s: region %" PRIu32 ", %" PRIu64 " requested, %" PRIu64
		       " received in %" PRIu64 " waits, 0 timeouts, ok\n",
		       cmd, id, n, received, waits);
	return ret;
}

static bool stats_equal(const struct host_stats *a, const char *ga,
			const struct host_stats *b, const char *gb)
{
	size_t i;

	if (memcmp(a, b, sizeof(*a)))
		return false;
	for (i = 0; i < NGAUGES; i++)
		if (guest_stat(ga, gauges[i]) != guest_stat(gb, gauges[i]))
			return false;
	return true;
}

static int cmd_cycles(uint64_t n, uint64_t size)
{
	char gbefore[1024], gafter[1024];
	struct host_stats hbefore, hafter;
	struct vnplug_region *r;
	uint64_t i, head, bad;
	double t0, t1;
	int ret, tries;

	ret = get_host_stats(&hbefore);
	if (!ret)
		ret = get_guest_stats(gbefore, sizeof(gbefore));
	if (ret)
		return ret;
	print_host_stats("before: ", &hbefore);
	print_gauges("before: ", gbefore);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		ret = map(size, &r);
		if (ret)
			return fail("cycle %" PRIu64 " of %" PRIu64, i + 1, n);
		/* The first and the last page. */
		head = size < 4096 ? size : 4096;
		bad = verify(r, 0, head);
		if (bad == head)
			bad = verify(r, size - head, size);
		if (bad != size && bad != head)
			ret = verify_fail(r, bad);
		if (unmap(r) && !ret)
			ret = EXIT_FAILURE;
		if (ret)
			return fail("cycle %" PRIu64 " of %" PRIu64, i + 1, n);
	}
	t1 = now_us();
	/* Closing is asynchronous on the host: give it up to 3 s. */
	for (tries = 0;; tries++) {
		ret = get_host_stats(&hafter);
		if (!ret)
			ret = get_guest_stats(gafter, sizeof(gafter));
		if (ret)
			return ret;
		if (stats_equal(&hbefore, gbefore, &hafter, gafter) ||
		    tries >= 30)
			break;
		sleep_ms(100);
	}
	print_host_stats("after:  ", &hafter);
	print_gauges("after:  ", gafter);
	if (!stats_equal(&hbefore, gbefore, &hafter, gafter))
		return fail("%" PRIu64 " cycles: statistics differ (above)", n);
	printf("%s: %" PRIu64 " x %" PRIu64 " bytes map/verify/unmap, %.1f ms "
					    "per cycle, statistics equal, ok\n",
	       cmd, n, size, n ? (t1 - t0) / 1e3 / n : 0.0);
	return 0;
}

static int cmd_raw(int argc, char **argv)
{
	static uint8_t msg[2 * VNPLUG_MSG_MAX + 1];
	uint8_t payload[VNPLUG_MSG_MAX];
	struct vnplug_app_hdr hdr;
	uint64_t wait_ms = 2000;
	const char *text;
	size_t len = 0;
	ssize_t n;
	int c, ret;

	optind = 1;
	while ((c = getopt(argc, argv, "w:")) != -1) {
		if (c == 'w' && !parse_u64(optarg, &wait_ms, false) &&
		    wait_ms <= INT_MAX)
			continue;
		return EXIT_USAGE;
	}
	if (optind != argc)
		return EXIT_USAGE;
	if (vnplug_socket_path())
		return fail("not available with VNPLUG_SOCKET: it writes to "
			    "/dev/vnplug-ctrl");
	if (need_session())
		return EXIT_FAILURE;
	while (len < sizeof(msg)) {
		n = read(STDIN_FILENO, msg + len, sizeof(msg) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail("stdin: %s", errname(-errno));
		if (!n)
			break;
		len += (size_t)n;
	}
	n = write(vnplug_session_fd(sess), msg, len);
	if (n < 0) {
		printf("%s: write of %zu bytes: %s\n", cmd, len,
		       errname(-errno));
		return EXIT_FAILURE;
	}
	printf("%s: wrote %zd of %zu bytes\n", cmd, n, len);
	ret = vnplug_recv(sess, &hdr, payload, sizeof(payload), (int)wait_ms);
	text = vnplug_session_error(sess);
	if (text) {
		printf("%s: ERROR status=%s app_id=%" PRIu32 " op=%" PRIu32
		       " seq=%" PRIu32 " text=\"%s\"\n",
		       cmd, errname(hdr.status), hdr.app_id, hdr.op, hdr.seq,
		       text);
		return 0;
	}
	if (ret == -ETIMEDOUT) {
		printf("%s: no reply within %" PRIu64 " ms\n", cmd, wait_ms);
		return EXIT_NO_REPLY;
	}
	if (ret < 0 && ret != -EMSGSIZE) {
		printf("%s: receive: %s\n", cmd, errname(ret));
		return EXIT_FAILURE;
	}
	printf("%s: reply app_id=%" PRIu32 " op=%" PRIu32 " seq=%" PRIu32
	       " status=%" PRId32 " len=%d\n",
	       cmd, hdr.app_id, hdr.op, hdr.seq, hdr.status, ret);
	return 0;
}

static int cmd_stats(void)
{
	char text[1024], attr[64], *p;
	struct host_stats hs;
	int ret;

	ret = get_host_stats(&hs);
	if (!ret)
		ret = get_guest_stats(text, sizeof(text));
	if (ret)
		return ret;
	print_host_stats("", &hs);
	if (vnplug_socket_path()) {
		printf("%s: guest statistics not available with "
		       "VNPLUG_SOCKET\n%s: ok\n",
		       cmd, cmd);
		return 0;
	}
	printf("%s: guest", cmd);
	for (p = strtok(text, "\n"); p; p = strtok(NULL, "\n")) {
		p[strcspn(p, " ")] = '=';
		printf(" %s", p);
	}
	if (!read_text(GUEST_ATTR_DIR "/backend", attr, sizeof(attr)))
		printf(" backend=%.*s", (int)strcspn(attr, "\n"), attr);
	if (!read_text(GUEST_ATTR_DIR "/generation", attr, sizeof(attr)))
		printf(" generation=%.*s", (int)strcspn(attr, "\n"), attr);
	putchar('\n');
	printf("%s: ok\n", cmd);
	return 0;
}

/* Doorbells the host has counted, once it stops counting (up to 5 s). */
static int drained_doorbells(uint32_t id, uint32_t *count)
{
	uint32_t prev;
	double t0 = now_us();
	int ret;

	ret = host_doorbells(id, count);
	do {
		prev = *count;
		sleep_ms(100);
		if (!ret)
			ret = host_doorbells(id, count);
	} while (!ret && *count != prev && now_us() - t0 < 5e6);
	return ret;
}

static int cmd_bench(int argc, char **argv)
{
	uint64_t secs = 1, size = 1 << 20, rounds = 3, count = 0;
	uint64_t msg = MSG_HDRS + 8, i, notified = 0, events = 0;
	uint8_t req[MAX_PAYLOAD], rep[MAX_PAYLOAD];
	struct samples rtt = {0}, hp = {0};
	struct vnplug_region *r = NULL;
	uint32_t id, before, after;
	volatile uint8_t first;
	double t0, t1, dt, cpu;
	size_t n, plen;
	int c, k, ret, got;

	optind = 1;
	while ((c = getopt(argc, argv, "c:d:m:s:n:")) != -1) {
		if (c == 'c' && !arg_u64(optarg, "count", &count, false))
			continue;
		if (c == 'd' && !arg_u64(optarg, "duration", &secs, false))
			continue;
		if (c == 'm' && !arg_u64(optarg, "message size", &msg, false))
			continue;
		if (c == 's' && !arg_u64(optarg, "size", &size, true))
			continue;
		if (c == 'n' && !arg_u64(optarg, "rounds", &rounds, false))
			continue;
		return EXIT_USAGE;
	}
	if (optind != argc)
		return EXIT_USAGE;
	if (msg < MSG_HDRS || msg > VNPLUG_MSG_MAX) {
		fprintf(stderr, "%s: -m %" PRIu64 ": %zu to %d bytes\n", cmd,
			msg, MSG_HDRS, VNPLUG_MSG_MAX);
		return EXIT_USAGE;
	}
	if (need_session())
		return EXIT_FAILURE;
	plen = msg - MSG_HDRS;

	/* Control round trips: PING of a message of msg bytes in all. */
	t0 = now_us();
	for (i = 0; count ? i < count : now_us() - t0 < secs * 1e6; i++) {
		for (n = 0; n < plen; n++)
			req[n] = (uint8_t)(i + n * 7);
		t1 = now_us();
		ret = test_call(VNPLUG_TEST_PING, req, plen, rep, sizeof(rep),
				&n);
		dt = now_us() - t1;
		if (ret) {
			ret = fail_call("PING", ret);
			goto out;
		}
		if (n != plen || memcmp(req, rep, plen)) {
			ret =
			    fail("PING %" PRIu64 ": echo of %zu bytes differs",
				 i, n);
			goto out;
		}
		if (samples_add(&rtt, dt)) {
			ret = fail("out of memory");
			goto out;
		}
	}
	printf("%s: control round trip: ", cmd);
	print_spread(&rtt, "us");
	printf(" (%zu calls, %" PRIu64 "-byte messages)\n", rtt.n, msg);

	/* Hotplug: MAP request to the first byte read through the mapping. */
	for (i = 0; i < rounds; i++) {
		t0 = now_us();
		ret = map(size, &r);
		if (ret)
			goto out;
		first = *(const uint8_t *)vnplug_region_mem(r);
		dt = (now_us() - t0) / 1e3;
		(void)first;
		if (samples_add(&hp, dt)) {
			ret = fail("out of memory");
			goto out_unmap;
		}
		if (i + 1 < rounds) {
			ret = unmap(r);
			r = NULL;
			if (ret)
				goto out;
		}
	}
	printf("%s: hotplug to usable: ", cmd);
	print_spread(&hp, "ms");
	printf(" (%" PRIu64 " rounds, %" PRIu64 " bytes)\n", rounds, size);

	/* Guest -> host: doorbells for the duration, as counted by the host. */
	id = vnplug_region_id(r);
	ret = host_doorbells(id, &before);
	if (ret)
		goto out_unmap;
	cpu = cpu_s();
	t0 = now_us();
	do {
		for (k = 0; k < 64; k++)
			vnplug_region_notify(r);
		notified += 64;
	} while ((t1 = now_us()) - t0 < secs * 1e6);
	cpu = cpu_s() - cpu;
	ret = drained_doorbells(id, &after);
	if (ret)
		goto out_unmap;
	printf("%s: guest->host events: %.0f/s (host counted %" PRIu32
	       " of %" PRIu64 " doorbells in %.2f s), guest cpu %.0f%%%s\n",
	       cmd, (after - before) / ((t1 - t0) / 1e6), after - before,
	       notified, (t1 - t0) / 1e6, 100 * cpu / ((t1 - t0) / 1e6),
	       after - before == notified ? "" : " (counts differ)");

	/*
	 * Host -> guest, ping-pong for the duration: ask for one interrupt
	 * (SIGNAL, whose reply comes back first), then wait for it.
	 */
	cpu = cpu_s();
	t0 = now_us();
	do {
		ret = host_signal(id, 1);
		if (ret)
			goto out_unmap;
		got = vnplug_region_wait(r, 2000);
		if (got < 0) {
			ret = fail("wait: %s", errname(got));
			goto out_unmap;
		}
		events += (uint64_t)got;
	} while ((t1 = now_us()) - t0 < secs * 1e6);
	cpu = cpu_s() - cpu;
	printf("%s: host->guest events: %.0f/s (%" PRIu64
	       " events in %.2f s, ping-pong), guest cpu %.0f%%\n",
	       cmd, events / ((t1 - t0) / 1e6), events, (t1 - t0) / 1e6,
	       100 * cpu / ((t1 - t0) / 1e6));

out_unmap:
	if (r && unmap(r) && !ret)
		ret = EXIT_FAILURE;
out:
	free(rtt.v);
	free(hp.v);
	if (!ret)
		printf("%s: ok\n", cmd);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* serial-bench: the same measurements over a virtio-serial port          */

/*
 * Waits up to opt_timeout for events on fd: 0 when ready, -ETIMEDOUT,
 * -EPIPE on a hang-up (the host end is closed) or a negative errno.
 */
static int poll_fd(int fd, short events)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int n;

	do
		n = poll(&pfd, 1, opt_timeout);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	if (!(pfd.revents & events) && (pfd.revents & (POLLHUP | POLLERR)))
		return -EPIPE;
	return 0;
}

/*
 * Writes all of buf to the (non-blocking) port, waiting for room up to
 * opt_timeout each time: 0 or a negative errno.
 */
static int port_write(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;
	int ev;

	while (len) {
		n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		ev = poll_fd(fd, POLLOUT);
		if (ev < 0)
			return ev;
	}
	return 0;
}

/*
 * Reads exactly len bytes from the (non-blocking) port, as vnplug_recv()
 * reads /dev/vnplug-ctrl: read, and poll when there is nothing yet (up to
 * opt_timeout each time). 0 or a negative errno.
 */
static int port_read(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;
	int ev;

	while (len) {
		n = read(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (!n)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		ev = poll_fd(fd, POLLIN);
		if (ev < 0)
			return ev;
	}
	return 0;
}

/* One line from the peer, without its newline. */
static int port_line(int fd, char *line, size_t size)
{
	size_t len = 0;
	int err;

	for (;;) {
		err = port_read(fd, line + len, 1);
		if (err)
			return err;
		if (line[len] == '\n')
			break;
		if (++len == size - 1)
			return -EMSGSIZE;
	}
	line[len] = '\0';
	return 0;
}

/* A command line to the peer, then (if reply) its answer line. */
static int port_cmd(int fd, const char *what, char *reply, size_t size)
{
	int err;

	err = port_write(fd, what, strlen(what));
	if (!err && reply)
		err = port_line(fd, reply, size);
	return err;
}

/* The port's name in sysfs (virtserialport's name=), or "?". */
static const char *port_name(const char *path)
{
	static char name[128];
	char sys[256];
	const char *base = strrchr(path, '/');

	snprintf(sys, sizeof(sys), "/sys/class/virtio-ports/%s/name",
		 base ? base + 1 : path);
	if (read_text(sys, name, sizeof(name)))
		return "?";
	name[strcspn(name, "\n")] = '\0';
	return name;
}

static int cmd_serial_bench(int argc, char **argv)
{
	uint64_t secs = 1, count = 0, msg = MSG_HDRS + 8, i, sent = 0;
	uint64_t events = 0, counted, peer_ms, batch, batch_end = 0;
	uint8_t req[VNPLUG_MSG_MAX], rep[VNPLUG_MSG_MAX], drain[256];
	char line[128], what[64];
	struct samples rtt = {0};
	const char *path;
	double t0, t1, dt, cpu;
	int c, k, fd, ret;
	size_t n;

	optind = 1;
	while ((c = getopt(argc, argv, "c:d:m:")) != -1) {
		if (c == 'c' && !arg_u64(optarg, "count", &count, false))
			continue;
		if (c == 'd' && !arg_u64(optarg, "duration", &secs, false))
			continue;
		if (c == 'm' && !arg_u64(optarg, "message size", &msg, false))
			continue;
		return EXIT_USAGE;
	}
	if (optind != argc - 1)
		return EXIT_USAGE;
	if (msg > VNPLUG_MSG_MAX) {
		fprintf(stderr, "%s: -m %" PRIu64 ": at most %d bytes\n", cmd,
			msg, VNPLUG_MSG_MAX);
		return EXIT_USAGE;
	}
	path = argv[optind];
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail("cannot open %s: %s", path, errname(-errno));
	/* Whatever an earlier run left unread. */
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	ret = port_cmd(fd, "hello\n", line, sizeof(line));
	if (ret) {
		ret = fail("%s: no answer from the host peer: %s", path,
			   errname(ret));
		goto out;
	}
	if (strcmp(line, SERIAL_PEER_HELLO)) {
		ret = fail("%s: the host peer says \"%s\", not \"%s\"", path,
			   line, SERIAL_PEER_HELLO);
		goto out;
	}
	printf("%s: port %s (%s), host peer \"%s\"\n", cmd, path,
	       port_name(path), line);

	/*
	 * Round trips: msg bytes written, the peer echoes them. The peer is
	 * told how many to echo before each batch (outside the timing); the
	 * count or the duration is checked between batches.
	 */
	t0 = now_us();
	for (i = 0; !ret; i++) {
		if (i == batch_end) {
			if (count ? i >= count : now_us() - t0 >= secs * 1e6)
				break;
			batch = count ? count - i : 100;
			batch = batch < 1000 ? batch : 1000;
			batch_end = i + batch;
			snprintf(what, sizeof(what),
				 "echo %" PRIu64 " %" PRIu64 "\n", msg, batch);
			ret = port_cmd(fd, what, NULL, 0);
			if (ret)
				break;
		}
		for (n = 0; n < msg; n++)
			req[n] = (uint8_t)(i + n * 7);
		t1 = now_us();
		ret = port_write(fd, req, msg);
		if (!ret)
			ret = port_read(fd, rep, msg);
		dt = now_us() - t1;
		if (ret)
			break;
		if (memcmp(req, rep, msg)) {
			ret =
			    fail("round trip %" PRIu64 ": the echo differs", i);
			goto out;
		}
		if (samples_add(&rtt, dt)) {
			ret = fail("out of memory");
			goto out;
		}
	}
	if (ret) {
		ret = fail("round trip %" PRIu64 ": %s", i, errname(ret));
		goto out;
	}
	printf("%s: round trip: ", cmd);
	print_spread(&rtt, "us");
	printf(" (%zu round trips, %" PRIu64 "-byte messages)\n", rtt.n, msg);

	/* Guest -> host: 1-byte writes for the duration, the peer counts. */
	ret = port_cmd(fd, "sink\n", NULL, 0);
	if (ret) {
		ret = fail("sink: %s", errname(ret));
		goto out;
	}
	cpu = cpu_s();
	t0 = now_us();
	do {
		for (k = 0; k < 16 && !ret; k++)
			ret = port_write(fd, "e", 1);
		sent += (uint64_t)k;
	} while (!ret && (t1 = now_us()) - t0 < secs * 1e6);
	cpu = cpu_s() - cpu;
	if (!ret)
		ret = port_cmd(fd, "q", line, sizeof(line));
	if (ret) {
		ret = fail("1-byte writes: %s", errname(ret));
		goto out;
	}
	if (sscanf(line, "count %" SCNu64 " cpu_ms %" SCNu64, &counted,
		   &peer_ms) != 2) {
		ret = fail("the peer's count: \"%s\"", line);
		goto out;
	}
	printf("%s: guest->host events: %.0f/s (host counted %" PRIu64
	       " of %" PRIu64 " 1-byte writes in %.2f s), guest cpu %.0f%%, "
	       "peer cpu %.0f%%%s\n",
	       cmd, counted / ((t1 - t0) / 1e6), counted, sent, (t1 - t0) / 1e6,
	       100 * cpu / ((t1 - t0) / 1e6), peer_ms / ((t1 - t0) / 1e3) * 100,
	       counted == sent ? "" : " (counts differ)");

	/*
	 * Host -> guest, ping-pong for the duration: ask with one byte, wait
	 * for the peer's byte.
	 */
	ret = port_cmd(fd, "pingpong\n", NULL, 0);
	cpu = cpu_s();
	t0 = t1 = now_us();
	while (!ret) {
		ret = port_write(fd, "a", 1);
		if (!ret)
			ret = port_read(fd, rep, 1);
		if (ret)
			break;
		if (rep[0] != 'e') {
			ret = fail("ping-pong: the peer sent 0x%02x", rep[0]);
			goto out;
		}
		events++;
		if ((t1 = now_us()) - t0 >= secs * 1e6)
			break;
	}
	cpu = cpu_s() - cpu;
	if (!ret)
		ret = port_cmd(fd, "q", line, sizeof(line));
	if (ret) {
		ret = fail("ping-pong: %s", errname(ret));
		goto out;
	}
	if (sscanf(line, "done %" SCNu64, &counted) != 1 || counted != events) {
		ret =
		    fail("ping-pong: %" PRIu64 " events, the peer says \"%s\"",
			 events, line);
		goto out;
	}
	printf("%s: host->guest events: %.0f/s (%" PRIu64
	       " events in %.2f s, ping-pong), guest cpu %.0f%%\n",
	       cmd, events / ((t1 - t0) / 1e6), events, (t1 - t0) / 1e6,
	       100 * cpu / ((t1 - t0) / 1e6));
	printf("%s: ok\n", cmd);
out:
	free(rtt.v);
	close(fd);
	return ret;
}

/*
 * hold: what the signal handler reports. A revoked mapping reads zeros, so
 * SIGBUS (or SIGSEGV) while reading the region is a bug, reported as such.
 */
static uint32_t hold_id;
static double hold_t0;

/* Async-signal-safe decimal, written backwards from end. */
static char *utoa(char *end, uint64_t v)
{
	*--end = '\0';
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

static void hold_fault(int sig, siginfo_t *si, void *uc)
{
	char line[192], id[24], ms[24];
	const char *parts[] = {
	    "hold: FAIL: ",
	    sig == SIGBUS ? "SIGBUS" : "SIGSEGV",
	    " reading region ",
	    utoa(id + sizeof(id), hold_id),
	    " after ",
	    utoa(ms + sizeof(ms), (uint64_t)((now_us() - hold_t0) / 1e3)),
	    " ms: a revoked mapping must read zeros\n",
	};
	size_t i, l, len = 0;

	(void)si;
	(void)uc;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		l = strlen(parts[i]);
		if (len + l > sizeof(line))
			break;
		memcpy(line + len, parts[i], l);
		len += l;
	}
	if (write(STDOUT_FILENO, line, len) < 0)
		_exit(EXIT_FAILURE);
	_exit(EXIT_FAILURE);
}

/* The offset of the first non-zero byte of mem, or len if none. */
static uint64_t first_nonzero(const volatile uint8_t *mem, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (mem[i])
			return i;
	return len;
}

/* Whether the region's descriptor reports the hang-up within ms. */
static bool hung_up(struct vnplug_region *r, int ms)
{
	struct pollfd pfd = {.fd = vnplug_region_fd(r), .events = POLLIN};

	return poll(&pfd, 1, ms) > 0 && (pfd.revents & POLLHUP);
}

/*
 * Reads the region's first word (the region id) every 100 ms. Once the
 * device goes away (POLLHUP), the whole region must read zeros within 2 s:
 * then EXIT_REVOKED. The hang-up and the zeros come in either order (the
 * driver marks the device gone, then zaps the mappings; the socket
 * transport revokes the memory, then hangs up), so zeros seen first wait
 * up to 2 s for the hang-up.
 */
static int cmd_hold(uint64_t size, uint64_t secs)
{
	const volatile uint8_t *mem;
	struct sigaction sa;
	struct vnplug_region *r;
	uint64_t reads = 0, off;
	double gone_at = 0;
	uint32_t id, word;
	int ret;

	ret = map(size, &r);
	if (ret)
		return ret;
	id = vnplug_region_id(r);
	mem = vnplug_region_mem(r);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = hold_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	hold_id = id;
	hold_t0 = now_us();
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	printf("%s: holding region %" PRIu32 " (%" PRIu64 " bytes) for %" PRIu64
	       " s\n",
	       cmd, id, size, secs);
	/* Once the device is gone, on to the verdict (at most 2 s). */
	while (gone_at || now_us() - hold_t0 < secs * 1e6) {
		word = le32toh(__atomic_load_n((const volatile uint32_t *)mem,
					       __ATOMIC_RELAXED));
		reads++;
		if (!gone_at &&
		    (hung_up(r, 0) || (word == 0 && hung_up(r, 2000)))) {
			gone_at = now_us();
			printf("%s: /dev/vnplug%" PRIu32
			       " gone after %.0f ms, reading on\n",
			       cmd, id, (gone_at - hold_t0) / 1e3);
		}
		if (!gone_at && word != id) {
			vnplug_region_unmap(r);
			if (word == 0)
				return fail("region %" PRIu32
					    " reads zeros after %" PRIu64
					    " reads, but its device did not "
					    "go away within 2 s",
					    id, reads);
			return fail("region %" PRIu32
				    ": first word 0x%08" PRIx32
				    " after %" PRIu64 " reads",
				    id, word, reads);
		}
		if (gone_at) {
			off = first_nonzero(mem, size);
			if (off == size) {
				printf("%s: region %" PRIu32
				       " reads zeros after its device went "
				       "away\n",
				       cmd, id);
				vnplug_region_unmap(r);
				return EXIT_REVOKED;
			}
			/* Revocation follows the hang-up closely. */
			if (now_us() - gone_at > 2e6) {
				vnplug_region_unmap(r);
				if (word == id)
					return fail(
					    "region %" PRIu32
					    " still shows the host's memory 2 s"
					    " after its device went away",
					    id);
				return fail("region %" PRIu32 ": byte %" PRIu64
					    " is 0x%02x 2 s"
					    " after its device went away, "
					    "expected 0",
					    id, off, mem[off]);
			}
		}
		sleep_ms(100);
	}
	signal(SIGBUS, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	printf("%s: region %" PRIu32 " held for %" PRIu64 " s, %" PRIu64
	       " reads ok\n",
	       cmd, id, secs, reads);
	ret = unmap(r);
	if (!ret)
		printf("%s: ok\n", cmd);
	return ret;
}

/* ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vnplug-tool [-t TIMEOUT_MS] COMMAND [ARGS]\n"
		"End-to-end checks of vNPlug against vnplugd's test back-end.\n"
		"\n"
		"  ping [-c N] [-s BYTES]  N echo round trips (default 10 x 8 "
		"bytes)\n"
		"  pattern SIZE            map SIZE bytes, verify the host's "
		"pattern, unmap\n"
		"  write SIZE              write at several offsets, read back "
		"via the host\n"
		"  doorbell SIZE N         N doorbells; the host must count "
		"exactly N\n"
		"  signal SIZE N           N host interrupts, each waited for\n"
		"  cycles N SIZE           N map/verify/unmap cycles; no leak "
		"on either side\n"
		"  raw [-w MS]             write one message from stdin, print "
		"the answer\n"
		"  stats                   host and guest statistics\n"
		"  bench [-c N] [-d S] [-m BYTES] [-s SIZE] [-n ROUNDS]\n"
		"                          round trip, hotplug, event rates\n"
		"  serial-bench [-c N] [-d S] [-m BYTES] PORT\n"
		"                          round trip and event rates over a "
		"virtio-serial\n"
		"                          port, against "
		"tests/bench/vnplug_serial_peer\n"
		"  hold SIZE SECONDS       keep a region mapped, reading it "
		"(unplug tests)\n"
		"\n"
		"SIZE takes a K, M or G suffix. -t: time allowed for each "
		"request and\n"
		"each hotplug or unplug (default 10000 ms), and serial-bench's "
		"wait for\n"
		"each reply. bench and serial-bench: -c N round trips (bench "
		"without -c:\n"
		"for -d S, default 1), -m BYTES per message, headers included "
		"(default 36);\n"
		"-d S for each event rate.\n"
		"Exit status: 0 ok, 1 failure, 2 usage, 3 raw: no reply, 4 "
		"hold: the region\n"
		"read zeros once its device went away.\n");
}

static int run(int argc, char **argv)
{
	uint64_t a = 0, b = 0;
	const char *name = argv[0];

	if (!strcmp(name, "ping"))
		return cmd_ping(argc, argv);
	if (!strcmp(name, "raw"))
		return cmd_raw(argc, argv);
	if (!strcmp(name, "bench"))
		return cmd_bench(argc, argv);
	if (!strcmp(name, "serial-bench"))
		return cmd_serial_bench(argc, argv);
	if (!strcmp(name, "stats")) {
		if (argc != 1)
			return EXIT_USAGE;
		return need_session() ? EXIT_FAILURE : cmd_stats();
	}
	if (!strcmp(name, "pattern") || !strcmp(name, "write")) {
		if (argc != 2 || arg_u64(argv[1], "size", &a, true))
			return EXIT_USAGE;
		if (need_session())
			return EXIT_FAILURE;
		return name[0] == 'p' ? cmd_pattern(a) : cmd_write(a);
	}
	if (argc != 3)
		return EXIT_USAGE;
	if (!strcmp(name, "doorbell") || !strcmp(name, "signal") ||
	    !strcmp(name, "hold")) {
		if (arg_u64(argv[1], "size", &a, true) ||
		    arg_u64(argv[2], "count", &b, false))
			return EXIT_USAGE;
		if (need_session())
			return EXIT_FAILURE;
		if (name[0] == 'd')
			return cmd_doorbell(a, b);
		return name[0] == 's' ? cmd_signal(a, b) : cmd_hold(a, b);
	}
	if (!strcmp(name, "cycles")) {
		if (arg_u64(argv[1], "count", &a, false) ||
		    arg_u64(argv[2], "size", &b, true))
			return EXIT_USAGE;
		if (need_session())
			return EXIT_FAILURE;
		return cmd_cycles(a, b);
	}
	return EXIT_USAGE;
}

static const char *const commands[] = {
    "ping", "pattern", "write", "doorbell",	"signal", "cycles",
    "raw",  "stats",   "bench", "serial-bench", "hold",	  NULL,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"timeout", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	size_t i;
	int c, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "+ht:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 't':
			if (!parse_u64(optarg, &v, false) && v <= INT_MAX) {
				opt_timeout = (int)v;
				break;
			}
			fprintf(stderr, "vnplug-tool: bad timeout: %s\n",
				optarg);
			return EXIT_USAGE;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	for (i = 0; commands[i] && strcmp(commands[i], argv[0]); i++)
		;
	if (!commands[i]) {
		fprintf(stderr, "vnplug-tool: unknown command: %s\n", argv[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = commands[i];
	ret = run(argc, argv);
	if (ret == EXIT_USAGE)
		fprintf(stderr,
			"vnplug-tool: bad arguments for %s; see vnplug-tool "
			"--help\n",
			cmd);
	vnplug_session_close(sess);
	return ret;
}
