/* Unit tests for lib/rtc/feed.c on real media (H.264 from libx264, AAC):
 * FLV tags in as live-ingest writes them; a baseline stream without
 * B-frames is passed through frame for frame, one with B-frames gets a
 * zerolatency rung of our own; AAC becomes 20 ms Opus packets on the
 * 48 kHz clock; the keyframe and the GOP are kept for joining viewers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "../tap.h"
#include "../media.h"
#include "flv.h"
#include "log.h"
#include "rtc/feed.h"

typedef struct Seen {
    int video, audio, keys, first_key, ts_ok, opus_ok, last_ms_ok;
    int64_t last_ms;
    uint32_t last_audio_ts;
    int have_audio_ts;
} Seen;

static void on_frame(void *opaque, const RtcFrame *f)
{
    Seen *s = opaque;
    if (f->video) {
        if (s->video == 0)
            s->first_key = f->keyframe;
        s->video++;
        s->keys += f->keyframe;
        s->ts_ok &= f->ts == (uint32_t)(f->ms * 90) && f->n > 0;
        s->last_ms_ok &= f->ms >= s->last_ms;
        s->last_ms = f->ms;
    } else {
        s->audio++;
        s->opus_ok &= f->size > 0 && f->data && (!s->have_audio_ts || f->ts - s->last_audio_ts == 960);
        s->last_audio_ts = f->ts;
        s->have_audio_ts = 1;
    }
}

/* Feed the file at path to f as FLV tags: returns the video packets. */
static int feed_file(RtcFeed *f, const char *path)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    uint8_t *b = malloc(1 << 20);
    int64_t shift = -1;
    int nv = 0;

    if (avformat_open_input(&fmt, path, NULL, NULL) < 0 || avformat_find_stream_info(fmt, NULL) < 0)
        goto end;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVCodecParameters *par = fmt->streams[i]->codecpar;
        if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
            memcpy(b, "\x17\0\0\0\0", 5);
            memcpy(b + 5, par->extradata, par->extradata_size);
            rtc_feed_tag(f, FLV_TAG_VIDEO, 0, b, 5 + par->extradata_size);
        } else {
            memcpy(b, "\xaf\0", 2);
            memcpy(b + 2, par->extradata, par->extradata_size);
            rtc_feed_tag(f, FLV_TAG_AUDIO, 0, b, 2 + par->extradata_size);
        }
    }
    while (av_read_frame(fmt, pkt) >= 0) {
        AVStream *st = fmt->streams[pkt->stream_index];
        int64_t dts = av_rescale_q(pkt->dts, st->time_base, (AVRational){ 1, 1000 });
        int64_t cts = av_rescale_q(pkt->pts, st->time_base, (AVRational){ 1, 1000 }) - dts;
        if (shift < 0)   /* B-frames: the first dts is below 0; FLV starts at 0 */
            shift = dts < 0 ? -dts : 0;
        dts += shift;
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            b[0] = pkt->flags & AV_PKT_FLAG_KEY ? 0x17 : 0x27;
            b[1] = 1;
            b[2] = cts >> 16;
            b[3] = cts >> 8;
            b[4] = cts;
            memcpy(b + 5, pkt->data, pkt->size);
            rtc_feed_tag(f, FLV_TAG_VIDEO, (uint32_t)dts, b, 5 + pkt->size);
            nv++;
        } else {
            memcpy(b, "\xaf\1", 2);
            memcpy(b + 2, pkt->data, pkt->size);
            rtc_feed_tag(f, FLV_TAG_AUDIO, (uint32_t)dts, b, 2 + pkt->size);
        }
        av_packet_unref(pkt);
    }
