/*
 * dbread.c: read-only lookups in the shared database. See dbread.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>
#include <libavutil/error.h>

#include "array.h"
#include "db.h"
#include "dbread.h"
#include "log.h"

enum {
    ST_STREAM, ST_STREAMS, ST_EDGE, ST_UNPUBLISHED, ST_GUARDS, ST_UNPUBLISHED_LIST,
    ST_UNPUBLISHED_KIND, ST_COUNT
};

static const char *const sql[ST_COUNT] = {
    [ST_STREAM] = "SELECT name, state, availability_start, segment_duration, next_seq, updated"
                  " FROM streams WHERE name = ?1",
    [ST_STREAMS] = "SELECT name, state, availability_start, segment_duration, next_seq, updated"
                   " FROM streams WHERE NOT EXISTS (SELECT 1 FROM segments g"
                   " WHERE g.stream = streams.name)"
                   " OR EXISTS (SELECT 1 FROM segments g WHERE g.stream = streams.name"
                   " AND NOT g.gap) ORDER BY state = 'live' DESC, name",
    [ST_EDGE] = "SELECT data, mtime FROM edge_cache WHERE path = ?1",
    [ST_UNPUBLISHED] = "SELECT (SELECT COUNT(*) FROM unpublished),"
                       " (SELECT COUNT(*) FROM segments WHERE gap)",
    [ST_UNPUBLISHED_LIST] = "SELECT stream, kind FROM unpublished ORDER BY at DESC, stream"
                            " LIMIT 100",
    [ST_UNPUBLISHED_KIND] = "SELECT COUNT(*) FROM unpublished WHERE kind = ?1",
    [ST_GUARDS] = "SELECT g.stream, g.level, g.step, g.lag, g.down, g.up FROM transcode_guard g"
                  " JOIN streams s ON s.name = g.stream WHERE s.state = 'live'"
                  " ORDER BY g.stream LIMIT 1000",
};

typedef struct Handle {
    struct Handle *next;
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
} Handle;

struct DbRead {
    char *path;
    pthread_mutex_t lock;
    Handle *pool;          /* idle handles */
    time_t last_try;       /* last failed open, to retry at most once a second */
};

int dbread_new(const char *path, DbRead **out)
{
    DbRead *d = calloc(1, sizeof(*d));
    if (!d)
        return AVERROR(ENOMEM);
    if (path && !(d->path = strdup(path))) {
        free(d);
        return AVERROR(ENOMEM);
    }
    pthread_mutex_init(&d->lock, NULL);
    *out = d;
    return 0;
}

