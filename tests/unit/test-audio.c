/* Unit tests for lib/audio.c on real audio: AAC copied packet for packet
 * (bandwidth from the bytes), MP2 decoded and encoded to AAC once, the
 * priming dropped and the length kept to the sample range given, mono
 * kept mono, undecodable audio refused. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "audio.h"
#include "log.h"
#include "media.h"
#include "tap.h"

#define MAXPKT 512

typedef struct Src {
    AVFormatContext *fmt;
    AVStream *st;
    AVPacket *pkt[MAXPKT];
    int n;
} Src;

static int src_open(Src *s, const char *path)
{
    int ret, idx;
    memset(s, 0, sizeof(*s));
    if ((ret = avformat_open_input(&s->fmt, path, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(s->fmt, NULL)) < 0 ||
        (ret = idx = av_find_best_stream(s->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0)) < 0)
        return ret;
    s->st = s->fmt->streams[idx];
    for (;;) {
        AVPacket *p = av_packet_alloc();
        if (!p || av_read_frame(s->fmt, p) < 0) {
            av_packet_free(&p);
            break;
        }
        if (p->stream_index != idx || s->n == MAXPKT)
            av_packet_free(&p);
        else
            s->pkt[s->n++] = p;
    }
    return 0;
}

static void src_close(Src *s)
{
    for (int i = 0; i < s->n; i++)
        av_packet_free(&s->pkt[i]);
    avformat_close_input(&s->fmt);
}

/* The first pts and the end (last pts + duration) in seconds, codec,
 * and the number of packets of the audio rendition at path. */
static int probe(const char *path, double *first, double *end, enum AVCodecID *codec, int *n,
                 int *channels)
{
    Src s;
    int ret = src_open(&s, path);
    if (ret >= 0 && s.n > 0) {
        AVRational tb = s.st->time_base;
        *first = s.pkt[0]->pts * av_q2d(tb);
        *end = (s.pkt[s.n - 1]->pts + s.pkt[s.n - 1]->duration) * av_q2d(tb);
        *codec = s.st->codecpar->codec_id;
        *n = s.n;
        *channels = s.st->codecpar->ch_layout.nb_channels;
    }
    src_close(&s);
    return ret;
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], path[600], out[600];
    MediaSpec spec = { .format = "matroska", .fps = 25, .frames = 50, .audio = AV_CODEC_ID_AAC,
                       .sample_rate = 48000, .channels = 2 };
    AudioRendition r;
    Src s;
    double first, end, in_first, in_end;
    enum AVCodecID codec = AV_CODEC_ID_NONE;
    int n = 0, channels = 0;

    log_init("test-audio");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-audio-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return 1;

    /* AAC: copied */
    snprintf(path, sizeof(path), "%s/aac.mkv", dir);
    snprintf(out, sizeof(out), "%s/0.audio.mp4", dir);
    is_int(media_write(path, &spec), 0, "2 s of AAC");
    is_int(src_open(&s, path), 0, "read its packets");
    s.st->codecpar->bit_rate = 0;  /* measured from the bytes, then */
    is_int(audio_rendition(s.st, s.pkt, s.n, 2.0, 128000, out, &r), 0, "AAC rendition");
    is_int(r.encoded, 0, "AAC is copied, not encoded");
    is_str(r.codec, "mp4a.40.2", "AAC-LC codec string");
    is_int(r.sample_rate, 48000, "its sample rate");
    is_int(r.channels, 2, "its channels");
    {
        int64_t bytes = 0;
        for (int i = 0; i < s.n; i++)
            bytes += s.pkt[i]->size;
        is_int(r.bandwidth, bytes * 8 / 2, "bandwidth measured from the bytes over 2 s");
    }
    is_int(probe(out, &first, &end, &codec, &n, &channels), 0, "read the rendition");
    is_int(n, s.n, "every packet copied");
    src_close(&s);

    /* MP2: decoded and encoded to AAC */
    spec.audio = AV_CODEC_ID_MP2;
    spec.sample_rate = 44100;
    snprintf(path, sizeof(path), "%s/mp2.mkv", dir);
    snprintf(out, sizeof(out), "%s/1.audio.mp4", dir);
    is_int(media_write(path, &spec), 0, "2 s of MP2");
    is_int(src_open(&s, path), 0, "read its packets");
    in_first = s.pkt[0]->pts * av_q2d(s.st->time_base);
    in_end = (s.pkt[s.n - 1]->pts + s.pkt[s.n - 1]->duration) * av_q2d(s.st->time_base);
    is_int(audio_rendition(s.st, s.pkt, s.n, 2.0, 96000, out, &r), 0, "MP2 rendition");
    is_int(r.encoded, 1, "encoded here");
    is_str(r.codec, "mp4a.40.2", "to AAC-LC");
    is_int(r.bandwidth, 96000, "bandwidth is the encoder's bit rate");
    is_int(r.sample_rate, 44100, "the source's rate (AAC has it)");
    is_int(r.channels, 2, "stereo");
    is_int(probe(out, &first, &end, &codec, &n, &channels), 0, "read the rendition");
    is_int(codec, AV_CODEC_ID_AAC, "the file holds AAC");
    is_dbl(first, in_first, 0.001, "starts at the first input sample (the priming is dropped)");
    ok(end - in_end < 1024.0 / 44100 && in_end - end < 1024.0 / 44100,
       "ends within a frame of the input's end (%.4f vs %.4f): no drift of a priming frame", end, in_end);
    src_close(&s);

    /* mono stays mono */
    spec.channels = 1;
    snprintf(path, sizeof(path), "%s/mono.mkv", dir);
    snprintf(out, sizeof(out), "%s/2.audio.mp4", dir);
    media_write(path, &spec);
    src_open(&s, path);
    is_int(audio_rendition(s.st, s.pkt, s.n, 2.0, 64000, out, &r), 0, "mono MP2 rendition");
    is_int(r.channels, 1, "one channel");
    probe(out, &first, &end, &codec, &n, &channels);
    is_int(channels, 1, "one channel in the file");

    /* garbage that claims to be MP2 */
    for (int i = 0; i < s.n; i++)
        memset(s.pkt[i]->data, 0x5a, s.pkt[i]->size);
    snprintf(out, sizeof(out), "%s/3.audio.mp4", dir);
    is_int(audio_rendition(s.st, s.pkt, s.n, 2.0, 64000, out, &r), AVERROR_INVALIDDATA,
           "undecodable audio: AVERROR_INVALIDDATA");
    ok(access(out, F_OK) < 0, "and no file");
    is_int(audio_rendition(s.st, s.pkt, 0, 2.0, 64000, out, &r), AVERROR_INVALIDDATA,
           "no packets: AVERROR_INVALIDDATA");
    src_close(&s);

    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    if (system(path) != 0)
        diag("could not remove %s", dir);
    return done();
}
