/* Unit tests for lib/remux.c: real HEVC (libx265) and VP9 (libvpx) frames
 * with AAC, wrapped as Enhanced RTMP tag bodies and parsed by
 * flv_video_info as live-ingest does, remuxed to MPEG-TS and Matroska
 * and read back with libavformat: every frame, its timestamps and the
 * audio are there; wrong tags are refused. The shared output (RemuxOut):
 * the callback's first error is kept and fails every later frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "flv.h"
#include "log.h"
#include "remux.h"
#include "media.h"
#include "tap.h"

typedef struct Sink {
    FILE *f;
    size_t bytes;
} Sink;

static int sink_write(void *opaque, const uint8_t *buf, size_t size)
{
    Sink *s = opaque;
    s->bytes += size;
    return fwrite(buf, 1, size, s->f) == size ? 0 : AVERROR(EIO);
}

/* An enhanced video tag body: header, FourCC, (hvc1 CodedFrames: cts),
 * payload. */
static uint8_t *video_body(uint32_t fourcc, int key, int type, int cts, const uint8_t *p,
                           size_t n, size_t *size)
{
    uint8_t *b = malloc(n + 8);
    size_t o = 0;
    b[o++] = 0x80 | (key ? 1 : 2) << 4 | type;
    b[o++] = fourcc >> 24;
    b[o++] = fourcc >> 16;
    b[o++] = fourcc >> 8;
    b[o++] = fourcc;
    if (type == 1 && fourcc == FLV_FOURCC_HEVC) {
        b[o++] = cts >> 16;
        b[o++] = cts >> 8;
        b[o++] = cts;
    }
    memcpy(b + o, p, n);
    *size = o + n;
    return b;
}

typedef struct Result {
    int video_in, audio_in, video_out, audio_out, ts_ok, keys;
    enum AVCodecID vcodec;
    int width;
} Result;

/* Read src (a file with one video and one AAC stream), feed its packets
 * as tags (ms timestamps) to a remuxer for fourcc, then read dst back. */
static int remux_file(const char *src, const char *dst, uint32_t fourcc, int meta_width, Result *res)
{
    AVFormatContext *in = NULL, *out = NULL;
    AVPacket *pkt = av_packet_alloc();
    Remux *r = NULL;
    Sink sink = { .f = fopen(dst, "wb") };
    int64_t want_pts[512];
    int ret, nin = 0;

    memset(res, 0, sizeof(*res));
    if ((ret = avformat_open_input(&in, src, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(in, NULL)) < 0 ||
        (ret = remux_new(fourcc, 1, meta_width, meta_width ? 96 : 0, sink_write, &sink, &r)) < 0)
        goto end;
    for (unsigned i = 0; i < in->nb_streams; i++) {
        AVCodecParameters *par = in->streams[i]->codecpar;
        uint8_t *b;
        size_t size;
        FlvVideoInfo vi;
        if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
            /* VP9 from libvpx has no extradata: a vpcC (version 1, profile
             * 0, level 3.1, 8 bits 4:2:0, BT.709) as FFmpeg's FLV muxer
             * writes it */
            static const uint8_t vpcc[] = { 1, 0, 0, 0, 0, 31, 0x82, 1, 1, 1, 0, 0 };
            b = par->extradata_size
                ? video_body(fourcc, 1, 0, 0, par->extradata, par->extradata_size, &size)
                : video_body(fourcc, 1, 0, 0, vpcc, sizeof(vpcc), &size);
            if (flv_video_info(b, size, &vi) < 0 || (ret = remux_video(r, &vi, 0, b, size)) < 0)
                ret = ret < 0 ? ret : AVERROR_BUG;
            free(b);
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
            b = malloc(par->extradata_size + 2);
            b[0] = 0xaf;
            b[1] = 0;
            memcpy(b + 2, par->extradata, par->extradata_size);
            ret = remux_audio(r, 0, b, par->extradata_size + 2);
            free(b);
        }
        if (ret < 0)
            goto end;
    }
    while (av_read_frame(in, pkt) >= 0) {
        AVStream *st = in->streams[pkt->stream_index];
        int64_t dts = av_rescale_q(pkt->dts, st->time_base, (AVRational){ 1, 1000 });
        int64_t pts = av_rescale_q(pkt->pts, st->time_base, (AVRational){ 1, 1000 });
        uint8_t *b;
        size_t size;
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            FlvVideoInfo vi;
            b = video_body(fourcc, pkt->flags & AV_PKT_FLAG_KEY, 1, (int)(pts - dts), pkt->data,
                           pkt->size, &size);
            ret = flv_video_info(b, size, &vi);
            if (ret >= 0)
                ret = remux_video(r, &vi, dts, b, size);
            if (nin < 512)
                want_pts[nin++] = pts;
            res->video_in++;
        } else {
            b = malloc(pkt->size + 2);
            b[0] = 0xaf;
            b[1] = 1;
            memcpy(b + 2, pkt->data, pkt->size);
            size = pkt->size + 2;
            ret = remux_audio(r, dts, b, size);
            res->audio_in++;
        }
        free(b);
        av_packet_unref(pkt);
        if (ret < 0)
            goto end;
    }
    remux_free(&r);
    fclose(sink.f);
    sink.f = NULL;
    if ((ret = avformat_open_input(&out, dst, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(out, NULL)) < 0)
        goto end;
    res->ts_ok = 1;
    while (av_read_frame(out, pkt) >= 0) {
        AVStream *st = out->streams[pkt->stream_index];
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            int64_t pts = av_rescale_q(pkt->pts, st->time_base, (AVRational){ 1, 1000 });
            int64_t first = av_rescale_q(st->start_time, st->time_base, (AVRational){ 1, 1000 });
            /* MPEG-TS starts at an offset; the spacing is what must match */
            if (res->video_out < nin)
                res->ts_ok &= pts - first == want_pts[res->video_out] - want_pts[0] ||
                              fourcc != FLV_FOURCC_HEVC;
            res->keys += !!(pkt->flags & AV_PKT_FLAG_KEY);
            res->video_out++;
            res->vcodec = st->codecpar->codec_id;
            res->width = st->codecpar->width;
        } else {
            res->audio_out++;
        }
        av_packet_unref(pkt);
    }
    ret = 0;
