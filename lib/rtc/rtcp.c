/*
 * rtc/rtcp.c: RTCP compound packet parsing and SR/NACK/PLI building.
 * See rtcp.h.
 */
#include <string.h>

#include <libavutil/error.h>

#include "rtc/rtcp.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, unsigned v) { p[0] = v >> 8; p[1] = v; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static RtcpEvent *add_ev(RtcpPacket *o, enum RtcpEventType type, uint32_t ssrc)
{
    RtcpEvent *e;
    if (o->nev >= RTCP_MAX_EVENTS)
        return NULL;
    e = &o->ev[o->nev++];
    memset(e, 0, sizeof(*e));
    e->type = type;
    e->ssrc = ssrc;
    return e;
}

static void report_blocks(RtcpPacket *o, const uint8_t *b, size_t len, int rc)
{
    for (int i = 0; i < rc && len >= 24; i++, b += 24, len -= 24) {
        RtcpEvent *e = add_ev(o, RTCP_EV_RR, rd32(b));
        if (!e)
            return;
        e->fraction_lost = b[4];
        e->lost = (int32_t)((uint32_t)b[5] << 24 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 8) >> 8;
        e->jitter = rd32(b + 12);
    }
}

int rtcp_parse(const uint8_t *p, size_t len, RtcpPacket *o)
{
    size_t off = 0;
    o->nev = 0;
    o->nseqs = 0;
    if (len < 8)
        return AVERROR_INVALIDDATA;
    while (len - off >= 4) {
        const uint8_t *h = p + off;
        int fmt = h[0] & 31, pt = h[1];
        size_t plen = 4 * ((size_t)rd16(h + 2) + 1);
        if ((h[0] >> 6) != 2 || plen > len - off)
            return AVERROR_INVALIDDATA;
        const uint8_t *body = h + 4;
        size_t blen = plen - 4;
        switch (pt) {
        case 200: /* SR: ssrc, ntp (8), rtp ts, packets, octets, blocks */
            if (blen >= 24) {
                RtcpEvent *e = add_ev(o, RTCP_EV_SR, rd32(body));
                if (e) {
                    e->ntp = (uint64_t)rd32(body + 4) << 32 | rd32(body + 8);
                    e->rtp_ts = rd32(body + 12);
                }
                report_blocks(o, body + 24, blen - 24, fmt);
            }
            break;
        case 201:
            if (blen >= 4)
                report_blocks(o, body + 4, blen - 4, fmt);
            break;
        case 203:
            add_ev(o, RTCP_EV_BYE, blen >= 4 ? rd32(body) : 0);
            break;
        case 205: /* RTPFB: sender ssrc, media ssrc, FCI */
            if (fmt == 1 && blen >= 12) {
                RtcpEvent *e = add_ev(o, RTCP_EV_NACK, rd32(body + 4));
                if (!e)
                    break;
                e->first_seq = o->nseqs;
                for (size_t k = 8; k + 4 <= blen; k += 4) {
                    uint16_t pid = rd16(body + k), blp = rd16(body + k + 2);
                    if (o->nseqs < RTCP_MAX_NACKS)
                        o->seqs[o->nseqs++] = pid;
                    for (int b = 0; b < 16; b++)
                        if ((blp >> b & 1) && o->nseqs < RTCP_MAX_NACKS)
                            o->seqs[o->nseqs++] = (uint16_t)(pid + b + 1);
                }
                e->nseq = o->nseqs - e->first_seq;
            }
            break;
        case 206: /* PSFB */
            if (fmt == 1 && blen >= 8) {
                add_ev(o, RTCP_EV_PLI, rd32(body + 4));
            } else if (fmt == 4 && blen >= 16) {
                for (size_t k = 8; k + 8 <= blen; k += 8) {
                    RtcpEvent *e = add_ev(o, RTCP_EV_FIR, rd32(body + k));
                    if (e)
                        e->fir_seq = body[k + 4];
                }
            }
            break;
        default:
            break;
        }
        off += plen;
    }
    return off == len ? 0 : AVERROR_INVALIDDATA;
}

uint64_t rtcp_ntp_from_us(int64_t us)
{
    uint64_t sec = (uint64_t)(us / 1000000) + 2208988800ull;
    uint64_t frac = ((uint64_t)(us % 1000000) << 32) / 1000000;
    return sec << 32 | frac;
}

