/* Unit tests for lib/mpd.c: dynamic and static manifests from a Manifest. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/mem.h>

#include "log.h"
#include "mpd.h"
#include "tap.h"

static ManifestSegment segs[6];
static ManifestFile vfiles[6], afiles[6];
static ManifestRendition rends[2];

/* Six 2 s segments 10..15; a gap before 14 starts a new period. */
static void setup(Manifest *m)
{
    memset(m, 0, sizeof(*m));
    for (int i = 0; i < 6; i++) {
        segs[i].seq = 10 + i;
        segs[i].start = 20 + 2 * i;
        segs[i].duration = 2;
        segs[i].period = i < 4 ? 0 : 14;
        segs[i].period_start = i < 4 ? 0 : 28;
        vfiles[i].t = (int64_t)segs[i].start * 90000;
        vfiles[i].d = 180000;
        vfiles[i].size = 1000;
        afiles[i].t = i == 0 ? 960512 : afiles[i - 1].t + afiles[i - 1].d;
        afiles[i].d = i == 2 ? 95232 : 96256;
        afiles[i].size = 100;
    }
    snprintf(rends[0].id, sizeof(rends[0].id), "720p");
    rends[0].media.kind = CMAF_VIDEO;
    snprintf(rends[0].media.codec, sizeof(rends[0].media.codec), "avc1.64001f");
    rends[0].media.width = 1280;
    rends[0].media.height = 720;
    rends[0].media.sar_num = rends[0].media.sar_den = 1;
    rends[0].media.fps_num = 30000;
    rends[0].media.fps_den = 1001;
    rends[0].media.timescale = 90000;
    rends[0].bandwidth = 2800000;
    rends[0].files = vfiles;
    snprintf(rends[1].id, sizeof(rends[1].id), "audio");
    rends[1].media.kind = CMAF_AUDIO;
    snprintf(rends[1].media.codec, sizeof(rends[1].media.codec), "mp4a.40.2");
    rends[1].media.sample_rate = 48000;
    rends[1].media.channels = 2;
    rends[1].media.timescale = 48000;
    rends[1].bandwidth = 128000;
    rends[1].files = afiles;
    snprintf(m->name, sizeof(m->name), "cam1");
    m->dynamic = 1;
    m->availability_start = 1795600000.25;
    m->publish_time = 1795600040.5;
    m->window = 7200;
    m->segment_duration = 2;
    m->utc_timing = "/time?a=1&b=2";
    m->segments = segs;
    m->nb_segments = 4;
    m->renditions = rends;
    m->nb_renditions = 2;
}

static int has(const char *text, const char *want)
{
    if (strstr(text, want))
        return 1;
    diag("missing: %s", want);
    return 0;
}

