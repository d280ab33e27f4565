/*
 * site.c: index, player page, assets, /time, /metrics. See site.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <libavutil/avstring.h>
#include <libavutil/error.h>

#include "array.h"
#include "fs.h"
#include "log.h"
#include "metrics.h"
#include "path.h"
#include "record.h"
#include "site.h"

#define CACHE_PAGE "no-cache"
#define CACHE_ASSET "public, max-age=300"
#define PAGE_MAX (1 << 20)

struct Site {
    DbRead *db;
    HttpNet metrics_allow[HTTP_MAX_NETS];
    unsigned nmetrics_allow;
    int rootfd, assetsfd;
};

/* The player page loads these from /assets/; without them it cannot play
 * (scripts/deps was not run before make, or an install was incomplete). */
static void warn_missing_players(const char *assets, int fd)
{
    static const char *const players[] = { "dash.all.min.js", "hls.min.js" };
    char missing[64] = "";

    for (size_t i = 0; i < sizeof(players) / sizeof(players[0]); i++) {
        if (faccessat(fd, players[i], R_OK, 0) == 0)
            continue;
        if (missing[0])
            av_strlcat(missing, " and ", sizeof(missing));
        av_strlcat(missing, players[i], sizeof(missing));
    }
    if (missing[0])
        log_warn("%s: %s missing: the player page cannot play (run scripts/deps, then make)",
                 assets, missing);
}

int site_new(const char *root, const char *assets, DbRead *db, Site **out)
{
    Site *s = calloc(1, sizeof(*s));
    int err;

    if (!s)
        return AVERROR(ENOMEM);
    s->db = db;
    s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->rootfd < 0) {
        err = errno;
        log_error("%s: %s", root, strerror(err));
        free(s);
        return AVERROR(err);
    }
    s->assetsfd = open(assets, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->assetsfd < 0) {
        err = errno;
        log_error("%s: assets: %s", assets, strerror(err));
        close(s->rootfd);
        free(s);
        return AVERROR(err);
    }
    warn_missing_players(assets, s->assetsfd);
    *out = s;
    return 0;
}

void site_free(Site **ps)
{
    Site *s = *ps;
    if (!s)
        return;
    close(s->rootfd);
    close(s->assetsfd);
    free(s);
    *ps = NULL;
}

int site_find_assets(char *buf, size_t size)
{
    char exe[PATH_MAX], *slash;
    static const char *const rel[] = { "/../www", "/../share/live/www" };
    struct stat st;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    size_t i;

    if (n > 0) {
        exe[n] = '\0';
        if ((slash = strrchr(exe, '/')))
            *slash = '\0';
        for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
            snprintf(buf, size, "%s%s/watch.html", exe, rel[i]);
            if (stat(buf, &st) == 0) {
                snprintf(buf, size, "%s%s", exe, rel[i]);
                return 0;
            }
        }
    }
    snprintf(buf, size, "%s/www/watch.html", LIVE_DATADIR);
    if (stat(buf, &st) == 0) {
        snprintf(buf, size, "%s/www", LIVE_DATADIR);
        return 0;
    }
    return AVERROR(ENOENT);
}

/* ---- the stream list: db rows, then stream directories of the tree ---- */

typedef struct Entry {
    char name[RECORD_PRESENTATION_MAX + 1];
    int live;
    double segment_duration, availability_start;
} Entry;

/* Whether the tree's NAME/manifest.mpd is dynamic (live); -1 if none. */
static int tree_state(int rootfd, const char *name)
{
    char rel[RECORD_PRESENTATION_MAX + 32], head[4096];
    struct stat st;
    ssize_t n;
    int fd;

    snprintf(rel, sizeof(rel), "%s/manifest.mpd", name);
    if ((fd = path_open(rootfd, rel, &st)) < 0)
        return -1;
    n = read(fd, head, sizeof(head) - 1);
    close(fd);
    if (n < 0)
        return -1;
    head[n] = '\0';
    return strstr(head, "type=\"dynamic\"") != NULL;
}

