/* Unit tests for lib/codecs.c on fixed byte arrays. */
#include <libavutil/error.h>

#include "codecs.h"
#include "tap.h"

int main(void)
{
    char s[32];
    /* x264 High@3.1 SPS, Annex B as libx264 puts it in extradata */
    static const uint8_t annexb[] = { 0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9,
                                      0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb };
    /* avcC with a Main@4.0 SPS */
    static const uint8_t avcc[] = { 1, 0x4d, 0x40, 0x28, 0xff, 0xe1, 0, 4,
                                    0x67, 0x4d, 0x40, 0x28, 1, 0, 2, 0x68, 0xee };
    /* an MP4 sample: AUD, SPS (Baseline 3.0) */
    static const uint8_t sample[] = { 0, 0, 0, 2, 0x09, 0xf0, 0, 0, 0, 4,
                                      0x67, 0x42, 0xc0, 0x1e };
    static const uint8_t truncated[] = { 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 40, 0x67 };
    static const uint8_t asc_lc[] = { 0x11, 0x90 };      /* AAC-LC 48 kHz stereo */
    static const uint8_t asc_he[] = { 0x2b, 0x92, 0x08 }; /* SBR (5) */

    is_int(codecs_avc(annexb, sizeof(annexb), s, sizeof(s)), 0, "Annex B SPS");
    is_str(s, "avc1.64001f", "High 3.1");
    is_int(codecs_avc(avcc, sizeof(avcc), s, sizeof(s)), 0, "avcC");
    is_str(s, "avc1.4d4028", "Main 4.0");
    is_int(codecs_avc(sample, sizeof(sample), s, sizeof(s)), 0, "length-prefixed sample");
    is_str(s, "avc1.42c01e", "Constrained Baseline 3.0");
    is_int(codecs_avc(truncated, sizeof(truncated), s, sizeof(s)), AVERROR_INVALIDDATA,
           "avcC SPS length past the end refused");
    is_int(codecs_avc(annexb + 10, 8, s, sizeof(s)), AVERROR_INVALIDDATA, "no SPS");
    is_int(codecs_avc(NULL, 0, s, sizeof(s)), AVERROR_INVALIDDATA, "nothing");
    is_int(codecs_aac(asc_lc, sizeof(asc_lc), s, sizeof(s)), 0, "AAC-LC config");
    is_str(s, "mp4a.40.2", "mp4a.40.2");
    is_int(codecs_aac(asc_he, sizeof(asc_he), s, sizeof(s)), 0, "HE-AAC config");
    is_str(s, "mp4a.40.5", "mp4a.40.5");
    is_int(codecs_aac(NULL, 0, s, sizeof(s)), 0, "no config");
    is_str(s, "mp4a.40.2", "defaults to LC");
    return done();
}
