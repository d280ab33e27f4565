/*
 * guard.c: the load guard's controller. See guard.h; tcrun.c feeds it and
 * turns its level into TranscodeSteps.
 */
#include <string.h>

#include "guard.h"

static const char *const names[GUARD_LEVELS] = { "full", "faster", "pass", "drop1", "drop2" };
static const char *const whats[GUARD_LEVELS] = {
    "the full ladder",
    "faster encoding (less motion search and analysis, same parameter sets)",
    "faster encoding, the source passed through as the top rung",
    "faster encoding, source passed through, the costliest encoded rung left out",
    "faster encoding, source passed through, the two costliest encoded rungs left out",
};

void guard_init(Guard *g, double max_lag, int jobs)
{
    if (jobs < 1)
        jobs = 1;
    memset(g, 0, sizeof(*g));
    g->max_lag = max_lag;
    g->window = 2 * jobs + 2 < GUARD_WINDOW_MAX ? 2 * jobs + 2 : GUARD_WINDOW_MAX;
    g->smooth = jobs < GUARD_WINDOW_MAX / 2 ? jobs : GUARD_WINDOW_MAX / 2;
    g->hold_base = jobs + 3 < GUARD_HOLD_MAX ? jobs + 3 : GUARD_HOLD_MAX;
    g->hold = g->hold_base;
    g->lag = -1;
    g->floor = -1;
}

/* The least-squares slope of the window's lags over their media times,
 * both as running means of g->smooth segments (0 with fewer than 3 such
 * means or no spread in time), and the fitted lag at the last one in
 * *end. */
static double fit(const Guard *g, double *end)
{
    double a[GUARD_WINDOW_MAX], l[GUARD_WINDOW_MAX];
    double ma = 0, ml = 0, sxx = 0, sxy = 0, slope, lo, hi;
    int i, j, k = g->smooth, m = g->n - g->smooth + 1;

    *end = g->n > 0 ? g->lags[g->n - 1] : 0;
    if (m < 3)
        return 0;
    for (i = 0; i < m; i++) {
        a[i] = l[i] = 0;
        for (j = i; j < i + k; j++) {
            a[i] += g->at[j] / k;
            l[i] += g->lags[j] / k;
        }
        ma += a[i] / m;
        ml += l[i] / m;
    }
    for (i = 0; i < m; i++) {
        sxx += (a[i] - ma) * (a[i] - ma);
        sxy += (a[i] - ma) * (l[i] - ml);
    }
    if (sxx <= 1e-9)
        return 0;
    slope = sxy / sxx;
    /* the fitted lag, kept within the lags seen (a steep fit across a
     * drained backlog would put it far below them) */
    *end = ml + slope * (g->at[g->n - 1] - ma);
    for (i = 0, lo = hi = g->lags[0]; i < g->n; i++) {
        lo = g->lags[i] < lo ? g->lags[i] : lo;
        hi = g->lags[i] > hi ? g->lags[i] : hi;
    }
    *end = *end < lo ? lo : *end > hi ? hi : *end;
    return slope;
}

/* A step to level: the window and the calm start afresh. */
static void step(Guard *g, int level)
{
    if (level < g->level) {
        g->up++;
        g->probing = 1;
    } else {
        g->down++;
        g->step_lag = g->lag;
        if (g->probing) {
            /* the level stepped up to did not hold: wait longer next time */
            g->failed++;
            g->hold = 2 * g->hold < GUARD_HOLD_MAX ? 2 * g->hold : GUARD_HOLD_MAX;
        }
        g->probing = 0;
    }
    /* a step up keeps the floor of the level it leaves: the lag the
     * probe is judged against; a step down waits for a window of the
     * new level */
    if (level > g->level)
        g->floor = -1;
    else if (g->floor < 0)
        g->floor = g->lag;
    g->level = level;
    g->calm = g->seen = g->n = 0;
}

int guard_feed(Guard *g, double at, double lag, int planned)
{
    double prev = g->lag, end, margin = g->max_lag / 6 > 0.5 ? g->max_lag / 6 : 0.5;
    int rising, growing;

    g->lag = lag;
    if (planned < g->level && lag > g->max_lag && lag > g->step_lag + g->max_lag / 2 &&
        g->level < GUARD_LEVELS - 1) {
        /* far behind and still falling back fast while the segments
         * planned before the last step come out: the step was not
         * enough, do not wait for them all */
        step(g, g->level + 1);
        return -1;
    }
    if (planned != g->level)
        return 0;
    if (g->n == g->window) {
        memmove(g->at, g->at + 1, (size_t)(g->n - 1) * sizeof(*g->at));
        memmove(g->lags, g->lags + 1, (size_t)(g->n - 1) * sizeof(*g->lags));
        g->n--;
    }
    g->at[g->n] = at;
    g->lags[g->n] = lag;
    g->n++;
    g->seen++;
    g->trend = fit(g, &end);
    /* the lowest the (fitted) lag has been at this level, once the
     * window holds only segments of it (a step moves the lag's level
     * within the first window: that is no drift) */
    if ((g->seen >= g->window || (g->probing && g->n >= g->smooth + 2)) && (g->floor < 0 || end < g->floor))
        g->floor = end;

    rising = (prev < 0 || lag >= prev) && g->trend >= 0;
    growing = (g->n == g->window || (g->probing && g->n >= g->smooth + 2)) && g->trend > GUARD_RISING &&
              g->floor >= 0 &&
              end > g->floor + margin;
    if (g->level < GUARD_LEVELS - 1 && ((lag > g->max_lag && rising) || growing)) {
        step(g, g->level + 1);
        return -1;
    }
    /* calm: under half the limit and not beginning to grow (a rising
     * trend alone is noise while the lag stays near its floor) */
    if (lag < g->max_lag / 2 &&
        !(g->trend > GUARD_RISING && (g->floor < 0 || end > g->floor + margin / 2)))
        g->calm++;
    else
        g->calm = 0;
    if (g->probing && g->seen >= g->hold && g->seen >= g->window) {
        /* the level stepped up to held */
        g->probing = 0;
        g->hold = g->hold / 2 > g->hold_base ? g->hold / 2 : g->hold_base;
    }
    if (g->level > GUARD_FULL && !g->probing && g->calm >= g->hold) {
        step(g, g->level - 1);
        return 1;
    }
    return 0;
}

const char *guard_level_name(int level)
{
    return level >= 0 && level < GUARD_LEVELS ? names[level] : "?";
}

const char *guard_level_what(int level)
{
    return level >= 0 && level < GUARD_LEVELS ? whats[level] : "?";
}
