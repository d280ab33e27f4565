/*
 * origin.h: live-serve's answer for the output tree of live-package
 * (ROOT = live-package's OUT): manifests, playlists, init and media
 * segments, with the caching, waiting and cache-lookup rules of a live
 * origin.
 *
 *   NAME/manifest.mpd, NAME/master.m3u8, NAME/REND/index.m3u8
 *       Cache-Control: max-age no longer than the update period
 *   NAME/REND/init.mp4, NAME/REND/SEQ.m4s
 *       immutable, a year; from memory (memcache.h) once read, else
 *       from the db's edge_cache when there, else the file
 *   NAME/REND/SEQ.m4s not there yet, stream live, SEQ next
 *       waits for it (waiter.h) up to one segment duration; then
 *       404, Cache-Control: no-store, Retry-After
 *   NAME/REND/SEQ.m4s not there, NAME/REND/SEQ.m4s.open there (low
 *       latency: live-package appends CMAF chunks to it, then renames
 *       it to SEQ.m4s): streamed as it grows, chunked, ended when it
 *       is renamed; Range bytes=N- and bytes=N-M wait for byte N;
 *       within max_streams (per address and in all), else 503
 *   anything else missing: 404 no-store; refused paths: 400/403
 *   any other file (not *.mpd, *.m3u8, *.m4s, *.mp4, *.m4a, *.m4v,
 *   *.ts, *.vtt): 404, though it is there (the db, its -wal, logs)
 */
#ifndef LIVE_ORIGIN_H
#define LIVE_ORIGIN_H

#include "dbread.h"
#include "http.h"
#include "memcache.h"
#include "waiter.h"

typedef struct OriginConfig {
    const char *root;            /* the directory served */
    DbRead *db;                  /* borrowed; may have no database */
    Waiter *waiter;              /* borrowed; NULL: never wait */
    MemCache *mem;               /* borrowed; NULL: no memory cache */
    double manifest_max_age;     /* seconds, for live manifests (e.g. 1) */
    double wait_max;             /* longest wait in seconds (cap on the segment duration) */
    double default_duration;     /* segment duration when the db does not say */
    unsigned max_streams;        /* open segments streamed at once, in total (0: no limit) */
    unsigned max_streams_per_ip; /* ... to one client address (0: no limit) */
} OriginConfig;

typedef struct Origin Origin;

/* 0 or a negative AVERROR (the root cannot be opened: logged). */
int origin_new(const OriginConfig *cfg, Origin **out);
void origin_free(Origin **o);

/* The route handler (arg: the Origin) for GET under "/". */
int origin_handle(HttpRequest *req, void *arg);

/* What a path under the root is, by its name alone. */
enum OriginKind {
    ORIGIN_OTHER,
    ORIGIN_MANIFEST,    /* *.mpd, *.m3u8 */
    ORIGIN_INIT,        /* NAME/REND/init.mp4 or init-ID.mp4 */
    ORIGIN_SEGMENT,     /* NAME/REND/SEQ.m4s or ID-SEQ.m4s */
};

/* The kind of the normalized path rel. name (RECORD_MAX_NAME + 1 bytes)
 * gets the stream name (for a manifest, its first component, or ""); for
 * a segment *seq gets its sequence number (untouched otherwise). */
enum OriginKind origin_classify(const char *rel, char *name, int64_t *seq);

/* Split "NAME/REND/FILE", exactly three components with NAME and REND of
 * at most RECORD_MAX_NAME bytes each (name and rend that size + 1); *file
 * points into rel. 0, or -1 for any other shape. */
int origin_split3(const char *rel, char *name, char *rend, const char **file);

#endif
