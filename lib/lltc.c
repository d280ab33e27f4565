/*
 * lltc.c: live-transcode --low-latency: part records in, chunk records
 * out as each part is encoded, and the usual renditions record at every
 * segment's end. See lltc.h.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "array.h"
#include "audio.h"
#include "codecs.h"
#include "lltc.h"
#include "log.h"
#include "mp4out.h"
#include "record.h"

#define LLTC_MAX_STREAMS 64
/* Part boundaries waiting for their frames (a B-frame source holds one
 * or two frames back; more means something is wrong). */
#define LLTC_MAX_BOUNDS 64

typedef struct PacketList {
    AVPacket **p;
    int n, cap;
} PacketList;

typedef struct LlRung {
    const LadderRung *lr;
    LadderSize size;
    AVCodecContext *enc;
    struct SwsContext *sws;
    char codec[32];
    PacketList out;             /* encoded, not yet in a chunk */
    int64_t sent, got;          /* frames sent to the encoder, packets out */
    Mp4Out *whole;              /* the segment's rendition file */
    char whole_rel[PATH_MAX], whole_path[PATH_MAX];
} LlRung;

typedef struct Bound {
    int64_t end;                /* pts (video time base, output timeline) */
    int last;
} Bound;

typedef struct LlStream {
    char name[RECORD_MAX_NAME + 1];
    int active;                 /* a segment is in progress here */
    int done;                   /* its last part was transcoded: chunks complete */
    int64_t seq, broadcast;
    int next_part;              /* the part record expected next */
    int chunk;                  /* the next chunk's index */
    json_t *rec0;               /* part 0's record */
    char rel0[PATH_MAX];        /* part 0's path: chunk names are made from it */
    AVFormatContext *fmt;       /* part 0's file, for its streams' parameters */
    int vi, ai;
    AVCodecContext *dec;
    AVRational vtb, atb, fps;
    int64_t vshift, ashift;     /* the parts' shift in each time base */
    int64_t gop_ticks, next_kf;
    int64_t chunk_start;        /* pts where the next chunk starts */
    int64_t seg_start;
    int64_t fed_below;          /* packets fed ... */
    int64_t *fed_pts;           /* pts of packets fed, for completeness checks */
    int nfed, capfed;
    int64_t decoded_max;        /* highest frame pts out of the decoder */
    int64_t *dec_pts;           /* pts of decoded frames */
    int ndec, capdec;
    Bound bounds[LLTC_MAX_BOUNDS];
    int nbounds;
    LadderFit fit[LADDER_MAX_RUNGS];
    int nfit;
    LlRung rung[LADDER_MAX_RUNGS];
    int nr;
    PacketList audio;           /* audio packets not yet in a chunk */
    PacketList audio_all;       /* the segment's audio */
    int have_audio;
    AudioRendition ar;
    char audio_rel[PATH_MAX];
    int64_t video_bytes;
} LlStream;

typedef struct LlRun {
    const TcrunOptions *o;
    FILE *out;
    LlStream *streams;
    int nstreams;
    int bad, failure, gone;
} LlRun;

/* ---- small helpers ---- */

static int list_push(PacketList *l, AVPacket *p)
{
    return array_push(&l->p, &l->n, &l->cap, sizeof(*l->p), 64, &p);
}

/* Remove the first n packets of l (they were moved elsewhere). */
static void list_shift(PacketList *l, int n)
{
    memmove(l->p, l->p + n, (size_t)(l->n - n) * sizeof(*l->p));
    l->n -= n;
}

static void list_clear(PacketList *l)
{
    for (int i = 0; i < l->n; i++)
        av_packet_free(&l->p[i]);
    free(l->p);
    memset(l, 0, sizeof(*l));
}

static int push_i64(int64_t **a, int *n, int *cap, int64_t v)
{
    return array_push(a, n, cap, sizeof(**a), 64, &v);
}

static int64_t count_below(const int64_t *a, int n, int64_t end)
{
    int64_t c = 0;
    for (int i = 0; i < n; i++)
        c += a[i] < end;
    return c;
}

