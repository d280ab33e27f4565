/*
 * rtc/whipmux.c: WHIP frames to Matroska. See whipmux.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "log.h"
#include "remux.h"
#include "rtc/whipmux.h"

struct WhipMux {
    enum RtcCodec video;
    int audio;
    RemuxOut out;
    int started, vidx, aidx;
};

int whipmux_new(enum RtcCodec video, int audio, WhipMuxWrite write, void *opaque, WhipMux **out)
{
    WhipMux *m;
    *out = NULL;
    if (video == RTC_CODEC_OPUS || (video == RTC_CODEC_NONE && !audio))
        return AVERROR(EINVAL);
    if (!(m = calloc(1, sizeof(*m))))
        return AVERROR(ENOMEM);
    m->video = video;
    m->audio = !!audio;
    remux_out_init(&m->out, write, opaque);
    m->vidx = m->aidx = -1;
    *out = m;
    return 0;
}

enum RtcCodec whipmux_video_codec(const WhipMux *m)
{
    return m->video;
}

int whipmux_has_audio(const WhipMux *m)
{
    return m->audio;
}

static enum AVCodecID codec_id(enum RtcCodec c)
{
    return c == RTC_CODEC_H264 ? AV_CODEC_ID_H264 : c == RTC_CODEC_VP8 ? AV_CODEC_ID_VP8 : AV_CODEC_ID_VP9;
}

/* The picture size of a keyframe: decode it (one frame, one thread). */
static int frame_size(enum RtcCodec c, const uint8_t *data, size_t size, int *w, int *h)
{
    const AVCodec *dec = avcodec_find_decoder(codec_id(c));
    AVCodecContext *ctx = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    int ret = AVERROR_INVALIDDATA;

    if (!dec || !pkt || !fr || !(ctx = avcodec_alloc_context3(dec)))
        goto done;
    ctx->thread_count = 1;
    if (avcodec_open2(ctx, dec, NULL) < 0 || av_new_packet(pkt, (int)size) < 0)
        goto done;
    memcpy(pkt->data, data, size);
    pkt->flags |= AV_PKT_FLAG_KEY;
    avcodec_send_packet(ctx, pkt);
    avcodec_send_packet(ctx, NULL);
    if (avcodec_receive_frame(ctx, fr) == 0 && fr->width > 0 && fr->height > 0) {
        *w = fr->width;
        *h = fr->height;
        ret = 0;
    } else if (ctx->width > 0 && ctx->height > 0) {
        *w = ctx->width;
        *h = ctx->height;
        ret = 0;
    }
done:
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
    return ret;
}

/* H.264: the SPS and PPS of an Annex B access unit, as Annex B
 * extradata (the Matroska muxer turns it into avcC). */
static int h264_extradata(AVCodecParameters *par, const uint8_t *p, size_t n)
{
    uint8_t *x = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);
    size_t xl = 0, i = 0;
    if (!x)
        return AVERROR(ENOMEM);
    while (i + 4 <= n) {
        size_t s, e;
        if (!(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 0 && p[i + 3] == 1)) {
            i++;
            continue;
        }
        s = i + 4;
        for (e = s; e + 4 <= n && !(p[e] == 0 && p[e + 1] == 0 && p[e + 2] == 0 && p[e + 3] == 1); e++)
            ;
        if (e + 4 > n)
            e = n;
        if (e > s && ((p[s] & 0x1f) == 7 || (p[s] & 0x1f) == 8)) {
            memcpy(x + xl, p + i, e - i);
            xl += e - i;
        }
        i = e;
    }
    if (!xl) {
        av_free(x);
        return AVERROR_INVALIDDATA;
    }
    par->extradata = x;
    par->extradata_size = (int)xl;
    return 0;
}

/* OpusHead (RFC 7845): version 1, 2 channels, no pre-skip, 48 kHz, no
 * gain, mapping family 0. */
static int opus_extradata(AVCodecParameters *par)
{
    static const uint8_t head[19] = { 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0, 0,
                                      0x80, 0xbb, 0, 0, 0, 0, 0 };
    if (!(par->extradata = av_mallocz(sizeof(head) + AV_INPUT_BUFFER_PADDING_SIZE)))
        return AVERROR(ENOMEM);
    memcpy(par->extradata, head, sizeof(head));
    par->extradata_size = sizeof(head);
    return 0;
}

