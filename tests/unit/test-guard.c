/* Unit tests for lib/guard.c: the load guard's state machine, fed
 * sequences of (media time, lag, planned level) and judged by its steps.
 * 2 s segments throughout; no clock. */
#include <math.h>

#include "guard.h"
#include "tap.h"

/* Feed n segments at level planned (the guard's own when -1), lags from
 * lag0 growing by dlag a segment, media time from *at in 2 s steps;
 * returns the sum of the steps (-1 down, +1 up) and stops at the first
 * step when stop is set. */
static int feed(Guard *g, double *at, int n, double lag0, double dlag, int planned, int stop)
{
    int i, r, sum = 0;

    for (i = 0; i < n; i++) {
        *at += 2;
        r = guard_feed(g, *at, lag0 + i * dlag, planned < 0 ? g->level : planned);
        sum += r;
        if (r && stop)
            break;
    }
    return sum;
}

/* A steady lag that zigzags as two jobs' segments come out together. */
static int zigzag(Guard *g, double *at, int n, double lo, double hi)
{
    int i, sum = 0;

    for (i = 0; i < n; i++) {
        *at += 2;
        sum += guard_feed(g, *at, i % 2 ? lo : hi, g->level);
    }
    return sum;
}

/* The cost model, fed fake costs: what each level is predicted to run
 * at, where a step down goes, when a step up may come. */
