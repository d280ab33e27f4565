/*
 * audio.c: the audio rendition of a segment: AAC copied, anything else
 * decoded, resampled (libswresample) and encoded to AAC once. See audio.h
 * for the priming and continuity rules.
 */
#include <inttypes.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "audio.h"
#include "codecs.h"
#include "log.h"
#include "mp4out.h"

#define AAC_FRAME 1024

typedef struct Enc {
    AVCodecContext *dec, *enc;
    SwrContext *swr;
    AVAudioFifo *fifo;
    AVFrame *in, *out;
    AVPacket *pkt;
    Mp4Out *mp4;
    int64_t base;        /* pts of the first sample, in 1/sample_rate; */
    int64_t emitted;     /* samples given to the encoder */
    int have_base;
    const char *path;
} Enc;

static int copy_aac(const AVStream *st, AVPacket *const *pkts, int n, double seconds,
                    const char *path, AudioRendition *out)
{
    const AVCodecParameters *par = st->codecpar;
    Mp4Out *mp4 = NULL;
    AVPacket *pkt = av_packet_alloc();
    int64_t bytes = 0;
    int ret, i;

    if (!pkt)
        return AVERROR(ENOMEM);
    if ((ret = mp4out_open(&mp4, path, par, st->time_base)) < 0)
        goto done;
    for (i = 0; i < n; i++) {
        bytes += pkts[i]->size;
        if ((ret = av_packet_ref(pkt, pkts[i])) < 0 || (ret = mp4out_write(mp4, pkt)) < 0)
            goto done;
    }
    ret = mp4out_close(&mp4, 1);
    if (ret < 0)
        goto done;
    codecs_aac(par->extradata, (size_t)par->extradata_size, out->codec, sizeof(out->codec));
    out->sample_rate = par->sample_rate;
    out->channels = par->ch_layout.nb_channels;
    out->bandwidth = par->bit_rate > 0 ? par->bit_rate
                     : seconds > 0 ? (int64_t)(bytes * 8 / seconds) : 0;
    out->encoded = 0;
done:
    mp4out_close(&mp4, 0);
    av_packet_free(&pkt);
    return ret;
}

/* Drain the encoder into the file; packets of the priming are dropped,
 * and the last one ends with the last sample given (the encoder pads it to
 * a whole frame; the next segment starts right there). */
