/*
 * rtc/tee.c: `live-rtc -f SOCK`: the pipeline's media passes through
 * untouched while live-rtc (server.h) is fed a copy: whole FLV tags when
 * the input is FLV; when it is MPEG-TS or Matroska (told by its first
 * bytes), its packets, demultiplexed in a thread (demux.h) and framed
 * as feedpkt.h records. The pipeline never waits for live-rtc: when it
 * is away the tee reconnects once a second, when it is slow whole tags
 * or packets are dropped (video up to the next keyframe; sequence
 * headers and codec configurations are kept and sent again on
 * reconnect).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "bytebuf.h"
#include "clock.h"
#include "flv.h"
#include "log.h"
#include "rtc/demux.h"
#include "rtc/feedpkt.h"
#include "rtc/server.h"

#define TEE_QUEUE_MAX (2u << 20)

typedef struct Tee {
    const char *sock, *name;
    int fd;                     /* to live-rtc, -1 when away */
    int64_t last_try;
    ByteBuf parse, queue;
    int header_done;
    uint8_t header[FLV_HEADER_SIZE];
    ByteBuf meta, avc, aac;     /* whole tags kept for a reconnect */
    int need_key;
    uint64_t dropped;
    const char *format;         /* "flv", "mpegts", "matroska"; NULL until known */
    RtcDemux *dm;               /* MPEG-TS, Matroska */
    ByteBuf recs;               /* records taken from it, not yet queued */
    ByteBuf cfg[2];             /* the last config record of video, audio */
} Tee;

static void keep(ByteBuf *b, const uint8_t *p, size_t n)
{
    bytebuf_reset(b);
    bytebuf_append(b, p, n);
}

static void try_connect(Tee *t)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int64_t now = clock_mono_ms();
    char head[300];
    if (t->fd >= 0 || now - t->last_try < 1000 || !t->header_done)
        return;
    t->last_try = now;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->sock);
    t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (t->fd < 0)
        return;
    if (connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(t->fd);
        t->fd = -1;
        return;
    }
    log_info("feeding stream %s to live-rtc at %s", t->name, t->sock);
    bytebuf_reset(&t->queue);
    snprintf(head, sizeof(head), "FEED\t%s\n", t->name);
    bytebuf_append(&t->queue, head, strlen(head));
    if (t->dm) {
        bytebuf_append(&t->queue, RTC_FEEDPKT_MAGIC, RTC_FEEDPKT_MAGIC_SIZE);
        for (int i = 0; i < 2; i++)
            bytebuf_append(&t->queue, bytebuf_data(&t->cfg[i]), bytebuf_size(&t->cfg[i]));
    } else {
        bytebuf_append(&t->queue, t->header, sizeof(t->header));
        bytebuf_append(&t->queue, bytebuf_data(&t->meta), bytebuf_size(&t->meta));
        bytebuf_append(&t->queue, bytebuf_data(&t->avc), bytebuf_size(&t->avc));
        bytebuf_append(&t->queue, bytebuf_data(&t->aac), bytebuf_size(&t->aac));
    }
    t->need_key = 1; /* video from a keyframe on (audio does not wait) */
}

static void disconnect(Tee *t, const char *why)
{
    if (t->fd < 0)
        return;
    log_warn("live-rtc at %s: %s; stream %s goes on without it", t->sock, why, t->name);
    close(t->fd);
    t->fd = -1;
    bytebuf_reset(&t->queue);
}

