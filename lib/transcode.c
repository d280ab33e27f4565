/*
 * transcode.c: one segment through the ladder — read once, decode once,
 * scale in a cascade, encode every rung in its own thread. See
 * transcode.h for the picture; audio is in audio.c, sizes in ladder.c.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "array.h"
#include "audio.h"
#include "codecs.h"
#include "deint.h"
#include "log.h"
#include "mp4out.h"
#include "record.h"
#include "transcode.h"

/* Frames waiting between two stages of the cascade; QUEUE_CAP_LARGE
 * when they are pictures above TRANSCODE_LARGE_PIXELS (4K and up: an 8K
 * picture is 50 MB in 8-bit 4:2:0). */
#define QUEUE_CAP 4
#define QUEUE_CAP_LARGE 2

typedef struct FrameQueue {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    AVFrame *f[QUEUE_CAP];
    int head, n, cap;
} FrameQueue;

typedef struct Segment Segment;

typedef struct Rung {
    const LadderRung *lr;
    LadderSize size;
    int pass;                    /* the source's packets, copied */
    char rel[PATH_MAX];          /* output path relative to the spool */
    char path[PATH_MAX];
    char codec[32];
    Mp4Out *mp4;
    /* encoded rungs only */
    Segment *seg;
    AVCodecContext *enc;
    struct SwsContext *sws;
    FrameQueue q;
    int q_init;
    struct Rung *next;           /* the next smaller encoded rung (a list) */
    struct Rung *child[LADDER_MAX_RUNGS]; /* rungs scaled from this one */
    int nchild;
    pthread_t thread;
    int started;
    int err;
    int rank;                    /* among the encoded rungs, 0 the costliest */
    int shed;                    /* left out while encoding (steps.shed) */
    int64_t sent;                /* frames given to the encoder */
    int children_ended;
    int64_t frames, keyframes;
    AVPacket *pkt;
} Rung;

struct Segment {
    const TranscodeOptions *o;
    const json_t *rec;           /* the segment record (borrowed) */
    TranscodeSteps steps;
    const char *rel;             /* the segment's path in the record */
    char path[PATH_MAX];
    AVFormatContext *in;
    AVStream *vst, *ast;
    AVPacket **vpk, **apk;
    int nv, na, capv, capa;
    double seconds;
    AVRational fps;
    int64_t start_pts;
    int64_t *kf;                 /* pts of the source's key frames, sorted */
    int nkf;
    int64_t *pts;                /* pts of every video packet, sorted */
    int64_t frame_ticks;         /* one frame at the nominal rate */
    int follow_source_kf;        /* a rung is passed through: use its key frames */
    int64_t gop_ticks, next_kf;
    LadderFit fit[LADDER_MAX_RUNGS]; /* the rungs this source gets */
    int nfit;
    char dropped[LADDER_MAX_RUNGS][RECORD_MAX_NAME + 1]; /* left out by the load guard */
    int ndropped;
    int max_shed;                /* encoded rungs that may still be left out */
    int64_t src_bitrate;         /* of the video, measured over the segment */
    Rung rung[LADDER_MAX_RUNGS];
    int nr;
    Rung *first;                 /* the encoded rungs, largest first */
    Rung *root[LADDER_MAX_RUNGS]; /* encoded rungs scaled from the source */
    int nroot;
    char audio_rel[PATH_MAX], audio_path[PATH_MAX];
    AudioRendition audio;
    int have_audio;
    char error[512];
};

/* ---- frame queue ---------------------------------------------------- */

static int queue_init(FrameQueue *q, int cap)
{
    memset(q, 0, sizeof(*q));
    q->cap = cap;
    if (pthread_mutex_init(&q->lock, NULL))
        return AVERROR(ENOMEM);
    if (pthread_cond_init(&q->cond, NULL)) {
        pthread_mutex_destroy(&q->lock);
        return AVERROR(ENOMEM);
    }
    return 0;
}

static void queue_destroy(FrameQueue *q)
{
    while (q->n > 0) {
        av_frame_free(&q->f[q->head]);
        q->head = (q->head + 1) % QUEUE_CAP;
        q->n--;
    }
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
}

