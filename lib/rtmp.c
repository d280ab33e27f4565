/*
 * rtmp.c: the RTMP publishing server as a state machine: handshake,
 * chunk stream reassembly, protocol control and AMF0 commands. No I/O:
 * see rtmp.h for the protocol and lib/ingest.c for the sockets.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/intreadwrite.h>
#include <sodium.h>

#include "amf.h"
#include "bytebuf.h"
#include "parse.h"
#include "rtmp.h"

/* Message types. */
enum {
    MSG_SET_CHUNK_SIZE = 1,
    MSG_ABORT = 2,
    MSG_ACK = 3,
    MSG_USER_CONTROL = 4,
    MSG_WINDOW_ACK_SIZE = 5,
    MSG_SET_PEER_BW = 6,
    MSG_AUDIO = 8,
    MSG_VIDEO = 9,
    MSG_DATA_AMF3 = 15,
    MSG_COMMAND_AMF3 = 17,
    MSG_DATA_AMF0 = 18,
    MSG_COMMAND_AMF0 = 20,
    MSG_AGGREGATE = 22,
};

/* Chunk stream ids and values this server sends with. */
enum {
    CSID_CONTROL = 2,
    CSID_COMMAND = 3,
    CSID_STATUS = 5,
    OUT_CHUNK_SIZE = 4096,
    OUT_WINDOW = 2500000,
    MAX_STREAM_ID = 16,
};

const uint8_t rtmp_client_key[62] = {
    'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ',
    'F', 'l', 'a', 's', 'h', ' ', 'P', 'l', 'a', 'y', 'e', 'r', ' ', '0', '0', '1',
    0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1,
    0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab,
    0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
};

const uint8_t rtmp_server_key[68] = {
    'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ',
    'F', 'l', 'a', 's', 'h', ' ', 'M', 'e', 'd', 'i', 'a', ' ',
    'S', 'e', 'r', 'v', 'e', 'r', ' ', '0', '0', '1',
    0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1,
    0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab,
    0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
};

enum State {
    ST_C0C1,
    ST_C2,
    ST_HEADER,
    ST_BODY,
    ST_CLOSED, /* a publish was refused: only the output is flushed */
    ST_DEAD,
};

typedef struct ChunkStream {
    uint32_t csid;
    int seen;           /* a header with a length was seen */
    int ext;            /* the last header had an extended timestamp */
    uint32_t ts_field;  /* last timestamp field: absolute (fmt 0) or delta */
    uint32_t timestamp; /* of the current or last message */
    uint32_t length;
    uint8_t type;
    uint32_t stream_id;
    uint8_t *msg;       /* the message being assembled */
    uint32_t msg_cap;
    uint32_t got;
    int active;         /* a message is in progress */
} ChunkStream;

struct RtmpConn {
    RtmpLimits lim;
    enum State state;
    uint8_t hs[1 + RTMP_HANDSHAKE_SIZE];
    size_t hs_got;
    int digest;

    uint8_t hdr[18];
    size_t hdr_got;
    ChunkStream *cs;
    uint32_t ncs;
    ChunkStream *cur;
    uint32_t chunk_left;
    uint32_t in_chunk_size;
    uint32_t out_chunk_size;
    uint64_t pending;
    ChunkStream *release; /* message handed out in an event */
    ChunkStream *agg;     /* aggregate message being handed out */
    uint32_t agg_pos;     /* next sub-message in it */
    uint32_t agg_first;   /* timestamp of its first sub-message */

    uint64_t bytes_in;
    uint64_t last_ack;
    uint32_t ack_window;

    ByteBuf out;
    int connected;
    int publish_asked;
    int publishing;
    uint32_t publish_stream;
    uint32_t next_stream_id;
    char app[256];
    char tc_url[1024];
    char name[256];
    char key[256];
    int have_key;
    char error[160];
};

void rtmp_limits_default(RtmpLimits *lim)
{
    lim->max_chunk_size = 1 << 20;
    lim->max_message_size = 8 << 20;
    lim->max_pending = 16 << 20;
    lim->max_chunk_streams = 32;
    lim->max_output = 1 << 20;
    lim->max_prepublish = 64 << 10;
}

RtmpConn *rtmp_conn_new(const RtmpLimits *lim)
{
    RtmpConn *c;

    if (sodium_init() < 0)
        return NULL;
    if (!(c = calloc(1, sizeof(*c))))
        return NULL;
    if (lim)
        c->lim = *lim;
    else
        rtmp_limits_default(&c->lim);
    if (!(c->cs = calloc(c->lim.max_chunk_streams ? c->lim.max_chunk_streams : 1,
                         sizeof(*c->cs)))) {
        free(c);
        return NULL;
    }
    c->state = ST_C0C1;
    c->in_chunk_size = 128;
    c->out_chunk_size = 128;
    c->next_stream_id = 1;
    bytebuf_init(&c->out, c->lim.max_output);
    return c;
}

