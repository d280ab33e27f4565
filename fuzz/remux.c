/*
 * fuzz/remux.c: libFuzzer target for live-ingest's Enhanced RTMP path:
 * video and audio tag bodies from a publisher (lib/flv.c's parsers) into
 * the remuxer that writes them as MPEG-TS or Matroska through libavformat
 * (lib/remux.c).
 *
 * Links: lib/remux.c lib/flv.c lib/amf.c lib/bytebuf.c lib/array.c lib/log.c
 *
 * The input is read as an FLV stream (when it starts with a header) or as
 * bare tags; the first Enhanced RTMP video tag of a known FourCC picks
 * the remuxer, the tags after it go in with their timestamps. Whatever
 * the bytes, nothing crashes or leaks, and what a tag is refused with is
 * one of the documented errors.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "flv.h"
#include "log.h"
#include "remux.h"

#define MAX_TAG (1 << 20)

static int sink(void *opaque, const uint8_t *buf, size_t size)
{
    size_t *total = opaque;
    (void)buf;
    *total += size;
    return *total > (64u << 20) ? AVERROR(ENOSPC) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Remux *r = NULL;
    size_t off = 0, total = 0;
    int flags, failed = 0;

    av_log_set_level(AV_LOG_QUIET);
    log_set_level(LOG_LEVEL_QUIET);
    if (flv_read_header(data, size, &flags, &off) < 0)
        off = 0;
    while (off < size && !failed) {
        FlvTag t;
        size_t used;
        int ret = 0;
        if (flv_read_tag(data + off, size - off, MAX_TAG, &t, &used) < 0)
            break;
        off += used;
        if (t.type == FLV_TAG_VIDEO) {
            FlvVideoInfo vi;
            if (flv_video_info(t.body, t.size, &vi) < 0 || !vi.enhanced)
                continue;
            if (!r && (!flv_fourcc_known(vi.fourcc) ||
                       remux_new(vi.fourcc, -1, 0, 0, sink, &total, &r) < 0))
                continue;
            ret = remux_video(r, &vi, t.timestamp, t.body, t.size);
        } else if (t.type == FLV_TAG_AUDIO && r) {
            ret = remux_audio(r, t.timestamp, t.body, t.size);
        }
        if (ret < 0 && ret != AVERROR_INVALIDDATA && ret != AVERROR(ENOMEM) &&
            ret != AVERROR(ENOSPC))
            failed = 1;   /* a muxer's refusal: the stream ends, as in live-ingest */
    }
    remux_free(&r);
    return 0;
}
