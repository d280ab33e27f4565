/*
 * rtc/feed.c: FLV tags, or the packets of a feed that is not FLV
 * (feedpkt.h), to H.264 access units and Opus packets, once per stream,
 * for the WebRTC stage. See feed.h.
 */
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#include "flv.h"
#include "log.h"
#include "rtc/feed.h"
#include "rtc/rtp.h"

#define OPUS_FRAME 960          /* 20 ms at 48 kHz */
#define ENCODE_GOP_MS 2000

struct RtcFeed {
    char name[256];
    RtcFrameFn fn;
    void *opaque;

    /* video in */
    enum AVCodecID vcodec;      /* the source's */
    uint8_t *avcc;              /* its extradata: avcC, or H.264 parameter sets in Annex B */
    size_t avcc_size;
    int nal_length_size;        /* 0: Annex B */
    int64_t last_pts;           /* packet input: to tell reordered frames */
    int have_last_pts;
    int src_profile, src_constraints;
    int has_video, has_audio;
    int encoding;               /* 1: our own rung */
    int saw_key;

    /* our rung */
    AVCodecContext *vdec, *venc;
    struct SwsContext *sws;
    AVFrame *vframe, *sframe;
    AVPacket *pkt;
    int force_idr;
    int64_t last_force;
    int64_t last_idr_ms;

    /* keyframe cache: a copy of the NAL units, SPS/PPS first */
    uint8_t *key_buf;
    size_t key_cap;
    RtcFrame key;
    int have_key;

    /* the current GOP (passthrough): NAL bytes, and per frame where */
    uint8_t *gop_buf;
    size_t gop_len, gop_cap;
    struct GopFrame {
        uint32_t ts;
        int64_t ms;
        int n;
        size_t off[RTC_FEED_MAX_NALS], size[RTC_FEED_MAX_NALS];
    } *gop;
    int ngop, gop_full;

    /* audio */
    AVCodecContext *adec, *aenc;
    SwrContext *swr;
    AVAudioFifo *fifo;
    AVFrame *aframe, *oframe;
    int64_t audio_next;         /* 48 kHz sample time of the fifo's first sample */
    int audio_started;
    int audio_pass;             /* the source is Opus: passed through */
};

const char *rtc_feed_name(const RtcFeed *f) { return f->name; }
int rtc_feed_has_audio(const RtcFeed *f) { return f->has_audio; }
int rtc_feed_has_video(const RtcFeed *f) { return f->has_video; }
int rtc_feed_encoding(const RtcFeed *f) { return f->encoding; }

int rtc_feed_new(RtcFeed **out, const char *name, RtcFrameFn fn, void *opaque)
{
    RtcFeed *f = calloc(1, sizeof(*f));
    *out = NULL;
    if (!f)
        return AVERROR(ENOMEM);
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->fn = fn;
    f->opaque = opaque;
    if (!(f->pkt = av_packet_alloc())) {
        free(f);
        return AVERROR(ENOMEM);
    }
    *out = f;
    return 0;
}

static void close_video_codecs(RtcFeed *f)
{
    avcodec_free_context(&f->vdec);
    avcodec_free_context(&f->venc);
    sws_freeContext(f->sws);
    f->sws = NULL;
    av_frame_free(&f->vframe);
    av_frame_free(&f->sframe);
}

static void close_audio_codecs(RtcFeed *f)
{
    avcodec_free_context(&f->adec);
    avcodec_free_context(&f->aenc);
    swr_free(&f->swr);
    av_audio_fifo_free(f->fifo);
    f->fifo = NULL;
    av_frame_free(&f->aframe);
    av_frame_free(&f->oframe);
    f->audio_started = 0;
}

void rtc_feed_free(RtcFeed **pf)
{
    RtcFeed *f = *pf;
    if (!f)
        return;
    close_video_codecs(f);
    close_audio_codecs(f);
    av_packet_free(&f->pkt);
    free(f->avcc);
    free(f->key_buf);
    free(f->gop_buf);
    free(f->gop);
    free(f);
    *pf = NULL;
}

void rtc_feed_use_rung(RtcFeed *f)
{
    if (f->encoding)
        return;
    log_info("stream %s: a viewer cannot decode H.264 profile %d: encoding a constrained baseline rung",
             f->name, f->src_profile);
    f->encoding = 1;
    f->saw_key = 0;
    f->have_key = 0;
    f->ngop = 0;
}

