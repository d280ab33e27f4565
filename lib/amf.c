/*
 * amf.c: bounded AMF0 decoder and encoder. See amf.h for the wire format.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/intfloat.h>
#include <libavutil/intreadwrite.h>

#include "amf.h"
#include "array.h"

typedef struct Decoder {
    const uint8_t *buf;
    size_t len, pos;
    AmfDoc *doc;
    uint32_t cap;
    size_t arena_used;
} Decoder;

static int new_node(Decoder *d, uint32_t *index)
{
    AmfDoc *doc = d->doc;

    if (doc->count >= AMF_MAX_NODES)
        return AVERROR_INVALIDDATA;
    if (doc->count == d->cap) {
        size_t cap = array_grow(&doc->nodes, d->cap, sizeof(*doc->nodes), 16);
        if (!cap)
            return AVERROR(ENOMEM);
        d->cap = cap;
    }
    memset(&doc->nodes[doc->count], 0, sizeof(AmfNode));
    *index = doc->count++;
    return 0;
}

/* Copy n bytes at the read position into the arena, NUL-terminated. The
 * arena has room: every copy is preceded by a length prefix of >= 2 bytes
 * in the input, which pays for its NUL. */
static const char *take_string(Decoder *d, size_t n)
{
    char *s = d->doc->arena + d->arena_used;
    memcpy(s, d->buf + d->pos, n);
    s[n] = '\0';
    d->arena_used += n + 1;
    d->pos += n;
    return s;
}

static int decode_value(Decoder *d, int depth, const char *key, uint32_t keylen);

/* Properties up to the 00 00 09 end marker. ECMA arrays have a count, but
 * encoders get it wrong often enough that the end marker is what counts. */
static int decode_props(Decoder *d, int depth, uint32_t parent)
{
    for (;;) {
        uint32_t klen;
        const char *k;
        int ret;

        if (d->len - d->pos < 2)
            return AVERROR_INVALIDDATA;
        klen = AV_RB16(d->buf + d->pos);
        if (klen == 0) {
            if (d->len - d->pos < 3 || d->buf[d->pos + 2] != AMF_OBJECT_END)
                return AVERROR_INVALIDDATA;
            d->pos += 3;
            return 0;
        }
        d->pos += 2;
        if (d->len - d->pos < klen)
            return AVERROR_INVALIDDATA;
        k = take_string(d, klen);
        if ((ret = decode_value(d, depth, k, klen)) < 0)
            return ret;
        d->doc->nodes[parent].nchildren++;
    }
}

/* A string's length (16 bits, or 32 for a long string) and bytes; both
 * kinds become AMF_STRING. */
static int decode_string(Decoder *d, AmfNode *node, int is_long)
{
    uint32_t n;

    if (!is_long) {
        if (d->len - d->pos < 2)
            return AVERROR_INVALIDDATA;
        n = AV_RB16(d->buf + d->pos);
        d->pos += 2;
    } else {
        if (d->len - d->pos < 4)
            return AVERROR_INVALIDDATA;
        n = AV_RB32(d->buf + d->pos);
        d->pos += 4;
    }
    if (d->len - d->pos < n)
        return AVERROR_INVALIDDATA;
    node->type = AMF_STRING;
    node->len = n;
    node->str = take_string(d, n);
    return 0;
}

/* A strict array's count and values, children of node parent. */
static int decode_strict_array(Decoder *d, int depth, uint32_t parent)
{
    uint32_t n;
    int ret;

    if (d->len - d->pos < 4)
        return AVERROR_INVALIDDATA;
    n = AV_RB32(d->buf + d->pos);
    d->pos += 4;
    /* Each value takes at least one byte: a count past the input is a lie. */
    if (n > d->len - d->pos)
        return AVERROR_INVALIDDATA;
    for (uint32_t k = 0; k < n; k++) {
        if ((ret = decode_value(d, depth, NULL, 0)) < 0)
            return ret;
        d->doc->nodes[parent].nchildren++;
    }
    return 0;
}

static int decode_value(Decoder *d, int depth, const char *key, uint32_t keylen)
{
    uint32_t i;
    uint8_t type;
    int ret;
    AmfNode *node;

    if (depth > AMF_MAX_DEPTH)
        return AVERROR_INVALIDDATA;
    if (d->pos >= d->len)
        return AVERROR_INVALIDDATA;
    if ((ret = new_node(d, &i)) < 0)
        return ret;
    node = &d->doc->nodes[i];
    node->depth = depth;
    node->key = key;
    node->keylen = keylen;
    node->pos = d->pos;
    type = d->buf[d->pos++];
    node->type = type;

    switch (type) {
    case AMF_NUMBER:
        if (d->len - d->pos < 8)
            return AVERROR_INVALIDDATA;
        node->num = av_int2double(AV_RB64(d->buf + d->pos));
        d->pos += 8;
        break;
    case AMF_BOOLEAN:
        if (d->len - d->pos < 1)
            return AVERROR_INVALIDDATA;
        node->num = d->buf[d->pos++] != 0;
        break;
    case AMF_STRING:
    case AMF_LONG_STRING:
        if ((ret = decode_string(d, node, type == AMF_LONG_STRING)) < 0)
            return ret;
        break;
    case AMF_NULL:
    case AMF_UNDEFINED:
    case AMF_UNSUPPORTED:
        break;
    case AMF_OBJECT:
        if ((ret = decode_props(d, depth + 1, i)) < 0)
            return ret;
        break;
    case AMF_ECMA_ARRAY:
        if (d->len - d->pos < 4)
            return AVERROR_INVALIDDATA;
        d->pos += 4;
        if ((ret = decode_props(d, depth + 1, i)) < 0)
            return ret;
        break;
    case AMF_STRICT_ARRAY:
        if ((ret = decode_strict_array(d, depth + 1, i)) < 0)
            return ret;
        break;
    case AMF_DATE:
        if (d->len - d->pos < 10)
            return AVERROR_INVALIDDATA;
        node->num = av_int2double(AV_RB64(d->buf + d->pos));
        d->pos += 10;
        break;
    default:
        return AVERROR_INVALIDDATA;
    }
    /* node may have moved with a realloc of the node array */
    d->doc->nodes[i].next = d->doc->count;
    d->doc->nodes[i].end = d->pos;
    return 0;
}

