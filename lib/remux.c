/*
 * remux.c: Enhanced RTMP tags to MPEG-TS or Matroska. See remux.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/mem.h>

#include "log.h"
#include "remux.h"

#define MAX_WAITING 512     /* frames held until the header can be written */
#define AUDIO_WAIT_MS 2000  /* audio not announced: how long video waits for it */
#define IO_BUFFER 32768

typedef struct Waiting {
    int video, key;
    int64_t dts, pts;
    uint8_t *data;
    size_t size;
} Waiting;

struct Remux {
    uint32_t fourcc;
    int audio;              /* 1, 0, -1: not known */
    RemuxOut out;
    int started, vidx, aidx;
    uint8_t *vconf, *aconf;
    size_t vconf_len, aconf_len;
    Waiting wait[MAX_WAITING];
    int nwait;
    int64_t first_wait_ts;
    int warned;
    int width, height;      /* from onMetaData, or the first keyframe */
};

const char *remux_format(uint32_t fourcc)
{
    if (fourcc == FLV_FOURCC_HEVC)
        return "mpegts";
    if (fourcc == FLV_FOURCC_AV1 || fourcc == FLV_FOURCC_VP9)
        return "matroska";
    return NULL;
}

const char *remux_extension(uint32_t fourcc)
{
    return fourcc == FLV_FOURCC_HEVC ? "ts" : "mkv";
}

static enum AVCodecID codec_of(uint32_t fourcc)
{
    return fourcc == FLV_FOURCC_HEVC ? AV_CODEC_ID_HEVC
         : fourcc == FLV_FOURCC_AV1  ? AV_CODEC_ID_AV1
         : AV_CODEC_ID_VP9;
}

int remux_new(uint32_t fourcc, int audio, int width, int height, RemuxWrite write,
              void *opaque, Remux **out)
{
    Remux *r;

    *out = NULL;
    if (!remux_format(fourcc))
        return AVERROR(EINVAL);
    if (!(r = calloc(1, sizeof(*r))))
        return AVERROR(ENOMEM);
    r->fourcc = fourcc;
    r->audio = audio;
    remux_out_init(&r->out, write, opaque);
    r->vidx = r->aidx = -1;
    r->width = width > 0 && width <= 16384 ? width : 0;
    r->height = height > 0 && height <= 16384 ? height : 0;
    *out = r;
    return 0;
}

void remux_out_init(RemuxOut *o, RemuxWrite write, void *opaque)
{
    memset(o, 0, sizeof(*o));
    o->write = write;
    o->opaque = opaque;
    o->last_dts[0] = o->last_dts[1] = INT64_MIN;
}

static int out_write(void *opaque, uint8_t *buf, int size)
{
    RemuxOut *o = opaque;
    int ret;

    if (o->err)
        return o->err;
    if ((ret = o->write(o->opaque, buf, (size_t)size)) < 0)
        return o->err = ret;
    return size;
}

int remux_out_open(RemuxOut *o, const char *format)
{
    uint8_t *buf;
    int ret;

    if ((ret = avformat_alloc_output_context2(&o->fmt, NULL, format, NULL)) < 0)
        return ret;
    if (!(buf = av_malloc(IO_BUFFER)) ||
        !(o->fmt->pb = avio_alloc_context(buf, IO_BUFFER, 1, o, NULL, out_write, NULL))) {
        av_free(buf);
        return AVERROR(ENOMEM);
    }
    o->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    return 0;
}

int remux_out_frame(RemuxOut *o, int idx, int video, int64_t dts, int64_t pts, int key,
                    const uint8_t *data, size_t size)
{
    AVStream *st = o->fmt->streams[idx];
    AVPacket *pkt;
    int ret;

    /* strictly increasing per track, as the muxers want */
    if (dts <= o->last_dts[video])
        dts = o->last_dts[video] + 1;
    if (pts < dts)
        pts = dts;
    o->last_dts[video] = dts;
    if (!(pkt = av_packet_alloc()))
        return AVERROR(ENOMEM);
    if ((ret = av_new_packet(pkt, (int)size)) < 0) {
        av_packet_free(&pkt);
        return ret;
    }
    memcpy(pkt->data, data, size);
    pkt->stream_index = idx;
    pkt->dts = av_rescale_q(dts, (AVRational){ 1, 1000 }, st->time_base);
    pkt->pts = av_rescale_q(pts, (AVRational){ 1, 1000 }, st->time_base);
    if (key)
        pkt->flags |= AV_PKT_FLAG_KEY;
    ret = av_write_frame(o->fmt, pkt);
    av_packet_free(&pkt);
    avio_flush(o->fmt->pb);
    return o->err ? o->err : ret;
}

