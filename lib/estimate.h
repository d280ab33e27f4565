/*
 * estimate.h: live-transcode --estimate SOURCE — the real-time factor of
 * the ladder for a source on this machine, read before going live: the
 * first ESTIMATE_SECONDS of SOURCE (from its first key frame) transcoded
 * as one live segment, timed. A factor of 2 means the machine transcodes
 * this source twice as fast as it plays: about two such streams fit.
 */
#ifndef LIVE_ESTIMATE_H
#define LIVE_ESTIMATE_H

#include <jansson.h>

#include "transcode.h"

#define ESTIMATE_SECONDS 10.0

/*
 * Transcode the first seconds of source with o (its spool is not used: a
 * temporary one is made and removed). *out: a new object (caller
 * json_decref) {"source", "seconds" (of media), "wall" (seconds taken),
 * "realtime_factor", "renditions" (as in the renditions record)}. Returns
 * 0, AVERROR_INVALIDDATA for a source without readable video, or another
 * AVERROR.
 */
int estimate_run(const TranscodeOptions *o, const char *source, double seconds, json_t **out);

/*
 * live-transcode --estimate: estimate_run over ESTIMATE_SECONDS, the
 * result as one JSON line on out and a line for people on stderr.
 * Returns 0, estimate_run's AVERROR, or AVERROR(EIO) when out fails.
 */
int estimate_print(const TranscodeOptions *o, const char *source, FILE *out);

#endif
