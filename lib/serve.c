/*
 * serve.c: putting live-serve together and running it. See serve.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "api.h"
#include "dbread.h"
#include "log.h"
#include "memcache.h"
#include "origin.h"
#include "rtc/whepproxy.h"
#include "serve.h"
#include "site.h"
#include "waiter.h"

void serve_config_defaults(ServeConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    http_config_defaults(&cfg->http);
    cfg->root = ".";
    cfg->max_waiting = 8192;
    cfg->max_wait = 15;
    cfg->max_streams = SERVE_DEFAULT_MAX_STREAMS;
    cfg->max_streams_per_ip = SERVE_DEFAULT_MAX_STREAMS_PER_IP;
    cfg->manifest_max_age = 1;
    cfg->default_duration = 10;
    cfg->memory_cache = (size_t)256 << 20;
    cfg->position_rate = -1;
}

/* Open the access log as fd (reopened on SIGHUP onto the same number). */
static int open_log(const char *path, int *fd)
{
    int nfd;

    if (!path || !strcmp(path, "-")) {
        *fd = STDERR_FILENO;
        return 0;
    }
    if (!path[0]) {
        *fd = -1;
        return 0;
    }
    nfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (nfd < 0) {
        int err = errno;
        log_error("%s: %s", path, strerror(err));
        return AVERROR(err);
    }
    if (*fd > STDERR_FILENO) {   /* reopen in place: threads keep using *fd */
        dup3(nfd, *fd, O_CLOEXEC);
        close(nfd);
    } else {
        *fd = nfd;
    }
    return 0;
}

/* Many viewers need many descriptors: raise the soft limit to the hard one. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* The parts of a running live-serve. */
typedef struct Parts {
    DbRead *db;
    Waiter *waiter;
    Origin *origin;
    Site *site;
    MemCache *mem;
    HttpServer *srv;
    Account *acct;
} Parts;

/* Make the parts, add the routes (the catch-all last) and start serving. */
static int parts_start(Parts *p, ServeConfig *c)
{
    OriginConfig oc;
    int r;

    if ((c->memory_cache && (r = memcache_new(c->memory_cache, &p->mem)) < 0) ||
        (r = dbread_new(c->db, &p->db)) < 0 ||
        (r = waiter_new(c->root, c->max_waiting, &p->waiter)) < 0)
        return r;
    oc = (OriginConfig){
        .root = c->root, .db = p->db, .waiter = p->waiter,
        .mem = p->mem,
        .manifest_max_age = c->manifest_max_age, .wait_max = c->max_wait,
        .max_streams = c->max_streams, .max_streams_per_ip = c->max_streams_per_ip,
        .default_duration = c->default_duration,
    };
    if ((r = origin_new(&oc, &p->origin)) < 0 ||
        (r = site_new(c->root, c->assets, p->db, &p->site)) < 0 ||
        (site_metrics_allow(p->site, c->metrics_allow, c->nmetrics_allow), 0) ||
        (r = http_server_new(&c->http, &p->srv)) < 0 ||
        (r = site_routes(p->site, p->srv)) < 0 ||
        (c->db && (r = api_start(c->db, c->position_rate, p->srv, &p->acct)) < 0) || /* login and resume */
        (c->rtc && (r = whepproxy_routes(p->srv, c->rtc)) < 0) || /* WebRTC signalling */
        /* the catch-all last: routes are tried in the order added */
        (r = http_route(p->srv, "GET", "/", HTTP_ROUTE_PREFIX, origin_handle, p->origin)) < 0 ||
        (r = http_server_start(p->srv)) < 0)
        return r;
    log_info("serving %s on http://%s:%d/ (assets %s, db %s)", c->root,
             c->http.host && c->http.host[0] ? c->http.host : "0.0.0.0",
             http_server_port(p->srv), c->assets, c->db ? c->db : "none");
    return 0;
}

/* Until SIGINT or SIGTERM; SIGHUP reopens the access log. */
static void wait_for_stop(const sigset_t *sigs, const ServeConfig *c, int *logfd)
{
    int sig;

    for (;;) {
        if (sigwait(sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if (*logfd > STDERR_FILENO)
                open_log(c->access_log, logfd);
            continue;
        }
        log_info("stopping (%s)", strsignal(sig));
        return;
    }
}

/* Waiting requests, logins and position writes are answered before MHD
 * stops (it must not stop with suspended connections). */
static void parts_quiesce(Parts *p)
{
    struct timespec ts = { 0, 200 * 1000000 };

    if (p->srv)
        http_server_quiesce(p->srv);
    waiter_release_all(p->waiter);
    api_stop(p->acct);
    nanosleep(&ts, NULL);
}

static void parts_free(Parts *p)
{
    waiter_free(&p->waiter);
    http_server_free(&p->srv);
    site_free(&p->site);
    account_close(&p->acct);
    origin_free(&p->origin);
    dbread_free(&p->db);
    memcache_free(&p->mem);
}

int serve_run(const ServeConfig *cfg)
{
    ServeConfig c = *cfg;
    char assets[PATH_MAX];
    Parts p = { 0 };
    sigset_t sigs, old;
    int r, logfd = -1;

    raise_nofile();
    if (!c.assets) {
        if (site_find_assets(assets, sizeof(assets)) < 0) {
            log_error("no player pages found (build/www or %s/www); use --assets DIR", LIVE_DATADIR);
            return AVERROR(ENOENT);
        }
        c.assets = assets;
    }
    if ((r = open_log(c.access_log, &logfd)) < 0)
        return r;
    c.http.access_log_fd = logfd;

    /* The threads started below inherit the blocked signals; this thread
     * takes them with sigwait. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);

    if ((r = parts_start(&p, &c)) >= 0) {
        wait_for_stop(&sigs, &c, &logfd);
        parts_quiesce(&p);
        r = 0;
    }
    parts_free(&p);
    if (logfd > STDERR_FILENO)
        close(logfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}