static void costs(void)
{
    static const double cpu[GUARD_LEVELS] = { 2.0, 1.6, 1.2, 0.8, 0.5 }; /* CPU s per s */
    Guard g;
    double at = 0;
    int l;

    guard_init(&g, 6, 2);
    ok(guard_rate(&g, GUARD_FULL) == 0, "no cost fed: no prediction");
    guard_cost(&g, GUARD_FULL, 2, 4, 1.6, 0);
    ok(fabs(guard_rate(&g, GUARD_FULL) - 0.8) < 1e-9, "full measured: 2 CPU s a second on 1.6 cores, 0.8x real time");
    ok(fabs(guard_rate(&g, GUARD_FASTER) - 1.0) < 1e-9,
       "  faster, not measured: guessed at %.1f of it (%.2fx)", GUARD_RATIO_FASTER,
       guard_rate(&g, GUARD_FASTER));
    guard_cost(&g, GUARD_FASTER, 2, 2, 1.6, 0);
    ok(fabs(guard_rate(&g, GUARD_FASTER) - 1.6) < 1e-9, "  measured: 1 CPU s a second, 1.6x");
    ok(fabs(guard_rate(&g, GUARD_PASS) - 1.6 / GUARD_RATIO_PASS) < 1e-9, "  pass guessed from faster");
    guard_same(&g, GUARD_PASS, 1);
    ok(fabs(guard_rate(&g, GUARD_PASS) - 1.6) < 1e-9, "pass doing nothing more than faster: the same rate");
    ok(fabs(guard_rate(&g, GUARD_DROP1) - 1.6 / GUARD_RATIO_DROP) < 1e-9, "  drop1 guessed from faster");
    guard_same(&g, GUARD_PASS, 0);

    /* a mixed sample (beside other levels' segments) does not replace a
     * clean one */
    guard_cost(&g, GUARD_FASTER, 2, 6, 1.6, 1);
    ok(fabs(guard_rate(&g, GUARD_FASTER) - 1.6) < 1e-9, "a shared CPU measure does not replace the level's own");

    /* every level measured: a step down goes straight to the least
     * degraded one at 1.2x real time or more */
    guard_init(&g, 6, 2);
    for (l = 0; l < GUARD_LEVELS; l++)
        guard_cost(&g, l, 2, 2 * cpu[l], 1.6, 0);
    ok(guard_rate(&g, GUARD_PASS) > 1.3 && guard_rate(&g, GUARD_FASTER) < 1.2,
       "rates: faster %.2f, pass %.2f", guard_rate(&g, GUARD_FASTER), guard_rate(&g, GUARD_PASS));
    is_int(guard_feed(&g, 2, 7, GUARD_FULL), -1, "over the limit at full: a step down");
    is_int(g.level, GUARD_PASS, "  to pass (faster, at 1.0x, would not do)");
    is_int((int)g.down, 1, "  one step");

    /* a level that does nothing more is skipped both ways */
    guard_init(&g, 6, 1);
    guard_same(&g, GUARD_PASS, 1);
    guard_feed(&g, 2, 7, GUARD_FULL);
    is_int(g.level, GUARD_FASTER, "first step: faster");
    guard_feed(&g, 4, 8, GUARD_FASTER);
    is_int(g.level, GUARD_DROP1, "the next: drop1 (pass is the same as faster here)");
    at = 4;
    feed(&g, &at, 20, 1, 0, -1, 1);
    is_int(g.level, GUARD_FASTER, "back up: drop1 to faster");

    /* the current level turns out to do nothing more (the source
     * changed): up at once, no probe */
    guard_same(&g, GUARD_PASS, 0);
    feed(&g, &at, 1, 7, 0, -1, 0);
    is_int(g.level, GUARD_PASS, "at pass");
    guard_same(&g, GUARD_PASS, 1);
    is_int(guard_feed(&g, at += 2, 1, GUARD_PASS), 1, "pass now the same as faster: a step up");
    is_int(g.level, GUARD_FASTER, "  to faster");
    is_int(g.probing, 0, "  not a probe");

    /* a step up waits for the level above to be predicted fast enough */
    guard_init(&g, 6, 2);
    for (l = 0; l < GUARD_LEVELS; l++)
        guard_cost(&g, l, 2, 2 * cpu[l], 1.6, 0);
    guard_feed(&g, 2, 7, GUARD_FULL);
    at = 2;
    is_int(feed(&g, &at, 40, 1, 0, -1, 1), 0, "pass, calm for 40 segments: faster (1.0x) is not tried");
    for (l = 0; l < 6; l++)
        guard_cost(&g, GUARD_PASS, 2, 2 * cpu[GUARD_PASS], 2.4, 0);
    ok(guard_rate(&g, GUARD_FASTER) > 1.3, "more cores (2.4): faster predicted at %.2fx",
       guard_rate(&g, GUARD_FASTER));
    is_int(feed(&g, &at, 1, 1, 0, -1, 1), 1, "  a step up");
    is_int(g.level, GUARD_FASTER, "  to faster");

    /* the content gets cheaper: every level with it */
    guard_init(&g, 6, 1);
    for (l = 0; l < GUARD_LEVELS; l++)
        guard_cost(&g, l, 2, 2 * cpu[l], 1.6, 0);
    for (l = 0; l < 3; l++)
        guard_cost(&g, GUARD_DROP1, 2, 2 * cpu[GUARD_DROP1], 1.6, 0);
    for (l = 0; l < 20; l++)
        guard_cost(&g, GUARD_DROP1, 2, 2 * cpu[GUARD_DROP1] / 4, 1.6, 0);
    ok(fabs(guard_rate(&g, GUARD_FULL) - 3.2) < 0.05,
       "drop1's segments 4 times cheaper: full predicted 4 times faster (%.2fx)",
       guard_rate(&g, GUARD_FULL));

    /* a level that encodes nothing (only the source passed through)
     * costs so little that its CPU time is noise: the other levels'
     * predictions do not follow it */
    {
        static const double levels[GUARD_LEVELS] = { 2.0, 1.6, 1.2, 0.2, 0.01 };
        guard_init(&g, 6, 1);
        for (l = 0; l < GUARD_LEVELS; l++)
            guard_cost(&g, l, 2, 2 * levels[l], 0.1, 0);
        guard_feed(&g, 2, 7, GUARD_FULL);
        is_int(g.level, GUARD_DROP2, "every level measured too slow: the last one");
        for (l = 0; l < 20; l++)
            guard_cost(&g, GUARD_DROP2, 2, 2 * (l % 2 ? 0.001 : 0.003), 0.1, 0);
        ok(fabs(guard_rate_up(&g, GUARD_DROP1) / (0.1 / 0.2) - 1) < 1e-6,
           "  20 segments of drop2 at a tenth of its cost: drop1 still predicted at %.2fx",
           guard_rate_up(&g, GUARD_DROP1));
    }

    /* a step up is judged on the most cores lately: a cheap level's
     * segments do not use all the process could have */
    guard_init(&g, 6, 1);
    guard_cost(&g, GUARD_FULL, 2, 2 * 1.2, 2.0, 0);
    for (l = 0; l < 5; l++)
        guard_cost(&g, GUARD_DROP1, 2, 2 * 0.3, 1.0, 0);
    ok(guard_rate_up(&g, GUARD_FULL) > guard_rate(&g, GUARD_FULL) &&
       fabs(guard_rate_up(&g, GUARD_FULL) - 2.0 * pow(0.95, 5) / 1.2) < 1e-6,
       "full: %.2fx on the cores lately (%.2fx on the mean)", guard_rate_up(&g, GUARD_FULL),
       guard_rate(&g, GUARD_FULL));

    /* a level measured fast enough: a rising lag under the limit is noise */
    guard_init(&g, 6, 2);
    at = 0;
    for (l = 0; l < 3; l++)
        guard_cost(&g, GUARD_FULL, 2, 2, 1.6, 0);
    is_int(feed(&g, &at, 20, 0.5, 0.1, -1, 1), 0,
           "full measured at 1.6x, the lag climbing 0.05 s a second to 2.4 s: no step");
    is_int(feed(&g, &at, 20, 6.5, 0.5, -1, 1), -1, "  over the limit: a step down");

    /* a level measured too slow steps down before the lag has grown */
    guard_init(&g, 6, 2);
    at = 0;
    guard_cost(&g, GUARD_FULL, 2, 4, 1.6, 0);
    is_int(guard_feed(&g, at += 2, 1.0, GUARD_FULL), 0, "full at 0.8x: one segment, no step");
    guard_cost(&g, GUARD_FULL, 2, 4, 1.6, 0);
    is_int(guard_feed(&g, at += 2, 1.2, GUARD_FULL), -1, "  two (jobs), the lag not falling: a step down");
    ok(g.lag < 3, "  at a lag of %.1f s", g.lag);
}

