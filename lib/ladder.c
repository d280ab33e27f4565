/*
 * ladder.c: parsing a bit-rate ladder and sizing its rungs for a source,
 * keeping the display aspect ratio exact. See ladder.h for the rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mathematics.h>

#include "ladder.h"
#include "parse.h"

/* Parse "Np" or "WxH" (len bytes of s) into rung. */
static int parse_size(const char *s, size_t len, LadderRung *rung, const char **why)
{
    char buf[32], *x;
    int w, h;

    if (len == 0 || len >= sizeof(buf)) {
        *why = "bad rung size";
        return AVERROR(EINVAL);
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (buf[len - 1] == 'p') {
        buf[len - 1] = '\0';
        if (parse_int(buf, 2, LADDER_MAX_SIDE, &h) < 0) {
            *why = "rung size: a number of lines from 2 to 8192 before 'p'";
            return AVERROR(EINVAL);
        }
        if (h % 2) {
            *why = "rung size: the number of lines must be even";
            return AVERROR(EINVAL);
        }
        rung->lines = h;
        snprintf(rung->id, sizeof(rung->id), "%dp", h);
        return 0;
    }
    x = strchr(buf, 'x');
    if (!x) {
        *why = "rung size: Np or WxH";
        return AVERROR(EINVAL);
    }
    *x = '\0';
    if (parse_int(buf, 2, LADDER_MAX_SIDE, &w) < 0 ||
        parse_int(x + 1, 2, LADDER_MAX_SIDE, &h) < 0) {
        *why = "rung size: WxH with sides from 2 to 8192";
        return AVERROR(EINVAL);
    }
    if (w % 2 || h % 2) {
        *why = "rung size: width and height must be even";
        return AVERROR(EINVAL);
    }
    rung->width = w;
    rung->height = h;
    snprintf(rung->id, sizeof(rung->id), "%dx%d", w, h);
    return 0;
}

/* The sort key: the shorter side the rung asks for. */
static int rung_lines(const LadderRung *r)
{
    if (r->lines)
        return r->lines;
    return r->width < r->height ? r->width : r->height;
}

static int cmp_rung(const void *a, const void *b)
{
    const LadderRung *x = a, *y = b;
    int lx = rung_lines(x), ly = rung_lines(y);
    if (lx != ly)
        return lx > ly ? -1 : 1;
    return 0;
}

int ladder_parse(const char *s, Ladder *ladder, const char **why)
{
    const char *p = s, *comma, *colon;
    char rate[32];
    static const char *dummy;

    if (!why)
        why = &dummy;
    memset(ladder, 0, sizeof(*ladder));
    if (!s || !*s) {
        *why = "empty ladder";
        return AVERROR(EINVAL);
    }
    for (;;) {
        LadderRung *r;
        size_t len;

        comma = strchr(p, ',');
        len = comma ? (size_t)(comma - p) : strlen(p);
        if (ladder->n == LADDER_MAX_RUNGS) {
            *why = "too many rungs (at most 16)";
            return AVERROR(EINVAL);
        }
        r = &ladder->rung[ladder->n];
        colon = memchr(p, ':', len);
        if (!colon) {
            *why = "a rung is SIZE:BITRATE";
            return AVERROR(EINVAL);
        }
        if (parse_size(p, (size_t)(colon - p), r, why) < 0)
            return AVERROR(EINVAL);
        len -= (size_t)(colon + 1 - p);
        if (len == 0 || len >= sizeof(rate)) {
            *why = "bad rung bit rate";
            return AVERROR(EINVAL);
        }
        memcpy(rate, colon + 1, len);
        rate[len] = '\0';
        if (parse_bitrate(rate, 10000, 1000000000, &r->bitrate) < 0) {
            *why = "rung bit rate: 10k to 1G, e.g. 2800k or 5M";
            return AVERROR(EINVAL);
        }
        for (int i = 0; i < ladder->n; i++) {
            if (!strcmp(ladder->rung[i].id, r->id)) {
                *why = "the same rung twice";
                return AVERROR(EINVAL);
            }
        }
        ladder->n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    /* stable enough: ids are unique, equal keys keep the written order */
    qsort(ladder->rung, ladder->n, sizeof(ladder->rung[0]), cmp_rung);
    return 0;
}

int ladder_add_uhd(Ladder *ladder)
{
    Ladder uhd;
    int i, j;

    if (ladder_parse(LADDER_UHD, &uhd, NULL) < 0)
        return AVERROR(EINVAL);
    for (i = 0; i < uhd.n; i++) {
        for (j = 0; j < ladder->n && strcmp(ladder->rung[j].id, uhd.rung[i].id); j++)
            ;
        if (j < ladder->n)
            continue;
        if (ladder->n == LADDER_MAX_RUNGS)
            return AVERROR(EINVAL);
        ladder->rung[ladder->n++] = uhd.rung[i];
    }
    qsort(ladder->rung, ladder->n, sizeof(ladder->rung[0]), cmp_rung);
    return 0;
}

/* Nearest even integer to num/den (num, den > 0), at least 2. */
static int64_t nearest_even(int64_t num, int64_t den)
{
    int64_t v = (num + den) / (2 * den) * 2;   /* round(num/den/2)*2 */
    return v < 2 ? 2 : v;
}

int ladder_size(const LadderRung *rung, int width, int height, AVRational sar,
                LadderSize *out)
{
    int64_t dw, dh, g;       /* display aspect dw:dh, reduced */
    int64_t lo, s, l;
    int portrait, src_short;

    if (width < 2 || height < 2 || width > 65536 || height > 65536)
        return AVERROR(EINVAL);
    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){ 1, 1 };
    av_reduce(&sar.num, &sar.den, sar.num, sar.den, INT32_MAX);
    dw = (int64_t)width * sar.num;
    dh = (int64_t)height * sar.den;
    g = av_gcd(dw, dh);
    dw /= g;
    dh /= g;
    portrait = dh > dw;
    src_short = portrait ? width : height;
    memset(out, 0, sizeof(*out));

    if (!rung->lines) {
        if (rung->width > width || rung->height > height)
            return AVERROR(ERANGE);
        out->width = rung->width;
        out->height = rung->height;
    } else if (rung->lines > src_short) {
        return AVERROR(ERANGE);
    } else if (rung->lines == src_short && width % 2 == 0 && height % 2 == 0) {
        out->width = width;
        out->height = height;
    } else {
        /* Square pixels: short side s with long side s*dl/ds an even
         * integer, s even, s in [N - SNAP%, N], nearest N first. */
        int64_t ds = portrait ? dw : dh, dl = portrait ? dh : dw;
        l = 0;
        lo = rung->lines - rung->lines * LADDER_SNAP_PERCENT / 100;
        for (s = rung->lines; s >= lo && s >= 2; s -= 2) {
            if ((s * dl) % ds == 0 && (s * dl / ds) % 2 == 0) {
                l = s * dl / ds;
                break;
            }
        }
        if (!l) {
            int src_long = portrait ? height : width;
            s = rung->lines;
            l = nearest_even(s * dl, ds);
            if (l > src_long)           /* an odd source side: never wider */
                l = src_long & ~1;
        }
        if (l > LADDER_MAX_SIDE)
            return AVERROR(ERANGE);
        out->width = (int)(portrait ? s : l);
        out->height = (int)(portrait ? l : s);
    }
    /* SAR that makes width x height display at dw:dh exactly:
     * sar = dw * height / (dh * width). */
    if (out->width == width && out->height == height) {
        out->sar = sar;
        out->is_source = 1;
    } else {
        av_reduce(&out->sar.num, &out->sar.den, dw * out->height, dh * out->width,
                  INT32_MAX);
    }
    return 0;
}

int ladder_fit(const Ladder *ladder, int exact, int width, int height, AVRational sar,
               LadderFit *out, int *n)
{
    const LadderRung *near = NULL;
    int i, ret, src_short, top = 0;

    *n = 0;
    if (width < 2 || height < 2 || width > 65536 || height > 65536)
        return AVERROR(EINVAL);
    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){ 1, 1 };
    /* the shorter side of the displayed picture, in lines */
    src_short = (int64_t)width * sar.num < (int64_t)height * sar.den ? width : height;
    for (i = 0; i < ladder->n && *n < LADDER_MAX_RUNGS; i++) {
        const LadderRung *r = &ladder->rung[i];
        LadderFit *f = &out[*n];
        ret = ladder_size(r, width, height, sar, &f->size);
        if (ret == AVERROR(ERANGE))
            continue;
        if (ret < 0)
            return ret;
        f->rung = *r;
        f->added = 0;
        if (!near) {
            near = r;
            top = rung_lines(r);
        }
        (*n)++;
    }
    if (exact)
        return 0;
    /* a source above 1080p is taken as 1080p: larger rungs only when asked */
    if (src_short > LADDER_ADDED_MAX_LINES)
        src_short = LADDER_ADDED_MAX_LINES;
    if (!near && ladder->n > 0)
        near = &ladder->rung[ladder->n - 1];     /* the smallest rung */
    else if (near && (!near->lines ||    /* an explicit WxH top rung is meant */
                      (int64_t)src_short * 100 < (int64_t)top * (100 + LADDER_SOURCE_ABOVE_PERCENT)))
        return 0;
    if (!near)
        return 0;
    {
        LadderRung r = { 0 };
        LadderSize sz;
        int lines = src_short & ~1, ref = rung_lines(near);
        double scale = (double)lines / ref;

        if (lines < 2)
            return 0;
        r.lines = lines;
        snprintf(r.id, sizeof(r.id), "%dp", lines);
        r.bitrate = (int64_t)(near->bitrate * scale * scale);
        if (r.bitrate < LADDER_MIN_BITRATE)
            r.bitrate = LADDER_MIN_BITRATE;
        for (i = 0; i < *n; i++)
            if (!strcmp(out[i].rung.id, r.id))
                return 0;
        if ((ret = ladder_size(&r, width, height, sar, &sz)) < 0)
            return ret == AVERROR(ERANGE) ? 0 : ret;
        if (*n == LADDER_MAX_RUNGS)
            (*n)--;                               /* the smallest makes room */
        memmove(&out[1], &out[0], (size_t)*n * sizeof(*out));
        out[0].rung = r;
        out[0].size = sz;
        out[0].added = 1;
        (*n)++;
    }
    return 0;
}
