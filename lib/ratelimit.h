/*
 * ratelimit.h: token buckets in memory, keyed by a kind and a string (an
 * account name, a client address), for the login rate limiter of
 * account.c. Each bucket holds at most burst tokens and gains one every
 * period seconds; a new bucket starts full.
 *
 * The table is fixed (RATELIMIT_SLOTS buckets, open addressing over a
 * window of slots): when a window is full, the bucket that has forgotten
 * least (the fullest) is evicted, so an attacker cycling through names or
 * addresses can only make buckets start full again, never use more memory.
 * Keys are hashed with a random key (SipHash, crypto_shorthash), so nobody
 * can aim collisions at someone else's bucket. In this process only: a
 * restart resets every bucket. Thread-safe.
 */
#ifndef LIVE_RATELIMIT_H
#define LIVE_RATELIMIT_H

#define RATELIMIT_SLOTS 8192

typedef struct RateLimit RateLimit;

/* One bucket: kind and id name it (id NULL: no bucket, skipped). */
typedef struct RateLimitKey {
    char kind;
    const char *id;
    double burst, period;
} RateLimitKey;

/* 0, or AVERROR(ENOMEM) / AVERROR_EXTERNAL (libsodium failed). */
int ratelimit_new(RateLimit **out);
/* Free *rl and set it to NULL; NULL is fine. */
void ratelimit_free(RateLimit **rl);

/*
 * Take one token from each of the n buckets at time now (seconds), or
 * from none: 0, or AVERROR(EAGAIN) with *wait the seconds until every one
 * of them has a token again.
 */
int ratelimit_take(RateLimit *rl, const RateLimitKey *keys, int n, double now, double *wait);

/* Fill the bucket to its burst (a successful login forgives the failures). */
void ratelimit_fill(RateLimit *rl, const RateLimitKey *key, double now);

#endif
