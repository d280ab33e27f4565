/*
 * llhls.c: HLS playlist delivery directives. See llhls.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/bprint.h>
#include <libavutil/error.h>

#include "llhls.h"

#define LLHLS_MAX_NUMBER (INT64_C(1) << 62)

/* A decimal number 0..2^62 without sign or spaces; -1 when not one. */
static int64_t number(const char *s)
{
    int64_t v = 0;

    if (!s || !*s || strlen(s) > 19)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v <= LLHLS_MAX_NUMBER ? v : -1;
}

int llhls_parse_request(const char *msn, const char *part, const char *skip, LlhlsRequest *r)
{
    r->msn = r->part = -1;
    r->skip = 0;
    if (msn && (r->msn = number(msn)) < 0)
        return AVERROR(EINVAL);
    if (part && (!msn || (r->part = number(part)) < 0))
        return AVERROR(EINVAL);
    if (skip) {
        if (!strcmp(skip, "YES"))
            r->skip = 1;
        else if (!strcmp(skip, "v2"))
            r->skip = 2;
        else
            return AVERROR(EINVAL);
    }
    return 0;
}

/* The line at *pos, without its end of line, into line and n; 0 at the end. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    const char *nl;

    if (*pos >= len)
        return 0;
    *line = text + *pos;
    nl = memchr(*line, '\n', len - *pos);
    *n = nl ? (size_t)(nl - *line) : len - *pos;
    *pos += *n + (nl ? 1 : 0);
    if (*n && (*line)[*n - 1] == '\r')
        (*n)--;
    return 1;
}

static int starts(const char *line, size_t n, const char *tag)
{
    size_t t = strlen(tag);
    return n >= t && !memcmp(line, tag, t);
}

/* The value of attribute name= in an attribute list, as a double; -1 if absent. */
static double attr(const char *line, size_t n, const char *name, char *buf, size_t size)
{
    size_t k = strlen(name);

    if (n >= size)
        n = size - 1;
    memcpy(buf, line, n);
    buf[n] = '\0';
    for (char *p = buf; (p = strstr(p, name)); p += k) {
        if ((p == buf || p[-1] == ',' || p[-1] == ':') && p[k] == '=')
            return strncmp(p + k + 1, "YES", 3) ? strtod(p + k + 1, NULL) : 1;
    }
    return -1;
}

int llhls_scan(const char *text, size_t len, LlhlsPlaylist *p)
{
    const char *line;
    size_t n, pos = 0;
    int64_t segments = 0;
    int header = 0, target = 0;
    char buf[512];

    memset(p, 0, sizeof(*p));
    while (next_line(text, len, &pos, &line, &n)) {
        if (!n)
            continue;
        if (starts(line, n, "#EXTM3U")) {
            header = 1;
        } else if (starts(line, n, "#EXT-X-TARGETDURATION:")) {
            p->target = strtod(line + 22, NULL);
            target = 1;
        } else if (starts(line, n, "#EXT-X-MEDIA-SEQUENCE:")) {
            p->first_msn = strtoll(line + 22, NULL, 10);
        } else if (starts(line, n, "#EXT-X-SERVER-CONTROL:")) {
            double v = attr(line, n, "CAN-SKIP-UNTIL", buf, sizeof(buf));
            p->skip_until = v > 0 ? v : 0;
            p->can_block = attr(line, n, "CAN-BLOCK-RELOAD", buf, sizeof(buf)) == 1;
        } else if (starts(line, n, "#EXT-X-PART:")) {
            p->parts++;
        } else if (starts(line, n, "#EXT-X-SKIP:")) {
            double v = attr(line, n, "SKIPPED-SEGMENTS", buf, sizeof(buf));
            segments += v > 0 ? (int64_t)v : 0;
        } else if (starts(line, n, "#EXT-X-ENDLIST")) {
            p->ended = 1;
        } else if (line[0] != '#') {
            segments++;        /* a segment's URI: its parts are done */
            p->parts = 0;
        }
    }
    if (!header || !target)
        return AVERROR_INVALIDDATA;
    p->last_msn = p->first_msn + segments - 1;
    return 0;
}

int llhls_ready(const LlhlsPlaylist *p, const LlhlsRequest *r)
{
    if (p->ended || r->msn < 0 || p->last_msn >= r->msn)
        return 1;
    /* part P of segment M: listed while M is the segment in progress */
    return r->part >= 0 && p->last_msn + 1 == r->msn && p->parts > r->part;
}

int llhls_too_far(const LlhlsPlaylist *p, const LlhlsRequest *r)
{
    return !p->ended && r->msn > p->last_msn + 2;
}

/* A tag that belongs to the segment after it (so it goes with it). */
static int segment_tag(const char *line, size_t n)
{
    return starts(line, n, "#EXTINF") || starts(line, n, "#EXT-X-PROGRAM-DATE-TIME") ||
           (starts(line, n, "#EXT-X-DISCONTINUITY") && !starts(line, n, "#EXT-X-DISCONTINUITY-")) ||
           starts(line, n, "#EXT-X-BYTERANGE") || starts(line, n, "#EXT-X-GAP") ||
           starts(line, n, "#EXT-X-BITRATE") || starts(line, n, "#EXT-X-PART:");
}

int llhls_delta(const char *text, size_t len, const LlhlsPlaylist *p, char **out, size_t *outlen)
{
    const char *line;
    size_t n, pos = 0, body = len, cut = 0;
    double total = 0, t = 0;
    int64_t skipped = 0, count = 0;
    AVBPrint bp;

    /* Where the segments start (body), their total duration. */
    while (next_line(text, len, &pos, &line, &n)) {
        if (body == len && n && (segment_tag(line, n) || line[0] != '#'))
            body = line - text;
        if (starts(line, n, "#EXTINF:"))
            total += strtod(line + 8, NULL);
    }
    /* The segments ending before total - skip_until, up to the first
     * tag a player must not miss (a new initialization section, a key). */
    if (p->skip_until > 0 && !p->ended) {
        double dur = 0;
        pos = body;
        while (next_line(text, len, &pos, &line, &n)) {
            if (starts(line, n, "#EXT-X-MAP") || starts(line, n, "#EXT-X-KEY") ||
                starts(line, n, "#EXT-X-PART:"))
                break;
            if (starts(line, n, "#EXTINF:"))
                dur = strtod(line + 8, NULL);
            if (n && line[0] != '#') {
                if (t + dur > total - p->skip_until)
                    break;
                t += dur;
                count++;
                cut = pos;
            }
        }
        skipped = count;
    }
    av_bprint_init(&bp, len + 64, AV_BPRINT_SIZE_UNLIMITED);
    if (!skipped) {
        av_bprint_append_data(&bp, text, len);
    } else {
        pos = 0;
        while (pos < body && next_line(text, len, &pos, &line, &n)) {
            if (starts(line, n, "#EXT-X-VERSION:"))
                av_bprintf(&bp, "#EXT-X-VERSION:9\n");
            else
                av_bprintf(&bp, "%.*s\n", (int)n, line);
        }
        av_bprintf(&bp, "#EXT-X-SKIP:SKIPPED-SEGMENTS=%lld\n", (long long)skipped);
        av_bprint_append_data(&bp, text + cut, len - cut);
    }
    if (!av_bprint_is_complete(&bp)) {
        av_bprint_finalize(&bp, NULL);
        return AVERROR(ENOMEM);
    }
    *outlen = bp.len;
    return av_bprint_finalize(&bp, out) < 0 ? AVERROR(ENOMEM) : 0;
}
