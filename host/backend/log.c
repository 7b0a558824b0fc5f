// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnplugd's logging. Under systemd, stderr goes to the journal, which reads
 * a "<N>" priority prefix (sd-daemon(3)); on a terminal a word is clearer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int log_level = VNP_LOG_INFO;
static bool log_syslog;
static bool log_journal;

static const struct {
	const char *name;
	const char *prefix;
	int prio;
} levels[] = {
	[VNP_LOG_ERROR] = { "error", "error: ", LOG_ERR },
	[VNP_LOG_WARN] = { "warn", "warning: ", LOG_WARNING },
	[VNP_LOG_INFO] = { "info", "", LOG_INFO },
	[VNP_LOG_DEBUG] = { "debug", "debug: ", LOG_DEBUG },
};

/* systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void vnp_log_init(int level, bool use_syslog)
{
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog("vnplugd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else
		log_journal = stderr_is_journal();
}

void vnp_log_set_level(int level)
{
	log_level = level;
}

int vnp_log_get_level(void)
{
	return log_level;
}

bool vnp_log_enabled(int level)
{
	return level <= log_level;
}

int vnp_log_level_parse(const char *s)
{
	size_t i;

	if (!strcmp(s, "warning"))
		return VNP_LOG_WARN;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(s, levels[i].name))
			return (int)i;
	return -1;
}

const char *vnp_log_level_name(int level)
{
	if (level < 0 || level > VNP_LOG_DEBUG)
		return "?";
	return levels[level].name;
}

void vnp_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!vnp_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(levels[level].prio, "%s", line);
	else if (log_journal)
		fprintf(stderr, "<%d>%s\n", levels[level].prio, line);
	else
		fprintf(stderr, "vnplugd: %s%s\n", levels[level].prefix, line);
}

void vnp_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i;

	for (i = 0; i + 1 < dstlen && i < srclen && src[i]; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
}
