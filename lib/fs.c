/*
 * fs.c: directories, temporary names and atomic publication. See fs.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "fs.h"

int fs_mkdirs(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);

    if (n == 0)
        return AVERROR(EINVAL);
    if (n >= sizeof(buf))
        return AVERROR(ENAMETOOLONG);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return AVERROR(errno);
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return AVERROR(errno);
    return S_ISDIR(st.st_mode) ? 0 : AVERROR(ENOTDIR);
}

int fs_tmpname(const char *path, char *buf, size_t size)
{
    static atomic_uint counter;
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    int n = snprintf(buf, size, "%.*s.%s.tmp-%ld-%u", dirlen, path, path + dirlen,
                     (long)getpid(), atomic_fetch_add(&counter, 1));
    if (n < 0 || (size_t)n >= size)
        return AVERROR(ENAMETOOLONG);
    return 0;
}

int fs_is_tmpname(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return base[0] == '.' && strstr(base, ".tmp-") != NULL;
}

static int sync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd, ret = 0;

    if (!slash)
        strcpy(dir, ".");
    else if ((size_t)(slash - path) >= sizeof(dir))
        return AVERROR(ENAMETOOLONG);
    else {
        memcpy(dir, path, slash - path);
        dir[slash == path ? 1 : slash - path] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return AVERROR(errno);
    if (fsync(fd) < 0 && errno != EINVAL)
        ret = AVERROR(errno);
    close(fd);
    return ret;
}

int fs_publish(const char *tmp, const char *path, int sync)
{
    if (sync) {
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return AVERROR(errno);
        if (fsync(fd) < 0) {
            int err = errno;
            close(fd);
            return AVERROR(err);
        }
        close(fd);
    }
    if (rename(tmp, path) < 0)
        return AVERROR(errno);
    return sync ? sync_dir_of(path) : 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len, int sync)
{
    char tmp[PATH_MAX];
    const char *p = data;
    int fd, ret;

    if ((ret = fs_tmpname(path, tmp, sizeof(tmp))) < 0)
        return ret;
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return AVERROR(errno);
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ret = AVERROR(errno);
            goto fail;
        }
        p += n;
        len -= (size_t)n;
    }
    if (sync && fsync(fd) < 0) {
        ret = AVERROR(errno);
        goto fail;
    }
    if (close(fd) < 0) {
        fd = -1;
        ret = AVERROR(errno);
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        ret = AVERROR(errno);
        goto fail;
    }
    return sync ? sync_dir_of(path) : 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return ret;
}

int fs_read_file(const char *path, size_t max, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int ret = 0;

    if (!f)
        return AVERROR(errno);
    /* Read until EOF or until one byte more than max is held. */
    while (n <= max) {
        if (cap - n < 2) {
            size_t ncap = cap ? cap * 2 : 4096;
            char *nb;
            if (ncap > max + 2)
                ncap = max + 2;
            if (!(nb = realloc(buf, ncap))) {
                ret = AVERROR(ENOMEM);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                ret = AVERROR(EIO);
            break;
        }
    }
    fclose(f);
    if (ret == 0 && n > max)
        ret = AVERROR(EFBIG);
    if (ret == 0 && !buf && !(buf = malloc(1)))
        ret = AVERROR(ENOMEM);
    if (ret < 0) {
        free(buf);
        return ret;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int fs_clean_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int removed = 0;

    if (!d)
        return AVERROR(errno);
    while ((de = readdir(d))) {
        char path[PATH_MAX];
        if (!fs_is_tmpname(de->d_name))
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
            continue;
        if (unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
