/* Unit tests for lib/clock.c: the wall clock is unix time, the monotonic
 * clocks do not go back and agree with each other. */
#include <time.h>

#include "clock.h"
#include "tap.h"

int main(void)
{
    double r = clock_real(), m1 = clock_mono(), m2;
    time_t t = time(NULL);
    int64_t ms1 = clock_mono_ms(), ms2;

    int64_t us1 = clock_mono_us(), us2;

    plan(6);
    ok(r > t - 2 && r < t + 2, "clock_real is unix time (%.3f, %lld)", r, (long long)t);
    m2 = clock_mono();
    ms2 = clock_mono_ms();
    ok(m2 >= m1, "clock_mono does not go back");
    ok(ms2 >= ms1, "clock_mono_ms does not go back");
    ok(ms2 / 1000.0 >= m1 - 1 && ms2 / 1000.0 <= clock_mono() + 1,
       "both monotonic clocks count from the same start");
    us2 = clock_mono_us();
    ok(us2 >= us1, "clock_mono_us does not go back");
    ok(us2 / 1000 >= ms1 - 1 && us2 / 1000 <= clock_mono_ms() + 1, "and counts the milliseconds' microseconds");
    return done();
}
