/*
 * memcache.c: reference-counted LRU cache of immutable objects. See
 * memcache.h. A hash table (chained) for lookup, a doubly-linked list for
 * recency, one mutex; references are atomic so dropping one (from MHD's
 * response-free callback) takes no lock unless it is the last.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "memcache.h"

#define BUCKETS 4096

struct MemEntry {
    MemEntry *hnext;            /* hash chain */
    MemEntry *prev, *next;      /* LRU list, most recent first */
    atomic_int refs;            /* the cache's own counts as one while cached */
    int cached;
    void *data;
    int fd;
    unsigned long long dev, ino;
    size_t len;
    double mtime;
    char etag[48];
    char key[];
};

struct MemCache {
    pthread_mutex_t lock;
    size_t max, bytes;
    MemEntry *buckets[BUCKETS];
    MemEntry *head, *tail;
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;     /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int memcache_new(size_t max_bytes, MemCache **out)
{
    MemCache *mc = calloc(1, sizeof(*mc));
    if (!mc)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&mc->lock, NULL);
    mc->max = max_bytes;
    *out = mc;
    return 0;
}

static void entry_free(MemEntry *e)
{
    free(e->data);
    if (e->fd >= 0)
        close(e->fd);
    free(e);
}

void memcache_unref(MemEntry *e)
{
    if (e && atomic_fetch_sub(&e->refs, 1) == 1)
        entry_free(e);
}

/* Take e out of the table and the list; drop the cache's reference. */
static void evict(MemCache *mc, MemEntry *e)
{
    MemEntry **pp = &mc->buckets[hash(e->key) % BUCKETS];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        mc->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        mc->tail = e->prev;
    mc->bytes -= e->len;
    e->cached = 0;
    memcache_unref(e);
}

void memcache_free(MemCache **pmc)
{
    MemCache *mc = *pmc;
    if (!mc)
        return;
    while (mc->head)
        evict(mc, mc->head);
    pthread_mutex_destroy(&mc->lock);
    free(mc);
    *pmc = NULL;
}

static MemEntry *find(MemCache *mc, const char *key)
{
    MemEntry *e;
    for (e = mc->buckets[hash(key) % BUCKETS]; e; e = e->hnext)
        if (!strcmp(e->key, key))
            return e;
    return NULL;
}

MemEntry *memcache_get(MemCache *mc, const char *key)
{
    MemEntry *e;

    pthread_mutex_lock(&mc->lock);
    e = find(mc, key);
    if (e) {
        atomic_fetch_add(&e->refs, 1);
        if (e != mc->head) {      /* most recently used first */
            e->prev->next = e->next;
            if (e->next)
                e->next->prev = e->prev;
            else
                mc->tail = e->prev;
            e->prev = NULL;
            e->next = mc->head;
            mc->head->prev = e;
            mc->head = e;
        }
    }
    pthread_mutex_unlock(&mc->lock);
    return e;
}

static MemEntry *put(MemCache *mc, const char *key, void *data, int fd, size_t len,
                     double mtime, const char *etag, unsigned long long dev,
                     unsigned long long ino)
{
    size_t klen = strlen(key);
    MemEntry *e = calloc(1, sizeof(*e) + klen + 1), *old;

    if (!e) {
        free(data);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    memcpy(e->key, key, klen + 1);
    e->data = data;
    e->fd = fd;
    e->len = len;
    e->dev = dev;
    e->ino = ino;
    e->mtime = mtime;
    snprintf(e->etag, sizeof(e->etag), "%s", etag);
    atomic_init(&e->refs, 1);             /* the caller's */
    if (len > mc->max / 4)
        return e;
    pthread_mutex_lock(&mc->lock);
    if ((old = find(mc, key)))
        evict(mc, old);
    atomic_fetch_add(&e->refs, 1);        /* the cache's */
    e->cached = 1;
    e->hnext = mc->buckets[hash(key) % BUCKETS];
    mc->buckets[hash(key) % BUCKETS] = e;
    e->next = mc->head;
    if (mc->head)
        mc->head->prev = e;
    mc->head = e;
    if (!mc->tail)
        mc->tail = e;
    mc->bytes += len;
    while (mc->bytes > mc->max && mc->tail && mc->tail != e)
        evict(mc, mc->tail);
    pthread_mutex_unlock(&mc->lock);
    return e;
}

MemEntry *memcache_put(MemCache *mc, const char *key, void *data, size_t len, double mtime,
                       const char *etag, unsigned long long dev, unsigned long long ino)
{
    return put(mc, key, data, -1, len, mtime, etag, dev, ino);
}

MemEntry *memcache_put_fd(MemCache *mc, const char *key, int fd, size_t len, double mtime,
                          const char *etag, unsigned long long dev, unsigned long long ino)
{
    return put(mc, key, NULL, fd, len, mtime, etag, dev, ino);
}

void memcache_remove(MemCache *mc, const char *key)
{
    MemEntry *e;
    pthread_mutex_lock(&mc->lock);
    if ((e = find(mc, key)))
        evict(mc, e);
    pthread_mutex_unlock(&mc->lock);
}

void memcache_origin(const MemEntry *e, unsigned long long *dev, unsigned long long *ino)
{
    *dev = e->dev;
    *ino = e->ino;
}

const void *memcache_data(const MemEntry *e) { return e->data; }
int memcache_fd(const MemEntry *e) { return e->fd; }
size_t memcache_len(const MemEntry *e) { return e->len; }
double memcache_mtime(const MemEntry *e) { return e->mtime; }
const char *memcache_etag(const MemEntry *e) { return e->etag; }

size_t memcache_bytes(MemCache *mc)
{
    size_t n;
    pthread_mutex_lock(&mc->lock);
    n = mc->bytes;
    pthread_mutex_unlock(&mc->lock);
    return n;
}
