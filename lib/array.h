/*
 * array.h: the one way a growing array grows. Every array of the toolkit
 * that is appended to one element at a time doubles its capacity when it
 * is full, starting from a first size that suits it.
 */
#ifndef LIVE_ARRAY_H
#define LIVE_ARRAY_H

#include <stddef.h>

/*
 * Grow the array *parr (a pointer to the array pointer, e.g. &v) of
 * elsize-byte elements from cap elements to twice that, or to first when
 * cap is 0. Returns the new capacity, or 0 when out of memory or on
 * overflow (then *parr is untouched and still owned by the caller).
 */
size_t array_grow(void *parr, size_t cap, size_t elsize, size_t first);

/*
 * Room for one more element in the array *parr of n elements and *cap
 * capacity (an int count, as most arrays here keep): grown by array_grow
 * when n == *cap. 0, or AVERROR(ENOMEM) (also when the capacity would
 * pass INT_MAX) with *parr and *cap untouched.
 */
int array_reserve(void *parr, int n, int *cap, size_t elsize, size_t first);

/* Append the elsize bytes at elem: array_reserve, copy, ++*n. 0 or
 * AVERROR(ENOMEM) with nothing changed. */
int array_push(void *parr, int *n, int *cap, size_t elsize, size_t first, const void *elem);

#endif
