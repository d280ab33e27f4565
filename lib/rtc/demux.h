/*
 * rtc/demux.h: the demultiplexer of a `live-rtc -f` tee whose input is
 * MPEG-TS or Matroska (live-pipe(5)): the bytes the tee copies to the
 * pipeline are pushed here as well, libavformat reads them in a thread
 * of its own, and the first video and the first audio stream come out as
 * feedpkt.h records (a config record before a track's first packet and
 * whenever its codec or extradata change, then its packets) for the tee
 * to take from the thread it runs in.
 *
 *   tee: read stdin -> write stdout
 *                   -> rtc_demux_push --[thread: libavformat]--> records
 *   tee: wake fd readable -> rtc_demux_take -> queue to live-rtc
 */
#ifndef LIVE_RTC_DEMUX_H
#define LIVE_RTC_DEMUX_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

/* Input not yet read by the demuxer, at most (the tee gives up on it). */
#define RTC_DEMUX_MAX_BACKLOG (32u << 20)

typedef struct RtcDemux RtcDemux;

/* What the first bytes of a stream are: "flv", "mpegts", "matroska",
 * NULL when they are none of these, or "" when more bytes are needed
 * (at most 189; eof: these are all there is). */
const char *rtc_demux_probe(const uint8_t *p, size_t n, int eof);

/* Starts a demuxer of format ("mpegts" or "matroska") for stream name
 * (for messages). 0, AVERROR(ENOMEM), or AVERROR of pthread_create. */
int rtc_demux_start(RtcDemux **out, const char *format, const char *name);

/* Bytes of the input, in order: 0, or AVERROR(ENOSPC) when more than
 * RTC_DEMUX_MAX_BACKLOG wait (nothing is kept), AVERROR_INVALIDDATA
 * when the demuxer stopped on bad input. */
int rtc_demux_push(RtcDemux *d, const uint8_t *p, size_t n);

/* The end of the input: the demuxer reads what is left, then stops. */
void rtc_demux_end(RtcDemux *d);

/* A descriptor that is readable when records wait (poll it). */
int rtc_demux_wake_fd(const RtcDemux *d);

/* Appends the records that wait to out (whole records) and returns 1
 * when the demuxer has stopped and nothing more will come, else 0. */
int rtc_demux_take(RtcDemux *d, ByteBuf *out);

/* Stops the thread (at once: input not read is dropped) and frees. */
void rtc_demux_free(RtcDemux **d);

#endif
