/*
 * deint.c: bwdif between the decoder and the scaling cascade of
 * live-transcode. See deint.h.
 */
#include <stdio.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>

#include "deint.h"

struct Deint {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    AVRational tb;      /* the caller's; bwdif's output has half of it */
};

int deint_wanted(const AVCodecParameters *par, const AVFrame *first)
{
    switch (par->field_order) {
    case AV_FIELD_TT:
    case AV_FIELD_BB:
    case AV_FIELD_TB:
    case AV_FIELD_BT:
        return 1;
    default:
        return first && first->interlaced_frame;
    }
}

int deint_open(Deint **out, const AVFrame *f, AVRational tb)
{
    Deint *d = av_mallocz(sizeof(*d));
    AVFilterContext *bwdif = NULL;
    AVRational sar = f->sample_aspect_ratio.num > 0 ? f->sample_aspect_ratio
                                                    : (AVRational){ 1, 1 };
    char args[256];
    int ret;

    *out = NULL;
    if (!d || !(d->graph = avfilter_graph_alloc())) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    d->graph->nb_threads = 1;
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             f->width, f->height, f->format, tb.num, tb.den, sar.num, sar.den);
    if ((ret = avfilter_graph_create_filter(&d->src, avfilter_get_by_name("buffer"), "in", args,
                                            NULL, d->graph)) < 0 ||
        (ret = avfilter_graph_create_filter(&bwdif, avfilter_get_by_name("bwdif"), "bwdif",
                                            "mode=send_frame:parity=auto:deint=interlaced",
                                            NULL, d->graph)) < 0 ||
        (ret = avfilter_graph_create_filter(&d->sink, avfilter_get_by_name("buffersink"), "out",
                                            NULL, NULL, d->graph)) < 0 ||
        (ret = avfilter_link(d->src, 0, bwdif, 0)) < 0 ||
        (ret = avfilter_link(bwdif, 0, d->sink, 0)) < 0 ||
        (ret = avfilter_graph_config(d->graph, NULL)) < 0)
        goto fail;
    d->tb = tb;
    *out = d;
    return 0;
fail:
    deint_free(&d);
    return ret;
}

int deint_send(Deint *d, const AVFrame *f)
{
    return av_buffersrc_write_frame(d->src, f);
}

int deint_receive(Deint *d, AVFrame *f)
{
    int ret = av_buffersink_get_frame(d->sink, f);
    if (ret >= 0) {
        if (f->pts != AV_NOPTS_VALUE)
            f->pts = av_rescale_q(f->pts, av_buffersink_get_time_base(d->sink), d->tb);
        f->best_effort_timestamp = f->pts;
    }
    return ret;
}

void deint_free(Deint **d)
{
    if (!*d)
        return;
    avfilter_graph_free(&(*d)->graph);
    av_freep(d);
}
