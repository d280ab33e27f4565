/*
 * rtc/session.h: one WebRTC viewer (or, for WHIP, one publisher) on the
 * shared UDP port: ICE-lite, then DTLS-SRTP, then media. It takes the
 * datagrams the server demultiplexed to it and the frames of its stream,
 * and hands datagrams to send to a callback. No sockets here.
 *
 *   new --valid STUN check--> ice --DTLS done, keys--> media --> closed
 *
 * Media: per-session RTP senders (their own SSRCs, sequence numbers and
 * timestamps, each starting at a random value),
 * SRTP, a history of the last RTC_HISTORY video packets as sent (NACKs
 * resend the very bytes), PLI/FIR answered with a picture (an IDR forced
 * from our rung, or the cached GOP replayed; at most every
 * RTC_KEY_INTERVAL), Sender Reports every second on one media clock for
 * audio and video. After a join or a PLI the viewer gets a keyframe
 * first and nothing that depends on frames it lacks. A join's burst (the
 * cached GOP) is paced out of a per-viewer queue, live video queued
 * behind it; what the shared socket cannot take at once waits there too.
 * A viewer whose queue overflows loses it and starts again at the next
 * keyframe: nobody else waits for it.
 */
#ifndef LIVE_RTC_SESSION_H
#define LIVE_RTC_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rtc/dtls.h"
#include "rtc/feed.h"
#include "rtc/ice.h"
#include "rtc/rtp.h"
#include "rtc/sdp.h"
#include "rtc/srtp.h"

#define RTC_HISTORY 256
#define RTC_PACE_MAX 1024       /* datagrams a viewer may have waiting */
#define RTC_PACE_RATE 600       /* datagrams a second per viewer out of its queue (~5.7 Mbit/s) */
#define RTC_PACE_PER_TICK 32    /* at most at once, after the queue was empty */
#define RTC_PACE_CATCHUP 300    /* at most at once while it waits (0.5 s at RTC_PACE_RATE) */
#define RTC_KEY_INTERVAL 500000 /* us: PLI/FIR answered at most this often per viewer */
#define RTC_RTX_RATE 400        /* NACKed packets resent a second per viewer, at most (and at once) */

enum RtcSessionState { RTC_SESSION_NEW = 0, RTC_SESSION_DTLS, RTC_SESSION_MEDIA, RTC_SESSION_CLOSED };

/* Sends one datagram to the session's peer: 0, or AVERROR(EAGAIN) when
 * the socket is full (the session queues it and tries again). */
typedef int (*RtcSendFn)(void *opaque, const uint8_t *p, size_t len, const struct sockaddr *to,
                          socklen_t tolen);
/* Sends len bytes of datagrams of seg bytes each (the last may be
 * shorter) to the peer, at once where the system can (UDP GSO): returns
 * how many bytes went (whole datagrams; the session queues the rest). */
typedef size_t (*RtcSendManyFn)(void *opaque, const uint8_t *p, size_t seg, size_t len, const struct sockaddr *to,
                                socklen_t tolen);

#define RTC_GATHER_MAX 64       /* datagrams sent at once */
#define RTC_GATHER_BYTES 61440

/* WHIP: one RTP packet (rtcp 0) or compound RTCP packet (rtcp 1) from
 * the publisher, SRTP already removed; valid during the call. */
typedef void (*RtcRecvFn)(void *opaque, const uint8_t *p, size_t len, int rtcp);

typedef struct RtcHistoryEntry {
    uint16_t seq;
    uint16_t len;
    uint8_t data[RTP_DEFAULT_MTU + RTC_SRTP_MAX_TRAILER];
} RtcHistoryEntry;

typedef struct RtcStats {
    uint64_t video_frames, audio_frames, packets, bytes, nacks, retransmits, nack_misses, plis, firs, keyframes_sent, dropped_loss,
             pace_overflows, rtx_limited, pictures;
    uint32_t fraction_lost;
} RtcStats;

