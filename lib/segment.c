/*
 * segment.c: cut a media input into keyframe-aligned segment files and
 * print their records. See segment.h for the shape, live-segment(1) for
 * the behaviour and live-pipe(5) for the records.
 *
 * Routing of packets, for an input with video (V) and audio (A):
 *
 *   V keyframe at pts P due by the grid (or after a discontinuity):
 *       the current file becomes the "closing" file, ending at P;
 *       a new current file starts at P with this keyframe.
 *   A packet: queued ("pending") until the video's dts has passed its
 *       pts, since no later keyframe can then start before it; then it
 *       goes to the closing file when its pts < P, else to the current.
 *   The closing file is finished (trailer, rename, record) as soon as
 *   the audio has reached P, or the video is SEGMENT_AUDIO_LAG past it.
 *
 * So every audio packet lands in the segment whose time range holds its
 * pts, whatever the interleaving of the input, and records come out in
 * sequence order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/mathematics.h>

#include "array.h"
#include "clock.h"
#include "flv.h"
#include "fs.h"
#include "log.h"
#include "parse.h"
#include "record.h"
#include "remux.h"
#include "segment.h"

/* How far (seconds of output time) the audio may trail the video before a
 * closing segment is finished without it, and how much audio is held
 * while the video stalls before it is written anyway. */
#define SEGMENT_AUDIO_LAG 2
/* Audio packets kept while waiting for the first video keyframe. */
#define SEGMENT_EARLY_MAX 4096
/* Probing: enough for FLV's metadata and both sequence headers and a few
 * frames, small enough that a live stream starts at once. */
#define SEGMENT_PROBESIZE "1000000"
#define SEGMENT_ANALYZEDURATION "3000000"

static const AVRational us_q = { 1, 1000000 };

/* ---- the timeline (pure) ---- */

void segment_timeline_init(SegmentTimeline *tl, int ntracks, const AVRational *tbs,
                           int64_t origin, AVRational origin_tb)
{
    memset(tl, 0, sizeof(*tl));
    tl->ntracks = ntracks;
    tl->event_tb = origin_tb;
    for (int i = 0; i < ntracks && i < SEGMENT_MAX_STREAMS; i++) {
        tl->track[i].tb = tbs[i];
        tl->track[i].offset = -av_rescale_q(origin, origin_tb, tbs[i]);
    }
}

/* 1 if out dts d continues track t without a jump: not back by more than
 * the tolerance, not forward by more than a gap. */
static int continues(const SegmentTrack *t, int64_t d)
{
    int64_t back = av_rescale_q(SEGMENT_JUMP_BACKWARD_US, us_q, t->tb);
    int64_t fwd = av_rescale_q(SEGMENT_GAP_FORWARD_US, us_q, t->tb);
    return d >= t->last_dts - back && d <= t->last_end + fwd;
}

/* 1 if out dts d is a gap after track t: forward by more than a gap, not
 * by more than a jump. */
static int gap_after(const SegmentTrack *t, int64_t d)
{
    int64_t fwd = av_rescale_q(SEGMENT_JUMP_FORWARD_US, us_q, t->tb);
    return d > t->last_end && d <= t->last_end + fwd;
}

/* A gap of track t at d: kept on the timeline. SEGMENT_GAP when it is a
 * new event; 0 when another stream's latest event is a gap that began
 * within SEGMENT_GAP_FORWARD of d (the same reconnect). */
static int timeline_gap(SegmentTimeline *tl, SegmentTrack *t, int64_t d)
{
    if (tl->event > 0 && t->event != tl->event && tl->event_gap) {
        int64_t near = av_rescale_q(SEGMENT_GAP_FORWARD_US, us_q, t->tb);
        int64_t at = av_rescale_q(tl->gap_at, tl->event_tb, t->tb);
        if (llabs(d - at) <= near) {
            t->event = tl->event;
            return 0;
        }
    }
    tl->event++;
    tl->event_delta = 0;
    tl->event_tb = t->tb;
    tl->event_gap = 1;
    tl->gap_at = d;
    t->event = tl->event;
    return SEGMENT_GAP;
}

int segment_timeline_map(SegmentTimeline *tl, int i, int64_t *dts, int64_t *pts,
                         int64_t duration)
{
    SegmentTrack *t = &tl->track[i];
    int64_t d = *dts + t->offset, p = *pts + t->offset;
    int jumped = 0;

    if (t->seen && !continues(t, d) && gap_after(t, d)) {
        jumped = timeline_gap(tl, t, d);
    } else if (t->seen && !continues(t, d)) {
        int64_t delta = 0;
        int joined = 0;
        /* The same event as another stream's latest jump? Take its
         * adjustment (so the streams stay in sync) when that continues
         * this stream too; if it would not even pass this stream's last
         * dts (the streams did not end together), start right after its
         * last packet instead. */
        if (tl->event > 0 && t->event != tl->event) {
            delta = av_rescale_q(tl->event_delta, tl->event_tb, t->tb);
            joined = continues(t, d + delta);
            if (joined && d + delta <= t->last_dts)
                delta = t->last_end - d;
        }
        if (!joined) {
            /* A new discontinuity: continue where this stream left off. */
            delta = t->last_end - d;
            tl->event++;
            tl->event_delta = delta;
            tl->event_tb = t->tb;
            tl->event_gap = 0;
            jumped = 1;
        }
        t->offset += delta;
        t->event = tl->event;
        d += delta;
        p += delta;
    }
    if (t->seen && d <= t->last_dts)
        d = t->last_dts + 1; /* a small step back: nudge forward */
    if (p < d)
        p = d;
    t->seen = 1;
    t->last_dts = d;
    t->last_end = d + (duration > 0 ? duration : 1);
    *dts = d;
    *pts = p;
    return jumped;
}

/* ---- the grid (pure) ---- */

static int64_t grid_boundary(const SegmentGrid *g, int64_t k)
{
    /* k * d.num / d.den seconds in tb, rounded up */
    return av_rescale_rnd(k * g->d.num, g->tb.den, (int64_t)g->d.den * g->tb.num,
                          AV_ROUND_UP);
}

void segment_grid_init(SegmentGrid *g, AVRational tb, double seconds)
{
    g->tb = tb;
    g->d = av_d2q(seconds, 1000000);
    if (g->d.num <= 0)
        g->d = (AVRational){ 1, 1 };
    g->k = 1;
    g->boundary = grid_boundary(g, 1);
}

int segment_grid_due(const SegmentGrid *g, int64_t pts)
{
    return pts >= g->boundary;
}

void segment_grid_cut(SegmentGrid *g, int64_t pts)
{
    while (g->boundary <= pts) {
        g->k++;
        g->boundary = grid_boundary(g, g->k);
    }
}

/* ---- packet queue ---- */

typedef struct PacketQueue {
    AVPacket **pkt;
    int head, n, cap;
} PacketQueue;

static int queue_push(PacketQueue *q, AVPacket *pkt)
{
    if (q->head + q->n == q->cap) {
        if (q->head > 0) {
            memmove(q->pkt, q->pkt + q->head, q->n * sizeof(*q->pkt));
            q->head = 0;
        } else {
            size_t ncap = array_grow(&q->pkt, q->cap, sizeof(*q->pkt), 64);
            if (!ncap)
                return AVERROR(ENOMEM);
            q->cap = ncap;
        }
    }
    q->pkt[q->head + q->n++] = pkt;
    return 0;
}

static AVPacket *queue_front(const PacketQueue *q)
{
    return q->n ? q->pkt[q->head] : NULL;
}

static AVPacket *queue_back(const PacketQueue *q)
{
    return q->n ? q->pkt[q->head + q->n - 1] : NULL;
}

static AVPacket *queue_pop(PacketQueue *q)
{
    AVPacket *p;
    if (!q->n)
        return NULL;
    p = q->pkt[q->head++];
    if (--q->n == 0)
        q->head = 0;
    return p;
}

static void queue_free(PacketQueue *q)
{
    AVPacket *p;
    while ((p = queue_pop(q)))
        av_packet_free(&p);
    free(q->pkt);
    memset(q, 0, sizeof(*q));
}

/* ---- the segmenter ---- */

/* Low-latency mode: one part of a segment, the packets written to the
 * segment's file since the part before, in a file of its own. */
typedef struct SegmentPart {
    AVFormatContext *oc;
    char tmp[PATH_MAX];
    char path[PATH_MAX];
    char rel[PATH_MAX];
    int index;
    int64_t start;      /* timeline, master tb */
    int independent;    /* starts with a video keyframe (any packet of audio-only input) */
    int64_t npackets;
} SegmentPart;

typedef struct SegmentFile {
    AVFormatContext *oc;
    char tmp[PATH_MAX];
    char path[PATH_MAX];
    char rel[PATH_MAX];
    int64_t seq;
    int64_t start;      /* timeline, master tb */
    int64_t end;        /* greatest pts + duration written, master tb */
    int discontinuity;
    int64_t npackets;
    SegmentPart *part;  /* the part being written (low-latency mode) */
    int nparts;         /* parts finished */
    int64_t part_next;  /* the part grid's next boundary, master tb */
    int width, height;  /* its video's size (0: the input's codecpar) */
} SegmentFile;

