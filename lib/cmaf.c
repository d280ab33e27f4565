/*
 * cmaf.c: reading a rendition file into a CMAF fragment and writing the
 * init and media segments. See cmaf.h for the boxes and the timing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/rational.h>

#include "array.h"
#include "bytebuf.h"
#include "cmaf.h"
#include "log.h"

/* ---- MP4 boxes on a ByteBuf ---- */

/* Start a box: returns its offset; box_end writes the size there. */
static size_t box_begin(ByteBuf *b, const char *type)
{
    size_t at = bytebuf_size(b);
    bytebuf_put_be32(b, 0);
    bytebuf_append(b, type, 4);
    return at;
}

static size_t fullbox_begin(ByteBuf *b, const char *type, unsigned version, uint32_t flags)
{
    size_t at = box_begin(b, type);
    bytebuf_put8(b, version);
    bytebuf_put_be24(b, flags);
    return at;
}

static void box_end(ByteBuf *b, size_t at)
{
    bytebuf_set_be32(b, at, (uint32_t)(bytebuf_size(b) - at));
}

static void put_matrix(ByteBuf *b)
{
    static const uint32_t m[9] = { 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000 };
    for (int i = 0; i < 9; i++)
        bytebuf_put_be32(b, m[i]);
}

/* ---- codec configuration ---- */

/* Next NAL unit in an Annex B buffer from *pos: sets *nal and *nal_len
 * (without start code), advances *pos. 0 when there is none. */
static int annexb_next(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
                       size_t *nal_len)
{
    size_t i = *pos, s;

    /* find a start code 00 00 01 */
    while (i + 3 <= len && !(buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1))
        i++;
    if (i + 3 > len)
        return 0;
    s = i + 3;
    i = s;
    while (i + 3 <= len && !(buf[i] == 0 && buf[i + 1] == 0 && (buf[i + 2] == 1 ||
                             (buf[i + 2] == 0 && i + 3 < len && buf[i + 3] == 1))))
        i++;
    if (i + 3 > len)
        i = len;
    *nal = buf + s;
    *nal_len = i - s;
    while (*nal_len > 0 && (*nal)[*nal_len - 1] == 0 && i < len)
        (*nal_len)--; /* trailing zero of a 4-byte start code */
    *pos = i;
    return 1;
}

static int is_annexb(const uint8_t *p, size_t n)
{
    return n >= 4 && p[0] == 0 && p[1] == 0 && (p[2] == 1 || (p[2] == 0 && p[3] == 1));
}

int cmaf_avcc_from_annexb(const uint8_t *buf, size_t len, uint8_t **avcc, size_t *avcc_size)
{
    const uint8_t *nal, *sps = NULL, *pps = NULL;
    size_t pos = 0, nal_len, sps_len = 0, pps_len = 0;
    ByteBuf b = { 0 };

    while (annexb_next(buf, len, &pos, &nal, &nal_len)) {
        if (nal_len == 0)
            continue;
        if ((nal[0] & 0x1f) == 7 && !sps && nal_len >= 4) {
            sps = nal;
            sps_len = nal_len;
        } else if ((nal[0] & 0x1f) == 8 && !pps) {
            pps = nal;
            pps_len = nal_len;
        }
    }
    if (!sps || !pps || sps_len > 0xffff || pps_len > 0xffff)
        return AVERROR_INVALIDDATA;
    bytebuf_put8(&b, 1);
    bytebuf_put8(&b, sps[1]);                   /* profile_idc */
    bytebuf_put8(&b, sps[2]);                   /* constraint flags */
    bytebuf_put8(&b, sps[3]);                   /* level_idc */
    bytebuf_put8(&b, 0xff);                     /* 4-byte NAL lengths */
    bytebuf_put8(&b, 0xe1);                     /* one SPS */
    bytebuf_put_be16(&b, (unsigned)sps_len);
    bytebuf_append(&b, sps, sps_len);
    bytebuf_put8(&b, 1);                        /* one PPS */
    bytebuf_put_be16(&b, (unsigned)pps_len);
    bytebuf_append(&b, pps, pps_len);
    if (b.err) {
        bytebuf_free(&b);
        return b.err;
    }
    *avcc = bytebuf_take(&b, avcc_size);
    return 0;
}

