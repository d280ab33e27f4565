/*
 * rtc/demux.c: MPEG-TS or Matroska to feedpkt.h records in a thread of
 * its own, for the `live-rtc -f` tee. See demux.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "flv.h"
#include "log.h"
#include "rtc/demux.h"
#include "rtc/feedpkt.h"

struct RtcDemux {
    char name[256];
    const AVInputFormat *fmt;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t more;        /* input came, or the end, or stop */
    ByteBuf in, out;            /* both under lock */
    int eof, stop, done, failed;
    int wake[2];                /* a byte in wake[1] when out has records */

    /* the demuxer thread's own */
    AVFormatContext *ic;
    int index[2];               /* the input stream of video (0) and audio (1), -1 */
    enum AVCodecID codec[2];    /* what the last config record said */
    uint8_t *extra[2];
    size_t extra_size[2];
    int64_t next[2];            /* where a track's next packet starts, in its stream's
                                 * time base (AV_NOPTS_VALUE: unknown) */
    ByteBuf rec;                /* the record being made */
};

const char *rtc_demux_probe(const uint8_t *p, size_t n, int eof)
{
    static const uint8_t ebml[4] = { 0x1a, 0x45, 0xdf, 0xa3 };
    if (n >= 3 && !memcmp(p, "FLV", 3))
        return "flv";
    if (n >= 4 && !memcmp(p, ebml, 4))
        return "matroska";
    if (n >= 1 && p[0] == 0x47) {
        if (n > 188)
            return p[188] == 0x47 ? "mpegts" : NULL;
        return eof ? "mpegts" : "";
    }
    if (n < 4 && !eof)
        return !memcmp(p, "FLV", n) || !memcmp(p, ebml, n) ? "" : NULL;
    return NULL;
}

/* libavformat's reads: block until input, the end, or stop. */
static int read_input(void *opaque, uint8_t *buf, int size)
{
    RtcDemux *d = opaque;
    size_t n;
    pthread_mutex_lock(&d->lock);
    while (!bytebuf_size(&d->in) && !d->eof && !d->stop)
        pthread_cond_wait(&d->more, &d->lock);
    n = bytebuf_size(&d->in);
    if (d->stop || !n) {
        pthread_mutex_unlock(&d->lock);
        return AVERROR_EOF;
    }
    if (n > (size_t)size)
        n = (size_t)size;
    memcpy(buf, bytebuf_data(&d->in), n);
    bytebuf_consume(&d->in, n);
    pthread_mutex_unlock(&d->lock);
    return (int)n;
}

static int interrupted(void *opaque)
{
    RtcDemux *d = opaque;
    int stop;
    pthread_mutex_lock(&d->lock);
    stop = d->stop;
    pthread_mutex_unlock(&d->lock);
    return stop;
}

/* Hands the record made in d->rec to the tee. */
static void hand_over(RtcDemux *d)
{
    static const uint8_t one = 1;
    if (d->rec.err) {
        bytebuf_reset(&d->rec);
        return;
    }
    pthread_mutex_lock(&d->lock);
    int was_empty = !bytebuf_size(&d->out);
    bytebuf_append(&d->out, bytebuf_data(&d->rec), bytebuf_size(&d->rec));
    if (d->out.err) {
        /* the tee does not take them (it cannot be, it is slow to): drop */
        d->out.err = 0;
    }
    pthread_mutex_unlock(&d->lock);
    bytebuf_reset(&d->rec);
    if (was_empty && write(d->wake[1], &one, 1) < 0 && errno != EAGAIN)
        log_debug("stream %s: the demuxer's wake-up: %s", d->name, strerror(errno));
}

static uint32_t fourcc_of(enum AVCodecID id)
{
    switch (id) {
    case AV_CODEC_ID_H264: return FLV_FOURCC('a', 'v', 'c', '1');
    case AV_CODEC_ID_HEVC: return FLV_FOURCC('h', 'v', 'c', '1');
    case AV_CODEC_ID_AV1: return FLV_FOURCC('a', 'v', '0', '1');
    case AV_CODEC_ID_VP9: return FLV_FOURCC('v', 'p', '0', '9');
    case AV_CODEC_ID_VP8: return FLV_FOURCC('v', 'p', '0', '8');
    case AV_CODEC_ID_AAC: return FLV_FOURCC('m', 'p', '4', 'a');
    case AV_CODEC_ID_OPUS: return FLV_FOURCC('O', 'p', 'u', 's');
    default: return 0;
    }
}

