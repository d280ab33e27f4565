/*
 * parse.h: checked parsing of numbers from the command line, key files
 * and records. Never atoi: every function rejects empty strings, trailing
 * garbage, NaN/inf and values outside [min, max].
 *
 * All return 0 and store the value, or AVERROR(EINVAL) for text that is
 * not a number of that form, AVERROR(ERANGE) for one outside the range;
 * *out is untouched on failure.
 */
#ifndef LIVE_PARSE_H
#define LIVE_PARSE_H

#include <stdint.h>

int parse_long(const char *s, long min, long max, long *out);
int parse_int(const char *s, int min, int max, int *out);
int parse_double(const char *s, double min, double max, double *out);

/* A duration: "10", "2.5", "2.5s", "500ms", "1m", "2h", "1h30m", "90us".
 * A bare number is seconds. */
int parse_seconds(const char *s, double min, double max, double *out);

/* A bit rate in bit/s: "1200000", "2800k", "5M", "5.5M" (k = 1000). */
int parse_bitrate(const char *s, int64_t min, int64_t max, int64_t *out);

/* HOST:PORT or :PORT or PORT; "[v6]:port" too. host is written (at most
 * hostsize-1 bytes, "" when absent); port in 1..65535. */
int parse_hostport(const char *s, char *host, unsigned hostsize, int *port);

/* The byte a percent escape "%XX" at s (s[0] == '%') stands for, 0 to
 * 255, or -1 when the two hex digits are not there. The one decoder of
 * escapes for URL paths, queries, forms and RTMP URLs. */
int parse_percent(const char *s);

#endif
