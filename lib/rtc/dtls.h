/*
 * rtc/dtls.h: DTLS-SRTP (RFC 5763, RFC 5764) on OpenSSL, as an I/O-free
 * connection: datagrams from the peer go in (dtls_conn_feed), datagrams
 * to send come out (dtls_conn_pop), timers are the caller's
 * (dtls_conn_timeout). Underneath is a BIO of our own that keeps
 * datagram boundaries in memory (OpenSSL 3.0 has none); every byte of
 * cryptography is OpenSSL's.
 *
 * A self-signed ECDSA P-256 certificate is made once at start
 * (dtls_cert_new); its SHA-256 fingerprint goes into our SDP, and the
 * peer's certificate must match the fingerprint in its SDP. The use_srtp
 * extension negotiates an SRTP profile, and the SRTP keys are exported
 * from the handshake ("EXTRACTOR-dtls_srtp", RFC 5764 section 4.2).
 */
#ifndef LIVE_RTC_DTLS_H
#define LIVE_RTC_DTLS_H

#include <stddef.h>
#include <stdint.h>

#define DTLS_MTU 1200
#define DTLS_FINGERPRINT_SIZE 96    /* "AB:CD:...": 32 bytes, 95 characters + NUL */

typedef struct DtlsCert DtlsCert;
typedef struct DtlsConn DtlsConn;

enum DtlsSrtpProfile {
    DTLS_SRTP_AES128_CM_SHA1_80 = 1,
    DTLS_SRTP_AES128_CM_SHA1_32 = 2,
    DTLS_SRTP_AEAD_AES_128_GCM = 7,
};

typedef struct DtlsSrtpKeys {
    int profile;            /* enum DtlsSrtpProfile */
    uint8_t local[32];      /* master key then salt, for what we send */
    uint8_t remote[32];     /* for what we receive */
    int key_len, salt_len;
} DtlsSrtpKeys;

/* A new certificate and key valid for 30 days. 0 or AVERROR. */
int dtls_cert_new(DtlsCert **out);
void dtls_cert_free(DtlsCert **c);
/* "AB:CD:..." (sha-256), owned by the certificate. */
const char *dtls_cert_fingerprint(const DtlsCert *c);

/* A connection in the given role (server: a=setup:passive, we answer the
 * peer's ClientHello). peer_fingerprint is the peer's SDP sha-256
 * fingerprint; it is checked when the handshake completes. The cert must
 * outlive the connection. */
int dtls_conn_new(DtlsConn **out, DtlsCert *cert, int server, const char *peer_fingerprint);
void dtls_conn_free(DtlsConn **c);

/* A client starts the handshake (the ClientHello is then ready to pop). */
int dtls_conn_start(DtlsConn *c);

/* One datagram from the peer. Returns 1 when this completed the
 * handshake (keys are then ready), 0 otherwise, AVERROR_INVALIDDATA
 * when the handshake failed (bad fingerprint, alert, no SRTP profile),
 * AVERROR_EOF when the peer closed. Garbage that is not DTLS is dropped
 * by OpenSSL and returns 0. */
int dtls_conn_feed(DtlsConn *c, const uint8_t *p, size_t len);

/* The next datagram to send: its length, or 0 when there is none. */
int dtls_conn_pop(DtlsConn *c, uint8_t *out, size_t cap);

/* Microseconds until a retransmission is due (-1: no timer). */
int64_t dtls_conn_timeout(DtlsConn *c);
/* Call when that time has come; flights to resend are then ready to pop. */
void dtls_conn_handle_timeout(DtlsConn *c);

int dtls_conn_done(const DtlsConn *c);
/* The SRTP keys once done. 0 or AVERROR(EAGAIN) before. */
int dtls_conn_srtp_keys(DtlsConn *c, DtlsSrtpKeys *k);
/* Sends close_notify (then pop it). */
void dtls_conn_close(DtlsConn *c);

#endif
