/*
 * rtc/rtp.c: RTP headers, H.264 (RFC 6184) and Opus (RFC 7587)
 * packetisers. See rtp.h.
 */
#include <string.h>

#include <libavutil/error.h>

#include "rtc/rtp.h"

static void wr16(uint8_t *p, unsigned v) { p[0] = v >> 8; p[1] = v; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int rtp_is_rtcp(const uint8_t *p, size_t len)
{
    return len >= 2 && (p[0] >> 6) == 2 && p[1] >= 192 && p[1] <= 223;
}

int rtp_parse(const uint8_t *p, size_t len, RtpHeader *h)
{
    size_t hs, pad = 0;
    memset(h, 0, sizeof(*h));
    if (len < RTP_HEADER_SIZE || (p[0] >> 6) != 2)
        return AVERROR_INVALIDDATA;
    hs = RTP_HEADER_SIZE + 4u * (p[0] & 15);
    if (hs > len)
        return AVERROR_INVALIDDATA;
    if (p[0] & 0x10) { /* extension: profile (2) length in words (2) */
        if (len - hs < 4)
            return AVERROR_INVALIDDATA;
        size_t ext = 4 + 4u * (p[hs + 2] << 8 | p[hs + 3]);
        if (ext > len - hs)
            return AVERROR_INVALIDDATA;
        hs += ext;
    }
    if (p[0] & 0x20) {
        if (len == hs)
            return AVERROR_INVALIDDATA;
        pad = p[len - 1];
        if (!pad || pad > len - hs)
            return AVERROR_INVALIDDATA;
    }
    h->marker = p[1] >> 7;
    h->pt = p[1] & 0x7f;
    h->seq = (uint16_t)(p[2] << 8 | p[3]);
    h->ts = rd32(p + 4);
    h->ssrc = rd32(p + 8);
    h->header_size = hs;
    h->payload_size = len - hs - pad;
    return 0;
}

void rtp_write_header(uint8_t *p, int marker, int pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    p[0] = 0x80;
    p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    wr16(p + 2, seq);
    wr32(p + 4, ts);
    wr32(p + 8, ssrc);
}

void rtp_sender_init(RtpSender *s, uint32_t ssrc, int pt, size_t mtu)
{
    memset(s, 0, sizeof(*s));
    s->ssrc = ssrc;
    s->pt = pt;
    s->mtu = mtu >= 64 && mtu <= RTP_MAX_PACKET ? mtu : RTP_DEFAULT_MTU;
    /* RFC 3550: the first sequence number is random; callers may set it. */
}

static int emit_packet(RtpSender *s, uint8_t *pkt, size_t len, int marker, uint32_t ts, RtpEmit emit,
                       void *opaque)
{
    rtp_write_header(pkt, marker, s->pt, s->seq, ts, s->ssrc);
    s->seq++;
    s->packets++;
    s->octets += (uint32_t)(len - RTP_HEADER_SIZE);
    s->last_ts = ts;
    return emit(opaque, pkt, len);
}

int rtp_h264_split(const uint8_t *data, size_t size, int nal_length_size, const uint8_t **nals,
                   size_t *sizes, int max)
{
    int n = 0;
    size_t i = 0;

    if (nal_length_size) {
        if (nal_length_size != 1 && nal_length_size != 2 && nal_length_size != 4)
            return AVERROR_INVALIDDATA;
        while (i < size) {
            size_t len = 0;
            if (size - i < (size_t)nal_length_size)
                return AVERROR_INVALIDDATA;
            for (int k = 0; k < nal_length_size; k++)
                len = len << 8 | data[i + k];
            i += nal_length_size;
            if (len > size - i)
                return AVERROR_INVALIDDATA;
            if (len && n < max) {
                nals[n] = data + i;
                sizes[n++] = len;
            }
            i += len;
        }
        return n;
    }
    /* Annex B: 00 00 01 or 00 00 00 01 start codes */
    size_t start = SIZE_MAX;
    while (i + 3 <= size) {
        if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
            if (start != SIZE_MAX) {
                size_t e = i;
                while (e > start && data[e - 1] == 0)
                    e--;
                if (e > start && n < max) {
                    nals[n] = data + start;
                    sizes[n++] = e - start;
                }
            }
            i += 3;
            start = i;
        } else {
            i++;
        }
    }
    if (start != SIZE_MAX && start < size && n < max) {
        nals[n] = data + start;
        sizes[n++] = size - start;
    }
    return n;
}