int rtc_feed_video_profile(const RtcFeed *f, int *profile_idc, int *constrained)
{
    if (!f->has_video)
        return AVERROR(EAGAIN);
    if (f->encoding) {
        *profile_idc = 66;
        *constrained = 1;
    } else {
        *profile_idc = f->src_profile;
        *constrained = (f->src_constraints & 0x40) != 0;
    }
    return 0;
}

const RtcFrame *rtc_feed_keyframe(const RtcFeed *f)
{
    return f->have_key ? &f->key : NULL;
}

int rtc_feed_force_keyframe(RtcFeed *f, int64_t now_us)
{
    if (!f->encoding)
        return 0;
    if (now_us - f->last_force < 500000)
        return 1; /* one is on its way */
    f->last_force = now_us;
    f->force_idr = 1;
    log_debug("stream %s: an IDR is forced for a viewer", f->name);
    return 1;
}

/* Keep a copy of a keyframe; SPS and PPS from avcC go first when the
 * frame has none. */
static void cache_keyframe(RtcFeed *f, const RtcFrame *fr)
{
    size_t need = 0, off = 0;
    int has_sps = 0, n = 0;
    const uint8_t *ps[RTC_FEED_MAX_NALS];
    size_t pss[RTC_FEED_MAX_NALS];
    int nps = 0;

    for (int i = 0; i < fr->n; i++) {
        need += fr->sizes[i];
        if ((fr->nals[i][0] & 0x1f) == 7)
            has_sps = 1;
    }
    if (!has_sps && !f->encoding && f->avcc && f->avcc[0] != 1) {
        /* parameter sets in Annex B (an input that is not FLV) */
        const uint8_t *nals[8];
        size_t sizes[8];
        int k = rtp_h264_split(f->avcc, f->avcc_size, 0, nals, sizes, 8);
        for (int j = 0; j < k; j++)
            if ((nals[j][0] & 0x1f) == 7 || (nals[j][0] & 0x1f) == 8) {
                ps[nps] = nals[j];
                pss[nps++] = sizes[j];
                need += sizes[j];
            }
    } else if (!has_sps && !f->encoding && f->avcc && f->avcc_size > 6) {
        /* avcC: 5 bytes, numSPS&31, [len(2) sps]..., numPPS, [len(2) pps]... */
        size_t p = 5;
        for (int k = 0; k < 2 && p < f->avcc_size; k++) {
            int cnt = f->avcc[p++] & (k ? 0xff : 0x1f);
            for (int j = 0; j < cnt && p + 2 <= f->avcc_size; j++) {
                size_t l = (size_t)(f->avcc[p] << 8 | f->avcc[p + 1]);
                p += 2;
                if (l > f->avcc_size - p || !l || nps >= 8)
                    break;
                ps[nps] = f->avcc + p;
                pss[nps++] = l;
                need += l;
                p += l;
            }
        }
    }
    if (need > f->key_cap) {
        uint8_t *nb = realloc(f->key_buf, need);
        if (!nb) {
            f->have_key = 0;
            return;
        }
        f->key_buf = nb;
        f->key_cap = need;
    }
    f->key = *fr;
    for (int i = 0; i < nps && n < RTC_FEED_MAX_NALS; i++, n++) {
        memcpy(f->key_buf + off, ps[i], pss[i]);
        f->key.nals[n] = f->key_buf + off;
        f->key.sizes[n] = pss[i];
        off += pss[i];
    }
    for (int i = 0; i < fr->n && n < RTC_FEED_MAX_NALS; i++, n++) {
        memcpy(f->key_buf + off, fr->nals[i], fr->sizes[i]);
        f->key.nals[n] = f->key_buf + off;
        f->key.sizes[n] = fr->sizes[i];
        off += fr->sizes[i];
    }
    f->key.n = n;
    f->have_key = 1;
}

int rtc_feed_gop_count(const RtcFeed *f)
{
    return f->encoding || f->gop_full ? 0 : f->ngop;
}

