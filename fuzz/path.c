/*
 * fuzz/path.c: libFuzzer target for live-serve's request path
 * normalisation (lib/path.c), the one place that decides which file
 * under ROOT a URL may name.
 *
 * Links: lib/path.c lib/parse.c
 *
 * Whatever path_normalize accepts must be a plain relative path: no
 * empty, ".", ".." or hidden component, no backslash, no control
 * character, no leading or trailing '/', shorter than the buffer; and
 * normalising it again (when it holds no '%') gives it back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

static void check_normal(const char *p, size_t size)
{
    const char *c = p;

    if (strlen(p) >= size || strlen(p) > PATH_MAX_URL)
        abort();
    if (!*p)
        return;
    for (;;) {
        size_t n = strcspn(c, "/");
        if (n == 0 || c[0] == '.')
            abort(); /* empty, ".", ".." or hidden component */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f || c[i] == '\\')
                abort();
        if (!c[n])
            return;
        c += n + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t sizes[] = { PATH_MAX_URL + 1, 64, 2, 1 };
    char *raw = malloc(size + 2), *again, *out;
    size_t i;

    if (!raw)
        return 0;
    memcpy(raw, data, size);
    raw[size] = '\0';

    out = malloc(PATH_MAX_URL + 2);
    again = malloc(PATH_MAX_URL + 3);
    for (i = 0; out && again && i < sizeof(sizes) / sizeof(*sizes); i++) {
        if (path_normalize(raw, out, sizes[i]) < 0)
            continue;
        check_normal(out, sizes[i]);
        if (!path_content_type(out))
            abort();
        if (!strchr(out, '%')) {
            char *back = malloc(PATH_MAX_URL + 2);
            again[0] = '/';
            strcpy(again + 1, out);
            if (!back || path_normalize(again, back, PATH_MAX_URL + 2) < 0 || strcmp(back, out))
                abort();
            free(back);
        }
    }
    free(out);
    free(again);

    /* The query-string decoder never grows its input. */
    {
        size_t before = strlen(raw);
        if (path_decode_query(raw) == 0 && strlen(raw) > before)
            abort();
    }
    free(raw);
    return 0;
}