void rtmp_conn_free(RtmpConn **pc)
{
    RtmpConn *c = *pc;

    if (!c)
        return;
    for (uint32_t i = 0; i < c->ncs; i++)
        free(c->cs[i].msg);
    free(c->cs);
    bytebuf_free(&c->out);
    free(c);
    *pc = NULL;
}

static int fail(RtmpConn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(RtmpConn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof(c->error), fmt, ap);
    va_end(ap);
    c->state = ST_DEAD;
    return AVERROR_INVALIDDATA;
}

/* ---- handshake ---------------------------------------------------------- */

uint32_t rtmp_digest_pos(const uint8_t *pkt, int scheme)
{
    uint32_t base = scheme ? 772 : 8;
    uint32_t sum = pkt[base] + pkt[base + 1] + pkt[base + 2] + pkt[base + 3];
    return sum % 728 + base + 4;
}

void rtmp_digest(const uint8_t *pkt, uint32_t pos, const uint8_t *key, size_t keylen,
                 uint8_t out[32])
{
    crypto_auth_hmacsha256_state st;

    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, pkt, pos);
    crypto_auth_hmacsha256_update(&st, pkt + pos + 32, RTMP_HANDSHAKE_SIZE - pos - 32);
    crypto_auth_hmacsha256_final(&st, out);
}

/* The scheme whose digest in C1 is valid, or -1 (a plain handshake). */
static int find_client_digest(const uint8_t *c1, uint32_t *pos)
{
    uint8_t d[32];

    for (int scheme = 0; scheme < 2; scheme++) {
        uint32_t p = rtmp_digest_pos(c1, scheme);
        rtmp_digest(c1, p, rtmp_client_key, 30, d);
        if (!sodium_memcmp(d, c1 + p, 32)) {
            *pos = p;
            return scheme;
        }
    }
    return -1;
}

/* C0 and C1 are in c->hs: queue S0, S1, S2. */
static int answer_handshake(RtmpConn *c)
{
    const uint8_t *c1 = c->hs + 1;
    uint8_t s1[RTMP_HANDSHAKE_SIZE], s2[RTMP_HANDSHAKE_SIZE];
    uint32_t cpos = 0;
    int scheme = -1;

    if (c->hs[0] != 3)
        return fail(c, "handshake: RTMP version %d, want 3", c->hs[0]);
    if (AV_RB32(c1 + 4) != 0)
        scheme = find_client_digest(c1, &cpos);

    randombytes_buf(s1, sizeof(s1));
    memset(s1, 0, 4); /* time */
    if (scheme < 0) {
        memset(s1 + 4, 0, 4);
        memcpy(s2, c1, sizeof(s2));
    } else {
        uint8_t key[32];
        uint32_t spos;

        c->digest = 1;
        s1[4] = 4, s1[5] = 5, s1[6] = 0, s1[7] = 1; /* "FMS 4.5.0.1" */
        spos = rtmp_digest_pos(s1, scheme);
        rtmp_digest(s1, spos, rtmp_server_key, 36, s1 + spos);

        /* S2: random, signed with HMAC(server key, client digest). */
        randombytes_buf(s2, sizeof(s2));
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, rtmp_server_key, sizeof(rtmp_server_key));
        crypto_auth_hmacsha256_update(&st, c1 + cpos, 32);
        crypto_auth_hmacsha256_final(&st, key);
        crypto_auth_hmacsha256_init(&st, key, 32);
        crypto_auth_hmacsha256_update(&st, s2, RTMP_HANDSHAKE_SIZE - 32);
        crypto_auth_hmacsha256_final(&st, s2 + RTMP_HANDSHAKE_SIZE - 32);
    }
    bytebuf_put8(&c->out, 3);
    bytebuf_append(&c->out, s1, sizeof(s1));
    bytebuf_append(&c->out, s2, sizeof(s2));
    return c->out.err ? fail(c, "output queue full") : 0;
}

/* ---- sending ------------------------------------------------------------ */

/* Queue one message on csid (< 64) with a fmt 0 header, in chunks of the
 * output chunk size. Timestamps sent are 0. */