int main(void)
{
    Manifest m;
    char *x = NULL, when[40];

    log_init("test-mpd");
    mpd_format_time(1795600000.25, when, sizeof(when));
    is_str(when, "2026-11-25T09:46:40.250Z", "ISO 8601 time with milliseconds");
    mpd_format_time(1795600000.9996, when, sizeof(when));
    is_str(when, "2026-11-25T09:46:41.000Z", "milliseconds round up into seconds");

    setup(&m);
    is_int(mpd_write(&m, &x), 0, "dynamic MPD");
    ok(has(x, "type=\"dynamic\" availabilityStartTime=\"2026-11-25T09:46:40.250Z\" "
              "publishTime=\"2026-11-25T09:47:20.500Z\""), "dynamic, AST, publishTime");
    ok(has(x, "minimumUpdatePeriod=\"PT2.000S\" timeShiftBufferDepth=\"PT7200.000S\" "
              "suggestedPresentationDelay=\"PT6.000S\""), "update period, DVR window, delay");
    ok(has(x, ">\n  <ServiceDescription id=\"0\"><Latency target=\"6000\" min=\"4000\" max=\"12000\"/>"
              "</ServiceDescription>\n  <Period "), "ServiceDescription: the same latency, before the periods");
    ok(has(x, "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"/time?a=1&amp;b=2\"/>"),
       "UTCTiming, escaped");
    ok(has(x, "<Period id=\"p0\" start=\"PT0.000S\">"), "live period starts at stream time 0");
    ok(has(x, "startNumber=\"10\" presentationTimeOffset=\"0\">"), "startNumber is the first seq");
    ok(has(x, "<S t=\"1800000\" d=\"180000\" r=\"3\"/>"), "video timeline run-length coded");
    ok(has(x, "<S t=\"960512\" d=\"96256\" r=\"1\"/>\n          <S d=\"95232\"/>\n          <S d=\"96256\"/>"),
       "audio timeline: durations change, t only at the start");
    ok(has(x, "<Representation id=\"720p\" bandwidth=\"2800000\" codecs=\"avc1.64001f\" width=\"1280\" "
              "height=\"720\" frameRate=\"30000/1001\" sar=\"1:1\"/>"), "video Representation");
    ok(has(x, "<Representation id=\"audio\" bandwidth=\"128000\" codecs=\"mp4a.40.2\" "
              "audioSamplingRate=\"48000\">"), "audio Representation");
    ok(has(x, "value=\"2\"/>"), "channel configuration");
    ok(!strstr(x, "mediaPresentationDuration"), "no duration while live");
    av_freep(&x);

    /* a gap: the segments after it are a new period */
    m.nb_segments = 6;
    is_int(mpd_write(&m, &x), 0, "dynamic MPD with a gap");
    ok(has(x, "<Period id=\"p0\" start=\"PT0.000S\" duration=\"PT28.000S\">"), "first period ends at the next");
    ok(has(x, "<Period id=\"p14\" start=\"PT28.000S\">"), "second period from the segment after the gap");
    ok(has(x, "startNumber=\"14\" presentationTimeOffset=\"2520000\">"), "its numbers and offset");
    av_freep(&x);

    /* static: presented from the first listed segment at 0 */
    m.dynamic = 0;
    is_int(mpd_write(&m, &x), 0, "static MPD");
    /* the audio ends at 1537024 / 48000 = 32.0213 s, after the video
     * (32 s): the presentation lasts until it, rounded up to the ms */
    ok(has(x, "type=\"static\" mediaPresentationDuration=\"PT12.022S\""),
       "static with duration: to the end of the longest track");
    ok(has(x, "<Period id=\"p0\" start=\"PT0.000S\" duration=\"PT8.000S\">"), "first period from 0");
    ok(has(x, "presentationTimeOffset=\"1800000\""), "offset to the first segment");
    ok(has(x, "<Period id=\"p14\" start=\"PT8.000S\" duration=\"PT4.022S\">"),
       "second period, to the end of the audio");
    ok(!strstr(x, "availabilityStartTime") && !strstr(x, "UTCTiming") &&
       !strstr(x, "ServiceDescription"), "no live attributes");
    av_freep(&x);

    /* a second video rendition left out of segments 11 and 12 (the load
     * guard's drop step): those are a Period of their own, without it */
    {
        static ManifestFile lfiles[6];
        static ManifestRendition three[3];
        setup(&m);
        m.nb_segments = 6;
        for (int i = 0; i < 6; i++) {
            lfiles[i] = vfiles[i];
            if (i == 1 || i == 2)
                lfiles[i].t = -1;
        }
        three[0] = rends[0];
        three[1] = rends[0];
        snprintf(three[1].id, sizeof(three[1].id), "360p");
        three[1].media.height = 360;
        three[1].media.width = 640;
        three[1].files = lfiles;
        three[2] = rends[1];
        m.renditions = three;
        m.nb_renditions = 3;
        is_int(mpd_write(&m, &x), 0, "MPD with a rung dropped from two segments");
        ok(has(x, "<Period id=\"p0\" start=\"PT0.000S\" duration=\"PT22.000S\">"),
           "the period up to the drop");
        ok(has(x, "<Period id=\"p0-11\" start=\"PT22.000S\" duration=\"PT4.000S\">"),
           "the dropped segments: a period of their own");
        ok(has(x, "startNumber=\"11\" presentationTimeOffset=\"1980000\">"), "  its numbers and offset");
        ok(has(x, "<Period id=\"p0-13\" start=\"PT26.000S\" duration=\"PT2.000S\">"),
           "then one with both renditions again");
        ok(has(x, "<Period id=\"p14\" start=\"PT28.000S\">"), "the gap's period as before");
        {
            const char *p1 = strstr(x, "id=\"p0-11\""), *p2 = strstr(x, "id=\"p0-13\"");
            ok(p1 && p2 && !memmem(p1, (size_t)(p2 - p1), "\"360p\"", 6) &&
               memmem(p1, (size_t)(p2 - p1), "\"720p\"", 6), "  which lists 720p without 360p");
            ok(p2 && strstr(p2, "\"360p\""), "  and 360p again after it");
        }
        av_freep(&x);
        setup(&m);
    }

    m.nb_segments = 0;
    m.dynamic = 1;
    is_int(mpd_write(&m, &x), 0, "MPD without segments");
    ok(has(x, "<Period id=\"p0\" start=\"PT0S\"/>"), "an empty period");
    av_freep(&x);
    return done();
}