static int drain(Enc *e)
{
    int ret;
    for (;;) {
        ret = avcodec_receive_packet(e->enc, e->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ret;
        if (e->pkt->pts < e->base || e->pkt->pts >= e->base + e->emitted) {
            av_packet_unref(e->pkt);
            continue;
        }
        if (e->pkt->pts + e->pkt->duration > e->base + e->emitted)
            e->pkt->duration = e->base + e->emitted - e->pkt->pts;
        if ((ret = mp4out_write(e->mp4, e->pkt)) < 0)
            return ret;
    }
}

/* Encode whole AAC frames from the fifo (and the short rest when flush). */
static int encode_fifo(Enc *e, int flush)
{
    int ret;
    while (av_audio_fifo_size(e->fifo) >= AAC_FRAME ||
           (flush && av_audio_fifo_size(e->fifo) > 0)) {
        int n = FFMIN(av_audio_fifo_size(e->fifo), AAC_FRAME);
        av_frame_unref(e->out);
        e->out->nb_samples = n;
        e->out->format = e->enc->sample_fmt;
        e->out->sample_rate = e->enc->sample_rate;
        if ((ret = av_channel_layout_copy(&e->out->ch_layout, &e->enc->ch_layout)) < 0 ||
            (ret = av_frame_get_buffer(e->out, 0)) < 0)
            return ret;
        if (av_audio_fifo_read(e->fifo, (void **)e->out->data, n) < n)
            return AVERROR_BUG;
        e->out->pts = e->base + e->emitted;
        e->emitted += n;
        if ((ret = avcodec_send_frame(e->enc, e->out)) < 0 || (ret = drain(e)) < 0)
            return ret;
    }
    return 0;
}

/* Resample a decoded frame (or flush the resampler with NULL) into the fifo. */
static int resample(Enc *e, const AVFrame *f)
{
    int max = swr_get_out_samples(e->swr, f ? f->nb_samples : 0), got, ret;
    uint8_t **buf = NULL;

    if (max <= 0)
        return 0;
    if ((ret = av_samples_alloc_array_and_samples(&buf, NULL, e->enc->ch_layout.nb_channels,
                                                  max, e->enc->sample_fmt, 0)) < 0)
        return ret;
    got = swr_convert(e->swr, buf, max, f ? (const uint8_t **)f->extended_data : NULL,
                      f ? f->nb_samples : 0);
    if (got < 0)
        ret = got;
    else if (got > 0 && av_audio_fifo_write(e->fifo, (void **)buf, got) < got)
        ret = AVERROR(ENOMEM);
    av_freep(&buf[0]);
    av_freep(&buf);
    return ret < 0 ? ret : 0;
}

/* Decoded frames to the resampler; returns INVALIDDATA for decoder errors. */
static int decode_drain(Enc *e)
{
    int ret;
    for (;;) {
        ret = avcodec_receive_frame(e->dec, e->in);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return AVERROR_INVALIDDATA;
        if (!e->have_base) {
            int64_t ts = e->in->best_effort_timestamp;
            if (ts == AV_NOPTS_VALUE)
                ts = 0;
            e->base = av_rescale_q(ts, e->dec->pkt_timebase,
                                   (AVRational){ 1, e->enc->sample_rate });
            e->have_base = 1;
        }
        ret = resample(e, e->in);
        av_frame_unref(e->in);
        if (ret < 0 || (ret = encode_fifo(e, 0)) < 0)
            return ret;
    }
}

static int pick_rate(const AVCodec *c, int want)
{
    const int *r = c->supported_samplerates;
    int best = 48000;
    if (!r)
        return want;
    for (; *r; r++) {
        if (*r == want)
            return want;
        if (abs(*r - want) < abs(best - want))
            best = *r;
    }
    return best;
}

/* The decoder of the source's audio, opened; channels and a sample rate
 * it must know (else the input is bad). */
static int open_decoder(Enc *e, const AVStream *st, const AVCodec *dc, const AVPacket *first)
{
    int ret;

    if ((ret = avcodec_parameters_to_context(e->dec, st->codecpar)) < 0)
        return ret;
    e->dec->pkt_timebase = st->time_base;
    if (st->codecpar->codec_id == AV_CODEC_ID_OPUS && first->pts > 0 &&
        e->dec->extradata_size >= 19 && !memcmp(e->dec->extradata, "OpusHead", 8)) {
        /* mid-stream: the pre-skip (encoder delay) was skipped at the
         * stream's start; skipping it again would leave a gap here */
        e->dec->extradata[10] = e->dec->extradata[11] = 0;
    }
    if (avcodec_open2(e->dec, dc, NULL) < 0)
        return AVERROR_INVALIDDATA;
    if (e->dec->ch_layout.nb_channels <= 0 || e->dec->sample_rate <= 0)
        return AVERROR_INVALIDDATA;
    return 0;
}

/* The AAC encoder (mono or stereo, the nearest rate it supports), the
 * resampler from the decoder's format to it, the FIFO that cuts whole
 * AAC frames, and the output file. */
static int open_encoder(Enc *e, const AVCodec *ec, int64_t bitrate)
{
    int channels = e->dec->ch_layout.nb_channels, ret;

    av_channel_layout_default(&e->enc->ch_layout, channels == 1 ? 1 : 2);
    e->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    e->enc->sample_rate = pick_rate(ec, e->dec->sample_rate);
    e->enc->time_base = (AVRational){ 1, e->enc->sample_rate };
    e->enc->bit_rate = bitrate;
    e->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((ret = avcodec_open2(e->enc, ec, NULL)) < 0)
        return ret;
    if (!e->dec->ch_layout.order || e->dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&e->dec->ch_layout, channels);
    if ((ret = swr_alloc_set_opts2(&e->swr, &e->enc->ch_layout, e->enc->sample_fmt,
                                   e->enc->sample_rate, &e->dec->ch_layout, e->dec->sample_fmt,
                                   e->dec->sample_rate, 0, NULL)) < 0 ||
        (ret = swr_init(e->swr)) < 0)
        return ret;
    if (!(e->fifo = av_audio_fifo_alloc(e->enc->sample_fmt, e->enc->ch_layout.nb_channels,
                                        4 * AAC_FRAME)))
        return AVERROR(ENOMEM);
    ret = mp4out_open_encoder(&e->mp4, e->path, e->enc);
    return ret < 0 ? ret : 0;
}

/* Every packet through decoder, resampler and encoder, each flushed at
 * the end, and the file published. */
static int encode_all(Enc *e, AVPacket *const *pkts, int n)
{
    int ret;

    for (int i = 0; i < n; i++) {
        ret = avcodec_send_packet(e->dec, pkts[i]);
        if (ret < 0 && ret != AVERROR(EAGAIN))
            return AVERROR_INVALIDDATA;
        if ((ret = decode_drain(e)) < 0)
            return ret;
    }
    avcodec_send_packet(e->dec, NULL);
    if ((ret = decode_drain(e)) < 0 || (ret = resample(e, NULL)) < 0 ||
        (ret = encode_fifo(e, 1)) < 0)
        return ret;
    if (!e->have_base) {
        log_error("%s: no audio could be decoded", e->path);
        return AVERROR_INVALIDDATA;
    }
    if ((ret = avcodec_send_frame(e->enc, NULL)) < 0 || (ret = drain(e)) < 0)
        return ret;
    return mp4out_close(&e->mp4, 1);
}

static void enc_free(Enc *e)
{
    mp4out_close(&e->mp4, 0);
    av_audio_fifo_free(e->fifo);
    swr_free(&e->swr);
    av_frame_free(&e->in);
    av_frame_free(&e->out);
    av_packet_free(&e->pkt);
    avcodec_free_context(&e->dec);
    avcodec_free_context(&e->enc);
}

static int encode_aac(const AVStream *st, AVPacket *const *pkts, int n, int64_t bitrate,
                      const char *path, AudioRendition *out)
{
    const AVCodecParameters *par = st->codecpar;
    const AVCodec *dc = avcodec_find_decoder(par->codec_id);
    const AVCodec *ec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    Enc e = { .path = path };
    int ret;

    if (!dc) {
        log_error("%s: no decoder for audio codec %s", path, avcodec_get_name(par->codec_id));
        return AVERROR_INVALIDDATA;
    }
    if (!ec)
        return AVERROR_ENCODER_NOT_FOUND;
    if (!(e.dec = avcodec_alloc_context3(dc)) || !(e.enc = avcodec_alloc_context3(ec)) ||
        !(e.in = av_frame_alloc()) || !(e.out = av_frame_alloc()) ||
        !(e.pkt = av_packet_alloc())) {
        ret = AVERROR(ENOMEM);
        goto done;
    }
    if ((ret = open_decoder(&e, st, dc, pkts[0])) < 0 || (ret = open_encoder(&e, ec, bitrate)) < 0 ||
        (ret = encode_all(&e, pkts, n)) < 0)
        goto done;
    codecs_aac(e.enc->extradata, (size_t)e.enc->extradata_size, out->codec,
               sizeof(out->codec));
    out->sample_rate = e.enc->sample_rate;
    out->channels = e.enc->ch_layout.nb_channels;
    out->bandwidth = bitrate;
    out->encoded = 1;
    log_debug("%s: %s audio encoded to AAC, %" PRId64 " samples", path, dc->name, e.emitted);
done:
    enc_free(&e);
    return ret;
}

int audio_rendition(const AVStream *st, AVPacket *const *pkts, int n, double seconds,
                    int64_t bitrate, const char *path, AudioRendition *out)
{
    memset(out, 0, sizeof(*out));
    if (n == 0) {
        log_error("%s: no audio packets", path);
        return AVERROR_INVALIDDATA;
    }
    if (st->codecpar->codec_id == AV_CODEC_ID_AAC)
        return copy_aac(st, pkts, n, seconds, path, out);
    return encode_aac(st, pkts, n, bitrate, path, out);
}
