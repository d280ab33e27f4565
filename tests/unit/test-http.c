/* Unit tests for lib/http.c's pure helpers (Range, HTTP dates, the
 * access-log line, trusted proxies) and lib/metrics.c's rendering. */
#include <errno.h>
#include <stdio.h>
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

static void open_range(const char *v, int want, uint64_t wa, uint64_t wb)
{
    uint64_t a = 0, b = 0;
    int r = http_parse_open_range(v, &a, &b);
    if (!ok(r == want && (r != 1 || (a == wa && b == wb)), "open Range \"%s\"", v ? v : "(null)"))
        diag("  got %d [%llu, %llu]", r, (unsigned long long)a, (unsigned long long)b);
}

/* The access-log line: exact for a plain request; bounded, escaped and
 * still ending in its status and user agent for hostile ones. */
static void access_lines(void)
{
    HttpLogEntry e = { .ip = "127.0.0.1", .method = "GET", .target = "/cam1/manifest.mpd",
                       .version = "HTTP/1.1", .status = 200, .bytes = 1234,
                       .user_agent = "curl/7.88", .time = 784111777 };
    char line[HTTP_LOG_LINE_MAX], small[40], *url, *p;
    size_t len;

    len = http_access_line(line, sizeof(line), &e);
    is_str(line, "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET /cam1/manifest.mpd "
           "HTTP/1.1\" 200 1234 \"-\" \"curl/7.88\"\n", "combined format");
    is_int(len, strlen(line), "length returned");

    e.target = "/a\"b\nc\\d\x7f";
    e.user_agent = "x\r\n127.0.0.1 - - forged";
    e.bytes = 0;
    http_access_line(line, sizeof(line), &e);
    is_str(line, "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET /a\\x22b\\x0ac\\x5cd\\x7f "
           "HTTP/1.1\" 200 - \"-\" \"x\\x0d\\x0a127.0.0.1 - - forged\"\n",
           "control characters, quotes and backslashes escaped");

    /* 12,000 bytes of URL (once wrote 4,102 bytes into a 4,096-byte line) */
    url = malloc(12001);
    memset(url, 'a', 12000);
    url[0] = '/';
    url[12000] = '\0';
    e.target = url;
    e.user_agent = "agent";
    len = http_access_line(line, sizeof(line), &e);
    ok(len < sizeof(line) && len == strlen(line), "a 12,000-byte URL: %zu bytes, within the line", len);
    ok(len > 0 && line[len - 1] == '\n' && !memchr(line, '\n', len - 1), "one line");
    p = strstr(line, "... HTTP/1.1\" 200 - \"-\" \"agent\"\n");
    ok(p != NULL, "the URL is cut, the fields after it kept");
    memset(url, '\x01', 12000);
    len = http_access_line(line, sizeof(line), &e);
    ok(len < sizeof(line) && line[len - 1] == '\n', "12,000 escaped bytes: %zu bytes", len);
    e.referer = url;
    e.user_agent = url;
    e.method = url;
    e.version = url;
    e.ip = url;
    len = http_access_line(line, sizeof(line), &e);
    ok(len < sizeof(line) && line[len - 1] == '\n', "every field long: %zu bytes", len);
    for (size_t size = 1; size <= sizeof(small); size++) {
        len = http_access_line(small, size, &e);
        if (!ok(len < size && small[len] == '\0' && (size < 2 || small[len - 1] == '\n'),
                "a %zu-byte buffer", size))
            break;
    }
    free(url);
}

/* The client http_forwarded_client finds in xff from peer. */
static void fwd(const char *xff, const char *peer, const char *want, const HttpNet *nets,
                unsigned n)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", peer);
    http_forwarded_client(xff, nets, n, buf, sizeof(buf));
    is_str(buf, want, "X-Forwarded-For \"%s\" via %s", xff, peer);
}

