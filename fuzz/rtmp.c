/*
 * fuzz/rtmp.c: libFuzzer target for the RTMP server state machine
 * (lib/rtmp.c): handshake, chunk stream and AMF0 commands, the bytes any
 * host on the internet can send to live-ingest.
 *
 * Links: lib/rtmp.c lib/amf.c lib/bytebuf.c lib/log.c lib/array.c lib/parse.c
 *
 * The input is what a publisher sends, from C0 on. It is fed twice: all
 * at once, and cut into small irregular pieces. The state machine must
 * not depend on how TCP happens to cut the bytes: both runs must give the
 * same events in the same order and end the same way. Events must point
 * at sane data; publishes are accepted or refused, output is drained.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "log.h"
#include "rtmp.h"

#define MAX_EVENTS 4096

typedef struct Trace {
    int n;
    int end;            /* the last return: 0 (all used) or negative */
    uint64_t sig[MAX_EVENTS];
} Trace;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t str_sig(uint64_t h, const char *s)
{
    return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "\xff", 1);
}

static void drain(RtmpConn *c, int all)
{
    size_t len;
    const uint8_t *out = rtmp_conn_output(c, &len);
    if (len && !out)
        abort();
    /* sometimes the peer is slow: leave part of it queued */
    rtmp_conn_sent(c, all ? len : len / 2);
}

/* Feed data in pieces of the sizes cut[] cycles through (0: all at once). */
static void run(const uint8_t *data, size_t size, const size_t *cut, size_t ncut, Trace *tr)
{
    RtmpLimits lim;
    RtmpConn *c;
    size_t pos = 0, k = 0;
    int ret = 0;

    rtmp_limits_default(&lim);
    lim.max_message_size = 1 << 20; /* keep memory per input small */
    lim.max_pending = 2 << 20;
    c = rtmp_conn_new(&lim);
    if (!c)
        return;
    tr->n = 0;
    while (pos < size && ret >= 0) {
        size_t piece = ncut ? cut[k++ % ncut] : size - pos, off = 0;
        if (piece > size - pos)
            piece = size - pos;
        while (off < piece) {
            RtmpEvent ev;
            size_t used = 0;

            memset(&ev, 0, sizeof(ev));
            ret = rtmp_conn_feed(c, data + pos + off, piece - off, &used, &ev);
            if (used > piece - off)
                abort();
            off += used;
            if (ret < 0)
                break;
            if (ret == 0) {
                if (off != piece)
                    abort(); /* 0 means everything was used */
                break;
            }
            if (ev.size && !ev.data)
                abort();
            if (tr->n < MAX_EVENTS) {
                uint64_t h = fnv(0xcbf29ce484222325ULL, &ev.type, sizeof(ev.type));
                h = fnv(h, &ev.timestamp, sizeof(ev.timestamp));
                h = fnv(h, &ev.size, sizeof(ev.size));
                if (ev.size)
                    h = fnv(h, ev.data, ev.size);
                h = str_sig(h, ev.app);
                h = str_sig(h, ev.name);
                h = str_sig(h, ev.key);
                tr->sig[tr->n++] = h;
            }
            if (ev.type == RTMP_EVENT_PUBLISH) {
                /* accept most, refuse some, as a key check would */
                if (ev.name && ev.name[0] == 'x')
                    rtmp_conn_refuse_publish(c, "NetStream.Publish.BadName", "refused");
                else
                    rtmp_conn_accept_publish(c);
            }
            drain(c, tr->n & 1);
        }
        pos += off;
        drain(c, 1);
        if (ret < 0 || off < piece)
            break;
    }
    tr->end = ret < 0 ? ret : 0;
    (void)rtmp_conn_error(c);
    (void)rtmp_conn_handshaken(c);
    (void)rtmp_conn_publishing(c);
    (void)rtmp_conn_digest(c);
    rtmp_conn_free(&c);
    if (c)
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    log_init("fuzz-rtmp");
    log_set_level(LOG_LEVEL_QUIET);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t cuts[] = { 1, 13, 1536, 2, 128, 7, 1537, 300, 3, 4096 };
    static Trace whole, pieces;
#ifdef FUZZ_RTMP_CHUNKS
    /* A plain handshake (C0, C1 of version 0, C2) before the input, so
     * that every input is spent on the chunk stream. */
    static uint8_t buf[1 + 2 * RTMP_HANDSHAKE_SIZE + (1 << 20)];
    if (size > sizeof(buf) - 1 - 2 * RTMP_HANDSHAKE_SIZE)
        return 0;
    buf[0] = 3;
    memcpy(buf + 1 + 2 * RTMP_HANDSHAKE_SIZE, data, size);
    data = buf;
    size += 1 + 2 * RTMP_HANDSHAKE_SIZE;
#endif

    run(data, size, NULL, 0, &whole);
    run(data, size, cuts, sizeof(cuts) / sizeof(*cuts), &pieces);
    if (whole.n != pieces.n || whole.end != pieces.end ||
        memcmp(whole.sig, pieces.sig, whole.n * sizeof(*whole.sig)))
        abort();
    return 0;
}
