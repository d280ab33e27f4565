/*
 * srtid.h: SRT stream ids as live-ingest's SRT listener reads them.
 *
 *   #!::r=NAME,m=publish,k=SECRET   the SRT Access Control form: keys
 *                                   r (resource), m (mode), k (our key);
 *                                   others (u, s, t, h) are ignored
 *   NAME  or  NAME?key=SECRET       the plain form
 *
 * Pure: no I/O. The name is not checked here (record_stream_rule is).
 */
#ifndef LIVE_SRTID_H
#define LIVE_SRTID_H

#include <stddef.h>

/* Parse sid into name and key (key "" when none). 0, or
 * AVERROR_INVALIDDATA (no name, a mode other than publish, a value too
 * long, a malformed key=value list). */
int srtid_parse(const char *sid, char *name, size_t name_size, char *key, size_t key_size);

#endif