typedef struct Segmenter {
    const SegmentOptions *opt;
    AVFormatContext *ic;
    int n;                          /* our streams */
    int video, audio;               /* our index of each, or -1 */
    int in_index[SEGMENT_MAX_STREAMS];
    AVStream *ist[SEGMENT_MAX_STREAMS];
    uint8_t *extradata[SEGMENT_MAX_STREAMS];  /* newest, for the next file */
    int width, height;              /* the video's size since new extradata (0: codecpar's) */
    int extradata_size[SEGMENT_MAX_STREAMS];
    int64_t default_duration[SEGMENT_MAX_STREAMS];
    AVRational master;              /* time base of the grid and records */
    int64_t part_len;               /* low-latency mode: part duration, master tb; 0: off */
    const AVOutputFormat *ofmt;     /* the segments' muxer ... */
    const char *ext;                /* ... and their extension (segment_ext) */
    const AVOutputFormat *part_fmt;

    int started;
    int64_t state_end;              /* end of the last segment written, master tb */
    double resume_wall;             /* -c: when the state was saved (unix s), 0: no jump */
    int64_t base_ts;                /* where the timeline starts (--continue) ... */
    AVRational base_tb;             /* ... in this time base */
    SegmentTimeline tl;
    SegmentGrid grid;
    SegmentFile *cur, *closing;
    int64_t closing_end;            /* master tb */
    int64_t seq;
    PacketQueue early;              /* input audio before the first keyframe */
    PacketQueue pending;            /* mapped audio waiting for the video */
    int have_vdts;
    int64_t vdts;                   /* last video dts written, video tb */
    int force_cut, discontinuity;
    /* A gap (the publisher away): the segment before it ends with its last
     * packet, at closing_end = gap_at, and audio of the new session before
     * the keyframe that starts the next one is dropped (drop_before). */
    int gap_pending, closing_gap;
    int64_t gap_at, drop_before;    /* master tb; drop_before AV_NOPTS_VALUE: none */
    int64_t dropped;
    double progress_at;
    char dir[PATH_MAX];
    char state[PATH_MAX];           /* SPOOL/.NAME.state */
    int64_t broadcast;              /* the records' "broadcast" (0: none) */
    int64_t audio_next;             /* where the next audio packet starts, 1/sample_rate */
    AVIOContext *pb;                /* our reads of a pipe or FIFO, or NULL */
    int in_fd, close_in;
    uint8_t tail[FLV_END_TAG_SIZE]; /* the last bytes read through pb */
    size_t ntail;
    char error[256];
} Segmenter;

static int stopped(const Segmenter *sg)
{
    return sg->opt->stop && *sg->opt->stop;
}

static int interrupt_cb(void *opaque)
{
    return stopped(opaque);
}

static int is_bad_input(int err)
{
    return err == AVERROR_INVALIDDATA || err == AVERROR_EOF ||
           err == AVERROR_DEMUXER_NOT_FOUND || err == AVERROR_STREAM_NOT_FOUND ||
           err == AVERROR_PATCHWELCOME || err == AVERROR(EILSEQ);
}

static void set_error(Segmenter *sg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(Segmenter *sg, const char *fmt, ...)
{
    va_list ap;
    if (sg->error[0])
        return;
    va_start(ap, fmt);
    vsnprintf(sg->error, sizeof(sg->error), fmt, ap);
    va_end(ap);
    log_error("%s", sg->error);
}

static const char *input_name(const Segmenter *sg)
{
    const char *in = sg->opt->input;
    return !in || !strcmp(in, "-") ? "standard input" : in;
}

/* The time base of our packets on their way out: the input's for video,
 * 1/sample_rate for audio (see exact_audio). */
static AVRational out_tb(const Segmenter *sg, int i)
{
    if (i == sg->audio && sg->ist[i]->codecpar->sample_rate > 0)
        return (AVRational){ 1, sg->ist[i]->codecpar->sample_rate };
    return sg->ist[i]->time_base;
}

/* An outgoing packet's timestamp (out_tb) in the master time base. */
static int64_t to_master(const Segmenter *sg, int i, int64_t ts, int rnd)
{
    return av_rescale_q_rnd(ts, out_tb(sg, i), sg->master, rnd);
}

/* Audio timestamps exact in 1/sample_rate: an input time base coarser
 * than a sample (FLV's and Matroska's milliseconds) rounds every frame's
 * start, and segments cut from it would overlap or leave gaps of a few
 * samples at their joins. Each audio packet (stream tb in, 1/sample_rate
 * out) starts where the one before it ended, by its sample count, while
 * its own timestamp agrees with that to within the input's rounding; a
 * real jump (a reconnect, lost audio) is kept. */
static void exact_audio(Segmenter *sg, AVPacket *pkt)
{
    const AVCodecParameters *par = sg->ist[pkt->stream_index]->codecpar;
    AVRational in = sg->ist[pkt->stream_index]->time_base, out = out_tb(sg, pkt->stream_index);
    int64_t t = av_rescale_q(pkt->pts, in, out);
    int64_t tolerance = av_rescale_q_rnd(1, in, out, AV_ROUND_UP) + 1;
    int64_t d = av_get_audio_frame_duration2((AVCodecParameters *)par, pkt->size);
    int64_t own = av_rescale_q(pkt->duration, in, out);

    /* the frame's sample count; the packet's own duration where it is
     * clearly shorter (the last frame, trimmed by the container) */
    if (d <= 0 || (own > 0 && own < d - tolerance))
        d = own;
    if (sg->audio_next != AV_NOPTS_VALUE && llabs(t - sg->audio_next) <= tolerance)
        t = sg->audio_next;
    pkt->pts = pkt->dts = t;
    pkt->duration = d;
    sg->audio_next = t + d;
}

static double seconds(const Segmenter *sg, int64_t ts)
{
    return (double)ts * sg->master.num / sg->master.den;
}

/*
 * The stream's state, SPOOL/.NAME.state, rewritten (atomically) after
 * every record: what a later run needs to go on (--continue) or to start
 * a new broadcast, without the segment files, which later stages delete:
 *
 *   {"broadcast":ID,"next_seq":N,"timebase":"1/1000","end_pts":E,"ended":B}
 *
 * end_pts: where the last segment ended; ended: an end record was written.
 */
static void save_state(Segmenter *sg, int64_t next_seq, int64_t end, int ended)
{
    char tb[48], *text;
    json_t *o;

    sg->state_end = end;
    snprintf(tb, sizeof(tb), "%d/%d", sg->master.num, sg->master.den);
    o = json_pack("{sIsIsssIsbsf}", "broadcast", (json_int_t)sg->broadcast, "next_seq",
                  (json_int_t)next_seq, "timebase", tb, "end_pts", (json_int_t)end, "ended",
                  ended, "wall", clock_real());
    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text || fs_write_atomic(sg->state, text, strlen(text), 0) < 0)
        log_warn("%s: cannot write the stream's state; --continue will not find it", sg->state);
    free(text);
}

typedef struct SegmentState {
    int64_t broadcast, next_seq, end_pts;
    AVRational tb;
    int ended;
    double wall;
} SegmentState;

/* 0 with *st filled, AVERROR(ENOENT) without a state file, else an error. */
static int load_state(const Segmenter *sg, SegmentState *st)
{
    char *text = NULL;
    size_t len;
    json_t *o;
    json_error_t jerr;
    const char *tb;
    int ret = fs_read_file(sg->state, 4096, &text, &len);

    if (ret < 0)
        return ret;
    o = json_loads(text, 0, &jerr);
    free(text);
    tb = record_str(o, "timebase");
    st->broadcast = record_int(o, "broadcast", -1);
    st->next_seq = record_int(o, "next_seq", -1);
    st->end_pts = record_int(o, "end_pts", INT64_MIN);
    st->ended = record_bool(o, "ended");
    st->wall = record_num(o, "wall", 0);
    ret = tb && sscanf(tb, "%d/%d", &st->tb.num, &st->tb.den) == 2 && st->tb.num > 0 &&
          st->tb.den > 0 && st->broadcast >= 0 && st->next_seq >= 0 && st->end_pts != INT64_MIN
          ? 0 : AVERROR_INVALIDDATA;
    json_decref(o);
    if (ret < 0)
        log_error("%s: not a state this program wrote", sg->state);
    return ret;
}

/* A new broadcast id: the wall clock in milliseconds, above the last one. */
static int64_t new_broadcast(int64_t last)
{
    int64_t ms = llround(clock_real() * 1000);
    return ms > last ? ms : last + 1;
}

/* Close and free *ocp, removing tmp (when set) */
static void mux_abort(AVFormatContext **ocp, char *tmp)
{
    AVFormatContext *oc = *ocp;
    if (oc) {
        if (oc->pb)
            avio_closep(&oc->pb);
        avformat_free_context(oc);
        *ocp = NULL;
    }
    if (tmp[0])
        unlink(tmp);
    tmp[0] = '\0';
}

