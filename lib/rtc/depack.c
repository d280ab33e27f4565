/*
 * rtc/depack.c: H.264, VP8, VP9 and Opus RTP payloads to frames. See
 * depack.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/error.h>

#include "rtc/depack.h"

enum RtcCodec rtc_codec_from_name(const char *name)
{
    if (!strcasecmp(name, "H264"))
        return RTC_CODEC_H264;
    if (!strcasecmp(name, "VP8"))
        return RTC_CODEC_VP8;
    if (!strcasecmp(name, "VP9"))
        return RTC_CODEC_VP9;
    if (!strcasecmp(name, "opus"))
        return RTC_CODEC_OPUS;
    return RTC_CODEC_NONE;
}

const char *rtc_codec_name(enum RtcCodec c)
{
    switch (c) {
    case RTC_CODEC_H264: return "H264";
    case RTC_CODEC_VP8: return "VP8";
    case RTC_CODEC_VP9: return "VP9";
    case RTC_CODEC_OPUS: return "opus";
    default: return "none";
    }
}

int rtc_depack_init(RtcDepack *d, enum RtcCodec codec)
{
    memset(d, 0, sizeof(*d));
    if (codec <= RTC_CODEC_NONE || codec > RTC_CODEC_OPUS)
        return AVERROR(EINVAL);
    d->codec = codec;
    d->need_key = codec != RTC_CODEC_OPUS;
    return 0;
}

void rtc_depack_free(RtcDepack *d)
{
    free(d->buf);
    free(d->out);
    d->buf = d->out = NULL;
    d->cap = d->out_cap = d->len = 0;
}

int rtc_depack_need_key(const RtcDepack *d)
{
    return d->need_key;
}

static int append(RtcDepack *d, const uint8_t *p, size_t n)
{
    if (n > RTC_DEPACK_MAX_FRAME - d->len)
        return AVERROR(ENOSPC);
    if (d->len + n > d->cap) {
        size_t cap = d->cap ? d->cap : 65536;
        uint8_t *b;
        while (cap < d->len + n)
            cap *= 2;
        if (!(b = realloc(d->buf, cap)))
            return AVERROR(ENOMEM);
        d->buf = b;
        d->cap = cap;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
    return 0;
}

static const uint8_t start_code[4] = { 0, 0, 0, 1 };

static int put_nal(RtcDepack *d, const uint8_t *p, size_t n)
{
    int ret;
    if (!n)
        return AVERROR_INVALIDDATA;
    if ((p[0] & 0x1f) == 5)
        d->key = 1;
    if ((ret = append(d, start_code, 4)) < 0)
        return ret;
    return append(d, p, n);
}

/* One H.264 payload into the access unit. */
static int h264_payload(RtcDepack *d, const uint8_t *p, size_t len)
{
    int type, ret;
    if (len < 1)
        return AVERROR_INVALIDDATA;
    type = p[0] & 0x1f;
    if (type >= 1 && type <= 23) {
        if (d->fu_open)
            return AVERROR_INVALIDDATA;
        return put_nal(d, p, len);
    }
    if (type == 24) {           /* STAP-A */
        size_t off = 1;
        if (d->fu_open || len < 4)
            return AVERROR_INVALIDDATA;
        while (off < len) {
            size_t n;
            if (len - off < 2)
                return AVERROR_INVALIDDATA;
            n = (size_t)p[off] << 8 | p[off + 1];
            off += 2;
            if (!n || n > len - off)
                return AVERROR_INVALIDDATA;
            if ((ret = put_nal(d, p + off, n)) < 0)
                return ret;
            off += n;
        }
        return 0;
    }
    if (type == 28) {           /* FU-A */
        uint8_t hdr;
        if (len < 3)
            return AVERROR_INVALIDDATA;
        if (p[1] & 0x80) {      /* S */
            if (d->fu_open)
                return AVERROR_INVALIDDATA;
            hdr = (uint8_t)((p[0] & 0xe0) | (p[1] & 0x1f));
            if (!(hdr & 0x1f))
                return AVERROR_INVALIDDATA;
            if ((ret = put_nal(d, &hdr, 1)) < 0)
                return ret;
            d->fu_open = 1;
        } else if (!d->fu_open) {
            return AVERROR_INVALIDDATA;     /* its start was not seen */
        }
        if ((ret = append(d, p + 2, len - 2)) < 0)
            return ret;
        if (p[1] & 0x40)        /* E */
            d->fu_open = 0;
        return 0;
    }
    return AVERROR_INVALIDDATA; /* STAP-B, MTAP, FU-B: not in mode 1 */
}