void rtc_feed_gop_frame(const RtcFeed *f, int i, RtcFrame *out)
{
    const struct GopFrame *g = &f->gop[i];
    memset(out, 0, sizeof(*out));
    out->video = 1;
    out->ts = g->ts;
    out->ms = g->ms;
    out->keyframe = i == 0;
    out->n = g->n;
    for (int k = 0; k < g->n; k++) {
        out->nals[k] = f->gop_buf + g->off[k];
        out->sizes[k] = g->size[k];
    }
}

/* Keeps a copy of a frame of the current GOP (a keyframe starts anew). */
static void gop_add(RtcFeed *f, const RtcFrame *fr)
{
    size_t need = 0;
    struct GopFrame *g;
    if (fr->keyframe) {
        f->ngop = 0;
        f->gop_len = 0;
        f->gop_full = 0;
    }
    if (f->gop_full || f->encoding)
        return;
    for (int i = 0; i < fr->n; i++)
        need += fr->sizes[i];
    if (f->ngop >= RTC_FEED_GOP_FRAMES || f->gop_len + need > RTC_FEED_GOP_BYTES) {
        f->gop_full = 1;
        return;
    }
    if (!f->gop && !(f->gop = malloc(RTC_FEED_GOP_FRAMES * sizeof(*f->gop)))) {
        f->gop_full = 1;
        return;
    }
    if (f->gop_len + need > f->gop_cap) {
        size_t ncap = f->gop_cap ? f->gop_cap : 1 << 16;
        while (ncap < f->gop_len + need)
            ncap *= 2;
        uint8_t *nb = realloc(f->gop_buf, ncap);
        if (!nb) {
            f->gop_full = 1;
            return;
        }
        f->gop_buf = nb;
        f->gop_cap = ncap;
    }
    g = &f->gop[f->ngop++];
    g->ts = fr->ts;
    g->ms = fr->ms;
    g->n = fr->n;
    for (int i = 0; i < fr->n; i++) {
        memcpy(f->gop_buf + f->gop_len, fr->nals[i], fr->sizes[i]);
        g->off[i] = f->gop_len;
        g->size[i] = fr->sizes[i];
        f->gop_len += fr->sizes[i];
    }
}

static void emit_video(RtcFeed *f, const uint8_t *data, size_t size, int nal_length_size, int64_t ms, int key)
{
    RtcFrame fr = { .video = 1, .ms = ms, .keyframe = key };
    int n = rtp_h264_split(data, size, nal_length_size, fr.nals, fr.sizes, RTC_FEED_MAX_NALS);
    if (n <= 0)
        return;
    fr.n = n;
    fr.ts = (uint32_t)(ms * 90);
    for (int i = 0; i < n; i++)
        if ((fr.nals[i][0] & 0x1f) == 5)
            fr.keyframe = 1;
    if (fr.keyframe) {
        cache_keyframe(f, &fr);
        f->saw_key = 1;
        /* every keyframe goes with its SPS and PPS (FLV keeps them in
         * the sequence header only): a viewer that lost them, or joined
         * late, can decode from any keyframe */
        if (f->have_key) {
            gop_add(f, &f->key);
            f->fn(f->opaque, &f->key);
            return;
        }
    }
    if (!f->saw_key)
        return; /* nothing decodable before the first keyframe */
    gop_add(f, &fr);
    f->fn(f->opaque, &fr);
}

/* ---- our rung ---- */

static int open_encoder(RtcFeed *f, int w, int h)
{
    const AVCodec *c = avcodec_find_encoder_by_name("libx264");
    AVDictionary *o = NULL;
    int ret;
    if (!c)
        return AVERROR_ENCODER_NOT_FOUND;
    if (!(f->venc = avcodec_alloc_context3(c)))
        return AVERROR(ENOMEM);
    f->venc->width = w;
    f->venc->height = h;
    f->venc->pix_fmt = AV_PIX_FMT_YUV420P;
    f->venc->time_base = (AVRational){ 1, 1000 };
    f->venc->gop_size = 60;
    f->venc->max_b_frames = 0;
    f->venc->thread_count = 1;
    av_dict_set(&o, "preset", "veryfast", 0);
    av_dict_set(&o, "tune", "zerolatency", 0);
    av_dict_set(&o, "profile", "baseline", 0);
    av_dict_set(&o, "forced-idr", "1", 0);
    /* a keyframe at least every 2 s of time, whatever the frame rate */
    av_dict_set(&o, "x264-params", "keyint=120:min-keyint=1:scenecut=0:repeat-headers=1", 0);
    ret = avcodec_open2(f->venc, c, &o);
    av_dict_free(&o);
    return ret;
}

