/* Unit tests for lib/lltc.c (live-transcode --low-latency): a real
 * two-second H.264 and AAC segment (libx264, no B-frames) cut into four
 * Matroska part files, as live-segment -L writes them, through lltc_run:
 * chunk records in order, each part's chunk files named after part 0's
 * path (SEQ.cK.ID.mp4, audio too), contiguous and covering the segment,
 * the last one marked; then the renditions record of the whole files,
 * holding every frame; the part files removed. A segment whose part 0
 * was not seen is transcoded whole (no chunks); a part record with a bad
 * path is counted as bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/error.h>

#include "ladder.h"
#include "lltc.h"
#include "log.h"
#include "media.h"
#include "tap.h"

#define NPARTS 4
#define PART_MS 500

static char spool[512];

static int exists(const char *rel)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", spool, rel);
    return access(path, F_OK) == 0;
}

/* Cut src into NPARTS Matroska files at PART_MS boundaries (by pts). */
static int cut_parts(const char *src, const char *fmtpath)
{
    AVFormatContext *in = NULL, *out[NPARTS] = { 0 };
    AVPacket *pkt = av_packet_alloc();
    char path[700];
    int ret = AVERROR(ENOMEM);

    if (!pkt || (ret = avformat_open_input(&in, src, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(in, NULL)) < 0)
        goto done;
    for (int k = 0; k < NPARTS; k++) {
        snprintf(path, sizeof(path), fmtpath, spool, k);
        if ((ret = avformat_alloc_output_context2(&out[k], NULL, "matroska", path)) < 0)
            goto done;
        for (unsigned i = 0; i < in->nb_streams; i++) {
            AVStream *st = avformat_new_stream(out[k], NULL);
            if (!st || (ret = avcodec_parameters_copy(st->codecpar, in->streams[i]->codecpar)) < 0)
                goto done;
            st->codecpar->codec_tag = 0;
            st->time_base = (AVRational){ 1, 1000 };
        }
        if ((ret = avio_open(&out[k]->pb, path, AVIO_FLAG_WRITE)) < 0 ||
            (ret = avformat_write_header(out[k], NULL)) < 0)
            goto done;
    }
    while ((ret = av_read_frame(in, pkt)) >= 0) {
        AVStream *ist = in->streams[pkt->stream_index];
        int64_t ms = av_rescale_q(pkt->pts, ist->time_base, (AVRational){ 1, 1000 });
        int k = (int)(ms / PART_MS);
        if (k < 0)
            k = 0;
        if (k >= NPARTS)
            k = NPARTS - 1;
        av_packet_rescale_ts(pkt, ist->time_base, out[k]->streams[pkt->stream_index]->time_base);
        if ((ret = av_write_frame(out[k], pkt)) < 0)
            goto done;
        av_packet_unref(pkt);
    }
    ret = ret == AVERROR_EOF ? 0 : ret;
    for (int k = 0; k < NPARTS && ret >= 0; k++)
        ret = av_write_trailer(out[k]);
done:
    for (int k = 0; k < NPARTS; k++) {
        if (out[k]) {
            avio_closep(&out[k]->pb);
            avformat_free_context(out[k]);
        }
    }
    avformat_close_input(&in);
    av_packet_free(&pkt);
    return ret;
}

/* Video packets in the file at rel, or a negative AVERROR. */
static int count_video(const char *rel)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    char path[700];
    int n = 0, ret, vi;

    snprintf(path, sizeof(path), "%s/%s", spool, rel);
    if (!pkt || (ret = avformat_open_input(&fmt, path, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(fmt, NULL)) < 0) {
        n = pkt ? ret : AVERROR(ENOMEM);
        goto done;
    }
    vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    while (av_read_frame(fmt, pkt) >= 0) {
        n += pkt->stream_index == vi;
        av_packet_unref(pkt);
    }
done:
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    return n;
}

static int run(const TcrunOptions *o, const char *text, json_t **lines, int *n, int max)
{
    FILE *in = tmpfile(), *out = tmpfile();
    char buf[8192];
    int ret;

    fputs(text, in);
    rewind(in);
    ret = lltc_run(o, in, "records", out);
    rewind(out);
    *n = 0;
    while (*n < max && fgets(buf, sizeof(buf), out))
        lines[(*n)++] = json_loads(buf, 0, NULL);
    fclose(in);
    fclose(out);
    return ret;
}

static const char *sval(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The path of the rendition with id in rec's renditions, or "". */
static const char *rendition_path(const json_t *rec, const char *id)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(rec, "renditions"), i, r)
        if (!strcmp(sval(r, "id"), id))
            return sval(r, "path");
    return "";
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[700], want[128], *text = NULL;
    size_t tlen = 0;
    MediaSpec spec = { .format = "matroska", .width = 160, .height = 96, .fps = 25, .frames = 50,
                       .no_bframes = 1, .audio = AV_CODEC_ID_AAC, .sample_rate = 48000,
                       .channels = 2 };
    TcrunOptions o = { .t = { .preset = "ultrafast", .gop = 1, .passthrough = TRANSCODE_PASS_NEVER,
                              .tolerance = TRANSCODE_DEFAULT_TOLERANCE, .threads = 1,
                              .audio_bitrate = 64000, .exact_ladder = 1 },
                       .jobs = 1, .low_latency = 1 };
    const char *why;
    json_t *lines[32];
    FILE *f;
    int n, i, nchunks = 0, in_order = 1, named = 1, files = 1, contiguous = 1;
    double next = 0, total = 0;

    log_init("test-lltc");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(spool, sizeof(spool), "%s/live-test-lltc-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(spool))
        return 1;
    o.t.spool = spool;
    ladder_parse("96p:200k", &o.t.ladder, &why);
    snprintf(path, sizeof(path), "%s/cam.1", spool);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/cam.1/src.mkv", spool);
    is_int(media_write(path, &spec), 0, "a 2 s H.264 and AAC source");
    is_int(cut_parts(path, "%s/cam.1/0.p%d.mkv"), 0, "cut into four 0.5 s part files");

    f = open_memstream(&text, &tlen);
    for (i = 0; i < NPARTS; i++)
        fprintf(f, "{\"type\":\"part\",\"stream\":\"cam1\",\"seq\":0,\"part\":%d,"
                "\"path\":\"cam.1/0.p%d.mkv\",\"start_pts\":%d,\"duration_pts\":%d,"
                "\"timebase\":\"1/1000\",\"last\":%s}\n", i, i, i * PART_MS, PART_MS,
                i == NPARTS - 1 ? "true" : "false");
    fputs("{\"type\":\"segment\",\"stream\":\"cam1\",\"seq\":0,\"path\":\"cam.1/0.mp4\","
          "\"start\":0.0,\"duration\":2.0,\"discontinuity\":false}\n"
          "{\"type\":\"end\",\"stream\":\"cam1\",\"seq\":1}\n", f);
    fclose(f);
    is_int(run(&o, text, lines, &n, 32), 0, "four parts, the segment and an end: no error");
    for (i = 0; i < n && !strcmp(sval(lines[i], "type"), "chunk"); i++) {
        json_t *c = lines[i];
        in_order &= json_integer_value(json_object_get(c, "part")) == i &&
                    json_integer_value(json_object_get(c, "seq")) == 0;
        snprintf(want, sizeof(want), "cam.1/0.c%d.96p.mp4", i);
        named &= !strcmp(rendition_path(c, "96p"), want);
        files &= exists(want);
        snprintf(want, sizeof(want), "cam.1/0.c%d.audio.mp4", i);
        named &= !strcmp(rendition_path(c, "audio"), want);
        files &= exists(want);
        contiguous &= fabs(json_number_value(json_object_get(c, "start")) - next) < 1e-6;
        next = json_number_value(json_object_get(c, "start")) +
               json_number_value(json_object_get(c, "duration"));
        total += count_video(rendition_path(c, "96p"));
        nchunks++;
    }
    ok(nchunks >= 2 && nchunks <= NPARTS, "chunk records come as parts are taken (%d)", nchunks);
    ok(in_order, "chunks numbered 0, 1, ... of segment 0");
    ok(named, "chunk files named SEQ.cK.ID.mp4 after part 0's path (a dot in the directory kept)");
    ok(files, "every chunk file is there");
    ok(contiguous && fabs(next - 2.0) < 0.05, "chunks are contiguous and end at the segment's end (%g)", next);
    is_int((int)total, 50, "the chunks hold every frame once");
    ok(nchunks && json_is_true(json_object_get(lines[0], "independent")) &&
       !json_is_true(json_object_get(lines[0], "last")), "the first chunk is independent, not last");
    ok(nchunks && json_is_true(json_object_get(lines[nchunks - 1], "last")), "the last chunk is marked last");
    ok(n == nchunks + 2 && !strcmp(sval(lines[nchunks], "type"), "renditions") &&
       !strcmp(sval(lines[n - 1], "type"), "end"), "then the renditions record, then the end");
    if (n == nchunks + 2) {
        is_str(rendition_path(lines[nchunks], "96p"), "cam.1/0.96p.mp4", "the whole rendition's name");
        is_str(rendition_path(lines[nchunks], "audio"), "cam.1/0.audio.mp4", "the whole audio's name");
        is_int(count_video("cam.1/0.96p.mp4"), 50, "the whole rendition holds every frame");
        ok(exists("cam.1/0.audio.mp4"), "the whole audio file is there");
    } else {
        for (i = 0; i < 4; i++)
            ok(0, "no renditions record");
    }
    ok(!exists("cam.1/0.p0.mkv") && !exists("cam.1/0.p3.mkv"), "the part files were removed");
    for (i = 0; i < n; i++)
        json_decref(lines[i]);
    free(text);

    /* started mid segment: part 1 first, so the segment is transcoded whole */
    spec.format = "mp4";
    snprintf(path, sizeof(path), "%s/cam.1/1.mp4", spool);
    media_write(path, &spec);
    snprintf(path, sizeof(path), "%s/cam.1/1.p1.mkv", spool);
    fclose(fopen(path, "w"));
    text = NULL;
    f = open_memstream(&text, &tlen);
    fputs("{\"type\":\"part\",\"stream\":\"cam1\",\"seq\":1,\"part\":1,\"path\":\"cam.1/1.p1.mkv\","
          "\"start_pts\":2500,\"duration_pts\":500}\n"
          "{\"type\":\"segment\",\"stream\":\"cam1\",\"seq\":1,\"path\":\"cam.1/1.mp4\","
          "\"start\":2.0,\"duration\":2.0,\"discontinuity\":false}\n", f);
    fclose(f);
    is_int(run(&o, text, lines, &n, 32), 0, "a segment seen from part 1: no error");
    ok(n == 1 && !strcmp(sval(lines[0], "type"), "renditions") &&
       !json_is_true(json_object_get(lines[0], "failed")), "no chunks: one renditions record, transcoded whole");
    ok(n == 1 && count_video(rendition_path(lines[0], "96p")) == 50, "its rendition holds every frame");
    ok(!exists("cam.1/1.p1.mkv"), "the unused part file was removed");
    for (i = 0; i < n; i++)
        json_decref(lines[i]);
    free(text);

    is_int(run(&o, "{\"type\":\"part\",\"stream\":\"cam1\",\"seq\":2,\"part\":0,\"path\":\"../x.mkv\"}\n",
               lines, &n, 32), AVERROR_INVALIDDATA, "a part path outside the spool: bad input");
    is_int(n, 0, "and nothing written for it");
    for (i = 0; i < n; i++)
        json_decref(lines[i]);

    snprintf(path, sizeof(path), "rm -rf '%s'", spool);
    if (system(path) != 0)
        diag("could not remove %s", spool);
    return done();
}
