/*
 * db.c: opening and configuring the shared SQLite database. See db.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "array.h"
#include "db.h"
#include "log.h"

int db_open(const char *path, int readonly, sqlite3 **dbp)
{
    sqlite3 *db = NULL;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc;

    flags |= SQLITE_OPEN_FULLMUTEX;
    if (!readonly && strcmp(path, ":memory:")) {
        /* A new db is created 0600 (it holds password hashes); SQLite
         * gives its -wal and -shm files the same mode. */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        log_error("%s: cannot open database: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return AVERROR_EXTERNAL;
    }
    sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(db, 1);
    if (!readonly &&
        db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;") < 0) {
        sqlite3_close(db);
        return AVERROR_EXTERNAL;
    }
    if (readonly)
        db_exec(db, "PRAGMA foreign_keys=ON;");
    *dbp = db;
    return 0;
}

int db_private(const char *path)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
    char name[4096];
    struct stat st;
    size_t i;

    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        if (snprintf(name, sizeof(name), "%s%s", path, suffix[i]) >= (int)sizeof(name))
            return AVERROR(ENAMETOOLONG);
        if (stat(name, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 077))
            continue;
        if (chmod(name, st.st_mode & 0700) < 0) {
            int err = errno;
            log_warn("%s: holds accounts but is readable by others, and: %s", name,
                     strerror(err));
            return AVERROR(err);
        }
        log_info("%s: holds accounts: made private (mode %o)", name, st.st_mode & 0700);
    }
    return 0;
}

void db_close(sqlite3 **db)
{
    if (!*db)
        return;
    sqlite3_close_v2(*db);
    *db = NULL;
}

int db_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_error("%s: database: %s", sqlite3_db_filename(db, "main"),
                  err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        return AVERROR_EXTERNAL;
    }
    return 0;
}

int db_begin(sqlite3 *db)
{
    return db_exec(db, "BEGIN IMMEDIATE");
}

int db_commit(sqlite3 *db)
{
    return db_exec(db, "COMMIT");
}

void db_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int db_rows_end(sqlite3 *db, int rc)
{
    if (rc == SQLITE_DONE)
        return 0;
    log_error("database: reading rows: %s", sqlite3_errmsg(db));
    return AVERROR_EXTERNAL;
}

int db_collect_rows(sqlite3_stmt *st, size_t elsize, size_t first,
                    void (*read_row)(sqlite3_stmt *st, void *elem), void **out, int *n,
                    int *rc)
{
    char *l = NULL;
    int cnt = 0, cap = 0, ret;

    while ((*rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((ret = array_reserve(&l, cnt, &cap, elsize, first)) < 0) {
            free(l);
            return ret;
        }
        read_row(st, l + (size_t)cnt++ * elsize);
    }
    if (*rc != SQLITE_DONE) {
        free(l);
        return AVERROR_EXTERNAL;
    }
    *out = l;
    *n = cnt;
    return 0;
}

int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        log_error("database: %s (in: %.80s)", sqlite3_errmsg(db), sql);
        return AVERROR_EXTERNAL;
    }
    return 0;
}
