/* Unit tests for lib/rtc/jitter.c: reordering, duplicates, late packets,
 * NACKs and their retries, giving up after the delay, a sender that
 * jumps, sequence wrap. */
#include <string.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "rtc/jitter.h"

static int put(RtcJitter *j, uint16_t seq, int64_t now)
{
    uint8_t b[2] = { (uint8_t)(seq >> 8), (uint8_t)seq };
    return rtc_jitter_put(j, seq, seq * 10u, 0, b, sizeof(b), now);
}

/* Pops everything ready: the sequence numbers into out, the count. */
static int pop_all(RtcJitter *j, int64_t now, uint16_t *out, int *lost)
{
    RtcJitterPacket p;
    int n = 0;
    *lost = 0;
    while (rtc_jitter_pop(j, now, &p) == 1) {
        if (p.len != 2 || (uint16_t)(p.data[0] << 8 | p.data[1]) != p.seq)
            return -1;
        *lost += p.lost;
        out[n++] = p.seq;
    }
    return n;
}

int main(void)
{
    RtcJitter j;
    uint16_t got[2048], nk[64];
    int lost, n;
    static uint8_t big[RTP_MAX_PACKET + 1];

    plan(19);
    is_int(rtc_jitter_init(&j, 100, 100000, 1), AVERROR(EINVAL), "slots must be a power of two");
    is_int(rtc_jitter_init(&j, 64, 100000, 1), 0, "a buffer of 64");

    put(&j, 65534, 0);
    put(&j, 0, 1000);           /* 65535 missing */
    put(&j, 1, 2000);
    n = pop_all(&j, 2000, got, &lost);
    ok(n == 1 && got[0] == 65534, "in order up to the gap");
    n = rtc_jitter_nacks(&j, 2000, nk, 64);
    ok(n == 1 && nk[0] == 65535, "the gap is NACKed");
    is_int(rtc_jitter_nacks(&j, 3000, nk, 64), 0, "not again at once");
    is_int(put(&j, 65535, 5000), 0, "the retransmission arrives");
    n = pop_all(&j, 5000, got, &lost);
    ok(n == 3 && got[0] == 65535 && got[1] == 0 && got[2] == 1 && !lost, "across the wrap, nothing lost");
    is_int(j.st.recovered, 1, "counted as recovered");
    is_int(put(&j, 1, 6000), 1, "a packet already given out is late");
    is_int(put(&j, 3, 7000), 0, "2 is missing");
    is_int(put(&j, 3, 7000), 1, "a duplicate is dropped");
    n = pop_all(&j, 50000, got, &lost);
    is_int(n, 0, "3 waits for 2 within the delay");
    n = rtc_jitter_nacks(&j, 50000, nk, 64);
    n += rtc_jitter_nacks(&j, 80000, nk, 64);
    n += rtc_jitter_nacks(&j, 110000, nk, 64);
    n += rtc_jitter_nacks(&j, 140000, nk, 64);
    n += rtc_jitter_nacks(&j, 170000, nk, 64);
    is_int(n, RTC_JITTER_NACK_TRIES, "2 is NACKed a bounded number of times");
    n = pop_all(&j, 107001, got, &lost);
    ok(n == 1 && got[0] == 3 && lost == 1, "after the delay 3 comes out, marked as after a loss");
    is_int(j.st.lost, 1, "one lost");
    is_int(put(&j, 2, 108000), 1, "2 arriving after that is late");

    /* a sender that jumps far ahead: the buffer starts again there */
    is_int(put(&j, 30000, 200000), 0, "a jump is taken");
    n = pop_all(&j, 200000, got, &lost);
    ok(n == 1 && got[0] == 30000 && lost == 1, "from the jump on, marked as after a loss");
    is_int(rtc_jitter_put(&j, 30001, 0, 0, big, sizeof(big), 0), AVERROR_INVALIDDATA, "a payload too large");
    rtc_jitter_free(&j);
    return done();
}
