/*
 * live-serve: the HTTP origin of the pipeline. Serves live-package's
 * output tree (DASH manifests, HLS playlists, CMAF segments) from files
 * and the db's live-edge cache, the player page, /time and /metrics.
 * See live-serve(1). The work is in lib/: serve.c puts together
 * http.c (the server), origin.c (the output tree and the live edge),
 * site.c (player pages, /time, streams), waiter.c (requests waiting for
 * a segment), memcache.c (segments in memory), dbread.c (the db, read
 * only), metrics.c (/metrics), api.c (login and resume, on account.c)
 * and path.c (URL paths to files).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "db.h"
#include "live.h"
#include "log.h"
#include "parse.h"
#include "serve.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: live-serve [-vq] [-l ADDR:PORT] [-r ROOT] [-d DB] [-a FILE] [options]\n"
        "Serve live-package's output tree over HTTP, with a player page.\n"
        "\n"
        "  -l, --listen ADDR:PORT      listen there (default :%d, every IPv4 address)\n"
        "  -r, --root DIR              the tree to serve, live-package's OUT (default .)\n"
        "  -d, --db FILE               the database (default %s; files only when absent)\n"
        "      --no-db                 serve files only\n"
        "      --assets DIR            player pages and scripts (default: found beside\n"
        "                              the program, else %s/www)\n"
        "  -a, --access-log FILE       access log, combined format (default - = stderr;\n"
        "                              '' for none); reopened on SIGHUP\n"
        "  -c, --max-connections N     open connections at most (default %d)\n"
        "  -p, --max-per-ip N          connections from one address (default %d, 0 = no limit)\n"
        "  -t, --timeout SECONDS       close connections idle this long (default %d)\n"
        "  -H, --header-timeout SECONDS  time a client has to send a request head (default %d)\n"
        "      --body-timeout SECONDS  time a client has to send a request body (default %d)\n"
        "      --trusted-proxy ADDR[/BITS]  believe X-Forwarded-For and -Proto from these\n"
        "                              peers (an edge); repeatable; nobody's by default\n"
        "      --metrics-allow ADDR[/BITS]  answer /metrics only to these clients;\n"
        "                              repeatable (default: everyone)\n"
        "      --position-rate N       position writes per second per session, after a\n"
        "                              burst of 20 (default 1; 0: no limit)\n"
        "  -T, --threads N             event-loop threads (default: one per CPU)\n"
        "  -W, --max-waiting N         requests waiting for segments at most (default 8192)\n"
        "  -w, --max-wait SECONDS      longest wait for a segment (default 15)\n"
        "      --max-streams N         segments still being written streamed at once\n"
        "                              (default %d)\n"
        "      --max-streams-per-ip N  ... to one client address (default %d, 0 = no limit)\n"
        "  -m, --manifest-max-age SECONDS  Cache-Control max-age of live manifests (default 1)\n"
        "  -D, --segment-duration SECONDS  assumed when the db does not say (default 10)\n"
        "  -M, --memory-cache MB       segments kept in memory (default 256; 0: none)\n"
        "      --rtc SOCKET            forward WHEP (/whep/NAME) to live-rtc's control socket\n"
        "  -v, --verbose               more messages (repeat for more)\n"
        "  -q, --quiet                 fewer messages\n"
        "  -h, --help                  this help\n"
        "      --version               print the version\n",
        HTTP_DEFAULT_PORT, DB_DEFAULT_PATH, LIVE_DATADIR, HTTP_DEFAULT_MAX_CONNECTIONS,
        HTTP_DEFAULT_MAX_PER_IP, HTTP_DEFAULT_TIMEOUT, HTTP_DEFAULT_HEADER_TIMEOUT,
        HTTP_DEFAULT_BODY_TIMEOUT, SERVE_DEFAULT_MAX_STREAMS, SERVE_DEFAULT_MAX_STREAMS_PER_IP);
}

enum { OPT_ASSETS = LIVE_OPT_OWN, OPT_NO_DB, OPT_BODY_TIMEOUT, OPT_TRUSTED_PROXY,
       OPT_METRICS_ALLOW, OPT_RTC, OPT_POSITION_RATE, OPT_MAX_STREAMS,
       OPT_MAX_STREAMS_PER_IP };

static const struct option options[] = {
    { "listen",            required_argument, NULL, 'l' },
    { "root",              required_argument, NULL, 'r' },
    { "db",                required_argument, NULL, 'd' },
    { "no-db",             no_argument,       NULL, OPT_NO_DB },
    { "assets",            required_argument, NULL, OPT_ASSETS },
    { "rtc",               required_argument, NULL, OPT_RTC },
    { "access-log",        required_argument, NULL, 'a' },
    { "max-connections",   required_argument, NULL, 'c' },
    { "max-per-ip",        required_argument, NULL, 'p' },
    { "timeout",           required_argument, NULL, 't' },
    { "header-timeout",    required_argument, NULL, 'H' },
    { "body-timeout",      required_argument, NULL, OPT_BODY_TIMEOUT },
    { "trusted-proxy",     required_argument, NULL, OPT_TRUSTED_PROXY },
    { "metrics-allow",     required_argument, NULL, OPT_METRICS_ALLOW },
    { "position-rate",     required_argument, NULL, OPT_POSITION_RATE },
    { "threads",           required_argument, NULL, 'T' },
    { "max-waiting",       required_argument, NULL, 'W' },
    { "max-wait",          required_argument, NULL, 'w' },
    { "max-streams",       required_argument, NULL, OPT_MAX_STREAMS },
    { "max-streams-per-ip", required_argument, NULL, OPT_MAX_STREAMS_PER_IP },
    { "manifest-max-age",  required_argument, NULL, 'm' },
    { "segment-duration",  required_argument, NULL, 'D' },
    { "memory-cache",      required_argument, NULL, 'M' },
    LIVE_COMMON_OPTIONS,
    { NULL, 0, NULL, 0 },
};

/* A limit or timeout option c: 0, 1 when c is not one, or
 * AVERROR(EINVAL) for a bad value. */
