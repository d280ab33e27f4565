/* Unit tests for lib/rtmp.c: the handshake (plain and digest), chunk
 * headers of type 0-3, extended timestamps, Set Chunk Size, Abort,
 * acknowledgements, ping, the publish commands and the limits. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/intreadwrite.h>
#include <sodium.h>

#include "amf.h"
#include "bytebuf.h"
#include "rtmp.h"
#include "tap.h"

#define MAX_EVENTS 64

typedef struct Got {
    int n;
    int type[MAX_EVENTS];
    uint32_t ts[MAX_EVENTS];
    size_t size[MAX_EVENTS];
    uint8_t first[MAX_EVENTS];
    uint8_t last[MAX_EVENTS];
    char name[64], key[64], app[64];
    int err;
} Got;

/* Feed bytes in pieces of step (0: all at once); publish is accepted. */
static void feed(RtmpConn *c, const uint8_t *p, size_t len, size_t step, Got *g)
{
    size_t off = 0;
    while (off < len && !g->err) {
        size_t n = step && len - off > step ? step : len - off, used, o2 = 0;
        while (o2 < n) {
            RtmpEvent ev;
            int r = rtmp_conn_feed(c, p + off + o2, n - o2, &used, &ev);
            o2 += used;
            if (r < 0) {
                g->err = r;
                return;
            }
            if (r == 0)
                continue;
            if (g->n < MAX_EVENTS) {
                g->type[g->n] = ev.type;
                g->ts[g->n] = ev.timestamp;
                g->size[g->n] = ev.size;
                g->first[g->n] = ev.size ? ev.data[0] : 0;
                g->last[g->n] = ev.size ? ev.data[ev.size - 1] : 0;
                g->n++;
            }
            if (ev.type == RTMP_EVENT_CONNECT)
                snprintf(g->app, sizeof(g->app), "%s", ev.app);
            if (ev.type == RTMP_EVENT_PUBLISH) {
                snprintf(g->name, sizeof(g->name), "%s", ev.name);
                snprintf(g->key, sizeof(g->key), "%s", ev.key ? ev.key : "(none)");
                rtmp_conn_accept_publish(c);
            }
        }
        off += n;
    }
    while (!g->err && rtmp_conn_has_event(c)) {
        RtmpEvent ev;
        size_t used;
        int r = rtmp_conn_feed(c, NULL, 0, &used, &ev);
        if (r < 0)
            g->err = r;
        if (r <= 0)
            break;
        if (g->n < MAX_EVENTS) {
            g->type[g->n] = ev.type;
            g->ts[g->n] = ev.timestamp;
            g->size[g->n] = ev.size;
            g->first[g->n] = ev.data[0];
            g->last[g->n] = ev.data[ev.size - 1];
            g->n++;
        }
    }
}

static size_t out_take(RtmpConn *c, ByteBuf *into)
{
    size_t len;
    const uint8_t *p = rtmp_conn_output(c, &len);
    if (into)
        bytebuf_append(into, p, len);
    rtmp_conn_sent(c, len);
    return len;
}

static int out_has(const ByteBuf *b, const char *s)
{
    return memmem(bytebuf_data(b), bytebuf_size(b), s, strlen(s)) != NULL;
}

