/* Unit tests for lib/ratelimit.c: bursts, refill over time, taking from
 * several buckets or none, filling, independent keys and kinds. */
#include <libavutil/error.h>

#include "ratelimit.h"
#include "tap.h"

int main(void)
{
    RateLimit *rl = NULL;
    RateLimitKey user = { 'u', "alice", 3, 10 }, ip = { 'i', "192.0.2.1", 2, 5 };
    RateLimitKey both[2] = { user, ip }, other = { 'u', "bob", 3, 10 };
    RateLimitKey same_id_other_kind = { 'i', "alice", 3, 10 }, none = { 'i', NULL, 1, 1 };
    double t = 1000, wait = -1;
    int i, ret;

    plan(17);
    is_int(ratelimit_new(&rl), 0, "new");
    for (i = 0, ret = 0; i < 3 && ret == 0; i++)
        ret = ratelimit_take(rl, &user, 1, t, &wait);
    is_int(ret, 0, "a full bucket gives its burst");
    is_int(ratelimit_take(rl, &user, 1, t, &wait), AVERROR(EAGAIN), "then it is empty");
    ok(wait > 9.99 && wait <= 10, "wait is one period (%g)", wait);
    is_int(ratelimit_take(rl, &user, 1, t + 5, &wait), AVERROR(EAGAIN), "half a period: still empty");
    ok(wait > 4.99 && wait <= 5, "wait is the rest of the period (%g)", wait);
    is_int(ratelimit_take(rl, &user, 1, t + 10, &wait), 0, "one period later: one token");
    is_int(wait, 0, "no wait");
    is_int(ratelimit_take(rl, &other, 1, t + 10, &wait), 0, "another name has its own bucket");
    is_int(ratelimit_take(rl, &same_id_other_kind, 1, t + 10, &wait), 0,
           "the same string of another kind too");

    /* two buckets: the user's is empty, so the address's is not touched */
    is_int(ratelimit_take(rl, both, 2, t + 10, &wait), AVERROR(EAGAIN), "both: one is empty");
    ratelimit_fill(rl, &user, t + 10);
    is_int(ratelimit_take(rl, both, 2, t + 10, &wait), 0, "filled: both give");
    is_int(ratelimit_take(rl, both, 2, t + 10, &wait), 0, "the address's second token");
    is_int(ratelimit_take(rl, both, 2, t + 10, &wait), AVERROR(EAGAIN), "the address is empty");
    ok(wait > 4.99 && wait <= 5, "the longest wait is the address's (%g)", wait);
    is_int(ratelimit_take(rl, &none, 1, t + 10, &wait), 0, "a key without id is skipped");
    ratelimit_free(&rl);
    ok(!rl, "free clears the pointer");
    ratelimit_free(&rl);
    return done();
}
