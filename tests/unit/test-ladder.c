/* Unit tests for lib/ladder.c: parsing, skipping, sizes and SAR. */
#include <string.h>

#include <libavutil/error.h>

#include "ladder.h"
#include "tap.h"

/* Size rung r of ladder l for a source and check the result. */
static void check(const Ladder *l, int r, int w, int h, int sn, int sd,
                  int want_w, int want_h, int want_sn, int want_sd)
{
    LadderSize sz;
    int ret = ladder_size(&l->rung[r], w, h, (AVRational){ sn, sd }, &sz);

    if (!ok(ret == 0, "%s of %dx%d (SAR %d:%d) is %dx%d SAR %d:%d", l->rung[r].id, w, h,
            sn, sd, want_w, want_h, want_sn, want_sd)) {
        diag("  ladder_size returned %d", ret);
        return;
    }
    if (sz.width != want_w || sz.height != want_h || sz.sar.num != want_sn ||
        sz.sar.den != want_sd)
        ok(0, "  got %dx%d SAR %d:%d", sz.width, sz.height, sz.sar.num, sz.sar.den);
    /* even sides, display aspect exactly the source's */
    ok(sz.width % 2 == 0 && sz.height % 2 == 0, "  even sides");
    ok((int64_t)sz.width * sz.sar.num * h * (sd ? sd : 1) ==
       (int64_t)sz.height * sz.sar.den * w * (sn ? sn : 1), "  display aspect exact");
}

static void skipped(const Ladder *l, int r, int w, int h)
{
    LadderSize sz;
    is_int(ladder_size(&l->rung[r], w, h, (AVRational){ 1, 1 }, &sz), AVERROR(ERANGE),
           "%s of %dx%d is skipped", l->rung[r].id, w, h);
}

