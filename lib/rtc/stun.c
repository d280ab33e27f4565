/*
 * rtc/stun.c: STUN (RFC 5389) parsing and building for ICE. HMAC-SHA1
 * comes from OpenSSL, CRC-32 from libavutil; nothing here is crypto of
 * our own. See stun.h for the wire format.
 */
#include <string.h>
#include <netinet/in.h>

#include <libavutil/crc.h>
#include <libavutil/error.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rtc/stun.h"

#define FINGERPRINT_XOR 0x5354554Eu

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, unsigned v) { p[0] = v >> 8; p[1] = v; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

enum StunDemux stun_demux(const uint8_t *p, size_t len)
{
    if (!len)
        return STUN_DEMUX_OTHER;
    if (p[0] <= 3)
        return STUN_DEMUX_STUN;
    if (p[0] >= 20 && p[0] <= 63)
        return STUN_DEMUX_DTLS;
    if (p[0] >= 128 && p[0] <= 191)
        return STUN_DEMUX_RTP;
    return STUN_DEMUX_OTHER;
}

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    const AVCRC *t = av_crc_get_table(AV_CRC_32_IEEE_LE);
    return av_crc(t, 0xffffffffu, p, n) ^ 0xffffffffu;
}

static int parse_xor_address(const uint8_t *v, size_t n, const uint8_t *hdr, struct sockaddr_storage *out)
{
    if (n < 8 || v[0] != 0)
        return AVERROR_INVALIDDATA;
    uint16_t port = rd16(v + 2) ^ (uint16_t)(STUN_MAGIC >> 16);
    memset(out, 0, sizeof(*out));
    if (v[1] == 1 && n == 8) {
        struct sockaddr_in *sin = (struct sockaddr_in *)out;
        uint32_t a = rd32(v + 4) ^ STUN_MAGIC;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        sin->sin_addr.s_addr = htonl(a);
        return 0;
    }
    if (v[1] == 2 && n == 20) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        for (int i = 0; i < 16; i++)
            sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ hdr[4 + i]; /* cookie + txid */
        return 0;
    }
    return AVERROR_INVALIDDATA;
}

/* One attribute (type, alen bytes at v, at offset off of the message p)
 * into m: its length checked against what its type allows. */
static int parse_attr(StunMsg *m, const uint8_t *p, size_t off, uint16_t type, const uint8_t *v,
                      uint16_t alen)
{
    switch (type) {
    case STUN_ATTR_USERNAME:
        if (alen > STUN_MAX_USERNAME)
            return AVERROR_INVALIDDATA;
        m->username = (const char *)v;
        m->username_len = alen;
        break;
    case STUN_ATTR_PRIORITY:
        if (alen != 4)
            return AVERROR_INVALIDDATA;
        m->priority = rd32(v);
        m->has_priority = 1;
        break;
    case STUN_ATTR_USE_CANDIDATE:
        if (alen != 0)
            return AVERROR_INVALIDDATA;
        m->use_candidate = 1;
        break;
    case STUN_ATTR_ICE_CONTROLLING:
    case STUN_ATTR_ICE_CONTROLLED:
        if (alen != 8)
            return AVERROR_INVALIDDATA;
        m->tiebreaker = (uint64_t)rd32(v) << 32 | rd32(v + 4);
        if (type == STUN_ATTR_ICE_CONTROLLING)
            m->ice_controlling = 1;
        else
            m->ice_controlled = 1;
        break;
    case STUN_ATTR_ERROR_CODE:
        if (alen < 4)
            return AVERROR_INVALIDDATA;
        m->error_code = (v[2] & 7) * 100 + v[3];
        break;
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
        if (parse_xor_address(v, alen, p, &m->mapped) < 0)
            return AVERROR_INVALIDDATA;
        break;
    case STUN_ATTR_MESSAGE_INTEGRITY:
        if (alen != 20)
            return AVERROR_INVALIDDATA;
        m->integrity_off = off;
        break;
    case STUN_ATTR_FINGERPRINT:
        if (alen != 4)
            return AVERROR_INVALIDDATA;
        m->fingerprint_off = off;
        break;
    default:
        if (type < 0x8000)
            m->unknown_required = 1;
        break;
    }
    return 0;
}

