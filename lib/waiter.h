/*
 * waiter.h: requests that wait for a segment not published yet.
 *
 * A player asking for the next segment of a live stream a little early
 * is not told 404 (it would retry, and thousands of players retrying
 * at once are a storm); its request is suspended until the file lands:
 *
 *   request for ROOT/cam1/720p/43.m4s (missing, stream live, 43 is next)
 *     --waiter_wait--> suspended, grouped with every other request for
 *                      the same file; one inotify watch on cam1/720p/
 *   live-package renames .43.m4s.tmp-... to 43.m4s
 *     --IN_MOVED_TO--> ONE event resumes the whole group; each request
 *                      then finds the file and is answered from it
 *   nothing lands before the request's deadline
 *     --timer--------> resumed as timed out: 404, no-store, Retry-After
 *
 * In low-latency mode live-package appends chunks to REL.open and
 * renames it to REL when the segment is complete: a wait for REL also
 * ends when REL.open begins (a request can then stream it), and
 * waiter_wait_grow waits for REL.open to grow.
 *
 * One thread sleeps in poll() on the inotify fd with the nearest
 * deadline as its timeout: nothing polls the file system, and waiting
 * requests cost no CPU.
 */
#ifndef LIVE_WAITER_H
#define LIVE_WAITER_H

#include <sys/stat.h>

#include "http.h"

typedef struct Waiter Waiter;

/* How a wait ended, written to the caller's outcome slot. */
enum WaitOutcome {
    WAIT_NONE = 0,      /* not waiting (yet) */
    WAIT_PENDING,       /* suspended */
    WAIT_PUBLISHED,     /* the file landed */
    WAIT_TIMEOUT,       /* the deadline passed, or the server is stopping */
};

/* root: the served directory (absolute or relative to the cwd, kept);
 * max: waiting requests at most (beyond, waiter_wait says EAGAIN).
 * Starts the thread. 0 or a negative AVERROR (logged). */
int waiter_new(const char *root, unsigned max, Waiter **out);
/* Release every waiting request as timed out, stop the thread, free.
 * Call before the HTTP server stops. Accepts NULL. */
void waiter_free(Waiter **w);
/* Release every waiting request as timed out (server stopping). */
void waiter_release_all(Waiter *w);

/*
 * From a handler: wait for rel (a normalized path under root, whose
 * directory exists) for at most timeout seconds. Returns HTTP_SUSPENDED
 * (the handler returns it; it is called again with *outcome set to
 * WAIT_PUBLISHED or WAIT_TIMEOUT), 0 when the file is already there
 * (not suspended: serve it), AVERROR(EAGAIN) when too many requests wait,
 * or another AVERROR (e.g. ENOENT: no such directory). outcome must stay
 * valid until the request is resumed (the request's own data).
 */
int waiter_wait(Waiter *w, HttpRequest *req, const char *rel, double timeout, int *outcome);

/*
 * The same for a file that is there but not yet what the request asks
 * for (a live playlist without the segment a blocking reload names):
 * wait until rel is replaced — renamed over, or rewritten — by a file
 * other than seen (the caller's fstat of the version it looked at), then
 * look again. Returns as waiter_wait; 0 when it was replaced already.
 */
int waiter_wait_change(Waiter *w, HttpRequest *req, const char *rel, const struct stat *seen,
                       double timeout, int *outcome);

/*
 * From a reply streaming rel.open (a segment still being written): wait
 * until rel.open is no longer open_seen (the caller's fstat of it): it
 * grew, was renamed to rel, or went. Returns as waiter_wait (0: it has
 * changed already); outcome WAIT_PUBLISHED when it changed, WAIT_TIMEOUT
 * when it did not within timeout or the server is stopping.
 */
int waiter_wait_grow(Waiter *w, HttpRequest *req, const char *rel, const struct stat *open_seen,
                     double timeout, int *outcome);

#endif
