/* Unit tests for the reorder decision of lib/package.c. */
#include "package.h"
#include "tap.h"

int main(void)
{
    plan(8);
    is_int(package_gaps_due(5, -1, 100, 30, 0), 0, "nothing pending: no gap");
    is_int(package_gaps_due(5, 5, 100, 30, 0), 0, "the next one is there: publish, no gap");
    is_int(package_gaps_due(5, 6, 29.9, 30, 0), 0, "6 waits for 5 until the timeout");
    is_int(package_gaps_due(5, 6, 30, 30, 0), 1, "after the timeout 5 is a gap");
    is_int(package_gaps_due(5, 9, 31, 30, 0), 4, "5..8 all become gaps at once");
    is_int(package_gaps_due(5, 9, 0, 30, 1), 4, "input ended: gaps at once");
    is_int(package_gaps_due(5, 3, 100, 30, 0), 0, "an old record never makes a gap");
    is_int(package_gaps_due(0, 1, 0, 0, 0), 1, "-t 0: no waiting");
    return done();
}
