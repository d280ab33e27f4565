/*
 * tcrun.c: live-transcode's loop over records: read, transcode in
 * parallel, write in order, clean the spool, show progress. See tcrun.h.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

#include <libavutil/error.h>

#include "clock.h"
#include "guard.h"
#include "jobs.h"
#include "lltc.h"
#include "log.h"
#include "record.h"
#include "tcrun.h"

typedef struct Item {
    json_t *in;
    json_t *out;           /* renditions record, or NULL for a passed-on record */
    int ret;
    double media;          /* seconds of media in the segment */
    TranscodeSteps steps;  /* what the segment was given (work) */
    int level;             /* the guard's level then */
    const void *key;       /* its stream's state (NULL: none), for the CPU accounts */
    /* what it cost: the run's CPU share account and the process's CPU
     * time and the wall clock at its start; then its CPU seconds, the
     * cores the process had meanwhile, and whether it ran beside
     * segments of another stream or level */
    double share0, cpu0, t0;
    double cpu, cores;
    int mixed;
} Item;

/* What live-transcode keeps per stream: the passthrough choice made on
 * its first segment (so a rung does not alternate between the source's
 * parameter sets and the encoder's), and the load guard. */
typedef struct StreamState {
    char name[RECORD_MAX_NAME + 1];
    int pass;              /* 0: not decided yet; 1: pass the source rung; -1: encode it */
    Guard guard;
    atomic_int shed;       /* rungs the guard's level leaves out now: segments
                            * in flight read it (TranscodeSteps.shed) */
} StreamState;

#define TCRUN_MAX_STREAMS 256
#define TCRUN_MAX_JOBS 64

typedef struct Run {
    const TcrunOptions *o;
    FILE *out;
    atomic_int gone;       /* the reader of out went away */
    int bad;               /* touched by the emitter only, read after it stopped */
    int failure;           /* the first runtime failure (AVERROR), likewise */
    long done;
    double media;
    double t0;
    pthread_mutex_t lock;  /* streams: read by workers, updated by the emitter */
    StreamState *streams;
    int nstreams;
    /* CPU accounts, under lock: the process's CPU time is shared equally
     * among the segments in flight (fly) between two of their starts
     * and ends; share sums those shares, so a segment's CPU seconds are
     * its change over the segment's life */
    double share, cpu_at;
    Item *fly[TCRUN_MAX_JOBS];
    int nfly;
} Run;

int tcrun_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* The state of stream name, made on first use; NULL when the table is
 * full (that stream then gets neither stickiness nor guard). Under lock. */
static StreamState *stream_state(Run *run, const char *name)
{
    StreamState *st;
    int i;

    if (!name)
        return NULL;
    for (i = 0; i < run->nstreams; i++)
        if (!strcmp(run->streams[i].name, name))
            return &run->streams[i];
    if (run->nstreams == TCRUN_MAX_STREAMS)
        return NULL;
    st = &run->streams[run->nstreams++];
    memset(st, 0, sizeof(*st));
    atomic_init(&st->shed, 0);
    snprintf(st->name, sizeof(st->name), "%s", name);
    guard_init(&st->guard, run->o->max_lag, run->o->jobs);
    return st;
}

/* The steps for a segment of st, from its passthrough choice and guard level. */
static void plan_steps(const Run *run, const StreamState *st, Item *it)
{
    memset(&it->steps, 0, sizeof(it->steps));
    it->level = GUARD_FULL;
    if (!st)
        return;
    if (run->o->t.passthrough == TRANSCODE_PASS_AUTO)
        it->steps.pass = st->pass;
    if (run->o->max_lag > 0)
        it->level = st->guard.level;
    if (it->level >= GUARD_FASTER)
        it->steps.faster = 1;
    if (it->level >= GUARD_PASS && run->o->t.passthrough != TRANSCODE_PASS_NEVER)
        it->steps.pass = 1;
    if (it->level >= GUARD_DROP1)
        it->steps.drop = it->level - GUARD_PASS;
    if (run->o->max_lag > 0)
        it->steps.shed = &st->shed;
}

/* The process's CPU time since the last start or end shared among the
 * segments in flight. Under lock. */
