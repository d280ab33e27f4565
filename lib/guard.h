/*
 * guard.h: live-transcode's load guard — keep up with a live broadcast or
 * say so, never drift. A pure controller (no clock, no I/O): fed, for each
 * segment as it is written, where the segment ends in the media and its
 * lag (how long after the broadcast finished the segment its renditions
 * record comes out: now minus the record's "wallclock", live-pipe(5)), it
 * steps the work down in documented, reversible steps when the lag grows,
 * and back up when the lag has stayed low for a while.
 *
 *   level 0  full   the ladder as configured
 *   level 1  faster the encoded rungs' libx264 analysis cut down
 *                     (TRANSCODE_FASTER: same parameter sets)
 *   level 2  pass   + the source is passed through as the top rung,
 *                     whatever its bit rate (when it has a rung's size)
 *   level 3  drop1  + the costliest encoded rung is left out (a gap in
 *                     that rendition, which players switch away from)
 *   level 4  drop2  + the next costliest too (one video rung always stays)
 *
 * Only segments planned at the current level count (those planned before
 * a step are still coming out after it), but for one case: a lag over
 * max_lag that has grown by max_lag / 2 since the last step down steps
 * down again at once (far behind and falling back fast: waiting for a
 * segment of the new level would cost more than a step too many). Of those, the guard keeps the
 * last few (a window of 2 × jobs + 2) and fits the lag's trend over them
 * (least squares: seconds of lag gained per second of media) over
 * running means of jobs segments (jobs segments finishing together make
 * the lag zigzag; the means smooth that out).
 *
 * Down, fast: when a segment comes out more than max_lag behind and the
 * lag is not falling; or, before that, when the lag drifts: the trend is
 * rising (over GUARD_RISING: the level runs under ~0.95x real time) and
 * the fitted lag has grown by more than a margin (max_lag / 6, at least
 * 0.5 s) over its floor, the lowest it was at this level. After a step
 * down the floor is taken once a whole window of the new level is in (a
 * step moves the lag's level within the first window: that is no
 * drift); after a step up it is the floor of the level left, and three
 * segments are enough to judge the trend, so a probe that does not fit
 * is undone before it has cost much lag.
 *
 * Up, slowly: after `hold` segments in a row under max_lag / 2 and not
 * beginning to grow (a rising trend with the lag over its floor by half
 * the margin), once the last step up has held. hold
 * starts at jobs + 3; a step up followed by a step down before it has
 * held (hold segments and a window) is a failed probe and doubles hold (at most GUARD_HOLD_MAX);
 * one that holds halves it again (not under jobs + 3). So a level the
 * machine cannot carry is retried ever more rarely, and the lag stays
 * flat.
 *
 * The cost of each level. Fed, for every finished segment, the CPU
 * seconds it took and the cores the transcode had while it ran
 * (guard_cost), the guard learns each level's cost in CPU seconds per
 * second of media, as a relative cost per level (learned on the level's
 * first segments) times a content scale (followed on every segment, so
 * a source that becomes cheaper makes every level cheaper); a level not
 * yet measured is estimated from its neighbours (GUARD_RATIO_*). The
 * scale is not followed on a level that costs under GUARD_TINY of the
 * costliest (it encodes nothing: its CPU time is noise); a level's
 * relative cost is learned again on its next segments whenever the guard
 * goes back to it. The
 * predicted real-time factor of a level is cores / cost (guard_rate).
 * With it:
 *  - a step down goes to the least degraded level predicted at
 *    GUARD_NEED_DOWN x real time or more, not one step at a time; it
 *    never passes a level not yet measured (that level is tried first:
 *    its first segment measures it);
 *  - a level predicted under GUARD_SLOW x real time after jobs segments
 *    steps down while the lag is not falling, before the lag has grown;
 *  - a step up waits, beside the calm above, for the level above to be
 *    predicted at GUARD_NEED_UP x real time or more, on the most cores
 *    the transcode had lately (a cheap level's short segments do not use
 *    all it could have);
 *  - a level that does nothing more than the one above it for this
 *    stream (guard_same: pass when the source is already passed
 *    through, a drop with no encoded rung left to drop) is skipped both
 *    ways.
 */
