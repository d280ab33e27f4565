/* Unit tests for lib/http.c's pure helpers (Range, HTTP dates) and
 * lib/metrics.c's rendering. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "http.h"
#include "metrics.h"
#include "tap.h"

static void range(const char *v, uint64_t size, int want, uint64_t wa, uint64_t wb)
{
    uint64_t a = 0, b = 0;
    int r = http_parse_range(v, size, &a, &b);
    if (!ok(r == want && (r != 1 || (a == wa && b == wb)), "Range \"%s\" of %llu", v ? v : "(null)",
            (unsigned long long)size))
        diag("  got %d [%llu, %llu]", r, (unsigned long long)a, (unsigned long long)b);
}

int main(void)
{
    char buf[64], *text;
    size_t len;

    range("bytes=0-99", 1000, 1, 0, 99);
    range("bytes=10-", 1000, 1, 10, 999);
    range("bytes=-100", 1000, 1, 900, 999);
    range("bytes=-5000", 1000, 1, 0, 999);
    range("bytes=900-5000", 1000, 1, 900, 999);
    range("bytes=999-999", 1000, 1, 999, 999);
    range("BYTES=1-2", 1000, 1, 1, 2);
    range("bytes=1000-", 1000, AVERROR(ERANGE), 0, 0);
    range("bytes=-0", 1000, AVERROR(ERANGE), 0, 0);
    range("bytes=0-", 0, AVERROR(ERANGE), 0, 0);
    range("bytes=5-1", 1000, 0, 0, 0);
    range("bytes=0-1,5-6", 1000, 0, 0, 0);
    range("items=0-1", 1000, 0, 0, 0);
    range("bytes=a-b", 1000, 0, 0, 0);
    range("bytes=1-2x", 1000, 0, 0, 0);
    range("bytes=99999999999999999999999-", 1000, 0, 0, 0);
    range("", 1000, 0, 0, 0);
    range(NULL, 1000, 0, 0, 0);

    http_format_date(784111777, buf, sizeof(buf));
    is_str(buf, "Sun, 06 Nov 1994 08:49:37 GMT", "IMF-fixdate");
    is_dbl(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777, 0, "parse it back");
    is_dbl(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT"), -1, 0, "obsolete form refused");
    is_dbl(http_parse_date("garbage"), -1, 0, "garbage refused");

    metrics_response(200, 1000);
    metrics_response(200, 500);
    metrics_response(404, 10);
    metrics_cache_hit();
    metrics_waiting(3);
    metrics_waiting(-1);
    metrics_set_streams(2, 1);
    is_int(metrics_requests(200), 2, "two 200s counted");
    is_int(metrics_waiting_now(), 2, "waiting gauge");
    ok(metrics_render(&text, &len) == 0 && len == strlen(text), "render");
    ok(strstr(text, "live_serve_requests_total{code=\"200\"} 2\n") != NULL, "requests by status");
    ok(strstr(text, "live_serve_requests_total{code=\"404\"} 1\n") != NULL, "404s");
    ok(strstr(text, "live_serve_sent_bytes_total 1510\n") != NULL, "bytes");
    ok(strstr(text, "live_serve_cache_hits_total 1\n") != NULL, "cache hits");
    ok(strstr(text, "live_serve_waiting_requests 2\n") != NULL, "waiting");
    ok(strstr(text, "live_serve_streams{state=\"live\"} 2\n") != NULL, "live streams");
    ok(strstr(text, "# TYPE live_serve_requests_total counter\n") != NULL, "TYPE lines");
    free(text);
    return done();
}
