/* Unit tests for lib/transcode.c on a real segment (H.264 with B-frames
 * and AAC, made with libx264): the renditions record, the rendition files
 * (every rung starts with a key frame, all frames there), a dropped rung,
 * a passed-through source, a bad segment, and the preset check; the
 * helpers lltc.c shares: the x264 setup, the key-frame grid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>

#include "ladder.h"
#include "log.h"
#include "transcode.h"
#include "media.h"
#include "tap.h"

#define FRAMES 50

static char spool[512];

static json_t *segment_record(const char *rel, int seq)
{
    return json_pack("{s:s, s:s, s:i, s:s, s:f, s:f, s:b, s:s, s:i, s:i,"
                     " s:{s:s, s:i, s:i, s:s, s:s}, s:{s:s, s:i, s:i}}",
                     "type", "segment", "stream", "cam1", "seq", seq, "path", rel,
                     "start", 0.0, "duration", 2.0, "discontinuity", 0, "timebase", "1/1000",
                     "start_pts", 0, "duration_pts", 2000,
                     "video", "codec", "h264", "width", 320, "height", 180, "sar", "1:1", "fps", "25/1",
                     "audio", "codec", "aac", "sample_rate", 48000, "channels", 2);
}

/* The rendition i of rec: its id, and its file's packets checked. */
static void check_video(const json_t *rec, size_t i, const char *id, int width)
{
    const json_t *r = json_array_get(json_object_get(rec, "renditions"), i);
    char path[700];
    int nv = 0, na = 0, key = 0;

    is_str(json_string_value(json_object_get(r, "id")), id, "rendition %zu is %s", i, id);
    is_int(json_integer_value(json_object_get(r, "width")), width, "%s: width %d", id, width);
    snprintf(path, sizeof(path), "%s/%s", spool, json_string_value(json_object_get(r, "path")));
    is_int(media_count(path, &nv, &na, &key), 0, "%s: its file reads", id);
    is_int(nv, FRAMES, "%s: every frame", id);
    ok(key == 1 && na == 0, "%s: starts with a key frame, video only", id);
}

