/*
 * guard.c: the load guard's controller. See guard.h; tcrun.c feeds it and
 * turns its level into TranscodeSteps.
 */
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
    *g = (Guard){ 0 };
    g->max_lag = max_lag;
    g->calm_needed = (jobs > 0 ? jobs : 1) + 3;
    g->lag = -1;
}

int guard_feed(Guard *g, double lag, int planned)
{
    int rising = g->lag < 0 || lag >= g->lag;

    g->lag = lag;
    if (planned != g->level)
        return 0;
    if (lag < g->max_lag / 2)
        g->calm++;
    else
        g->calm = 0;
    if (lag > g->max_lag && rising && g->level < GUARD_LEVELS - 1) {
        g->level++;
        g->down++;
        g->calm = 0;
        return -1;
    }
    if (g->calm >= g->calm_needed && g->level > GUARD_FULL) {
        g->level--;
        g->up++;
        g->calm = 0;
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
