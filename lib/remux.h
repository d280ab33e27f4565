/*
 * remux.h: live-ingest's output for Enhanced RTMP streams. FFmpeg 5.1's
 * FLV demuxer cannot read Enhanced RTMP's video tags, so a stream whose
 * video is HEVC, AV1 or VP9 is written in a container live-segment reads
 * with exact timestamps (live-pipe(5)):
 *
 *   hvc1 (HEVC, B-frames: pts != dts)  MPEG-TS (PES carries both)
 *   av01, vp09 (no reordering)         Matroska
 *
 * The tags come in as from rtmp.c (an enhanced video tag body, a legacy
 * AAC audio tag body) with the stream's millisecond timestamps; the
 * bytes go out through a callback as libavformat writes them. The
 * container header is written once the video's SequenceStart and (when
 * audio is expected) the AAC sequence header are in; frames before that
 * wait (a bounded number) or, without a configuration, are dropped.
 */
#ifndef LIVE_REMUX_H
#define LIVE_REMUX_H

#include <stddef.h>
#include <stdint.h>

#include "flv.h"

typedef struct Remux Remux;

/* Bytes out: 0, or a negative AVERROR that fails the remux. */
typedef int (*RemuxWrite)(void *opaque, const uint8_t *buf, size_t size);

/* The container for a FourCC: "mpegts", "matroska", or NULL (unknown). */
const char *remux_format(uint32_t fourcc);
/* Its usual file name extension: "ts", "mkv". */
const char *remux_extension(uint32_t fourcc);

/*
 * A remuxer for video fourcc (flv_fourcc_known), with an AAC track when
 * audio is 1 (0: video only; -1: not known, an AAC sequence header in the
 * first 2 s of video adds one). width and height: from onMetaData, or 0
 * (then, for Matroska, from the first keyframe). 0 or
 * AVERROR(ENOMEM)/AVERROR(EINVAL).
 */
int remux_new(uint32_t fourcc, int audio, int width, int height, RemuxWrite write,
              void *opaque, Remux **out);

/* One enhanced video tag body (vi from flv_video_info) or AAC audio tag
 * body at ts ms. 0; AVERROR_INVALIDDATA for a tag this stream cannot take
 * (another FourCC, a configuration that does not parse); another AVERROR
 * from the muxer or the callback. */
int remux_video(Remux *r, const FlvVideoInfo *vi, int64_t ts, const uint8_t *body, size_t size);
int remux_audio(Remux *r, int64_t ts, const uint8_t *body, size_t size);

/* Write the trailer (when the header was written) and free. Accepts NULL. */
void remux_free(Remux **r);

/*
 * The output this file's remuxer and rtc/whipmux.c share: a libavformat
 * muxer whose bytes go to write(opaque, ...) as it writes them. The first
 * error the callback returns is kept in err, and every later write fails
 * with it. Set up by remux_out_init; fmt is made by remux_out_open.
 */
struct AVFormatContext;
typedef struct RemuxOut {
    RemuxWrite write;
    void *opaque;
    int err;                        /* the callback's first error, or 0 */
    struct AVFormatContext *fmt;    /* NULL until remux_out_open */
    int64_t last_dts[2];            /* the last frame's dts: [0] audio, [1] video */
} RemuxOut;

void remux_out_init(RemuxOut *o, RemuxWrite write, void *opaque);
/* Make o->fmt, a muxer of format ("matroska", "mpegts") writing through
 * o's callback. 0 or a negative AVERROR (o->fmt may then be set: freed
 * by remux_out_close). */
int remux_out_open(RemuxOut *o, const char *format);
/* A copy of one frame to stream idx (ms timestamps, rescaled to the
 * stream's time base; dts raised to be strictly increasing on its track,
 * pts to at least dts), then a flush. 0, the callback's error or the
 * muxer's. */
int remux_out_frame(RemuxOut *o, int idx, int video, int64_t dts, int64_t pts, int key,
                    const uint8_t *data, size_t size);
/* With trailer 1 and no error, write the trailer; then free o->fmt and
 * its I/O context. */
void remux_out_close(RemuxOut *o, int trailer);

/*
 * The end mark of a Matroska stream live-ingest ends on purpose (the
 * publisher left for good), as FLV's onLiveEnd tag is for FLV: an EBML
 * Void element (ID 0xEC, which every reader skips) holding "onLiveEnd",
 * after the last cluster. live-segment -c tells an end from a cut by it.
 */
#define REMUX_MKV_END_SIZE 11
void remux_mkv_end(uint8_t out[REMUX_MKV_END_SIZE]);
/* 1 if the last n bytes of a stream end with the mark. */
int remux_is_mkv_end(const uint8_t *tail, size_t n);

#endif