static void part_abort(SegmentPart **pp)
{
    SegmentPart *p = *pp;
    if (!p)
        return;
    mux_abort(&p->oc, p->tmp);
    free(p);
    *pp = NULL;
}

static void file_abort(SegmentFile **fp)
{
    SegmentFile *f = *fp;
    if (!f)
        return;
    part_abort(&f->part);
    mux_abort(&f->oc, f->tmp);
    free(f);
    *fp = NULL;
}

/* A writer (MP4, Matroska, NUT: ofmt) at tmp (then renamed to path by
 * mux_finish) with our streams, header written. On failure tmp is removed
 * and cleared. */
static int mux_open(Segmenter *sg, const AVOutputFormat *ofmt, AVFormatContext **ocp, char *tmp)
{
    char url[PATH_MAX + 8], eb[AV_ERROR_MAX_STRING_SIZE];
    AVFormatContext *oc = NULL;
    AVDictionary *o = NULL;
    int64_t movie = 1;
    int ret;

    if ((ret = avformat_alloc_output_context2(&oc, ofmt, NULL, NULL)) < 0)
        goto fail;
    for (int i = 0; i < sg->n; i++) {
        AVStream *ost = avformat_new_stream(oc, NULL);
        if (!ost) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        if ((ret = avcodec_parameters_copy(ost->codecpar, sg->ist[i]->codecpar)) < 0)
            goto fail;
        ost->codecpar->codec_tag = 0;
        /* Matroska stores an Opus track's timestamps shifted by its
         * CodecDelay (the pre-skip) and shifts them back on reading,
         * which with our timestamps as they are (no muxer shifting) reads
         * them back a pre-skip early: none written, they stay exact. A
         * decoder still finds the pre-skip in the OpusHead. */
        if (!strcmp(ofmt->name, "matroska"))
            ost->codecpar->initial_padding = 0;
        if (sg->extradata[i]) {
            av_freep(&ost->codecpar->extradata);
            ost->codecpar->extradata = av_mallocz(sg->extradata_size[i] + AV_INPUT_BUFFER_PADDING_SIZE);
            if (!ost->codecpar->extradata) {
                ret = AVERROR(ENOMEM);
                goto fail;
            }
            memcpy(ost->codecpar->extradata, sg->extradata[i], sg->extradata_size[i]);
            ost->codecpar->extradata_size = sg->extradata_size[i];
            if (i == sg->video && sg->width > 0) {
                /* (mux_open runs for the file being opened: the newest) */
                ost->codecpar->width = sg->width;
                ost->codecpar->height = sg->height;
            }
        }
        ost->time_base = out_tb(sg, i);
        movie = movie / av_gcd(movie, ost->time_base.den) * ost->time_base.den;
        if (movie > INT_MAX)
            movie = 1000;
    }
    /* The movie time scale holds where each track starts (an empty edit):
     * in every track's own units, so audio starts on its exact sample */
    av_dict_set_int(&o, "movie_timescale", movie, 0);
    /* Timestamps are ours, exactly: no shifting by the muxer. */
    oc->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    snprintf(url, sizeof(url), "file:%s", tmp);
    if ((ret = avio_open(&oc->pb, url, AVIO_FLAG_WRITE)) < 0) {
        log_error("creating %s: %s", tmp, log_averr(ret, eb, sizeof(eb)));
        tmp[0] = '\0'; /* not created: nothing to remove */
        goto fail;
    }
    if ((ret = avformat_write_header(oc, &o)) < 0) {
        log_error("%s: writing the header: %s", tmp, log_averr(ret, eb, sizeof(eb)));
        goto fail;
    }
    av_dict_free(&o);
    *ocp = oc;
    return 0;
fail:
    av_dict_free(&o);
    mux_abort(&oc, tmp);
    return ret;
}

/* Trailer, close, rename tmp to path (fsynced first with sync). The
 * context is freed either way. */
static int mux_finish(AVFormatContext **ocp, char *tmp, const char *path, int sync)
{
    AVFormatContext *oc = *ocp;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if ((ret = av_write_trailer(oc)) < 0) {
        log_error("%s: writing the trailer: %s", tmp, log_averr(ret, eb, sizeof(eb)));
        goto end;
    }
    if (oc->pb->error < 0) {
        ret = oc->pb->error;
        log_error("writing %s: %s", tmp, log_averr(ret, eb, sizeof(eb)));
        goto end;
    }
    if ((ret = avio_closep(&oc->pb)) < 0) {
        log_error("closing %s: %s", tmp, log_averr(ret, eb, sizeof(eb)));
        goto end;
    }
    if ((ret = fs_publish(tmp, path, sync)) < 0) {
        log_error("renaming %s to %s: %s", tmp, path, log_averr(ret, eb, sizeof(eb)));
        goto end;
    }
    tmp[0] = '\0';
end:
    mux_abort(ocp, tmp);
    return ret;
}

static int file_open(Segmenter *sg, int64_t start)
{
    SegmentFile *f = calloc(1, sizeof(*f));
    int ret;

    if (!f)
        return AVERROR(ENOMEM);
    f->seq = sg->seq;
    f->start = start;
    f->end = start;
    f->part_next = start + sg->part_len;
    f->discontinuity = sg->discontinuity;
    f->width = sg->width;
    f->height = sg->height;
    snprintf(f->rel, sizeof(f->rel), "%s/%" PRId64 ".%s", sg->opt->stream, f->seq, sg->ext);
    if ((ret = record_join(f->path, sizeof(f->path), sg->opt->spool, f->rel)) < 0 ||
        (ret = fs_tmpname(f->path, f->tmp, sizeof(f->tmp))) < 0) {
        log_error("%s: path too long", f->rel);
        f->tmp[0] = '\0';
        goto fail;
    }
    if ((ret = mux_open(sg, sg->ofmt, &f->oc, f->tmp)) < 0)
        goto fail;
    sg->cur = f;
    sg->seq++;
    sg->discontinuity = 0;
    sg->force_cut = 0;
    return 0;
fail:
    file_abort(&f);
    return ret;
}

static json_t *stream_info(const Segmenter *sg, int i, const SegmentFile *f);
static int finish_closing(Segmenter *sg);

/* The records of a segment and of its parts: what they share. */
static json_t *new_record(const Segmenter *sg, const char *type, const SegmentFile *f,
                          int64_t start, int64_t end)
{
    char tb[64];
    json_t *rec = record_new(type, sg->opt->stream, f->seq);

    if (!rec)
        return NULL;
    snprintf(tb, sizeof(tb), "%d/%d", sg->master.num, sg->master.den);
    json_object_set_new(rec, "start", json_real(seconds(sg, start)));
    json_object_set_new(rec, "duration", json_real(seconds(sg, end - start)));
    json_object_set_new(rec, "discontinuity", json_boolean(f->discontinuity));
    json_object_set_new(rec, "timebase", json_string(tb));
    json_object_set_new(rec, "start_pts", json_integer(start));
    json_object_set_new(rec, "duration_pts", json_integer(end - start));
    /* when the segment was complete (its last frame read): the next
     * stages measure how far behind the broadcast they are from it */
    json_object_set_new(rec, "wallclock", json_real(floor(clock_real() * 1000) / 1000));
    if (sg->broadcast > 0)
        json_object_set_new(rec, "broadcast", json_integer(sg->broadcast));
    if (sg->video >= 0)
        json_object_set_new(rec, "video", stream_info(sg, sg->video, f));
    if (sg->audio >= 0)
        json_object_set_new(rec, "audio", stream_info(sg, sg->audio, f));
    return rec;
}

static int put_record(const Segmenter *sg, json_t *rec)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret = rec ? record_write(sg->opt->records, rec) : AVERROR(ENOMEM);

    json_decref(rec);
    if (ret == AVERROR(EPIPE))
        log_error("standard output closed: stopping");
    else if (ret < 0)
        log_error("writing a record: %s", log_averr(ret, eb, sizeof(eb)));
    return ret;
}

static int part_open(Segmenter *sg, SegmentFile *f, int64_t start)
{
    SegmentPart *p = calloc(1, sizeof(*p));
    int ret;

    if (!p)
        return AVERROR(ENOMEM);
    p->index = f->nparts;
    p->start = start;
    snprintf(p->rel, sizeof(p->rel), "%s/%" PRId64 ".p%d.%s", sg->opt->stream, f->seq, p->index,
             SEGMENT_PART_EXT);
    if ((ret = record_join(p->path, sizeof(p->path), sg->opt->spool, p->rel)) < 0 ||
        (ret = fs_tmpname(p->path, p->tmp, sizeof(p->tmp))) < 0) {
        log_error("%s: path too long", p->rel);
        p->tmp[0] = '\0';
        part_abort(&p);
        return ret;
    }
    if ((ret = mux_open(sg, sg->part_fmt, &p->oc, p->tmp)) < 0) {
        part_abort(&p);
        return ret;
    }
    f->part = p;
    return 0;
}

