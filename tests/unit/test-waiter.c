/* Unit tests for lib/waiter.c with a real HTTP server (http.c) and real
 * clients: requests for a file not there yet are suspended, grouped,
 * released together when the file is renamed into place, timed out with
 * a 404 otherwise; the limit on waiting requests; a file that changes;
 * an open segment (NAME.open) that begins, grows and is renamed. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "waiter.h"
#include "httpget.h"
#include "tap.h"

#define CLIENTS 3

static Waiter *waiter;
static char root[512];
static int port;
/* The waiting gauge when a handler last answered a released request: it
 * no longer counts that request (a client that has its answer must not
 * find it still counted as waiting). */
static _Atomic int64_t waiting_at_answer = -1;

/* GET /w/REL?t=SECONDS: wait for ROOT/REL; 200 "published", 404 "timeout",
 * 200 "there" when it was there already, 503 when too many wait. */
static int handle_wait(HttpRequest *req, void *arg)
{
    int *outcome = http_request_data(req);
    const char *rel = http_path(req) + 3, *t = http_query(req, "t");
    int r;

    (void)arg;
    if (outcome && *outcome)
        waiting_at_answer = metrics_waiting_now();
    if (outcome && *outcome == WAIT_PUBLISHED)
        return http_reply(req, 200, "text/plain", NULL, "published", 9);
    if (outcome && *outcome == WAIT_TIMEOUT)
        return http_reply(req, 404, "text/plain", NULL, "timeout", 7);
    if (!(outcome = calloc(1, sizeof(*outcome))))
        return AVERROR(ENOMEM);
    http_set_request_data(req, outcome, free);
    r = waiter_wait(waiter, req, rel, t ? atof(t) : 30, outcome);
    if (r == AVERROR(EAGAIN))
        return http_reply(req, 503, "text/plain", NULL, "busy", 4);
    if (r == 0)
        return http_reply(req, 200, "text/plain", NULL, "there", 5);
    return r;
}

/* What a watching route waits for: /c/REL, ROOT/REL replaced by another
 * file (waiter_wait_change); /g/REL, ROOT/REL.open grown or renamed to
 * REL (waiter_wait_grow). Its answers are 7 and 4 bytes long. */
typedef struct Watch {
    const char *suffix;         /* of the file whose stat is taken */
    int grow;
    const char *released, *same;
} Watch;

static Watch watch_change = { "", 0, "changed", "same!!!" };
static Watch watch_grow = { ".open", 1, "grew", "same" };

static int handle_watch(HttpRequest *req, void *arg)
{
    const Watch *w = arg;
    int *outcome = http_request_data(req);
    const char *rel = http_path(req) + 3;
    size_t len = strlen(w->released);
    char path[700];
    struct stat st;
    int r;

    if (outcome && *outcome) {
        waiting_at_answer = metrics_waiting_now();
        return http_reply(req, 200, "text/plain", NULL,
                          *outcome == WAIT_PUBLISHED ? w->released : "timeout", len);
    }
    if (!(outcome = calloc(1, sizeof(*outcome))))
        return AVERROR(ENOMEM);
    http_set_request_data(req, outcome, free);
    snprintf(path, sizeof(path), "%s/%s%s", root, rel, w->suffix);
    if (stat(path, &st) < 0)
        return AVERROR(errno);
    r = w->grow ? waiter_wait_grow(waiter, req, rel, &st, 30, outcome)
                : waiter_wait_change(waiter, req, rel, &st, 30, outcome);
    if (w->grow && r == AVERROR(EAGAIN))
        return http_reply(req, 503, "text/plain", NULL, "busy", 4);
    return r == 0 ? http_reply(req, 200, "text/plain", NULL, w->same, len) : r;
}

static void append(const char *rel, const char *text)
{
    char path[700];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    f = fopen(path, "a");
    fputs(text, f);
    fclose(f);
}

typedef struct Client {
    pthread_t thread;
    char path[256];
    HttpAnswer a;
} Client;

static void *client_run(void *arg)
{
    Client *c = arg;
    httpget(port, c->path, NULL, &c->a);
    return NULL;
}

static void start_client(Client *c, const char *path)
{
    snprintf(c->path, sizeof(c->path), "%s", path);
    pthread_create(&c->thread, NULL, client_run, c);
}

