/*
 * audio.h: the audio rendition of one segment in live-transcode. AAC is
 * copied packet for packet; any other codec (MP3, Opus, ...) is decoded
 * and encoded to AAC-LC once per segment — never once per video rung.
 *
 * Independently encoded segments and AAC priming: the encoder's first
 * packet (its 1024 samples of priming, pts below the first input sample)
 * is dropped and the rest are timestamped from the first decoded sample;
 * the last packet ends with the last sample given (its frame's padding is
 * cut by the file's edit list), so consecutive segments join to the
 * sample and the timeline does not drift by 1024 samples per segment. The price is the
 * usual one of cutting AAC: the first frame after a boundary overlaps a
 * frame encoded from other material, a short transition of about 20 ms
 * rather than sample-exact continuity. Copied AAC has no such seam.
 */
#ifndef LIVE_AUDIO_H
#define LIVE_AUDIO_H

#include <stdint.h>

#include <libavformat/avformat.h>

typedef struct AudioRendition {
    char codec[32];       /* "mp4a.40.2" */
    int64_t bandwidth;    /* bit/s */
    int sample_rate, channels;
    int encoded;          /* 1 when encoded here, 0 when copied */
} AudioRendition;

/*
 * Write the audio rendition to path (published atomically) from the n
 * packets pkts (borrowed) of stream st. seconds is the segment's duration,
 * used for the measured bandwidth of copied AAC. bitrate is the AAC
 * encoder's. Returns 0 and fills *out, AVERROR_INVALIDDATA when the audio
 * cannot be decoded (logged), or another AVERROR for a runtime failure.
 */
int audio_rendition(const AVStream *st, AVPacket *const *pkts, int n, double seconds,
                    int64_t bitrate, const char *path, AudioRendition *out);

#endif
