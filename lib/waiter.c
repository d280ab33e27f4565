/*
 * waiter.c: coalesced waits for segments not published yet. See waiter.h.
 *
 * Requests for the same file form a group; a group holds one reference
 * to the inotify watch of its directory (inotify gives one watch
 * descriptor per directory however often it is added). Everything is
 * under one mutex: the MHD threads add requests, the waiter thread
 * releases them; resuming a request only flags it for its MHD thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "path.h"
#include "waiter.h"

/* IN_MODIFY and IN_DELETE for the open segments (NAME.open) that
 * live-package appends chunks to in low-latency mode. */
#define WATCH_MASK (IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE | IN_ONLYDIR | \
                    IN_DELETE_SELF | IN_MOVE_SELF)
#define OPEN_SUFFIX ".open"

typedef struct WaitReq {
    struct WaitReq *next;
    HttpRequest *req;
    int *outcome;
    double deadline;     /* CLOCK_MONOTONIC seconds */
} WaitReq;

typedef struct Group {
    struct Group *next;
    int wd;
    const char *base;    /* file name within its directory (in rel) */
    WaitReq *reqs;
    char rel[];
} Group;

struct Waiter {
    char *root;
    int rootfd, ifd, efd;
    pthread_t thread;
    int thread_running;
    pthread_mutex_t lock;
    Group *groups;
    unsigned count, max;
    int stop;
    int closing;         /* waiter_release_all was called: no new waits */
    double next_wake;    /* the deadline the thread sleeps towards */
};

/* Resume one request with its outcome. Under the lock. The request
 * stops counting as waiting before it is resumed: its handler may
 * answer it at once, and whoever sees the answer (the client, a reader
 * of the waiting gauge) must not find it still counted. */
static void release_req(Waiter *w, WaitReq *wr, int outcome)
{
    HttpRequest *req = wr->req;

    w->count--;
    metrics_waiting(-1);
    metrics_wait_done(outcome == WAIT_PUBLISHED);
    *wr->outcome = outcome;
    free(wr);
    http_resume(req);         /* from here on the request is not ours */
}

/* Unlink and free g, dropping its watch when no other group uses it. */
static void group_free(Waiter *w, Group *g)
{
    Group **pp, *o;
    int shared = 0;

    for (pp = &w->groups; *pp; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    for (o = w->groups; o; o = o->next)
        if (o->wd == g->wd)
            shared = 1;
    if (!shared && g->wd >= 0)
        inotify_rm_watch(w->ifd, g->wd);
    free(g);
}

static void release_group(Waiter *w, Group *g, int outcome)
{
    while (g->reqs) {
        WaitReq *wr = g->reqs;
        g->reqs = wr->next;
        release_req(w, wr, outcome);
    }
    group_free(w, g);
}

/* Set *flag (closing or stop) and release every waiting request, under
 * the lock. */
static void release_all(Waiter *w, int *flag)
{
    pthread_mutex_lock(&w->lock);
    *flag = 1;
    while (w->groups)
        release_group(w, w->groups, WAIT_TIMEOUT);
    pthread_mutex_unlock(&w->lock);
}

void waiter_release_all(Waiter *w)
{
    if (w)
        release_all(w, &w->closing);
}

/* Whether an event for the file name concerns g: its file, or the open
 * segment of that name being written (a chunk appended, or removed). */
static int event_matches(const Group *g, const struct inotify_event *ev)
{
    size_t n = strlen(g->base);

    if (!strcmp(ev->name, g->base))
        return !(ev->mask & (IN_MODIFY | IN_DELETE));
    return !strncmp(ev->name, g->base, n) && !strcmp(ev->name + n, OPEN_SUFFIX);
}

/* One inotify event: release the group for that file (or, when the
 * directory went away, every group watching it). Under the lock. */
static void on_event(Waiter *w, const struct inotify_event *ev)
{
    Group *g, *next;

    for (g = w->groups; g; g = next) {
        next = g->next;
        if (g->wd != ev->wd)
            continue;
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
            g->wd = -1;    /* the kernel dropped the watch */
            release_group(w, g, WAIT_TIMEOUT);
        } else if (ev->len && event_matches(g, ev)) {
            release_group(w, g, WAIT_PUBLISHED);
        }
    }
}

