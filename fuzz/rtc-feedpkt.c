/*
 * fuzz/rtc-feedpkt.c: libFuzzer target for the packet records of a
 * WebRTC feed that is not FLV (lib/rtc/feedpkt.c), as live-rtc reads
 * them from a `live-rtc -f` tee.
 *
 * Links: lib/rtc/feedpkt.c lib/bytebuf.c
 *
 * Properties: a record parsed is within the input (its data too) and
 * no longer than RTC_FEEDPKT_MAX; written again from its fields it is
 * the same bytes; a prefix of it asks for more.
 */
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "bytebuf.h"
#include "rtc/feedpkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    while (size) {
        RtcFeedPkt pk;
        size_t used = 0, dummy;
        ByteBuf b;
        int ret = rtc_feedpkt_read(data, size, &pk, &used);
        if (ret < 0)
            break;
        if (used > size || used > RTC_FEEDPKT_HEAD + RTC_FEEDPKT_MAX || pk.data < data ||
            pk.data + pk.size > data + used || pk.track < 0 || pk.track > 1)
            abort();
        bytebuf_init(&b, 0);
        if (pk.type == RTC_FEEDPKT_CONFIG)
            rtc_feedpkt_put_config(&b, pk.track, pk.fourcc, pk.data, pk.size);
        else
            rtc_feedpkt_put_packet(&b, pk.track, pk.key, pk.pts, pk.dts, pk.data, pk.size);
        /* flags bits other than the keyframe's are not kept */
        if (pk.type == RTC_FEEDPKT_PACKET && bytebuf_size(&b) == used)
            b.data[b.off + 6] = data[6];
        if (b.err || bytebuf_size(&b) != used || memcmp(bytebuf_data(&b), data, used))
            abort();
        bytebuf_free(&b);
        if (rtc_feedpkt_read(data, used - 1, &pk, &dummy) != AVERROR(EAGAIN))
            abort();
        data += used;
        size -= used;
    }
    return 0;
}
