/*
 * fuzz/http.c: libFuzzer target for the request headers live-serve parses
 * itself (lib/http.c): Range and If-Modified-Since style HTTP dates. The
 * rest of HTTP is libmicrohttpd's.
 *
 * Links: lib/http.c lib/log.c lib/metrics.c lib/path.c lib/clock.c lib/parse.c lib/sock.c
 *
 * A range accepted for a file of size N lies inside it; an unsatisfiable
 * one is only reported when it is; a date that parses formats back to a
 * string that parses to the same time, and every formatted time parses.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t sizes[] = { 0, 1, 2, 1000, 1 << 20, UINT64_MAX - 1, UINT64_MAX };
    char *s = malloc(size + 1), buf[64];
    uint64_t first, last;
    double t;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
        int ret = http_parse_range(s, sizes[i], &first, &last);
        if (ret == 1 && (sizes[i] == 0 || first > last || last >= sizes[i]))
            abort();
        if (ret != 1 && ret != 0 && ret != AVERROR(ERANGE))
            abort();
    }

    /* Dates before 1970 parse to negative times (one of them to -1, which
     * reads as "no date": harmless for If-Modified-Since). Up to year
     * 9999, what parses formats back to itself. */
    t = http_parse_date(s);
    if (t >= 0 && t < 253402300800.0) {
        http_format_date(t, buf, sizeof(buf));
        if (http_parse_date(buf) != t)
            abort();
    }
    if (size >= 4) {
        uint32_t secs;
        memcpy(&secs, data, 4);
        http_format_date(secs, buf, sizeof(buf));
        if (http_parse_date(buf) != (double)secs)
            abort();
    }
    free(s);
    return 0;
}
