/*
 * keys.h: live-ingest's stream keys (-k FILE): one "NAME SECRET
 * [PASSPHRASE]" per line, separated by blanks; empty lines and lines
 * starting with '#' are skipped. NAME is a stream name (record_name_ok),
 * SECRET 1..255 bytes without blanks; PASSPHRASE, if there, is the SRT
 * encryption passphrase of that stream's callers (KEYS_MIN_PASSPHRASE to
 * KEYS_MAX_PASSPHRASE bytes without blanks, libsrt's limits). The file is
 * read at start and again on SIGHUP; a file that does not parse leaves the
 * keys in force unchanged.
 *
 * Secrets are compared in constant time (hashes compared with
 * sodium_memcmp), so the time a wrong key takes says nothing about the
 * right one.
 */
#ifndef LIVE_KEYS_H
#define LIVE_KEYS_H

#include <stddef.h>

#define KEYS_MAX_FILE (1 << 20)
#define KEYS_MAX_SECRET 255
#define KEYS_MIN_PASSPHRASE 10
#define KEYS_MAX_PASSPHRASE 79

typedef struct Keys Keys;

/*
 * Parse the text of a key file. On success *out is new (keys_free).
 * AVERROR_INVALIDDATA for a bad line (its number in *bad_line, if not
 * NULL), AVERROR(ENOMEM).
 */
int keys_parse(const char *text, size_t len, Keys **out, int *bad_line);

/* Read and parse path (at most KEYS_MAX_FILE bytes); errors are logged
 * with the path and line. 0 or a negative AVERROR. */
int keys_load(const char *path, Keys **out);
void keys_free(Keys **k);

size_t keys_count(const Keys *k);
/* 1 if name has an entry and secret matches it, else 0. secret may be NULL. */
int keys_check(const Keys *k, const char *name, const char *secret);
/* The SRT passphrase of name's line into buf (NUL-terminated, at least
 * KEYS_MAX_PASSPHRASE + 1 bytes): 1, or 0 when it has none (buf ""). */
int keys_passphrase(const Keys *k, const char *name, char *buf, size_t size);

#endif