/* VP8's payload descriptor: its size, and whether the packet starts a frame. */
static int vp8_descriptor(const uint8_t *p, size_t len, size_t *size, int *start)
{
    size_t off = 1;
    if (len < 1)
        return AVERROR_INVALIDDATA;
    if (p[0] & 0x80) {          /* X */
        uint8_t x;
        if (len < 2)
            return AVERROR_INVALIDDATA;
        x = p[off++];
        if (x & 0x80) {         /* I: PictureID, 7 or 15 bits */
            if (off >= len)
                return AVERROR_INVALIDDATA;
            off += (p[off] & 0x80) ? 2 : 1;
        }
        if (x & 0x40)           /* L: TL0PICIDX */
            off++;
        if (x & 0x30)           /* T or K: TID|Y|KEYIDX */
            off++;
    }
    if (off >= len)
        return AVERROR_INVALIDDATA;
    *size = off;
    *start = (p[0] & 0x10) && (p[0] & 0x07) == 0;
    return 0;
}

/* VP9's payload descriptor: its size, start and end of a frame, and
 * whether the frame is predicted from others. */
static int vp9_descriptor(const uint8_t *p, size_t len, size_t *size, int *begin, int *end, int *inter)
{
    size_t off = 1;
    uint8_t b;
    if (len < 1)
        return AVERROR_INVALIDDATA;
    b = p[0];
#define NEED(n) do { if ((size_t)(n) > len - off) return AVERROR_INVALIDDATA; } while (0)
    if (b & 0x80) {             /* I */
        NEED(1);
        off += (p[off] & 0x80) ? 2 : 1;
    }
    if (b & 0x20) {             /* L: TID U SID D, and TL0PICIDX when not flexible */
        NEED(1);
        off += (b & 0x10) ? 1 : 2;
    }
    if ((b & 0x10) && (b & 0x40)) { /* F and P: up to 3 P_DIFF, N continues */
        int k = 0, more = 1;
        while (more) {
            NEED(1);
            if (++k > 3)
                return AVERROR_INVALIDDATA;
            more = p[off++] & 1;
        }
    }
    if (b & 0x02) {             /* V: scalability structure */
        uint8_t ss;
        NEED(1);
        ss = p[off++];
        if (ss & 0x10) {        /* Y: sizes of N_S + 1 layers */
            NEED(4u * ((ss >> 5) + 1));
            off += 4u * ((ss >> 5) + 1);
        }
        if (ss & 0x08) {        /* G: the picture groups */
            int ng;
            NEED(1);
            ng = p[off++];
            for (int i = 0; i < ng; i++) {
                int r;
                NEED(1);
                r = (p[off++] >> 2) & 3;
                NEED(r);
                off += (size_t)r;
            }
        }
    }
#undef NEED
    if (off >= len)
        return AVERROR_INVALIDDATA;
    *size = off;
    *begin = !!(b & 0x08);
    *end = !!(b & 0x04);
    *inter = !!(b & 0x40);
    return 0;
}

static void drop_frame(RtcDepack *d)
{
    if (d->open)
        d->st.dropped_frames++;
    d->open = d->broken = d->key = d->fu_open = 0;
    d->len = 0;
}

/* The frame is whole: give it out, or drop it while a keyframe is awaited. */
static int finish(RtcDepack *d, RtcDepackFrame *f)
{
    uint8_t *t;
    size_t c;
    if (d->broken || d->fu_open || !d->len) {
        drop_frame(d);
        if (d->codec != RTC_CODEC_OPUS)
            d->need_key = 1;
        return 0;
    }
    if (d->need_key && !d->key) {
        drop_frame(d);
        return 0;
    }
    d->need_key = 0;
    /* swap: the frame given out stays valid while the next one is built */
    t = d->out; d->out = d->buf; d->buf = t;
    c = d->out_cap; d->out_cap = d->cap; d->cap = c;
    f->data = d->out;
    f->size = d->len;
    f->ts = d->ts;
    f->keyframe = d->key;
    d->st.frames++;
    d->st.keyframes += d->key;
    d->len = 0;
    d->open = d->key = d->broken = d->fu_open = 0;
    return 1;
}