/* Time out the requests whose deadline passed; returns the nearest
 * remaining deadline (or 0 when none). Under the lock. */
static double expire(Waiter *w, double now)
{
    Group *g, *next;
    WaitReq **pp, *wr;
    double nearest = 0;

    for (g = w->groups; g; g = next) {
        next = g->next;
        for (pp = &g->reqs; (wr = *pp);) {
            if (wr->deadline <= now) {
                *pp = wr->next;
                release_req(w, wr, WAIT_TIMEOUT);
                continue;
            }
            if (!nearest || wr->deadline < nearest)
                nearest = wr->deadline;
            pp = &wr->next;
        }
        if (!g->reqs)
            group_free(w, g);
    }
    return nearest;
}

static void *waiter_main(void *arg)
{
    Waiter *w = arg;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    struct pollfd pfd[2] = { { .fd = w->ifd, .events = POLLIN }, { .fd = w->efd, .events = POLLIN } };
    double nearest = 0;
    int timeout;

    for (;;) {
        pthread_mutex_lock(&w->lock);
        if (w->stop) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        nearest = expire(w, clock_mono());
        w->next_wake = nearest;
        pthread_mutex_unlock(&w->lock);

        timeout = -1;
        if (nearest) {
            double ms = (nearest - clock_mono()) * 1000 + 1;
            timeout = ms < 0 ? 0 : ms > 1e9 ? 1000000000 : (int)ms;
        }
        if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
            log_error("waiter: poll: %s", strerror(errno));
            break;
        }
        if (pfd[1].revents & POLLIN) {
            uint64_t v;
            if (read(w->efd, &v, sizeof(v)) < 0)
                (void)0;
        }
        if (pfd[0].revents & POLLIN) {
            ssize_t n = read(w->ifd, buf, sizeof(buf));
            ssize_t off = 0;
            pthread_mutex_lock(&w->lock);
            while (n > 0 && off + (ssize_t)sizeof(struct inotify_event) <= n) {
                const struct inotify_event *ev = (const void *)(buf + off);
                if (ev->mask & IN_Q_OVERFLOW) {   /* lost events: recheck every group */
                    Group *g, *next;
                    struct stat st;
                    for (g = w->groups; g; g = next) {
                        next = g->next;
                        if (fstatat(w->rootfd, g->rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
                            release_group(w, g, WAIT_PUBLISHED);
                    }
                } else {
                    on_event(w, ev);
                }
                off += sizeof(struct inotify_event) + ev->len;
            }
            pthread_mutex_unlock(&w->lock);
        }
    }
    return NULL;
}

int waiter_new(const char *root, unsigned max, Waiter **out)
{
    Waiter *w = calloc(1, sizeof(*w));
    int r;

    if (!w)
        return AVERROR(ENOMEM);
    w->rootfd = w->ifd = w->efd = -1;
    w->max = max;
    pthread_mutex_init(&w->lock, NULL);
    if (!(w->root = strdup(root))) {
        r = AVERROR(ENOMEM);
        goto fail;
    }
    if ((w->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        (w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
        (w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        r = AVERROR(errno);
        log_error("%s: %s", root, strerror(errno));
        goto fail;
    }
    if ((r = pthread_create(&w->thread, NULL, waiter_main, w)) != 0) {
        r = AVERROR(r);
        goto fail;
    }
    w->thread_running = 1;
    *out = w;
    return 0;
fail:
    waiter_free(&w);
    return r;
}

void waiter_free(Waiter **pw)
{
    Waiter *w = *pw;
    uint64_t one = 1;

    if (!w)
        return;
    release_all(w, &w->stop);
    if (w->thread_running) {
        if (write(w->efd, &one, sizeof(one)) < 0)
            (void)0;
        pthread_join(w->thread, NULL);
    }
    if (w->rootfd >= 0)
        close(w->rootfd);
    if (w->ifd >= 0)
        close(w->ifd);
    if (w->efd >= 0)
        close(w->efd);
    pthread_mutex_destroy(&w->lock);
    free(w->root);
    free(w);
    *pw = NULL;
}

/* Whether what wait_for waits for has happened already. Under the lock. */
static int changed(Waiter *w, const char *rel, const struct stat *seen,
                   const struct stat *open_seen)
{
    char open_rel[PATH_MAX_URL + sizeof(OPEN_SUFFIX)];
    struct stat st;
    int open_there;

    if (fstatat(w->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        (!seen || st.st_ino != seen->st_ino || st.st_dev != seen->st_dev ||
         st.st_mtim.tv_sec != seen->st_mtim.tv_sec ||
         st.st_mtim.tv_nsec != seen->st_mtim.tv_nsec))
        return 1;
    if (seen && !open_seen)
        return 0;
    snprintf(open_rel, sizeof(open_rel), "%s%s", rel, OPEN_SUFFIX);
    open_there = fstatat(w->rootfd, open_rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!open_seen)              /* waiting for rel: its open segment began */
        return open_there;
    return !open_there || st.st_ino != open_seen->st_ino || st.st_size != open_seen->st_size;
}

/* seen: NULL to wait for rel to exist (or rel.open to begin), else for
 * it to be replaced by a file other than seen (another inode, or changed
 * since). open_seen: wait for rel.open to grow past it (or go). */
static int wait_for(Waiter *w, HttpRequest *req, const char *rel, const struct stat *seen,
                    const struct stat *open_seen, double timeout, int *outcome)
{
    char dir[PATH_MAX_URL + 1024];
    const char *slash = strrchr(rel, '/');
    size_t len = strlen(rel);
    Group *g;
    WaitReq *wr;
    uint64_t one = 1;
    int r = 0;

    if (!slash || len > PATH_MAX_URL)
        return AVERROR(EINVAL);
    pthread_mutex_lock(&w->lock);
    if (w->stop || w->closing || w->count >= w->max) {
        r = AVERROR(EAGAIN);
        goto out;
    }
    for (g = w->groups; g; g = g->next)
        if (!strcmp(g->rel, rel))
            break;
    if (!g) {
        if (!(g = calloc(1, sizeof(*g) + len + 1))) {
            r = AVERROR(ENOMEM);
            goto out;
        }
        memcpy(g->rel, rel, len + 1);
        g->base = g->rel + (slash - rel) + 1;
        snprintf(dir, sizeof(dir), "%s/%.*s", w->root, (int)(slash - rel), rel);
        g->wd = inotify_add_watch(w->ifd, dir, WATCH_MASK);
        if (g->wd < 0) {
            r = AVERROR(errno);
            free(g);
            goto out;
        }
        g->next = w->groups;
        w->groups = g;
    }
    /* Published, replaced or grown between the caller's look and the
     * watch? (Also when the group was there: it may have been made after
     * the caller looked.) */
    if (changed(w, rel, seen, open_seen)) {
        if (!g->reqs)
            group_free(w, g);
        r = 0;
        goto out;
    }
    if (!(wr = calloc(1, sizeof(*wr)))) {
        if (!g->reqs)
            group_free(w, g);
        r = AVERROR(ENOMEM);
        goto out;
    }
    wr->req = req;
    wr->outcome = outcome;
    wr->deadline = clock_mono() + timeout;
    *outcome = WAIT_PENDING;
    http_suspend(req);
    wr->next = g->reqs;
    g->reqs = wr;
    w->count++;
    metrics_waiting(1);
    if (!w->next_wake || wr->deadline < w->next_wake) {
        w->next_wake = wr->deadline;
        if (write(w->efd, &one, sizeof(one)) < 0)
            (void)0;
    }
    r = HTTP_SUSPENDED;
out:
    pthread_mutex_unlock(&w->lock);
    return r;
}

int waiter_wait(Waiter *w, HttpRequest *req, const char *rel, double timeout, int *outcome)
{
    return wait_for(w, req, rel, NULL, NULL, timeout, outcome);
}

int waiter_wait_change(Waiter *w, HttpRequest *req, const char *rel, const struct stat *seen,
                       double timeout, int *outcome)
{
    return wait_for(w, req, rel, seen, NULL, timeout, outcome);
}

int waiter_wait_grow(Waiter *w, HttpRequest *req, const char *rel, const struct stat *open_seen,
                     double timeout, int *outcome)
{
    return wait_for(w, req, rel, NULL, open_seen, timeout, outcome);
}