end:
    free(b);
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    return nv;
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], path[600];
    MediaSpec spec = { .format = "mp4", .width = 160, .height = 96, .fps = 25, .frames = 50, .gop = 1,
                       .no_bframes = 1, .audio = AV_CODEC_ID_AAC, .sample_rate = 44100, .channels = 2 };
    RtcFeed *f = NULL;
    Seen s = { .ts_ok = 1, .opus_ok = 1, .last_ms_ok = 1 };
    const RtcFrame *k;
    RtcFrame g;
    int profile = 0, constrained = 0, nv;

    log_init("test-feed");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-feed-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return 1;

    /* baseline, no B-frames: passed through */
    snprintf(path, sizeof(path), "%s/baseline.mp4", dir);
    is_int(media_write(path, &spec), 0, "2 s of constrained baseline H.264 and AAC (44.1 kHz)");
    is_int(rtc_feed_new(&f, "cam", on_frame, &s), 0, "a feed");
    is_str(rtc_feed_name(f), "cam", "named");
    is_int(rtc_feed_video_profile(f, &profile, &constrained), AVERROR(EAGAIN), "no profile before the sequence header");
    nv = feed_file(f, path);
    ok(rtc_feed_has_video(f) && rtc_feed_has_audio(f), "video and audio");
    is_int(rtc_feed_encoding(f), 0, "passed through, not encoded");
    is_int(rtc_feed_video_profile(f, &profile, &constrained), 0, "the profile");
    ok(profile == 66 && constrained, "constrained baseline (%d)", profile);
    is_int(s.video, nv, "one frame out per frame in (%d)", nv);
    ok(s.first_key, "the first frame is a keyframe");
    is_int(s.keys, 2, "both keyframes (one a second)");
    ok(s.ts_ok, "video RTP time = FLV ms x 90, NAL units in each frame");
    ok(s.audio >= 95 && s.audio <= 105, "about 2 s of 20 ms Opus packets (%d)", s.audio);
    ok(s.opus_ok, "each 960 samples after the one before, on the 48 kHz clock");
    k = rtc_feed_keyframe(f);
    ok(k && k->keyframe && k->n >= 3, "the last keyframe is kept, with its SPS and PPS (%d NAL units)", k ? k->n : 0);
    is_int(rtc_feed_gop_count(f), 25, "the current GOP: the 25 frames since the last keyframe");
    rtc_feed_gop_frame(f, 0, &g);
    ok(g.keyframe && g.video, "the GOP starts with its keyframe");
    is_int(rtc_feed_force_keyframe(f, 1000000), 0, "passthrough: a keyframe cannot be forced");
    rtc_feed_free(&f);
    ok(f == NULL, "rtc_feed_free clears the pointer");

    /* B-frames: our own rung */
    memset(&s, 0, sizeof(s));
    s.ts_ok = s.opus_ok = s.last_ms_ok = 1;
    spec.no_bframes = 0;
    spec.audio = AV_CODEC_ID_NONE;
    snprintf(path, sizeof(path), "%s/bframes.mp4", dir);
    is_int(media_write(path, &spec), 0, "2 s of H.264 with B-frames, no audio");
    rtc_feed_new(&f, "cam2", on_frame, &s);
    nv = feed_file(f, path);
    is_int(rtc_feed_encoding(f), 1, "B-frames: a rung is encoded for WebRTC");
    ok(!rtc_feed_has_audio(f), "no audio");
    ok(s.video >= nv - 4 && s.video <= nv, "about one frame out per frame in (%d of %d; the encoder holds none back)", s.video, nv);
    ok(s.first_key, "starting with a keyframe");
    ok(s.last_ms_ok, "in presentation order (no B-frames out)");
    is_int(rtc_feed_video_profile(f, &profile, &constrained), 0, "our profile");
    ok(profile == 66 && constrained, "constrained baseline");
    is_int(rtc_feed_force_keyframe(f, 1000000), 1, "our rung: a keyframe can be forced");
    is_int(rtc_feed_force_keyframe(f, 1100000), 1, "asked again within 500 ms: the one on its way");
    rtc_feed_free(&f);
    rtc_feed_free(&f);

    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    if (system(path) != 0)
        diag("could not remove %s", dir);
    return done();
}