static void send_message(RtmpConn *c, uint32_t csid, uint8_t type, uint32_t stream_id,
                         const uint8_t *payload, size_t len)
{
    size_t off = 0;

    bytebuf_put8(&c->out, csid);
    bytebuf_put_be24(&c->out, 0);
    bytebuf_put_be24(&c->out, len);
    bytebuf_put8(&c->out, type);
    bytebuf_put_le32(&c->out, stream_id);
    do {
        size_t n = len - off < c->out_chunk_size ? len - off : c->out_chunk_size;
        if (off)
            bytebuf_put8(&c->out, 0xc0 | csid);
        bytebuf_append(&c->out, payload + off, n);
        off += n;
    } while (off < len);
}

static void send_u32(RtmpConn *c, uint8_t type, uint32_t v)
{
    uint8_t b[4];
    AV_WB32(b, v);
    send_message(c, CSID_CONTROL, type, 0, b, 4);
}

static void send_user_control(RtmpConn *c, uint16_t event, uint32_t v)
{
    uint8_t b[6];
    AV_WB16(b, event);
    AV_WB32(b + 2, v);
    send_message(c, CSID_CONTROL, MSG_USER_CONTROL, 0, b, 6);
}

static void send_amf(RtmpConn *c, uint32_t csid, uint32_t stream_id, ByteBuf *b)
{
    if (b->err) {
        if (!c->out.err)
            c->out.err = b->err;
        return;
    }
    send_message(c, csid, MSG_COMMAND_AMF0, stream_id, bytebuf_data(b), bytebuf_size(b));
}

static void send_status(RtmpConn *c, const char *level, const char *code,
                        const char *description)
{
    ByteBuf b;

    bytebuf_init(&b, 4096);
    amf_put_string(&b, "onStatus");
    amf_put_number(&b, 0);
    amf_put_null(&b);
    amf_put_object_begin(&b);
    amf_put_key(&b, "level");
    amf_put_string(&b, level);
    amf_put_key(&b, "code");
    amf_put_string(&b, code);
    amf_put_key(&b, "description");
    amf_put_string(&b, description);
    amf_put_key(&b, "details");
    amf_put_string(&b, c->name);
    amf_put_object_end(&b);
    send_amf(c, CSID_STATUS, c->publish_stream, &b);
    bytebuf_free(&b);
}

/* _result(txn, null[, number]) */
static void send_result(RtmpConn *c, double txn, int with_number, double number)
{
    ByteBuf b;

    bytebuf_init(&b, 256);
    amf_put_string(&b, "_result");
    amf_put_number(&b, txn);
    amf_put_null(&b);
    if (with_number)
        amf_put_number(&b, number);
    send_amf(c, CSID_COMMAND, 0, &b);
    bytebuf_free(&b);
}

/* ---- commands ----------------------------------------------------------- */

static void copy_str(char *dst, size_t size, const char *s)
{
    if (!s || strlen(s) >= size)
        dst[0] = '\0';
    else
        strcpy(dst, s);
}

/* Find key=VALUE in the query of s (after '?'), percent-decoded into
 * c->key. 1 if found. */
static int find_key(RtmpConn *c, const char *s)
{
    const char *q = s ? strchr(s, '?') : NULL;

    while (q && *q) {
        q++;
        if (!strncmp(q, "key=", 4)) {
            size_t n = 0;
            for (q += 4; *q && *q != '&'; q++) {
                int ch = (unsigned char)*q, esc;
                if (ch == '%' && (esc = parse_percent(q)) >= 0) {
                    ch = esc;
                    q += 2;
                }
                if (n + 1 >= sizeof(c->key))
                    return 0;
                c->key[n++] = ch;
            }
            c->key[n] = '\0';
            return 1;
        }
        q = strchr(q, '&');
    }
    return 0;
}

