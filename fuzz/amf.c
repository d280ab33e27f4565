/*
 * fuzz/amf.c: libFuzzer target for the AMF0 decoder (lib/amf.c), which
 * reads the command messages of every RTMP publisher and the onMetaData
 * of every FLV.
 *
 * Links: lib/amf.c lib/bytebuf.c lib/array.c
 *
 * A decoded document must be a well-formed pre-order tree (every subtree
 * inside its parent's, child counts right, byte ranges inside the
 * input); lookups on it must not crash; and what the encoders make of it
 * must decode to the same tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "amf.h"
#include "bytebuf.h"

/* Check the subtree at i (depth d) and return the index after it. */
static uint32_t check_tree(const AmfDoc *doc, uint32_t i, unsigned depth, size_t size)
{
    const AmfNode *n = &doc->nodes[i];
    uint32_t k, c;

    if (n->depth != depth || n->next <= i || n->next > doc->count)
        abort();
    if (n->pos >= n->end || n->end > size)
        abort();
    if (n->type == AMF_STRING && (!n->str || n->str[n->len] != '\0'))
        abort();
    if (n->key && n->key[n->keylen] != '\0')
        abort();
    k = i + 1;
    for (c = 0; c < n->nchildren; c++) {
        if (k >= n->next)
            abort();
        if (doc->nodes[k].pos < n->pos || doc->nodes[k].end > n->end)
            abort();
        k = check_tree(doc, k, depth + 1, size);
    }
    if (k != n->next)
        abort();
    return k;
}

/* Encode the subtree at i with the encoders; returns the next index, or
 * UINT32_MAX for a type the encoders do not write. */
static uint32_t encode(const AmfDoc *doc, uint32_t i, ByteBuf *b)
{
    const AmfNode *n = &doc->nodes[i];
    uint32_t k = i + 1;

    switch (n->type) {
    case AMF_NUMBER:
        amf_put_number(b, n->num);
        break;
    case AMF_BOOLEAN:
        amf_put_bool(b, n->num != 0);
        break;
    case AMF_STRING:
        if (memchr(n->str, '\0', n->len))
            return UINT32_MAX; /* amf_put_string takes a C string */
        amf_put_string(b, n->str);
        break;
    case AMF_NULL:
        amf_put_null(b);
        break;
    case AMF_OBJECT:
    case AMF_ECMA_ARRAY:
        if (n->type == AMF_OBJECT)
            amf_put_object_begin(b);
        else
            amf_put_ecma_begin(b, n->nchildren);
        for (uint32_t c = 0; c < n->nchildren; c++) {
            const AmfNode *ch = &doc->nodes[k];
            if (!ch->key || memchr(ch->key, '\0', ch->keylen) || ch->keylen == 0)
                return UINT32_MAX;
            amf_put_key(b, ch->key);
            if ((k = encode(doc, k, b)) == UINT32_MAX)
                return k;
        }
        amf_put_object_end(b);
        break;
    default:
        return UINT32_MAX;
    }
    return n->next;
}

static void same_tree(const AmfDoc *a, const AmfDoc *b)
{
    if (a->count != b->count || a->ntop != b->ntop)
        abort();
    for (uint32_t i = 0; i < a->count; i++) {
        const AmfNode *x = &a->nodes[i], *y = &b->nodes[i];
        if (x->type != y->type || x->depth != y->depth || x->nchildren != y->nchildren ||
            x->next != y->next || x->len != y->len || x->keylen != y->keylen)
            abort();
        if (x->type == AMF_NUMBER && memcmp(&x->num, &y->num, sizeof(x->num)))
            abort();
        if (x->type == AMF_BOOLEAN && x->num != y->num)
            abort();
        if (x->str && memcmp(x->str, y->str, x->len))
            abort();
        if (x->key && memcmp(x->key, y->key, x->keylen))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = { "app", "tcUrl", "type", "flashVer", "duration",
                                        "width", "videocodecid", "" };
    AmfDoc *doc = NULL, *again = NULL;
    ByteBuf b;
    uint32_t i, k, top = 0;

    if (amf_decode(data, size, &doc) < 0) {
        if (doc)
            abort(); /* failure leaves no document */
        return 0;
    }
    for (i = 0; i < doc->count; i = check_tree(doc, i, 0, size))
        top++;
    if (top != doc->ntop)
        abort();
    for (i = 0; i <= doc->ntop; i++) {
        const AmfNode *n = amf_top(doc, i);
        if ((n == NULL) != (i == doc->ntop))
            abort();
        for (k = 0; n && k < sizeof(keys) / sizeof(*keys); k++) {
            const AmfNode *p = amf_prop(doc, n, keys[k]);
            if (p && (p < doc->nodes || p >= doc->nodes + doc->count))
                abort();
            (void)amf_prop_str(doc, n, keys[k]);
            (void)amf_prop_num(doc, n, keys[k], 0);
            (void)amf_is_str(n, keys[k]);
        }
    }

    /* Encode what the encoders can write, and decode it back. */
    bytebuf_init(&b, 1 << 24);
    for (i = 0; i < doc->count && i != UINT32_MAX;)
        i = encode(doc, i, &b);
    if (i != UINT32_MAX && !b.err) {
        if (amf_decode(bytebuf_data(&b), bytebuf_size(&b), &again) < 0)
            abort();
        same_tree(doc, again);
        amf_doc_free(&again);
    }
    bytebuf_free(&b);
    amf_doc_free(&doc);
    if (doc)
        abort();
    return 0;
}
