/*
 * amf.h: AMF0, the value encoding of RTMP commands and of FLV script tags
 * (onMetaData). Used by rtmp.c (commands in, responses out) and flv.c.
 *
 * Decoding turns a byte array into a flat, pre-order array of nodes: a
 * container (object, ECMA array, strict array) is followed by its
 * children, and every node knows where its subtree ends (next), so a
 * lookup walks siblings without recursion. Every length is checked
 * against the input before use; nesting depth and node count are
 * limited, so hostile input costs at most O(input) time and memory.
 *
 * Wire format (big endian):
 *   0x00 number   f64                 0x08 ECMA array  u32 count, props, 00 00 09
 *   0x01 boolean  u8                  0x0a strict array u32 count, values
 *   0x02 string   u16 len, bytes      0x0b date        f64 ms, s16 tz
 *   0x03 object   props, 00 00 09     0x0c long string u32 len, bytes
 *   0x05 null     0x06 undefined      0x0d unsupported
 *   prop = u16 keylen, key bytes, value
 * Not decoded (AVERROR_INVALIDDATA): reference, movieclip, XML, typed
 * object, AVM+ switch.
 */
#ifndef LIVE_AMF_H
#define LIVE_AMF_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

enum AmfType {
    AMF_NUMBER       = 0x00,
    AMF_BOOLEAN      = 0x01,
    AMF_STRING       = 0x02,
    AMF_OBJECT       = 0x03,
    AMF_NULL         = 0x05,
    AMF_UNDEFINED    = 0x06,
    AMF_ECMA_ARRAY   = 0x08,
    AMF_OBJECT_END   = 0x09,
    AMF_STRICT_ARRAY = 0x0a,
    AMF_DATE         = 0x0b,
    AMF_LONG_STRING  = 0x0c,
    AMF_UNSUPPORTED  = 0x0d,
};

/* Limits on what a decoder accepts. */
#define AMF_MAX_DEPTH 16
#define AMF_MAX_NODES 4096

typedef struct AmfNode {
    uint8_t type;        /* enum AmfType; long strings are reported as AMF_STRING */
    uint8_t depth;       /* 0 for top-level values */
    uint32_t nchildren;  /* containers: direct children */
    uint32_t next;       /* index of the node after this subtree */
    const char *key;     /* property name inside an object/ECMA array, else NULL */
    uint32_t keylen;
    const char *str;     /* strings: NUL-terminated copy (may hold NULs: use len) */
    uint32_t len;
    double num;          /* number, date (ms), boolean (0 or 1) */
    size_t pos, end;     /* byte range of the value in the input */
} AmfNode;

typedef struct AmfDoc {
    AmfNode *nodes;
    uint32_t count;      /* nodes */
    uint32_t ntop;       /* top-level values */
    char *arena;         /* string copies */
} AmfDoc;

/*
 * Decode all values in buf[0..len). On success *doc is new (free with
 * amf_doc_free). AVERROR_INVALIDDATA for malformed or unsupported input
 * or input over the limits, AVERROR(ENOMEM).
 */
int amf_decode(const uint8_t *buf, size_t len, AmfDoc **doc);
void amf_doc_free(AmfDoc **doc);

/* The i-th top-level value, or NULL. */
const AmfNode *amf_top(const AmfDoc *doc, uint32_t i);
/* A property of an object/ECMA array node by name, or NULL. */
const AmfNode *amf_prop(const AmfDoc *doc, const AmfNode *obj, const char *key);
/* Shortcuts: the property's string (NULL unless a string) or number
 * (dflt unless a number or boolean). */
const char *amf_prop_str(const AmfDoc *doc, const AmfNode *obj, const char *key);
double amf_prop_num(const AmfDoc *doc, const AmfNode *obj, const char *key, double dflt);
/* 1 if node is a string equal to s. */
int amf_is_str(const AmfNode *node, const char *s);

/* Encoders: append to b (errors are sticky in b->err). */
void amf_put_number(ByteBuf *b, double v);
void amf_put_bool(ByteBuf *b, int v);
void amf_put_string(ByteBuf *b, const char *s); /* long string when over 65535 bytes */
void amf_put_null(ByteBuf *b);
void amf_put_object_begin(ByteBuf *b);
void amf_put_ecma_begin(ByteBuf *b, uint32_t count);
void amf_put_strict_array_begin(ByteBuf *b, uint32_t count); /* then count values, no end */
void amf_put_key(ByteBuf *b, const char *key);  /* then one value */
void amf_put_object_end(ByteBuf *b);            /* ends objects and ECMA arrays */

#endif
