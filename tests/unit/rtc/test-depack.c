/* Unit tests for lib/rtc/depack.c: H.264 single NAL / STAP-A / FU-A
 * from rtp.c's own packetiser and by hand, VP8 and VP9 descriptors,
 * Opus, losses (the frame and what follows until a keyframe dropped),
 * malformed payloads. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "rtc/depack.h"
#include "rtc/rtp.h"

typedef struct Pkts {
    int n;
    size_t len[64];
    uint8_t pkt[64][RTP_MAX_PACKET];
} Pkts;

static int keep(void *opaque, const uint8_t *p, size_t len)
{
    Pkts *c = opaque;
    if (c->n >= 64)
        return AVERROR(ENOSPC);
    memcpy(c->pkt[c->n], p, len);
    c->len[c->n++] = len;
    return 0;
}

/* Feeds packets [from, to) skipping `skip` (-1: none); the frames' count. */
static int feed(RtcDepack *d, Pkts *c, int from, int to, int skip, RtcDepackFrame *last)
{
    int frames = 0, lost = 0;
    for (int i = from; i < to; i++) {
        RtpHeader h;
        RtcDepackFrame f;
        if (i == skip) {
            lost = 1;
            continue;
        }
        rtp_parse(c->pkt[i], c->len[i], &h);
        if (rtc_depack_put(d, c->pkt[i] + h.header_size, h.payload_size, h.ts, h.marker, lost, &f) == 1) {
            frames++;
            *last = f;
        }
        lost = 0;
    }
    return frames;
}

