/*
 * record.h: the JSON-lines records that flow between the stages
 * (live-segment -> live-transcode -> live-package), one object per line.
 * The format is documented in live-pipe(5); this file reads and writes it.
 *
 * Every record has "type" (string), "stream" (a stream name, see
 * record_name_ok) and "seq" (integer >= 0). Paths inside records are
 * relative to the spool directory the stages share (record_path_ok).
 */
#ifndef LIVE_RECORD_H
#define LIVE_RECORD_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* The longest line a reader accepts; longer lines are bad input. */
#define RECORD_MAX_LINE (1 << 20)
/* Stream and rendition names: 1..64 of [A-Za-z0-9_.-], not starting with '.'. */
#define RECORD_MAX_NAME 64

typedef struct RecordReader RecordReader;

/* Open a reader on in (borrowed; not closed by record_reader_free).
 * name is used in messages ("-" for stdin). Returns NULL on ENOMEM. */
RecordReader *record_reader_new(FILE *in, const char *name);
void record_reader_free(RecordReader **rr);

/*
 * Read the next record. Returns 0 with *out a new reference the caller
 * must json_decref; AVERROR_EOF at end of input; AVERROR_INVALIDDATA for a
 * line that is not a valid record (already logged with its line number;
 * the reader stays usable, so the caller can skip it and go on);
 * AVERROR(errno) for a read error. Blank lines are skipped.
 */
int record_read(RecordReader *rr, json_t **out);
/* Line number of the last record returned (1-based). */
long record_reader_line(const RecordReader *rr);

/* Check the common fields: an object with type, stream and seq.
 * Returns 0 or AVERROR_INVALIDDATA; why (static string) says what is wrong. */
int record_validate(const json_t *rec, const char **why);

/* Write rec as one compact line and flush. Returns 0, AVERROR(EPIPE) when
 * the reader went away, or another AVERROR(errno). Not locked: callers
 * writing from several threads serialize the calls. */
int record_write(FILE *out, const json_t *rec);

/* A new record {"type":type,"stream":stream,"seq":seq} (new reference). */
json_t *record_new(const char *type, const char *stream, int64_t seq);

/* Field access: NULL / default when absent or of another type. */
const char *record_str(const json_t *rec, const char *key);
int64_t record_int(const json_t *rec, const char *key, int64_t dflt);
double record_num(const json_t *rec, const char *key, double dflt);
int record_bool(const json_t *rec, const char *key);

/* 1 if s is a valid stream or rendition name, else 0. */
int record_name_ok(const char *s);
/* NULL if s may name a stream: record_name_ok and not one of the names
 * live-serve routes at the top of its URL space (RECORD_RESERVED, compared
 * without regard to case). Else the rule s breaks, a static string for
 * messages. */
const char *record_stream_rule(const char *s);
/* 1 if s names a presentation: a stream name (record_name_ok), or
 * NAME@ID (ID 1-19 digits), the name live-package gives a finished
 * broadcast that a new one under NAME replaced. At most
 * RECORD_PRESENTATION_MAX bytes. */
int record_presentation_ok(const char *s);
/* NULL if s may name a presentation: a name record_stream_rule allows, or
 * NAME@ID with such a NAME (record_presentation_ok). Else the rule s
 * breaks, a static string for messages. */
const char *record_presentation_rule(const char *s);
#define RECORD_PRESENTATION_MAX (RECORD_MAX_NAME + 20)
#define RECORD_RESERVED "api assets metrics streams.json time watch whep whip"
/* 1 if p is a safe relative path: not empty, not absolute, no "." or ".."
 * component, no empty component, no control characters; else 0. */
int record_path_ok(const char *p);

/* dir + "/" + rel into buf. Returns 0 or AVERROR(ENAMETOOLONG). */
int record_join(char *buf, size_t size, const char *dir, const char *rel);

#endif
