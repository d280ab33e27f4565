/* Unit tests for lib/rtc/rtcp.c: SR building, NACK/PLI round trips,
 * receiver reports and FIR from hand-made packets, bad lengths. */
#include <string.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "rtc/rtcp.h"

int main(void)
{
    uint8_t buf[512];
    RtcpPacket pk;
    uint16_t seqs[] = { 100, 101, 105, 116, 117, 300 };
    int n, m;

    n = rtcp_build_sr(buf, sizeof(buf), 0xabcdef01, rtcp_ntp_from_us(1000000), 90000, 10, 12000, "live");
    ok(n > 28 && n % 4 == 0, "an SR with SDES is built (%d bytes)", n);
    is_int(rtcp_parse(buf, (size_t)n, &pk), 0, "it parses");
    ok(pk.nev == 1 && pk.ev[0].type == RTCP_EV_SR && pk.ev[0].ssrc == 0xabcdef01 && pk.ev[0].rtp_ts == 90000,
       "as an SR of our SSRC");
    is_int(pk.ev[0].ntp >> 32, 2208988801ull, "NTP seconds from 1900");

    n = rtcp_build_nack(buf, sizeof(buf), 1, 2, seqs, 6);
    is_int(n, 12 + 3 * 4, "six losses in three PID/BLP pairs");
    m = rtcp_build_pli(buf + n, sizeof(buf) - (size_t)n, 1, 2);
    is_int(rtcp_parse(buf, (size_t)(n + m), &pk), 0, "a compound NACK + PLI parses");
    ok(pk.nev == 2 && pk.ev[0].type == RTCP_EV_NACK && pk.ev[0].ssrc == 2 && pk.ev[1].type == RTCP_EV_PLI,
       "into a NACK and a PLI of the media SSRC");
    ok(pk.ev[0].nseq == 6 && pk.seqs[0] == 100 && pk.seqs[1] == 101 && pk.seqs[2] == 105 && pk.seqs[3] == 116 &&
           pk.seqs[4] == 117 && pk.seqs[5] == 300,
       "the NACK names every lost sequence number");

    {
        /* RR with one block (fraction 64, lost 3), then FIR */
        static const uint8_t rr[] = {
            0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 64, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0,
            0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 7, 0, 0, 0,
        };
        is_int(rtcp_parse(rr, sizeof(rr), &pk), 0, "RR + FIR parse");
        ok(pk.nev == 2 && pk.ev[0].type == RTCP_EV_RR && pk.ev[0].ssrc == 2 && pk.ev[0].fraction_lost == 64 &&
               pk.ev[0].lost == 3 && pk.ev[0].jitter == 9,
           "the report block's fields");
        ok(pk.ev[1].type == RTCP_EV_FIR && pk.ev[1].ssrc == 2 && pk.ev[1].fir_seq == 7, "the FIR's SSRC and seq");
        uint8_t bad[sizeof(rr)];
        memcpy(bad, rr, sizeof(rr));
        bad[3] = 60;
        is_int(rtcp_parse(bad, sizeof(bad), &pk), AVERROR_INVALIDDATA, "a length past the end is refused");
        bad[3] = 7;
        bad[0] = 0x41;
        is_int(rtcp_parse(bad, sizeof(bad), &pk), AVERROR_INVALIDDATA, "version 1 is refused");
        is_int(rtcp_parse(rr, 4, &pk), AVERROR_INVALIDDATA, "a 4-byte packet is refused");
    }
    ok(rtcp_build_sr(buf, 20, 1, 0, 0, 0, 0, "x") < 0, "SR into a small buffer fails");
    {
        RtcpReportBlock rb[2] = { { 0x1111, 25, 3, 70000, 90, 0x12345678, 65536 },
                                  { 0x2222, 0, -2, 5, 0, 0, 0 } };
        uint32_t ss[2] = { 0x1111, 0x2222 };
        n = rtcp_build_rr(buf, sizeof(buf), 0xabc, rb, 2);
        is_int(n, 8 + 48, "an RR with two report blocks");
        m = rtcp_build_remb(buf + n, sizeof(buf) - (size_t)n, 0xabc, 8000000, ss, 2);
        is_int(m, 28, "a REMB for two SSRCs");
        is_int(rtcp_parse(buf, (size_t)(n + m), &pk), 0, "RR + REMB parse as a compound packet");
        ok(pk.nev == 2 && pk.ev[0].type == RTCP_EV_RR && pk.ev[0].ssrc == 0x1111 && pk.ev[0].fraction_lost == 25 &&
           pk.ev[0].lost == 3 && pk.ev[0].jitter == 90 && pk.ev[1].ssrc == 0x2222 && pk.ev[1].lost == -2,
           "the report blocks come back");
        /* 8 Mbit/s: mantissa 8000000 >> 5 = 250000 (18 bits), exponent 5 */
        ok(!memcmp(buf + n + 12, "REMB", 4) && buf[n + 16] == 2 && (buf[n + 17] >> 2) == 5 &&
           (((buf[n + 17] & 3) << 16) | (buf[n + 18] << 8) | buf[n + 19]) == 250000, "REMB's exponent and mantissa");
        is_int(rtcp_build_rr(buf, 20, 1, rb, 2), AVERROR(ENOSPC), "no room: ENOSPC");
    }
    return done();
}
