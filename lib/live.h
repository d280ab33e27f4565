/*
 * live.h: what every program of the toolkit shares — the exit statuses
 * listed in every man page, and small helpers for main().
 */
#ifndef LIVE_LIVE_H
#define LIVE_LIVE_H

/* Exit statuses of every live-* program (see EXIT STATUS in the man pages). */
enum LiveExit {
    LIVE_EXIT_OK       = 0, /* success */
    LIVE_EXIT_FAILURE  = 1, /* runtime failure: I/O, resources, a library error */
    LIVE_EXIT_USAGE    = 2, /* bad command line */
    LIVE_EXIT_BADINPUT = 3, /* bad input or a misbehaving peer; the good part was published */
};

#ifndef LIVE_VERSION
#define LIVE_VERSION "dev"
#endif

/*
 * Common start of every main(): names the program for log messages,
 * ignores SIGPIPE (EPIPE then means "downstream went away") and routes
 * libav's messages through log.c.
 */
void live_init(const char *prog);

/*
 * Flush and check stdout before exit; returns LIVE_EXIT_FAILURE (after a
 * message) when buffered data could not be written, else status unchanged.
 * EPIPE counts as downstream having gone away, not as a failure.
 */
int live_finish(int status);

#endif
