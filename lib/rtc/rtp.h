/*
 * rtc/rtp.h: RTP (RFC 3550) headers and the send side of two payload
 * formats: H.264 (RFC 6184, packetization-mode 1: single NAL units,
 * STAP-A for the parameter sets, FU-A for NAL units over the MTU) and
 * Opus (RFC 7587: one frame per packet). No I/O: packets are handed to
 * a callback, which usually protects them with SRTP and queues them.
 *
 *   0                   1                   2                   3
 *  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *  |                           timestamp                           |
 *  |           synchronization source (SSRC) identifier            |
 *
 *  FU-A: FU indicator (F NRI type=28), FU header (S E R type), payload
 *  STAP-A: NAL header (F NRI type=24), then per NAL: size (2), NAL unit
 *
 * The receive side of a payload (depacketising) is WHIP's, beside this.
 */
#ifndef LIVE_RTC_RTP_H
#define LIVE_RTC_RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_SIZE 12
#define RTP_MAX_PACKET 1500
#define RTP_DEFAULT_MTU 1200    /* payload + header; leaves room for SRTP's tag */

typedef struct RtpHeader {
    int marker;
    int pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    size_t header_size;     /* with CSRCs and extension */
    size_t payload_size;    /* without padding */
} RtpHeader;

/* Parses an RTP packet's header (CSRCs, extension and padding checked
 * against the length). 0 or AVERROR_INVALIDDATA. */
int rtp_parse(const uint8_t *p, size_t len, RtpHeader *h);
/* 1 if p looks like RTCP rather than RTP (RFC 5761: PT 192..223). */
int rtp_is_rtcp(const uint8_t *p, size_t len);

/* One outgoing RTP stream. */
typedef struct RtpSender {
    uint32_t ssrc;
    int pt;
    uint16_t seq;           /* of the next packet */
    size_t mtu;             /* largest packet, header included */
    uint32_t packets, octets; /* sent so far, for Sender Reports */
    uint32_t last_ts;
} RtpSender;

/* Called once per packet; a negative return stops the packetiser and is
 * returned by it. The packet is valid only during the call. */
typedef int (*RtpEmit)(void *opaque, const uint8_t *pkt, size_t len);

void rtp_sender_init(RtpSender *s, uint32_t ssrc, int pt, size_t mtu);

/* Writes a 12-byte header. */
void rtp_write_header(uint8_t *p, int marker, int pt, uint16_t seq, uint32_t ts, uint32_t ssrc);

/* Packetises one access unit given as NAL units (without start codes or
 * length prefixes). SPS and PPS that come first are aggregated in one
 * STAP-A when they fit; the marker is set on the last packet. AUD, filler
 * and the types RTP itself uses (0, 24..31) are dropped. 0 or the callback's / AVERROR_INVALIDDATA. */
int rtp_h264_send(RtpSender *s, const uint8_t *const *nals, const size_t *sizes, int n, uint32_t ts,
                  RtpEmit emit, void *opaque);

/* Splits an access unit into NAL units: Annex B (start codes) when
 * nal_length_size is 0, else big-endian lengths of that many bytes (1, 2
 * or 4; avcC/FLV). Returns the count (at most max) or AVERROR_INVALIDDATA
 * for a length past the end. Pointers point into data. */
int rtp_h264_split(const uint8_t *data, size_t size, int nal_length_size, const uint8_t **nals,
                   size_t *sizes, int max);

/* One Opus packet, marker clear. */
int rtp_opus_send(RtpSender *s, const uint8_t *data, size_t size, uint32_t ts, RtpEmit emit, void *opaque);

#endif
