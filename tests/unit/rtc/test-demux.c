/* Unit tests for lib/rtc/demux.c and lib/rtc/feedpkt.c, and
 * rtc_feed_packet (feed.c) after them: what a `live-rtc -f` tee does
 * with MPEG-TS and Matroska. The first bytes tell the container; real
 * files (libx264, AAC) pushed in pieces come out as feedpkt records, a
 * config record before each track's packets, every packet once with
 * increasing times (the AAC frames that share a PES too); the records
 * parse back; a feed passes H.264 without B-frames through, makes our
 * rung for one with B-frames and for VP9, Opus from AAC, and passes
 * Opus through. The framing refuses
 * bad records. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "../tap.h"
#include "../media.h"
#include "bytebuf.h"
#include "flv.h"
#include "log.h"
#include "rtc/demux.h"
#include "rtc/feed.h"
#include "rtc/feedpkt.h"

typedef struct Got {
    int configs[2], packets[2], config_first[2], first_key, mono[2];
    int64_t last_pts[2];
    uint32_t fourcc[2];
} Got;

typedef struct Seen {
    int video, audio, first_key;
} Seen;

static void on_frame(void *opaque, const RtcFrame *f)
{
    Seen *s = opaque;
    if (f->video && !s->video++)
        s->first_key = f->keyframe;
    else if (!f->video)
        s->audio++;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *b = NULL;
    long len;
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    rewind(fp);
    if (len > 0 && (b = malloc((size_t)len)) && fread(b, 1, (size_t)len, fp) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(fp);
    *n = (size_t)len;
    return b;
}

/* Demuxes the file at path as format through an RtcDemux, the records
 * into got and through a feed into seen; returns the feed's encoding(). */
static int run(const char *path, const char *format, Got *got, Seen *seen)
{
    size_t n = 0, off = 0;
    uint8_t *data = slurp(path, &n);
    RtcDemux *d = NULL;
    RtcFeed *feed = NULL;
    ByteBuf recs;
    int done = 0, enc;

    memset(got, 0, sizeof(*got));
    memset(seen, 0, sizeof(*seen));
    got->first_key = -1;
    got->mono[0] = got->mono[1] = 1;
    got->last_pts[0] = got->last_pts[1] = INT64_MIN;
    bytebuf_init(&recs, 0);
    rtc_feed_new(&feed, "cam", on_frame, seen);
    if (!data || rtc_demux_start(&d, format, "cam") < 0)
        return -1;
    /* in pieces of odd sizes, as a pipe gives them */
    while (off < n) {
        size_t k = n - off < 7001 ? n - off : 7001;
        rtc_demux_push(d, data + off, k);
        off += k;
    }
    rtc_demux_end(d);
    for (int i = 0; i < 2000 && !done; i++) {
        struct pollfd p = { .fd = rtc_demux_wake_fd(d), .events = POLLIN };
        RtcFeedPkt pk;
        size_t used;
        poll(&p, 1, 10);
        done = rtc_demux_take(d, &recs);
        while (rtc_feedpkt_read(bytebuf_data(&recs), bytebuf_size(&recs), &pk, &used) == 0) {
            int t = pk.track;
            if (pk.type == RTC_FEEDPKT_CONFIG) {
                if (!got->packets[t])
                    got->config_first[t] = 1;
                got->configs[t]++;
                got->fourcc[t] = pk.fourcc;
            } else {
                if (t == 0 && got->first_key < 0)
                    got->first_key = pk.key;
                if (t == 1 && pk.pts <= got->last_pts[t])
                    got->mono[t] = 0;
                got->last_pts[t] = pk.pts;
                got->packets[t]++;
            }
            rtc_feed_packet(feed, &pk);
            bytebuf_consume(&recs, used);
        }
    }
    enc = rtc_feed_encoding(feed);
    rtc_demux_free(&d);
    ok(d == NULL, "%s: rtc_demux_free clears the pointer", format);
    rtc_feed_free(&feed);
    bytebuf_free(&recs);
    free(data);
    return enc;
}

