/*
 * live-ingest: the first stage of the pipeline. An RTMP server that takes
 * published streams and writes each as FLV, or (with a URL) a puller of
 * any libavformat source that writes FLV. See live-ingest(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "ingest.h"
#include "keys.h"
#include "live.h"
#include "log.h"
#include "parse.h"
#include "pull.h"

enum {
    OPT_MAX_CONNS = LIVE_OPT_OWN,
    OPT_MAX_MESSAGE,
    OPT_MAX_UNPUBLISHED,
    OPT_TLS,
    OPT_SRT,
    OPT_SRT_LATENCY,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_QUEUE,
    OPT_HANDSHAKE_TIMEOUT,
    OPT_IDLE_TIMEOUT,
    OPT_REALTIME,
    OPT_RETRY,
    OPT_SRT_PASSPHRASE,
    OPT_WHIP,
    OPT_WHIP_ADDRESS,
    OPT_MAX_WHIP,
    OPT_MAX_WHIP_PER_ADDR,
    OPT_WHIP_KEYFRAMES,
    OPT_TRUSTED_PROXY,
};

static const struct option long_options[] = {
    { "listen", required_argument, NULL, 'l' },
    { "keys", required_argument, NULL, 'k' },
    { "exec", required_argument, NULL, 'e' },
    { "output-dir", required_argument, NULL, 'o' },
    { "grace", required_argument, NULL, 'g' },
    { "max-conns", required_argument, NULL, OPT_MAX_CONNS },
    { "max-message", required_argument, NULL, OPT_MAX_MESSAGE },
    { "max-unpublished", required_argument, NULL, OPT_MAX_UNPUBLISHED },
    { "tls", required_argument, NULL, OPT_TLS },
    { "srt", required_argument, NULL, OPT_SRT },
    { "srt-latency", required_argument, NULL, OPT_SRT_LATENCY },
    { "srt-passphrase", required_argument, NULL, OPT_SRT_PASSPHRASE },
    { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
    { "tls-key", required_argument, NULL, OPT_TLS_KEY },
    { "queue", required_argument, NULL, OPT_QUEUE },
    { "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT },
    { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
    { "realtime", no_argument, NULL, OPT_REALTIME },
    { "retry", required_argument, NULL, OPT_RETRY },
    { "whip", required_argument, NULL, OPT_WHIP },
    { "whip-address", required_argument, NULL, OPT_WHIP_ADDRESS },
    { "max-whip", required_argument, NULL, OPT_MAX_WHIP },
    { "max-whip-per-addr", required_argument, NULL, OPT_MAX_WHIP_PER_ADDR },
    { "whip-keyframes", required_argument, NULL, OPT_WHIP_KEYFRAMES },
    { "trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY },
    LIVE_COMMON_OPTIONS,
    { NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
    fprintf(f,
        "usage: live-ingest [-vq] [-l ADDR:PORT] [-k KEYFILE] [-e CMD | -o DIR] [-g SECONDS]\n"
        "       live-ingest [-vq] [--realtime] [--retry N] URL\n"
        "\n"
        "RTMP server: publishers send rtmp://HOST:PORT/APP/NAME?key=SECRET; each\n"
        "stream is written as FLV to standard output (the first stream only), or:\n"
        "  -e, --exec CMD          run sh -c CMD per stream, FLV on its stdin, LIVE_STREAM=NAME\n"
        "  -o, --output-dir DIR    write DIR/NAME.flv (into a FIFO if one is there)\n"
        "  -l, --listen ADDR:PORT  where to listen (default :1935)\n"
        "  -k, --keys FILE         \"NAME SECRET [SRT-PASSPHRASE]\" lines, re-read on SIGHUP;\n"
        "                          without it"
        "                          only loopback publishers are accepted\n"
        "  -g, --grace SECONDS     wait this long for a publisher to return (default 10)\n"
        "      --max-conns N       connections at once (default 256)\n"
        "      --tls ADDR:PORT     RTMPS (RTMP over TLS) on this address too, with\n"
        "      --tls-cert FILE     the PEM certificate chain and\n"
        "      --tls-key FILE      its PEM private key\n"
        "      --srt ADDR:PORT     SRT callers (MPEG-TS) too; stream id \"#!::r=NAME,k=KEY\"\n"
        "                          or \"NAME?key=KEY\"; the key checked before any data\n"
        "      --srt-latency SECONDS  SRT receive latency (default 0.12)\n"
        "      --srt-passphrase PASS  SRT encryption for streams without a passphrase\n"
        "                          of their own (a third field in the key file)\n"
        "      --whip ADDR:PORT    WHIP publishers: POST /whip/NAME with Authorization:\n"
        "                          Bearer KEY (HTTP on TCP, media on UDP, same port)\n"
        "      --whip-address ADDR the address WHIP publishers send media to (default: --whip's)\n"
        "      --max-whip N        WHIP publishers at once (default 16)\n"
        "      --max-whip-per-addr N  from one address (default 4)\n"
        "      --whip-keyframes SECONDS  ask WHIP publishers for a keyframe this often (default 2; 0: never)\n"
        "      --trusted-proxy ADDR[/BITS]  believe X-Forwarded-For from this proxy in front of --whip\n"
        "      --max-unpublished N connections from one address not yet publishing (default 8)\n"
        "      --max-message BYTES largest RTMP message (default 8388608, at most 16777215)\n"
        "      --queue BYTES       FLV bytes waiting per stream before its publisher is\n"
        "                          throttled (default 16777216)\n"
        "      --handshake-timeout SECONDS  from connect to publish (default 5)\n"
        "      --idle-timeout SECONDS       silence from a publisher (default 10)\n"
        "Pull mode: read URL (srt://, rtsp://, rtmp://, http://, a file) and write FLV\n"
        "to standard output, reconnecting when the source drops:\n"
        "      --realtime          pace a file at its own speed\n"
        "      --retry N           reconnect at most N times in a row (default 10; -1: forever)\n"
        "  -v, --verbose / -q, --quiet / -h, --help / --version\n");
}

/* The command line into opt and popt: -1 to go on (a URL at
 * argv[optind] means pull mode), or the exit status to return now. */