int cmaf_params_inband(CmafFragment *f)
{
    const uint8_t *c = f->track.config;
    size_t n = f->track.config_size, pos = 6;
    int lsize, count;
    ByteBuf b = { 0 };

    if (f->track.media.kind != CMAF_VIDEO || n < 7 || c[0] != 1 || f->nb_samples < 1)
        return AVERROR_INVALIDDATA;
    lsize = (c[4] & 3) + 1;
    if (lsize < 2)
        return AVERROR_INVALIDDATA;
    count = c[5] & 0x1f;
    for (int list = 0; list < 2; list++) {
        for (int i = 0; i < count; i++) {
            size_t len;
            if (pos + 2 > n || pos + 2 + (len = (size_t)c[pos] << 8 | c[pos + 1]) > n) {
                bytebuf_free(&b);
                return AVERROR_INVALIDDATA;
            }
            for (int k = lsize - 1; k >= 0; k--)
                bytebuf_put8(&b, (unsigned)(len >> (8 * k)));
            bytebuf_append(&b, c + pos + 2, len);
            pos += 2 + len;
        }
        if (list == 0) {
            if (pos >= n) {
                bytebuf_free(&b);
                return AVERROR_INVALIDDATA;
            }
            count = c[pos++];
        }
    }
    bytebuf_append(&b, f->data, f->data_size);
    if (b.err) {
        bytebuf_free(&b);
        return b.err;
    }
    f->samples[0].size += (uint32_t)(bytebuf_size(&b) - f->data_size);
    free(f->data);
    f->data = bytebuf_take(&b, &f->data_size);
    return 0;
}

int cmaf_codec_string(int kind, const uint8_t *c, size_t n, char *buf, size_t size)
{
    if (kind == CMAF_VIDEO) {
        if (n < 7 || c[0] != 1)
            return AVERROR_INVALIDDATA;
        snprintf(buf, size, "avc1.%02x%02x%02x", c[1], c[2], c[3]);
        return 0;
    }
    if (n < 2)
        return AVERROR_INVALIDDATA;
    int aot = c[0] >> 3;
    if (aot == 31)
        aot = 32 + (((c[0] & 7) << 3) | (c[1] >> 5));
    if (aot == 0)
        return AVERROR_INVALIDDATA;
    snprintf(buf, size, "mp4a.40.%d", aot);
    return 0;
}

/* ADTS header length at p, or 0 when p does not start with one. */
static size_t adts_header(const uint8_t *p, size_t n)
{
    if (n < 7 || p[0] != 0xff || (p[1] & 0xf6) != 0xf0)
        return 0;
    return (p[1] & 1) ? 7 : 9;
}

/* AudioSpecificConfig from an ADTS header. */
static int asc_from_adts(const uint8_t *p, uint8_t asc[2])
{
    unsigned aot = ((p[2] >> 6) & 3) + 1, sfi = (p[2] >> 2) & 0xf;
    unsigned chan = ((p[2] & 1) << 2) | (p[3] >> 6);
    if (sfi > 12)
        return AVERROR_INVALIDDATA;
    asc[0] = (uint8_t)((aot << 3) | (sfi >> 1));
    asc[1] = (uint8_t)(((sfi & 1) << 7) | (chan << 3));
    return 0;
}

/* ---- reading a rendition file ---- */

typedef struct Pkt {
    int64_t pts, duration;
    uint32_t size;
    int key;
} Pkt;

void cmaf_track_clear(CmafTrack *t)
{
    free(t->config);
    t->config = NULL;
    t->config_size = 0;
}

void cmaf_fragment_free(CmafFragment **fp)
{
    CmafFragment *f = *fp;
    if (!f)
        return;
    cmaf_track_clear(&f->track);
    free(f->samples);
    free(f->data);
    free(f);
    *fp = NULL;
}

/* Append one packet's payload to data in the fragment's form: H.264 as
 * 4-byte-length NAL units without AUD/SPS/PPS (those live in avcC), or kept
 * as is when already length-prefixed; AAC without ADTS header. */
static int append_payload(ByteBuf *data, const CmafTrack *t, int annexb, const AVPacket *pkt,
                          uint32_t *size)
{
    size_t before = bytebuf_size(data);

    if (t->media.kind == CMAF_VIDEO && annexb) {
        const uint8_t *nal;
        size_t pos = 0, nal_len;
        while (annexb_next(pkt->data, pkt->size, &pos, &nal, &nal_len)) {
            int type = nal_len ? nal[0] & 0x1f : 0;
            if (nal_len == 0 || type == 9 || type == 7 || type == 8)
                continue;
            bytebuf_put_be32(data, (uint32_t)nal_len);
            bytebuf_append(data, nal, nal_len);
        }
    } else if (t->media.kind == CMAF_AUDIO && adts_header(pkt->data, pkt->size)) {
        size_t h = adts_header(pkt->data, pkt->size);
        bytebuf_append(data, pkt->data + h, pkt->size - h);
    } else {
        bytebuf_append(data, pkt->data, pkt->size);
    }
    if (data->err)
        return data->err;
    *size = (uint32_t)(bytebuf_size(data) - before);
    return 0;
}

