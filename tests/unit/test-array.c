/* Unit tests for lib/array.c: doubling from the first size, the contents
 * kept, overflow refused with the array untouched. */
#include <stdint.h>
#include <stdlib.h>

#include "array.h"
#include "tap.h"

int main(void)
{
    int *v = NULL, *before;
    size_t cap = 0, n = 0, grown = 0;
    int good = 1;

    plan(6);
    is_int(cap = array_grow(&v, 0, sizeof(*v), 16), 16, "from nothing to the first size");
    ok(v != NULL, "allocated");
    for (n = 0; n < 1000; n++) {
        if (n == cap) {
            size_t ncap = array_grow(&v, cap, sizeof(*v), 16);
            if (ncap != 2 * cap)
                good = 0;
            cap = ncap;
            grown++;
        }
        v[n] = (int)n;
    }
    for (n = 0; n < 1000; n++)
        good &= v[n] == (int)n;
    ok(good, "doubles each time, contents kept");
    is_int(grown, 6, "16 -> 1024 in six steps");
    before = v;
    is_int(array_grow(&v, SIZE_MAX / 2 + 1, sizeof(*v), 16), 0, "overflow: 0");
    ok(v == before, "and the array untouched");
    free(v);
    return done();
}