/* A server limit or timeout option c: 0, 1 when c is not one, or
 * AVERROR(EINVAL) for a bad value. */
static int set_limit(IngestOptions *opt, int c, const char *arg)
{
    long l;

    switch (c) {
    case OPT_MAX_CONNS:
        if (parse_int(arg, 1, 100000, &opt->max_conns) < 0)
            return AVERROR(EINVAL);
        break;
    case OPT_MAX_MESSAGE:
        if (parse_long(arg, 1024, RTMP_MAX_MESSAGE, &l) < 0)
            return AVERROR(EINVAL);
        opt->limits.max_message_size = l;
        if (opt->limits.max_pending < 2 * (uint32_t)l)
            opt->limits.max_pending = 2 * (uint32_t)l;
        break;
    case OPT_MAX_UNPUBLISHED:
        if (parse_int(arg, 1, 100000, &opt->max_unpublished) < 0)
            return AVERROR(EINVAL);
        break;
    case OPT_QUEUE:
        if (parse_long(arg, 65536, 1L << 32, &l) < 0)
            return AVERROR(EINVAL);
        opt->max_queue = l;
        break;
    case OPT_HANDSHAKE_TIMEOUT:
        if (parse_seconds(arg, 0.1, 3600, &opt->handshake_timeout) < 0)
            return AVERROR(EINVAL);
        break;
    case OPT_MAX_WHIP:
        if (parse_int(arg, 1, 10000, &opt->whip_max) < 0)
            return AVERROR(EINVAL);
        break;
    case OPT_MAX_WHIP_PER_ADDR:
        if (parse_int(arg, 1, 10000, &opt->whip_max_per_addr) < 0)
            return AVERROR(EINVAL);
        break;
    case OPT_WHIP_KEYFRAMES:
        if (parse_seconds(arg, 0, 3600, &opt->whip_keyframes) < 0)
            return AVERROR(EINVAL);
        break;
    case OPT_IDLE_TIMEOUT:
        if (parse_seconds(arg, 0.1, 3600, &opt->idle_timeout) < 0)
            return AVERROR(EINVAL);
        break;
    default:
        return 1;
    }
    return 0;
}