static void account(Run *run)
{
    double c = clock_cpu();
    if (run->nfly > 0)
        run->share += (c - run->cpu_at) / run->nfly;
    run->cpu_at = c;
}

/* A segment's work starts (it): it and those in flight are mixed if
 * they are of other streams or levels. Under lock. */
static void fly_start(Run *run, Item *it)
{
    int i;

    account(run);
    for (i = 0; i < run->nfly; i++) {
        if (run->fly[i]->key != it->key || run->fly[i]->level != it->level)
            run->fly[i]->mixed = it->mixed = 1;
    }
    if (run->nfly < TCRUN_MAX_JOBS)
        run->fly[run->nfly++] = it;
    it->share0 = run->share;
    it->cpu0 = run->cpu_at;
    it->t0 = clock_mono();
}

/* ... and ends: its CPU seconds and the cores meanwhile. Under lock. */
static void fly_end(Run *run, Item *it)
{
    double wall = clock_mono() - it->t0;
    int i;

    account(run);
    for (i = 0; i < run->nfly && run->fly[i] != it; i++)
        ;
    if (i < run->nfly)
        run->fly[i] = run->fly[--run->nfly];
    it->cpu = run->share - it->share0;
    it->cores = wall > 0 ? (run->cpu_at - it->cpu0) / wall : 0;
}

static void work(void *arg, void *ctx)
{
    Item *it = arg;
    Run *run = ctx;
    StreamState *st;

    if (atomic_load(&run->gone)) {
        it->ret = AVERROR(EPIPE);
        return;
    }
    /* planned when the work starts, so segments queued behind a slow one
     * get the guard's latest level */
    pthread_mutex_lock(&run->lock);
    st = stream_state(run, record_str(it->in, "stream"));
    plan_steps(run, st, it);
    it->key = st;
    fly_start(run, it);
    pthread_mutex_unlock(&run->lock);
    it->ret = transcode_segment(&run->o->t, &it->steps, it->in, &it->out);
    pthread_mutex_lock(&run->lock);
    fly_end(run, it);
    pthread_mutex_unlock(&run->lock);
}

/* What the guard's levels do for st, from a segment of it planned at
 * level whose renditions are rends and dropped: pass does nothing more
 * than faster when the source is passed through anyway (or never, or is
 * not eligible); a drop nothing more than the level before when there
 * is no encoded rung left to drop (one video rung always stays). */
static void learn_same(const Run *run, StreamState *st, int level, const json_t *rends,
                       const json_t *dropped)
{
    const json_t *r;
    size_t i;
    int video = 0, passed = 0, encoded = 0, k;
    int ndrop = json_is_array(dropped) ? (int)json_array_size(dropped) : 0;

    json_array_foreach(rends, i, r) {
        const char *kind = record_str(r, "kind");
        if (!kind || strcmp(kind, "video"))
            continue;
        video++;
        if (json_is_true(json_object_get(r, "passthrough")))
            passed++;
        else
            encoded++;
    }
    if (!video)
        return;
    if (run->o->t.passthrough == TRANSCODE_PASS_NEVER || st->pass > 0 ||
        (level >= GUARD_PASS && !passed))
        guard_same(&st->guard, GUARD_PASS, 1);
    if (level < GUARD_PASS && !(st->guard.same >> GUARD_PASS & 1))
        return;    /* how many rungs the pass step leaves encoded: not known yet */
    /* the rungs to drop at drop1, drop2: encoded + ndrop, one rung stays */
    video += ndrop;
    encoded += ndrop;
    for (k = 1; GUARD_PASS + k < GUARD_LEVELS; k++) {
        int now = k < video - 1 ? k : video - 1, before = k - 1 < video - 1 ? k - 1 : video - 1;
        now = now < encoded ? now : encoded;
        before = before < encoded ? before : encoded;
        guard_same(&st->guard, GUARD_PASS + k, now == before);
    }
}

/* After a segment: remember the stream's passthrough choice; feed the
 * guard the segment's lag and note its state in the record. */
