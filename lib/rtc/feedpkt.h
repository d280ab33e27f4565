/*
 * rtc/feedpkt.h: the packet framing of a WebRTC feed whose input is not
 * FLV (live-pipe(5), "The WebRTC feed"). A `live-rtc -f` tee that reads
 * MPEG-TS (SRT, HEVC Enhanced RTMP) or Matroska (WHIP, AV1/VP9
 * Enhanced RTMP) demultiplexes it and sends live-rtc its packets in
 * this framing instead of the container, so that live-rtc reads every
 * input alike and the tee can drop whole packets when live-rtc is slow.
 *
 *   magic    "LPKT"
 *   record   type(1) length(4: of what follows) ...
 *     'C'    track(1: 0 video, 1 audio) codec FourCC(4) extradata(rest)
 *     'P'    track(1) flags(1: bit 0 keyframe) pts(8) dts(8) data(rest)
 *
 * Integers are big-endian; times are signed milliseconds on the input's
 * clock (dts is pts when the input has no dts). A config record comes
 * before the first packet of its track and again when the codec or its
 * extradata changes. FourCCs: avc1 hvc1 av01 vp09 vp08 (video, as the
 * container has it: avcC/hvcC with length-prefixed NAL units from
 * Matroska, Annex B without extradata from MPEG-TS), mp4a (AAC: raw with
 * its AudioSpecificConfig, or ADTS without), Opus (with its OpusHead).
 * No I/O here.
 */
#ifndef LIVE_RTC_FEEDPKT_H
#define LIVE_RTC_FEEDPKT_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

#define RTC_FEEDPKT_MAGIC "LPKT"
#define RTC_FEEDPKT_MAGIC_SIZE 4
#define RTC_FEEDPKT_HEAD 5          /* type + length */
#define RTC_FEEDPKT_MAX (16u << 20) /* the longest record */

enum { RTC_FEEDPKT_CONFIG = 'C', RTC_FEEDPKT_PACKET = 'P' };

typedef struct RtcFeedPkt {
    int type;                   /* 'C' or 'P' */
    int track;                  /* 0 video, 1 audio */
    uint32_t fourcc;            /* 'C' */
    int key;                    /* 'P' */
    int64_t pts, dts;           /* 'P', ms */
    const uint8_t *data;        /* 'C': extradata; 'P': the packet */
    size_t size;
} RtcFeedPkt;

/* Append a record; on failure b->err is set. */
void rtc_feedpkt_put_config(ByteBuf *b, int track, uint32_t fourcc, const uint8_t *extra, size_t n);
void rtc_feedpkt_put_packet(ByteBuf *b, int track, int key, int64_t pts, int64_t dts, const uint8_t *data,
                            size_t n);

/* Parse one record at p: 0 with *out (pointing into p) and *used;
 * AVERROR(EAGAIN) when len is short; AVERROR_INVALIDDATA for an unknown
 * type, a track other than 0 or 1, a record too short for its fields or
 * longer than RTC_FEEDPKT_MAX. */
int rtc_feedpkt_read(const uint8_t *p, size_t len, RtcFeedPkt *out, size_t *used);

#endif
