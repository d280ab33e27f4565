/* Unit tests for lib/db.c on a real SQLite file: creation mode, WAL,
 * transactions, rollback, db_private, the end-of-rows check and
 * db_collect_rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <libavutil/error.h>

#include "db.h"
#include "log.h"
#include "tap.h"

static int count_rows(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (db_prepare(db, "SELECT count(*) FROM t", &st) == 0 && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void read_x(sqlite3_stmt *st, void *elem)
{
    *(int *)elem = sqlite3_column_int(st, 0);
}

int main(void)
{
    char dir[512], path[600], name[640];
    const char *tmp = getenv("TMPDIR");
    sqlite3 *db = NULL, *ro = NULL;
    sqlite3_stmt *st = NULL;
    struct stat sb;
    int rc;

    log_init("test-db");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-db-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/live.db", dir);

    is_int(db_open(path, 0, &db), 0, "open creates the database");
    ok(db != NULL, "handle set");
    ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "a new db is mode 0600");
    ok(db_open(path, 0, &ro) == 0, "a second writer handle opens");
    db_close(&ro);
    ok(ro == NULL, "db_close clears the pointer");
    db_close(&ro);
    ok(1, "db_close on NULL is fine");

    /* WAL mode was set */
    ok(db_prepare(db, "PRAGMA journal_mode", &st) == 0 && sqlite3_step(st) == SQLITE_ROW &&
           !strcmp((const char *)sqlite3_column_text(st, 0), "wal"),
       "journal mode is WAL");
    sqlite3_finalize(st);
    st = NULL;

    is_int(db_exec(db, "CREATE TABLE t(x INTEGER PRIMARY KEY)"), 0, "exec creates a table");
    is_int(db_exec(db, "CREATE TABLE t(x)"), AVERROR_EXTERNAL, "a failing statement is AVERROR_EXTERNAL");
    is_int(db_prepare(db, "SELECT nope FROM nowhere", &st), AVERROR_EXTERNAL,
           "a bad statement does not prepare");

    is_int(db_begin(db), 0, "begin");
    ok(!sqlite3_get_autocommit(db), "in a transaction");
    db_exec(db, "INSERT INTO t VALUES(1); INSERT INTO t VALUES(2)");
    is_int(db_commit(db), 0, "commit");
    is_int(count_rows(db), 2, "committed rows are there");

    is_int(db_begin(db), 0, "begin again");
    db_exec(db, "INSERT INTO t VALUES(3)");
    db_rollback(db);
    ok(sqlite3_get_autocommit(db), "rollback ends the transaction");
    is_int(count_rows(db), 2, "rolled-back row is gone");
    db_rollback(db);
    ok(1, "rollback outside a transaction is harmless");

    /* the end of a loop over rows: done, or an error that is not the end */
    ok(db_prepare(db, "SELECT x FROM t ORDER BY x", &st) == 0, "prepare a select");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    is_int(db_rows_end(db, rc), 0, "SQLITE_DONE is the end of the rows");
    sqlite3_finalize(st);
    is_int(db_rows_end(db, SQLITE_BUSY), AVERROR_EXTERNAL, "busy is an error, not the end");

    /* db_collect_rows: every row in order, or nothing and the step's code */
    {
        void *v = NULL;
        int n = -1, *x;
        db_exec(db, "WITH RECURSIVE c(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM c WHERE i < 40)"
                    " INSERT INTO t SELECT i FROM c");
        ok(db_prepare(db, "SELECT x FROM t ORDER BY x", &st) == 0, "prepare a select of 40 rows");
        is_int(db_collect_rows(st, sizeof(int), 4, read_x, &v, &n, &rc), 0, "collected");
        x = v;
        ok(n == 40 && x[0] == 1 && x[1] == 2 && x[2] == 3 && x[39] == 40, "all 40, in order");
        is_int(rc, SQLITE_DONE, "to the end of the rows");
        free(v);
        sqlite3_finalize(st);
        v = NULL;
        n = -1;
        ok(db_prepare(db, "SELECT CASE WHEN x = 30 THEN abs(-9223372036854775807 - 1) ELSE x END"
                          " FROM t ORDER BY x", &st) == 0, "prepare a select failing at row 30");
        is_int(db_collect_rows(st, sizeof(int), 4, read_x, &v, &n, &rc), AVERROR_EXTERNAL,
               "a failing step is an error");
        ok(rc == SQLITE_ERROR && v == NULL && n == -1, "its code given back, nothing kept");
        sqlite3_finalize(st);
        db_exec(db, "DELETE FROM t WHERE x > 2");
    }

    /* a reader sees the committed rows; it cannot write */
    is_int(db_open(path, 1, &ro), 0, "read-only open");
    is_int(count_rows(ro), 2, "the reader sees the rows");
    ok(db_exec(ro, "INSERT INTO t VALUES(9)") < 0, "a read-only handle cannot write");
    db_close(&ro);

    snprintf(name, sizeof(name), "%s/missing.db", dir);
    ok(db_open(name, 1, &ro) < 0 && !ro, "read-only open of a missing file fails");

    /* db_private: group and other bits go, the owner's stay */
    chmod(path, 0644);
    is_int(db_private(path), 0, "db_private");
    ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "mode 0644 became 0600");
    snprintf(name, sizeof(name), "%s-wal", path);
    ok(stat(name, &sb) == 0 && !(sb.st_mode & 077), "the -wal file is private too");
    db_close(&db);

    snprintf(name, sizeof(name), "%s/plain.db", dir);
    unlink(name);
    is_int(db_open(":memory:", 0, &db), 0, "an in-memory db opens");
    db_close(&db);

    snprintf(name, sizeof(name), "rm -rf '%s'", dir);
    if (system(name) != 0)
        diag("could not remove %s", dir);
    return done();
}
