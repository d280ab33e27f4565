/*
 * array.c: doubling growth of arrays. See array.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

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

int array_reserve(void *parr, int n, int *cap, size_t elsize, size_t first)
{
    size_t ncap;

    if (n < *cap)
        return 0;
    if (*cap < 0 || (size_t)*cap >= INT_MAX / 2 + 1 ||
        !(ncap = array_grow(parr, (size_t)*cap, elsize, first)))
        return AVERROR(ENOMEM);
    *cap = (int)ncap;
    return 0;
}

int array_push(void *parr, int *n, int *cap, size_t elsize, size_t first, const void *elem)
{
    char *p;
    int ret;

    if ((ret = array_reserve(parr, *n, cap, elsize, first)) < 0)
        return ret;
    memcpy(&p, parr, sizeof(p));
    memcpy(p + (size_t)*n * elsize, elem, elsize);
    (*n)++;
    return 0;
}
