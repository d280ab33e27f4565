/*
 * package.c: the publish loop of live-package. See package.h for the
 * order of operations that makes it crash-safe.
 *
 * A reader thread turns the input into records and queues them; the main
 * thread owns the database and the output tree, and wakes up for records,
 * for reorder timeouts and once a second for window housekeeping.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "array.h"
#include "catalog.h"
#include "clock.h"
#include "cmaf.h"
#include "db.h"
#include "fs.h"
#include "hls.h"
#include "log.h"
#include "mpd.h"
#include "package.h"
#include "record.h"

#define MAX_RENDITIONS 16
/* 1024 samples at 44.1 kHz, the longest AAC frame of the usual rates */
#define PACKAGE_AAC_FRAME 0.0233

typedef struct Pending {
    int64_t seq;
    json_t *rec;                /* "renditions" or "end" record (owned) */
} Pending;

typedef struct Stream {
    char name[RECORD_MAX_NAME + 1];
    int64_t next_seq;           /* the next seq to publish */
    Pending *pend;              /* sorted by seq */
    int npend, cap;
    double wait_since;          /* when the head of pend started waiting (0: not) */
    int finished;
    int64_t broadcast;          /* the presentation's broadcast id (live-pipe(5)), 0: none */
    char tag[24];               /* its tag in media file names (manifest_media_file) */
    char why[256];              /* why its last gap was one (for the final report) */
    char end_error[256];        /* the end record's error: why the input stopped */
    /* renditions whose codec configuration changed once: from then on
     * every segment carries its parameter sets in band, the ones equal
     * to the init segment's too (a decoder that took the changed ones
     * must be given the first ones back) */
    char inband[MAX_RENDITIONS][RECORD_MAX_NAME + 1];
    int ninband;
    struct LlState *ll;         /* low latency: the open segment (made on first use) */
} Stream;

/* Low latency: the segment being written in chunks, and the parts of the
 * last ones (the playlists list them). */
#define LL_HISTORY 3

typedef struct LlRend {
    char id[RECORD_MAX_NAME + 1];
    int fd;                     /* OUT/NAME/REND/FILE.open */
    char path[4096];
    CmafFragment *first;        /* part 0's: the track, and tfdt/duration of all so far */
    int64_t size;
} LlRend;

typedef struct LlState {
    int64_t seq;                /* the open segment, -1: none */
    int next_part, complete, n;
    double part_target;         /* fixed for the stream once set */
    LlRend r[MAX_RENDITIONS];
    ManifestParts open[MAX_RENDITIONS];
    ManifestParts hist[LL_HISTORY * MAX_RENDITIONS];
    int nhist;
} LlState;

typedef struct Package {
    const PackageOptions *o;
    sqlite3 *db;
    Stream *streams;
    int nstreams;
    atomic_int bad;             /* bad input seen: exit 3 (set by both threads) */
    double last_housekeeping;

    /* reader thread -> main thread */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    json_t **queue;
    int qlen, qcap;
    int eof, read_err;
    FILE *in;
} Package;

long package_gaps_due(long long next_seq, long long lowest, double waited, double timeout,
                      int force)
{
    if (lowest < 0 || lowest <= next_seq)
        return 0;
    if (!force && waited < timeout)
        return 0;
    return (long)(lowest - next_seq);
}

/* ---- reader thread ---- */

