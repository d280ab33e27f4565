/*
 * serve.h: live-serve as a whole — the HTTP server (http.h) with its
 * routes: the pages (site.h), then the output tree (origin.h), with the
 * database view (dbread.h) and the coalescing waiter (waiter.h).
 *
 * To add routes (e.g. an /api/), register them in serve_run between the
 * site's routes and the origin's catch-all "/" route.
 */
#ifndef LIVE_SERVE_H
#define LIVE_SERVE_H

#include "http.h"

#define SERVE_DEFAULT_MAX_STREAMS 4096
#define SERVE_DEFAULT_MAX_STREAMS_PER_IP 32

typedef struct ServeConfig {
    HttpConfig http;
    const char *root;            /* live-package's OUT */
    const char *db;              /* NULL: files only */
    const char *assets;          /* NULL: site_find_assets */
    const char *access_log;      /* NULL or "-": stderr; "" : none */
    unsigned max_waiting;        /* requests waiting for segments at most */
    double max_wait;             /* seconds, cap on one wait */
    unsigned max_streams;        /* open segments streamed at once (low latency) */
    unsigned max_streams_per_ip; /* ... to one client address; 0: no limit */
    double manifest_max_age;     /* seconds */
    double default_duration;     /* segment duration when the db has no row */
    size_t memory_cache;         /* bytes of segments kept in memory (0: none) */
    HttpNet metrics_allow[HTTP_MAX_NETS]; /* /metrics only for these (none: all) */
    unsigned nmetrics_allow;
    double position_rate;        /* position writes/s per session; 0: no limit; <0: default */
    const char *rtc;             /* live-rtc's control socket: /whep/ goes there (NULL: none) */
} ServeConfig;

void serve_config_defaults(ServeConfig *cfg);

/* Serve until SIGINT or SIGTERM (SIGHUP reopens the access log).
 * Returns 0 after a clean stop, or a negative AVERROR (logged). */
int serve_run(const ServeConfig *cfg);

#endif
