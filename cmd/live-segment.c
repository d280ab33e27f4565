/*
 * live-segment: cut a media stream into keyframe-aligned segment files in
 * a spool directory and print one JSON record per segment (live-pipe(5)).
 * The first stage after live-ingest; see live-segment(1). The work is in
 * lib/segment.c.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "live.h"
#include "log.h"
#include "parse.h"
#include "record.h"
#include "segment.h"

#define DEFAULT_STREAM "live"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: live-segment [-cLvq] [-s NAME] [-o SPOOL] [-d SECONDS] [-p SECONDS] [FILE]\n"
            "Cut media from FILE (default: standard input) into segments that start\n"
            "on video keyframes, write them to SPOOL/NAME/SEQ." SEGMENT_EXT " (SEQ." SEGMENT_EXT_MKV " for VP8)\n"
            "and print one JSON record per segment, then an end record (live-pipe(5)).\n"
            "\n"
            "  -s, --stream NAME     stream name (default: $LIVE_STREAM, else \"" DEFAULT_STREAM "\")\n"
            "  -o, --spool DIR       spool directory (default: .)\n"
            "  -d, --duration SECS   target segment duration (default: 10; 2.5, 500ms, 1m)\n"
            "  -c, --continue        go on after the segments already in SPOOL/NAME\n"
            "  -L, --low-latency     also write each segment in parts, SPOOL/NAME/SEQ.pN." SEGMENT_PART_EXT ",\n"
            "                        and print a part record as each is complete\n"
            "  -p, --part SECS       part duration in low-latency mode (default: 0.5;\n"
            "                        0.05 s up to -d; implies -L)\n"
            "  -v, --verbose         more messages (repeat for more)\n"
            "  -q, --quiet           fewer messages\n"
            "  -h, --help            this help\n"
            "      --version         print the version\n"
            "\n"
            "Exit status: 0 done, 1 failure, 2 usage, 3 bad input (good segments kept).\n");
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static const struct option longopts[] = {
    { "stream", required_argument, NULL, 's' },
    { "continue", no_argument, NULL, 'c' },
    { "spool", required_argument, NULL, 'o' },
    { "duration", required_argument, NULL, 'd' },
    { "low-latency", no_argument, NULL, 'L' },
    { "part", required_argument, NULL, 'p' },
    LIVE_COMMON_OPTIONS,
    { NULL, 0, NULL, 0 },
};

/* The command line into opt, checked: -1 to go on, or the exit status
 * to return now. */
static int parse_options(int argc, char **argv, SegmentOptions *opt)
{
    int c, status;

    while ((c = getopt_long(argc, argv, "cs:o:d:Lp:" LIVE_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            opt->resume = 1;
            break;
        case 's':
            opt->stream = optarg;
            break;
        case 'o':
            opt->spool = optarg;
            break;
        case 'd':
            if (parse_seconds(optarg, 0.1, 86400, &opt->duration) < 0)
                return live_bad_option(longopts, c, optarg, "a duration from 0.1 s to 24 h");
            break;
        case 'L':
            if (!(opt->part > 0))
                opt->part = SEGMENT_DEFAULT_PART;
            break;
        case 'p':
            if (parse_seconds(optarg, 0.05, 86400, &opt->part) < 0)
                return live_bad_option(longopts, c, optarg, "a duration from 0.05 s");
            break;
        default:
            if ((status = live_common_option(c, usage)) >= 0)
                return status;
        }
    }
    if (argc - optind > 1) {
        log_error("one input at most");
        usage(stderr);
        return live_finish(LIVE_EXIT_USAGE);
    }
    if (optind < argc)
        opt->input = argv[optind];
    if (record_stream_rule(opt->stream)) {
        log_error("not a valid stream name (%s): %s", record_stream_rule(opt->stream),
                  opt->stream);
        return live_finish(LIVE_EXIT_USAGE);
    }
    if (opt->part > opt->duration) {
        log_error("--part %g s: longer than a segment (-d %g s)", opt->part, opt->duration);
        return live_finish(LIVE_EXIT_USAGE);
    }
    if (!*opt->spool) {
        log_error("-o: empty spool directory");
        return live_finish(LIVE_EXIT_USAGE);
    }
    return -1;
}

int main(int argc, char **argv)
{
    SegmentOptions opt = {
        .stream = getenv("LIVE_STREAM"),
        .spool = ".",
        .duration = SEGMENT_DEFAULT_DURATION,
        .records = stdout,
        .stop = &stop_signal,
    };
    int ret, status;

    live_init(argv[0]);
    if (!opt.stream || !*opt.stream)
        opt.stream = DEFAULT_STREAM;
    if ((status = parse_options(argc, argv, &opt)) >= 0)
        return status;

    catch_signals();
    ret = segment_run(&opt);
    status = live_finish(live_exit_status(ret));
    if (ret == AVERROR_EXIT && stop_signal) {
        /* die of the signal, as the caller expects */
        signal(stop_signal, SIG_DFL);
        raise(stop_signal);
    }
    return status;
}
