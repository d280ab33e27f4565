/*
 * live-transcode: segment records in, an H.264 ladder and AAC out — the
 * map step of the pipeline. See live-transcode(1); the work is in
 * lib/tcrun.c, lib/transcode.c, lib/ladder.c and lib/audio.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "estimate.h"
#include "ladder.h"
#include "live.h"
#include "log.h"
#include "parse.h"
#include "tcrun.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: live-transcode [-hqv] [-C spool] [-l ladder] [--exact-ladder] [--uhd] [-p preset]\n"
        "                      [--tune tune]\n"
        "                      [-g seconds] [--passthrough auto|always|never]\n"
        "                      [--tolerance percent] [--max-lag seconds] [-j jobs]\n"
        "                      [--estimate source]\n"
        "                      [-t threads] [-a audio-bitrate] [-L] [--keep] [file]\n"
        "Reads segment records (live-pipe(5)) from file or standard input, writes one\n"
        "MP4 file per rendition and one renditions record per segment on standard output.\n"
        "  -C, --spool DIR         directory the records' paths are relative to (.)\n"
        "  -l, --ladder LADDER     rungs SIZE:BITRATE,... (" LADDER_DEFAULT ")\n"
        "      --exact-ladder      only the ladder's rungs: none added at the source's\n"
        "                          size when the source is below or well above them\n"
        "      --uhd               add " LADDER_UHD " for sources that large\n"
        "                          (above 1080p only when asked)\n"
        "  -p, --preset PRESET     libx264 preset (" TRANSCODE_DEFAULT_PRESET ")\n"
        "      --tune TUNE         libx264 tune (none)\n"
        "  -g, --gop SECONDS       key frame interval (2)\n"
        "      --passthrough MODE  auto: copy the source into a rung of its size when its\n"
        "                          bit rate is within the tolerance of the rung's;\n"
        "                          always: whatever its bit rate; never (auto)\n"
        "      --tolerance PERCENT auto passes a source up to PERCENT above the rung's\n"
        "                          bit rate (50)\n"
        "      --max-lag SECONDS   live: step down (faster encoding, source passed through,\n"
        "                          costliest rungs left out) while segments come out\n"
        "                          more than SECONDS after the broadcast (off)\n"
        "  -j, --jobs N            segments transcoded at once (number of CPUs)\n"
        "  -t, --threads N         threads per encoder and decoder (CPUs / jobs)\n"
        "  -a, --audio-bitrate R   AAC bit rate when audio is encoded (128k)\n"
        "  -L, --low-latency       transcode part records as they come, one encoder per\n"
        "                          rung across a segment (zerolatency), and write a chunk\n"
        "                          record per part (live-pipe(5))\n"
        "      --keep              keep the input segment files\n"
        "      --estimate SOURCE   print the ladder's real-time factor for the first 10 s\n"
        "                          of SOURCE on this machine, and exit\n"
        "  -v, --verbose           more messages; -q, --quiet: fewer\n"
        "  -h, --help              this help; --version: the version\n");
}

enum { OPT_TUNE = LIVE_OPT_OWN, OPT_EXACT, OPT_TOLERANCE, OPT_MAXLAG, OPT_ESTIMATE, OPT_PASSTHROUGH, OPT_KEEP, OPT_UHD };

static const struct option longopts[] = {
    { "spool", required_argument, NULL, 'C' },
    { "ladder", required_argument, NULL, 'l' },
    { "exact-ladder", no_argument, NULL, OPT_EXACT },
    { "uhd", no_argument, NULL, OPT_UHD },
    { "preset", required_argument, NULL, 'p' },
    { "tune", required_argument, NULL, OPT_TUNE },
    { "gop", required_argument, NULL, 'g' },
    { "passthrough", required_argument, NULL, OPT_PASSTHROUGH },
    { "tolerance", required_argument, NULL, OPT_TOLERANCE },
    { "max-lag", required_argument, NULL, OPT_MAXLAG },
    { "estimate", required_argument, NULL, OPT_ESTIMATE },
    { "jobs", required_argument, NULL, 'j' },
    { "threads", required_argument, NULL, 't' },
    { "audio-bitrate", required_argument, NULL, 'a' },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "low-latency", no_argument, NULL, 'L' },
    LIVE_COMMON_OPTIONS,
    { NULL, 0, NULL, 0 },
};

/* A bad value for option c: the message, then the usage. */
static int bad(int c, const char *arg, const char *want)
{
    live_bad_option(longopts, c, arg, want);
    usage(stderr);
    return LIVE_EXIT_USAGE;
}

/* --estimate's source, or NULL */
static const char *estimate;

/* --passthrough's value into *mode; -1 when it is none of them. */
static int parse_passthrough(const char *arg, int *mode)
{
    static const char *const names[] = {
        [TRANSCODE_PASS_NEVER] = "never", [TRANSCODE_PASS_AUTO] = "auto",
        [TRANSCODE_PASS_ALWAYS] = "always",
    };
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (!strcmp(arg, names[i])) {
            *mode = i;
            return 0;
        }
    return -1;
}

