/*
 * bytebuf.h: a growable byte queue with a hard size limit, used by the
 * protocol encoders (AMF0, RTMP responses, FLV tags) and by live-ingest's
 * per-connection and per-stream output queues.
 *
 * Also the writer of MP4 boxes (cmaf.c): big-endian integers, sizes
 * patched in afterwards (bytebuf_set_be32), the bytes handed over at the
 * end (bytebuf_take).
 *
 * Bytes are appended at the end and consumed from the front. A failed
 * append (over the limit, or out of memory) sets the sticky err field and
 * drops that append, so an encoder can write a whole message and check
 * once. Nothing here does I/O.
 */
#ifndef LIVE_BYTEBUF_H
#define LIVE_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ByteBuf {
    uint8_t *data;
    size_t off;  /* first unconsumed byte */
    size_t len;  /* end of the bytes held */
    size_t cap;
    size_t max;  /* most bytes held at once; 0 = no limit */
    int err;     /* 0, or the first AVERROR an append met */
} ByteBuf;

/* An empty buffer that holds at most max bytes (0: unlimited). */
void bytebuf_init(ByteBuf *b, size_t max);
void bytebuf_free(ByteBuf *b);

static inline size_t bytebuf_size(const ByteBuf *b) { return b->len - b->off; }
/* Never NULL: an empty buffer that never held anything gives "" (NULL + 0
 * would be undefined behaviour, and so would memcpy from NULL). */
static inline const uint8_t *bytebuf_data(const ByteBuf *b)
{
    return b->data ? b->data + b->off : (const uint8_t *)"";
}

/* Room for n more bytes. 0, AVERROR(ENOSPC) over the limit, AVERROR(ENOMEM). */
int bytebuf_reserve(ByteBuf *b, size_t n);

/* Appends; on failure b->err is set and nothing is appended. */
void bytebuf_append(ByteBuf *b, const void *p, size_t n);
void bytebuf_put8(ByteBuf *b, unsigned v);
void bytebuf_put_be16(ByteBuf *b, unsigned v);
void bytebuf_put_be24(ByteBuf *b, uint32_t v);
void bytebuf_put_be32(ByteBuf *b, uint32_t v);
void bytebuf_put_be64(ByteBuf *b, uint64_t v);
void bytebuf_put_le32(ByteBuf *b, uint32_t v);
void bytebuf_put_zeros(ByteBuf *b, size_t n);

/* Overwrite the 4 bytes at offset at (from bytebuf_data) with v, big
 * endian; nothing when they are not all held or err is set. */
void bytebuf_set_be32(ByteBuf *b, size_t at, uint32_t v);

/* Hand the bytes held over to the caller (free them; NULL when none) with
 * their count in *len, and empty the buffer. */
uint8_t *bytebuf_take(ByteBuf *b, size_t *len);

/* Drop n bytes (at most bytebuf_size) from the front. */
void bytebuf_consume(ByteBuf *b, size_t n);
/* Forget everything held, keep the memory; err is cleared. */
void bytebuf_reset(ByteBuf *b);

#endif
