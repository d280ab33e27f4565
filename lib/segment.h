/*
 * segment.h: the splitter of the pipeline (live-segment). Reads one
 * media input (FLV from live-ingest on a pipe, or a file libavformat can
 * read), cuts it at video keyframes on a fixed grid of -d seconds, writes
 * each piece to SPOOL/NAME/SEQ.mp4 (SEQ.mkv for VP8; temporary name, then
 * rename) and
 * prints one segment record per finished piece, then an end record
 * (live-pipe(5)). In low-latency mode each segment is also written in
 * parts (SPOOL/NAME/SEQ.pN.nut) of a fraction of a second, each announced
 * by a part record the moment it is complete, before its segment's record.
 *
 *   input ──av_read_frame──▶ timeline (continuous, monotonic timestamps)
 *         ──▶ grid (cut at the first keyframe at or after k*D)
 *         ──▶ mp4 (mkv) writer (one file per segment) ──▶ record on stdout
 *
 * The timeline and the grid are pure state machines (no I/O) so they can
 * be unit-tested with made-up timestamps; segment_run does the I/O.
 */
#ifndef LIVE_SEGMENT_H
#define LIVE_SEGMENT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <libavcodec/codec_id.h>
#include <libavutil/rational.h>

#define SEGMENT_DEFAULT_DURATION 10.0
#define SEGMENT_DEFAULT_PART 0.5    /* --low-latency without --part */
/* Segment files: SPOOL/NAME/SEQ.EXT, EXT = segment_ext(the video codec).
 * SEGMENT_EXT: an ISO BMFF (MP4) file that keeps pts and dts exactly (edit
 * lists for a non-zero start), for every codec it holds. SEGMENT_EXT_MKV:
 * Matroska, for VP8 (a WHIP publisher's fallback), which FFmpeg 5.1's MP4
 * muxer has no tag for; VP8 has no B-frames (dts = pts), and its sources
 * (WebM, WHIP's Matroska) have Matroska's millisecond time base already. */
#define SEGMENT_EXT "mp4"
#define SEGMENT_EXT_MKV "mkv"
/* Parts (low-latency mode): SPOOL/NAME/SEQ.pN.SEGMENT_PART_EXT, NUT, which
 * keeps the timestamps of a piece that starts inside a GOP exactly (an
 * MP4 file would need an edit list that readers undo differently). NUT
 * has no negative timestamps (the dts before the first B-frames), so a
 * part's timestamps are the timeline's plus SEGMENT_PART_SHIFT seconds,
 * rescaled to each stream's time base (av_rescale_q, the part record's
 * "shift"). */
#define SEGMENT_PART_EXT "nut"
#define SEGMENT_PART_SHIFT 10
#define SEGMENT_MAX_STREAMS 2

/* Input timestamps going backwards by more than this, or forward by more
 * than SEGMENT_JUMP_FORWARD past where the stream was expected, are a
 * discontinuity (a restarted publisher, a 32-bit millisecond wrap), made
 * continuous. Forward by more than SEGMENT_GAP_FORWARD and at most
 * SEGMENT_JUMP_FORWARD is a gap: time that really passed (a publisher back
 * within live-ingest's grace period, whose timestamps go on by the time
 * it was away), kept on the timeline and flagged as a discontinuity.
 * Smaller steps backwards are mended by nudging the packet forward. */
#define SEGMENT_JUMP_BACKWARD_US 100000LL
#define SEGMENT_GAP_FORWARD_US 1000000LL
#define SEGMENT_JUMP_FORWARD_US 30000000LL

/*
 * The output timeline: per stream, input timestamps plus an offset, so
 * that the output starts at 0 and runs on without jumps.
 *
 * When a stream's timestamps jump, its offset is changed so that the
 * packet continues where that stream left off. The other streams of the
 * same input usually jump by the same amount a moment later (the same
 * restart, the same wrap): they take over the first stream's adjustment
 * when that keeps them monotonic, so audio and video stay in sync, and
 * that counts as the same discontinuity.
 */
