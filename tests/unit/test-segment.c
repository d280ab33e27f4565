/* Unit tests for lib/segment.c: the cut grid and the continuous timeline,
 * fed with made-up timestamps (no media, no I/O). */
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "segment.h"
#include "tap.h"

static const AVRational ms = { 1, 1000 };

/* Keyframes every gop ms from 0 to last: where does the grid cut? */
static int cuts(double d, int64_t gop, int64_t last, int64_t *out, int max)
{
    SegmentGrid g;
    int n = 0;
    segment_grid_init(&g, ms, d);
    for (int64_t pts = 0; pts <= last; pts += gop) {
        if (pts > 0 && segment_grid_due(&g, pts)) {
            if (n < max)
                out[n] = pts;
            n++;
            segment_grid_cut(&g, pts);
        }
    }
    return n;
}

static void test_grid(void)
{
    int64_t c[16];
    SegmentGrid g;

    is_int(cuts(10, 4000, 44000, c, 16), 4, "4 s GOP, D=10: four cuts up to 44 s");
    is_int(c[0], 12000, "first cut at 12 s");
    is_int(c[1], 20000, "second at 20 s (no drift)");
    is_int(c[2], 32000, "third at 32 s");
    is_int(c[3], 40000, "fourth at 40 s");

    is_int(cuts(10, 2000, 34000, c, 16), 3, "2 s GOP, 35 s: three cuts");
    ok(c[0] == 10000 && c[1] == 20000 && c[2] == 30000, "at 10, 20, 30");

    is_int(cuts(10, 3000, 60000, c, 16), 6, "3 s GOP: six cuts up to 60 s");
    ok(c[0] == 12000 && c[1] == 21000 && c[2] == 30000 && c[3] == 42000 && c[4] == 51000 &&
       c[5] == 60000, "at 12, 21, 30, 42, 51, 60");

    is_int(cuts(10, 25000, 100000, c, 16), 4, "GOP longer than D: a cut at every keyframe");
    ok(c[0] == 25000 && c[1] == 50000 && c[2] == 75000 && c[3] == 100000, "at 25, 50, 75, 100");

    /* 2.5 s on a 90 kHz clock: boundaries exact */
    segment_grid_init(&g, (AVRational){ 1, 90000 }, 2.5);
    ok(!segment_grid_due(&g, 224999) && segment_grid_due(&g, 225000), "2.5 s boundary at 225000/90000");
    segment_grid_cut(&g, 225000);
    ok(!segment_grid_due(&g, 449999) && segment_grid_due(&g, 450000), "next at 450000");

    /* a cut far ahead (a discontinuity) moves the grid past it */
    segment_grid_init(&g, ms, 10);
    segment_grid_cut(&g, 37000);
    ok(!segment_grid_due(&g, 39999) && segment_grid_due(&g, 40000), "after a cut at 37 s, next boundary 40 s");
    segment_grid_cut(&g, 40000);
    ok(!segment_grid_due(&g, 49999), "a cut exactly on a boundary moves to the next one");
}

/* Feed dts == pts packets of one track; check each output. */
static int feed(SegmentTimeline *tl, int i, int64_t in, int64_t dur, int64_t *out)
{
    int64_t d = in, p = in;
    int j = segment_timeline_map(tl, i, &d, &p, dur);
    *out = d;
    return j;
}

