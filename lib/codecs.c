/*
 * codecs.c: RFC 6381 codec strings from H.264 and AAC parameter sets.
 * The bytes come from libavcodec or a file, so every length is checked
 * before it is used.
 */
#include <stdio.h>

#include <libavutil/error.h>

#include "codecs.h"

/* An SPS NAL payload (after the one-byte header) gives profile_idc,
 * the constraint flags and level_idc in its first three bytes. */
static int sps_string(const uint8_t *p, size_t n, char *buf, size_t bufsize)
{
    if (n < 4 || (p[0] & 0x1f) != 7)
        return AVERROR_INVALIDDATA;
    if (snprintf(buf, bufsize, "avc1.%02x%02x%02x", p[1], p[2], p[3]) >= (int)bufsize)
        return AVERROR(ENOSPC);
    return 0;
}

int codecs_avc(const uint8_t *data, size_t size, char *buf, size_t bufsize)
{
    size_t i;

    if (!data || size < 4)
        return AVERROR_INVALIDDATA;
    if (data[0] == 1) {
        /* avcC: version, profile, compat, level, lengthSize, numSPS, then
         * 16-bit length + SPS */
        size_t len;
        if (size < 8 || (data[5] & 0x1f) == 0)
            return AVERROR_INVALIDDATA;
        len = (size_t)data[6] << 8 | data[7];
        if (len > size - 8)
            return AVERROR_INVALIDDATA;
        return sps_string(data + 8, len, buf, bufsize);
    }
    /* Annex B: look for 00 00 01 followed by an SPS header */
    for (i = 0; i + 3 < size; i++) {
        if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 &&
            (data[i + 3] & 0x1f) == 7)
            return sps_string(data + i + 3, size - i - 3, buf, bufsize);
    }
    /* length-prefixed NAL units (4-byte lengths), as in an MP4 sample */
    for (i = 0; i + 4 < size;) {
        size_t len = (size_t)data[i] << 24 | (size_t)data[i + 1] << 16 |
                     (size_t)data[i + 2] << 8 | data[i + 3];
        if (len == 0 || len > size - i - 4)
            break;
        if ((data[i + 4] & 0x1f) == 7)
            return sps_string(data + i + 4, len, buf, bufsize);
        i += 4 + len;
    }
    return AVERROR_INVALIDDATA;
}

int codecs_aac(const uint8_t *asc, size_t size, char *buf, size_t bufsize)
{
    int aot = 2;

    if (asc && size >= 1) {
        aot = asc[0] >> 3;
        if (aot == 31) {
            if (size < 2)
                return AVERROR_INVALIDDATA;
            aot = 32 + ((asc[0] & 7) << 3 | asc[1] >> 5);
        }
        if (aot == 0)
            return AVERROR_INVALIDDATA;
    }
    if (snprintf(buf, bufsize, "mp4a.40.%d", aot) >= (int)bufsize)
        return AVERROR(ENOSPC);
    return 0;
}
