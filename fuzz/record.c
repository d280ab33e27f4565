/*
 * fuzz/record.c: libFuzzer target for the JSON-lines record reader
 * (lib/record.c), the bytes every stage reads from the one before it.
 *
 * Links: lib/record.c lib/log.c lib/array.c
 *
 * The input is a stream of lines. Every record the reader accepts must
 * satisfy what record.h promises (a stream name, a seq >= 0, a safe path),
 * and what record_write makes of it must read back as an equal record.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "log.h"
#include "record.h"

/* An independent check of record_path_ok's promise: relative, no empty,
 * "." or ".." component, no control character or backslash. */
static int path_safe(const char *p)
{
    const char *c = p;

    if (!*p || *p == '/')
        return 0;
    for (;;) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && !strncmp(c, ".", 1)) || (n == 2 && !strncmp(c, "..", 2)))
            return 0;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f || c[i] == '\\')
                return 0;
        if (!c[n])
            return 1;
        c += n + 1;
    }
}

static void check_record(json_t *rec)
{
    const char *stream = record_str(rec, "stream"), *path = record_str(rec, "path");
    char joined[8192];
    char *buf = NULL;
    size_t len = 0;
    FILE *out;

    if (!record_str(rec, "type") || !stream || !record_name_ok(stream))
        abort();
    if (record_int(rec, "seq", -1) < 0)
        abort();
    if (json_object_get(rec, "path") && (!path || !path_safe(path)))
        abort();
    if (path && record_join(joined, sizeof(joined), "spool", path) == 0 &&
        strncmp(joined, "spool/", 6))
        abort();
    (void)record_num(rec, "start", 0);
    (void)record_bool(rec, "discontinuity");

    /* What we write, the next stage must read back unchanged. */
    out = open_memstream(&buf, &len);
    if (!out)
        return;
    if (record_write(out, rec) == 0) {
        FILE *in;
        RecordReader *rr;
        json_t *back = NULL;

        fflush(out);
        in = fmemopen(buf, len, "r");
        rr = in ? record_reader_new(in, "round-trip") : NULL;
        if (rr) {
            if (record_read(rr, &back) < 0 || !json_equal(rec, back))
                abort();
            json_decref(back);
        }
        record_reader_free(&rr);
        if (in)
            fclose(in);
    }
    fclose(out);
    free(buf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    log_init("fuzz-record");
    log_set_level(LOG_LEVEL_QUIET);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    RecordReader *rr;
    FILE *in;
    char *s;
    int ret, n = 0;

    if (size == 0)
        return 0;

    /* The whole input as one string: the name and path checks. */
    s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (record_path_ok(s) && !path_safe(s))
        abort();
    (void)record_name_ok(s);
    free(s);

    in = fmemopen((void *)data, size, "r");
    if (!in)
        return 0;
    rr = record_reader_new(in, "fuzz");
    while (rr && n++ < 10000) {
        json_t *rec = NULL;

        ret = record_read(rr, &rec);
        if (ret == AVERROR_EOF)
            break;
        if (ret == AVERROR_INVALIDDATA)
            continue; /* the reader stays usable after a bad line */
        if (ret < 0)
            abort(); /* a memory stream has no read errors */
        check_record(rec);
        json_decref(rec);
    }
    record_reader_free(&rr);
    fclose(in);
    return 0;
}