static int on_connect(RtmpConn *c, const AmfDoc *doc, double txn, RtmpEvent *ev)
{
    const AmfNode *obj = amf_top(doc, 2);
    ByteBuf b;
    char *q;

    if (c->connected)
        return fail(c, "second connect");
    c->connected = 1;
    copy_str(c->app, sizeof(c->app), amf_prop_str(doc, obj, "app"));
    copy_str(c->tc_url, sizeof(c->tc_url), amf_prop_str(doc, obj, "tcUrl"));
    /* The key may hide in the app or tcUrl (rtmp://HOST/live?key=S/NAME). */
    if (find_key(c, c->app) || find_key(c, c->tc_url))
        c->have_key = 1;
    if ((q = strchr(c->app, '?')))
        *q = '\0';

    send_u32(c, MSG_WINDOW_ACK_SIZE, OUT_WINDOW);
    {
        uint8_t bw[5];
        AV_WB32(bw, OUT_WINDOW);
        bw[4] = 2; /* dynamic */
        send_message(c, CSID_CONTROL, MSG_SET_PEER_BW, 0, bw, 5);
    }
    send_u32(c, MSG_SET_CHUNK_SIZE, OUT_CHUNK_SIZE);
    c->out_chunk_size = OUT_CHUNK_SIZE;

    bytebuf_init(&b, 4096);
    amf_put_string(&b, "_result");
    amf_put_number(&b, txn);
    amf_put_object_begin(&b);
    amf_put_key(&b, "fmsVer");
    amf_put_string(&b, "FMS/3,0,1,123");
    amf_put_key(&b, "capabilities");
    amf_put_number(&b, 31);
    /* Enhanced RTMP: the video codecs taken beside H.264 */
    amf_put_key(&b, "fourCcList");
    amf_put_strict_array_begin(&b, 3);
    amf_put_string(&b, "hvc1");
    amf_put_string(&b, "av01");
    amf_put_string(&b, "vp09");
    amf_put_object_end(&b);
    amf_put_object_begin(&b);
    amf_put_key(&b, "level");
    amf_put_string(&b, "status");
    amf_put_key(&b, "code");
    amf_put_string(&b, "NetConnection.Connect.Success");
    amf_put_key(&b, "description");
    amf_put_string(&b, "Connection succeeded.");
    amf_put_key(&b, "objectEncoding");
    amf_put_number(&b, 0);
    amf_put_object_end(&b);
    send_amf(c, CSID_COMMAND, 0, &b);
    bytebuf_free(&b);

    ev->type = RTMP_EVENT_CONNECT;
    ev->app = c->app;
    ev->tc_url = c->tc_url;
    return 1;
}

static int on_publish(RtmpConn *c, const AmfDoc *doc, uint32_t stream_id, RtmpEvent *ev)
{
    const AmfNode *name = amf_top(doc, 3);
    char *q;

    if (c->publish_asked || c->publishing)
        return fail(c, "publish while publishing");
    if (!name || name->type != AMF_STRING)
        return fail(c, "publish without a name");
    c->publish_stream = stream_id;
    copy_str(c->name, sizeof(c->name), name->str);
    if (strlen(name->str) != name->len)
        c->name[0] = '\0'; /* a NUL inside */
    if (find_key(c, c->name))
        c->have_key = 1;
    if ((q = strchr(c->name, '?')))
        *q = '\0';
    c->publish_asked = 1;

    ev->type = RTMP_EVENT_PUBLISH;
    ev->app = c->app;
    ev->tc_url = c->tc_url;
    ev->name = c->name;
    ev->key = c->have_key ? c->key : NULL;
    return 1;
}

static int on_command(RtmpConn *c, ChunkStream *cs, const uint8_t *p, size_t len, RtmpEvent *ev)
{
    AmfDoc *doc = NULL;
    const AmfNode *cmd, *t;
    double txn;
    int ret = 0;

    if (amf_decode(p, len, &doc) < 0)
        return fail(c, "malformed AMF0 command");
    cmd = amf_top(doc, 0);
    t = amf_top(doc, 1);
    if (!cmd || cmd->type != AMF_STRING || !t || t->type != AMF_NUMBER) {
        ret = fail(c, "malformed command");
        goto end;
    }
    txn = t->num;

    if (amf_is_str(cmd, "connect")) {
        ret = on_connect(c, doc, txn, ev);
    } else if (!c->connected) {
        ret = fail(c, "command \"%.40s\" before connect", cmd->str);
    } else if (amf_is_str(cmd, "createStream")) {
        if (c->next_stream_id > MAX_STREAM_ID)
            ret = fail(c, "too many createStream");
        else
            send_result(c, txn, 1, c->next_stream_id++);
    } else if (amf_is_str(cmd, "releaseStream") || amf_is_str(cmd, "FCPublish")) {
        if (txn != 0)
            send_result(c, txn, 0, 0);
    } else if (amf_is_str(cmd, "publish")) {
        ret = on_publish(c, doc, cs->stream_id, ev);
    } else if (amf_is_str(cmd, "FCUnpublish") || amf_is_str(cmd, "deleteStream") ||
               amf_is_str(cmd, "closeStream")) {
        if (c->publishing) {
            c->publishing = 0;
            c->publish_asked = 0;
            send_status(c, "status", "NetStream.Unpublish.Success", "Stopped publishing.");
            ev->type = RTMP_EVENT_UNPUBLISH;
            ev->name = c->name;
            ret = 1;
        }
    } else if (amf_is_str(cmd, "play") || amf_is_str(cmd, "play2")) {
        ret = fail(c, "play: this server only takes publishers");
    }
    /* Anything else (getStreamLength, _checkbw, ...) is ignored. */
end:
    amf_doc_free(&doc);
    if (ret >= 0 && c->out.err)
        ret = fail(c, "output queue full");
    return ret;
}