/* Publish f's open part, ending at end (master tb), and print its record. */
static int part_finish(Segmenter *sg, SegmentFile *f, int64_t end, int last)
{
    SegmentPart *p = f->part;
    json_t *rec;
    int ret;

    /* Not fsynced: a part matters for seconds, and after a crash the
     * stream goes on at the next segment (its parts are made anew). */
    if ((ret = mux_finish(&p->oc, p->tmp, p->path, 0)) < 0)
        goto end;
    if (end < p->start)
        end = p->start;
    rec = new_record(sg, "part", f, p->start, end);
    if (rec) {
        json_object_set_new(rec, "part", json_integer(p->index));
        json_object_set_new(rec, "path", json_string(p->rel));
        json_object_set_new(rec, "independent", json_boolean(p->independent));
        json_object_set_new(rec, "shift", json_integer(SEGMENT_PART_SHIFT));
        json_object_set_new(rec, "last", json_boolean(last));
    }
    log_debug("segment %" PRId64 " part %d: %s, %.3f s at %.3f", f->seq, p->index, p->rel,
              seconds(sg, end - p->start), seconds(sg, p->start));
    ret = put_record(sg, rec);
    f->nparts++;
end:
    part_abort(&f->part);
    return ret;
}

/* Low-latency mode: a copy of pkt (timeline timestamps, stream tb) into
 * f's part, starting the next part first when pkt is video (any packet of
 * audio-only input) whose dts is past the part grid's next boundary. The
 * previous segment is finished before a part of the next one is
 * announced, so part records come in order. */
static int part_write(Segmenter *sg, SegmentFile *f, const AVPacket *pkt)
{
    int i = pkt->stream_index;
    int cutter = i == sg->video || sg->video < 0;
    AVRational tb = out_tb(sg, i);
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int64_t shift;
    AVPacket *q;
    int ret;

    if (cutter && f == sg->cur && f->part && f->part->npackets) {
        int64_t t = to_master(sg, i, pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts,
                              AV_ROUND_DOWN);
        if (t >= f->part_next) {
            if (sg->closing && (ret = finish_closing(sg)) < 0)
                return ret;
            if ((ret = part_finish(sg, f, t, 0)) < 0)
                return ret;
            while (f->part_next <= t)
                f->part_next += sg->part_len;
            if ((ret = part_open(sg, f, t)) < 0)
                return ret;
        }
    }
    if (!f->part && (ret = part_open(sg, f, f->start)) < 0)
        return ret;
    if (!f->part->npackets)
        f->part->independent = cutter && (pkt->flags & AV_PKT_FLAG_KEY);
    f->part->npackets++;
    if (!(q = av_packet_clone(pkt)))
        return AVERROR(ENOMEM);
    shift = av_rescale_q(SEGMENT_PART_SHIFT, (AVRational){ 1, 1 }, tb);
    if (q->pts != AV_NOPTS_VALUE)
        q->pts += shift;
    if (q->dts != AV_NOPTS_VALUE)
        q->dts += shift;
    av_packet_rescale_ts(q, tb, f->part->oc->streams[i]->time_base);
    ret = av_interleaved_write_frame(f->part->oc, q);
    av_packet_free(&q);
    if (ret < 0)
        log_error("%s: writing: %s", f->part->tmp, log_averr(ret, eb, sizeof(eb)));
    return ret;
}

/* Write one of our packets (timeline timestamps, stream tb) to f (and
 * its part in low-latency mode); the packet is consumed. */
static int file_write(Segmenter *sg, SegmentFile *f, AVPacket *pkt)
{
    int i = pkt->stream_index;
    int64_t end;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (i == sg->audio)
        exact_audio(sg, pkt);
    end = to_master(sg, i, pkt->pts + pkt->duration, AV_ROUND_UP);

    if (sg->part_len > 0 && (ret = part_write(sg, f, pkt)) < 0) {
        av_packet_unref(pkt);
        return ret;
    }
    if (end > f->end)
        f->end = end;
    f->npackets++;
    av_packet_rescale_ts(pkt, out_tb(sg, i), f->oc->streams[i]->time_base);
    ret = av_interleaved_write_frame(f->oc, pkt);
    av_packet_unref(pkt);
    if (ret < 0)
        log_error("%s: writing: %s", f->tmp, log_averr(ret, eb, sizeof(eb)));
    return ret;
}

static json_t *stream_info(const Segmenter *sg, int i, const SegmentFile *f)
{
    const AVStream *st = sg->ist[i];
    const AVCodecParameters *par = st->codecpar;
    char sar[64], fps[64];

    if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
        AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
        AVRational s = par->sample_aspect_ratio;
        json_t *v;
        if (s.num <= 0 || s.den <= 0)
            s = (AVRational){ 1, 1 };
        av_reduce(&s.num, &s.den, s.num, s.den, INT_MAX);
        snprintf(sar, sizeof(sar), "%d:%d", s.num, s.den);
        v = json_pack("{s:s, s:i, s:i, s:s}", "codec", avcodec_get_name(par->codec_id),
                      "width", f->width > 0 ? f->width : par->width,
                      "height", f->height > 0 ? f->height : par->height,
                      "sar", sar);
        if (v && r.num > 0 && r.den > 0) {
            av_reduce(&r.num, &r.den, r.num, r.den, INT_MAX);
            snprintf(fps, sizeof(fps), "%d/%d", r.num, r.den);
            json_object_set_new(v, "fps", json_string(fps));
        }
        return v;
    }
    return json_pack("{s:s, s:i, s:i}", "codec", avcodec_get_name(par->codec_id),
                     "sample_rate", par->sample_rate, "channels", par->ch_layout.nb_channels);
}

/* Finish *fp: trailer, rename into place, record. end is where the
 * segment ends on the timeline (master tb). */
static int file_finish(Segmenter *sg, SegmentFile **fp, int64_t end)
{
    SegmentFile *f = *fp;
    json_t *rec = NULL;
    int ret;

    if (f == sg->closing && sg->closing_gap) {
        /* time passed after it: it ends with its last packet */
        end = f->end;
        sg->closing_gap = 0;
    }
    if (end < f->start)
        end = f->start;
    if (f->part && (ret = part_finish(sg, f, end, 1)) < 0)
        goto end;
    if ((ret = mux_finish(&f->oc, f->tmp, f->path, 1)) < 0)
        goto end;
    rec = new_record(sg, "segment", f, f->start, end);
    if (rec)
        json_object_set_new(rec, "path", json_string(f->rel));
    log_debug("segment %" PRId64 ": %s, %.3f s at %.3f%s", f->seq, f->rel,
              seconds(sg, end - f->start), seconds(sg, f->start),
              f->discontinuity ? ", discontinuity" : "");
    ret = put_record(sg, rec);
    if (ret >= 0)
        save_state(sg, f->seq + 1, end, 0);
end:
    file_abort(fp);
    return ret;
}

static int finish_closing(Segmenter *sg)
{
    if (!sg->closing)
        return 0;
    return file_finish(sg, &sg->closing, sg->closing_end);
}

/* Move queued audio where it belongs (see the top of the file). At the
 * end of input (all) everything goes. */
static int drain_audio(Segmenter *sg, int all)
{
    int a = sg->audio;
    AVRational atb = sg->ist[a]->time_base;
    AVRational vtb = sg->video >= 0 ? sg->ist[sg->video]->time_base : atb;
    AVPacket *pkt;
    int ret;

    while ((pkt = queue_front(&sg->pending))) {
        AVPacket *back = queue_back(&sg->pending);
        if (sg->closing) {
            if (av_compare_ts(pkt->pts, atb, sg->closing_end, sg->master) < 0) {
                pkt = queue_pop(&sg->pending);
                ret = file_write(sg, sg->closing, pkt);
                av_packet_free(&pkt);
                if (ret < 0)
                    return ret;
                continue;
            }
            if ((ret = finish_closing(sg)) < 0)
                return ret;
        }
        if (sg->drop_before != AV_NOPTS_VALUE &&
            av_compare_ts(pkt->pts, atb, sg->drop_before, sg->master) < 0) {
            /* after a gap, before the keyframe the new session starts at */
            pkt = queue_pop(&sg->pending);
            av_packet_free(&pkt);
            sg->dropped++;
            continue;
        }
        if (all || (sg->have_vdts && av_compare_ts(pkt->pts, atb, sg->vdts, vtb) < 0) ||
            av_compare_ts(back->pts - pkt->pts, atb, SEGMENT_AUDIO_LAG, (AVRational){ 1, 1 }) > 0) {
            pkt = queue_pop(&sg->pending);
            ret = file_write(sg, sg->cur, pkt);
            av_packet_free(&pkt);
            if (ret < 0)
                return ret;
            continue;
        }
        break;
    }
    return 0;
}