/* An Opus packet is a whole frame. */
static int put_opus(RtcDepack *d, const uint8_t *p, size_t len, uint32_t ts, RtcDepackFrame *f)
{
    int ret;

    if (!len || len > RTC_DEPACK_MAX_FRAME) {
        d->st.bad_packets++;
        return AVERROR_INVALIDDATA;
    }
    d->len = 0;
    if ((ret = append(d, p, len)) < 0)
        return ret;
    d->ts = d->open = 0;
    f->data = d->buf;
    f->size = len;
    f->ts = ts;
    f->keyframe = 1;
    d->st.frames++;
    return 1;
}

/* One H.264 packet into the frame at ts (opened by its first packet). */
static int put_h264(RtcDepack *d, const uint8_t *p, size_t len, uint32_t ts)
{
    int ret = 0;

    if (!d->open) {
        d->open = 1;
        d->ts = ts;
    }
    if (!d->broken && (ret = h264_payload(d, p, len)) < 0)
        d->broken = 1;
    return ret;
}

/* One VP8 packet: a frame starts with the descriptor's start bit. */
static int put_vp8(RtcDepack *d, const uint8_t *p, size_t len, uint32_t ts)
{
    size_t hs;
    int start, ret;

    if ((ret = vp8_descriptor(p, len, &hs, &start)) < 0) {
        if (d->open)
            d->broken = 1;
        return ret;
    }
    if (start) {
        if (d->open)
            drop_frame(d);
        d->open = 1;
        d->ts = ts;
        d->key = !(p[hs] & 1);
    } else if (!d->open) {
        d->need_key = 1;    /* the frame's start is missing */
        return 0;
    }
    if (!d->broken && (ret = append(d, p + hs, len - hs)) < 0)
        d->broken = 1;
    return ret;
}

/* One VP9 packet: a frame starts with the descriptor's begin bit. */
static int put_vp9(RtcDepack *d, const uint8_t *p, size_t len, uint32_t ts)
{
    size_t hs;
    int begin, end, inter, ret;

    if ((ret = vp9_descriptor(p, len, &hs, &begin, &end, &inter)) < 0) {
        if (d->open)
            d->broken = 1;
        return ret;
    }
    if (begin && !d->open) {
        d->open = 1;
        d->ts = ts;
        d->key = !inter;
    } else if (!d->open) {
        d->need_key = 1;
        return 0;
    }
    (void)end;
    if (!d->broken && (ret = append(d, p + hs, len - hs)) < 0)
        d->broken = 1;
    return ret;
}

int rtc_depack_put(RtcDepack *d, const uint8_t *p, size_t len, uint32_t ts, int marker, int lost,
                   RtcDepackFrame *f)
{
    int ret;

    d->st.packets++;
    if (d->codec == RTC_CODEC_OPUS)
        return put_opus(d, p, len, ts, f);
    if (lost) {
        if (d->open)
            d->broken = 1;
        else
            d->need_key = 1;    /* a whole frame may have gone: what follows refers to it */
    }
    if (d->open && ts != d->ts) {
        /* the marker of the frame before was lost with its last packet */
        drop_frame(d);
        d->need_key = 1;
    }
    switch (d->codec) {
    case RTC_CODEC_H264:
        ret = put_h264(d, p, len, ts);
        break;
    case RTC_CODEC_VP8:
        ret = put_vp8(d, p, len, ts);
        break;
    case RTC_CODEC_VP9:
        ret = put_vp9(d, p, len, ts);
        break;
    default:
        return AVERROR(EINVAL);
    }
    if (ret < 0)
        d->st.bad_packets++;
    if (marker && d->open) {
        int r = finish(d, f);
        return r ? r : ret < 0 ? AVERROR_INVALIDDATA : 0;
    }
    return ret < 0 ? AVERROR_INVALIDDATA : 0;
}
