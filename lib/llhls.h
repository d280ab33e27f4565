/*
 * llhls.h: the server side of HLS playlist delivery directives (RFC
 * 8216bis 6.2.5, 6.2.2): blocking playlist reload (_HLS_msn, _HLS_part)
 * and playlist delta updates (_HLS_skip), over the media playlists
 * live-package writes. Pure functions on text: live-serve (origin.c)
 * reads the playlist, asks whether it holds what the request names, waits
 * on the waiter for the next version when it does not, and answers with
 * the playlist or its delta update.
 *
 *   GET .../index.m3u8?_HLS_msn=43            playlist once segment 43 is in it
 *   GET .../index.m3u8?_HLS_msn=43&_HLS_part=2  once part 2 of segment 43 is
 *   GET .../index.m3u8?_HLS_skip=YES          the older segments replaced by
 *                                             EXT-X-SKIP:SKIPPED-SEGMENTS=N
 */
#ifndef LIVE_LLHLS_H
#define LIVE_LLHLS_H

#include <stddef.h>
#include <stdint.h>

typedef struct LlhlsRequest {
    int64_t msn;        /* _HLS_msn, or -1 */
    int64_t part;       /* _HLS_part, or -1 */
    int skip;           /* _HLS_skip=YES (1) or v2 (2), else 0 */
} LlhlsRequest;

/* What a media playlist says about its live end. */
typedef struct LlhlsPlaylist {
    int64_t first_msn;  /* EXT-X-MEDIA-SEQUENCE */
    int64_t last_msn;   /* the last complete segment (first_msn - 1: none) */
    int64_t parts;      /* EXT-X-PART lines after it (of segment last_msn + 1) */
    int ended;          /* EXT-X-ENDLIST */
    double target;      /* EXT-X-TARGETDURATION, seconds */
    double skip_until;  /* EXT-X-SERVER-CONTROL CAN-SKIP-UNTIL, 0: none */
    int can_block;      /* CAN-BLOCK-RELOAD=YES */
} LlhlsPlaylist;

/*
 * The directives from the query's values (each NULL when absent). 0 with
 * *r filled (r->msn < 0: none); AVERROR(EINVAL) for what RFC 8216bis
 * calls a bad request: a value that is not a decimal number up to 2^62,
 * _HLS_part without _HLS_msn, an _HLS_skip other than YES or v2.
 */
int llhls_parse_request(const char *msn, const char *part, const char *skip, LlhlsRequest *r);

/* Scan a media playlist. 0, or AVERROR_INVALIDDATA when it is not one
 * (no #EXTM3U, no EXT-X-TARGETDURATION). */
int llhls_scan(const char *text, size_t len, LlhlsPlaylist *p);

/* 1 when p holds what r names, or never will (it ended): answer now.
 * 0: wait for the next version. */
int llhls_ready(const LlhlsPlaylist *p, const LlhlsRequest *r);

/* 1 when r names a segment more than two past p's last: a bad request
 * (RFC 8216bis: the server "SHOULD immediately return Bad Request"). */
int llhls_too_far(const LlhlsPlaylist *p, const LlhlsRequest *r);

/*
 * The delta update of playlist text (p from llhls_scan of it): the
 * segments that end more than p->skip_until seconds before the end of
 * the playlist replaced by one EXT-X-SKIP:SKIPPED-SEGMENTS=N, the version
 * raised to 9. *out (caller frees with av_free) and *outlen; *out is a
 * copy of text when nothing can be skipped (no CAN-SKIP-UNTIL, too short,
 * ended). 0 or AVERROR(ENOMEM).
 */
int llhls_delta(const char *text, size_t len, const LlhlsPlaylist *p, char **out, size_t *outlen);

#endif
