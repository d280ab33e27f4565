/* Unit tests for lib/live.c: live_finish judges standard output by the
 * write that failed, not by whatever errno says by then. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "live.h"
#include "log.h"
#include "tap.h"

/* Point stdout's fd at fd, write and flush (the flush fails), set a
 * stale errno, and return what live_finish(0) says; stdout is back on
 * the terminal or pipe prove reads afterwards. */
static int finish_after_failure(int fd, int stale)
{
    int saved = dup(STDOUT_FILENO), ret;

    fflush(stdout);
    dup2(fd, STDOUT_FILENO);
    fputs("some data\n", stdout);
    fflush(stdout);                 /* fails: ferror(stdout) is set */
    errno = stale;
    ret = live_finish(0);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    clearerr(stdout);
    return ret;
}

int main(void)
{
    int full = open("/dev/full", O_WRONLY), p[2];

    log_set_level(LOG_LEVEL_QUIET);
    signal(SIGPIPE, SIG_IGN);
    if (full < 0 || pipe(p) < 0)
        return 1;
    is_int(finish_after_failure(full, EPIPE), LIVE_EXIT_FAILURE,
           "a full disk is a failure, whatever errno says afterwards (EPIPE)");
    close(p[0]);                    /* the reader is gone */
    is_int(finish_after_failure(p[1], ENOSPC), LIVE_EXIT_OK,
           "a reader that went away is not, whatever errno says afterwards (ENOSPC)");
    is_int(live_finish(LIVE_EXIT_BADINPUT), LIVE_EXIT_BADINPUT, "a good stdout keeps the status");
    close(full);
    close(p[1]);
    return done();
}
