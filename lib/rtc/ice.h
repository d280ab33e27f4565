/*
 * rtc/ice.h: the ICE-lite side of a session (RFC 8445 section 2.5, RFC
 * 7675 consent freshness). A lite agent gathers only host candidates,
 * never sends checks, and answers the full agent's (the browser's)
 * binding requests: USERNAME "OURUFRAG:THEIRUFRAG", MESSAGE-INTEGRITY
 * keyed with our password, from any address (peer-reflexive addresses
 * are learnt that way). The controlling peer nominates a pair with
 * USE-CANDIDATE; media then goes to that address. Consent expires when
 * no valid check has come for IceAgent.consent_timeout.
 *
 * No I/O: the server loop hands datagrams in and sends what comes out.
 */
#ifndef LIVE_RTC_ICE_H
#define LIVE_RTC_ICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ICE_UFRAG_LEN 8     /* characters of ice-char: 48 bits of randomness */
#define ICE_PWD_LEN 24      /* 144 bits; RFC 8445 asks for >= 128 */
#define ICE_MAX_UFRAG 256

typedef struct IceAgent {
    char local_ufrag[ICE_UFRAG_LEN + 1];
    char local_pwd[ICE_PWD_LEN + 1];
    char remote_ufrag[ICE_MAX_UFRAG + 1];
    char remote_pwd[ICE_MAX_UFRAG + 1];
    int64_t consent_timeout;        /* microseconds, default 30 s (RFC 7675) */
    int64_t last_check;             /* time of the last valid check, 0: none yet */
    int nominated;                  /* USE-CANDIDATE seen */
    struct sockaddr_storage peer;   /* where media goes: the nominated (or last valid) address */
    socklen_t peer_len;
    uint64_t checks, bad_checks;
} IceAgent;

/* Fresh random local credentials (OpenSSL's RAND_bytes) and the remote
 * ones from the offer. 0, AVERROR(EINVAL) for credentials out of RFC
 * 8445's bounds, or AVERROR_EXTERNAL when randomness fails. */
int ice_agent_init(IceAgent *a, const char *remote_ufrag, const char *remote_pwd, int64_t consent_timeout);

/* The local ufrag a binding request is addressed to: the part of its
 * USERNAME before ':'. Copies at most size-1 characters to out; 0 or
 * AVERROR_INVALIDDATA when p is not a STUN binding request with one. */
int ice_request_ufrag(const uint8_t *p, size_t len, char *out, size_t size);

/* Handles one STUN datagram from `from` at time now (microseconds). For
 * a valid binding request, writes the success response to out (cap >=
 * 100) and returns its length; consent is refreshed and USE-CANDIDATE
 * nominates `from`. Returns AVERROR_INVALIDDATA for anything else: wrong
 * username, wrong or missing MESSAGE-INTEGRITY, bad FINGERPRINT, not a
 * request (a lite agent sends none, so expects no responses). */
int ice_agent_handle(IceAgent *a, const uint8_t *p, size_t len, const struct sockaddr *from,
                     socklen_t fromlen, int64_t now, uint8_t *out, size_t cap);

/* 1 once a check has been answered and USE-CANDIDATE was seen. */
int ice_agent_connected(const IceAgent *a);
/* 1 when consent has lapsed: no valid check for consent_timeout since the
 * last one (or since `start`, when none came at all). */
int ice_agent_expired(const IceAgent *a, int64_t start, int64_t now);

/* Fill out with n random ice-chars ([A-Za-z0-9+/]) and a NUL. */
int ice_random_string(char *out, size_t n);

#endif
