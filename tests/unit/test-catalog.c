/* Unit tests for lib/catalog.c on a database in a temporary directory:
 * schema (also over contract-only tables another program created), rows,
 * window expiry, the edge cache, the reorder buffer, the manifest loader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "catalog.h"
#include "db.h"
#include "log.h"
#include "tap.h"

static int count_pending(void *opaque, const char *stream, int64_t seq, const char *rec, int done)
{
    int *n = opaque;
    (void)stream;
    (void)rec;
    (void)done;
    *n = *n * 10 + (int)seq;
    return 0;
}

static int count_rows(void *opaque, const char *stream, int64_t seq, const char *rec, int done)
{
    (void)stream;
    (void)seq;
    (void)rec;
    (void)done;
    ++*(int *)opaque;
    return 0;
}

/* sqlite3_progress_handler: interrupt the statement after *left calls,
 * so a row loop meets an error in the middle of its rows. */
static int interrupt_after(void *opaque)
{
    int *left = opaque;
    return --*left <= 0;
}

/* A busy or corrupt database in the middle of a loop over rows is an
 * error, never a shorter list (a truncated manifest). */
static void errors_inside_row_loops(sqlite3 *db)
{
    CatalogStream *list = NULL;
    Manifest m;
    int n = 0, left, ret;

    db_exec(db, "BEGIN");
    for (int i = 0; i < 300; i++) {
        CatalogStream s = { .availability_start = 1, .segment_duration = 2, .next_seq = 300 };
        CatalogSegment seg = { .seq = i, .start = 2.0 * i, .duration = 2, .msn = i };
        snprintf(s.name, sizeof(s.name), "many%03d", i);
        snprintf(s.state, sizeof(s.state), "live");
        catalog_stream_put(db, &s);
        catalog_segment_put(db, "many000", &seg);
        catalog_pending_put(db, "many000", 1000 + i, "{}", 1.0);
    }
    db_exec(db, "COMMIT");
    is_int(catalog_manifest_load(db, "many000", &m), 0, "300 segments load");
    is_int(m.nb_segments, 300, "all of them");
    manifest_free(&m);

    left = 40;
    sqlite3_progress_handler(db, 50, interrupt_after, &left);
    ret = catalog_manifest_load(db, "many000", &m);
    is_int(ret, AVERROR_EXTERNAL, "an error after some segments: the manifest load fails");
    if (ret == 0) {
        diag("  got %d of 300 segments", m.nb_segments);
        manifest_free(&m);
    }
    left = 40;
    ret = catalog_stream_list(db, &list, &n);
    is_int(ret, AVERROR_EXTERNAL, "an error after some streams: the list fails (not %d of 301)", n);
    if (ret == 0)
        free(list);
    left = 40;
    n = 0;
    is_int(catalog_pending_each(db, count_rows, &n), AVERROR_EXTERNAL,
           "an error after some pending records: the walk fails");
    sqlite3_progress_handler(db, 0, NULL, NULL);
}

