/*
 * parse.c: range-checked number, duration and bit-rate parsing. See parse.h.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "parse.h"

int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (!s || !*s || isspace((unsigned char)*s))
        return AVERROR(EINVAL);
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end)
        return AVERROR(EINVAL);
    if (errno == ERANGE || v < min || v > max)
        return AVERROR(ERANGE);
    *out = v;
    return 0;
}

int parse_int(const char *s, int min, int max, int *out)
{
    long v;
    int ret = parse_long(s, min, max, &v);
    if (ret < 0)
        return ret;
    *out = (int)v;
    return 0;
}

/* strtod without hex floats, inf or nan: digits, one dot, optional exponent. */
static int scan_decimal(const char *s, double *v, const char **end)
{
    const char *p = s;
    char *e;

    if (*p == '-' || *p == '+')
        p++;
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
        return AVERROR(EINVAL);
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        return AVERROR(EINVAL);
    errno = 0;
    *v = strtod(s, &e);
    if (e == s)
        return AVERROR(EINVAL);
    if (errno == ERANGE || !isfinite(*v))
        return AVERROR(ERANGE);
    *end = e;
    return 0;
}

int parse_double(const char *s, double min, double max, double *out)
{
    const char *end;
    double v;
    int ret;

    if (!s || !*s)
        return AVERROR(EINVAL);
    if ((ret = scan_decimal(s, &v, &end)) < 0)
        return ret;
    if (*end)
        return AVERROR(EINVAL);
    if (v < min || v > max)
        return AVERROR(ERANGE);
    *out = v;
    return 0;
}

int parse_seconds(const char *s, double min, double max, double *out)
{
    const char *p = s;
    double total = 0;
    int parts = 0;

    if (!s || !*s)
        return AVERROR(EINVAL);
    while (*p) {
        const char *end;
        double v, unit;
        int ret;

        if ((ret = scan_decimal(p, &v, &end)) < 0)
            return ret;
        if (v < 0)
            return AVERROR(ERANGE);
        p = end;
        if (!strncmp(p, "ms", 2)) {
            unit = 1e-3;
            p += 2;
        } else if (!strncmp(p, "us", 2)) {
            unit = 1e-6;
            p += 2;
        } else if (*p == 's') {
            unit = 1;
            p++;
        } else if (*p == 'm') {
            unit = 60;
            p++;
        } else if (*p == 'h') {
            unit = 3600;
            p++;
        } else if (!*p && parts == 0) {
            unit = 1;
        } else {
            return AVERROR(EINVAL);
        }
        total += v * unit;
        parts++;
    }
    if (!isfinite(total))
        return AVERROR(ERANGE);
    if (total < min || total > max)
        return AVERROR(ERANGE);
    *out = total;
    return 0;
}

int parse_bitrate(const char *s, int64_t min, int64_t max, int64_t *out)
{
    const char *end;
    double v, mult = 1;
    int ret;

    if (!s || !*s)
        return AVERROR(EINVAL);
    if ((ret = scan_decimal(s, &v, &end)) < 0)
        return ret;
    if (*end == 'k' || *end == 'K')
        mult = 1e3, end++;
    else if (*end == 'M')
        mult = 1e6, end++;
    else if (*end == 'G')
        mult = 1e9, end++;
    if (*end)
        return AVERROR(EINVAL);
    v *= mult;
    if (v < (double)min || v > (double)max)
        return AVERROR(ERANGE);
    *out = (int64_t)llround(v);
    return 0;
}

int parse_hostport(const char *s, char *host, unsigned hostsize, int *port)
{
    const char *h, *hend, *portstr, *colon;

    if (!s || !*s || hostsize == 0)
        return AVERROR(EINVAL);
    if (*s == '[') {
        hend = strchr(s, ']');
        if (!hend || hend[1] != ':')
            return AVERROR(EINVAL);
        h = s + 1;
        portstr = hend + 2;
    } else if ((colon = strrchr(s, ':'))) {
        h = s;
        hend = colon;
        portstr = colon + 1;
    } else {
        h = hend = s; /* the whole string is the port */
        portstr = s;
    }
    if ((size_t)(hend - h) >= hostsize)
        return AVERROR(ERANGE);
    if (parse_int(portstr, 1, 65535, port) < 0)
        return AVERROR(EINVAL);
    memcpy(host, h, hend - h);
    host[hend - h] = '\0';
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int parse_percent(const char *s)
{
    int hi = hexval((unsigned char)s[1]), lo;

    if (hi < 0)
        return -1;
    lo = hexval((unsigned char)s[2]);
    if (lo < 0)
        return -1;
    return hi << 4 | lo;
}
