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
 */
#ifndef LIVE_GUARD_H
#define LIVE_GUARD_H

#include <stdint.h>

enum { GUARD_FULL, GUARD_FASTER, GUARD_PASS, GUARD_DROP1, GUARD_DROP2, GUARD_LEVELS };

#define GUARD_WINDOW_MAX 16   /* segments a trend is fitted over, at most */
#define GUARD_HOLD_MAX 64     /* calm segments before a step up, at most */
#define GUARD_RISING 0.05     /* trend (s of lag per s of media) that steps down */

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

/* The name of a level ("full", "faster", "pass", "drop1", "drop2"), and
 * what it does, for logs and man pages. */
const char *guard_level_name(int level);
const char *guard_level_what(int level);

#endif
