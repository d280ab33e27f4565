/*
 * live-rtc: the WebRTC stage: real-time viewing over WHEP, next to DASH
 * and HLS. One process serves every viewer of every stream on one UDP
 * port; streams arrive on its control socket from `live-rtc -f` tees in
 * the per-stream pipelines, WHEP requests from live-serve. See
 * live-rtc(1); the work is in lib/rtc/.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "live.h"
#include "log.h"
#include "parse.h"
#include "record.h"
#include "rtc/server.h"

enum { OPT_CONSENT = LIVE_OPT_OWN, OPT_MAX_SESSIONS, OPT_MAX_PER_ADDR, OPT_MAX_STREAMS, OPT_TEST_LOSS };

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: live-rtc [-vq] [-u ADDR:PORT] [-a ADDRESS] [-c SOCKET] [options]\n"
            "       live-rtc -f SOCKET [-s NAME]\n"
            "Serve live streams to WebRTC viewers (WHEP through live-serve --rtc SOCKET),\n"
            "H.264 and Opus on one UDP port; or, with -f, pass standard input (FLV,\n"
            "MPEG-TS or Matroska) to standard output and feed a copy to the live-rtc at SOCKET.\n"
            "\n"
            "  -u, --udp ADDR:PORT       UDP port for every viewer (default 127.0.0.1:8189)\n"
            "  -a, --address ADDRESS     address viewers reach it at (default: the -u address)\n"
            "  -c, --control SOCKET      control socket (default live-rtc.sock)\n"
            "      --consent-timeout S   drop a viewer silent this long (default 30)\n"
            "      --max-sessions N      viewers in total (default 500)\n"
            "      --max-per-address N   viewers from one address (default 20)\n"
            "      --max-streams N       streams at once (default 64)\n"
            "      --test-loss PERCENT   drop this share of RTP packets (tests only)\n"
            "  -f, --feed SOCKET         tee mode: feed standard input to live-rtc at SOCKET\n"
            "  -s, --stream NAME         tee mode: the stream (default: $LIVE_STREAM)\n"
            "  -v, --verbose             more messages (repeat for more)\n"
            "  -q, --quiet               fewer messages\n"
            "  -h, --help                this help\n"
            "      --version             print the version\n"
            "\n"
            "Exit status: 0 done, 1 failure, 2 usage.\n");
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static const struct option longopts[] = {
    { "udp", required_argument, NULL, 'u' },
    { "address", required_argument, NULL, 'a' },
    { "control", required_argument, NULL, 'c' },
    { "feed", required_argument, NULL, 'f' },
    { "stream", required_argument, NULL, 's' },
    { "consent-timeout", required_argument, NULL, OPT_CONSENT },
    { "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
    { "max-per-address", required_argument, NULL, OPT_MAX_PER_ADDR },
    { "max-streams", required_argument, NULL, OPT_MAX_STREAMS },
    { "test-loss", required_argument, NULL, OPT_TEST_LOSS },
    LIVE_COMMON_OPTIONS,
    { NULL, 0, NULL, 0 },
};

/* -u ADDR:PORT into cfg (the host kept in a static buffer); port 0 is
 * any free one (it is logged), for tests. -1 when it is not that. */
static int parse_udp(const char *arg, RtcConfig *cfg)
{
    static char host[256];
    size_t n = strlen(arg);

    if (n > 2 && !strcmp(arg + n - 2, ":0") && n - 2 < sizeof(host)) {
        memcpy(host, arg, n - 2);
        host[n - 2] = '\0';
        cfg->udp_port = 0;
    } else if (parse_hostport(arg, host, sizeof(host), &cfg->udp_port) < 0) {
        host[0] = '\0';
    }
    if (!host[0])
        return -1;
    cfg->udp_host = host;
    return 0;
}

/* The command line into cfg, *feed and *stream: -1 to go on, or the
 * exit status to return now. */
static int parse_options(int argc, char **argv, RtcConfig *cfg, const char **feed, const char **stream)
{
    double loss = 0;
    int c, status;

    while ((c = getopt_long(argc, argv, "u:a:c:f:s:" LIVE_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            if (parse_udp(optarg, cfg) < 0)
                return live_bad_option(longopts, c, optarg, "ADDR:PORT, an IP address and a port");
            break;
        case 'a':
            cfg->address = optarg;
            break;
        case 'c':
            cfg->control = optarg;
            break;
        case 'f':
            *feed = optarg;
            break;
        case 's':
            *stream = optarg;
            break;
        case OPT_CONSENT:
            if (parse_seconds(optarg, 1, 3600, &cfg->consent_timeout) < 0)
                return live_bad_option(longopts, c, optarg, "1 s to 1 h");
            break;
        case OPT_MAX_SESSIONS:
            if (parse_int(optarg, 1, 100000, &cfg->limits.max_sessions) < 0)
                return live_bad_option(longopts, c, optarg, "1 to 100000");
            break;
        case OPT_MAX_PER_ADDR:
            if (parse_int(optarg, 1, 100000, &cfg->limits.max_per_addr) < 0)
                return live_bad_option(longopts, c, optarg, "1 to 100000");
            break;
        case OPT_MAX_STREAMS:
            if (parse_int(optarg, 1, 10000, &cfg->max_streams) < 0)
                return live_bad_option(longopts, c, optarg, "1 to 10000");
            break;
        case OPT_TEST_LOSS:
            if (parse_double(optarg, 0, 50, &loss) < 0)
                return live_bad_option(longopts, c, optarg, "a percentage from 0 to 50");
            cfg->test_loss = loss / 100;
            break;
        default:
            if ((status = live_common_option(c, usage)) >= 0)
                return status;
        }
    }
    if (optind < argc) {
        log_error("unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return live_finish(LIVE_EXIT_USAGE);
    }
    return -1;
}

/* -f: the tee into the live-rtc at sock. */
static int run_tee(const char *sock, const char *stream)
{
    int ret;

    if (!stream || record_stream_rule(stream)) {
        log_error("-f needs a valid stream name (-s NAME or $LIVE_STREAM)");
        return live_finish(LIVE_EXIT_USAGE);
    }
    ret = rtc_tee_run(sock, stream, STDIN_FILENO, STDOUT_FILENO, &stop_signal);
    if (ret == AVERROR(EPIPE))
        ret = 0; /* downstream went away */
    return live_finish(live_exit_status(ret));
}

int main(int argc, char **argv)
{
    RtcConfig cfg;
    const char *feed = NULL, *stream = getenv("LIVE_STREAM");
    int ret, status;

    live_init(argv[0]);
    rtc_config_defaults(&cfg);
    if ((status = parse_options(argc, argv, &cfg, &feed, &stream)) >= 0)
        return status;
    catch_signals();
    if (feed)
        return run_tee(feed, stream);
    if (!cfg.address)
        cfg.address = cfg.udp_host;
    if (!strcmp(cfg.address, "0.0.0.0") || !strcmp(cfg.address, "::")) {
        log_error("-u binds every address: say with -a which one viewers reach");
        return live_finish(LIVE_EXIT_USAGE);
    }
    cfg.stop = &stop_signal;
    ret = rtc_server_run(&cfg);
    return live_finish(ret < 0 ? LIVE_EXIT_FAILURE : LIVE_EXIT_OK);
}