/* Append f (taken over; NULL marks the end), waiting while the queue is full. */
static void queue_push(FrameQueue *q, AVFrame *f)
{
    pthread_mutex_lock(&q->lock);
    while (q->n == q->cap)
        pthread_cond_wait(&q->cond, &q->lock);
    q->f[(q->head + q->n) % QUEUE_CAP] = f;
    q->n++;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

static AVFrame *queue_pop(FrameQueue *q)
{
    AVFrame *f;
    pthread_mutex_lock(&q->lock);
    while (q->n == 0)
        pthread_cond_wait(&q->cond, &q->lock);
    f = q->f[q->head];
    q->f[q->head] = NULL;
    q->head = (q->head + 1) % QUEUE_CAP;
    q->n--;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
    return f;
}

/* ---- helpers -------------------------------------------------------- */

static void seg_fail(Segment *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Remember the first error of a segment (thread-safe enough: the first
 * writer wins, later ones only log). */
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void seg_fail(Segment *s, int err, const char *fmt, ...)
{
    char msg[384], eb[AV_ERROR_MAX_STRING_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (err < 0)
        log_error("%s: %s: %s", s->rel, msg, log_averr(err, eb, sizeof(eb)));
    else
        log_error("%s: %s", s->rel, msg);
    pthread_mutex_lock(&fail_lock);
    if (!s->error[0]) {
        if (err < 0)
            snprintf(s->error, sizeof(s->error), "%s: %s", msg, eb);
        else
            snprintf(s->error, sizeof(s->error), "%s", msg);
    }
    pthread_mutex_unlock(&fail_lock);
}

/* rel's directory + "/" + rel's name without its extension + "." + id + ext */
static int rendition_path(const char *rel, const char *id, const char *ext, char *buf,
                          size_t size)
{
    const char *slash = strrchr(rel, '/');
    const char *base = slash ? slash + 1 : rel;
    const char *dot = strrchr(base, '.');
    int stem = dot && dot > base ? (int)(dot - rel) : (int)strlen(rel);
    int n = snprintf(buf, size, "%.*s.%s%s", stem, rel, id, ext);
    return n < 0 || (size_t)n >= size ? AVERROR(ENAMETOOLONG) : 0;
}

static int push_packet(AVPacket ***arr, int *n, int *cap, AVPacket *pkt)
{
    return array_push(arr, n, cap, sizeof(**arr), 256, &pkt);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- reading -------------------------------------------------------- */

/* Open the segment file and keep all its packets in memory (a segment is
 * seconds of media): the passthrough decision needs the bit rate first. */
static int read_segment(Segment *s)
{
    AVPacket *pkt = NULL;
    int ret, vi, ai;

    if ((ret = avformat_open_input(&s->in, s->path, NULL, NULL)) < 0) {
        seg_fail(s, ret, "cannot open");
        return AVERROR_INVALIDDATA;
    }
    if ((ret = avformat_find_stream_info(s->in, NULL)) < 0) {
        seg_fail(s, ret, "cannot read stream parameters");
        return AVERROR_INVALIDDATA;
    }
    vi = av_find_best_stream(s->in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    ai = av_find_best_stream(s->in, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    s->vst = vi >= 0 ? s->in->streams[vi] : NULL;
    s->ast = ai >= 0 ? s->in->streams[ai] : NULL;
    if (!s->vst && !s->ast) {
        seg_fail(s, 0, "neither video nor audio");
        return AVERROR_INVALIDDATA;
    }
    for (;;) {
        if (!pkt && !(pkt = av_packet_alloc()))
            return AVERROR(ENOMEM);
        ret = av_read_frame(s->in, pkt);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            av_packet_free(&pkt);
            seg_fail(s, ret, "reading");
            return AVERROR_INVALIDDATA;
        }
        if (s->vst && pkt->stream_index == vi) {
            if (pkt->pts == AV_NOPTS_VALUE) {
                av_packet_free(&pkt);
                seg_fail(s, 0, "a video packet without a timestamp");
                return AVERROR_INVALIDDATA;
            }
            ret = push_packet(&s->vpk, &s->nv, &s->capv, pkt);
        } else if (s->ast && pkt->stream_index == ai) {
            ret = push_packet(&s->apk, &s->na, &s->capa, pkt);
        } else {
            av_packet_unref(pkt);
            continue;
        }
        if (ret < 0) {
            av_packet_free(&pkt);
            return ret;
        }
        pkt = NULL;
    }
    av_packet_free(&pkt);
    if (s->vst && s->nv == 0) {
        seg_fail(s, 0, "no video packets");
        return AVERROR_INVALIDDATA;
    }
    return 0;
}

/* ---- planning ------------------------------------------------------- */

static int source_fits(const Segment *s, const Rung *r, int64_t src_bitrate)
{
    const AVCodecParameters *par = s->vst->codecpar;
    int pass = s->steps.pass;
    if (s->o->passthrough == TRANSCODE_PASS_NEVER || !r->size.is_source || pass < 0)
        return 0;
    if (par->codec_id != AV_CODEC_ID_H264)
        return 0;
    if (deint_wanted(par, NULL))
        return 0;   /* interlaced: it is deinterlaced, never passed through */
    if (par->format != AV_PIX_FMT_YUV420P && par->format != AV_PIX_FMT_YUVJ420P)
        return 0;
    switch (par->profile) {
    case FF_PROFILE_H264_BASELINE:
    case FF_PROFILE_H264_CONSTRAINED_BASELINE:
    case FF_PROFILE_H264_MAIN:
    case FF_PROFILE_H264_HIGH:
        break;
    default:
        return 0;
    }
    if (!(s->vpk[0]->flags & AV_PKT_FLAG_KEY))
        return 0;
    if (pass > 0 || s->o->passthrough == TRANSCODE_PASS_ALWAYS)
        return 1;
    return src_bitrate <= r->lr->bitrate + r->lr->bitrate * s->o->tolerance / 100;
}

/* Put r (encoded) after prev in the list, and in the cascade under the
 * smallest rung before it that is at least as large both ways (the one
 * just above it, for a ladder of one aspect ratio), else under the source. */
static void link_rung(Segment *s, Rung *prev, Rung *r)
{
    Rung *p, *parent = NULL;

    if (prev)
        prev->next = r;
    else
        s->first = r;
    for (p = s->first; p && p != r; p = p->next) {
        if (p->size.width >= r->size.width && p->size.height >= r->size.height)
            parent = p;
    }
    if (parent)
        parent->child[parent->nchild++] = r;
    else
        s->root[s->nroot++] = r;
}

/*
 * The frame rate the encoders are told, the same for every segment of a
 * steady source: the stream's rate from the segment record ("video":
 * {"fps"}), else the segment file's; snapped to the nearest common rate
 * within TRANSCODE_FPS_SNAP. A rate measured over one segment of
 * millisecond timestamps (60 frames in 1.999 s: 30.015 fps) would else
 * differ from segment to segment, and libx264 chooses the level from it:
 * 1280x720 at 30 fps is exactly level 3.1's limit, at 30.015 level 3.2, so
 * the 720p rung's SPS changed between segments of a steady source.
 */
AVRational transcode_nominal_fps(const json_t *rec, const AVStream *vst)
{
    static const AVRational common[] = {
        { 24000, 1001 }, { 24, 1 }, { 25, 1 }, { 30000, 1001 }, { 30, 1 }, { 48, 1 },
        { 50, 1 }, { 60000, 1001 }, { 60, 1 }, { 100, 1 }, { 120000, 1001 }, { 120, 1 },
        { 15, 1 }, { 12, 1 }, { 10, 1 },
    };
    const json_t *v = json_object_get(rec, "video");
    const char *str = json_is_object(v) ? record_str(v, "fps") : NULL;
    AVRational r = { 0, 0 }, snap = { 0, 0 };
    double best = TRANSCODE_FPS_SNAP;
    size_t i;

    if (str && sscanf(str, "%d/%d", &r.num, &r.den) != 2)
        r = (AVRational){ 0, 0 };
    if (r.num <= 0 || r.den <= 0)
        r = vst->avg_frame_rate.num > 0 ? vst->avg_frame_rate : vst->r_frame_rate;
    if (r.num <= 0 || r.den <= 0 || av_q2d(r) > 1000 || av_q2d(r) < 1)
        return (AVRational){ 30, 1 };
    for (i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
        double d = fabs(av_q2d(r) / av_q2d(common[i]) - 1);
        if (d <= best) {
            best = d;
            snap = common[i];
        }
    }
    if (snap.num)
        return snap;
    av_reduce(&r.num, &r.den, r.num, r.den, 1001000);
    return r;
}

/* The video packets' key frames and sorted timestamps, the frame
 * duration and the segment's start; *bytes and *end for its bit rate
 * and length. */
static int scan_video(Segment *s, int64_t *bytes, int64_t *end)
{
    int i;

    *bytes = 0;
    *end = INT64_MIN;
    s->start_pts = INT64_MAX;
    if (!(s->kf = malloc((size_t)s->nv * sizeof(*s->kf))))
        return AVERROR(ENOMEM);
    for (i = 0; i < s->nv; i++) {
        const AVPacket *p = s->vpk[i];
        *bytes += p->size;
        if (p->flags & AV_PKT_FLAG_KEY)
            s->kf[s->nkf++] = p->pts;
        if (p->pts + p->duration > *end)
            *end = p->pts + p->duration;
    }
    if (s->nkf == 0) {
        seg_fail(s, 0, "no key frame in the video");
        return AVERROR_INVALIDDATA;
    }
    qsort(s->kf, (size_t)s->nkf, sizeof(*s->kf), cmp_i64);
    /* every frame's duration is the distance to the next one: the
     * encoders' packets carry none, and MP4 needs the last one */
    if (!(s->pts = malloc((size_t)s->nv * sizeof(*s->pts))))
        return AVERROR(ENOMEM);
    for (i = 0; i < s->nv; i++)
        s->pts[i] = s->vpk[i]->pts;
    qsort(s->pts, (size_t)s->nv, sizeof(*s->pts), cmp_i64);
    s->frame_ticks = FFMAX(1, av_rescale_q(1, av_inv_q(s->fps), s->vst->time_base));
    if (s->vpk[s->nv - 1]->duration > 0)
        s->frame_ticks = s->vpk[s->nv - 1]->duration;
    /* the segment starts at its (first) key frame; frames shown before it
     * (leading pictures of an open GOP) are dropped */
    s->start_pts = s->vpk[0]->flags & AV_PKT_FLAG_KEY ? s->vpk[0]->pts : s->kf[0];
    return 0;
}

/* The rungs of the ladder that fit the source: passed through, encoded
 * (linked into the scaling cascade) or left out by the load guard. Sets
 * *any_pass when one is the source passed through. */
static int plan_rungs(Segment *s, AVRational sar, int64_t src_bitrate, int *any_pass)
{
    const AVCodecParameters *par = s->vst->codecpar;
    Rung *prev = NULL;
    int i, ret, drops, encoded = 0;

    if ((ret = ladder_fit(&s->o->ladder, s->o->exact_ladder, par->width, par->height, sar,
                          s->fit, &s->nfit)) < 0) {
        seg_fail(s, 0, "video size %dx%d not usable", par->width, par->height);
        return AVERROR_INVALIDDATA;
    }
    drops = FFMIN(s->steps.drop, s->nfit - 1);
    for (i = 0; i < s->nfit; i++) {
        Rung *r = &s->rung[s->nr];
        memset(r, 0, sizeof(*r));
        r->lr = &s->fit[i].rung;
        r->size = s->fit[i].size;
        if (s->fit[i].added)
            log_debug("%s: %s added: the source's own size", s->rel, r->lr->id);
        if ((ret = rendition_path(s->rel, r->lr->id, ".mp4", r->rel, sizeof(r->rel))) < 0 ||
            (ret = record_join(r->path, sizeof(r->path), s->o->spool, r->rel)) < 0)
            return ret;
        r->pass = source_fits(s, r, src_bitrate);
        if (!r->pass && drops > 0) {
            /* the load guard: the costliest encoded rungs (largest first) */
            log_debug("%s: %s left out (load guard)", s->rel, r->lr->id);
            snprintf(s->dropped[s->ndropped++], sizeof(s->dropped[0]), "%s", r->lr->id);
            drops--;
            continue;
        }
        *any_pass |= r->pass;
        if (!r->pass) {
            r->seg = s;
            r->rank = encoded++;
            link_rung(s, prev, r);
            prev = r;
        }
        s->nr++;
    }
    /* one video rung always stays */
    s->max_shed = FFMIN(encoded, s->nr - 1);
    return 0;
}

static int plan_video(Segment *s)
{
    const AVCodecParameters *par = s->vst->codecpar;
    AVRational sar = s->vst->sample_aspect_ratio.num ? s->vst->sample_aspect_ratio
                                                     : par->sample_aspect_ratio;
    int64_t bytes, end, src_bitrate;
    int ret, any_pass = 0;

    if ((int64_t)par->width * par->height > TRANSCODE_MAX_PIXELS) {
        seg_fail(s, 0, "video size %dx%d is above 8K (at most %lld pixels, HEVC and AV1"
                 " level 6's limit)", par->width, par->height, TRANSCODE_MAX_PIXELS);
        return AVERROR_INVALIDDATA;
    }
    s->fps = transcode_nominal_fps(s->rec, s->vst);
    if ((ret = scan_video(s, &bytes, &end)) < 0)
        return ret;
    if (s->seconds <= 0)
        s->seconds = (end - s->start_pts) * av_q2d(s->vst->time_base);
    src_bitrate = s->seconds > 0 ? (int64_t)(bytes * 8 / s->seconds) : INT64_MAX;
    s->src_bitrate = src_bitrate;
    log_debug("%s: video %s %dx%d SAR %d:%d, %.3f s, %" PRId64 " bit/s", s->rel,
              avcodec_get_name(par->codec_id), par->width, par->height, sar.num, sar.den,
              s->seconds, src_bitrate);
    if ((ret = plan_rungs(s, sar, src_bitrate, &any_pass)) < 0)
        return ret;
    if (s->nr == 0 && !s->ast) {
        seg_fail(s, 0, "every rung is larger than the %dx%d source, and there is no audio",
                 par->width, par->height);
        return AVERROR_INVALIDDATA;
    }
    if (s->nr == 0) {
        /* an exact ladder whose every rung is larger: the audio goes on */
        log_warn("%s: every rung is larger than the %dx%d source: audio only", s->rel,
                 par->width, par->height);
        return 0;
    }
    s->follow_source_kf = any_pass;
    s->gop_ticks = av_rescale_q(llround(s->o->gop * 1000000), (AVRational){ 1, 1000000 },
                                s->vst->time_base);
    if (s->gop_ticks <= 0)
        s->gop_ticks = 1;
    s->next_kf = s->start_pts;
    return 0;
}

/* ---- passthrough ---------------------------------------------------- */

static int write_passthrough(Segment *s, Rung *r)
{
    AVPacket *pkt = av_packet_alloc();
    const AVCodecParameters *par = s->vst->codecpar;
    int ret, i;

    if (!pkt)
        return AVERROR(ENOMEM);
    if ((ret = mp4out_open(&r->mp4, r->path, par, s->vst->time_base)) < 0)
        goto done;
    for (i = 0; i < s->nv; i++) {
        if ((ret = av_packet_ref(pkt, s->vpk[i])) < 0 || (ret = mp4out_write(r->mp4, pkt)) < 0)
            goto done;
    }
    if (codecs_avc(par->extradata, (size_t)par->extradata_size, r->codec, sizeof(r->codec)) < 0)
        codecs_avc(s->vpk[0]->data, (size_t)s->vpk[0]->size, r->codec, sizeof(r->codec));
done:
    if (ret < 0)
        seg_fail(s, ret, "%s: writing", r->lr->id);
    av_packet_free(&pkt);
    return ret;
}

/* ---- encoded rungs -------------------------------------------------- */

void transcode_x264_setup(AVCodecContext *c, const TranscodeOptions *o, const LadderRung *lr,
                          const LadderSize *size, AVRational tb, AVRational fps,
                          const AVCodecContext *dec)
{
    int gop_frames = (int)FFMAX(1, llround(o->gop * av_q2d(fps)));

    c->width = size->width;
    c->height = size->height;
    c->sample_aspect_ratio = size->sar;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = tb;
    c->framerate = fps;
    c->color_primaries = dec->color_primaries;
    c->color_trc = dec->color_trc;
    c->colorspace = dec->colorspace;
    c->color_range = AVCOL_RANGE_MPEG;
    c->bit_rate = lr->bitrate;
    c->rc_max_rate = lr->bitrate;
    c->rc_buffer_size = (int)FFMIN(INT_MAX, lr->bitrate * TRANSCODE_BUFSIZE_SECONDS);
    c->gop_size = gop_frames;
    c->keyint_min = gop_frames;
    c->thread_count = o->threads;
    c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_CLOSED_GOP;
}

void transcode_x264_codec(const AVCodecContext *c, char *buf, size_t size)
{
    if (codecs_avc(c->extradata, (size_t)c->extradata_size, buf, size) < 0)
        snprintf(buf, size, "avc1.640028");
}

int transcode_grid_key(int64_t pts, int64_t *next_kf, int64_t gop_ticks)
{
    int key = pts >= *next_kf;

    while (*next_kf <= pts)
        *next_kf += gop_ticks;
    return key;
}

void transcode_frame_key(AVFrame *f, int64_t pts, int key)
{
    f->pts = pts;
    f->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    f->key_frame = key;
}

static int open_encoder(Segment *s, Rung *r, const AVCodecContext *dec)
{
    const TranscodeOptions *o = s->o;
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    AVDictionary *opts = NULL;
    AVCodecContext *c;
    int ret;

    if (!codec) {
        seg_fail(s, AVERROR_ENCODER_NOT_FOUND, "libx264");
        return AVERROR_ENCODER_NOT_FOUND;
    }
    if (!(c = r->enc = avcodec_alloc_context3(codec)) || !(r->pkt = av_packet_alloc()))
        return AVERROR(ENOMEM);
    transcode_x264_setup(c, o, r->lr, &r->size, s->vst->time_base, s->fps, dec);
    c->chroma_sample_location = dec->chroma_sample_location;
    /* key frames are forced by timestamp (see decode_video); x264's own
     * interval agrees with them, or is off when following the source */
    if (s->follow_source_kf)
        c->gop_size = 1 << 30;
    av_dict_set(&opts, "preset", o->preset, 0);
    if (o->tune)
        av_dict_set(&opts, "tune", o->tune, 0);
    av_dict_set(&opts, "forced-idr", "1", 0);
    av_dict_set(&opts, "x264-params",
                s->steps.faster ? "scenecut=0:open-gop=0:" TRANSCODE_FASTER
                                : "scenecut=0:open-gop=0", 0);
    ret = avcodec_open2(c, codec, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        seg_fail(s, ret, "%s: opening libx264", r->lr->id);
        return ret;
    }
    transcode_x264_codec(c, r->codec, sizeof(r->codec));
    if ((ret = mp4out_open_encoder(&r->mp4, r->path, c)) < 0)
        seg_fail(s, ret, "%s: creating the rendition file", r->lr->id);
    return ret;
}

/* The duration of the frame shown at pts: up to the next frame, the last
 * one as long as the source's last packet (or one nominal frame). */
static int64_t frame_duration(const Segment *s, int64_t pts)
{
    const int64_t *p = bsearch(&pts, s->pts, (size_t)s->nv, sizeof(*s->pts), cmp_i64);
    if (p && p + 1 < s->pts + s->nv)
        return p[1] - p[0];
    return s->frame_ticks;
}

static int drain_encoder(Rung *r)
{
    int ret;
    for (;;) {
        ret = avcodec_receive_packet(r->enc, r->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ret;
        r->pkt->duration = frame_duration(r->seg, r->pkt->pts);
        if (r->pkt->flags & AV_PKT_FLAG_KEY)
            r->keyframes++;
        r->frames++;
        if ((ret = mp4out_write(r->mp4, r->pkt)) < 0)
            return ret;
    }
}

/* Scale f (taken over) to the rung's size; returns the frame to encode. */
static int scale_frame(Rung *r, AVFrame **fp)
{
    AVFrame *f = *fp, *d;
    int ret;

    if (f->width == r->size.width && f->height == r->size.height &&
        f->format == AV_PIX_FMT_YUV420P)
        return 0;
    r->sws = sws_getCachedContext(r->sws, f->width, f->height, f->format, r->size.width,
                                  r->size.height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL,
                                  NULL, NULL);
    if (!r->sws)
        return AVERROR(EINVAL);
    if (!(d = av_frame_alloc()))
        return AVERROR(ENOMEM);
    d->width = r->size.width;
    d->height = r->size.height;
    d->format = AV_PIX_FMT_YUV420P;
    if ((ret = av_frame_get_buffer(d, 0)) < 0 || (ret = av_frame_copy_props(d, f)) < 0) {
        av_frame_free(&d);
        return ret;
    }
    sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, d->data,
              d->linesize);
    av_frame_free(fp);
    *fp = d;
    return 0;
}

/* Give f (taken over) to each rung of to[0..n): clones to all but the last. */
static int hand_on(Rung *const *to, int n, AVFrame *f)
{
    int i;
    for (i = 0; i < n; i++) {
        AVFrame *c = i == n - 1 ? f : av_frame_clone(f);
        if (!c) {
            av_frame_free(&f);
            return AVERROR(ENOMEM);
        }
        queue_push(&to[i]->q, c);
    }
    if (n == 0)
        av_frame_free(&f);
    return 0;
}

static void end_children(Rung *r)
{
    int i;
    if (r->children_ended)
        return;
    for (i = 0; i < r->nchild; i++)
        queue_push(&r->child[i]->q, NULL);
    r->children_ended = 1;
}

/* Whether the caller now wants r left out (steps.shed): the costliest
 * encoded rungs first, beyond those planned out, one video rung staying.
 * (rung_main asks only in the first half of the segment: later, what is
 * left costs less than the rendition is worth.) */
static int shed_now(const Rung *r)
{
    const Segment *s = r->seg;
    int want;

    if (!s->steps.shed)
        return 0;
    want = FFMIN(atomic_load(s->steps.shed) - s->ndropped, s->max_shed);
    return r->rank < want;
}

/* The thread of one encoded rung: scale, hand on, encode, until the end. */
static void *rung_main(void *arg)
{
    Rung *r = arg;
    AVFrame *f;
    int ret;

    while ((f = queue_pop(&r->q))) {
        if (r->err) {
            av_frame_free(&f);
            continue;
        }
        if (!r->shed && r->sent < r->seg->nv / 2 && shed_now(r)) {
            r->shed = 1;
            log_debug("%s: %s left out from frame %" PRId64 " (load guard)", r->seg->rel,
                      r->lr->id, r->frames);
        }
        if ((ret = scale_frame(r, &f)) < 0)
            goto fail;
        f->sample_aspect_ratio = r->size.sar;
        if (r->nchild) {
            AVFrame *c = av_frame_clone(f);
            if (!c || (ret = hand_on(r->child, r->nchild, c)) < 0) {
                ret = AVERROR(ENOMEM);
                goto fail;
            }
        }
        if (r->shed) {
            /* still scaled for the rungs below, not encoded */
            av_frame_free(&f);
            continue;
        }
        ret = avcodec_send_frame(r->enc, f);
        r->sent++;
        av_frame_free(&f);
        if (ret < 0 || (ret = drain_encoder(r)) < 0)
            goto fail;
        continue;
    fail:
        av_frame_free(&f);
        seg_fail(r->seg, ret, "%s: encoding", r->lr->id);
        r->err = ret;
        end_children(r);
    }
    end_children(r);
    if (!r->err && !r->shed) {
        if ((ret = avcodec_send_frame(r->enc, NULL)) < 0 || (ret = drain_encoder(r)) < 0) {
            seg_fail(r->seg, ret, "%s: flushing the encoder", r->lr->id);
            r->err = ret;
        }
    }
    return NULL;
}

/* ---- decoding ------------------------------------------------------- */

static int is_source_kf(const Segment *s, int64_t pts)
{
    return bsearch(&pts, s->kf, (size_t)s->nkf, sizeof(*s->kf), cmp_i64) != NULL;
}

/* Hand a decoded frame (taken over) to the cascade, with its key-frame decision. */
static int feed(Segment *s, AVFrame *f)
{
    int64_t pts = f->best_effort_timestamp;
    int key;

    if (pts == AV_NOPTS_VALUE)
        pts = f->pts;
    if (pts == AV_NOPTS_VALUE || pts < s->start_pts) {
        av_frame_free(&f);
        return 0;
    }
    key = s->follow_source_kf ? is_source_kf(s, pts)
                              : transcode_grid_key(pts, &s->next_kf, s->gop_ticks);
    transcode_frame_key(f, pts, key);
    return hand_on(s->root, s->nroot, f);
}

/* Deinterlaced frames, as many as the filter has ready, to the cascade. */
static int deint_drain(Segment *s, Deint *d)
{
    for (;;) {
        AVFrame *f = av_frame_alloc();
        int ret;
        if (!f)
            return AVERROR(ENOMEM);
        ret = deint_receive(d, f);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
            av_frame_free(&f);
            return 0;
        }
        if (ret < 0) {
            av_frame_free(&f);
            seg_fail(s, ret, "deinterlacing");
            return ret;
        }
        if ((ret = feed(s, f)) < 0)
            return ret;
    }
}

/* A decoded frame (taken over) on its way to the cascade: through the
 * deinterlacer when the source is interlaced (decided at its first frame). */
static int take_frame(Segment *s, Deint **d, int *decided, AVFrame *f)
{
    int ret;

    if (!*decided) {
        *decided = 1;
        if (deint_wanted(s->vst->codecpar, f)) {
            if ((ret = deint_open(d, f, s->vst->time_base)) < 0) {
                av_frame_free(&f);
                seg_fail(s, ret, "opening the deinterlacer");
                return ret;
            }
            log_debug("%s: interlaced source: deinterlaced (bwdif)", s->rel);
        }
    }
    if (!*d)
        return feed(s, f);
    if (f->best_effort_timestamp != AV_NOPTS_VALUE)
        f->pts = f->best_effort_timestamp;
    ret = deint_send(*d, f);
    av_frame_free(&f);
    if (ret < 0) {
        seg_fail(s, ret, "deinterlacing");
        return ret;
    }
    return deint_drain(s, *d);
}

static int decode_video(Segment *s, AVCodecContext *dec)
{
    AVFrame *f = NULL;
    Deint *d = NULL;
    int ret = 0, i, frames = 0, decided = 0;

    for (i = 0; i <= s->nv; i++) {
        ret = avcodec_send_packet(dec, i < s->nv ? s->vpk[i] : NULL);
        if (ret < 0 && ret != AVERROR(EAGAIN)) {
            seg_fail(s, ret, "decoding video packet %d", i);
            ret = AVERROR_INVALIDDATA;
            goto done;
        }
        for (;;) {
            if (!f && !(f = av_frame_alloc())) {
                ret = AVERROR(ENOMEM);
                goto done;
            }
            ret = avcodec_receive_frame(dec, f);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
                break;
            if (ret < 0) {
                seg_fail(s, ret, "decoding video");
                ret = AVERROR_INVALIDDATA;
                goto done;
            }
            if (f->decode_error_flags)
                log_warn("%s: a damaged video frame (concealed)", s->rel);
            frames++;
            ret = take_frame(s, &d, &decided, f);
            f = NULL;
            if (ret < 0)
                goto done;
        }
    }
    ret = 0;
    if (d && ((ret = deint_send(d, NULL)) < 0 || (ret = deint_drain(s, d)) < 0))
        goto done;
    if (frames == 0) {
        seg_fail(s, 0, "no video frame could be decoded");
        ret = AVERROR_INVALIDDATA;
    }
done:
    av_frame_free(&f);
    deint_free(&d);
    return ret;
}

/*
 * Threads for the video decoder: the option's, fewer when the pictures
 * are so large that the pictures frame threads hold (one each, beside the
 * reference frames) would pass TRANSCODE_DECODE_MEMORY: an 8K 8-bit
 * source gets at most 10, a 10-bit one 5.
 */
static int decoder_threads(const Segment *s)
{
    const AVCodecParameters *par = s->vst->codecpar;
    int64_t pic = av_image_get_buffer_size(par->format, par->width, par->height, 1);
    int n = s->o->threads;

    if (pic <= 0)
        pic = (int64_t)par->width * par->height * 3;    /* unknown format: 4:4:4 16-bit */
    if (n > 1 && pic * n > TRANSCODE_DECODE_MEMORY) {
        n = (int)FFMAX(1, TRANSCODE_DECODE_MEMORY / pic);
        log_debug("%s: %dx%d pictures: %d decoder threads", s->rel, par->width, par->height, n);
    }
    return n;
}

static int is_root(const Segment *s, const Rung *r)
{
    for (int i = 0; i < s->nroot; i++)
        if (s->root[i] == r)
            return 1;
    return 0;
}

static int run_cascade(Segment *s)
{
    const AVCodec *dc = avcodec_find_decoder(s->vst->codecpar->codec_id);
    AVCodecContext *dec = NULL;
    Rung *r;
    int ret, dret = 0, i;

    if (!dc) {
        seg_fail(s, 0, "no decoder for %s", avcodec_get_name(s->vst->codecpar->codec_id));
        return AVERROR_INVALIDDATA;
    }
    if (!(dec = avcodec_alloc_context3(dc)))
        return AVERROR(ENOMEM);
    if ((ret = avcodec_parameters_to_context(dec, s->vst->codecpar)) < 0)
        goto done;
    dec->pkt_timebase = s->vst->time_base;
    dec->thread_count = decoder_threads(s);
    if ((ret = avcodec_open2(dec, dc, NULL)) < 0) {
        seg_fail(s, ret, "opening the video decoder");
        ret = AVERROR_INVALIDDATA;
        goto done;
    }
    for (r = s->first; r; r = r->next) {
        if ((ret = open_encoder(s, r, dec)) < 0)
            goto done;
    }
    for (r = s->first; r; r = r->next) {
        /* a root rung's queue holds source pictures */
        int large = (int64_t)s->vst->codecpar->width * s->vst->codecpar->height >
                    TRANSCODE_LARGE_PIXELS;
        if ((ret = queue_init(&r->q, large && is_root(s, r) ? QUEUE_CAP_LARGE : QUEUE_CAP)) < 0)
            goto done;
        r->q_init = 1;
    }
    for (r = s->first; r; r = r->next) {
        if (pthread_create(&r->thread, NULL, rung_main, r)) {
            ret = AVERROR(EAGAIN);
            seg_fail(s, ret, "starting a thread");
            break;
        }
        r->started = 1;
    }
    if (ret >= 0)
        dret = decode_video(s, dec);
    /* the end travels down the cascade: each rung passes it on */
    for (i = 0; i < s->nroot; i++) {
        if (s->root[i]->q_init)
            queue_push(&s->root[i]->q, NULL);
    }
    for (r = s->first; r; r = r->next) {
        if (r->started) {
            pthread_join(r->thread, NULL);
            r->started = 0;
        } else if (r->q_init) {
            end_children(r);
        }
        if (r->err && ret >= 0)
            ret = r->err;
    }
    if (dret < 0)
        ret = dret;
done:
    avcodec_free_context(&dec);
    return ret;
}

/* ---- the record ----------------------------------------------------- */

static json_t *ratio(AVRational q)
{
    char b[48];
    snprintf(b, sizeof(b), "%d:%d", q.num, q.den);
    return json_string(b);
}

static json_t *fraction(AVRational q)
{
    char b[48];
    snprintf(b, sizeof(b), "%d/%d", q.num, q.den);
    return json_string(b);
}

static json_t *new_record(const json_t *seg)
{
    json_t *rec = record_new("renditions", record_str(seg, "stream"),
                             record_int(seg, "seq", 0));
    const char *keys[] = { "start", "duration", "discontinuity", "broadcast" };
    for (size_t i = 0; rec && i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(seg, keys[i]);
        if (v)
            json_object_set(rec, keys[i], v);
    }
    return rec;
}

static json_t *success_record(const Segment *s, const json_t *seg)
{
    json_t *rec = new_record(seg), *arr = json_array();
    int i;

    if (!rec || !arr) {
        json_decref(rec);
        json_decref(arr);
        return NULL;
    }
    for (i = 0; i < s->nr; i++) {
        const Rung *r = &s->rung[i];
        if (r->shed)
            continue;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:o, s:I, s:s, s:b}",
            "id", r->lr->id, "kind", "video", "path", r->rel,
            "width", r->size.width, "height", r->size.height,
            "sar", ratio(r->size.sar), "fps", fraction(s->fps),
            "bandwidth", (json_int_t)(r->pass && s->src_bitrate > r->lr->bitrate &&
                                      s->src_bitrate < INT64_MAX ? s->src_bitrate
                                                                 : r->lr->bitrate),
            "codec", r->codec,
            "passthrough", r->pass));
    }
    if (s->have_audio)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:i}",
            "id", "audio", "kind", "audio", "path", s->audio_rel,
            "codec", s->audio.codec, "bandwidth", (json_int_t)s->audio.bandwidth,
            "sample_rate", s->audio.sample_rate, "channels", s->audio.channels));
    json_object_set_new(rec, "renditions", arr);
    if (s->ndropped) {
        json_t *d = json_array();
        for (i = 0; d && i < s->ndropped; i++)
            json_array_append_new(d, json_string(s->dropped[i]));
        if (d)
            json_object_set_new(rec, "dropped", d);
    }
    return rec;
}