/* Start a new segment at pts (master tb) */
static int cut(Segmenter *sg, int64_t pts)
{
    int ret;

    if (sg->closing && (ret = finish_closing(sg)) < 0)
        return ret;
    if (sg->cur) {
        /* queued audio before the cut belongs to the segment ending; at a
         * gap, the audio before the gap */
        AVPacket *pkt;
        int gap = sg->gap_pending && (sg->video < 0 || (sg->tl.event_gap &&
                                      sg->tl.track[sg->video].event == sg->tl.event));
        int64_t end = gap && sg->gap_at < pts ? sg->gap_at : pts;
        sg->gap_pending = 0;
        sg->drop_before = gap ? pts : AV_NOPTS_VALUE;
        while (sg->audio >= 0 && (pkt = queue_front(&sg->pending)) &&
               av_compare_ts(pkt->pts, sg->ist[sg->audio]->time_base, end, sg->master) < 0) {
            pkt = queue_pop(&sg->pending);
            ret = file_write(sg, sg->cur, pkt);
            av_packet_free(&pkt);
            if (ret < 0)
                return ret;
        }
        sg->closing = sg->cur;
        sg->closing_end = end;
        sg->closing_gap = gap;
        sg->cur = NULL;
        /* Nothing can join it later without audio, or when the video is the
         * only thing that cuts (audio-only input). */
        if (sg->audio < 0 || sg->video < 0) {
            if ((ret = finish_closing(sg)) < 0)
                return ret;
        }
    }
    if ((ret = file_open(sg, pts)) < 0)
        return ret;
    segment_grid_cut(&sg->grid, pts);
    return 0;
}

static void show_progress(Segmenter *sg, int64_t pts)
{
    double t = seconds(sg, pts);
    if (t - sg->progress_at >= 1 || t < sg->progress_at) {
        sg->progress_at = t;
        log_progress("segment %" PRId64 ", %.1f s", sg->seq > 0 ? sg->seq - 1 : 0, t);
    }
}

/* A packet of ours with input timestamps: map it and route it. Consumes pkt. */
static int process(Segmenter *sg, AVPacket *pkt)
{
    int i = pkt->stream_index;
    int ret;

    int64_t was = sg->tl.track[i].last_end;
    int j = segment_timeline_map(&sg->tl, i, &pkt->dts, &pkt->pts, pkt->duration);

    if (j == SEGMENT_GAP) {
        int64_t at = to_master(sg, i, pkt->dts, AV_ROUND_DOWN);
        log_info("%s timestamps went on after a gap of %.3f s (a publisher back?): kept; "
                 "the segment before it ends there, the next is marked as a discontinuity",
                 i == sg->video ? "video" : "audio",
                 (double)(pkt->dts - was) * sg->ist[i]->time_base.num / sg->ist[i]->time_base.den);
        if (!sg->gap_pending || at < sg->gap_at)
            sg->gap_at = at;
        sg->gap_pending = 1;
    } else if (j) {
        log_info("%s timestamps jumped by %+.3f s: made continuous; the next segment is "
                 "marked as a discontinuity", i == sg->video ? "video" : "audio",
                 -(double)sg->tl.event_delta * sg->tl.event_tb.num / sg->tl.event_tb.den);
    }
    if (j) {
        sg->force_cut = 1;
        sg->discontinuity = 1;
    }
    if (i == sg->video) {
        int64_t p = pkt->pts;
        if ((pkt->flags & AV_PKT_FLAG_KEY) && sg->cur && p > sg->cur->start &&
            (sg->force_cut || segment_grid_due(&sg->grid, p))) {
            if ((ret = cut(sg, p)) < 0)
                return ret;
        }
        sg->vdts = pkt->dts;
        sg->have_vdts = 1;
        show_progress(sg, p);
        if ((ret = file_write(sg, sg->cur, pkt)) < 0)
            return ret;
        if (sg->closing && av_compare_ts(sg->vdts, sg->ist[i]->time_base,
                                         sg->closing_end + av_rescale_q(SEGMENT_AUDIO_LAG, (AVRational){ 1, 1 }, sg->master),
                                         sg->master) >= 0 &&
            (ret = finish_closing(sg)) < 0)
            return ret;
        return sg->audio >= 0 ? drain_audio(sg, 0) : 0;
    }
    /* audio */
    if (sg->video < 0) {
        int64_t p = pkt->pts;
        if (sg->cur && p > sg->cur->start && (sg->force_cut || segment_grid_due(&sg->grid, p)) &&
            (ret = cut(sg, p)) < 0)
            return ret;
        show_progress(sg, p);
        return file_write(sg, sg->cur, pkt);
    }
    if (pkt->pts + pkt->duration <= 0) {
        sg->dropped++; /* before the first keyframe */
        av_packet_unref(pkt);
        return 0;
    }
    {
        AVPacket *q = av_packet_alloc();
        if (!q)
            return AVERROR(ENOMEM);
        av_packet_move_ref(q, pkt);
        if ((ret = queue_push(&sg->pending, q)) < 0) {
            av_packet_free(&q);
            return ret;
        }
    }
    return drain_audio(sg, 0);
}

/* The first packet that can start the output: set the origin. */
static int start(Segmenter *sg, AVPacket *pkt)
{
    AVRational tbs[SEGMENT_MAX_STREAMS];
    int i = pkt->stream_index;
    AVPacket *e;
    int ret;

    /* the first packet's stream has the master time base */
    int64_t base = av_rescale_q_rnd(sg->base_ts, sg->base_tb, sg->master, AV_ROUND_UP);
    double away = sg->resume_wall > 0 && sg->pb ? clock_real() - sg->resume_wall : 0;

    /* A live broadcast (read from a pipe or FIFO) continued (-c) goes on
     * where the wall clock is now:
     * the time it was away is a jump (the first segment says
     * discontinuity), so its segments stay as far behind the clock as
     * before and players' live edge finds them. */
    if (away > 0 && away < 86400) {
        base += av_rescale_q(llround(away * 1000), (AVRational){ 1, 1000 }, sg->master);
        log_info("the broadcast was away for %.3f s: its timeline jumps as far", away);
    }

    for (int k = 0; k < sg->n; k++)
        tbs[k] = sg->ist[k]->time_base;
    segment_timeline_init(&sg->tl, sg->n, tbs, pkt->pts - base, sg->ist[i]->time_base);
    segment_grid_init(&sg->grid, sg->master, sg->opt->duration);
    segment_grid_cut(&sg->grid, base);
    sg->started = 1;
    if ((ret = file_open(sg, base)) < 0)
        return ret;
    if ((ret = process(sg, pkt)) < 0)
        return ret;
    while ((e = queue_pop(&sg->early))) {
        ret = process(sg, e);
        av_packet_free(&e);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* An MPEG-TS input that ends inside a transport packet was cut short (a
 * copy or a download stopped midway): its last packet is lost, as the tail
 * of a truncated FLV is, and the input is reported as truncated. */
static int ts_cut_short(Segmenter *sg)
{
    int64_t end;

    if (!sg->ic->pb || strcmp(sg->ic->iformat->name, "mpegts"))
        return 0;
    end = avio_tell(sg->ic->pb);
    if (end <= 0 || end % 188 == 0 || end % 192 == 0 || end % 204 == 0)
        return 0;
    set_error(sg, "%s: truncated or corrupt input (it ends inside a transport packet)",
              input_name(sg));
    return 1;
}

/* The video's size under new extradata, read from its parameter sets and
 * the keyframe pkt by libavcodec's parser (the demuxer's codecpar keeps
 * the first size): into sg->width, sg->height when the parser finds it. */
static void probe_size(Segmenter *sg, const AVPacket *pkt, const uint8_t *extra, size_t size)
{
    const AVCodecParameters *par = sg->ist[pkt->stream_index]->codecpar;
    AVCodecParserContext *pc = av_parser_init(par->codec_id);
    AVCodecContext *cc = pc ? avcodec_alloc_context3(NULL) : NULL;
    uint8_t *out;
    int out_size;

    if (cc && (cc->extradata = av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE))) {
        memcpy(cc->extradata, extra, size);
        cc->extradata_size = (int)size;
        cc->codec_type = AVMEDIA_TYPE_VIDEO;
        cc->codec_id = par->codec_id;
        pc->flags |= PARSER_FLAG_COMPLETE_FRAMES;
        av_parser_parse2(pc, cc, &out, &out_size, pkt->data, pkt->size, pkt->pts, pkt->dts,
                         pkt->pos);
        if (pc->width > 0 && pc->height > 0 && pc->width <= 16384 && pc->height <= 16384) {
            if (pc->width != (sg->width > 0 ? sg->width : par->width) ||
                pc->height != (sg->height > 0 ? sg->height : par->height))
                log_info("video: %dx%d from here on", pc->width, pc->height);
            sg->width = pc->width;
            sg->height = pc->height;
        }
    }
    avcodec_free_context(&cc);
    av_parser_close(pc);
}

/* Keep the newest extradata a packet announces (a publisher that
 * reconnected with new parameters); a change starts a new segment. */
static int take_extradata(Segmenter *sg, AVPacket *pkt)
{
    int i = pkt->stream_index;
    size_t size;
    uint8_t *side = av_packet_get_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, &size);
    const AVCodecParameters *par = sg->ist[i]->codecpar;
    const uint8_t *old = sg->extradata[i] ? sg->extradata[i] : par->extradata;
    int oldsize = sg->extradata[i] ? sg->extradata_size[i] : par->extradata_size;

    if (side && size > 0 && size < INT_MAX &&
        ((int)size != oldsize || !old || memcmp(side, old, size))) {
        uint8_t *copy = av_memdup(side, size);
        if (!copy)
            return AVERROR(ENOMEM);
        av_free(sg->extradata[i]);
        sg->extradata[i] = copy;
        sg->extradata_size[i] = (int)size;
        if (i == sg->video)
            probe_size(sg, pkt, side, size);
        if (sg->started) {
            log_info("%s parameters changed: starting a new segment",
                     i == sg->video ? "video" : "audio");
            sg->force_cut = 1;
            sg->discontinuity = 1;
        }
    }
    av_packet_free_side_data(pkt);
    return 0;
}

