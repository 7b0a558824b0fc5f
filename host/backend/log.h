/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnplugd's logging: to stderr with a level prefix (systemd's "<N>" prefix
 * when stderr is the journal), or to syslog. Peer-supplied text goes
 * through vnp_sanitize() before it reaches a log line.
 */
#ifndef VNPLUGD_LOG_H
#define VNPLUGD_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum vnp_log_level {
	VNP_LOG_ERROR,
	VNP_LOG_WARN,
	VNP_LOG_INFO,
	VNP_LOG_DEBUG,
};

/* Start logging at @level, to syslog when @use_syslog. */
void vnp_log_init(int level, bool use_syslog);
void vnp_log_set_level(int level);
int vnp_log_get_level(void);
bool vnp_log_enabled(int level);

/* "debug", "info", "warn" (or "warning"), "error" -> level; -1 if none. */
int vnp_log_level_parse(const char *s);
const char *vnp_log_level_name(int level);

void vnp_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define vnp_err(...) vnp_log(VNP_LOG_ERROR, __VA_ARGS__)
#define vnp_warn(...) vnp_log(VNP_LOG_WARN, __VA_ARGS__)
#define vnp_info(...) vnp_log(VNP_LOG_INFO, __VA_ARGS__)
#define vnp_dbg(...) vnp_log(VNP_LOG_DEBUG, __VA_ARGS__)

/*
 * Copy at most @srclen bytes of untrusted @src into @dst (NUL-terminated,
 * @dstlen > 0), stopping at a NUL and replacing anything unprintable by '?',
 * so that a peer cannot forge log lines or send terminal escapes.
 */
void vnp_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif /* VNPLUGD_LOG_H */