void remux_out_close(RemuxOut *o, int trailer)
{
    if (!o->fmt)
        return;
    if (trailer && !o->err) {
        av_write_trailer(o->fmt);
        avio_flush(o->fmt->pb);
    }
    if (o->fmt->pb)
        av_freep(&o->fmt->pb->buffer);
    avio_context_free(&o->fmt->pb);
    avformat_free_context(o->fmt);
    o->fmt = NULL;
}

static int set_extradata(AVCodecParameters *par, const uint8_t *p, size_t len)
{
    if (!(par->extradata = av_mallocz(len + AV_INPUT_BUFFER_PADDING_SIZE)))
        return AVERROR(ENOMEM);
    memcpy(par->extradata, p, len);
    par->extradata_size = (int)len;
    return 0;
}

/* AudioSpecificConfig: object type (5 bits), frequency index (4), channel
 * configuration (4). */
static int aac_config(const uint8_t *p, size_t len, int *rate, int *channels)
{
    static const int rates[] = { 96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                 22050, 16000, 12000, 11025, 8000, 7350 };
    int idx;

    if (len < 2)
        return AVERROR_INVALIDDATA;
    idx = ((p[0] & 7) << 1) | (p[1] >> 7);
    if (idx >= (int)(sizeof(rates) / sizeof(*rates)))
        return AVERROR_INVALIDDATA;   /* an explicit rate: not from encoders we meet */
    *rate = rates[idx];
    *channels = (p[1] >> 3) & 15;
    return *channels ? 0 : AVERROR_INVALIDDATA;
}

static int bits(const uint8_t *p, size_t n, size_t *bit, int k);

/* VP9's uncompressed header of a keyframe: its frame size. */
static int vp9_size(const uint8_t *p, size_t n, int *w, int *h)
{
    size_t bit = 0;
#define BITS(k) bits(p, n, &bit, (k))
    int profile, cs;

    if (BITS(2) != 2)
        return -1;
    profile = BITS(1);
    profile |= BITS(1) << 1;
    if (profile == 3)
        BITS(1);
    if (BITS(1) || BITS(1))   /* show_existing_frame, or not a keyframe */
        return -1;
    BITS(2);                  /* show_frame, error_resilient_mode */
    if (BITS(24) != 0x498342)
        return -1;
    if (profile >= 2)
        BITS(1);
    cs = BITS(3);
    if (cs != 7) {
        BITS(1);
        if (profile & 1)
            BITS(3);
    } else if (profile & 1) {
        BITS(1);
    }
    *w = BITS(16) + 1;
    *h = BITS(16) + 1;
#undef BITS
    return bit <= n * 8 ? 0 : -1;
}

static int bits(const uint8_t *p, size_t n, size_t *bit, int k)
{
    int v = 0;
    while (k--) {
        int b = *bit < n * 8 ? (p[*bit >> 3] >> (7 - (*bit & 7))) & 1 : 0;
        v = v << 1 | b;
        (*bit)++;
    }
    return v;
}

/* The frame size from a keyframe, for Matroska (which wants it): VP9's
 * header, or libavcodec's AV1 parser (the sequence header). */
static void size_from_frame(Remux *r, const uint8_t *data, size_t size)
{
    if (r->fourcc == FLV_FOURCC_VP9) {
        vp9_size(data, size, &r->width, &r->height);
    } else if (r->fourcc == FLV_FOURCC_AV1) {
        AVCodecParserContext *pc = av_parser_init(AV_CODEC_ID_AV1);
        AVCodecContext *avctx = avcodec_alloc_context3(NULL);
        uint8_t *out;
        int out_size;
        if (pc && avctx && (avctx->extradata = av_mallocz(r->vconf_len + AV_INPUT_BUFFER_PADDING_SIZE))) {
            memcpy(avctx->extradata, r->vconf, r->vconf_len);
            avctx->extradata_size = (int)r->vconf_len;
            av_parser_parse2(pc, avctx, &out, &out_size, data, (int)size, 0, 0, 0);
            if (pc->width > 0 && pc->height > 0) {
                r->width = pc->width;
                r->height = pc->height;
            } else if (avctx->width > 0 && avctx->height > 0) {
                r->width = avctx->width;
                r->height = avctx->height;
            }
        }
        av_parser_close(pc);
        avcodec_free_context(&avctx);
    }
}

static int send(Remux *r, int video, int64_t dts, int64_t pts, int key, const uint8_t *data,
                size_t size)
{
    int idx = video ? r->vidx : r->aidx;

    if (idx < 0)
        return 0;
    return remux_out_frame(&r->out, idx, video, dts, pts, key, data, size);
}

