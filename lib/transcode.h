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

#include <stdint.h>

#include <jansson.h>

#include "ladder.h"

#define TRANSCODE_DEFAULT_PRESET "veryfast"
#define TRANSCODE_DEFAULT_GOP 2.0
#define TRANSCODE_DEFAULT_AUDIO_BITRATE 128000
/* A frame rate within this fraction of a common one (30, 30000/1001,
 * 25, ...) is taken as that one. */
#define TRANSCODE_FPS_SNAP 0.005
/* VBV buffer = this many seconds of the rung's bit rate. */
#define TRANSCODE_BUFSIZE_SECONDS 2

typedef struct TranscodeOptions {
    const char *spool;     /* directory the records' paths are relative to */
    Ladder ladder;
    int exact_ladder;      /* 1: no rung at the source's size is added (ladder_fit) */
    const char *preset;    /* libx264 preset */
    const char *tune;      /* libx264 tune, or NULL */
    double gop;            /* seconds between key frames */
    int passthrough;       /* 1: pass the source through when it fits a rung */
    int threads;           /* threads of each encoder and decoder, >= 1 */
    int64_t audio_bitrate; /* AAC encoder bit rate */
} TranscodeOptions;

/*
 * Check that preset and tune are known to libx264 (opens a tiny encoder).
 * Returns 0 or AVERROR(EINVAL) (logged).
 */
int transcode_check(const TranscodeOptions *o);

/*
 * Transcode the segment of record seg (borrowed). *out is always set to a
 * new renditions record (caller json_decref) unless memory ran out: a
 * failed segment gets "failed":true, "error" and no renditions, and none
 * of its rendition files is left behind. Returns 0, AVERROR_INVALIDDATA
 * when the segment (record or file) is bad, or another AVERROR for a
 * runtime failure (an encoder, a write).
 */
int transcode_segment(const TranscodeOptions *o, const json_t *seg, json_t **out);

#endif
