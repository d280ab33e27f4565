/*
 * log.c: "PROG: LEVEL: message" on stderr, with libav's messages routed
 * through the same function. See log.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "log.h"

static const char *log_name = "live";
static int log_level = LOG_LEVEL_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int progress_shown;

static const char *const level_names[] = {
    [LOG_LEVEL_ERROR] = "error",
    [LOG_LEVEL_WARN] = "warning",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_DEBUG] = "debug",
    [LOG_LEVEL_TRACE] = "trace",
};

/* Escape what could break the line or forge another: every control
 * character (CR, LF, ESC ...) and DEL become \xHH. Names and URLs from
 * the network reach messages verbatim; the line stays one line. */
static size_t escape_line(char *out, size_t size, const char *msg, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < n && o + 4 < size; i++) {
        unsigned char c = msg[i];
        if (c < 0x20 || c == 0x7f) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return o;
}

static void write_line(int level, const char *msg)
{
    char line[4 * 4096 + 1];
    size_t n = strlen(msg);

    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        n--;
    if (n == 0)
        return;
    n = escape_line(line, sizeof(line), msg, n);
    pthread_mutex_lock(&log_lock);
    if (progress_shown) {
        fputc('\n', stderr);
        progress_shown = 0;
    }
    fprintf(stderr, "%s: %s: %.*s\n", log_name, level_names[level], (int)n, line);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
    char buf[4096];

    if (level > log_level || level < LOG_LEVEL_ERROR)
        return;
    if (level > LOG_LEVEL_TRACE)
        level = LOG_LEVEL_TRACE;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    write_line(level, buf);
}

void log_msg(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

/* libav levels: PANIC 0 .. ERROR 16, WARNING 24, INFO 32, VERBOSE 40, DEBUG 48, TRACE 56.
 * libav's INFO chatter is our debug level: it would drown the program's own. */
static int level_from_av(int av_level)
{
    if (av_level <= AV_LOG_ERROR)
        return LOG_LEVEL_ERROR;
    if (av_level <= AV_LOG_WARNING)
        return LOG_LEVEL_WARN;
    if (av_level <= AV_LOG_VERBOSE)
        return LOG_LEVEL_DEBUG;
    return LOG_LEVEL_TRACE;
}

/* libav sends some lines in pieces ("Packet corrupt (...)" then "."):
 * the pieces are gathered per thread and printed as one line. */
static __thread char av_line[4096];
static __thread size_t av_line_len;
static __thread int av_line_level;
static __thread int av_print_prefix = 1;

static void av_callback(void *avcl, int av_level, const char *fmt, va_list ap)
{
    int level = level_from_av(av_level);
    char piece[4096];
    size_t n;

    if (level > log_level) {
        n = strlen(fmt);
        av_print_prefix = n > 0 && fmt[n - 1] == '\n';
        return;
    }
    av_log_format_line2(avcl, av_level, fmt, ap, piece, sizeof(piece), &av_print_prefix);
    if (av_line_len == 0)
        av_line_level = level;
    n = strlen(piece);
    if (n > sizeof(av_line) - 1 - av_line_len)
        n = sizeof(av_line) - 1 - av_line_len;
    memcpy(av_line + av_line_len, piece, n);
    av_line_len += n;
    av_line[av_line_len] = '\0';
    if (av_line_len == sizeof(av_line) - 1 || (av_line_len > 0 && av_line[av_line_len - 1] == '\n')) {
        write_line(av_line_level, av_line);
        av_line_len = 0;
    }
}

void log_init(const char *prog)
{
    const char *slash = strrchr(prog, '/');
    log_name = slash ? slash + 1 : prog;
    av_log_set_callback(av_callback);
}

const char *log_prog(void)
{
    return log_name;
}

void log_set_level(int level)
{
    if (level < LOG_LEVEL_QUIET)
        level = LOG_LEVEL_QUIET;
    if (level > LOG_LEVEL_TRACE)
        level = LOG_LEVEL_TRACE;
    log_level = level;
}

void log_more(void)
{
    log_set_level(log_level + 1);
}

void log_less(void)
{
    log_set_level(log_level - 1);
}

int log_is_tty(void)
{
    return isatty(STDERR_FILENO);
}

void log_progress(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (log_level < LOG_LEVEL_INFO || !log_is_tty())
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "\r%s: %s\033[K", log_name, buf);
    fflush(stderr);
    progress_shown = 1;
    pthread_mutex_unlock(&log_lock);
}

void log_progress_end(void)
{
    pthread_mutex_lock(&log_lock);
    if (progress_shown) {
        fputc('\n', stderr);
        progress_shown = 0;
    }
    pthread_mutex_unlock(&log_lock);
}

const char *log_averr(int err, char *buf, unsigned size)
{
    av_strerror(err, buf, size);
    return buf;
}