static int open_decoder(RtcFeed *f)
{
    const AVCodec *c = avcodec_find_decoder(f->vcodec);
    int ret;
    if (!c)
        return AVERROR_DECODER_NOT_FOUND;
    if (!(f->vdec = avcodec_alloc_context3(c)))
        return AVERROR(ENOMEM);
    if (f->avcc_size) {
        f->vdec->extradata = av_mallocz(f->avcc_size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!f->vdec->extradata)
            return AVERROR(ENOMEM);
        memcpy(f->vdec->extradata, f->avcc, f->avcc_size);
        f->vdec->extradata_size = (int)f->avcc_size;
    }
    f->vdec->thread_count = 1;
    f->vdec->flags |= AV_CODEC_FLAG_LOW_DELAY;
    f->vdec->pkt_timebase = (AVRational){ 1, 1000 };
    if ((ret = avcodec_open2(f->vdec, c, NULL)) < 0)
        return ret;
    if (!(f->vframe = av_frame_alloc()) || !(f->sframe = av_frame_alloc()))
        return AVERROR(ENOMEM);
    return 0;
}

static int encode_frame(RtcFeed *f, AVFrame *in)
{
    int ret;
    AVFrame *src = in;
    if (!f->venc && (ret = open_encoder(f, in->width & ~1, in->height & ~1)) < 0)
        return ret;
    if (in->format != AV_PIX_FMT_YUV420P || in->width != f->venc->width || in->height != f->venc->height) {
        f->sws = sws_getCachedContext(f->sws, in->width, in->height, in->format, f->venc->width,
                                      f->venc->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
        if (!f->sws)
            return AVERROR(EINVAL);
        av_frame_unref(f->sframe);
        f->sframe->format = AV_PIX_FMT_YUV420P;
        f->sframe->width = f->venc->width;
        f->sframe->height = f->venc->height;
        if ((ret = av_frame_get_buffer(f->sframe, 0)) < 0)
            return ret;
        sws_scale(f->sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height, f->sframe->data,
                  f->sframe->linesize);
        f->sframe->pts = in->pts;
        src = f->sframe;
    }
    src->pict_type = AV_PICTURE_TYPE_NONE;
    if (f->force_idr) {
        src->pict_type = AV_PICTURE_TYPE_I;
        f->force_idr = 0;
    }
    if ((ret = avcodec_send_frame(f->venc, src)) < 0)
        return ret;
    for (;;) {
        ret = avcodec_receive_packet(f->venc, f->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ret;
        emit_video(f, f->pkt->data, (size_t)f->pkt->size, 0, f->pkt->pts,
                   (f->pkt->flags & AV_PKT_FLAG_KEY) != 0);
        av_packet_unref(f->pkt);
    }
}

static int transcode_video(RtcFeed *f, const uint8_t *data, size_t size, int64_t dts, int64_t pts)
{
    int ret;
    if (!f->vdec && (ret = open_decoder(f)) < 0)
        return ret;
    av_packet_unref(f->pkt);
    if ((ret = av_new_packet(f->pkt, (int)size)) < 0)
        return ret;
    memcpy(f->pkt->data, data, size);
    f->pkt->dts = dts;
    f->pkt->pts = pts;
    ret = avcodec_send_packet(f->vdec, f->pkt);
    av_packet_unref(f->pkt);
    if (ret < 0 && ret != AVERROR(EAGAIN))
        return 0; /* a bad packet: skip it */
    for (;;) {
        ret = avcodec_receive_frame(f->vdec, f->vframe);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return 0;
        f->vframe->pts = f->vframe->best_effort_timestamp;
        ret = encode_frame(f, f->vframe);
        av_frame_unref(f->vframe);
        if (ret < 0)
            return ret;
    }
}

/* The source's H.264 profile is known (a sequence header, or an SPS in
 * Annex B): pass it through, or encode our rung when browsers cannot
 * decode it. */
static void set_h264_profile(RtcFeed *f, int profile, int constraints)
{
    f->src_profile = profile;
    f->src_constraints = constraints;
    /* Browsers decode baseline, main and high at 8 bits 4:2:0 */
    int decodable = f->src_profile == 66 || f->src_profile == 77 || f->src_profile == 100;
    if (!f->has_video || (!decodable && !f->encoding)) {
        close_video_codecs(f);
        f->encoding = !decodable;
        if (f->encoding)
            log_info("stream %s: H.264 profile %d is not for browsers: encoding a rung for WebRTC",
                     f->name, f->src_profile);
    } else if (f->encoding) {
        close_video_codecs(f); /* new parameters: new decoder */
    }
    f->has_video = 1;
}

static void video_tag(RtcFeed *f, uint32_t ts, const uint8_t *body, size_t size)
{
    FlvVideoInfo vi;
    int32_t cts;
    if (flv_video_info(body, size, &vi) < 0 || vi.enhanced || vi.codec_id != FLV_CODEC_AVC || size < 5)
        return;
    if (vi.packet_type == 0) {
        const uint8_t *c = body + 5;
        size_t n = size - 5;
        uint8_t *copy;
        if (n < 7 || c[0] != 1)
            return;
        if (!(copy = malloc(n)))
            return;
        memcpy(copy, c, n);
        free(f->avcc);
        f->avcc = copy;
        f->avcc_size = n;
        f->nal_length_size = (c[4] & 3) + 1;
        if (f->nal_length_size == 3) {
            log_warn("stream %s: 3-byte NAL lengths are not supported", f->name);
            return;
        }
        f->vcodec = AV_CODEC_ID_H264;
        set_h264_profile(f, c[1], c[2]);
        return;
    }
    if (vi.packet_type != 1 || !f->has_video)
        return;
    cts = (int32_t)((uint32_t)body[2] << 24 | (uint32_t)body[3] << 16 | (uint32_t)body[4] << 8) >> 8;
    if (cts != 0 && !f->encoding) {
        log_info("stream %s: the source has B-frames: encoding a zerolatency rung for WebRTC", f->name);
        f->encoding = 1;
        f->saw_key = 0;
        f->have_key = 0;
    }
    if (!f->encoding) {
        emit_video(f, body + 5, size - 5, f->nal_length_size, ts, vi.keyframe);
        return;
    }
    if (transcode_video(f, body + 5, size - 5, ts, (int64_t)ts + cts) < 0) {
        log_error("stream %s: the WebRTC rung cannot be encoded; video stops", f->name);
        close_video_codecs(f);
        f->has_video = 0;
    }
}

/* ---- audio ---- */

static int open_audio(RtcFeed *f, const uint8_t *asc, size_t n)
{
    const AVCodec *dc = avcodec_find_decoder(AV_CODEC_ID_AAC);
    const AVCodec *ec = avcodec_find_encoder_by_name("libopus");
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    int ret;

    close_audio_codecs(f);
    if (!dc || !ec)
        return AVERROR_ENCODER_NOT_FOUND;
    if (!(f->adec = avcodec_alloc_context3(dc)) || !(f->aenc = avcodec_alloc_context3(ec)))
        return AVERROR(ENOMEM);
    if (n) { /* none: ADTS */
        f->adec->extradata = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!f->adec->extradata)
            return AVERROR(ENOMEM);
        memcpy(f->adec->extradata, asc, n);
        f->adec->extradata_size = (int)n;
    }
    f->adec->pkt_timebase = (AVRational){ 1, 1000 };
    if ((ret = avcodec_open2(f->adec, dc, NULL)) < 0)
        return ret;
    f->aenc->sample_rate = 48000;
    f->aenc->sample_fmt = AV_SAMPLE_FMT_FLT;
    av_channel_layout_copy(&f->aenc->ch_layout, &stereo);
    f->aenc->bit_rate = 96000;
    f->aenc->time_base = (AVRational){ 1, 48000 };
    f->aenc->frame_size = OPUS_FRAME;
    {
        AVDictionary *o = NULL;
        av_dict_set(&o, "application", "lowdelay", 0);
        av_dict_set(&o, "frame_duration", "20", 0);
        ret = avcodec_open2(f->aenc, ec, &o);
        av_dict_free(&o);
        if (ret < 0)
            return ret;
    }
    if (!(f->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLT, 2, 48000)) || !(f->aframe = av_frame_alloc()) ||
        !(f->oframe = av_frame_alloc()))
        return AVERROR(ENOMEM);
    return 0;
}