/* The header, with the first keyframe (NULL: no video). */
static int start(WhipMux *m, const uint8_t *key, size_t key_size)
{
    AVDictionary *opts = NULL;
    AVStream *st;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret, w = 0, h = 0;

    AVCodecParameters *vp = NULL;

    if (key) {
        if (frame_size(m->video, key, key_size, &w, &h) < 0) {
            log_warn("WHIP: a %s keyframe that does not decode: waiting for the next",
                     rtc_codec_name(m->video));
            return 0;
        }
        if (!(vp = avcodec_parameters_alloc()))
            return AVERROR(ENOMEM);
        vp->codec_type = AVMEDIA_TYPE_VIDEO;
        vp->codec_id = codec_id(m->video);
        vp->width = w;
        vp->height = h;
        if (m->video == RTC_CODEC_H264 && h264_extradata(vp, key, key_size) < 0) {
            log_warn("WHIP: an H.264 keyframe without SPS and PPS: waiting for the next");
            avcodec_parameters_free(&vp);
            return 0;
        }
    }
    if ((ret = remux_out_open(&m->out, "matroska")) < 0)
        goto fail;
    if (vp) {
        if (!(st = avformat_new_stream(m->out.fmt, NULL))) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        st->time_base = (AVRational){ 1, 1000 };
        if ((ret = avcodec_parameters_copy(st->codecpar, vp)) < 0)
            goto fail;
        m->vidx = st->index;
        avcodec_parameters_free(&vp);
    }
    if (m->audio) {
        if (!(st = avformat_new_stream(m->out.fmt, NULL)))
            return AVERROR(ENOMEM);
        st->time_base = (AVRational){ 1, 1000 };
        st->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
        st->codecpar->codec_id = AV_CODEC_ID_OPUS;
        st->codecpar->sample_rate = 48000;
        av_channel_layout_default(&st->codecpar->ch_layout, 2);
        if ((ret = opus_extradata(st->codecpar)) < 0)
            return ret;
        m->aidx = st->index;
    }
    av_dict_set(&opts, "live", "1", 0);
    ret = avformat_write_header(m->out.fmt, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        log_error("WHIP: Matroska header: %s", av_make_error_string(eb, sizeof(eb), ret));
        return ret;
    }
    avio_flush(m->out.fmt->pb);
    m->started = 1;
    return 0;
fail:
    avcodec_parameters_free(&vp);
    return ret;
}

static int write_frame(WhipMux *m, int video, int64_t ms, int key, const uint8_t *data, size_t size)
{
    int idx = video ? m->vidx : m->aidx;

    if (idx < 0)
        return 0;
    return remux_out_frame(&m->out, idx, video, ms, ms, key, data, size);
}

int whipmux_video(WhipMux *m, int64_t ms, int key, const uint8_t *data, size_t size)
{
    int ret;
    if (m->out.err)
        return m->out.err;
    if (m->video == RTC_CODEC_NONE || !size)
        return 0;
    if (!m->started) {
        if (!key)
            return 0;
        if ((ret = start(m, data, size)) < 0)
            return m->out.err = ret;
        if (!m->started)
            return 0;
    }
    if ((ret = write_frame(m, 1, ms, key, data, size)) < 0)
        m->out.err = ret;
    return ret;
}

int whipmux_audio(WhipMux *m, int64_t ms, const uint8_t *data, size_t size)
{
    int ret;
    if (m->out.err)
        return m->out.err;
    if (!m->audio || !size)
        return 0;
    if (!m->started) {
        if (m->video != RTC_CODEC_NONE)
            return 0;   /* the output starts with a picture */
        if ((ret = start(m, NULL, 0)) < 0)
            return m->out.err = ret;
    }
    if ((ret = write_frame(m, 0, ms, 1, data, size)) < 0)
        m->out.err = ret;
    return ret;
}

void whipmux_free(WhipMux **mp)
{
    WhipMux *m = *mp;
    if (!m)
        return;
    if (m->started && !m->out.err) {
        uint8_t end[REMUX_MKV_END_SIZE];
        remux_out_close(&m->out, 1);
        remux_mkv_end(end);     /* an end, not a cut (live-pipe(5)) */
        m->out.write(m->out.opaque, end, sizeof(end));
    }
    remux_out_close(&m->out, 0);
    free(m);
    *mp = NULL;
}
