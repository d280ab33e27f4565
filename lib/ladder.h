/*
 * ladder.h: the bit-rate ladder of live-transcode — which renditions a
 * segment gets, how large each is and what sample aspect ratio it signals.
 *
 * A ladder is written "1080p:5000k,720p:2800k,480p:1200k": rungs separated
 * by commas, each SIZE:BITRATE. SIZE is either "Np" (N lines on the
 * shorter side of the picture: the height of a landscape source, the
 * width of a portrait one) or an explicit "WxH". BITRATE is what
 * parse_bitrate() takes. Rungs are kept largest first, the order of the
 * scaling cascade.
 *
 * Sizing (ladder_size) for an "Np" rung, from a source of W0 x H0 pixels
 * with sample aspect ratio S, display aspect ratio D = W0*S / H0:
 *  - N larger than the source's shorter side: the rung is skipped (never
 *    upscaled);
 *  - N equal to it: the source's own size and SAR (a passthrough
 *    candidate);
 *  - else square pixels with D exactly, if some even size exists whose
 *    shorter side is within LADDER_SNAP_PERCENT below N (16:9 480p ->
 *    832x468, 16:9 240p -> 416x234, 4:3 360p -> 480x360);
 *  - else N lines exactly, the longer side the even number nearest to
 *    N*D, and the SAR that makes the display aspect exactly D, reduced
 *    (1366x768 at 720p -> 1280x720 with SAR 2049:2048).
 * The display aspect ratio of every rung is therefore exactly the
 * source's. An explicit WxH rung gets that size and the exact SAR.
 *
 * The rungs one source gets (ladder_fit): the ladder's rungs that are not
 * larger than the source, and — unless the ladder is exact — a rung at
 * the source's own size when no rung is left (a 320x240 source under
 * 1080p,720p,480p) or when the source's shorter side is at least
 * LADDER_SOURCE_ABOVE_PERCENT above the largest rung left when that is an
 * "Np" rung (1600x900 over 720p; an explicit WxH top rung is taken as
 * meant). That rung is "Np", N the source's shorter side made even; its
 * bit rate is the nearest rung's scaled by the ratio of picture areas,
 * (N / lines of that rung)^2, at least LADDER_MIN_BITRATE.
 *
 * A source whose shorter side is above LADDER_ADDED_MAX_LINES (1080) is
 * taken as 1080 lines for that rule, so no rung above 1080p is ever
 * added: a 1440p, 4K or 8K source over the default ladder gets 1080p,
 * 720p and 480p; 1920x1200 over "720p,480p" gets a 1080p rung (scaled).
 * Larger rungs come only when asked: named in the ladder, or by
 * ladder_add_uhd() (live-transcode --uhd).
 */
#ifndef LIVE_LADDER_H
#define LIVE_LADDER_H

#include <stdint.h>

#include <libavutil/rational.h>

#include "record.h"

#define LADDER_MAX_RUNGS 16
#define LADDER_DEFAULT "1080p:5000k,720p:2800k,480p:1200k"
/* Largest picture side a rung may ask for. */
#define LADDER_MAX_SIDE 8192
/* How far below N (percent) a square-pixel size may be chosen. */
#define LADDER_SNAP_PERCENT 3
/* A source this much (percent) taller than the largest rung left gets a
 * rung of its own size. */
#define LADDER_SOURCE_ABOVE_PERCENT 20
/* The least bit rate of a rung made for the source's size. */
#define LADDER_MIN_BITRATE 100000
/* The largest rung ladder_fit adds on its own (lines). */
#define LADDER_ADDED_MAX_LINES 1080
/* The rungs --uhd adds for a 4K or 8K source: H.264 at 30 fps. */
#define LADDER_UHD "2160p:16000k,1440p:8000k"

typedef struct LadderRung {
    char id[RECORD_MAX_NAME + 1]; /* "720p" or "854x480": the rendition id */
    int lines;                    /* N of "Np", or 0 */
    int width, height;            /* explicit "WxH", or 0 */
    int64_t bitrate;              /* bit/s, also maxrate */
} LadderRung;

typedef struct Ladder {
    LadderRung rung[LADDER_MAX_RUNGS];
    int n;
} Ladder;

/* The size a rung gets for one source. */
typedef struct LadderSize {
    int width, height;
    AVRational sar;               /* reduced; 1:1 for square pixels */
    int is_source;                /* same size and SAR as the source */
} LadderSize;

/*
 * Parse a ladder string into *ladder, sorted largest first. Returns 0 or
 * AVERROR(EINVAL) (syntax, odd or out-of-range size, duplicate id,
 * too many rungs); *why (static) then says what is wrong.
 */
int ladder_parse(const char *s, Ladder *ladder, const char **why);

/*
 * Add the rungs of LADDER_UHD that *ladder does not have (by id), keeping
 * it sorted. Returns 0 or AVERROR(EINVAL) when that makes too many rungs.
 */
int ladder_add_uhd(Ladder *ladder);

/*
 * Size a rung for a source of width x height with sample aspect ratio
 * sar ({0,1} or {0,0} means unknown: square pixels). Returns 0 and fills
 * *out, AVERROR(ERANGE) when the rung is larger than the source (skip
 * it), AVERROR(EINVAL) for an impossible source size.
 */
int ladder_size(const LadderRung *rung, int width, int height, AVRational sar,
                LadderSize *out);

/* One rung as sized for one source. */
typedef struct LadderFit {
    LadderRung rung;              /* a copy of the ladder's, or the added one */
    LadderSize size;
    int added;                    /* the rung at the source's size, not in the ladder */
} LadderFit;

/*
 * The rungs of ladder for a source of width x height with sample aspect
 * ratio sar, largest first, into out[0..*n) (at most LADDER_MAX_RUNGS):
 * the rungs not larger than the source and, unless exact, a rung at the
 * source's size (see above). *n may be 0 with exact. Returns 0 or
 * AVERROR(EINVAL) for an impossible source size.
 */
int ladder_fit(const Ladder *ladder, int exact, int width, int height, AVRational sar,
               LadderFit *out, int *n);

#endif