static int encode_opus(RtcFeed *f)
{
    int ret;
    while (av_audio_fifo_size(f->fifo) >= OPUS_FRAME) {
        av_frame_unref(f->oframe);
        f->oframe->nb_samples = OPUS_FRAME;
        f->oframe->format = AV_SAMPLE_FMT_FLT;
        f->oframe->sample_rate = 48000;
        av_channel_layout_default(&f->oframe->ch_layout, 2);
        if ((ret = av_frame_get_buffer(f->oframe, 0)) < 0)
            return ret;
        av_audio_fifo_read(f->fifo, (void **)f->oframe->data, OPUS_FRAME);
        f->oframe->pts = f->audio_next;
        f->audio_next += OPUS_FRAME;
        if ((ret = avcodec_send_frame(f->aenc, f->oframe)) < 0)
            return ret;
        for (;;) {
            ret = avcodec_receive_packet(f->aenc, f->pkt);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
                break;
            if (ret < 0)
                return ret;
            RtcFrame fr = { .video = 0, .ts = (uint32_t)f->pkt->pts, .ms = f->pkt->pts / 48,
                            .data = f->pkt->data, .size = (size_t)f->pkt->size };
            if (fr.size && fr.size <= RTP_MAX_PACKET - 200)
                f->fn(f->opaque, &fr);
            av_packet_unref(f->pkt);
        }
    }
    return 0;
}

