/* Unit tests for lib/path.c: normalization, traversal refusal, opening
 * beneath a root with symlinks, content types, query decoding. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "path.h"
#include "tap.h"

static void norm_ok(const char *raw, const char *want)
{
    char out[PATH_MAX_URL + 1];
    int ret = path_normalize(raw, out, sizeof(out));
    if (!ok(ret == 0 && !strcmp(out, want), "normalize \"%s\" -> \"%s\"", raw, want))
        diag("  got %d \"%s\"", ret, ret == 0 ? out : "");
}

static void norm_err(const char *raw, int want)
{
    char out[PATH_MAX_URL + 1];
    int ret = path_normalize(raw, out, sizeof(out));
    if (!ok(ret == want, "refuse \"%s\"", raw))
        diag("  got %d, want %d (out \"%s\")", ret, want, ret == 0 ? out : "");
}

int main(void)
{
    static const char *const traversal[] = {
        "/..", "/../etc/passwd", "/a/../../etc/passwd", "/a/..", "/./a", "/a/./b",
        "/%2e%2e/etc/passwd", "/%2E%2E/etc/passwd", "/.%2e/x", "/%2e./x",
        "/a/%2e%2e/%2e%2e/etc/passwd", "/a%2f..%2fb", "/a%2Fb", "/..%2f..%2fetc",
        "/a%5c..%5cb", "/a\\..\\b", "/\\etc\\passwd", "/a%00.m4s", "/.hidden",
        "/cam1/.720p.tmp-12-3", "/cam1/720p/.42.m4s.tmp-1-1", "/%2e", "//..//x",
    };
    char big[2100], out[64], q[64];
    char dir[] = "/tmp/live-test-path-XXXXXX", p[512];
    struct stat st;
    size_t i;
    int rootfd, fd;

    norm_ok("/", "");
    norm_ok("//", "");
    norm_ok("/cam1/manifest.mpd", "cam1/manifest.mpd");
    norm_ok("/cam1//720p///42.m4s", "cam1/720p/42.m4s");
    norm_ok("/cam1/720p/", "cam1/720p");
    norm_ok("/a%20b/c%41", "a b/cA");
    norm_ok("/a..b/c.d.", "a..b/c.d.");
    norm_ok("/watch/cam-1_x", "watch/cam-1_x");

    for (i = 0; i < sizeof(traversal) / sizeof(traversal[0]); i++)
        norm_err(traversal[i], AVERROR(EPERM));
    norm_err("", AVERROR(EINVAL));
    norm_err("cam1/x", AVERROR(EINVAL));
    norm_err("http://host/x", AVERROR(EINVAL));
    norm_err("/%", AVERROR(EINVAL));
    norm_err("/%4", AVERROR(EINVAL));
    norm_err("/%zz", AVERROR(EINVAL));
    norm_err("/a%0ab", AVERROR(EINVAL));
    norm_err("/a\tb", AVERROR(EINVAL));
    norm_err("/%c0%ae%c0%ae/x", AVERROR(EINVAL));
    norm_err("/caf\xc3\xa9", AVERROR(EINVAL));
    memset(big, 'a', sizeof(big) - 1);
    big[0] = '/';
    big[sizeof(big) - 1] = '\0';
    norm_err(big, AVERROR(ENAMETOOLONG));
    is_int(path_normalize("/abcdefgh", out, 5), AVERROR(ENAMETOOLONG), "small buffer refused");

    /* Opening beneath a root. */
    if (!mkdtemp(dir))
        return 1;
    snprintf(p, sizeof(p), "%s/root/cam1", dir);
    mkdir(strcpy(big, dir), 0755);
    snprintf(big, sizeof(big), "%s/root", dir);
    mkdir(big, 0755);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/root/cam1/a.m4s", dir);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(p, sizeof(p), "%s/secret", dir);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(p, sizeof(p), "%s/root/cam1/out", dir);
    ok(symlink("../../secret", p) == 0, "symlink out of the root");
    snprintf(p, sizeof(p), "%s/root/cam1/outdir", dir);
    ok(symlink("/etc", p) == 0, "absolute symlink to a directory");
    snprintf(p, sizeof(p), "%s/root/cam1/in.m4s", dir);
    ok(symlink("a.m4s", p) == 0, "symlink inside the root");
    rootfd = open(big, O_RDONLY | O_DIRECTORY);
    ok(rootfd >= 0, "open root");

    for (int pass = 0; pass < 2; pass++) {
        const char *how = pass ? "fallback" : "openat2";
        path_use_openat2(!pass);
        fd = path_open(rootfd, "cam1/a.m4s", &st);
        ok(fd >= 0 && S_ISREG(st.st_mode), "%s: open a file beneath the root", how);
        if (fd >= 0)
            close(fd);
        fd = path_open(rootfd, "cam1/in.m4s", &st);
        ok(fd >= 0, "%s: a symlink staying inside is followed", how);
        if (fd >= 0)
            close(fd);
        is_int(path_open(rootfd, "cam1/out", &st), AVERROR(EPERM), "%s: symlink leading out refused", how);
        is_int(path_open(rootfd, "cam1/outdir/passwd", &st), AVERROR(EPERM), "%s: absolute symlink dir refused", how);
        is_int(path_open(rootfd, "/etc/passwd", &st), AVERROR(EPERM), "%s: absolute path refused", how);
        is_int(path_open(rootfd, "cam1", &st), AVERROR(ENOENT), "%s: a directory is not found", how);
        is_int(path_open(rootfd, "cam1/nope.m4s", &st), AVERROR(ENOENT), "%s: missing file", how);
        is_int(path_open(rootfd, "cam1/a.m4s/x", &st), AVERROR(ENOENT), "%s: file as a directory", how);
    }
    path_use_openat2(1);
    is_int(path_open(rootfd, "../secret", &st), AVERROR(EPERM), "dot-dot refused by the kernel too");
    close(rootfd);
    snprintf(p, sizeof(p), "rm -rf '%s'", dir);
    if (system(p) != 0)
        diag("cleanup failed");

    is_str(path_content_type("cam1/manifest.mpd"), "application/dash+xml", "mpd type");
    is_str(path_content_type("cam1/master.m3u8"), "application/vnd.apple.mpegurl", "m3u8 type");
    is_str(path_content_type("cam1/720p/init.mp4"), "video/mp4", "init type");
    is_str(path_content_type("cam1/720p/42.m4s"), "video/iso.segment", "segment type");
    is_str(path_content_type("a.b/noext"), "application/octet-stream", "no extension");

    strcpy(q, "12.5");
    ok(path_decode_query(q) == 0 && !strcmp(q, "12.5"), "plain query value");
    strcpy(q, "a%20b+c%2Fd");
    ok(path_decode_query(q) == 0 && !strcmp(q, "a b c/d"), "decoded query value");
    strcpy(q, "a%00b");
    is_int(path_decode_query(q), AVERROR(EINVAL), "encoded NUL in a query value");
    strcpy(q, "a%g0");
    is_int(path_decode_query(q), AVERROR(EINVAL), "bad escape in a query value");
    return done();
}