static json_t *failed_record(const Segment *s, const json_t *seg)
{
    json_t *rec = new_record(seg);
    if (!rec)
        return NULL;
    json_object_set_new(rec, "failed", json_true());
    json_object_set_new(rec, "error", json_string(s->error[0] ? s->error : "failed"));
    json_object_set_new(rec, "renditions", json_array());
    return rec;
}

/* ---- the segment ---------------------------------------------------- */

static int segment_run(Segment *s)
{
    int ret, i;

    if ((ret = read_segment(s)) < 0)
        return ret;
    if (s->vst && (ret = plan_video(s)) < 0)
        return ret;
    if (s->ast) {
        if ((ret = rendition_path(s->rel, "audio", ".mp4", s->audio_rel,
                                  sizeof(s->audio_rel))) < 0 ||
            (ret = record_join(s->audio_path, sizeof(s->audio_path), s->o->spool,
                               s->audio_rel)) < 0)
            return ret;
        ret = audio_rendition(s->ast, s->apk, s->na, s->seconds, s->o->audio_bitrate,
                              s->audio_path, &s->audio);
        if (ret < 0) {
            seg_fail(s, ret, "audio");
            return ret;
        }
        s->have_audio = 1;
    }
    for (i = 0; i < s->nr; i++) {
        if (s->rung[i].pass && (ret = write_passthrough(s, &s->rung[i])) < 0)
            return ret;
    }
    if (s->first && (ret = run_cascade(s)) < 0)
        return ret;
    /* the rungs left out while encoding: as if planned out */
    for (i = 0; i < s->nr; i++) {
        Rung *r = &s->rung[i];
        if (r->shed) {
            mp4out_close(&r->mp4, 0);
            snprintf(s->dropped[s->ndropped++], sizeof(s->dropped[0]), "%s", r->lr->id);
        }
    }
    /* publish all video renditions, or none */
    for (i = 0; i < s->nr; i++) {
        if (s->rung[i].shed)
            continue;
        if ((ret = mp4out_close(&s->rung[i].mp4, 1)) < 0) {
            seg_fail(s, ret, "%s: finishing the file", s->rung[i].lr->id);
            while (--i >= 0)
                unlink(s->rung[i].path);
            return ret;
        }
    }
    for (i = 0; i < s->nr; i++) {
        const Rung *r = &s->rung[i];
        log_debug("%s: %s %dx%d %s%s, %" PRId64 " frames, %" PRId64 " key frames", s->rel,
                  r->lr->id, r->size.width, r->size.height, r->codec,
                  r->pass ? " (passthrough)" : "", r->frames, r->keyframes);
    }
    return 0;
}