/* rel without its extension + "." + mid + "." + id + ".mp4" */
static int chunk_path(const char *rel, const char *mid, const char *id, char *buf, size_t size)
{
    const char *slash = strrchr(rel, '/');
    const char *base = slash ? slash + 1 : rel;
    const char *dot = strchr(base, '.');
    int stem = dot && dot > base ? (int)(dot - rel) : (int)strlen(rel);
    int n = snprintf(buf, size, "%.*s.%s%s%s.mp4", stem, rel, mid, mid[0] ? "." : "", id);
    return n < 0 || (size_t)n >= size ? AVERROR(ENAMETOOLONG) : 0;
}

static void unlink_spool(const LlRun *run, const char *rel)
{
    char path[PATH_MAX];
    if (run->o->keep || !rel || !record_path_ok(rel) ||
        record_join(path, sizeof(path), run->o->t.spool, rel) < 0)
        return;
    if (unlink(path) < 0 && errno != ENOENT)
        log_warn("%s: cannot remove: %s", path, strerror(errno));
}

static int emit(LlRun *run, const json_t *rec)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (run->gone)
        return AVERROR(EPIPE);
    if ((ret = record_write(run->out, rec)) < 0) {
        if (ret == AVERROR(EPIPE))
            log_warn("standard output closed: stopping");
        else
            log_error("writing a record: %s", log_averr(ret, eb, sizeof(eb)));
        run->gone = 1;
        if (ret != AVERROR(EPIPE) && !run->failure)
            run->failure = ret;
    }
    return ret;
}

/* ---- the segment in progress ---- */

static void segment_reset(LlStream *s)
{
    for (int i = 0; i < s->nr; i++) {
        LlRung *r = &s->rung[i];
        avcodec_free_context(&r->enc);
        sws_freeContext(r->sws);
        r->sws = NULL;
        list_clear(&r->out);
        mp4out_close(&r->whole, 0);
    }
    s->nr = 0;
    avcodec_free_context(&s->dec);
    avformat_close_input(&s->fmt);
    list_clear(&s->audio);
    list_clear(&s->audio_all);
    free(s->fed_pts);
    free(s->dec_pts);
    s->fed_pts = s->dec_pts = NULL;
    s->nfed = s->capfed = s->ndec = s->capdec = 0;
    json_decref(s->rec0);
    s->rec0 = NULL;
    s->active = s->done = 0;
    s->nbounds = 0;
    s->chunk = 0;
    s->have_audio = 0;
    s->video_bytes = 0;
}

static LlStream *stream_get(LlRun *run, const char *name)
{
    LlStream *s;
    for (int i = 0; i < run->nstreams; i++)
        if (!strcmp(run->streams[i].name, name))
            return &run->streams[i];
    if (run->nstreams == LLTC_MAX_STREAMS)
        return NULL;
    s = &run->streams[run->nstreams++];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    return s;
}

