/*
 * flv.c: FLV tag writer and bounded reader. See flv.h for the layout.
 */
#include <errno.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/intreadwrite.h>

#include "amf.h"
#include "flv.h"

void flv_put_header(ByteBuf *b, int has_audio, int has_video)
{
    uint8_t h[FLV_HEADER_SIZE] = { 'F', 'L', 'V', 1, 0, 0, 0, 0, 9, 0, 0, 0, 0 };
    h[4] = (has_audio ? 4 : 0) | (has_video ? 1 : 0);
    bytebuf_append(b, h, sizeof(h));
}

void flv_tag_frame(int type, uint32_t timestamp, size_t size,
                   uint8_t header[FLV_TAG_HEADER_SIZE], uint8_t trailer[4])
{
    header[0] = type;
    AV_WB24(header + 1, size);
    AV_WB24(header + 4, timestamp & 0xffffff);
    header[7] = timestamp >> 24;
    AV_WB24(header + 8, 0);    /* StreamID */
    AV_WB32(trailer, size + FLV_TAG_HEADER_SIZE);
}

int flv_put_tag(ByteBuf *b, int type, uint32_t timestamp, const uint8_t *body, size_t size)
{
    uint8_t h[FLV_TAG_HEADER_SIZE], t[4];
    int ret;

    if (size > 0xffffff)
        return AVERROR(EINVAL);
    if ((ret = bytebuf_reserve(b, size + FLV_TAG_OVERHEAD)) < 0)
        return ret;
    flv_tag_frame(type, timestamp, size, h, t);
    bytebuf_append(b, h, sizeof(h));
    bytebuf_append(b, body, size);
    bytebuf_append(b, t, sizeof(t));
    return 0;
}

/* A signed 24-bit big-endian number (composition times). */
static int32_t si24(const uint8_t *p)
{
    int32_t v = (int32_t)AV_RB24(p);
    return v & 0x800000 ? v - 0x1000000 : v;
}

int flv_fourcc_known(uint32_t fourcc)
{
    return fourcc == FLV_FOURCC_HEVC || fourcc == FLV_FOURCC_AV1 || fourcc == FLV_FOURCC_VP9;
}

#define END_BODY_SIZE (3 + sizeof(FLV_END_MARKER) - 1)

static void end_body(uint8_t body[END_BODY_SIZE])
{
    body[0] = 2; /* AMF0 string */
    body[1] = 0;
    body[2] = sizeof(FLV_END_MARKER) - 1;
    memcpy(body + 3, FLV_END_MARKER, sizeof(FLV_END_MARKER) - 1);
}

int flv_put_end(ByteBuf *b, uint32_t timestamp)
{
    uint8_t body[END_BODY_SIZE];
    end_body(body);
    return flv_put_tag(b, FLV_TAG_SCRIPT, timestamp, body, sizeof(body));
}

int flv_is_end(const uint8_t *tail, size_t n)
{
    uint8_t body[END_BODY_SIZE], h[FLV_TAG_HEADER_SIZE], t[4];
    const uint8_t *p;

    if (n < FLV_END_TAG_SIZE)
        return 0;
    p = tail + n - FLV_END_TAG_SIZE;
    end_body(body);
    flv_tag_frame(FLV_TAG_SCRIPT, 0, sizeof(body), h, t);
    /* the header without its timestamp (bytes 4-7) */
    return !memcmp(p, h, 4) && !memcmp(p + 8, h + 8, 3) &&
           !memcmp(p + FLV_TAG_HEADER_SIZE, body, sizeof(body)) &&
           !memcmp(p + FLV_TAG_HEADER_SIZE + sizeof(body), t, 4);
}