static void *reader_main(void *arg)
{
    Package *p = arg;
    RecordReader *rr = record_reader_new(p->in, p->o->input);
    int err = 0;

    for (;;) {
        json_t *rec = NULL;
        int ret = rr ? record_read(rr, &rec) : AVERROR(ENOMEM);
        if (ret == AVERROR_INVALIDDATA) {
            atomic_store(&p->bad, 1);
            continue;
        }
        if (ret < 0) {
            if (ret != AVERROR_EOF)
                err = ret;
            break;
        }
        pthread_mutex_lock(&p->mu);
        if ((ret = array_push(&p->queue, &p->qlen, &p->qcap, sizeof(*p->queue), 64, &rec)) < 0) {
            pthread_mutex_unlock(&p->mu);
            json_decref(rec);
            err = ret;
            break;
        }
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    record_reader_free(&rr);
    pthread_mutex_lock(&p->mu);
    p->eof = 1;
    p->read_err = err;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- paths and files ---- */

static int out_path(const Package *p, char *buf, size_t size, const char *stream,
                    const char *rend, const char *file)
{
    int n = rend ? snprintf(buf, size, "%s/%s/%s/%s", p->o->out, stream, rend, file)
                 : snprintf(buf, size, "%s/%s/%s", p->o->out, stream, file);
    return n < 0 || (size_t)n >= size ? AVERROR(ENAMETOOLONG) : 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
    int ret = fs_write_atomic(path, data, len, 0);
    if (ret < 0) {
        char eb[AV_ERROR_MAX_STRING_SIZE];
        log_error("%s: cannot write: %s", path, log_averr(ret, eb, sizeof(eb)));
    }
    return ret;
}

/* ---- low latency: the open segment ---- */

static Stream *stream_find(Package *p, const char *name)
{
    for (int i = 0; i < p->nstreams; i++)
        if (!strcmp(p->streams[i].name, name))
            return &p->streams[i];
    return NULL;
}

/* The part target of a stream: the parts' nominal duration plus a video
 * frame (a part ends at the first frame at or after its nominal end) and
 * an AAC frame (the audio of a chunk ends with the packet that reaches
 * its end), rounded up to the millisecond; fixed once the stream has one. */
static double ll_part_target(Package *p, LlState *ll, const Manifest *m)
{
    double frame = 0.1;

    if (ll->part_target > 0)
        return ll->part_target;
    for (int i = 0; i < m->nb_renditions; i++)
        if (m->renditions[i].media.kind == CMAF_VIDEO && m->renditions[i].media.fps_num > 0 &&
            m->renditions[i].media.fps_den > 0)
            frame = (double)m->renditions[i].media.fps_den / m->renditions[i].media.fps_num;
    ll->part_target = ceil((p->o->part + frame + PACKAGE_AAC_FRAME) * 1000) / 1000;
    return ll->part_target;
}

/* The low-latency part of the manifest of stream name: the part target,
 * the parts of its last segments and of the open one (*parts: malloc'd,
 * the caller frees it after using m). */
static void ll_attach(Package *p, const char *name, Manifest *m, ManifestParts **parts)
{
    Stream *s = stream_find(p, name);
    LlState *ll = s ? s->ll : NULL;
    int n = 0;

    if (!s)
        return;
    if (!ll && !(ll = s->ll = calloc(1, sizeof(*ll))))
        return;
    if (!s->ll->part_target)
        ll->seq = -1;
    m->part_target = ll_part_target(p, ll, m);
    if (!(*parts = malloc((size_t)(ll->nhist + ll->n) * sizeof(**parts) + 1)))
        return;
    for (int i = 0; i < ll->nhist; i++)
        (*parts)[n++] = ll->hist[i];
    if (ll->seq >= 0) {
        for (int i = 0; i < ll->n; i++)
            (*parts)[n++] = ll->open[i];
        m->open_seq = ll->seq;
        m->open_complete = ll->complete;
    }
    m->parts = *parts;
    m->nb_parts = n;
}

/* Regenerate manifest.mpd, master.m3u8 and every index.m3u8 of a stream.
 * Media playlists first, so the master never names a missing one. */
static int write_manifests(Package *p, const char *name)
{
    Manifest m;
    ManifestParts *parts = NULL;
    char path[4096];
    char *text = NULL;
    int ret;

    if ((ret = out_path(p, path, sizeof(path), name, NULL, "")) < 0 ||
        (ret = fs_mkdirs(path, 0755)) < 0 ||
        (ret = catalog_manifest_load(p->db, name, &m)) < 0)
        return ret;
    m.window = p->o->window;
    m.utc_timing = p->o->utc_timing;
    m.publish_time = clock_real();
    if (p->o->low_latency && m.dynamic)
        ll_attach(p, name, &m, &parts);
    for (int i = 0; i < m.nb_renditions && ret >= 0; i++) {
        if ((ret = hls_write_media(&m, i, &text)) < 0 ||
            (ret = out_path(p, path, sizeof(path), name, m.renditions[i].id, "")) < 0 ||
            (ret = fs_mkdirs(path, 0755)) < 0 ||
            (ret = out_path(p, path, sizeof(path), name, m.renditions[i].id, "index.m3u8")) < 0)
            break;
        ret = write_file(path, text, strlen(text));
        av_freep(&text);
    }
    if (ret >= 0 && m.nb_renditions > 0 && (ret = hls_write_master(&m, &text)) >= 0) {
        if ((ret = out_path(p, path, sizeof(path), name, NULL, "master.m3u8")) >= 0)
            ret = write_file(path, text, strlen(text));
        av_freep(&text);
    }
    if (ret >= 0 && (ret = mpd_write(&m, &text)) >= 0) {
        if ((ret = out_path(p, path, sizeof(path), name, NULL, "manifest.mpd")) >= 0)
            ret = write_file(path, text, strlen(text));
        av_freep(&text);
    }
    manifest_free(&m);
    free(parts);
    return ret;
}

/* Remove the spool files a record names (unless --keep). */
static void remove_spool(Package *p, const json_t *rec)
{
    const json_t *rends = json_object_get(rec, "renditions"), *r;
    size_t i;

    if (p->o->keep || !json_is_array(rends))
        return;
    json_array_foreach(rends, i, r) {
        const char *rel = record_str(r, "path");
        char path[4096];
        if (!rel || !record_path_ok(rel) || record_join(path, sizeof(path), p->o->spool, rel) < 0)
            continue;
        if (unlink(path) < 0 && errno != ENOENT)
            log_warn("%s: cannot remove: %s", path, strerror(errno));
    }
}

/* ---- streams ---- */

static Stream *stream_get(Package *p, const char *name)
{
    CatalogStream cs;
    Stream *s;

    for (int i = 0; i < p->nstreams; i++)
        if (!strcmp(p->streams[i].name, name))
            return &p->streams[i];
    s = realloc(p->streams, (p->nstreams + 1) * sizeof(*s));
    if (!s)
        return NULL;
    p->streams = s;
    s += p->nstreams++;
    memset(s, 0, sizeof(*s));
    /* names are record_name_ok (at most 64 bytes); the zeroed tail ends it */
    memcpy(s->name, name, strnlen(name, sizeof(s->name) - 1));
    if (catalog_stream_get(p->db, name, &cs) == 0) {
        s->next_seq = cs.next_seq;
        s->broadcast = cs.broadcast;
        memcpy(s->tag, cs.tag, sizeof(s->tag));
    }
    return s;
}

/* An end record that says the publisher was lost, not that the stream ended. */
static int lost_end(const json_t *rec)
{
    return !strcmp(record_str(rec, "type"), "end") && record_bool(rec, "lost");
}

/* Take rec into the stream's reorder buffer (a new reference is kept).
 * 0, or 1 when it was a duplicate and dropped. */
static int stream_add(Stream *s, int64_t seq, json_t *rec)
{
    int at = s->npend, ret;

    for (int i = 0; i < s->npend; i++) {
        if (s->pend[i].seq == seq && lost_end(s->pend[i].rec) && !lost_end(rec)) {
            /* the broadcast goes on where its publisher was lost */
            json_decref(s->pend[i].rec);
            s->pend[i].rec = json_incref(rec);
            return 0;
        }
        if (s->pend[i].seq == seq)
            return 1;
        if (s->pend[i].seq > seq) {
            at = i;
            break;
        }
    }
    if ((ret = array_reserve(&s->pend, s->npend, &s->cap, sizeof(*s->pend), 16)) < 0)
        return ret;
    memmove(&s->pend[at + 1], &s->pend[at], (s->npend - at) * sizeof(*s->pend));
    s->pend[at].seq = seq;
    s->pend[at].rec = json_incref(rec);
    s->npend++;
    return 0;
}

static void stream_pop(Stream *s)
{
    json_decref(s->pend[0].rec);
    memmove(&s->pend[0], &s->pend[1], (s->npend - 1) * sizeof(*s->pend));
    s->npend--;
}

/* The init segments the stream's latest segment takes (manifest_init_file). */
static int64_t current_init_seq(Package *p, const Stream *s)
{
    CatalogSegment prev;
    return catalog_segment_last(p->db, s->name, &prev) == 0 ? prev.init_seq : 0;
}

/* The row a new segment (or gap) seq follows. 0 or AVERROR_EXTERNAL
 * (the last row could not be read: never taken for "no row"). */
static int next_row(sqlite3 *db, const char *name, int64_t seq, double start, int gap,
                    int discontinuity, int new_init, CatalogSegment *row)
{
    CatalogSegment prev;
    int ret = catalog_segment_last(db, name, &prev), have = ret == 0, gap_before, jump;

    if (ret < 0 && ret != AVERROR(ENOENT))
        return ret;
    gap_before = have && (prev.gap || prev.seq != seq - 1);
    /* time jumped forward at a discontinuity (a publisher back after a
     * while): a new Period, so that no SegmentTimeline has a hole */
    jump = have && !gap && discontinuity && start > prev.start + prev.duration + 0.001;

    memset(row, 0, sizeof(*row));
    row->seq = seq;
    row->start = start;
    row->gap = gap;
    row->published = clock_real();
    if (gap) {
        row->period = have ? prev.period : seq;
        row->period_start = have ? prev.period_start : start;
        row->msn = have ? prev.msn : -1;
        row->dseq = have ? prev.dseq : 0;
        row->init_seq = have ? prev.init_seq : 0;
        return 0;
    }
    /* a new init segment (a new size or codec): a new Period, and a
     * discontinuity with a new EXT-X-MAP */
    if (have && new_init)
        jump = discontinuity = 1;
    row->init_seq = new_init ? seq : have ? prev.init_seq : 0;
    row->discontinuity = discontinuity || gap_before;
    row->period = !have || gap_before || jump ? seq : prev.period;
    row->period_start = !have || gap_before || jump ? start : prev.period_start;
    row->msn = have ? prev.msn + 1 : 0;
    row->dseq = have ? prev.dseq + (row->discontinuity ? 1 : 0) : 0;
    return 0;
}

/* Make sure the stream has its row; new live streams get their
 * availabilityStartTime here: the wall clock at which the first
 * published segment ends. */
static int ensure_stream(Package *p, const Stream *s, double end, CatalogStream *cs)
{
    const char *name = s->name;
    int ret = catalog_stream_get(p->db, name, cs);
    if (ret == AVERROR(ENOENT)) {
        memset(cs, 0, sizeof(*cs));
        snprintf(cs->name, sizeof(cs->name), "%s", name);
        snprintf(cs->state, sizeof(cs->state), "%s", p->o->vod ? "vod" : "live");
        cs->availability_start = clock_real() - end;
        cs->updated = clock_real();
        cs->broadcast = s->broadcast;
        memcpy(cs->tag, s->tag, sizeof(cs->tag));
        return 0;
    }
    return ret;
}

static int publish_gap(Package *p, Stream *s, int64_t seq, const char *why)
{
    CatalogStream cs;
    CatalogSegment row, prev;
    double start = 0;
    int ret;

    if (catalog_segment_last(p->db, s->name, &prev) == 0)
        start = prev.start + prev.duration;
    log_warn("%s: segment %lld %s; published as a gap", s->name, (long long)seq, why);
    snprintf(s->why, sizeof(s->why), "segment %lld %s", (long long)seq, why);
    if ((ret = db_begin(p->db)) < 0)
        return ret;
    if ((ret = ensure_stream(p, s, start, &cs)) < 0)
        goto fail;
    if ((ret = next_row(p->db, s->name, seq, start, 1, 0, 0, &row)) < 0 ||
        (ret = catalog_segment_put(p->db, s->name, &row)) < 0)
        goto fail;
    cs.next_seq = seq + 1;
    cs.updated = clock_real();
    if ((ret = catalog_stream_put(p->db, &cs)) < 0 ||
        (ret = catalog_pending_delete(p->db, s->name, seq)) < 0 ||
        (ret = db_commit(p->db)) < 0)
        goto fail;
    s->next_seq = seq + 1;
    return 0;
fail:
    db_rollback(p->db);
    return ret;
}

/* Check a record's renditions against the ones the stream has: every
 * established rendition must be there (else the seq becomes a gap, so no
 * manifest lists a file that does not exist). Fills ids/paths/declared
 * bandwidths; *n renditions to use. */
typedef struct RendIn {
    const char *id, *path, *kind;
    int64_t bandwidth;
    int established;            /* the stream has it already */
} RendIn;

/* Whether rec's array key holds the string id. */
static int record_lists(const json_t *rec, const char *key, const char *id)
{
    const json_t *arr = json_object_get(rec, key), *v;
    size_t i;

    json_array_foreach(arr, i, v) {
        if (json_is_string(v) && !strcmp(json_string_value(v), id))
            return 1;
    }
    return 0;
}

static int pick_renditions(Package *p, const char *name, const json_t *rec, RendIn *in, int *n,
                           const char **why)
{
    const json_t *arr = json_object_get(rec, "renditions"), *r;
    CatalogRendition *have = NULL;
    int nhave = 0, ret;
    size_t i;

    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        *why = "has no renditions";
        return AVERROR_INVALIDDATA;
    }
    json_array_foreach(arr, i, r) {
        const char *id = record_str(r, "id"), *path = record_str(r, "path");
        if (!record_name_ok(id) || !record_path_ok(path)) {
            *why = "has a rendition without a valid id or path";
            return AVERROR_INVALIDDATA;
        }
        if (*n == MAX_RENDITIONS) {
            *why = "has too many renditions";
            return AVERROR_INVALIDDATA;
        }
        for (int k = 0; k < *n; k++)
            if (!strcmp(in[k].id, id)) {
                *why = "names a rendition twice";
                return AVERROR_INVALIDDATA;
            }
        in[*n].id = id;
        in[*n].path = path;
        in[*n].kind = record_str(r, "kind");
        in[*n].bandwidth = record_int(r, "bandwidth", 0);
        in[*n].established = 0;
        (*n)++;
    }
    if ((ret = catalog_rendition_list(p->db, name, &have, &nhave)) < 0)
        return ret;
    for (int k = 0; k < nhave; k++) {
        int found = 0;
        for (int j = 0; j < *n; j++)
            found |= !strcmp(in[j].id, have[k].id);
        if (!found && !record_lists(rec, "dropped", have[k].id)) {
            *why = "lacks a rendition the stream has";
            free(have);
            return AVERROR_INVALIDDATA;
        }
        if (!found)
            log_info("%s: %s left out of this segment upstream (load guard)", name, have[k].id);
    }
    if (nhave > 0) {
        /* keep only the established ones */
        int m = 0;
        for (int j = 0; j < *n; j++) {
            int found = 0;
            for (int k = 0; k < nhave; k++)
                found |= !strcmp(in[j].id, have[k].id);
            if (found) {
                in[j].established = 1;
                in[m++] = in[j];
            }
            else
                log_warn("%s: rendition %s appeared mid-stream; ignored", name, in[j].id);
        }
        *n = m;
    }
    free(have);
    return 0;
}

/* One segment on its way out: the renditions of its record, read and
 * turned into CMAF bytes, and what publishing it decided. */
typedef struct Outgoing {
    int64_t seq;
    double start, duration, end, now;
    RendIn in[MAX_RENDITIONS];
    int n;
    CmafFragment *frag[MAX_RENDITIONS];
    uint8_t *seg[MAX_RENDITIONS], *init[MAX_RENDITIONS];
    size_t seg_len[MAX_RENDITIONS], init_len[MAX_RENDITIONS];
    int wrote_init[MAX_RENDITIONS];     /* a new init segment was published */
    int64_t init_seq;           /* the init segments it takes (manifest_init_file) */
    int new_init;               /* a new size or codec: new init segments from here */
} Outgoing;

static void outgoing_free(Outgoing *o)
{
    for (int i = 0; i < MAX_RENDITIONS; i++) {
        cmaf_fragment_free(&o->frag[i]);
        free(o->seg[i]);
        free(o->init[i]);
    }
}

/* What reading a rendition file can fail with because of the input
 * itself (the record names a missing, empty or unreadable file): a
 * permanent gap. Anything else (EIO, ENOMEM, EMFILE, EACCES ...) is the
 * machine's trouble, which a later attempt may not have. */
static int bad_rendition_error(int err)
{
    return err == AVERROR_INVALIDDATA || err == AVERROR_EOF || err == AVERROR(ENOENT) ||
           err == AVERROR(ENOTDIR) || err == AVERROR(EISDIR) || err == AVERROR(ENAMETOOLONG) ||
           err == AVERROR_DEMUXER_NOT_FOUND || err == AVERROR_DECODER_NOT_FOUND ||
           err == AVERROR_STREAM_NOT_FOUND || err == AVERROR_PATCHWELCOME;
}

#define READ_ATTEMPTS 3

/* Step 1a: read each rendition file into a fragment and make its init
 * segment. 0; 1 for bad input (*why says
 * what: the seq becomes a gap); or a negative AVERROR for an I/O or
 * memory error that READ_ATTEMPTS reads (0.2 s, then 1 s apart) did not
 * get past: the stage fails, the record stays pending in the db and is
 * published by the next run. */
static int read_renditions(Package *p, Outgoing *o, const char **why)
{
    char path[4096], eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    for (int i = 0; i < o->n; i++) {
        const char *kind;
        if (record_join(path, sizeof(path), p->o->spool, o->in[i].path) < 0) {
            *why = "has a rendition path too long";
            return 1;
        }
        for (int attempt = 1;; attempt++) {
            ret = cmaf_read(path, o->start, o->duration, &o->frag[i]);
            if (ret >= 0)
                break;
            if (bad_rendition_error(ret)) {
                *why = "has an unreadable rendition file";
                return 1;
            }
            if (attempt == READ_ATTEMPTS) {
                log_error("%s: %s after %d attempts: not a gap; this run stops, the next one"
                          " publishes it", path, log_averr(ret, eb, sizeof(eb)), attempt);
                return ret;
            }
            log_warn("%s: %s; trying again", path, log_averr(ret, eb, sizeof(eb)));
            usleep(attempt == 1 ? 200000 : 1000000);
        }
        kind = o->frag[i]->track.media.kind == CMAF_VIDEO ? "video" : "audio";
        if (o->in[i].kind && strcmp(o->in[i].kind, kind)) {
            log_error("%s: holds %s, the record says %s", path, kind, o->in[i].kind);
            *why = "has a rendition of the wrong kind";
            return 1;
        }
        if ((ret = cmaf_write_init(&o->frag[i]->track, &o->init[i], &o->init_len[i])) < 0)
            return ret;
    }
    return 0;
}

/* Step 1b: rendition i's init segment (a new rendition gets one; an
 * established one keeps the one players have: should the codec
 * configuration change mid stream, the new parameter sets travel in band). */
static int stream_inband(const Stream *s, const char *id)
{
    for (int k = 0; k < s->ninband; k++)
        if (!strcmp(s->inband[k], id))
            return 1;
    return 0;
}

static int write_init(Package *p, Stream *s, Outgoing *o, int i)
{
    char path[4096], file[64], *old = NULL;
    size_t old_len = 0;
    int ret;

    if ((ret = manifest_init_file(file, sizeof(file), s->tag, o->init_seq)) < 0 ||
        (ret = out_path(p, path, sizeof(path), s->name, o->in[i].id, file)) < 0)
        return ret;
    if (!o->in[i].established || o->new_init || fs_read_file(path, 1 << 20, &old, &old_len) < 0) {
        if ((ret = write_file(path, o->init[i], o->init_len[i])) < 0)
            return ret;
        o->wrote_init[i] = 1;
    } else if (old_len != o->init_len[i] || memcmp(old, o->init[i], old_len)) {
        if (!stream_inband(s, o->in[i].id) && s->ninband < MAX_RENDITIONS)
            snprintf(s->inband[s->ninband++], sizeof(s->inband[0]), "%s", o->in[i].id);
        if (o->frag[i]->track.media.kind == CMAF_VIDEO && cmaf_params_inband(o->frag[i]) == 0)
            log_warn("%s: %s: segment %lld: codec configuration changed; parameter sets"
                     " sent in band", s->name, o->in[i].id, (long long)o->seq);
        else
            log_warn("%s: %s: segment %lld: codec configuration changed; players keep the"
                     " first one", s->name, o->in[i].id, (long long)o->seq);
    } else if (o->frag[i]->track.media.kind == CMAF_VIDEO && stream_inband(s, o->in[i].id)) {
        cmaf_params_inband(o->frag[i]);
    }
    free(old);
    return 0;
}

/* Whether track t describes other media than rendition row r: another
 * size or aspect, codec (avc1, hvc1, mp4a ...), sample rate or channel
 * count. (New parameter sets for the same size, as a load guard's step
 * makes, even with another profile or level, are not: they go in band.) */
static int other_media(const CmafMedia *t, const CmafMedia *r)
{
    if (strncmp(t->codec, r->codec, 4))
        return 1;
    if (t->kind == CMAF_VIDEO)
        return t->width != r->width || t->height != r->height ||
               (int64_t)t->sar_num * r->sar_den != (int64_t)r->sar_num * t->sar_den;
    return t->sample_rate != r->sample_rate || t->channels != r->channels;
}

/* Step 1b': which init segments the segment takes: the ones before it,
 * or new ones (every rendition's, named after this seq) when one of its
 * renditions changed size or codec (a phone turned to portrait). */
static int choose_init(Package *p, Stream *s, Outgoing *o)
{
    CatalogSegment prev;
    CatalogRendition *have = NULL;
    int nhave = 0, ret = catalog_segment_last(p->db, s->name, &prev);

    if (ret < 0 && ret != AVERROR(ENOENT))
        return ret;
    o->init_seq = ret == 0 ? prev.init_seq : 0;
    o->new_init = 0;
    if (ret < 0)
        return 0;   /* the first segment: the first init segments */
    if ((ret = catalog_rendition_list(p->db, s->name, &have, &nhave)) < 0)
        return ret;
    for (int i = 0; i < o->n && !o->new_init; i++)
        for (int k = 0; k < nhave; k++)
            if (o->in[i].established && !strcmp(have[k].id, o->in[i].id) &&
                other_media(&o->frag[i]->track.media, &have[k].media)) {
                const CmafMedia *t = &o->frag[i]->track.media;
                if (t->kind == CMAF_VIDEO)
                    log_info("%s: %s: segment %lld: %dx%d (was %dx%d): new init segments and"
                             " a new period", s->name, o->in[i].id, (long long)o->seq,
                             t->width, t->height, have[k].media.width, have[k].media.height);
                else
                    log_info("%s: %s: segment %lld: %s, %d Hz, %d channels: new init segments"
                             " and a new period", s->name, o->in[i].id, (long long)o->seq,
                             t->codec, t->sample_rate, t->channels);
                o->new_init = 1;
                o->init_seq = o->seq;
                break;
            }
    free(have);
    return 0;
}

/* Step 1c: every rendition's directory, init segment and media segment. */
static int write_segment_files(Package *p, Stream *s, Outgoing *o)
{
    char path[4096], file[64];
    int ret;

    if ((ret = choose_init(p, s, o)) < 0)
        return ret;
    for (int i = 0; i < o->n; i++) {
        if ((ret = out_path(p, path, sizeof(path), s->name, o->in[i].id, "")) < 0 ||
            (ret = fs_mkdirs(path, 0755)) < 0) {
            log_error("%s: cannot create the directory", path);
            return ret;
        }
        if ((ret = write_init(p, s, o, i)) < 0 ||
            (ret = cmaf_write_segment(o->frag[i], (uint32_t)(o->seq + 1), &o->seg[i],
                                      &o->seg_len[i])) < 0 ||
            (ret = manifest_media_file(file, sizeof(file), s->tag, o->seq)) < 0 ||
            (ret = out_path(p, path, sizeof(path), s->name, o->in[i].id, file)) < 0 ||
            (ret = write_file(path, o->seg[i], o->seg_len[i])) < 0)
            return ret;
    }
    return 0;
}

/* Step 2, for rendition i: its description (an init segment's, so only
 * when one was written), its file row and its live-edge cache entries. */
static int index_rendition(Package *p, Stream *s, const Outgoing *o, int i)
{
    const CmafMedia *t = &o->frag[i]->track.media;
    CatalogRendition cr = { 0 };
    char rel[1024], file[64];
    int ret;

    snprintf(cr.id, sizeof(cr.id), "%s", o->in[i].id);
    cr.media = *t;
    cr.bandwidth = o->in[i].bandwidth;
    if ((o->wrote_init[i] && (ret = catalog_rendition_put(p->db, s->name, &cr)) < 0) ||
        (ret = catalog_file_put(p->db, s->name, o->seq, o->in[i].id, (int64_t)o->seg_len[i],
                                o->frag[i]->tfdt, o->frag[i]->duration,
                                t->kind == CMAF_VIDEO ? t->width : 0,
                                t->kind == CMAF_VIDEO ? t->height : 0)) < 0)
        return ret;
    manifest_media_file(file, sizeof(file), s->tag, o->seq);
    snprintf(rel, sizeof(rel), "%s/%s/%s", s->name, o->in[i].id, file);
    if ((ret = catalog_edge_put(p->db, rel, s->name, o->seq, o->in[i].id, o->seg[i],
                                o->seg_len[i], o->now)) < 0)
        return ret;
    manifest_init_file(file, sizeof(file), s->tag, o->init_seq);
    snprintf(rel, sizeof(rel), "%s/%s/%s", s->name, o->in[i].id, file);
    if (o->wrote_init[i] && (ret = catalog_edge_put(p->db, rel, s->name, -1, o->in[i].id,
                                                    o->init[i], o->init_len[i], o->now)) < 0)
        return ret;
    return 0;
}

/* Step 2: the segment in the database, in one transaction (rolled back
 * on failure). */
static int index_segment(Package *p, Stream *s, const Outgoing *o, const json_t *rec)
{
    CatalogStream cs;
    CatalogSegment row;
    int ret;

    if ((ret = db_begin(p->db)) < 0)
        return ret;
    if ((ret = ensure_stream(p, s, o->end, &cs)) < 0)
        goto fail;
    if (!p->o->vod && !strcmp(cs.state, "vod") && cs.next_seq > 0) {
        log_info("%s: finished stream continues live", s->name);
        snprintf(cs.state, sizeof(cs.state), "live");
    }
    if ((ret = next_row(p->db, s->name, o->seq, o->start, 0, record_bool(rec, "discontinuity"),
                        o->new_init, &row)) < 0)
        goto fail;
    row.duration = o->duration;
    if ((ret = catalog_segment_put(p->db, s->name, &row)) < 0)
        goto fail;
    for (int i = 0; i < o->n; i++)
        if ((ret = index_rendition(p, s, o, i)) < 0)
            goto fail;
    if ((ret = catalog_edge_trim(p->db, s->name, o->end - p->o->cache_seconds)) < 0)
        goto fail;
    if (strcmp(cs.state, "vod") &&
        (ret = catalog_expire(p->db, s->name, o->end - p->o->window, o->now)) < 0)
        goto fail;
    if ((ret = catalog_guard_put(p->db, s->name, json_object_get(rec, "guard"), o->now)) < 0)
        goto fail;
    cs.next_seq = o->seq + 1;
    if (o->duration > cs.segment_duration)
        cs.segment_duration = o->duration;
    cs.updated = o->now;
    cs.lost = 0; /* the broadcast goes on */
    if ((ret = catalog_stream_put(p->db, &cs)) < 0 ||
        (ret = catalog_pending_done(p->db, s->name, o->seq)) < 0 ||
        (ret = db_commit(p->db)) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(p->db);
    return ret;
}

static int stream_advance(Package *p, Stream *s, int force);

/* Give up the open segment: its .open files go (it is published whole
 * from its renditions record). why: logged when not NULL. */
static void ll_abandon(Stream *s, const char *why)
{
    LlState *ll = s->ll;

    if (!ll || ll->seq < 0)
        return;
    if (why)
        log_info("%s: segment %lld %s: its parts are withdrawn (a segment that comes is"
                 " published whole)", s->name, (long long)ll->seq, why);
    for (int i = 0; i < ll->n; i++) {
        if (ll->r[i].fd >= 0)
            close(ll->r[i].fd);
        if (unlink(ll->r[i].path) < 0 && errno != ENOENT)
            log_warn("%s: cannot remove: %s", ll->r[i].path, strerror(errno));
        cmaf_fragment_free(&ll->r[i].first);
    }
    ll->seq = -1;
    ll->n = 0;
    ll->complete = 0;
}

/* Write all of buf at the end of fd: 0 or AVERROR (the file is cut back
 * to where it was, so that it ends at a chunk boundary). */
static int append_all(int fd, const uint8_t *buf, size_t len, int64_t at)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            if (ftruncate(fd, at) < 0)
                log_warn("cannot cut a growing segment back: %s", strerror(errno));
            return AVERROR(err);
        }
        done += (size_t)n;
    }
    return 0;
}

