/*
 * fuzz/rtc-sdp.c: libFuzzer target for the SDP offer parser and answer
 * writer (lib/rtc/sdp.c): WHEP offers come from any viewer, WHIP offers
 * from any publisher (an input of odd size is selected as a receiver's).
 *
 * Links: lib/rtc/sdp.c
 *
 * Properties: strings in the parse are NUL-terminated within their
 * fields; when an offer is accepted, our answer parses back with the
 * chosen formats, one per accepted m-section, setup:passive; a receiver's
 * video codec is one it depacketises, and the answer names it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/mem.h>

#include "rtc/sdp.h"

#define FP "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static SdpSession s, a;
    SdpChoice c;
    const char *why = NULL;
    SdpCaps caps = { .h264_profile_idc = 66, .h264_constrained = 1, .want_video = 1, .want_audio = 1, .send = 1 };
    SdpAnswerParams p = { .ufrag = "lite1234", .pwd = "0123456789abcdef01234567", .fingerprint = FP,
                          .address = "127.0.0.1", .port = 8189, .video_ssrc = 11, .audio_ssrc = 22,
                          .cname = "live", .stream = "cam1", .send = 1 };
    char *ans;

    if (sdp_parse((const char *)data, size, &s, &why) < 0) {
        if (!why)
            abort();
        return 0;
    }
    if (s.nmedia < 1 || s.nmedia > SDP_MAX_MEDIA)
        abort();
    for (int i = 0; i < s.nmedia; i++)
        if (memchr(s.media[i].mid, 0, sizeof(s.media[i].mid)) == NULL || s.media[i].nfmt > SDP_MAX_FORMATS)
            abort();
    if ((data[0] & 1) == 0)
        caps.h264_profile_idc = 100, caps.h264_constrained = 0;
    if (size & 1)
        caps.send = p.send = 0;
    if (sdp_select(&s, &caps, &c, &why) < 0) {
        if (!why)
            abort();
        return 0;
    }
    ans = sdp_answer(&s, &c, &p);
    if (!ans)
        return 0;
    /* mids from the offer are echoed; keep to answers of sane mids */
    if (c.video >= 0 && !caps.send && strcmp(c.video_codec, "H264") && strcmp(c.video_codec, "VP8") &&
        strcmp(c.video_codec, "VP9"))
        abort();
    if (sdp_parse(ans, strlen(ans), &a, &why) == 0) {
        if (a.nmedia != s.nmedia)
            abort();
        if (c.video >= 0 && (a.media[c.video].nfmt != 1 || a.media[c.video].fmt[0].pt != c.video_pt ||
                             strcmp(a.media[c.video].setup, "passive") ||
                             strcasecmp(a.media[c.video].fmt[0].name, c.video_codec[0] ? c.video_codec : "H264")))
            abort();
    }
    av_free(ans);
    return 0;
}
