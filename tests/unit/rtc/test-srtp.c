/* Unit tests for lib/rtc/srtp.c: protect/unprotect round trips for each
 * profile, tampering and replay detection, SRTCP. */
#include <string.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/srtp.h"

int main(void)
{
    static const int profiles[] = { DTLS_SRTP_AES128_CM_SHA1_80, DTLS_SRTP_AES128_CM_SHA1_32,
                                    DTLS_SRTP_AEAD_AES_128_GCM };
    for (int i = 0; i < 3; i++) {
        DtlsSrtpKeys a = { .profile = profiles[i], .key_len = 16, .salt_len = i == 2 ? 12 : 14 }, b;
        RtcSrtp *sa = NULL, *sb = NULL;
        uint8_t pkt[200 + RTC_SRTP_MAX_TRAILER], orig[200], copy[200 + RTC_SRTP_MAX_TRAILER];
        size_t len = 200, clen;

        for (int k = 0; k < 32; k++) {
            a.local[k] = (uint8_t)(k + 1);
            a.remote[k] = (uint8_t)(100 + k);
        }
        b = a;
        memcpy(b.local, a.remote, 32);
        memcpy(b.remote, a.local, 32);
        is_int(rtc_srtp_new(&sa, &a), 0, "profile %d: sessions", profiles[i]);
        rtc_srtp_new(&sb, &b);
        memset(pkt, 0x5a, sizeof(pkt));
        rtp_write_header(pkt, 1, 102, 7, 1234, 0xdeadbeef);
        memcpy(orig, pkt, 200);
        is_int(rtc_srtp_protect(sa, pkt, &len), 0, "protect");
        ok(len > 200 && memcmp(pkt + 12, orig + 12, 188), "the payload is encrypted and a tag added");
        memcpy(copy, pkt, len);
        clen = len;
        is_int(rtc_srtp_unprotect(sb, pkt, &len), 0, "the peer unprotects");
        ok(len == 200 && !memcmp(pkt, orig, 200), "to the original packet");
        is_int(rtc_srtp_unprotect(sb, copy, &clen), AVERROR_INVALIDDATA, "a replay is refused");
        memcpy(pkt, orig, 200);
        len = 200;
        pkt[3] = 8;
        rtc_srtp_protect(sa, pkt, &len);
        pkt[30] ^= 1;
        is_int(rtc_srtp_unprotect(sb, pkt, &len), AVERROR_INVALIDDATA, "a tampered packet is refused");
        len = (size_t)rtcp_build_pli(pkt, sizeof(pkt), 1, 0xdeadbeef);
        is_int(rtc_srtp_protect_rtcp(sb, pkt, &len), 0, "SRTCP protect");
        ok(rtc_srtp_unprotect_rtcp(sa, pkt, &len) == 0 && len == 12 && pkt[1] == 206, "SRTCP round trip");
        rtc_srtp_free(&sa);
        rtc_srtp_free(&sb);
        ok(!sa, "freed");
    }
    {
        DtlsSrtpKeys k = { .profile = 99 };
        RtcSrtp *s = NULL;
        is_int(rtc_srtp_new(&s, &k), AVERROR(EINVAL), "an unknown profile is refused");
    }
    return done();
}