/* @setDataFrame("onMetaData", {...}) or onMetaData({...}): hand out the
 * bytes from "onMetaData" on, the body of an FLV script tag. */
static int on_data(RtmpConn *c, const uint8_t *p, size_t len, RtmpEvent *ev)
{
    AmfDoc *doc = NULL;
    const AmfNode *a, *b;
    int ret = 0;

    if (amf_decode(p, len, &doc) < 0)
        return 0; /* a data message we cannot read is not worth a disconnect */
    a = amf_top(doc, 0);
    b = amf_top(doc, 1);
    if (amf_is_str(a, "@setDataFrame") && amf_is_str(b, "onMetaData")) {
        ev->data = p + b->pos;
        ev->size = len - b->pos;
        ret = 1;
    } else if (amf_is_str(a, "onMetaData")) {
        ev->data = p;
        ev->size = len;
        ret = 1;
    }
    if (ret)
        ev->type = RTMP_EVENT_METADATA;
    amf_doc_free(&doc);
    return ret;
}

/* ---- messages ----------------------------------------------------------- */

/* Buffers up to this size stay with their chunk stream for the next
 * message; larger ones are freed after use. */
#define KEEP_BUFFER (64 * 1024)

static void release_message(RtmpConn *c, ChunkStream *cs)
{
    if (cs->msg_cap > KEEP_BUFFER) {
        free(cs->msg);
        cs->msg = NULL;
        cs->msg_cap = 0;
    }
    if (cs->active)
        c->pending -= cs->length;
    cs->active = 0;
    cs->got = 0;
}

static ChunkStream *find_cs(RtmpConn *c, uint32_t csid)
{
    for (uint32_t i = 0; i < c->ncs; i++)
        if (c->cs[i].csid == csid)
            return &c->cs[i];
    return NULL;
}

/*
 * Aggregate messages (type 22) carry FLV-tag-like sub-messages:
 *   type (1) size (3) timestamp (3) timestamp_ext (1) stream id (3)
 *   body (size) back pointer (4)
 * Their timestamps are moved so that the first one is the aggregate's.
 * The next audio/video sub-message as an event: 1, or 0 when none is
 * left; a malformed one ends the walk (the rest is dropped).
 */
static int next_aggregate(RtmpConn *c, RtmpEvent *ev)
{
    ChunkStream *cs = c->agg;

    while (cs && cs->length - c->agg_pos >= 11) {
        const uint8_t *p = cs->msg + c->agg_pos;
        uint32_t size = AV_RB24(p + 1);
        uint32_t ts = AV_RB24(p + 4) | (uint32_t)p[7] << 24;

        if (cs->length - c->agg_pos - 11 < size)
            break;
        c->agg_pos += 11 + size;
        c->agg_pos = cs->length - c->agg_pos >= 4 ? c->agg_pos + 4 : cs->length;
        if ((p[0] != MSG_AUDIO && p[0] != MSG_VIDEO) || size == 0 || !c->publishing)
            continue;
        if (c->agg_first == UINT32_MAX)
            c->agg_first = ts;
        ev->type = p[0] == MSG_AUDIO ? RTMP_EVENT_AUDIO : RTMP_EVENT_VIDEO;
        ev->timestamp = cs->timestamp + (ts - c->agg_first);
        ev->data = p + 11;
        ev->size = size;
        return 1;
    }
    c->agg = NULL;
    return 0;
}

