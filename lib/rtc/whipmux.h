/*
 * rtc/whipmux.h: a WHIP publisher's frames as the stream's output of
 * live-ingest: Matroska (LIVE_FORMAT=matroska, live-pipe(5)) with the
 * video as it came (H.264, VP8 or VP9) and Opus audio, millisecond
 * timestamps on the stream's timeline. The bytes go out through a
 * callback as libavformat writes them (live: no seeking back, no cues).
 *
 * The header is written at the first video keyframe (its picture size
 * from a decode of that frame; H.264's SPS and PPS become the track's
 * configuration); frames before it are dropped, audio included, so the
 * output starts with a picture. A stream without video starts at its
 * first audio frame.
 */
#ifndef LIVE_RTC_WHIPMUX_H
#define LIVE_RTC_WHIPMUX_H

#include <stddef.h>
#include <stdint.h>

#include "rtc/depack.h"

typedef struct WhipMux WhipMux;

/* Bytes out: 0, or a negative AVERROR that fails the muxer. */
typedef int (*WhipMuxWrite)(void *opaque, const uint8_t *buf, size_t size);

/* video: RTC_CODEC_H264, _VP8, _VP9 or _NONE; audio: 1 for an Opus
 * track. 0, AVERROR(EINVAL) or AVERROR(ENOMEM). */
int whipmux_new(enum RtcCodec video, int audio, WhipMuxWrite write, void *opaque, WhipMux **out);

/* One frame at ms: video (Annex B for H.264) or one Opus packet. 0, or
 * a negative AVERROR from the muxer or the callback (the muxer is then
 * failed for good). */
int whipmux_video(WhipMux *m, int64_t ms, int key, const uint8_t *data, size_t size);
int whipmux_audio(WhipMux *m, int64_t ms, const uint8_t *data, size_t size);

/* The codecs it was made for. */
enum RtcCodec whipmux_video_codec(const WhipMux *m);
int whipmux_has_audio(const WhipMux *m);

/* Writes the trailer and the end mark (remux_mkv_end; when the header
 * was written) and frees. Accepts NULL. */
void whipmux_free(WhipMux **m);

#endif