/* Standard input as libavformat should open it: a regular file (an MP4
 * given with `<`) is seekable, so it is read as the file it is (its index
 * may be at the end); a pipe or a socket is read as a stream. */
static const char *stdin_url(void)
{
    struct stat st;
    if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
        lseek(STDIN_FILENO, 0, SEEK_CUR) == 0 && access("/dev/stdin", R_OK) == 0)
        return "file:/dev/stdin";
    return "pipe:0";
}

/* The AVIO read callback for a pipe or FIFO: plain reads that keep the
 * last bytes, so that the end can be told from a cut (flv_is_end). */
static int read_input(void *opaque, uint8_t *buf, int size)
{
    Segmenter *sg = opaque;
    size_t keep;
    ssize_t n;

    while ((n = read(sg->in_fd, buf, size)) < 0 && errno == EINTR)
        if (stopped(sg))
            return AVERROR_EXIT;
    if (n < 0)
        return AVERROR(errno);
    if (n == 0)
        return AVERROR_EOF;
    if ((size_t)n >= sizeof(sg->tail)) {
        memcpy(sg->tail, buf + n - sizeof(sg->tail), sizeof(sg->tail));
        sg->ntail = sizeof(sg->tail);
    } else {
        keep = sg->ntail < sizeof(sg->tail) - n ? sg->ntail : sizeof(sg->tail) - n;
        memmove(sg->tail, sg->tail + sg->ntail - keep, keep);
        memcpy(sg->tail + keep, buf, n);
        sg->ntail = keep + n;
    }
    return (int)n;
}

/* Read a pipe or FIFO (standard input, or a named FIFO such as live-ingest
 * -o writes) through read_input. 1 when set up, 0 for a regular file. */
static int open_pipe(Segmenter *sg)
{
    const char *in = sg->opt->input;
    struct stat st;
    uint8_t *buf;

    if (!in || !strcmp(in, "-")) {
        if (fstat(STDIN_FILENO, &st) < 0 || S_ISREG(st.st_mode))
            return 0;
        sg->in_fd = STDIN_FILENO;
    } else {
        if (stat(in, &st) < 0 || !S_ISFIFO(st.st_mode))
            return 0;
        if ((sg->in_fd = open(in, O_RDONLY | O_CLOEXEC)) < 0)
            return AVERROR(errno);
        sg->close_in = 1;
    }
    if (!(buf = av_malloc(1 << 16)))
        return AVERROR(ENOMEM);
    if (!(sg->pb = avio_alloc_context(buf, 1 << 16, 0, sg, read_input, NULL, NULL))) {
        av_free(buf);
        return AVERROR(ENOMEM);
    }
    sg->pb->seekable = 0;
    return 1;
}

static int open_input(Segmenter *sg)
{
    const SegmentOptions *opt = sg->opt;
    AVDictionary *o = NULL;
    char url[PATH_MAX + 8], eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (!opt->input || !strcmp(opt->input, "-"))
        av_strlcpy(url, stdin_url(), sizeof(url));
    else
        snprintf(url, sizeof(url), "file:%s", opt->input);
    if (!(sg->ic = avformat_alloc_context()))
        return AVERROR(ENOMEM);
    if ((ret = open_pipe(sg)) < 0) {
        log_error("opening %s: %s", input_name(sg), log_averr(ret, eb, sizeof(eb)));
        snprintf(sg->error, sizeof(sg->error), "cannot open the input");
        return ret;
    }
    if (ret > 0) {
        sg->ic->pb = sg->pb;
        sg->ic->flags |= AVFMT_FLAG_CUSTOM_IO;
        url[0] = '\0';
    }
    sg->ic->interrupt_callback.callback = interrupt_cb;
    sg->ic->interrupt_callback.opaque = sg;
    av_dict_set(&o, "probesize", SEGMENT_PROBESIZE, 0);
    av_dict_set(&o, "analyzeduration", SEGMENT_ANALYZEDURATION, 0);
    av_dict_set(&o, "protocol_whitelist", "file,pipe", 0);
    ret = avformat_open_input(&sg->ic, url, NULL, &o);
    av_dict_free(&o);
    if (ret < 0) {
        if (ret == AVERROR_EXIT)
            return ret;
        if (is_bad_input(ret)) {
            set_error(sg, "%s: not media that can be read (%s)", input_name(sg),
                      ret == AVERROR_EOF ? "empty" : log_averr(ret, eb, sizeof(eb)));
            return AVERROR_INVALIDDATA;
        }
        log_error("opening %s: %s", input_name(sg), log_averr(ret, eb, sizeof(eb)));
        snprintf(sg->error, sizeof(sg->error), "cannot open the input");
        return ret;
    }
    if ((ret = avformat_find_stream_info(sg->ic, NULL)) < 0) {
        if (ret == AVERROR_EXIT)
            return ret;
        log_warn("%s: stream parameters incomplete: %s", input_name(sg),
                 log_averr(ret, eb, sizeof(eb)));
    }
    return 0;
}

/* The segments' container, by the codec of the input's video: MP4, or
 * Matroska for VP8 (segment_ext). */
static int choose_container(Segmenter *sg)
{
    int v = av_find_best_stream(sg->ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    enum AVCodecID codec = AV_CODEC_ID_NONE;

    if (v >= 0 && !(sg->ic->streams[v]->disposition & AV_DISPOSITION_ATTACHED_PIC))
        codec = sg->ic->streams[v]->codecpar->codec_id;
    sg->ext = segment_ext(codec);
    if (!(sg->ofmt = av_guess_format(strcmp(sg->ext, SEGMENT_EXT_MKV) ? sg->ext : "matroska",
                                     NULL, NULL)))
        return AVERROR_MUXER_NOT_FOUND;
    if (strcmp(sg->ext, SEGMENT_EXT))
        log_info("%s segments: %s (the MP4 muxer does not take %s)", sg->ext,
                 sg->ofmt->long_name, avcodec_get_name(codec));
    return 0;
}

static int choose_streams(Segmenter *sg)
{
    static const enum AVMediaType types[2] = { AVMEDIA_TYPE_VIDEO, AVMEDIA_TYPE_AUDIO };
    AVFormatContext *ic = sg->ic;
    int ret;

    sg->video = sg->audio = -1;
    if ((ret = choose_container(sg)) < 0)
        return ret;
    for (int t = 0; t < 2; t++) {
        int idx = av_find_best_stream(ic, types[t], -1, -1, NULL, 0);
        AVStream *st;
        if (idx < 0)
            continue;
        st = ic->streams[idx];
        if (st->disposition & AV_DISPOSITION_ATTACHED_PIC)
            continue;
        if (st->codecpar->codec_id == AV_CODEC_ID_NONE)
            continue;
        if (avformat_query_codec(sg->ofmt, st->codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 1) {
            set_error(sg, "%s: the %s codec %s cannot be segmented", input_name(sg),
                      av_get_media_type_string(types[t]), avcodec_get_name(st->codecpar->codec_id));
            return AVERROR_INVALIDDATA;
        }
        if (types[t] == AVMEDIA_TYPE_VIDEO) {
            if (st->codecpar->width <= 0 || st->codecpar->height <= 0)
                continue;
            sg->video = sg->n;
        } else {
            if (st->codecpar->sample_rate <= 0)
                continue;
            sg->audio = sg->n;
        }
        sg->in_index[sg->n] = idx;
        sg->ist[sg->n] = st;
        sg->n++;
    }
    if (sg->n == 0) {
        set_error(sg, "%s: no audio or video stream", input_name(sg));
        return AVERROR_INVALIDDATA;
    }
    sg->master = sg->ist[sg->video >= 0 ? sg->video : sg->audio]->time_base;
    if (sg->opt->part > 0)
        sg->part_len = FFMAX(1, llrint(sg->opt->part * sg->master.den / sg->master.num));
    for (int i = 0; i < sg->n; i++) {
        AVStream *st = sg->ist[i];
        if (i == sg->video) {
            AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
            if (r.num > 0 && r.den > 0)
                sg->default_duration[i] = av_rescale_q(1, av_inv_q(r), st->time_base);
            log_info("video: %s %dx%d, %.3f fps", avcodec_get_name(st->codecpar->codec_id),
                     st->codecpar->width, st->codecpar->height, r.den ? av_q2d(r) : 0.0);
        } else {
            const AVCodecParameters *par = st->codecpar;
            if (par->frame_size > 0)
                sg->default_duration[i] = av_rescale_q(par->frame_size,
                                                       (AVRational){ 1, par->sample_rate },
                                                       st->time_base);
            log_info("audio: %s %d Hz, %d channels", avcodec_get_name(par->codec_id),
                     par->sample_rate, par->ch_layout.nb_channels);
        }
    }
    return 0;
}

/* Our index of an input packet's stream, or -1. */
static int our_stream(const Segmenter *sg, int idx)
{
    for (int i = 0; i < sg->n; i++)
        if (sg->in_index[i] == idx)
            return i;
    return -1;
}

/* Fill in what the input left out; 0 when the packet is usable. */
static int fix_packet(Segmenter *sg, AVPacket *pkt)
{
    if (pkt->dts == AV_NOPTS_VALUE)
        pkt->dts = pkt->pts;
    if (pkt->pts == AV_NOPTS_VALUE)
        pkt->pts = pkt->dts;
    if (pkt->pts == AV_NOPTS_VALUE)
        return -1;
    if (pkt->duration <= 0)
        pkt->duration = sg->default_duration[pkt->stream_index];
    if (pkt->duration < 0)
        pkt->duration = 0;
    return 0;
}

/* A failed read (not the end): AVERROR_EXIT when a signal cut it short,
 * AVERROR_INVALIDDATA for bad input, else the error; all said. */
static int read_error(Segmenter *sg, int ret)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];

    if (ret == AVERROR_EXIT || stopped(sg))
        return AVERROR_EXIT;
    if (is_bad_input(ret)) {
        set_error(sg, "%s: bad input: %s", input_name(sg), log_averr(ret, eb, sizeof(eb)));
        return AVERROR_INVALIDDATA;
    }
    log_error("reading %s: %s", input_name(sg), log_averr(ret, eb, sizeof(eb)));
    snprintf(sg->error, sizeof(sg->error), "read error");
    return ret;
}

