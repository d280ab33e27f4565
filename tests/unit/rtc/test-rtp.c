/* Unit tests for lib/rtc/rtp.c: headers, NAL splitting, H.264 single
 * NAL / STAP-A / FU-A packetisation reassembled by hand, Opus. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "rtc/rtp.h"

typedef struct Capture {
    int n;
    size_t len[64];
    uint8_t pkt[64][RTP_MAX_PACKET];
} Capture;

static int cap_emit(void *opaque, const uint8_t *p, size_t len)
{
    Capture *c = opaque;
    if (c->n >= 64)
        return AVERROR(ENOSPC);
    memcpy(c->pkt[c->n], p, len);
    c->len[c->n++] = len;
    return 0;
}

int main(void)
{
    static Capture cap;
    RtpSender s;
    RtpHeader h;
    static uint8_t idr[5000], re[5000];
    uint8_t sps[] = { 0x67, 0x42, 0xe0, 0x1f, 0xda, 0x01 }, pps[] = { 0x68, 0xce, 0x3c, 0x80 };
    uint8_t aud[] = { 0x09, 0xf0 };
    const uint8_t *nals[8];
    size_t sizes[8], rl = 0;
    int n, ok_fu = 1;

    for (size_t i = 0; i < sizeof(idr); i++)
        idr[i] = (uint8_t)(i * 7 + 1);
    idr[0] = 0x65;

    rtp_sender_init(&s, 0x11223344, 102, 1200);
    s.seq = 65534;
    nals[0] = aud; sizes[0] = sizeof(aud);
    nals[1] = sps; sizes[1] = sizeof(sps);
    nals[2] = pps; sizes[2] = sizeof(pps);
    nals[3] = idr; sizes[3] = sizeof(idr);
    is_int(rtp_h264_send(&s, nals, sizes, 4, 90000, cap_emit, &cap), 0, "an IDR access unit is packetised");
    is_int(cap.n, 1 + 5, "one STAP-A and five FU-A packets (5000 bytes at MTU 1200)");
    is_int(rtp_parse(cap.pkt[0], cap.len[0], &h), 0, "the first parses");
    ok(h.pt == 102 && h.seq == 65534 && h.ts == 90000 && h.ssrc == 0x11223344 && !h.marker, "header fields");
    is_int(cap.pkt[0][12] & 0x1f, 24, "it is a STAP-A");
    ok(cap.pkt[0][13] == 0 && cap.pkt[0][14] == sizeof(sps) && !memcmp(cap.pkt[0] + 15, sps, sizeof(sps)),
       "holding the SPS");
    ok(!memcmp(cap.pkt[0] + 15 + sizeof(sps) + 2, pps, sizeof(pps)), "and the PPS");
    for (int i = 1; i < cap.n; i++) {
        rtp_parse(cap.pkt[i], cap.len[i], &h);
        const uint8_t *pl = cap.pkt[i] + h.header_size;
        if ((pl[0] & 0x1f) != 28 || (pl[1] & 0x1f) != 5 || !!(pl[1] & 0x80) != (i == 1) ||
            !!(pl[1] & 0x40) != (i == cap.n - 1) || h.marker != (i == cap.n - 1) || cap.len[i] > 1200)
            ok_fu = 0;
        if (i == 1)
            re[rl++] = (uint8_t)((pl[0] & 0xe0) | (pl[1] & 0x1f));
        memcpy(re + rl, pl + 2, h.payload_size - 2);
        rl += h.payload_size - 2;
    }
    ok(ok_fu, "FU-A start/end bits, types, marker only on the last, none over the MTU");
    ok(rl == sizeof(idr) && !memcmp(re, idr, rl), "the FU-A fragments reassemble to the NAL unit");
    rtp_parse(cap.pkt[cap.n - 1], cap.len[cap.n - 1], &h);
    is_int(h.seq, 3, "sequence numbers wrap");
    is_int(s.packets, 6, "packets counted for SR");

    cap.n = 0;
    nals[0] = idr; sizes[0] = 100;
    idr[0] = 0x41;
    is_int(rtp_h264_send(&s, nals, sizes, 1, 93000, cap_emit, &cap), 0, "a small slice");
    rtp_parse(cap.pkt[0], cap.len[0], &h);
    ok(cap.n == 1 && h.marker && h.payload_size == 100 && !memcmp(cap.pkt[0] + 12, idr, 100),
       "goes as one single NAL unit packet with the marker");
    idr[0] = 0x81;
    is_int(rtp_h264_send(&s, nals, sizes, 1, 93000, cap_emit, &cap), AVERROR_INVALIDDATA,
           "a forbidden_zero_bit is refused");

    /* splitting */
    {
        static const uint8_t annexb[] = { 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5 };
        static const uint8_t avcc[] = { 0, 0, 0, 2, 0x67, 1, 0, 0, 0, 3, 0x65, 4, 5 };
        static const uint8_t bad[] = { 0, 0, 0, 9, 0x67, 1 };
        n = rtp_h264_split(annexb, sizeof(annexb), 0, nals, sizes, 8);
        ok(n == 3 && sizes[0] == 3 && sizes[1] == 2 && sizes[2] == 3 && nals[2][0] == 0x65,
           "Annex B splits into three NAL units");
        n = rtp_h264_split(avcc, sizeof(avcc), 4, nals, sizes, 8);
        ok(n == 2 && sizes[0] == 2 && sizes[1] == 3, "length-prefixed splits into two");
        is_int(rtp_h264_split(bad, sizeof(bad), 4, nals, sizes, 8), AVERROR_INVALIDDATA,
               "a length past the end is refused");
    }

    /* opus */
    cap.n = 0;
    rtp_sender_init(&s, 5, 111, 1200);
    is_int(rtp_opus_send(&s, (const uint8_t *)"\xfc\x01\x02", 3, 960, cap_emit, &cap), 0, "an Opus packet");
    rtp_parse(cap.pkt[0], cap.len[0], &h);
    ok(h.pt == 111 && h.ts == 960 && h.payload_size == 3, "with its payload");

    /* parse checks */
    {
        uint8_t p[40] = { 0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 9 };
        is_int(rtp_parse(p, 20, &h), AVERROR_INVALIDDATA, "an extension past the end is refused");
        p[0] = 0xa0;
        p[19] = 30;
        is_int(rtp_parse(p, 20, &h), AVERROR_INVALIDDATA, "padding past the payload is refused");
        p[0] = 0x8f;
        is_int(rtp_parse(p, 20, &h), AVERROR_INVALIDDATA, "15 CSRCs in 20 bytes are refused");
        ok(rtp_is_rtcp((const uint8_t *)"\x80\xc8", 2) && !rtp_is_rtcp((const uint8_t *)"\x80\x66", 2),
           "RTCP told from RTP");
    }
    return done();
}
