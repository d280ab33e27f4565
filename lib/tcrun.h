/*
 * tcrun.h: the record loop of live-transcode. Reads live-pipe(5) records,
 * transcodes segment records N at a time (jobs.c, transcode.c) and writes
 * one renditions record per segment in input order; end records are
 * passed on in their place, after the records of the segments before
 * them. A segment's file is removed once its renditions record is
 * written (unless keep); a failed segment's file is kept for inspection.
 */
#ifndef LIVE_TCRUN_H
#define LIVE_TCRUN_H

#include <stdio.h>

#include "transcode.h"

typedef struct TcrunOptions {
    TranscodeOptions t;
    int jobs;              /* segments at once, >= 1 */
    int keep;              /* keep the input segment files */
    double max_lag;        /* > 0: the load guard (guard.h) holds the lag under
                            * this many seconds, for records with a "wallclock" */
    int low_latency;       /* part records in, chunk records out (lltc.h) */
} TcrunOptions;

/* The default for -j: the number of online processors. */
int tcrun_default_jobs(void);

/*
 * Run until end of input (in, named name in messages) or until out's
 * reader goes away. Returns 0, AVERROR_INVALIDDATA when a record or
 * segment was bad (the rest went on), or another negative AVERROR for a
 * runtime failure (the first one).
 */
int tcrun(const TcrunOptions *o, FILE *in, const char *name, FILE *out);

#endif