/* One job, 2 s segments arriving in real time on a machine where level
 * L runs at speed[L] x real time with cores cores: each segment planned
 * at the guard's level when it starts; n segments. Returns the lags in
 * lags[] and the levels planned in levels[]. */
static void simulate(Guard *g, const double *speed, double cores, int n,
                     double *done, int *first, double *lags, int *levels)
{
    int i;

    for (i = 0; i < n; i++) {
        int k = *first + i, l = g->level;
        double arrive = 2.0 * (k + 1), begin = arrive > *done ? arrive : *done;
        *done = begin + 2 / speed[l];
        lags[i] = *done - arrive;
        levels[i] = l;
        guard_cost(g, l, 2, 2 * cores / speed[l], cores, 0);
        guard_feed(g, arrive, lags[i], l);
    }
    *first += n;
}

static void simulated(void)
{
    /* full 0.8x, faster 0.9x, pass the same as faster (the source passed
     * through already), drop1 1.6x, drop2 2.5x */
    static const double speed[GUARD_LEVELS] = { 0.8, 0.9, 0.9, 1.6, 2.5 };
    static const double fast[GUARD_LEVELS] = { 1.6, 1.8, 1.8, 3.2, 5.0 };
    double lags[120], done = 0, max = 0;
    int levels[120], first = 0, i, ups;
    Guard g;

    guard_init(&g, 6, 1);
    guard_same(&g, GUARD_PASS, 1);
    simulate(&g, speed, 1.6, 60, &done, &first, lags, levels);
    for (i = 0; i < 60; i++)
        max = lags[i] > max ? lags[i] : max;
    diag("simulated lag at 30/60/90/120 s: %.1f %.1f %.1f %.1f s, at most %.1f; %d down, %d up",
         lags[14], lags[29], lags[44], lags[59], max, (int)g.down, (int)g.up);
    ok(lags[59] <= lags[14], "simulated 120 s: the lag at the end (%.1f s) no larger than at 30 s (%.1f s)",
       lags[59], lags[14]);
    ok(max < 6, "  never over the limit (at most %.1f s)", max);
    is_int((int)g.up, 0, "  no step up to a level that cannot keep up");
    for (i = 0; i < 60 && levels[i] != GUARD_PASS; i++)
        ;
    is_int(i, 60, "  pass (the same as faster) never planned");
    is_int(g.level, GUARD_DROP1, "  settled at drop1");
    ok(g.down <= 2, "  in %d steps down", (int)g.down);

    /* the load goes away: the full ladder comes back and stays */
    ups = (int)g.up;
    simulate(&g, fast, 3.2, 60, &done, &first, lags, levels);
    is_int(g.level, GUARD_FULL, "twice the cores: back to full");
    is_int((int)g.failed, 0, "  no failed probe");
    ok(g.up - ups <= 2, "  in %d steps up", (int)(g.up - ups));
    for (i = 30, max = 0; i < 60; i++)
        max = lags[i] > max ? lags[i] : max;
    ok(max < 2 / 1.6 + 0.01, "  the lag then one segment's work (at most %.2f s)", max);
}