/* Wait (at most 60 s) until n requests are waiting. */
static int wait_for_waiting(int64_t n)
{
    struct timespec ts = { 0, 10 * 1000000 };
    for (int i = 0; i < 6000; i++) {
        if (metrics_waiting_now() == n)
            return 1;
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void put_file(const char *rel, const char *text)
{
    char tmp[700], path[700];
    FILE *f;
    snprintf(tmp, sizeof(tmp), "%s/.tmp-file", root);
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    f = fopen(tmp, "w");
    fputs(text, f);
    fclose(f);
    rename(tmp, path);
}

/* A request for path waits (the test named waits) until act is done;
 * then its answer's body is want (the test named released). Another
 * request waits all along. */
static void wait_case(const char *path, const char *waits, void (*act)(void), const char *want,
                      const char *released)
{
    Client c;

    start_client(&c, path);
    ok(wait_for_waiting(2), "%s", waits);
    act();
    pthread_join(c.thread, NULL);
    is_str(c.a.body, want, "%s", released);
    is_int(waiting_at_answer, 1, "answered once it no longer counted as waiting");
    httpget_free(&c.a);
}

static void replace_index(void)
{
    put_file("cam1/index.m3u8", "v2");
}

static void begin_50(void)
{
    append("cam1/50.m4s.open", "chunk1");
}

static void grow_50(void)
{
    append("cam1/50.m4s.open", "chunk2");
}

static void rename_50(void)
{
    char from[700], to[700];
    snprintf(from, sizeof(from), "%s/cam1/50.m4s.open", root);
    snprintf(to, sizeof(to), "%s/cam1/50.m4s", root);
    rename(from, to);
}

/* A segment being written (low latency): a wait for 50.m4s ends when
 * 50.m4s.open begins; a wait on the open file ends when it grows, and
 * when it is renamed into place. */
static const struct {
    const char *path, *waits;
    void (*act)(void);
    const char *want, *released;
} open_cases[] = {
    { "/w/cam1/50.m4s", "a request waits for segment 50", begin_50, "published",
      "released when 50.m4s.open began" },
    { "/g/cam1/50.m4s", "a request waits for 50.m4s.open to grow", grow_50, "grew",
      "released by the append" },
    { "/g/cam1/50.m4s", "waits again", rename_50, "grew", "released by the rename to 50.m4s" },
};

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    HttpConfig cfg;
    HttpServer *srv = NULL;
    Client c[CLIENTS], late, other;
    HttpAnswer a;
    char cmd[700];
    int i, good;

    log_init("test-waiter");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(root, sizeof(root), "%s/live-test-waiter-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(root))
        return 1;
    snprintf(cmd, sizeof(cmd), "%s/cam1", root);
    mkdir(cmd, 0755);
    snprintf(cmd, sizeof(cmd), "%s/cam2", root);
    mkdir(cmd, 0755);

    is_int(waiter_new(root, 4, &waiter), 0, "waiter_new");
    http_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 2;
    cfg.access_log_fd = -1;
    if (http_server_new(&cfg, &srv) < 0 ||
        http_route(srv, "GET", "/w/", HTTP_ROUTE_PREFIX, handle_wait, NULL) < 0 ||
        http_route(srv, "GET", "/c/", HTTP_ROUTE_PREFIX, handle_watch, &watch_change) < 0 ||
        http_route(srv, "GET", "/g/", HTTP_ROUTE_PREFIX, handle_watch, &watch_grow) < 0 ||
        http_server_start(srv) < 0)
        return 1;
    port = http_server_port(srv);

    put_file("cam1/41.m4s", "x");
    is_int(httpget(port, "/w/cam1/41.m4s", NULL, &a), 200, "a file that is there: not suspended");
    is_str(a.body, "there", "served at once");
    httpget_free(&a);

    /* three requests for one file: one group, released by one rename */
    for (i = 0; i < CLIENTS; i++)
        start_client(&c[i], "/w/cam1/42.m4s");
    ok(wait_for_waiting(CLIENTS), "%d requests wait", CLIENTS);
    start_client(&other, "/w/cam2/7.m4s?t=60");
    ok(wait_for_waiting(CLIENTS + 1), "a fourth waits for another file");
    is_int(httpget(port, "/w/cam2/8.m4s", NULL, &a), 503, "a fifth is over the limit of 4");
    httpget_free(&a);

    put_file("cam1/42.m4s", "segment");
    for (good = 0, i = 0; i < CLIENTS; i++) {
        pthread_join(c[i].thread, NULL);
        good += c[i].a.status == 200 && c[i].a.body && !strcmp(c[i].a.body, "published");
        httpget_free(&c[i].a);
    }
    is_int(good, CLIENTS, "the rename released every request of the group as published");
    ok(wait_for_waiting(1), "the other file's request still waits");

    /* a short deadline: timed out, 404 */
    start_client(&late, "/w/cam1/43.m4s?t=0.3");
    pthread_join(late.thread, NULL);
    is_int(late.a.status, 404, "nothing landed before the deadline: timed out");
    is_int(waiting_at_answer, 1, "answered once it no longer counted as waiting");
    httpget_free(&late.a);

    /* waiting for a file to change */
    put_file("cam1/index.m3u8", "v1");
    wait_case("/c/cam1/index.m3u8", "a request waits for a change", replace_index, "changed",
              "released when the file was replaced");

    is_int(httpget(port, "/w/nodir/1.m4s", NULL, &a), 500, "no such directory: an error, not a wait");
    httpget_free(&a);

    for (i = 0; i < (int)(sizeof(open_cases) / sizeof(open_cases[0])); i++)
        wait_case(open_cases[i].path, open_cases[i].waits, open_cases[i].act, open_cases[i].want,
                  open_cases[i].released);

    /* stopping releases the rest as timed out */
    waiter_release_all(waiter);
    pthread_join(other.thread, NULL);
    is_int(other.a.status, 404, "release_all times out the waiting request");
    httpget_free(&other.a);
    is_int(metrics_waiting_now(), 0, "nothing waits");
    is_int(httpget(port, "/w/cam1/99.m4s", NULL, &a), 503, "after release_all no new wait begins");
    httpget_free(&a);

    http_server_free(&srv);
    waiter_free(&waiter);
    ok(waiter == NULL, "waiter_free clears the pointer");
    waiter_free(&waiter);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0)
        diag("could not remove %s", root);
    return done();
}
