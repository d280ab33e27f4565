/* Unit tests for lib/rtc/whipmux.c: a WHIP publisher's frames (real H.264
 * from libx264 in Annex B, real Opus from libopus) muxed to Matroska
 * through the callback and read back with libavformat: nothing before
 * the first keyframe, then every frame, the picture size from the
 * keyframe, millisecond timestamps kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "../tap.h"
#include "../media.h"
#include "log.h"
#include "rtc/whipmux.h"

#define MAXF 256

typedef struct Frames {
    uint8_t *data[MAXF];
    int size[MAXF], key[MAXF];
    int64_t ms[MAXF];
    int n;
} Frames;

static int sink(void *opaque, const uint8_t *buf, size_t size)
{
    return fwrite(buf, 1, size, opaque) == size ? 0 : AVERROR(EIO);
}

/* The packets of the first stream of path, timestamps in ms. */
static void read_frames(const char *path, Frames *f)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();

    f->n = 0;
    if (avformat_open_input(&fmt, path, NULL, NULL) >= 0 && avformat_find_stream_info(fmt, NULL) >= 0)
        while (av_read_frame(fmt, pkt) >= 0 && f->n < MAXF) {
            AVStream *st = fmt->streams[pkt->stream_index];
            f->data[f->n] = malloc(pkt->size);
            memcpy(f->data[f->n], pkt->data, pkt->size);
            f->size[f->n] = pkt->size;
            f->key[f->n] = !!(pkt->flags & AV_PKT_FLAG_KEY);
            f->ms[f->n] = pkt->pts != AV_NOPTS_VALUE
                          ? av_rescale_q(pkt->pts, st->time_base, (AVRational){ 1, 1000 }) : f->n * 40;
            f->n++;
            av_packet_unref(pkt);
        }
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
}

static void free_frames(Frames *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->data[i]);
    f->n = 0;
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], h264[600], opus[600], out[600];
    MediaSpec spec = { .format = "h264", .width = 160, .height = 96, .fps = 25, .frames = 25, .gop = 1,
                       .no_bframes = 1 };
    static Frames v, a;
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    WhipMux *m = NULL;
    FILE *f;
    int nv = 0, na = 0, width = 0, vcodec = 0, acodec = 0, ts_ok = 1, i;
    int64_t first_audio_ms = -1;

    log_init("test-whipmux");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-whipmux-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    snprintf(h264, sizeof(h264), "%s/v.h264", dir);
    snprintf(opus, sizeof(opus), "%s/a.mkv", dir);
    snprintf(out, sizeof(out), "%s/out.mkv", dir);
    is_int(media_write(h264, &spec), 0, "1 s of H.264 in Annex B");
    spec = (MediaSpec){ .format = "matroska", .fps = 25, .frames = 25, .audio = AV_CODEC_ID_OPUS,
                        .sample_rate = 48000, .channels = 2 };
    is_int(media_write(opus, &spec), 0, "1 s of Opus");
    read_frames(h264, &v);
    read_frames(opus, &a);
    ok(v.n == 25 && v.key[0], "25 video frames, the first a keyframe");
    ok(a.n >= 45, "Opus packets (%d)", a.n);

    is_int(whipmux_new(RTC_CODEC_H264, 1, sink, NULL, &m), 0, "a muxer for H.264 and Opus");
    is_int(whipmux_video_codec(m), RTC_CODEC_H264, "its video codec");
    is_int(whipmux_has_audio(m), 1, "with audio");
    whipmux_free(&m);
    f = fopen(out, "wb");
    whipmux_new(RTC_CODEC_H264, 1, sink, f, &m);
    /* audio before the first picture, then an inter frame: dropped */
    is_int(whipmux_audio(m, 0, a.data[0], a.size[0]), 0, "audio before the first keyframe");
    is_int(whipmux_video(m, 0, 0, v.data[1], v.size[1]), 0, "an inter frame before the first keyframe");
    for (i = 0; i < v.n; i++) {
        int64_t ms = 100 + i * 40;
        whipmux_video(m, ms, v.key[i], v.data[i], v.size[i]);
        for (int j = 2 * i + 1; j <= 2 * i + 2 && j < a.n; j++)
            whipmux_audio(m, 100 + (j - 1) * 20, a.data[j], a.size[j]);
    }
    whipmux_free(&m);
    ok(m == NULL, "whipmux_free clears the pointer");
    fclose(f);

    if (avformat_open_input(&fmt, out, NULL, NULL) >= 0 && avformat_find_stream_info(fmt, NULL) >= 0) {
        while (av_read_frame(fmt, pkt) >= 0) {
            AVStream *st = fmt->streams[pkt->stream_index];
            int64_t ms = av_rescale_q(pkt->pts, st->time_base, (AVRational){ 1, 1000 });
            if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
                ts_ok &= ms == 100 + nv * 40;
                nv++;
                vcodec = st->codecpar->codec_id;
                width = st->codecpar->width;
            } else {
                if (first_audio_ms < 0)
                    first_audio_ms = ms;
                acodec = st->codecpar->codec_id;
                na++;
            }
            av_packet_unref(pkt);
        }
    }
    is_int(vcodec, AV_CODEC_ID_H264, "the file holds H.264");
    is_int(acodec, AV_CODEC_ID_OPUS, "and Opus");
    is_int(width, 160, "the picture size from the keyframe");
    is_int(nv, v.n, "every video frame from the first keyframe, none before");
    ok(ts_ok, "at the millisecond timestamps given");
    ok(na > 0 && first_audio_ms >= 100, "no audio from before the first picture (first at %lld ms)",
       (long long)first_audio_ms);
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    is_int(whipmux_new(RTC_CODEC_NONE, 0, sink, NULL, &m), AVERROR(EINVAL), "neither video nor audio: EINVAL");

    free_frames(&v);
    free_frames(&a);
    snprintf(out, sizeof(out), "rm -rf '%s'", dir);
    if (system(out) != 0)
        diag("could not remove %s", dir);
    return done();
}