int rtcp_build_sr(uint8_t *p, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
                  uint32_t packets, uint32_t octets, const char *cname)
{
    size_t cl = strlen(cname), sdes;
    if (cl > 255)
        cl = 255;
    /* SDES: header (4) ssrc (4) item CNAME (2 + cl) end (1), padded to 4 */
    sdes = (4 + 4 + 2 + cl + 1 + 3) & ~(size_t)3;
    if (cap < 28 + sdes)
        return AVERROR(ENOSPC);
    p[0] = 0x80;
    p[1] = 200;
    wr16(p + 2, 6);
    wr32(p + 4, ssrc);
    wr32(p + 8, (uint32_t)(ntp >> 32));
    wr32(p + 12, (uint32_t)ntp);
    wr32(p + 16, rtp_ts);
    wr32(p + 20, packets);
    wr32(p + 24, octets);
    uint8_t *s = p + 28;
    memset(s, 0, sdes);
    s[0] = 0x81;
    s[1] = 202;
    wr16(s + 2, (unsigned)(sdes / 4 - 1));
    wr32(s + 4, ssrc);
    s[8] = 1;
    s[9] = (uint8_t)cl;
    memcpy(s + 10, cname, cl);
    return (int)(28 + sdes);
}

int rtcp_build_nack(uint8_t *p, size_t cap, uint32_t sender, uint32_t media, const uint16_t *seqs, int n)
{
    size_t len = 12;
    int done[RTCP_MAX_NACKS] = { 0 };
    if (n > RTCP_MAX_NACKS)
        n = RTCP_MAX_NACKS;
    if (cap < 12)
        return AVERROR(ENOSPC);
    for (int i = 0; i < n; i++) {
        uint16_t pid, blp = 0;
        if (done[i])
            continue;
        pid = seqs[i];
        done[i] = 1;
        for (int j = i + 1; j < n; j++) {
            uint16_t d = (uint16_t)(seqs[j] - pid);
            if (!done[j] && d >= 1 && d <= 16) {
                blp |= (uint16_t)(1u << (d - 1));
                done[j] = 1;
            } else if (!done[j] && seqs[j] == pid) {
                done[j] = 1;
            }
        }
        if (cap - len < 4)
            return AVERROR(ENOSPC);
        wr16(p + len, pid);
        wr16(p + len + 2, blp);
        len += 4;
    }
    p[0] = 0x81;
    p[1] = 205;
    wr16(p + 2, (unsigned)(len / 4 - 1));
    wr32(p + 4, sender);
    wr32(p + 8, media);
    return (int)len;
}

int rtcp_build_pli(uint8_t *p, size_t cap, uint32_t sender, uint32_t media)
{
    if (cap < 12)
        return AVERROR(ENOSPC);
    p[0] = 0x81;
    p[1] = 206;
    wr16(p + 2, 2);
    wr32(p + 4, sender);
    wr32(p + 8, media);
    return 12;
}

int rtcp_build_rr(uint8_t *p, size_t cap, uint32_t sender, const RtcpReportBlock *b, int n)
{
    size_t len = 8 + 24 * (size_t)n;
    if (n < 0 || n > 31 || cap < len)
        return AVERROR(ENOSPC);
    p[0] = (uint8_t)(0x80 | n);
    p[1] = 201;
    wr16(p + 2, (unsigned)(len / 4 - 1));
    wr32(p + 4, sender);
    for (int i = 0; i < n; i++) {
        uint8_t *q = p + 8 + 24 * i;
        int32_t lost = b[i].lost > 0x7fffff ? 0x7fffff : b[i].lost < -0x800000 ? -0x800000 : b[i].lost;
        wr32(q, b[i].ssrc);
        q[4] = b[i].fraction_lost;
        q[5] = (uint8_t)((uint32_t)lost >> 16);
        q[6] = (uint8_t)((uint32_t)lost >> 8);
        q[7] = (uint8_t)lost;
        wr32(q + 8, b[i].highest);
        wr32(q + 12, b[i].jitter);
        wr32(q + 16, b[i].lsr);
        wr32(q + 20, b[i].dlsr);
    }
    return (int)len;
}

int rtcp_build_remb(uint8_t *p, size_t cap, uint32_t sender, uint64_t bps, const uint32_t *ssrcs, int n)
{
    size_t len = 20 + 4 * (size_t)n;
    int exp = 0;
    if (n < 0 || n > 255 || cap < len)
        return AVERROR(ENOSPC);
    while (bps >> exp > 0x3ffff)    /* an 18-bit mantissa */
        exp++;
    p[0] = 0x8f;                    /* FMT 15: application layer feedback */
    p[1] = 206;
    wr16(p + 2, (unsigned)(len / 4 - 1));
    wr32(p + 4, sender);
    wr32(p + 8, 0);
    memcpy(p + 12, "REMB", 4);
    p[16] = (uint8_t)n;
    p[17] = (uint8_t)(exp << 2 | (uint32_t)(bps >> exp) >> 16);
    wr16(p + 18, (unsigned)(bps >> exp) & 0xffff);
    for (int i = 0; i < n; i++)
        wr32(p + 20 + 4 * i, ssrcs[i]);
    return (int)len;
}