int main(void)
{
    Guard g;
    double at = 0;
    int i, r;

    /* levels over max_lag, one at a time, and what counts */
    guard_init(&g, 6, 1);
    is_int(g.level, GUARD_FULL, "starts at the full ladder");
    is_int(g.window, 4, "a window of 2 x jobs + 2 segments");
    is_int(g.hold, 4, "a step up after jobs + 3 calm segments");
    is_int(guard_feed(&g, 2, 2, GUARD_FULL), 0, "under the limit: no step");
    is_int(guard_feed(&g, 4, 7, GUARD_FULL), -1, "over the limit and rising: a step down");
    is_int(g.level, GUARD_FASTER, "  to faster");
    is_int(guard_feed(&g, 6, 9, GUARD_FULL), 0, "a segment planned before the step does not count");
    is_int(guard_feed(&g, 6, 9.9, GUARD_FULL), 0, "  nor one 2.9 s further behind");
    is_int(guard_feed(&g, 8, 8, GUARD_FASTER), 0, "over the limit but falling: no further step");
    is_int(guard_feed(&g, 10, 8.5, GUARD_FASTER), -1, "over the limit and rising again: a step down");
    is_int(g.level, GUARD_PASS, "  to pass");
    is_int(guard_feed(&g, 12, 11.6, GUARD_FASTER), -1,
           "one planned before it, 3 s (max_lag / 2) further behind than at that step: a step down");
    is_int(g.level, GUARD_DROP1, "  to drop1");
    at = 12;
    for (i = 0; i < 10; i++)
        feed(&g, &at, 1, 20 + i, 0, -1, 0);
    is_int(g.level, GUARD_DROP2, "never below the last level");
    is_int((int)g.down, 4, "four steps down counted");
    /* calm: 4 segments under 3 s and not rising, then one step up */
    r = feed(&g, &at, 3, 1, 0, GUARD_DROP2, 0);
    is_int(r, 0, "three calm segments: no step yet");
    is_int(feed(&g, &at, 1, 1, 0, GUARD_DROP2, 0), 1, "the fourth: a step up");
    is_int(g.level, GUARD_DROP1, "  to drop1");
    is_int(feed(&g, &at, 1, 1, 0, GUARD_DROP2, 0), 0, "a segment planned at the old level does not count");
    feed(&g, &at, 60, 1, 0, -1, 0);
    is_int(g.level, GUARD_FULL, "a steady low lag: back to the full ladder");
    is_int((int)g.up, 4, "four steps up counted");
    is_int((int)g.failed, 0, "  no failed probe");
    is_int(feed(&g, &at, 40, 1, 0, -1, 0), 0, "never above the full ladder");
    feed(&g, &at, 1, 4, 0, -1, 0);
    feed(&g, &at, 1, 1, 0, -1, 0);
    is_int(g.calm, 1, "a lag between half the limit and the limit breaks the calm");

    /* the trend: a backlog building up well under max_lag */
    guard_init(&g, 6, 2);
    at = 0;
    is_int(zigzag(&g, &at, 40, 1.0, 2.5), 0,
           "a steady lag that zigzags (two jobs): no step over 40 segments");
    ok(g.trend < 0.02 && g.trend > -0.02, "  its trend is flat (%.3f)", g.trend);
    r = feed(&g, &at, 20, 1.5, 0.3, -1, 1);
    is_int(r, -1, "a lag growing 0.15 s a second: a step down");
    ok(g.lag < 6, "  long before the limit (at %.1f s)", g.lag);
    ok(g.trend > GUARD_RISING, "  on the trend (%.3f)", g.trend);
    is_int(g.level, GUARD_FASTER, "  to faster");
    /* after a step down: the lag falls as the backlog drains, then
     * settles higher or lower than before; no further step */
    is_int(feed(&g, &at, 3, 4, -1, -1, 1), 0, "the backlog draining: no step");
    is_int(feed(&g, &at, 12, 3.5, 0, -1, 1), 0, "settled at a new level (over half the limit): no step");
    r = feed(&g, &at, 20, 3.5, 0.02, -1, 1);
    is_int(r, 0, "a lag creeping 0.01 s a second (noise, not a backlog): no step");

    /* a probe that does not fit is undone at once, and retried later */
    guard_init(&g, 6, 2);
    at = 0;
    feed(&g, &at, 1, 7, 0, -1, 0);
    feed(&g, &at, 1, 8, 0, -1, 0);
    feed(&g, &at, 1, 9, 0, -1, 0);
    is_int(g.level, GUARD_DROP1, "three segments over the limit, rising: drop1");
    is_int(feed(&g, &at, 20, 1, 0, -1, 1), 1, "a calm lag of 1 s: a step up (a probe)");
    is_int(g.level, GUARD_PASS, "  to pass");
    ok(g.floor == 1, "  judged against the floor it left (1 s)");
    r = feed(&g, &at, 10, 1.2, 0.5, -1, 1);
    is_int(r, -1, "the probe's lag climbs 0.25 s a second: undone");
    ok(g.lag < 3, "  within a few segments (at %.1f s)", g.lag);
    is_int((int)g.failed, 1, "  a failed probe");
    is_int(g.hold, 10, "  the next waits twice as long (10 calm segments)");
    is_int(feed(&g, &at, 9, 1, 0, -1, 1), 0, "nine calm segments: no step");
    is_int(feed(&g, &at, 1, 1, 0, -1, 1), 1, "the tenth: a step up");
    r = feed(&g, &at, 10, 1.2, 0.5, -1, 1);
    is_int(r, -1, "failing again: undone");
    is_int(g.hold, 20, "  the next waits 20");
    for (i = 0; i < 10; i++) {
        feed(&g, &at, 80, 1, 0, GUARD_DROP1, 1);
        feed(&g, &at, 10, 1.2, 0.5, -1, 1);
    }
    is_int(g.hold, GUARD_HOLD_MAX, "  up to %d at most", GUARD_HOLD_MAX);

    /* a probe whose lag moves up once and stays flat holds */
    guard_init(&g, 6, 2);
    at = 0;
    for (i = 0; i < 3; i++)
        feed(&g, &at, 1, 7 + i, 0, -1, 0);
    feed(&g, &at, 20, 1, 0, -1, 1);
    is_int(g.level, GUARD_PASS, "a probe up to pass");
    feed(&g, &at, 1, 1.4, 0, -1, 0);
    r = feed(&g, &at, 4, 1.8, 0, -1, 1);
    is_int(r, 0, "its lag moves up 0.8 s and stays: it holds");
    is_int(g.level, GUARD_PASS, "  no step up before it has held a window (6 segments)");
    is_int(g.probing, 1, "  still a probe");
    is_int(feed(&g, &at, 1, 1.8, 0, -1, 1), 1, "after a window of calm: the next step up");
    is_int((int)g.failed, 0, "  no failed probe");
    is_int(g.hold, 5, "  the calm needed stays at jobs + 3");
    feed(&g, &at, 40, 1.8, 0, -1, 0);
    is_int(g.level, GUARD_FULL, "and on up to the full ladder");

    /* a noisy low lag (a busy machine): the trend swings, the guard
     * still goes back up */
    guard_init(&g, 6, 2);
    at = 0;
    for (i = 0; i < 3; i++)
        feed(&g, &at, 1, 7 + i, 0, -1, 0);
    for (i = 0; i < 60; i++) {
        static const double noise[] = { 0.3, 0.9, 0.2, 1.1, 0.5, 0.4, 1.0, 0.6 };
        at += 2;
        guard_feed(&g, at, 1 + noise[i % 8], g.level);
    }
    is_int(g.level, GUARD_FULL, "a noisy low lag: back to the full ladder");
    is_int((int)g.failed, 0, "  no failed probe");

    /* max_lag small: the margin is at least 0.5 s */
    guard_init(&g, 1, 1);
    at = 0;
    is_int(feed(&g, &at, 20, 0.4, 0.01, -1, 1), 0, "max-lag 1 s: 0.2 s of drift in 40 s: no step");

    costs();
    simulated();

    is_str(guard_level_name(GUARD_PASS), "pass", "level names");
    is_str(guard_level_name(99), "?", "an unknown level");
    return done();
}