typedef struct RtcSession {
    char id[33];
    char stream[129];
    char addr[64];              /* the HTTP client's address, for limits */
    void *owner;                /* the caller's (live-rtc: the stream it views), NULL */
    enum RtcSessionState state;
    int64_t created, last_sr;
    IceAgent ice;
    DtlsConn *dtls;
    RtcSrtp *srtp;
    RtcSendFn send;
    RtcSendManyFn send_many;    /* optional: NULL sends one by one */
    void *send_opaque;
    int gathering;              /* a frame's datagrams are being gathered */
    uint8_t *gather;            /* RTC_GATHER_BYTES, or NULL */
    size_t gather_len, gather_seg;
    int gather_n, gather_closed;
    int has_video, has_audio;
    RtpSender video, audio;
    int need_key;               /* wait for a keyframe before sending video */
    int key_requested;          /* asked the feed for one */
    uint32_t last_video_ts, last_audio_ts; /* the feed's timestamps (RtcFrame.ts) */
    uint32_t video_ts_base, audio_ts_base; /* random, added to them on the wire */
    int64_t last_video_ms, last_audio_ms; /* their media time (the feed's ms) */
    int64_t last_video_us, last_audio_us; /* when they were sent */
    int64_t last_key_req;       /* when a keyframe was last asked for */
    double rtx_budget;          /* resends allowed now (RTC_RTX_RATE a second) */
    int64_t rtx_last;
    int key_pending;            /* one was asked for again before RTC_KEY_INTERVAL */
    uint32_t cname_id;
    double test_loss;           /* tests only: drop this fraction of first sends */
    RtcStats st;
    RtcHistoryEntry *hist;      /* RTC_HISTORY entries, by seq % RTC_HISTORY; NULL
                                 * until the first video packet is sent */
    RtcRecvFn recv;             /* WHIP: media from the peer goes here; NULL: dropped */
    void *recv_opaque;
    RtcHistoryEntry *pace;      /* datagrams waiting (a join's GOP burst, a full socket), or NULL */
    int pace_head, pace_n, pacing;
    int pace_waiting;           /* the queue held datagrams after the last flush */
    double pace_budget;
    int64_t pace_last;
} RtcSession;

/* A session of stream for an accepted offer (c from sdp_select): ICE
 * credentials and DTLS from the offer, our certificate. 0 or AVERROR. */
int rtc_session_new(RtcSession **out, const char *stream, const SdpSession *offer, const SdpChoice *c,
                    DtlsCert *cert, int64_t consent_timeout, int64_t now, RtcSendFn send, void *opaque);
void rtc_session_free(RtcSession **s);

/* Equal-sized datagrams of one frame (or one NACK's answers) go to
 * send_many in one call instead of one send each. */
void rtc_session_set_send_many(RtcSession *s, RtcSendManyFn fn);

/* One datagram from the peer (STUN, DTLS or SRTCP, told apart by the
 * first byte). The feed may be asked for a keyframe. Returns 0, or
 * AVERROR_EOF when the session ended (DTLS failure or close). */
int rtc_session_input(RtcSession *s, RtcFeed *feed, const uint8_t *p, size_t len, const struct sockaddr *from,
                      socklen_t fromlen, int64_t now);

/* One frame of its stream. */
void rtc_session_frame(RtcSession *s, RtcFeed *feed, const RtcFrame *f, int64_t now);

/* Timers (DTLS retransmission, Sender Reports, a picture asked for too
 * soon after the last). Returns AVERROR_EOF when consent lapsed (the
 * session must go). */
int rtc_session_tick(RtcSession *s, RtcFeed *feed, int64_t now);

/* Sends what waits in its queue, at RTC_PACE_RATE; returns how many
 * datagrams are left. */
int rtc_session_flush(RtcSession *s, int64_t now);

/* Sends an RTCP packet we built (NACK, PLI) to the peer over SRTCP; p
 * has room for RTC_SRTP_MAX_TRAILER more bytes after len. Nothing before
 * the media state. */
void rtc_session_send_rtcp(RtcSession *s, uint8_t *p, size_t len);

/* Ends the session politely: RTCP BYE and DTLS close_notify. */
void rtc_session_close(RtcSession *s);

#endif