/* A message in chunks: the first with header fmt (0-3), the rest fmt 3. */
static void put_msg(ByteBuf *b, int fmt, uint32_t csid, uint32_t ts, uint8_t type, uint32_t sid,
                    const uint8_t *payload, uint32_t len, uint32_t chunk, int ext_in_cont)
{
    uint32_t off = 0;
    int ext = ts >= 0xffffff;
    for (int first = 1; first || off < len; first = 0) {
        int f = first ? fmt : 3;
        if (csid < 64) {
            bytebuf_put8(b, f << 6 | csid);
        } else if (csid < 320) {
            bytebuf_put8(b, f << 6);
            bytebuf_put8(b, csid - 64);
        } else {
            bytebuf_put8(b, f << 6 | 1);
            bytebuf_put8(b, (csid - 64) & 0xff);
            bytebuf_put8(b, (csid - 64) >> 8);
        }
        if (f <= 2)
            bytebuf_put_be24(b, ext ? 0xffffff : ts);
        if (f <= 1) {
            bytebuf_put_be24(b, len);
            bytebuf_put8(b, type);
        }
        if (f == 0)
            bytebuf_put_le32(b, sid);
        if (ext && (f <= 2 || ext_in_cont))
            bytebuf_put_be32(b, ts);
        uint32_t n = len - off < chunk ? len - off : chunk;
        bytebuf_append(b, payload + off, n);
        off += n;
        if (len == 0)
            break;
    }
}

static void amf_cmd(ByteBuf *b, const char *name, double txn)
{
    amf_put_string(b, name);
    amf_put_number(b, txn);
}

static void put_cmd_connect(ByteBuf *b, const char *app)
{
    ByteBuf a;
    bytebuf_init(&a, 0);
    amf_cmd(&a, "connect", 1);
    amf_put_object_begin(&a);
    amf_put_key(&a, "app");
    amf_put_string(&a, app);
    amf_put_key(&a, "tcUrl");
    amf_put_string(&a, "rtmp://127.0.0.1/live");
    amf_put_object_end(&a);
    put_msg(b, 0, 3, 0, 20, 0, bytebuf_data(&a), bytebuf_size(&a), 128, 0);
    bytebuf_free(&a);
}

static void put_cmd_publish(ByteBuf *b, const char *name)
{
    ByteBuf a;
    bytebuf_init(&a, 0);
    amf_cmd(&a, "createStream", 2);
    amf_put_null(&a);
    put_msg(b, 0, 3, 0, 20, 0, bytebuf_data(&a), bytebuf_size(&a), 128, 0);
    bytebuf_reset(&a);
    amf_cmd(&a, "publish", 0);
    amf_put_null(&a);
    amf_put_string(&a, name);
    amf_put_string(&a, "live");
    put_msg(b, 0, 8, 0, 20, 1, bytebuf_data(&a), bytebuf_size(&a), 128, 0);
    bytebuf_free(&a);
}

static void c0c1(uint8_t *hs, int digest, int scheme)
{
    hs[0] = 3;
    randombytes_buf(hs + 1, RTMP_HANDSHAKE_SIZE);
    memset(hs + 1, 0, 8);
    if (digest) {
        hs[5] = 9, hs[6] = 0, hs[7] = 124, hs[8] = 2;
        uint32_t pos = rtmp_digest_pos(hs + 1, scheme);
        rtmp_digest(hs + 1, pos, rtmp_client_key, 30, hs + 1 + pos);
    }
}

/* A connection past the handshake (plain), with the output drained. */
static RtmpConn *ready(const RtmpLimits *lim)
{
    RtmpConn *c = rtmp_conn_new(lim);
    uint8_t hs[1 + 2 * RTMP_HANDSHAKE_SIZE] = { 3 };
    Got g = { 0 };
    feed(c, hs, sizeof(hs), 0, &g);
    out_take(c, NULL);
    return c;
}

static RtmpConn *publishing(Got *g)
{
    RtmpConn *c = ready(NULL);
    ByteBuf b;
    bytebuf_init(&b, 0);
    put_cmd_connect(&b, "live");
    put_cmd_publish(&b, "cam1?key=abc");
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, g);
    out_take(c, NULL);
    bytebuf_free(&b);
    return c;
}

