/*
 * fuzz/rtc-rtcp.c: libFuzzer target for RTCP from viewers and RTP
 * header parsing (lib/rtc/rtcp.c, lib/rtc/rtp.c).
 *
 * Links: lib/rtc/rtcp.c lib/rtc/rtp.c
 *
 * Properties: events and NACK lists stay in their bounds and point into
 * the sequence table; RTP header and payload sizes add up to at most the
 * packet; a NACK built from parsed sequence numbers parses back to them.
 */
#include <stdlib.h>
#include <string.h>

#include "rtc/rtcp.h"
#include "rtc/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static RtcpPacket pk, pk2;
    RtpHeader h;
    static uint8_t buf[4096];

    (void)rtcp_parse(data, size, &pk);
    if (pk.nev > RTCP_MAX_EVENTS || pk.nseqs > RTCP_MAX_NACKS)
        abort();
    for (int i = 0; i < pk.nev; i++) {
        const RtcpEvent *e = &pk.ev[i];
        if (e->type == RTCP_EV_NACK) {
            if (e->first_seq < 0 || e->nseq < 0 || e->first_seq + e->nseq > pk.nseqs)
                abort();
            if (e->nseq > 0 && e->nseq <= 64) {
                int n = rtcp_build_nack(buf, sizeof(buf), 1, e->ssrc, pk.seqs + e->first_seq, e->nseq);
                if (n < 0 || rtcp_parse(buf, (size_t)n, &pk2) < 0 || pk2.nev != 1)
                    abort();
                /* every requested number comes back */
                for (int k = 0; k < e->nseq; k++) {
                    int found = 0;
                    for (int j = 0; j < pk2.nseqs; j++)
                        found |= pk2.seqs[j] == pk.seqs[e->first_seq + k];
                    if (!found)
                        abort();
                }
            }
        }
    }
    if (rtp_parse(data, size, &h) == 0 && h.header_size + h.payload_size > size)
        abort();
    return 0;
}
