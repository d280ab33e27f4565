/*
 * srtid.c: SRT stream ids. See srtid.h.
 */
#include <string.h>

#include <libavutil/error.h>

#include "srtid.h"

static int copy(char *dst, size_t size, const char *src, size_t n)
{
    if (n >= size)
        return AVERROR_INVALIDDATA;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

int srtid_parse(const char *sid, char *name, size_t name_size, char *key, size_t key_size)
{
    const char *p, *q;
    int have_name = 0;

    if (!name_size || !key_size)
        return AVERROR_INVALIDDATA;
    name[0] = key[0] = '\0';
    if (!sid || !*sid)
        return AVERROR_INVALIDDATA;
    if (strncmp(sid, "#!::", 4)) {
        /* plain: NAME or NAME?key=SECRET */
        if ((q = strchr(sid, '?'))) {
            if (strncmp(q + 1, "key=", 4) || copy(key, key_size, q + 5, strlen(q + 5)) < 0)
                return AVERROR_INVALIDDATA;
        } else {
            q = sid + strlen(sid);
        }
        if (q == sid)
            return AVERROR_INVALIDDATA;
        return copy(name, name_size, sid, (size_t)(q - sid));
    }
    for (p = sid + 4; *p; p = *q ? q + 1 : q) {
        const char *eq;
        size_t klen, vlen;
        q = strchr(p, ',');
        if (!q)
            q = p + strlen(p);
        eq = memchr(p, '=', (size_t)(q - p));
        if (!eq || eq == p)
            return AVERROR_INVALIDDATA;
        klen = (size_t)(eq - p);
        vlen = (size_t)(q - eq - 1);
        if (klen == 1 && *p == 'r') {
            if (!vlen || copy(name, name_size, eq + 1, vlen) < 0)
                return AVERROR_INVALIDDATA;
            have_name = 1;
        } else if (klen == 1 && *p == 'k') {
            if (copy(key, key_size, eq + 1, vlen) < 0)
                return AVERROR_INVALIDDATA;
        } else if (klen == 1 && *p == 'm') {
            if (vlen != 7 || strncmp(eq + 1, "publish", 7))
                return AVERROR_INVALIDDATA;   /* request, bidirectional: not here */
        }
    }
    return have_name ? 0 : AVERROR_INVALIDDATA;
}
