/*
 * rtc/jitter.h: the jitter buffer of one received RTP stream (a WHIP
 * publisher's video or audio): packets in as they arrive, out in
 * sequence order; gaps are NACKed (RFC 4585 generic NACK) and waited
 * for up to a delay, then given up on (the next packet out says so).
 * No I/O, no clock of its own: `now` is the caller's (microseconds).
 *
 *   put(seq 10) put(seq 12) -> pop: 10; pop: nothing (11 missing);
 *   nacks: [11]; put(11) -> pop: 11, 12
 *   ... or 11 never comes: after `delay` pop gives 12 with lost = 1
 *
 * Bounded: at most `slots` packets (a power of two, <= RTC_JITTER_MAX_SLOTS)
 * of at most RTP_MAX_PACKET bytes; a packet too far ahead of what is
 * awaited (a sender that jumped) flushes the buffer as lost and starts
 * again from it; at most RTC_JITTER_MAX_NACK sequence numbers are
 * awaited, each NACKed at most RTC_JITTER_NACK_TRIES times.
 */
#ifndef LIVE_RTC_JITTER_H
#define LIVE_RTC_JITTER_H

#include <stddef.h>
#include <stdint.h>

#include "rtc/rtp.h"

#define RTC_JITTER_MAX_SLOTS 1024
#define RTC_JITTER_MAX_NACK 256
#define RTC_JITTER_NACK_TRIES 4

typedef struct RtcJitterSlot {
    int used;
    uint16_t seq;
    uint16_t len;
    uint32_t ts;
    int marker;
    int64_t arrived;
    uint8_t data[RTP_MAX_PACKET];   /* the payload */
} RtcJitterSlot;

typedef struct RtcJitterNack {
    uint16_t seq;
    int tries;
    int64_t due;
} RtcJitterNack;

typedef struct RtcJitterStats {
    uint64_t received, delivered, lost, late, duplicates, nacks_sent, recovered, resets;
} RtcJitterStats;

typedef struct RtcJitter {
    RtcJitterSlot *slot;
    int nslots;
    int started;
    uint16_t next;              /* the sequence number to give out next */
    uint16_t highest;           /* the highest one received */
    int gap;                    /* packets were given up on before `next` */
    int64_t delay;              /* how long a gap is waited for */
    int64_t nack_interval;      /* between NACKs of one sequence number */
    int nack_on;
    RtcJitterNack nack[RTC_JITTER_MAX_NACK];
    int nnack;
    RtcJitterStats st;
} RtcJitter;

typedef struct RtcJitterPacket {
    const uint8_t *data;        /* the payload, valid until the next put */
    size_t len;
    uint16_t seq;
    uint32_t ts;
    int marker;
    int lost;                   /* packets before this one were given up on */
} RtcJitterPacket;

/* slots: a power of two from 16 to RTC_JITTER_MAX_SLOTS; delay in
 * microseconds; nack: whether gaps are NACKed. 0, AVERROR(EINVAL) or
 * AVERROR(ENOMEM). */
int rtc_jitter_init(RtcJitter *j, int slots, int64_t delay, int nack);
void rtc_jitter_free(RtcJitter *j);

/* One packet's payload (len <= RTP_MAX_PACKET) with its RTP header
 * fields. 0 when kept, 1 when dropped (a duplicate, or late: its place
 * was already given out or given up on), AVERROR_INVALIDDATA for a
 * payload too large. */
int rtc_jitter_put(RtcJitter *j, uint16_t seq, uint32_t ts, int marker, const uint8_t *p, size_t len,
                   int64_t now);

/* The next packet in order: 1 with *out set, 0 when it must wait. */
int rtc_jitter_pop(RtcJitter *j, int64_t now, RtcJitterPacket *out);

/* The sequence numbers to NACK now (at most max into seqs): the count. */
int rtc_jitter_nacks(RtcJitter *j, int64_t now, uint16_t *seqs, int max);

#endif
