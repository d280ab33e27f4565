/*
 * fuzz/keys.c: libFuzzer target for live-ingest's stream key file parser
 * (lib/keys.c).
 *
 * Links: lib/keys.c lib/record.c lib/fs.c lib/log.c lib/array.c
 *
 * The input is a key file. An independent reading of keys.h's format
 * ("NAME SECRET [PASSPHRASE]" per line, blanks around, '#' comments,
 * names once) decides whether it is valid; keys_parse must agree, and then
 * every NAME must match its SECRET and nothing else, and give back its
 * PASSPHRASE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "record.h"

#define MAX_ENTRIES 256

typedef struct Entry {
    char name[RECORD_MAX_NAME + 1];
    char secret[KEYS_MAX_SECRET + 2];
    char passphrase[KEYS_MAX_PASSPHRASE + 1];
} Entry;

static int blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* 1 and the entries if the text is a valid key file, else 0. */
static int oracle(const char *t, size_t len, Entry *e, size_t *n)
{
    size_t pos = 0;

    *n = 0;
    while (pos < len) {
        const char *line = t + pos, *f[3];
        size_t l = 0, fl[3], i = 0, nf = 0;
        while (pos + l < len && t[pos + l] != '\n')
            l++;
        pos += l + 1;
        while (i < l && blank(line[i]))
            i++;
        if (i == l || line[i] == '#')
            continue;
        while (i < l) {
            size_t s = i;
            while (i < l && !blank(line[i]))
                i++;
            if (nf == 3)
                return 0; /* a fourth field */
            f[nf] = line + s;
            fl[nf++] = i - s;
            while (i < l && blank(line[i]))
                i++;
        }
        if (nf < 2 || fl[0] > RECORD_MAX_NAME || fl[1] > KEYS_MAX_SECRET)
            return 0;
        if (nf == 3 && (fl[2] < KEYS_MIN_PASSPHRASE || fl[2] > KEYS_MAX_PASSPHRASE))
            return 0;
        for (size_t j = 0; j < nf; j++)
            if (memchr(f[j], '\0', fl[j]))
                return 0;
        if (*n == MAX_ENTRIES)
            return -1; /* too many to check: no opinion */
        memcpy(e[*n].name, f[0], fl[0]);
        e[*n].name[fl[0]] = '\0';
        memcpy(e[*n].secret, f[1], fl[1]);
        e[*n].secret[fl[1]] = '\0';
        e[*n].passphrase[0] = '\0';
        if (nf == 3) {
            memcpy(e[*n].passphrase, f[2], fl[2]);
            e[*n].passphrase[fl[2]] = '\0';
        }
        if (!record_name_ok(e[*n].name))
            return 0;
        for (size_t j = 0; j < *n; j++)
            if (!strcmp(e[j].name, e[*n].name))
                return 0;
        (*n)++;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Entry e[MAX_ENTRIES];
    char pass[KEYS_MAX_PASSPHRASE + 1];
    Keys *k = NULL;
    size_t n;
    int ret, want, line = 0;

    ret = keys_parse((const char *)data, size, &k, &line);
    want = oracle((const char *)data, size, e, &n);
    if (ret < 0) {
        if (k || want == 1 || line < 1)
            abort();
        return 0;
    }
    if (!k || want == 0)
        abort();
    if (want == 1) {
        if (keys_count(k) != n)
            abort();
        for (size_t i = 0; i < n; i++) {
            size_t sl = strlen(e[i].secret);
            if (keys_passphrase(k, e[i].name, pass, sizeof(pass)) != (e[i].passphrase[0] != '\0') ||
                strcmp(pass, e[i].passphrase))
                abort();
            if (keys_check(k, e[i].name, e[i].secret) != 1)
                abort();
            if (keys_check(k, e[i].name, NULL) || keys_check(k, e[i].name, ""))
                abort();
            e[i].secret[sl] = 'x';
            e[i].secret[sl + 1] = '\0';
            if (keys_check(k, e[i].name, e[i].secret))
                abort();
            e[i].secret[sl - 1] ^= 1;
            e[i].secret[sl] = '\0';
            if (keys_check(k, e[i].name, e[i].secret))
                abort();
        }
    }
    if (keys_check(k, "", "x") || keys_check(k, NULL, "x"))
        abort();
    keys_free(&k);
    return 0;
}