/* Start the open segment seq of s with the renditions of chunk record
 * rec: every established rendition, and only those. 0, or 1 (not taken:
 * *why). */
static int ll_begin(Package *p, Stream *s, int64_t seq, const json_t *rec, const char **why)
{
    const json_t *arr = json_object_get(rec, "renditions"), *r;
    CatalogRendition *have = NULL;
    CatalogStream cs;
    LlState *ll = s->ll;
    int nhave = 0;
    size_t i;

    if (seq != s->next_seq || s->npend > 0) {
        *why = "is not the next one to publish";
        return 1;
    }
    if (record_int(rec, "broadcast", 0) != s->broadcast) {
        *why = "belongs to another broadcast";
        return 1;
    }
    if (catalog_stream_get(p->db, s->name, &cs) < 0 || strcmp(cs.state, "live") ||
        catalog_rendition_list(p->db, s->name, &have, &nhave) < 0 || nhave == 0) {
        free(have);
        *why = "is the stream's first";
        return 1;
    }
    ll->n = 0;
    json_array_foreach(arr, i, r) {
        const char *id = record_str(r, "id");
        int found = 0;
        for (int k = 0; k < nhave; k++)
            found |= id && !strcmp(have[k].id, id);
        if (!found || !record_path_ok(record_str(r, "path")) || stream_inband(s, id) ||
            ll->n == MAX_RENDITIONS) {
            free(have);
            *why = "has a chunk of a rendition the stream does not have as it is";
            return 1;
        }
        memset(&ll->r[ll->n], 0, sizeof(ll->r[0]));
        ll->r[ll->n].fd = -1;
        snprintf(ll->r[ll->n].id, sizeof(ll->r[0].id), "%s", id);
        memset(&ll->open[ll->n], 0, sizeof(ll->open[0]));
        ll->open[ll->n].seq = seq;
        snprintf(ll->open[ll->n].id, sizeof(ll->open[0].id), "%s", id);
        ll->n++;
    }
    free(have);
    if ((size_t)ll->n != json_array_size(arr) || ll->n != nhave) {
        ll->n = 0;
        *why = "has chunks that lack a rendition";
        return 1;
    }
    ll->seq = seq;
    ll->next_part = 0;
    ll->complete = 0;
    return 0;
}

