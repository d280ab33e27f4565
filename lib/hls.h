/*
 * hls.h: the HLS playlists of a stream over the same CMAF files as the
 * DASH manifest: OUT/NAME/master.m3u8 (one variant per video rendition,
 * audio as an EXT-X-MEDIA group) and OUT/NAME/REND/index.m3u8 (version 7,
 * EXT-X-MAP init.mp4, EXT-X-PROGRAM-DATE-TIME on every segment). A live
 * stream's playlists slide with the DVR window; a finished one ends with
 * EXT-X-ENDLIST. A gap or a record's discontinuity is an
 * EXT-X-DISCONTINUITY (handled by hls.js, Safari and ffmpeg alike), with
 * media and discontinuity sequence numbers kept from the database so they
 * stay right while the window slides. A live playlist says where to
 * join it: EXT-X-SERVER-CONTROL HOLD-BACK, 3 target durations behind its
 * end (hls.js and Safari start there, and so the player page).
 *
 * Low latency (Manifest.part_target > 0, live-package -L): LL-HLS of RFC
 * 8216bis: EXT-X-PART-INF, EXT-X-PART byte ranges of the open segment and
 * of the last three, EXT-X-PRELOAD-HINT of the next part,
 * EXT-X-RENDITION-REPORT of every other rendition, PART-HOLD-BACK.
 */
#ifndef LIVE_HLS_H
#define LIVE_HLS_H

#include "manifest.h"

/* master.m3u8 of m into *out (caller frees with av_free). 0 or AVERROR(ENOMEM). */
int hls_write_master(const Manifest *m, char **out);

/* index.m3u8 of rendition r of m into *out (caller frees with av_free).
 * 0, AVERROR(EINVAL) for a bad r, or AVERROR(ENOMEM). */
int hls_write_media(const Manifest *m, int r, char **out);

#endif