static int list_streams(Site *s, Entry **out, int *count)
{
    DbStream *rows = NULL;
    Entry *e = NULL;
    int n = 0, cap = 0, nrows = 0, i, r, dfd;
    DIR *dir;
    struct dirent *de;

    if ((r = dbread_streams(s->db, &rows, &nrows)) < 0)
        return r;
    cap = nrows + 16;
    if (!(e = calloc(cap, sizeof(*e)))) {
        free(rows);
        return AVERROR(ENOMEM);
    }
    for (i = 0; i < nrows; i++) {
        snprintf(e[n].name, sizeof(e[n].name), "%s", rows[i].name);
        e[n].live = rows[i].live;
        e[n].segment_duration = rows[i].segment_duration;
        e[n].availability_start = rows[i].availability_start;
        n++;
    }
    free(rows);
    dfd = openat(s->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    dir = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!dir && dfd >= 0)
        close(dfd);
    while (dir && (de = readdir(dir))) {
        int state, known = 0;
        if (!record_presentation_ok(de->d_name))
            continue;
        for (i = 0; i < nrows && !known; i++)
            known = !strcmp(e[i].name, de->d_name);
        if (known || (state = tree_state(s->rootfd, de->d_name)) < 0)
            continue;
        if (n == cap) {
            size_t ncap = array_grow(&e, cap, sizeof(*e), 16);
            if (!ncap) {
                closedir(dir);
                free(e);
                return AVERROR(ENOMEM);
            }
            cap = ncap;
        }
        memset(&e[n], 0, sizeof(e[n]));
        snprintf(e[n].name, sizeof(e[n].name), "%.84s", de->d_name);
        e[n].live = state;
        n++;
    }
    if (dir)
        closedir(dir);
    *out = e;
    *count = n;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    if (x->live != y->live)
        return y->live - x->live;
    return strcmp(x->name, y->name);
}

static int handle_streams_json(HttpRequest *req, void *arg)
{
    Site *s = arg;
    Entry *e;
    json_t *list;
    char *text;
    int n, i, r;

    if ((r = list_streams(s, &e, &n)) < 0)
        return r;
    qsort(e, n, sizeof(*e), cmp_entry);
    list = json_array();
    for (i = 0; list && i < n; i++) {
        char buf[RECORD_PRESENTATION_MAX + 32];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(e[i].name));
        json_object_set_new(o, "state", json_string(e[i].live ? "live" : "vod"));
        snprintf(buf, sizeof(buf), "/%s/manifest.mpd", e[i].name);
        json_object_set_new(o, "dash", json_string(buf));
        snprintf(buf, sizeof(buf), "/%s/master.m3u8", e[i].name);
        json_object_set_new(o, "hls", json_string(buf));
        snprintf(buf, sizeof(buf), "/watch/%s", e[i].name);
        json_object_set_new(o, "watch", json_string(buf));
        if (e[i].segment_duration > 0)
            json_object_set_new(o, "segment_duration", json_real(e[i].segment_duration));
        if (e[i].availability_start > 0)
            json_object_set_new(o, "availability_start", json_real(e[i].availability_start));
        json_array_append_new(list, o);
    }
    free(e);
    text = list ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    if (!text)
        return AVERROR(ENOMEM);
    r = http_reply(req, MHD_HTTP_OK, "application/json", "no-cache", text, strlen(text));
    free(text);
    return r;
}