static void flush(Tee *t)
{
    while (t->fd >= 0 && bytebuf_size(&t->queue)) {
        ssize_t w = send(t->fd, bytebuf_data(&t->queue), bytebuf_size(&t->queue), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            bytebuf_consume(&t->queue, (size_t)w);
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        disconnect(t, "connection lost");
    }
}

/* Queues one whole tag or record for live-rtc, unless it is away; seq:
 * a sequence header or configuration, kept anyway; key: a video
 * keyframe. */
static void enqueue(Tee *t, const uint8_t *p, size_t n, int video, int seq, int key)
{
    if (t->fd < 0)
        return;
    /* video waits for a keyframe (nothing before one decodes); audio
     * never does */
    if (t->need_key && !seq && !key && video)
        return;
    if (key)
        t->need_key = 0;
    if (bytebuf_size(&t->queue) + n > TEE_QUEUE_MAX) {
        /* live-rtc is slow: drop whole tags up to the next keyframe */
        if (!t->dropped++ || !(t->dropped % 1000))
            log_warn("live-rtc is slow: stream %s skips to the next keyframe", t->name);
        t->need_key = 1;
        return;
    }
    bytebuf_append(&t->queue, p, n);
}

/* One whole tag (header, body, PreviousTagSize) at p. */
static void on_tag(Tee *t, const FlvTag *tag, const uint8_t *p, size_t n)
{
    int seq = 0, key = 0;
    if (tag->type == FLV_TAG_SCRIPT) {
        keep(&t->meta, p, n);
        seq = 1;
    } else if (tag->type == FLV_TAG_VIDEO) {
        FlvVideoInfo vi;
        if (flv_video_info(tag->body, tag->size, &vi) == 0) {
            if (vi.sequence_header) {
                keep(&t->avc, p, n);
                seq = 1;
            }
            key = vi.keyframe && !vi.sequence_header;
        }
    } else if (tag->type == FLV_TAG_AUDIO) {
        FlvAudioInfo ai;
        if (flv_audio_info(tag->body, tag->size, &ai) == 0 && ai.sequence_header) {
            keep(&t->aac, p, n);
            seq = 1;
        }
    }
    enqueue(t, p, n, tag->type == FLV_TAG_VIDEO, seq, key);
}

/* One record of the demuxer (feedpkt.h) at p. */
static void on_record(Tee *t, const RtcFeedPkt *pk, const uint8_t *p, size_t n)
{
    if (pk->type == RTC_FEEDPKT_CONFIG)
        keep(&t->cfg[pk->track], p, n);
    enqueue(t, p, n, pk->track == 0, pk->type == RTC_FEEDPKT_CONFIG, pk->type == RTC_FEEDPKT_PACKET && pk->key);
}

static void take_records(Tee *t)
{
    RtcFeedPkt pk;
    size_t used;
    rtc_demux_take(t->dm, &t->recs);
    while (rtc_feedpkt_read(bytebuf_data(&t->recs), bytebuf_size(&t->recs), &pk, &used) == 0) {
        on_record(t, &pk, bytebuf_data(&t->recs), used);
        bytebuf_consume(&t->recs, used);
    }
}

static int parse(Tee *t)
{
    size_t used;
    int flags, ret;
    if (!t->header_done) {
        ret = flv_read_header(bytebuf_data(&t->parse), bytebuf_size(&t->parse), &flags, &used);
        if (ret == AVERROR(EAGAIN))
            return 0;
        if (ret < 0)
            return ret;
        memcpy(t->header, bytebuf_data(&t->parse), FLV_HEADER_SIZE);
        bytebuf_consume(&t->parse, used);
        t->header_done = 1;
        /* now, before the tags read with the header go by: the first
         * keyframe is often among them */
        try_connect(t);
    }
    for (;;) {
        FlvTag tag;
        ret = flv_read_tag(bytebuf_data(&t->parse), bytebuf_size(&t->parse), 16u << 20, &tag, &used);
        if (ret == AVERROR(EAGAIN))
            return 0;
        if (ret < 0)
            return ret;
        on_tag(t, &tag, bytebuf_data(&t->parse), used);
        bytebuf_consume(&t->parse, used);
    }
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return AVERROR(errno);
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* What the input is, from its first bytes (in t->parse): 0 when known
 * (and for MPEG-TS and Matroska the demuxer started with them), 1 when
 * more bytes are needed, AVERROR_INVALIDDATA when it is none we take. */
static int probe(Tee *t, int eof)
{
    const char *f = rtc_demux_probe(bytebuf_data(&t->parse), bytebuf_size(&t->parse), eof);
    int ret;
    if (f && !*f)
        return 1;
    if (!f)
        return AVERROR_INVALIDDATA;
    t->format = f;
    if (!strcmp(f, "flv"))
        return 0;
    if ((ret = rtc_demux_start(&t->dm, f, t->name)) < 0) {
        log_error("stream %s: no %s demuxer for live-rtc: %s", t->name, f, av_err2str(ret));
        return ret;
    }
    log_debug("stream %s: %s in: live-rtc is fed its packets", t->name, f);
    ret = rtc_demux_push(t->dm, bytebuf_data(&t->parse), bytebuf_size(&t->parse));
    bytebuf_reset(&t->parse);
    t->header_done = 1; /* the feed can start: its config records will follow */
    try_connect(t);
    return ret;
}

/* A copy of input bytes for live-rtc. */
static int take_input(Tee *t, const uint8_t *p, size_t n)
{
    int ret;
    if (!t->format) {
        bytebuf_append(&t->parse, p, n);
        if (t->parse.err)
            return AVERROR(ENOMEM);
        if ((ret = probe(t, 0)) != 0)
            return ret < 0 ? ret : 0;
        if (t->dm)
            return 0;
        return parse(t);
    }
    if (t->dm)
        return rtc_demux_push(t->dm, p, n);
    bytebuf_append(&t->parse, p, n);
    return t->parse.err ? AVERROR(ENOMEM) : parse(t);
}

static void tee_init(Tee *t)
{
    bytebuf_init(&t->parse, 17u << 20);
    bytebuf_init(&t->queue, 0);
    bytebuf_init(&t->meta, 1 << 20);
    bytebuf_init(&t->avc, 1 << 20);
    bytebuf_init(&t->aac, 1 << 20);
    bytebuf_init(&t->recs, 0);
    bytebuf_init(&t->cfg[0], RTC_FEEDPKT_MAX + 64);
    bytebuf_init(&t->cfg[1], RTC_FEEDPKT_MAX + 64);
}

/* The input ended (bad: live-rtc was cut off from it): what is left of it
 * still goes to live-rtc, briefly (2 s for the demuxer, 2 s for the
 * queue). */
static void tee_drain(Tee *t, int bad)
{
    if (!t->format && !bad && bytebuf_size(&t->parse) && probe(t, 1) == 0 && !t->dm)
        parse(t);
    if (t->dm && !bad) {
        /* the demuxer reads what is left, briefly */
        rtc_demux_end(t->dm);
        for (int64_t end = clock_mono_ms() + 2000; clock_mono_ms() < end;) {
            struct pollfd p = { .fd = rtc_demux_wake_fd(t->dm), .events = POLLIN };
            poll(&p, 1, 100);
            int done = rtc_demux_take(t->dm, &t->recs);
            take_records(t);
            flush(t);
            if (done)
                break;
        }
    }
    /* what is queued still goes (the end of the stream), briefly */
    for (int64_t end = clock_mono_ms() + 2000; t->fd >= 0 && bytebuf_size(&t->queue) && clock_mono_ms() < end;) {
        struct pollfd p = { .fd = t->fd, .events = POLLOUT };
        poll(&p, 1, 100);
        flush(t);
    }
}

static void tee_free(Tee *t)
{
    if (t->fd >= 0)
        close(t->fd);
    rtc_demux_free(&t->dm);
    bytebuf_free(&t->parse);
    bytebuf_free(&t->queue);
    bytebuf_free(&t->meta);
    bytebuf_free(&t->avc);
    bytebuf_free(&t->aac);
    bytebuf_free(&t->recs);
    bytebuf_free(&t->cfg[0]);
    bytebuf_free(&t->cfg[1]);
}

int rtc_tee_run(const char *sock, const char *name, int in_fd, int out_fd, volatile sig_atomic_t *stop)
{
    Tee t = { .sock = sock, .name = name, .fd = -1, .last_try = -10000 };
    static uint8_t buf[1 << 16];
    int ret = 0, bad = 0;

    tee_init(&t);
    while (!*stop) {
        struct pollfd p[3] = { { .fd = in_fd, .events = POLLIN },
                               { .fd = t.fd, .events = (short)(bytebuf_size(&t.queue) ? POLLOUT : 0) },
                               { .fd = t.dm && !bad ? rtc_demux_wake_fd(t.dm) : -1, .events = POLLIN } };
        ssize_t r;
        try_connect(&t);
        p[1].fd = t.fd;
        if (poll(p, 3, 1000) < 0 && errno != EINTR) {
            ret = AVERROR(errno);
            break;
        }
        if (p[2].fd >= 0 && (p[2].revents & POLLIN))
            take_records(&t);
        if (t.fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP)))
            flush(&t);
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        r = read(in_fd, buf, sizeof(buf));
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            ret = AVERROR(errno);
            break;
        }
        if (r == 0)
            break;
        if ((ret = write_all(out_fd, buf, (size_t)r)) < 0)
            break;
        if (bad)
            continue;
        if (take_input(&t, buf, (size_t)r) < 0) {
            /* the pipeline gets its bytes anyway; live-rtc gets no more */
            if (t.dm)
                log_error("stream %s: the %s demuxer for live-rtc fell behind or stopped; live-rtc gets no more of it",
                          name, t.format);
            else
                log_error("stream %s: the input is not FLV, MPEG-TS or Matroska as live-ingest writes them; "
                          "live-rtc gets no more of it", name);
            bad = 1;
            disconnect(&t, "bad input");
            continue;
        }
        flush(&t);
    }
    tee_drain(&t, bad);
    tee_free(&t);
    return ret;
}
