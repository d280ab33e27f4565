/* Unit tests for lib/tsmap.c: MPEG-TS timestamps continued across SRT
 * sessions, on packets made here byte by byte. */
#include <string.h>

#include "tsmap.h"
#include "tap.h"

#define P TSMAP_PACKET

static void put_ts(uint8_t *p, int prefix, uint64_t ts)
{
    p[0] = (uint8_t)(prefix << 4 | (ts >> 29 & 0x0e) | 1);
    p[1] = (uint8_t)(ts >> 22);
    p[2] = (uint8_t)((ts >> 14 & 0xfe) | 1);
    p[3] = (uint8_t)(ts >> 7);
    p[4] = (uint8_t)((ts << 1 & 0xfe) | 1);
}

static uint64_t get_ts(const uint8_t *p)
{
    return (uint64_t)(p[0] >> 1 & 7) << 30 | (uint64_t)p[1] << 22 |
           (uint64_t)(p[2] >> 1) << 15 | (uint64_t)p[3] << 7 | p[4] >> 1;
}

/* A PES start packet on pid with PTS (and DTS if dts >= 0), and a PCR in
 * an adaptation field if pcr >= 0. */
static void pes(uint8_t *pk, int pid, int cc, int64_t pcr, uint64_t pts, int64_t dts)
{
    size_t pos = 4;
    memset(pk, 0xab, P);
    pk[0] = 0x47;
    pk[1] = (uint8_t)(0x40 | pid >> 8);
    pk[2] = (uint8_t)pid;
    pk[3] = (uint8_t)((pcr >= 0 ? 0x30 : 0x10) | cc);
    if (pcr >= 0) {
        pk[4] = 7;
        pk[5] = 0x50;  /* RAI, PCR */
        pk[6] = (uint8_t)(pcr >> 25);
        pk[7] = (uint8_t)(pcr >> 17);
        pk[8] = (uint8_t)(pcr >> 9);
        pk[9] = (uint8_t)(pcr >> 1);
        pk[10] = (uint8_t)((pcr & 1) << 7 | 0x7e);
        pk[11] = 0;
        pos = 12;
    }
    memcpy(pk + pos, "\0\0\1\xe0\0\0\x80", 7);
    pk[pos + 7] = dts >= 0 ? 0xc0 : 0x80;
    pk[pos + 8] = dts >= 0 ? 10 : 5;
    put_ts(pk + pos + 9, dts >= 0 ? 3 : 2, pts);
    if (dts >= 0)
        put_ts(pk + pos + 14, 1, (uint64_t)dts);
}

static uint64_t pcr_of(const uint8_t *pk)
{
    return (uint64_t)pk[6] << 25 | (uint64_t)pk[7] << 17 | (uint64_t)pk[8] << 9 |
           (uint64_t)pk[9] << 1 | pk[10] >> 7;
}

