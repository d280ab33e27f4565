/*
 * tsmap.h: one stream's MPEG-TS timeline across SRT sessions, for
 * live-ingest. An SRT caller that comes back within the grace period (a
 * restarted encoder) sends a new MPEG-TS whose clock starts anew; written
 * as it comes, the output's timestamps would jump back. TsMap rewrites
 * each 188-byte packet in place so that they go on instead:
 *
 *   session 1   PCR/PTS/DTS unchanged            ...  t_max
 *   session 2   first timestamp t0 -> t_max + gap (at least TSMAP_MIN_GAP),
 *               every later one shifted by the same amount (33-bit
 *               wrap-around unwrapped), so time moves forward by the time
 *               the caller was away and never back
 *
 * and marks where time jumped: in a session after the first, the first
 * packet of each PID gets the adaptation field's discontinuity_indicator
 * (an adaptation-field-only packet with it is put before a first packet
 * that has no adaptation field), as ISO/IEC 13818-1 2.4.3.5 asks for a
 * time base and continuity-counter discontinuity.
 *
 *   packet   47 | TEI PUSI prio PID:13 | scr:2 afc:2 cc:4 | [AF] [payload]
 *   AF       len | disc RAI prio PCR OPCR splice priv ext | PCR:48 ...
 *   PES      00 00 01 sid len:16 | 10xxxxxx | PTS_DTS:2 ... | hlen | PTS:40 [DTS:40]
 *
 * PCR, OPCR, PTS and DTS are rewritten; PES headers are looked for at the
 * start of a payload (payload_unit_start_indicator) in the packet itself.
 * Bytes before a sync byte (0x47) are dropped; a packet whose fields do
 * not fit in it is passed on unchanged. Nothing here does I/O.
 */
#ifndef LIVE_TSMAP_H
#define LIVE_TSMAP_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

#define TSMAP_PACKET 188
/* The least jump forward between sessions (90 kHz ticks: 1 s): the first
 * timestamp a caller sends is not always its smallest (audio before video,
 * PCR before PTS), so a second session starts this far at least after the
 * largest timestamp written. */
#define TSMAP_MIN_GAP 90000

typedef struct TsMap {
    uint8_t carry[TSMAP_PACKET];  /* a packet split between two feeds */
    size_t ncarry;
    int session;                  /* sessions started, 1 after the first */
    int have;                     /* a timestamp seen in this session */
    uint64_t last_raw;            /* its last one, 33 bits */
    int64_t cur;                  /* this session's clock, unwrapped */
    int64_t offset;               /* added to it for the output */
    int64_t max_out;              /* the largest timestamp written, unwrapped */
    int64_t gap;                  /* 90 kHz ticks away before this session */
    uint8_t marked[8192 / 8];     /* PIDs whose discontinuity is marked */
    int64_t dropped;              /* bytes dropped looking for a sync byte */
} TsMap;

void tsmap_init(TsMap *m);

/* A new caller continues the stream after gap_ms milliseconds away. */
void tsmap_new_session(TsMap *m, int64_t gap_ms);

/*
 * n bytes of MPEG-TS from the caller: every whole packet, rewritten, is
 * appended to out (out->err says when that failed); a partial one is kept
 * for the next call.
 */
void tsmap_feed(TsMap *m, const uint8_t *in, size_t n, ByteBuf *out);

/* How far (90 kHz ticks) this session's timestamps are shifted. */
static inline int64_t tsmap_offset(const TsMap *m) { return m->offset; }

#endif
