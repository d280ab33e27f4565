/*
 * catalog.c: live-package's tables and the manifest loader. See catalog.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/common.h>
#include <libavutil/error.h>

#include "array.h"
#include "catalog.h"
#include "db.h"
#include "log.h"

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS streams(name TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " availability_start REAL NOT NULL, segment_duration REAL NOT NULL,"
    " next_seq INTEGER NOT NULL, updated REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS segments(stream TEXT, seq INTEGER, start REAL, duration REAL,"
    " gap INTEGER, discontinuity INTEGER, published REAL, PRIMARY KEY(stream, seq));"
    "CREATE TABLE IF NOT EXISTS segment_files(stream TEXT, seq INTEGER, rendition TEXT,"
    " size INTEGER, PRIMARY KEY(stream, seq, rendition));"
    "CREATE TABLE IF NOT EXISTS edge_cache(path TEXT PRIMARY KEY, stream TEXT, seq INTEGER,"
    " rendition TEXT, data BLOB, mtime REAL);"
    "CREATE INDEX IF NOT EXISTS edge_cache_stream ON edge_cache(stream, seq);"
    "CREATE TABLE IF NOT EXISTS renditions(stream TEXT, id TEXT, kind TEXT, codec TEXT,"
    " width INTEGER, height INTEGER, sar TEXT, fps TEXT, sample_rate INTEGER,"
    " channels INTEGER, timescale INTEGER, bandwidth INTEGER, PRIMARY KEY(stream, id));"
    "CREATE TABLE IF NOT EXISTS unpublished(stream TEXT PRIMARY KEY, reason TEXT NOT NULL,"
    " at REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS transcode_guard(stream TEXT PRIMARY KEY, level INTEGER NOT NULL,"
    " step TEXT NOT NULL, lag REAL NOT NULL, down INTEGER NOT NULL, up INTEGER NOT NULL,"
    " updated REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS package_pending(stream TEXT, seq INTEGER, record TEXT,"
    " received REAL, done INTEGER DEFAULT 0, PRIMARY KEY(stream, seq));";

/* Columns live-package adds to the contract's tables. */
static const struct {
    const char *table, *column, *decl;
} extra_columns[] = {
    { "segments", "period", "INTEGER" },
    { "segments", "period_start", "REAL" },
    { "segments", "msn", "INTEGER" },
    { "segments", "dseq", "INTEGER" },
    { "segments", "expired", "REAL" },
    { "segment_files", "t", "INTEGER" },
    { "segment_files", "d", "INTEGER" },
    { "streams", "broadcast", "INTEGER NOT NULL DEFAULT 0" },
    { "streams", "tag", "TEXT NOT NULL DEFAULT ''" },
    { "streams", "dir", "TEXT NOT NULL DEFAULT ''" },
    { "streams", "lost", "REAL NOT NULL DEFAULT 0" },
    { "unpublished", "kind", "TEXT NOT NULL DEFAULT 'other'" },
    { "segments", "init_seq", "INTEGER NOT NULL DEFAULT 0" },
    { "segment_files", "width", "INTEGER NOT NULL DEFAULT 0" },
    { "segment_files", "height", "INTEGER NOT NULL DEFAULT 0" },
};

static int has_column(sqlite3 *db, const char *table, const char *column)
{
    sqlite3_stmt *st;
    char sql[128];
    int found = 0, rc;

    snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
    if (db_prepare(db, sql, &st) < 0)
        return AVERROR_EXTERNAL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (name && !strcmp(name, column))
            found = 1;
    }
    sqlite3_finalize(st);
    return db_rows_end(db, rc) < 0 ? AVERROR_EXTERNAL : found;
}

int catalog_init(sqlite3 *db)
{
    int ret;

    if ((ret = db_exec(db, schema)) < 0)
        return ret;
    for (size_t i = 0; i < sizeof(extra_columns) / sizeof(extra_columns[0]); i++) {
        char sql[256];
        if ((ret = has_column(db, extra_columns[i].table, extra_columns[i].column)) < 0)
            return ret;
        if (ret)
            continue;
        snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", extra_columns[i].table,
                 extra_columns[i].column, extra_columns[i].decl);
        if ((ret = db_exec(db, sql)) < 0)
            return ret;
    }
    return 0;
}