static void test_handshake(void)
{
    uint8_t hs[1 + RTMP_HANDSHAKE_SIZE], s[1 + 2 * RTMP_HANDSHAKE_SIZE], key[32], sig[32], d[32];
    RtmpConn *c;
    Got g = { 0 };
    size_t len;
    const uint8_t *out;

    /* plain: S2 echoes C1 */
    c = rtmp_conn_new(NULL);
    c0c1(hs, 0, 0);
    feed(c, hs, sizeof(hs), 0, &g);
    out = rtmp_conn_output(c, &len);
    is_int(len, 1 + 2 * RTMP_HANDSHAKE_SIZE, "plain: S0 S1 S2 queued");
    is_int(out[0], 3, "plain: S0 is version 3");
    ok(!memcmp(out + 1 + RTMP_HANDSHAKE_SIZE, hs + 1, RTMP_HANDSHAKE_SIZE), "plain: S2 echoes C1");
    is_int(rtmp_conn_digest(c), 0, "plain: no digest");
    ok(!rtmp_conn_handshaken(c), "not done before C2");
    feed(c, hs + 1, RTMP_HANDSHAKE_SIZE, 0, &g);
    ok(rtmp_conn_handshaken(c) && !g.err, "done after C2");
    rtmp_conn_free(&c);
    ok(c == NULL, "rtmp_conn_free clears the pointer");

    /* digest, both schemes: the checks a client (ffmpeg's, librtmp's) makes */
    for (int scheme = 0; scheme < 2; scheme++) {
        memset(&g, 0, sizeof(g));
        c = rtmp_conn_new(NULL);
        c0c1(hs, 1, scheme);
        feed(c, hs, sizeof(hs), 7, &g); /* byte dribble */
        out = rtmp_conn_output(c, &len);
        memcpy(s, out, len < sizeof(s) ? len : sizeof(s));
        is_int(rtmp_conn_digest(c), 1, "scheme %d: digest recognized", scheme);
        ok(s[5] >= 3, "scheme %d: S1 announces a server version (>= 3)", scheme);
        uint32_t spos = rtmp_digest_pos(s + 1, scheme);
        rtmp_digest(s + 1, spos, rtmp_server_key, 36, d);
        ok(!memcmp(d, s + 1 + spos, 32), "scheme %d: S1 digest valid", scheme);
        uint32_t cpos = rtmp_digest_pos(hs + 1, scheme);
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, rtmp_server_key, sizeof(rtmp_server_key));
        crypto_auth_hmacsha256_update(&st, hs + 1 + cpos, 32);
        crypto_auth_hmacsha256_final(&st, key);
        crypto_auth_hmacsha256_init(&st, key, 32);
        crypto_auth_hmacsha256_update(&st, s + 1 + RTMP_HANDSHAKE_SIZE, RTMP_HANDSHAKE_SIZE - 32);
        crypto_auth_hmacsha256_final(&st, sig);
        ok(!memcmp(sig, s + 1 + 2 * RTMP_HANDSHAKE_SIZE - 32, 32), "scheme %d: S2 signature valid",
           scheme);
        rtmp_conn_free(&c);
    }

    /* a version field without a valid digest: plain */
    memset(&g, 0, sizeof(g));
    c = rtmp_conn_new(NULL);
    c0c1(hs, 1, 0);
    hs[100] ^= 1;
    hs[900] ^= 1;
    feed(c, hs, sizeof(hs), 0, &g);
    is_int(rtmp_conn_digest(c), 0, "a bad digest falls back to plain");
    rtmp_conn_free(&c);

    memset(&g, 0, sizeof(g));
    c = rtmp_conn_new(NULL);
    c0c1(hs, 0, 0);
    hs[0] = 6;
    feed(c, hs, sizeof(hs), 0, &g);
    is_int(g.err, AVERROR_INVALIDDATA, "C0 other than 3 (RTMPE) refused");
    ok(strstr(rtmp_conn_error(c), "version 6") != NULL, "the error says why");
    rtmp_conn_free(&c);
}