/* Append chunk record rec's files, one moof+mdat per rendition. 0, 1 when
 * the chunk cannot be taken (*why: the segment is abandoned), or a
 * negative AVERROR (the machine's trouble). */
/* The first chunk of a segment: it must have the codec configuration of
 * the init segment players have; the segment's file is created (as
 * NAME.open while it grows). 0, 1 with *why when the chunk is refused,
 * or a negative AVERROR. */
static int ll_open_segment(Package *p, Stream *s, LlRend *lr, const char *id, const CmafFragment *f,
                           const char **why)
{
    LlState *ll = s->ll;
    char path[4096], file[64];
    uint8_t *init = NULL, *old = NULL;
    size_t init_len = 0, old_len = 0;
    int ret;

    /* the chunks go under the init segment players have */
    if ((ret = manifest_init_file(file, sizeof(file), s->tag, current_init_seq(p, s))) < 0 ||
        (ret = out_path(p, path, sizeof(path), s->name, id, file)) < 0 ||
        (ret = cmaf_write_init(&f->track, &init, &init_len)) < 0 ||
        fs_read_file(path, 1 << 20, (char **)&old, &old_len) < 0 ||
        old_len != init_len || memcmp(old, init, init_len)) {
        free(init);
        free(old);
        *why = "has another codec configuration than the init segment";
        return ret < 0 && ret != AVERROR_INVALIDDATA ? ret : 1;
    }
    free(init);
    free(old);
    if ((ret = manifest_media_file(file, sizeof(file), s->tag, ll->seq)) < 0 ||
        (ret = out_path(p, path, sizeof(path), s->name, id, file)) < 0 ||
        snprintf(lr->path, sizeof(lr->path), "%s.open", path) >= (int)sizeof(lr->path))
        return ret < 0 ? ret : AVERROR(ENAMETOOLONG);
    if ((lr->fd = open(lr->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        ret = AVERROR(errno);
        log_error("%s: cannot create: %s", lr->path, strerror(errno));
        return ret;
    }
    return 0;
}

/* Chunk f (taken over) as part number part of rendition k: appended to
 * the segment's file (its styp only at the start) and described in the
 * open segment's parts. 0 or a negative AVERROR. */
static int ll_write_part(LlState *ll, LlRend *lr, int k, int part, CmafFragment *f)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    uint8_t *buf = NULL;
    size_t len = 0, skip = 0;
    ManifestPart *pt;
    int ret;

    /* moof sequence numbers increase through the stream */
    ret = cmaf_write_segment(f, (uint32_t)(ll->seq * MANIFEST_MAX_PARTS + part + 1), &buf, &len);
    /* a segment's styp only at its start */
    if (ret >= 0 && part > 0 && len >= 8)
        skip = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
    if (ret >= 0 && (skip > len || (ret = append_all(lr->fd, buf + skip, len - skip,
                                                     lr->size)) < 0))
        log_error("%s: cannot append: %s", lr->path,
                  log_averr(ret < 0 ? ret : AVERROR_INVALIDDATA, eb, sizeof(eb)));
    free(buf);
    if (ret < 0 || skip > len) {
        cmaf_fragment_free(&f);
        return ret < 0 ? ret : AVERROR_BUG;
    }
    pt = &ll->open[k].part[part];
    pt->duration = (double)f->duration / f->track.media.timescale;
    pt->offset = lr->size;
    pt->size = (int64_t)(len - skip);
    pt->independent = part == 0 || f->track.media.kind == CMAF_AUDIO;
    ll->open[k].n = part + 1;
    lr->size += (int64_t)(len - skip);
    if (part == 0) {
        lr->first = f;
    } else {
        lr->first->duration += f->duration;
        cmaf_fragment_free(&f);
    }
    return 0;
}

static int ll_append(Package *p, Stream *s, const json_t *rec, const char **why)
{
    const json_t *arr = json_object_get(rec, "renditions"), *r;
    LlState *ll = s->ll;
    double start = record_num(rec, "start", -1), dur = record_num(rec, "duration", -1);
    int part = ll->next_part, ret = 0;
    size_t i;

    if ((size_t)ll->n != json_array_size(arr) || part >= MANIFEST_MAX_PARTS) {
        *why = "has a chunk without every rendition";
        return 1;
    }
    if (start < 0 || dur <= 0 || dur > ll->part_target + 0.0005) {
        *why = "has a chunk longer than the part target";
        return 1;
    }
    json_array_foreach(arr, i, r) {
        const char *id = record_str(r, "id");
        char path[4096], eb[AV_ERROR_MAX_STRING_SIZE];
        CmafFragment *f = NULL;
        LlRend *lr = NULL;
        int k;

        for (k = 0; k < ll->n; k++)
            if (id && !strcmp(ll->r[k].id, id))
                lr = &ll->r[k];
        k = lr ? (int)(lr - ll->r) : -1;
        if (!lr || record_join(path, sizeof(path), p->o->spool, record_str(r, "path")) < 0) {
            *why = "has a chunk of another rendition";
            return 1;
        }
        if ((ret = cmaf_read_chunk(path, start, dur, &f)) < 0) {
            log_warn("%s: %s", path, log_averr(ret, eb, sizeof(eb)));
            *why = "has an unreadable chunk";
            return 1;
        }
        if (part == 0 && (ret = ll_open_segment(p, s, lr, id, f, why)) != 0) {
            cmaf_fragment_free(&f);
            return ret;
        }
        if ((double)f->duration / f->track.media.timescale > ll->part_target + 0.0005) {
            cmaf_fragment_free(&f);
            *why = "has a chunk longer than the part target";
            return 1;
        }
        if ((ret = ll_write_part(ll, lr, k, part, f)) < 0)
            return ret;
    }
    ll->next_part = part + 1;
    ll->complete = record_bool(rec, "last");
    return 0;
}

/* A chunk record (low latency): appended to the open segment, and the
 * playlists rewritten; anything else about it is dropped (the segment
 * is then published whole). */
static int take_chunk(Package *p, json_t *rec)
{
    const char *name = record_str(rec, "stream"), *why = NULL;
    int64_t seq = record_int(rec, "seq", -1), part = record_int(rec, "part", -1);
    Stream *s;
    LlState *ll;
    int ret;

    if (!p->o->low_latency || p->o->vod || !(s = stream_get(p, name))) {
        remove_spool(p, rec);
        return 0;
    }
    if (!s->ll && !(s->ll = calloc(1, sizeof(*s->ll))))
        return AVERROR(ENOMEM);
    ll = s->ll;
    if (!ll->part_target)
        ll->seq = -1;
    /* what came before it is published first */
    if ((ret = stream_advance(p, s, 0)) < 0)
        return ret;
    if (part == 0) {
        ll_abandon(s, ll->seq == seq ? "started again" : "was left unfinished");
        if (!ll->part_target) {
            Manifest m;
            if (catalog_manifest_load(p->db, s->name, &m) == 0) {
                ll_part_target(p, ll, &m);
                manifest_free(&m);
            }
        }
        if (!ll->part_target || ll_begin(p, s, seq, rec, &why) == 1) {
            log_debug("%s: segment %lld %s: published whole", s->name, (long long)seq,
                      why ? why : "has no part target yet");
            ll->n = 0;
            remove_spool(p, rec);
            return 0;
        }
    } else if (ll->seq != seq || part != ll->next_part || ll->complete) {
        if (ll->seq == seq)
            ll_abandon(s, "lost a chunk");
        remove_spool(p, rec);
        return 0;
    }
    ret = ll_append(p, s, rec, &why);
    remove_spool(p, rec);
    if (ret == 1) {
        ll_abandon(s, why);
        return write_manifests(p, s->name);
    }
    if (ret < 0) {
        ll_abandon(s, NULL);
        return ret;
    }
    log_debug("%s: segment %lld: part %lld appended", s->name, (long long)seq, (long long)part);
    return write_manifests(p, s->name);
}

/* Step 1 of a segment whose chunks were all appended: each .open file
 * fsynced and renamed to its final name; o gets the fragments' timing and
 * the bytes (for the live-edge cache). 0, 1 when the open segment does
 * not match the record (published whole), or a negative AVERROR. */
static int ll_finish(Package *p, Stream *s, Outgoing *o)
{
    LlState *ll = s->ll;
    char final[4096], eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (!ll || ll->seq != o->seq || !ll->complete || ll->n != o->n)
        return 1;
    /* the chunks went under the init segments the stream has */
    o->init_seq = current_init_seq(p, s);
    o->new_init = 0;
    for (int i = 0; i < o->n; i++) {
        int found = 0;
        for (int k = 0; k < ll->n; k++)
            found |= !strcmp(ll->r[k].id, o->in[i].id);
        if (!found)
            return 1;
    }
    for (int i = 0; i < o->n; i++) {
        LlRend *lr = NULL;
        char *bytes = NULL;
        size_t len = 0;
        for (int k = 0; k < ll->n; k++)
            if (!strcmp(ll->r[k].id, o->in[i].id))
                lr = &ll->r[k];
        if (!lr || strlen(lr->path) < 5)
            return AVERROR_BUG;
        snprintf(final, sizeof(final), "%.*s", (int)strlen(lr->path) - 5, lr->path);
        if (fsync(lr->fd) < 0 || rename(lr->path, final) < 0) {
            ret = AVERROR(errno);
            log_error("%s: cannot publish: %s", final, log_averr(ret, eb, sizeof(eb)));
            return ret;
        }
        close(lr->fd);
        lr->fd = -1;
        snprintf(lr->path, sizeof(lr->path), "%s", final);   /* renamed */
        if ((ret = fs_read_file(final, 1 << 30, &bytes, &len)) < 0)
            return ret;
        o->seg[i] = (uint8_t *)bytes;
        o->seg_len[i] = len;
        o->frag[i] = lr->first;
        lr->first = NULL;
    }
    /* the parts stay listed with the segment for a while */
    for (int k = 0; k < ll->n; k++) {
        int at = ll->nhist;
        for (int h = 0; h < ll->nhist; h++)
            if (ll->hist[h].seq <= o->seq - LL_HISTORY) {
                at = h;
                break;
            }
        if (at == ll->nhist && ll->nhist < LL_HISTORY * MAX_RENDITIONS)
            ll->nhist++;
        if (at < ll->nhist)
            ll->hist[at] = ll->open[k];
    }
    ll->seq = -1;
    ll->n = 0;
    ll->complete = 0;
    return 0;
}

/* After a restart: the growing segments of the run before are dropped
 * (their segments are published whole). */
static void ll_clean_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d)
        return;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        char path[4096];
        if (n < 6 || strcmp(de->d_name + n - 5, ".open") ||
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
            continue;
        unlink(path);
    }
    closedir(d);
}

