/*
 * db.h: the one SQLite database (--db, default live.db) that live-package,
 * live-serve and live-resume share. WAL mode, so readers (live-serve)
 * never block the writer (live-package); a busy database is waited on
 * (busy timeout), not failed.
 *
 * Each module owns its tables and creates them with its own
 * "CREATE TABLE IF NOT EXISTS" through db_exec; this file only opens,
 * configures and wraps transactions.
 */
#ifndef LIVE_DB_H
#define LIVE_DB_H

#include <sqlite3.h>

#define DB_DEFAULT_PATH "live.db"
/* How long a statement waits for another writer's lock, in ms. */
#define DB_BUSY_TIMEOUT_MS 30000

/* Open (creating it unless readonly, mode 0600) and configure. *db is set on success;
 * close it with db_close. Returns 0 or a negative AVERROR (the SQLite
 * error is logged with the path). */
int db_open(const char *path, int readonly, sqlite3 **db);
void db_close(sqlite3 **db);

/* Take group and other permissions off the db at path and its -wal,
 * -shm and -journal files (those that exist): it holds accounts. A new
 * db is created 0600 by db_open already. 0, or the chmod's AVERROR
 * (logged). */
int db_private(const char *path);

/* Run one or more statements without results. 0 or AVERROR_EXTERNAL
 * (logged with the SQLite message). */
int db_exec(sqlite3 *db, const char *sql);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. db_rollback never fails. */
int db_begin(sqlite3 *db);
int db_commit(sqlite3 *db);
void db_rollback(sqlite3 *db);

/* Prepare a statement; 0 or AVERROR_EXTERNAL (logged). */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st);

/* How a loop over rows ended: rc is the last sqlite3_step's. 0 for
 * SQLITE_DONE (every row was read); anything else (busy, corrupt, I/O)
 * is logged and gives AVERROR_EXTERNAL, so an error is never taken for
 * the end of the rows (a truncated manifest). */
int db_rows_end(sqlite3 *db, int rc);

/*
 * Step st to its end (neither reset nor finalized: the caller's), each
 * row read by read_row into a growing array of elsize-byte elements
 * (room for first at first). 0 with *out (the caller frees it; NULL
 * without rows) and *n when every row was read; AVERROR(ENOMEM); or, a
 * step failing, AVERROR_EXTERNAL with its code in *rc for the caller to
 * report (db_rows_end, or its own message). Nothing is kept on failure.
 */
int db_collect_rows(sqlite3_stmt *st, size_t elsize, size_t first,
                    void (*read_row)(sqlite3_stmt *st, void *elem), void **out, int *n,
                    int *rc);

#endif