/* A packet of stream i before the first segment started: a video
 * keyframe (or any packet without video) starts it; other video is
 * dropped; audio waits in the early queue (the oldest dropped when full).
 * The packet is consumed. */
static int before_start(Segmenter *sg, AVPacket *pkt, int i)
{
    int ret = 0;

    if (i == sg->video && (pkt->flags & AV_PKT_FLAG_KEY)) {
        ret = start(sg, pkt);
    } else if (i == sg->video) {
        sg->dropped++; /* cannot be decoded without its keyframe */
    } else if (sg->video < 0) {
        ret = start(sg, pkt);
    } else {
        AVPacket *q = av_packet_alloc();
        if (q)
            av_packet_move_ref(q, pkt);
        if (!q) {
            ret = AVERROR(ENOMEM);
        } else if (sg->early.n >= SEGMENT_EARLY_MAX) {
            AVPacket *old = queue_pop(&sg->early);
            av_packet_free(&old);
            sg->dropped++;
        }
        if (q && (ret = queue_push(&sg->early, q)) < 0)
            av_packet_free(&q);
    }
    av_packet_unref(pkt);
    return ret;
}

static int read_loop(Segmenter *sg)
{
    AVPacket *pkt = av_packet_alloc();
    int ret = 0;

    if (!pkt)
        return AVERROR(ENOMEM);
    for (;;) {
        int i;
        if (stopped(sg)) {
            ret = AVERROR_EXIT;
            break;
        }
        ret = av_read_frame(sg->ic, pkt);
        if (stopped(sg)) {
            /* whatever the read returned, it was cut short by the signal */
            av_packet_unref(pkt);
            ret = AVERROR_EXIT;
            break;
        }
        if (ret == AVERROR(EAGAIN))
            continue;
        if (ret == AVERROR_EOF) {
            ret = ts_cut_short(sg) ? AVERROR_INVALIDDATA : 0;
            break;
        }
        if (ret < 0) {
            ret = read_error(sg, ret);
            break;
        }
        if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
            set_error(sg, "%s: truncated or corrupt input", input_name(sg));
            av_packet_unref(pkt);
            ret = AVERROR_INVALIDDATA;
            break;
        }
        if ((i = our_stream(sg, pkt->stream_index)) < 0) {
            av_packet_unref(pkt);
            continue;
        }
        pkt->stream_index = i;
        if ((ret = take_extradata(sg, pkt)) < 0)
            break;
        if (fix_packet(sg, pkt) < 0) {
            sg->dropped++;
            av_packet_unref(pkt);
            continue;
        }
        ret = sg->started ? process(sg, pkt) : before_start(sg, pkt, i);
        if (ret < 0)
            break;
    }
    av_packet_free(&pkt);
    return ret;
}

/* End of input (or of good input): publish what is complete. */
static int finish(Segmenter *sg)
{
    int ret;

    if (!sg->started) {
        if (!sg->error[0])
            set_error(sg, "%s: %s", input_name(sg),
                      sg->video >= 0 ? "no video keyframe" : "no media data");
        return AVERROR_INVALIDDATA;
    }
    if (sg->audio >= 0 && sg->video >= 0 && (ret = drain_audio(sg, 1)) < 0)
        return ret;
    if ((ret = finish_closing(sg)) < 0)
        return ret;
    if (sg->cur)
        return file_finish(sg, &sg->cur, sg->cur->end);
    return 0;
}

/* The end record. With --continue, a pipe or FIFO that stopped without
 * live-ingest's end tag (and not for bad input) was cut: the publisher,
 * live-ingest or this process went away, and the broadcast goes on in a
 * later run, so the record says "lost" and the state stays open. */
static int write_end(Segmenter *sg, int bad)
{
    json_t *rec = record_new("end", sg->opt->stream, sg->seq);
    int lost = sg->opt->resume && sg->pb && !bad && !flv_is_end(sg->tail, sg->ntail) &&
               !remux_is_mkv_end(sg->tail, sg->ntail), ret;

    if (!rec)
        return AVERROR(ENOMEM);
    if (sg->error[0])
        json_object_set_new(rec, "error", json_string(sg->error));
    if (sg->broadcast > 0)
        json_object_set_new(rec, "broadcast", json_integer(sg->broadcast));
    if (lost) {
        json_object_set_new(rec, "lost", json_true());
        log_info("the input was cut, not ended (no end mark): broadcast %" PRId64
                 " goes on in the next run (-c)", sg->broadcast);
    }
    ret = record_write(sg->opt->records, rec);
    json_decref(rec);
    if (ret >= 0 && sg->state_end != INT64_MIN)
        save_state(sg, sg->seq, sg->state_end, !lost);
    return ret;
}

/* Every extension segment_ext gives, for the scans of a stream's spool
 * directory (which may hold both, from broadcasts with other codecs). */
static const char *const segment_exts[] = { SEGMENT_EXT, SEGMENT_EXT_MKV };

const char *segment_ext(enum AVCodecID video)
{
    return video == AV_CODEC_ID_VP8 ? SEGMENT_EXT_MKV : SEGMENT_EXT;
}

/* 1 if name is ".SEQ.EXT.tmp-PID-N" (EXT one of segment_exts) or
 * ".SEQ.pN.nut.tmp-PID-N", with *pid set. */
static int is_segment_tmp(const char *name, long *pid)
{
    char num[32], ext[8];
    int used = 0;

    if (sscanf(name, ".%31[0-9].p%*u." SEGMENT_PART_EXT ".tmp-%ld-%*u%n", num, pid, &used) == 2 &&
        used > 0 && !name[used])
        return 1;
    used = 0;
    if (sscanf(name, ".%31[0-9].%7[a-z0-9].tmp-%ld-%*u%n", num, ext, pid, &used) != 3 ||
        used <= 0 || name[used])
        return 0;
    for (size_t i = 0; i < sizeof(segment_exts) / sizeof(segment_exts[0]); i++)
        if (!strcmp(ext, segment_exts[i]))
            return 1;
    return 0;
}

/* --continue: remove the segments' and parts' temporary files whose
 * writer is gone, ".SEQ.mp4.tmp-PID-N" (.mkv), ".SEQ.pN.nut.tmp-PID-N"
 * (not other stages' files, which may be in use). */
static void clean_dead_tmp(const Segmenter *sg)
{
    char path[PATH_MAX];
    struct dirent *de;
    DIR *d = opendir(sg->dir);
    int n = 0;

    while (d && (de = readdir(d))) {
        long pid;
        if (is_segment_tmp(de->d_name, &pid) && pid > 0 && kill((pid_t)pid, 0) < 0 &&
            errno == ESRCH && record_join(path, sizeof(path), sg->dir, de->d_name) == 0 &&
            unlink(path) == 0)
            n++;
    }
    if (d)
        closedir(d);
    if (n > 0)
        log_info("%s: removed %d temporary files left by an earlier run", sg->dir, n);
}