/* Append s to the memstream with HTML escaping. */
static void html_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Read an asset (a page template) whole. */
static int read_asset(Site *s, const char *name, char **data, size_t *len)
{
    struct stat st;
    int fd = path_open(s->assetsfd, name, &st), r;
    char *buf;
    size_t got = 0;

    if (fd < 0)
        return fd;
    if (st.st_size > PAGE_MAX || !(buf = malloc(st.st_size + 1))) {
        close(fd);
        return AVERROR(ENOMEM);
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, st.st_size - got);
        if (n <= 0) {
            r = n < 0 ? AVERROR(errno) : AVERROR(EIO);
            close(fd);
            free(buf);
            return r;
        }
        got += n;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

static int handle_index(HttpRequest *req, void *arg)
{
    Site *s = arg;
    char *tpl = NULL, *out = NULL, *mark;
    size_t len = 0, olen = 0;
    Entry *e;
    int n, i, r;
    FILE *f;
    static const char marker[] = "<!--STREAMS-->";

    if ((r = read_asset(s, "index.html", &tpl, &len)) < 0)
        return r;
    if ((r = list_streams(s, &e, &n)) < 0) {
        free(tpl);
        return r;
    }
    qsort(e, n, sizeof(*e), cmp_entry);
    if (!(f = open_memstream(&out, &olen))) {
        free(tpl);
        free(e);
        return AVERROR(ENOMEM);
    }
    mark = strstr(tpl, marker);
    fwrite(tpl, 1, mark ? (size_t)(mark - tpl) : len, f);
    if (mark) {
        if (!n)
            fputs("<li class=\"none\">No streams yet.</li>\n", f);
        for (i = 0; i < n; i++) {
            fprintf(f, "<li class=\"%s\"><a href=\"/watch/", e[i].live ? "live" : "vod");
            html_escape(f, e[i].name);
            fputs("\">", f);
            html_escape(f, e[i].name);
            fprintf(f, "</a> <span class=\"state\">%s</span></li>\n", e[i].live ? "live" : "finished");
        }
        fputs(mark + sizeof(marker) - 1, f);
    }
    free(tpl);
    free(e);
    if (fclose(f) != 0) {
        free(out);
        return AVERROR(ENOMEM);
    }
    r = http_reply(req, MHD_HTTP_OK, "text/html; charset=utf-8", CACHE_PAGE, out, olen);
    free(out);
    return r;
}

static int handle_watch(HttpRequest *req, void *arg)
{
    Site *s = arg;
    const char *name = http_path(req) + strlen("/watch/");
    char rel[RECORD_PRESENTATION_MAX + 32];
    struct stat st;
    DbStream row;
    int fd;

    if (!record_presentation_ok(name))
        return http_reply_error(req, MHD_HTTP_NOT_FOUND, "no such stream");
    snprintf(rel, sizeof(rel), "%s/manifest.mpd", name);
    if (dbread_stream(s->db, name, &row) < 0 && faccessat(s->rootfd, rel, F_OK, 0) < 0 &&
        faccessat(s->rootfd, name, F_OK, 0) < 0)
        return http_reply_error(req, MHD_HTTP_NOT_FOUND, "no such stream");
    fd = path_open(s->assetsfd, "watch.html", &st);
    if (fd < 0)
        return fd;
    return http_reply_file(req, fd, &st, "text/html; charset=utf-8", CACHE_PAGE);
}

static int handle_asset(HttpRequest *req, void *arg)
{
    Site *s = arg;
    char rel[PATH_MAX_URL + 1];
    struct stat st;
    int r = path_normalize(http_path(req) + strlen("/assets"), rel, sizeof(rel)), fd;

    if (r == AVERROR(EPERM))
        return http_reply_error(req, MHD_HTTP_FORBIDDEN, NULL);
    if (r < 0)
        return http_reply_error(req, MHD_HTTP_BAD_REQUEST, NULL);
    fd = rel[0] ? path_open(s->assetsfd, rel, &st) : AVERROR(ENOENT);
    if (fd == AVERROR(ENOENT))
        return http_reply_error(req, MHD_HTTP_NOT_FOUND, NULL);
    if (fd < 0)
        return http_reply_error(req, MHD_HTTP_FORBIDDEN, NULL);
    return http_reply_file(req, fd, &st, path_content_type(rel), CACHE_ASSET);
}

static int handle_time(HttpRequest *req, void *arg)
{
    struct timespec ts;
    struct tm tm;
    char buf[64];
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%03ldZ", ts.tv_nsec / 1000000);
    return http_reply(req, MHD_HTTP_OK, "text/plain; charset=utf-8", "no-store", buf, strlen(buf));
}

void site_metrics_allow(Site *s, const HttpNet *nets, unsigned n)
{
    if (n > HTTP_MAX_NETS)
        n = HTTP_MAX_NETS;
    memcpy(s->metrics_allow, nets, n * sizeof(*nets));
    s->nmetrics_allow = n;
}


/* What could not be published, by kind of reason, and the latest by name
 * (the reason's text is in live-package's log and the db). */
static void append_unpublished(Site *s, FILE *f)
{
    static const char *const kinds[] = { "no_rung", "codec", "name_clash", "other" };
    DbUnpublished *u = NULL;
    int count = 0, i;

    if (dbread_unpublished_list(s->db, &u, &count) < 0)
        count = 0;
    fprintf(f, "# HELP live_serve_unpublished_by_reason Presentations with nothing to watch,"
               " by reason: no_rung, codec, name_clash (records refused: another broadcast"
               " holds the name), other\n"
               "# TYPE live_serve_unpublished_by_reason gauge\n");
    for (i = 0; i < (int)(sizeof(kinds) / sizeof(*kinds)); i++)
        fprintf(f, "live_serve_unpublished_by_reason{reason=\"%s\"} %lld\n",
                kinds[i], (long long)dbread_unpublished_count(s->db, kinds[i]));
    fprintf(f, "# HELP live_serve_unpublished The latest %d presentations with nothing to"
               " watch, by name and reason\n"
               "# TYPE live_serve_unpublished gauge\n", DBREAD_UNPUBLISHED_MAX);
    for (i = 0; i < count; i++)
        fprintf(f, "live_serve_unpublished{stream=\"%s\",reason=\"%s\"} 1\n",
                u[i].name, u[i].kind);
    free(u);
}

/* live-transcode's load guard per live stream, from the db (written by
 * live-package from the renditions records' "guard"), after the
 * counters: lag, level and steps taken. */
static void append_guards(Site *s, FILE *f)
{
    DbGuard *g = NULL;
    int count = 0, i;

    if (dbread_guards(s->db, &g, &count) < 0 || count == 0) {
        free(g);
        return;
    }
    fprintf(f, "# HELP live_transcode_lag_seconds How long after the broadcast the latest"
               " segment's renditions came out of live-transcode\n"
               "# TYPE live_transcode_lag_seconds gauge\n");
    for (i = 0; i < count; i++)
        fprintf(f, "live_transcode_lag_seconds{stream=\"%s\"} %.3f\n",
                g[i].name, g[i].lag);
    fprintf(f, "# HELP live_transcode_guard_level The load guard's level (0: the full"
               " ladder; live-transcode(1))\n"
               "# TYPE live_transcode_guard_level gauge\n");
    for (i = 0; i < count; i++)
        fprintf(f, "live_transcode_guard_level{stream=\"%s\",step=\"%s\"} %d\n",
                g[i].name, g[i].step, g[i].level);
    fprintf(f, "# HELP live_transcode_guard_steps_total Steps the load guard took\n"
               "# TYPE live_transcode_guard_steps_total counter\n");
    for (i = 0; i < count; i++)
        fprintf(f, "live_transcode_guard_steps_total{stream=\"%s\",direction=\"down\"} %lld\n"
                   "live_transcode_guard_steps_total{stream=\"%s\",direction=\"up\"} %lld\n",
                g[i].name, (long long)g[i].down, g[i].name, (long long)g[i].up);
    free(g);
}

static int handle_metrics(HttpRequest *req, void *arg)
{
    Site *s = arg;
    Entry *e;
    char *text, *all = NULL;
    size_t len, alen = 0;
    FILE *f;
    int n, i, r;
    unsigned live = 0, vod = 0;
    int64_t ustreams, usegments;

    if (s->nmetrics_allow &&
        !http_nets_contain(s->metrics_allow, s->nmetrics_allow, http_client_ip(req)))
        return http_reply_error(req, MHD_HTTP_NOT_FOUND, NULL);

    if (list_streams(s, &e, &n) == 0) {
        for (i = 0; i < n; i++)
            e[i].live ? live++ : vod++;
        free(e);
    }
    metrics_set_streams(live, vod);
    if (dbread_unpublished(s->db, &ustreams, &usegments) == 0)
        metrics_set_unpublished(ustreams, usegments);
    if ((r = metrics_render(&text, &len)) < 0)
        return r;
    if (!(f = open_memstream(&all, &alen))) {
        free(text);
        return AVERROR(ENOMEM);
    }
    fwrite(text, 1, len, f);
    free(text);
    append_unpublished(s, f);
    append_guards(s, f);
    if (fclose(f) != 0) {
        free(all);
        return AVERROR(ENOMEM);
    }
    r = http_reply(req, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", "no-store",
                   all, alen);
    free(all);
    return r;
}

int site_routes(Site *s, HttpServer *srv)
{
    int r;
    if ((r = http_route(srv, "GET", "/", HTTP_ROUTE_EXACT, handle_index, s)) < 0 ||
        (r = http_route(srv, "GET", "/streams.json", HTTP_ROUTE_EXACT, handle_streams_json, s)) < 0 ||
        (r = http_route(srv, "GET", "/time", HTTP_ROUTE_EXACT, handle_time, s)) < 0 ||
        (r = http_route(srv, "GET", "/metrics", HTTP_ROUTE_EXACT, handle_metrics, s)) < 0 ||
        (r = http_route(srv, "GET", "/watch/", HTTP_ROUTE_PREFIX, handle_watch, s)) < 0 ||
        (r = http_route(srv, "GET", "/assets/", HTTP_ROUTE_PREFIX, handle_asset, s)) < 0)
        return r;
    return 0;
}