/* Publish one segment in the four steps of package.h, or as a gap when
 * its record or files are bad. */
static int publish_segment(Package *p, Stream *s, int64_t seq, const json_t *rec)
{
    Outgoing o = {
        .seq = seq,
        .start = record_num(rec, "start", -1),
        .duration = record_num(rec, "duration", -1),
        .now = clock_real(),
    };
    const char *why = NULL;
    int ret;

    if (record_bool(rec, "failed")) {
        const char *err = record_str(rec, "error");
        char buf[512];
        snprintf(buf, sizeof(buf), "failed upstream (%s)", err ? err : "no reason given");
        remove_spool(p, rec);
        return publish_gap(p, s, seq, buf);
    }
    if (o.start < 0 || o.duration <= 0 || !isfinite(o.start) || !isfinite(o.duration)) {
        p->bad = 1;
        return publish_gap(p, s, seq, "has no valid start and duration");
    }
    if ((ret = pick_renditions(p, s->name, rec, o.in, &o.n, &why)) < 0) {
        if (ret != AVERROR_INVALIDDATA)
            return ret;
        p->bad = 1;
        return publish_gap(p, s, seq, why);
    }
    o.end = o.start + o.duration;

    /* 1. read and write the files (or publish the growing ones, low
     * latency), 2. the database */
    ret = p->o->low_latency ? ll_finish(p, s, &o) : 1;
    if (ret < 0) {
        ll_abandon(s, NULL);
        goto end;
    }
    if (ret == 1) {
        ll_abandon(s, s->ll && s->ll->seq == seq ? "lacks chunks" : NULL);
        if ((ret = read_renditions(p, &o, &why)) == 1) {
            p->bad = 1;
            ret = publish_gap(p, s, seq, why);
            goto end;
        }
        if (ret < 0 || (ret = write_segment_files(p, s, &o)) < 0)
            goto end;
    }
    if ((ret = index_segment(p, s, &o, rec)) < 0)
        goto end;
    s->next_seq = seq + 1;

    /* 3. manifests, 4. spool */
    if ((ret = write_manifests(p, s->name)) < 0)
        goto end;
    log_debug("%s: published segment %lld (%.3f s at %.3f)", s->name, (long long)seq,
              o.duration, o.start);
    log_progress("%s: segment %lld published, %.1f s of media", s->name, (long long)seq, o.end);
    remove_spool(p, rec);
    ret = catalog_pending_delete(p->db, s->name, seq);
end:
    outgoing_free(&o);
    return ret;
}

