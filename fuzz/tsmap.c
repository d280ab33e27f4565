/*
 * fuzz/tsmap.c: libFuzzer target for the MPEG-TS rewriting of SRT
 * callers' streams (lib/tsmap.c): the bytes any SRT caller sends.
 *
 * Links: lib/tsmap.c lib/bytebuf.c
 *
 * Input: byte 0 picks where a second session starts (a reconnect) and
 * byte 1 how the rest is cut into feeds; the rest is the stream.
 * Whatever the bytes: the output is whole 188-byte packets, each starting
 * with the sync byte; it is the same however the input is cut; and a
 * first session of whole packets comes out unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsmap.h"

static void run(const uint8_t *d, size_t n, size_t at, size_t cut, ByteBuf *out)
{
    TsMap m;
    size_t i = 0;

    tsmap_init(&m);
    while (i < n) {
        size_t end = i + cut < n ? i + cut : n;
        if (i < at && end > at)
            end = at;
        tsmap_feed(&m, d + i, end - i, out);
        i = end;
        if (i == at)
            tsmap_new_session(&m, (int64_t)at);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ByteBuf a, b;
    size_t at, cut, n, i;

    if (size < 2)
        return 0;
    n = size - 2;
    at = n ? (size_t)data[0] * n / 255 : 0;
    cut = 1 + data[1];
    bytebuf_init(&a, 0);
    bytebuf_init(&b, 0);
    run(data + 2, n, at, n + 1, &a);     /* session by session, in one piece */
    run(data + 2, n, at, cut, &b);       /* in pieces */
    if (a.err || b.err)
        abort();
    if (bytebuf_size(&a) % TSMAP_PACKET)
        abort();
    for (i = 0; i < bytebuf_size(&a); i += TSMAP_PACKET)
        if (bytebuf_data(&a)[i] != 0x47)
            abort();
    if (bytebuf_size(&a) != bytebuf_size(&b) ||
        memcmp(bytebuf_data(&a), bytebuf_data(&b), bytebuf_size(&a)))
        abort();
    /* whole packets, no second session: unchanged */
    if (at == n && n % TSMAP_PACKET == 0) {
        int whole = 1;
        for (i = 0; i < n; i += TSMAP_PACKET)
            whole &= data[2 + i] == 0x47;
        if (whole && (bytebuf_size(&a) != n || memcmp(bytebuf_data(&a), data + 2, n)))
            abort();
    }
    bytebuf_free(&a);
    bytebuf_free(&b);
    return 0;
}
