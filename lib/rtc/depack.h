/*
 * rtc/depack.h: the receive side of RTP payload formats, for WHIP
 * publishers: packets (in sequence order, from jitter.c) in, whole
 * frames out. No I/O.
 *
 *   H.264 (RFC 6184, packetization-mode 1)
 *     type 1..23  single NAL unit
 *     type 24     STAP-A: NAL hdr, then per NAL: size (16), NAL unit
 *     type 28     FU-A: FU indicator (F NRI 28), FU header (S E R type), data
 *     -> Annex B (00 00 00 01 before every NAL unit), one access unit
 *   VP8 (RFC 7741): descriptor |X|R|N|S|R| PID | [I|L|T|K|RSV]
 *     [PictureID 7/15] [TL0PICIDX] [TID|Y|KEYIDX], then the VP8 payload;
 *     a frame starts at S=1, PID=0 and is a keyframe when bit 0 of its
 *     first byte is 0
 *   VP9 (RFC 9628): descriptor |I|P|L|F|B|E|V|Z| [PictureID] [layer
 *     indices] [P_DIFFs] [scalability structure]; B starts, E ends a
 *     frame; a frame with B=1, P=0 is a keyframe
 *   Opus (RFC 7587): the payload is one packet
 *
 * A video frame ends at the RTP marker bit. A loss (the jitter buffer
 * gave up on a packet) inside a frame drops that frame; any video loss
 * drops the frames after it until a keyframe (rtc_depack_need_key: the
 * caller sends a PLI). Every length inside a payload is checked against
 * what is left of it; a frame is at most RTC_DEPACK_MAX_FRAME bytes.
 */
#ifndef LIVE_RTC_DEPACK_H
#define LIVE_RTC_DEPACK_H

#include <stddef.h>
#include <stdint.h>

#define RTC_DEPACK_MAX_FRAME (4u << 20)

enum RtcCodec { RTC_CODEC_NONE = 0, RTC_CODEC_H264, RTC_CODEC_VP8, RTC_CODEC_VP9, RTC_CODEC_OPUS };

typedef struct RtcDepackFrame {
    const uint8_t *data;        /* valid until the next rtc_depack_put */
    size_t size;
    uint32_t ts;                /* RTP timestamp */
    int keyframe;
} RtcDepackFrame;

typedef struct RtcDepackStats {
    uint64_t packets, frames, bad_packets, dropped_frames, keyframes;
} RtcDepackStats;

typedef struct RtcDepack {
    enum RtcCodec codec;
    uint8_t *buf, *out;         /* the frame being assembled; the last one given out */
    size_t len, cap, out_cap;
    uint32_t ts;
    int open;                   /* a frame is being assembled */
    int broken;                 /* ... and it lost a piece */
    int key;                    /* ... and it is a keyframe */
    int fu_open;                /* H.264: inside an FU-A */
    int need_key;               /* drop until a keyframe */
    RtcDepackStats st;
} RtcDepack;

/* A depacketiser for codec; it waits for a keyframe first. 0 or
 * AVERROR(EINVAL). */
int rtc_depack_init(RtcDepack *d, enum RtcCodec codec);
void rtc_depack_free(RtcDepack *d);

/*
 * One packet's payload (RTP header and padding removed) in sequence
 * order; lost: packets just before this one were given up on. Returns 1
 * with *f set when a frame is complete, 0 when none is (yet), or
 * AVERROR_INVALIDDATA for a malformed payload (dropped with the frame it
 * belongs to).
 */
int rtc_depack_put(RtcDepack *d, const uint8_t *p, size_t len, uint32_t ts, int marker, int lost,
                   RtcDepackFrame *f);

/* 1 while video is dropped for want of a keyframe (ask the sender). */
int rtc_depack_need_key(const RtcDepack *d);

/* The codec of an SDP rtpmap name ("H264", "VP8", "VP9", "opus"), or
 * RTC_CODEC_NONE. */
enum RtcCodec rtc_codec_from_name(const char *name);
const char *rtc_codec_name(enum RtcCodec c);

#endif
