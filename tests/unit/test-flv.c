/* Unit tests for lib/flv.c: the writer, the bounded reader, tag info. */
#include <string.h>

#include <libavutil/error.h>

#include "amf.h"
#include "bytebuf.h"
#include "flv.h"
#include "tap.h"

int main(void)
{
    ByteBuf b;
    FlvTag tag;
    FlvVideoInfo vi;
    FlvAudioInfo ai;
    size_t used, off;
    int flags, has_a, has_v;
    double vc;
    const uint8_t avc_seq[] = { 0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64 };
    const uint8_t body[] = { 0x27, 0x01, 0x00, 0x00, 0x21, 0xaa, 0xbb };

    bytebuf_init(&b, 0);
    flv_put_header(&b, 1, 1);
    is_int(bytebuf_size(&b), FLV_HEADER_SIZE, "header is 13 bytes");
    ok(!memcmp(bytebuf_data(&b), "FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00", 13),
       "header bytes (audio + video)");
    is_int(flv_put_tag(&b, FLV_TAG_VIDEO, 0x12345678, body, sizeof(body)), 0, "tag written");
    is_int(bytebuf_size(&b), 13 + 11 + sizeof(body) + 4, "tag size");
    {   /* the writev pieces are the same bytes */
        uint8_t h[FLV_TAG_HEADER_SIZE], t[4];
        const uint8_t *d;
        flv_tag_frame(FLV_TAG_VIDEO, 0x12345678, sizeof(body), h, t);
        d = b.data + b.off;   /* held: not bytebuf_data's "" */
        ok(d && !memcmp(d + 13, h, sizeof(h)) &&
           !memcmp(d + 13 + 11 + sizeof(body), t, sizeof(t)),
           "flv_tag_frame: the header and trailer of flv_put_tag");
    }

    is_int(flv_read_header(bytebuf_data(&b), bytebuf_size(&b), &flags, &used), 0, "header read");
    is_int(flags, 5, "flags");
    off = used;
    is_int(flv_read_tag(bytebuf_data(&b) + off, bytebuf_size(&b) - off, 1 << 20, &tag, &used), 0,
           "tag read back");
    is_int(tag.type, FLV_TAG_VIDEO, "type");
    is_int(tag.timestamp, 0x12345678, "timestamp with its extension byte");
    ok(tag.size == sizeof(body) && !memcmp(tag.body, body, sizeof(body)), "body");
    is_int(used, 11 + sizeof(body) + 4, "used");
    is_int(flv_read_tag(bytebuf_data(&b) + off, 20, 1 << 20, &tag, &used), AVERROR(EAGAIN),
           "short input: EAGAIN");
    is_int(flv_read_tag(bytebuf_data(&b) + off, bytebuf_size(&b) - off, 3, &tag, &used),
           AVERROR_INVALIDDATA, "body over max_size refused");
    b.data[b.len - 1] ^= 1;
    is_int(flv_read_tag(bytebuf_data(&b) + off, bytebuf_size(&b) - off, 1 << 20, &tag, &used),
           AVERROR_INVALIDDATA, "PreviousTagSize mismatch refused");
    is_int(flv_read_header((const uint8_t *)"FLX\x01\x05\0\0\0\x09\0\0\0\0", 13, &flags, &used),
           AVERROR_INVALIDDATA, "not FLV");
    is_int(flv_read_header((const uint8_t *)"FLV", 3, &flags, &used), AVERROR(EAGAIN),
           "short header: EAGAIN");
    bytebuf_free(&b);

    /* all or nothing when the buffer is full */
    bytebuf_init(&b, 40);
    is_int(flv_put_tag(&b, FLV_TAG_AUDIO, 0, avc_seq, 7), 0, "fits");
    is_int(flv_put_tag(&b, FLV_TAG_AUDIO, 0, body, 7), AVERROR(ENOSPC), "does not fit");
    is_int(bytebuf_size(&b), 22, "nothing partial was appended");
    is_int(b.err, 0, "and the buffer's error stays clear");
    bytebuf_free(&b);

    is_int(flv_video_info(avc_seq, sizeof(avc_seq), &vi), 0, "AVC sequence header info");
    ok(vi.codec_id == FLV_CODEC_AVC && vi.keyframe && vi.sequence_header && !vi.enhanced,
       "AVC keyframe sequence header");
    flv_video_info(body, sizeof(body), &vi);
    ok(!vi.keyframe && !vi.sequence_header && vi.packet_type == 1, "AVC inter NALU");
    is_int(flv_video_info((const uint8_t *)"\x90hvc1", 5, &vi), 0, "Enhanced RTMP info");
    ok(vi.enhanced && vi.fourcc == 0x68766331 && vi.keyframe && vi.sequence_header,
       "Enhanced RTMP: IsExHeader, FourCC hvc1, keyframe, sequence start");
    is_int(flv_video_info((const uint8_t *)"\x90hv", 3, &vi), AVERROR_INVALIDDATA,
           "short enhanced header refused");
    is_int(flv_video_info((const uint8_t *)"\x17", 1, &vi), AVERROR_INVALIDDATA,
           "short AVC header refused");
    is_int(flv_video_info(NULL, 0, &vi), AVERROR_INVALIDDATA, "empty video refused");
    is_int(flv_audio_info((const uint8_t *)"\xaf\x00\x12\x10", 4, &ai), 0, "AAC info");
    ok(ai.format == FLV_AUDIO_AAC && ai.sequence_header, "AAC sequence header");
    is_int(flv_audio_info((const uint8_t *)"\xaf", 1, &ai), AVERROR_INVALIDDATA, "short AAC refused");
    is_int(flv_audio_info((const uint8_t *)"\x2f", 1, &ai), 0, "MP3 is one byte enough");

    bytebuf_init(&b, 0);
    amf_put_string(&b, "onMetaData");
    amf_put_ecma_begin(&b, 2);
    amf_put_key(&b, "videocodecid");
    amf_put_number(&b, 7);
    amf_put_key(&b, "width");
    amf_put_number(&b, 320);
    amf_put_object_end(&b);
    is_int(flv_metadata_info(bytebuf_data(&b), bytebuf_size(&b), &has_a, &has_v, &vc), 0,
           "metadata read");
    ok(!has_a && has_v && vc == 7, "video only, AVC");
    is_int(flv_metadata_info(bytebuf_data(&b), 5, &has_a, &has_v, &vc), AVERROR_INVALIDDATA,
           "truncated metadata refused");
    bytebuf_free(&b);
    /* the end mark live-ingest writes, and how live-segment sees it */
    {
        ByteBuf eb;
        bytebuf_init(&eb, 0);
        is_int(flv_put_end(&eb, 123456), 0, "end mark appended");
        is_int((int)bytebuf_size(&eb), (int)FLV_END_TAG_SIZE, "end mark size");
        ok(flv_is_end(bytebuf_data(&eb), bytebuf_size(&eb)), "the end mark is the end");
        ok(!flv_is_end(bytebuf_data(&eb), bytebuf_size(&eb) - 1), "a cut one is not");
        bytebuf_free(&eb);
    }
    return done();
}