static void handle_free(Handle *h)
{
    int i;
    for (i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(h->st[i]);
    sqlite3_close_v2(h->db);
    free(h);
}

void dbread_free(DbRead **pd)
{
    DbRead *d = *pd;
    if (!d)
        return;
    while (d->pool) {
        Handle *h = d->pool;
        d->pool = h->next;
        handle_free(h);
    }
    pthread_mutex_destroy(&d->lock);
    free(d->path);
    free(d);
    *pd = NULL;
}

/* An idle handle, or a new one; NULL when there is no database (yet). */
static Handle *acquire(DbRead *d)
{
    Handle *h;
    struct stat st;
    time_t now;

    if (!d || !d->path)
        return NULL;
    pthread_mutex_lock(&d->lock);
    h = d->pool;
    if (h) {
        d->pool = h->next;
        pthread_mutex_unlock(&d->lock);
        return h;
    }
    now = time(NULL);
    if (d->last_try == now) {
        pthread_mutex_unlock(&d->lock);
        return NULL;
    }
    pthread_mutex_unlock(&d->lock);
    if (stat(d->path, &st) < 0 || !(h = calloc(1, sizeof(*h))))
        goto fail;
    /* Read-write without create, never written (query_only): a read-only
     * connection could not open a WAL database whose -shm is missing. */
    if (sqlite3_open_v2(d->path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        log_debug("%s: %s", d->path, sqlite3_errmsg(h->db));
        handle_free(h);
        goto fail;
    }
    sqlite3_busy_timeout(h->db, 2000);
    sqlite3_exec(h->db, "PRAGMA query_only=1", NULL, NULL, NULL);
    return h;
fail:
    pthread_mutex_lock(&d->lock);
    d->last_try = now;
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

static void release(DbRead *d, Handle *h)
{
    int i;
    for (i = 0; i < ST_COUNT; i++)
        if (h->st[i]) {
            sqlite3_reset(h->st[i]);
            sqlite3_clear_bindings(h->st[i]);
        }
    pthread_mutex_lock(&d->lock);
    h->next = d->pool;
    d->pool = h;
    pthread_mutex_unlock(&d->lock);
}

/* The prepared statement, or NULL when the table is not there (yet). */
static sqlite3_stmt *stmt(Handle *h, int which)
{
    if (!h->st[which] &&
        sqlite3_prepare_v3(h->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &h->st[which], NULL)
        != SQLITE_OK) {
        h->st[which] = NULL;
        return NULL;
    }
    return h->st[which];
}

static void row_stream(sqlite3_stmt *st, void *elem)
{
    DbStream *s = elem;
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *state = (const char *)sqlite3_column_text(st, 1);

    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
    s->live = state && !strcmp(state, "live");
    s->availability_start = sqlite3_column_double(st, 2);
    s->segment_duration = sqlite3_column_double(st, 3);
    s->next_seq = sqlite3_column_int64(st, 4);
    s->updated = sqlite3_column_double(st, 5);
}

int dbread_stream(DbRead *d, const char *name, DbStream *out)
{
    Handle *h = acquire(d);
    sqlite3_stmt *st;
    int r = AVERROR(ENOENT);

    if (!h)
        return r;
    if ((st = stmt(h, ST_STREAM))) {
        int rc;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            row_stream(st, out);
            r = 0;
        } else if (rc != SQLITE_DONE) {
            r = db_rows_end(h->db, rc);   /* busy or corrupt: an error, not "unknown" */
        }
    }
    release(d, h);
    return r;
}

/* Every row of statement which, read by read_row into *list (elsize
 * bytes each; the caller frees it) and *n. No db: none. 0 or AVERROR. */
static int list_rows(DbRead *d, int which, size_t elsize,
                     void (*read_row)(sqlite3_stmt *st, void *elem), void *list, int *n)
{
    Handle *h = acquire(d);
    sqlite3_stmt *st;
    void *l = NULL;
    int count = 0, r = 0, rc;

    memset(list, 0, sizeof(void *));
    *n = 0;
    if (!h)
        return 0;
    if ((st = stmt(h, which)) &&
        (r = db_collect_rows(st, elsize, 16, read_row, &l, &count, &rc)) == AVERROR_EXTERNAL)
        r = db_rows_end(h->db, rc);   /* never a truncated list */
    release(d, h);
    if (r < 0)
        return r;
    memcpy(list, &l, sizeof(l));
    *n = count;
    return 0;
}

int dbread_streams(DbRead *d, DbStream **list, int *n)
{
    return list_rows(d, ST_STREAMS, sizeof(DbStream), row_stream, list, n);
}

int dbread_unpublished_list(DbRead *d, DbUnpublished **list, int *n)
{
    Handle *h = acquire(d);
    sqlite3_stmt *st;
    DbUnpublished *l = NULL;
    int count = 0, r = 0, rc = SQLITE_DONE;

    *list = NULL;
    *n = 0;
    if (!h)
        return 0;
    if ((st = stmt(h, ST_UNPUBLISHED_LIST))) {
        if (!(l = calloc(DBREAD_UNPUBLISHED_MAX, sizeof(*l))))
            r = AVERROR(ENOMEM);
        while (!r && count < DBREAD_UNPUBLISHED_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            const char *kind = (const char *)sqlite3_column_text(st, 1);
            if (!name || !record_presentation_ok(name))
                continue;   /* never into /metrics as it came */
            snprintf(l[count].name, sizeof(l[count].name), "%s", name);
            snprintf(l[count].kind, sizeof(l[count].kind), "%s",
                     kind && record_name_ok(kind) ? kind : "other");
            count++;
        }
        if (!r)
            r = db_rows_end(h->db, rc == SQLITE_ROW ? SQLITE_DONE : rc);
    }
    release(d, h);
    if (r < 0) {
        free(l);
        return r;
    }
    if (!count) {
        free(l);
        l = NULL;
    }
    *list = l;
    *n = count;
    return 0;
}

int64_t dbread_unpublished_count(DbRead *d, const char *kind)
{
    Handle *h = acquire(d);
    sqlite3_stmt *st;
    int64_t count = 0;

    if (!h)
        return 0;
    if ((st = stmt(h, ST_UNPUBLISHED_KIND))) {
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            count = sqlite3_column_int64(st, 0);
    }
    release(d, h);
    return count;
}

static void row_guard(sqlite3_stmt *st, void *elem)
{
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *step = (const char *)sqlite3_column_text(st, 2);
    DbGuard *g = elem;

    memset(g, 0, sizeof(*g));
    snprintf(g->name, sizeof(g->name), "%s", name ? name : "");
    snprintf(g->step, sizeof(g->step), "%s", step ? step : "");
    g->level = sqlite3_column_int(st, 1);
    g->lag = sqlite3_column_double(st, 3);
    g->down = sqlite3_column_int64(st, 4);
    g->up = sqlite3_column_int64(st, 5);
}

int dbread_guards(DbRead *d, DbGuard **list, int *n)
{
    return list_rows(d, ST_GUARDS, sizeof(DbGuard), row_guard, list, n);
}

int dbread_unpublished(DbRead *d, int64_t *streams, int64_t *segments)
{
    Handle *h = acquire(d);
    sqlite3_stmt *st;
    int r = 0;

    *streams = *segments = 0;
    if (!h)
        return 0;
    if ((st = stmt(h, ST_UNPUBLISHED))) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *streams = sqlite3_column_int64(st, 0);
            *segments = sqlite3_column_int64(st, 1);
            rc = sqlite3_step(st);
        }
        r = db_rows_end(h->db, rc);
    }
    release(d, h);
    return r;
}

int dbread_edge(DbRead *d, const char *path, void **data, size_t *len, double *mtime)
{
    Handle *h = acquire(d);
    sqlite3_stmt *st;
    int r = AVERROR(ENOENT);

    if (!h)
        return r;
    if ((st = stmt(h, ST_EDGE))) {
        int rc;
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        if ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE) {
            r = db_rows_end(h->db, rc);
        } else if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
            const void *b = sqlite3_column_blob(st, 0);
            int n = sqlite3_column_bytes(st, 0);
            void *copy = malloc(n > 0 ? n : 1);
            if (!copy) {
                r = AVERROR(ENOMEM);
            } else {
                memcpy(copy, b, n);
                *data = copy;
                *len = n;
                *mtime = sqlite3_column_double(st, 1);
                r = 0;
            }
        }
    }
    release(d, h);
    return r;
}