/* transcode_x264_setup, transcode_grid_key, transcode_frame_key */
static void test_shared(const TranscodeOptions *o)
{
    LadderRung lr = { .bitrate = 800000 };
    LadderSize size = { .width = 640, .height = 360, .sar = { 1, 1 } };
    AVCodecContext *c = avcodec_alloc_context3(NULL), *dec = avcodec_alloc_context3(NULL);
    AVFrame *f = av_frame_alloc();
    int64_t next = 0;
    int keys[6], i = 0;

    dec->colorspace = AVCOL_SPC_BT709;
    transcode_x264_setup(c, o, &lr, &size, (AVRational){ 1, 90000 }, (AVRational){ 25, 1 }, dec);
    ok(c->width == 640 && c->height == 360 && c->pix_fmt == AV_PIX_FMT_YUV420P &&
       c->time_base.den == 90000 && c->framerate.num == 25 && c->colorspace == AVCOL_SPC_BT709,
       "x264 setup: size, time base, frame rate, the decoder's colours");
    ok(c->bit_rate == 800000 && c->rc_max_rate == 800000 &&
       c->rc_buffer_size == 800000 * TRANSCODE_BUFSIZE_SECONDS,
       "the rung's bit rate, maxrate and buffer");
    ok(c->gop_size == 25 && c->keyint_min == 25 && (c->flags & AV_CODEC_FLAG_CLOSED_GOP) &&
       (c->flags & AV_CODEC_FLAG_GLOBAL_HEADER), "closed GOPs of gop seconds (1 s: 25 frames)");
    for (int64_t pts = 0; pts <= 250; pts += 50)
        keys[i++] = transcode_grid_key(pts, &next, 100);
    ok(keys[0] && !keys[1] && keys[2] && !keys[3] && keys[4] && !keys[5],
       "grid of 100: keys at 0, 100, 200 of 0..250 by 50");
    is_int(next, 300, "the grid's next point past the last frame");
    next = 100;
    ok(transcode_grid_key(350, &next, 100) && next == 400,
       "a late frame takes the key and the grid moves past it");
    transcode_frame_key(f, 7, 1);
    ok(f->pts == 7 && f->pict_type == AV_PICTURE_TYPE_I && f->key_frame, "a forced key frame");
    transcode_frame_key(f, 8, 0);
    ok(f->pts == 8 && f->pict_type == AV_PICTURE_TYPE_NONE && !f->key_frame, "the encoder's choice");
    av_frame_free(&f);
    avcodec_free_context(&c);
    avcodec_free_context(&dec);
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[700];
    MediaSpec spec = { .format = "mp4", .width = 320, .height = 180, .fps = 25, .frames = FRAMES,
                       .audio = AV_CODEC_ID_AAC, .sample_rate = 48000, .channels = 2 };
    TranscodeOptions o = { .preset = "ultrafast", .gop = 1, .passthrough = TRANSCODE_PASS_NEVER,
                           .tolerance = TRANSCODE_DEFAULT_TOLERANCE, .threads = 1,
                           .audio_bitrate = 64000, .exact_ladder = 1 };
    TranscodeSteps steps = { 0 };
    const char *why = NULL;
    json_t *seg, *out = NULL, *r;
    int nv, na, key;

    log_init("test-transcode");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(spool, sizeof(spool), "%s/live-test-transcode-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(spool))
        return 1;
    o.spool = spool;
    snprintf(path, sizeof(path), "%s/cam1", spool);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/cam1/0.mp4", spool);
    is_int(media_write(path, &spec), 0, "a 2 s segment file");
    is_int(ladder_parse("180p:400k,90p:100k", &o.ladder, &why), 0, "ladder 180p, 90p");

    is_int(transcode_check(&o), 0, "preset ultrafast is known");
    o.preset = "warp-speed";
    is_int(transcode_check(&o), AVERROR(EINVAL), "an unknown preset is refused");
    o.preset = "ultrafast";
    o.tune = "nonsense";
    is_int(transcode_check(&o), AVERROR(EINVAL), "an unknown tune is refused");
    o.tune = NULL;

    seg = segment_record("cam1/0.mp4", 0);
    is_int(transcode_segment(&o, NULL, seg, &out), 0, "transcode the segment");
    is_str(json_string_value(json_object_get(out, "type")), "renditions", "a renditions record");
    is_int(json_integer_value(json_object_get(out, "seq")), 0, "for seq 0");
    is_dbl(json_real_value(json_object_get(out, "duration")), 2.0, 1e-9, "duration copied");
    is_int(json_array_size(json_object_get(out, "renditions")), 3, "two video rungs and the audio");
    check_video(out, 0, "180p", 320);
    check_video(out, 1, "90p", 160);
    r = json_array_get(json_object_get(out, "renditions"), 2);
    is_str(json_string_value(json_object_get(r, "kind")), "audio", "the audio comes last");
    snprintf(path, sizeof(path), "%s/%s", spool, json_string_value(json_object_get(r, "path")));
    ok(media_count(path, &nv, &na, &key) == 0 && na > 90 && nv == 0, "the audio file has the audio");
    ok(!json_is_true(json_object_get(json_array_get(json_object_get(out, "renditions"), 0),
                                     "passthrough")), "never: nothing passed through");
    json_decref(out);

    /* the guard's steps: the costliest rung left out */
    steps.drop = 1;
    json_object_set_new(seg, "seq", json_integer(1));
    is_int(transcode_segment(&o, &steps, seg, &out), 0, "with one rung dropped");
    is_int(json_array_size(json_object_get(out, "renditions")), 2, "one video rung and the audio");
    is_str(json_string_value(json_array_get(json_object_get(out, "dropped"), 0)), "180p",
           "the 180p rung is named as dropped");
    json_decref(out);

    /* the guard stepping down while a segment is encoded (steps.shed):
     * the costliest encoded rung stops and is left out, its pictures
     * still scaled for the rung below; one video rung always stays */
    {
        atomic_int shed;
        steps.drop = 0;
        atomic_init(&shed, 1);
        steps.shed = &shed;
        json_object_set_new(seg, "seq", json_integer(4));
        snprintf(path, sizeof(path), "%s/cam1/0.180p.mp4", spool);
        unlink(path);
        is_int(transcode_segment(&o, &steps, seg, &out), 0, "one rung shed while encoding");
        is_int(json_array_size(json_object_get(out, "renditions")), 2, "  one video rung and the audio");
        check_video(out, 0, "90p", 160);
        is_str(json_string_value(json_array_get(json_object_get(out, "dropped"), 0)), "180p",
               "  the 180p rung is named as dropped");
        ok(access(path, F_OK) < 0, "  and has no file");
        json_decref(out);
        atomic_store(&shed, 5);
        json_object_set_new(seg, "seq", json_integer(5));
        is_int(transcode_segment(&o, &steps, seg, &out), 0, "five rungs shed while encoding");
        is_int(json_array_size(json_object_get(out, "renditions")), 2, "  one video rung stays");
        json_decref(out);
        atomic_store(&shed, 0);
        json_object_set_new(seg, "seq", json_integer(6));
        is_int(transcode_segment(&o, &steps, seg, &out), 0, "none shed");
        is_int(json_array_size(json_object_get(out, "renditions")), 3, "  both video rungs");
        json_decref(out);
        steps.shed = NULL;
    }

    /* passthrough always: the source rung is the source's packets */
    steps.drop = 0;
    o.passthrough = TRANSCODE_PASS_ALWAYS;
    json_object_set_new(seg, "seq", json_integer(2));
    is_int(transcode_segment(&o, &steps, seg, &out), 0, "passthrough always");
    ok(json_is_true(json_object_get(json_array_get(json_object_get(out, "renditions"), 0),
                                    "passthrough")), "the 180p rung is the source passed through");
    json_decref(out);
    o.passthrough = TRANSCODE_PASS_NEVER;

    /* a segment whose file is not a video */
    snprintf(path, sizeof(path), "%s/cam1/3.mp4", spool);
    {
        FILE *f = fopen(path, "w");
        fputs("not a video at all", f);
        fclose(f);
    }
    json_decref(seg);
    seg = segment_record("cam1/3.mp4", 3);
    is_int(transcode_segment(&o, NULL, seg, &out), AVERROR_INVALIDDATA, "a bad file: AVERROR_INVALIDDATA");
    ok(json_is_true(json_object_get(out, "failed")) && json_string_value(json_object_get(out, "error")),
       "a failed record with an error");
    is_int(json_array_size(json_object_get(out, "renditions")), 0, "and no renditions");
    snprintf(path, sizeof(path), "%s/cam1/00000003.180p.mp4", spool);
    ok(access(path, F_OK) < 0, "no rendition file left behind");
    json_decref(out);
    json_decref(seg);

    seg = segment_record("../escape.mp4", 4);
    is_int(transcode_segment(&o, NULL, seg, &out), AVERROR_INVALIDDATA, "a path out of the spool is refused");
    json_decref(out);
    json_decref(seg);

    test_shared(&o);

    snprintf(path, sizeof(path), "rm -rf '%s'", spool);
    if (system(path) != 0)
        diag("could not remove %s", spool);
    return done();
}