/* --srt-passphrase: kept here, wiped from the command line other users
 * see. NULL when its length is out of bounds. */
static const char *take_passphrase(char *arg)
{
    static char pass[KEYS_MAX_PASSPHRASE + 1];
    size_t n = strlen(arg);

    if (n < KEYS_MIN_PASSPHRASE || n > KEYS_MAX_PASSPHRASE)
        return NULL;
    memcpy(pass, arg, n + 1);
    memset(arg, 'x', n);
    return pass;
}

/* The options that go together, with nargs arguments left: -1 to go on,
 * or the exit status. */
static int check_options(const IngestOptions *opt, int nargs)
{
    if (opt->tls_listen && (!opt->tls_cert || !opt->tls_key)) {
        log_error("--tls needs --tls-cert and --tls-key");
        usage(stderr);
        return LIVE_EXIT_USAGE;
    }
    if (nargs > 1 || (opt->exec_cmd && opt->out_dir)) {
        log_error("%s", nargs > 1 ? "one URL at most" : "-e and -o exclude each other");
        usage(stderr);
        return LIVE_EXIT_USAGE;
    }
    return -1;
}

static int parse_options(int argc, char **argv, IngestOptions *opt, PullOptions *popt)
{
    int c, r, status;

    while ((c = getopt_long(argc, argv, "l:k:e:o:g:" LIVE_COMMON_SHORTOPTS, long_options, NULL)) != -1) {
        switch (c) {
        case 'l':
            opt->listen = optarg;
            break;
        case 'k':
            opt->keyfile = optarg;
            break;
        case 'e':
            opt->exec_cmd = optarg;
            break;
        case 'o':
            opt->out_dir = optarg;
            break;
        case 'g':
            if (parse_seconds(optarg, 0, 86400, &opt->grace) < 0)
                goto bad;
            break;
        case OPT_TLS:
            opt->tls_listen = optarg;
            break;
        case OPT_SRT:
            opt->srt_listen = optarg;
            break;
        case OPT_WHIP:
            opt->whip_listen = optarg;
            break;
        case OPT_WHIP_ADDRESS:
            opt->whip_address = optarg;
            break;
        case OPT_TRUSTED_PROXY:
            if (opt->ntrusted >= 16)
                goto bad;
            opt->trusted[opt->ntrusted++] = optarg;
            break;
        case OPT_SRT_LATENCY:
            if (parse_seconds(optarg, 0.02, 10, &opt->srt_latency) < 0)
                goto bad;
            break;
        case OPT_SRT_PASSPHRASE:
            if (!(opt->srt_passphrase = take_passphrase(optarg)))
                goto bad;
            break;
        case OPT_TLS_CERT:
            opt->tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            opt->tls_key = optarg;
            break;
        case OPT_REALTIME:
            popt->realtime = 1;
            break;
        case OPT_RETRY:
            if (parse_int(optarg, -1, 1000000, &popt->retry) < 0)
                goto bad;
            break;
        default:
            if ((r = set_limit(opt, c, optarg)) < 0)
                goto bad;
            if (r == 1 && (status = live_common_option(c, usage)) >= 0)
                return status;
        }
    }
    return check_options(opt, argc - optind);

bad:
    live_bad_option(long_options, c, optarg, NULL);
    usage(stderr);
    return LIVE_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    IngestOptions opt;
    PullOptions popt;
    int ret, status;

    live_init(argv[0]);
    ingest_options_default(&opt);
    pull_options_default(&popt);
    if ((status = parse_options(argc, argv, &opt, &popt)) >= 0)
        return status;
    if (optind < argc) {
        popt.url = argv[optind];
        ret = pull_run(&popt);
        return live_finish(live_exit_status(ret));
    }
    ret = ingest_run(&opt);
    /* the server logs bad publishers and goes on: its only errors are failures */
    return live_finish(ret < 0 ? LIVE_EXIT_FAILURE : LIVE_EXIT_OK);
}
