/*
 * estimate.c: live-transcode --estimate — how fast this machine runs the
 * ladder for a given source, before going live. The first seconds of the
 * source (from its first key frame) are copied into a segment file in a
 * temporary spool, transcoded once by transcode_segment as a live segment
 * would be, and the wall time measured. See estimate.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "clock.h"
#include "estimate.h"
#include "log.h"
#include "record.h"

/* The source and the segment file being cut from it: map[k] is the
 * source's stream of kind k (0 video, 1 audio; -1: none), omap[k] its
 * stream in the output. */
typedef struct Cut {
    AVFormatContext *in, *out;
    int map[2], omap[2];
} Cut;

/* Open src and find its video (required) and first audio stream. */
static int open_source(Cut *c, const char *src)
{
    if (avformat_open_input(&c->in, src, NULL, NULL) < 0 ||
        avformat_find_stream_info(c->in, NULL) < 0)
        return AVERROR_INVALIDDATA;
    c->map[0] = av_find_best_stream(c->in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    c->map[1] = av_find_best_stream(c->in, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (c->map[0] < 0) {
        log_error("%s: no video to estimate", src);
        return AVERROR_INVALIDDATA;
    }
    return 0;
}

/* Create path as MP4 with the mapped streams' parameters; header written. */
static int open_segment(Cut *c, const char *path)
{
    int ret, k;

    if ((ret = avformat_alloc_output_context2(&c->out, NULL, "mp4", path)) < 0)
        return ret;
    for (k = 0; k < 2; k++) {
        const AVStream *ist;
        AVStream *st;
        if (c->map[k] < 0)
            continue;
        ist = c->in->streams[c->map[k]];
        if (!(st = avformat_new_stream(c->out, NULL)))
            return AVERROR(ENOMEM);
        if ((ret = avcodec_parameters_copy(st->codecpar, ist->codecpar)) < 0)
            return ret;
        st->codecpar->codec_tag = 0;
        st->time_base = ist->time_base;
        st->avg_frame_rate = ist->avg_frame_rate;
        c->omap[k] = st->index;
    }
    if ((ret = avio_open(&c->out->pb, path, AVIO_FLAG_WRITE)) < 0)
        return ret;
    return avformat_write_header(c->out, NULL);
}

/* Copy the packets from the first video key frame up to seconds after
 * it; *end: where the last video frame copied ends (seconds). */
static int copy_window(Cut *c, AVPacket *pkt, double seconds, double *end)
{
    int64_t t0 = AV_NOPTS_VALUE;
    int ret;

    while ((ret = av_read_frame(c->in, pkt)) >= 0) {
        AVStream *ist = c->in->streams[pkt->stream_index];
        int o = pkt->stream_index == c->map[0] ? 0 : pkt->stream_index == c->map[1] ? 1 : -1;
        double t;
        if (o < 0 || pkt->pts == AV_NOPTS_VALUE) {
            av_packet_unref(pkt);
            continue;
        }
        t = pkt->pts * av_q2d(ist->time_base);
        if (t0 == AV_NOPTS_VALUE) {
            if (o != 0 || !(pkt->flags & AV_PKT_FLAG_KEY)) {
                av_packet_unref(pkt);
                continue;
            }
            t0 = av_rescale_q(pkt->pts, ist->time_base, AV_TIME_BASE_Q);
        }
        t -= t0 / (double)AV_TIME_BASE;
        if (t < 0 || t >= seconds) {
            av_packet_unref(pkt);
            if (o == 0 && t >= seconds)
                break;
            continue;
        }
        if (o == 0 && t + pkt->duration * av_q2d(ist->time_base) > *end)
            *end = t + pkt->duration * av_q2d(ist->time_base);
        pkt->stream_index = c->omap[o];
        av_packet_rescale_ts(pkt, ist->time_base, c->out->streams[c->omap[o]]->time_base);
        if ((ret = av_interleaved_write_frame(c->out, pkt)) < 0)
            return ret;
    }
    return ret == AVERROR_EOF ? 0 : ret;
}

/* Copy the first seconds of src, from its first video key frame, into
 * path (MP4, video and first audio stream). *got: seconds copied. */
static int cut(const char *src, const char *path, double seconds, double *got)
{
    Cut c = { .map = { -1, -1 }, .omap = { -1, -1 } };
    AVPacket *pkt = av_packet_alloc();
    double end = 0;
    int ret;

    *got = 0;
    if (!pkt)
        return AVERROR(ENOMEM);
    if ((ret = open_source(&c, src)) >= 0 && (ret = open_segment(&c, path)) >= 0 &&
        (ret = copy_window(&c, pkt, seconds, &end)) >= 0) {
        ret = av_write_trailer(c.out);
        *got = end;
    }
    av_packet_free(&pkt);
    if (c.out) {
        avio_closep(&c.out->pb);
        avformat_free_context(c.out);
    }
    avformat_close_input(&c.in);
    return ret;
}

int estimate_run(const TranscodeOptions *o, const char *source, double seconds, json_t **out)
{
    char dir[PATH_MAX], seg[PATH_MAX + 16], path[PATH_MAX + 256];
    const char *tmp = getenv("TMPDIR");
    TranscodeOptions t = *o;
    json_t *rec = NULL, *res = NULL, *r;
    double got, t0, wall;
    size_t i;
    int ret;

    *out = NULL;
    snprintf(dir, sizeof(dir), "%s/live-estimate.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        ret = AVERROR(errno);
        log_error("%s: %s", dir, strerror(errno));
        return ret;
    }
    snprintf(seg, sizeof(seg), "%s/seg.mp4", dir);
    if ((ret = cut(source, seg, seconds, &got)) < 0 || got <= 0) {
        if (ret >= 0)
            ret = AVERROR_INVALIDDATA;
        log_error("%s: cannot read the first %.0f s of video", source, seconds);
        goto done;
    }
    t.spool = dir;
    rec = json_pack("{s:s, s:s, s:i, s:s, s:f, s:f, s:b}", "type", "segment", "stream",
                    "estimate", "seq", 0, "path", "seg.mp4", "start", 0.0, "duration", got,
                    "discontinuity", 0);
    if (!rec) {
        ret = AVERROR(ENOMEM);
        goto done;
    }
    t0 = clock_mono();
    ret = transcode_segment(&t, NULL, rec, &res);
    wall = clock_mono() - t0;
    if (ret < 0 || !res)
        goto done;
    json_array_foreach(json_object_get(res, "renditions"), i, r) {
        const char *p = record_str(r, "path");
        if (p && record_join(path, sizeof(path), dir, p) == 0)
            unlink(path);
    }
    *out = json_pack("{s:s, s:f, s:f, s:f, s:O}", "source", source, "seconds", got, "wall",
                     wall, "realtime_factor", wall > 0 ? got / wall : 0,
                     "renditions", json_object_get(res, "renditions"));
    if (!*out)
        ret = AVERROR(ENOMEM);
done:
    json_decref(rec);
    json_decref(res);
    unlink(seg);
    rmdir(dir);
    return ret;
}

int estimate_print(const TranscodeOptions *o, const char *source, FILE *out)
{
    json_t *res = NULL;
    int ret;

    if ((ret = estimate_run(o, source, ESTIMATE_SECONDS, &res)) < 0)
        return ret;
    log_info("%s: %.1f s of media in %.1f s: %.2fx real time with this ladder (one segment"
             " at a time, %d threads)", source, json_real_value(json_object_get(res, "seconds")),
             json_real_value(json_object_get(res, "wall")),
             json_real_value(json_object_get(res, "realtime_factor")), o->threads);
    ret = json_dumpf(res, out, JSON_COMPACT) < 0 || fputc('\n', out) == EOF ? AVERROR(EIO) : 0;
    json_decref(res);
    return ret;
}