typedef struct SegmentTrack {
    AVRational tb;      /* the stream's time base (input and output) */
    int64_t offset;     /* added to input timestamps, in tb */
    int seen;           /* a packet was mapped */
    int64_t last_dts;   /* output dts of the last packet, in tb */
    int64_t last_end;   /* output dts + duration of the last packet */
    int event;          /* last discontinuity this stream took part in */
} SegmentTrack;

typedef struct SegmentTimeline {
    int ntracks;
    SegmentTrack track[SEGMENT_MAX_STREAMS];
    int event;              /* number of discontinuities so far */
    int64_t event_delta;    /* the offset change of the last one ... */
    AVRational event_tb;    /* ... in this time base */
    int event_gap;          /* the last one is a gap (kept, delta 0) ... */
    int64_t gap_at;         /* ... whose first packet is here (event_tb) */
} SegmentTimeline;

/* Start a timeline whose 0 is input time origin (in origin_tb) for every
 * stream; tbs[i] is stream i's time base. */
void segment_timeline_init(SegmentTimeline *tl, int ntracks, const AVRational *tbs,
                           int64_t origin, AVRational origin_tb);

/*
 * Map one packet of stream i in place: *dts and *pts (input timestamps in
 * the stream's time base, both set) become output timestamps; duration
 * (>= 0) is the packet's. The result is strictly increasing in dts per
 * stream and has pts >= dts. Returns 1 when the packet starts a new
 * discontinuity made continuous, SEGMENT_GAP when it starts a new gap
 * (kept; the other streams' gaps within SEGMENT_GAP_FORWARD of it are the
 * same event), else 0.
 */
#define SEGMENT_GAP 2
int segment_timeline_map(SegmentTimeline *tl, int i, int64_t *dts, int64_t *pts,
                         int64_t duration);

/*
 * The cut grid: boundaries at k*D seconds (k = 1, 2, ...) on the output
 * timeline, in the time base tb. A segment starts at the first allowed
 * packet (a video keyframe; any packet of audio-only input) whose pts is
 * at or after the next boundary; after a cut at pts the next boundary is
 * the first multiple of D after it, so durations never drift.
 */
typedef struct SegmentGrid {
    AVRational tb;
    AVRational d;       /* D in seconds */
    int64_t k;          /* index of the next boundary */
    int64_t boundary;   /* k*D in tb, rounded up */
} SegmentGrid;

/* seconds > 0. */
void segment_grid_init(SegmentGrid *g, AVRational tb, double seconds);
/* 1 when a packet at pts may start a segment by the grid. */
int segment_grid_due(const SegmentGrid *g, int64_t pts);
/* A segment started at pts: move to the first boundary after it. */
void segment_grid_cut(SegmentGrid *g, int64_t pts);

/* The extension of a stream's segment files (SEGMENT_EXT or
 * SEGMENT_EXT_MKV) for the codec of its video (AV_CODEC_ID_NONE: none). */
const char *segment_ext(enum AVCodecID video);

typedef struct SegmentOptions {
    const char *input;      /* a file, or NULL or "-" for standard input */
    const char *stream;     /* the stream name (record_name_ok) */
    const char *spool;      /* the spool directory */
    double duration;        /* target segment duration, seconds, > 0 */
    FILE *records;          /* where records go (stdout) */
    /* Low-latency mode when > 0: parts of about this many seconds,
     * SPOOL/NAME/SEQ.pN.nut, each announced by a part record as soon as
     * it is complete (live-pipe(5)). */
    double part;
    /* Continue the stream already in SPOOL/NAME: numbering after the
     * highest SEQ there, the timeline after that segment's end, the first
     * new segment marked as a discontinuity. */
    int resume;
    /* Set (to the signal number) by a signal handler to stop at once: the
     * segment in progress is removed, not published. May be NULL. */
    volatile sig_atomic_t *stop;
} SegmentOptions;

/*
 * Segment the input. Returns 0 at a normal end of input (every segment
 * and the end record written); AVERROR_INVALIDDATA for bad input (good
 * segments before the fault are published, the end record carries
 * "error"); AVERROR_EXIT when stopped by *stop; AVERROR(EPIPE) when the
 * reader of the records went away; another negative AVERROR for a runtime
 * failure. Errors are logged. No temporary file is left behind.
 */
int segment_run(const SegmentOptions *opt);

#endif