static int set_limit(ServeConfig *cfg, int c, const char *arg)
{
    double secs;
    int n;

    switch (c) {
    case 'c':
        if (parse_int(arg, 1, 1000000, &n) < 0)
            return AVERROR(EINVAL);
        cfg->http.max_connections = n;
        break;
    case 'p':
        if (parse_int(arg, 0, 1000000, &n) < 0)
            return AVERROR(EINVAL);
        cfg->http.max_per_ip = n;
        break;
    case 't':
        if (parse_seconds(arg, 1, 86400, &secs) < 0)
            return AVERROR(EINVAL);
        cfg->http.timeout = (unsigned)secs;
        break;
    case 'H':
        if (parse_seconds(arg, 0, 86400, &secs) < 0)
            return AVERROR(EINVAL);
        cfg->http.header_timeout = (unsigned)secs;
        break;
    case OPT_BODY_TIMEOUT:
        if (parse_seconds(arg, 0, 86400, &secs) < 0)
            return AVERROR(EINVAL);
        cfg->http.body_timeout = (unsigned)secs;
        break;
    case OPT_POSITION_RATE:
        if (parse_double(arg, 0, 1e6, &cfg->position_rate) < 0)
            return AVERROR(EINVAL);
        break;
    case 'T':
        if (parse_int(arg, 1, 256, &n) < 0)
            return AVERROR(EINVAL);
        cfg->http.threads = n;
        break;
    case 'W':
        if (parse_int(arg, 0, 1000000, &n) < 0)
            return AVERROR(EINVAL);
        cfg->max_waiting = n;
        break;
    case 'w':
        if (parse_seconds(arg, 0, 3600, &cfg->max_wait) < 0)
            return AVERROR(EINVAL);
        break;
    case OPT_MAX_STREAMS:
        if (parse_int(arg, 1, 1000000, &n) < 0)
            return AVERROR(EINVAL);
        cfg->max_streams = n;
        break;
    case OPT_MAX_STREAMS_PER_IP:
        if (parse_int(arg, 0, 1000000, &n) < 0)
            return AVERROR(EINVAL);
        cfg->max_streams_per_ip = n;
        break;
    case 'm':
        if (parse_seconds(arg, 0, 3600, &cfg->manifest_max_age) < 0)
            return AVERROR(EINVAL);
        break;
    case 'D':
        if (parse_seconds(arg, 0.1, 3600, &cfg->default_duration) < 0)
            return AVERROR(EINVAL);
        break;
    case 'M':
        if (parse_int(arg, 0, 1 << 20, &n) < 0)
            return AVERROR(EINVAL);
        cfg->memory_cache = (size_t)n << 20;
        break;
    default:
        return 1;
    }
    return 0;
}

/* Any other option c of live-serve's own: 0, 1 when c is not one,
 * AVERROR(EINVAL) for a bad value, AVERROR(ERANGE) for a bad network. */
static int set_option(ServeConfig *cfg, int c, const char *arg, int *nodb)
{
    static char host[256];

    switch (c) {
    case 'l':
        if (parse_hostport(arg, host, sizeof(host), &cfg->http.port) < 0)
            return AVERROR(EINVAL);
        cfg->http.host = host;
        break;
    case 'r': cfg->root = arg; break;
    case 'd': cfg->db = arg; break;
    case OPT_NO_DB: *nodb = 1; break;
    case OPT_ASSETS: cfg->assets = arg; break;
    case OPT_RTC: cfg->rtc = arg; break;
    case 'a': cfg->access_log = arg; break;
    case OPT_TRUSTED_PROXY:
        if (cfg->http.ntrusted >= HTTP_MAX_NETS ||
            http_parse_net(arg, &cfg->http.trusted[cfg->http.ntrusted]) < 0)
            return AVERROR(ERANGE);
        cfg->http.ntrusted++;
        break;
    case OPT_METRICS_ALLOW:
        if (cfg->nmetrics_allow >= HTTP_MAX_NETS ||
            http_parse_net(arg, &cfg->metrics_allow[cfg->nmetrics_allow]) < 0)
            return AVERROR(ERANGE);
        cfg->nmetrics_allow++;
        break;
    default:
        return set_limit(cfg, c, arg);
    }
    return 0;
}

int main(int argc, char **argv)
{
    ServeConfig cfg;
    int c, r, status, nodb = 0;

    live_init(argv[0]);
    serve_config_defaults(&cfg);
    cfg.db = DB_DEFAULT_PATH;
    while ((c = getopt_long(argc, argv, "l:r:d:a:c:p:t:H:T:W:w:m:D:M:" LIVE_COMMON_SHORTOPTS, options, NULL)) != -1) {
        r = set_option(&cfg, c, optarg, &nodb);
        if (r == AVERROR(ERANGE))
            return live_bad_option(options, c, optarg, "want ADDR or ADDR/BITS, at most 32 of them");
        if (r < 0)
            return live_bad_option(options, c, optarg, NULL);
        if (r == 1 && (status = live_common_option(c, usage)) >= 0)
            return status;
    }
    if (optind < argc) {
        log_error("unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return LIVE_EXIT_USAGE;
    }
    if (nodb)
        cfg.db = NULL;
    /* the server answers bad requests and goes on: its only errors are failures */
    return live_finish(serve_run(&cfg) < 0 ? LIVE_EXIT_FAILURE : LIVE_EXIT_OK);
}
