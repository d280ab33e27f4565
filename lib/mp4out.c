/*
 * mp4out.c: single-stream MP4 rendition files, published atomically.
 * See mp4out.h.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "fs.h"
#include "log.h"
#include "mp4out.h"

struct Mp4Out {
    AVFormatContext *fmt;
    AVRational tb;
    char path[PATH_MAX];
    char tmp[PATH_MAX];
};

static void discard(Mp4Out *m)
{
    if (m->fmt) {
        if (m->fmt->pb)
            avio_closep(&m->fmt->pb);
        avformat_free_context(m->fmt);
        m->fmt = NULL;
    }
    unlink(m->tmp);
}

int mp4out_open(Mp4Out **out, const char *path, const AVCodecParameters *par,
                AVRational tb)
{
    Mp4Out *m = calloc(1, sizeof(*m));
    AVDictionary *opts = NULL;
    AVStream *st;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    *out = NULL;
    if (!m)
        return AVERROR(ENOMEM);
    m->tb = tb;
    if (strlen(path) >= sizeof(m->path)) {
        free(m);
        return AVERROR(ENAMETOOLONG);
    }
    strcpy(m->path, path);
    if ((ret = fs_tmpname(path, m->tmp, sizeof(m->tmp))) < 0) {
        free(m);
        return ret;
    }
    if ((ret = avformat_alloc_output_context2(&m->fmt, NULL, "mp4", m->tmp)) < 0)
        goto fail;
    if (!(st = avformat_new_stream(m->fmt, NULL))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if ((ret = avcodec_parameters_copy(st->codecpar, par)) < 0)
        goto fail;
    st->codecpar->codec_tag = 0;
    st->codecpar->initial_padding = 0;
    st->time_base = tb;
    if ((ret = avio_open(&m->fmt->pb, m->tmp, AVIO_FLAG_WRITE)) < 0)
        goto fail;
    /* The edit list that carries the start offset is in the movie
     * timescale (1/1000 by default): make it the stream's, so the first
     * pts reads back exactly. */
    if (tb.den > 0 && tb.num == 1) {
        char ts[16];
        snprintf(ts, sizeof(ts), "%d", tb.den);
        av_dict_set(&opts, "movie_timescale", ts, 0);
    }
    ret = avformat_write_header(m->fmt, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        goto fail;
    *out = m;
    return 0;
fail:
    log_error("%s: %s", path, log_averr(ret, eb, sizeof(eb)));
    discard(m);
    free(m);
    return ret;
}

int mp4out_open_encoder(Mp4Out **out, const char *path, const AVCodecContext *enc)
{
    AVCodecParameters *par = avcodec_parameters_alloc();
    int ret;

    if (!par)
        return AVERROR(ENOMEM);
    if ((ret = avcodec_parameters_from_context(par, enc)) >= 0)
        ret = mp4out_open(out, path, par, enc->time_base);
    avcodec_parameters_free(&par);
    return ret;
}

int mp4out_write(Mp4Out *m, AVPacket *pkt)
{
    int ret;

    pkt->stream_index = 0;
    av_packet_rescale_ts(pkt, m->tb, m->fmt->streams[0]->time_base);
    ret = av_write_frame(m->fmt, pkt);
    av_packet_unref(pkt);
    return ret < 0 ? ret : 0;
}

int mp4out_close(Mp4Out **mp, int publish)
{
    Mp4Out *m = *mp;
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret = 0;

    if (!m)
        return 0;
    if (publish) {
        if ((ret = av_write_trailer(m->fmt)) < 0)
            goto done;
        if ((ret = avio_closep(&m->fmt->pb)) < 0)
            goto done;
        if ((ret = fs_publish(m->tmp, m->path, 0)) < 0)
            goto done;
        avformat_free_context(m->fmt);
        m->fmt = NULL;
    }
done:
    if (ret < 0)
        log_error("%s: %s", m->path, log_averr(ret, eb, sizeof(eb)));
    discard(m);
    free(m);
    *mp = NULL;
    return ret;
}