/* Access unit delimiters and filler carry nothing a decoder needs; types
 * 0 and 24..31 are not H.264 NAL units but RTP packet types (RFC 6184
 * table 1) and would be misread by the receiver. */
static int skip_nal(int type)
{
    return type == 0 || type == 9 || type == 12 || type >= 24;
}

int rtp_h264_send(RtpSender *s, const uint8_t *const *nals, const size_t *sizes, int n, uint32_t ts,
                  RtpEmit emit, void *opaque)
{
    uint8_t pkt[RTP_MAX_PACKET];
    size_t room = s->mtu - RTP_HEADER_SIZE;
    int last = -1, ret;

    for (int i = 0; i < n; i++)
        if (sizes[i] && !skip_nal(nals[i][0] & 0x1f))
            last = i;
    for (int i = 0; i < n; i++) {
        const uint8_t *nal = nals[i];
        size_t size = sizes[i];
        int type;
        if (!size)
            continue;
        if (nal[0] & 0x80)
            return AVERROR_INVALIDDATA; /* forbidden_zero_bit */
        type = nal[0] & 0x1f;
        if (skip_nal(type))
            continue;
        /* STAP-A: a run of small NAL units that fit together, from SPS/PPS */
        if ((type == 7 || type == 8) && i + 1 < n) {
            size_t used = 1;
            int j = i, nri = 0;
            while (j < n && sizes[j] && ((nals[j][0] & 0x1f) == 7 || (nals[j][0] & 0x1f) == 8) &&
                   used + 2 + sizes[j] <= room) {
                used += 2 + sizes[j];
                if ((nals[j][0] & 0x60) > nri)
                    nri = nals[j][0] & 0x60;
                j++;
            }
            if (j - i >= 2) {
                uint8_t *q = pkt + RTP_HEADER_SIZE;
                *q++ = (uint8_t)(nri | 24);
                for (int k = i; k < j; k++) {
                    wr16(q, (unsigned)sizes[k]);
                    memcpy(q + 2, nals[k], sizes[k]);
                    q += 2 + sizes[k];
                }
                if ((ret = emit_packet(s, pkt, (size_t)(q - pkt), j - 1 == last, ts, emit, opaque)) < 0)
                    return ret;
                i = j - 1;
                continue;
            }
        }
        if (size <= room) {
            memcpy(pkt + RTP_HEADER_SIZE, nal, size);
            if ((ret = emit_packet(s, pkt, RTP_HEADER_SIZE + size, i == last, ts, emit, opaque)) < 0)
                return ret;
            continue;
        }
        /* FU-A */
        size_t off = 1, chunk = room - 2;
        while (off < size) {
            size_t take = size - off < chunk ? size - off : chunk;
            int start = off == 1, end = off + take == size;
            pkt[RTP_HEADER_SIZE] = (uint8_t)((nal[0] & 0xe0) | 28);
            pkt[RTP_HEADER_SIZE + 1] = (uint8_t)((start ? 0x80 : 0) | (end ? 0x40 : 0) | type);
            memcpy(pkt + RTP_HEADER_SIZE + 2, nal + off, take);
            if ((ret = emit_packet(s, pkt, RTP_HEADER_SIZE + 2 + take, end && i == last, ts, emit,
                                   opaque)) < 0)
                return ret;
            off += take;
        }
    }
    return 0;
}

int rtp_opus_send(RtpSender *s, const uint8_t *data, size_t size, uint32_t ts, RtpEmit emit, void *opaque)
{
    uint8_t pkt[RTP_MAX_PACKET];
    if (!size || size > s->mtu - RTP_HEADER_SIZE)
        return AVERROR_INVALIDDATA;
    memcpy(pkt + RTP_HEADER_SIZE, data, size);
    return emit_packet(s, pkt, RTP_HEADER_SIZE + size, 0, ts, emit, opaque);
}