int flv_video_info(const uint8_t *p, size_t size, FlvVideoInfo *vi)
{
    memset(vi, 0, sizeof(*vi));
    if (size < 1)
        return AVERROR_INVALIDDATA;
    if (p[0] & 0x80) {
        vi->enhanced = 1;
        vi->frame_type = (p[0] >> 4) & 7;
        vi->packet_type = p[0] & 0x0f;
        vi->sequence_header = vi->packet_type == FLV_EX_SEQUENCE_START;
        vi->keyframe = vi->frame_type == 1;
        if (size < 5 || vi->packet_type > FLV_EX_MPEG2TS_SEQUENCE_START)
            return AVERROR_INVALIDDATA;
        vi->fourcc = AV_RB32(p + 1);
        vi->payload = 5;
        if (vi->packet_type == FLV_EX_CODED_FRAMES && vi->fourcc == FLV_FOURCC_HEVC) {
            if (size < 8)
                return AVERROR_INVALIDDATA;
            vi->cts = si24(p + 5);
            vi->payload = 8;
        }
        return 0;
    }
    vi->frame_type = p[0] >> 4;
    vi->codec_id = p[0] & 0x0f;
    vi->keyframe = vi->frame_type == 1;
    vi->payload = 1;
    if (vi->codec_id == FLV_CODEC_AVC || vi->codec_id == FLV_CODEC_HEVC_LEGACY) {
        if (size < 5)
            return AVERROR_INVALIDDATA;
        vi->packet_type = p[1];
        vi->sequence_header = p[1] == 0;
        vi->cts = si24(p + 2);
        vi->payload = 5;
    }
    return 0;
}

int flv_audio_info(const uint8_t *p, size_t size, FlvAudioInfo *ai)
{
    memset(ai, 0, sizeof(*ai));
    if (size < 1)
        return AVERROR_INVALIDDATA;
    ai->format = p[0] >> 4;
    if (ai->format == FLV_AUDIO_AAC) {
        if (size < 2)
            return AVERROR_INVALIDDATA;
        ai->sequence_header = p[1] == 0;
    }
    return 0;
}

int flv_metadata_info(const uint8_t *body, size_t size, int *has_audio, int *has_video,
                      double *videocodecid)
{
    AmfDoc *doc = NULL;
    const AmfNode *name, *obj;
    int ret;

    *has_audio = *has_video = 0;
    *videocodecid = -1;
    if ((ret = amf_decode(body, size, &doc)) < 0)
        return ret;
    name = amf_top(doc, 0);
    obj = amf_top(doc, 1);
    if (!amf_is_str(name, "onMetaData") || !obj ||
        (obj->type != AMF_OBJECT && obj->type != AMF_ECMA_ARRAY)) {
        amf_doc_free(&doc);
        return AVERROR_INVALIDDATA;
    }
    *has_audio = amf_prop(doc, obj, "audiocodecid") || amf_prop(doc, obj, "audiodatarate");
    *has_video = amf_prop(doc, obj, "videocodecid") || amf_prop(doc, obj, "videodatarate") ||
                 amf_prop(doc, obj, "width");
    *videocodecid = amf_prop_num(doc, obj, "videocodecid", -1);
    amf_doc_free(&doc);
    return 0;
}

int flv_read_header(const uint8_t *p, size_t len, int *flags, size_t *used)
{
    uint32_t offset;

    if (len < FLV_HEADER_SIZE)
        return AVERROR(EAGAIN);
    if (memcmp(p, "FLV", 3) || p[3] != 1)
        return AVERROR_INVALIDDATA;
    offset = AV_RB32(p + 5);
    if (offset != 9 || AV_RB32(p + 9) != 0)
        return AVERROR_INVALIDDATA;
    *flags = p[4];
    *used = FLV_HEADER_SIZE;
    return 0;
}

int flv_read_tag(const uint8_t *p, size_t len, uint32_t max_size, FlvTag *tag, size_t *used)
{
    uint32_t size;

    if (len < 11)
        return AVERROR(EAGAIN);
    size = AV_RB24(p + 1);
    if (size > max_size)
        return AVERROR_INVALIDDATA;
    if (len - 11 < (size_t)size + 4)
        return AVERROR(EAGAIN);
    if (AV_RB32(p + 11 + size) != size + 11)
        return AVERROR_INVALIDDATA;
    tag->type = p[0] & 0x1f;
    tag->timestamp = AV_RB24(p + 4) | (uint32_t)p[7] << 24;
    tag->body = p + 11;
    tag->size = size;
    *used = 11 + (size_t)size + 4;
    return 0;
}
