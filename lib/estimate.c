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

/* Copy the first seconds of src, from its first video key frame, into
 * path (MP4, video and first audio stream). *got: seconds copied. */
static int cut(const char *src, const char *path, double seconds, double *got)
{
    AVFormatContext *in = NULL, *out = NULL;
    AVPacket *pkt = av_packet_alloc();
    int map[2] = { -1, -1 }, omap[2] = { -1, -1 }, ret, k;
    int64_t t0 = AV_NOPTS_VALUE;
    double end = 0;

    *got = 0;
    if (!pkt)
        return AVERROR(ENOMEM);
    if ((ret = avformat_open_input(&in, src, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(in, NULL)) < 0) {
        ret = AVERROR_INVALIDDATA;
        goto done;
    }
    map[0] = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    map[1] = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (map[0] < 0) {
        log_error("%s: no video to estimate", src);
        ret = AVERROR_INVALIDDATA;
        goto done;
    }
    if ((ret = avformat_alloc_output_context2(&out, NULL, "mp4", path)) < 0)
        goto done;
    for (k = 0; k < 2; k++) {
        AVStream *st;
        if (map[k] < 0)
            continue;
        if (!(st = avformat_new_stream(out, NULL))) {
            ret = AVERROR(ENOMEM);
            goto done;
        }
        if ((ret = avcodec_parameters_copy(st->codecpar, in->streams[map[k]]->codecpar)) < 0)
            goto done;
        st->codecpar->codec_tag = 0;
        st->time_base = in->streams[map[k]]->time_base;
        st->avg_frame_rate = in->streams[map[k]]->avg_frame_rate;
        omap[k] = st->index;
    }
    if ((ret = avio_open(&out->pb, path, AVIO_FLAG_WRITE)) < 0 ||
        (ret = avformat_write_header(out, NULL)) < 0)
        goto done;
    while ((ret = av_read_frame(in, pkt)) >= 0) {
        AVStream *ist = in->streams[pkt->stream_index];
        int o = pkt->stream_index == map[0] ? 0 : pkt->stream_index == map[1] ? 1 : -1;
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
        if (o == 0 && t + pkt->duration * av_q2d(ist->time_base) > end)
            end = t + pkt->duration * av_q2d(ist->time_base);
        pkt->stream_index = omap[o];
        av_packet_rescale_ts(pkt, ist->time_base, out->streams[omap[o]]->time_base);
        if ((ret = av_interleaved_write_frame(out, pkt)) < 0)
            goto done;
    }
    if (ret == AVERROR_EOF || ret >= 0)
        ret = av_write_trailer(out);
    *got = end;
done:
    av_packet_free(&pkt);
    if (out) {
        avio_closep(&out->pb);
        avformat_free_context(out);
    }
    avformat_close_input(&in);
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