/* Create the container with what is known and write its header, then
 * the frames that waited. */
static int start(Remux *r)
{
    AVFormatContext *fmt;
    AVDictionary *opts = NULL;
    AVStream *st;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if ((ret = remux_out_open(&r->out, remux_format(r->fourcc))) < 0)
        return ret;
    fmt = r->out.fmt;
    if (!(st = avformat_new_stream(fmt, NULL)))
        return AVERROR(ENOMEM);
    st->time_base = (AVRational){ 1, 1000 };
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = codec_of(r->fourcc);
    for (int i = 0; i < r->nwait && !r->width; i++)
        if (r->wait[i].video && r->wait[i].key)
            size_from_frame(r, r->wait[i].data, r->wait[i].size);
    st->codecpar->width = r->width;
    st->codecpar->height = r->height;
    if (r->fourcc != FLV_FOURCC_HEVC && (!r->width || !r->height)) {
        log_error("video: no frame size in onMetaData or the first keyframe");
        return AVERROR_INVALIDDATA;
    }
    if ((ret = set_extradata(st->codecpar, r->vconf, r->vconf_len)) < 0)
        return ret;
    r->vidx = st->index;
    if (r->aconf) {
        int rate, channels;
        if ((ret = aac_config(r->aconf, r->aconf_len, &rate, &channels)) < 0)
            return ret;
        if (!(st = avformat_new_stream(fmt, NULL)))
            return AVERROR(ENOMEM);
        st->time_base = (AVRational){ 1, 1000 };
        st->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
        st->codecpar->codec_id = AV_CODEC_ID_AAC;
        st->codecpar->sample_rate = rate;
        av_channel_layout_default(&st->codecpar->ch_layout, channels);
        if ((ret = set_extradata(st->codecpar, r->aconf, r->aconf_len)) < 0)
            return ret;
        r->aidx = st->index;
    }
    if (r->fourcc != FLV_FOURCC_HEVC)
        av_dict_set(&opts, "live", "1", 0);   /* Matroska: no seeking back */
    ret = avformat_write_header(fmt, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        log_error("%s header: %s", remux_format(r->fourcc), log_averr(ret, eb, sizeof(eb)));
        return ret;
    }
    avio_flush(fmt->pb);
    r->started = 1;
    for (int i = 0; i < r->nwait && ret >= 0; i++) {
        Waiting *w = &r->wait[i];
        ret = send(r, w->video, w->dts, w->pts, w->key, w->data, w->size);
    }
    for (int i = 0; i < r->nwait; i++)
        av_freep(&r->wait[i].data);
    r->nwait = 0;
    return ret < 0 ? ret : 0;
}

/* Can the header be written now? */
static int ready(const Remux *r, int64_t ts)
{
    int have_key = 0;

    if (!r->vconf)
        return 0;
    for (int i = 0; i < r->nwait; i++)
        have_key |= r->wait[i].video && r->wait[i].key;
    if (r->fourcc != FLV_FOURCC_HEVC && !r->width && !have_key)
        return 0;   /* Matroska needs the frame size: from the first keyframe */
    if (r->aconf || r->audio == 0)
        return 1;
    if (r->nwait >= MAX_WAITING)
        return 1;   /* the audio never came: go on without it */
    return r->audio < 0 && r->nwait > 0 && ts - r->first_wait_ts >= AUDIO_WAIT_MS;
}

static int frame(Remux *r, int video, int64_t dts, int64_t pts, int key, const uint8_t *data,
                 size_t size)
{
    Waiting *w;
    int ret;

    if (!r->started) {
        if ((video && !r->vconf) || (!video && !r->aconf))
            return 0;   /* nothing decodes it without its configuration */
        if (r->nwait == 0)
            r->first_wait_ts = dts;
        if (r->nwait < MAX_WAITING) {
            w = &r->wait[r->nwait];
            if (!(w->data = av_malloc(size ? size : 1)))
                return AVERROR(ENOMEM);
            memcpy(w->data, data, size);
            w->size = size;
            w->video = video;
            w->key = key;
            w->dts = dts;
            w->pts = pts;
            r->nwait++;
        }
        if (ready(r, dts) && (ret = start(r)) < 0)
            return r->out.err = ret;
        return 0;
    }
    if (!video && r->aidx < 0) {
        if (!r->warned++)
            log_warn("audio began after the video's first 2 s: dropped");
        return 0;
    }
    return send(r, video, dts, pts, key, data, size);
}

/* An HEVCDecoderConfigurationRecord whose arrays of NAL units lie
 * inside it, a few of them: libavformat's MPEG-TS path hands it to the
 * hevc_mp4toannexb filter, which grows its output per NAL unit of a
 * count the record claims (a forged one cost 2 GB and minutes). */
