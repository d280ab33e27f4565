/* Unit tests for lib/array.c: doubling from the first size, the contents
 * kept, overflow refused with the array untouched; array_reserve and
 * array_push on int counts. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <libavutil/error.h>

#include "array.h"
#include "tap.h"

int main(void)
{
    int *v = NULL, *before;
    size_t cap = 0, n = 0, grown = 0;
    int good = 1;

    plan(13);
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

    {
        long *a = NULL, *kept;
        int na = 0, capa = 0, pushed = 1;
        for (long x = 0; x < 100; x++)
            pushed &= array_push(&a, &na, &capa, sizeof(*a), 8, &x) == 0;
        ok(pushed && na == 100 && capa == 128, "array_push: 100 in, from 8 doubled to 128");
        pushed = 1;
        for (int i = 0; i < na; i++)
            pushed &= a[i] == i;
        ok(pushed, "in the order pushed");
        is_int(array_reserve(&a, 99, &capa, sizeof(*a), 8), 0, "array_reserve with room: 0");
        is_int(capa, 128, "and the capacity as it was");
        kept = a;
        capa = INT_MAX / 2 + 1;
        na = capa;
        is_int(array_push(&a, &na, &capa, sizeof(*a), 8, &(long){ 1 }), AVERROR(ENOMEM),
               "past INT_MAX: ENOMEM");
        ok(a == kept && na == INT_MAX / 2 + 1 && capa == INT_MAX / 2 + 1, "with nothing changed");
        capa = 0;
        na = 0;
        free(a);
        a = NULL;
        is_int(array_reserve(&a, na, &capa, sizeof(*a), 4) == 0 && a && capa == 4, 1,
               "array_reserve from nothing: the first size");
        free(a);
    }
    return done();
}
