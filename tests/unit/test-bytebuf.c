/* Unit tests for lib/bytebuf.c: appends in both byte orders, the limit and
 * the sticky error, consuming from the front, patching and handing over. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "bytebuf.h"
#include "tap.h"

int main(void)
{
    static const uint8_t want[] = {
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x0f, 0x0e, 0x0d, 0x0c,
        0, 0, 0, 'x', 'y',
    };
    ByteBuf b;
    uint8_t *p;
    size_t len;

    plan(16);
    bytebuf_init(&b, 0);
    is_int(bytebuf_size(&b), 0, "empty");
    ok(bytebuf_data(&b) != NULL, "data of an empty buffer is not NULL");
    bytebuf_put8(&b, 0x01);
    bytebuf_put_be16(&b, 0x0203);
    bytebuf_put_be24(&b, 0x040506);
    bytebuf_put_be32(&b, 0x0708090a);
    bytebuf_put_be64(&b, 0x0b);
    bytebuf_put_le32(&b, 0x0c0d0e0f);
    bytebuf_put_zeros(&b, 3);
    bytebuf_append(&b, "xy", 2);
    is_int(b.err, 0, "no error");
    is_int(bytebuf_size(&b), sizeof(want), "every byte held");
    ok(!memcmp(bytebuf_data(&b), want, sizeof(want)), "big and little endian, zeros, bytes");

    bytebuf_set_be32(&b, 1, 0xa1a2a3a4);
    ok(!memcmp(bytebuf_data(&b), "\x01\xa1\xa2\xa3\xa4\x06", 6), "set_be32 patches in place");
    bytebuf_set_be32(&b, sizeof(want) - 3, 0xffffffff);
    ok(!memcmp(bytebuf_data(&b) + sizeof(want) - 3, "\0xy", 3), "not past the end");

    bytebuf_consume(&b, 5);
    is_int(bytebuf_size(&b), sizeof(want) - 5, "consume from the front");
    bytebuf_set_be32(&b, 0, 0x11223344);
    ok(!memcmp(bytebuf_data(&b), "\x11\x22\x33\x44", 4), "offsets count from the front");
    p = bytebuf_take(&b, &len);
    is_int(len, sizeof(want) - 5, "take: the count");
    ok(p && !memcmp(p, "\x11\x22\x33\x44\x0a\x00", 6), "take: the bytes, moved to the start");
    is_int(bytebuf_size(&b), 0, "take empties the buffer");
    free(p);
    bytebuf_free(&b);

    bytebuf_init(&b, 4);
    bytebuf_put_be32(&b, 1);
    is_int(b.err, 0, "up to the limit");
    bytebuf_put8(&b, 2);
    is_int(b.err, AVERROR(ENOSPC), "past it: ENOSPC");
    is_int(bytebuf_size(&b), 4, "and the append dropped");
    bytebuf_reset(&b);
    is_int(b.err, 0, "reset clears the error");
    bytebuf_free(&b);
    return done();
}