static int finalize(Package *p, Stream *s)
{
    CatalogStream cs;
    CatalogRendition *rl = NULL;
    int ret, nr = 0;

    s->finished = 1;
    ll_abandon(s, "was not finished when the stream ended");
    if ((ret = db_begin(p->db)) < 0)
        return ret;
    if ((ret = catalog_stream_get(p->db, s->name, &cs)) < 0) {
        db_rollback(p->db);
        if (s->end_error[0]) {
            /* the input failed before its first segment: an unsupported
             * codec, not media, ... */
            log_error("%s: nothing published: %s", s->name, s->end_error);
            p->bad = 1;
            if ((ret = catalog_unpublished_put(p->db, s->name, NULL, s->end_error,
                                               clock_real())) < 0)
                return ret;
        } else {
            log_info("%s: ended without segments", s->name);
        }
        return catalog_pending_delete(p->db, s->name, s->next_seq) < 0 ? AVERROR_EXTERNAL : 0;
    }
    if ((ret = catalog_rendition_list(p->db, s->name, &rl, &nr)) < 0) {
        db_rollback(p->db);
        return ret;
    }
    free(rl);
    snprintf(cs.state, sizeof(cs.state), "vod");
    cs.updated = clock_real();
    if (nr == 0)
        ret = catalog_unpublished_put(p->db, s->name, NULL,
                                      s->why[0] ? s->why : s->end_error[0] ? s->end_error
                                      : "no segment could be published", cs.updated);
    else
        ret = catalog_unpublished_clear(p->db, s->name);
    if (ret < 0 ||
        (ret = catalog_stream_put(p->db, &cs)) < 0 ||
        (ret = catalog_pending_delete(p->db, s->name, s->next_seq)) < 0 ||
        (ret = db_commit(p->db)) < 0) {
        db_rollback(p->db);
        return ret;
    }
    if (nr == 0) {
        /* only gaps: no manifest, and live-serve does not list it */
        log_error("%s: ended with none of its %lld segments published; nothing to watch%s%s",
                  s->name, (long long)cs.next_seq, s->why[0] ? ": " : "", s->why);
        p->bad = 1;
        return 0;
    }
    log_info("%s: finished: %lld segments, now video on demand", s->name,
             (long long)cs.next_seq);
    return write_manifests(p, s->name);
}

/* A "lost" end record at the head: the stream stays live (its broadcast
 * goes on when the publisher is back, live-pipe(5)); it is only marked,
 * so that --end-timeout finishes it if nothing comes. */
static int mark_lost(Package *p, Stream *s)
{
    CatalogStream cs = { 0 };
    int ret = catalog_stream_get(p->db, s->name, &cs);

    if (ret >= 0 || ret == AVERROR(ENOENT))
        ret = catalog_pending_delete(p->db, s->name, s->next_seq);
    if (ret < 0 || cs.state[0] == '\0' || !strcmp(cs.state, "vod"))
        return ret == AVERROR(ENOENT) ? 0 : ret;
    cs.lost = clock_real();
    if ((ret = catalog_stream_put(p->db, &cs)) < 0)
        return ret;
    log_info("%s: the publisher is gone (its input was cut after segment %lld); the stream"
             " stays live, for %g s at most, for it to come back", s->name,
             (long long)s->next_seq - 1, p->o->end_timeout);
    return 0;
}

/* Publish what can be published; force: the input has ended, so missing
 * segments will not come. */
static int stream_advance(Package *p, Stream *s, int force)
{
    int ret;

    while (s->npend > 0) {
        Pending *h = &s->pend[0];
        const char *type = record_str(h->rec, "type");
        if (h->seq < s->next_seq) {
            stream_pop(s);
            continue;
        }
        if (h->seq == s->next_seq) {
            if (lost_end(h->rec)) {
                ret = mark_lost(p, s);
            } else if (!strcmp(type, "end")) {
                const char *err = record_str(h->rec, "error");
                snprintf(s->end_error, sizeof(s->end_error), "%s", err ? err : "");
                ret = finalize(p, s);
            } else {
                ret = publish_segment(p, s, h->seq, h->rec);
            }
            stream_pop(s);
            s->wait_since = 0;
            if (ret < 0)
                return ret;
            continue;
        }
        if (s->wait_since == 0)
            s->wait_since = clock_real();
        long gaps = package_gaps_due(s->next_seq, h->seq, clock_real() - s->wait_since,
                                     p->o->timeout, force);
        if (gaps == 0)
            return 0;
        for (long i = 0; i < gaps; i++) {
            char why[64];
            if (force)
                snprintf(why, sizeof(why), "never arrived before the input ended");
            else
                snprintf(why, sizeof(why), "did not arrive within %g s", p->o->timeout);
            if ((ret = publish_gap(p, s, s->next_seq, why)) < 0)
                return ret;
        }
        s->wait_since = 0;
    }
    s->wait_since = 0;
    return 0;
}

