/* Unit tests for lib/mp4out.c: the packets of a real H.264 file (with
 * B-frames, so pts != dts) and of its AAC track written to one-stream MP4
 * files read back with the same timestamps; nothing half-written is
 * visible, and an abandoned file leaves nothing behind. An open AAC
 * encoder's file (mp4out_open_encoder) carries its configuration. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/samplefmt.h>

#include "log.h"
#include "mp4out.h"
#include "media.h"
#include "tap.h"

#define MAXPKT 256

typedef struct Ts {
    int64_t pts, dts;
    int key;
} Ts;

/* The timestamps (in tb) of the packets of the first stream of type t. */
static int read_ts(const char *path, enum AVMediaType t, Ts *ts, int *n, AVRational tb,
                   int *streams)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    int ret, idx;

    *n = 0;
    if ((ret = avformat_open_input(&fmt, path, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(fmt, NULL)) < 0 ||
        (ret = idx = av_find_best_stream(fmt, t, -1, -1, NULL, 0)) < 0)
        goto end;
    if (streams)
        *streams = fmt->nb_streams;
    while (av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == idx && *n < MAXPKT) {
            av_packet_rescale_ts(pkt, fmt->streams[idx]->time_base, tb);
            ts[*n].pts = pkt->pts;
            ts[*n].dts = pkt->dts;
            ts[*n].key = !!(pkt->flags & AV_PKT_FLAG_KEY);
            (*n)++;
        }
        av_packet_unref(pkt);
    }
    ret = 0;
end:
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    return ret;
}

/* Copy the first stream of type t of src into dst with mp4out. */
static int copy(const char *src, const char *dst, enum AVMediaType t, int publish, int *written)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    Mp4Out *m = NULL;
    int ret, idx;

    *written = 0;
    if ((ret = avformat_open_input(&fmt, src, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(fmt, NULL)) < 0 ||
        (ret = idx = av_find_best_stream(fmt, t, -1, -1, NULL, 0)) < 0 ||
        (ret = mp4out_open(&m, dst, fmt->streams[idx]->codecpar, fmt->streams[idx]->time_base)) < 0)
        goto end;
    while (ret >= 0 && av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == idx) {
            ret = mp4out_write(m, pkt);
            (*written)++;
        }
        av_packet_unref(pkt);
    }
    if (ret >= 0)
        ret = mp4out_close(&m, publish);
end:
    mp4out_close(&m, 0);
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    return ret;
}