/* Step a statement that returns no rows, finalize it. */
static int step_done(sqlite3 *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_error("database: %s", sqlite3_errmsg(db));
        return AVERROR_EXTERNAL;
    }
    return 0;
}

static void copy_text(char *dst, size_t size, const unsigned char *src)
{
    snprintf(dst, size, "%s", src ? (const char *)src : "");
}

static void read_stream(sqlite3_stmt *st, CatalogStream *s)
{
    memset(s, 0, sizeof(*s));
    copy_text(s->name, sizeof(s->name), sqlite3_column_text(st, 0));
    copy_text(s->state, sizeof(s->state), sqlite3_column_text(st, 1));
    s->availability_start = sqlite3_column_double(st, 2);
    s->segment_duration = sqlite3_column_double(st, 3);
    s->next_seq = sqlite3_column_int64(st, 4);
    s->updated = sqlite3_column_double(st, 5);
    s->broadcast = sqlite3_column_int64(st, 6);
    copy_text(s->tag, sizeof(s->tag), sqlite3_column_text(st, 7));
    copy_text(s->dir, sizeof(s->dir), sqlite3_column_text(st, 8));
    s->lost = sqlite3_column_double(st, 9);
}

#define STREAM_COLS "name, state, availability_start, segment_duration, next_seq, updated," \
                    " broadcast, tag, dir, lost"

