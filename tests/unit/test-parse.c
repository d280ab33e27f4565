/* Unit tests for lib/parse.c. */
#include <libavutil/error.h>

#include "parse.h"
#include "tap.h"

int main(void)
{
    long l;
    int i, port;
    double d;
    int64_t b;
    char host[64];

    is_int(parse_long("42", 0, 100, &l), 0, "parse_long accepts 42");
    is_int(l, 42, "parse_long value");
    is_int(parse_long("101", 0, 100, &l), AVERROR(ERANGE), "parse_long range");
    is_int(parse_long("12x", 0, 100, &l), AVERROR(EINVAL), "parse_long trailing garbage");
    is_int(parse_long("", 0, 100, &l), AVERROR(EINVAL), "parse_long empty");
    is_int(parse_long(" 1", 0, 100, &l), AVERROR(EINVAL), "parse_long leading space");
    is_int(parse_long("99999999999999999999999", 0, 100, &l), AVERROR(ERANGE), "parse_long overflow");
    is_int(parse_int("-3", -5, 5, &i), 0, "parse_int negative");
    is_int(i, -3, "parse_int value");

    is_int(parse_double("2.5", 0, 10, &d), 0, "parse_double 2.5");
    is_dbl(d, 2.5, 1e-12, "parse_double value");
    is_int(parse_double("nan", 0, 10, &d), AVERROR(EINVAL), "parse_double rejects nan");
    is_int(parse_double("inf", 0, 10, &d), AVERROR(EINVAL), "parse_double rejects inf");
    is_int(parse_double("0x10", 0, 100, &d), AVERROR(EINVAL), "parse_double rejects hex");

    is_int(parse_seconds("10", 0, 1e6, &d), 0, "seconds bare");
    is_dbl(d, 10, 1e-12, "seconds bare value");
    is_int(parse_seconds("500ms", 0, 1e6, &d), 0, "seconds ms");
    is_dbl(d, 0.5, 1e-12, "seconds ms value");
    is_int(parse_seconds("1h30m", 0, 1e6, &d), 0, "seconds h+m");
    is_dbl(d, 5400, 1e-9, "seconds h+m value");
    is_int(parse_seconds("2.5s", 0, 1e6, &d), 0, "seconds with s");
    is_dbl(d, 2.5, 1e-12, "seconds with s value");
    is_int(parse_seconds("10 s", 0, 1e6, &d), AVERROR(EINVAL), "seconds rejects space");
    is_int(parse_seconds("-1", 0, 1e6, &d), AVERROR(ERANGE), "seconds rejects negative");
    is_int(parse_seconds("0", 0.1, 1e6, &d), AVERROR(ERANGE), "seconds below min");
    is_int(parse_seconds("5x", 0, 1e6, &d), AVERROR(EINVAL), "seconds bad unit");

    is_int(parse_bitrate("2800k", 1, 1000000000, &b), 0, "bitrate k");
    is_int(b, 2800000, "bitrate k value");
    is_int(parse_bitrate("5.5M", 1, 1000000000, &b), 0, "bitrate M");
    is_int(b, 5500000, "bitrate M value");
    is_int(parse_bitrate("12kb", 1, 1000000000, &b), AVERROR(EINVAL), "bitrate bad suffix");

    is_int(parse_hostport("127.0.0.1:1935", host, sizeof(host), &port), 0, "hostport v4");
    is_str(host, "127.0.0.1", "hostport host");
    is_int(port, 1935, "hostport port");
    is_int(parse_hostport("[::1]:8080", host, sizeof(host), &port), 0, "hostport v6");
    is_str(host, "::1", "hostport v6 host");
    is_int(parse_hostport("8080", host, sizeof(host), &port), 0, "hostport port only");
    is_str(host, "", "hostport empty host");
    is_int(parse_hostport(":0", host, sizeof(host), &port), AVERROR(EINVAL), "hostport port 0");
    is_int(parse_hostport("h:70000", host, sizeof(host), &port), AVERROR(EINVAL), "hostport port range");
    is_int(parse_percent("%41"), 'A', "percent: %%41");
    is_int(parse_percent("%e9x"), 0xe9, "percent: lower-case hex, the rest ignored");
    is_int(parse_percent("%C3"), 0xc3, "percent: upper-case hex");
    is_int(parse_percent("%00"), 0, "percent: %%00 is 0 (callers refuse it)");
    is_int(parse_percent("%4"), -1, "percent: one digit");
    is_int(parse_percent("%"), -1, "percent: none");
    is_int(parse_percent("%g1"), -1, "percent: not hex");
    return done();
}
