/*
 * media.h: small real media files for the unit tests, made with the same
 * libraries the code under test uses (libavcodec's libx264 and audio
 * encoders, libavformat's muxers): a moving gradient and a sine tone.
 * Header-only; every function returns 0 or a negative AVERROR.
 */
#ifndef LIVE_TEST_MEDIA_H
#define LIVE_TEST_MEDIA_H

#include <math.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>

typedef struct MediaSpec {
    const char *format;       /* muxer: "mp4", "matroska", "flv", "mpegts" */
    const char *vcodec;       /* video encoder: NULL for libx264; libx265, libvpx-vp9 */
    int width, height;        /* 0: no video */
    int fps;                  /* frames per second */
    int frames;               /* video frames (and the audio's length) */
    double gop;               /* seconds between key frames (0: 1 s) */
    int interlaced;           /* encode as top-field-first interlaced */
    int no_bframes;           /* 1: no B-frames (constrained baseline with libx264) */
    enum AVCodecID audio;     /* AV_CODEC_ID_NONE: no audio; AAC, MP2, ... */
    int sample_rate, channels;
} MediaSpec;

typedef struct MediaOut {
    AVFormatContext *fmt;
    AVCodecContext *enc[2];
    AVStream *st[2];
    int n;
} MediaOut;

static inline int media_drain(MediaOut *m, int i, AVFrame *frame)
{
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? avcodec_send_frame(m->enc[i], frame) : AVERROR(ENOMEM);

    while (ret >= 0) {
        ret = avcodec_receive_packet(m->enc[i], pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret < 0)
            break;
        if (!pkt->duration && m->enc[i]->codec_type == AVMEDIA_TYPE_VIDEO)
            pkt->duration = 1;   /* a frame, in 1/fps: the last one counts too */
        av_packet_rescale_ts(pkt, m->enc[i]->time_base, m->st[i]->time_base);
        pkt->stream_index = m->st[i]->index;
        ret = av_interleaved_write_frame(m->fmt, pkt);
    }
    av_packet_free(&pkt);
    return ret;
}

static inline int media_add(MediaOut *m, const AVCodec *codec, AVCodecContext **out)
{
    AVCodecContext *c = codec ? avcodec_alloc_context3(codec) : NULL;
    AVStream *st = c ? avformat_new_stream(m->fmt, NULL) : NULL;

    if (!st) {
        avcodec_free_context(&c);
        return codec ? AVERROR(ENOMEM) : AVERROR_ENCODER_NOT_FOUND;
    }
    if (m->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    m->enc[m->n] = c;
    m->st[m->n++] = st;
    *out = c;
    return 0;
}

static inline int media_open_video(MediaOut *m, const MediaSpec *s)
{
    AVCodecContext *c;
    const char *name = s->vcodec ? s->vcodec : "libx264";
    int ret = media_add(m, avcodec_find_encoder_by_name(name), &c);

    if (ret < 0)
        return ret;
    c->width = s->width;
    c->height = s->height;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = (AVRational){ 1, s->fps };
    c->framerate = (AVRational){ s->fps, 1 };
    c->gop_size = (int)((s->gop > 0 ? s->gop : 1) * s->fps);
    c->max_b_frames = s->no_bframes ? 0 : 2;
    c->bit_rate = 400000;
    if (s->interlaced) {
        c->flags |= AV_CODEC_FLAG_INTERLACED_DCT | AV_CODEC_FLAG_INTERLACED_ME;
        c->field_order = AV_FIELD_TT;
    }
    av_opt_set(c->priv_data, "preset", "ultrafast", 0);
    av_opt_set(c->priv_data, "x264-params", "scenecut=0:log=-1", 0);
    av_opt_set(c->priv_data, "x265-params", "scenecut=0:log-level=none", 0);
    av_opt_set(c->priv_data, "deadline", "realtime", 0);
    av_opt_set_int(c->priv_data, "cpu-used", 8, 0);
    if ((ret = avcodec_open2(c, NULL, NULL)) < 0)
        return ret;
    m->st[m->n - 1]->time_base = c->time_base;
    return avcodec_parameters_from_context(m->st[m->n - 1]->codecpar, c);
}

static inline int media_open_audio(MediaOut *m, const MediaSpec *s)
{
    AVCodecContext *c;
    const AVCodec *codec = avcodec_find_encoder(s->audio);
    int ret = media_add(m, codec, &c);

    if (ret < 0)
        return ret;
    c->sample_rate = s->sample_rate ? s->sample_rate : 48000;
    av_channel_layout_default(&c->ch_layout, s->channels ? s->channels : 2);
    c->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
    c->time_base = (AVRational){ 1, c->sample_rate };
    c->bit_rate = 96000;
    if ((ret = avcodec_open2(c, NULL, NULL)) < 0)
        return ret;
    m->st[m->n - 1]->time_base = c->time_base;
    return avcodec_parameters_from_context(m->st[m->n - 1]->codecpar, c);
}

static inline void media_fill_video(AVFrame *f, int n, int interlaced)
{
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++)
            f->data[0][y * f->linesize[0] + x] =
                (uint8_t)(x + y + 3 * n + (interlaced && (y & 1) ? 80 : 0));
    for (int y = 0; y < f->height / 2; y++)
        for (int x = 0; x < f->width / 2; x++) {
            f->data[1][y * f->linesize[1] + x] = (uint8_t)(128 + y + n);
            f->data[2][y * f->linesize[2] + x] = (uint8_t)(64 + x + n);
        }
}

