/*
 * mpd.h: the DASH manifest (OUT/NAME/manifest.mpd) of a stream, written
 * from a Manifest (manifest.h). Live streams get a dynamic MPD (fixed
 * availabilityStartTime, timeShiftBufferDepth = the DVR window, UTCTiming),
 * finished ones a static MPD with mediaPresentationDuration.
 *
 * Segments are addressed with SegmentTemplate + SegmentTimeline,
 * "$RepresentationID$/$Number$.m4s" where $Number$ is the record's seq.
 * A gap (a segment given up after the reorder timeout) ends a Period and
 * the next segment begins a new one (id "pSEQ"): $Number$ counts S
 * entries, so a hole inside one Period would shift every later number.
 *
 * Low latency (Manifest.part_target > 0): LL-DASH: the open segment in the
 * timeline at its nominal duration, availabilityTimeOffset and
 * availabilityTimeComplete="false", ProducerReferenceTime, a
 * ServiceDescription of 3 part targets with catch-up playback rates.
 */
#ifndef LIVE_MPD_H
#define LIVE_MPD_H

#include "manifest.h"

/* ISO 8601 UTC date-time with milliseconds of unix time t into buf. */
void mpd_format_time(double t, char *buf, unsigned size);

/* The MPD text of m into *out (NUL-terminated, caller frees with av_free).
 * 0 or AVERROR(ENOMEM). */
int mpd_write(const Manifest *m, char **out);

#endif