/* The tag of a new presentation's media file names: none for the first
 * one under OUT/NAME/, the broadcast id once anything is there (an
 * earlier broadcast's media stay, and no URL may name other bytes). */
static void choose_tag(Package *p, Stream *s)
{
    char path[4096];
    struct stat st;

    s->tag[0] = '\0';
    if (out_path(p, path, sizeof(path), s->name, NULL, "") == 0 && stat(path, &st) == 0)
        snprintf(s->tag, sizeof(s->tag), "%lld",
                 (long long)(s->broadcast > 0 ? s->broadcast : llround(clock_real() * 1000)));
}

/* Records of broadcast b refused because another broadcast holds the
 * name: bad input, and a row of the unpublished table (kind name_clash)
 * under NAME@b (NAME@0 when the records name no broadcast), which
 * live-serve's /metrics shows with the name. */
static void name_clash(Package *p, const Stream *s, int64_t b, const char *why)
{
    char name[RECORD_PRESENTATION_MAX + 1];

    p->bad = 1;
    snprintf(name, sizeof(name), "%s@%lld", s->name, (long long)(b > 0 ? b : 0));
    if (catalog_unpublished_put(p->db, name, "name_clash", why, clock_real()) < 0)
        log_warn("%s: the name clash could not be recorded in the database", name);
}

/* A record of a new broadcast under the name of a presentation that has
 * published (cs): that presentation is finished (what it still waits for
 * is given up), renamed NAME@ID in the database, with manifests of its
 * own under OUT/NAME@ID/ that name its media where they are, and the
 * stream starts over as broadcast b. */
static int begin_broadcast(Package *p, Stream *s, const CatalogStream *cs, int64_t b)
{
    char archive[RECORD_MAX_NAME + 32];
    CatalogStream other;
    CatalogRendition *rl = NULL;
    int ret, nr = 0;

    if ((ret = stream_advance(p, s, 1)) < 0)
        return ret;
    if (strcmp(cs->state, "vod")) {
        log_warn("%s: a new broadcast began before the one before it ended; that one is"
                 " finished now", s->name);
        if ((ret = finalize(p, s)) < 0)
            return ret;
    }
    snprintf(archive, sizeof(archive), "%s@%lld", s->name,
             (long long)(cs->broadcast > 0 ? cs->broadcast
                                           : llround(cs->availability_start * 1000)));
    if ((ret = catalog_stream_get(p->db, archive, &other)) != AVERROR(ENOENT)) {
        if (ret == 0) {
            log_error("%s: cannot keep the finished broadcast as %s: that name is taken",
                      s->name, archive);
            name_clash(p, s, b, "the finished broadcast's archive name is taken");
            ret = AVERROR_EXTERNAL;
        }
        return ret;
    }
    if ((ret = db_begin(p->db)) < 0)
        return ret;
    if ((ret = catalog_archive(p->db, s->name, archive)) < 0 ||
        (ret = db_commit(p->db)) < 0) {
        db_rollback(p->db);
        return ret;
    }
    if ((ret = catalog_rendition_list(p->db, archive, &rl, &nr)) < 0)
        return ret;
    free(rl);
    if (nr > 0 && (ret = write_manifests(p, archive)) < 0)
        return ret;
    log_info("%s: a new broadcast; the one before is video on demand as %s", s->name, archive);
    s->next_seq = 0;
    s->broadcast = b;
    s->finished = 0;
    s->wait_since = 0;
    choose_tag(p, s);
    return 0;
}

/* Which presentation a record belongs to (its "broadcast" against the
 * stream's): 0 to take it, 1 when it was refused (logged; bad input when
 * it came from the input), or a negative AVERROR. */
static int check_broadcast(Package *p, Stream *s, const json_t *rec, int from_db)
{
    int64_t b = record_int(rec, "broadcast", 0), seq = record_int(rec, "seq", -1);
    CatalogStream cs;
    int ret = catalog_stream_get(p->db, s->name, &cs);

    if (ret == AVERROR(ENOENT)) {
        /* nothing published yet: the first record's broadcast is the one */
        if (b > s->broadcast && s->npend > 0)
            log_warn("%s: a new broadcast began before the one before it published anything;"
                     " %d of its records dropped", s->name, s->npend);
        if (b > s->broadcast || (!s->npend && b != s->broadcast)) {
            while (s->npend) {
                catalog_pending_delete(p->db, s->name, s->pend[0].seq);
                stream_pop(s);
            }
            s->broadcast = b;
            s->next_seq = 0;
            choose_tag(p, s);
        } else if (b != s->broadcast) {
            goto earlier;
        }
        return 0;
    }
    if (ret < 0)
        return ret;
    if (b > cs.broadcast)
        return begin_broadcast(p, s, &cs, b);
    if (b < cs.broadcast)
        goto earlier;
    if (!b && !from_db && !strcmp(cs.state, "vod") && !p->o->vod && seq < cs.next_seq) {
        log_error("%s: segment %lld: the stream is finished, and the record says no new"
                  " broadcast (no \"broadcast\" id, live-pipe(5)); refused", s->name,
                  (long long)seq);
        name_clash(p, s, 0, "the name is finished and the records name no new broadcast");
        return 1;
    }
    return 0;
earlier:
    if (from_db) {
        remove_spool(p, rec);
        catalog_pending_delete(p->db, s->name, seq);
    } else {
        log_error("%s: segment %lld belongs to broadcast %lld, older than the stream's %lld;"
                  " refused", s->name, (long long)seq, (long long)b, (long long)s->broadcast);
        name_clash(p, s, b, "the broadcast is older than the one that holds the name");
    }
    return 1;
}

/* A record from the input (or from the database after a restart). */
static int take_record(Package *p, json_t *rec, int from_db)
{
    const char *type = record_str(rec, "type"), *name = record_str(rec, "stream");
    int64_t seq = record_int(rec, "seq", -1);
    Stream *s;
    int ret;

    if (strcmp(type, "renditions") && strcmp(type, "end")) {
        log_debug("%s: skipping a %s record", name, type);
        if (!strcmp(type, "chunk") && !from_db)
            return take_chunk(p, rec);
        return 0;
    }
    if (!(s = stream_get(p, name)))
        return AVERROR(ENOMEM);
    if ((ret = check_broadcast(p, s, rec, from_db)) != 0)
        return ret < 0 ? ret : 0;
    if (seq < s->next_seq) {
        log_warn("%s: segment %lld was published already; record ignored", name,
                 (long long)seq);
        if (from_db) {
            remove_spool(p, rec);
            catalog_pending_delete(p->db, name, seq);
        }
        return 0;
    }
    if (seq - s->next_seq > PACKAGE_MAX_SEQ_JUMP) {
        /* one gap row per missing number would never end */
        log_error("%s: segment %lld is more than %d after the next one (%lld); record refused",
                  name, (long long)seq, PACKAGE_MAX_SEQ_JUMP, (long long)s->next_seq);
        atomic_store(&p->bad, 1);
        if (from_db)
            catalog_pending_delete(p->db, name, seq);
        return 0;
    }
    if (!from_db) {
        char *text = json_dumps(rec, JSON_COMPACT);
        if (!text)
            return AVERROR(ENOMEM);
        ret = catalog_pending_put(p->db, name, seq, text, clock_real());
        free(text);
        if (ret < 0)
            return ret;
    }
    if ((ret = stream_add(s, seq, rec)) == 1)
        log_warn("%s: segment %lld arrived twice; second record ignored", name, (long long)seq);
    return ret < 0 ? ret : 0;
}

static int restore_pending(void *opaque, const char *stream, int64_t seq, const char *text,
                           int done)
{
    Package *p = opaque;
    json_error_t jerr;
    json_t *rec = json_loads(text, 0, &jerr);
    const char *why;
    int ret = 0;

    (void)done;
    if (!rec || record_validate(rec, &why) < 0) {
        log_warn("%s: pending record %lld unreadable; dropped", stream, (long long)seq);
        json_decref(rec);
        return catalog_pending_delete(p->db, stream, seq);
    }
    ret = take_record(p, rec, 1);
    json_decref(rec);
    return ret;
}

/* Delete the files of segments that left the window more than the grace
 * period ago, then their rows. */
