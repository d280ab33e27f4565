/*
 * bytebuf.c: growable byte queue with a limit. See bytebuf.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "bytebuf.h"

void bytebuf_init(ByteBuf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void bytebuf_free(ByteBuf *b)
{
    free(b->data);
    b->data = NULL;
    b->off = b->len = b->cap = 0;
}

int bytebuf_reserve(ByteBuf *b, size_t n)
{
    size_t held = b->len - b->off, want, cap;
    uint8_t *p;

    if (n > SIZE_MAX / 2 - held)
        return AVERROR(ENOSPC);
    if (b->max && held + n > b->max)
        return AVERROR(ENOSPC);
    if (b->cap - b->len >= n)
        return 0;
    /* Move the held bytes to the front before growing. */
    if (b->off) {
        memmove(b->data, b->data + b->off, held);
        b->off = 0;
        b->len = held;
        if (b->cap - b->len >= n)
            return 0;
    }
    want = held + n;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    if (b->max && cap > b->max && want <= b->max)
        cap = b->max;
    p = realloc(b->data, cap);
    if (!p)
        return AVERROR(ENOMEM);
    b->data = p;
    b->cap = cap;
    return 0;
}

void bytebuf_append(ByteBuf *b, const void *p, size_t n)
{
    int ret;

    if (n == 0)
        return;
    if ((ret = bytebuf_reserve(b, n)) < 0) {
        if (!b->err)
            b->err = ret;
        return;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void bytebuf_put8(ByteBuf *b, unsigned v)
{
    uint8_t x = v;
    bytebuf_append(b, &x, 1);
}

void bytebuf_put_be16(ByteBuf *b, unsigned v)
{
    uint8_t x[2] = { v >> 8, v };
    bytebuf_append(b, x, 2);
}

void bytebuf_put_be24(ByteBuf *b, uint32_t v)
{
    uint8_t x[3] = { v >> 16, v >> 8, v };
    bytebuf_append(b, x, 3);
}

void bytebuf_put_be32(ByteBuf *b, uint32_t v)
{
    uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };
    bytebuf_append(b, x, 4);
}

void bytebuf_put_be64(ByteBuf *b, uint64_t v)
{
    bytebuf_put_be32(b, (uint32_t)(v >> 32));
    bytebuf_put_be32(b, (uint32_t)v);
}

void bytebuf_put_zeros(ByteBuf *b, size_t n)
{
    int ret;

    if ((ret = bytebuf_reserve(b, n)) < 0) {
        if (!b->err)
            b->err = ret;
        return;
    }
    memset(b->data + b->len, 0, n);
    b->len += n;
}

void bytebuf_set_be32(ByteBuf *b, size_t at, uint32_t v)
{
    uint8_t *p;

    if (b->err || at > bytebuf_size(b) || bytebuf_size(b) - at < 4)
        return;
    p = b->data + b->off + at;
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint8_t *bytebuf_take(ByteBuf *b, size_t *len)
{
    uint8_t *p = b->data;

    *len = bytebuf_size(b);
    if (p && b->off)
        memmove(p, p + b->off, *len);
    b->data = NULL;
    b->off = b->len = b->cap = 0;
    return p;
}

void bytebuf_put_le32(ByteBuf *b, uint32_t v)
{
    uint8_t x[4] = { v, v >> 8, v >> 16, v >> 24 };
    bytebuf_append(b, x, 4);
}

void bytebuf_consume(ByteBuf *b, size_t n)
{
    size_t held = b->len - b->off;

    if (n >= held) {
        b->off = b->len = 0;
        return;
    }
    b->off += n;
}

void bytebuf_reset(ByteBuf *b)
{
    b->off = b->len = 0;
    b->err = 0;
}