end:
    remux_free(&r);
    if (sink.f)
        fclose(sink.f);
    avformat_close_input(&in);
    avformat_close_input(&out);
    av_packet_free(&pkt);
    return ret;
}

typedef struct Failing {
    int calls, fail;        /* fail: from this call on, AVERROR(EIO) */
} Failing;

static int failing_write(void *opaque, const uint8_t *buf, size_t size)
{
    Failing *f = opaque;
    return ++f->calls >= f->fail ? AVERROR(EIO) : 0;
}

/* RemuxOut alone: MPEG-TS with one H.264 stream, frames of an access
 * unit delimiter; the sink fails once the header is out. */
static void test_out(void)
{
    static const uint8_t aud[] = { 0, 0, 0, 1, 0x09, 0xf0 };
    Failing f = { 0, 1000 };
    RemuxOut o;
    AVStream *st;
    int calls;

    remux_out_init(&o, failing_write, &f);
    is_int(remux_out_open(&o, "mpegts"), 0, "RemuxOut: an MPEG-TS muxer");
    st = avformat_new_stream(o.fmt, NULL);
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = AV_CODEC_ID_H264;
    st->time_base = (AVRational){ 1, 1000 };
    is_int(avformat_write_header(o.fmt, NULL), 0, "its header");
    is_int(remux_out_frame(&o, 0, 1, 40, 40, 1, aud, sizeof(aud)), 0, "a frame at 40 ms");
    is_int(remux_out_frame(&o, 0, 1, 40, 40, 0, aud, sizeof(aud)), 0, "another at 40 ms");
    is_int(o.last_dts[1], 41, "raised to 41: strictly increasing");
    f.fail = f.calls + 1;
    for (int i = 0; i < 200 && !o.err; i++)
        remux_out_frame(&o, 0, 1, 100 + i * 40, 100 + i * 40, 1, aud, sizeof(aud));
    is_int(o.err, AVERROR(EIO), "the callback's error is kept");
    calls = f.calls;
    is_int(remux_out_frame(&o, 0, 1, 20000, 20000, 1, aud, sizeof(aud)), AVERROR(EIO),
           "the next frame fails with it");
    is_int(f.calls, calls, "without calling the callback again");
    remux_out_close(&o, 1);
    ok(o.fmt == NULL, "closed (no trailer after an error)");
    remux_out_close(&o, 1);
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], src[600], dst[600];
    MediaSpec spec = { .format = "mp4", .vcodec = "libx265", .width = 160, .height = 96, .fps = 25,
                       .frames = 25, .audio = AV_CODEC_ID_AAC, .sample_rate = 48000, .channels = 2 };
    static const uint8_t junk[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint8_t *b;
    size_t size;
    FlvVideoInfo vi;
    Remux *r = NULL;
    Sink sink = { 0 };
    Result res;

    log_init("test-remux");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-remux-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return 1;

    is_str(remux_format(FLV_FOURCC_HEVC), "mpegts", "HEVC goes to MPEG-TS");
    is_str(remux_format(FLV_FOURCC_AV1), "matroska", "AV1 to Matroska");
    is_str(remux_format(FLV_FOURCC_VP9), "matroska", "VP9 to Matroska");
    ok(remux_format(FLV_FOURCC('a', 'v', 'c', '1')) == NULL, "nothing for another FourCC");
    test_out();
    is_str(remux_extension(FLV_FOURCC_HEVC), "ts", ".ts");
    is_str(remux_extension(FLV_FOURCC_VP9), "mkv", ".mkv");
    is_int(remux_new(FLV_FOURCC('x', 'x', 'x', 'x'), 0, 0, 0, sink_write, &sink, &r), AVERROR(EINVAL),
           "remux_new refuses an unknown FourCC");

    snprintf(src, sizeof(src), "%s/hevc.mp4", dir);
    snprintf(dst, sizeof(dst), "%s/hevc.ts", dir);
    is_int(media_write(src, &spec), 0, "1 s of HEVC and AAC");
    is_int(remux_file(src, dst, FLV_FOURCC_HEVC, 0, &res), 0, "HEVC tags remuxed to MPEG-TS");
    is_int(res.vcodec, AV_CODEC_ID_HEVC, "the file holds HEVC");
    is_int(res.video_out, res.video_in, "every video frame (%d)", res.video_in);
    is_int(res.audio_out, res.audio_in, "every audio frame (%d)", res.audio_in);
    ok(res.ts_ok, "the frames' pts (B-frames: cts) kept");
    ok(res.keys >= 1, "key frames flagged");

    spec.vcodec = "libvpx-vp9";
    spec.format = "matroska";
    snprintf(src, sizeof(src), "%s/vp9.mkv", dir);
    snprintf(dst, sizeof(dst), "%s/vp9-out.mkv", dir);
    is_int(media_write(src, &spec), 0, "1 s of VP9 and AAC");
    is_int(remux_file(src, dst, FLV_FOURCC_VP9, 0, &res), 0, "VP9 tags remuxed to Matroska");
    is_int(res.vcodec, AV_CODEC_ID_VP9, "the file holds VP9");
    is_int(res.width, 160, "the size from the first key frame (no onMetaData)");
    is_int(res.video_out, res.video_in, "every video frame");
    is_int(res.audio_out, res.audio_in, "every audio frame");

    /* wrong input */
    sink.f = fopen(dst, "wb");
    is_int(remux_new(FLV_FOURCC_HEVC, 0, 0, 0, sink_write, &sink, &r), 0, "a new HEVC remuxer");
    b = video_body(FLV_FOURCC_AV1, 1, 0, 0, junk, sizeof(junk), &size);
    flv_video_info(b, size, &vi);
    is_int(remux_video(r, &vi, 0, b, size), AVERROR_INVALIDDATA, "another FourCC's tag is refused");
    free(b);
    b = video_body(FLV_FOURCC_HEVC, 1, 0, 0, junk, sizeof(junk), &size);
    flv_video_info(b, size, &vi);
    is_int(remux_video(r, &vi, 0, b, size), AVERROR_INVALIDDATA, "a configuration that is not hvcC is refused");
    free(b);
    b = video_body(FLV_FOURCC_HEVC, 1, 1, 0, junk, sizeof(junk), &size);
    flv_video_info(b, size, &vi);
    is_int(remux_video(r, &vi, 0, b, size), 0, "a frame before any configuration is taken (dropped)");
    free(b);
    is_int(remux_audio(r, 0, (const uint8_t *)"\x2f\x01\x00", 3), AVERROR_INVALIDDATA, "MP3 audio is refused");
    remux_free(&r);
    ok(r == NULL && sink.bytes == 0, "nothing written without a configuration");
    fclose(sink.f);
    remux_free(&r);

    snprintf(src, sizeof(src), "rm -rf '%s'", dir);
    if (system(src) != 0)
        diag("could not remove %s", dir);
    return done();
}