int catalog_stream_get(sqlite3 *db, const char *name, CatalogStream *s)
{
    sqlite3_stmt *st;
    int rc;

    if (db_prepare(db, "SELECT " STREAM_COLS " FROM streams WHERE name = ?", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_stream(st, s);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return AVERROR(ENOENT);
    log_error("database: %s", sqlite3_errmsg(db));
    return AVERROR_EXTERNAL;
}

int catalog_stream_put(sqlite3 *db, const CatalogStream *s)
{
    sqlite3_stmt *st;

    if (db_prepare(db, "INSERT OR REPLACE INTO streams(" STREAM_COLS ")"
                       " VALUES(?,?,?,?,?,?,?,?,?,?)", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->state, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, s->availability_start);
    sqlite3_bind_double(st, 4, s->segment_duration);
    sqlite3_bind_int64(st, 5, s->next_seq);
    sqlite3_bind_double(st, 6, s->updated);
    sqlite3_bind_int64(st, 7, s->broadcast);
    sqlite3_bind_text(st, 8, s->tag, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, s->dir, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 10, s->lost);
    return step_done(db, st);
}

int catalog_archive(sqlite3 *db, const char *name, const char *archive)
{
    static const char *const sql[] = {
        "UPDATE streams SET dir = CASE dir WHEN '' THEN ?1 ELSE dir END, name = ?2"
        " WHERE name = ?1",
        "UPDATE segments SET stream = ?2 WHERE stream = ?1",
        "UPDATE segment_files SET stream = ?2 WHERE stream = ?1",
        "UPDATE renditions SET stream = ?2 WHERE stream = ?1",
        "DELETE FROM edge_cache WHERE stream = ?1",
    };
    sqlite3_stmt *st;
    int ret;

    for (size_t i = 0; i < sizeof(sql) / sizeof(*sql); i++) {
        if (db_prepare(db, sql[i], &st) < 0)
            return AVERROR_EXTERNAL;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_bind_parameter_count(st) > 1)
            sqlite3_bind_text(st, 2, archive, -1, SQLITE_STATIC);
        if ((ret = step_done(db, st)) < 0)
            return ret;
    }
    /* live-resume's watch positions follow the presentation they were
     * taken in (the table exists once live-serve or live-resume ran) */
    if ((ret = has_column(db, "positions", "stream")) <= 0)
        return ret;
    if (db_prepare(db, "UPDATE positions SET stream = ?2 WHERE stream = ?1", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, archive, -1, SQLITE_STATIC);
    return step_done(db, st);
}

/* Step st to the end (finalizing it), each row read by read_row into a
 * growing array of elsize-byte elements (first of them at first): *out
 * (the caller frees it) and *n, or AVERROR(ENOMEM) / AVERROR_EXTERNAL. */
static int collect_rows(sqlite3 *db, sqlite3_stmt *st, size_t elsize, size_t first,
                        void (*read_row)(sqlite3_stmt *st, void *elem), void **out, int *n)
{
    int rc, ret = db_collect_rows(st, elsize, first, read_row, out, n, &rc);

    sqlite3_finalize(st);
    return ret == AVERROR_EXTERNAL ? db_rows_end(db, rc) : ret;
}

static void read_stream_row(sqlite3_stmt *st, void *elem)
{
    read_stream(st, elem);
}

int catalog_stream_list(sqlite3 *db, CatalogStream **list, int *n)
{
    sqlite3_stmt *st;
    void *l;
    int ret;

    if (db_prepare(db, "SELECT " STREAM_COLS " FROM streams ORDER BY name", &st) < 0)
        return AVERROR_EXTERNAL;
    if ((ret = collect_rows(db, st, sizeof(CatalogStream), 8, read_stream_row, &l, n)) == 0)
        *list = l;
    return ret;
}

int catalog_rendition_put(sqlite3 *db, const char *stream, const CatalogRendition *r)
{
    sqlite3_stmt *st;
    char sar[32], fps[32];

    if (db_prepare(db, "INSERT OR REPLACE INTO renditions(stream, id, kind, codec, width,"
                       " height, sar, fps, sample_rate, channels, timescale, bandwidth)"
                       " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", &st) < 0)
        return AVERROR_EXTERNAL;
    snprintf(sar, sizeof(sar), "%d:%d", r->media.sar_num, r->media.sar_den);
    snprintf(fps, sizeof(fps), "%d/%d", r->media.fps_num, r->media.fps_den);
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->media.kind == CMAF_VIDEO ? "video" : "audio", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->media.codec, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, r->media.width);
    sqlite3_bind_int(st, 6, r->media.height);
    sqlite3_bind_text(st, 7, sar, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, fps, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 9, r->media.sample_rate);
    sqlite3_bind_int(st, 10, r->media.channels);
    sqlite3_bind_int64(st, 11, r->media.timescale);
    sqlite3_bind_int64(st, 12, r->bandwidth);
    return step_done(db, st);
}

static void read_rendition_row(sqlite3_stmt *st, void *elem)
{
    CatalogRendition *r = elem;
    const char *sar, *fps;

    memset(r, 0, sizeof(*r));
    copy_text(r->id, sizeof(r->id), sqlite3_column_text(st, 0));
    r->media.kind = !strcmp((const char *)sqlite3_column_text(st, 1), "video") ? CMAF_VIDEO
                                                                        : CMAF_AUDIO;
    copy_text(r->media.codec, sizeof(r->media.codec), sqlite3_column_text(st, 2));
    r->media.width = sqlite3_column_int(st, 3);
    r->media.height = sqlite3_column_int(st, 4);
    sar = (const char *)sqlite3_column_text(st, 5);
    fps = (const char *)sqlite3_column_text(st, 6);
    if (!sar || sscanf(sar, "%d:%d", &r->media.sar_num, &r->media.sar_den) != 2 ||
        r->media.sar_num <= 0 || r->media.sar_den <= 0)
        r->media.sar_num = r->media.sar_den = 1;
    if (!fps || sscanf(fps, "%d/%d", &r->media.fps_num, &r->media.fps_den) != 2 ||
        r->media.fps_den <= 0)
        r->media.fps_num = r->media.fps_den = 0;
    r->media.sample_rate = sqlite3_column_int(st, 7);
    r->media.channels = sqlite3_column_int(st, 8);
    r->media.timescale = (uint32_t)sqlite3_column_int64(st, 9);
    r->bandwidth = sqlite3_column_int64(st, 10);
}

int catalog_rendition_list(sqlite3 *db, const char *stream, CatalogRendition **list, int *n)
{
    sqlite3_stmt *st;
    void *l;
    int ret;

    if (db_prepare(db, "SELECT id, kind, codec, width, height, sar, fps, sample_rate, channels,"
                       " timescale, bandwidth FROM renditions WHERE stream = ?"
                       " ORDER BY kind = 'audio', height DESC, bandwidth DESC, id", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    if ((ret = collect_rows(db, st, sizeof(CatalogRendition), 8, read_rendition_row, &l, n)) == 0)
        *list = l;
    return ret;
}

int catalog_segment_put(sqlite3 *db, const char *stream, const CatalogSegment *s)
{
    sqlite3_stmt *st;

    if (db_prepare(db, "INSERT OR REPLACE INTO segments(stream, seq, start, duration, gap,"
                       " discontinuity, published, period, period_start, msn, dseq, init_seq,"
                       " expired) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,NULL)", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, s->seq);
    sqlite3_bind_double(st, 3, s->start);
    sqlite3_bind_double(st, 4, s->duration);
    sqlite3_bind_int(st, 5, s->gap);
    sqlite3_bind_int(st, 6, s->discontinuity);
    sqlite3_bind_double(st, 7, s->published);
    sqlite3_bind_int64(st, 8, s->period);
    sqlite3_bind_double(st, 9, s->period_start);
    sqlite3_bind_int64(st, 10, s->msn);
    sqlite3_bind_int64(st, 11, s->dseq);
    sqlite3_bind_int64(st, 12, s->init_seq);
    return step_done(db, st);
}

#define SEGMENT_COLS \
    "seq, start, duration, gap, discontinuity, published, period, period_start, msn, dseq," \
    " init_seq"

static void read_segment(sqlite3_stmt *st, CatalogSegment *s)
{
    s->seq = sqlite3_column_int64(st, 0);
    s->start = sqlite3_column_double(st, 1);
    s->duration = sqlite3_column_double(st, 2);
    s->gap = sqlite3_column_int(st, 3);
    s->discontinuity = sqlite3_column_int(st, 4);
    s->published = sqlite3_column_double(st, 5);
    s->period = sqlite3_column_int64(st, 6);
    s->period_start = sqlite3_column_double(st, 7);
    s->msn = sqlite3_column_int64(st, 8);
    s->dseq = sqlite3_column_int64(st, 9);
    s->init_seq = sqlite3_column_int64(st, 10);
}

int catalog_segment_last(sqlite3 *db, const char *stream, CatalogSegment *s)
{
    sqlite3_stmt *st;
    int rc;

    if (db_prepare(db, "SELECT " SEGMENT_COLS " FROM segments WHERE stream = ?"
                       " ORDER BY seq DESC LIMIT 1", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_segment(st, s);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? AVERROR(ENOENT) : db_rows_end(db, rc);
}

int catalog_file_put(sqlite3 *db, const char *stream, int64_t seq, const char *rendition,
                     int64_t size, int64_t t, int64_t d, int width, int height)
{
    sqlite3_stmt *st;

    if (db_prepare(db, "INSERT OR REPLACE INTO segment_files(stream, seq, rendition, size, t, d,"
                       " width, height) VALUES(?,?,?,?,?,?,?,?)", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_text(st, 3, rendition, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, size);
    sqlite3_bind_int64(st, 5, t);
    sqlite3_bind_int64(st, 6, d);
    sqlite3_bind_int(st, 7, width);
    sqlite3_bind_int(st, 8, height);
    return step_done(db, st);
}

int catalog_expire(sqlite3 *db, const char *stream, double end, double now)
{
    sqlite3_stmt *st;

    if (db_prepare(db, "UPDATE segments SET expired = ? WHERE stream = ? AND expired IS NULL"
                       " AND start + duration <= ?", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_double(st, 1, now);
    sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, end);
    return step_done(db, st);
}

static void read_seq_row(sqlite3_stmt *st, void *elem)
{
    *(int64_t *)elem = sqlite3_column_int64(st, 0);
}

int catalog_expired(sqlite3 *db, const char *stream, double when, int64_t **seqs, int *n)
{
    sqlite3_stmt *st;
    void *l;
    int ret;

    if (db_prepare(db, "SELECT seq FROM segments WHERE stream = ? AND expired IS NOT NULL"
                       " AND expired <= ? ORDER BY seq", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, when);
    if ((ret = collect_rows(db, st, sizeof(int64_t), 16, read_seq_row, &l, n)) == 0)
        *seqs = l;
    return ret;
}

static int delete_where_seq(sqlite3 *db, const char *sql, const char *stream, int64_t seq)
{
    sqlite3_stmt *st;

    if (db_prepare(db, sql, &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    return step_done(db, st);
}

int catalog_segment_delete(sqlite3 *db, const char *stream, int64_t seq)
{
    int ret;

    if ((ret = delete_where_seq(db, "DELETE FROM segment_files WHERE stream = ? AND seq = ?",
                                stream, seq)) < 0 ||
        (ret = delete_where_seq(db, "DELETE FROM edge_cache WHERE stream = ? AND seq = ?",
                                stream, seq)) < 0)
        return ret;
    return delete_where_seq(db, "DELETE FROM segments WHERE stream = ? AND seq = ?", stream, seq);
}

int catalog_edge_put(sqlite3 *db, const char *path, const char *stream, int64_t seq,
                     const char *rendition, const void *data, size_t len, double mtime)
{
    sqlite3_stmt *st;

    if (db_prepare(db, "INSERT OR REPLACE INTO edge_cache(path, stream, seq, rendition, data,"
                       " mtime) VALUES(?,?,?,?,?,?)", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
    if (seq >= 0)
        sqlite3_bind_int64(st, 3, seq);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, rendition, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 5, data, len, SQLITE_STATIC);
    sqlite3_bind_double(st, 6, mtime);
    return step_done(db, st);
}

int catalog_edge_trim(sqlite3 *db, const char *stream, double end)
{
    sqlite3_stmt *st;

    if (db_prepare(db, "DELETE FROM edge_cache WHERE stream = ?1 AND seq IN (SELECT seq FROM"
                       " segments WHERE stream = ?1 AND start + duration <= ?2)", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, end);
    return step_done(db, st);
}

int catalog_edge_get(sqlite3 *db, const char *path, void **data, size_t *len, double *mtime)
{
    sqlite3_stmt *st;
    int rc, ret = 0;

    if (db_prepare(db, "SELECT data, mtime FROM edge_cache WHERE path = ?", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        void *p = malloc(n ? n : 1);
        if (!p) {
            ret = AVERROR(ENOMEM);
        } else {
            if (n)
                memcpy(p, sqlite3_column_blob(st, 0), n);
            *data = p;
            *len = n;
            if (mtime)
                *mtime = sqlite3_column_double(st, 1);
        }
    } else {
        ret = rc == SQLITE_DONE ? AVERROR(ENOENT) : AVERROR_EXTERNAL;
    }
    sqlite3_finalize(st);
    return ret;
}

int catalog_pending_put(sqlite3 *db, const char *stream, int64_t seq, const char *record,
                        double received)
{
    sqlite3_stmt *st;

    if (db_prepare(db, "INSERT OR REPLACE INTO package_pending(stream, seq, record, received,"
                       " done) VALUES(?,?,?,?,0)", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_text(st, 3, record, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, received);
    return step_done(db, st);
}

int catalog_pending_done(sqlite3 *db, const char *stream, int64_t seq)
{
    return delete_where_seq(db, "UPDATE package_pending SET done = 1 WHERE stream = ? AND seq = ?",
                            stream, seq);
}

const char *catalog_unpublished_kind(const char *reason)
{
    if (strstr(reason, "every rung is larger"))
        return "no_rung";
    if (strstr(reason, "cannot be segmented") || strstr(reason, "unsupported") ||
        strstr(reason, "no decoder") || strstr(reason, "codec"))
        return "codec";
    return "other";
}

int catalog_unpublished_put(sqlite3 *db, const char *stream, const char *kind,
                            const char *reason, double at)
{
    sqlite3_stmt *st;
    int rc;

    if (db_prepare(db, "INSERT OR REPLACE INTO unpublished(stream, reason, at, kind)"
                       " VALUES(?, ?, ?, ?)", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, at);
    sqlite3_bind_text(st, 4, kind ? kind : catalog_unpublished_kind(reason), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_rows_end(db, rc);
}

int catalog_guard_put(sqlite3 *db, const char *stream, const json_t *guard, double at)
{
    sqlite3_stmt *st;
    const char *step = record_str(guard, "step");
    int rc;

    if (!json_is_object(guard))
        return 0;
    if (db_prepare(db, "INSERT OR REPLACE INTO transcode_guard(stream, level, step, lag, down,"
                       " up, updated) VALUES(?, ?, ?, ?, ?, ?, ?)", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, record_int(guard, "level", 0));
    sqlite3_bind_text(st, 3, step && record_name_ok(step) ? step : "?", -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, record_num(guard, "lag", 0));
    sqlite3_bind_int64(st, 5, record_int(guard, "down", 0));
    sqlite3_bind_int64(st, 6, record_int(guard, "up", 0));
    sqlite3_bind_double(st, 7, at);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_rows_end(db, rc);
}

int catalog_unpublished_clear(sqlite3 *db, const char *stream)
{
    sqlite3_stmt *st;
    int rc;

    if (db_prepare(db, "DELETE FROM unpublished WHERE stream = ?", &st) < 0)
        return AVERROR_EXTERNAL;
    sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_rows_end(db, rc);
}

int catalog_pending_delete(sqlite3 *db, const char *stream, int64_t seq)
{
    return delete_where_seq(db, "DELETE FROM package_pending WHERE stream = ? AND seq = ?",
                            stream, seq);
}

int catalog_pending_each(sqlite3 *db,
                         int (*fn)(void *opaque, const char *stream, int64_t seq,
                                   const char *record, int done),
                         void *opaque)
{
    sqlite3_stmt *st;
    int ret = 0, rc = SQLITE_DONE;

    if (db_prepare(db, "SELECT stream, seq, record, done FROM package_pending"
                       " ORDER BY stream, seq", &st) < 0)
        return AVERROR_EXTERNAL;
    while (ret >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ret = fn(opaque, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                 (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3));
    sqlite3_finalize(st);
    if (ret < 0)
        return ret;
    return db_rows_end(db, rc);
}

int manifest_media_file(char *buf, size_t size, const char *tag, int64_t seq)
{
    int n = tag && *tag ? snprintf(buf, size, "%s-%lld.m4s", tag, (long long)seq)
                        : snprintf(buf, size, "%lld.m4s", (long long)seq);
    return n < 0 || (size_t)n >= size ? AVERROR(ENAMETOOLONG) : 0;
}

int manifest_init_file(char *buf, size_t size, const char *tag, int64_t init_seq)
{
    char at[24] = "";
    int n;

    if (init_seq > 0)
        snprintf(at, sizeof(at), ".%lld", (long long)init_seq);
    n = tag && *tag ? snprintf(buf, size, "init-%s%s.mp4", tag, at)
                    : snprintf(buf, size, "init%s.mp4", at);
    return n < 0 || (size_t)n >= size ? AVERROR(ENAMETOOLONG) : 0;
}

const ManifestParts *manifest_parts(const Manifest *m, int64_t seq, const char *id)
{
    for (int i = 0; i < m->nb_parts; i++)
        if (m->parts[i].seq == seq && !strcmp(m->parts[i].id, id) && m->parts[i].n > 0)
            return &m->parts[i];
    return NULL;
}

void manifest_free(Manifest *m)
{
    for (int i = 0; i < m->nb_renditions; i++)
        free(m->renditions[i].files);
    free(m->renditions);
    free(m->segments);
    m->renditions = NULL;
    m->segments = NULL;
    m->nb_renditions = m->nb_segments = 0;
}

/* Index of seq in the (ascending) segment list, or -1. */
static int find_seq(const Manifest *m, int64_t seq)
{
    int lo = 0, hi = m->nb_segments - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (m->segments[mid].seq == seq)
            return mid;
        if (m->segments[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* The listed segments of stream name (not gaps, not expired) into m. */
static int load_segments(sqlite3 *db, const char *name, Manifest *m)
{
    sqlite3_stmt *st = NULL;
    int cap = 0, ret, rc;

    if ((ret = db_prepare(db, "SELECT " SEGMENT_COLS " FROM segments WHERE stream = ?"
                              " AND gap = 0 AND expired IS NULL ORDER BY seq", &st)) < 0)
        return ret;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        CatalogSegment cs;
        ManifestSegment *ms;
        if (m->nb_segments == cap) {
            size_t ncap = array_grow(&m->segments, cap, sizeof(*m->segments), 64);
            if (!ncap) {
                sqlite3_finalize(st);
                return AVERROR(ENOMEM);
            }
            cap = ncap;
        }
        read_segment(st, &cs);
        ms = &m->segments[m->nb_segments++];
        ms->seq = cs.seq;
        ms->start = cs.start;
        ms->duration = cs.duration;
        ms->discontinuity = cs.discontinuity;
        ms->period = cs.period;
        ms->period_start = cs.period_start;
        ms->msn = cs.msn;
        ms->dseq = cs.dseq;
        ms->init_seq = cs.init_seq;
    }
    sqlite3_finalize(st);
    return db_rows_end(db, rc);
}

/* The renditions of stream name into m, each with room for a file per
 * listed segment (none yet: t = -1). */
static int load_renditions(sqlite3 *db, const char *name, Manifest *m)
{
    CatalogRendition *rl = NULL;
    int nr = 0, ret;

    if ((ret = catalog_rendition_list(db, name, &rl, &nr)) < 0)
        return ret;
    if (nr > 0 && !(m->renditions = calloc(nr, sizeof(*m->renditions)))) {
        free(rl);
        return AVERROR(ENOMEM);
    }
    m->nb_renditions = nr;
    for (int i = 0; i < nr; i++) {
        ManifestRendition *r = &m->renditions[i];
        snprintf(r->id, sizeof(r->id), "%s", rl[i].id);
        r->media = rl[i].media;
        if (!r->media.timescale)
            r->media.timescale = 1;
        r->bandwidth = rl[i].bandwidth;
        if (!(r->files = malloc((m->nb_segments ? m->nb_segments : 1) * sizeof(*r->files)))) {
            free(rl);
            return AVERROR(ENOMEM);
        }
        for (int j = 0; j < m->nb_segments; j++)
            r->files[j].t = -1;
    }
    free(rl);
    return 0;
}

/* The files of the listed segments: a range of the primary key (rows of
 * segments that are not listed are skipped by find_seq). */
static int load_files(sqlite3 *db, const char *name, Manifest *m)
{
    sqlite3_stmt *st = NULL;
    int ret, rc;

    if ((ret = db_prepare(db, "SELECT seq, rendition, size, t, d, width, height FROM segment_files"
                              " WHERE stream = ? AND seq >= ?", &st)) < 0)
        return ret;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, m->nb_segments ? m->segments[0].seq : INT64_MAX);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int k = find_seq(m, sqlite3_column_int64(st, 0));
        const char *rid = (const char *)sqlite3_column_text(st, 1);
        if (k < 0 || !rid)
            continue;
        for (int i = 0; i < m->nb_renditions; i++) {
            if (strcmp(m->renditions[i].id, rid))
                continue;
            m->renditions[i].files[k].size = sqlite3_column_int64(st, 2);
            m->renditions[i].files[k].t = sqlite3_column_int64(st, 3);
            m->renditions[i].files[k].d = sqlite3_column_int64(st, 4);
            m->renditions[i].files[k].width = sqlite3_column_int(st, 5);
            m->renditions[i].files[k].height = sqlite3_column_int(st, 6);
            break;
        }
    }
    sqlite3_finalize(st);
    return db_rows_end(db, rc);
}

/* Measured bit rates: average over the listed files, peak over those at
 * least half the nominal duration long (a short last segment's keyframe
 * would overstate it), and never below the average (short segments
 * count in it): a peak under the average is no peak. */
static void measure_bandwidth(Manifest *m)
{
    for (int i = 0; i < m->nb_renditions; i++) {
        ManifestRendition *r = &m->renditions[i];
        double bytes = 0, secs = 0, peak = 0;
        for (int j = 0; j < m->nb_segments; j++) {
            const ManifestFile *f = &r->files[j];
            double d = (double)f->d / r->media.timescale;
            if (f->t < 0 || f->d <= 0)
                continue;
            bytes += (double)f->size;
            secs += d;
            if (d >= 0.5 * m->segment_duration && f->size * 8.0 / d > peak)
                peak = f->size * 8.0 / d;
        }
        if (secs > 0) {
            r->avg_bandwidth = llrint(bytes * 8 / secs);
            r->bandwidth = FFMAX(llrint(peak), r->avg_bandwidth);
        }
    }
}

int catalog_manifest_load(sqlite3 *db, const char *name, Manifest *m)
{
    CatalogStream s;
    int ret;

    memset(m, 0, sizeof(*m));
    m->open_seq = -1;
    if ((ret = catalog_stream_get(db, name, &s)) < 0)
        return ret;
    snprintf(m->name, sizeof(m->name), "%s", name);
    if (strcmp(s.dir, name))
        snprintf(m->media_dir, sizeof(m->media_dir), "%s", s.dir);
    snprintf(m->tag, sizeof(m->tag), "%s", s.tag);
    m->dynamic = strcmp(s.state, "vod") != 0;
    m->availability_start = s.availability_start;
    m->segment_duration = s.segment_duration;
    if ((ret = load_segments(db, name, m)) < 0 ||
        (ret = load_renditions(db, name, m)) < 0 ||
        (ret = load_files(db, name, m)) < 0) {
        manifest_free(m);
        return ret;
    }
    measure_bandwidth(m);
    return 0;
}
