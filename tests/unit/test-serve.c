/* Unit tests for lib/serve.c: serve_run put together and run on a real
 * port with a real SQLite file — the site's, the API's and the origin's
 * routes answer, the access log is written and reopened on SIGHUP, and
 * SIGTERM stops it cleanly; a bad access log path is an error. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "http.h"
#include "log.h"
#include "serve.h"
#include "httpget.h"
#include "tap.h"

static ServeConfig cfg;
static int serve_result = 1;

static void *serve_thread(void *arg)
{
    (void)arg;
    serve_result = serve_run(&cfg);
    return NULL;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The text of a file (static buffer; "" when missing). */
static const char *slurp(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR"), *top = getenv("LIVE_TOP");
    char root[512], assets[512], db[600], log1[600], log2[600], path[700];
    struct timespec ts = { 0, 20 * 1000000 };
    pthread_t t;
    sigset_t sigs;
    HttpAnswer a;
    int i, up = 0;

    log_init("test-serve");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(root, sizeof(root), "%s/live-test-serve-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(root))
        return 1;
    snprintf(assets, sizeof(assets), "%s/www", top && *top ? top : ".");
    snprintf(db, sizeof(db), "%s/live.db", root);
    snprintf(log1, sizeof(log1), "%s/access.log", root);
    snprintf(log2, sizeof(log2), "%s/access.log.1", root);
    snprintf(path, sizeof(path), "%s/cam", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/cam/manifest.mpd", root);
    put(path, "<MPD type=\"static\"></MPD>\n");

    /* serve_run takes these signals with sigwait: block them in every thread */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    serve_config_defaults(&cfg);
    is_int(cfg.max_wait, 15, "default longest wait 15 s");
    is_int(cfg.memory_cache, 256 << 20, "default memory cache 256 MiB");
    cfg.access_log = "/nonexistent-dir/access.log";
    cfg.assets = assets;
    is_int(serve_run(&cfg), AVERROR(ENOENT), "an access log that cannot be opened: ENOENT");

    cfg.http.host = "127.0.0.1";
    cfg.http.port = httpget_free_port();
    cfg.http.threads = 2;
    cfg.root = root;
    cfg.db = db;
    cfg.access_log = log1;
    cfg.memory_cache = 1 << 20;
    pthread_create(&t, NULL, serve_thread, NULL);
    for (i = 0; i < 3000 && !up; i++) {
        up = httpget(cfg.http.port, "/time", NULL, &a) == 200;
        httpget_free(&a);
        if (!up)
            nanosleep(&ts, NULL);
    }
    ok(up, "serving on port %d", cfg.http.port);

    is_int(httpget(cfg.http.port, "/cam/manifest.mpd", NULL, &a), 200, "the tree (origin route)");
    ok(a.body && strstr(a.body, "<MPD") != NULL, "the manifest's bytes");
    httpget_free(&a);
    is_int(httpget(cfg.http.port, "/streams.json", NULL, &a), 200, "the site's routes");
    ok(a.body && strstr(a.body, "\"name\":\"cam\"") != NULL, "list the stream");
    httpget_free(&a);
    is_int(httpget(cfg.http.port, "/api/me", NULL, &a), 401, "the API, with a db: 401 without a session");
    httpget_free(&a);
    is_int(httpget(cfg.http.port, "/nothing/here.m4s", NULL, &a), 404, "a missing file: 404");
    httpget_free(&a);
    ok(strstr(slurp(log1), "\"GET /cam/manifest.mpd HTTP/1.0\" 200 ") != NULL, "the access log has the request");

    rename(log1, log2);
    kill(getpid(), SIGHUP);
    for (i = 0; i < 3000; i++) {
        httpget(cfg.http.port, "/time", NULL, &a);
        httpget_free(&a);
        if (strstr(slurp(log1), "GET /time"))
            break;
        nanosleep(&ts, NULL);
    }
    ok(strstr(slurp(log1), "\"GET /time HTTP/1.0\" 200 ") != NULL, "SIGHUP reopened the access log");

    kill(getpid(), SIGTERM);
    pthread_join(t, NULL);
    is_int(serve_result, 0, "SIGTERM: a clean stop");
    ok(httpget(cfg.http.port, "/time", NULL, &a) < 0, "nothing listens any more");
    httpget_free(&a);

    snprintf(path, sizeof(path), "rm -rf '%s'", root);
    if (system(path) != 0)
        diag("could not remove %s", root);
    return done();
}