/* A whole message is in cs->msg: act on it. 1 with an event, 0, or < 0. */
static int dispatch(RtmpConn *c, ChunkStream *cs, RtmpEvent *ev)
{
    const uint8_t *p = cs->msg;
    uint32_t len = cs->length, v;
    ChunkStream *other;

    switch (cs->type) {
    case MSG_SET_CHUNK_SIZE:
        if (len < 4)
            return fail(c, "short Set Chunk Size");
        v = AV_RB32(p);
        if (v & 0x80000000u || v < 1 || v > c->lim.max_chunk_size)
            return fail(c, "Set Chunk Size %u out of range 1..%u", v, c->lim.max_chunk_size);
        c->in_chunk_size = v;
        return 0;
    case MSG_ABORT:
        if (len < 4)
            return fail(c, "short Abort");
        other = find_cs(c, AV_RB32(p));
        if (other && other != cs && other->active)
            release_message(c, other);
        return 0;
    case MSG_ACK:
    case MSG_SET_PEER_BW:
        return 0;
    case MSG_WINDOW_ACK_SIZE:
        if (len < 4)
            return fail(c, "short Window Acknowledgement Size");
        c->ack_window = AV_RB32(p);
        return 0;
    case MSG_USER_CONTROL:
        if (len >= 6 && AV_RB16(p) == 6) /* ping request: answer with a ping response */
            send_user_control(c, 7, AV_RB32(p + 2));
        return c->out.err ? fail(c, "output queue full") : 0;
    case MSG_AUDIO:
    case MSG_VIDEO:
        if (!c->publishing || len == 0)
            return 0;
        ev->type = cs->type == MSG_AUDIO ? RTMP_EVENT_AUDIO : RTMP_EVENT_VIDEO;
        ev->timestamp = cs->timestamp;
        ev->data = p;
        ev->size = len;
        return 1;
    case MSG_DATA_AMF3:
    case MSG_DATA_AMF0:
        if (cs->type == MSG_DATA_AMF3 && len > 0 && p[0] == 0)
            p++, len--;
        if (!c->publishing)
            return 0;
        return on_data(c, p, len, ev);
    case MSG_COMMAND_AMF3:
    case MSG_COMMAND_AMF0:
        if (cs->type == MSG_COMMAND_AMF3 && len > 0 && p[0] == 0)
            p++, len--;
        return on_command(c, cs, p, len, ev);
    case MSG_AGGREGATE:
        c->agg = cs;
        c->agg_pos = 0;
        c->agg_first = UINT32_MAX;
        return next_aggregate(c, ev);
    default:
        return 0; /* shared objects, ...: not for a publisher here */
    }
}

/* Bytes in c->hdr needed for the chunk header so far, or 0 if unknown yet. */
static size_t header_size(const RtmpConn *c, uint32_t *csid, ChunkStream **cs_out)
{
    static const uint8_t msg_len[4] = { 11, 7, 3, 0 };
    size_t basic, n;
    unsigned fmt = c->hdr[0] >> 6;
    ChunkStream *cs;

    *cs_out = NULL;
    switch (c->hdr[0] & 0x3f) {
    case 0:
        basic = 2;
        break;
    case 1:
        basic = 3;
        break;
    default:
        basic = 1;
    }
    if (c->hdr_got < basic)
        return basic;
    if (basic == 1)
        *csid = c->hdr[0] & 0x3f;
    else if (basic == 2)
        *csid = 64 + c->hdr[1];
    else
        *csid = 64 + c->hdr[1] + 256 * c->hdr[2];
    n = basic + msg_len[fmt];
    if (c->hdr_got < n)
        return n;
    cs = find_cs((RtmpConn *)c, *csid);
    *cs_out = cs;
    if (fmt < 3) {
        if (AV_RB24(c->hdr + basic) == 0xffffff)
            n += 4;
    } else if (cs && cs->ext) {
        n += 4;
    }
    return n;
}

