/*
 * keys.c: the stream key file. See keys.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <sodium.h>

#include "array.h"
#include "fs.h"
#include "keys.h"
#include "log.h"
#include "record.h"

typedef struct KeyEntry {
    char name[RECORD_MAX_NAME + 1];
    uint8_t hash[32]; /* BLAKE2b of the secret */
    char passphrase[KEYS_MAX_PASSPHRASE + 1]; /* SRT's, "" for none */
} KeyEntry;

struct Keys {
    KeyEntry *v;
    size_t n, cap;
};

static int is_blank(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

static void hash_secret(const char *s, size_t n, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)s, n, NULL, 0);
}

/* One line (without '\n'): 0 (added or skipped) or AVERROR_INVALIDDATA. */
static int parse_line(Keys *k, const char *p, size_t n)
{
    size_t i = 0, name_start, name_len, sec_start, sec_len, pass_start, pass_len;
    KeyEntry *e;

    while (i < n && is_blank(p[i]))
        i++;
    if (i == n || p[i] == '#')
        return 0;
    name_start = i;
    while (i < n && !is_blank(p[i]))
        i++;
    name_len = i - name_start;
    while (i < n && is_blank(p[i]))
        i++;
    sec_start = i;
    while (i < n && !is_blank(p[i]))
        i++;
    sec_len = i - sec_start;
    while (i < n && is_blank(p[i]))
        i++;
    pass_start = i;
    while (i < n && !is_blank(p[i]))
        i++;
    pass_len = i - pass_start;
    while (i < n && is_blank(p[i]))
        i++;
    if (i != n || sec_len == 0 || sec_len > KEYS_MAX_SECRET || name_len > RECORD_MAX_NAME)
        return AVERROR_INVALIDDATA;
    if (pass_len && (pass_len < KEYS_MIN_PASSPHRASE || pass_len > KEYS_MAX_PASSPHRASE))
        return AVERROR_INVALIDDATA;
    if (memchr(p + sec_start, '\0', sec_len) || memchr(p + name_start, '\0', name_len) ||
        memchr(p + pass_start, '\0', pass_len))
        return AVERROR_INVALIDDATA;
    if (k->n == k->cap) {
        size_t cap = array_grow(&k->v, k->cap, sizeof(*k->v), 16);
        if (!cap)
            return AVERROR(ENOMEM);
        k->cap = cap;
    }
    e = &k->v[k->n];
    memcpy(e->name, p + name_start, name_len);
    e->name[name_len] = '\0';
    if (!record_name_ok(e->name))
        return AVERROR_INVALIDDATA;
    for (size_t j = 0; j < k->n; j++)
        if (!strcmp(k->v[j].name, e->name))
            return AVERROR_INVALIDDATA; /* the same name twice */
    hash_secret(p + sec_start, sec_len, e->hash);
    memcpy(e->passphrase, p + pass_start, pass_len);
    e->passphrase[pass_len] = '\0';
    k->n++;
    return 0;
}

int keys_parse(const char *text, size_t len, Keys **out, int *bad_line)
{
    Keys *k;
    size_t pos = 0;
    int line = 0, ret = 0;

    *out = NULL;
    if (sodium_init() < 0)
        return AVERROR_EXTERNAL;
    if (!(k = calloc(1, sizeof(*k))))
        return AVERROR(ENOMEM);
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        line++;
        if ((ret = parse_line(k, text + pos, n)) < 0) {
            if (bad_line)
                *bad_line = line;
            keys_free(&k);
            return ret;
        }
        pos += n + (nl ? 1 : 0);
    }
    *out = k;
    return 0;
}

int keys_load(const char *path, Keys **out)
{
    char *text = NULL, err[AV_ERROR_MAX_STRING_SIZE];
    size_t len = 0;
    int ret, line = 0;

    *out = NULL;
    if ((ret = fs_read_file(path, KEYS_MAX_FILE, &text, &len)) < 0) {
        log_error("%s: %s", path, log_averr(ret, err, sizeof(err)));
        return ret;
    }
    ret = keys_parse(text, len, out, &line);
    sodium_memzero(text, len);
    free(text);
    if (ret == AVERROR_INVALIDDATA)
        log_error("%s:%d: want \"NAME SECRET [SRT-PASSPHRASE]\" (NAME of [A-Za-z0-9_.-],"
                  " once per file; a passphrase of %d to %d bytes)", path, line,
                  KEYS_MIN_PASSPHRASE, KEYS_MAX_PASSPHRASE);
    else if (ret < 0)
        log_error("%s: %s", path, log_averr(ret, err, sizeof(err)));
    return ret;
}

void keys_free(Keys **k)
{
    if (!*k)
        return;
    if ((*k)->v)
        sodium_memzero((*k)->v, (*k)->cap * sizeof(KeyEntry));
    free((*k)->v);
    free(*k);
    *k = NULL;
}

size_t keys_count(const Keys *k)
{
    return k ? k->n : 0;
}

int keys_check(const Keys *k, const char *name, const char *secret)
{
    uint8_t h[32];
    size_t n;

    if (!k || !name)
        return 0;
    n = secret ? strlen(secret) : 0;
    hash_secret(secret ? secret : "", n, h);
    for (size_t i = 0; i < k->n; i++) {
        if (strcmp(k->v[i].name, name))
            continue;
        /* An empty secret never matches: the file has none. */
        return n > 0 && sodium_memcmp(k->v[i].hash, h, 32) == 0;
    }
    return 0;
}

int keys_passphrase(const Keys *k, const char *name, char *buf, size_t size)
{
    if (size)
        buf[0] = '\0';
    if (!k || !name || size <= KEYS_MAX_PASSPHRASE)
        return 0;
    for (size_t i = 0; i < k->n; i++) {
        if (strcmp(k->v[i].name, name))
            continue;
        snprintf(buf, size, "%s", k->v[i].passphrase);
        return buf[0] != '\0';
    }
    return 0;
}
