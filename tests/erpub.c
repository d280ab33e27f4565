/*
 * tests/erpub.c: an Enhanced RTMP publisher for the tests. FFmpeg 5.1
 * cannot send HEVC, AV1 or VP9 over RTMP; this reads a file (MP4 or
 * Matroska with HEVC, AV1 or VP9 video and AAC audio) and writes its
 * packets as FLV tags in Enhanced RTMP's byte layout (veovera
 * enhanced-rtmp v1):
 *
 *   video  [1 IsExHeader | frame_type:3 | packet_type:4] [FourCC:4] ...
 *          SequenceStart (0): the hvcC / av1C / vpcC record (VP9 without
 *          one, as libvpx's: profile 0, level 3.1, 8 bits 4:2:0, BT.709)
 *          CodedFrames (1): hvc1: SI24 composition time, then the frame
 *          CodedFramesX (3): the frame, composition time 0
 *   audio  legacy AAC: 0xAF 0x00 AudioSpecificConfig, 0xAF 0x01 frame
 *   script onMetaData with videocodecid = the FourCC as a number (-n: none)
 *
 * to OUTPUT, a file or an rtmp:// URL (libavformat's RTMP protocol sends
 * each FLV tag as one RTMP message). Timestamps are milliseconds from the
 * first decode time. Built by the tests that use it:
 *   cc -o erpub tests/erpub.c $(pkg-config --cflags --libs libavformat libavcodec libavutil)
 *   erpub [-n] INPUT OUTPUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/intreadwrite.h>

static AVIOContext *out;

static void tag(int type, int64_t ts, const uint8_t *head, int head_len, const uint8_t *body,
                int body_len)
{
    int size = head_len + body_len;

    avio_w8(out, type);
    avio_wb24(out, size);
    avio_wb24(out, ts & 0xffffff);
    avio_w8(out, (ts >> 24) & 0xff);
    avio_wb24(out, 0);
    avio_write(out, head, head_len);
    if (body_len)
        avio_write(out, body, body_len);
    avio_wb32(out, size + 11);
}

static void amf_str(uint8_t **p, const char *s)
{
    size_t n = strlen(s);
    AV_WB16(*p, n);
    memcpy(*p + 2, s, n);
    *p += 2 + n;
}

static void amf_num(uint8_t **p, const char *key, double v)
{
    amf_str(p, key);
    *(*p)++ = 0;
    AV_WB64(*p, av_double2int(v));
    *p += 8;
}

int main(int argc, char **argv)
{
    AVFormatContext *in = NULL;
    AVPacket *pkt = av_packet_alloc();
    int vi = -1, ai = -1, metadata = 1, a = 1;
    int64_t base = AV_NOPTS_VALUE, last = 0;
    uint32_t fourcc;
    AVRational ms = { 1, 1000 };

    if (argc > 1 && !strcmp(argv[1], "-n")) {
        metadata = 0;
        a = 2;
    }
    if (argc - a != 2) {
        fprintf(stderr, "usage: erpub [-n] INPUT OUTPUT\n");
        return 2;
    }
    if (avformat_open_input(&in, argv[a], NULL, NULL) < 0 ||
        avformat_find_stream_info(in, NULL) < 0) {
        fprintf(stderr, "erpub: cannot read %s\n", argv[a]);
        return 1;
    }
    for (unsigned i = 0; i < in->nb_streams; i++) {
        enum AVCodecID id = in->streams[i]->codecpar->codec_id;
        if ((id == AV_CODEC_ID_HEVC || id == AV_CODEC_ID_AV1 || id == AV_CODEC_ID_VP9) && vi < 0)
            vi = i;
        if (id == AV_CODEC_ID_AAC && ai < 0)
            ai = i;
    }
    if (vi < 0 || (!in->streams[vi]->codecpar->extradata_size &&
                   in->streams[vi]->codecpar->codec_id != AV_CODEC_ID_VP9)) {
        fprintf(stderr, "erpub: no HEVC, AV1 or VP9 video with its configuration record\n");
        return 1;
    }
    switch (in->streams[vi]->codecpar->codec_id) {
    case AV_CODEC_ID_HEVC: fourcc = MKBETAG('h', 'v', 'c', '1'); break;
    case AV_CODEC_ID_AV1:  fourcc = MKBETAG('a', 'v', '0', '1'); break;
    default:               fourcc = MKBETAG('v', 'p', '0', '9'); break;
    }
    if (avio_open2(&out, argv[a + 1], AVIO_FLAG_WRITE, NULL, NULL) < 0) {
        fprintf(stderr, "erpub: cannot open %s\n", argv[a + 1]);
        return 1;
    }
    /* header: FLV, version 1, audio + video, offset 9, PreviousTagSize0 */
    avio_write(out, (const uint8_t *)"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00", 13);
    if (metadata) {
        uint8_t buf[512], *p = buf;
        AVCodecParameters *par = in->streams[vi]->codecpar;
        *p++ = 2;
        amf_str(&p, "onMetaData");
        *p++ = 8;
        AV_WB32(p, ai >= 0 ? 4 : 3);
        p += 4;
        amf_num(&p, "width", par->width);
        amf_num(&p, "height", par->height);
        amf_num(&p, "videocodecid", (double)fourcc);
        if (ai >= 0)
            amf_num(&p, "audiocodecid", 10);
        *p++ = 0, *p++ = 0, *p++ = 9;
        tag(18, 0, buf, (int)(p - buf), NULL, 0);
    }
    {   /* the configuration records */
        static const uint8_t vpcc[] = { 1, 0, 0, 0, 0, 31, 0x82, 1, 1, 1, 0, 0 };
        AVCodecParameters *par = in->streams[vi]->codecpar;
        uint8_t h[5] = { 0x80 | 1 << 4 | 0 };
        AV_WB32(h + 1, fourcc);
        if (par->extradata_size)
            tag(9, 0, h, 5, par->extradata, par->extradata_size);
        else
            tag(9, 0, h, 5, vpcc, sizeof(vpcc));
        if (ai >= 0) {
            AVCodecParameters *ap = in->streams[ai]->codecpar;
            uint8_t ah[2] = { 0xaf, 0x00 };
            tag(8, 0, ah, 2, ap->extradata, ap->extradata_size);
        }
    }
    while (av_read_frame(in, pkt) >= 0) {
        AVStream *st = in->streams[pkt->stream_index];
        int64_t dts, pts;
        if (pkt->stream_index != vi && pkt->stream_index != ai) {
            av_packet_unref(pkt);
            continue;
        }
        dts = av_rescale_q(pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts, st->time_base, ms);
        pts = av_rescale_q(pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts, st->time_base, ms);
        if (base == AV_NOPTS_VALUE)
            base = dts < 0 ? dts : 0;
        dts -= base;
        pts -= base;
        if (dts > last)
            last = dts;
        if (pkt->stream_index == vi) {
            uint8_t h[8];
            int cts = (int)(pts - dts), key = !!(pkt->flags & AV_PKT_FLAG_KEY);
            int with_cts = fourcc == MKBETAG('h', 'v', 'c', '1') && cts != 0;
            h[0] = 0x80 | (key ? 1 : 2) << 4 | (with_cts ? 1 : 3);
            if (fourcc != MKBETAG('h', 'v', 'c', '1'))
                h[0] = 0x80 | (key ? 1 : 2) << 4 | 1;   /* av01, vp09: CodedFrames, no cts */
            AV_WB32(h + 1, fourcc);
            AV_WB24(h + 5, cts & 0xffffff);
            tag(9, dts, h, with_cts ? 8 : 5, pkt->data, pkt->size);
        } else {
            uint8_t ah[2] = { 0xaf, 0x01 };
            tag(8, dts < 0 ? 0 : dts, ah, 2, pkt->data, pkt->size);
        }
        av_packet_unref(pkt);
    }
    {   /* SequenceEnd */
        uint8_t h[5] = { 0x80 | 1 << 4 | 2 };
        AV_WB32(h + 1, fourcc);
        tag(9, last, h, 5, NULL, 0);
    }
    avio_closep(&out);
    av_packet_free(&pkt);
    avformat_close_input(&in);
    return 0;
}