/* After the options: the ladder parsed (with --uhd's rungs), preset and tune checked, jobs and
 * threads defaulted. -1 to go on, or the exit status. */
static int settle_options(TcrunOptions *o, const char *ladder, int uhd)
{
    const char *why = NULL;

    if (ladder_parse(ladder, &o->t.ladder, &why) < 0)
        return bad('l', ladder, why);
    if (uhd && ladder_add_uhd(&o->t.ladder) < 0)
        return bad('l', ladder, "too many rungs with --uhd's two (at most 16)");
    if (transcode_check(&o->t) < 0) {
        usage(stderr);
        return LIVE_EXIT_USAGE;
    }
    if (!o->jobs)
        o->jobs = tcrun_default_jobs();
    if (!o->t.threads) {
        int cpus = tcrun_default_jobs();
        o->t.threads = cpus / o->jobs > 1 ? cpus / o->jobs : 1;
    }
    return -1;
}

/* The command line into o, checked: -1 to go on (the input at
 * argv[optind], if any), or the exit status to return now. */
static int parse_options(int argc, char **argv, TcrunOptions *o)
{
    const char *ladder = LADDER_DEFAULT;
    int c, status, uhd = 0;

    while ((c = getopt_long(argc, argv, "C:l:p:g:j:t:a:L" LIVE_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        switch (c) {
        case 'C':
            o->t.spool = optarg;
            break;
        case 'l':
            ladder = optarg;
            break;
        case OPT_EXACT:
            o->t.exact_ladder = 1;
            break;
        case OPT_UHD:
            uhd = 1;
            break;
        case 'p':
            o->t.preset = optarg;
            break;
        case OPT_TUNE:
            o->t.tune = optarg;
            break;
        case 'g':
            if (parse_seconds(optarg, 0.1, 60, &o->t.gop) < 0)
                return bad(c, optarg, "a duration from 0.1 to 60 seconds");
            break;
        case OPT_PASSTHROUGH:
            if (parse_passthrough(optarg, &o->t.passthrough) < 0)
                return bad(c, optarg, "auto, always or never");
            break;
        case OPT_TOLERANCE:
            if (parse_int(optarg, 0, 1000, &o->t.tolerance) < 0)
                return bad(c, optarg, "a percentage from 0 to 1000");
            break;
        case OPT_ESTIMATE:
            estimate = optarg;
            break;
        case OPT_MAXLAG:
            if (parse_seconds(optarg, 0.5, 3600, &o->max_lag) < 0)
                return bad(c, optarg, "a duration from 0.5 s to 1 h");
            break;
        case 'j':
            if (parse_int(optarg, 1, 64, &o->jobs) < 0)
                return bad(c, optarg, "a number from 1 to 64");
            break;
        case 't':
            if (parse_int(optarg, 1, 64, &o->t.threads) < 0)
                return bad(c, optarg, "a number from 1 to 64");
            break;
        case 'a':
            if (parse_bitrate(optarg, 16000, 512000, &o->t.audio_bitrate) < 0)
                return bad(c, optarg, "a bit rate from 16k to 512k");
            break;
        case OPT_KEEP:
            o->keep = 1;
            break;
        case 'L':
            o->low_latency = 1;
            break;
        default:
            if ((status = live_common_option(c, usage)) >= 0)
                return status;
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        return LIVE_EXIT_USAGE;
    }
    return settle_options(o, ladder, uhd);
}

int main(int argc, char **argv)
{
    TcrunOptions o = {
        .t = {
            .spool = ".",
            .preset = TRANSCODE_DEFAULT_PRESET,
            .gop = TRANSCODE_DEFAULT_GOP,
            .passthrough = TRANSCODE_PASS_AUTO,
            .tolerance = TRANSCODE_DEFAULT_TOLERANCE,
            .audio_bitrate = TRANSCODE_DEFAULT_AUDIO_BITRATE,
        },
        .jobs = 0,
    };
    const char *name = "-";
    FILE *in = stdin;
    int ret, status;

    live_init(argv[0]);
    if ((status = parse_options(argc, argv, &o)) >= 0)
        return status;
    if (estimate) {   /* the first seconds of the source through the ladder, timed */
        o.t.threads = tcrun_default_jobs();
        return live_finish(live_exit_status(estimate_print(&o.t, estimate, stdout)));
    }
    if (argc - optind == 1 && strcmp(argv[optind], "-")) {
        name = argv[optind];
        if (!(in = fopen(name, "r"))) {
            log_error("%s: %s", name, strerror(errno));
            return LIVE_EXIT_FAILURE;
        }
    }
    ret = tcrun(&o, in, name, stdout);
    if (in != stdin)
        fclose(in);
    return live_finish(live_exit_status(ret));
}
