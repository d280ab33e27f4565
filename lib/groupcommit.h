/*
 * groupcommit.h: one writer thread that commits queued writes in batches
 * (group commit). The hot path of account.c: every viewer saves its
 * watch position every few seconds.
 *
 * Writes are queued for the thread, which hands everything queued —
 * whatever arrived during its previous commit — to the commit function
 * in one call (one transaction), then reports each item's result. Nobody
 * hears "done" before the commit holding their item has returned, so a
 * 204 from the API still means "in the database"; under load one commit
 * carries many items, which is what makes thousands of writes a second
 * cheap.
 *
 * Items are the caller's structs with a GroupCommitItem as their first
 * member. An item is either waited for (groupcommit_wait: on the caller's
 * stack, done is reported to the waiter) or queued and forgotten
 * (groupcommit_submit: its done function is called once, from the writer
 * thread, with the result, and takes the item over).
 */
#ifndef LIVE_GROUPCOMMIT_H
#define LIVE_GROUPCOMMIT_H

typedef struct GroupCommit GroupCommit;

typedef struct GroupCommitItem {
    struct GroupCommitItem *next;
    int ret;                /* set by the commit function */
    /* groupcommit_submit: called after the commit; frees the item */
    void (*done)(struct GroupCommitItem *item);
    int finished;           /* groupcommit_wait: the commit returned */
} GroupCommitItem;

/* Commit the list batch (linked by next) in one go, setting each ret. */
typedef void (*GroupCommitFn)(void *ctx, GroupCommitItem *batch);

/* Start the writer thread. 0 or a negative AVERROR. */
int groupcommit_new(GroupCommit **out, GroupCommitFn commit, void *ctx);
/* Commit what is queued, stop the thread, free *g and set it to NULL.
 * NULL is fine. */
void groupcommit_free(GroupCommit **g);

/* Queue item (item->done set) and return at once. */
void groupcommit_submit(GroupCommit *g, GroupCommitItem *item);
/* Queue item and wait until it is committed; returns item->ret. */
int groupcommit_wait(GroupCommit *g, GroupCommitItem *item);
/* Wait until every item queued so far is committed and every done
 * function has returned. NULL is fine. */
void groupcommit_flush(GroupCommit *g);

#endif
