/* Unit tests for lib/keys.c: the key file format and the check. */
#include <string.h>

#include <libavutil/error.h>

#include "keys.h"
#include "tap.h"

static int parse(const char *text, Keys **k, int *line)
{
    *line = 0;
    return keys_parse(text, strlen(text), k, line);
}

int main(void)
{
    Keys *k = NULL;
    int line;
    const char *good = "# stream keys\n\ncam1 s3cret\r\n  cam2\tother  \ncam.3 x\n";

    is_int(parse(good, &k, &line), 0, "a good file parses");
    is_int(keys_count(k), 3, "three keys (comments, blanks, tabs, CRLF)");
    ok(keys_check(k, "cam1", "s3cret"), "right key");
    ok(!keys_check(k, "cam1", "s3cre"), "a prefix of the key is wrong");
    ok(!keys_check(k, "cam1", "s3cret2"), "a longer key is wrong");
    ok(!keys_check(k, "cam1", "other"), "another stream's key is wrong");
    ok(!keys_check(k, "cam1", NULL), "no key");
    ok(!keys_check(k, "cam1", ""), "an empty key");
    ok(keys_check(k, "cam2", "other"), "tab-separated, trailing blanks");
    ok(!keys_check(k, "cam9", "s3cret"), "unknown name");
    ok(!keys_check(NULL, "cam1", "s3cret"), "no keys at all");
    keys_free(&k);
    ok(k == NULL, "keys_free clears the pointer");

    is_int(parse("cam1 a\ncam1 b\n", &k, &line), AVERROR_INVALIDDATA, "a name twice refused");
    is_int(line, 2, "on line 2");
    is_int(parse("cam1\n", &k, &line), AVERROR_INVALIDDATA, "a name without a secret refused");
    is_int(parse("ok a\ncam1 a b\n", &k, &line), AVERROR_INVALIDDATA,
           "a third field shorter than a passphrase (10 bytes) refused");
    is_int(line, 2, "on line 2");
    is_int(parse("cam1 a 0123456789abc d\n", &k, &line), AVERROR_INVALIDDATA, "a fourth field refused");
    {
        char line80[100] = "cam1 a ";
        memset(line80 + 7, 'p', 80);
        is_int(parse(line80, &k, &line), AVERROR_INVALIDDATA, "a passphrase over 79 bytes refused");
        line80[7 + 79] = '\0';
        is_int(parse(line80, &k, &line), 0, "one of 79 bytes parses");
        keys_free(&k);
    }
    is_int(parse("enc s3cret 0123456789abc\nplain s3cret\n", &k, &line), 0,
           "a line with an SRT passphrase");
    {
        char pass[KEYS_MAX_PASSPHRASE + 1];
        ok(keys_check(k, "enc", "s3cret"), "  its key works");
        is_int(keys_passphrase(k, "enc", pass, sizeof(pass)), 1, "  it has a passphrase");
        is_str(pass, "0123456789abc", "  that one");
        is_int(keys_passphrase(k, "plain", pass, sizeof(pass)), 0, "  a line without: none");
        is_str(pass, "", "  empty");
        is_int(keys_passphrase(k, "nosuch", pass, sizeof(pass)), 0, "  an unknown name: none");
        is_int(keys_passphrase(k, "enc", pass, 10), 0, "  a buffer too small: none");
    }
    keys_free(&k);
    is_int(parse("../x a\n", &k, &line), AVERROR_INVALIDDATA, "a bad name refused");
    is_int(parse(".hidden a\n", &k, &line), AVERROR_INVALIDDATA, "a dot name refused");
    is_int(keys_parse("ca\0m a\n", 7, &k, &line), AVERROR_INVALIDDATA, "a NUL in a name refused");
    {
        char longsecret[300];
        memset(longsecret, 'x', sizeof(longsecret));
        memcpy(longsecret, "cam ", 4);
        longsecret[sizeof(longsecret) - 1] = '\0';
        is_int(parse(longsecret, &k, &line), AVERROR_INVALIDDATA, "a secret over 255 bytes refused");
    }
    is_int(parse("", &k, &line), 0, "an empty file parses");
    is_int(keys_count(k), 0, "with no keys");
    keys_free(&k);
    is_int(parse("cam1 last-line-without-newline", &k, &line), 0, "no final newline");
    ok(keys_check(k, "cam1", "last-line-without-newline"), "its key works");
    keys_free(&k);
    is_int(keys_load("/nonexistent/keys", &k), AVERROR(ENOENT), "a missing file");
    return done();
}
