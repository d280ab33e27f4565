/* Unit tests for lib/estimate.c on a real source (H.264 and AAC made with
 * libx264): the first seconds from the first key frame are transcoded and
 * timed, the temporary spool is removed, a source without video or that is
 * no media at all is refused. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/error.h>

#include "estimate.h"
#include "ladder.h"
#include "log.h"
#include "media.h"
#include "tap.h"

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d)))
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], work[600], src[600], cmd[700];
    MediaSpec spec = { .format = "mp4", .width = 320, .height = 180, .fps = 25, .frames = 100,
                       .audio = AV_CODEC_ID_AAC, .sample_rate = 48000, .channels = 2 };
    TranscodeOptions o = { .preset = "ultrafast", .gop = 1, .passthrough = TRANSCODE_PASS_NEVER,
                           .tolerance = TRANSCODE_DEFAULT_TOLERANCE, .threads = 1,
                           .audio_bitrate = 64000, .exact_ladder = 1, .spool = "/nonexistent" };
    const char *why;
    json_t *res = NULL, *rends;
    FILE *f;

    log_init("test-estimate");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-estimate-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    snprintf(work, sizeof(work), "%s/tmp", dir);
    mkdir(work, 0700);
    setenv("TMPDIR", work, 1);   /* where estimate_run makes its spool */
    snprintf(src, sizeof(src), "%s/src.mp4", dir);
    is_int(media_write(src, &spec), 0, "a 4 s source");
    ladder_parse("180p:400k,90p:100k", &o.ladder, &why);

    is_int(estimate_run(&o, src, 2.0, &res), 0, "estimate the first 2 s");
    is_str(json_string_value(json_object_get(res, "source")), src, "names the source");
    is_dbl(json_real_value(json_object_get(res, "seconds")), 2.0, 0.041,
           "2 s of media (from the first key frame, cut at 2 s)");
    ok(json_real_value(json_object_get(res, "wall")) > 0, "the wall time taken");
    is_dbl(json_real_value(json_object_get(res, "realtime_factor")),
           json_real_value(json_object_get(res, "seconds")) / json_real_value(json_object_get(res, "wall")),
           1e-9, "realtime factor = media / wall");
    rends = json_object_get(res, "renditions");
    is_int(json_array_size(rends), 3, "the renditions record of the ladder and the audio");
    is_str(json_string_value(json_object_get(json_array_get(rends, 1), "id")), "90p", "the second rung");
    is_int(entries(work), 0, "the temporary spool and its files are gone");
    json_decref(res);

    is_int(estimate_run(&o, src, 10.0, &res), 0, "more seconds than the source has");
    is_dbl(json_real_value(json_object_get(res, "seconds")), 4.0, 0.041, "the whole source, 4 s");
    json_decref(res);

    spec.width = 0;
    snprintf(src, sizeof(src), "%s/audio.mp4", dir);
    media_write(src, &spec);
    is_int(estimate_run(&o, src, 2.0, &res), AVERROR_INVALIDDATA, "audio only: AVERROR_INVALIDDATA");
    ok(res == NULL, "no result");
    snprintf(src, sizeof(src), "%s/text.mp4", dir);
    f = fopen(src, "w");
    fputs("hello", f);
    fclose(f);
    is_int(estimate_run(&o, src, 2.0, &res), AVERROR_INVALIDDATA, "not media: AVERROR_INVALIDDATA");
    snprintf(src, sizeof(src), "%s/missing.mp4", dir);
    is_int(estimate_run(&o, src, 2.0, &res), AVERROR_INVALIDDATA, "a missing file: AVERROR_INVALIDDATA");
    is_int(entries(work), 0, "nothing left behind after failures either");

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done();
}
