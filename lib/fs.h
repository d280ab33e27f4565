/*
 * fs.h: file-system helpers for "nothing is ever half-published":
 * directories made on demand, files written under a temporary name in
 * the same directory and renamed into place.
 *
 * Temporary names are "DIR/.NAME.tmp-PID-N": hidden (a static server
 * and a directory listing skip them) and unique per process.
 */
#ifndef LIVE_FS_H
#define LIVE_FS_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p. Returns 0 or AVERROR(errno). */
int fs_mkdirs(const char *path, mode_t mode);

/* A temporary name beside path (see above) into buf. 0 or AVERROR(ENAMETOOLONG). */
int fs_tmpname(const char *path, char *buf, size_t size);

/* 1 if the last component of path is a temporary name made by fs_tmpname. */
int fs_is_tmpname(const char *path);

/* Write len bytes to path atomically (temporary file, optional fsync,
 * rename). The temporary file is removed on failure. 0 or AVERROR(errno). */
int fs_write_atomic(const char *path, const void *data, size_t len, int sync);

/* Rename a finished temporary file into place; with sync, fsync it first
 * and the directory after. 0 or AVERROR(errno). */
int fs_publish(const char *tmp, const char *path, int sync);

/* Read a whole file of at most max bytes. *data (NUL-terminated, freed by
 * the caller with free) and *len. AVERROR(EFBIG) when it is larger. */
int fs_read_file(const char *path, size_t max, char **data, size_t *len);

/* Remove every temporary file (fs_is_tmpname) in dir left by a crash.
 * Returns how many were removed, or AVERROR(errno). */
int fs_clean_tmp(const char *dir);

#endif
