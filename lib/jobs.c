/*
 * jobs.c: an ordered worker pool (see jobs.h). One list of items in
 * submission order under one lock; workers take the oldest item not yet
 * started, the emitter waits for the head of the list to be done.
 */
#include <pthread.h>
#include <stdlib.h>

#include <libavutil/error.h>

#include "jobs.h"

enum { QUEUED, RUNNING, DONE };

typedef struct Node {
    void *item;
    int state;
    struct Node *next;
} Node;

struct Jobs {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    Node *head, *tail;
    int pending, max_pending;
    int closing;
    JobsWork work;
    JobsDone done;
    void *ctx;
    pthread_t *workers;
    int nworkers;
    pthread_t emitter;
    int emitter_started;
};

static void *worker_main(void *arg)
{
    Jobs *j = arg;
    pthread_mutex_lock(&j->lock);
    for (;;) {
        Node *n;
        for (n = j->head; n && n->state != QUEUED; n = n->next)
            ;
        if (!n) {
            if (j->closing)
                break;
            pthread_cond_wait(&j->cond, &j->lock);
            continue;
        }
        n->state = RUNNING;
        pthread_mutex_unlock(&j->lock);
        j->work(n->item, j->ctx);
        pthread_mutex_lock(&j->lock);
        n->state = DONE;
        pthread_cond_broadcast(&j->cond);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

static void *emitter_main(void *arg)
{
    Jobs *j = arg;
    pthread_mutex_lock(&j->lock);
    for (;;) {
        Node *n = j->head;
        if (!n) {
            if (j->closing)
                break;
            pthread_cond_wait(&j->cond, &j->lock);
            continue;
        }
        if (n->state != DONE) {
            pthread_cond_wait(&j->cond, &j->lock);
            continue;
        }
        j->head = n->next;
        if (!j->head)
            j->tail = NULL;
        pthread_mutex_unlock(&j->lock);
        j->done(n->item, j->ctx);
        free(n);
        pthread_mutex_lock(&j->lock);
        j->pending--;
        pthread_cond_broadcast(&j->cond);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

int jobs_new(Jobs **jp, int workers, int max_pending, JobsWork work, JobsDone done,
             void *ctx)
{
    Jobs *j = calloc(1, sizeof(*j));
    int i;

    *jp = NULL;
    if (!j || workers < 1)
        goto fail;
    j->workers = calloc((size_t)workers, sizeof(*j->workers));
    if (!j->workers)
        goto fail;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    j->max_pending = max_pending < workers ? workers : max_pending;
    j->work = work;
    j->done = done;
    j->ctx = ctx;
    if (pthread_create(&j->emitter, NULL, emitter_main, j))
        goto fail_threads;
    j->emitter_started = 1;
    for (i = 0; i < workers; i++) {
        if (pthread_create(&j->workers[i], NULL, worker_main, j))
            goto fail_threads;
        j->nworkers++;
    }
    *jp = j;
    return 0;
fail_threads:
    jobs_free(&j);
    return AVERROR(EAGAIN);
fail:
    if (j)
        free(j->workers);
    free(j);
    return AVERROR(ENOMEM);
}

int jobs_submit(Jobs *j, void *item, int run)
{
    Node *n = calloc(1, sizeof(*n));
    if (!n)
        return AVERROR(ENOMEM);
    n->item = item;
    n->state = run ? QUEUED : DONE;
    pthread_mutex_lock(&j->lock);
    while (j->pending >= j->max_pending)
        pthread_cond_wait(&j->cond, &j->lock);
    if (j->tail)
        j->tail->next = n;
    else
        j->head = n;
    j->tail = n;
    j->pending++;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    return 0;
}

void jobs_free(Jobs **jp)
{
    Jobs *j = *jp;
    int i;

    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->closing = 1;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    for (i = 0; i < j->nworkers; i++)
        pthread_join(j->workers[i], NULL);
    if (j->emitter_started)
        pthread_join(j->emitter, NULL);
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->lock);
    free(j->workers);
    free(j);
    *jp = NULL;
}
