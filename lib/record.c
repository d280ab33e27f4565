/*
 * record.c: reading and writing the JSON-lines records of live-pipe(5).
 * A line is read whole (up to RECORD_MAX_LINE), parsed by jansson and
 * checked for the common fields before anyone sees it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/error.h>

#include "array.h"
#include "log.h"
#include "record.h"

struct RecordReader {
    FILE *in;
    char *name;
    char *line;
    size_t cap;
    long lineno;
};

RecordReader *record_reader_new(FILE *in, const char *name)
{
    RecordReader *rr = calloc(1, sizeof(*rr));
    if (!rr)
        return NULL;
    rr->in = in;
    rr->name = strdup(name ? name : "-");
    if (!rr->name) {
        free(rr);
        return NULL;
    }
    return rr;
}

void record_reader_free(RecordReader **rrp)
{
    RecordReader *rr = *rrp;
    if (!rr)
        return;
    free(rr->line);
    free(rr->name);
    free(rr);
    *rrp = NULL;
}

long record_reader_line(const RecordReader *rr)
{
    return rr->lineno;
}

/* Read one line into rr->line; returns its length, AVERROR_EOF at the
 * end, or another negative AVERROR (a read error: AVERROR(errno), which
 * may be -1, AVERROR(EPERM)). Lines over the limit are consumed and
 * reported. */
static long read_line(RecordReader *rr)
{
    size_t len = 0;
    int c, toolong = 0;

    for (;;) {
        c = getc(rr->in);
        if (c == EOF) {
            if (ferror(rr->in)) {
                int err = errno ? errno : EIO;
                if (err == EINTR || err == EAGAIN) {
                    clearerr(rr->in);
                    continue;
                }
                return AVERROR(err);
            }
            if (len == 0 && !toolong)
                return AVERROR_EOF;
            break;
        }
        if (c == '\n')
            break;
        if (len + 1 >= RECORD_MAX_LINE) {
            toolong = 1;
            continue;
        }
        if (len + 1 >= rr->cap) {
            size_t ncap = array_grow(&rr->line, rr->cap, 1, 256);
            if (!ncap)
                return AVERROR(ENOMEM);
            rr->cap = ncap;
        }
        rr->line[len++] = (char)c;
    }
    rr->lineno++;
    if (toolong)
        return AVERROR(E2BIG);
    if (!rr->line) {
        rr->line = malloc(1);
        if (!rr->line)
            return AVERROR(ENOMEM);
        rr->cap = 1;
    }
    rr->line[len] = '\0';
    return (long)len;
}

int record_validate(const json_t *rec, const char **why)
{
    const json_t *v;

    *why = NULL;
    if (!json_is_object(rec)) {
        *why = "not a JSON object";
        return AVERROR_INVALIDDATA;
    }
    v = json_object_get(rec, "type");
    if (!json_is_string(v) || !*json_string_value(v)) {
        *why = "no \"type\" string";
        return AVERROR_INVALIDDATA;
    }
    v = json_object_get(rec, "stream");
    if (!json_is_string(v) || record_stream_rule(json_string_value(v))) {
        *why = "no valid \"stream\" name (live-pipe(5): 1-64 of A-Z a-z 0-9 _ . -, not one of "
               RECORD_RESERVED ")";
        return AVERROR_INVALIDDATA;
    }
    v = json_object_get(rec, "seq");
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        *why = "no \"seq\" integer >= 0";
        return AVERROR_INVALIDDATA;
    }
    v = json_object_get(rec, "path");
    if (v && (!json_is_string(v) || !record_path_ok(json_string_value(v)))) {
        *why = "\"path\" is not a safe relative path";
        return AVERROR_INVALIDDATA;
    }
    return 0;
}