int amf_decode(const uint8_t *buf, size_t len, AmfDoc **out)
{
    Decoder d = { .buf = buf, .len = len };
    AmfDoc *doc;
    int ret = 0;

    *out = NULL;
    if (!(doc = calloc(1, sizeof(*doc))))
        return AVERROR(ENOMEM);
    if (!(doc->arena = malloc(len + 1))) {
        free(doc);
        return AVERROR(ENOMEM);
    }
    d.doc = doc;
    while (d.pos < len) {
        if ((ret = decode_value(&d, 0, NULL, 0)) < 0)
            break;
        doc->ntop++;
    }
    if (ret < 0) {
        amf_doc_free(&doc);
        return ret;
    }
    *out = doc;
    return 0;
}

void amf_doc_free(AmfDoc **doc)
{
    if (!*doc)
        return;
    free((*doc)->nodes);
    free((*doc)->arena);
    free(*doc);
    *doc = NULL;
}

const AmfNode *amf_top(const AmfDoc *doc, uint32_t i)
{
    uint32_t k = 0, n = 0;

    if (!doc)
        return NULL;
    while (k < doc->count) {
        if (n == i)
            return &doc->nodes[k];
        k = doc->nodes[k].next;
        n++;
    }
    return NULL;
}

const AmfNode *amf_prop(const AmfDoc *doc, const AmfNode *obj, const char *key)
{
    uint32_t k, n, klen = strlen(key);

    if (!doc || !obj || (obj->type != AMF_OBJECT && obj->type != AMF_ECMA_ARRAY))
        return NULL;
    k = (uint32_t)(obj - doc->nodes) + 1;
    for (n = 0; n < obj->nchildren && k < doc->count; n++) {
        const AmfNode *c = &doc->nodes[k];
        if (c->key && c->keylen == klen && !memcmp(c->key, key, klen))
            return c;
        k = c->next;
    }
    return NULL;
}

const char *amf_prop_str(const AmfDoc *doc, const AmfNode *obj, const char *key)
{
    const AmfNode *n = amf_prop(doc, obj, key);
    return n && n->type == AMF_STRING ? n->str : NULL;
}

double amf_prop_num(const AmfDoc *doc, const AmfNode *obj, const char *key, double dflt)
{
    const AmfNode *n = amf_prop(doc, obj, key);
    return n && (n->type == AMF_NUMBER || n->type == AMF_BOOLEAN) ? n->num : dflt;
}

int amf_is_str(const AmfNode *node, const char *s)
{
    return node && node->type == AMF_STRING && node->len == strlen(s) &&
           !memcmp(node->str, s, node->len);
}

void amf_put_number(ByteBuf *b, double v)
{
    uint8_t x[9];
    x[0] = AMF_NUMBER;
    AV_WB64(x + 1, av_double2int(v));
    bytebuf_append(b, x, sizeof(x));
}

void amf_put_bool(ByteBuf *b, int v)
{
    uint8_t x[2] = { AMF_BOOLEAN, v != 0 };
    bytebuf_append(b, x, 2);
}

void amf_put_string(ByteBuf *b, const char *s)
{
    size_t n = strlen(s);

    if (n > UINT32_MAX) {
        b->err = b->err ? b->err : AVERROR(EINVAL);
        return;
    }
    if (n <= 0xffff) {
        bytebuf_put8(b, AMF_STRING);
        bytebuf_put_be16(b, n);
    } else {
        bytebuf_put8(b, AMF_LONG_STRING);
        bytebuf_put_be32(b, n);
    }
    bytebuf_append(b, s, n);
}

void amf_put_null(ByteBuf *b)
{
    bytebuf_put8(b, AMF_NULL);
}

void amf_put_object_begin(ByteBuf *b)
{
    bytebuf_put8(b, AMF_OBJECT);
}

void amf_put_ecma_begin(ByteBuf *b, uint32_t count)
{
    bytebuf_put8(b, AMF_ECMA_ARRAY);
    bytebuf_put_be32(b, count);
}

void amf_put_strict_array_begin(ByteBuf *b, uint32_t count)
{
    bytebuf_put8(b, 0x0a);
    bytebuf_put_be32(b, count);
}

void amf_put_key(ByteBuf *b, const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 0xffff) {
        b->err = b->err ? b->err : AVERROR(EINVAL);
        return;
    }
    bytebuf_put_be16(b, n);
    bytebuf_append(b, key, n);
}

void amf_put_object_end(ByteBuf *b)
{
    uint8_t x[3] = { 0, 0, AMF_OBJECT_END };
    bytebuf_append(b, x, 3);
}
