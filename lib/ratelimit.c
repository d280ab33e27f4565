/*
 * ratelimit.c: token buckets in a fixed open-addressed table. See
 * ratelimit.h.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <sodium.h>

#include "ratelimit.h"

/* A key is looked for in a window of PROBE slots after its home slot. */
#define PROBE 16
#define MAX_KEYS 8

typedef struct Bucket {
    uint64_t key;   /* 0: free */
    double tokens;
    double last;    /* when tokens was computed */
} Bucket;

struct RateLimit {
    pthread_mutex_t lock;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    Bucket *buckets;
};

int ratelimit_new(RateLimit **out)
{
    RateLimit *rl;

    if (sodium_init() < 0)
        return AVERROR_EXTERNAL;
    if (!(rl = calloc(1, sizeof(*rl))))
        return AVERROR(ENOMEM);
    if (!(rl->buckets = calloc(RATELIMIT_SLOTS, sizeof(*rl->buckets)))) {
        free(rl);
        return AVERROR(ENOMEM);
    }
    pthread_mutex_init(&rl->lock, NULL);
    randombytes_buf(rl->hash_key, sizeof(rl->hash_key));
    *out = rl;
    return 0;
}

void ratelimit_free(RateLimit **prl)
{
    RateLimit *rl = *prl;

    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->buckets);
    free(rl);
    *prl = NULL;
}

static uint64_t key_hash(const RateLimit *rl, char kind, const char *s)
{
    unsigned char buf[1 + 256], out[crypto_shorthash_BYTES];
    size_t len = strlen(s);
    uint64_t k = 0;
    int i;

    if (len > 255)
        len = 255;
    buf[0] = kind;
    memcpy(buf + 1, s, len);
    crypto_shorthash(out, buf, len + 1, rl->hash_key);
    for (i = 0; i < 8; i++)
        k = k << 8 | out[i];
    return k | 1;   /* never 0, which marks a free slot */
}

/* The bucket for k, refilled to now; a new or reused slot starts full.
 * A full window evicts its fullest bucket (which has forgotten least). */
static Bucket *bucket(RateLimit *rl, const RateLimitKey *k, double now)
{
    uint64_t key = key_hash(rl, k->kind, k->id);
    Bucket *b, *victim = NULL;
    double best = -1;
    int i;

    for (i = 0; i < PROBE; i++) {
        b = &rl->buckets[(key + i) % RATELIMIT_SLOTS];
        if (b->key == key)
            goto found;
    }
    for (i = 0; i < PROBE; i++) {
        double t;
        b = &rl->buckets[(key + i) % RATELIMIT_SLOTS];
        if (!b->key) {
            victim = b;
            break;
        }
        t = b->tokens + (now - b->last) / k->period;
        if (t > best)
            best = t, victim = b;
    }
    b = victim;
    b->key = key;
    b->tokens = k->burst;
    b->last = now;
found:
    if (now > b->last) {
        b->tokens = fmin(k->burst, b->tokens + (now - b->last) / k->period);
        b->last = now;
    }
    return b;
}

int ratelimit_take(RateLimit *rl, const RateLimitKey *keys, int n, double now, double *wait)
{
    Bucket *b[MAX_KEYS] = { NULL };
    double w = 0;
    int i;

    if (n > MAX_KEYS)
        n = MAX_KEYS;
    pthread_mutex_lock(&rl->lock);
    for (i = 0; i < n; i++) {
        if (!keys[i].id)
            continue;
        b[i] = bucket(rl, &keys[i], now);
        if (b[i]->tokens < 1)
            w = fmax(w, (1 - b[i]->tokens) * keys[i].period);
    }
    if (w <= 0)
        for (i = 0; i < n; i++)
            if (b[i])
                b[i]->tokens -= 1;
    pthread_mutex_unlock(&rl->lock);
    *wait = w;
    return w > 0 ? AVERROR(EAGAIN) : 0;
}

void ratelimit_fill(RateLimit *rl, const RateLimitKey *key, double now)
{
    if (!key->id)
        return;
    pthread_mutex_lock(&rl->lock);
    bucket(rl, key, now)->tokens = key->burst;
    pthread_mutex_unlock(&rl->lock);
}
