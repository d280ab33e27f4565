/*
 * fuzz/srtid.c: libFuzzer target for SRT stream ids (lib/srtid.c), the
 * string any SRT caller sends live-ingest before it is accepted.
 *
 * Links: lib/srtid.c
 *
 * Whatever the bytes: the result is 0 or AVERROR_INVALIDDATA; on success
 * the name is non-empty and both strings fit their buffers; small buffers
 * never overflow; a publish id made from the name and key it returned
 * parses back to the same name and key (when they carry no separator).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "srtid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sid = malloc(size + 1), name[65], key[65], name2[65], key2[65], again[200];
    char *tiny_name = malloc(4), *tiny_key = malloc(4);
    int r;

    if (!sid || !tiny_name || !tiny_key)
        abort();
    memcpy(sid, data, size);
    sid[size] = '\0';
    r = srtid_parse(sid, name, sizeof(name), key, sizeof(key));
    if (r != 0 && r != AVERROR_INVALIDDATA)
        abort();
    if (r == 0) {
        if (!name[0] || strlen(name) >= sizeof(name) || strlen(key) >= sizeof(key))
            abort();
        if (!strpbrk(name, ",=?") && !strpbrk(key, ",")) {
            snprintf(again, sizeof(again), "#!::r=%s,m=publish,k=%s", name, key);
            if (srtid_parse(again, name2, sizeof(name2), key2, sizeof(key2)) != 0 ||
                strcmp(name, name2) || strcmp(key, key2))
                abort();
        }
    }
    r = srtid_parse(sid, tiny_name, 4, tiny_key, 4);
    if (r == 0 && (strlen(tiny_name) >= 4 || strlen(tiny_key) >= 4))
        abort();
    free(tiny_name);
    free(tiny_key);
    free(sid);
    return 0;
}