int record_read(RecordReader *rr, json_t **out)
{
    for (;;) {
        json_error_t jerr;
        const char *why;
        json_t *rec;
        long len = read_line(rr);
        size_t i;

        if (len == AVERROR(E2BIG)) {
            log_error("%s:%ld: record longer than %d bytes", rr->name, rr->lineno,
                      RECORD_MAX_LINE);
            return AVERROR_INVALIDDATA;
        }
        if (len < 0)
            return (int)len;
        for (i = 0; i < (size_t)len && strchr(" \t\r", rr->line[i]); i++)
            ;
        if (i == (size_t)len)
            continue; /* blank line */
        rec = json_loadb(rr->line, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!rec) {
            log_error("%s:%ld: not a JSON record: %s", rr->name, rr->lineno, jerr.text);
            return AVERROR_INVALIDDATA;
        }
        if (record_validate(rec, &why) < 0) {
            log_error("%s:%ld: bad record: %s", rr->name, rr->lineno, why);
            json_decref(rec);
            return AVERROR_INVALIDDATA;
        }
        *out = rec;
        return 0;
    }
}

int record_write(FILE *out, const json_t *rec)
{
    char *s = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
    int ret = 0;

    if (!s)
        return AVERROR(ENOMEM);
    errno = 0;
    if (fputs(s, out) == EOF || putc('\n', out) == EOF || fflush(out) == EOF)
        ret = AVERROR(errno ? errno : EIO);
    free(s);
    return ret;
}

json_t *record_new(const char *type, const char *stream, int64_t seq)
{
    return json_pack("{s:s, s:s, s:I}", "type", type, "stream", stream, "seq", (json_int_t)seq);
}

const char *record_str(const json_t *rec, const char *key)
{
    const json_t *v = json_object_get(rec, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t record_int(const json_t *rec, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(rec, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

double record_num(const json_t *rec, const char *key, double dflt)
{
    const json_t *v = json_object_get(rec, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

int record_bool(const json_t *rec, const char *key)
{
    return json_is_true(json_object_get(rec, key));
}

int record_name_ok(const char *s)
{
    size_t n;

    if (!s || !*s || *s == '.')
        return 0;
    for (n = 0; s[n]; n++) {
        char c = s[n];
        if (n >= RECORD_MAX_NAME)
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

const char *record_stream_rule(const char *s)
{
    static const char *const reserved[] = { "api", "assets", "metrics", "streams.json", "time",
                                            "watch", "whep", "whip" };

    if (!record_name_ok(s))
        return "a stream name is 1-64 of A-Z a-z 0-9 _ . - and does not start with a dot";
    for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
        if (!strcasecmp(s, reserved[i]))
            return "a stream name is none of the names live-serve routes: " RECORD_RESERVED;
    return NULL;
}

int record_presentation_ok(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    char base[RECORD_MAX_NAME + 1];
    size_t n, d;

    if (!at)
        return record_name_ok(s);
    n = (size_t)(at - s);
    d = strspn(at + 1, "0123456789");
    if (n == 0 || n > RECORD_MAX_NAME || d == 0 || d > 19 || at[1 + d])
        return 0;
    memcpy(base, s, n);
    base[n] = '\0';
    return record_name_ok(base);
}

const char *record_presentation_rule(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    char base[RECORD_MAX_NAME + 1];

    if (!at)
        return record_stream_rule(s);
    if (!record_presentation_ok(s))
        return "a presentation is NAME or NAME@ID (ID 1-19 digits)";
    memcpy(base, s, (size_t)(at - s));
    base[at - s] = '\0';
    return record_stream_rule(base);
}

int record_path_ok(const char *p)
{
    const char *c = p;

    if (!p || !*p || *p == '/' || strlen(p) > 4096)
        return 0;
    while (*c) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f || c[i] == '\\')
                return 0;
        c += n;
        if (*c == '/')
            c++;
        if (e && !*c)
            return 0; /* trailing slash */
    }
    return 1;
}

int record_join(char *buf, size_t size, const char *dir, const char *rel)
{
    int n = snprintf(buf, size, "%s/%s", dir && *dir ? dir : ".", rel);
    if (n < 0 || (size_t)n >= size)
        return AVERROR(ENAMETOOLONG);
    return 0;
}
