/*
 * rtc/jitter.c: reordering, loss and NACKs of one received RTP stream.
 * See jitter.h.
 */
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "rtc/jitter.h"

int rtc_jitter_init(RtcJitter *j, int slots, int64_t delay, int nack)
{
    memset(j, 0, sizeof(*j));
    if (slots < 16 || slots > RTC_JITTER_MAX_SLOTS || (slots & (slots - 1)) || delay < 0)
        return AVERROR(EINVAL);
    if (!(j->slot = calloc((size_t)slots, sizeof(*j->slot))))
        return AVERROR(ENOMEM);
    j->nslots = slots;
    j->delay = delay;
    j->nack_on = nack;
    j->nack_interval = delay / 4 > 20000 ? delay / 4 : 20000;
    return 0;
}

void rtc_jitter_free(RtcJitter *j)
{
    free(j->slot);
    j->slot = NULL;
    j->nslots = 0;
}

static RtcJitterSlot *slot_of(RtcJitter *j, uint16_t seq)
{
    return &j->slot[seq & (j->nslots - 1)];
}

static void nack_remove(RtcJitter *j, int i)
{
    j->nack[i] = j->nack[--j->nnack];
}

static void nack_add(RtcJitter *j, uint16_t seq, int64_t now)
{
    if (!j->nack_on)
        return;
    if (j->nnack == RTC_JITTER_MAX_NACK)
        return;     /* a burst that large is given up on by the delay */
    j->nack[j->nnack++] = (RtcJitterNack){ seq, 0, now };
}

/* Everything kept is given up on; start again at seq. */
static void reset(RtcJitter *j, uint16_t seq)
{
    for (int i = 0; i < j->nslots; i++)
        if (j->slot[i].used) {
            j->slot[i].used = 0;
            j->st.lost++;
        }
    j->nnack = 0;
    j->next = seq;
    j->highest = (uint16_t)(seq - 1);
    j->gap = 1;
    j->st.resets++;
}

int rtc_jitter_put(RtcJitter *j, uint16_t seq, uint32_t ts, int marker, const uint8_t *p, size_t len,
                   int64_t now)
{
    RtcJitterSlot *s;
    int16_t ahead;

    if (len > RTP_MAX_PACKET)
        return AVERROR_INVALIDDATA;
    if (!j->started) {
        j->started = 1;
        j->next = seq;
        j->highest = (uint16_t)(seq - 1);
    }
    ahead = (int16_t)(seq - j->next);
    if (ahead < 0) {
        j->st.late++;
        return 1;
    }
    if (ahead >= j->nslots)
        reset(j, seq);
    s = slot_of(j, seq);
    if (s->used) {
        j->st.duplicates++;
        return 1;
    }
    j->st.received++;
    s->used = 1;
    s->seq = seq;
    s->ts = ts;
    s->marker = marker;
    s->arrived = now;
    s->len = (uint16_t)len;
    memcpy(s->data, p, len);
    if ((int16_t)(seq - j->highest) > 0) {
        for (uint16_t q = (uint16_t)(j->highest + 1); q != seq; q++)
            nack_add(j, q, now);
        j->highest = seq;
    } else {
        for (int i = 0; i < j->nnack; i++)
            if (j->nack[i].seq == seq) {
                if (j->nack[i].tries)
                    j->st.recovered++;
                nack_remove(j, i);
                break;
            }
    }
    return 0;
}

int rtc_jitter_pop(RtcJitter *j, int64_t now, RtcJitterPacket *out)
{
    if (!j->started)
        return 0;
    for (;;) {
        RtcJitterSlot *s = slot_of(j, j->next);
        if (s->used && s->seq == j->next) {
            s->used = 0;
            out->data = s->data;
            out->len = s->len;
            out->seq = s->seq;
            out->ts = s->ts;
            out->marker = s->marker;
            out->lost = j->gap;
            j->gap = 0;
            j->next++;
            j->st.delivered++;
            return 1;
        }
        /* next is missing: is anything after it waiting, and for how long? */
        if ((int16_t)(j->highest - j->next) < 0)
            return 0;
        int64_t oldest = INT64_MAX;
        for (uint16_t q = (uint16_t)(j->next + 1);; q++) {
            RtcJitterSlot *t = slot_of(j, q);
            if (t->used && t->seq == q) {
                oldest = t->arrived;
                break;
            }
            if (q == j->highest)
                break;
        }
        if (oldest == INT64_MAX || now - oldest < j->delay)
            return 0;
        /* given up on */
        j->st.lost++;
        j->gap = 1;
        j->next++;
    }
}

int rtc_jitter_nacks(RtcJitter *j, int64_t now, uint16_t *seqs, int max)
{
    int n = 0;
    for (int i = 0; i < j->nnack;) {
        RtcJitterNack *k = &j->nack[i];
        if ((int16_t)(k->seq - j->next) < 0 || k->tries >= RTC_JITTER_NACK_TRIES) {
            nack_remove(j, i);  /* given up on, or asked often enough */
            continue;
        }
        if (k->due <= now && n < max) {
            seqs[n++] = k->seq;
            k->tries++;
            k->due = now + j->nack_interval;
            j->st.nacks_sent++;
        }
        i++;
    }
    return n;
}
