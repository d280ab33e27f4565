/*
 * mp4out.h: one rendition file of live-transcode — an MP4 file holding
 * exactly one stream, written under a temporary name (fs_tmpname) and
 * renamed into place when complete, so a record never names a half file.
 *
 * MP4 because it keeps every packet's pts and dts exactly, B-frames and
 * negative decode times included (an edit list carries the offset),
 * which NUT does not (it shifts negative timestamps and drops dts).
 */
#ifndef LIVE_MP4OUT_H
#define LIVE_MP4OUT_H

#include <libavcodec/avcodec.h>

typedef struct Mp4Out Mp4Out;

/*
 * Create path's temporary file and write the header for one stream with
 * parameters par (copied; codec_tag is cleared) whose packets come in
 * time base tb. initial_padding is dropped: callers write only real
 * samples. Returns 0 with *out set, or a negative AVERROR (logged).
 */
int mp4out_open(Mp4Out **out, const char *path, const AVCodecParameters *par,
                AVRational tb);
/* mp4out_open for an open encoder's packets: its parameters (with its
 * global header) and its time base. */
int mp4out_open_encoder(Mp4Out **out, const char *path, const AVCodecContext *enc);

/* Write one packet (timestamps in the tb given to mp4out_open; the packet
 * is rescaled in place and its data reference consumed). 0 or AVERROR. */
int mp4out_write(Mp4Out *m, AVPacket *pkt);

/*
 * Finish: with publish, write the trailer and rename the file into place
 * (returns 0 or AVERROR, the temporary file removed on failure); without,
 * remove the temporary file. Frees *m and sets it to NULL; NULL is fine.
 */
int mp4out_close(Mp4Out **m, int publish);

#endif
