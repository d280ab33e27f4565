/*
 * catalog.h: live-package's tables in the shared database (db.h) — the
 * index of what is published under OUT/ — and the read helpers live-serve
 * uses. live-package is the only writer.
 *
 *   streams(name PK, state 'live'|'vod', availability_start (unix s),
 *           segment_duration (longest seen, s), next_seq, updated)
 *   segments(stream, seq, start, duration, gap, discontinuity, published,
 *            + period, period_start, msn, dseq, expired;  PK(stream, seq))
 *       gap: the segment was given up (never arrived in time); expired:
 *       when it left the DVR window (unix s; NULL while listed) — its
 *       files are deleted a grace period later, then the rows.
 *   segment_files(stream, seq, rendition, size, + t, d;  PK(stream, seq, rendition))
 *       t, d: tfdt and duration in the rendition's timescale.
 *   edge_cache(path PK 'NAME/REND/SEQ.m4s' or 'NAME/REND/init.mp4',
 *              stream, seq (NULL for init), rendition, data, mtime)
 *       the bytes of the last --cache-seconds of every rendition.
 *   renditions(stream, id, kind 'video'|'audio', codec, width, height,
 *              sar, fps, sample_rate, channels, timescale, bandwidth
 *              (declared by live-transcode);  PK(stream, id))
 *   package_pending(stream, seq, record, received, done;  PK(stream, seq))
 *       records read but not yet published (the reorder buffer), so a
 *       restarted live-package publishes them; done = published, spool
 *       files not yet removed.
 *
 * The columns after "+" are additions to the first version of this
 * schema (see live-package(1)); they are added with ALTER TABLE when another program
 * created the table first. All functions return 0 or a negative AVERROR
 * (AVERROR_EXTERNAL for a database error, logged).
 */
#ifndef LIVE_CATALOG_H
#define LIVE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "manifest.h"
#include "record.h"

/* A whole streams row, as its writer keeps it (live-serve reads the
 * columns it needs as dbread.h's DbStream). */
typedef struct CatalogStream {
    char name[RECORD_PRESENTATION_MAX + 1]; /* NAME, or NAME@ID: a finished earlier broadcast */
    char state[8];              /* "live" or "vod" */
    double availability_start;
    double segment_duration;
    int64_t next_seq;
    double updated;
    int64_t broadcast;          /* the broadcast id of live-pipe(5), 0: none given */
    char tag[24];               /* "" or the broadcast id in the media file names */
    double lost;                /* when its publisher was lost (unix s), 0: not */
    char dir[RECORD_MAX_NAME + 1]; /* "": OUT/NAME/ holds the media; else OUT/DIR/ */
} CatalogStream;

typedef struct CatalogRendition {
    char id[RECORD_MAX_NAME + 1];
    CmafMedia media;            /* as its latest init segment says */
    int64_t bandwidth;          /* declared by live-transcode */
} CatalogRendition;

/* One row of segments. */
typedef struct CatalogSegment {
    int64_t seq;
    double start, duration;
    int gap, discontinuity;
    double published;
    int64_t period;
    double period_start;
    int64_t msn, dseq;
    int64_t init_seq;           /* the seq whose init segment it takes (0: the first's) */
} CatalogSegment;

/* Create the tables (and missing columns). */
int catalog_init(sqlite3 *db);

/* 0 with *s filled, AVERROR(ENOENT) when there is no such stream. */
int catalog_stream_get(sqlite3 *db, const char *name, CatalogStream *s);
int catalog_stream_put(sqlite3 *db, const CatalogStream *s);
/* Rename the presentation name to archive (a finished broadcast that a
 * new one under the same name replaces): its rows, its watch positions;
 * its media stay where they are (dir is set to name). Its live-edge cache
 * rows are dropped. Call inside a transaction. */
int catalog_archive(sqlite3 *db, const char *name, const char *archive);
/* Every stream; *list malloc'd (free), *n. */
int catalog_stream_list(sqlite3 *db, CatalogStream **list, int *n);

