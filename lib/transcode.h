/*
 * transcode.h: one segment through live-transcode — the map step of the
 * pipeline. A segment record (live-pipe(5)) goes in; its file is read
 * once, decoded once, scaled in a cascade (each rung from the next larger
 * one, libswscale), every rung encoded by its own libx264 encoder in its
 * own thread, the audio copied or encoded to AAC once; one MP4 file per
 * rendition is published beside the segment and a renditions record
 * comes out.
 *
 *   decoder (calling thread) ──frames──▶ rung 0: scale, encode ──▶ SEQ.720p.mp4
 *                                          │ scaled frames
 *                                          ▼
 *                                        rung 1: scale, encode ──▶ SEQ.480p.mp4
 *
 * Every encoded rung starts with an IDR frame at the segment's first
 * frame and has IDR frames at the same frames as every other rung: each
 * gop seconds from the start, or, when a rung is the source passed
 * through, at the source's key frames. No scene-cut key frames, closed
 * GOPs, VBV maxrate = bitrate and bufsize = 2 x bitrate.
 */
#ifndef LIVE_TRANSCODE_H
#define LIVE_TRANSCODE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <libavutil/rational.h>

#include "ladder.h"

#define TRANSCODE_DEFAULT_PRESET "veryfast"
#define TRANSCODE_DEFAULT_GOP 2.0
#define TRANSCODE_DEFAULT_AUDIO_BITRATE 128000
/* A frame rate within this fraction of a common one (30, 30000/1001,
 * 25, ...) is taken as that one. */
#define TRANSCODE_FPS_SNAP 0.005
/* VBV buffer = this many seconds of the rung's bit rate. */
#define TRANSCODE_BUFSIZE_SECONDS 2
/* Sources up to 8K are decoded: at most 8192x4352 pixels (HEVC and AV1
 * level 6's largest picture), in any shape; larger ones fail. The pictures the
 * decoder's frame threads hold stay under this many bytes (fewer threads
 * for larger pictures), and the cascade queues fewer pictures above
 * TRANSCODE_LARGE_PIXELS (4096x2304). */
#define TRANSCODE_MAX_PIXELS (8192LL * 4352)
#define TRANSCODE_DECODE_MEMORY (512LL << 20)
#define TRANSCODE_LARGE_PIXELS (4096LL * 2304)

typedef struct TranscodeOptions {
    const char *spool;     /* directory the records' paths are relative to */
    Ladder ladder;
    int exact_ladder;      /* 1: no rung at the source's size is added (ladder_fit) */
    const char *preset;    /* libx264 preset */
    const char *tune;      /* libx264 tune, or NULL */
    double gop;            /* seconds between key frames */
    int passthrough;       /* TRANSCODE_PASS_* */
    int tolerance;         /* auto: percent above the rung's bit rate still passed */
    int threads;           /* threads of each encoder and decoder, >= 1 */
    int64_t audio_bitrate; /* AAC encoder bit rate */
} TranscodeOptions;

/* --passthrough: never; auto (when the bit rate is within the tolerance);
 * always (whatever the bit rate). */
enum { TRANSCODE_PASS_NEVER, TRANSCODE_PASS_AUTO, TRANSCODE_PASS_ALWAYS };
#define TRANSCODE_DEFAULT_TOLERANCE 50
/* What TranscodeSteps.faster adds to the preset: the cheapest motion
 * search, a short lookahead, fixed B-frame placement, no mixed references.
 * Nothing that changes the SPS or PPS: profile, reference frames, B-frames,
 * CABAC, 8x8 transform, weighted prediction stay the preset's, and so do
 * subme and trellis (with psy-rd they set the PPS's chroma QP offset). */
#define TRANSCODE_FASTER "me=dia:rc-lookahead=10:b-adapt=0:mixed-refs=0"

/*
 * What the caller decided for one segment (tcrun.c: the stream's earlier
 * passthrough choice, the load guard's steps). All fields 0: as the
 * options say.
 */
typedef struct TranscodeSteps {
    int pass;              /* 0: as the options say; 1: pass the source rung
                            * whatever its bit rate (if it is eligible);
                            * -1: encode it */
    int faster;            /* 1: libx264 analysis cut to TRANSCODE_FASTER (the
                            * same parameter sets, so players see no change) */
    int drop;              /* leave out this many of the costliest encoded
                            * rungs (at least one video rung stays) */
    const atomic_int *shed; /* NULL, or how many rungs the caller wants left
                            * out now (the load guard's level, which may step
                            * down while the segment is encoded): read at every
                            * frame; an encoded rung it reaches beyond drop
                            * stops encoding and is left out as drop's are (its
                            * pictures are still scaled for the rungs below) */
} TranscodeSteps;

/*
 * Check that preset and tune are known to libx264 (opens a tiny encoder).
 * Returns 0 or AVERROR(EINVAL) (logged).
 */
int transcode_check(const TranscodeOptions *o);

/*
 * Transcode the segment of record seg (borrowed), with steps (NULL: none). *out is always set to a
 * new renditions record (caller json_decref) unless memory ran out: a
 * failed segment gets "failed":true, "error" and no renditions, and none
 * of its rendition files is left behind. Returns 0, AVERROR_INVALIDDATA
 * when the segment (record or file) is bad, or another AVERROR for a
 * runtime failure (an encoder, a write).
 */
int transcode_segment(const TranscodeOptions *o, const TranscodeSteps *steps,
                      const json_t *seg, json_t **out);

/*
 * The frame rate the encoders are told for a segment (or part) of record
 * rec whose video stream is vst: the record's "video" "fps", else the
 * stream's, snapped to a common rate (see transcode.c).
 */
struct AVStream;
AVRational transcode_nominal_fps(const json_t *rec, const struct AVStream *vst);

/*
 * What every rung's libx264 encoder c is set to, in the plain and the
 * low-latency (lltc.c) paths alike: the rung's size and bit rate (VBV
 * maxrate the same, a TRANSCODE_BUFSIZE_SECONDS buffer), frames in time
 * base tb at frame rate fps, the decoder dec's colours, closed GOPs of
 * o->gop seconds (gop_size and keyint_min), o->threads, a global header.
 * The caller adds what differs (its x264 options, another gop_size)
 * before avcodec_open2.
 */
struct AVCodecContext;
void transcode_x264_setup(struct AVCodecContext *c, const TranscodeOptions *o,
                          const LadderRung *lr, const LadderSize *size, AVRational tb,
                          AVRational fps, const struct AVCodecContext *dec);
/* The RFC 6381 string of open encoder c from its avcC (avc1.640028 when
 * that does not parse). */
void transcode_x264_codec(const struct AVCodecContext *c, char *buf, size_t size);

/*
 * Key frames on a grid of gop_ticks from the start: whether the frame at
 * pts takes one (the first at or past *next_kf, the grid's next point,
 * which then moves past pts).
 */
int transcode_grid_key(int64_t pts, int64_t *next_kf, int64_t gop_ticks);
/* Frame f goes to the encoder at pts, a forced IDR frame when key (with
 * forced-idr), else of the encoder's choosing. */
struct AVFrame;
void transcode_frame_key(struct AVFrame *f, int64_t pts, int key);

#endif