static int audio_frame(RtcFeed *f, AVFrame *in, uint32_t ts)
{
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    uint8_t *outbuf[1];
    int ret, max, got;
    if (!f->swr) {
        ret = swr_alloc_set_opts2(&f->swr, &stereo, AV_SAMPLE_FMT_FLT, 48000, &in->ch_layout, in->format,
                                  in->sample_rate, 0, NULL);
        if (ret < 0 || (ret = swr_init(f->swr)) < 0)
            return ret;
    }
    if (!f->audio_started) {
        f->audio_next = (int64_t)ts * 48;   /* the FLV clock, in samples */
        f->audio_started = 1;
    }
    max = swr_get_out_samples(f->swr, in->nb_samples);
    if (max <= 0)
        return 0;
    if ((ret = av_audio_fifo_realloc(f->fifo, av_audio_fifo_size(f->fifo) + max)) < 0)
        return ret;
    float *tmp = av_malloc((size_t)max * 2 * sizeof(float));
    if (!tmp)
        return AVERROR(ENOMEM);
    outbuf[0] = (uint8_t *)tmp;
    got = swr_convert(f->swr, outbuf, max, (const uint8_t **)in->extended_data, in->nb_samples);
    if (got > 0)
        av_audio_fifo_write(f->fifo, (void **)outbuf, got);
    av_free(tmp);
    return got < 0 ? got : encode_opus(f);
}

static void aac_packet(RtcFeed *f, uint32_t ts, const uint8_t *data, size_t size);

static void audio_tag(RtcFeed *f, uint32_t ts, const uint8_t *body, size_t size)
{
    FlvAudioInfo ai;
    int ret;
    if (flv_audio_info(body, size, &ai) < 0 || ai.format != FLV_AUDIO_AAC || size < 2)
        return;
    if (ai.sequence_header) {
        if ((ret = open_audio(f, body + 2, size - 2)) < 0) {
            log_error("stream %s: no Opus for WebRTC: %s", f->name, av_err2str(ret));
            close_audio_codecs(f);
            f->has_audio = 0;
            return;
        }
        f->has_audio = 1;
        return;
    }
    aac_packet(f, ts, body + 2, size - 2);
}

/* One AAC frame (raw, or ADTS when the decoder has no extradata) to Opus. */
static void aac_packet(RtcFeed *f, uint32_t ts, const uint8_t *data, size_t size)
{
    int ret;
    if (!f->has_audio || !f->adec || !size)
        return;
    av_packet_unref(f->pkt);
    if (av_new_packet(f->pkt, (int)size) < 0)
        return;
    memcpy(f->pkt->data, data, size);
    f->pkt->pts = f->pkt->dts = ts;
    ret = avcodec_send_packet(f->adec, f->pkt);
    av_packet_unref(f->pkt);
    if (ret < 0)
        return;
    while (avcodec_receive_frame(f->adec, f->aframe) >= 0) {
        ret = audio_frame(f, f->aframe, ts);
        av_frame_unref(f->aframe);
        if (ret < 0) {
            log_error("stream %s: Opus encoding failed: %s", f->name, av_err2str(ret));
            close_audio_codecs(f);
            f->has_audio = 0;
            return;
        }
    }
}

