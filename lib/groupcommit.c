/*
 * groupcommit.c: the writer thread of group commit. See groupcommit.h.
 *
 * Locking: `lock` guards the queue, `busy` and every item's finished
 * flag; the commit function and the done functions run without it.
 */
#include <pthread.h>
#include <stdlib.h>

#include <libavutil/error.h>

#include "groupcommit.h"

struct GroupCommit {
    GroupCommitFn commit;
    void *ctx;
    pthread_mutex_t lock;
    pthread_cond_t work;        /* work for the writer, or stop */
    pthread_cond_t finished;    /* waiting callers: some write is done */
    GroupCommitItem *head, **tail;
    int stop;
    int busy;                   /* the writer holds a batch */
    pthread_t writer;
};

/* Report a committed batch: done functions first, in queue order, then
 * the waiters (whose items may be gone once they see finished). */
static void report(GroupCommit *g, GroupCommitItem *batch)
{
    GroupCommitItem *it, *next, *waiting = NULL;

    for (it = batch; it; it = next) {
        next = it->next;
        if (it->done) {
            it->done(it);
        } else {
            it->next = waiting;
            waiting = it;
        }
    }
    pthread_mutex_lock(&g->lock);
    for (it = waiting; it; it = next) {
        next = it->next;
        it->finished = 1;
    }
    g->busy = 0;
    pthread_cond_broadcast(&g->finished);
}

/* Commit whatever is queued, one batch per round, until groupcommit_free
 * asks it to stop (after the last round). */
static void *writer_main(void *arg)
{
    GroupCommit *g = arg;
    GroupCommitItem *batch;

    pthread_mutex_lock(&g->lock);
    for (;;) {
        while (!g->head && !g->stop)
            pthread_cond_wait(&g->work, &g->lock);
        if (!g->head)
            break;
        batch = g->head;
        g->head = NULL;
        g->tail = &g->head;
        g->busy = 1;
        pthread_mutex_unlock(&g->lock);
        g->commit(g->ctx, batch);
        report(g, batch);   /* returns with the lock held */
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

int groupcommit_new(GroupCommit **out, GroupCommitFn commit, void *ctx)
{
    GroupCommit *g = calloc(1, sizeof(*g));
    int rc;

    if (!g)
        return AVERROR(ENOMEM);
    g->commit = commit;
    g->ctx = ctx;
    g->tail = &g->head;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->work, NULL);
    pthread_cond_init(&g->finished, NULL);
    if ((rc = pthread_create(&g->writer, NULL, writer_main, g))) {
        pthread_mutex_destroy(&g->lock);
        pthread_cond_destroy(&g->work);
        pthread_cond_destroy(&g->finished);
        free(g);
        return AVERROR(rc);
    }
    *out = g;
    return 0;
}

void groupcommit_free(GroupCommit **pg)
{
    GroupCommit *g = *pg;

    if (!g)
        return;
    pthread_mutex_lock(&g->lock);   /* it commits what is queued, then ends */
    g->stop = 1;
    pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->writer, NULL);
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->work);
    pthread_cond_destroy(&g->finished);
    free(g);
    *pg = NULL;
}

/* Append item; with the lock held. */
static void enqueue(GroupCommit *g, GroupCommitItem *item)
{
    item->next = NULL;
    *g->tail = item;
    g->tail = &item->next;
    pthread_cond_signal(&g->work);
}

void groupcommit_submit(GroupCommit *g, GroupCommitItem *item)
{
    pthread_mutex_lock(&g->lock);
    enqueue(g, item);
    pthread_mutex_unlock(&g->lock);
}

int groupcommit_wait(GroupCommit *g, GroupCommitItem *item)
{
    item->done = NULL;
    item->finished = 0;
    pthread_mutex_lock(&g->lock);
    enqueue(g, item);
    while (!item->finished)
        pthread_cond_wait(&g->finished, &g->lock);
    pthread_mutex_unlock(&g->lock);
    return item->ret;
}

void groupcommit_flush(GroupCommit *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    while (g->head || g->busy)
        pthread_cond_wait(&g->finished, &g->lock);
    pthread_mutex_unlock(&g->lock);
}
