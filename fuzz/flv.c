/*
 * fuzz/flv.c: libFuzzer target for the FLV tag reader (lib/flv.c) and the
 * tag-body parsers that look at every audio, video and script tag a
 * publisher sends.
 *
 * Links: lib/flv.c lib/amf.c lib/bytebuf.c lib/array.c
 *
 * The input is read as an FLV stream (when it starts with a header) or as
 * bare tags. Every tag returned must lie inside the input; a tag read
 * from a prefix too short must say EAGAIN, never something else; and a
 * tag written back with flv_put_tag must read back the same; a video
 * header that parses (Enhanced RTMP's too) ends inside its tag.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "bytebuf.h"
#include "flv.h"

#define MAX_TAG (1 << 20)

static void check_tag(const uint8_t *p, size_t len, const FlvTag *t, size_t used)
{
    FlvVideoInfo vi;
    FlvAudioInfo ai;
    FlvTag back;
    ByteBuf b;
    size_t used2;
    double codec;
    int ha, hv;

    if (used != (size_t)t->size + FLV_TAG_OVERHEAD || used > len || t->size > MAX_TAG)
        abort();
    if (t->size && (t->body < p || t->body + t->size > p + used))
        abort();
    switch (t->type) {
    case FLV_TAG_VIDEO:
        /* what a header says lies inside the tag: an Enhanced RTMP
         * header (FourCC, hvc1 composition time) is whole or refused */
        if (flv_video_info(t->body, t->size, &vi) == 0 &&
            (vi.payload > t->size || (vi.enhanced && vi.payload < 5) ||
             (vi.enhanced && vi.fourcc == FLV_FOURCC_HEVC &&
              vi.packet_type == FLV_EX_CODED_FRAMES && vi.payload != 8)))
            abort();
        break;
    case FLV_TAG_AUDIO:
        (void)flv_audio_info(t->body, t->size, &ai);
        break;
    case FLV_TAG_SCRIPT:
        (void)flv_metadata_info(t->body, t->size, &ha, &hv, &codec);
        break;
    }

    /* Every shorter prefix of a good tag is "not yet", never an error. */
    for (size_t n = 0; n < used; n += 1 + n / 3) {
        FlvTag part;
        size_t u;
        if (flv_read_tag(p, n, MAX_TAG, &part, &u) != AVERROR(EAGAIN))
            abort();
    }

    /* Written back, it reads the same. */
    if (t->type != FLV_TAG_AUDIO && t->type != FLV_TAG_VIDEO && t->type != FLV_TAG_SCRIPT)
        return;
    bytebuf_init(&b, 0);
    if (flv_put_tag(&b, t->type, t->timestamp, t->body, t->size) == 0 && !b.err) {
        if (flv_read_tag(bytebuf_data(&b), bytebuf_size(&b), MAX_TAG, &back, &used2) != 0 ||
            used2 != used || back.type != t->type || back.timestamp != t->timestamp ||
            back.size != t->size || (t->size && memcmp(back.body, t->body, t->size)))
            abort();
    }
    bytebuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, used;
    int flags, ret;

    ret = flv_read_header(data, size, &flags, &used);
    if (ret == 0) {
        if (used != FLV_HEADER_SIZE || used > size)
            abort();
        pos = used;
    } else if (ret != AVERROR(EAGAIN) && ret != AVERROR_INVALIDDATA) {
        abort();
    }
    while (pos < size) {
        FlvTag tag;

        ret = flv_read_tag(data + pos, size - pos, MAX_TAG, &tag, &used);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_INVALIDDATA)
            break;
        if (ret < 0)
            abort();
        check_tag(data + pos, size - pos, &tag, used);
        pos += used;
    }
    return 0;
}