static void learn(Run *run, Item *it)
{
    const json_t *rends = json_object_get(it->out, "renditions"), *r;
    const json_t *wc = json_object_get(it->in, "wallclock");
    StreamState *st;
    size_t i;
    int step, video = 0, passed = 0;

    pthread_mutex_lock(&run->lock);
    st = stream_state(run, record_str(it->in, "stream"));
    if (st && it->ret == 0 && it->level < GUARD_PASS && !st->pass) {
        json_array_foreach(rends, i, r) {
            const char *kind = record_str(r, "kind");
            video |= kind && !strcmp(kind, "video");
            passed |= json_is_true(json_object_get(r, "passthrough"));
        }
        if (video) {
            st->pass = passed ? 1 : -1;
            log_debug("%s: the source is %s for this stream", st->name,
                      passed ? "passed through" : "encoded");
        }
    }
    if (st && run->o->max_lag > 0 && json_is_number(wc)) {
        double lag = clock_real() - json_number_value(wc), rate;
        char est[64] = "";
        if (it->ret == 0)
            learn_same(run, st, it->level, rends, json_object_get(it->out, "dropped"));
        if (it->ret == 0) {
            const json_t *d = json_object_get(it->out, "dropped");
            int shed = json_is_array(d) && (int)json_array_size(d) > it->steps.drop;
            guard_cost(&st->guard, it->level, it->media, it->cpu, it->cores, it->mixed || shed);
        }
        step = guard_feed(&st->guard, record_num(it->in, "start", 0) + it->media, lag, it->level);
        atomic_store(&st->shed, st->guard.level >= GUARD_DROP1 ? st->guard.level - GUARD_PASS : 0);
        rate = guard_rate(&st->guard, st->guard.level);
        if (rate > 0)
            snprintf(est, sizeof(est), " (%.2fx real time expected on %.1f cores)", rate,
                     st->guard.cores);
        if (step < 0)
            log_warn("%s: %.1f s behind the broadcast (limit %.1f s), trend %+.2f s/s: "
                     "step down to %s: %s%s", st->name, lag, run->o->max_lag, st->guard.trend,
                     guard_level_name(st->guard.level), guard_level_what(st->guard.level), est);
        else if (step > 0)
            log_info("%s: %.1f s behind the broadcast, trend %+.2f s/s: step up to %s: %s%s",
                     st->name, lag, st->guard.trend, guard_level_name(st->guard.level),
                     guard_level_what(st->guard.level), est);
        json_object_set_new(it->out, "guard",
            json_pack("{s:i, s:s, s:f, s:f, s:I, s:I, s:f, s:f}", "level", st->guard.level,
                      "step", guard_level_name(st->guard.level), "lag",
                      floor(lag * 1000) / 1000, "trend", round(st->guard.trend * 1000) / 1000,
                      "down", (json_int_t)st->guard.down, "up", (json_int_t)st->guard.up,
                      "rate", round(rate * 100) / 100,
                      "cpu", it->media > 0 ? round(it->cpu / it->media * 100) / 100 : 0.0));
    }
    pthread_mutex_unlock(&run->lock);
}

static void done(void *arg, void *ctx)
{
    Item *it = arg;
    Run *run = ctx;
    const json_t *rec = it->out ? it->out : it->in;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (it->out)
        learn(run, it);
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
    Run run = { .o = o, .out = out, .t0 = clock_mono(), .lock = PTHREAD_MUTEX_INITIALIZER,
                .cpu_at = clock_cpu() };
    RecordReader *rr = record_reader_new(in, name);
    Jobs *jobs = NULL;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret, bad_records = 0, failure = 0;

    if (o->low_latency) {
        record_reader_free(&rr);
        return lltc_run(o, in, name, out);
    }
    if (!rr)
        return AVERROR(ENOMEM);
    if (!(run.streams = calloc(TCRUN_MAX_STREAMS, sizeof(*run.streams)))) {
        record_reader_free(&rr);
        return AVERROR(ENOMEM);
    }
    if ((ret = jobs_new(&jobs, o->jobs, 2 * o->jobs + 2, work, done, &run)) < 0) {
        free(run.streams);
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
    free(run.streams);
    log_progress_end();
    record_reader_free(&rr);
    if (failure || run.failure)
        return not_bad_input(failure ? failure : run.failure);
    if (bad_records || run.bad)
        return AVERROR_INVALIDDATA;
    return 0;
}