int main(void)
{
    Ladder l;
    const char *why = NULL;
    LadderSize sz;

    /* parsing */
    is_int(ladder_parse(LADDER_DEFAULT, &l, &why), 0, "default ladder parses");
    is_int(l.n, 3, "three rungs");
    is_str(l.rung[0].id, "1080p", "rung 0 id");
    is_int(l.rung[0].lines, 1080, "rung 0 lines");
    is_int(l.rung[0].bitrate, 5000000, "rung 0 bit rate");
    is_str(l.rung[1].id, "720p", "rung 1 id");
    is_int(l.rung[1].bitrate, 2800000, "rung 1 bit rate");
    is_str(l.rung[2].id, "480p", "rung 2 id");
    is_int(l.rung[2].bitrate, 1200000, "rung 2 bit rate");

    is_int(ladder_parse("360p:600k,720p:2.8M,480p:1200000", &l, &why), 0,
           "unsorted ladder parses");
    is_str(l.rung[0].id, "720p", "sorted largest first");
    is_str(l.rung[2].id, "360p", "smallest last");
    is_int(l.rung[0].bitrate, 2800000, "2.8M");

    is_int(ladder_parse("854x480:1200k", &l, &why), 0, "explicit WxH parses");
    is_int(l.rung[0].width, 854, "explicit width");
    is_str(l.rung[0].id, "854x480", "explicit id");

    is_int(ladder_parse("", &l, &why), AVERROR(EINVAL), "empty refused");
    is_int(ladder_parse("720p", &l, &why), AVERROR(EINVAL), "missing bit rate refused");
    is_int(ladder_parse("721p:1M", &l, &why), AVERROR(EINVAL), "odd lines refused");
    is_int(ladder_parse("720p:1M,720p:2M", &l, &why), AVERROR(EINVAL), "duplicate refused");
    is_int(ladder_parse("720p:fast", &l, &why), AVERROR(EINVAL), "bad bit rate refused");
    is_int(ladder_parse("720p:1M,", &l, &why), AVERROR(EINVAL), "trailing comma refused");
    is_int(ladder_parse("abcp:1M", &l, &why), AVERROR(EINVAL), "bad lines refused");
    is_int(ladder_parse("0p:1M", &l, &why), AVERROR(EINVAL), "zero lines refused");

    /* 1920x1080 16:9 */
    ladder_parse("1080p:5000k,720p:2800k,480p:1200k,360p:800k,240p:400k", &l, &why);
    check(&l, 0, 1920, 1080, 1, 1, 1920, 1080, 1, 1);
    is_int((ladder_size(&l.rung[0], 1920, 1080, (AVRational){ 1, 1 }, &sz), sz.is_source),
           1, "1080p of 1080p is the source");
    check(&l, 1, 1920, 1080, 1, 1, 1280, 720, 1, 1);
    /* 480 lines cannot be 16:9 with square pixels and an even width;
     * 468 can (832x468), within 3 % */
    check(&l, 2, 1920, 1080, 1, 1, 832, 468, 1, 1);
    check(&l, 3, 1920, 1080, 1, 1, 640, 360, 1, 1);
    check(&l, 4, 1920, 1080, 1, 1, 416, 234, 1, 1);
    is_int((ladder_size(&l.rung[1], 1920, 1080, (AVRational){ 0, 1 }, &sz), sz.sar.num), 1,
           "unknown SAR is square");

    /* 1280x720: 1080p skipped, never upscaled */
    skipped(&l, 0, 1280, 720);
    check(&l, 1, 1280, 720, 1, 1, 1280, 720, 1, 1);
    check(&l, 2, 1280, 720, 1, 1, 832, 468, 1, 1);

    /* 1366x768 (683:384): no square-pixel size near 720 or 480 */
    skipped(&l, 0, 1366, 768);
    check(&l, 1, 1366, 768, 1, 1, 1280, 720, 2049, 2048);
    check(&l, 2, 1366, 768, 1, 1, 854, 480, 3415, 3416);

    /* 640x480 4:3 */
    skipped(&l, 0, 640, 480);
    skipped(&l, 1, 640, 480);
    check(&l, 2, 640, 480, 1, 1, 640, 480, 1, 1);
    check(&l, 3, 640, 480, 1, 1, 480, 360, 1, 1);
    check(&l, 4, 640, 480, 1, 1, 320, 240, 1, 1);

    /* portrait 1080x1920: N is the width */
    check(&l, 0, 1080, 1920, 1, 1, 1080, 1920, 1, 1);
    check(&l, 1, 1080, 1920, 1, 1, 720, 1280, 1, 1);
    check(&l, 2, 1080, 1920, 1, 1, 468, 832, 1, 1);
    skipped(&l, 1, 480, 854);

    /* anamorphic 1440x1080 SAR 4:3 (16:9 display) */
    check(&l, 0, 1440, 1080, 4, 3, 1440, 1080, 4, 3);
    check(&l, 1, 1440, 1080, 4, 3, 1280, 720, 1, 1);
    /* PAL 720x576 SAR 16:15 (4:3 display) */
    check(&l, 2, 720, 576, 16, 15, 640, 480, 1, 1);

    /* odd source sides (853x480): even output, never wider than the source */
    ladder_parse("480p:1200k,360p:800k", &l, &why);
    check(&l, 0, 853, 480, 1, 1, 852, 480, 853, 852);
    check(&l, 1, 853, 480, 1, 1, 640, 360, 2559, 2560);
    is_int((ladder_size(&l.rung[0], 853, 480, (AVRational){ 1, 1 }, &sz), sz.is_source), 0,
           "an odd-sized source is not a passthrough size");

    /* explicit size: the SAR that keeps the display aspect */
    ladder_parse("854x480:1200k,4000x3000:1M", &l, &why);
    check(&l, 1, 1920, 1080, 1, 1, 854, 480, 1280, 1281);
    skipped(&l, 0, 1920, 1080);

    is_int(ladder_size(&l.rung[1], 0, 1080, (AVRational){ 1, 1 }, &sz), AVERROR(EINVAL),
           "zero width refused");

    /* ladder_fit: the rungs a source gets */
    {
        LadderFit f[LADDER_MAX_RUNGS];
        int n = -1;
        ladder_parse(LADDER_DEFAULT, &l, &why);
        is_int(ladder_fit(&l, 0, 1920, 1080, (AVRational){ 1, 1 }, f, &n), 0, "fit 1080p");
        is_int(n, 3, "1080p source: the three rungs, nothing added");
        ladder_fit(&l, 0, 320, 240, (AVRational){ 1, 1 }, f, &n);
        is_int(n, 1, "320x240: one rung");
        is_str(f[0].rung.id, "240p", "  240p");
        ok(f[0].added && f[0].size.is_source && f[0].size.width == 320, "  at the source's size");
        is_int(f[0].rung.bitrate, 300000, "  480p's 1200k scaled by (240/480)^2");
        ladder_fit(&l, 0, 360, 640, (AVRational){ 1, 1 }, f, &n);
        ok(n == 1 && !strcmp(f[0].rung.id, "360p") && f[0].size.height == 640,
           "portrait 360x640: 360p at 360x640");
        ladder_fit(&l, 0, 1600, 900, (AVRational){ 1, 1 }, f, &n);
        ok(n == 3 && !strcmp(f[0].rung.id, "900p") && !strcmp(f[1].rung.id, "720p") &&
           !strcmp(f[2].rung.id, "480p"), "1600x900: 900p, 720p, 480p");
        ladder_fit(&l, 0, 1366, 768, (AVRational){ 1, 1 }, f, &n);
        is_int(n, 2, "1366x768: 720p and 480p (768 is not 20%% above 720)");
        ladder_fit(&l, 1, 1600, 900, (AVRational){ 1, 1 }, f, &n);
        is_int(n, 2, "exact: 1600x900 gets 720p and 480p");
        ladder_fit(&l, 1, 320, 240, (AVRational){ 1, 1 }, f, &n);
        is_int(n, 0, "exact: 320x240 gets no rung");
        ladder_parse("200x150:300k,320x120:300k", &l, &why);
        ladder_fit(&l, 0, 320, 240, (AVRational){ 1, 1 }, f, &n);
        is_int(n, 2, "an explicit WxH top rung: nothing added above it");
        ladder_parse("240p:50k", &l, &why);
        ladder_fit(&l, 0, 100, 60, (AVRational){ 1, 1 }, f, &n);
        ok(n == 1 && f[0].rung.bitrate == LADDER_MIN_BITRATE, "a tiny source's rung: the least bit rate");
        is_int(ladder_fit(&l, 0, 1, 60, (AVRational){ 1, 1 }, f, &n), AVERROR(EINVAL),
               "fit: impossible size refused");

        /* 4K and 8K: nothing above 1080p unless asked */
        ladder_parse(LADDER_DEFAULT, &l, &why);
        ladder_fit(&l, 0, 7680, 4320, (AVRational){ 1, 1 }, f, &n);
        ok(n == 3 && f[0].size.width == 1920 && f[0].size.height == 1080 &&
           f[1].size.width == 1280 && f[2].size.width == 832 && f[2].size.height == 468 &&
           !f[0].added, "7680x4320: 1920x1080, 1280x720, 832x468, nothing added");
        ladder_fit(&l, 0, 3840, 2160, (AVRational){ 1, 1 }, f, &n);
        is_int(n, 3, "3840x2160: the three rungs");
        ladder_fit(&l, 0, 2560, 1440, (AVRational){ 1, 1 }, f, &n);
        ok(n == 3 && !strcmp(f[0].rung.id, "1080p"), "2560x1440: 1080p on top, no 1440p");
        ladder_fit(&l, 0, 4320, 7680, (AVRational){ 1, 1 }, f, &n);
        ok(n == 3 && f[0].size.width == 1080 && f[0].size.height == 1920,
           "portrait 4320x7680: 1080x1920 on top");
        ladder_parse("720p:2800k,480p:1200k", &l, &why);
        ladder_fit(&l, 0, 1920, 1200, (AVRational){ 1, 1 }, f, &n);
        ok(n == 3 && !strcmp(f[0].rung.id, "1080p") && f[0].added && !f[0].size.is_source &&
           f[0].size.width == 1728 && f[0].size.height == 1080,
           "1920x1200 over 720p: a 1080p rung added (1728x1080), not 1200p");
        ladder_parse("4320p:80M", &l, &why);
        ladder_fit(&l, 0, 3840, 2160, (AVRational){ 1, 1 }, f, &n);
        ok(n == 1 && !strcmp(f[0].rung.id, "1080p") && f[0].size.width == 1920,
           "no rung fits a 4K source: 1080p added, scaled");
        ladder_parse(LADDER_DEFAULT, &l, &why);
        is_int(ladder_add_uhd(&l), 0, "--uhd adds its rungs");
        ok(l.n == 5 && !strcmp(l.rung[0].id, "2160p") && !strcmp(l.rung[1].id, "1440p") &&
           !strcmp(l.rung[2].id, "1080p"), "  2160p, 1440p above 1080p");
        ladder_fit(&l, 0, 7680, 4320, (AVRational){ 1, 1 }, f, &n);
        ok(n == 5 && f[0].size.width == 3840 && f[1].size.width == 2560,
           "  7680x4320 then gets 3840x2160 and 2560x1440 too");
        ladder_fit(&l, 0, 1920, 1080, (AVRational){ 1, 1 }, f, &n);
        is_int(n, 3, "  a 1080p source still gets three");
        ladder_parse("1440p:9M,360p:700k", &l, &why);
        ladder_add_uhd(&l);
        ok(l.n == 3 && l.rung[1].bitrate == 9000000, "  a ladder's own 1440p is kept");
    }
    return done();
}
