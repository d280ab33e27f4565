/*
 * array.c: doubling growth of arrays. See array.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

size_t array_grow(void *parr, size_t cap, size_t elsize, size_t first)
{
    size_t ncap = cap ? cap * 2 : first;
    void *p;

    if (!elsize || ncap <= cap || ncap > SIZE_MAX / elsize)
        return 0;
    memcpy(&p, parr, sizeof(p));   /* parr points to a T *, for any T */
    if (!(p = realloc(p, ncap * elsize)))
        return 0;
    memcpy(parr, &p, sizeof(p));
    return ncap;
}
