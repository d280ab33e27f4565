/*
 * rtc/srtp.h: SRTP and SRTCP (RFC 3711) for one DTLS-SRTP transport, on
 * libsrtp2: one context protects what we send (any outbound SSRC), one
 * unprotects what we receive. The names carry rtc_srtp_ because libsrtp
 * owns the srtp_ prefix. Keys come from dtls_conn_srtp_keys.
 */
#ifndef LIVE_RTC_SRTP_H
#define LIVE_RTC_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "rtc/dtls.h"

#define RTC_SRTP_MAX_TRAILER 144    /* room to leave after a packet (SRTP_MAX_TRAILER_LEN) */

typedef struct RtcSrtp RtcSrtp;

/* 0, AVERROR(EINVAL) for an unknown profile, AVERROR_EXTERNAL. */
int rtc_srtp_new(RtcSrtp **out, const DtlsSrtpKeys *k);
void rtc_srtp_free(RtcSrtp **s);

/* In place: buf holds *len bytes and has room for RTC_SRTP_MAX_TRAILER
 * more; *len is updated. 0 or AVERROR_INVALIDDATA (auth failure, replay,
 * malformed). */
int rtc_srtp_protect(RtcSrtp *s, uint8_t *buf, size_t *len);
int rtc_srtp_protect_rtcp(RtcSrtp *s, uint8_t *buf, size_t *len);
int rtc_srtp_unprotect(RtcSrtp *s, uint8_t *buf, size_t *len);
int rtc_srtp_unprotect_rtcp(RtcSrtp *s, uint8_t *buf, size_t *len);

#endif