int stun_parse(const uint8_t *p, size_t len, StunMsg *m)
{
    size_t off, mlen;

    memset(m, 0, sizeof(*m));
    if (len < STUN_HEADER_SIZE || (p[0] & 0xc0) || rd32(p + 4) != STUN_MAGIC)
        return AVERROR_INVALIDDATA;
    mlen = rd16(p + 2);
    if ((mlen & 3) || STUN_HEADER_SIZE + mlen != len)
        return AVERROR_INVALIDDATA;
    m->type = rd16(p);
    memcpy(m->txid, p + 8, 12);
    m->length = len;
    for (off = STUN_HEADER_SIZE; off < len;) {
        uint16_t type, alen;

        if (len - off < 4)
            return AVERROR_INVALIDDATA;
        type = rd16(p + off);
        alen = rd16(p + off + 2);
        if (alen > len - off - 4 || ((alen + 3u) & ~3u) > len - off - 4)
            return AVERROR_INVALIDDATA;
        if (m->fingerprint_off)
            return AVERROR_INVALIDDATA; /* nothing after FINGERPRINT */
        if (m->integrity_off && type != STUN_ATTR_FINGERPRINT)
            return AVERROR_INVALIDDATA; /* only FINGERPRINT after MESSAGE-INTEGRITY */
        if (parse_attr(m, p, off, type, p + off + 4, alen) < 0)
            return AVERROR_INVALIDDATA;
        off += 4 + ((alen + 3u) & ~3u);
    }
    return 0;
}

/* HMAC-SHA1 over p[0..end) with the header's length field set as if the
 * message ended at msg_end. */
static int hmac_sha1(const uint8_t *p, size_t end, size_t msg_end, const void *key, size_t keylen,
                     uint8_t mac[20])
{
    uint8_t buf[STUN_MAX_MESSAGE];
    unsigned maclen = 0;
    int ok;

    if (end > sizeof(buf) || end < STUN_HEADER_SIZE)
        return AVERROR_INVALIDDATA;
    memcpy(buf, p, end);
    wr16(buf + 2, (unsigned)(msg_end - STUN_HEADER_SIZE));
    ok = HMAC(EVP_sha1(), key, (int)keylen, buf, end, mac, &maclen) != NULL;
    return ok && maclen == 20 ? 0 : AVERROR_EXTERNAL;
}

int stun_check_integrity(const uint8_t *p, const StunMsg *m, const void *key, size_t keylen)
{
    uint8_t mac[20];
    size_t off = m->integrity_off;

    if (!off || off + 24 > m->length)
        return AVERROR_INVALIDDATA;
    if (hmac_sha1(p, off, off + 24, key, keylen, mac) < 0)
        return AVERROR_INVALIDDATA;
    /* constant time compare */
    unsigned diff = 0;
    for (int i = 0; i < 20; i++)
        diff |= mac[i] ^ p[off + 4 + i];
    return diff ? AVERROR_INVALIDDATA : 0;
}

int stun_check_fingerprint(const uint8_t *p, const StunMsg *m)
{
    size_t off = m->fingerprint_off;
    uint8_t hdr[STUN_HEADER_SIZE];
    const AVCRC *t = av_crc_get_table(AV_CRC_32_IEEE_LE);
    uint32_t crc;

    if (!off || off + 8 != m->length)
        return AVERROR_INVALIDDATA;
    /* the length field covers the FINGERPRINT itself, as it was sent */
    memcpy(hdr, p, STUN_HEADER_SIZE);
    crc = av_crc(t, 0xffffffffu, hdr, STUN_HEADER_SIZE);
    crc = av_crc(t, crc, p + STUN_HEADER_SIZE, off - STUN_HEADER_SIZE) ^ 0xffffffffu;
    return (crc ^ FINGERPRINT_XOR) == rd32(p + off + 4) ? 0 : AVERROR_INVALIDDATA;
}

