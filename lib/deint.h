/*
 * deint.h: deinterlacing for live-transcode, on libavfilter's bwdif.
 *
 * An interlaced source (576i, 1080i: two fields of different instants in
 * one frame) is deinterlaced once, after decoding and before the scaling
 * cascade: a field-blind scaler would blend the fields into combing. One
 * frame out per frame in (bwdif's send_frame mode, field parity from each
 * frame), so frame rate and timestamps are the source's; frames flagged
 * progressive pass through unchanged. The filter holds one frame back (it
 * looks at the next one), so deint_send(NULL) at the end flushes it.
 */
#ifndef LIVE_DEINT_H
#define LIVE_DEINT_H

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

typedef struct Deint Deint;

/* 1 when the source is interlaced: its stream says so (field order) or
 * its first decoded frame does. */
int deint_wanted(const AVCodecParameters *par, const AVFrame *first);

/* A deinterlacer for frames of f's size and format, with timestamps in
 * tb. 0 or a negative AVERROR; *out is freed with deint_free(). */
int deint_open(Deint **out, const AVFrame *f, AVRational tb);

/* Give a frame (not taken over; NULL at the end). */
int deint_send(Deint *d, const AVFrame *f);

/* The next deinterlaced frame into f (a new reference): 0, or
 * AVERROR(EAGAIN) when more input is needed, AVERROR_EOF after the end. */
int deint_receive(Deint *d, AVFrame *f);

void deint_free(Deint **d);

#endif