static int hvcc_valid(const uint8_t *p, size_t n)
{
    size_t off = 23;
    int nals = 0;

    if (n < 23 || p[0] != 1 || (p[21] & 3) == 2)
        return 0;
    for (int i = 0; i < p[22]; i++) {
        int count;
        if (off + 3 > n)
            return 0;
        count = AV_RB16(p + off + 1);
        off += 3;
        for (int j = 0; j < count; j++) {
            size_t len;
            if (++nals > 64 || off + 2 > n)
                return 0;
            len = AV_RB16(p + off);
            off += 2;
            if (len == 0 || off + len > n)
                return 0;
            off += len;
        }
    }
    return 1;
}

static int keep_config(uint8_t **conf, size_t *len, const uint8_t *p, size_t n)
{
    if (*conf)
        return 0;   /* the first one is the stream's (a reconnect sends it again) */
    if (n == 0)
        return AVERROR_INVALIDDATA;
    if (!(*conf = av_malloc(n)))
        return AVERROR(ENOMEM);
    memcpy(*conf, p, n);
    *len = n;
    return 0;
}

int remux_video(Remux *r, const FlvVideoInfo *vi, int64_t ts, const uint8_t *body, size_t size)
{
    const uint8_t *p = body + vi->payload;
    size_t n = size - vi->payload;
    int ret;

    if (r->out.err)
        return r->out.err;
    if (!vi->enhanced || vi->fourcc != r->fourcc)
        return AVERROR_INVALIDDATA;
    switch (vi->packet_type) {
    case FLV_EX_SEQUENCE_START:
        if (r->fourcc == FLV_FOURCC_HEVC && !hvcc_valid(p, n))
            return AVERROR_INVALIDDATA;   /* not an HEVCDecoderConfigurationRecord */
        if (r->fourcc == FLV_FOURCC_AV1 && (n < 4 || p[0] != 0x81))
            return AVERROR_INVALIDDATA;   /* not an AV1CodecConfigurationRecord */
        if ((ret = keep_config(&r->vconf, &r->vconf_len, p, n)) < 0)
            return ret;
        if (!r->started && ready(r, ts) && (ret = start(r)) < 0)
            return r->out.err = ret;
        return 0;
    case FLV_EX_CODED_FRAMES:
    case FLV_EX_CODED_FRAMES_X:
        if (n == 0 || vi->frame_type == 5)
            return 0;
        return frame(r, 1, ts, ts + vi->cts, vi->keyframe, p, n);
    default:
        return 0;   /* SequenceEnd, Metadata, MPEG2TSSequenceStart */
    }
}

int remux_audio(Remux *r, int64_t ts, const uint8_t *body, size_t size)
{
    FlvAudioInfo ai;
    int ret;

    if (r->out.err)
        return r->out.err;
    if (flv_audio_info(body, size, &ai) < 0 || ai.format != FLV_AUDIO_AAC)
        return AVERROR_INVALIDDATA;
    if (ai.sequence_header) {
        int rate, channels;
        if (aac_config(body + 2, size - 2, &rate, &channels) < 0)
            return AVERROR_INVALIDDATA;
        if ((ret = keep_config(&r->aconf, &r->aconf_len, body + 2, size - 2)) < 0)
            return ret;
        if (!r->started && ready(r, ts) && (ret = start(r)) < 0)
            return r->out.err = ret;
        return 0;
    }
    if (size <= 2)
        return 0;
    return frame(r, 0, ts, ts, 1, body + 2, size - 2);
}

void remux_free(Remux **rp)
{
    Remux *r = *rp;

    if (!r)
        return;
    remux_out_close(&r->out, r->started);
    for (int i = 0; i < r->nwait; i++)
        av_freep(&r->wait[i].data);
    av_free(r->vconf);
    av_free(r->aconf);
    free(r);
    *rp = NULL;
}

void remux_mkv_end(uint8_t out[REMUX_MKV_END_SIZE])
{
    out[0] = 0xec;                          /* Void */
    out[1] = 0x80 | (REMUX_MKV_END_SIZE - 2); /* its size, a 1-byte vint */
    memcpy(out + 2, FLV_END_MARKER, REMUX_MKV_END_SIZE - 2);
}

int remux_is_mkv_end(const uint8_t *tail, size_t n)
{
    uint8_t m[REMUX_MKV_END_SIZE];
    if (n < REMUX_MKV_END_SIZE)
        return 0;
    remux_mkv_end(m);
    return !memcmp(tail + n - REMUX_MKV_END_SIZE, m, REMUX_MKV_END_SIZE);
}
