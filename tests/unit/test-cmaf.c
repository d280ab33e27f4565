/* Unit tests for lib/cmaf.c: avcC from Annex B, codec strings, and the
 * init and media segment boxes read back field by field. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "cmaf.h"
#include "log.h"
#include "tap.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Payload offset of the first box of type in [start, end), or 0; *size
 * gets its payload size. Checks that box sizes stay inside the range. */
static size_t find(const uint8_t *b, size_t start, size_t end, const char *type, size_t *size)
{
    for (size_t p = start; p + 8 <= end;) {
        uint32_t n = rd32(b + p);
        if (n < 8 || p + n > end)
            return 0;
        if (!memcmp(b + p + 4, type, 4)) {
            if (size)
                *size = n - 8;
            return p + 8;
        }
        p += n;
    }
    return 0;
}

/* Walk a path of box types ("moov/trak/mdia") from the top level. */
static size_t walk(const uint8_t *b, size_t len, const char *path, size_t *size)
{
    char types[16][5];
    int n = 0;
    size_t start = 0, end = len, at = 0, sz = 0;

    for (const char *p = path; *p && n < 16; p += 4 + (p[4] == '/')) {
        memcpy(types[n], p, 4);
        types[n++][4] = 0;
        if (!p[4])
            break;
    }
    for (int i = 0; i < n; i++) {
        if (!(at = find(b, start, end, types[i], &sz)))
            return 0;
        start = at;
        end = at + sz;
    }
    if (size)
        *size = sz;
    return at;
}

static const uint8_t annexb[] = {
    0, 0, 0, 1, 0x09, 0xf0,                                     /* AUD */
    0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, /* SPS */
    0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0,                /* PPS */
    0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00,                         /* IDR */
};

