/*
 * pull.c: pull mode of live-ingest with libavformat. See pull.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
#include <libavutil/time.h>
#include <sodium.h>

#include "log.h"
#include "pull.h"

enum { BACKOFF_BASE_MS = 500, BACKOFF_MAX_MS = 30000 };

static volatile sig_atomic_t quit_signal;

static void on_quit(int sig)
{
    quit_signal = sig;
}

typedef struct Pull {
    const PullOptions *o;
    AVFormatContext *ic, *oc;
    int out_index[2];        /* output stream of [video, audio], -1 none */
    int in_map[64];          /* input stream -> 0 video, 1 audio, -1 */
    int64_t deadline;        /* av_gettime_relative() for the interrupt callback */
    int listener;
    int header_written;
    /* timeline, in ms */
    int64_t last_dts[2];
    int64_t last_out;        /* largest dts written */
    int64_t last_wall;       /* av_gettime_relative() of it, us */
    int have_offset;
    int64_t offset;
    int64_t first_dts;       /* of the session, for --realtime */
    int64_t wall_start;
    int extradata_sent[2];
    int codec_warned[2];
    int64_t packets;
} Pull;

static int interrupt_cb(void *opaque)
{
    Pull *p = opaque;
    if (quit_signal)
        return 1;
    return p->deadline && av_gettime_relative() > p->deadline;
}

static void arm(Pull *p)
{
    p->deadline = av_gettime_relative() + (int64_t)(p->o->timeout * 1e6);
}

static int is_network(const char *url)
{
    const char *colon = strstr(url, "://");
    return colon && strncmp(url, "file:", 5) != 0;
}