int main(void)
{
    char dir[] = "/tmp/live-test-catalog-XXXXXX", path[256];
    sqlite3 *db = NULL;
    CatalogStream s = { 0 }, got;
    CatalogSegment seg, last;
    CatalogRendition r = { 0 }, *rl = NULL;
    Manifest m;
    int64_t *seqs = NULL;
    void *data = NULL;
    size_t len = 0;
    int n = 0;

    log_init("test-catalog");
    log_set_level(LOG_LEVEL_QUIET);
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/live.db", dir);
    is_int(db_open(path, 0, &db), 0, "open");
    /* another program created the contract's segments table first */
    db_exec(db, "CREATE TABLE segments(stream TEXT, seq INTEGER, start REAL, duration REAL,"
                " gap INTEGER, discontinuity INTEGER, published REAL, PRIMARY KEY(stream, seq))");
    is_int(catalog_init(db), 0, "init adds the missing columns");
    is_int(catalog_init(db), 0, "init again is harmless");

    is_int(catalog_stream_get(db, "cam1", &got), AVERROR(ENOENT), "no stream yet");
    snprintf(s.name, sizeof(s.name), "cam1");
    snprintf(s.state, sizeof(s.state), "live");
    s.availability_start = 1795600000.5;
    s.segment_duration = 2;
    s.next_seq = 4;
    s.updated = 1795600008;
    is_int(catalog_stream_put(db, &s), 0, "put stream");
    is_int(catalog_stream_get(db, "cam1", &got), 0, "get stream");
    ok(!strcmp(got.state, "live") && got.availability_start == 1795600000.5 && got.next_seq == 4,
       "stream row round trip");

    snprintf(r.id, sizeof(r.id), "720p");
    r.media.kind = CMAF_VIDEO;
    snprintf(r.media.codec, sizeof(r.media.codec), "avc1.64001f");
    r.media.width = 1280;
    r.media.height = 720;
    r.media.sar_num = r.media.sar_den = 1;
    r.media.fps_num = 30;
    r.media.fps_den = 1;
    r.media.timescale = 90000;
    r.bandwidth = 2800000;
    catalog_rendition_put(db, "cam1", &r);
    snprintf(r.id, sizeof(r.id), "audio");
    r.media.kind = CMAF_AUDIO;
    r.media.width = r.media.height = 0;
    r.media.timescale = 48000;
    catalog_rendition_put(db, "cam1", &r);
    snprintf(r.id, sizeof(r.id), "480p");
    r.media.kind = CMAF_VIDEO;
    r.media.height = 480;
    r.media.timescale = 90000;
    catalog_rendition_put(db, "cam1", &r);
    is_int(catalog_rendition_list(db, "cam1", &rl, &n), 0, "list renditions");
    ok(n == 3 && !strcmp(rl[0].id, "720p") && !strcmp(rl[1].id, "480p") && !strcmp(rl[2].id, "audio") &&
       rl[0].media.fps_num == 30 && rl[2].media.kind == CMAF_AUDIO,
       "video tallest first, then audio");
    free(rl);

    for (int i = 0; i < 4; i++) {
        memset(&seg, 0, sizeof(seg));
        seg.seq = i;
        seg.start = 2.0 * i;
        seg.duration = 2;
        seg.gap = i == 2;
        seg.msn = i;
        seg.period = i == 3 ? 3 : 0;
        seg.period_start = i == 3 ? 6 : 0;
        catalog_segment_put(db, "cam1", &seg);
        if (i == 2)
            continue;
        catalog_file_put(db, "cam1", i, "720p", 500000, i * 180000, 180000, 0, 0);
        catalog_file_put(db, "cam1", i, "480p", 250000 * (i + 1), i * 180000, 180000, 0, 0);
        catalog_file_put(db, "cam1", i, "audio", 32000, i * 96000, 96000, 0, 0);
        catalog_edge_put(db, "x", "cam1", i, "720p", "ab", 2, 1.0);
        snprintf(path, sizeof(path), "cam1/720p/%d.m4s", i);
        catalog_edge_put(db, path, "cam1", i, "720p", "abc", 3, 2.0);
    }
    catalog_edge_put(db, "cam1/720p/init.mp4", "cam1", -1, "720p", "init", 4, 1.0);
    is_int(catalog_segment_last(db, "cam1", &last), 0, "last segment");
    ok(last.seq == 3 && last.period == 3 && last.period_start == 6, "last row round trip");

    is_int(catalog_manifest_load(db, "cam1", &m), 0, "load manifest");
    ok(m.dynamic && m.nb_segments == 3 && m.segments[2].seq == 3, "gap not listed");
    ok(m.nb_renditions == 3 && m.renditions[1].files[1].size == 500000 && m.renditions[1].files[2].t == 540000,
       "files by rendition and segment");
    is_int(m.renditions[1].avg_bandwidth, 1750000 * 8 / 6, "measured average bit rate (480p)");
    is_int(m.renditions[1].bandwidth, 1000000 * 8 / 2, "measured peak bit rate (480p)");
    manifest_free(&m);

    /* a short segment (left out of the peak) at a high rate lifts the
     * average above every long segment's rate: the peak is the average */
    snprintf(s.name, sizeof(s.name), "cam2");
    is_int(catalog_stream_put(db, &s), 0, "put a second stream");
    snprintf(r.id, sizeof(r.id), "480p");
    catalog_rendition_put(db, "cam2", &r);
    for (int i = 0; i < 2; i++) {
        memset(&seg, 0, sizeof(seg));
        seg.seq = i;
        seg.start = 2.0 * i;
        seg.duration = i ? 0.5 : 2;
        catalog_segment_put(db, "cam2", &seg);
    }
    catalog_file_put(db, "cam2", 0, "480p", 250000, 0, 180000, 0, 0);
    catalog_file_put(db, "cam2", 1, "480p", 500000, 180000, 45000, 0, 0);
    is_int(catalog_manifest_load(db, "cam2", &m), 0, "load the second manifest");
    is_int(m.renditions[0].avg_bandwidth, 750000 * 8 * 10 / 25, "average over both segments");
    is_int(m.renditions[0].bandwidth, m.renditions[0].avg_bandwidth,
           "peak never below the average");
    manifest_free(&m);

    /* streams that ended with nothing to watch */
    is_int(catalog_unpublished_put(db, "bad1", NULL, "no rung", 5.0), 0, "unpublished: put");
    is_int(catalog_unpublished_put(db, "bad1", NULL, "codec", 6.0), 0, "unpublished: put again replaces");
    is_int(catalog_unpublished_put(db, "bad2", "name_clash", "codec", 6.0), 0, "unpublished: another");
    is_int(catalog_unpublished_clear(db, "bad2"), 0, "unpublished: clear");
    ok(db_exec(db, "CREATE TEMP TABLE u AS SELECT group_concat(stream || ':' || reason) AS x"
                   " FROM unpublished") == 0, "read back");
    {
        sqlite3_stmt *q;
        const char *x = NULL;
        if (sqlite3_prepare_v2(db, "SELECT x FROM u", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            x = (const char *)sqlite3_column_text(q, 0);
        ok(x && !strcmp(x, "bad1:codec"), "one row, the latest reason");
        sqlite3_finalize(q);
    }

    ok(!strcmp(catalog_unpublished_kind("segment 0 failed upstream (every rung is larger than"
                                        " the 320x240 source)"), "no_rung") &&
           !strcmp(catalog_unpublished_kind("pcm_s16le cannot be segmented"), "codec") &&
           !strcmp(catalog_unpublished_kind("did not arrive"), "other"),
       "unpublished: the kinds of reasons");

    /* the window: segments ending by 4 s leave it */
    is_int(catalog_expire(db, "cam1", 4.0, 1000.0), 0, "expire");
    is_int(catalog_manifest_load(db, "cam1", &m), 0, "load after expiry");
    ok(m.nb_segments == 1 && m.segments[0].seq == 3, "expired segments are not listed");
    manifest_free(&m);
    catalog_expired(db, "cam1", 999.0, &seqs, &n);
    is_int(n, 0, "not yet due before the grace period");
    free(seqs);
    catalog_expired(db, "cam1", 1000.0, &seqs, &n);
    ok(n == 2 && seqs[0] == 0 && seqs[1] == 1, "due after it: 0 and 1");
    free(seqs);

    /* the edge cache keeps what ends after a time, and init rows */
    is_int(catalog_edge_trim(db, "cam1", 6.0), 0, "trim edge cache");
    is_int(catalog_edge_get(db, "cam1/720p/1.m4s", &data, &len, NULL), AVERROR(ENOENT), "old row gone");
    is_int(catalog_edge_get(db, "cam1/720p/3.m4s", &data, &len, NULL), 0, "recent row kept");
    ok(len == 3 && !memcmp(data, "abc", 3), "its bytes");
    free(data);
    is_int(catalog_edge_get(db, "cam1/720p/init.mp4", &data, &len, NULL), 0, "init row kept");
    free(data);
    is_int(catalog_segment_delete(db, "cam1", 3), 0, "delete a segment");
    is_int(catalog_edge_get(db, "cam1/720p/3.m4s", &data, &len, NULL), AVERROR(ENOENT),
           "its edge rows go with it");

    /* the reorder buffer */
    catalog_pending_put(db, "cam1", 7, "{}", 1.0);
    catalog_pending_put(db, "cam1", 5, "{}", 1.0);
    catalog_pending_done(db, "cam1", 5);
    n = 0;
    is_int(catalog_pending_each(db, count_pending, &n), 0, "walk pending");
    is_int(n, 57, "in seq order");
    catalog_pending_delete(db, "cam1", 5);
    n = 0;
    catalog_pending_each(db, count_pending, &n);
    is_int(n, 7, "deleted");

    errors_inside_row_loops(db);
    db_close(&db);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    if (system(path) != 0)
        diag("cannot remove %s", dir);
    return done();
}
