/*
 * path.h: URL paths to files under the served root, safely.
 *
 * live-serve maps a request path like "/cam1/720p/42.m4s" to a file
 * under ROOT. This is the one place that decides what may be opened:
 *
 *   raw request path --path_normalize--> "cam1/720p/42.m4s" (or refused)
 *                    --path_open-------> fd, opened beneath ROOT only
 *
 * path_normalize is a pure function (no I/O): it percent-decodes and
 * refuses, rather than resolves, anything that could name a file
 * outside ROOT or one that is not meant to be served: ".." and "."
 * components (plain or encoded), encoded '/' '\\' and NUL, backslashes,
 * control characters, hidden components (".name", which covers the
 * temporary files of fs_tmpname) and over-long paths. path_open then
 * opens with openat2(RESOLVE_BENEATH), so a symlink inside ROOT that
 * leads out of it is refused by the kernel too (without openat2: the
 * opened file's own path is checked to lie beneath ROOT).
 */
#ifndef LIVE_PATH_H
#define LIVE_PATH_H

#include <stddef.h>
#include <sys/stat.h>

/* The longest normalized path accepted (bytes, without the NUL). */
#define PATH_MAX_URL 1024

/*
 * Normalize the path part of a request target (no query string; the
 * caller cuts at '?'). raw must start with '/'. On success out holds the
 * decoded path relative to ROOT without leading or trailing '/', with
 * repeated '/' collapsed ("" for the root itself), and 0 is returned.
 * Failure leaves out unspecified and returns:
 *   AVERROR(EINVAL)       malformed: no leading '/', bad %-escape,
 *                         control character, invalid encoding
 *   AVERROR(EPERM)        refused: "." or ".." component, hidden
 *                         component, backslash, encoded '/', '\\' or NUL
 *   AVERROR(ENAMETOOLONG) longer than PATH_MAX_URL or than size - 1
 */
int path_normalize(const char *raw, char *out, size_t size);

/*
 * Open the regular file rel (a path_normalize result) beneath the
 * directory rootfd, read-only, refusing symlinks that lead out of it
 * and anything that is not a regular file. Returns the fd (the caller
 * closes it) with *st filled, or a negative AVERROR: ENOENT when it does
 * not exist, EPERM when refused (escape, not a regular file).
 */
int path_open(int rootfd, const char *rel, struct stat *st);

/* Use openat2 (1, the default where the kernel has it) or the fallback
 * that checks where the opened file lies (0; also used automatically when
 * openat2 is missing, e.g. under valgrind). For the tests. */
void path_use_openat2(int on);

/* The Content-Type for a file name by its extension; never NULL. */
const char *path_content_type(const char *name);

/* Percent-decode a query-string value in place ('+' is a space).
 * Returns 0, or AVERROR(EINVAL) for a bad escape or an encoded NUL. */
int path_decode_query(char *s);

#endif
