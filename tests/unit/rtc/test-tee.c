/* Unit tests for lib/rtc/tee.c (live-rtc -f): the pipeline's FLV passes
 * through byte for byte whether live-rtc is there or not; live-rtc, on a
 * real Unix socket, gets "FEED NAME", the header and sequence headers
 * first, then whole tags from the next keyframe; input that is not FLV
 * still reaches the pipeline. MPEG-TS passes byte for byte too, and
 * live-rtc gets its packets as feedpkt.h records. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "../media.h"
#include "bytebuf.h"
#include "flv.h"
#include "log.h"
#include "rtc/feedpkt.h"
#include "rtc/server.h"

typedef struct Rtc {
    int fd;
    volatile int accepted;
    ByteBuf got;
} Rtc;

static void *rtc_run(void *arg)
{
    Rtc *r = arg;
    uint8_t buf[4096];
    ssize_t n;
    int c = accept(r->fd, NULL, NULL);
    r->accepted = 1;
    while (c >= 0 && (n = read(c, buf, sizeof(buf))) > 0)
        bytebuf_append(&r->got, buf, n);
    if (c >= 0)
        close(c);
    return NULL;
}

typedef struct TeeArgs {
    const char *sock;
    int in, out, ret;
    volatile sig_atomic_t stop;
} TeeArgs;

static void *tee_run(void *arg)
{
    TeeArgs *t = arg;
    t->ret = rtc_tee_run(t->sock, "cam", t->in, t->out, &t->stop);
    return NULL;
}

static void tag(ByteBuf *b, int type, uint32_t ts, const uint8_t *body, size_t n)
{
    flv_put_tag(b, type, ts, body, n);
}

/* The whole file at path into b. */
static void slurp(const char *path, ByteBuf *b)
{
    uint8_t buf[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY);
    while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
        bytebuf_append(b, buf, n);
    if (fd >= 0)
        close(fd);
}

