/*
 * codecs.h: RFC 6381 codec strings ("avc1.64001f", "mp4a.40.2") for the
 * renditions records of live-transcode, read from the streams' own
 * parameter sets so that they say what the encoder really produced.
 */
#ifndef LIVE_CODECS_H
#define LIVE_CODECS_H

#include <stddef.h>
#include <stdint.h>

/*
 * "avc1.PPCCLL" from the first sequence parameter set found in data:
 * an avcC record (first byte 1) or Annex B (start codes), as found in
 * extradata or in a key frame. Returns 0, or AVERROR_INVALIDDATA when
 * there is no SPS. buf needs at least 12 bytes.
 */
int codecs_avc(const uint8_t *data, size_t size, char *buf, size_t bufsize);

/*
 * "mp4a.40.N" from an AudioSpecificConfig (N = audio object type: 2 for
 * AAC-LC, 5 for HE-AAC, 29 for HE-AACv2); without one (size 0) the
 * object type is 2. Returns 0 or AVERROR_INVALIDDATA.
 */
int codecs_aac(const uint8_t *asc, size_t size, char *buf, size_t bufsize);

#endif
