/* Unit tests for lib/log.c: stderr is sent to a file and read back —
 * the prefix, the level filter, -v/-q, escaping of control characters,
 * libav's messages through the callback, assembled into one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "log.h"
#include "tap.h"

static char stderr_path[512];

/* What was written to stderr since the last call. */
static char *take_stderr(void)
{
    static char buf[8192];
    FILE *f;
    size_t n;

    fflush(stderr);
    f = fopen(stderr_path, "r");
    n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    if (ftruncate(STDERR_FILENO, 0) < 0 || lseek(STDERR_FILENO, 0, SEEK_SET) < 0)
        buf[0] = '\0';
    return buf;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char errbuf[128];
    int saved, fd;

    snprintf(stderr_path, sizeof(stderr_path), "%s/live-test-log-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    fd = mkstemp(stderr_path);
    if (fd < 0)
        return 1;
    saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);

    log_init("/usr/bin/live-test");
    log_set_level(LOG_LEVEL_INFO);
    log_error("bad %d", 42);
    is_str(take_stderr(), "live-test: error: bad 42\n", "prefix is the program's base name and the level");
    log_warn("careful");
    is_str(take_stderr(), "live-test: warning: careful\n", "warning");
    log_info("hello\n");
    is_str(take_stderr(), "live-test: info: hello\n", "a trailing newline is not doubled");
    log_debug("hidden");
    is_str(take_stderr(), "", "debug is below the default level");

    log_more();
    log_debug("shown");
    is_str(take_stderr(), "live-test: debug: shown\n", "-v shows debug");
    log_trace("not yet");
    is_str(take_stderr(), "", "but not trace");
    log_less();
    log_less();
    log_info("quiet");
    is_str(take_stderr(), "", "-q hides info");
    log_warn("still");
    is_str(take_stderr(), "live-test: warning: still\n", "warnings stay");
    log_set_level(-7);
    log_error("nothing");
    is_str(take_stderr(), "", "quiet hides even errors (levels clamp to quiet)");
    log_set_level(99);
    log_trace("everything");
    is_str(take_stderr(), "live-test: trace: everything\n", "levels clamp to trace");

    log_set_level(LOG_LEVEL_INFO);
    log_info("name=cam\r\nlive-test: error: forged\x1b[2J");
    is_str(take_stderr(), "live-test: info: name=cam\\x0d\\x0alive-test: error: forged\\x1b[2J\n",
           "control characters are escaped: one line, no forged line");
    log_info("%s", "");
    is_str(take_stderr(), "", "an empty message prints nothing");

    /* libav's messages, in pieces, become one line at our level */
    av_log(NULL, AV_LOG_ERROR, "part one, ");
    is_str(take_stderr(), "", "an unfinished libav line waits");
    av_log(NULL, AV_LOG_ERROR, "part two\n");
    is_str(take_stderr(), "live-test: error: part one, part two\n", "libav pieces joined into one line");
    av_log(NULL, AV_LOG_WARNING, "w\n");
    is_str(take_stderr(), "live-test: warning: w\n", "libav warning is a warning");
    av_log(NULL, AV_LOG_INFO, "chatter\n");
    is_str(take_stderr(), "", "libav info is our debug: hidden by default");
    log_more();
    av_log(NULL, AV_LOG_INFO, "chatter\n");
    is_str(take_stderr(), "live-test: debug: chatter\n", "shown with -v");

    /* not a terminal: no progress lines */
    ok(!log_is_tty(), "stderr is a file, not a terminal");
    log_progress("50%%");
    log_progress_end();
    is_str(take_stderr(), "", "progress is only for terminals");

    is_str(log_averr(AVERROR(ENOENT), errbuf, sizeof(errbuf)), "No such file or directory",
           "log_averr gives the text");
    is_str(log_averr(AVERROR_EOF, errbuf, sizeof(errbuf)), "End of file", "and libav's own codes");

    dup2(saved, STDERR_FILENO);
    close(saved);
    unlink(stderr_path);
    return done();
}
