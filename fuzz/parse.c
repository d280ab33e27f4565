/*
 * fuzz/parse.c: libFuzzer target for the checked number parsing
 * (lib/parse.c) that reads command lines, key files and records.
 *
 * Links: lib/parse.c
 *
 * Every parser gets the input as a string; whatever it accepts must lie
 * in the range it was asked for, and a host it returns must fit.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    char host[16], bighost[256];
    double d;
    int64_t b;
    long l;
    int i, port;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    if (parse_long(s, LONG_MIN, LONG_MAX, &l) == 0)
        (void)l;
    if (parse_long(s, -5, 100, &l) == 0 && (l < -5 || l > 100))
        abort();
    if (parse_int(s, 1, 65535, &i) == 0 && (i < 1 || i > 65535))
        abort();
    if (parse_double(s, -1e9, 1e9, &d) == 0 && (!isfinite(d) || d < -1e9 || d > 1e9))
        abort();
    if (parse_seconds(s, 0.001, 86400, &d) == 0 && (!isfinite(d) || d < 0.001 || d > 86400))
        abort();
    if (parse_bitrate(s, 1000, INT64_C(10000000000), &b) == 0 &&
        (b < 1000 || b > INT64_C(10000000000)))
        abort();
    port = 0;
    if (parse_hostport(s, host, sizeof(host), &port) == 0 &&
        (port < 1 || port > 65535 || strlen(host) >= sizeof(host)))
        abort();
    if (parse_hostport(s, bighost, sizeof(bighost), &port) == 0 &&
        (port < 1 || port > 65535 || strlen(bighost) >= sizeof(bighost)))
        abort();
    free(s);
    return 0;
}
