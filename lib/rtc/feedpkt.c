/*
 * rtc/feedpkt.c: the packet framing of a feed that is not FLV. See
 * feedpkt.h.
 */
#include <libavutil/error.h>

#include "rtc/feedpkt.h"

void rtc_feedpkt_put_config(ByteBuf *b, int track, uint32_t fourcc, const uint8_t *extra, size_t n)
{
    if (n > RTC_FEEDPKT_MAX - 5) {
        b->err = AVERROR(EINVAL);
        return;
    }
    bytebuf_put8(b, RTC_FEEDPKT_CONFIG);
    bytebuf_put_be32(b, (uint32_t)(5 + n));
    bytebuf_put8(b, (unsigned)track);
    bytebuf_put_be32(b, fourcc);
    bytebuf_append(b, extra, n);
}

void rtc_feedpkt_put_packet(ByteBuf *b, int track, int key, int64_t pts, int64_t dts, const uint8_t *data,
                            size_t n)
{
    if (n > RTC_FEEDPKT_MAX - 18) {
        b->err = AVERROR(EINVAL);
        return;
    }
    bytebuf_put8(b, RTC_FEEDPKT_PACKET);
    bytebuf_put_be32(b, (uint32_t)(18 + n));
    bytebuf_put8(b, (unsigned)track);
    bytebuf_put8(b, key ? 1 : 0);
    bytebuf_put_be64(b, (uint64_t)pts);
    bytebuf_put_be64(b, (uint64_t)dts);
    bytebuf_append(b, data, n);
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int rtc_feedpkt_read(const uint8_t *p, size_t len, RtcFeedPkt *out, size_t *used)
{
    uint32_t n;
    if (len < RTC_FEEDPKT_HEAD)
        return AVERROR(EAGAIN);
    n = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    if (n > RTC_FEEDPKT_MAX || (p[0] != RTC_FEEDPKT_CONFIG && p[0] != RTC_FEEDPKT_PACKET))
        return AVERROR_INVALIDDATA;
    if (n < (p[0] == RTC_FEEDPKT_CONFIG ? 5u : 18u))
        return AVERROR_INVALIDDATA;
    if (len - RTC_FEEDPKT_HEAD < n)
        return AVERROR(EAGAIN);
    p += RTC_FEEDPKT_HEAD;
    if (p[0] > 1)
        return AVERROR_INVALIDDATA;
    out->type = p[-RTC_FEEDPKT_HEAD];
    out->track = p[0];
    out->fourcc = 0;
    out->key = 0;
    out->pts = out->dts = 0;
    if (out->type == RTC_FEEDPKT_CONFIG) {
        out->fourcc = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
        out->data = p + 5;
        out->size = n - 5;
    } else {
        out->key = p[1] & 1;
        out->pts = (int64_t)rd64(p + 2);
        out->dts = (int64_t)rd64(p + 10);
        out->data = p + 18;
        out->size = n - 18;
    }
    *used = RTC_FEEDPKT_HEAD + n;
    return 0;
}