static void segment_free(Segment *s)
{
    int i;
    for (i = 0; i < s->nr; i++) {
        Rung *r = &s->rung[i];
        mp4out_close(&r->mp4, 0);
        avcodec_free_context(&r->enc);
        av_packet_free(&r->pkt);
        sws_freeContext(r->sws);
        if (r->q_init)
            queue_destroy(&r->q);
    }
    for (i = 0; i < s->nv; i++)
        av_packet_free(&s->vpk[i]);
    for (i = 0; i < s->na; i++)
        av_packet_free(&s->apk[i]);
    free(s->vpk);
    free(s->apk);
    free(s->kf);
    free(s->pts);
    avformat_close_input(&s->in);
}

int transcode_segment(const TranscodeOptions *o, const TranscodeSteps *steps,
                      const json_t *seg, json_t **out)
{
    Segment *s = calloc(1, sizeof(*s));
    int ret;

    *out = NULL;
    if (!s)
        return AVERROR(ENOMEM);
    s->o = o;
    s->rel = record_str(seg, "path");
    s->rec = seg;
    if (steps)
        s->steps = *steps;
    s->seconds = record_num(seg, "duration", 0);
    if (!s->rel || !record_path_ok(s->rel)) {
        s->rel = "(no path)";
        seg_fail(s, 0, "segment record without a valid \"path\"");
        ret = AVERROR_INVALIDDATA;
    } else if ((ret = record_join(s->path, sizeof(s->path), o->spool, s->rel)) < 0) {
        seg_fail(s, ret, "path");
    } else {
        ret = segment_run(s);
    }
    if (ret < 0) {
        if (s->have_audio)
            unlink(s->audio_path);
        if (!s->error[0])
            seg_fail(s, ret, "failed");
        *out = failed_record(s, seg);
        /* read errors are bad input; ours (encoder, disk, memory) are not */
        if (ret != AVERROR_INVALIDDATA && ret != AVERROR(ENOMEM))
            log_debug("%s: runtime failure", s->rel);
    } else {
        *out = success_record(s, seg);
    }
    segment_free(s);
    free(s);
    if (!*out)
        return AVERROR(ENOMEM);
    return ret;
}

int transcode_check(const TranscodeOptions *o)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    AVCodecContext *c;
    AVDictionary *opts = NULL;
    int ret;

    if (!codec) {
        log_error("libavcodec has no libx264 encoder");
        return AVERROR_ENCODER_NOT_FOUND;
    }
    if (!(c = avcodec_alloc_context3(codec)))
        return AVERROR(ENOMEM);
    c->width = 64;
    c->height = 64;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = (AVRational){ 1, 25 };
    c->thread_count = 1;
    av_dict_set(&opts, "preset", o->preset, 0);
    if (o->tune)
        av_dict_set(&opts, "tune", o->tune, 0);
    ret = avcodec_open2(c, codec, &opts);
    av_dict_free(&opts);
    avcodec_free_context(&c);
    if (ret < 0) {
        log_error("libx264 refuses preset \"%s\"%s%s", o->preset, o->tune ? " or tune " : "",
                  o->tune ? o->tune : "");
        return AVERROR(EINVAL);
    }
    return 0;
}
