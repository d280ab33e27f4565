/* Unit tests for lib/fs.c: mkdirs, atomic writes, temp-file cleanup. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "fs.h"
#include "tap.h"

int main(void)
{
    char dir[] = "/tmp/live-test-fs-XXXXXX";
    char path[512], tmp[512];
    char *data;
    size_t len;
    struct stat st;

    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/a/b/c", dir);
    is_int(fs_mkdirs(path, 0755), 0, "mkdirs creates nested dirs");
    ok(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "the directory exists");
    is_int(fs_mkdirs(path, 0755), 0, "mkdirs on an existing dir is fine");

    snprintf(path, sizeof(path), "%s/a/file.txt", dir);
    is_int(fs_write_atomic(path, "hello", 5, 1), 0, "atomic write");
    is_int(fs_read_file(path, 100, &data, &len), 0, "read back");
    is_int(len, 5, "length");
    is_str(data, "hello", "content");
    free(data);
    is_int(fs_read_file(path, 5, &data, &len), 0, "read at exactly max");
    free(data);
    is_int(fs_read_file(path, 4, &data, &len), AVERROR(EFBIG), "over max is EFBIG");
    is_int(fs_mkdirs(path, 0755), AVERROR(ENOTDIR), "mkdirs on a file is ENOTDIR");

    is_int(fs_tmpname(path, tmp, sizeof(tmp)), 0, "tmpname");
    ok(fs_is_tmpname(tmp), "tmpname is recognised: %s", tmp);
    ok(!fs_is_tmpname(path), "plain name is not a tmpname");
    ok(strncmp(tmp, path, strlen(dir) + 3) == 0, "tmpname in the same directory");
    {
        FILE *f = fopen(tmp, "w");
        fputs("partial", f);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/a", dir);
    is_int(fs_clean_tmp(path), 1, "clean_tmp removes the leftover");
    ok(access(tmp, F_OK) != 0, "leftover gone");
    snprintf(path, sizeof(path), "%s/a/file.txt", dir);
    ok(access(path, F_OK) == 0, "published file kept");

    snprintf(path, sizeof(path), "rm -rf %s", dir);
    if (system(path) != 0)
        diag("cleanup failed");
    return done();
}
