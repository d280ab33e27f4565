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

/* ---- the cost model ------------------------------------------------ */

#define EWMA 0.3    /* weight of a new sample in the running costs and cores */
#define LEARN 3     /* segments that learn a level's relative cost */
#define PEAK_DECAY 0.95 /* of the most cores lately, each segment */

static const double ratios[GUARD_LEVELS] = {
    1, GUARD_RATIO_FASTER, GUARD_RATIO_PASS, GUARD_RATIO_DROP, GUARD_RATIO_DROP,
};

static int is_same(const Guard *g, int level)
{
    return level > 0 && level < GUARD_LEVELS && (g->same >> level & 1);
}

/* The least degraded level that does the same as level. */
static int canon(const Guard *g, int level)
{
    while (is_same(g, level))
        level--;
    return level;
}

/* The next level down from level that does something more (-1: none);
 * the next one up (-1 above full). */
static int next_down(const Guard *g, int level)
{
    int l = level + 1;
    while (l < GUARD_LEVELS && is_same(g, l))
        l++;
    return l < GUARD_LEVELS ? l : -1;
}

static int next_up(const Guard *g, int level)
{
    return level > 0 ? canon(g, level - 1) : -1;
}

static int measured(const Guard *g, int level)
{
    return g->rel[level] > 0;
}

/* Whether level costs so little beside the others (it encodes nothing,
 * or almost: only the source passed through) that its CPU time says
 * nothing of what the content costs. */
static int tiny(const Guard *g, int level)
{
    double most = 0;
    int l;

    for (l = 0; l < GUARD_LEVELS; l++)
        most = g->rel[l] > most ? g->rel[l] : most;
    return g->rel[level] < GUARD_TINY * most;
}

/* The relative cost of level: measured, else guessed from the nearest
 * measured level above it, else below it (0: nothing measured). */
static double rel_cost(const Guard *g, int level)
{
    double f = 1;
    int l;

    level = canon(g, level);
    if (measured(g, level))
        return g->rel[level];
    for (l = level; l > 0; l--) {
        f *= is_same(g, l) ? 1 : ratios[l];
        if (measured(g, l - 1))
            return g->rel[l - 1] * f;
    }
    for (f = 1, l = level + 1; l < GUARD_LEVELS; l++) {
        f *= is_same(g, l) ? 1 : ratios[l];
        if (measured(g, l))
            return g->rel[l] / f;
    }
    return 0;
}

void guard_cost(Guard *g, int level, double media, double cpu, double cores, int mixed)
{
    double x;

    if (level < 0 || level >= GUARD_LEVELS || media <= 0 || cpu <= 0)
        return;
    level = canon(g, level);
    x = cpu / media;
    if (cores > 0) {
        g->cores = g->cores > 0 ? (1 - EWMA) * g->cores + EWMA * cores : cores;
        g->peak = cores > g->peak * PEAK_DECAY ? cores : g->peak * PEAK_DECAY;
    }
    if (g->scale <= 0) {
        /* the first segment: its level is the unit */
        g->scale = x;
        g->rel[level] = 1;
        g->measured[level] = 1;
        g->mixed[level] = mixed;
    } else if (g->rel[level] <= 0 || (g->mixed[level] && !mixed)) {
        /* a level's first measure (a clean one replaces a shared one) */
        g->rel[level] = x / g->scale;
        g->measured[level] = 1;
        g->mixed[level] = mixed;
    } else if (mixed && !g->mixed[level]) {
        /* a share of what other levels cost too: not this level's */
    } else if (g->measured[level] < LEARN) {
        g->rel[level] = (g->rel[level] * g->measured[level] + x / g->scale) /
                        (g->measured[level] + 1);
        g->measured[level]++;
    } else if (!tiny(g, level)) {
        /* a known level: what changed is the content (or the machine's
         * speed), which every level shares */
        g->scale = (1 - EWMA) * g->scale + EWMA * x / g->rel[level];
    }
}

static double rate_on(const Guard *g, int level, double cores)
{
    double c;

    if (level < 0 || level >= GUARD_LEVELS || cores <= 0 || g->scale <= 0)
        return 0;
    c = rel_cost(g, level);
    return c > 0 ? cores / (g->scale * c) : 0;
}

double guard_rate(const Guard *g, int level)
{
    return rate_on(g, level, g->cores);
}

double guard_rate_up(const Guard *g, int level)
{
    return rate_on(g, level, g->peak > g->cores ? g->peak : g->cores);
}

void guard_same(Guard *g, int level, int same)
{
    if (level <= 0 || level >= GUARD_LEVELS)
        return;
    if (same)
        g->same |= 1u << level;
    else
        g->same &= ~(1u << level);
}

/* Where a step down goes: the least degraded level below this one
 * predicted to run at GUARD_NEED_DOWN x real time, not past one that was
 * never measured (it is tried first), else the last one. */
static int pick_down(const Guard *g)
{
    int l = g->level, d;
    double r;

    while ((d = next_down(g, l)) >= 0) {
        l = d;
        r = guard_rate(g, l);
        if (!measured(g, l) || r <= 0 || r >= GUARD_NEED_DOWN)
            break;
    }
    return l;
}

/* ---- the steps ------------------------------------------------------ */

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
    /* its relative cost learned again on its next segments (the content
     * may have changed since) */
    if (g->measured[level] > 1)
        g->measured[level] = 1;
}

int guard_feed(Guard *g, double at, double lag, int planned)
{
    double prev = g->lag, end, rate, margin = g->max_lag / 6 > 0.5 ? g->max_lag / 6 : 0.5;
    int rising, growing, slow, known, up;

    g->lag = lag;
    if (is_same(g, g->level)) {
        /* this level turned out to do nothing more than the one above
         * (the source changed): up to that one at once, no probe (the
         * work is the same) */
        g->level = canon(g, g->level);
        g->up++;
        return 1;
    }
    planned = canon(g, planned);
    if (planned < g->level && lag > g->max_lag && lag > g->step_lag + g->max_lag / 2 &&
        next_down(g, g->level) >= 0) {
        /* far behind and still falling back fast while the segments
         * planned before the last step come out: the step was not
         * enough, do not wait for them all */
        step(g, pick_down(g));
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
    /* the level measured too slow (on segments of its own): the lag
     * will grow, do not wait for it; measured fast enough: a trend
     * under the limit is noise (a busy machine), only the limit counts */
    rate = guard_rate(g, g->level);
    known = g->rel[g->level] > 0 && !g->mixed[g->level] && rate > 0;
    slow = known && g->seen >= g->smooth && rate < GUARD_SLOW && (prev < 0 || lag >= prev);
    if (known && rate >= GUARD_NEED_DOWN)
        growing = 0;
    if (next_down(g, g->level) >= 0 && ((lag > g->max_lag && rising) || growing || slow)) {
        step(g, pick_down(g));
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
    /* up when calm, and the level above is predicted to keep up with a
     * margin (or after the longest calm, whatever the prediction: the
     * cores may be more than the cheap level could show) */
    up = next_up(g, g->level);
    rate = guard_rate_up(g, up);
    if (up >= 0 && !g->probing && g->calm >= g->hold &&
        (rate <= 0 || rate >= GUARD_NEED_UP || g->calm >= GUARD_HOLD_MAX)) {
        step(g, up);
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