int main(void)
{
    uint8_t *avcc = NULL, *buf = NULL;
    size_t avcc_size = 0, len = 0, at, sz;
    char codec[32];
    CmafTrack t = { 0 };

    log_init("test-cmaf");
    log_set_level(LOG_LEVEL_QUIET);

    /* avcC from Annex B */
    is_int(cmaf_avcc_from_annexb(annexb, sizeof(annexb), &avcc, &avcc_size), 0, "avcC from Annex B");
    is_int(avcc_size, 6 + 2 + 8 + 1 + 2 + 6, "avcC size: one SPS, one PPS");
    ok(avcc[0] == 1 && avcc[1] == 0x64 && avcc[2] == 0 && avcc[3] == 0x1f, "profile, flags, level");
    ok(avcc[4] == 0xff && avcc[5] == 0xe1, "4-byte lengths, one SPS");
    ok(avcc[6] == 0 && avcc[7] == 8 && avcc[8] == 0x67 && avcc[16] == 1 && avcc[18] == 6 &&
       avcc[19] == 0x68, "SPS and PPS copied with their lengths");
    is_int(cmaf_avcc_from_annexb(annexb + 30, sizeof(annexb) - 30, &buf, &len),
           AVERROR_INVALIDDATA, "no SPS/PPS: invalid");

    /* codec strings */
    is_int(cmaf_codec_string(CMAF_VIDEO, avcc, avcc_size, codec, sizeof(codec)), 0, "video codec string");
    is_str(codec, "avc1.64001f", "avc1.64001f");
    is_int(cmaf_codec_string(CMAF_AUDIO, (const uint8_t[]){ 0x11, 0x90 }, 2, codec, sizeof(codec)), 0,
           "AAC-LC codec string");
    is_str(codec, "mp4a.40.2", "mp4a.40.2");
    cmaf_codec_string(CMAF_AUDIO, (const uint8_t[]){ 0x2b, 0x92 }, 2, codec, sizeof(codec));
    is_str(codec, "mp4a.40.5", "HE-AAC: mp4a.40.5");
    is_int(cmaf_codec_string(CMAF_AUDIO, (const uint8_t[]){ 0x00 }, 1, codec, sizeof(codec)),
           AVERROR_INVALIDDATA, "short AudioSpecificConfig: invalid");

    /* init segment of a 640x360 track with a 4:3 sample aspect ratio */
    t.media.kind = CMAF_VIDEO;
    t.media.timescale = CMAF_VIDEO_TIMESCALE;
    t.media.width = 640;
    t.media.height = 360;
    t.media.sar_num = 4;
    t.media.sar_den = 3;
    t.config = avcc;
    t.config_size = avcc_size;
    is_int(cmaf_write_init(&t, &buf, &len), 0, "write init");
    ok(walk(buf, len, "ftyp", &sz) == 8 && !memcmp(buf + 8, "iso6", 4), "ftyp first, major iso6");
    at = walk(buf, len, "moov/mvex/trex", &sz);
    ok(at && sz == 24 && rd32(buf + at + 4) == 1 && rd32(buf + at + 8) == 1, "trex: track 1, description 1");
    at = walk(buf, len, "moov/trak/mdia/mdhd", &sz);
    ok(at && rd32(buf + at + 12) == 90000, "mdhd timescale 90000");
    at = walk(buf, len, "moov/trak/tkhd", &sz);
    ok(at && rd32(buf + at + 76) == (uint32_t)(853 << 16) && rd32(buf + at + 80) == 360u << 16,
       "tkhd display size 853x360 (4:3 pixels)");
    at = walk(buf, len, "moov/trak/mdia/minf/stbl/stsd", &sz);
    ok(at && rd32(buf + at + 4) == 1 && !memcmp(buf + at + 12, "avc1", 4), "stsd: one avc1 entry");
    {
        size_t e = at + 16, esz = rd32(buf + at + 8) - 8, c, csz;
        ok(buf[e + 24] == 640 >> 8 && buf[e + 25] == (640 & 0xff) && buf[e + 27] == 360 - 256,
           "avc1 width and height");
        c = find(buf, e + 78, e + esz, "avcC", &csz);
        ok(c && csz == avcc_size && !memcmp(buf + c, avcc, avcc_size), "avcC carried verbatim");
        c = find(buf, e + 78, e + esz, "pasp", &csz);
        ok(c && rd32(buf + c) == 4 && rd32(buf + c + 4) == 3, "pasp 4:3");
    }
    free(buf);

    /* media segment: three samples, B-frame offsets, a 64-bit tfdt */
    {
        CmafSample s[3] = { { 4, 3600, 0, 1 }, { 3, 3600, 7200, 0 }, { 2, 3600, -3600, 0 } };
        uint8_t data[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
        CmafFragment f = { .track = t, .tfdt = 5000000000LL, .duration = 10800, .samples = s,
                           .nb_samples = 3, .data = data, .data_size = 9 };
        size_t moof, tfdt, trun, mdat, msz;
        is_int(cmaf_write_segment(&f, 42, &buf, &len), 0, "write segment");
        ok(walk(buf, len, "styp", &sz) == 8 && !memcmp(buf + 8, "msdh", 4), "styp first");
        moof = walk(buf, len, "moof", &sz) - 8;
        at = walk(buf, len, "moof/mfhd", &sz);
        ok(at && rd32(buf + at + 4) == 42, "mfhd sequence number");
        at = walk(buf, len, "moof/traf/tfhd", &sz);
        ok(at && (rd32(buf + at) & 0xffffff) == 0x020000 && rd32(buf + at + 4) == 1,
           "tfhd: default-base-is-moof, track 1");
        tfdt = walk(buf, len, "moof/traf/tfdt", &sz);
        ok(tfdt && buf[tfdt] == 1 && rd32(buf + tfdt + 4) == 1 && rd32(buf + tfdt + 8) == 705032704u,
           "tfdt version 1, 64-bit 5000000000");
        trun = walk(buf, len, "moof/traf/trun", &sz);
        ok(trun && buf[trun] == 1 && rd32(buf + trun + 4) == 3, "trun version 1, 3 samples");
        ok(trun && (int32_t)rd32(buf + trun + 12 + 2 * 16 + 12) == -3600, "negative composition offset");
        ok(trun && rd32(buf + trun + 12 + 8) == 0x02000000 && rd32(buf + trun + 12 + 24) == 0x01010000,
           "sync and non-sync sample flags");
        mdat = walk(buf, len, "mdat", &msz);
        ok(mdat && msz == 9 && !memcmp(buf + mdat, data, 9), "mdat holds the samples");
        ok(trun && moof + rd32(buf + trun + 8) == mdat, "data_offset points at the mdat payload");
        free(buf);
    }
    /* parameter sets in band, in front of the first sample */
    {
        CmafSample s[2] = { { 4, 3600, 0, 1 }, { 3, 3600, 0, 0 } };
        uint8_t *data = malloc(7);
        CmafFragment f = { .track = t, .samples = s, .nb_samples = 2, .data = data, .data_size = 7 };
        memcpy(data, "\0\0\0\3\x65\x88\x84", 7);
        is_int(cmaf_params_inband(&f), 0, "parameter sets in band");
        is_int(f.data_size, 7 + 4 + 8 + 4 + 6, "SPS and PPS added with 4-byte lengths");
        ok(rd32(f.data) == 8 && f.data[4] == 0x67 && rd32(f.data + 12) == 6 && f.data[16] == 0x68 &&
           rd32(f.data + 22) == 3 && f.data[26] == 0x65, "SPS, PPS, then the sample");
        is_int(s[0].size, 4 + 22, "first sample grows by them");
        free(f.data);
        f.track.media.kind = CMAF_AUDIO;
        is_int(cmaf_params_inband(&f), AVERROR_INVALIDDATA, "not for audio");
    }
    /* audio init: mp4a with esds */
    {
        CmafTrack a = { .media = { .kind = CMAF_AUDIO, .timescale = 48000, .sample_rate = 48000,
                                   .channels = 2 },
                        .config = (uint8_t[]){ 0x11, 0x90 }, .config_size = 2 };
        is_int(cmaf_write_init(&a, &buf, &len), 0, "write audio init");
        at = walk(buf, len, "moov/trak/mdia/minf/stbl/stsd", &sz);
        ok(at && !memcmp(buf + at + 12, "mp4a", 4) && buf[at + 16 + 17] == 2 &&
           rd32(buf + at + 16 + 24) == 48000u << 16, "mp4a: 2 channels, 48000 Hz");
        ok(find(buf, at + 16 + 28, at + 8 + sz, "esds", &sz) != 0, "esds present");
        free(buf);
    }
    free(avcc);
    return done();
}