int rtc_feed_tag(RtcFeed *f, int type, uint32_t timestamp, const uint8_t *body, size_t size)
{
    if (type == FLV_TAG_VIDEO)
        video_tag(f, timestamp, body, size);
    else if (type == FLV_TAG_AUDIO)
        audio_tag(f, timestamp, body, size);
    return 0;
}

/* ---- packets of a feed that is not FLV (feedpkt.h) ---- */

static enum AVCodecID video_codec_of(uint32_t fourcc)
{
    switch (fourcc) {
    case FLV_FOURCC('a', 'v', 'c', '1'): return AV_CODEC_ID_H264;
    case FLV_FOURCC('h', 'v', 'c', '1'): return AV_CODEC_ID_HEVC;
    case FLV_FOURCC('a', 'v', '0', '1'): return AV_CODEC_ID_AV1;
    case FLV_FOURCC('v', 'p', '0', '9'): return AV_CODEC_ID_VP9;
    case FLV_FOURCC('v', 'p', '0', '8'): return AV_CODEC_ID_VP8;
    default: return AV_CODEC_ID_NONE;
    }
}

/* Encode our rung from the next keyframe on, for good: the source is
 * not H.264, or has B-frames. */
static void start_rung(RtcFeed *f, const char *why)
{
    if (f->encoding)
        return;
    log_info("stream %s: %s: encoding a zerolatency H.264 rung for WebRTC", f->name, why);
    close_video_codecs(f);
    f->encoding = 1;
    f->saw_key = 0;
    f->have_key = 0;
    f->ngop = 0;
}

static void video_config(RtcFeed *f, uint32_t fourcc, const uint8_t *extra, size_t n)
{
    enum AVCodecID id = video_codec_of(fourcc);
    uint8_t *copy = NULL;
    if (id == AV_CODEC_ID_NONE) {
        log_warn("stream %s: video FourCC %08x is not one WebRTC viewers can get; no video", f->name,
                 (unsigned)fourcc);
        close_video_codecs(f);
        f->has_video = 0;
        return;
    }
    if (n && !(copy = malloc(n)))
        return;
    if (n)
        memcpy(copy, extra, n);
    free(f->avcc);
    f->avcc = copy;
    f->avcc_size = n;
    f->have_last_pts = 0;
    if (id != AV_CODEC_ID_H264) {
        close_video_codecs(f);
        f->vcodec = id;
        start_rung(f, avcodec_get_name(id));
        f->has_video = 1;
        return;
    }
    if (f->vcodec != id)
        close_video_codecs(f);
    f->vcodec = id;
    if (n >= 7 && extra[0] == 1) { /* avcC, length-prefixed NAL units */
        f->nal_length_size = (extra[4] & 3) + 1;
        if (f->nal_length_size == 3) {
            log_warn("stream %s: 3-byte NAL lengths are not supported", f->name);
            f->has_video = 0;
            return;
        }
        set_h264_profile(f, extra[1], extra[2]);
        return;
    }
    /* Annex B: the profile from an SPS, here or in the first keyframe */
    f->nal_length_size = 0;
    const uint8_t *nals[8];
    size_t sizes[8];
    int k = rtp_h264_split(extra, n, 0, nals, sizes, 8);
    for (int i = 0; i < k; i++)
        if ((nals[i][0] & 0x1f) == 7 && sizes[i] >= 4) {
            set_h264_profile(f, nals[i][1], nals[i][2]);
            break;
        }
}

/* Annex B H.264 carries its parameter sets in band: the last SPS and PPS
 * become the extradata (for keyframes that lack them, and the profile). */
