/* Unit tests for lib/metrics.c: counters from several threads, gauges,
 * and the Prometheus text they render to. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "tap.h"

#define THREADS 4
#define PER_THREAD 10000

static void *count(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        metrics_response(200, 3);
        metrics_waiting(+1);
        metrics_waiting(-1);
    }
    return NULL;
}

/* 1 when text has a line that is exactly line. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

int main(void)
{
    pthread_t t[THREADS];
    char *text = NULL;
    size_t len = 0;
    char line[128];

    is_int(metrics_requests(200), 0, "no requests yet");
    is_int(metrics_render(&text, &len), 0, "render an empty registry");
    ok(has_line(text, "live_serve_requests_total{code=\"200\"} 0"), "200 is always listed");
    ok(has_line(text, "live_serve_requests_total{code=\"404\"} 0"), "404 is always listed");
    ok(!strstr(text, "code=\"503\""), "a code never seen is not listed");
    is_int(len, strlen(text), "length is the text's");
    free(text);

    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, count, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    is_int(metrics_requests(200), THREADS * PER_THREAD, "no count lost between threads");
    is_int(metrics_waiting_now(), 0, "the waiting gauge is back at 0");

    metrics_response(503, 0);
    metrics_response(99, 5);  /* outside 100..599: bytes only */
    metrics_response(600, 0);
    is_int(metrics_requests(99), 0, "a status below 100 is not counted");
    is_int(metrics_requests(600), 0, "nor one above 599");
    metrics_cache_hit();
    metrics_cache_hit();
    metrics_cache_miss();
    metrics_memory_hit();
    metrics_waiting(+2);
    metrics_wait_done(1);
    metrics_wait_done(0);
    metrics_wait_done(0);
    metrics_connections(+3);
    metrics_connections(-1);
    metrics_overload();
    metrics_set_streams(2, 5);
    metrics_set_streams(1, 4); /* set, not added */
    metrics_set_unpublished(1, 7);
    is_int(metrics_waiting_now(), 2, "waiting gauge");

    is_int(metrics_render(&text, &len), 0, "render");
    snprintf(line, sizeof(line), "live_serve_requests_total{code=\"200\"} %d", THREADS * PER_THREAD);
    ok(has_line(text, line), "%s", line);
    ok(has_line(text, "live_serve_requests_total{code=\"503\"} 1"), "503 listed once seen");
    snprintf(line, sizeof(line), "live_serve_sent_bytes_total %d", THREADS * PER_THREAD * 3 + 5);
    ok(has_line(text, line), "%s", line);
    ok(has_line(text, "live_serve_cache_hits_total 2"), "cache hits");
    ok(has_line(text, "live_serve_cache_misses_total 1"), "cache misses");
    ok(has_line(text, "live_serve_memory_hits_total 1"), "memory hits");
    ok(has_line(text, "live_serve_waiting_requests 2"), "waiting");
    ok(has_line(text, "live_serve_waits_total{outcome=\"published\"} 1"), "waits published");
    ok(has_line(text, "live_serve_waits_total{outcome=\"timeout\"} 2"), "waits timed out");
    ok(has_line(text, "live_serve_connections 2"), "connections");
    ok(has_line(text, "live_serve_overload_total 1"), "overloads");
    ok(has_line(text, "live_serve_streams{state=\"live\"} 1"), "live streams (set)");
    ok(has_line(text, "live_serve_streams{state=\"vod\"} 4"), "vod streams (set)");
    ok(has_line(text, "live_serve_streams_unpublished 1"), "unpublished streams");
    ok(has_line(text, "live_serve_segments_unpublished 7"), "unpublished segments");
    ok(has_line(text, "# TYPE live_serve_waiting_requests gauge") &&
           has_line(text, "# TYPE live_serve_requests_total counter"),
       "TYPE lines name gauges and counters");
    ok(len > 0 && text[len - 1] == '\n', "the text ends with a newline");
    free(text);
    return done();
}