/* Fill the track description from the stream (and the first packet when
 * the configuration is in-band). */
static int track_setup(CmafTrack *t, const AVStream *st, const AVPacket *first, int *annexb)
{
    const AVCodecParameters *par = st->codecpar;
    int ret;

    *annexb = 0;
    if (t->media.kind == CMAF_VIDEO) {
        AVRational sar = par->sample_aspect_ratio.num ? par->sample_aspect_ratio
                                                      : st->sample_aspect_ratio;
        AVRational fps = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
        t->media.timescale = CMAF_VIDEO_TIMESCALE;
        t->media.width = par->width;
        t->media.height = par->height;
        t->media.sar_num = sar.num > 0 && sar.den > 0 ? sar.num : 1;
        t->media.sar_den = sar.num > 0 && sar.den > 0 ? sar.den : 1;
        if (fps.num > 0 && fps.den > 0 && fps.num / fps.den < 1000) {
            t->media.fps_num = fps.num;
            t->media.fps_den = fps.den;
        }
        if (par->extradata_size >= 7 && par->extradata[0] == 1) {
            if (!(t->config = malloc(par->extradata_size)))
                return AVERROR(ENOMEM);
            memcpy(t->config, par->extradata, par->extradata_size);
            t->config_size = par->extradata_size;
            if ((t->config[4] & 3) != 3 && first && is_annexb(first->data, first->size))
                *annexb = 1;
        } else {
            *annexb = 1;
            ret = AVERROR_INVALIDDATA;
            if (par->extradata_size > 0)
                ret = cmaf_avcc_from_annexb(par->extradata, par->extradata_size, &t->config,
                                            &t->config_size);
            if (ret < 0 && first)
                ret = cmaf_avcc_from_annexb(first->data, first->size, &t->config,
                                            &t->config_size);
            if (ret < 0)
                return ret;
        }
    } else {
        t->media.sample_rate = par->sample_rate;
        t->media.channels = par->ch_layout.nb_channels;
        t->media.timescale = (uint32_t)par->sample_rate;
        if (par->extradata_size >= 2) {
            if (!(t->config = malloc(par->extradata_size)))
                return AVERROR(ENOMEM);
            memcpy(t->config, par->extradata, par->extradata_size);
            t->config_size = par->extradata_size;
        } else if (first && adts_header(first->data, first->size)) {
            if (!(t->config = malloc(2)))
                return AVERROR(ENOMEM);
            t->config_size = 2;
            if ((ret = asc_from_adts(first->data, t->config)) < 0)
                return ret;
        } else {
            return AVERROR_INVALIDDATA;
        }
    }
    return cmaf_codec_string(t->media.kind, t->config, t->config_size, t->media.codec,
                             sizeof(t->media.codec));
}

/* Turn the packets' timestamps into sample durations, offsets and tfdt. */
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * The nominal frame rate of n frames whose presentation times span span
 * ticks of timescale ts, each rounded by up to round ticks (the source's
 * tick, or the spread of the frame durations: 90 for FLV's milliseconds
 * at 90 kHz, whatever container carried them since): a common rate when
 * the mean frame duration is that within the rounding, else the
 * container's rate (cnum/cden) if it agrees, else the mean itself. A 30 fps FLV source has frames of 33 and 34 ms;
 * no single frame duration is its rate.
 */
static void nominal_rate(int64_t ts, int64_t span, int n, int64_t round, int cnum, int cden,
                         int *num, int *den)
{
    static const int common[][2] = {
        { 24000, 1001 }, { 24, 1 }, { 25, 1 }, { 30000, 1001 }, { 30, 1 }, { 48, 1 },
        { 50, 1 }, { 60000, 1001 }, { 60, 1 }, { 10, 1 }, { 12, 1 }, { 15, 1 },
        { 100, 1 }, { 120000, 1001 }, { 120, 1 },
    };
    double mean = (double)span / (n - 1), tol = (double)(round + 2) / (n - 1), best = tol;
    int found = 0;

    for (size_t i = 0; i < sizeof(common) / sizeof(*common); i++) {
        double d = fabs((double)ts * common[i][1] / common[i][0] - mean);
        if (d <= best) {
            best = d;
            *num = common[i][0];
            *den = common[i][1];
            found = 1;
        }
    }
    if (found)
        return;
    if (cnum > 0 && cden > 0 && fabs((double)ts * cden / cnum - mean) <= tol)
        av_reduce(num, den, cnum, cden, 1 << 20);
    else
        av_reduce(num, den, (int64_t)ts * (n - 1), span, 1 << 20);
}