static void test_timeline(void)
{
    AVRational tbs[2] = { ms, { 1, 48000 } };
    SegmentTimeline tl;
    int64_t out, d, p;
    int jumps, ok_all;

    /* origin: the first keyframe at 1000 ms is 0 for every stream */
    segment_timeline_init(&tl, 2, tbs, 1000, ms);
    is_int(feed(&tl, 0, 1000, 40, &out), 0, "first packet: no jump");
    is_int(out, 0, "origin maps to 0");
    is_int(feed(&tl, 1, 48000, 1024, &out), 0, "audio at the origin: no jump");
    is_int(out, 0, "audio origin maps to 0 in its own time base");

    /* a publisher restarting at 0 after 20 s */
    segment_timeline_init(&tl, 2, tbs, 0, ms);
    jumps = 0;
    ok_all = 1;
    for (int64_t t = 0; t < 20000; t += 40) {
        jumps += feed(&tl, 0, t, 40, &out);
        ok_all &= out == t;
    }
    for (int64_t s = 0; s < 20 * 48000; s += 1024)
        jumps += feed(&tl, 1, s, 1024, &out);
    ok(ok_all && jumps == 0, "20 s continuous: output = input, no jump");
    is_int(feed(&tl, 0, 0, 40, &out), 1, "restart at 0: a discontinuity");
    is_int(out, 20000, "video continues where it left off");
    is_int(feed(&tl, 0, 40, 40, &out), 0, "next frame: no jump");
    is_int(out, 20040, "and stays continuous");
    is_int(feed(&tl, 1, 0, 1024, &out), 0, "audio restarting too joins the same discontinuity");
    is_int(out, 20 * 48000, "audio in sync with the video (same adjustment)");

    /* the video restarts first; the audio's old session had run 21 ms
     * longer: it joins the same discontinuity, right after its last packet */
    segment_timeline_init(&tl, 2, tbs, 0, ms);
    for (int64_t t = 0; t < 10000; t += 40)
        feed(&tl, 0, t, 40, &out);
    for (int64_t s = 0; s < 10 * 48000 + 1008; s += 1024)
        feed(&tl, 1, s, 1024, &out);
    jumps = feed(&tl, 0, 0, 40, &out);
    is_int(jumps, 1, "video restarts: a discontinuity");
    is_int(out, 10000, "video continues at 10.000");
    {
        int64_t aend = 0;
        for (int64_t s = 0; s < 10 * 48000 + 1008; s += 1024)
            aend = s + 1024;
        is_int(feed(&tl, 1, 0, 1024, &out), 0, "audio overlapping by a frame: the same discontinuity");
        is_int(out, aend, "audio continues right after its last packet");
    }

    /* a 32-bit millisecond wrap (FLV): exactly continuous */
    {
        int64_t wrap = INT64_C(1) << 32;
        segment_timeline_init(&tl, 2, tbs, wrap - 2000, ms);
        jumps = 0;
        for (int64_t t = wrap - 2000; t < wrap; t += 40)
            jumps += feed(&tl, 0, t, 40, &out);
        is_int(out, 1960, "before the wrap: 1.96 s");
        jumps += feed(&tl, 0, 0, 40, &out);
        is_int(out, 2000, "after the wrap: 2.00 s, exactly continuous");
        is_int(jumps, 1, "one discontinuity");
    }

    /* forward jump by a minute: continue, flag once */
    segment_timeline_init(&tl, 1, tbs, 0, ms);
    feed(&tl, 0, 0, 40, &out);
    feed(&tl, 0, 40, 40, &out);
    is_int(feed(&tl, 0, 60040, 40, &out), 1, "forward jump of 60 s: a discontinuity");
    is_int(out, 80, "continues at 80 ms");
    is_int(feed(&tl, 0, 61000, 40, &out), 0, "a 1 s gap is not a jump");
    is_int(out, 1040, "and is kept");

    /* a publisher back after 3 s (live-ingest goes on by the time away):
     * the gap is kept, flagged once for both streams */
    segment_timeline_init(&tl, 2, tbs, 0, ms);
    for (int64_t t = 0; t < 5000; t += 40)
        feed(&tl, 0, t, 40, &out);
    for (int64_t s = 0; s < 5 * 48000; s += 1024)
        feed(&tl, 1, s, 1024, &out);
    is_int(feed(&tl, 1, 8010 * 48, 1024, &out), SEGMENT_GAP, "audio 3 s later: a gap");
    is_int(out, 8010 * 48, "kept on the timeline");
    is_int(feed(&tl, 0, 8000, 40, &out), 0, "the video's gap is the same event");
    is_int(out, 8000, "and kept too");
    is_int(feed(&tl, 0, 8040, 40, &out), 0, "then continuous");
    is_int(tl.event, 1, "one discontinuity in all");
    is_int(feed(&tl, 0, 9200, 40, &out), SEGMENT_GAP, "a later 1.1 s video gap: a new one");
    is_int(feed(&tl, 0, 9240 + 31000, 40, &out), 1, "past 30 s: a jump, made continuous");
    is_int(out, 9240, "continues where it left off");

    /* small steps back are mended, not flagged */
    segment_timeline_init(&tl, 1, tbs, 0, ms);
    feed(&tl, 0, 100, 20, &out);
    is_int(feed(&tl, 0, 95, 20, &out), 0, "5 ms back: no discontinuity");
    is_int(out, 101, "nudged past the previous dts");

    /* B-frames: pts stays >= dts and the offset applies to both */
    segment_timeline_init(&tl, 1, tbs, 80, ms);
    d = 0;
    p = 80;
    segment_timeline_map(&tl, 0, &d, &p, 40);
    ok(d == -80 && p == 0, "keyframe pts at the origin, dts before it");
    d = 40;
    p = 20;
    segment_timeline_map(&tl, 0, &d, &p, 40);
    ok(p >= d, "pts < dts from the input is raised to dts");
}

/* The segments' container by video codec: MP4 but for VP8, which FFmpeg
 * 5.1's MP4 muxer has no tag for (Matroska). */
static void test_ext(void)
{
    ok(!strcmp(segment_ext(AV_CODEC_ID_VP8), SEGMENT_EXT_MKV) && !strcmp(SEGMENT_EXT_MKV, "mkv"),
       "VP8: Matroska segments, SEQ.mkv");
    ok(!strcmp(segment_ext(AV_CODEC_ID_H264), "mp4") && !strcmp(segment_ext(AV_CODEC_ID_HEVC), "mp4") &&
       !strcmp(segment_ext(AV_CODEC_ID_AV1), "mp4") && !strcmp(segment_ext(AV_CODEC_ID_VP9), "mp4"),
       "H.264, HEVC, AV1, VP9: MP4 as before");
    ok(!strcmp(segment_ext(AV_CODEC_ID_NONE), "mp4"), "no video (audio only): MP4");
}

int main(void)
{
    log_init("test-segment");
    log_set_level(LOG_LEVEL_QUIET);
    test_grid();
    test_timeline();
    test_ext();
    return done();
}
