/*
 * metrics.c: the process's counters, rendered for Prometheus. See metrics.h.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "metrics.h"

#define STATUS_MIN 100
#define STATUS_MAX 599

static atomic_uint_fast64_t requests[STATUS_MAX - STATUS_MIN + 1];
static atomic_uint_fast64_t bytes_sent;
static atomic_uint_fast64_t cache_hits, cache_misses, memory_hits;
static atomic_int_fast64_t waiting;
static atomic_uint_fast64_t waits_published, waits_timeout;
static atomic_int_fast64_t connections;
static atomic_uint_fast64_t overloads;
static atomic_uint streams_live, streams_vod;
static atomic_llong unpublished_streams, unpublished_segments;

void metrics_response(unsigned status, uint64_t bytes)
{
    if (status >= STATUS_MIN && status <= STATUS_MAX)
        atomic_fetch_add_explicit(&requests[status - STATUS_MIN], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes_sent, bytes, memory_order_relaxed);
}

void metrics_cache_hit(void)
{
    atomic_fetch_add_explicit(&cache_hits, 1, memory_order_relaxed);
}

void metrics_memory_hit(void)
{
    atomic_fetch_add_explicit(&memory_hits, 1, memory_order_relaxed);
}

void metrics_cache_miss(void)
{
    atomic_fetch_add_explicit(&cache_misses, 1, memory_order_relaxed);
}

void metrics_waiting(int delta)
{
    atomic_fetch_add_explicit(&waiting, delta, memory_order_relaxed);
}

void metrics_wait_done(int published)
{
    atomic_fetch_add_explicit(published ? &waits_published : &waits_timeout, 1,
                              memory_order_relaxed);
}

void metrics_connections(int delta)
{
    atomic_fetch_add_explicit(&connections, delta, memory_order_relaxed);
}

void metrics_overload(void)
{
    atomic_fetch_add_explicit(&overloads, 1, memory_order_relaxed);
}

void metrics_set_streams(unsigned live, unsigned vod)
{
    atomic_store(&streams_live, live);
    atomic_store(&streams_vod, vod);
}

void metrics_set_unpublished(int64_t streams, int64_t segments)
{
    atomic_store(&unpublished_streams, streams);
    atomic_store(&unpublished_segments, segments);
}

int64_t metrics_waiting_now(void)
{
    return atomic_load(&waiting);
}

uint64_t metrics_requests(unsigned status)
{
    if (status < STATUS_MIN || status > STATUS_MAX)
        return 0;
    return atomic_load(&requests[status - STATUS_MIN]);
}

int metrics_render(char **out, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    unsigned s;

    if (!f)
        return AVERROR(ENOMEM);
    fputs("# HELP live_serve_requests_total HTTP responses by status code.\n"
          "# TYPE live_serve_requests_total counter\n", f);
    for (s = STATUS_MIN; s <= STATUS_MAX; s++) {
        uint64_t n = atomic_load(&requests[s - STATUS_MIN]);
        if (n || s == 200 || s == 404)
            fprintf(f, "live_serve_requests_total{code=\"%u\"} %llu\n", s,
                    (unsigned long long)n);
    }
    fprintf(f, "# HELP live_serve_sent_bytes_total Response body bytes queued for sending.\n"
            "# TYPE live_serve_sent_bytes_total counter\n"
            "live_serve_sent_bytes_total %llu\n"
            "# HELP live_serve_cache_hits_total Segments answered from the db's live-edge cache.\n"
            "# TYPE live_serve_cache_hits_total counter\n"
            "live_serve_cache_hits_total %llu\n"
            "# HELP live_serve_memory_hits_total Segments answered from live-serve's memory cache.\n"
            "# TYPE live_serve_memory_hits_total counter\n"
            "live_serve_memory_hits_total %llu\n"
            "# HELP live_serve_cache_misses_total Segments read from files.\n"
            "# TYPE live_serve_cache_misses_total counter\n"
            "live_serve_cache_misses_total %llu\n"
            "# HELP live_serve_waiting_requests Requests waiting for a segment to be published.\n"
            "# TYPE live_serve_waiting_requests gauge\n"
            "live_serve_waiting_requests %lld\n"
            "# HELP live_serve_waits_total Finished waits by outcome.\n"
            "# TYPE live_serve_waits_total counter\n"
            "live_serve_waits_total{outcome=\"published\"} %llu\n"
            "live_serve_waits_total{outcome=\"timeout\"} %llu\n"
            "# HELP live_serve_connections Open HTTP connections.\n"
            "# TYPE live_serve_connections gauge\n"
            "live_serve_connections %lld\n"
            "# HELP live_serve_overload_total Requests refused with 503 because of overload.\n"
            "# TYPE live_serve_overload_total counter\n"
            "live_serve_overload_total %llu\n"
            "# HELP live_serve_streams Known streams by state.\n"
            "# TYPE live_serve_streams gauge\n"
            "live_serve_streams{state=\"live\"} %u\n"
            "live_serve_streams{state=\"vod\"} %u\n"
            "# HELP live_serve_streams_unpublished Streams with segments but none published"
            " (nothing to watch: no rung, an unsupported codec, ...).\n"
            "# TYPE live_serve_streams_unpublished gauge\n"
            "live_serve_streams_unpublished %lld\n"
            "# HELP live_serve_segments_unpublished Segments published as gaps (failed, bad or"
            " missing), in the database.\n"
            "# TYPE live_serve_segments_unpublished gauge\n"
            "live_serve_segments_unpublished %lld\n",
            (unsigned long long)atomic_load(&bytes_sent),
            (unsigned long long)atomic_load(&cache_hits),
            (unsigned long long)atomic_load(&memory_hits),
            (unsigned long long)atomic_load(&cache_misses),
            (long long)atomic_load(&waiting),
            (unsigned long long)atomic_load(&waits_published),
            (unsigned long long)atomic_load(&waits_timeout),
            (long long)atomic_load(&connections),
            (unsigned long long)atomic_load(&overloads),
            atomic_load(&streams_live), atomic_load(&streams_vod),
            (long long)atomic_load(&unpublished_streams),
            (long long)atomic_load(&unpublished_segments));
    if (fclose(f) != 0) {
        free(buf);
        return AVERROR(ENOMEM);
    }
    *out = buf;
    *len = size;
    return 0;
}
