/*
 * fuzz/rtc-depack.c: libFuzzer target for what a WHIP publisher sends:
 * RTP payloads through the jitter buffer and the H.264, VP8, VP9 and
 * Opus depacketisers (lib/rtc/jitter.c, lib/rtc/depack.c).
 *
 * Links: lib/rtc/depack.c lib/rtc/jitter.c lib/rtc/rtp.c
 *
 * The first byte picks the codec. The rest is a list of packets: a
 * 2-byte length, a 2-byte sequence number, a flags byte (marker, time
 * step) and the payload. Properties: frames are never over the bound and
 * lie in the depacketiser's buffer; H.264 frames are Annex B (they
 * start with a start code); a keyframe is given out before any other
 * video frame; the jitter buffer gives packets out in increasing
 * sequence order, within its bounds, and NACKs stay bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "rtc/depack.h"
#include "rtc/jitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum RtcCodec codecs[] = { RTC_CODEC_H264, RTC_CODEC_VP8, RTC_CODEC_VP9, RTC_CODEC_OPUS };
    RtcDepack d;
    RtcJitter j;
    enum RtcCodec c;
    size_t off = 1;
    uint32_t ts = 0;
    int64_t now = 0;
    int frames = 0, have_last = 0;
    uint16_t last = 0, nk[RTC_JITTER_MAX_NACK];

    if (size < 1)
        return 0;
    c = codecs[data[0] & 3];
    if (rtc_depack_init(&d, c) < 0 || rtc_jitter_init(&j, 64, 50000, 1) < 0)
        abort();
    while (size - off >= 5) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        uint16_t seq = (uint16_t)(data[off + 2] << 8 | data[off + 3]);
        uint8_t fl = data[off + 4];
        RtcJitterPacket p;
        off += 5;
        if (len > size - off)
            len = size - off;
        ts += (fl >> 1) * 1500u;
        now += (fl >> 4) * 10000;
        rtc_jitter_put(&j, seq, ts, fl & 1, data + off, len, now);
        off += len;
        if (rtc_jitter_nacks(&j, now, nk, RTC_JITTER_MAX_NACK) > RTC_JITTER_MAX_NACK)
            abort();
        while (rtc_jitter_pop(&j, now, &p) == 1) {
            RtcDepackFrame f;
            if (p.len > RTP_MAX_PACKET)
                abort();
            if (have_last && !p.lost && p.seq != (uint16_t)(last + 1))
                abort();    /* in order, or said to be after a loss */
            last = p.seq;
            have_last = 1;
            if (rtc_depack_put(&d, p.data, p.len, p.ts, p.marker, p.lost, &f) == 1) {
                if (!f.size || f.size > RTC_DEPACK_MAX_FRAME)
                    abort();
                if (c == RTC_CODEC_H264 && memcmp(f.data, "\0\0\0\1", 4))
                    abort();
                if (c != RTC_CODEC_OPUS && !frames && !f.keyframe)
                    abort();
                frames++;
            }
        }
    }
    rtc_depack_free(&d);
    rtc_jitter_free(&j);
    return 0;
}