static void retime(CmafFragment *f, const Pkt *pk, int n, double start, double duration,
                   int64_t *pts_sorted, int64_t tick)
{
    const int64_t ts = f->track.media.timescale;
    int64_t s = llrint(start * ts), e = llrint((start + duration) * ts);
    int64_t nominal = 0;

    if (f->track.media.kind == CMAF_VIDEO) {
        /* Decode times are the presentation times in increasing order
         * (fixed frame rate, so this holds for any B-frame pattern and
         * needs no dts from the container); the offsets put each sample
         * back at its own presentation time. */
        int64_t *sorted = pts_sorted;
        for (int i = 0; i < n; i++) {
            int64_t d = i + 1 < n ? sorted[i + 1] - sorted[i] : 0;
            if (i + 1 < n && d > 0)
                nominal = d;
            f->samples[i].cto = (int32_t)(pk[i].pts - sorted[i]);
            f->samples[i].duration = d > 0 ? (uint32_t)d : 0;
        }
        if (nominal <= 0 && f->track.media.fps_num > 0)
            nominal = av_rescale(ts, f->track.media.fps_den, f->track.media.fps_num);
        if (nominal <= 0)
            nominal = pk[n - 1].duration > 0 ? pk[n - 1].duration : ts / 25;
        /* The frame rate is the stream's own (a short file's average
         * frame rate from the container is not exact): its nominal rate
         * from all its frames, or its one frame duration. */
        if (n >= 2 && sorted[n - 1] > sorted[0]) {
            int64_t dmin = INT64_MAX, dmax = 0;
            int num = 0, den = 1;
            for (int i = 0; i + 1 < n; i++) {
                dmin = FFMIN(dmin, sorted[i + 1] - sorted[i]);
                dmax = FFMAX(dmax, sorted[i + 1] - sorted[i]);
            }
            nominal_rate(ts, sorted[n - 1] - sorted[0], n, FFMAX(tick, dmax - dmin),
                         f->track.media.fps_num,
                         f->track.media.fps_den, &num, &den);
            f->track.media.fps_num = num;
            f->track.media.fps_den = den;
        } else if (nominal > 0) {
            int num, den;
            av_reduce(&num, &den, ts, nominal, 1 << 20);
            f->track.media.fps_num = num;
            f->track.media.fps_den = den;
        }
        f->tfdt = s;
        /* The last sample runs to the record's end, unless that disagrees
         * with the frame duration by more than a frame. */
        int64_t last = e - (s + sorted[n - 1] - sorted[0]);
        if (duration <= 0 || last <= 0 || last > 2 * nominal)
            last = nominal;
        f->samples[n - 1].duration = (uint32_t)last;
        for (int i = 0; i < n - 1; i++)
            if (f->samples[i].duration == 0)
                f->samples[i].duration = (uint32_t)nominal;
    } else {
        int64_t shift = 0;
        if (llabs(pk[0].pts - s) > 2 * ts)
            shift = s - pk[0].pts;
        f->tfdt = pk[0].pts + shift;
        for (int i = 0; i < n; i++) {
            int64_t d = i + 1 < n ? pk[i + 1].pts - pk[i].pts : pk[i].duration;
            if (d <= 0)
                d = pk[i].duration > 0 ? pk[i].duration : 1024;
            f->samples[i].duration = (uint32_t)d;
            f->samples[i].cto = 0;
        }
    }
    f->duration = 0;
    for (int i = 0; i < n; i++)
        f->duration += f->samples[i].duration;
}

/* A rendition file being read: its one usable stream, and the samples
 * read so far (timing in pk, payload in data). */
typedef struct Reader {
    const char *path;
    AVFormatContext *fmt;
    AVStream *st;
    int idx;
    int annexb;                 /* H.264 in Annex B form */
    int chunk;                  /* a chunk of a segment: may start without a keyframe */
    Pkt *pk;
    int n, cap;
    ByteBuf data;
} Reader;

/* Open the file and find its first H.264 or AAC stream (with its
 * parameters probed when the header lacks them). */
static int reader_open(Reader *r)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    AVDictionary *opts = NULL;
    int ret;

    /* A rendition may come from another host (live-farm): only the
     * containers a transcoder writes, and only local files, so a crafted
     * file cannot make a demuxer (hls, concat, image2...) open others. */
    av_dict_set(&opts, "format_whitelist", CMAF_INPUT_FORMATS, 0);
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    ret = avformat_open_input(&r->fmt, r->path, NULL, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        log_error("%s: cannot open: %s", r->path, log_averr(ret, eb, sizeof(eb)));
        return ret;
    }
    r->idx = -1;
    for (unsigned i = 0; i < r->fmt->nb_streams; i++) {
        enum AVCodecID id = r->fmt->streams[i]->codecpar->codec_id;
        if (id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_AAC) {
            r->idx = (int)i;
            break;
        }
    }
    if (r->idx < 0) {
        log_error("%s: no H.264 or AAC stream", r->path);
        return AVERROR_INVALIDDATA;
    }
    r->st = r->fmt->streams[r->idx];
    if ((r->st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !r->st->codecpar->width) ||
        (r->st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && !r->st->codecpar->sample_rate))
        return avformat_find_stream_info(r->fmt, NULL);
    return 0;
}