static void test_commands(void)
{
    Got g = { 0 };
    RtmpConn *c = ready(NULL);
    ByteBuf b, out;

    bytebuf_init(&b, 0);
    bytebuf_init(&out, 0);
    put_cmd_connect(&b, "live?key=fromapp");
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    out_take(c, &out);
    is_int(g.n, 1, "connect: one event");
    is_int(g.type[0], RTMP_EVENT_CONNECT, "connect event");
    is_str(g.app, "live", "app without its query");
    ok(out_has(&out, "NetConnection.Connect.Success"), "connect answered with _result");
    ok(out_has(&out, "_result"), "_result sent");

    bytebuf_reset(&b);
    bytebuf_reset(&out);
    put_cmd_publish(&b, "cam1");
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    out_take(c, &out);
    is_int(g.type[1], RTMP_EVENT_PUBLISH, "publish event");
    is_str(g.name, "cam1", "publish name");
    is_str(g.key, "fromapp", "key from the app's query when the name has none");
    ok(out_has(&out, "NetStream.Publish.Start"), "publish accepted: onStatus Publish.Start");
    ok(rtmp_conn_publishing(c), "publishing");

    /* @setDataFrame onMetaData */
    {
        ByteBuf a;
        bytebuf_init(&a, 0);
        amf_put_string(&a, "@setDataFrame");
        amf_put_string(&a, "onMetaData");
        amf_put_ecma_begin(&a, 1);
        amf_put_key(&a, "width");
        amf_put_number(&a, 320);
        amf_put_object_end(&a);
        bytebuf_reset(&b);
        put_msg(&b, 0, 4, 0, 18, 1, bytebuf_data(&a), bytebuf_size(&a), 128, 0);
        feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
        is_int(g.type[2], RTMP_EVENT_METADATA, "@setDataFrame gives metadata");
        is_int(g.size[2], bytebuf_size(&a) - 16, "metadata starts at \"onMetaData\"");
        is_int(g.first[2], AMF_STRING, "metadata body is AMF0");
        bytebuf_free(&a);
    }

    /* FCUnpublish */
    {
        ByteBuf a;
        bytebuf_init(&a, 0);
        amf_cmd(&a, "FCUnpublish", 5);
        amf_put_null(&a);
        amf_put_string(&a, "cam1");
        bytebuf_reset(&b);
        put_msg(&b, 0, 3, 0, 20, 0, bytebuf_data(&a), bytebuf_size(&a), 128, 0);
        feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
        is_int(g.type[3], RTMP_EVENT_UNPUBLISH, "FCUnpublish ends the publish");
        ok(!rtmp_conn_publishing(c), "no longer publishing");
        bytebuf_free(&a);
    }
    rtmp_conn_free(&c);

    /* refusal */
    memset(&g, 0, sizeof(g));
    c = ready(NULL);
    bytebuf_reset(&b);
    bytebuf_reset(&out);
    put_cmd_connect(&b, "live");
    {
        ByteBuf a;
        bytebuf_init(&a, 0);
        amf_cmd(&a, "publish", 0);
        amf_put_null(&a);
        amf_put_string(&a, "cam%20x?foo=1&key=a%2Fb");
        put_msg(&b, 0, 8, 0, 20, 1, bytebuf_data(&a), bytebuf_size(&a), 128, 0);
        bytebuf_free(&a);
    }
    size_t used, off = 0;
    RtmpEvent ev;
    int r = 0;
    while (off < bytebuf_size(&b) && r != 1) {
        r = rtmp_conn_feed(c, bytebuf_data(&b) + off, bytebuf_size(&b) - off, &used, &ev);
        off += used;
        if (r == 1 && ev.type != RTMP_EVENT_PUBLISH)
            r = 0;
    }
    is_int(r, 1, "publish asked");
    is_str(ev.key, "a/b", "key percent-decoded, found after another parameter");
    is_str(ev.name, "cam%20x", "name without the query");
    is_int(rtmp_conn_refuse_publish(c, "NetStream.Publish.Denied", "wrong key"), 0, "refuse");
    out_take(c, &out);
    ok(out_has(&out, "NetStream.Publish.Denied") && out_has(&out, "error"),
       "refusal: onStatus with level error and the code");
    is_int(rtmp_conn_feed(c, (const uint8_t *)"x", 1, &used, &ev), AVERROR_EOF,
           "after a refusal, input is not taken");
    rtmp_conn_free(&c);
    bytebuf_free(&b);
    bytebuf_free(&out);
}