static int housekeeping(Package *p)
{
    CatalogStream *list = NULL;
    double now = clock_real();
    int n = 0, ret;

    p->last_housekeeping = now;
    if ((ret = catalog_stream_list(p->db, &list, &n)) < 0)
        return ret;
    for (int i = 0; i < n && ret >= 0; i++) {
        Stream *s;
        if (p->o->vod || strcmp(list[i].state, "live") || list[i].lost <= 0 ||
            now - list[i].lost < p->o->end_timeout)
            continue;
        if (!(s = stream_get(p, list[i].name)))
            ret = AVERROR(ENOMEM);
        else if (!s->npend) {
            log_info("%s: the publisher did not come back within %g s: the stream is finished",
                     s->name, p->o->end_timeout);
            ret = finalize(p, s);
        }
    }
    for (int i = 0; i < n && ret >= 0; i++) {
        CatalogRendition *rl = NULL;
        int64_t *seqs = NULL;
        int nr = 0, ns = 0;
        if ((ret = catalog_expired(p->db, list[i].name, now - p->o->grace, &seqs, &ns)) < 0 ||
            ns == 0 || (ret = catalog_rendition_list(p->db, list[i].name, &rl, &nr)) < 0) {
            free(seqs);
            continue;
        }
        for (int k = 0; k < ns; k++) {
            const char *dir = list[i].dir[0] ? list[i].dir : list[i].name;
            char path[4096], file[64];
            manifest_media_file(file, sizeof(file), list[i].tag, seqs[k]);
            for (int j = 0; j < nr; j++)
                if (out_path(p, path, sizeof(path), dir, rl[j].id, file) == 0 &&
                    unlink(path) < 0 && errno != ENOENT)
                    log_warn("%s: cannot remove: %s", path, strerror(errno));
        }
        if ((ret = db_begin(p->db)) >= 0) {
            for (int k = 0; k < ns && ret >= 0; k++)
                ret = catalog_segment_delete(p->db, list[i].name, seqs[k]);
            if (ret >= 0)
                ret = db_commit(p->db);
            if (ret < 0)
                db_rollback(p->db);
        }
        log_debug("%s: removed %d segments that left the window", list[i].name, ns);
        free(seqs);
        free(rl);
    }
    free(list);
    return ret;
}

/* After a restart: leftover temporary files go, manifests are rewritten
 * from the database (a crash may have come between commit and rename). */
static int recover(Package *p)
{
    CatalogStream *list = NULL;
    int n = 0, ret;

    if ((ret = catalog_stream_list(p->db, &list, &n)) < 0)
        return ret;
    for (int i = 0; i < n && ret >= 0; i++) {
        CatalogRendition *rl = NULL;
        char path[4096];
        int nr = 0;
        if (out_path(p, path, sizeof(path), list[i].name, NULL, "") == 0)
            fs_clean_tmp(path);
        if (catalog_rendition_list(p->db, list[i].name, &rl, &nr) == 0)
            for (int j = 0; j < nr; j++)
                if (out_path(p, path, sizeof(path), list[i].name, rl[j].id, "") == 0) {
                    fs_clean_tmp(path);
                    ll_clean_dir(path);
                }
        free(rl);
        if (nr > 0)
            ret = write_manifests(p, list[i].name);
    }
    free(list);
    return ret;
}

/* The earliest reorder deadline, or 0 for none. */
static double next_deadline(const Package *p)
{
    double d = 0;
    for (int i = 0; i < p->nstreams; i++) {
        const Stream *s = &p->streams[i];
        if (s->wait_since > 0 && (d == 0 || s->wait_since + p->o->timeout < d))
            d = s->wait_since + p->o->timeout;
    }
    return d;
}

/* Open the input, the output tree and the database, pick up what a
 * previous run left (recover, the reorder buffer) and publish what can
 * be published now. */
static int package_open(Package *p)
{
    const PackageOptions *o = p->o;
    int ret;

    if (!strcmp(o->input, "-"))
        p->in = stdin;
    else if (!(p->in = fopen(o->input, "r"))) {
        log_error("%s: %s", o->input, strerror(errno));
        return AVERROR(errno);
    }
    if ((ret = fs_mkdirs(o->out, 0755)) < 0) {
        log_error("%s: cannot create the output directory", o->out);
        return ret;
    }
    /* synchronous=OFF for this connection: the files are not fsynced
     * either; a kill at any point is safe (the kernel has every write),
     * only a power loss could lose the last segments, and a checkpoint's
     * fsyncs would stall publishing on a busy disk. */
    if ((ret = db_open(o->db_path, 0, &p->db)) < 0 ||
        (ret = db_exec(p->db, "PRAGMA synchronous=OFF")) < 0 || (ret = catalog_init(p->db)) < 0 ||
        (ret = recover(p)) < 0 || (ret = catalog_pending_each(p->db, restore_pending, p)) < 0)
        return ret;
    for (int i = 0; i < p->nstreams && ret >= 0; i++)
        ret = stream_advance(p, &p->streams[i], 0);
    if (ret < 0 || (ret = housekeeping(p)) < 0)
        return ret;
    return 0;
}

/* Wait for the reader's records (at most until the next deadline or a
 * second) and take them: the batch (free it and its records), its count
 * in *n, and in *eof whether the input has ended with nothing left. */
static json_t **take_queue(Package *p, int *n, int *eof)
{
    json_t **batch;

    pthread_mutex_lock(&p->mu);
    while (p->qlen == 0 && !p->eof) {
        double now = clock_real(), d = next_deadline(p), wake = now + 1.0;
        struct timespec ts;
        if (d > 0 && d < wake)
            wake = d + 0.001;
        if (wake <= now)
            break;
        ts.tv_sec = (time_t)wake;
        ts.tv_nsec = (long)((wake - (double)ts.tv_sec) * 1e9);
        if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT)
            break;
    }
    batch = p->queue;
    *n = p->qlen;
    *eof = p->eof && p->qlen == 0;
    p->queue = NULL;
    p->qlen = p->qcap = 0;
    pthread_mutex_unlock(&p->mu);
    return batch;
}

/* Publish as records come, until end of input or a failure. */
static int publish_loop(Package *p)
{
    int ret = 0;

    for (;;) {
        int nbatch, eof;
        json_t **batch = take_queue(p, &nbatch, &eof);

        for (int i = 0; i < nbatch; i++) {
            if (ret >= 0)
                ret = take_record(p, batch[i], 0);
            json_decref(batch[i]);
        }
        free(batch);
        if (ret < 0)
            return ret;
        for (int i = 0; i < p->nstreams && ret >= 0; i++)
            ret = stream_advance(p, &p->streams[i], 0);
        if (ret >= 0 && clock_real() - p->last_housekeeping >= 1.0)
            ret = housekeeping(p);
        if (ret < 0 || eof)
            return ret;
    }
}

/* End of input: streams that ended (or everything with --vod) give up
 * what is missing and are finalized; the others keep it for the next run. */
static int finish_streams(Package *p)
{
    int ret = 0;

    for (int i = 0; i < p->nstreams && ret >= 0; i++) {
        Stream *s = &p->streams[i];
        int ended = p->o->vod;
        for (int k = 0; k < s->npend; k++)
            ended |= !strcmp(record_str(s->pend[k].rec, "type"), "end");
        if (!ended) {
            if (s->npend)
                log_warn("%s: input ended with %d segments waiting for %lld; kept for"
                         " the next run", s->name, s->npend, (long long)s->next_seq);
            continue;
        }
        ret = stream_advance(p, s, 1);
        if (ret >= 0 && p->o->vod && !s->finished)
            ret = finalize(p, s);
    }
    return ret;
}

static void package_free(Package *p)
{
    for (int i = 0; i < p->qlen; i++)
        json_decref(p->queue[i]);
    free(p->queue);
    for (int i = 0; i < p->nstreams; i++) {
        while (p->streams[i].npend)
            stream_pop(&p->streams[i]);
        free(p->streams[i].pend);
        ll_abandon(&p->streams[i], NULL);
        free(p->streams[i].ll);
    }
    free(p->streams);
    db_close(&p->db);
    if (p->in && p->in != stdin)
        fclose(p->in);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

int package_run(const PackageOptions *o)
{
    Package *p = calloc(1, sizeof(*p));
    pthread_t th;
    int started = 0, reading, ret;

    if (!p)
        return AVERROR(ENOMEM);
    p->o = o;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if ((ret = package_open(p)) < 0)
        goto end;
    if ((ret = pthread_create(&th, NULL, reader_main, p)) != 0) {
        ret = AVERROR(ret);
        goto end;
    }
    started = 1;
    if ((ret = publish_loop(p)) >= 0)
        ret = finish_streams(p);
    log_progress_end();
    if (ret >= 0)
        ret = housekeeping(p);
    if (ret >= 0 && p->read_err < 0) {
        char eb[AV_ERROR_MAX_STRING_SIZE];
        log_error("%s: read error: %s", o->input, log_averr(p->read_err, eb, sizeof(eb)));
        ret = p->read_err;
    }
    if (ret >= 0 && atomic_load(&p->bad))
        ret = AVERROR_INVALIDDATA;
end:
    if (started) {
        pthread_mutex_lock(&p->mu);
        reading = !p->eof;
        pthread_mutex_unlock(&p->mu);
        if (reading) {
            /* Failed with the reader still blocked in a read: leave it
             * (and what it touches) to the process exit. */
            pthread_detach(th);
            db_close(&p->db);
            return ret;
        }
        pthread_join(th, NULL);
    }
    package_free(p);
    return ret;
}