static void test_trusted(void)
{
    HttpNet nets[3];

    is_int(http_parse_net("127.0.0.1", &nets[0]), 0, "one address");
    is_int(nets[0].bits, 32, "as a /32");
    is_int(http_parse_net("10.0.0.0/8", &nets[1]), 0, "an IPv4 block");
    is_int(http_parse_net("fd00::/16", &nets[2]), 0, "an IPv6 block");
    is_int(http_parse_net("10.0.0.0/33", &nets[0]) == 0, 0, "/33 refused");
    is_int(http_parse_net("10.0.0/8", &nets[0]) == 0, 0, "a short address refused");
    is_int(http_parse_net("10.0.0.0/", &nets[0]) == 0, 0, "an empty prefix refused");
    is_int(http_parse_net("10.0.0.0/8x", &nets[0]) == 0, 0, "junk after the prefix refused");
    is_int(http_parse_net("host.example", &nets[0]) == 0, 0, "a name refused");
    http_parse_net("127.0.0.1", &nets[0]);

    ok(http_nets_contain(nets, 3, "127.0.0.1"), "the address itself");
    ok(!http_nets_contain(nets, 3, "127.0.0.2"), "not its neighbour");
    ok(http_nets_contain(nets, 3, "10.200.3.4"), "inside the /8");
    ok(!http_nets_contain(nets, 3, "11.0.0.1"), "outside the /8");
    ok(http_nets_contain(nets, 3, "::ffff:10.1.2.3"), "IPv4-mapped IPv6 matched as IPv4");
    ok(http_nets_contain(nets, 3, "fd00:1::5"), "inside the IPv6 block");
    ok(!http_nets_contain(nets, 3, "fd01::5"), "outside the IPv6 block");
    ok(!http_nets_contain(nets, 0, "127.0.0.1"), "no blocks: nobody");
    ok(!http_nets_contain(nets, 3, "garbage"), "garbage: nobody");

    fwd("203.0.113.9", "127.0.0.1", "203.0.113.9", nets, 3);
    fwd("198.51.100.1, 203.0.113.9", "127.0.0.1", "203.0.113.9", nets, 3);
    fwd("198.51.100.1, 203.0.113.9, 10.0.0.5", "127.0.0.1", "203.0.113.9", nets, 3);
    fwd("10.0.0.6,10.0.0.5", "127.0.0.1", "10.0.0.6", nets, 3);
    fwd("203.0.113.9, bogus", "127.0.0.1", "127.0.0.1", nets, 3);
    fwd("bogus, 10.0.0.5", "127.0.0.1", "10.0.0.5", nets, 3);
    fwd("", "127.0.0.1", "127.0.0.1", nets, 3);
    fwd(" 2001:db8::1 ", "127.0.0.1", "2001:db8::1", nets, 3);
}

int main(void)
{
    char buf[64], *text;
    size_t len;

    test_trusted();

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

    /* a segment still being written: its length is not known */
    open_range("bytes=4000-", 1, 4000, UINT64_MAX);
    open_range("bytes=0-", 1, 0, UINT64_MAX);
    open_range("bytes=4000-4999", 1, 4000, 4999);
    open_range("bytes= 7-7", 1, 7, 7);
    open_range("bytes=-500", 0, 0, 0);
    open_range("bytes=5-1", 0, 0, 0);
    open_range("bytes=0-1,5-6", 0, 0, 0);
    open_range("items=0-", 0, 0, 0);
    open_range("bytes=x-", 0, 0, 0);
    open_range(NULL, 0, 0, 0);

    http_format_date(784111777, buf, sizeof(buf));
    is_str(buf, "Sun, 06 Nov 1994 08:49:37 GMT", "IMF-fixdate");
    is_dbl(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777, 0, "parse it back");
    is_dbl(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT"), -1, 0, "obsolete form refused");
    is_dbl(http_parse_date("garbage"), -1, 0, "garbage refused");

    access_lines();

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