static void test_chunks(void)
{
    Got g = { 0 };
    RtmpConn *c = publishing(&g);
    ByteBuf b, out;
    uint8_t payload[5000];

    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = i * 7 + 1;
    payload[0] = 0x17; /* AVC keyframe */
    bytebuf_init(&b, 0);
    bytebuf_init(&out, 0);
    g.n = 0;
    /* type 0, 1, 2, 3 headers on one chunk stream, 300-byte messages in 128-byte chunks */
    put_msg(&b, 0, 6, 1000, 9, 1, payload, 300, 128, 0);
    put_msg(&b, 1, 6, 40, 9, 1, payload, 299, 128, 0);
    put_msg(&b, 2, 6, 41, 9, 1, payload, 299, 128, 0);
    put_msg(&b, 3, 6, 0, 9, 1, payload, 299, 128, 0);
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    is_int(g.n, 4, "four video messages");
    is_int(g.ts[0], 1000, "fmt 0: absolute timestamp");
    is_int(g.ts[1], 1040, "fmt 1: delta");
    is_int(g.ts[2], 1081, "fmt 2: delta");
    is_int(g.ts[3], 1122, "fmt 3 starting a message: the last delta again");
    is_int(g.size[0], 300, "message reassembled from 128-byte chunks");
    is_int(g.last[0], payload[299], "last byte in place");
    is_int(g.size[3], 299, "fmt 3 keeps the length");

    /* the same bytes one at a time give the same events */
    {
        Got g2 = { 0 };
        RtmpConn *c2 = publishing(&g2);
        g2.n = 0;
        feed(c2, bytebuf_data(&b), bytebuf_size(&b), 1, &g2);
        ok(g2.n == 4 && g2.ts[3] == 1122 && g2.size[0] == 300 && !g2.err,
           "byte-at-a-time feeding gives the same events");
        rtmp_conn_free(&c2);
    }

    /* Set Chunk Size, then a 5000-byte message in two chunks */
    bytebuf_reset(&b);
    g.n = 0;
    {
        uint8_t v[4];
        AV_WB32(v, 4096);
        put_msg(&b, 0, 2, 0, 1, 0, v, 4, 128, 0);
    }
    put_msg(&b, 0, 6, 2000, 9, 1, payload, 5000, 4096, 0);
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    ok(g.n == 1 && g.size[0] == 5000 && g.last[0] == payload[4999], "Set Chunk Size 4096 honoured");

    /* extended timestamps, repeated in continuation chunks */
    bytebuf_reset(&b);
    g.n = 0;
    put_msg(&b, 0, 4, 0x1000000, 8, 1, payload, 5000, 4096, 1);
    put_msg(&b, 0, 4, 0x1000020, 8, 1, payload, 10, 4096, 1);
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    ok(g.n == 2 && g.ts[0] == 0x1000000 && g.size[0] == 5000 && g.last[0] == payload[4999],
       "extended timestamp, and its repeat in the continuation chunk");
    is_int(g.ts[1], 0x1000020, "extended timestamp of the next message");

    /* Abort drops a partial message */
    bytebuf_reset(&b);
    g.n = 0;
    {
        ByteBuf part;
        uint8_t v[4];
        bytebuf_init(&part, 0);
        put_msg(&part, 0, 7, 3000, 9, 1, payload, 5000, 4096, 0);
        bytebuf_append(&b, bytebuf_data(&part), 12 + 4096); /* only the first chunk */
        AV_WB32(v, 7);
        put_msg(&b, 0, 2, 0, 2, 0, v, 4, 4096, 0);
        put_msg(&b, 0, 7, 3001, 9, 1, payload, 100, 4096, 0);
        bytebuf_free(&part);
    }
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    ok(g.n == 1 && g.ts[0] == 3001 && g.size[0] == 100 && !g.err,
       "Abort discards the partial message; the chunk stream goes on");

    /* Window Acknowledgement Size: an Acknowledgement after that many bytes */
    out_take(c, NULL);
    bytebuf_reset(&b);
    {
        uint8_t v[4];
        AV_WB32(v, 4000);
        put_msg(&b, 0, 2, 0, 5, 0, v, 4, 4096, 0);
        put_msg(&b, 0, 6, 4000, 9, 1, payload, 4096, 4096, 0);
    }
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    out_take(c, &out);
    ok(bytebuf_size(&out) >= 16 && bytebuf_data(&out)[0] == 2 && bytebuf_data(&out)[7] == 3,
       "Acknowledgement sent after the window");

    /* ping request -> ping response */
    bytebuf_reset(&b);
    bytebuf_reset(&out);
    {
        uint8_t v[6] = { 0, 6, 1, 2, 3, 4 };
        put_msg(&b, 0, 2, 0, 4, 0, v, 6, 4096, 0);
    }
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    out_take(c, &out);
    ok(bytebuf_size(&out) == 18 && bytebuf_data(&out)[7] == 4 &&
       !memcmp(bytebuf_data(&out) + 12, "\x00\x07\x01\x02\x03\x04", 6),
       "ping request answered with a ping response");

    /* aggregate: audio + video + a script tag (skipped), timestamps moved */
    bytebuf_reset(&b);
    g.n = 0;
    {
        ByteBuf a;
        bytebuf_init(&a, 0);
        const uint8_t sub[3][4] = { { 8, 0xaf, 1, 0x11 }, { 9, 0x27, 1, 0x22 }, { 18, 2, 0, 0 } };
        for (int i = 0; i < 3; i++) {
            bytebuf_put8(&a, sub[i][0]);
            bytebuf_put_be24(&a, 3);
            bytebuf_put_be24(&a, 500 + 20 * i);
            bytebuf_put8(&a, 0);
            bytebuf_put_be24(&a, 0);
            bytebuf_append(&a, sub[i] + 1, 3);
            bytebuf_put_be32(&a, 14);
        }
        put_msg(&b, 0, 6, 7000, 22, 1, bytebuf_data(&a), bytebuf_size(&a), 4096, 0);
        bytebuf_free(&a);
    }
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    ok(g.n == 2 && g.type[0] == RTMP_EVENT_AUDIO && g.type[1] == RTMP_EVENT_VIDEO && !g.err,
       "aggregate: its audio and video sub-messages, the script tag skipped");
    ok(g.ts[0] == 7000 && g.ts[1] == 7020 && g.last[0] == 0x11 && g.last[1] == 0x22,
       "aggregate: timestamps relative to the aggregate's, bodies intact");

    /* 3-byte basic header (csid >= 320) */
    bytebuf_reset(&b);
    g.n = 0;
    put_msg(&b, 0, 1000, 5000, 8, 1, payload, 50, 4096, 0);
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    ok(g.n == 1 && g.ts[0] == 5000 && !g.err, "3-byte basic header");
    rtmp_conn_free(&c);
    bytebuf_free(&b);
    bytebuf_free(&out);
}