static void annexb_params(RtcFeed *f, const uint8_t *data, size_t size)
{
    const uint8_t *nals[RTC_FEED_MAX_NALS];
    size_t sizes[RTC_FEED_MAX_NALS];
    int k = rtp_h264_split(data, size, 0, nals, sizes, RTC_FEED_MAX_NALS), sps = -1, pps = -1;
    uint8_t *copy;
    for (int i = 0; i < k; i++) {
        if ((nals[i][0] & 0x1f) == 7 && sps < 0 && sizes[i] >= 4)
            sps = i;
        if ((nals[i][0] & 0x1f) == 8 && pps < 0)
            pps = i;
    }
    if (sps < 0 || pps < 0)
        return;
    if (f->avcc && f->avcc_size == 8 + sizes[sps] + sizes[pps] &&
        !memcmp(f->avcc + 4, nals[sps], sizes[sps]) && !memcmp(f->avcc + 8 + sizes[sps], nals[pps], sizes[pps]))
        return; /* the same as before */
    if (!(copy = malloc(8 + sizes[sps] + sizes[pps])))
        return;
    memcpy(copy, "\0\0\0\1", 4);
    memcpy(copy + 4, nals[sps], sizes[sps]);
    memcpy(copy + 4 + sizes[sps], "\0\0\0\1", 4);
    memcpy(copy + 8 + sizes[sps], nals[pps], sizes[pps]);
    free(f->avcc);
    f->avcc = copy;
    f->avcc_size = 8 + sizes[sps] + sizes[pps];
    if (!f->has_video || nals[sps][1] != f->src_profile || nals[sps][2] != f->src_constraints)
        set_h264_profile(f, nals[sps][1], nals[sps][2]);
}

static void video_packet(RtcFeed *f, const RtcFeedPkt *p)
{
    if (!f->vcodec || !p->size)
        return;
    if (f->vcodec == AV_CODEC_ID_H264 && !f->nal_length_size && p->key)
        annexb_params(f, p->data, p->size);
    if (!f->has_video)
        return;
    if (!f->encoding && (p->pts != p->dts || (f->have_last_pts && p->pts < f->last_pts)))
        start_rung(f, "the source has B-frames");
    f->last_pts = p->pts;
    f->have_last_pts = 1;
    if (!f->encoding) {
        emit_video(f, p->data, p->size, f->nal_length_size, p->pts, p->key);
        return;
    }
    if (transcode_video(f, p->data, p->size, p->dts, p->pts) < 0) {
        log_error("stream %s: the WebRTC rung cannot be encoded; video stops", f->name);
        close_video_codecs(f);
        f->has_video = 0;
    }
}

static void audio_config(RtcFeed *f, uint32_t fourcc, const uint8_t *extra, size_t n)
{
    int ret;
    close_audio_codecs(f);
    f->audio_pass = 0;
    f->has_audio = 0;
    if (fourcc == FLV_FOURCC('O', 'p', 'u', 's')) {
        log_info("stream %s: the source's Opus is passed through", f->name);
        f->audio_pass = 1;
        f->has_audio = 1;
        return;
    }
    if (fourcc != FLV_FOURCC('m', 'p', '4', 'a')) {
        log_warn("stream %s: audio FourCC %08x is neither AAC nor Opus; no audio for WebRTC", f->name,
                 (unsigned)fourcc);
        return;
    }
    if ((ret = open_audio(f, extra, n)) < 0) {
        log_error("stream %s: no Opus for WebRTC: %s", f->name, av_err2str(ret));
        close_audio_codecs(f);
        return;
    }
    f->has_audio = 1;
}

static void audio_packet(RtcFeed *f, const RtcFeedPkt *p)
{
    if (!f->has_audio)
        return;
    if (f->audio_pass) {
        RtcFrame fr = { .video = 0, .ts = (uint32_t)(p->pts * 48), .ms = p->pts, .data = p->data,
                        .size = p->size };
        if (fr.size && fr.size <= RTP_MAX_PACKET - 200)
            f->fn(f->opaque, &fr);
        return;
    }
    aac_packet(f, (uint32_t)p->pts, p->data, p->size);
}

int rtc_feed_packet(RtcFeed *f, const RtcFeedPkt *p)
{
    if (p->type == RTC_FEEDPKT_CONFIG)
        (p->track ? audio_config : video_config)(f, p->fourcc, p->data, p->size);
    else if (p->track)
        audio_packet(f, p);
    else
        video_packet(f, p);
    return 0;
}
