/* Unit tests for lib/amf.c: round trips, lookups, limits, truncation. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "amf.h"
#include "bytebuf.h"
#include "tap.h"

int main(void)
{
    ByteBuf b;
    AmfDoc *doc = NULL;
    const AmfNode *n, *obj;
    char big[70000];

    bytebuf_init(&b, 0);
    amf_put_string(&b, "connect");
    amf_put_number(&b, 1.5);
    amf_put_object_begin(&b);
    amf_put_key(&b, "app");
    amf_put_string(&b, "live");
    amf_put_key(&b, "nested");
    amf_put_ecma_begin(&b, 2);
    amf_put_key(&b, "a");
    amf_put_bool(&b, 1);
    amf_put_key(&b, "b");
    amf_put_null(&b);
    amf_put_object_end(&b);
    amf_put_key(&b, "n");
    amf_put_number(&b, 42);
    amf_put_object_end(&b);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    amf_put_string(&b, big);
    /* a strict array [1, "s"] and a date, by hand */
    bytebuf_append(&b, "\x0a\x00\x00\x00\x02\x00\x3f\xf0\x00\x00\x00\x00\x00\x00\x02\x00\x01s", 18);
    bytebuf_append(&b, "\x0b\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00", 11);
    bytebuf_put8(&b, AMF_UNDEFINED);
    is_int(b.err, 0, "encoding succeeds");

    is_int(amf_decode(bytebuf_data(&b), bytebuf_size(&b), &doc), 0, "decode");
    is_int(doc->ntop, 7, "seven top-level values");
    ok(amf_is_str(amf_top(doc, 0), "connect"), "string");
    n = amf_top(doc, 1);
    ok(n && n->type == AMF_NUMBER && n->num == 1.5, "number");
    obj = amf_top(doc, 2);
    is_str(amf_prop_str(doc, obj, "app"), "live", "object property");
    is_dbl(amf_prop_num(doc, obj, "n", -1), 42, 0, "property after a nested array");
    n = amf_prop(doc, obj, "nested");
    ok(n && n->type == AMF_ECMA_ARRAY && n->nchildren == 2, "nested ECMA array");
    is_dbl(amf_prop_num(doc, n, "a", -1), 1, 0, "boolean inside");
    ok(amf_prop(doc, obj, "missing") == NULL, "missing property");
    ok(amf_prop_str(doc, obj, "n") == NULL, "a number is not a string");
    n = amf_top(doc, 3);
    ok(n && n->type == AMF_STRING && n->len == sizeof(big) - 1, "long string over 65535");
    n = amf_top(doc, 4);
    ok(n && n->type == AMF_STRICT_ARRAY && n->nchildren == 2, "strict array");
    n = amf_top(doc, 5);
    ok(n && n->type == AMF_DATE && n->num == 2, "date");
    ok(amf_top(doc, 6) && amf_top(doc, 6)->type == AMF_UNDEFINED, "undefined");
    ok(amf_top(doc, 7) == NULL, "no eighth value");
    ok(amf_top(doc, 2)->end - amf_top(doc, 2)->pos > 10, "value byte ranges");
    amf_doc_free(&doc);
    ok(doc == NULL, "amf_doc_free clears the pointer");

    /* every truncation fails cleanly */
    int bad = 0;
    for (size_t len = 1; len < bytebuf_size(&b); len += (len < 300 ? 1 : 997)) {
        int r = amf_decode(bytebuf_data(&b), len, &doc);
        if (r == 0) {
            /* only a cut exactly between top-level values may decode */
            amf_doc_free(&doc);
            continue;
        }
        if (r != AVERROR_INVALIDDATA)
            bad++;
    }
    is_int(bad, 0, "truncated input: AVERROR_INVALIDDATA, never a crash");
    is_int(amf_decode(bytebuf_data(&b), 9, &doc), AVERROR_INVALIDDATA, "cut inside a string");

    /* limits */
    bytebuf_reset(&b);
    for (int i = 0; i < AMF_MAX_DEPTH + 2; i++) {
        amf_put_object_begin(&b);
        amf_put_key(&b, "k");
    }
    amf_put_null(&b);
    for (int i = 0; i < AMF_MAX_DEPTH + 2; i++)
        amf_put_object_end(&b);
    is_int(amf_decode(bytebuf_data(&b), bytebuf_size(&b), &doc), AVERROR_INVALIDDATA,
           "nesting deeper than the limit refused");
    bytebuf_reset(&b);
    for (int i = 0; i < AMF_MAX_NODES + 1; i++)
        amf_put_null(&b);
    is_int(amf_decode(bytebuf_data(&b), bytebuf_size(&b), &doc), AVERROR_INVALIDDATA,
           "more values than the node limit refused");
    is_int(amf_decode((const uint8_t *)"\x0a\xff\xff\xff\xff\x05", 6, &doc), AVERROR_INVALIDDATA,
           "strict array count past the input refused");
    is_int(amf_decode((const uint8_t *)"\x0c\xff\xff\xff\xf0", 5, &doc), AVERROR_INVALIDDATA,
           "long string length past the input refused");
    is_int(amf_decode((const uint8_t *)"\x03\x00\x01k\x05", 5, &doc), AVERROR_INVALIDDATA,
           "object without its end marker refused");
    is_int(amf_decode((const uint8_t *)"\x07\x00\x01", 3, &doc), AVERROR_INVALIDDATA,
           "references are not decoded");
    is_int(amf_decode((const uint8_t *)"\x11\x00", 2, &doc), AVERROR_INVALIDDATA, "AVM+ refused");
    is_int(amf_decode((const uint8_t *)"\x02\x00\x03" "a\0b", 6, &doc), 0, "a string with a NUL");
    n = amf_top(doc, 0);
    ok(n->len == 3 && !amf_is_str(n, "a"), "its length is kept");
    amf_doc_free(&doc);
    is_int(amf_decode((const uint8_t *)"", 0, &doc), 0, "empty input decodes to nothing");
    is_int(doc->ntop, 0, "no values");
    amf_doc_free(&doc);

    /* encoder limits are sticky errors */
    bytebuf_free(&b);
    bytebuf_init(&b, 8);
    amf_put_string(&b, "longer than eight");
    ok(b.err != 0, "an append over the buffer limit sets err");
    bytebuf_free(&b);

    /* random input: never a crash */
    srand(1);
    for (int i = 0; i < 2000; i++) {
        uint8_t junk[64];
        for (size_t k = 0; k < sizeof(junk); k++)
            junk[k] = rand() % 3 ? rand() % 14 : rand();
        if (amf_decode(junk, 1 + rand() % sizeof(junk), &doc) == 0)
            amf_doc_free(&doc);
    }
    ok(1, "2000 random inputs survived");
    return done();
}
