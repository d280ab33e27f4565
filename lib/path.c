/*
 * path.c: request paths to files beneath the served root. See path.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "parse.h"
#include "path.h"

/* Check a finished component [c, c + n). */
static int component_ok(const char *c, size_t n)
{
    if (n == 0)
        return 0;
    if (c[0] == '.')    /* ".", "..", hidden and temporary files */
        return AVERROR(EPERM);
    return 0;
}

int path_normalize(const char *raw, char *out, size_t size)
{
    size_t n = 0, comp = 0; /* bytes written; start of the current component */
    const char *s;
    int ret;

    if (!raw || raw[0] != '/')
        return AVERROR(EINVAL);
    if (size == 0)
        return AVERROR(ENAMETOOLONG);
    for (s = raw; *s; s++) {
        int c = (unsigned char)*s;
        if (c == '%') {
            c = parse_percent(s);
            if (c < 0)
                return AVERROR(EINVAL);
            /* An encoded separator or NUL is never a plain character. */
            if (c == '/' || c == '\\' || c == 0)
                return AVERROR(EPERM);
            s += 2;
        } else if (c == '\\') {
            return AVERROR(EPERM);
        }
        if (c < 0x20 || c >= 0x7f)
            return AVERROR(EINVAL);
        if (c == '/') {
            if ((ret = component_ok(out + comp, n - comp)) < 0)
                return ret;
            if (n > comp) {          /* end a non-empty component */
                if (n + 1 >= size || n + 1 > PATH_MAX_URL)
                    return AVERROR(ENAMETOOLONG);
                out[n++] = '/';
            }
            comp = n;
            continue;
        }
        if (n + 1 >= size || n + 1 > PATH_MAX_URL)
            return AVERROR(ENAMETOOLONG);
        out[n++] = c;
    }
    if ((ret = component_ok(out + comp, n - comp)) < 0)
        return ret;
    if (n > 0 && out[n - 1] == '/')
        n--;
    out[n] = '\0';
    return 0;
}

/* Where fd leads, from /proc/self/fd. 0 or -1. */
static int fd_path(int fd, char *buf, size_t size)
{
    char link[64];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, buf, size - 1);
    if (n < 0 || (size_t)n >= size - 1)
        return -1;
    buf[n] = '\0';
    return 0;
}

/*
 * Without openat2 (kernels before 5.6, valgrind): open following links,
 * then check that the file opened lies beneath the root. The check is
 * on the opened file itself, so a link swapped meanwhile cannot fool it.
 */
static int open_checked(int rootfd, const char *rel)
{
    char root[4096], got[4096];
    size_t n;
    int fd = openat(rootfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0)
        return -1;
    if (fd_path(rootfd, root, sizeof(root)) < 0 || fd_path(fd, got, sizeof(got)) < 0) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    n = strlen(root);
    if (strncmp(got, root, n) || (got[n] != '/' && strcmp(root, "/"))) {
        close(fd);
        errno = EXDEV;
        return -1;
    }
    return fd;
}

/* Set once openat2 turned out to be missing. */
static atomic_int no_openat2;

int path_open(int rootfd, const char *rel, struct stat *st)
{
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd = -1, err;

    if (!rel[0] || rel[0] == '/')
        return AVERROR(EPERM);
    if (!atomic_load_explicit(&no_openat2, memory_order_relaxed)) {
        fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
        if (fd < 0 && errno == ENOSYS)
            atomic_store(&no_openat2, 1);
    }
    if (atomic_load_explicit(&no_openat2, memory_order_relaxed))
        fd = open_checked(rootfd, rel);
    if (fd < 0) {
        err = errno;
        if (err == EXDEV || err == ELOOP)   /* escapes ROOT */
            return AVERROR(EPERM);
        if (err == ENOTDIR)
            return AVERROR(ENOENT);
        return AVERROR(err);
    }
    if (fstat(fd, st) < 0) {
        err = errno;
        close(fd);
        return AVERROR(err);
    }
    if (!S_ISREG(st->st_mode)) {
        err = S_ISDIR(st->st_mode) ? ENOENT : EPERM;
        close(fd);
        return AVERROR(err);
    }
    /* O_NONBLOCK stays: it kept open() from blocking on a FIFO and
     * changes nothing for a regular file. */
    return fd;
}

void path_use_openat2(int on)
{
    atomic_store(&no_openat2, !on);
}

static const struct {
    const char *ext, *type;
} content_types[] = {
    { ".mpd",  "application/dash+xml" },
    { ".m3u8", "application/vnd.apple.mpegurl" },
    { ".m4s",  "video/iso.segment" },
    { ".mp4",  "video/mp4" },
    { ".m4a",  "audio/mp4" },
    { ".m4v",  "video/mp4" },
    { ".ts",   "video/mp2t" },
    { ".vtt",  "text/vtt" },
    { ".html", "text/html; charset=utf-8" },
    { ".js",   "text/javascript; charset=utf-8" },
    { ".mjs",  "text/javascript; charset=utf-8" },
    { ".css",  "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".map",  "application/json" },
    { ".txt",  "text/plain; charset=utf-8" },
    { ".svg",  "image/svg+xml" },
    { ".png",  "image/png" },
    { ".ico",  "image/x-icon" },
};

const char *path_content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    size_t i;

    if (dot && (!slash || dot > slash))
        for (i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++)
            if (!strcasecmp(dot, content_types[i].ext))
                return content_types[i].type;
    return "application/octet-stream";
}

int path_decode_query(char *s)
{
    char *w = s;
    int c;

    for (; *s; s++) {
        c = (unsigned char)*s;
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            c = parse_percent(s);
            if (c <= 0)
                return AVERROR(EINVAL);
            s += 2;
        }
        *w++ = c;
    }
    *w = '\0';
    return 0;
}