int main(void)
{
    char dir[] = "/tmp/test-demux.XXXXXX", ts[64], tsb[64], mkv[64], vp9[64];
    uint8_t flv[16] = "FLV\x01\x05", ebml[8] = { 0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3, 4 }, pkts[400];
    MediaSpec spec = { .format = "mpegts", .width = 160, .height = 120, .fps = 25, .frames = 50, .gop = 1,
                       .no_bframes = 1, .audio = AV_CODEC_ID_AAC, .sample_rate = 48000, .channels = 2 };
    Got got;
    Seen seen;
    int nv, na, enc;

    log_init("test-demux");
    log_set_level(LOG_LEVEL_QUIET);

    /* the first bytes */
    memset(pkts, 0xff, sizeof(pkts));
    pkts[0] = pkts[188] = 0x47;
    is_str(rtc_demux_probe(flv, 16, 0), "flv", "FLV is told by its signature");
    is_str(rtc_demux_probe(ebml, 8, 0), "matroska", "Matroska by its EBML header");
    is_str(rtc_demux_probe(pkts, sizeof(pkts), 0), "mpegts", "MPEG-TS by two sync bytes 188 apart");
    is_str(rtc_demux_probe(pkts, 100, 0), "", "one sync byte and 100 bytes: more are needed");
    is_str(rtc_demux_probe(flv, 2, 0), "", "\"FL\": more are needed");
    pkts[188] = 0;
    ok(rtc_demux_probe(pkts, sizeof(pkts), 0) == NULL, "a sync byte without the next one is not MPEG-TS");
    ok(rtc_demux_probe((const uint8_t *)"hello, world\r\n", 14, 0) == NULL, "text is none of them");

    /* the framing */
    {
        ByteBuf b;
        RtcFeedPkt pk;
        size_t used, whole;
        int bad = 0;
        bytebuf_init(&b, 0);
        rtc_feedpkt_put_config(&b, 1, FLV_FOURCC('m', 'p', '4', 'a'), (const uint8_t *)"\x11\x90", 2);
        rtc_feedpkt_put_packet(&b, 0, 1, -40, -80, (const uint8_t *)"frame", 5);
        whole = bytebuf_size(&b);
        for (size_t k = 0; k < whole; k++) {
            int r = rtc_feedpkt_read(bytebuf_data(&b), k, &pk, &used);
            bad += k < 12 ? r != AVERROR(EAGAIN) : (r != AVERROR(EAGAIN) && !(r == 0 && used == 12));
        }
        is_int(bad, 0, "every prefix of a record is asked more of");
        is_int(rtc_feedpkt_read(bytebuf_data(&b), whole, &pk, &used), 0, "a config record parses");
        ok(pk.type == 'C' && pk.track == 1 && pk.fourcc == FLV_FOURCC('m', 'p', '4', 'a') && pk.size == 2 &&
               !memcmp(pk.data, "\x11\x90", 2) && used == 12,
           "with its track, FourCC and extradata");
        is_int(rtc_feedpkt_read(bytebuf_data(&b) + used, whole - used, &pk, &used), 0, "a packet record parses");
        ok(pk.type == 'P' && pk.track == 0 && pk.key && pk.pts == -40 && pk.dts == -80 && pk.size == 5 &&
               !memcmp(pk.data, "frame", 5),
           "with its track, key flag, negative times and bytes");
        uint8_t x[32] = { 'X', 0, 0, 0, 5 };
        is_int(rtc_feedpkt_read(x, sizeof(x), &pk, &used), AVERROR_INVALIDDATA, "an unknown type is refused");
        memcpy(x, "C\0\0\0\5\2abcd", 10);
        is_int(rtc_feedpkt_read(x, sizeof(x), &pk, &used), AVERROR_INVALIDDATA, "so is track 2");
        memcpy(x, "P\0\0\0\5\0abcd", 10);
        is_int(rtc_feedpkt_read(x, sizeof(x), &pk, &used), AVERROR_INVALIDDATA, "a packet too short for its times");
        memcpy(x, "P\1\0\0\x20", 5);
        is_int(rtc_feedpkt_read(x, sizeof(x), &pk, &used), AVERROR_INVALIDDATA,
               "a length over 16 MiB, before anything waits for it");
        bytebuf_free(&b);
    }

    if (!mkdtemp(dir))
        return 1;
    snprintf(ts, sizeof(ts), "%s/a.ts", dir);
    snprintf(tsb, sizeof(tsb), "%s/b.ts", dir);
    snprintf(mkv, sizeof(mkv), "%s/a.mkv", dir);
    snprintf(vp9, sizeof(vp9), "%s/vp9.mkv", dir);
    is_int(media_write(ts, &spec), 0, "MPEG-TS: H.264 without B-frames and AAC");
    spec.no_bframes = 0;
    is_int(media_write(tsb, &spec), 0, "MPEG-TS: H.264 with B-frames");
    spec.no_bframes = 1;
    spec.format = "matroska";
    is_int(media_write(mkv, &spec), 0, "Matroska: H.264 and AAC");

    media_count(ts, &nv, &na, NULL);
    enc = run(ts, "mpegts", &got, &seen);
    ok(got.config_first[0] && got.config_first[1] && got.configs[0] == 1 && got.configs[1] == 1,
       "MPEG-TS: one config record per track, before its packets");
    ok(got.fourcc[0] == FLV_FOURCC('a', 'v', 'c', '1') && got.fourcc[1] == FLV_FOURCC('m', 'p', '4', 'a'),
       "avc1 and mp4a");
    is_int(got.packets[0], nv, "every video packet (%d)", nv);
    is_int(got.packets[1], na, "every AAC frame (%d), several to a PES", na);
    ok(got.mono[1], "the audio's times increase: the frames after a PES's first follow it");
    is_int(got.first_key, 1, "the first video packet is a keyframe");
    is_int(enc, 0, "the feed passes H.264 without B-frames through");
    ok(seen.video >= nv - 2 && seen.first_key == 1, "frame for frame (%d of %d), a keyframe first", seen.video,
       nv);
    ok(seen.audio >= 90, "AAC becomes Opus (%d packets of 20 ms for 2 s)", seen.audio);

    enc = run(tsb, "mpegts", &got, &seen);
    is_int(enc, 1, "MPEG-TS with B-frames: the feed encodes our rung");
    ok(seen.video >= 40 && seen.first_key == 1, "whose frames come, a keyframe first (%d)", seen.video);

    media_count(mkv, &nv, &na, NULL);
    enc = run(mkv, "matroska", &got, &seen);
    ok(got.config_first[0] && got.config_first[1] && got.packets[0] == nv && got.packets[1] == na,
       "Matroska: config records first, every packet (%d, %d)", got.packets[0], got.packets[1]);
    is_int(enc, 0, "its H.264 (avcC) is passed through");
    ok(seen.video >= nv - 2 && seen.audio >= 90, "video and Opus come out (%d, %d)", seen.video, seen.audio);

    /* VP9 and Opus (as WHIP and Enhanced RTMP give them) */
    spec.vcodec = "libvpx-vp9";
    spec.audio = AV_CODEC_ID_OPUS;
    if (media_write(vp9, &spec) < 0) {
        for (int k = 0; k < 4; k++)
            ok(1, "# SKIP no VP9 or Opus encoder");
    } else {
        media_count(vp9, &nv, &na, NULL);
        enc = run(vp9, "matroska", &got, &seen);
        ok(got.fourcc[0] == FLV_FOURCC('v', 'p', '0', '9') && got.fourcc[1] == FLV_FOURCC('O', 'p', 'u', 's'),
           "Matroska with VP9 and Opus: vp09 and Opus");
        is_int(enc, 1, "VP9: the feed encodes our H.264 rung");
        ok(seen.video >= nv - 5 && seen.first_key == 1, "whose frames come, a keyframe first (%d of %d)",
           seen.video, nv);
        is_int(seen.audio, na, "Opus is passed through, packet for packet (%d)", na);
    }

    /* garbage where Matroska should be: the demuxer stops, pushing says so */
    {
        RtcDemux *d = NULL;
        uint8_t junk[4096];
        int r = 0;
        ByteBuf recs;
        bytebuf_init(&recs, 0);
        memset(junk, 0x5a, sizeof(junk));
        memcpy(junk, ebml, 4);
        rtc_demux_start(&d, "matroska", "cam");
        rtc_demux_push(d, junk, sizeof(junk));
        rtc_demux_end(d);
        for (int i = 0; i < 500 && !rtc_demux_take(d, &recs); i++)
            usleep(10000);
        r = rtc_demux_push(d, junk, sizeof(junk));
        is_int(r, AVERROR_INVALIDDATA, "bad Matroska: the demuxer stops and says so");
        is_int((int)bytebuf_size(&recs), 0, "with no record");
        rtc_demux_free(&d);
        bytebuf_free(&recs);
    }
    unlink(ts);
    unlink(tsb);
    unlink(mkv);
    unlink(vp9);
    rmdir(dir);
    return done();
}