/* The track (0 video, 1 audio) a packet of stream i belongs to, or -1:
 * the first stream of each kind with a codec we know is taken. */
static int track_of(RtcDemux *d, int i)
{
    const AVCodecParameters *par = d->ic->streams[i]->codecpar;
    int t = par->codec_type == AVMEDIA_TYPE_VIDEO ? 0 : par->codec_type == AVMEDIA_TYPE_AUDIO ? 1 : -1;
    if (t < 0)
        return -1;
    if (d->index[t] < 0) {
        if (!fourcc_of(par->codec_id)) {
            log_warn("stream %s: %s is not a codec live-rtc takes; the stream goes on without it", d->name,
                     avcodec_get_name(par->codec_id));
            d->ic->streams[i]->discard = AVDISCARD_ALL;
            return -1;
        }
        d->index[t] = i;
    }
    return d->index[t] == i ? t : -1;
}

/* A config record when the track's codec or extradata are new. */
static void config(RtcDemux *d, int t, const AVCodecParameters *par)
{
    size_t n = par->extradata_size > 0 ? (size_t)par->extradata_size : 0;
    uint8_t *copy;
    if (d->codec[t] == par->codec_id && d->extra_size[t] == n && (!n || !memcmp(d->extra[t], par->extradata, n)))
        return;
    if (n && !(copy = malloc(n)))
        return;
    if (n)
        memcpy(copy, par->extradata, n);
    else
        copy = NULL;
    free(d->extra[t]);
    d->extra[t] = copy;
    d->extra_size[t] = n;
    d->codec[t] = par->codec_id;
    log_info("stream %s: %s %s for live-rtc", d->name, t ? "audio" : "video", avcodec_get_name(par->codec_id));
    rtc_feedpkt_put_config(&d->rec, t, fourcc_of(par->codec_id), par->extradata, n);
    hand_over(d);
}

static void packet(RtcDemux *d, AVPacket *pkt)
{
    static const AVRational ms = { 1, 1000 };
    int t = track_of(d, pkt->stream_index);
    AVStream *st;
    int64_t pts, dts;
    if (t < 0 || !pkt->size)
        return;
    st = d->ic->streams[pkt->stream_index];
    if (pkt->pts == AV_NOPTS_VALUE && pkt->dts == AV_NOPTS_VALUE) {
        /* the frames after the first of a PES (MPEG-TS audio): each
         * follows the one before */
        if (d->next[t] == AV_NOPTS_VALUE)
            return;
        pkt->pts = pkt->dts = d->next[t];
    }
    pts = av_rescale_q(pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts, st->time_base, ms);
    dts = av_rescale_q(pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts, st->time_base, ms);
    d->next[t] = AV_NOPTS_VALUE;
    if (pkt->duration > 0) {
        d->next[t] = (pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts) + pkt->duration;
    } else if (st->codecpar->codec_id == AV_CODEC_ID_AAC && pkt->size >= 7 && pkt->data[0] == 0xff &&
               (pkt->data[1] & 0xf0) == 0xf0) {
        /* ADTS: 1024 samples at the rate its header says */
        static const int rates[13] = { 96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000, 7350 };
        int idx = (pkt->data[2] >> 2) & 15;
        if (idx < 13)
            d->next[t] = (pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts) +
                         av_rescale_q(1024, (AVRational){ 1, rates[idx] }, st->time_base);
    }
    config(d, t, st->codecpar);
    rtc_feedpkt_put_packet(&d->rec, t, (pkt->flags & AV_PKT_FLAG_KEY) != 0, pts, dts, pkt->data, (size_t)pkt->size);
    hand_over(d);
}