/* Write the file at path as s says. */
static inline int media_write(const char *path, const MediaSpec *s)
{
    MediaOut m = { 0 };
    AVFrame *f = av_frame_alloc();
    int ret, i, v = -1, a = -1;
    int64_t samples = 0, total = 0;

    if (!f)
        return AVERROR(ENOMEM);
    if ((ret = avformat_alloc_output_context2(&m.fmt, NULL, s->format, path)) < 0)
        goto end;
    if (s->width && (v = m.n, ret = media_open_video(&m, s)) < 0)
        goto end;
    if (s->audio != AV_CODEC_ID_NONE && (a = m.n, ret = media_open_audio(&m, s)) < 0)
        goto end;
    if ((ret = avio_open(&m.fmt->pb, path, AVIO_FLAG_WRITE)) < 0 ||
        (ret = avformat_write_header(m.fmt, NULL)) < 0)
        goto end;
    if (a >= 0)
        total = (int64_t)s->frames * m.enc[a]->sample_rate / s->fps;
    for (i = 0; ret >= 0 && i < s->frames; i++) {
        if (v >= 0) {
            AVCodecContext *c = m.enc[v];
            av_frame_unref(f);
            f->format = c->pix_fmt;
            f->width = c->width;
            f->height = c->height;
            if ((ret = av_frame_get_buffer(f, 0)) < 0)
                break;
            media_fill_video(f, i, s->interlaced);
            f->pts = i;
            f->interlaced_frame = s->interlaced;
            f->top_field_first = s->interlaced;
            if ((ret = media_drain(&m, v, f)) < 0)
                break;
        }
        /* the audio up to the end of this video frame */
        while (a >= 0 && ret >= 0 && samples < (int64_t)(i + 1) * total / s->frames) {
            AVCodecContext *c = m.enc[a];
            int fs = c->frame_size ? c->frame_size : 1024;
            av_frame_unref(f);
            f->format = c->sample_fmt;
            f->nb_samples = fs;
            f->sample_rate = c->sample_rate;
            av_channel_layout_copy(&f->ch_layout, &c->ch_layout);
            if ((ret = av_frame_get_buffer(f, 0)) < 0)
                break;
            for (int ch = 0; ch < c->ch_layout.nb_channels; ch++)
                for (int k = 0; k < fs; k++) {
                    double x = 0.3 * sin(2 * M_PI * 440 * (samples + k) / c->sample_rate);
                    int idx = av_sample_fmt_is_planar(c->sample_fmt) ? k : k * c->ch_layout.nb_channels + ch;
                    uint8_t *plane = f->extended_data[av_sample_fmt_is_planar(c->sample_fmt) ? ch : 0];
                    if (c->sample_fmt == AV_SAMPLE_FMT_S16 || c->sample_fmt == AV_SAMPLE_FMT_S16P)
                        ((int16_t *)plane)[idx] = (int16_t)(x * 32767);
                    else
                        ((float *)plane)[idx] = (float)x;
                }
            f->pts = samples;
            samples += fs;
            ret = media_drain(&m, a, f);
        }
    }
    for (i = 0; ret >= 0 && i < m.n; i++)
        ret = media_drain(&m, i, NULL);
    if (ret >= 0)
        ret = av_write_trailer(m.fmt);
end:
    for (i = 0; i < m.n; i++)
        avcodec_free_context(&m.enc[i]);
    if (m.fmt && m.fmt->pb)
        avio_closep(&m.fmt->pb);
    avformat_free_context(m.fmt);
    av_frame_free(&f);
    return ret;
}

/* Count the packets of each kind in the file at path (video, audio may be
 * NULL), not those an edit list discards; *first_key: 1 when the first
 * video packet is a key frame. */
static inline int media_count(const char *path, int *video, int *audio, int *first_key)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    int ret, nv = 0, na = 0, key = -1;

    if (!pkt)
        return AVERROR(ENOMEM);
    if ((ret = avformat_open_input(&fmt, path, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(fmt, NULL)) < 0)
        goto end;
    while ((ret = av_read_frame(fmt, pkt)) >= 0) {
        enum AVMediaType t = fmt->streams[pkt->stream_index]->codecpar->codec_type;
        if (pkt->flags & AV_PKT_FLAG_DISCARD) {
            av_packet_unref(pkt);
            continue;
        }
        if (t == AVMEDIA_TYPE_VIDEO) {
            if (key < 0)
                key = !!(pkt->flags & AV_PKT_FLAG_KEY);
            nv++;
        } else if (t == AVMEDIA_TYPE_AUDIO) {
            na++;
        }
        av_packet_unref(pkt);
    }
    ret = ret == AVERROR_EOF ? 0 : ret;
end:
    if (video)
        *video = nv;
    if (audio)
        *audio = na;
    if (first_key)
        *first_key = key;
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    return ret;
}

#endif
