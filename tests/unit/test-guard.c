/* Unit tests for lib/guard.c: the load guard's steps. */
#include "guard.h"
#include "tap.h"

int main(void)
{
    Guard g;
    int i, r;

    guard_init(&g, 6, 1);
    is_int(g.level, GUARD_FULL, "starts at the full ladder");
    is_int(guard_feed(&g, 2, GUARD_FULL), 0, "under the limit: no step");
    is_int(guard_feed(&g, 7, GUARD_FULL), -1, "over the limit and rising: a step down");
    is_int(g.level, GUARD_FASTER, "  to faster");
    is_int(guard_feed(&g, 9, GUARD_FULL), 0, "a segment begun before the step does not count");
    is_int(guard_feed(&g, 8, GUARD_FASTER), 0, "over the limit but falling: no further step");
    is_int(guard_feed(&g, 8.5, GUARD_FASTER), -1, "over the limit and rising again: a step down");
    is_int(g.level, GUARD_PASS, "  to pass");
    for (i = 0; i < 10; i++)
        guard_feed(&g, 20 + i, g.level);
    is_int(g.level, GUARD_DROP2, "never below the last level");
    is_int((int)g.down, 4, "four steps down counted");
    /* calm: jobs + 3 = 4 segments under 3 s, then one step up each time */
    r = 0;
    for (i = 0; i < 3; i++)
        r |= guard_feed(&g, 1, GUARD_DROP2);
    is_int(r, 0, "three calm segments: no step yet");
    is_int(guard_feed(&g, 1, GUARD_DROP2), 1, "the fourth: a step up");
    is_int(g.level, GUARD_DROP1, "  to drop1");
    is_int(guard_feed(&g, 1, GUARD_DROP2), 0, "a segment begun at the old level does not count");
    for (i = 0; i < 40; i++)
        guard_feed(&g, 1, g.level);
    is_int(g.level, GUARD_FULL, "back to the full ladder");
    is_int((int)g.up, 4, "four steps up counted");
    guard_feed(&g, 4, GUARD_FULL);
    guard_feed(&g, 1, GUARD_FULL);
    is_int(g.calm, 1, "a lag between half the limit and the limit breaks the calm");
    is_str(guard_level_name(GUARD_PASS), "pass", "level names");
    is_str(guard_level_name(99), "?", "an unknown level");
    return done();
}