/* A complete chunk header is in c->hdr. */
static int take_header(RtmpConn *c, uint32_t csid, ChunkStream *cs, size_t n)
{
    unsigned fmt = c->hdr[0] >> 6;
    size_t basic = (c->hdr[0] & 0x3f) == 0 ? 2 : (c->hdr[0] & 0x3f) == 1 ? 3 : 1;
    const uint8_t *h = c->hdr + basic;
    uint32_t ts = 0, length;

    if (!cs) {
        if (c->ncs >= c->lim.max_chunk_streams)
            return fail(c, "more than %u chunk streams", c->lim.max_chunk_streams);
        cs = &c->cs[c->ncs++];
        memset(cs, 0, sizeof(*cs));
        cs->csid = csid;
    }
    if (fmt < 3) {
        ts = AV_RB24(h);
        cs->ext = ts == 0xffffff;
        if (cs->ext)
            ts = AV_RB32(c->hdr + n - 4);
    }
    if (fmt == 3 && cs->active) {
        /* continuation of the message in progress */
    } else {
        if (cs->active)
            release_message(c, cs); /* a new header interrupts it: drop it */
        if (fmt >= 2 && !cs->seen)
            return fail(c, "chunk stream %u: compressed header without a previous one", csid);
        switch (fmt) {
        case 0:
            cs->length = AV_RB24(h + 3);
            cs->type = h[6];
            cs->stream_id = AV_RL32(h + 7);
            cs->timestamp = cs->ts_field = ts;
            break;
        case 1:
            cs->length = AV_RB24(h + 3);
            cs->type = h[6];
            cs->ts_field = ts;
            cs->timestamp += ts;
            break;
        case 2:
            cs->ts_field = ts;
            cs->timestamp += ts;
            break;
        case 3:
            cs->timestamp += cs->ts_field;
            break;
        }
        cs->seen = 1;
        length = cs->length;
        if (length > c->lim.max_message_size)
            return fail(c, "message of %u bytes over the limit of %u", length,
                        c->lim.max_message_size);
        if (c->pending + length > c->lim.max_pending)
            return fail(c, "more than %u bytes of unfinished messages", c->lim.max_pending);
        /* a stranger until its publish is accepted: a small budget */
        if (!c->publishing && c->lim.max_prepublish &&
            c->pending + length > c->lim.max_prepublish)
            return fail(c, "more than %u bytes of messages before publishing",
                        c->lim.max_prepublish);
        c->pending += length;
        cs->active = 1;
        cs->got = 0;
    }
    c->cur = cs;
    c->chunk_left = cs->length - cs->got;
    if (c->chunk_left > c->in_chunk_size)
        c->chunk_left = c->in_chunk_size;
    return 0;
}

/* Make room in cs->msg for n more bytes; buffers grow with the bytes that
 * arrive, not with the length a header claims. */
static int grow_message(ChunkStream *cs, uint32_t n)
{
    uint32_t want = cs->got + n, cap;
    uint8_t *p;

    if (want <= cs->msg_cap)
        return 0;
    /* Up to KEEP_BUFFER the declared length is taken at once (one
     * allocation per chunk stream in the steady state); beyond, the
     * buffer follows the bytes that actually arrive. */
    if (cs->length <= KEEP_BUFFER)
        cap = cs->length > 4096 ? cs->length : 4096;
    else
        cap = cs->msg_cap ? cs->msg_cap : KEEP_BUFFER;
    while (cap < want)
        cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
    if (cap > cs->length)
        cap = cs->length;
    if (!(p = realloc(cs->msg, cap)))
        return AVERROR(ENOMEM);
    cs->msg = p;
    cs->msg_cap = cap;
    return 0;
}

/* The current chunk is complete; so may be its message. */
static int end_chunk(RtmpConn *c, RtmpEvent *ev)
{
    ChunkStream *cs = c->cur;
    int ret;

    c->state = ST_HEADER;
    if (cs->got < cs->length)
        return 0;
    ret = dispatch(c, cs, ev);
    if (ret < 0 || c->state == ST_DEAD)
        return ret < 0 ? ret : AVERROR_INVALIDDATA;
    if (ret > 0)
        c->release = cs; /* the event points into cs->msg */
    else
        release_message(c, cs);
    return ret;
}

/*
 * The steps of rtmp_conn_feed, one per state: each takes what it can of
 * the avail bytes at p, says how many in *n, and returns 0, 1 (an event
 * in ev) or a negative AVERROR.
 */

/* C0 and C1: answered with S0, S1 and S2 once whole. */
static int feed_c0c1(RtmpConn *c, const uint8_t *p, size_t avail, size_t *n)
{
    int ret;

    *n = sizeof(c->hs) - c->hs_got;
    *n = *n < avail ? *n : avail;
    memcpy(c->hs + c->hs_got, p, *n);
    c->hs_got += *n;
    if (c->hs_got == sizeof(c->hs)) {
        if ((ret = answer_handshake(c)) < 0)
            return ret;
        c->hs_got = 0;
        c->state = ST_C2;
    }
    return 0;
}

/* C2: skipped. */
static int feed_c2(RtmpConn *c, size_t avail, size_t *n)
{
    *n = RTMP_HANDSHAKE_SIZE - c->hs_got;
    *n = *n < avail ? *n : avail;
    c->hs_got += *n;
    if (c->hs_got == RTMP_HANDSHAKE_SIZE)
        c->state = ST_HEADER;
    return 0;
}

