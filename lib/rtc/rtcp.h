/*
 * rtc/rtcp.h: RTCP (RFC 3550) and its feedback messages (RFC 4585, RFC
 * 5104) as a media server meets them: parse a compound packet from a
 * viewer into events (receiver reports, NACK, PLI, FIR, BYE), and build
 * Sender Reports (so players sync audio and video), and NACK/PLI for the
 * receiving side (and its Receiver Reports and REMB, so a WHIP
 * publisher's congestion control lets its bit rate grow). No I/O.
 *
 *  |V=2|P|  RC/FMT |      PT       |             length            |
 *  |                         SSRC of sender                        |
 *   PT 200 SR, 201 RR, 202 SDES, 203 BYE, 205 RTPFB (FMT 1: NACK),
 *   206 PSFB (FMT 1: PLI, FMT 4: FIR)
 *  NACK FCI: PID (16) BLP (16): PID and each bit i of BLP is PID+i+1 lost
 *  FIR FCI:  SSRC (32) seq nr (8) reserved (24)
 *
 * Lengths are in 32-bit words minus one; each is checked against what is
 * left of the datagram, and the parser stops at the first bad one.
 */
#ifndef LIVE_RTC_RTCP_H
#define LIVE_RTC_RTCP_H

#include <stddef.h>
#include <stdint.h>

#define RTCP_MAX_EVENTS 64
#define RTCP_MAX_NACKS 256

enum RtcpEventType {
    RTCP_EV_RR = 1,     /* ssrc (the media), fraction_lost, lost, jitter */
    RTCP_EV_NACK,       /* ssrc (the media), seqs[0..nseq) */
    RTCP_EV_PLI,        /* ssrc (the media) */
    RTCP_EV_FIR,        /* ssrc (the media), fir_seq */
    RTCP_EV_BYE,
    RTCP_EV_SR,         /* ssrc (the sender), ntp, rtp_ts */
};

typedef struct RtcpEvent {
    enum RtcpEventType type;
    uint32_t ssrc;
    uint8_t fraction_lost;
    int32_t lost;
    uint32_t jitter;
    uint8_t fir_seq;
    uint64_t ntp;
    uint32_t rtp_ts;
    int first_seq, nseq;    /* into RtcpPacket.seqs */
} RtcpEvent;

typedef struct RtcpPacket {
    int nev;
    RtcpEvent ev[RTCP_MAX_EVENTS];
    int nseqs;
    uint16_t seqs[RTCP_MAX_NACKS];
} RtcpPacket;

/* Parses a compound RTCP packet (already SRTCP-unprotected). Events past
 * the bounds are dropped. 0 or AVERROR_INVALIDDATA (nothing valid, or a
 * length that runs past the end: the events before it are kept). */
int rtcp_parse(const uint8_t *p, size_t len, RtcpPacket *out);

/* Sender Report with no report blocks, plus an SDES CNAME chunk. ntp is
 * 32.32 fixed point. Returns the length written or AVERROR(ENOSPC). */
int rtcp_build_sr(uint8_t *p, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
                  uint32_t packets, uint32_t octets, const char *cname);
/* Generic NACK for seqs (sorted or not; grouped into PID/BLP pairs). */
int rtcp_build_nack(uint8_t *p, size_t cap, uint32_t sender, uint32_t media, const uint16_t *seqs, int n);
int rtcp_build_pli(uint8_t *p, size_t cap, uint32_t sender, uint32_t media);

/* A receiver's report on one source (RFC 3550 6.4.2). */
typedef struct RtcpReportBlock {
    uint32_t ssrc;
    uint8_t fraction_lost;      /* since the last report, of 256 */
    int32_t lost;               /* cumulative (24 bits, clamped) */
    uint32_t highest;           /* extended highest sequence number */
    uint32_t jitter;            /* interarrival jitter, RTP units */
    uint32_t lsr, dlsr;         /* middle 32 bits of the last SR's NTP; delay since, 1/65536 s */
} RtcpReportBlock;

/* A Receiver Report with n (<= 31) blocks. Returns the length or AVERROR(ENOSPC). */
int rtcp_build_rr(uint8_t *p, size_t cap, uint32_t sender, const RtcpReportBlock *b, int n);
/* REMB (draft-alvestrand-rmcat-remb): the bit rate the sender may use
 * for the n (<= 255) SSRCs. */
int rtcp_build_remb(uint8_t *p, size_t cap, uint32_t sender, uint64_t bps, const uint32_t *ssrcs, int n);

/* Microseconds since the Unix epoch to NTP 32.32. */
uint64_t rtcp_ntp_from_us(int64_t us);

#endif