static int open_encoder(LlRun *run, LlStream *s, LlRung *r)
{
    const TranscodeOptions *o = &run->o->t;
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    AVDictionary *opts = NULL;
    AVCodecContext *c;
    char tune[64];
    int ret;

    if (!codec)
        return AVERROR_ENCODER_NOT_FOUND;
    if (!(c = r->enc = avcodec_alloc_context3(codec)))
        return AVERROR(ENOMEM);
    transcode_x264_setup(c, o, r->lr, &r->size, s->vtb, s->fps, s->dec);
    snprintf(tune, sizeof(tune), "%s%szerolatency", o->tune ? o->tune : "", o->tune ? "," : "");
    av_dict_set(&opts, "preset", o->preset, 0);
    av_dict_set(&opts, "tune", tune, 0);
    av_dict_set(&opts, "forced-idr", "1", 0);
    av_dict_set(&opts, "x264-params", "scenecut=0:open-gop=0:rc-lookahead=0:sync-lookahead=0:bframes=0", 0);
    ret = avcodec_open2(c, codec, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        return ret;
    transcode_x264_codec(c, r->codec, sizeof(r->codec));
    return mp4out_open_encoder(&r->whole, r->whole_path, c);
}

/* Part 0 of a segment: open its file, the decoder and the encoders. */
static int segment_begin(LlRun *run, LlStream *s, const json_t *rec, const char *path)
{
    const TranscodeOptions *o = &run->o->t;
    const char *rel = record_str(rec, "path");
    double shift = record_num(rec, "shift", 0);
    AVStream *vst;
    const AVCodec *dc;
    AVRational sar;
    int ret;

    s->seq = record_int(rec, "seq", -1);
    s->broadcast = record_int(rec, "broadcast", 0);
    s->next_part = 0;
    s->rec0 = json_incref((json_t *)rec);
    snprintf(s->rel0, sizeof(s->rel0), "%s", rel);
    s->active = 1;
    if ((ret = avformat_open_input(&s->fmt, path, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(s->fmt, NULL)) < 0)
        return ret;
    s->vi = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    s->ai = av_find_best_stream(s->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (s->vi < 0)
        return AVERROR_PATCHWELCOME;    /* audio only: per segment (take_part) */
    vst = s->fmt->streams[s->vi];
    if ((int64_t)vst->codecpar->width * vst->codecpar->height > TRANSCODE_MAX_PIXELS)
        return AVERROR_INVALIDDATA;     /* refused by the whole segment's transcode */
    s->vtb = vst->time_base;
    s->vshift = av_rescale_q(llround(shift * 1000), (AVRational){ 1, 1000 }, s->vtb);
    if (s->ai >= 0) {
        s->atb = s->fmt->streams[s->ai]->time_base;
        s->ashift = av_rescale_q(llround(shift * 1000), (AVRational){ 1, 1000 }, s->atb);
        if ((ret = chunk_path(rel, "", "audio", s->audio_rel, sizeof(s->audio_rel))) < 0)
            return ret;
    }
    s->fps = transcode_nominal_fps(rec, vst);
    {
        AVRational rtb = { 1, 1000 };
        const char *tbs = record_str(rec, "timebase");
        if (tbs && sscanf(tbs, "%d/%d", &rtb.num, &rtb.den) != 2)
            rtb = (AVRational){ 1, 1000 };
        if (rtb.num <= 0 || rtb.den <= 0)
            rtb = (AVRational){ 1, 1000 };
        s->seg_start = av_rescale_q(record_int(rec, "start_pts", 0), rtb, s->vtb);
    }
    s->chunk_start = s->seg_start;
    s->next_kf = s->seg_start;
    s->gop_ticks = FFMAX(1, av_rescale_q(llround(o->gop * 1000000), (AVRational){ 1, 1000000 },
                                         s->vtb));
    s->decoded_max = INT64_MIN;
    if (!(dc = avcodec_find_decoder(vst->codecpar->codec_id)))
        return AVERROR_DECODER_NOT_FOUND;
    if (!(s->dec = avcodec_alloc_context3(dc)))
        return AVERROR(ENOMEM);
    if ((ret = avcodec_parameters_to_context(s->dec, vst->codecpar)) < 0)
        return ret;
    s->dec->pkt_timebase = s->vtb;
    s->dec->thread_count = 1;   /* frame threads would hold frames back */
    if ((ret = avcodec_open2(s->dec, dc, NULL)) < 0)
        return ret;
    sar = vst->sample_aspect_ratio.num ? vst->sample_aspect_ratio
                                       : vst->codecpar->sample_aspect_ratio;
    if ((ret = ladder_fit(&o->ladder, o->exact_ladder, vst->codecpar->width,
                          vst->codecpar->height, sar, s->fit, &s->nfit)) < 0)
        return AVERROR_INVALIDDATA;
    for (int i = 0; i < s->nfit; i++) {
        LlRung *r = &s->rung[i];
        memset(r, 0, sizeof(*r));
        r->lr = &s->fit[i].rung;
        r->size = s->fit[i].size;
        s->nr++;
        if ((ret = chunk_path(rel, "", r->lr->id, r->whole_rel, sizeof(r->whole_rel))) < 0 ||
            (ret = record_join(r->whole_path, sizeof(r->whole_path), o->spool,
                               r->whole_rel)) < 0 ||
            (ret = open_encoder(run, s, r)) < 0)
            return ret;
    }
    return 0;
}

/* Scale f to the rung's size (a new frame in *out). */
static int scale(LlRung *r, const AVFrame *f, AVFrame **out)
{
    AVFrame *d = av_frame_alloc();
    int ret;

    if (!d)
        return AVERROR(ENOMEM);
    r->sws = sws_getCachedContext(r->sws, f->width, f->height, f->format, r->size.width,
                                  r->size.height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL,
                                  NULL);
    d->width = r->size.width;
    d->height = r->size.height;
    d->format = AV_PIX_FMT_YUV420P;
    if (!r->sws)
        ret = AVERROR(EINVAL);
    else if ((ret = av_frame_get_buffer(d, 0)) >= 0 && (ret = av_frame_copy_props(d, f)) >= 0)
        sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, d->data,
                  d->linesize);
    if (ret < 0)
        av_frame_free(&d);
    *out = d;
    return ret;
}

static int drain_encoder(LlRung *r)
{
    for (;;) {
        AVPacket *p = av_packet_alloc();
        int ret;
        if (!p)
            return AVERROR(ENOMEM);
        ret = avcodec_receive_packet(r->enc, p);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
            av_packet_free(&p);
            return 0;
        }
        if (ret < 0 || (ret = list_push(&r->out, p)) < 0) {
            av_packet_free(&p);
            return ret;
        }
        r->got++;
    }
}

/* A decoded frame (NULL: the end) to every rung. */
static int encode_frame(LlStream *s, AVFrame *f)
{
    int ret;

    if (f) {
        int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp
                                                                 : f->pts;
        if (pts == AV_NOPTS_VALUE || pts < s->seg_start)
            return 0;   /* leading pictures of an open GOP */
        if ((ret = push_i64(&s->dec_pts, &s->ndec, &s->capdec, pts)) < 0)
            return ret;
        if (pts > s->decoded_max)
            s->decoded_max = pts;
        transcode_frame_key(f, pts, transcode_grid_key(pts, &s->next_kf, s->gop_ticks));
    }
    for (int i = 0; i < s->nr; i++) {
        LlRung *r = &s->rung[i];
        AVFrame *d = NULL;
        if (f && (ret = scale(r, f, &d)) < 0)
            return ret;
        if (d)
            d->sample_aspect_ratio = r->size.sar;
        ret = avcodec_send_frame(r->enc, d);
        av_frame_free(&d);
        if (ret < 0 || (ret = drain_encoder(r)) < 0)
            return ret;
        r->sent += f != NULL;
    }
    return 0;
}

static int decode(LlStream *s, const AVPacket *pkt)
{
    AVFrame *f = av_frame_alloc();
    int ret;

    if (!f)
        return AVERROR(ENOMEM);
    ret = avcodec_send_packet(s->dec, pkt);
    if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
        goto done;
    for (;;) {
        ret = avcodec_receive_frame(s->dec, f);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret < 0 || (ret = encode_frame(s, f)) < 0)
            break;
        av_frame_unref(f);
    }
    if (!pkt && ret >= 0)
        ret = encode_frame(s, NULL);
done:
    av_frame_free(&f);
    return ret;
}

