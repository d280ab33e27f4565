/* Unit tests for lib/tcrun.c: real segment records and files (H.264 and
 * AAC from libx264) through the record loop with two jobs — renditions
 * records in input order, the end record in its place, part records and
 * bad lines skipped, the spool cleaned (or kept with keep), a failed
 * segment's file kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/error.h>

#include "ladder.h"
#include "log.h"
#include "tcrun.h"
#include "media.h"
#include "tap.h"

static char spool[512];

static void seg_line(FILE *f, int seq)
{
    fprintf(f, "{\"type\":\"segment\",\"stream\":\"cam1\",\"seq\":%d,\"path\":\"cam1/%d.mp4\","
            "\"start\":%d.0,\"duration\":1.0,\"discontinuity\":false}\n", seq, seq, seq);
}

static int exists(const char *rel)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", spool, rel);
    return access(path, F_OK) == 0;
}

/* Run tcrun over the text in, the output lines into lines[] (at most 16). */
static int run(const TcrunOptions *o, const char *text, json_t **lines, int *n)
{
    FILE *in = tmpfile(), *out = tmpfile();
    char buf[8192];
    int ret;

    fputs(text, in);
    rewind(in);
    ret = tcrun(o, in, "records", out);
    rewind(out);
    *n = 0;
    while (*n < 16 && fgets(buf, sizeof(buf), out))
        lines[(*n)++] = json_loads(buf, 0, NULL);
    fclose(in);
    fclose(out);
    return ret;
}

static void free_lines(json_t **lines, int n)
{
    for (int i = 0; i < n; i++)
        json_decref(lines[i]);
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[700], *text = NULL;
    size_t tlen = 0;
    MediaSpec spec = { .format = "mp4", .width = 160, .height = 96, .fps = 25, .frames = 25,
                       .audio = AV_CODEC_ID_AAC, .sample_rate = 48000, .channels = 2 };
    TcrunOptions o = { .t = { .preset = "ultrafast", .gop = 1, .passthrough = TRANSCODE_PASS_NEVER,
                              .tolerance = TRANSCODE_DEFAULT_TOLERANCE, .threads = 1,
                              .audio_bitrate = 64000, .exact_ladder = 1 },
                       .jobs = 2 };
    const char *why;
    json_t *lines[16];
    FILE *f;
    int n, i, in_order;

    log_init("test-tcrun");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(spool, sizeof(spool), "%s/live-test-tcrun-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(spool))
        return 1;
    o.t.spool = spool;
    ladder_parse("96p:200k", &o.t.ladder, &why);
    snprintf(path, sizeof(path), "%s/cam1", spool);
    mkdir(path, 0755);
    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/cam1/%d.mp4", spool, i);
        media_write(path, &spec);
    }
    snprintf(path, sizeof(path), "%s/cam1/0.p0.nut", spool);
    fclose(fopen(path, "w"));
    ok(tcrun_default_jobs() >= 1 && tcrun_default_jobs() <= 64, "default jobs: the processors, 1 to 64");

    f = open_memstream(&text, &tlen);
    fputs("{\"type\":\"part\",\"stream\":\"cam1\",\"seq\":0,\"part\":0,\"path\":\"cam1/0.p0.nut\"}\n", f);
    for (i = 0; i < 4; i++)
        seg_line(f, i);
    fputs("{\"type\":\"end\",\"stream\":\"cam1\",\"seq\":4}\n", f);
    fclose(f);
    is_int(run(&o, text, lines, &n), 0, "four segments and an end, two jobs at once");
    is_int(n, 5, "four renditions records and the end record");
    for (in_order = 1, i = 0; i < 4 && i < n; i++)
        in_order &= !strcmp(json_string_value(json_object_get(lines[i], "type")), "renditions") &&
                    json_integer_value(json_object_get(lines[i], "seq")) == i;
    ok(in_order, "renditions records in input order");
    ok(n == 5 && !strcmp(json_string_value(json_object_get(lines[4], "type")), "end"),
       "the end record after the segments before it");
    is_int(json_array_size(json_object_get(lines[0], "renditions")), 2, "one video rung and the audio");
    ok(exists("cam1/0.96p.mp4"), "the rendition file is there");
    ok(!exists("cam1/0.mp4") && !exists("cam1/3.mp4"), "the segment files were removed");
    ok(!exists("cam1/0.p0.nut"), "the part's file was removed");
    free_lines(lines, n);
    free(text);

    /* keep; a bad line; a segment whose file is missing */
    o.keep = 1;
    snprintf(path, sizeof(path), "%s/cam1/5.mp4", spool);
    media_write(path, &spec);
    f = open_memstream(&text, &tlen);
    fputs("this is not json\n", f);
    seg_line(f, 5);
    seg_line(f, 6);   /* no such file */
    fclose(f);
    is_int(run(&o, text, lines, &n), AVERROR_INVALIDDATA, "a bad line and a bad segment: AVERROR_INVALIDDATA");
    is_int(n, 2, "the rest went on: two records");
    ok(n == 2 && !json_is_true(json_object_get(lines[0], "failed")), "segment 5 transcoded");
    ok(n == 2 && json_is_true(json_object_get(lines[1], "failed")), "segment 6 failed");
    ok(exists("cam1/5.mp4"), "keep: the segment file stays");
    free_lines(lines, n);
    free(text);

    is_int(run(&o, "", lines, &n), 0, "no input: nothing to do");
    is_int(n, 0, "and no output");

    snprintf(path, sizeof(path), "rm -rf '%s'", spool);
    if (system(path) != 0)
        diag("could not remove %s", spool);
    return done();
}
