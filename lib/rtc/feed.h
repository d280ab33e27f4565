/*
 * rtc/feed.h: one live stream as the WebRTC stage takes it in: FLV tags
 * (as live-ingest writes them) or the packets of MPEG-TS and Matroska
 * (feedpkt.h) in, RTP-ready media frames out, once per stream whatever
 * the number of viewers.
 *
 *   H.264 --no B-frames, baseline/main/high--> H.264 passed through
 *         --otherwise--> decode -> libx264 (zerolatency, no B-frames,
 *                        constrained baseline) -> H.264
 *   HEVC, AV1, VP9, VP8 --> decode -> libx264 (the same) -> H.264
 *   AAC   --> decode -> resample 48 kHz stereo -> libopus 20 ms
 *   Opus  --> passed through
 *
 * Frames come out through a callback with RTP timestamps (90 kHz video,
 * 48 kHz audio) on one clock: FLV milliseconds. The last keyframe (with
 * its SPS and PPS) is kept for viewers that join or ask for a picture
 * (PLI/FIR); when the rung is ours, a keyframe can be forced instead.
 */
#ifndef LIVE_RTC_FEED_H
#define LIVE_RTC_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "rtc/feedpkt.h"

#define RTC_FEED_MAX_NALS 64

typedef struct RtcFrame {
    int video;
    uint32_t ts;                /* RTP clock: 90 kHz video, 48 kHz audio */
    int64_t ms;                 /* the same instant in FLV milliseconds */
    int keyframe;
    int n;                      /* video: NAL units */
    const uint8_t *nals[RTC_FEED_MAX_NALS];
    size_t sizes[RTC_FEED_MAX_NALS];
    const uint8_t *data;        /* audio: one Opus packet */
    size_t size;
} RtcFrame;

typedef void (*RtcFrameFn)(void *opaque, const RtcFrame *f);

typedef struct RtcFeed RtcFeed;

/* A feed for stream name; frames go to fn(opaque, ...) during
 * rtc_feed_tag. 0 or AVERROR(ENOMEM). */
int rtc_feed_new(RtcFeed **out, const char *name, RtcFrameFn fn, void *opaque);
void rtc_feed_free(RtcFeed **f);

/* One FLV tag (type 8, 9 or 18) with its timestamp in ms. Bad media is
 * logged and skipped (0); a negative AVERROR only for out of memory or
 * a codec library failing. */
int rtc_feed_tag(RtcFeed *f, int type, uint32_t timestamp, const uint8_t *body, size_t size);

/* One record of a feed that is not FLV (feedpkt.h: MPEG-TS or Matroska
 * demultiplexed by the tee): H.264 without B-frames in a browser profile
 * is passed through, any other video (HEVC, AV1, VP9, VP8, H.264 with
 * B-frames) becomes our rung; AAC is encoded to Opus, Opus passed
 * through. Bad media is logged and skipped: always 0. */
int rtc_feed_packet(RtcFeed *f, const RtcFeedPkt *p);

/* The H.264 profile viewers will get: 0 with *profile_idc (66, 77, 100)
 * and *constrained, or AVERROR(EAGAIN) before the first video sequence
 * header (and keyframe, when encoding). */
int rtc_feed_video_profile(const RtcFeed *f, int *profile_idc, int *constrained);
int rtc_feed_has_audio(const RtcFeed *f);
int rtc_feed_has_video(const RtcFeed *f);
/* Encode our rung from now on (a viewer cannot decode the source's
 * profile): every viewer of the stream gets it, from the next keyframe. */
void rtc_feed_use_rung(RtcFeed *f);
/* 1 when the video is our own rung (encoded here), 0 when passed through. */
int rtc_feed_encoding(const RtcFeed *f);

/* The last keyframe as a frame, or NULL. Valid until the next
 * rtc_feed_tag. */
const RtcFrame *rtc_feed_keyframe(const RtcFeed *f);
/* The current GOP when the video is passed through: the frames since
 * the last keyframe (that one first), for a viewer that joins to start
 * from at once rather than at the next keyframe. Returns the count;
 * frame i into *out (pointers valid until the next rtc_feed_tag). At most
 * RTC_FEED_GOP_FRAMES frames or RTC_FEED_GOP_BYTES bytes are kept: a
 * longer GOP is not cached (0) and joins wait for the next keyframe. */
#define RTC_FEED_GOP_FRAMES 600
#define RTC_FEED_GOP_BYTES (8u << 20)
int rtc_feed_gop_count(const RtcFeed *f);
void rtc_feed_gop_frame(const RtcFeed *f, int i, RtcFrame *out);

/* Ask for a keyframe: the encoder makes the next frame an IDR when the
 * rung is ours (at most every 500 ms). Returns 1 when one will come. */
int rtc_feed_force_keyframe(RtcFeed *f, int64_t now_us);

const char *rtc_feed_name(const RtcFeed *f);

#endif