/* Files in dir (not . and ..). */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d)))
        n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], src[600], out[600], aout[600], cmd[700];
    MediaSpec spec = { .format = "mp4", .width = 160, .height = 96, .fps = 25, .frames = 50,
                       .audio = AV_CODEC_ID_AAC, .sample_rate = 48000, .channels = 2 };
    AVRational tb = { 1, 90000 };
    static Ts a[MAXPKT], b[MAXPKT];
    AVCodecParameters *par;
    Mp4Out *m = NULL;
    int na, nb, written, streams = 0, same, reordered, i;

    log_init("test-mp4out");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-mp4out-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    snprintf(src, sizeof(src), "%s/src.mp4", dir);
    snprintf(out, sizeof(out), "%s/0.720p.mp4", dir);
    snprintf(aout, sizeof(aout), "%s/0.audio.mp4", dir);
    is_int(media_write(src, &spec), 0, "made a source: H.264 with B-frames and AAC");

    is_int(copy(src, out, AVMEDIA_TYPE_VIDEO, 1, &written), 0, "video copied and published");
    is_int(read_ts(src, AVMEDIA_TYPE_VIDEO, a, &na, tb, NULL), 0, "read the source's video");
    is_int(read_ts(out, AVMEDIA_TYPE_VIDEO, b, &nb, tb, &streams), 0, "read the rendition");
    is_int(streams, 1, "the rendition holds exactly one stream");
    is_int(nb, na, "every packet is there (%d)", na);
    for (same = 1, reordered = 0, i = 0; i < na && i < nb; i++) {
        same &= a[i].pts == b[i].pts && a[i].dts == b[i].dts && a[i].key == b[i].key;
        reordered |= a[i].pts != a[i].dts;
    }
    ok(reordered, "the source has reordered frames (pts != dts)");
    ok(same, "pts, dts and key flags read back exactly");

    is_int(copy(src, aout, AVMEDIA_TYPE_AUDIO, 1, &written), 0, "audio copied and published");
    read_ts(src, AVMEDIA_TYPE_AUDIO, a, &na, tb, NULL);
    read_ts(aout, AVMEDIA_TYPE_AUDIO, b, &nb, tb, NULL);
    is_int(nb, na, "every audio packet is there");
    ok(nb > 0 && a[0].pts == b[0].pts && a[nb - 1].pts == b[nb - 1].pts, "audio timestamps kept");
    is_int(count_files(dir), 3, "no temporary file left behind");

    /* not published: neither the file nor its temporary name remains */
    snprintf(cmd, sizeof(cmd), "%s/1.720p.mp4", dir);
    is_int(copy(src, cmd, AVMEDIA_TYPE_VIDEO, 0, &written), 0, "abandoned");
    ok(access(cmd, F_OK) < 0, "an abandoned rendition is not there");
    is_int(count_files(dir), 3, "and nothing else is");

    /* while open, only the temporary name exists */
    par = avcodec_parameters_alloc();
    par->codec_type = AVMEDIA_TYPE_AUDIO;
    par->codec_id = AV_CODEC_ID_AAC;
    par->sample_rate = 48000;
    par->ch_layout = (AVChannelLayout)AV_CHANNEL_LAYOUT_STEREO;
    snprintf(cmd, sizeof(cmd), "%s/2.audio.mp4", dir);
    is_int(mp4out_open(&m, cmd, par, (AVRational){ 1, 48000 }), 0, "open");
    ok(access(cmd, F_OK) < 0 && count_files(dir) == 4, "while writing, only a temporary file exists");
    is_int(mp4out_close(&m, 0), 0, "close without publishing");
    ok(m == NULL, "the pointer is cleared");
    is_int(mp4out_close(&m, 1), 0, "closing NULL is fine");
    snprintf(cmd, sizeof(cmd), "%s/no/such/dir/x.mp4", dir);
    ok(mp4out_open(&m, cmd, par, (AVRational){ 1, 48000 }) < 0 && !m, "a directory that is not there fails");
    avcodec_parameters_free(&par);

    /* an encoder's output: its parameters, its global header */
    {
        const AVCodec *aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
        AVCodecContext *enc = avcodec_alloc_context3(aac);
        AVFormatContext *fmt = NULL;
        enc->sample_rate = 44100;
        enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
        enc->ch_layout = (AVChannelLayout)AV_CHANNEL_LAYOUT_MONO;
        enc->time_base = (AVRational){ 1, 44100 };
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        is_int(avcodec_open2(enc, aac, NULL), 0, "an AAC encoder, 44.1 kHz mono");
        snprintf(cmd, sizeof(cmd), "%s/3.audio.mp4", dir);
        is_int(mp4out_open_encoder(&m, cmd, enc), 0, "mp4out_open_encoder");
        {
            AVFrame *fr = av_frame_alloc();
            AVPacket *pkt = av_packet_alloc();
            int got = 0;
            fr->nb_samples = enc->frame_size;
            fr->format = enc->sample_fmt;
            av_channel_layout_copy(&fr->ch_layout, &enc->ch_layout);
            av_frame_get_buffer(fr, 0);
            av_samples_set_silence(fr->extended_data, 0, fr->nb_samples, 1, enc->sample_fmt);
            for (int k = 0; k < 3; k++) {
                fr->pts = k * enc->frame_size;
                avcodec_send_frame(enc, fr);
            }
            avcodec_send_frame(enc, NULL);
            while (avcodec_receive_packet(enc, pkt) == 0)
                got += mp4out_write(m, pkt) == 0;
            ok(got > 0, "its packets written (%d)", got);
            av_packet_free(&pkt);
            av_frame_free(&fr);
        }
        is_int(mp4out_close(&m, 1), 0, "published");
        ok(avformat_open_input(&fmt, cmd, NULL, NULL) == 0 && fmt->nb_streams == 1 &&
           fmt->streams[0]->codecpar->codec_id == AV_CODEC_ID_AAC &&
           fmt->streams[0]->codecpar->sample_rate == 44100 &&
           fmt->streams[0]->codecpar->ch_layout.nb_channels == 1 &&
           fmt->streams[0]->codecpar->extradata_size == enc->extradata_size &&
           fmt->streams[0]->time_base.den == 44100,
           "the file: AAC, 44100 Hz, mono, the encoder's configuration and time base");
        avformat_close_input(&fmt);
        snprintf(cmd, sizeof(cmd), "%s/no/such/dir/y.mp4", dir);
        ok(mp4out_open_encoder(&m, cmd, enc) < 0 && !m, "a directory that is not there fails");
        avcodec_free_context(&enc);
    }

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done();
}