/* Whether the chunk ending at b has all its frames out of the decoder and
 * every encoder: every packet fed below the end decoded (or a later frame
 * decoded), and every encoder caught up. */
static int chunk_ready(const LlStream *s, const Bound *b)
{
    if (!b->last && s->decoded_max < b->end &&
        count_below(s->dec_pts, s->ndec, b->end) < count_below(s->fed_pts, s->nfed, b->end))
        return 0;
    for (int i = 0; i < s->nr; i++)
        if (!b->last && s->rung[i].got < s->rung[i].sent)
            return 0;
    return 1;
}

/* Write the packets of l before end (all with last) to a new file at
 * path, and to whole; each packet's duration reaches the next one (the
 * last one: end). *n: how many. */
static int write_video_chunk(LlRung *r, int64_t end, int last, const char *path, int *n)
{
    Mp4Out *m = NULL;
    AVPacket *tmp = av_packet_alloc();
    int ret, k = 0;

    *n = 0;
    if (!tmp) {
        ret = AVERROR(ENOMEM);
        goto done;
    }
    while (k < r->out.n && (last || r->out.p[k]->pts < end))
        k++;
    if (k == 0) {
        ret = 0;
        goto done;
    }
    if ((ret = mp4out_open_encoder(&m, path, r->enc)) < 0)
        goto done;
    for (int i = 0; i < k; i++) {
        AVPacket *p = r->out.p[i];
        int64_t next = i + 1 < r->out.n ? r->out.p[i + 1]->pts : end;
        p->duration = FFMAX(1, next - p->pts);
        if ((ret = av_packet_ref(tmp, p)) < 0 || (ret = mp4out_write(m, tmp)) < 0 ||
            (ret = av_packet_ref(tmp, p)) < 0 || (ret = mp4out_write(r->whole, tmp)) < 0)
            goto done;
    }
    ret = mp4out_close(&m, 1);
    *n = k;
done:
    mp4out_close(&m, 0);
    av_packet_free(&tmp);
    return ret;
}