#ifndef LIVE_GUARD_H
#define LIVE_GUARD_H

#include <stdint.h>

enum { GUARD_FULL, GUARD_FASTER, GUARD_PASS, GUARD_DROP1, GUARD_DROP2, GUARD_LEVELS };

#define GUARD_WINDOW_MAX 16   /* segments a trend is fitted over, at most */
#define GUARD_HOLD_MAX 64     /* calm segments before a step up, at most */
#define GUARD_RISING 0.05     /* trend (s of lag per s of media) that steps down */
#define GUARD_NEED_DOWN 1.2   /* real-time factor a step down looks for */
#define GUARD_NEED_UP 1.3     /* ... and a step up needs at the level above */
#define GUARD_SLOW 0.95       /* a level predicted under this steps down */
/* What a level not yet measured is guessed to cost, times the level
 * above it: faster, pass (the top rung's encode saved), drop1, drop2. */
#define GUARD_RATIO_FASTER 0.8
#define GUARD_RATIO_PASS 0.6
#define GUARD_RATIO_DROP 0.6
#define GUARD_TINY 0.1

typedef struct Guard {
    double max_lag;        /* seconds: step down above it */
    int window;            /* segments the trend is fitted over */
    int smooth;            /* ... as running means of this many (jobs) */
    int hold_base;         /* calm segments before a step up, at first */
    int hold;              /* now (doubled by failed probes) */
    int level;             /* GUARD_* */
    int calm;              /* calm segments in a row at this level */
    int seen;              /* segments seen at this level since the last step */
    int probing;           /* the last step was up and has not held yet */
    double lag;            /* the last lag fed (-1: none yet) */
    double trend;          /* the last trend fitted (0 until the window has 3) */
    double floor;          /* the lowest fitted lag at this level (-1: none yet) */
    double step_lag;       /* the lag at the last step down */
    int n;                 /* segments in the window */
    double at[GUARD_WINDOW_MAX], lags[GUARD_WINDOW_MAX];
    int64_t down, up;      /* steps taken each way */
    int64_t failed;        /* failed probes */
    /* the cost model (guard_cost) */
    double rel[GUARD_LEVELS]; /* relative cost of each level (0: not measured) */
    int measured[GUARD_LEVELS]; /* segments that measured it (while new) */
    int mixed[GUARD_LEVELS]; /* its cost is from segments that ran beside others */
    double scale;          /* CPU s per s of media at relative cost 1 (0: none yet) */
    double cores;          /* cores the transcode had while busy (0: unknown) */
    double peak;           /* the most it had lately (a decaying maximum) */
    unsigned same;         /* bit L: level L does nothing more than L - 1 */
} Guard;

/* A guard at level 0. jobs: segments transcoded at once (the window is
 * 2 × jobs + 2 segments, a step up waits for jobs + 3 calm ones at
 * first). */
void guard_init(Guard *g, double max_lag, int jobs);

/* Feed the segment just written: where it ends in the media (seconds,
 * the record's start + duration), its lag (seconds) and the level it
 * was planned at. Returns -1 when the guard stepped down, +1 when it
 * stepped back up, else 0. */
int guard_feed(Guard *g, double at, double lag, int planned);

/* Feed the cost of a segment just written, planned at level: media
 * seconds, CPU seconds it took, cores the transcode had while it ran
 * (CPU seconds of every segment then over wall seconds); mixed when it
 * ran beside segments of other levels or streams (its CPU seconds are
 * then an equal share, not its own). Call before guard_feed. */
void guard_cost(Guard *g, int level, double media, double cpu, double cores, int mixed);

/* The predicted real-time factor of level (media seconds per wall
 * second), or 0 when not known yet. */
double guard_rate(const Guard *g, int level);

/* The same on the most cores the transcode had lately: what a step up
 * to level is judged on. */
double guard_rate_up(const Guard *g, int level);

/* Tell the guard that level does (same) or does not do anything more
 * than level - 1 for this stream: such a level is skipped. */
void guard_same(Guard *g, int level, int same);

/* The name of a level ("full", "faster", "pass", "drop1", "drop2"), and
 * what it does, for logs and man pages. */
const char *guard_level_name(int level);
const char *guard_level_what(int level);

#endif
