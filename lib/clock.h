/*
 * clock.h: the clocks, in the units the toolkit uses. Wall-clock time for
 * what is stored or shown (the db's times, the MPD's availability, /time,
 * session expiry); monotonic time for deadlines and durations, which must
 * not jump when the wall clock is set.
 */
#ifndef LIVE_CLOCK_H
#define LIVE_CLOCK_H

#include <stdint.h>

/* Unix time in seconds (CLOCK_REALTIME). */
double clock_real(void);
/* Seconds on CLOCK_MONOTONIC (from an unspecified start). */
double clock_mono(void);
/* CPU seconds the process has used, every thread (CLOCK_PROCESS_CPUTIME_ID). */
double clock_cpu(void);
/* Milliseconds on CLOCK_MONOTONIC. */
int64_t clock_mono_ms(void);
/* The same in microseconds. */
int64_t clock_mono_us(void);

#endif