/* A chunk header, byte by byte until its size is known and it is whole. */
static int feed_header(RtmpConn *c, const uint8_t *p, size_t avail, size_t *n, RtmpEvent *ev)
{
    uint32_t csid = 0;
    ChunkStream *cs;
    size_t need, pos = 0;
    int ret;

    if (c->hdr_got == 0)
        c->hdr[c->hdr_got++] = p[pos++];
    while ((need = header_size(c, &csid, &cs)) > c->hdr_got && pos < avail)
        c->hdr[c->hdr_got++] = p[pos++];
    *n = pos;
    if (need > c->hdr_got)
        return 0;
    c->hdr_got = 0;
    if ((ret = take_header(c, csid, cs, need)) < 0)
        return ret;
    c->state = ST_BODY;
    if (c->chunk_left == 0)
        return end_chunk(c, ev); /* a zero-length message */
    return 0;
}

/* A chunk's body, into its chunk stream's message. */
static int feed_body(RtmpConn *c, const uint8_t *p, size_t avail, size_t *n, RtmpEvent *ev)
{
    ChunkStream *cs = c->cur;
    int ret;

    *n = c->chunk_left < avail ? c->chunk_left : avail;
    if ((ret = grow_message(cs, *n)) < 0) {
        *n = 0;
        return ret;
    }
    memcpy(cs->msg + cs->got, p, *n);
    cs->got += *n;
    c->chunk_left -= *n;
    if (c->chunk_left == 0)
        return end_chunk(c, ev);
    return 0;
}

int rtmp_conn_feed(RtmpConn *c, const uint8_t *data, size_t len, size_t *used, RtmpEvent *ev)
{
    size_t pos = 0;
    int ret = 0;

    memset(ev, 0, sizeof(*ev));
    *used = 0;
    if (c->agg && c->state != ST_DEAD && c->state != ST_CLOSED) {
        if (next_aggregate(c, ev))
            return 1; /* the aggregate's message stays held */
    }
    if (c->release) {
        release_message(c, c->release);
        c->release = NULL;
    }
    if (c->state == ST_DEAD)
        return AVERROR_INVALIDDATA;
    if (c->state == ST_CLOSED)
        return AVERROR_EOF;

    while (pos < len && ret == 0) {
        size_t n = 0;

        switch (c->state) {
        case ST_C0C1:
            ret = feed_c0c1(c, data + pos, len - pos, &n);
            break;
        case ST_C2:
            ret = feed_c2(c, len - pos, &n);
            break;
        case ST_HEADER:
            ret = feed_header(c, data + pos, len - pos, &n, ev);
            break;
        case ST_BODY:
            ret = feed_body(c, data + pos, len - pos, &n, ev);
            break;
        case ST_CLOSED:
            ret = AVERROR_EOF;
            break;
        case ST_DEAD:
            ret = AVERROR_INVALIDDATA;
            break;
        }
        pos += n;
    }
    c->bytes_in += pos;
    *used = pos;
    if (ret < 0)
        return ret;
    if (c->ack_window && c->bytes_in - c->last_ack >= c->ack_window) {
        send_u32(c, MSG_ACK, (uint32_t)c->bytes_in);
        c->last_ack = c->bytes_in;
    }
    if (c->out.err)
        return fail(c, "output queue full");
    return ret;
}

int rtmp_conn_accept_publish(RtmpConn *c)
{
    char desc[300];

    if (!c->publish_asked || c->publishing)
        return AVERROR(EINVAL);
    c->publishing = 1;
    send_user_control(c, 0, c->publish_stream); /* StreamBegin */
    snprintf(desc, sizeof(desc), "%s is now published.", c->name);
    send_status(c, "status", "NetStream.Publish.Start", desc);
    return c->out.err ? fail(c, "output queue full") : 0;
}

int rtmp_conn_refuse_publish(RtmpConn *c, const char *code, const char *description)
{
    if (!c->publish_asked || c->publishing)
        return AVERROR(EINVAL);
    c->publish_asked = 0;
    send_status(c, "error", code, description);
    c->state = ST_CLOSED;
    return c->out.err ? fail(c, "output queue full") : 0;
}

const uint8_t *rtmp_conn_output(const RtmpConn *c, size_t *len)
{
    *len = bytebuf_size(&c->out);
    return bytebuf_data(&c->out);
}

void rtmp_conn_sent(RtmpConn *c, size_t n)
{
    bytebuf_consume(&c->out, n);
}

const char *rtmp_conn_error(const RtmpConn *c)
{
    return c->error;
}

int rtmp_conn_has_event(const RtmpConn *c)
{
    return c->agg != NULL && c->state != ST_DEAD && c->state != ST_CLOSED;
}

int rtmp_conn_handshaken(const RtmpConn *c)
{
    return c->state >= ST_HEADER;
}

int rtmp_conn_publishing(const RtmpConn *c)
{
    return c->publishing;
}

int rtmp_conn_digest(const RtmpConn *c)
{
    return c->digest;
}
