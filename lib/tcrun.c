/*
 * tcrun.c: live-transcode's loop over records: read, transcode in
 * parallel, write in order, clean the spool, show progress. See tcrun.h.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

#include <libavutil/error.h>

#include "clock.h"
#include "jobs.h"
#include "log.h"
#include "record.h"
#include "tcrun.h"

typedef struct Item {
    json_t *in;
    json_t *out;           /* renditions record, or NULL for a passed-on record */
    int ret;
    double media;          /* seconds of media in the segment */
} Item;

typedef struct Run {
    const TcrunOptions *o;
    FILE *out;
    atomic_int gone;       /* the reader of out went away */
    int bad;               /* touched by the emitter only, read after it stopped */
    int failure;           /* the first runtime failure (AVERROR), likewise */
    long done;
    double media;
    double t0;
} Run;

int tcrun_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

static void work(void *arg, void *ctx)
{
    Item *it = arg;
    Run *run = ctx;

    if (atomic_load(&run->gone)) {
        it->ret = AVERROR(EPIPE);
        return;
    }
    it->ret = transcode_segment(&run->o->t, it->in, &it->out);
}

static void done(void *arg, void *ctx)
{
    Item *it = arg;
    Run *run = ctx;
    const json_t *rec = it->out ? it->out : it->in;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (it->ret == AVERROR_INVALIDDATA)
        run->bad = 1;
    else if (it->ret < 0 && it->ret != AVERROR(EPIPE) && !run->failure)
        run->failure = it->ret;
    if (!atomic_load(&run->gone) && rec) {
        ret = record_write(run->out, rec);
        if (ret == AVERROR(EPIPE)) {
            log_warn("standard output closed: stopping");
            atomic_store(&run->gone, 1);
        } else if (ret < 0) {
            log_error("writing a record: %s", log_averr(ret, eb, sizeof(eb)));
            atomic_store(&run->gone, 1);
            if (!run->failure)
                run->failure = ret;
        } else if (it->out && it->ret == 0 && !run->o->keep) {
            char path[PATH_MAX];
            if (record_join(path, sizeof(path), run->o->t.spool,
                            record_str(it->in, "path")) == 0 && unlink(path) < 0)
                log_warn("%s: cannot remove: %s", path, strerror(errno));
        }
    }
    if (it->out) {
        double wall = clock_mono() - run->t0;
        run->done++;
        run->media += it->media;
        log_progress("%ld segments done, %.1f s of media, %.2fx realtime", run->done,
                     run->media, wall > 0 ? run->media / wall : 0);
    }
    json_decref(it->in);
    json_decref(it->out);
    free(it);
}

/* A part record (live-segment --low-latency) that this stage, working in
 * whole segments, skips: its file is removed as a transcoded segment's
 * is (unless --keep), so that the spool does not fill up with parts. */
static void drop_part(const TcrunOptions *o, const json_t *rec)
{
    const char *rel = record_str(rec, "path");
    char path[PATH_MAX];

    if (o->keep || !rel || !record_path_ok(rel) ||
        record_join(path, sizeof(path), o->t.spool, rel) < 0)
        return;
    if (unlink(path) < 0 && errno != ENOENT)
        log_warn("%s: cannot remove: %s", path, strerror(errno));
}

/* A runtime failure's code, kept apart from "bad input" for the caller. */
static int not_bad_input(int err)
{
    return err == AVERROR_INVALIDDATA ? AVERROR_EXTERNAL : err;
}

int tcrun(const TcrunOptions *o, FILE *in, const char *name, FILE *out)
{
    Run run = { .o = o, .out = out, .t0 = clock_mono() };
    RecordReader *rr = record_reader_new(in, name);
    Jobs *jobs = NULL;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret, bad_records = 0, failure = 0;

    if (!rr)
        return AVERROR(ENOMEM);
    if ((ret = jobs_new(&jobs, o->jobs, 2 * o->jobs + 2, work, done, &run)) < 0) {
        record_reader_free(&rr);
        log_error("starting workers: %s", log_averr(ret, eb, sizeof(eb)));
        return ret;
    }
    while (!atomic_load(&run.gone)) {
        json_t *rec;
        const char *type;
        Item *it;
        int is_seg;

        ret = record_read(rr, &rec);
        if (ret == AVERROR_EOF)
            break;
        if (ret == AVERROR_INVALIDDATA) {
            bad_records = 1;
            continue;
        }
        if (ret < 0) {
            log_error("%s: %s", name, log_averr(ret, eb, sizeof(eb)));
            failure = ret;
            break;
        }
        type = record_str(rec, "type");
        is_seg = !strcmp(type, "segment");
        if (!is_seg && strcmp(type, "end")) {
            log_debug("%s:%ld: skipping a \"%s\" record", name, record_reader_line(rr), type);
            if (!strcmp(type, "part"))
                drop_part(o, rec);
            json_decref(rec);
            continue;
        }
        if (!(it = calloc(1, sizeof(*it)))) {
            json_decref(rec);
            failure = AVERROR(ENOMEM);
            break;
        }
        it->in = rec;
        it->media = is_seg ? record_num(rec, "duration", 0) : 0;
        if ((ret = jobs_submit(jobs, it, is_seg)) < 0) {
            json_decref(rec);
            free(it);
            failure = ret;
            break;
        }
    }
    jobs_free(&jobs);
    log_progress_end();
    record_reader_free(&rr);
    if (failure || run.failure)
        return not_bad_input(failure ? failure : run.failure);
    if (bad_records || run.bad)
        return AVERROR_INVALIDDATA;
    return 0;
}