/* The highest SEQ of the SEQ.EXT files in dir (EXT one of segment_exts):
 * 0 with *last (-1 when there are none) and *ext its extension, or
 * AVERROR. */
static int last_segment(const char *dir, int64_t *last, const char **ext)
{
    struct dirent *de;
    char num[32];
    DIR *d;

    *last = -1;
    *ext = SEGMENT_EXT;
    if (!(d = opendir(dir)))
        return AVERROR(errno);
    while ((de = readdir(d))) {
        const char *dot = strchr(de->d_name, '.');
        const char *e = NULL;
        long v;

        for (size_t i = 0; dot && i < sizeof(segment_exts) / sizeof(segment_exts[0]); i++)
            if (!strcmp(dot + 1, segment_exts[i]))
                e = segment_exts[i];
        if (!e || dot == de->d_name || (size_t)(dot - de->d_name) >= sizeof(num))
            continue;
        memcpy(num, de->d_name, dot - de->d_name);
        num[dot - de->d_name] = '\0';
        if (num[0] == '+' || num[0] == '-' || parse_long(num, 0, LONG_MAX - 1, &v) < 0)
            continue;
        if (v > *last) {
            *last = v;
            *ext = e;
        }
    }
    closedir(d);
    return 0;
}

/* Where the segment file at path ends, in the time base of its first
 * stream (set as sg->base_tb): the latest pts + duration of any packet.
 * AVERROR_INVALIDDATA when it has none. */
static int segment_end(Segmenter *sg, const char *path, int64_t *end)
{
    AVFormatContext *ic = NULL;
    AVPacket *pkt = NULL;
    char url[PATH_MAX + 8];
    int64_t prev[SEGMENT_MAX_STREAMS] = { AV_NOPTS_VALUE, AV_NOPTS_VALUE };
    int64_t step[SEGMENT_MAX_STREAMS] = { 0, 0 };
    int ret;

    *end = INT64_MIN;
    snprintf(url, sizeof(url), "file:%s", path);
    if ((ret = avformat_open_input(&ic, url, NULL, NULL)) < 0)
        return ret;
    if (!ic->nb_streams || !(pkt = av_packet_alloc())) {
        ret = ic->nb_streams ? AVERROR(ENOMEM) : AVERROR_INVALIDDATA;
        goto end;
    }
    sg->base_tb = ic->streams[0]->time_base;
    while ((ret = av_read_frame(ic, pkt)) >= 0) {
        int si = pkt->stream_index;
        if (si < SEGMENT_MAX_STREAMS && pkt->pts != AV_NOPTS_VALUE) {
            /* the last packet of a track may come without a duration:
             * take the step before it */
            int64_t dur = pkt->duration > 0 ? pkt->duration : step[si];
            int64_t e = av_rescale_q_rnd(pkt->pts + dur, ic->streams[si]->time_base,
                                         sg->base_tb, AV_ROUND_UP);
            if (e > *end)
                *end = e;
            if (pkt->dts != AV_NOPTS_VALUE && prev[si] != AV_NOPTS_VALUE && pkt->dts > prev[si])
                step[si] = pkt->dts - prev[si];
            prev[si] = pkt->dts;
        }
        av_packet_unref(pkt);
    }
    if (ret == AVERROR_EOF)
        ret = *end == INT64_MIN ? AVERROR_INVALIDDATA : 0;
end:
    av_packet_free(&pkt);
    avformat_close_input(&ic);
    return ret;
}

/* --continue without a state file: find the last segment in the stream's directory and where
 * it ends; the next one follows it. Stale temporary files are removed. */
static int resume_stream(Segmenter *sg)
{
    char path[PATH_MAX], eb[AV_ERROR_MAX_STRING_SIZE], num[32];
    const char *ext;
    int64_t last, end;
    int ret;

    path[0] = '\0';
    if ((ret = last_segment(sg->dir, &last, &ext)) < 0)
        return ret;
    if (last < 0) {
        log_info("%s: no segments yet: starting at 0", sg->dir);
        return 0;
    }
    snprintf(num, sizeof(num), "%ld.%s", (long)last, ext);
    if ((ret = record_join(path, sizeof(path), sg->dir, num)) < 0 ||
        (ret = segment_end(sg, path, &end)) < 0) {
        log_error("--continue: reading %s: %s", path, log_averr(ret, eb, sizeof(eb)));
        snprintf(sg->error, sizeof(sg->error), "cannot continue after segment %ld", (long)last);
        return ret == AVERROR_INVALIDDATA ? AVERROR_EXTERNAL : ret; /* the spool is broken, not the input */
    }
    sg->seq = last + 1;
    sg->base_ts = end;
    sg->discontinuity = 1;
    log_info("continuing after %s: segment %" PRId64 " at %.3f s", path, sg->seq,
             (double)end * sg->base_tb.num / sg->base_tb.den);
    return 0;
}

/* Which broadcast this run's records belong to, and where they start:
 * --continue goes on with the one in the state file unless it ended
 * (numbering, timeline, a discontinuity first); otherwise, or with no
 * state, a new broadcast from segment 0. A spool without a state file (an older live-segment)
 * is continued from its segment files. */
static int start_broadcast(Segmenter *sg)
{
    SegmentState st = { 0 };
    int ret = load_state(sg, &st);

    if (sg->opt->resume)
        clean_dead_tmp(sg);
    if (ret < 0 && ret != AVERROR(ENOENT)) {
        snprintf(sg->error, sizeof(sg->error), "unreadable state file");
        return AVERROR_EXTERNAL;
    }
    if (ret == AVERROR(ENOENT) && sg->opt->resume) {
        int r = resume_stream(sg);
        if (r < 0 || sg->seq > 0)
            return r;
    }
    if (ret == 0 && sg->opt->resume && !st.ended) {
        sg->broadcast = st.broadcast;
        sg->seq = st.next_seq;
        sg->base_ts = st.end_pts;
        sg->base_tb = st.tb;
        sg->resume_wall = st.wall;
        sg->state_end = INT64_MIN;
        sg->discontinuity = 1;
        log_info("continuing broadcast %" PRId64 ": segment %" PRId64 " at %.3f s",
                 sg->broadcast, sg->seq, (double)st.end_pts * st.tb.num / st.tb.den);
        return 0;
    }
    sg->broadcast = new_broadcast(ret == 0 ? st.broadcast : 0);
    log_debug("broadcast %" PRId64, sg->broadcast);
    return 0;
}

int segment_run(const SegmentOptions *opt)
{
    Segmenter sg = { .opt = opt, .video = -1, .audio = -1, .base_tb = { 1, 1 },
                     .audio_next = AV_NOPTS_VALUE,
                     .drop_before = AV_NOPTS_VALUE,
                     .state_end = INT64_MIN };
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret, ret2;

    if (!(sg.part_fmt = av_guess_format(SEGMENT_PART_EXT, NULL, NULL)))
        ret = AVERROR_MUXER_NOT_FOUND;
    else
        ret = record_join(sg.dir, sizeof(sg.dir), opt->spool, opt->stream);
    if (ret >= 0 && (ret = fs_mkdirs(sg.dir, 0755)) < 0) {
        log_error("creating %s: %s", sg.dir, log_averr(ret, eb, sizeof(eb)));
        snprintf(sg.error, sizeof(sg.error), "cannot create the spool directory");
    }
    if (ret >= 0 && snprintf(sg.state, sizeof(sg.state), "%s/.%s.state", opt->spool,
                             opt->stream) >= (int)sizeof(sg.state))
        ret = AVERROR(ENAMETOOLONG);
    if (ret >= 0)
        ret = start_broadcast(&sg);
    if (ret >= 0)
        ret = open_input(&sg);
    if (ret >= 0)
        ret = choose_streams(&sg);
    if (ret >= 0)
        ret = read_loop(&sg);
    if (ret >= 0 || ret == AVERROR_INVALIDDATA || sg.error[0]) {
        /* the good part is published, also after a fault */
        if (ret != AVERROR_EXIT && ret != AVERROR(EPIPE) && (ret2 = finish(&sg)) < 0 &&
            ret >= 0)
            ret = ret2;
    }
    log_progress_end();
    if (ret == AVERROR_EXIT)
        snprintf(sg.error, sizeof(sg.error), "interrupted");
    file_abort(&sg.closing);
    file_abort(&sg.cur);
    if (ret != AVERROR(EPIPE) && (ret2 = write_end(&sg, ret == AVERROR_INVALIDDATA)) < 0 &&
        ret >= 0)
        ret = ret2;
    if (sg.dropped)
        log_debug("%" PRId64 " packets dropped (before the first keyframe or without timestamps)",
                  sg.dropped);
    queue_free(&sg.early);
    queue_free(&sg.pending);
    for (int i = 0; i < SEGMENT_MAX_STREAMS; i++)
        av_free(sg.extradata[i]);
    avformat_close_input(&sg.ic);
    if (sg.pb)
        av_freep(&sg.pb->buffer);
    avio_context_free(&sg.pb);
    if (sg.close_in)
        close(sg.in_fd);
    return ret;
}
