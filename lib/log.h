/*
 * log.h: messages for people, on stderr, as "PROG: LEVEL: message".
 *
 * One level for the process, set from -v/-q; libav's own messages are
 * routed through the same function (av_log_set_callback) so they carry
 * the program's name and obey the same level. Thread-safe: one line is
 * written with one call. A message is always one line: control
 * characters in it (a stream name, a URL or an RTMP command from the
 * network) are written as \xHH, so no peer can forge a log line.
 */
#ifndef LIVE_LOG_H
#define LIVE_LOG_H

#include <stdarg.h>

enum LogLevel {
    LOG_LEVEL_QUIET = -1, /* nothing at all */
    LOG_LEVEL_ERROR = 0,
    LOG_LEVEL_WARN  = 1,
    LOG_LEVEL_INFO  = 2,  /* the default */
    LOG_LEVEL_DEBUG = 3,
    LOG_LEVEL_TRACE = 4,
};

/* Set the program name used as prefix and install the libav callback. */
void log_init(const char *prog);
const char *log_prog(void);

void log_set_level(int level);
/* -v raises the level by one, -q lowers it by one. */
void log_more(void);
void log_less(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_LEVEL_TRACE, __VA_ARGS__)

/* Progress line for long work: shown only when stderr is a terminal,
 * rewritten in place with \r; log_progress_end() finishes the line. */
void log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_progress_end(void);
int log_is_tty(void);

/* av_err2str for use outside expressions that allow compound literals. */
const char *log_averr(int err, char *buf, unsigned size);

#endif
