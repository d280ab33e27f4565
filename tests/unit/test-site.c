/* Unit tests for lib/site.c through a real HTTP server: the stream list
 * (page and JSON) from a served tree, the player page, the assets and
 * their path checks, /time, and /metrics with its allow list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "http.h"
#include "dbread.h"
#include "log.h"
#include "site.h"
#include "httpget.h"
#include "tap.h"

static void put(const char *root, const char *rel, const char *text)
{
    char path[700];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    if ((f = fopen(path, "w"))) {
        fputs(text, f);
        fclose(f);
    }
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR"), *top = getenv("LIVE_TOP");
    char root[512], assets[512], path[700];
    HttpConfig cfg;
    HttpServer *srv = NULL;
    DbRead *db = NULL;
    Site *site = NULL;
    HttpNet net;
    HttpAnswer a;
    int port, y, mo, d, h, mi, s, ms;

    log_init("test-site");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(root, sizeof(root), "%s/live-test-site-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(root))
        return 1;
    snprintf(assets, sizeof(assets), "%s/www", top && *top ? top : ".");
    snprintf(path, sizeof(path), "%s/zoo", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/alpha", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/empty", root);
    mkdir(path, 0755);
    put(root, "zoo/manifest.mpd", "<MPD type=\"dynamic\"></MPD>");
    put(root, "alpha/manifest.mpd", "<MPD type=\"static\"></MPD>");

    is_int(dbread_new(NULL, &db), 0, "a db view without a database (files only)");
    is_int(site_new(root, assets, db, &site), 0, "site_new");
    http_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 2;
    cfg.access_log_fd = -1;
    if (http_server_new(&cfg, &srv) < 0 || site_routes(site, srv) < 0 || http_server_start(srv) < 0)
        return 1;
    port = http_server_port(srv);

    is_int(httpget(port, "/streams.json", NULL, &a), 200, "GET /streams.json");
    is_str(a.body, "[{\"name\":\"zoo\",\"state\":\"live\",\"dash\":\"/zoo/manifest.mpd\","
           "\"hls\":\"/zoo/master.m3u8\",\"watch\":\"/watch/zoo\"},"
           "{\"name\":\"alpha\",\"state\":\"vod\",\"dash\":\"/alpha/manifest.mpd\","
           "\"hls\":\"/alpha/master.m3u8\",\"watch\":\"/watch/alpha\"}]",
           "live streams first, a directory without a manifest left out");
    httpget_free(&a);

    is_int(httpget(port, "/", NULL, &a), 200, "GET /");
    ok(a.body && strstr(a.body, "<li class=\"live\"><a href=\"/watch/zoo\">zoo</a> <span class=\"state\">live</span></li>") &&
           strstr(a.body, "<a href=\"/watch/alpha\">alpha</a> <span class=\"state\">finished</span>"),
       "the page lists both streams in place of the marker");
    ok(a.body && !strstr(a.body, "<!--STREAMS-->"), "the marker is replaced");
    ok(strstr(a.head, "text/html") != NULL, "as HTML");
    httpget_free(&a);

    is_int(httpget(port, "/watch/zoo", NULL, &a), 200, "the player page of a stream");
    ok(a.body && strstr(a.body, "<html") != NULL, "is watch.html");
    httpget_free(&a);
    is_int(httpget(port, "/watch/nothere", NULL, &a), 404, "no such stream: 404");
    httpget_free(&a);
    is_int(httpget(port, "/watch/..", NULL, &a), 404, "a name that is not a stream name: 404");
    httpget_free(&a);

    is_int(httpget(port, "/assets/player.js", NULL, &a), 200, "an asset");
    ok(strstr(a.head, "javascript") != NULL, "with its content type");
    httpget_free(&a);
    is_int(httpget(port, "/assets/nope.js", NULL, &a), 404, "a missing asset: 404");
    httpget_free(&a);
    is_int(httpget(port, "/assets/../lib/site.c", NULL, &a), 403, "climbing out of the assets: 403");
    httpget_free(&a);

    is_int(httpget(port, "/time", NULL, &a), 200, "GET /time");
    ok(a.body && sscanf(a.body, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &y, &mo, &d, &h, &mi, &s, &ms) == 7 &&
           y >= 2024 && strlen(a.body) == 24,
       "ISO 8601 UTC with milliseconds");
    ok(strstr(a.head, "no-store") != NULL, "not cached");
    httpget_free(&a);

    is_int(httpget(port, "/metrics", NULL, &a), 200, "/metrics, open to everyone by default");
    ok(a.body && strstr(a.body, "live_serve_streams{state=\"live\"} 1") &&
           strstr(a.body, "live_serve_streams{state=\"vod\"} 1"),
       "with the streams counted at the scrape");
    httpget_free(&a);
    http_parse_net("10.0.0.0/8", &net);
    site_metrics_allow(site, &net, 1);
    is_int(httpget(port, "/metrics", NULL, &a), 404, "outside the allow list: 404");
    httpget_free(&a);
    http_parse_net("127.0.0.1", &net);
    site_metrics_allow(site, &net, 1);
    is_int(httpget(port, "/metrics", NULL, &a), 200, "inside it: 200");
    httpget_free(&a);

    http_server_free(&srv);
    site_free(&site);
    ok(site == NULL, "site_free clears the pointer");
    dbread_free(&db);
    snprintf(path, sizeof(path), "%s/missing", root);
    ok(site_new(root, path, NULL, &site) < 0, "a missing assets directory fails");
    snprintf(path, sizeof(path), "rm -rf '%s'", root);
    if (system(path) != 0)
        diag("could not remove %s", root);
    return done();
}
