/*
 * metrics.h: live-serve's counters and gauges, rendered as Prometheus
 * text (exposition format 0.0.4) for GET /metrics.
 *
 * One set per process (a server has one registry, like Prometheus's
 * client libraries); every update is a relaxed atomic, so request
 * threads never take a lock to count.
 */
#ifndef LIVE_METRICS_H
#define LIVE_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* A response was queued: status code and body bytes queued. */
void metrics_response(unsigned status, uint64_t bytes);
/* A segment or init answered from the db's live-edge cache / from a file. */
void metrics_cache_hit(void);
void metrics_cache_miss(void);
/* ... and from live-serve's memory cache (memcache.h). */
void metrics_memory_hit(void);
/* Requests waiting for a segment: +1 when one starts, -1 when it ends;
 * how a wait ended (released by publication, or timed out). */
void metrics_waiting(int delta);
void metrics_wait_done(int published);
/* Connections: +1 / -1. */
void metrics_connections(int delta);
/* Requests refused with 503 because of overload. */
void metrics_overload(void);

/* Set the gauge of known streams by state (set at each scrape). */
void metrics_set_streams(unsigned live, unsigned vod);
/* From the db: streams with nothing published, segments published as gaps. */
void metrics_set_unpublished(int64_t streams, int64_t segments);

/* Render everything into a new NUL-terminated buffer (*out, freed by
 * the caller with free). 0 or AVERROR(ENOMEM). */
int metrics_render(char **out, size_t *len);

/* Current values, for tests and logs. */
int64_t metrics_waiting_now(void);
uint64_t metrics_requests(unsigned status);

#endif