static int open_input(Pull *p)
{
    AVDictionary *opts = NULL;
    char err[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (!(p->ic = avformat_alloc_context()))
        return AVERROR(ENOMEM);
    p->ic->interrupt_callback.callback = interrupt_cb;
    p->ic->interrupt_callback.opaque = p;
    /* A listener waits for its caller as long as it takes. */
    p->deadline = 0;
    if (!p->listener)
        arm(p);
    ret = avformat_open_input(&p->ic, p->o->url, NULL, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        log_error("%s: %s", p->o->url, log_averr(ret, err, sizeof(err)));
        return ret;
    }
    arm(p);
    if ((ret = avformat_find_stream_info(p->ic, NULL)) < 0) {
        log_error("%s: %s", p->o->url, log_averr(ret, err, sizeof(err)));
        avformat_close_input(&p->ic);
        return ret;
    }
    for (unsigned i = 0; i < 64; i++)
        p->in_map[i] = -1;
    for (unsigned i = 0; i < p->ic->nb_streams && i < 64; i++) {
        enum AVMediaType t = p->ic->streams[i]->codecpar->codec_type;
        int k = t == AVMEDIA_TYPE_VIDEO ? 0 : t == AVMEDIA_TYPE_AUDIO ? 1 : -1;
        int taken = 0;
        if (k < 0)
            continue;
        for (unsigned j = 0; j < i && j < 64; j++)
            taken |= p->in_map[j] == k;
        if (!taken)
            p->in_map[i] = k;
    }
    return 0;
}

static int open_output(Pull *p)
{
    AVDictionary *opts = NULL;
    char err[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if ((ret = avformat_alloc_output_context2(&p->oc, NULL, "flv", NULL)) < 0)
        return ret;
    p->out_index[0] = p->out_index[1] = -1;
    for (unsigned i = 0; i < p->ic->nb_streams && i < 64; i++) {
        int k = p->in_map[i];
        AVStream *os;
        if (k < 0)
            continue;
        if (!(os = avformat_new_stream(p->oc, NULL)))
            return AVERROR(ENOMEM);
        if ((ret = avcodec_parameters_copy(os->codecpar, p->ic->streams[i]->codecpar)) < 0)
            return ret;
        os->codecpar->codec_tag = 0;
        os->time_base = (AVRational){ 1, 1000 };
        p->out_index[k] = os->index;
    }
    if (p->out_index[0] < 0 && p->out_index[1] < 0) {
        log_error("%s: no audio or video stream", p->o->url);
        return AVERROR_INVALIDDATA;
    }
    if ((ret = avio_open(&p->oc->pb, "pipe:1", AVIO_FLAG_WRITE)) < 0)
        return ret;
    p->oc->flags |= AVFMT_FLAG_FLUSH_PACKETS;
    /* Interleave by DTS across streams (FLV wants that), but never hold
     * a packet more than a second for a stream that went quiet. */
    p->oc->max_interleave_delta = 1000000;
    av_dict_set(&opts, "flvflags", "no_duration_filesize", 0);
    ret = avformat_write_header(p->oc, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        log_error("writing the FLV header: %s", log_averr(ret, err, sizeof(err)));
        return ret;
    }
    p->header_written = 1;
    return 0;
}

/* Attach new codec parameters to the first packet of a session when they
 * differ from what the output announced. */
static void maybe_new_extradata(Pull *p, AVPacket *pkt, int k, const AVCodecParameters *in)
{
    AVCodecParameters *out = p->oc->streams[p->out_index[k]]->codecpar;
    uint8_t *side;

    if (p->extradata_sent[k])
        return;
    p->extradata_sent[k] = 1;
    if (!in->extradata_size || (in->extradata_size == out->extradata_size &&
                                !memcmp(in->extradata, out->extradata, in->extradata_size)))
        return;
    if ((side = av_packet_new_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, in->extradata_size)))
        memcpy(side, in->extradata, in->extradata_size);
}

/* The output track (0 video, 1 audio) of an input packet, or -1 when it
 * is not ours or its codec changed (dropped, said once per track). */
static int track_of(Pull *p, const AVPacket *pkt)
{
    const AVStream *is;
    int k;

    if ((unsigned)pkt->stream_index >= 64 || (k = p->in_map[pkt->stream_index]) < 0 ||
        p->out_index[k] < 0)
        return -1;
    is = p->ic->streams[pkt->stream_index];
    if (is->codecpar->codec_id != p->oc->streams[p->out_index[k]]->codecpar->codec_id) {
        if (!p->codec_warned[k]) {
            log_warn("%s: the %s codec changed (%s, was %s): its packets are dropped",
                     p->o->url, k ? "audio" : "video", avcodec_get_name(is->codecpar->codec_id),
                     avcodec_get_name(p->oc->streams[p->out_index[k]]->codecpar->codec_id));
            p->codec_warned[k] = 1;
        }
        return -1;
    }
    return k;
}

/* The session's first dts (ms): the offset that continues the output
 * timeline after the previous session (as much later as time passed). */
static void start_offset(Pull *p, int64_t dts)
{
    p->have_offset = 1;
    if (p->packets) {
        int64_t gap = (av_gettime_relative() - p->last_wall) / 1000;
        p->offset = p->last_out + (gap > 1 ? gap : 1) - dts;
    } else {
        p->offset = 0;
    }
    p->first_dts = dts;
    p->wall_start = av_gettime_relative();
}

/* --realtime: wait until the packet's time has come. */
static void pace(Pull *p, int64_t dts)
{
    int64_t due = p->wall_start + (dts - p->first_dts) * 1000;

    while (!quit_signal && av_gettime_relative() < due) {
        int64_t left = due - av_gettime_relative();
        av_usleep(left > 100000 ? 100000 : left > 0 ? left : 0);
    }
}

/* Write pkt of track k with output timestamps (ms, continuous across
 * sessions, dts never going back); the packet is consumed. */
static int write_packet(Pull *p, AVPacket *pkt, int k)
{
    const AVStream *is = p->ic->streams[pkt->stream_index];
    char err[AV_ERROR_MAX_STRING_SIZE];
    int64_t dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts, pts;
    int ret;

    if (dts == AV_NOPTS_VALUE) {
        av_packet_unref(pkt);
        return 0;
    }
    pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : dts;
    dts = av_rescale_q(dts, is->time_base, (AVRational){ 1, 1000 });
    pts = av_rescale_q(pts, is->time_base, (AVRational){ 1, 1000 });
    if (!p->have_offset)
        start_offset(p, dts);
    if (p->o->realtime)
        pace(p, dts);
    pts += p->offset;
    dts += p->offset;
    if (p->packets && dts < p->last_dts[k]) {
        pts += p->last_dts[k] - dts;
        dts = p->last_dts[k];
    }
    maybe_new_extradata(p, pkt, k, is->codecpar);
    p->last_dts[k] = dts;
    if (dts > p->last_out)
        p->last_out = dts;
    p->last_wall = av_gettime_relative();
    pkt->dts = dts;
    pkt->pts = pts < dts ? dts : pts;
    pkt->duration = av_rescale_q(pkt->duration, is->time_base, (AVRational){ 1, 1000 });
    pkt->stream_index = p->out_index[k];
    pkt->pos = -1;
    p->packets++;
    ret = av_interleaved_write_frame(p->oc, pkt);
    av_packet_unref(pkt);
    if (ret < 0) {
        log_error("writing FLV: %s", log_averr(ret, err, sizeof(err)));
        return AVERROR(EPIPE);
    }
    return 0;
}

/* Read the session's packets until the input ends or fails. */
static int copy_packets(Pull *p)
{
    AVPacket *pkt = av_packet_alloc();
    int ret = 0, k;

    if (!pkt)
        return AVERROR(ENOMEM);
    p->have_offset = 0;
    p->extradata_sent[0] = p->extradata_sent[1] = 0;
    p->codec_warned[0] = p->codec_warned[1] = 0;
    for (;;) {
        arm(p);
        if ((ret = av_read_frame(p->ic, pkt)) < 0)
            break;
        if ((k = track_of(p, pkt)) < 0) {
            av_packet_unref(pkt);
            continue;
        }
        if ((ret = write_packet(p, pkt, k)) < 0)
            break;
    }
    av_packet_free(&pkt);
    return ret;
}

void pull_options_default(PullOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->retry = 10;
    o->timeout = 10;
}

int pull_run(const PullOptions *o)
{
    Pull p = { .o = o };
    struct sigaction sa = { .sa_handler = on_quit };
    char err[AV_ERROR_MAX_STRING_SIZE];
    int network = is_network(o->url), failures = 0, ret = 0;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    p.listener = strstr(o->url, "listen") != NULL;
    avformat_network_init();

    while (!quit_signal) {
        if ((ret = open_input(&p)) == 0) {
            if (!p.oc && (ret = open_output(&p)) < 0) {
                avformat_close_input(&p.ic);
                break;
            }
            int64_t before = p.packets;
            ret = copy_packets(&p);
            avformat_close_input(&p.ic);
            if (ret == AVERROR(EPIPE))
                break;
            if (p.packets > before)
                failures = 0;
            if (ret == AVERROR_EOF)
                log_info("%s: end of input", o->url);
            else if (!quit_signal)
                log_warn("%s: %s", o->url, log_averr(ret, err, sizeof(err)));
        } else if (ret == AVERROR_INVALIDDATA && !p.oc) {
            break;
        }
        if (quit_signal || !network)
            break;
        if (o->retry >= 0 && failures >= o->retry) {
            /* The output ends cleanly if the source ever gave us something. */
            log_msg(p.packets ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR,
                    "%s: no more input after %d reconnects", o->url, failures);
            if (p.packets)
                ret = AVERROR_EOF;
            break;
        }
        /* exponential backoff with jitter */
        int64_t delay = BACKOFF_BASE_MS << (failures < 6 ? failures : 6);
        if (delay > BACKOFF_MAX_MS)
            delay = BACKOFF_MAX_MS;
        delay = delay / 2 + randombytes_uniform((uint32_t)delay + 1);
        failures++;
        log_info("%s: reconnecting in %.1f s (attempt %d)", o->url, delay / 1000.0, failures);
        for (int64_t until = av_gettime_relative() + delay * 1000;
             !quit_signal && av_gettime_relative() < until;)
            av_usleep(50000);
    }

    if (p.oc) {
        if (p.header_written && ret != AVERROR(EPIPE))
            av_write_trailer(p.oc);
        avio_closep(&p.oc->pb);
        avformat_free_context(p.oc);
        if (ret == AVERROR_EOF || ret == AVERROR(EPIPE) || quit_signal || ret == AVERROR_EXIT)
            ret = 0;
    }
    avformat_network_deinit();
    return ret;
}