int main(void)
{
    TsMap m;
    ByteBuf out;
    uint8_t a[P], b[P], in[3 * P];
    const uint8_t *o;

    bytebuf_init(&out, 0);
    tsmap_init(&m);

    /* session 1: unchanged */
    pes(a, 0x100, 0, 126000, 189000, 180000);
    pes(b, 0x101, 0, -1, 126000, -1);
    memcpy(in, a, P);
    memcpy(in + P, b, P);
    tsmap_feed(&m, in, 2 * P, &out);
    ok(bytebuf_size(&out) == 2 * P && !memcmp(bytebuf_data(&out), in, 2 * P),
       "the first session passes unchanged");
    is_int(m.max_out, 189000, "  its largest timestamp noted");
    bytebuf_reset(&out);

    /* split anywhere, garbage before: whole packets out */
    pes(a, 0x100, 1, 135000, 279000, 270000);
    memcpy(in, "xyz", 3);
    memcpy(in + 3, a, P);
    tsmap_feed(&m, in, 50, &out);
    is_int(bytebuf_size(&out), 0, "a partial packet is kept");
    tsmap_feed(&m, in + 50, P + 3 - 50, &out);
    ok(bytebuf_size(&out) == P && !memcmp(bytebuf_data(&out), a, P),
       "completed, it comes out whole");
    is_int(m.dropped, 3, "  the bytes before the sync byte dropped");
    bytebuf_reset(&out);

    /* session 2, 3 s away, its clock starting anew at 1.4 s */
    tsmap_new_session(&m, 3000);
    pes(a, 0x100, 0, 126000, 189000, 180000);
    pes(b, 0x101, 5, -1, 126000, -1);
    memcpy(in, a, P);
    memcpy(in + P, b, P);
    tsmap_feed(&m, in, 2 * P, &out);
    o = bytebuf_data(&out);
    /* out: a (its adaptation field marked), an AF-only packet for 0x101, b */
    is_int(bytebuf_size(&out), 3 * P, "session 2: one packet more");
    is_int(pcr_of(o), 279000 + 270000, "  the first timestamp (PCR) goes on 3 s after the largest");
    is_int(get_ts(o + 12 + 9), 279000 + 270000 + 63000, "  PTS shifted the same");
    is_int(get_ts(o + 12 + 14), 279000 + 270000 + 54000, "  DTS shifted the same");
    is_int(o[12 + 9] >> 4, 3, "  the PTS prefix kept");
    ok(o[5] & 0x80, "  the discontinuity indicator set in its adaptation field");
    ok(o[5] & 0x50, "  its other flags kept");
    ok(o[P] == 0x47 && (o[P + 1] & 0x1f) == 1 && o[P + 2] == 1 && (o[P + 3] & 0x30) == 0x20 &&
       o[P + 4] == 183 && o[P + 5] == 0x80 && (o[P + 3] & 0x0f) == 5,
       "  an adaptation-field-only packet with it before pid 0x101's first");
    is_int(get_ts(o + 2 * P + 4 + 9), 279000 + 270000, "  audio PTS shifted");
    bytebuf_reset(&out);
    pes(b, 0x101, 6, -1, 130000, -1);
    tsmap_feed(&m, b, P, &out);
    is_int(bytebuf_size(&out), P, "a PID is marked once per session");
    bytebuf_reset(&out);

    /* a short gap: at least TSMAP_MIN_GAP */
    tsmap_new_session(&m, 10);
    pes(a, 0x100, 0, 900000, 900000, -1);
    tsmap_feed(&m, a, P, &out);
    is_int(pcr_of(bytebuf_data(&out)), 279000 + 270000 + 63000 + TSMAP_MIN_GAP,
           "a gap under 1 s counts as 1 s");
    bytebuf_reset(&out);

    /* wrap-around: a new session near 2^33 continues past it */
    tsmap_init(&m);
    pes(a, 0x100, 0, -1, (1ULL << 33) - 9000, -1);
    tsmap_feed(&m, a, P, &out);
    pes(a, 0x100, 1, -1, 9000, -1);    /* 0.2 s later, wrapped */
    tsmap_feed(&m, a, P, &out);
    is_int(m.max_out, (1LL << 33) + 9000, "33-bit wrap-around unwrapped");
    tsmap_new_session(&m, 2000);
    pes(a, 0x100, 0, -1, 500, -1);
    tsmap_feed(&m, a, P, &out);
    is_int(get_ts(bytebuf_data(&out) + 3 * P + 4 + 9), 9000 + 180000,
           "  the next session continues after it, written modulo 2^33");
    bytebuf_reset(&out);

    /* bad adaptation field length: passed as it is */
    tsmap_new_session(&m, 2000);
    pes(a, 0x100, 0, 126000, 189000, -1);
    a[4] = 190;
    memcpy(b, a, P);
    tsmap_feed(&m, a, P, &out);
    ok(bytebuf_size(&out) == P && !memcmp(bytebuf_data(&out), b, P),
       "an adaptation field longer than the packet: unchanged");
    bytebuf_reset(&out);
    /* a PES header longer than the packet: unchanged */
    pes(a, 0x102, 0, -1, 189000, -1);
    a[4 + 8] = 200;
    memcpy(b, a, P);
    tsmap_feed(&m, a, P, &out);
    ok(bytebuf_size(&out) == 2 * P && !memcmp(bytebuf_data(&out) + P, b, P),
       "a PES header past the packet's end: unchanged (but marked)");
    bytebuf_reset(&out);

    /* a packet left unfinished by a caller is dropped at the next session */
    tsmap_init(&m);
    pes(a, 0x100, 0, -1, 1000, -1);
    tsmap_feed(&m, a, P, &out);
    tsmap_feed(&m, a, 100, &out);
    tsmap_new_session(&m, 1000);
    pes(a, 0x100, 1, 5000, 5000, -1);
    tsmap_feed(&m, a, P, &out);
    o = bytebuf_data(&out);
    ok(bytebuf_size(&out) == 2 * P && o[P] == 0x47 && pcr_of(o + P) == 1000 + 90000 &&
       m.dropped == 100, "a caller's unfinished packet is dropped when the next one starts");
    bytebuf_free(&out);
    return done();
}
