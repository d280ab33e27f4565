/*
 * tsmap.c: MPEG-TS timestamps continued across SRT sessions. See tsmap.h.
 */
#include <string.h>

#include "tsmap.h"

#define WRAP (1LL << 33)

void tsmap_init(TsMap *m)
{
    memset(m, 0, sizeof(*m));
    m->session = 1;
    m->max_out = INT64_MIN;
}

void tsmap_new_session(TsMap *m, int64_t gap_ms)
{
    m->session++;
    m->have = 0;
    m->dropped += (int64_t)m->ncarry;   /* the last caller's unfinished packet */
    m->ncarry = 0;
    m->gap = gap_ms > 0 ? gap_ms * 90 : 0;
    if (m->gap < TSMAP_MIN_GAP)
        m->gap = TSMAP_MIN_GAP;
    memset(m->marked, 0, sizeof(m->marked));
}

/* A timestamp of this session (33 bits) on the output's timeline (33 bits). */
static uint64_t map(TsMap *m, uint64_t raw)
{
    int64_t out;

    if (!m->have) {
        m->have = 1;
        m->cur = (int64_t)raw;
        if (m->session > 1 && m->max_out != INT64_MIN)
            m->offset = m->max_out + m->gap - (int64_t)raw;
        else
            m->offset = 0;
    } else {
        /* the step from the last one, within +-2^32 (wrap-around) */
        int64_t d = (int64_t)((raw - m->last_raw) & (WRAP - 1));
        if (d >= WRAP / 2)
            d -= WRAP;
        m->cur += d;
    }
    m->last_raw = raw;
    out = m->cur + m->offset;
    if (m->max_out == INT64_MIN || out > m->max_out)
        m->max_out = out;
    return (uint64_t)(((out % WRAP) + WRAP) % WRAP);
}

/* PCR or OPCR at p (6 bytes): 33-bit base, 6 reserved bits, 9-bit extension. */
static void map_pcr(TsMap *m, uint8_t *p)
{
    uint64_t base = (uint64_t)p[0] << 25 | (uint64_t)p[1] << 17 | (uint64_t)p[2] << 9 |
                    (uint64_t)p[3] << 1 | p[4] >> 7;
    uint64_t raw = base;

    if ((base = map(m, base)) == raw)
        return;   /* the bits as they came (the first session) */
    p[0] = (uint8_t)(base >> 25);
    p[1] = (uint8_t)(base >> 17);
    p[2] = (uint8_t)(base >> 9);
    p[3] = (uint8_t)(base >> 1);
    p[4] = (uint8_t)((base & 1) << 7 | (p[4] & 0x7f));
}

/* PTS or DTS at p (5 bytes: prefix:4 ts[32..30] 1 | ts[29..15] 1 | ts[14..0] 1). */
static void map_pes_ts(TsMap *m, uint8_t *p)
{
    uint64_t ts = (uint64_t)(p[0] >> 1 & 7) << 30 | (uint64_t)p[1] << 22 |
                  (uint64_t)(p[2] >> 1) << 15 | (uint64_t)p[3] << 7 | p[4] >> 1;
    uint64_t raw = ts;

    if ((ts = map(m, ts)) == raw)
        return;   /* marker bits as they came, even wrong ones */
    p[0] = (uint8_t)((p[0] & 0xf0) | (ts >> 29 & 0x0e) | 1);
    p[1] = (uint8_t)(ts >> 22);
    p[2] = (uint8_t)((ts >> 14 & 0xfe) | 1);
    p[3] = (uint8_t)(ts >> 7);
    p[4] = (uint8_t)((ts << 1 & 0xfe) | 1);
}

/* stream ids without the optional PES header (13818-1 table 2-21) */
static int pes_has_header(int sid)
{
    return sid != 0xbc && sid != 0xbe && sid != 0xbf && sid != 0xf0 && sid != 0xf1 &&
           sid != 0xff && sid != 0xf2 && sid != 0xf8;
}

/* The PES header at the start of the payload p[0..n). */
static void map_pes(TsMap *m, uint8_t *p, size_t n)
{
    int flags;

    if (n < 9 || p[0] || p[1] || p[2] != 1 || !pes_has_header(p[3]) || (p[6] & 0xc0) != 0x80)
        return;
    flags = p[7] >> 6;
    if (flags == 1 || (size_t)9 + p[8] > n)
        return;
    if (flags >= 2 && p[8] >= 5)
        map_pes_ts(m, p + 9);
    if (flags == 3 && p[8] >= 10)
        map_pes_ts(m, p + 14);
}

/* One whole packet (pk[0] == 0x47), rewritten, to out. */
static void packet(TsMap *m, uint8_t *pk, ByteBuf *out)
{
    int pid = (pk[1] & 0x1f) << 8 | pk[2], afc = pk[3] >> 4 & 3;
    size_t pos = 4;

    if (afc & 2) {
        size_t len = pk[4];
        if (len > TSMAP_PACKET - 5 || (afc == 3 && len > TSMAP_PACKET - 6)) {
            bytebuf_append(out, pk, TSMAP_PACKET);   /* bad: as it is */
            return;
        }
        if (len >= 7 && (pk[5] & 0x10))
            map_pcr(m, pk + 6);
        if (len >= 7 + 6 * !!(pk[5] & 0x10) && (pk[5] & 0x08))
            map_pcr(m, pk + 6 + 6 * !!(pk[5] & 0x10));
        pos = 5 + len;
    }
    if ((afc & 1) && (pk[1] & 0x40) && pid != 0x1fff)
        map_pes(m, pk + pos, TSMAP_PACKET - pos);
    if (m->session > 1 && pid != 0x1fff && !(m->marked[pid >> 3] & (1 << (pid & 7)))) {
        m->marked[pid >> 3] |= (uint8_t)(1 << (pid & 7));
        if ((afc & 2) && pk[4] > 0) {
            pk[5] |= 0x80;
        } else {
            /* an adaptation field alone, before it, says so */
            uint8_t af[TSMAP_PACKET];
            memset(af, 0xff, sizeof(af));
            af[0] = 0x47;
            af[1] = (uint8_t)(pk[1] & 0x1f);
            af[2] = pk[2];
            af[3] = (uint8_t)(0x20 | (pk[3] & 0x0f));
            af[4] = TSMAP_PACKET - 5;
            af[5] = 0x80;
            bytebuf_append(out, af, sizeof(af));
        }
    }
    bytebuf_append(out, pk, TSMAP_PACKET);
}

void tsmap_feed(TsMap *m, const uint8_t *in, size_t n, ByteBuf *out)
{
    while (n > 0) {
        size_t take;

        if (m->ncarry == 0) {
            /* whole packets straight from the input, in place in a copy */
            if (in[0] != 0x47) {
                const uint8_t *sync = memchr(in, 0x47, n);
                size_t skip = sync ? (size_t)(sync - in) : n;
                m->dropped += (int64_t)skip;
                in += skip;
                n -= skip;
                continue;
            }
            if (n >= TSMAP_PACKET) {
                uint8_t pk[TSMAP_PACKET];
                memcpy(pk, in, TSMAP_PACKET);
                packet(m, pk, out);
                in += TSMAP_PACKET;
                n -= TSMAP_PACKET;
                continue;
            }
        }
        take = TSMAP_PACKET - m->ncarry;
        if (take > n)
            take = n;
        memcpy(m->carry + m->ncarry, in, take);
        m->ncarry += take;
        in += take;
        n -= take;
        if (m->ncarry == TSMAP_PACKET) {
            m->ncarry = 0;
            packet(m, m->carry, out);
        }
    }
}