/* Take one packet of the stream: its timing (in the track's timescale)
 * into pk, its payload into data. The first sets up the track. */
static int reader_take(Reader *r, CmafTrack *t, const AVPacket *pkt)
{
    AVRational tb;
    int64_t pts;
    int ret;

    if (r->n == 0 && (ret = track_setup(t, r->st, pkt, &r->annexb)) < 0) {
        log_error("%s: no usable codec configuration", r->path);
        return ret;
    }
    if ((ret = array_reserve(&r->pk, r->n, &r->cap, sizeof(*r->pk), 256)) < 0)
        return ret;
    tb = (AVRational){ 1, (int)t->media.timescale };
    pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (pts == AV_NOPTS_VALUE) {
        log_error("%s: packet without timestamps", r->path);
        return AVERROR_INVALIDDATA;
    }
    r->pk[r->n].pts = av_rescale_q(pts, r->st->time_base, tb);
    r->pk[r->n].duration = av_rescale_q(pkt->duration, r->st->time_base, tb);
    r->pk[r->n].key = !!(pkt->flags & AV_PKT_FLAG_KEY);
    if ((ret = append_payload(&r->data, t, r->annexb, pkt, &r->pk[r->n].size)) < 0)
        return ret;
    r->n++;
    return 0;
}

/* Read every packet of the stream to the end of the file. */
static int reader_read_all(Reader *r, CmafTrack *t)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    AVPacket *pkt = av_packet_alloc();
    int ret;

    if (!pkt)
        return AVERROR(ENOMEM);
    for (;;) {
        ret = av_read_frame(r->fmt, pkt);
        if (ret == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret < 0) {
            log_error("%s: read: %s", r->path, log_averr(ret, eb, sizeof(eb)));
            break;
        }
        if (pkt->stream_index == r->idx && pkt->size > 0 && (ret = reader_take(r, t, pkt)) < 0)
            break;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    if (ret == 0 && r->n == 0) {
        log_error("%s: no samples", r->path);
        ret = AVERROR_INVALIDDATA;
    }
    return ret;
}

/* Encoded audio ends inside its last frame (the encoder pads it, the
 * file's edit list says where the sound ends): the last sample lasts to
 * there, so the next segment, which starts there, joins without overlap. */
static void trim_audio_end(CmafFragment *f, const Reader *r, AVRational tb)
{
    const AVStream *st = r->st;
    const Pkt *last = &r->pk[r->n - 1];
    int64_t end;

    if (st->duration <= 0 || st->duration == AV_NOPTS_VALUE)
        return;
    end = st->start_time != AV_NOPTS_VALUE
          ? av_rescale_q(st->start_time + st->duration, st->time_base, tb)
          : r->pk[0].pts + av_rescale_q(st->duration, st->time_base, tb);
    if (end > last->pts && end < last->pts + f->samples[r->n - 1].duration) {
        f->duration -= f->samples[r->n - 1].duration - (end - last->pts);
        f->samples[r->n - 1].duration = (uint32_t)(end - last->pts);
    }
}

/* The fragment's samples from what was read, timed by retime. */
static int make_samples(CmafFragment *f, const Reader *r, double start, double duration)
{
    int64_t *sorted;
    int n = r->n;

    if (f->track.media.kind == CMAF_VIDEO && !r->pk[0].key && !r->chunk)
        log_warn("%s: does not start with a keyframe", r->path);
    if (!(f->samples = calloc(n, sizeof(*f->samples))))
        return AVERROR(ENOMEM);
    f->nb_samples = n;
    for (int i = 0; i < n; i++) {
        f->samples[i].size = r->pk[i].size;
        f->samples[i].key = f->track.media.kind == CMAF_AUDIO || r->pk[i].key;
    }
    if (!(sorted = malloc(n * sizeof(*sorted))))
        return AVERROR(ENOMEM);
    for (int i = 0; i < n; i++)
        sorted[i] = r->pk[i].pts;
    qsort(sorted, n, sizeof(*sorted), cmp_i64);
    {
        AVRational tb = { 1, (int)f->track.media.timescale };
        int64_t tick = av_rescale_q(1, r->st->time_base, tb);
        retime(f, r->pk, n, start, duration, sorted, tick > 0 ? tick : 1);
        if (f->track.media.kind == CMAF_AUDIO)
            trim_audio_end(f, r, tb);
    }
    free(sorted);
    return 0;
}

