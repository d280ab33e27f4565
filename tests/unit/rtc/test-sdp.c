/* Unit tests for lib/rtc/sdp.c: a Chromium-style WHEP offer, format
 * choice by profile, the answer, and offers that must be refused. */
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "../tap.h"
#include "rtc/sdp.h"

#define FP "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

static const char offer[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 106 107 127 125 108 109\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1 1 udp 2122260223 127.0.0.1 53211 typ host generation 0\r\n"
    "a=candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0\r\n"
    "a=ice-ufrag:Xy7Z\r\n"
    "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 " FP "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli\r\na=rtcp-fb:102 ccm fir\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=rtpmap:106 H264/90000\r\n"
    "a=rtcp-fb:106 nack\r\na=rtcp-fb:106 nack pli\r\n"
    "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:107 rtx/90000\r\n"
    "a=rtpmap:127 H264/90000\r\n"
    "a=rtcp-fb:127 nack\r\n"
    "a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n"
    "a=rtpmap:125 rtx/90000\r\n"
    "a=rtpmap:108 H264/90000\r\n"
    "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032\r\n"
    "a=rtpmap:109 rtx/90000\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Xy7Z\r\n"
    "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    "a=fingerprint:sha-256 " FP "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n";

static int refused(const char *text, const SdpCaps *caps, const char *want_why)
{
    SdpSession s;
    SdpChoice c;
    const char *why = NULL;
    int r = sdp_parse(text, strlen(text), &s, &why);
    if (r >= 0)
        r = sdp_select(&s, caps, &c, &why);
    if (r != AVERROR_INVALIDDATA || !why || !strstr(why, want_why)) {
        diag("got %d, why \"%s\"", r, why ? why : "(null)");
        return 0;
    }
    return 1;
}

static char *replace(const char *s, const char *from, const char *to)
{
    static char buf[8192];
    const char *p = strstr(s, from);
    if (!p)
        return NULL;
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
    return buf;
}

int main(void)
{
    static SdpSession s, a;
    SdpChoice c;
    SdpCaps caps = { .h264_profile_idc = 66, .h264_constrained = 1, .want_video = 1, .want_audio = 1, .send = 1 };
    SdpAnswerParams p = { .ufrag = "lite1234", .pwd = "0123456789abcdef01234567", .fingerprint = FP,
                          .address = "127.0.0.1", .port = 8189, .video_ssrc = 11, .audio_ssrc = 22,
                          .cname = "live", .stream = "cam1", .send = 1 };
    const char *why = NULL;
    char *ans, big[SDP_MAX_LINE + 100];
    int idc, cons;

    is_int(sdp_parse(offer, strlen(offer), &s, &why), 0, "a Chromium offer parses");
    is_int(s.nmedia, 2, "two m-sections");
    ok(s.bundle, "BUNDLE");
    is_str(s.media[0].kind, "video", "video first");
    is_int(s.media[0].nfmt, 10, "ten video formats");
    is_int(s.media[0].dir, SDP_RECVONLY, "recvonly");
    is_int(s.media[0].candidates, 2, "two candidates");
    is_int(s.media[0].udp_candidates, 1, "one of them UDP");
    is_str(s.media[1].ufrag, "Xy7Z", "ice-ufrag");
    is_str(s.media[1].fingerprint, FP, "fingerprint");

    is_int(sdp_select(&s, &caps, &c, &why), 0, "constrained baseline is chosen");
    is_int(c.video_pt, 106, "as PT 106 (packetization-mode=1, 42e01f), not 102 (mode 0)");
    is_int(c.audio_pt, 111, "Opus as 111");
    ok(c.video_nack && c.video_pli, "NACK and PLI feedback offered");
    caps.h264_profile_idc = 100;
    caps.h264_constrained = 0;
    sdp_select(&s, &caps, &c, &why);
    is_int(c.video_pt, 108, "a High profile stream goes as 108 (640032)");
    caps.h264_profile_idc = 77;
    sdp_select(&s, &caps, &c, &why);
    is_int(c.video_pt, 127, "a Main profile stream goes as 127 (4d001f)");
    caps.h264_profile_idc = 66;
    caps.h264_constrained = 1;
    sdp_select(&s, &caps, &c, &why);

    ans = sdp_answer(&s, &c, &p);
    ok(ans != NULL, "an answer is written");
    ok(strstr(ans, "a=ice-lite\r\n") && strstr(ans, "a=group:BUNDLE 0 1\r\n") && strstr(ans, "a=setup:passive\r\n"),
       "ice-lite, BUNDLE, setup:passive");
    ok(strstr(ans, "m=video 8189 UDP/TLS/RTP/SAVPF 106\r\n") && strstr(ans, "m=audio 8189 UDP/TLS/RTP/SAVPF 111\r\n"),
       "one format per m-section");
    ok(strstr(ans, "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f") != NULL,
       "the H.264 fmtp");
    ok(strstr(ans, "a=sendonly") && strstr(ans, "a=ssrc:11 cname:live") && strstr(ans, "a=rtcp-mux"),
       "sendonly, SSRCs, rtcp-mux");
    ok(strstr(ans, "a=candidate:1 1 udp 2130706431 127.0.0.1 8189 typ host") != NULL, "our host candidate");
    is_int(sdp_parse(ans, strlen(ans), &a, &why), 0, "the answer parses back");
    ok(a.nmedia == 2 && a.media[0].nfmt == 1 && a.media[0].dir == SDP_SENDONLY && !strcmp(a.media[0].setup, "passive"),
       "as what it says");
    av_free(ans);

    ok(!sdp_h264_profile("profile-level-id=64001f;packetization-mode=1", &idc, &cons) && idc == 100 && cons == 0,
       "profile-level-id read");
    ok(sdp_h264_profile("profile-level-id=64001", &idc, &cons) < 0, "a 5-digit profile-level-id is refused");

    ok(refused("", &caps, "empty"), "an empty body is refused");
    ok(refused("hello\r\n", &caps, "x=..."), "a non-SDP body is refused");
    ok(refused("v=0\r\ns=-\r\n", &caps, "no m= section"), "SDP without media is refused");
    memset(big, 'a', sizeof(big));
    memcpy(big, "v=0\r\na=", 7);
    big[sizeof(big) - 1] = 0;
    ok(refused(big, &caps, "too long"), "an overlong line is refused");
    {
        char tmp[8192];
        snprintf(tmp, sizeof(tmp), "%s", replace(offer, "a=rtpmap:106 H264/90000\r\n", "a=rtpmap:106 VP9/90000\r\n"));
        snprintf(tmp, sizeof(tmp), "%s", replace(tmp, "a=rtpmap:127 H264/90000\r\n", "a=rtpmap:127 AV1/90000\r\n"));
        ok(refused(replace(tmp, "a=rtpmap:108 H264/90000\r\n", "a=rtpmap:108 AV1/90000\r\n"), &caps, "no H.264"),
           "an offer without usable H.264 is refused");
    }
    ok(refused(replace(offer, "a=candidate:1 1 udp", "a=candidate:1 1 tcp"), &caps, "usable ICE candidate"),
       "an offer with only TCP candidates is refused");
    ok(refused(replace(offer, "a=rtcp-mux\r\na=rtcp-rsize", "a=rtcp-rsize"), &caps, "rtcp-mux"),
       "an offer without rtcp-mux is refused");
    ok(refused(replace(offer, "a=recvonly\r\na=rtcp-mux\r\na=rtcp-rsize", "a=sendonly\r\na=rtcp-mux\r\na=rtcp-rsize"),
               &caps, "H.264"),
       "a sendonly video section is not used to send");
    {
        char *x = replace(offer, "a=ice-ufrag:Xy7Z\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options",
                          "a=ice-options");
        ok(refused(x, &caps, "ICE credentials"), "an offer without ICE credentials is refused");
    }
    caps.want_audio = 0;
    is_int(sdp_parse(offer, strlen(offer), &s, &why), 0, "parse again");
    is_int(sdp_select(&s, &caps, &c, &why), 0, "a video-only stream");
    is_int(c.audio, -1, "leaves audio out");
    ans = sdp_answer(&s, &c, &p);
    ok(ans && strstr(ans, "m=audio 0 ") && strstr(ans, "a=group:BUNDLE 0\r\n"), "rejected with port 0, out of BUNDLE");
    av_free(ans);

    /* WHIP: we receive; H.264 first, else VP8, else VP9 */
    {
        static char pub[8192], tmp[8192];
        SdpCaps rc = { .want_video = 1, .want_audio = 1, .send = 0 };
        snprintf(tmp, sizeof(tmp), "%s", replace(offer, "a=recvonly", "a=sendonly"));
        snprintf(pub, sizeof(pub), "%s", replace(tmp, "a=recvonly", "a=sendonly"));
        is_int(sdp_parse(pub, strlen(pub), &s, &why), 0, "a publisher's offer parses");
        is_int(sdp_select(&s, &caps, &c, &why), AVERROR_INVALIDDATA, "sending to a publisher: refused");
        is_int(sdp_select(&s, &rc, &c, &why), 0, "receiving from it: accepted");
        ok(c.video_pt == 106 && !strcmp(c.video_codec, "H264") && c.audio_pt == 111,
           "H.264 constrained baseline (mode 1) and Opus are chosen");
        p.send = 0;
        ans = sdp_answer(&s, &c, &p);
        ok(ans && strstr(ans, "a=recvonly\r\n") && !strstr(ans, "a=ssrc:") && strstr(ans, "a=rtpmap:106 H264/90000"),
           "the answer receives H.264, with no SSRCs of ours");
        ok(ans && strstr(ans, "a=rtcp-fb:106 goog-remb\r\n"), "and REMB for the publisher's congestion control");
        av_free(ans);
        /* no H.264 in mode 1: VP8 */
        snprintf(tmp, sizeof(tmp), "%s", replace(pub, "packetization-mode=1;profile-level-id=42e01f", "x=1"));
        snprintf(pub, sizeof(pub), "%s", replace(tmp, "packetization-mode=1;profile-level-id=4d001f", "x=1"));
        snprintf(tmp, sizeof(tmp), "%s", replace(pub, "packetization-mode=1;profile-level-id=640032", "x=1"));
        sdp_parse(tmp, strlen(tmp), &s, &why);
        is_int(sdp_select(&s, &rc, &c, &why), 0, "without H.264 in mode 1");
        ok(c.video_pt == 96 && !strcmp(c.video_codec, "VP8"), "VP8 is chosen");
        ans = sdp_answer(&s, &c, &p);
        ok(ans && strstr(ans, "a=rtpmap:96 VP8/90000\r\n") && strstr(ans, "a=rtcp-fb:96 nack pli"),
           "and answered with NACK and PLI");
        av_free(ans);
        snprintf(pub, sizeof(pub), "%s", replace(tmp, "VP8/90000", "AV1/90000"));
        ok(refused(pub, &rc, "no H.264 (packetization-mode=1), VP8 or VP9"), "video in none of them: refused");
    }
    return done();
}
