/*
 * rtc/server.h: live-rtc, the WebRTC stage, as a whole: one poll loop
 * over one UDP port for every viewer of every stream (STUN, DTLS and
 * SRTP demultiplexed by ICE ufrag and source address), and a Unix
 * control socket (control.h) that takes the streams (FEED) and the WHEP
 * requests live-serve forwards (WHEP).
 *
 *   live-ingest -e 'live-rtc -f SOCK | live-segment ...'  --FEED--> \
 *   viewers --HTTPS--> nginx --> live-serve /whep/NAME   --WHEP--> -> live-rtc
 *   viewers <==== UDP: ICE-lite, DTLS-SRTP, RTP/RTCP ====================/
 *
 * Single-threaded: encoding the rung of a stream that needs one happens
 * in the loop too (libx264 veryfast zerolatency, one thread).
 */
#ifndef LIVE_RTC_SERVER_H
#define LIVE_RTC_SERVER_H

#include <signal.h>

#include "rtc/whep.h"

typedef struct RtcConfig {
    const char *udp_host;       /* bind address of the UDP port (default 127.0.0.1) */
    int udp_port;               /* default 8189; 0: any */
    const char *address;        /* the address put in candidates (default: udp_host) */
    const char *control;        /* the control socket's path */
    double consent_timeout;     /* seconds without a valid check before a viewer goes (30) */
    WhepLimits limits;
    int max_streams;            /* default 64 */
    double test_loss;           /* tests only: fraction of first RTP sends dropped */
    volatile sig_atomic_t *stop;
} RtcConfig;

void rtc_config_defaults(RtcConfig *cfg);

/* Runs until *stop. 0, or a negative AVERROR (logged) when the sockets
 * cannot be set up. */
int rtc_server_run(const RtcConfig *cfg);

/* `live-rtc -f`: copies in_fd to out_fd unchanged (the pipeline's own
 * path, never held up) and feeds the live-rtc at sock as stream name:
 * whole FLV tags, or the packets of MPEG-TS or Matroska (demux.h,
 * feedpkt.h), as the input's first bytes say; reconnecting when it is
 * away and skipping to the next keyframe when it is slow. Returns 0 at EOF of in_fd, or a negative
 * AVERROR when out_fd fails (AVERROR(EPIPE): downstream went away). */
int rtc_tee_run(const char *sock, const char *name, int in_fd, int out_fd, volatile sig_atomic_t *stop);

#endif
