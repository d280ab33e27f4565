/* Unit tests for lib/llhls.c: delivery directives, playlist scans,
 * readiness and delta updates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "llhls.h"
#include "tap.h"

#define SEG(pdt, n) "#EXT-X-PROGRAM-DATE-TIME:2026-12-03T10:00:" pdt "Z\n#EXTINF:2.00000,\n" n ".m4s\n"

static const char live[] =
    "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:40\n"
    "#EXT-X-DISCONTINUITY-SEQUENCE:1\n"
    "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.000,HOLD-BACK=6.000\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"init.mp4\"\n"
    SEG("00.000", "40") SEG("02.000", "41") "#EXT-X-DISCONTINUITY\n" SEG("04.000", "42")
    SEG("06.000", "43") SEG("08.000", "44") SEG("10.000", "45") SEG("12.000", "46")
    SEG("14.000", "47") SEG("16.000", "48") SEG("18.000", "49");

int main(void)
{
    LlhlsRequest r;
    LlhlsPlaylist p;
    char *out = NULL;
    size_t len;

    plan(30);
    is_int(llhls_parse_request(NULL, NULL, NULL, &r), 0, "no directives");
    ok(r.msn == -1 && r.part == -1 && r.skip == 0, "none");
    is_int(llhls_parse_request("43", "2", "YES", &r), 0, "all three");
    ok(r.msn == 43 && r.part == 2 && r.skip == 1, "43, part 2, skip");
    is_int(llhls_parse_request(NULL, NULL, "v2", &r), 0, "skip v2");
    is_int(r.skip, 2, "v2");
    is_int(llhls_parse_request(NULL, "2", NULL, &r), AVERROR(EINVAL), "_HLS_part without _HLS_msn");
    is_int(llhls_parse_request("-1", NULL, NULL, &r), AVERROR(EINVAL), "negative");
    is_int(llhls_parse_request("4x", NULL, NULL, &r), AVERROR(EINVAL), "not a number");
    is_int(llhls_parse_request("", NULL, NULL, &r), AVERROR(EINVAL), "empty");
    is_int(llhls_parse_request("99999999999999999999", NULL, NULL, &r), AVERROR(EINVAL), "too large");
    is_int(llhls_parse_request(NULL, NULL, "NO", &r), AVERROR(EINVAL), "_HLS_skip=NO");

    is_int(llhls_scan(live, sizeof(live) - 1, &p), 0, "scan");
    ok(p.first_msn == 40 && p.last_msn == 49 && p.parts == 0 && !p.ended, "segments 40..49");
    ok(p.target == 2 && p.skip_until == 12 && p.can_block, "target, CAN-SKIP-UNTIL, CAN-BLOCK-RELOAD");
    is_int(llhls_scan("#EXTINF:1,\n0.m4s\n", 17, &p), AVERROR_INVALIDDATA, "not a playlist");

    llhls_scan(live, sizeof(live) - 1, &p);
    llhls_parse_request("49", NULL, NULL, &r);
    is_int(llhls_ready(&p, &r), 1, "49 is there: ready");
    llhls_parse_request("50", NULL, NULL, &r);
    is_int(llhls_ready(&p, &r), 0, "50 is not: wait");
    is_int(llhls_too_far(&p, &r), 0, "50 is not too far");
    llhls_parse_request("52", NULL, NULL, &r);
    is_int(llhls_too_far(&p, &r), 1, "52 is more than two ahead");
    {
        static const char parts[] = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n"
            "#EXTINF:2.0,\n7.m4s\n#EXT-X-PART:DURATION=0.5,URI=\"8.p0.m4s\",INDEPENDENT=YES\n"
            "#EXT-X-PART:DURATION=0.5,URI=\"8.p1.m4s\"\n";
        llhls_scan(parts, sizeof(parts) - 1, &p);
        ok(p.last_msn == 7 && p.parts == 2, "two parts of segment 8 listed");
        llhls_parse_request("8", "1", NULL, &r);
        is_int(llhls_ready(&p, &r), 1, "part 1 of 8: ready");
        llhls_parse_request("8", "2", NULL, &r);
        is_int(llhls_ready(&p, &r), 0, "part 2 of 8: wait");
        llhls_parse_request("8", NULL, NULL, &r);
        is_int(llhls_ready(&p, &r), 0, "all of 8: wait");
    }

    llhls_scan(live, sizeof(live) - 1, &p);
    is_int(llhls_delta(live, sizeof(live) - 1, &p, &out, &len), 0, "delta update");
    ok(strstr(out, "#EXT-X-VERSION:9\n") && !strstr(out, "VERSION:7"), "version 9");
    /* 20 s listed, the last 12 s kept: segments 40..43 skipped */
    ok(strstr(out, "#EXT-X-MAP:URI=\"init.mp4\"\n#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n"
                   "#EXT-X-PROGRAM-DATE-TIME:2026-12-03T10:00:08.000Z\n#EXTINF:2.00000,\n44.m4s\n") != NULL,
       "four segments skipped, 44 on");
    ok(!strstr(out, "43.m4s") && !strstr(out, "#EXT-X-DISCONTINUITY\n") &&
       strstr(out, "#EXT-X-DISCONTINUITY-SEQUENCE:1\n") && strstr(out, "49.m4s\n"),
       "the skipped discontinuity gone, its sequence kept");
    {
        LlhlsPlaylist q;
        is_int(llhls_scan(out, len, &q), 0, "the delta scans");
        ok(q.first_msn == 40 && q.last_msn == 49, "skipped segments still count (%lld..%lld)",
           (long long)q.first_msn, (long long)q.last_msn);
    }
    av_freep(&out);
    return done();
}