static json_t *fraction(AVRational q, char sep)
{
    char b[48];
    snprintf(b, sizeof(b), "%d%c%d", q.num, sep, q.den);
    return json_string(b);
}

static json_t *rendition_json(const LlStream *s, const LlRung *r, const char *rel)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:o, s:I, s:s, s:b}",
                     "id", r->lr->id, "kind", "video", "path", rel, "width", r->size.width,
                     "height", r->size.height, "sar", fraction(r->size.sar, ':'), "fps",
                     fraction(s->fps, '/'), "bandwidth", (json_int_t)r->lr->bitrate, "codec",
                     r->codec, "passthrough", 0);
}

static json_t *audio_json(const LlStream *s, const char *rel)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:i}", "id", "audio", "kind", "audio",
                     "path", rel, "codec", s->ar.codec, "bandwidth", (json_int_t)s->ar.bandwidth,
                     "sample_rate", s->ar.sample_rate, "channels", s->ar.channels);
}

static json_t *record_base(const LlStream *s, const char *type)
{
    json_t *rec = record_new(type, s->name, s->seq);
    if (rec && s->broadcast > 0)
        json_object_set_new(rec, "broadcast", json_integer(s->broadcast));
    return rec;
}

/* Write the chunk up to b (every rung has frames, or b is the last) and
 * its record. */
