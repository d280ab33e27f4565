/* Unit tests for lib/memcache.c: hits, LRU eviction by size, replacing,
 * references that outlive eviction, file entries, removal. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memcache.h"
#include "tap.h"

static void *blob(size_t n, int c)
{
    void *p = malloc(n);
    memset(p, c, n);
    return p;
}

int main(void)
{
    MemCache *mc = NULL;
    MemEntry *a, *b, *e;
    unsigned long long dev, ino;
    int fds[2];

    ok(memcache_new(1000, &mc) == 0, "new");
    a = memcache_put(mc, "cam1/720p/1.m4s", blob(100, 'a'), 100, 5.5, "\"a\"", 0, 0);
    ok(a != NULL, "put");
    is_int(memcache_bytes(mc), 100, "bytes counted");
    e = memcache_get(mc, "cam1/720p/1.m4s");
    ok(e == a, "get finds it");
    is_int(((const char *)memcache_data(e))[99], 'a', "data");
    is_int(memcache_len(e), 100, "len");
    is_dbl(memcache_mtime(e), 5.5, 0, "mtime");
    is_str(memcache_etag(e), "\"a\"", "etag");
    is_int(memcache_fd(e), -1, "a memory entry has no fd");
    memcache_unref(e);
    ok(memcache_get(mc, "cam1/720p/2.m4s") == NULL, "miss");

    /* 1 is used most recently; 2 and 3 fill the cache; 4 evicts the LRU (2). */
    memcache_unref(memcache_put(mc, "2", blob(200, 'b'), 200, 0, "\"b\"", 0, 0));
    memcache_unref(memcache_put(mc, "3", blob(200, 'c'), 200, 0, "\"c\"", 0, 0));
    memcache_unref(memcache_get(mc, "cam1/720p/1.m4s"));
    memcache_unref(memcache_get(mc, "2"));
    memcache_unref(memcache_put(mc, "4", blob(200, 'd'), 200, 0, "\"d\"", 0, 0));
    memcache_unref(memcache_put(mc, "5", blob(200, 'e'), 200, 0, "\"e\"", 0, 0));
    ok(memcache_bytes(mc) <= 1000, "stays within its size (%zu)", memcache_bytes(mc));
    memcache_unref(memcache_put(mc, "6", blob(200, 'f'), 200, 0, "\"f\"", 0, 0));
    ok(memcache_bytes(mc) <= 1000, "still (%zu)", memcache_bytes(mc));
    e = memcache_get(mc, "3");
    ok(e == NULL, "the least recently used went first");
    memcache_unref(e);
    e = memcache_get(mc, "6");
    ok(e != NULL, "the newest is there");
    memcache_unref(e);

    /* A reference outlives eviction and replacement. */
    b = memcache_get(mc, "6");
    memcache_unref(memcache_put(mc, "6", blob(50, 'g'), 50, 0, "\"g\"", 7, 8));
    is_int(((const char *)memcache_data(b))[0], 'f', "the old data is still readable");
    memcache_unref(b);
    e = memcache_get(mc, "6");
    is_int(((const char *)memcache_data(e))[0], 'g', "replaced");
    memcache_origin(e, &dev, &ino);
    ok(dev == 7 && ino == 8, "origin kept");
    memcache_unref(e);
    memcache_remove(mc, "6");
    ok(memcache_get(mc, "6") == NULL, "removed");

    /* Too large to keep: returned, not cached. */
    e = memcache_put(mc, "big", blob(600, 'h'), 600, 0, "\"h\"", 0, 0);
    ok(e != NULL && memcache_get(mc, "big") == NULL, "an object over a quarter is not kept");
    memcache_unref(e);

    /* File entries. */
    if (pipe(fds) == 0) {
        close(fds[1]);
        e = memcache_put_fd(mc, "f", fds[0], 10, 0, "\"f\"", 0, 0);
        is_int(memcache_fd(e), fds[0], "a file entry has its fd");
        ok(memcache_data(e) == NULL, "and no data");
        memcache_unref(e);
    }
    memcache_unref(a);
    memcache_free(&mc);
    ok(mc == NULL, "free clears the pointer");
    return done();
}