int main(void)
{
    static Pkts cap;
    static uint8_t idr[5000], pframe[300];
    uint8_t sps[] = { 0x67, 0x42, 0xe0, 0x1f, 0xda, 0x01 }, pps[] = { 0x68, 0xce, 0x3c, 0x80 };
    const uint8_t *nals[4];
    size_t sizes[4];
    RtpSender s;
    RtcDepack d;
    RtcDepackFrame f = { 0 };
    int n;

    plan(26);
    for (size_t i = 0; i < sizeof(idr); i++)
        idr[i] = (uint8_t)(i * 7 + 1);
    idr[0] = 0x65;
    memset(pframe, 0x5a, sizeof(pframe));
    pframe[0] = 0x41;

    /* H.264: STAP-A (SPS, PPS) + FU-A (IDR), then a single-NAL P frame */
    rtp_sender_init(&s, 1, 102, 1200);
    nals[0] = sps; sizes[0] = sizeof(sps);
    nals[1] = pps; sizes[1] = sizeof(pps);
    nals[2] = idr; sizes[2] = sizeof(idr);
    rtp_h264_send(&s, nals, sizes, 3, 3000, keep, &cap);
    nals[0] = pframe; sizes[0] = sizeof(pframe);
    rtp_h264_send(&s, nals, sizes, 1, 6000, keep, &cap);
    n = cap.n;
    is_int(rtc_depack_init(&d, RTC_CODEC_H264), 0, "an H.264 depacketiser");
    is_int(feed(&d, &cap, 0, n - 1, -1, &f), 1, "the IDR access unit comes out whole");
    ok(f.keyframe && f.ts == 3000, "as a keyframe at its timestamp");
    is_int(f.size, 3 * 4 + sizeof(sps) + sizeof(pps) + sizeof(idr), "with start codes before SPS, PPS and IDR");
    ok(!memcmp(f.data, "\0\0\0\1", 4) && !memcmp(f.data + 4, sps, sizeof(sps)) &&
       !memcmp(f.data + 4 + sizeof(sps) + 4, pps, sizeof(pps)) &&
       !memcmp(f.data + 12 + sizeof(sps) + sizeof(pps), idr, sizeof(idr)), "byte for byte (Annex B)");
    is_int(feed(&d, &cap, n - 1, n, -1, &f), 1, "a single-NAL P frame");
    ok(!f.keyframe && f.size == 4 + sizeof(pframe) && f.ts == 6000, "not a keyframe, one NAL unit");
    rtc_depack_free(&d);

    /* a lost FU-A fragment: that frame and the P frame after it go */
    rtc_depack_init(&d, RTC_CODEC_H264);
    is_int(feed(&d, &cap, 0, n, 3, &f), 0, "an IDR with a lost fragment is dropped, and the P frame after it");
    is_int(rtc_depack_need_key(&d), 1, "a keyframe is wanted (PLI)");
    is_int(feed(&d, &cap, 0, n - 1, -1, &f), 1, "the next IDR is taken");
    is_int(rtc_depack_need_key(&d), 0, "nothing is wanted then");
    rtc_depack_free(&d);

    /* the first frame is not a keyframe: dropped */
    rtc_depack_init(&d, RTC_CODEC_H264);
    is_int(feed(&d, &cap, n - 1, n, -1, &f), 0, "a P frame before any keyframe is dropped");
    {
        uint8_t bad[] = { 0x7c, 0x05, 1, 2, 3 };       /* FU-A middle without a start */
        uint8_t stap[] = { 0x78, 0x00, 0x09, 0x67 };   /* STAP-A size past the end */
        uint8_t fub[] = { 0x7d, 0x85, 1 };             /* FU-B */
        is_int(rtc_depack_put(&d, bad, sizeof(bad), 1, 1, 0, &f), AVERROR_INVALIDDATA, "an FU-A without its start");
        is_int(rtc_depack_put(&d, stap, sizeof(stap), 2, 1, 0, &f), AVERROR_INVALIDDATA,
               "a STAP-A NAL size past the payload");
        is_int(rtc_depack_put(&d, fub, sizeof(fub), 3, 1, 0, &f), AVERROR_INVALIDDATA, "FU-B (not mode 1)");
        is_int(rtc_depack_put(&d, fub, 0, 4, 1, 0, &f), AVERROR_INVALIDDATA, "an empty payload");
    }
    rtc_depack_free(&d);

    /* VP8: X=1 with a 15-bit PictureID; a keyframe in two packets, then an inter frame */
    rtc_depack_init(&d, RTC_CODEC_VP8);
    {
        uint8_t k1[] = { 0x90, 0x80, 0x80, 0x01, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a };
        uint8_t k2[] = { 0x80, 0x80, 0x80, 0x01, 0xaa, 0xbb };
        uint8_t p1[] = { 0x10, 0x31, 0x00, 0x00 };
        uint8_t trunc[] = { 0x90, 0x80, 0x80 };
        int r1 = rtc_depack_put(&d, k1, sizeof(k1), 90, 0, 0, &f);
        int r2 = rtc_depack_put(&d, k2, sizeof(k2), 90, 1, 0, &f);
        ok(r1 == 0 && r2 == 1 && f.keyframe && f.size == 6 + 2 && f.data[0] == 0x10 && f.data[6] == 0xaa,
           "VP8: a keyframe from two packets, descriptors removed");
        is_int(rtc_depack_put(&d, p1, sizeof(p1), 180, 1, 0, &f), 1, "VP8: an inter frame");
        ok(!f.keyframe && f.size == 3, "not a keyframe (P bit set)");
        is_int(rtc_depack_put(&d, trunc, sizeof(trunc), 270, 1, 0, &f), AVERROR_INVALIDDATA,
               "VP8: a descriptor cut short");
    }
    rtc_depack_free(&d);

    /* VP9: I (7-bit id) + V (one layer with its size), B and E in one packet, then an inter frame in two */
    rtc_depack_init(&d, RTC_CODEC_VP9);
    {
        uint8_t k[] = { 0x8e, 0x05, 0x10, 0x02, 0x80, 0x01, 0x68, 0x82, 0x49, 0x83 };
        uint8_t p1[] = { 0xc8, 0x06, 0x11, 0x22 }, p2[] = { 0xc4, 0x06, 0x33 };
        uint8_t bad[] = { 0x0e, 0x18 };    /* V with Y: sizes past the end */
        is_int(rtc_depack_put(&d, k, sizeof(k), 90, 1, 0, &f), 1, "VP9: a keyframe in one packet");
        ok(f.keyframe && f.size == 3 && f.data[0] == 0x82, "after its scalability structure");
        int r1 = rtc_depack_put(&d, p1, sizeof(p1), 180, 0, 0, &f);
        int r2 = rtc_depack_put(&d, p2, sizeof(p2), 180, 1, 0, &f);
        ok(r1 == 0 && r2 == 1 && !f.keyframe && f.size == 3, "VP9: an inter frame from two packets");
        is_int(rtc_depack_put(&d, bad, sizeof(bad), 270, 1, 0, &f), AVERROR_INVALIDDATA,
               "VP9: a scalability structure past the payload");
    }
    rtc_depack_free(&d);

    /* Opus: every packet is a frame, losses or not */
    rtc_depack_init(&d, RTC_CODEC_OPUS);
    {
        uint8_t o[] = { 0xfc, 1, 2, 3 };
        ok(rtc_depack_put(&d, o, sizeof(o), 960, 0, 1, &f) == 1 && f.size == 4 && f.ts == 960,
           "Opus: a packet is a frame, after a loss too");
    }
    rtc_depack_free(&d);
    ok(rtc_codec_from_name("h264") == RTC_CODEC_H264 && rtc_codec_from_name("VP9") == RTC_CODEC_VP9 &&
       rtc_codec_from_name("AV1") == RTC_CODEC_NONE, "codec names");
    return done();
}
