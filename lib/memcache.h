/*
 * memcache.h: live-serve's in-memory cache of immutable objects (init
 * and media segments), in front of the db's live-edge cache and the
 * files.
 *
 * A live stream's viewers all want the same few newest segments; once
 * one request has read a segment (from the db's edge_cache or its file)
 * every later request is answered from memory, without a database query,
 * an open or a stat. Segments never change once published (live-pipe(5)),
 * so an entry needs no revalidation; the least recently used entries go
 * when the cache is over its size.
 *
 * Entries are reference-counted: a response being sent holds a reference,
 * so eviction never frees data under a connection. Thread-safe.
 */
#ifndef LIVE_MEMCACHE_H
#define LIVE_MEMCACHE_H

#include <stddef.h>

typedef struct MemCache MemCache;
typedef struct MemEntry MemEntry;

/* max_bytes: the total size kept (0: the cache keeps nothing). */
int memcache_new(size_t max_bytes, MemCache **out);
/* Free the cache; entries still referenced are freed by their last unref. */
void memcache_free(MemCache **mc);

/* The entry for key with a new reference, or NULL. */
MemEntry *memcache_get(MemCache *mc, const char *key);

/* Insert data (taken over: freed with free) for key, with its
 * modification time, ETag and origin (see memcache_origin); returns the entry with a reference for the
 * caller, or NULL on ENOMEM (data freed). An existing entry for key is
 * replaced. Objects larger than a quarter of the cache are not kept but
 * still returned (the caller's reference is the only one). */
MemEntry *memcache_put(MemCache *mc, const char *key, void *data, size_t len, double mtime,
                       const char *etag, unsigned long long dev, unsigned long long ino);

/* The same for an object kept as an open file (fd taken over; closed
 * when the entry is freed), for large objects sent with sendfile:
 * responses send from dup(memcache_fd(e)). NULL on ENOMEM (fd closed). */
MemEntry *memcache_put_fd(MemCache *mc, const char *key, int fd, size_t len, double mtime,
                          const char *etag, unsigned long long dev, unsigned long long ino);

/* Where the object came from, to check a hit against the file system
 * (dev and ino given to put: the file's, or 0 when it came from the
 * database). */
void memcache_origin(const MemEntry *e, unsigned long long *dev, unsigned long long *ino);

/* Remove key's entry, if any (it went stale). */
void memcache_remove(MemCache *mc, const char *key);

/* Drop a reference (any thread). Accepts NULL. */
void memcache_unref(MemEntry *e);

const void *memcache_data(const MemEntry *e);   /* NULL for a file entry */
int memcache_fd(const MemEntry *e);               /* -1 for a memory entry */
size_t memcache_len(const MemEntry *e);
double memcache_mtime(const MemEntry *e);
const char *memcache_etag(const MemEntry *e);

/* Bytes held now. */
size_t memcache_bytes(MemCache *mc);

#endif
