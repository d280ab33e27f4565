/*
 * rtc/whipin.h: WHIP publishers in live-ingest: the signalling (HTTP on
 * libmicrohttpd, whip.c) and the media plane (one UDP port for every
 * publisher: ICE-lite, DTLS-SRTP, then RTP through a jitter buffer and
 * a depacketiser per track), on the same port number, TCP and UDP:
 *
 *   browser/OBS --POST /whip/NAME, Bearer KEY--> HTTP thread --queue--> ingest loop
 *   browser/OBS ==== UDP: STUN, DTLS, SRTP/SRTCP ====================> ingest loop
 *        <-- NACK (gaps), PLI (a keyframe is needed) over SRTCP -------/
 *
 * The HTTP server runs in its own thread (MHD's); each request waits
 * (at most 5 s, then 503) while the ingest's loop answers it, so every
 * session, stream and key is touched by that one thread only. The loop
 * polls whipin_fds and calls whipin_service; frames come out through
 * WhipInOps with millisecond times from the publisher's start (each
 * track anchored at its first frame's arrival, then its RTP clock; once
 * both tracks have an RTCP sender report, audio is placed against video
 * by the sender's clock instead).
 */
#ifndef LIVE_RTC_WHIPIN_H
#define LIVE_RTC_WHIPIN_H

#include <stddef.h>
#include <stdint.h>

#include "rtc/depack.h"
#include "rtc/whep.h"

typedef struct WhipIn WhipIn;

typedef struct WhipInConfig {
    const char *listen;         /* "ADDR:PORT": HTTP on TCP and media on UDP */
    const char *address;        /* the address in our candidate (default: ADDR, or 127.0.0.1) */
    WhepLimits limits;          /* publishers in total and per address (16, 4) */
    double consent_timeout;     /* seconds without an ICE check before a publisher goes (15) */
    double jitter_delay;        /* seconds a gap is waited for (0.2) */
    double keyframe_interval;   /* ask for a keyframe (PLI) when none came for this long (2; 0: never):
                                 * WebRTC encoders send one only when asked, and the
                                 * segmenter cuts at keyframes */
    uint64_t max_bitrate;       /* the REMB sent with our Receiver Reports, bit/s (8000000) */
    const char *trusted[16];    /* proxies (ADDR[/BITS]) whose X-Forwarded-For names the publisher */
    int ntrusted;
} WhipInConfig;

typedef struct WhipInOps {
    /* As WhipOps.authorize. */
    int (*authorize)(void *opaque, const char *stream, const char *token, const char *addr, const char **why);
    /* A publisher of stream with these codecs is about to start: 0 with
     * *handle set, AVERROR(EBUSY) (*why: published already, or in other
     * codecs during its grace period), another AVERROR (503). */
    int (*publish)(void *opaque, const char *stream, const char *addr, enum RtcCodec video, int audio,
                   void **handle, const char **why);
    /* One frame (Annex B for H.264, one Opus packet for audio). */
    void (*frame)(void *opaque, void *handle, int video, int64_t ms, int key, const uint8_t *data, size_t size);
    /* The publisher is gone (DELETE, RTCP BYE, DTLS closed, consent lapsed). */
    void (*unpublish)(void *opaque, void *handle, const char *why);
} WhipInOps;

void whipin_config_default(WhipInConfig *cfg);

/* Binds the HTTP and UDP ports and starts the HTTP thread. 0 or a
 * negative AVERROR (logged). */
int whipin_new(WhipIn **out, const WhipInConfig *cfg, const WhipInOps *ops, void *opaque);
/* Ends every publisher (unpublish is called for each) and stops. */
void whipin_free(WhipIn **w);

/* The descriptors to poll for input: the UDP socket and the wake-up
 * of waiting requests. */
void whipin_fds(const WhipIn *w, int *udp, int *wake);
/* Datagrams and requests that are there, and timers (retransmissions,
 * NACKs, PLIs, jitter deadlines, consent): call on input and at least
 * every 20 ms. */
void whipin_service(WhipIn *w);

/* The ingest ends a publisher itself (its output failed): no unpublish. */
void whipin_close(WhipIn *w, void *handle);

/* Publishers now. */
int whipin_count(const WhipIn *w);

#endif
