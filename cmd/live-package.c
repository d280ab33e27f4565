/*
 * live-package: rendition records in (any order), CMAF segments with a
 * DASH manifest and HLS playlists out, indexed in the SQLite database.
 * The reduce step of the pipeline; see live-package(1) and package.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "live.h"
#include "log.h"
#include "package.h"
#include "parse.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: live-package [-hqv] [-C spool] [-o out] [--db file] [-t seconds]\n"
            "                    [-w seconds] [--cache-seconds seconds] [--grace seconds]\n"
            "                    [--end-timeout seconds] [--utc-timing url] [--vod] [--keep]\n"
            "                    [-L] [--part seconds]\n"
            "                    [records]\n"
            "\n"
            "Publish live-transcode's renditions as CMAF segments with a DASH manifest\n"
            "and HLS playlists: OUT/NAME/manifest.mpd, OUT/NAME/master.m3u8,\n"
            "OUT/NAME/REND/{init.mp4,SEQ.m4s,index.m3u8}.\n"
            "\n"
            "  -C, --spool DIR         directory record paths are relative to (.)\n"
            "  -o, --out DIR           output tree (.)\n"
            "      --db FILE           SQLite database (%s)\n"
            "  -t, --timeout SECONDS   wait this long for a missing segment, then\n"
            "                          publish it as a gap (%g)\n"
            "  -w, --window SECONDS    DVR window of live streams (%g, i.e. 2h)\n"
            "      --cache-seconds S   live-edge bytes kept in the database (%g)\n"
            "      --grace SECONDS     keep files this long after the manifests\n"
            "                          stop listing them (%g)\n"
            "      --end-timeout S     finish a live stream whose publisher was lost\n"
            "                          (an end record with \"lost\") after this long (%g)\n"
            "      --utc-timing URL    the MPD's UTCTiming value (/time)\n"
            "      --vod               write video-on-demand manifests from the start\n"
            "      --keep              leave the rendition files in the spool\n"
            "  -L, --low-latency       append chunk records to growing segments and publish\n"
            "                          their parts (LL-HLS, LL-DASH)\n"
            "      --part SECONDS      the parts' nominal duration, as live-segment's (%g)\n"
            "  -q, --quiet             fewer messages\n"
            "  -v, --verbose           more messages\n"
            "  -h, --help              this help\n"
            "      --version           print the version\n",
            DB_DEFAULT_PATH, PACKAGE_DEFAULT_TIMEOUT, PACKAGE_DEFAULT_WINDOW,
            PACKAGE_DEFAULT_CACHE, PACKAGE_DEFAULT_GRACE, PACKAGE_DEFAULT_END_TIMEOUT,
            PACKAGE_DEFAULT_PART);
}

enum { OPT_DB = LIVE_OPT_OWN, OPT_CACHE, OPT_GRACE, OPT_UTC, OPT_VOD, OPT_KEEP, OPT_END, OPT_PART };

static const struct option longopts[] = {
    { "spool", required_argument, NULL, 'C' },
    { "out", required_argument, NULL, 'o' },
    { "db", required_argument, NULL, OPT_DB },
    { "timeout", required_argument, NULL, 't' },
    { "window", required_argument, NULL, 'w' },
    { "cache-seconds", required_argument, NULL, OPT_CACHE },
    { "grace", required_argument, NULL, OPT_GRACE },
    { "end-timeout", required_argument, NULL, OPT_END },
    { "utc-timing", required_argument, NULL, OPT_UTC },
    { "vod", no_argument, NULL, OPT_VOD },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "low-latency", no_argument, NULL, 'L' },
    { "part", required_argument, NULL, OPT_PART },
    LIVE_COMMON_OPTIONS,
    { NULL, 0, NULL, 0 },
};

/* A duration option c of at least min seconds: 0, or a message and -1. */
static int seconds_opt(int c, const char *arg, double min, double *out)
{
    char want[64];

    if (parse_seconds(arg, min, 1e9, out) < 0) {
        snprintf(want, sizeof(want), "a duration of at least %g s", min);
        live_bad_option(longopts, c, arg, want);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    PackageOptions o = {
        .input = "-",
        .spool = ".",
        .out = ".",
        .db_path = DB_DEFAULT_PATH,
        .utc_timing = "/time",
        .timeout = PACKAGE_DEFAULT_TIMEOUT,
        .window = PACKAGE_DEFAULT_WINDOW,
        .cache_seconds = PACKAGE_DEFAULT_CACHE,
        .grace = PACKAGE_DEFAULT_GRACE,
        .end_timeout = PACKAGE_DEFAULT_END_TIMEOUT,
        .part = PACKAGE_DEFAULT_PART,
    };
    int c, ret, status;

    live_init(argv[0]);
    while ((c = getopt_long(argc, argv, "C:o:t:w:L" LIVE_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        switch (c) {
        case 'C': o.spool = optarg; break;
        case 'o': o.out = optarg; break;
        case OPT_DB: o.db_path = optarg; break;
        case 't':
            if (seconds_opt(c, optarg, 0, &o.timeout) < 0)
                return live_finish(LIVE_EXIT_USAGE);
            break;
        case 'w':
            if (seconds_opt(c, optarg, 1, &o.window) < 0)
                return live_finish(LIVE_EXIT_USAGE);
            break;
        case OPT_CACHE:
            if (seconds_opt(c, optarg, 0, &o.cache_seconds) < 0)
                return live_finish(LIVE_EXIT_USAGE);
            break;
        case OPT_GRACE:
            if (seconds_opt(c, optarg, 0, &o.grace) < 0)
                return live_finish(LIVE_EXIT_USAGE);
            break;
        case OPT_END:
            if (seconds_opt(c, optarg, 0, &o.end_timeout) < 0)
                return live_finish(LIVE_EXIT_USAGE);
            break;
        case OPT_UTC: o.utc_timing = optarg; break;
        case OPT_VOD: o.vod = 1; break;
        case OPT_KEEP: o.keep = 1; break;
        case 'L': o.low_latency = 1; break;
        case OPT_PART:
            if (parse_seconds(optarg, 0.05, 10, &o.part) < 0) {
                live_bad_option(longopts, c, optarg, "a duration from 0.05 to 10 seconds");
                return live_finish(LIVE_EXIT_USAGE);
            }
            break;
        default:
            if ((status = live_common_option(c, usage)) >= 0)
                return status;
        }
    }
    if (argc - optind > 1) {
        log_error("at most one records file");
        usage(stderr);
        return live_finish(LIVE_EXIT_USAGE);
    }
    if (optind < argc)
        o.input = argv[optind];

    ret = package_run(&o);
    return live_finish(live_exit_status(ret));
}
