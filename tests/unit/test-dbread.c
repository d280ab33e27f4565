/* Unit tests for lib/dbread.c, live-serve's read-only lookups: rows as
 * live-package writes them, and a corrupt database, which is an error
 * (never a shorter list of streams). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "catalog.h"
#include "db.h"
#include "dbread.h"
#include "log.h"
#include "tap.h"

#define NSTREAMS 2000

int main(void)
{
    char dir[] = "/tmp/live-test-dbread-XXXXXX", path[256], cmd[300];
    sqlite3 *db = NULL;
    DbRead *d = NULL;
    DbStream *list = NULL, one;
    struct stat st;
    int n = 0, fd, ret;

    log_init("test-dbread");
    log_set_level(LOG_LEVEL_QUIET);
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/live.db", dir);
    if (db_open(path, 0, &db) < 0 || catalog_init(db) < 0)
        return 1;
    db_exec(db, "BEGIN");
    for (int i = 0; i < NSTREAMS; i++) {
        CatalogStream s = { .availability_start = 1, .segment_duration = 2, .next_seq = 1 };
        snprintf(s.name, sizeof(s.name), "stream-with-a-long-name-to-fill-pages-%05d", i);
        snprintf(s.state, sizeof(s.state), i % 2 ? "live" : "vod");
        catalog_stream_put(db, &s);
    }
    db_exec(db, "COMMIT");
    db_close(&db);   /* checkpoints: every row is in the main file */

    is_int(dbread_new(path, &d), 0, "open");
    is_int(dbread_streams(d, &list, &n), 0, "list the streams");
    is_int(n, NSTREAMS, "all of them");
    free(list);
    list = NULL;
    is_int(dbread_stream(d, "stream-with-a-long-name-to-fill-pages-00007", &one), 0, "one stream");
    ok(one.live, "its row");
    is_int(dbread_stream(d, "nothere", &one), AVERROR(ENOENT), "an unknown stream: ENOENT");
    dbread_free(&d);

    /* Garbage over the middle of the file: pages the scan of streams
     * reads. */
    if (stat(path, &st) < 0 || (fd = open(path, O_WRONLY)) < 0)
        return 1;
    for (off_t off = st.st_size * 2 / 5 / 4096 * 4096; off < st.st_size * 3 / 5; off += 4096) {
        char junk[4096];
        memset(junk, 0x5a, sizeof(junk));
        if (pwrite(fd, junk, sizeof(junk), off) != (ssize_t)sizeof(junk))
            return 1;
    }
    close(fd);
    is_int(dbread_new(path, &d), 0, "open the corrupt database");
    n = 0;
    ret = dbread_streams(d, &list, &n);
    ok(ret < 0, "a corrupt database: the list is an error (%d), not %d of %d streams", ret, n,
       NSTREAMS);
    if (ret == 0)
        free(list);
    dbread_free(&d);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("cannot remove %s", dir);
    return done();
}
