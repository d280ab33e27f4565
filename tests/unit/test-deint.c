/* Unit tests for lib/deint.c on real frames: when deinterlacing is
 * wanted, one frame out per frame in with the input's timestamps, the
 * combing of two fields from different instants smoothed, progressive
 * frames passed through unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

#include "deint.h"
#include "log.h"
#include "tap.h"

#define W 64
#define H 48
#define FRAMES 8

/* A frame whose odd lines (the bottom field) are 100 brighter: combing. */
static AVFrame *make_frame(int n, int interlaced)
{
    AVFrame *f = av_frame_alloc();
    f->format = AV_PIX_FMT_YUV420P;
    f->width = W;
    f->height = H;
    av_frame_get_buffer(f, 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            f->data[0][y * f->linesize[0] + x] = (uint8_t)(60 + x + n + (y & 1 ? 100 : 0));
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < H / 2; y++)
            memset(f->data[p] + y * f->linesize[p], 128, W / 2);
    f->pts = 1000 + 40 * n;
    f->interlaced_frame = interlaced;
    f->top_field_first = interlaced;
    return f;
}

/* Mean absolute difference between neighbouring lines of the luma. */
static double combing(const AVFrame *f)
{
    double sum = 0;
    for (int y = 0; y + 1 < f->height; y++)
        for (int x = 0; x < f->width; x++)
            sum += abs(f->data[0][y * f->linesize[0] + x] - f->data[0][(y + 1) * f->linesize[0] + x]);
    return sum / ((f->height - 1) * f->width);
}

static int same_luma(const AVFrame *a, const AVFrame *b)
{
    for (int y = 0; y < a->height; y++)
        if (memcmp(a->data[0] + y * a->linesize[0], b->data[0] + y * b->linesize[0], a->width))
            return 0;
    return 1;
}

/* Send FRAMES frames and flush; count what comes out, check the pts in
 * order and (interlaced) the combing, or (progressive) the bytes. */
static void run(int interlaced)
{
    AVRational tb = { 1, 1000 };
    AVFrame *in[FRAMES], *out = av_frame_alloc();
    Deint *d = NULL;
    int got = 0, pts_ok = 1, smooth = 1, unchanged = 1, ret;
    const char *what = interlaced ? "interlaced" : "progressive";

    for (int i = 0; i < FRAMES; i++)
        in[i] = make_frame(i, interlaced);
    is_int(deint_open(&d, in[0], tb), 0, "%s: open", what);
    for (int i = 0; i <= FRAMES; i++) {
        deint_send(d, i < FRAMES ? in[i] : NULL);
        while ((ret = deint_receive(d, out)) >= 0) {
            if (got < FRAMES) {
                pts_ok &= out->pts == in[got]->pts;
                smooth &= combing(out) < combing(in[got]) / 2;
                unchanged &= same_luma(out, in[got]);
            }
            got++;
            av_frame_unref(out);
        }
        if (i < FRAMES && ret != AVERROR(EAGAIN))
            break;
    }
    is_int(got, FRAMES, "%s: one frame out per frame in (the held-back one flushed)", what);
    ok(pts_ok, "%s: the input's timestamps, in order", what);
    if (interlaced)
        ok(smooth, "interlaced: the combing is smoothed (%.1f -> less than half)", combing(in[0]));
    else
        ok(unchanged, "progressive frames pass through unchanged");
    is_int(deint_receive(d, out), AVERROR_EOF, "%s: EOF after the end", what);
    deint_free(&d);
    ok(d == NULL, "%s: deint_free clears the pointer", what);
    for (int i = 0; i < FRAMES; i++)
        av_frame_free(&in[i]);
    av_frame_free(&out);
}

int main(void)
{
    AVCodecParameters *par = avcodec_parameters_alloc();
    AVFrame *f = make_frame(0, 0);
    Deint *none = NULL;

    log_init("test-deint");
    log_set_level(LOG_LEVEL_QUIET);
    par->field_order = AV_FIELD_PROGRESSIVE;
    is_int(deint_wanted(par, f), 0, "progressive stream, progressive frame: not wanted");
    is_int(deint_wanted(par, NULL), 0, "progressive stream, no frame yet: not wanted");
    f->interlaced_frame = 1;
    is_int(deint_wanted(par, f), 1, "the first frame says interlaced: wanted");
    f->interlaced_frame = 0;
    par->field_order = AV_FIELD_TT;
    is_int(deint_wanted(par, f), 1, "top field first: wanted");
    par->field_order = AV_FIELD_BT;
    is_int(deint_wanted(par, NULL), 1, "bottom coded first, top displayed first: wanted");
    par->field_order = AV_FIELD_UNKNOWN;
    is_int(deint_wanted(par, f), 0, "unknown order, progressive frame: not wanted");

    run(1);
    run(0);
    deint_free(&none);
    ok(1, "deint_free(NULL) is fine");
    av_frame_free(&f);
    avcodec_parameters_free(&par);
    return done();
}
