/*
 * live.c: process set-up and tear-down, and the command-line layer shared
 * by every cmd/live-*.c (the options, messages and exit statuses their
 * man pages have in common).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "live.h"
#include "log.h"

/* Reopen any of fds 0-2 the caller left closed on /dev/null, lowest first. */
static void open_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
            if (open("/dev/null", O_RDWR) < 0)
                return;
}

void live_init(const char *prog)
{
    open_std_fds();
    log_init(prog);
    signal(SIGPIPE, SIG_IGN);
}

/* After a write to standard output failed earlier (ferror), errno says
 * nothing any more: whether the reader went away is asked of the fd. */
static int stdout_reader_gone(void)
{
    struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP));
}

int live_finish(int status)
{
    int err = 0;

    errno = 0;
    if (fflush(stdout) == EOF)
        err = errno ? errno : EIO;
    else if (ferror(stdout))
        err = stdout_reader_gone() ? EPIPE : EIO;
    if (!err || err == EPIPE)
        return status;   /* EPIPE: downstream went away, not our failure */
    log_error("writing standard output: %s", strerror(err));
    return status ? status : LIVE_EXIT_FAILURE;
}

int live_common_option(int c, void (*usage)(FILE *))
{
    switch (c) {
    case 'v':
        log_more();
        return -1;
    case 'q':
        log_less();
        return -1;
    case 'h':
        usage(stdout);
        return live_finish(LIVE_EXIT_OK);
    case LIVE_OPT_VERSION:
        printf("%s %s\n", log_prog(), LIVE_VERSION);
        return live_finish(LIVE_EXIT_OK);
    default:
        usage(stderr);
        return live_finish(LIVE_EXIT_USAGE);
    }
}

int live_bad_option(const struct option *longopts, int c, const char *arg,
                    const char *want)
{
    char names[64] = "";
    const char *sep = "";
    int n = 0;

    if (c > 0 && c < 256) {
        n = snprintf(names, sizeof(names), "-%c", c);
        sep = "/";
    }
    for (const struct option *o = longopts; o && o->name; o++)
        if (o->val == c && !o->flag && n >= 0 && (size_t)n < sizeof(names)) {
            snprintf(names + n, sizeof(names) - n, "%s--%s", sep, o->name);
            break;
        }
    log_error("%s: bad value '%s'%s%s", names, arg ? arg : "", want ? ": " : "",
              want ? want : "");
    return LIVE_EXIT_USAGE;
}

int live_exit_status(int ret)
{
    if (ret >= 0)
        return LIVE_EXIT_OK;
    return ret == AVERROR_INVALIDDATA ? LIVE_EXIT_BADINPUT : LIVE_EXIT_FAILURE;
}