static int emit_chunk(LlRun *run, LlStream *s, const Bound *b)
{
    const TranscodeOptions *o = &run->o->t;
    json_t *rec = NULL, *arr = NULL;
    char mid[32], rel[PATH_MAX], path[PATH_MAX];
    int ret = 0, n, na = 0;
    double start = round(s->chunk_start * av_q2d(s->vtb) * 1e6) / 1e6;
    double end = round(b->end * av_q2d(s->vtb) * 1e6) / 1e6;

    /* a part that gave a rung no frame yet joins the next one */
    for (int i = 0; i < s->nr && !b->last; i++) {
        int k = 0;
        while (k < s->rung[i].out.n && s->rung[i].out.p[k]->pts < b->end)
            k++;
        if (k == 0)
            return 0;
    }
    if (s->ai >= 0 && !b->last && (!s->audio.n || s->audio.p[0]->pts * av_q2d(s->atb) >= end))
        return 0;
    if (!(rec = record_base(s, "chunk")) || !(arr = json_array()))
        goto nomem;
    snprintf(mid, sizeof(mid), "c%d", s->chunk);
    for (int i = 0; i < s->nr; i++) {
        LlRung *r = &s->rung[i];
        if ((ret = chunk_path(s->rel0, mid, r->lr->id, rel, sizeof(rel))) < 0 ||
            (ret = record_join(path, sizeof(path), o->spool, rel)) < 0 ||
            (ret = write_video_chunk(r, b->end, b->last, path, &n)) < 0)
            goto fail;
        for (int k = 0; k < n; k++) {
            s->video_bytes += i == 0 ? r->out.p[k]->size : 0;
            av_packet_free(&r->out.p[k]);
        }
        list_shift(&r->out, n);
        if (n && json_array_append_new(arr, rendition_json(s, r, rel)) < 0)
            goto nomem;
    }
    if (s->ai >= 0) {
        AVStream *ast = s->fmt->streams[s->ai];
        while (na < s->audio.n && (b->last || s->audio.p[na]->pts * av_q2d(s->atb) < end))
            na++;
        if (na > 0) {
            if ((ret = chunk_path(s->rel0, mid, "audio", rel, sizeof(rel))) < 0 ||
                (ret = record_join(path, sizeof(path), o->spool, rel)) < 0 ||
                (ret = audio_rendition(ast, s->audio.p, na, end - start, o->audio_bitrate, path,
                                       &s->ar)) < 0)
                goto fail;
            for (int k = 0; k < na; k++)
                if ((ret = list_push(&s->audio_all, s->audio.p[k])) < 0)
                    goto fail;
            list_shift(&s->audio, na);
            s->have_audio = 1;
            if (json_array_append_new(arr, audio_json(s, rel)) < 0)
                goto nomem;
        }
    }
    json_object_set_new(rec, "part", json_integer(s->chunk));
    json_object_set_new(rec, "start", json_real(start));
    json_object_set_new(rec, "duration", json_real(end - start));
    json_object_set_new(rec, "independent", json_boolean(s->chunk == 0));
    json_object_set_new(rec, "last", json_boolean(b->last));
    json_object_set(rec, "discontinuity", json_object_get(s->rec0, "discontinuity") ?
                    json_object_get(s->rec0, "discontinuity") : json_false());
    json_object_set_new(rec, "renditions", arr);
    arr = NULL;
    s->chunk++;
    s->chunk_start = b->end;
    ret = emit(run, rec);
    json_decref(rec);
    return ret;
nomem:
    ret = AVERROR(ENOMEM);
fail:
    json_decref(rec);
    json_decref(arr);
    return ret;
}

/* Emit the chunks whose frames are all out. */
static int emit_ready(LlRun *run, LlStream *s)
{
    int ret;
    while (s->nbounds > 0 && chunk_ready(s, &s->bounds[0])) {
        if ((ret = emit_chunk(run, s, &s->bounds[0])) < 0)
            return ret;
        memmove(&s->bounds[0], &s->bounds[1], (size_t)(s->nbounds - 1) * sizeof(Bound));
        s->nbounds--;
    }
    return 0;
}

/* The packets of one part file into the decoder (video) and the audio list. */
static int feed_part(LlStream *s, const char *path)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = NULL;
    int ret, vi, ai;

    if ((ret = avformat_open_input(&fmt, path, NULL, NULL)) < 0)
        return ret;
    vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    ai = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (vi < 0 || av_cmp_q(fmt->streams[vi]->time_base, s->vtb) ||
        (s->ai >= 0 && ai >= 0 && av_cmp_q(fmt->streams[ai]->time_base, s->atb))) {
        ret = AVERROR_INVALIDDATA;
        goto done;
    }
    for (;;) {
        if (!pkt && !(pkt = av_packet_alloc())) {
            ret = AVERROR(ENOMEM);
            break;
        }
        if ((ret = av_read_frame(fmt, pkt)) == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret < 0)
            break;
        if (pkt->stream_index == vi && pkt->pts != AV_NOPTS_VALUE) {
            pkt->pts -= s->vshift;
            if (pkt->dts != AV_NOPTS_VALUE)
                pkt->dts -= s->vshift;
            if ((ret = push_i64(&s->fed_pts, &s->nfed, &s->capfed, pkt->pts)) < 0 ||
                (ret = decode(s, pkt)) < 0)
                break;
            av_packet_unref(pkt);
        } else if (s->ai >= 0 && pkt->stream_index == ai && pkt->pts != AV_NOPTS_VALUE) {
            pkt->pts -= s->ashift;
            if (pkt->dts != AV_NOPTS_VALUE)
                pkt->dts -= s->ashift;
            pkt->stream_index = 0;
            if ((ret = list_push(&s->audio, pkt)) < 0)
                break;
            pkt = NULL;
        } else {
            av_packet_unref(pkt);
        }
    }
