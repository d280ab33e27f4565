/*
 * live.c: process set-up and tear-down shared by every cmd/live-*.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "live.h"
#include "log.h"

void live_init(const char *prog)
{
    log_init(prog);
    signal(SIGPIPE, SIG_IGN);
}

int live_finish(int status)
{
    if (fflush(stdout) == EOF || ferror(stdout)) {
        if (errno == EPIPE)
            return status;
        log_error("writing standard output: %s", strerror(errno));
        return status ? status : LIVE_EXIT_FAILURE;
    }
    return status;
}
