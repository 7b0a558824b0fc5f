// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * vnplug_serial_peer - the host end of vnplug_bench.sh's virtio-serial
 * channel, the baseline vNPlug is compared with. It listens on a UNIX
 * socket that QEMU's chardev connects to (-chardev socket,path=SOCKET
 * behind a virtserialport) and answers "vnplug-tool serial-bench" in the
 * guest, which drives it with lines of text and then raw bytes:
 *
 *   "hello\n"           -> "vnplug-serial-peer 1\n"
 *   "echo SIZE COUNT\n" -> echoes the next SIZE * COUNT bytes as they come
 *                          (round trips: the guest writes SIZE, reads SIZE)
 *   "sink\n"            -> counts bytes up to a 'q' (guest -> host events:
 *                          1-byte writes), then answers
 *                          "count N cpu_ms C wall_ms W\n"
 *   "pingpong\n"        -> answers each 'a' with one 'e' (host -> guest
 *                          events, one in flight) up to a 'q', then
 *                          "done N cpu_ms C wall_ms W\n"
 *
 * cpu_ms is this process's CPU time over the phase. One connection; when
 * QEMU closes it the peer prints what it served and exits 0.
 *
 *   vnplug_serial_peer SOCKET
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HELLO "vnplug-serial-peer 1\n"

enum state { CMD, ECHO, SINK, PINGPONG };

static struct {
	enum state state;
	char line[128];
	size_t linelen;
	uint64_t echo_left;   /* ECHO: bytes still to echo */
	uint64_t events;      /* SINK, PINGPONG: so far */
	uint64_t cpu0, wall0; /* SINK, PINGPONG: at the start, ms */
	/* totals, for the summary */
	uint64_t echoed, sunk, pongs, commands;
} st;

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static void die(const char *what)
{
	fprintf(stderr, "vnplug_serial_peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		p += n;
		len -= (size_t)n;
	}
}

/* The answer that ends a SINK or PINGPONG phase. */
static void end_phase(int fd, const char *word)
{
	char out[128];
	int len;

	len =
	    snprintf(out, sizeof(out),
		     "%s %" PRIu64 " cpu_ms %" PRIu64 " wall_ms %" PRIu64 "\n",
		     word, st.events, cpu_ms() - st.cpu0, wall_ms() - st.wall0);
	write_all(fd, out, (size_t)len);
	printf("%s: %" PRIu64 " events in %" PRIu64 " ms, cpu %" PRIu64 " ms\n",
	       st.state == SINK ? "sink" : "pingpong", st.events,
	       wall_ms() - st.wall0, cpu_ms() - st.cpu0);
	st.state = CMD;
}

static void start_phase(enum state s)
{
	st.state = s;
	st.events = 0;
	st.cpu0 = cpu_ms();
	st.wall0 = wall_ms();
}

static void command(int fd, const char *line)
{
	uint64_t size, count;
	char extra;

	st.commands++;
	if (!strcmp(line, "hello")) {
		write_all(fd, HELLO, strlen(HELLO));
	} else if (sscanf(line, "echo %" SCNu64 " %" SCNu64 "%c", &size, &count,
			  &extra) == 2 &&
		   size && count && size <= UINT64_MAX / count) {
		st.echo_left = size * count;
		st.state = ECHO;
	} else if (!strcmp(line, "sink")) {
		start_phase(SINK);
	} else if (!strcmp(line, "pingpong")) {
		start_phase(PINGPONG);
	} else {
		fprintf(stderr, "vnplug_serial_peer: unknown command \"%s\"\n",
			line);
		exit(1);
	}
}

/* Handles n bytes read from the guest. */
static void serve(int fd, const char *buf, size_t n)
{
	static char pongs[65536];
	const char *q;
	size_t i = 0, m, k, replies;

	while (i < n) {
		switch (st.state) {
		case CMD:
			if (buf[i] == '\n') {
				st.line[st.linelen] = '\0';
				st.linelen = 0;
				command(fd, st.line);
			} else if (st.linelen + 1 < sizeof(st.line)) {
				st.line[st.linelen++] = buf[i];
			} else {
				fprintf(stderr,
					"vnplug_serial_peer: line too long\n");
				exit(1);
			}
			i++;
			break;
		case ECHO:
			m = n - i < st.echo_left ? n - i : (size_t)st.echo_left;
			write_all(fd, buf + i, m);
			i += m;
			st.echo_left -= m;
			st.echoed += m;
			if (!st.echo_left)
				st.state = CMD;
			break;
		case SINK:
			q = memchr(buf + i, 'q', n - i);
			m = q ? (size_t)(q - (buf + i)) : n - i;
			st.events += m;
			st.sunk += m;
			i += m;
			if (q) {
				i++;
				end_phase(fd, "count");
			}
			break;
		case PINGPONG:
			/* One 'e' per 'a' of this read, in one write. */
			replies = 0;
			for (k = i; k < n && buf[k] != 'q'; k++)
				replies += buf[k] == 'a';
			while (replies) {
				m = replies < sizeof(pongs) ? replies
							    : sizeof(pongs);
				memset(pongs, 'e', m);
				write_all(fd, pongs, m);
				replies -= m;
				st.events += m;
				st.pongs += m;
			}
			i = k;
			if (k < n) {
				i++;
				end_phase(fd, "done");
			}
			break;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static char buf[65536];
	int lfd, fd;
	ssize_t n;

	if (argc != 2 || argv[1][0] == '-' ||
	    strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "Usage: vnplug_serial_peer SOCKET\n"
				"The host end of vnplug_bench.sh's "
				"virtio-serial channel (see the source).\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	strcpy(sa.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	unlink(argv[1]);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		die(argv[1]);
	printf("listening on %s\n", argv[1]);
	do
		fd = accept(lfd, NULL, NULL);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		die("accept");
	close(lfd);
	unlink(argv[1]);
	printf("connected\n");
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (!n)
			break;
		serve(fd, buf, (size_t)n);
	}
	printf("closed: %" PRIu64 " commands, %" PRIu64
	       " bytes echoed, %" PRIu64 " sunk, %" PRIu64 " pongs\n",
	       st.commands, st.echoed, st.sunk, st.pongs);
	return 0;
}