int catalog_rendition_put(sqlite3 *db, const char *stream, const CatalogRendition *r);
/* Video renditions (tallest first), then audio; *list malloc'd (free). */
int catalog_rendition_list(sqlite3 *db, const char *stream, CatalogRendition **list, int *n);

int catalog_segment_put(sqlite3 *db, const char *stream, const CatalogSegment *s);
/* The segment row with the highest seq: 0, or AVERROR(ENOENT). */
int catalog_segment_last(sqlite3 *db, const char *stream, CatalogSegment *s);
/* A rendition's file of segment seq: bytes, tfdt and duration (track
 * timescale), the video's size (0x0 for audio). */
int catalog_file_put(sqlite3 *db, const char *stream, int64_t seq, const char *rendition,
                     int64_t size, int64_t t, int64_t d, int width, int height);

/* Mark segments ending at or before end as having left the window at now. */
int catalog_expire(sqlite3 *db, const char *stream, double end, double now);
/* Seqs of segments that expired at or before when (ascending); *seqs malloc'd. */
int catalog_expired(sqlite3 *db, const char *stream, double when, int64_t **seqs, int *n);
/* Remove a segment's rows (segments, segment_files, edge_cache). */
int catalog_segment_delete(sqlite3 *db, const char *stream, int64_t seq);

/* Insert or replace one edge-cache entry (seq < 0: an init segment). */
int catalog_edge_put(sqlite3 *db, const char *path, const char *stream, int64_t seq,
                     const char *rendition, const void *data, size_t len, double mtime);
/* Remove the stream's media rows of segments that end at or before end
 * (stream seconds): the cache keeps what ends after it. */
int catalog_edge_trim(sqlite3 *db, const char *stream, double end);
/* For live-serve: the cached bytes of path ('NAME/REND/SEQ.m4s').
 * 0 with *data (malloc'd, caller frees), *len and *mtime (may be NULL);
 * AVERROR(ENOENT) when not cached. */
int catalog_edge_get(sqlite3 *db, const char *path, void **data, size_t *len, double *mtime);

/* Presentations with nothing to watch (table unpublished): a stream that
 * ended with nothing published, or records refused for a name that
 * another broadcast holds (stream NAME@ID, ID the refused broadcast's, 0
 * when the records named none). kind is one of CATALOG_UNPUBLISHED_KINDS
 * (NULL: catalog_unpublished_kind(reason)), reason the text for people;
 * cleared when the name publishes again. 0 or AVERROR. */
#define CATALOG_UNPUBLISHED_KINDS "no_rung codec name_clash other"
int catalog_unpublished_put(sqlite3 *db, const char *stream, const char *kind,
                            const char *reason, double at);
/* The kind of an unpublished stream's reason: "no_rung" (every rung larger
 * than the source, with --exact-ladder), "codec" (a codec the stages
 * cannot take), else "other". */
const char *catalog_unpublished_kind(const char *reason);
int catalog_unpublished_clear(sqlite3 *db, const char *stream);

/* live-transcode's load guard for a stream (table transcode_guard), from
 * the "guard" object of its latest renditions record (live-pipe(5)); a
 * non-object is ignored. 0 or AVERROR. */
int catalog_guard_put(sqlite3 *db, const char *stream, const json_t *guard, double at);

/* The reorder buffer (package_pending). */
int catalog_pending_put(sqlite3 *db, const char *stream, int64_t seq, const char *record,
                        double received);
int catalog_pending_done(sqlite3 *db, const char *stream, int64_t seq);
int catalog_pending_delete(sqlite3 *db, const char *stream, int64_t seq);
/* Call fn for every pending record, oldest stream/seq first; fn's
 * negative return stops the walk and is returned. */
int catalog_pending_each(sqlite3 *db,
                         int (*fn)(void *opaque, const char *stream, int64_t seq,
                                   const char *record, int done),
                         void *opaque);

/* Everything a manifest of stream name lists now: listed segments (not a
 * gap, not expired) and every rendition's files. dynamic is set from
 * the stream's state; window and utc_timing are left to the caller.
 * Free with manifest_free. AVERROR(ENOENT) for an unknown stream. */
int catalog_manifest_load(sqlite3 *db, const char *name, Manifest *m);

#endif
