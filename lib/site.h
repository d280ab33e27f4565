/*
 * site.h: the pages and small endpoints of live-serve around the media:
 *
 *   GET /               the streams, live and finished (www/index.html
 *                       with the list filled in)
 *   GET /streams.json   the same as JSON
 *   GET /watch/NAME     the player page (www/watch.html; dash.js, hls.js
 *                       or native HLS, quality menu, live/DVR seek bar,
 *                       ?t=SECONDS)
 *   GET /assets/FILE    the page's scripts and styles, dash.js and hls.js
 *                       (copied from npm's packages at build time)
 *   GET /time           the server's UTC time in ISO 8601 (DASH UTCTiming)
 *   GET /metrics        Prometheus text (metrics.h)
 *
 * The pages live in files under the assets directory (www/ in the
 * source tree, build/www after make, DATADIR/www once installed), not
 * in C strings.
 */
#ifndef LIVE_SITE_H
#define LIVE_SITE_H

#include "dbread.h"
#include "http.h"

typedef struct Site Site;

/* root: the served tree; assets: the directory with the pages and
 * players; db borrowed. 0 or a negative AVERROR (logged). */
int site_new(const char *root, const char *assets, DbRead *db, Site **out);
void site_free(Site **s);

/* Answer /metrics only to clients (http_client_ip) in one of the n
 * blocks (copied; n = 0: to everyone, the default); others get 404. */
void site_metrics_allow(Site *s, const HttpNet *nets, unsigned n);

/* Add the routes above to srv (before the catch-all origin route). */
int site_routes(Site *s, HttpServer *srv);

/* The default assets directory for a program at exe (/proc/self/exe):
 * EXE_DIR/../www (the build tree), EXE_DIR/../share/live/www (an
 * installed prefix), then LIVE_DATADIR/www. Writes the first one that
 * has watch.html into buf; AVERROR(ENOENT) when none does. */
int site_find_assets(char *buf, size_t size);

#endif