done:
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    return ret;
}

/* One part record of a segment in progress (or its part 0). */
static int take_part(LlRun *run, LlStream *s, const json_t *rec)
{
    const char *rel = record_str(rec, "path");
    int64_t seq = record_int(rec, "seq", -1), part = record_int(rec, "part", -1);
    char path[PATH_MAX], eb[AV_ERROR_MAX_STRING_SIZE];
    AVRational rtb = { 1, 1000 };
    const char *tbs = record_str(rec, "timebase");
    Bound b;
    int ret;

    if (!rel || !record_path_ok(rel) || record_join(path, sizeof(path), run->o->t.spool, rel) < 0) {
        log_error("%s: part record without a valid path", s->name);
        run->bad = 1;
        return 0;
    }
    if (part == 0) {
        if (s->active)
            log_info("%s: segment %lld starts again at part 0 (live-segment restarted)",
                     s->name, (long long)s->seq);
        segment_reset(s);
        if ((ret = segment_begin(run, s, rec, path)) < 0)
            goto fail;
    } else if (!s->active || s->done || seq != s->seq || part != s->next_part) {
        /* started mid segment, or a part was lost: the segment record
         * will have it whole */
        if (s->active && seq == s->seq) {
            log_warn("%s: segment %lld: part %lld came after part %d; the segment is"
                     " transcoded whole", s->name, (long long)seq, (long long)part,
                     s->next_part - 1);
            segment_reset(s);
        }
        unlink_spool(run, rel);
        return 0;
    }
    s->next_part = (int)part + 1;
    if ((ret = feed_part(s, path)) < 0)
        goto fail;
    if (tbs && (sscanf(tbs, "%d/%d", &rtb.num, &rtb.den) != 2 || rtb.num <= 0 || rtb.den <= 0))
        rtb = (AVRational){ 1, 1000 };
    if (s->nbounds == LLTC_MAX_BOUNDS) {
        ret = AVERROR_INVALIDDATA;
        goto fail;
    }
    b.end = av_rescale_q(record_int(rec, "start_pts", 0) + record_int(rec, "duration_pts", 0),
                         rtb, s->vtb);
    b.last = record_bool(rec, "last");
    s->bounds[s->nbounds++] = b;
    if (b.last && (ret = decode(s, NULL)) < 0)
        goto fail;
    if ((ret = emit_ready(run, s)) < 0)
        goto fail;
    unlink_spool(run, rel);
    if (b.last) {
        for (int i = 0; i < s->nr; i++)
            if ((ret = mp4out_close(&s->rung[i].whole, 1)) < 0)
                goto fail;
        s->done = 1;
    }
    return 0;
fail:
    if (ret == AVERROR(EPIPE))
        return ret;
    if (ret == AVERROR_PATCHWELCOME)
        log_debug("%s: %s: no video: audio-only streams are transcoded per segment", s->name,
                  rel);
    else
        log_error("%s: %s: %s; the segment is transcoded whole", s->name, rel,
                  log_averr(ret, eb, sizeof(eb)));
    segment_reset(s);
    unlink_spool(run, rel);
    return 0;
}

/* The segment record of s's segment, its parts all transcoded: the
 * renditions record of the files made from the chunks. */