static void test_limits(void)
{
    Got g = { 0 };
    RtmpConn *c;
    ByteBuf b;
    uint8_t v[4], payload[1024] = { 0 };
    RtmpLimits lim;

    bytebuf_init(&b, 0);
    c = ready(NULL);
    AV_WB32(v, 0x7fffffff);
    put_msg(&b, 0, 2, 0, 1, 0, v, 4, 128, 0);
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    is_int(g.err, AVERROR_INVALIDDATA, "Set Chunk Size 0x7fffffff refused");
    ok(strstr(rtmp_conn_error(c), "Set Chunk Size") != NULL, "error names it");
    rtmp_conn_free(&c);

    memset(&g, 0, sizeof(g));
    c = ready(NULL);
    bytebuf_reset(&b);
    AV_WB32(v, 0);
    put_msg(&b, 0, 2, 0, 1, 0, v, 4, 128, 0);
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    is_int(g.err, AVERROR_INVALIDDATA, "Set Chunk Size 0 refused");
    rtmp_conn_free(&c);

    memset(&g, 0, sizeof(g));
    c = ready(NULL);
    bytebuf_reset(&b);
    bytebuf_append(&b, "\x06\x00\x00\x00\xff\xff\xff\x09\x01\x00\x00\x00", 12);
    feed(c, bytebuf_data(&b), 12, 0, &g);
    is_int(g.err, AVERROR_INVALIDDATA, "a message over the size limit refused at its header");
    rtmp_conn_free(&c);

    memset(&g, 0, sizeof(g));
    rtmp_limits_default(&lim);
    lim.max_chunk_streams = 8;
    c = ready(&lim);
    bytebuf_reset(&b);
    for (uint32_t i = 0; i < 20; i++) {
        /* each opens a 1000-byte message with one 128-byte chunk */
        ByteBuf one;
        bytebuf_init(&one, 0);
        put_msg(&one, 0, 64 + i, 0, 9, 1, payload, 1000, 128, 0);
        bytebuf_append(&b, bytebuf_data(&one), 13 + 128); /* 2-byte basic header */
        bytebuf_free(&one);
    }
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    is_int(g.err, AVERROR_INVALIDDATA, "a chunk stream id storm refused");
    if (!ok(strstr(rtmp_conn_error(c), "chunk streams") != NULL, "error names it"))
        diag("error: %s", rtmp_conn_error(c));
    rtmp_conn_free(&c);

    memset(&g, 0, sizeof(g));
    rtmp_limits_default(&lim);
    lim.max_pending = 3000;
    c = ready(&lim);
    bytebuf_reset(&b);
    for (uint32_t i = 0; i < 4; i++) {
        ByteBuf one;
        bytebuf_init(&one, 0);
        put_msg(&one, 0, 4 + i, 0, 9, 1, payload, 1000, 128, 0);
        bytebuf_append(&b, bytebuf_data(&one), 12 + 128);
        bytebuf_free(&one);
    }
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    is_int(g.err, AVERROR_INVALIDDATA, "unfinished messages over the pending limit refused");
    rtmp_conn_free(&c);

    memset(&g, 0, sizeof(g));
    c = ready(NULL);
    bytebuf_reset(&b);
    bytebuf_put8(&b, 0x86); /* fmt 2 on a chunk stream never seen */
    bytebuf_put_be24(&b, 10);
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    is_int(g.err, AVERROR_INVALIDDATA, "a compressed header without a previous one refused");
    rtmp_conn_free(&c);

    memset(&g, 0, sizeof(g));
    c = ready(NULL);
    bytebuf_reset(&b);
    {
        ByteBuf a;
        bytebuf_init(&a, 0);
        amf_cmd(&a, "publish", 0);
        put_msg(&b, 0, 3, 0, 20, 0, bytebuf_data(&a), bytebuf_size(&a), 128, 0);
        bytebuf_free(&a);
    }
    feed(c, bytebuf_data(&b), bytebuf_size(&b), 0, &g);
    is_int(g.err, AVERROR_INVALIDDATA, "a command before connect refused");
    rtmp_conn_free(&c);

    /* random bytes after a good handshake never crash; a few seeds */
    for (int seed = 0; seed < 200; seed++) {
        uint8_t junk[2048];
        memset(&g, 0, sizeof(g));
        c = ready(NULL);
        randombytes_buf(junk, sizeof(junk));
        feed(c, junk, sizeof(junk), 1 + seed % 13, &g);
        rtmp_conn_free(&c);
    }
    ok(1, "200 random inputs survived");
    bytebuf_free(&b);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_handshake();
    test_commands();
    test_chunks();
    test_limits();
    return done();
}
