/* Unit tests for lib/hls.c: master and media playlists from a Manifest. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "hls.h"
#include "log.h"
#include "tap.h"

static int has(const char *text, const char *want)
{
    if (strstr(text, want))
        return 1;
    diag("missing: %s", want);
    return 0;
}

int main(void)
{
    ManifestSegment segs[4];
    ManifestFile v[2][4], a[4];
    ManifestRendition r[3];
    Manifest m;
    char *x = NULL;

    log_init("test-hls");
    memset(&m, 0, sizeof(m));
    memset(r, 0, sizeof(r));
    memset(segs, 0, sizeof(segs));
    for (int i = 0; i < 4; i++) {
        segs[i].seq = 5 + i + (i >= 2);     /* 5 6 [gap 7] 8 9 */
        segs[i].start = 10.0 * segs[i].seq;
        segs[i].duration = i == 3 ? 4.5 : 10;
        segs[i].msn = 3 + i;
        segs[i].dseq = 1 + (i >= 2);
        segs[i].discontinuity = i == 2;
        for (int k = 0; k < 2; k++) {
            v[k][i].t = (int64_t)(segs[i].start * 90000);
            v[k][i].d = (int64_t)(segs[i].duration * 90000);
            v[k][i].size = 100000;
        }
        a[i].t = (int64_t)(segs[i].start * 48000);
        a[i].d = (int64_t)(segs[i].duration * 48000);
    }
    snprintf(r[0].id, sizeof(r[0].id), "720p");
    r[0].media.kind = CMAF_VIDEO;
    snprintf(r[0].media.codec, sizeof(r[0].media.codec), "avc1.64001f");
    r[0].media.width = 1280;
    r[0].media.height = 720;
    r[0].media.fps_num = 30;
    r[0].media.fps_den = 1;
    r[0].media.timescale = 90000;
    r[0].bandwidth = 3000000;
    r[0].avg_bandwidth = 2500000;
    r[0].files = v[0];
    r[1] = r[0];
    snprintf(r[1].id, sizeof(r[1].id), "480p");
    r[1].media.width = 854;
    r[1].media.height = 480;
    r[1].bandwidth = 1300000;
    r[1].avg_bandwidth = 1000000;
    r[1].files = v[1];
    snprintf(r[2].id, sizeof(r[2].id), "audio");
    r[2].media.kind = CMAF_AUDIO;
    snprintf(r[2].media.codec, sizeof(r[2].media.codec), "mp4a.40.2");
    r[2].media.channels = 2;
    r[2].media.sample_rate = 48000;
    r[2].media.timescale = 48000;
    r[2].bandwidth = 130000;
    r[2].avg_bandwidth = 128000;
    r[2].files = a;
    m.dynamic = 1;
    m.availability_start = 1795600000;
    m.segment_duration = 10;
    m.segments = segs;
    m.nb_segments = 4;
    m.renditions = r;
    m.nb_renditions = 3;

    is_int(hls_write_master(&m, &x), 0, "master playlist");
    ok(has(x, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"), "header");
    ok(has(x, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",LANGUAGE=\"und\",DEFAULT=YES,"
              "AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/index.m3u8\"\n"), "audio group");
    ok(has(x, "#EXT-X-STREAM-INF:BANDWIDTH=3130000,AVERAGE-BANDWIDTH=2628000,RESOLUTION=1280x720,"
              "CODECS=\"avc1.64001f,mp4a.40.2\",FRAME-RATE=30.000,AUDIO=\"audio\"\n720p/index.m3u8\n"),
       "720p variant: video + audio bandwidths, codecs, frame rate");
    ok(has(x, "RESOLUTION=854x480,") && has(x, "480p/index.m3u8\n"), "480p variant");
    ok(strstr(x, "720p/index.m3u8") < strstr(x, "480p/index.m3u8"), "highest first");
    av_freep(&x);

    is_int(hls_write_media(&m, 0, &x), 0, "media playlist");
    ok(has(x, "#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n"),
       "target duration, media and discontinuity sequence numbers");
    ok(has(x, "#EXT-X-MAP:URI=\"init.mp4\"\n"), "EXT-X-MAP");
    ok(has(x, "#EXT-X-PROGRAM-DATE-TIME:2026-11-25T09:47:30.000Z\n#EXTINF:10.00000,\n5.m4s\n"),
       "program date time on the stream clock");
    ok(has(x, "6.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-11-25T09:48:00.000Z\n"
              "#EXTINF:10.00000,\n8.m4s\n"), "discontinuity before the segment after the gap");
    ok(has(x, "#EXTINF:4.50000,\n9.m4s\n"), "a short last segment");
    ok(!strstr(x, "ENDLIST") && !strstr(x, "PLAYLIST-TYPE"), "live: no ENDLIST");
    ok(has(x, "#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,"
              "CAN-SKIP-UNTIL=60.000,HOLD-BACK=30.000\n"),
       "live: blocking reload, delta updates, HOLD-BACK of 3 target durations");
    av_freep(&x);

    m.dynamic = 0;
    is_int(hls_write_media(&m, 2, &x), 0, "finished audio playlist");
    ok(has(x, "#EXT-X-PLAYLIST-TYPE:VOD\n"), "PLAYLIST-TYPE VOD");
    ok(has(x, "9.m4s\n#EXT-X-ENDLIST\n"), "ENDLIST at the end");
    ok(!strstr(x, "SERVER-CONTROL"), "finished: no HOLD-BACK");
    av_freep(&x);

    m.nb_renditions = 1;
    is_int(hls_write_master(&m, &x), 0, "video only master");
    ok(!strstr(x, "EXT-X-MEDIA") && !strstr(x, "AUDIO=") && has(x, "CODECS=\"avc1.64001f\","),
       "no audio group");
    av_freep(&x);
    m.renditions = &r[2];
    is_int(hls_write_master(&m, &x), 0, "audio only master");
    ok(has(x, "#EXT-X-STREAM-INF:BANDWIDTH=130000,AVERAGE-BANDWIDTH=128000,CODECS=\"mp4a.40.2\"\n"
              "audio/index.m3u8\n"), "one audio variant");
    av_freep(&x);
    is_int(hls_write_media(&m, 1, &x), AVERROR(EINVAL), "bad rendition index");

    /* an average above the peak (short segments count in the average, not
     * in the peak) raises BANDWIDTH to it: AVERAGE-BANDWIDTH <= BANDWIDTH */
    r[2].bandwidth = 100000;
    is_int(hls_write_master(&m, &x), 0, "audio only master, average above peak");
    ok(has(x, "BANDWIDTH=128000,AVERAGE-BANDWIDTH=128000,"), "audio: BANDWIDTH raised to the average");
    av_freep(&x);
    m.renditions = r;
    m.nb_renditions = 3;
    r[0].bandwidth = 2000000;
    is_int(hls_write_master(&m, &x), 0, "master, video average above peak");
    ok(has(x, "BANDWIDTH=2628000,AVERAGE-BANDWIDTH=2628000,RESOLUTION=1280x720"),
       "video + audio: BANDWIDTH raised to the average");
    av_freep(&x);

    /* low latency: the parts of segment 9 (the last listed), of the open
     * segment 10 (two parts; the 480p has one), the hint, the reports */
    {
        ManifestParts parts[3];
        memset(parts, 0, sizeof(parts));
        parts[0].seq = 9;
        snprintf(parts[0].id, sizeof(parts[0].id), "720p");
        parts[0].n = 2;
        parts[0].part[0] = (ManifestPart){ 0.5, 0, 1000, 1 };
        parts[0].part[1] = (ManifestPart){ 0.5, 1000, 800, 0 };
        parts[1] = parts[0];
        parts[1].seq = 10;
        parts[2] = parts[1];
        snprintf(parts[2].id, sizeof(parts[2].id), "480p");
        parts[2].n = 1;
        m.dynamic = 1;
        m.part_target = 0.54;
        m.parts = parts;
        m.nb_parts = 3;
        m.open_seq = 10;
        is_int(hls_write_media(&m, 0, &x), 0, "low-latency media playlist");
        ok(has(x, "PART-HOLD-BACK=1.620\n#EXT-X-PART-INF:PART-TARGET=0.540\n"),
           "PART-INF, PART-HOLD-BACK of 3 part targets");
        ok(has(x, "#EXT-X-PART:DURATION=0.50000,URI=\"9.m4s\",BYTERANGE=\"1000@0\",INDEPENDENT=YES\n"
                  "#EXT-X-PART:DURATION=0.50000,URI=\"9.m4s\",BYTERANGE=\"800@1000\"\n"
                  "#EXTINF:4.50000,\n9.m4s\n"), "a listed segment's parts before its EXTINF");
        ok(has(x, "9.m4s\n#EXT-X-PART:DURATION=0.50000,URI=\"10.m4s\",BYTERANGE=\"1000@0\","
                  "INDEPENDENT=YES\n#EXT-X-PART:DURATION=0.50000,URI=\"10.m4s\",BYTERANGE=\"800@1000\"\n"
                  "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"10.m4s\",BYTERANGE-START=1800\n"),
           "the open segment's parts, then the hint of its next bytes");
        ok(has(x, "#EXT-X-RENDITION-REPORT:URI=\"../480p/index.m3u8\",LAST-MSN=7,LAST-PART=0\n"
                  "#EXT-X-RENDITION-REPORT:URI=\"../audio/index.m3u8\",LAST-MSN=6\n") &&
           !strstr(x, "../720p/"), "a report for every other rendition, none for itself");
        av_freep(&x);
        m.open_complete = 1;
        is_int(hls_write_media(&m, 0, &x), 0, "open segment complete");
        ok(has(x, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"11.m4s\",BYTERANGE-START=0\n"),
           "its last part in: the hint names the next segment's start");
        av_freep(&x);
        m.dynamic = 0;
        is_int(hls_write_media(&m, 0, &x), 0, "finished low-latency playlist");
        ok(!strstr(x, "EXT-X-PART") && !strstr(x, "PRELOAD"), "finished: no parts, no hint");
        av_freep(&x);
    }
    return done();
}