static void *run(void *arg)
{
    RtcDemux *d = arg;
    AVIOContext *pb = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVDictionary *o = NULL;
    uint8_t *buf = av_malloc(1 << 16);
    int ret = AVERROR(ENOMEM);

    if (!pkt || !buf || !(d->ic = avformat_alloc_context()))
        goto end;
    if (!(pb = avio_alloc_context(buf, 1 << 16, 0, d, read_input, NULL, NULL)))
        goto end;
    buf = NULL;
    pb->seekable = 0;
    d->ic->pb = pb;
    d->ic->flags |= AVFMT_FLAG_CUSTOM_IO;
    d->ic->interrupt_callback.callback = interrupted;
    d->ic->interrupt_callback.opaque = d;
    av_dict_set(&o, "probesize", "1000000", 0);
    ret = avformat_open_input(&d->ic, "", d->fmt, &o);
    av_dict_free(&o);
    if (ret < 0) {
        if (!interrupted(d))
            log_error("stream %s: live-rtc gets nothing: the %s cannot be read (%s)", d->name, d->fmt->name,
                      av_err2str(ret));
        goto end;
    }
    while ((ret = av_read_frame(d->ic, pkt)) >= 0) {
        packet(d, pkt);
        av_packet_unref(pkt);
    }
    if (ret != AVERROR_EOF && ret != AVERROR_EXIT && !interrupted(d))
        log_warn("stream %s: live-rtc gets no more: %s", d->name, av_err2str(ret));
end:
    av_packet_free(&pkt);
    av_free(buf);
    avformat_close_input(&d->ic);
    if (pb) {
        av_freep(&pb->buffer);
        avio_context_free(&pb);
    }
    pthread_mutex_lock(&d->lock);
    d->done = 1;
    d->failed = ret < 0 && ret != AVERROR_EOF;
    pthread_mutex_unlock(&d->lock);
    {
        static const uint8_t one = 1;
        if (write(d->wake[1], &one, 1) < 0 && errno != EAGAIN)
            log_debug("stream %s: the demuxer's wake-up: %s", d->name, strerror(errno));
    }
    return NULL;
}

int rtc_demux_start(RtcDemux **out, const char *format, const char *name)
{
    RtcDemux *d = calloc(1, sizeof(*d));
    int ret;
    *out = NULL;
    if (!d)
        return AVERROR(ENOMEM);
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->wake[0] = d->wake[1] = -1;
    d->index[0] = d->index[1] = -1;
    d->next[0] = d->next[1] = AV_NOPTS_VALUE;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->more, NULL);
    bytebuf_init(&d->in, RTC_DEMUX_MAX_BACKLOG);
    bytebuf_init(&d->out, RTC_DEMUX_MAX_BACKLOG);
    bytebuf_init(&d->rec, RTC_FEEDPKT_MAX + 64);
    if (!(d->fmt = av_find_input_format(format))) {
        rtc_demux_free(&d);
        return AVERROR_DEMUXER_NOT_FOUND;
    }
    if (pipe2(d->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        ret = AVERROR(errno);
        rtc_demux_free(&d);
        return ret;
    }
    if ((ret = pthread_create(&d->thread, NULL, run, d)) != 0) {
        rtc_demux_free(&d);
        return AVERROR(ret);
    }
    d->started = 1;
    *out = d;
    return 0;
}

int rtc_demux_push(RtcDemux *d, const uint8_t *p, size_t n)
{
    int ret = 0;
    pthread_mutex_lock(&d->lock);
    if (d->done) {
        ret = AVERROR_INVALIDDATA;
    } else {
        bytebuf_append(&d->in, p, n);
        if (d->in.err) {
            d->in.err = 0;
            ret = AVERROR(ENOSPC);
        }
        pthread_cond_signal(&d->more);
    }
    pthread_mutex_unlock(&d->lock);
    return ret;
}

void rtc_demux_end(RtcDemux *d)
{
    pthread_mutex_lock(&d->lock);
    d->eof = 1;
    pthread_cond_signal(&d->more);
    pthread_mutex_unlock(&d->lock);
}

int rtc_demux_wake_fd(const RtcDemux *d)
{
    return d->wake[0];
}

int rtc_demux_take(RtcDemux *d, ByteBuf *out)
{
    uint8_t drain[64];
    int done;
    while (read(d->wake[0], drain, sizeof(drain)) > 0)
        ;
    pthread_mutex_lock(&d->lock);
    bytebuf_append(out, bytebuf_data(&d->out), bytebuf_size(&d->out));
    bytebuf_reset(&d->out);
    done = d->done;
    pthread_mutex_unlock(&d->lock);
    return done;
}

void rtc_demux_free(RtcDemux **pd)
{
    RtcDemux *d = *pd;
    if (!d)
        return;
    if (d->started) {
        pthread_mutex_lock(&d->lock);
        d->stop = 1;
        pthread_cond_signal(&d->more);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->thread, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (d->wake[i] >= 0)
            close(d->wake[i]);
    for (int t = 0; t < 2; t++)
        free(d->extra[t]);
    bytebuf_free(&d->in);
    bytebuf_free(&d->out);
    bytebuf_free(&d->rec);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->more);
    free(d);
    *pd = NULL;
}
