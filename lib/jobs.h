/*
 * jobs.h: an ordered worker pool. Items are submitted in order, worked on
 * by N threads at once, and handed back — in submission order, on one
 * emitter thread — as soon as they and every item before them are done.
 * live-transcode runs segments through it so that its records come out in
 * input order while N segments are transcoded at once, and an end record
 * (an item without work) comes out after the segments before it.
 */
#ifndef LIVE_JOBS_H
#define LIVE_JOBS_H

typedef struct Jobs Jobs;

/* work: runs on a worker thread. done: runs on the emitter thread, in
 * submission order, once per item (after work, if the item had any). */
typedef void (*JobsWork)(void *item, void *ctx);
typedef void (*JobsDone)(void *item, void *ctx);

/*
 * Start workers threads and the emitter. jobs_submit blocks while
 * max_pending items are submitted but not yet done. Returns 0 or a
 * negative AVERROR.
 */
int jobs_new(Jobs **j, int workers, int max_pending, JobsWork work, JobsDone done,
             void *ctx);

/* Submit item (owned by the caller's callbacks); run = 0 skips work. 0 or
 * AVERROR(ENOMEM). */
int jobs_submit(Jobs *j, void *item, int run);

/* Wait until every submitted item is done, stop the threads, free *j and
 * set it to NULL. NULL is fine. */
void jobs_free(Jobs **j);

#endif