void stun_begin(StunBuilder *b, uint8_t *buf, size_t cap, uint16_t type, const uint8_t txid[12])
{
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    b->err = 0;
    if (cap < STUN_HEADER_SIZE) {
        b->err = AVERROR(ENOSPC);
        return;
    }
    wr16(buf, type);
    wr16(buf + 2, 0);
    wr32(buf + 4, STUN_MAGIC);
    memcpy(buf + 8, txid, 12);
    b->len = STUN_HEADER_SIZE;
}

void stun_add(StunBuilder *b, uint16_t attr, const void *value, size_t len)
{
    size_t padded = (len + 3) & ~(size_t)3;
    if (b->err)
        return;
    if (len > 0xffff || b->cap - b->len < 4 + padded) {
        b->err = AVERROR(ENOSPC);
        return;
    }
    wr16(b->buf + b->len, attr);
    wr16(b->buf + b->len + 2, (unsigned)len);
    if (len)
        memcpy(b->buf + b->len + 4, value, len);
    memset(b->buf + b->len + 4 + len, 0, padded - len);
    b->len += 4 + padded;
    wr16(b->buf + 2, (unsigned)(b->len - STUN_HEADER_SIZE));
}

void stun_add_u32(StunBuilder *b, uint16_t attr, uint32_t v)
{
    uint8_t x[4];
    wr32(x, v);
    stun_add(b, attr, x, 4);
}

void stun_add_u64(StunBuilder *b, uint16_t attr, uint64_t v)
{
    uint8_t x[8];
    wr32(x, (uint32_t)(v >> 32));
    wr32(x + 4, (uint32_t)v);
    stun_add(b, attr, x, 8);
}

void stun_add_xor_address(StunBuilder *b, const struct sockaddr *sa)
{
    uint8_t v[20] = { 0 };
    if (b->err)
        return;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        v[1] = 1;
        wr16(v + 2, ntohs(sin->sin_port) ^ (STUN_MAGIC >> 16));
        wr32(v + 4, ntohl(sin->sin_addr.s_addr) ^ STUN_MAGIC);
        stun_add(b, STUN_ATTR_XOR_MAPPED_ADDRESS, v, 8);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        v[1] = 2;
        wr16(v + 2, ntohs(sin6->sin6_port) ^ (STUN_MAGIC >> 16));
        for (int i = 0; i < 16; i++)
            v[4 + i] = sin6->sin6_addr.s6_addr[i] ^ b->buf[4 + i];
        stun_add(b, STUN_ATTR_XOR_MAPPED_ADDRESS, v, 20);
    } else {
        b->err = AVERROR(EAFNOSUPPORT);
    }
}

void stun_add_error(StunBuilder *b, int code, const char *reason)
{
    uint8_t v[132] = { 0 };
    size_t n = strlen(reason);
    if (n > 128)
        n = 128;
    v[2] = (uint8_t)(code / 100);
    v[3] = (uint8_t)(code % 100);
    memcpy(v + 4, reason, n);
    stun_add(b, STUN_ATTR_ERROR_CODE, v, 4 + n);
}

int stun_finish(StunBuilder *b, const void *key, size_t keylen)
{
    if (key && !b->err) {
        uint8_t mac[20];
        size_t off = b->len;
        if (b->cap - b->len < 24) {
            b->err = AVERROR(ENOSPC);
        } else if (hmac_sha1(b->buf, off, off + 24, key, keylen, mac) < 0) {
            b->err = AVERROR_EXTERNAL;
        } else {
            stun_add(b, STUN_ATTR_MESSAGE_INTEGRITY, mac, 20);
        }
    }
    if (!b->err) {
        if (b->cap - b->len < 8) {
            b->err = AVERROR(ENOSPC);
        } else {
            wr16(b->buf + 2, (unsigned)(b->len + 8 - STUN_HEADER_SIZE));
            uint32_t crc = crc32_ieee(b->buf, b->len) ^ FINGERPRINT_XOR;
            stun_add_u32(b, STUN_ATTR_FINGERPRINT, crc);
        }
    }
    return b->err ? b->err : (int)b->len;
}
