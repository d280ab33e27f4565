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

int serve_run(const ServeConfig *cfg)
{
    ServeConfig c = *cfg;
    char assets[PATH_MAX];
    DbRead *db = NULL;
    Waiter *waiter = NULL;
    Origin *origin = NULL;
    Site *site = NULL;
    MemCache *mem = NULL;
    HttpServer *srv = NULL;
    Account *acct = NULL;
    OriginConfig oc;
    sigset_t sigs, old;
    int r, sig, logfd = -1;

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

    if ((c.memory_cache && (r = memcache_new(c.memory_cache, &mem)) < 0) ||
        (r = dbread_new(c.db, &db)) < 0 ||
        (r = waiter_new(c.root, c.max_waiting, &waiter)) < 0)
        goto end;
    oc = (OriginConfig){
        .root = c.root, .db = db, .waiter = waiter,
        .mem = mem,
        .manifest_max_age = c.manifest_max_age, .wait_max = c.max_wait,
        .default_duration = c.default_duration,
    };
    if ((r = origin_new(&oc, &origin)) < 0 ||
        (r = site_new(c.root, c.assets, db, &site)) < 0 ||
        (site_metrics_allow(site, c.metrics_allow, c.nmetrics_allow), 0) ||
        (r = http_server_new(&c.http, &srv)) < 0 ||
        (r = site_routes(site, srv)) < 0 ||
        (c.db && (r = api_start(c.db, c.position_rate, srv, &acct)) < 0) ||   /* login and resume */
        (c.rtc && (r = whepproxy_routes(srv, c.rtc)) < 0) || /* WebRTC signalling */
        /* the catch-all last: routes are tried in the order added */
        (r = http_route(srv, "GET", "/", HTTP_ROUTE_PREFIX, origin_handle, origin)) < 0 ||
        (r = http_server_start(srv)) < 0)
        goto end;
    log_info("serving %s on http://%s:%d/ (assets %s, db %s)", c.root,
             c.http.host && c.http.host[0] ? c.http.host : "0.0.0.0", http_server_port(srv),
             c.assets, c.db ? c.db : "none");

    for (;;) {
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if (logfd > STDERR_FILENO)
                open_log(c.access_log, &logfd);
            continue;
        }
        log_info("stopping (%s)", strsignal(sig));
        break;
    }
    r = 0;
    /* Waiting requests are answered before MHD stops (it must not stop
     * with suspended connections). */
    if (srv)
        http_server_quiesce(srv);
    waiter_release_all(waiter);
    api_stop(acct);   /* logins and position writes answered before MHD stops */
    {
        struct timespec ts = { 0, 200 * 1000000 };
        nanosleep(&ts, NULL);
    }
end:
    waiter_free(&waiter);
    http_server_free(&srv);
    site_free(&site);
    account_close(&acct);
    origin_free(&origin);
    dbread_free(&db);
    memcache_free(&mem);
    if (logfd > STDERR_FILENO)
        close(logfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}