static int read_fragment(const char *path, double start, double duration, int chunk,
                         CmafFragment **out)
{
    Reader r = { .path = path, .chunk = chunk };
    CmafFragment *f = NULL;
    int ret;

    if ((ret = reader_open(&r)) < 0)
        goto end;
    if (!(f = calloc(1, sizeof(*f)))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    f->track.media.kind =
        r.st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO ? CMAF_VIDEO : CMAF_AUDIO;
    if (f->track.media.kind == CMAF_AUDIO && r.st->codecpar->sample_rate <= 0) {
        ret = AVERROR_INVALIDDATA;
        goto end;
    }
    if ((ret = reader_read_all(&r, &f->track)) < 0 ||
        (ret = make_samples(f, &r, start, duration)) < 0)
        goto end;
    f->data = bytebuf_take(&r.data, &f->data_size);
    *out = f;
    f = NULL;
end:
    bytebuf_free(&r.data);
    free(r.pk);
    cmaf_fragment_free(&f);
    avformat_close_input(&r.fmt);
    return ret;
}

int cmaf_read(const char *path, double start, double duration, CmafFragment **out)
{
    return read_fragment(path, start, duration, 0, out);
}

int cmaf_read_chunk(const char *path, double start, double duration, CmafFragment **out)
{
    return read_fragment(path, start, duration, 1, out);
}

/* ---- writing ---- */

static void write_ftyp(ByteBuf *b, const char *type, const char *major, const char *const *compat)
{
    size_t at = box_begin(b, type);
    bytebuf_append(b, major, 4);
    bytebuf_put_be32(b, 0);
    for (; *compat; compat++)
        bytebuf_append(b, *compat, 4);
    box_end(b, at);
}

static void write_esds(ByteBuf *b, const CmafTrack *t)
{
    /* ES_Descriptor(3) { DecoderConfigDescriptor(4) { DecoderSpecificInfo(5) }
     * SLConfigDescriptor(6) }, each with a 4-byte length as mp4 muxers do. */
    size_t asc = t->config_size;
    size_t dsi = 5 + asc, dcd = 5 + 13 + dsi, es = 5 + 3 + dcd + 5 + 1;
    size_t at = fullbox_begin(b, "esds", 0, 0);
    bytebuf_put8(b, 3);
    bytebuf_put_be32(b, 0x80808000u | (uint32_t)(es - 5));
    bytebuf_put_be16(b, 1);                        /* ES_ID */
    bytebuf_put8(b, 0);
    bytebuf_put8(b, 4);
    bytebuf_put_be32(b, 0x80808000u | (uint32_t)(dcd - 5));
    bytebuf_put8(b, 0x40);                      /* MPEG-4 audio */
    bytebuf_put8(b, 0x15);                      /* audio stream */
    bytebuf_put_be24(b, 0);                        /* buffer size */
    bytebuf_put_be32(b, 0);                        /* max bitrate */
    bytebuf_put_be32(b, 0);                        /* avg bitrate */
    bytebuf_put8(b, 5);
    bytebuf_put_be32(b, 0x80808000u | (uint32_t)asc);
    bytebuf_append(b, t->config, asc);
    bytebuf_put8(b, 6);
    bytebuf_put_be32(b, 0x80808001u);
    bytebuf_put8(b, 2);
    box_end(b, at);
}

static void write_stsd(ByteBuf *b, const CmafTrack *t)
{
    size_t at = fullbox_begin(b, "stsd", 0, 0), e, c;
    bytebuf_put_be32(b, 1);
    if (t->media.kind == CMAF_VIDEO) {
        e = box_begin(b, "avc1");
        bytebuf_put_zeros(b, 6);
        bytebuf_put_be16(b, 1);                    /* data_reference_index */
        bytebuf_put_zeros(b, 16);
        bytebuf_put_be16(b, (unsigned)t->media.width);
        bytebuf_put_be16(b, (unsigned)t->media.height);
        bytebuf_put_be32(b, 0x00480000);
        bytebuf_put_be32(b, 0x00480000);
        bytebuf_put_be32(b, 0);
        bytebuf_put_be16(b, 1);                    /* frame_count */
        bytebuf_put_zeros(b, 32);                /* compressorname */
        bytebuf_put_be16(b, 0x18);
        bytebuf_put_be16(b, 0xffff);
        c = box_begin(b, "avcC");
        bytebuf_append(b, t->config, t->config_size);
        box_end(b, c);
        c = box_begin(b, "pasp");
        bytebuf_put_be32(b, (uint32_t)t->media.sar_num);
        bytebuf_put_be32(b, (uint32_t)t->media.sar_den);
        box_end(b, c);
        box_end(b, e);
    } else {
        e = box_begin(b, "mp4a");
        bytebuf_put_zeros(b, 6);
        bytebuf_put_be16(b, 1);
        bytebuf_put_zeros(b, 8);
        bytebuf_put_be16(b, (unsigned)(t->media.channels > 0 ? t->media.channels : 2));
        bytebuf_put_be16(b, 16);
        bytebuf_put_be32(b, 0);
        bytebuf_put_be32(b, t->media.sample_rate <= 0xffff
                                ? (uint32_t)t->media.sample_rate << 16 : 0);
        write_esds(b, t);
        box_end(b, e);
    }
    box_end(b, at);
}

static void write_mvhd(ByteBuf *b)
{
    size_t at = fullbox_begin(b, "mvhd", 0, 0);
    bytebuf_put_be32(b, 0);                       /* creation, modification */
    bytebuf_put_be32(b, 0);
    bytebuf_put_be32(b, 1000);                    /* timescale */
    bytebuf_put_be32(b, 0);                       /* duration: fragmented */
    bytebuf_put_be32(b, 0x00010000);              /* rate */
    bytebuf_put_be16(b, 0x0100);                  /* volume */
    bytebuf_put_zeros(b, 10);
    put_matrix(b);
    bytebuf_put_zeros(b, 24);
    bytebuf_put_be32(b, 2);                       /* next_track_ID */
    box_end(b, at);
}

static void write_tkhd(ByteBuf *b, const CmafTrack *t)
{
    int video = t->media.kind == CMAF_VIDEO;
    size_t at = fullbox_begin(b, "tkhd", 0, 3);
    bytebuf_put_be32(b, 0);
    bytebuf_put_be32(b, 0);
    bytebuf_put_be32(b, 1);                       /* track_ID */
    bytebuf_put_be32(b, 0);
    bytebuf_put_be32(b, 0);                       /* duration */
    bytebuf_put_zeros(b, 8);
    bytebuf_put_be16(b, 0);                       /* layer */
    bytebuf_put_be16(b, 0);                       /* alternate_group */
    bytebuf_put_be16(b, video ? 0 : 0x0100);
    bytebuf_put_be16(b, 0);
    put_matrix(b);
    if (video) {
        /* display size: width scaled by the sample aspect ratio */
        uint64_t dw = (uint64_t)t->media.width * (uint64_t)t->media.sar_num /
                      (uint64_t)t->media.sar_den;
        bytebuf_put_be32(b, (uint32_t)(dw << 16));
        bytebuf_put_be32(b, (uint32_t)t->media.height << 16);
    } else {
        bytebuf_put_be32(b, 0);
        bytebuf_put_be32(b, 0);
    }
    box_end(b, at);
}

/* The sample table: the sample description, every other table empty
 * (the samples are in the fragments). */
static void write_stbl(ByteBuf *b, const CmafTrack *t)
{
    static const char *const empty[] = { "stts", "stsc", "stco" };
    size_t stbl = box_begin(b, "stbl"), at;

    write_stsd(b, t);
    for (int i = 0; i < 3; i++) {
        at = fullbox_begin(b, empty[i], 0, 0);
        bytebuf_put_be32(b, 0);
        box_end(b, at);
    }
    at = fullbox_begin(b, "stsz", 0, 0);
    bytebuf_put_be32(b, 0);
    bytebuf_put_be32(b, 0);
    box_end(b, at);
    box_end(b, stbl);
}

static void write_minf(ByteBuf *b, const CmafTrack *t)
{
    size_t minf = box_begin(b, "minf"), at, dinf, dref;

    if (t->media.kind == CMAF_VIDEO) {
        at = fullbox_begin(b, "vmhd", 0, 1);
        bytebuf_put_zeros(b, 8);
    } else {
        at = fullbox_begin(b, "smhd", 0, 0);
        bytebuf_put_zeros(b, 4);
    }
    box_end(b, at);
    dinf = box_begin(b, "dinf");
    dref = fullbox_begin(b, "dref", 0, 0);
    bytebuf_put_be32(b, 1);
    at = fullbox_begin(b, "url ", 0, 1);
    box_end(b, at);
    box_end(b, dref);
    box_end(b, dinf);
    write_stbl(b, t);
    box_end(b, minf);
}

static void write_mdia(ByteBuf *b, const CmafTrack *t)
{
    int video = t->media.kind == CMAF_VIDEO;
    size_t mdia = box_begin(b, "mdia"), at;

    at = fullbox_begin(b, "mdhd", 0, 0);
    bytebuf_put_be32(b, 0);
    bytebuf_put_be32(b, 0);
    bytebuf_put_be32(b, t->media.timescale);
    bytebuf_put_be32(b, 0);
    bytebuf_put_be16(b, 0x55c4);                  /* language "und" */
    bytebuf_put_be16(b, 0);
    box_end(b, at);
    at = fullbox_begin(b, "hdlr", 0, 0);
    bytebuf_put_be32(b, 0);
    bytebuf_append(b, video ? "vide" : "soun", 4);
    bytebuf_put_zeros(b, 12);
    bytebuf_append(b, video ? "Video" : "Audio", 6); /* with its NUL */
    box_end(b, at);
    write_minf(b, t);
    box_end(b, mdia);
}

static void write_mvex(ByteBuf *b)
{
    size_t mvex = box_begin(b, "mvex");
    size_t at = fullbox_begin(b, "trex", 0, 0);
    bytebuf_put_be32(b, 1);                       /* track_ID */
    bytebuf_put_be32(b, 1);                       /* default_sample_description_index */
    bytebuf_put_be32(b, 0);
    bytebuf_put_be32(b, 0);
    bytebuf_put_be32(b, 0);
    box_end(b, at);
    box_end(b, mvex);
}

int cmaf_write_init(const CmafTrack *t, uint8_t **out, size_t *len)
{
    static const char *const compat[] = { "iso6", "cmfc", "mp41", "dash", NULL };
    ByteBuf b = { 0 };
    size_t moov, trak;

    if (!t->config || !t->config_size)
        return AVERROR_INVALIDDATA;
    write_ftyp(&b, "ftyp", "iso6", compat);
    moov = box_begin(&b, "moov");
    write_mvhd(&b);
    trak = box_begin(&b, "trak");
    write_tkhd(&b, t);
    write_mdia(&b, t);
    box_end(&b, trak);
    write_mvex(&b);
    box_end(&b, moov);
    if (b.err) {
        bytebuf_free(&b);
        return b.err;
    }
    *out = bytebuf_take(&b, len);
    return 0;
}

/* sample_flags: a sync sample depends on nothing; others are non-sync. */
#define FLAGS_SYNC    0x02000000u
#define FLAGS_NONSYNC 0x01010000u

int cmaf_write_segment(const CmafFragment *f, uint32_t seqno, uint8_t **out, size_t *len)
{
    static const char *const compat[] = { "msdh", "msix", "cmfs", NULL };
    int video = f->track.media.kind == CMAF_VIDEO;
    uint32_t trun_flags = 0x000001 | 0x000100 | 0x000200 | (video ? 0x000400 | 0x000800 : 0);
    size_t moof, traf, at, offset_at;
    ByteBuf b = { 0 };

    write_ftyp(&b, "styp", "msdh", compat);
    moof = box_begin(&b, "moof");
    at = fullbox_begin(&b, "mfhd", 0, 0);
    bytebuf_put_be32(&b, seqno);
    box_end(&b, at);
    traf = box_begin(&b, "traf");
    at = fullbox_begin(&b, "tfhd", 0, 0x020000); /* default-base-is-moof */
    bytebuf_put_be32(&b, 1);
    box_end(&b, at);
    at = fullbox_begin(&b, "tfdt", 1, 0);
    bytebuf_put_be64(&b, (uint64_t)(f->tfdt > 0 ? f->tfdt : 0));
    box_end(&b, at);
    at = fullbox_begin(&b, "trun", 1, trun_flags);
    bytebuf_put_be32(&b, (uint32_t)f->nb_samples);
    offset_at = bytebuf_size(&b);
    bytebuf_put_be32(&b, 0);                       /* data_offset, patched below */
    for (int i = 0; i < f->nb_samples; i++) {
        const CmafSample *s = &f->samples[i];
        bytebuf_put_be32(&b, s->duration);
        bytebuf_put_be32(&b, s->size);
        if (video) {
            bytebuf_put_be32(&b, s->key ? FLAGS_SYNC : FLAGS_NONSYNC);
            bytebuf_put_be32(&b, (uint32_t)s->cto);
        }
    }
    box_end(&b, at);
    box_end(&b, traf);
    box_end(&b, moof);
    bytebuf_set_be32(&b, offset_at, (uint32_t)(bytebuf_size(&b) - moof + 8));
    if (f->data_size + 8 > UINT32_MAX) {
        bytebuf_free(&b);
        return AVERROR(EFBIG);
    }
    bytebuf_put_be32(&b, (uint32_t)(f->data_size + 8));
    bytebuf_append(&b, "mdat", 4);
    bytebuf_append(&b, f->data, f->data_size);
    if (b.err) {
        bytebuf_free(&b);
        return b.err;
    }
    *out = bytebuf_take(&b, len);
    return 0;
}