static int same(const ByteBuf *a, const ByteBuf *b)
{
    return bytebuf_size(a) == bytebuf_size(b) && !memcmp(bytebuf_data(a), bytebuf_data(b), bytebuf_size(a));
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    static const uint8_t meta[] = { 2, 0, 10, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a', 5 };
    static const uint8_t avc_seq[] = { 0x17, 0, 0, 0, 0, 1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e,
                                       1, 0, 4, 0x68, 0xce, 0x3c, 0x80 };
    static const uint8_t aac_seq[] = { 0xaf, 0, 0x11, 0x90 };
    static const uint8_t inter[] = { 0x27, 1, 0, 0, 0, 0, 0, 0, 2, 0x41, 0x9a };
    static const uint8_t key[] = { 0x17, 1, 0, 0, 0, 0, 0, 0, 2, 0x65, 0x88 };
    static const uint8_t aac[] = { 0xaf, 1, 0x21, 0x10, 0x04 };
    char sock[200], out[220];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timespec ms10 = { 0, 10 * 1000000 };
    ByteBuf first, second, all, want, got;
    Rtc rtc = { 0 };
    TeeArgs ta = { 0 };
    pthread_t rt, tt;
    int p[2], i;

    log_init("test-tee");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(sock, sizeof(sock), "%s/rtc-tee-test.%d", tmpdir && *tmpdir ? tmpdir : "/tmp", (int)getpid());
    snprintf(out, sizeof(out), "%s.out", sock);
    bytebuf_init(&first, 0);
    bytebuf_init(&second, 0);
    bytebuf_init(&all, 0);
    bytebuf_init(&want, 0);
    bytebuf_init(&got, 0);
    bytebuf_init(&rtc.got, 0);

    /* the header and sequence headers; then an inter frame (before any
     * keyframe: not fed), a keyframe, audio, an inter frame */
    flv_put_header(&first, 1, 1);
    tag(&first, FLV_TAG_SCRIPT, 0, meta, sizeof(meta));
    tag(&first, FLV_TAG_VIDEO, 0, avc_seq, sizeof(avc_seq));
    tag(&first, FLV_TAG_AUDIO, 0, aac_seq, sizeof(aac_seq));
    tag(&second, FLV_TAG_VIDEO, 40, inter, sizeof(inter));
    tag(&second, FLV_TAG_VIDEO, 80, key, sizeof(key));
    tag(&second, FLV_TAG_AUDIO, 85, aac, sizeof(aac));
    tag(&second, FLV_TAG_VIDEO, 120, inter, sizeof(inter));
    bytebuf_append(&all, bytebuf_data(&first), bytebuf_size(&first));
    bytebuf_append(&all, bytebuf_data(&second), bytebuf_size(&second));

    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    unlink(sock);
    rtc.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(rtc.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(rtc.fd, 1) < 0 || pipe(p) < 0)
        return 1;
    pthread_create(&rt, NULL, rtc_run, &rtc);
    ta.sock = sock;
    ta.in = p[0];
    ta.out = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pthread_create(&tt, NULL, tee_run, &ta);
    if (write(p[1], bytebuf_data(&first), bytebuf_size(&first)) < 0)
        return 1;
    for (i = 0; i < 6000 && !rtc.accepted; i++)
        nanosleep(&ms10, NULL);
    ok(rtc.accepted, "the tee connected to live-rtc once it had the header");
    nanosleep(&ms10, NULL);
    if (write(p[1], bytebuf_data(&second), bytebuf_size(&second)) < 0)
        return 1;
    close(p[1]);
    pthread_join(tt, NULL);
    pthread_join(rt, NULL);
    close(ta.out);
    close(p[0]);
    is_int(ta.ret, 0, "EOF of the input: 0");
    slurp(out, &got);
    ok(same(&got, &all), "the pipeline got every byte unchanged (%zu)", bytebuf_size(&all));

    bytebuf_append(&want, "FEED\tcam\n", 9);
    bytebuf_append(&want, bytebuf_data(&first), bytebuf_size(&first));
    {
        /* from the second part: skip the first (inter) tag */
        size_t skip = FLV_TAG_OVERHEAD + sizeof(inter);
        bytebuf_append(&want, bytebuf_data(&second) + skip, bytebuf_size(&second) - skip);
    }
    ok(same(&rtc.got, &want), "live-rtc got FEED, header, sequence headers, then whole tags from the keyframe");
    ok(bytebuf_size(&rtc.got) > 9 && !memcmp(bytebuf_data(&rtc.got), "FEED\tcam\n", 9), "the first line names the stream");

    /* nobody listening: the pipeline is not held up */
    close(rtc.fd);
    unlink(sock);
    bytebuf_reset(&got);
    if (pipe(p) < 0)
        return 1;
    ta.in = p[0];
    ta.out = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pthread_create(&tt, NULL, tee_run, &ta);
    if (write(p[1], bytebuf_data(&all), bytebuf_size(&all)) < 0)
        return 1;
    close(p[1]);
    pthread_join(tt, NULL);
    close(ta.out);
    close(p[0]);
    slurp(out, &got);
    ok(ta.ret == 0 && same(&got, &all), "without live-rtc: every byte passes, 0");

    /* not FLV */
    bytebuf_reset(&got);
    if (pipe(p) < 0)
        return 1;
    ta.in = p[0];
    ta.out = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pthread_create(&tt, NULL, tee_run, &ta);
    if (write(p[1], "GET / HTTP/1.1\r\n\r\nmore bytes", 28) < 0)
        return 1;
    close(p[1]);
    pthread_join(tt, NULL);
    close(ta.out);
    close(p[0]);
    slurp(out, &got);
    ok(ta.ret == 0 && bytebuf_size(&got) == 28 && !memcmp(bytebuf_data(&got), "GET / HTTP/1.1", 14),
       "input that is not FLV still reaches the pipeline");

    /* the reader of the output gone */
    if (pipe(p) < 0)
        return 1;
    {
        int q[2];
        if (pipe(q) < 0)
            return 1;
        close(q[0]);
        signal(SIGPIPE, SIG_IGN);
        ta.in = p[0];
        ta.out = q[1];
        pthread_create(&tt, NULL, tee_run, &ta);
        if (write(p[1], bytebuf_data(&all), bytebuf_size(&all)) < 0)
            return 1;
        pthread_join(tt, NULL);
        close(q[1]);
    }
    close(p[1]);
    close(p[0]);
    is_int(ta.ret, AVERROR(EPIPE), "downstream gone: AVERROR(EPIPE)");

    /* MPEG-TS: passed on byte for byte; live-rtc gets packet records, a
     * config record before each track's first packet, every video
     * packet from the first keyframe */
    {
        char ts[240];
        MediaSpec spec = { .format = "mpegts", .width = 160, .height = 120, .fps = 25, .frames = 25, .gop = 1,
                           .no_bframes = 1, .audio = AV_CODEC_ID_AAC, .sample_rate = 48000, .channels = 2 };
        ByteBuf src;
        int nv = 0, na = 0, pv = 0, pa = 0, cfg_first = 1, seen[2] = { 0, 0 }, bad = 0;
        size_t off = 0;
        snprintf(ts, sizeof(ts), "%s.ts", sock);
        bytebuf_init(&src, 0);
        is_int(media_write(ts, &spec), 0, "1 s of MPEG-TS: H.264 and AAC");
        media_count(ts, &nv, &na, NULL);
        slurp(ts, &src);
        bytebuf_reset(&got);
        bytebuf_reset(&rtc.got);
        rtc.accepted = 0;
        rtc.fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (bind(rtc.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(rtc.fd, 1) < 0 || pipe(p) < 0)
            return 1;
        pthread_create(&rt, NULL, rtc_run, &rtc);
        ta.in = p[0];
        ta.out = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        pthread_create(&tt, NULL, tee_run, &ta);
        /* the first 2000 bytes (PAT, PMT, the start of the keyframe),
         * the rest once the tee has connected */
        if (write(p[1], bytebuf_data(&src), 2000) != 2000)
            return 1;
        for (i = 0; i < 6000 && !rtc.accepted; i++)
            nanosleep(&ms10, NULL);
        ok(rtc.accepted, "MPEG-TS: the tee connected to live-rtc");
        if (write(p[1], bytebuf_data(&src) + 2000, bytebuf_size(&src) - 2000) != (ssize_t)(bytebuf_size(&src) - 2000))
            return 1;
        close(p[1]);
        pthread_join(tt, NULL);
        pthread_join(rt, NULL);
        close(ta.out);
        close(p[0]);
        close(rtc.fd);
        slurp(out, &got);
        ok(ta.ret == 0 && same(&got, &src), "the pipeline got the MPEG-TS unchanged (%zu bytes)", bytebuf_size(&src));
        ok(bytebuf_size(&rtc.got) > 13 && !memcmp(bytebuf_data(&rtc.got), "FEED\tcam\nLPKT", 13),
           "live-rtc got FEED, then the packet framing's magic");
        off = 13;
        while (off < bytebuf_size(&rtc.got)) {
            RtcFeedPkt pk;
            size_t used;
            if (rtc_feedpkt_read(bytebuf_data(&rtc.got) + off, bytebuf_size(&rtc.got) - off, &pk, &used) < 0) {
                bad = 1;
                break;
            }
            if (pk.type == RTC_FEEDPKT_CONFIG)
                seen[pk.track] = 1;
            else {
                cfg_first &= seen[pk.track];
                *(pk.track ? &pa : &pv) += 1;
            }
            off += used;
        }
        ok(!bad, "then whole records only");
        ok(cfg_first && seen[0] && seen[1], "a config record before each track's packets");
        is_int(pv, nv, "every video packet (%d)", nv);
        ok(pa >= na - 2, "the audio packets (%d of %d)", pa, na);
        unlink(ts);
        bytebuf_free(&src);
    }

    unlink(out);
    unlink(sock);
    bytebuf_free(&first);
    bytebuf_free(&second);
    bytebuf_free(&all);
    bytebuf_free(&want);
    bytebuf_free(&got);
    bytebuf_free(&rtc.got);
    return done();
}
