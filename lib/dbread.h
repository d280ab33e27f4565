/*
 * dbread.h: live-serve's read-only view of the database that
 * live-package writes (see live-pipe(5) and DESIGN.md): the streams
 * table (live or finished, the next sequence number, the segment
 * duration) and the live-edge cache (edge_cache: the most recent
 * segments of every rendition as blobs).
 *
 * Safe to call from any thread: connections come from a small pool.
 * The database may not exist yet when live-serve starts, or may lack
 * the tables; lookups then report "not there" (ENOENT) and the file
 * is opened again later (at most once a second).
 */
#ifndef LIVE_DBREAD_H
#define LIVE_DBREAD_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

typedef struct DbRead DbRead;

/*
 * A streams row as live-serve reads it. Not catalog.h's CatalogStream,
 * on purpose: this is the reader's view, the first six columns of the
 * table, which every database live-package has ever written has (the
 * later ones, broadcast, tag, lost and dir, a reader of an older file
 * would find missing), with the state as a flag; CatalogStream is the
 * writer's whole row. One struct for both would be half filled here.
 */
typedef struct DbStream {
    char name[RECORD_PRESENTATION_MAX + 1];
    int live;                  /* state 'live' (else 'vod') */
    double availability_start; /* unix seconds */
    double segment_duration;   /* seconds */
    int64_t next_seq;          /* the sequence number published next */
    double updated;            /* unix seconds */
} DbStream;

/* live-transcode's load guard of a live stream (transcode_guard). */
typedef struct DbGuard {
    char name[RECORD_PRESENTATION_MAX + 1];
    char step[RECORD_MAX_NAME + 1]; /* guard.h's level name */
    int level;
    double lag;                /* seconds behind the broadcast, latest segment */
    int64_t down, up;          /* steps taken */
} DbGuard;

/* path NULL: no database (every lookup is ENOENT). 0 or AVERROR(ENOMEM). */
int dbread_new(const char *path, DbRead **out);
void dbread_free(DbRead **d);

/* One stream's row. 0, AVERROR(ENOENT) when unknown, or another AVERROR. */
int dbread_stream(DbRead *d, const char *name, DbStream *out);

/* Every stream with something to watch (not one whose every segment is a
 * gap: nothing was published), live first, then by name. *list is freed
 * by the caller with free (NULL when *n is 0). 0 or AVERROR. */
int dbread_streams(DbRead *d, DbStream **list, int *n);

/* What could not be published: *streams, the streams (broadcasts,
 * archives) that ended with nothing to watch (table unpublished, written
 * by live-package); *segments, the segments published as gaps (failed upstream,
 * bad, or never arrived). Zeros without a db. 0 or AVERROR. */
int dbread_unpublished(DbRead *d, int64_t *streams, int64_t *segments);

/* One row of the unpublished table: a presentation with nothing to watch
 * and the kind of reason (catalog.h's CATALOG_UNPUBLISHED_KINDS). */
typedef struct DbUnpublished {
    char name[RECORD_PRESENTATION_MAX + 1];
    char kind[16];
} DbUnpublished;

/* The DBREAD_UNPUBLISHED_MAX latest rows of the unpublished table, latest
 * first; *list freed by the caller with free. No table (or no kind column,
 * a db live-package has not opened since): none. 0 or AVERROR. */
#define DBREAD_UNPUBLISHED_MAX 100
int dbread_unpublished_list(DbRead *d, DbUnpublished **list, int *n);
/* How many rows of the unpublished table have kind (all of them, not only
 * the latest). 0 without a table. */
int64_t dbread_unpublished_count(DbRead *d, const char *kind);

/* The guard rows of the live streams (at most 1000), by name; *list freed
 * by the caller with free. No table: none. 0 or AVERROR. */
int dbread_guards(DbRead *d, DbGuard **list, int *n);

/* The edge-cache blob for path (relative to OUT, e.g. "cam1/720p/42.m4s").
 * *data (freed by the caller with free), *len, *mtime (unix seconds).
 * AVERROR(ENOENT) on a miss. */
int dbread_edge(DbRead *d, const char *path, void **data, size_t *len, double *mtime);

#endif
