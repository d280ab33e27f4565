/*
 * guard.h: live-transcode's load guard — keep up with a live broadcast or
 * say so, never drift. A pure controller: fed the lag of each segment as
 * it is written (how long after the broadcast finished the segment its
 * renditions record comes out: now minus the record's "wallclock",
 * live-pipe(5)), it steps the work down in documented, reversible steps
 * when the lag passes max_lag, and back up when the lag has stayed under
 * half of it for a while.
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
 * a step are still coming out after it): a step down when such a segment
 * comes out more than max_lag behind and no sooner after the broadcast
 * than the one before it (a backlog that is shrinking needs no further
 * step); a step up after calm_needed such segments in a row under
 * max_lag / 2.
 */
#ifndef LIVE_GUARD_H
#define LIVE_GUARD_H

#include <stdint.h>

enum { GUARD_FULL, GUARD_FASTER, GUARD_PASS, GUARD_DROP1, GUARD_DROP2, GUARD_LEVELS };

typedef struct Guard {
    double max_lag;        /* seconds: step down above it */
    int calm_needed;       /* segments under max_lag / 2 before a step up */
    int level;             /* GUARD_* */
    int calm;
    double lag;            /* the last lag fed (-1: none yet) */
    int64_t down, up;      /* steps taken each way */
} Guard;

/* A guard at level 0. jobs: segments transcoded at once (a step up waits
 * for jobs + 3 calm segments). */
void guard_init(Guard *g, double max_lag, int jobs);

/* Feed the lag of the segment just written, planned at level planned.
 * Returns -1 when the guard stepped down, +1 when it stepped back up,
 * else 0. */
int guard_feed(Guard *g, double lag, int planned);

/* The name of a level ("full", "faster", "pass", "drop1", "drop2"), and
 * what it does, for logs and man pages. */
const char *guard_level_name(int level);
const char *guard_level_what(int level);

#endif
