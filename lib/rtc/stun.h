/*
 * rtc/stun.h: STUN messages (RFC 5389) as the ICE agent of a WebRTC peer
 * sees them: parse a datagram into a StunMsg, check its MESSAGE-INTEGRITY
 * (HMAC-SHA1, short-term credentials) and FINGERPRINT (CRC-32), and build
 * binding requests and responses. No I/O; nothing here trusts a length.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |0 0|     STUN Message Type     |         Message Length        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Magic Cookie 0x2112A442                    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Transaction ID (96 bits)                       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  then attributes: type (2) length (2) value, padded to 4 bytes.
 *
 * On one UDP port STUN, DTLS and SRTP are told apart by the first byte
 * (RFC 7983): stun_demux().
 */
#ifndef LIVE_RTC_STUN_H
#define LIVE_RTC_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_SIZE 20
#define STUN_MAGIC 0x2112A442u
#define STUN_MAX_USERNAME 512   /* RFC 5389: < 513 bytes */
#define STUN_MAX_MESSAGE 1500

enum StunClass {
    STUN_BINDING_REQUEST  = 0x0001,
    STUN_BINDING_INDICATION = 0x0011,
    STUN_BINDING_SUCCESS  = 0x0101,
    STUN_BINDING_ERROR    = 0x0111,
};

enum StunAttr {
    STUN_ATTR_MAPPED_ADDRESS     = 0x0001,
    STUN_ATTR_USERNAME           = 0x0006,
    STUN_ATTR_MESSAGE_INTEGRITY  = 0x0008,
    STUN_ATTR_ERROR_CODE         = 0x0009,
    STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    STUN_ATTR_PRIORITY           = 0x0024,
    STUN_ATTR_USE_CANDIDATE      = 0x0025,
    STUN_ATTR_FINGERPRINT        = 0x8028,
    STUN_ATTR_ICE_CONTROLLED     = 0x8029,
    STUN_ATTR_ICE_CONTROLLING    = 0x802A,
};

/* What rides on the shared port, from the first byte (RFC 7983). */
enum StunDemux {
    STUN_DEMUX_OTHER = 0,
    STUN_DEMUX_STUN,    /* 0..3 */
    STUN_DEMUX_DTLS,    /* 20..63 */
    STUN_DEMUX_RTP,     /* 128..191: RTP or RTCP (rtcp_is_rtcp tells) */
};
enum StunDemux stun_demux(const uint8_t *p, size_t len);

/* A parsed message. Pointers point into the datagram given to stun_parse
 * and are valid as long as it is. Offsets are from the start of the
 * message; 0 means the attribute is absent. */
typedef struct StunMsg {
    uint16_t type;
    uint8_t txid[12];
    size_t length;              /* the whole message, header included */
    const char *username;       /* not NUL-terminated */
    size_t username_len;
    uint32_t priority;
    int has_priority;
    int use_candidate;
    int ice_controlling;        /* ICE-CONTROLLING present */
    int ice_controlled;
    uint64_t tiebreaker;
    int error_code;             /* 300..699, or 0 */
    size_t integrity_off;       /* MESSAGE-INTEGRITY attribute header */
    size_t fingerprint_off;     /* FINGERPRINT attribute header */
    struct sockaddr_storage mapped; /* XOR-MAPPED-ADDRESS, ss_family 0 if none */
    int unknown_required;       /* a comprehension-required attribute we do not know */
} StunMsg;

/* Parse one STUN message: header checks (top bits, cookie, length a
 * multiple of 4 and equal to the datagram's), every attribute's length
 * checked against what is left, FINGERPRINT only last, nothing but
 * FINGERPRINT after MESSAGE-INTEGRITY. 0 or AVERROR_INVALIDDATA. */
int stun_parse(const uint8_t *p, size_t len, StunMsg *m);

/* 0 if the MESSAGE-INTEGRITY of m (parsed from p) is the HMAC-SHA1 of the
 * message under key; AVERROR_INVALIDDATA if it is missing or wrong. */
int stun_check_integrity(const uint8_t *p, const StunMsg *m, const void *key, size_t keylen);
/* 0 if a FINGERPRINT is present and right; AVERROR_INVALIDDATA otherwise. */
int stun_check_fingerprint(const uint8_t *p, const StunMsg *m);

/* A message under construction in a caller's buffer (>= STUN_MAX_MESSAGE
 * bytes is always enough for what ICE sends). Errors are sticky: check
 * the return of stun_finish only. */
typedef struct StunBuilder {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;
} StunBuilder;

void stun_begin(StunBuilder *b, uint8_t *buf, size_t cap, uint16_t type, const uint8_t txid[12]);
void stun_add(StunBuilder *b, uint16_t attr, const void *value, size_t len);
void stun_add_u32(StunBuilder *b, uint16_t attr, uint32_t v);
void stun_add_u64(StunBuilder *b, uint16_t attr, uint64_t v);
void stun_add_xor_address(StunBuilder *b, const struct sockaddr *sa);
void stun_add_error(StunBuilder *b, int code, const char *reason);
/* Adds MESSAGE-INTEGRITY under key (when key is not NULL) and FINGERPRINT.
 * Returns the message's length, or a negative AVERROR (buffer too small). */
int stun_finish(StunBuilder *b, const void *key, size_t keylen);

#endif
