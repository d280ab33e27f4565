/*
 * live.h: what every program of the toolkit shares — the exit statuses
 * listed in every man page, and small helpers for main().
 */
#ifndef LIVE_LIVE_H
#define LIVE_LIVE_H

#include <getopt.h>
#include <stdio.h>

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
 * Common start of every main(): makes sure fds 0-2 are open (on /dev/null
 * if the caller closed one, so no file we open later becomes "stdout"),
 * names the program for log messages, ignores SIGPIPE (EPIPE then means
 * "downstream went away") and routes libav's messages through log.c.
 */
void live_init(const char *prog);

/*
 * The command line every program shares. A program's option table ends
 * with LIVE_COMMON_OPTIONS, its short options with LIVE_COMMON_SHORTOPTS,
 * its own long-only options count from LIVE_OPT_OWN, and the default:
 * branch of its getopt_long switch is
 *
 *     default:
 *         if ((status = live_common_option(c, usage)) >= 0)
 *             return status;
 */
enum { LIVE_OPT_VERSION = 256, LIVE_OPT_OWN };

#define LIVE_COMMON_SHORTOPTS "vqh"
#define LIVE_COMMON_OPTIONS                                \
    { "verbose", no_argument, NULL, 'v' },                 \
    { "quiet", no_argument, NULL, 'q' },                   \
    { "help", no_argument, NULL, 'h' },                    \
    { "version", no_argument, NULL, LIVE_OPT_VERSION }

/*
 * -v and -q raise and lower the log level and return -1 (parsing goes
 * on); -h prints usage on stdout, --version "PROG VERSION", and return
 * LIVE_EXIT_OK; anything else (getopt_long's '?', after its message)
 * prints usage on stderr and returns LIVE_EXIT_USAGE. A status >= 0 has
 * been through live_finish() and is main()'s to return.
 */
int live_common_option(int c, void (*usage)(FILE *));

/*
 * A bad value arg for option c (its names are looked up in longopts):
 * logs "-c/--name: bad value 'arg': want" and returns LIVE_EXIT_USAGE.
 * want says what would have been good; NULL for nothing.
 */
int live_bad_option(const struct option *longopts, int c, const char *arg,
                    const char *want);

/*
 * The exit status for a library function's result: 0 -> LIVE_EXIT_OK,
 * AVERROR_INVALIDDATA (bad input, the good part published) ->
 * LIVE_EXIT_BADINPUT, any other negative AVERROR -> LIVE_EXIT_FAILURE.
 */
int live_exit_status(int ret);

/*
 * Flush and check stdout before exit; returns LIVE_EXIT_FAILURE (after a
 * message) when buffered data could not be written, else status unchanged.
 * EPIPE counts as downstream having gone away, not as a failure.
 */
int live_finish(int status);

#endif