static int finish_segment(LlRun *run, LlStream *s, const json_t *seg)
{
    const TranscodeOptions *o = &run->o->t;
    json_t *rec = record_base(s, "renditions"), *arr = json_array();
    const char *keys[] = { "start", "duration", "discontinuity" };
    char path[PATH_MAX];
    int ret = 0;

    if (!rec || !arr) {
        ret = AVERROR(ENOMEM);
        goto done;
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (json_object_get(seg, keys[i]))
            json_object_set(rec, keys[i], json_object_get(seg, keys[i]));
    for (int i = 0; i < s->nr; i++)
        json_array_append_new(arr, rendition_json(s, &s->rung[i], s->rung[i].whole_rel));
    if (s->have_audio) {
        if ((ret = record_join(path, sizeof(path), o->spool, s->audio_rel)) < 0 ||
            (ret = audio_rendition(s->fmt->streams[s->ai], s->audio_all.p, s->audio_all.n,
                                   record_num(seg, "duration", 1), o->audio_bitrate, path,
                                   &s->ar)) < 0)
            goto done;
        json_array_append_new(arr, audio_json(s, s->audio_rel));
    }
    json_object_set_new(rec, "renditions", arr);
    arr = NULL;
    ret = emit(run, rec);
done:
    json_decref(rec);
    json_decref(arr);
    return ret;
}

/* A segment record: finished from its chunks, or transcoded whole. */
static int take_segment(LlRun *run, LlStream *s, const json_t *seg)
{
    int64_t seq = record_int(seg, "seq", -1);
    json_t *out = NULL;
    int ret;

    if (s && s->active && s->done && seq == s->seq) {
        ret = finish_segment(run, s, seg);
        segment_reset(s);
        if (ret >= 0)
            unlink_spool(run, record_str(seg, "path"));
        return ret;
    }
    if (s && s->active) {
        log_warn("%s: segment %lld ended before its last part; transcoded whole", s->name,
                 (long long)seq);
        segment_reset(s);
    }
    ret = transcode_segment(&run->o->t, NULL, seg, &out);
    if (ret == AVERROR_INVALIDDATA)
        run->bad = 1;
    else if (ret < 0 && !run->failure)
        run->failure = ret;
    if (out && (ret = emit(run, out)) >= 0 && !record_bool(out, "failed"))
        unlink_spool(run, record_str(seg, "path"));
    json_decref(out);
    return ret == AVERROR(EPIPE) ? ret : 0;
}

int lltc_run(const TcrunOptions *o, FILE *in, const char *name, FILE *out)
{
    LlRun run = { .o = o, .out = out };
    RecordReader *rr = record_reader_new(in, name);
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret = 0;

    if (!rr || !(run.streams = calloc(LLTC_MAX_STREAMS, sizeof(*run.streams)))) {
        record_reader_free(&rr);
        return AVERROR(ENOMEM);
    }
    while (!run.gone) {
        json_t *rec;
        const char *type;
        LlStream *s;

        ret = record_read(rr, &rec);
        if (ret == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret == AVERROR_INVALIDDATA) {
            run.bad = 1;
            continue;
        }
        if (ret < 0) {
            log_error("%s: %s", name, log_averr(ret, eb, sizeof(eb)));
            run.failure = ret;
            break;
        }
        type = record_str(rec, "type");
        s = stream_get(&run, record_str(rec, "stream"));
        if (!s) {
            log_error("%s: more than %d streams", record_str(rec, "stream"), LLTC_MAX_STREAMS);
            ret = AVERROR(ENOMEM);
        } else if (!strcmp(type, "part")) {
            ret = take_part(&run, s, rec);
        } else if (!strcmp(type, "segment")) {
            ret = take_segment(&run, s, rec);
        } else if (!strcmp(type, "end")) {
            segment_reset(s);
            ret = emit(&run, rec);
        } else {
            log_debug("%s:%ld: skipping a \"%s\" record", name, record_reader_line(rr), type);
        }
        json_decref(rec);
        if (ret < 0 && ret != AVERROR(EPIPE) && !run.failure)
            run.failure = ret;
        if (ret < 0)
            break;
    }
    for (int i = 0; i < run.nstreams; i++)
        segment_reset(&run.streams[i]);
    free(run.streams);
    record_reader_free(&rr);
    if (run.failure)
        return run.failure == AVERROR_INVALIDDATA ? AVERROR_EXTERNAL : run.failure;
    return run.bad ? AVERROR_INVALIDDATA : 0;
}
