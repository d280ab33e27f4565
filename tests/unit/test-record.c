/* Unit tests for lib/record.c: reading, validation, writing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "log.h"
#include "record.h"
#include "tap.h"

static FILE *from_string(const char *s)
{
    return fmemopen((void *)s, strlen(s), "r");
}

/* A stream whose read fails with EPERM: AVERROR(EPERM) is -1, which
 * record_read once took for the end of the input. */
static ssize_t read_eperm(void *cookie, char *buf, size_t size)
{
    (void)cookie, (void)buf, (void)size;
    errno = EPERM;
    return -1;
}

static void read_error_is_not_eof(void)
{
    cookie_io_functions_t io = { .read = read_eperm };
    FILE *f = fopencookie(NULL, "r", io);
    RecordReader *rr = f ? record_reader_new(f, "eperm") : NULL;
    json_t *rec = NULL;

    is_int(rr ? record_read(rr, &rec) : 0, AVERROR(EPERM), "a read error (EPERM) is an error, not EOF");
    record_reader_free(&rr);
    if (f)
        fclose(f);
}

int main(void)
{
    json_t *rec = NULL;
    RecordReader *rr;
    FILE *f;
    char *buf = NULL;

    read_error_is_not_eof();
    size_t len = 0;

    log_init("test-record");
    log_set_level(LOG_LEVEL_QUIET);

    f = from_string("{\"type\":\"segment\",\"stream\":\"cam1\",\"seq\":3,\"path\":\"cam1/3.nut\","
                    "\"start\":30.0,\"duration\":10}\n"
                    "\n"
                    "not json\n"
                    "{\"type\":\"segment\",\"stream\":\"../x\",\"seq\":1}\n"
                    "{\"type\":\"segment\",\"stream\":\"a\",\"seq\":-1}\n"
                    "{\"type\":\"segment\",\"stream\":\"a\",\"seq\":1,\"path\":\"/etc/passwd\"}\n"
                    "{\"type\":\"end\",\"stream\":\"a\",\"seq\":1,\"type\":\"x\"}\n"
                    "{\"type\":\"end\",\"stream\":\"a\",\"seq\":4}");
    rr = record_reader_new(f, "in");
    is_int(record_read(rr, &rec), 0, "first record read");
    is_str(record_str(rec, "stream"), "cam1", "stream field");
    is_int(record_int(rec, "seq", -1), 3, "seq field");
    is_dbl(record_num(rec, "start", -1), 30.0, 1e-9, "start field");
    is_dbl(record_num(rec, "duration", -1), 10.0, 1e-9, "integer duration reads as a number");
    is_int(record_bool(rec, "discontinuity"), 0, "absent flag is false");
    json_decref(rec);
    is_int(record_read(rr, &rec), AVERROR_INVALIDDATA, "garbage line is invalid");
    is_int(record_reader_line(rr), 3, "blank line counted, garbage on line 3");
    is_int(record_read(rr, &rec), AVERROR_INVALIDDATA, "unsafe stream name rejected");
    is_int(record_read(rr, &rec), AVERROR_INVALIDDATA, "negative seq rejected");
    is_int(record_read(rr, &rec), AVERROR_INVALIDDATA, "absolute path rejected");
    is_int(record_read(rr, &rec), AVERROR_INVALIDDATA, "duplicate keys rejected");
    is_int(record_read(rr, &rec), 0, "last line without newline read");
    is_str(record_str(rec, "type"), "end", "end record");
    json_decref(rec);
    is_int(record_read(rr, &rec), AVERROR_EOF, "then EOF");
    record_reader_free(&rr);
    ok(rr == NULL, "free clears the pointer");
    record_reader_free(&rr);
    fclose(f);

    /* A line over the limit is refused, and the reader goes on after it. */
    {
        size_t n = RECORD_MAX_LINE + 100;
        char *big = malloc(n + 64);
        memset(big, ' ', n);
        memcpy(big + n, "\n{\"type\":\"end\",\"stream\":\"a\",\"seq\":0}\n", 38);
        f = fmemopen(big, n + 38, "r");
        rr = record_reader_new(f, "big");
        is_int(record_read(rr, &rec), AVERROR_INVALIDDATA, "overlong line rejected");
        is_int(record_read(rr, &rec), 0, "next line still read");
        json_decref(rec);
        record_reader_free(&rr);
        fclose(f);
        free(big);
    }

    /* Round trip. */
    f = open_memstream(&buf, &len);
    rec = record_new("segment", "cam-1.x_y", 7);
    json_object_set_new(rec, "start", json_real(12.345678901234));
    json_object_set_new(rec, "name", json_string("é\"\n"));
    is_int(record_write(f, rec), 0, "record_write");
    json_decref(rec);
    fclose(f);
    ok(len > 0 && buf[len - 1] == '\n' && !memchr(buf, '\n', len - 1), "one line with newline");
    f = fmemopen(buf, len, "r");
    rr = record_reader_new(f, "rt");
    is_int(record_read(rr, &rec), 0, "written record reads back");
    is_dbl(record_num(rec, "start", 0), 12.345678901234, 1e-12, "real round trip exact");
    is_str(record_str(rec, "name"), "é\"\n", "string round trip");
    json_decref(rec);
    record_reader_free(&rr);
    fclose(f);
    free(buf);

    ok(record_name_ok("cam1"), "name cam1 ok");
    ok(!record_name_ok(""), "empty name rejected");
    ok(!record_name_ok(".hidden"), "dot name rejected");
    ok(!record_name_ok("a/b"), "slash in name rejected");
    ok(!record_name_ok("a b"), "space in name rejected");
    ok(!record_name_ok("0123456789012345678901234567890123456789012345678901234567890123456789"),
       "long name rejected");
    ok(record_path_ok("cam1/00000001.nut"), "relative path ok");
    ok(!record_path_ok("cam1/../../x"), "dotdot rejected");
    ok(!record_path_ok("./x"), "dot rejected");
    ok(!record_path_ok("a//b"), "empty component rejected");
    ok(!record_path_ok("a/"), "trailing slash rejected");
    ok(!record_path_ok("a\\b"), "backslash rejected");
    ok(!record_path_ok("a\nb"), "control char rejected");
    {
        char p[16];
        is_int(record_join(p, sizeof(p), "spool", "a/b"), 0, "join");
        is_str(p, "spool/a/b", "join value");
        is_int(record_join(p, sizeof(p), "spool", "0123456789"), AVERROR(ENAMETOOLONG), "join too long");
    }
    /* Stream names: the grammar, then the names live-serve routes. */
    ok(record_stream_rule("cam1") == NULL, "cam1 may name a stream");
    ok(record_stream_rule("watching") == NULL, "a name that starts like a route may");
    ok(record_stream_rule("watch") != NULL, "watch may not");
    ok(record_stream_rule("Streams.JSON") != NULL, "nor a route in another case");
    ok(record_stream_rule("whep") && record_stream_rule("whip") && record_stream_rule("api"),
       "nor whep, whip, api");
    ok(record_stream_rule(".x") != NULL, "the grammar still holds");
    ok(!record_presentation_rule("cam") && !record_presentation_rule("cam@1764754398123"),
       "a presentation's rule allows NAME and NAME@ID");
    ok(record_presentation_rule("watch@12") && record_presentation_rule("cam@x") &&
           record_presentation_rule("watch") && record_presentation_rule("cam@"),
       "and refuses a reserved NAME or a bad ID");
    ok(record_presentation_ok("cam") && record_presentation_ok("cam@1764754398123"),
       "a presentation is NAME or NAME@ID");
    ok(!record_presentation_ok("cam@") && !record_presentation_ok("@1") &&
       !record_presentation_ok("cam@1x") && !record_presentation_ok("cam@1@2") &&
       !record_presentation_ok("../x@1") && !record_presentation_ok("cam@12345678901234567890"),
       "and nothing else");
    return done();
}
