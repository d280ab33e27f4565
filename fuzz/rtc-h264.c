/*
 * fuzz/rtc-h264.c: libFuzzer target for the H.264 RTP packetiser (lib/rtc/
 * rtp.c): access units come from whatever a broadcaster publishes.
 *
 * Links: lib/rtc/rtp.c
 *
 * The first byte picks the framing (Annex B or 1/2/4-byte lengths) and
 * the MTU. Properties: no packet over the MTU; packets parse; the marker
 * is on the last packet only; the NAL units come back whole when the
 * packets are depacketised (single, STAP-A, FU-A).
 */
#include <stdlib.h>
#include <string.h>

#include "rtc/rtp.h"

#define MAXN 64

typedef struct Out {
    size_t mtu;
    int packets, marker_at, failed;
    size_t nal_bytes;       /* depacketised NAL bytes */
} Out;

static int check(void *opaque, const uint8_t *p, size_t len)
{
    Out *o = opaque;
    RtpHeader h;
    if (len > o->mtu || rtp_parse(p, len, &h) < 0)
        abort();
    const uint8_t *pl = p + h.header_size;
    int type = pl[0] & 0x1f;
    if (type == 24) {
        size_t off = 1;
        while (off < h.payload_size) {
            if (h.payload_size - off < 2)
                abort();
            size_t n = (size_t)(pl[off] << 8 | pl[off + 1]);
            if (!n || n > h.payload_size - off - 2)
                abort();
            o->nal_bytes += n;
            off += 2 + n;
        }
    } else if (type == 28) {
        if (h.payload_size < 3)
            abort();
        o->nal_bytes += h.payload_size - 2 + ((pl[1] & 0x80) ? 1 : 0);
    } else {
        o->nal_bytes += h.payload_size;
    }
    if (h.marker)
        o->marker_at = o->packets;
    o->packets++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int framing[] = { 0, 1, 2, 4 };
    const uint8_t *nals[MAXN];
    size_t sizes[MAXN], want = 0;
    RtpSender s;
    Out o = { 0 };
    int n, fr;

    if (size < 1)
        return 0;
    fr = framing[data[0] & 3];
    o.mtu = 64 + (size_t)(data[0] >> 2) * 20;
    n = rtp_h264_split(data + 1, size - 1, fr, nals, sizes, MAXN);
    if (n < 0)
        return 0;
    rtp_sender_init(&s, 1, 96, o.mtu);
    o.marker_at = -1;
    if (rtp_h264_send(&s, nals, sizes, n, 0, check, &o) < 0)
        return 0;
    for (int i = 0; i < n; i++) {
        int t = nals[i][0] & 0x1f;
        if (t != 0 && t != 9 && t != 12 && t < 24)
            want += sizes[i];
    }
    if (o.nal_bytes != want)
        abort();
    if (o.packets && o.marker_at != o.packets - 1)
        abort();
    return 0;
}
