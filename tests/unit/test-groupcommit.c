/* Unit tests for lib/groupcommit.c: waited and forgotten items, results
 * reported per item, batching while a commit is in progress, flush, and
 * free committing what is still queued. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "groupcommit.h"
#include "tap.h"

typedef struct Item {
    GroupCommitItem item;
    int value;
} Item;

typedef struct Ctx {
    pthread_mutex_t lock;
    int commits, items, sum, max_batch;
    int gate;              /* the next commit waits for every waiter to start */
    int started;
    int done_calls, done_sum;
} Ctx;

static Ctx ctx = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void commit(void *arg, GroupCommitItem *batch)
{
    Ctx *c = arg;
    int n = 0;

    pthread_mutex_lock(&c->lock);
    if (c->gate) {
        /* hold this commit until all 16 waiters run, so they queue up
         * behind it (give them up to 60 s, and then a little more) */
        for (int ms = 0; c->started < 16 && ms < 60000; ms++) {
            pthread_mutex_unlock(&c->lock);
            usleep(1000);
            pthread_mutex_lock(&c->lock);
        }
        pthread_mutex_unlock(&c->lock);
        usleep(200000);
        pthread_mutex_lock(&c->lock);
        c->gate = 0;
    }
    for (GroupCommitItem *it = batch; it; it = it->next) {
        Item *i = (Item *)it;
        it->ret = i->value < 0 ? AVERROR(EINVAL) : 0;
        c->sum += i->value;
        n++;
    }
    c->commits++;
    c->items += n;
    if (n > c->max_batch)
        c->max_batch = n;
    pthread_mutex_unlock(&c->lock);
}

static void forget_done(GroupCommitItem *it)
{
    pthread_mutex_lock(&ctx.lock);
    ctx.done_calls++;
    ctx.done_sum += ((Item *)it)->value;
    pthread_mutex_unlock(&ctx.lock);
    free(it);
}

static GroupCommit *shared;

static void *waiter(void *arg)
{
    Item me = { .value = (int)(long)arg };

    pthread_mutex_lock(&ctx.lock);
    ctx.started++;
    pthread_mutex_unlock(&ctx.lock);
    return (void *)(long)groupcommit_wait(shared, &me.item);
}

int main(void)
{
    GroupCommit *g = NULL;
    Item a = { .value = 5 }, bad = { .value = -1 };
    pthread_t th[16];
    int i, failed = 0;

    plan(12);
    is_int(groupcommit_new(&g, commit, &ctx), 0, "new");
    is_int(groupcommit_wait(g, &a.item), 0, "a waited item is committed");
    is_int(ctx.sum, 5, "by the commit function");
    is_int(groupcommit_wait(g, &bad.item), AVERROR(EINVAL), "its own result comes back");

    for (i = 0; i < 10; i++) {
        Item *f = calloc(1, sizeof(*f));
        f->value = 100;
        f->item.done = forget_done;
        groupcommit_submit(g, &f->item);
    }
    groupcommit_flush(g);
    is_int(ctx.done_calls, 10, "flush: every forgotten item's done ran");
    is_int(ctx.done_sum, 1000, "with its own item");

    /* while one commit is held, the others queue up and go in one batch */
    ctx.gate = 1;
    shared = g;
    for (i = 0; i < 16; i++)
        pthread_create(&th[i], NULL, waiter, (void *)1L);
    for (i = 0; i < 16; i++) {
        void *r;
        pthread_join(th[i], &r);
        failed += r != NULL;
    }
    is_int(failed, 0, "16 threads waiting at once: all committed");
    ok(ctx.max_batch > 1, "some commit carried more than one item (%d)", ctx.max_batch);
    ok(ctx.commits < 2 + 10 + 16, "fewer commits than items (%d)", ctx.commits);

    /* free commits what is queued */
    for (i = 0; i < 3; i++) {
        Item *f = calloc(1, sizeof(*f));
        f->value = 1000;
        f->item.done = forget_done;
        groupcommit_submit(g, &f->item);
    }
    groupcommit_free(&g);
    is_int(ctx.done_calls, 13, "free: queued items committed first");
    ok(!g, "free clears the pointer");
    groupcommit_free(&g);
    groupcommit_flush(NULL);
    is_int(ctx.items, 2 + 10 + 16 + 3, "every item went through the commit once");
    return done();
}
