/*
 * account.c: viewer accounts, sessions and watch positions. See account.h
 * for the contract; live-resume(1) for the schema. The login rate limiter
 * is ratelimit.c; position writes and session refreshes are committed in
 * batches by groupcommit.c's writer thread (commit_batch below).
 *
 * Locking: `lock` guards the write connection and its prepared
 * statements, `rlock` the read connection and its own (a statement is
 * bound, stepped and reset under its lock); `hash_lock` with
 * `hash_cond` counts the argon2 computations in progress (never held
 * while hashing). The rate limiter and the writer queue lock inside
 * their own files. No two locks are ever held at once.
 *
 * The HTTP API waits for a position write with its request suspended, so
 * the server's few event threads keep serving meanwhile.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/error.h>
#include <sodium.h>

#include "account.h"
#include "array.h"
#include "clock.h"
#include "db.h"
#include "groupcommit.h"
#include "log.h"
#include "ratelimit.h"

#define TOKEN_BYTES 32
#define TOKEN_HASH_BYTES 32

enum {
    ST_USER_ADD, ST_USER_DEL, ST_USER_GET, ST_USER_LIST, ST_USER_PASSWD,
    ST_SESSION_ADD, ST_SESSION_GET, ST_SESSION_TOUCH, ST_SESSION_DEL,
    ST_SESSION_EXPIRE, ST_SESSION_DROP, ST_SESSION_USER_DEL, ST_POS_TRIM, ST_POS_GET, ST_POS_SET, ST_POS_LIST, ST_COUNT
};

static const char *const statements[ST_COUNT] = {
    [ST_USER_ADD] = "INSERT INTO users(name, hash, created) VALUES(?1, ?2, ?3)",
    [ST_USER_DEL] = "DELETE FROM users WHERE name = ?1",
    [ST_USER_GET] = "SELECT id, name, created, hash FROM users WHERE name = ?1",
    [ST_USER_LIST] = "SELECT id, name, created FROM users ORDER BY name",
    [ST_USER_PASSWD] = "UPDATE users SET hash = ?2 WHERE name = ?1",
    [ST_SESSION_ADD] = "INSERT INTO sessions(token_hash, user_id, created, expires, seen) "
                       "VALUES(?1, ?2, ?3, ?4, ?3)",
    [ST_SESSION_GET] = "SELECT s.user_id, s.expires, s.seen, u.name, u.created "
                       "FROM sessions s JOIN users u ON u.id = s.user_id "
                       "WHERE s.token_hash = ?1",
    [ST_SESSION_TOUCH] = "UPDATE sessions SET expires = ?2, seen = ?3 WHERE token_hash = ?1",
    [ST_SESSION_DEL] = "DELETE FROM sessions WHERE token_hash = ?1",
    [ST_SESSION_USER_DEL] = "DELETE FROM sessions WHERE user_id = "
                            "(SELECT id FROM users WHERE name = ?1) AND token_hash IS NOT ?2",
    [ST_SESSION_EXPIRE] = "DELETE FROM sessions WHERE expires <= ?1",
    /* an expired session met by a check; not if a refresh queued before won */
    [ST_SESSION_DROP] = "DELETE FROM sessions WHERE token_hash = ?1 AND expires <= ?2",
    [ST_POS_GET] = "SELECT stream, seconds, updated FROM positions "
                   "WHERE user_id = ?1 AND stream = ?2",
    [ST_POS_SET] = "INSERT INTO positions(user_id, stream, seconds, updated) "
                   "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(user_id, stream) "
                   "DO UPDATE SET seconds = excluded.seconds, updated = excluded.updated",
    /* keep a user's ?2 most recent positions */
    [ST_POS_TRIM] = "DELETE FROM positions WHERE user_id = ?1 AND stream IN "
                    "(SELECT stream FROM positions WHERE user_id = ?1 "
                    "ORDER BY updated DESC, stream LIMIT -1 OFFSET ?2)",
    [ST_POS_LIST] = "SELECT stream, seconds, updated FROM positions "
                    "WHERE user_id = ?1 ORDER BY stream",
};

static int is_read(int i)
{
    return i == ST_USER_GET || i == ST_USER_LIST || i == ST_SESSION_GET ||
           i == ST_POS_GET || i == ST_POS_LIST;
}

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS users("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " hash TEXT NOT NULL,"          /* crypto_pwhash_str: $argon2id$... */
    " created REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions("
    " token_hash BLOB PRIMARY KEY," /* BLAKE2b-256 of the 32 token bytes */
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " created REAL NOT NULL,"
    " expires REAL NOT NULL,"
    " seen REAL NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);"
    "CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires);"
    "CREATE TABLE IF NOT EXISTS positions("
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " stream TEXT NOT NULL,"
    " seconds REAL NOT NULL,"
    " updated REAL NOT NULL,"
    " PRIMARY KEY(user_id, stream)) WITHOUT ROWID;";

/* A position write queued for the writer thread: on the caller's stack
 * (account_position_set, which waits for done) or malloc'ed with a
 * callback (account_position_set_async; freed after the callback). */
enum { WRITE_POSITION, WRITE_TOUCH, WRITE_DROP };

typedef struct PosWrite {
    GroupCommitItem item;       /* first: the writer's list and result */
    int kind;                   /* WRITE_*: a position, or a session's */
    unsigned char token_hash[TOKEN_HASH_BYTES];  /* (sessions) */
    int64_t user_id;
    char stream[ACCOUNT_STREAM_MAX + 1];
    double seconds, now;
    AccountWriteDone cb;
    void *opaque;
} PosWrite;

struct Account {
    AccountConfig cfg;
    sqlite3 *db;                /* writes */
    sqlite3_stmt *st[ST_COUNT];
    pthread_mutex_t lock;
    sqlite3 *rdb;               /* reads: never wait for a writer (WAL) */
    sqlite3_stmt *rst[ST_COUNT];
    pthread_mutex_t rlock;

    pthread_mutex_t hash_lock;
    pthread_cond_t hash_cond;
    int hashing;
    char *dummy_hash;   /* verified against for unknown users */

    /* Position writes and session refreshes: one transaction a batch. */
    GroupCommit *writer;
    RateLimit *limit;           /* login attempts */
};

double account_now(const Account *a)
{
    return a->cfg.now ? a->cfg.now() : clock_real();
}

int account_position_write_allowed(Account *a, const char *token, double *retry_after)
{
    RateLimitKey k = { 's', token, a->cfg.position_burst, a->cfg.position_period };
    double wait = 0;
    int ret = 0;

    if (a->cfg.position_period > 0)
        ret = ratelimit_take(a->limit, &k, 1, account_now(a), &wait);

    if (retry_after)
        *retry_after = wait;
    return ret;
}

double account_session_ttl(const Account *a)
{
    return a->cfg.session_ttl;
}

void account_config_default(AccountConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->session_ttl = 30 * 86400.0;
    cfg->session_refresh = 300;
    cfg->max_hashing = 2;
    cfg->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    cfg->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    cfg->user_burst = 5;
    cfg->user_period = 12;  /* then 5 a minute */
    cfg->ip_burst = 20;
    cfg->ip_period = 3;     /* then 20 a minute */
    cfg->slow_max = 2;
    cfg->position_burst = ACCOUNT_POSITION_BURST;
    cfg->position_period = ACCOUNT_POSITION_PERIOD;
}

int account_schema(sqlite3 *db)
{
    return db_exec(db, schema_sql);
}

/* Valid UTF-8 (no overlongs, surrogates or values past U+10FFFF), no C0
 * controls or DEL, 1..max bytes; with noslash, no '/'. */
static int valid_name(const char *s, size_t max, int noslash)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);

    if (!len || len > max)
        return 0;
    while (*p) {
        unsigned c = *p, n, cp, i;
        if (c < 0x20 || c == 0x7f || (noslash && c == '/'))
            return 0;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            n = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3, cp = c & 0x07;
        else
            return 0;
        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        p += n + 1;
    }
    return 1;
}

int account_valid_user_name(const char *name)
{
    return name && valid_name(name, ACCOUNT_NAME_MAX, 0);
}

int account_valid_stream_name(const char *name)
{
    return name && valid_name(name, ACCOUNT_STREAM_MAX, 1);
}

static int valid_password(const char *pw)
{
    size_t len = pw ? strlen(pw) : 0;
    return len > 0 && len <= ACCOUNT_PASSWORD_MAX;
}

static void commit_batch(void *ctx, GroupCommitItem *batch);

int account_open(const char *path, const AccountConfig *cfg, Account **out)
{
    Account *a;
    int i, ret;

    if (sodium_init() < 0) {
        log_error("libsodium failed to initialise");
        return AVERROR_EXTERNAL;
    }
    a = calloc(1, sizeof(*a));
    if (!a)
        return AVERROR(ENOMEM);
    if (cfg)
        a->cfg = *cfg;
    else
        account_config_default(&a->cfg);
    if (a->cfg.max_hashing < 1)
        a->cfg.max_hashing = 1;
    pthread_mutex_init(&a->lock, NULL);
    pthread_mutex_init(&a->rlock, NULL);
    pthread_mutex_init(&a->hash_lock, NULL);
    pthread_cond_init(&a->hash_cond, NULL);
    if ((ret = ratelimit_new(&a->limit)) < 0)
        goto fail;
    if ((ret = db_open(path, 0, &a->db)) < 0 ||
        (ret = account_schema(a->db)) < 0)
        goto fail;
    if (strcmp(path, ":memory:"))
        db_private(path);   /* accounts are in it now (a failure is logged) */
    if ((ret = db_open(path, 0, &a->rdb)) < 0)
        goto fail;
    for (i = 0; i < ST_COUNT; i++)
        if ((ret = db_prepare(is_read(i) ? a->rdb : a->db, statements[i],
                              is_read(i) ? &a->rst[i] : &a->st[i])) < 0)
            goto fail;
    if ((ret = groupcommit_new(&a->writer, commit_batch, a)) < 0)
        goto fail;
    *out = a;
    return 0;
fail:
    account_close(&a);
    return ret;
}

void account_close(Account **ap)
{
    Account *a = *ap;
    int i;

    if (!a)
        return;
    groupcommit_free(&a->writer);   /* it commits what is queued, then ends */
    for (i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(a->st[i]);
        sqlite3_finalize(a->rst[i]);
    }
    db_close(&a->db);
    db_close(&a->rdb);
    pthread_mutex_destroy(&a->lock);
    pthread_mutex_destroy(&a->rlock);
    pthread_mutex_destroy(&a->hash_lock);
    pthread_cond_destroy(&a->hash_cond);
    ratelimit_free(&a->limit);
    free(a->dummy_hash);
    free(a);
    *ap = NULL;
}

/* Take statement i for use (locking its connection); give it back with
 * put(). Reads go to the read connection, writes to the write one. */
static sqlite3_stmt *take(Account *a, int i)
{
    if (is_read(i)) {
        pthread_mutex_lock(&a->rlock);
        return a->rst[i];
    }
    pthread_mutex_lock(&a->lock);
    return a->st[i];
}

static void put(Account *a, sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    pthread_mutex_unlock(sqlite3_db_handle(st) == a->rdb ? &a->rlock : &a->lock);
}

/* A step that failed: log it, map it to an AVERROR. */
static int step_error(Account *a, int rc, const char *what)
{
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return rc == SQLITE_CONSTRAINT_FOREIGNKEY ? AVERROR(ENOENT) : AVERROR(EEXIST);
    log_error("%s: database: %s: %s (%d)", sqlite3_db_filename(a->db, "main"), what,
              sqlite3_errstr(rc), rc);
    return AVERROR_EXTERNAL;
}

/* ---- hashing ---------------------------------------------------------- */

static void hash_enter(Account *a)
{
    pthread_mutex_lock(&a->hash_lock);
    while (a->hashing >= a->cfg.max_hashing)
        pthread_cond_wait(&a->hash_cond, &a->hash_lock);
    a->hashing++;
    pthread_mutex_unlock(&a->hash_lock);
}

static void hash_leave(Account *a)
{
    pthread_mutex_lock(&a->hash_lock);
    a->hashing--;
    pthread_cond_signal(&a->hash_cond);
    pthread_mutex_unlock(&a->hash_lock);
}

static int hash_password(Account *a, const char *pw, char out[crypto_pwhash_STRBYTES])
{
    int rc;

    hash_enter(a);
    rc = crypto_pwhash_str_alg(out, pw, strlen(pw), a->cfg.opslimit, a->cfg.memlimit,
                               crypto_pwhash_ALG_ARGON2ID13);
    hash_leave(a);
    if (rc) {
        log_error("password hashing failed (out of memory?)");
        return AVERROR(ENOMEM);
    }
    return 0;
}

static int verify_password(Account *a, const char *hash, const char *pw)
{
    int rc;

    hash_enter(a);
    rc = crypto_pwhash_str_verify(hash, pw, strlen(pw));
    hash_leave(a);
    return rc == 0;
}

/* A hash of a random password with the configured limits, made once:
 * checking an unknown user's password against it costs what a real check
 * costs, so the time taken does not tell which names exist. */
static const char *dummy_hash(Account *a)
{
    char buf[crypto_pwhash_STRBYTES], pw[33];
    unsigned char rnd[16];
    const char *h;

    pthread_mutex_lock(&a->hash_lock);
    h = a->dummy_hash;
    pthread_mutex_unlock(&a->hash_lock);
    if (h)
        return h;
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(pw, sizeof(pw), rnd, sizeof(rnd));
    if (hash_password(a, pw, buf) < 0)
        return NULL;
    pthread_mutex_lock(&a->hash_lock);
    if (!a->dummy_hash)
        a->dummy_hash = strdup(buf);
    h = a->dummy_hash;
    pthread_mutex_unlock(&a->hash_lock);
    return h;
}

/* ---- users ------------------------------------------------------------ */

static void read_user(sqlite3_stmt *st, AccountUser *u)
{
    const char *name = (const char *)sqlite3_column_text(st, 1);

    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(st, 0);
    snprintf(u->name, sizeof(u->name), "%s", name ? name : "");
    u->created = sqlite3_column_double(st, 2);
}

int account_user_add(Account *a, const char *name, const char *password)
{
    char hash[crypto_pwhash_STRBYTES];
    sqlite3_stmt *st;
    int rc, ret;

    if (!account_valid_user_name(name) || !valid_password(password))
        return AVERROR(EINVAL);
    if ((ret = hash_password(a, password, hash)) < 0)
        return ret;
    st = take(a, ST_USER_ADD);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, account_now(a));
    rc = sqlite3_step(st);
    ret = rc == SQLITE_DONE ? 0 : step_error(a, rc, "adding a user");
    put(a, st);
    sodium_memzero(hash, sizeof(hash));
    return ret;
}

int account_user_del(Account *a, const char *name)
{
    sqlite3_stmt *st;
    int rc, ret;

    if (!account_valid_user_name(name))
        return AVERROR(ENOENT);
    st = take(a, ST_USER_DEL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        ret = sqlite3_changes(a->db) ? 0 : AVERROR(ENOENT);
    else
        ret = step_error(a, rc, "deleting a user");
    put(a, st);
    return ret;
}

static int token_hash(const char *token, unsigned char out[TOKEN_HASH_BYTES]);

/* Store a new hash for name; with end_sessions, also end the user's
 * sessions but keep's (NULL: all), in one transaction. */
static int set_password(Account *a, const char *name, const char *password, int end_sessions,
                        const char *keep)
{
    char hash[crypto_pwhash_STRBYTES];
    unsigned char kh[TOKEN_HASH_BYTES];
    int have_keep = keep && token_hash(keep, kh) == 0;
    sqlite3_stmt *st;
    int rc, ret;

    if (!valid_password(password))
        return AVERROR(EINVAL);
    if (!account_valid_user_name(name))
        return AVERROR(ENOENT);
    if ((ret = hash_password(a, password, hash)) < 0)
        return ret;
    st = take(a, ST_USER_PASSWD);   /* a->lock: the write connection is ours */
    if ((ret = db_begin(a->db)) < 0)
        goto end;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        ret = sqlite3_changes(a->db) ? 0 : AVERROR(ENOENT);
    else
        ret = step_error(a, rc, "changing a password");
    if (ret == 0 && end_sessions) {
        sqlite3_stmt *del = a->st[ST_SESSION_USER_DEL];
        sqlite3_bind_text(del, 1, name, -1, SQLITE_STATIC);
        if (have_keep)
            sqlite3_bind_blob(del, 2, kh, sizeof(kh), SQLITE_STATIC);
        else
            sqlite3_bind_null(del, 2);
        rc = sqlite3_step(del);
        if (rc != SQLITE_DONE)
            ret = step_error(a, rc, "ending the sessions of a changed password");
        sqlite3_reset(del);
        sqlite3_clear_bindings(del);
    }
    if (ret == 0)
        ret = db_commit(a->db);
    if (ret < 0)
        db_rollback(a->db);
end:
    put(a, st);
    sodium_memzero(hash, sizeof(hash));
    return ret;
}

int account_user_passwd(Account *a, const char *name, const char *password)
{
    return set_password(a, name, password, 1, NULL);
}

int account_user_passwd_keep(Account *a, const char *name, const char *password,
                             const char *keep_token)
{
    return set_password(a, name, password, 1, keep_token);
}

/* Look a user up; with hash non-NULL also copy the password hash. */
static int user_get(Account *a, const char *name, AccountUser *user,
                    char hash[crypto_pwhash_STRBYTES])
{
    sqlite3_stmt *st;
    int rc, ret;

    if (!account_valid_user_name(name))
        return AVERROR(ENOENT);
    st = take(a, ST_USER_GET);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(st, 3);
        if (user)
            read_user(st, user);
        if (hash)
            snprintf(hash, crypto_pwhash_STRBYTES, "%s", h ? h : "");
        ret = 0;
    } else if (rc == SQLITE_DONE) {
        ret = AVERROR(ENOENT);
    } else {
        ret = step_error(a, rc, "looking up a user");
    }
    put(a, st);
    return ret;
}

int account_user_get(Account *a, const char *name, AccountUser *user)
{
    return user_get(a, name, user, NULL);
}

/* Step st (taken with take(), given back here) to the end, reading each
 * row into a growing array of elsize-byte elements with read_row.
 * *out (free) and *n on success; what names the query in errors. */
static int collect_rows(Account *a, sqlite3_stmt *st, size_t elsize,
                        void (*read_row)(sqlite3_stmt *st, void *elem), const char *what,
                        void **out, int *n)
{
    int rc, ret = db_collect_rows(st, elsize, 16, read_row, out, n, &rc);

    if (ret == AVERROR_EXTERNAL)
        ret = step_error(a, rc, what);
    put(a, st);
    return ret;
}

static void read_user_row(sqlite3_stmt *st, void *elem)
{
    read_user(st, elem);
}

int account_user_list(Account *a, AccountUser **users, int *n)
{
    void *v;
    int ret = collect_rows(a, take(a, ST_USER_LIST), sizeof(AccountUser), read_user_row,
                           "listing users", &v, n);
    if (ret == 0)
        *users = v;
    return ret;
}

/* ---- rate limiting ---------------------------------------------------- */

/*
 * The login buckets of name and ip (ip NULL or "": none): the (account,
 * address) pair's and the address's, which refuse (wrong passwords lock
 * out their own address only), then the account's over all addresses,
 * which only slows attempts down (see account.h). pair is the pair's id
 * (ACCOUNT_NAME_MAX + 80 bytes).
 */
static void login_keys(const Account *a, const char *name, const char *ip, char *pair,
                       RateLimitKey keys[3])
{
    snprintf(pair, ACCOUNT_NAME_MAX + 80, "%.64s\n%s", ip ? ip : "", name);
    keys[0] = (RateLimitKey){ 'p', pair, a->cfg.user_burst, a->cfg.user_period };
    keys[1] = (RateLimitKey){ 'i', ip && *ip ? ip : NULL, a->cfg.ip_burst, a->cfg.ip_period };
    keys[2] = (RateLimitKey){ 'u', name, a->cfg.user_burst, a->cfg.user_period };
}

/* ---- sessions --------------------------------------------------------- */

/* The stored form of a token: BLAKE2b-256 of its 32 bytes. ENOENT when
 * the text is not a well-formed token. */
static int token_hash(const char *token, unsigned char out[TOKEN_HASH_BYTES])
{
    unsigned char raw[TOKEN_BYTES];
    size_t len = 0;

    if (!token || strlen(token) != ACCOUNT_TOKEN_LEN ||
        sodium_base642bin(raw, sizeof(raw), token, ACCOUNT_TOKEN_LEN, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
        len != TOKEN_BYTES)
        return AVERROR(ENOENT);
    crypto_generichash(out, TOKEN_HASH_BYTES, raw, sizeof(raw), NULL, 0);
    sodium_memzero(raw, sizeof(raw));
    return 0;
}

static int session_new(Account *a, int64_t user_id, char *token)
{
    unsigned char raw[TOKEN_BYTES], h[TOKEN_HASH_BYTES];
    double now = account_now(a);
    sqlite3_stmt *st;
    int rc, ret;

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(token, ACCOUNT_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    crypto_generichash(h, sizeof(h), raw, sizeof(raw), NULL, 0);
    sodium_memzero(raw, sizeof(raw));
    st = take(a, ST_SESSION_ADD);
    sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_double(st, 3, now);
    sqlite3_bind_double(st, 4, now + a->cfg.session_ttl);
    rc = sqlite3_step(st);
    ret = rc == SQLITE_DONE ? 0 : step_error(a, rc, "adding a session");
    put(a, st);
    if (ret < 0)
        sodium_memzero(token, ACCOUNT_TOKEN_LEN + 1);
    return ret;
}

/* The rate limits, then the password of name: 0 with *user, EACCES,
 * EAGAIN (with *retry_after, which may be NULL). */
static int check_password(Account *a, const char *name, const char *password,
                          const char *ip, AccountUser *user, double *retry_after)
{
    char hash[crypto_pwhash_STRBYTES];
    char pair[ACCOUNT_NAME_MAX + 80];
    RateLimitKey keys[3];
    AccountUser u;
    double wait = 0, slow = 0;
    const char *h;
    int ret, known, good;

    if (retry_after)
        *retry_after = 0;
    if (!name || !password)
        return AVERROR(EACCES);
    login_keys(a, name, ip, pair, keys);
    if (ratelimit_take(a->limit, keys, 2, account_now(a), &wait) < 0) {
        if (retry_after)
            *retry_after = wait;
        return AVERROR(EAGAIN);
    }
    if (ratelimit_take(a->limit, &keys[2], 1, account_now(a), &slow) < 0 && slow > 0) {
        /* the account is under attack from elsewhere: slower, not refused */
        slow = slow < a->cfg.slow_max ? slow : a->cfg.slow_max;
        struct timespec ts = { (time_t)slow, (long)((slow - (time_t)slow) * 1e9) };
        log_debug("login for '%s' slowed down by %.1f s", name, slow);
        nanosleep(&ts, NULL);
    }
    ret = user_get(a, name, &u, hash);
    if (ret < 0 && ret != AVERROR(ENOENT))
        return ret;
    known = ret == 0;
    h = known ? hash : dummy_hash(a);
    if (!h)
        return AVERROR(ENOMEM);
    /* Over-long passwords are refused only after the same work. */
    good = verify_password(a, h, valid_password(password) ? password : "") &&
           known && valid_password(password);
    if (good && crypto_pwhash_str_needs_rehash(hash, a->cfg.opslimit, a->cfg.memlimit) == 1)
        set_password(a, name, password, 0, NULL);  /* best effort: new limits */
    sodium_memzero(hash, sizeof(hash));
    if (!good)
        return AVERROR(EACCES);
    ratelimit_fill(a->limit, &keys[0], account_now(a));
    ratelimit_fill(a->limit, &keys[2], account_now(a));
    *user = u;
    return 0;
}

int account_login(Account *a, const char *name, const char *password,
                  const char *ip, char *token, AccountUser *user,
                  double *retry_after)
{
    AccountUser u;
    int ret;

    if ((ret = check_password(a, name, password, ip, &u, retry_after)) < 0)
        return ret;
    account_expire(a);
    if ((ret = session_new(a, u.id, token)) < 0)
        return ret;
    if (user)
        *user = u;
    return 0;
}

int account_check(Account *a, const char *name, const char *password, const char *ip,
                  double *retry_after)
{
    AccountUser u;
    return check_password(a, name, password, ip, &u, retry_after);
}

static int queue_session_write(Account *a, int kind, const unsigned char *h, double now);

int account_session(Account *a, const char *token, AccountUser *user, int *refreshed)
{
    unsigned char h[TOKEN_HASH_BYTES];
    double now = account_now(a), expires = 0, seen = 0;
    sqlite3_stmt *st;
    int rc, ret;

    if (refreshed)
        *refreshed = 0;
    if ((ret = token_hash(token, h)) < 0)
        return ret;
    st = take(a, ST_SESSION_GET);
    sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 3);
        memset(user, 0, sizeof(*user));
        user->id = sqlite3_column_int64(st, 0);
        expires = sqlite3_column_double(st, 1);
        seen = sqlite3_column_double(st, 2);
        snprintf(user->name, sizeof(user->name), "%s", name ? name : "");
        user->created = sqlite3_column_double(st, 4);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? AVERROR(ENOENT) : step_error(a, rc, "checking a session");
    }
    put(a, st);
    /* Deleting an expired session and moving a live one's expiry are
     * left to the writer thread: a check never waits for the write lock
     * (which live-package may hold for a while). */
    if (!ret && expires <= now) {
        queue_session_write(a, WRITE_DROP, h, now);
        ret = AVERROR(ENOENT);
    } else if (!ret && now - seen >= a->cfg.session_refresh) {
        if (queue_session_write(a, WRITE_TOUCH, h, now) == 0 && refreshed)
            *refreshed = 1;
    }
    return ret;
}

int account_logout(Account *a, const char *token)
{
    unsigned char h[TOKEN_HASH_BYTES];
    sqlite3_stmt *st;
    int rc, ret;

    if ((ret = token_hash(token, h)) < 0)
        return ret;
    st = take(a, ST_SESSION_DEL);
    sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        ret = sqlite3_changes(a->db) ? 0 : AVERROR(ENOENT);
    else
        ret = step_error(a, rc, "deleting a session");
    put(a, st);
    return ret;
}

int account_expire(Account *a)
{
    sqlite3_stmt *st;
    int rc, ret;

    st = take(a, ST_SESSION_EXPIRE);
    sqlite3_bind_double(st, 1, account_now(a));
    rc = sqlite3_step(st);
    ret = rc == SQLITE_DONE ? sqlite3_changes(a->db) : step_error(a, rc, "expiring sessions");
    put(a, st);
    return ret;
}

/* ---- positions -------------------------------------------------------- */

static void read_position(sqlite3_stmt *st, AccountPosition *p)
{
    const char *s = (const char *)sqlite3_column_text(st, 0);

    memset(p, 0, sizeof(*p));
    snprintf(p->stream, sizeof(p->stream), "%s", s ? s : "");
    p->seconds = sqlite3_column_double(st, 1);
    p->updated = sqlite3_column_double(st, 2);
}

int account_position_get(Account *a, int64_t user_id, const char *stream,
                         AccountPosition *pos)
{
    sqlite3_stmt *st;
    int rc, ret;

    if (!account_valid_stream_name(stream))
        return AVERROR(ENOENT);
    st = take(a, ST_POS_GET);
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_position(st, pos);
        ret = 0;
    } else {
        ret = rc == SQLITE_DONE ? AVERROR(ENOENT) : step_error(a, rc, "reading a position");
    }
    put(a, st);
    return ret;
}

/* Commit a batch of queued writes in one transaction (groupcommit.c's
 * writer thread). Sets each item's ret. */
static void commit_batch(void *ctx, GroupCommitItem *batch)
{
    Account *a = ctx;
    GroupCommitItem *it;
    PosWrite *w;
    int rc, ret;

    pthread_mutex_lock(&a->lock);
    ret = db_begin(a->db);
    for (it = batch; it; it = it->next) {
        sqlite3_stmt *st;
        w = (PosWrite *)it;
        if (ret < 0) {
            it->ret = ret;
            continue;
        }
        if (w->kind == WRITE_POSITION) {
            st = a->st[ST_POS_SET];
            sqlite3_bind_int64(st, 1, w->user_id);
            sqlite3_bind_text(st, 2, w->stream, -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 3, w->seconds);
            sqlite3_bind_double(st, 4, w->now);
        } else if (w->kind == WRITE_TOUCH) {
            st = a->st[ST_SESSION_TOUCH];
            sqlite3_bind_blob(st, 1, w->token_hash, TOKEN_HASH_BYTES, SQLITE_STATIC);
            sqlite3_bind_double(st, 2, w->now + a->cfg.session_ttl);
            sqlite3_bind_double(st, 3, w->now);
        } else {
            st = a->st[ST_SESSION_DROP];
            sqlite3_bind_blob(st, 1, w->token_hash, TOKEN_HASH_BYTES, SQLITE_STATIC);
            sqlite3_bind_double(st, 2, w->now);
        }
        rc = sqlite3_step(st);
        it->ret = rc == SQLITE_DONE ? 0 : step_error(a, rc, "saving a position or session");
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (w->kind == WRITE_POSITION && it->ret == 0 && sqlite3_changes(a->db)) {
            st = a->st[ST_POS_TRIM];   /* the oldest beyond the cap go */
            sqlite3_bind_int64(st, 1, w->user_id);
            sqlite3_bind_int(st, 2, ACCOUNT_MAX_POSITIONS);
            rc = sqlite3_step(st);
            if (rc != SQLITE_DONE)
                it->ret = step_error(a, rc, "trimming positions");
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
        }
    }
    if (ret == 0 && (ret = db_commit(a->db)) < 0) {
        db_rollback(a->db);
        for (it = batch; it; it = it->next)
            it->ret = ret;
    }
    pthread_mutex_unlock(&a->lock);
}

/* An item nobody waits for is done: tell its callback (if any), free it. */
static void write_done(GroupCommitItem *it)
{
    PosWrite *w = (PosWrite *)it;

    if (w->cb)
        w->cb(w->opaque, it->ret);
    free(w);
}

static int valid_position(const char *stream, double seconds)
{
    return account_valid_stream_name(stream) && isfinite(seconds) &&
           seconds >= 0 && seconds <= ACCOUNT_SECONDS_MAX;
}

void account_flush(Account *a)
{
    if (a)
        groupcommit_flush(a->writer);
}

int account_position_set(Account *a, int64_t user_id, const char *stream, double seconds)
{
    PosWrite me = { .user_id = user_id, .seconds = seconds };

    if (!valid_position(stream, seconds))
        return AVERROR(EINVAL);
    snprintf(me.stream, sizeof(me.stream), "%s", stream);
    me.now = account_now(a);
    return groupcommit_wait(a->writer, &me.item);
}

/* Queue a session's expiry move (WRITE_TOUCH) or deletion (WRITE_DROP);
 * nobody waits for it. */
static int queue_session_write(Account *a, int kind, const unsigned char *h, double now)
{
    PosWrite *w = calloc(1, sizeof(*w));

    if (!w)
        return AVERROR(ENOMEM);
    w->kind = kind;
    memcpy(w->token_hash, h, TOKEN_HASH_BYTES);
    w->now = now;
    w->item.done = write_done;
    groupcommit_submit(a->writer, &w->item);
    return 0;
}

int account_position_set_async(Account *a, int64_t user_id, const char *stream,
                               double seconds, AccountWriteDone cb, void *opaque)
{
    PosWrite *w;

    if (!valid_position(stream, seconds))
        return AVERROR(EINVAL);
    if (!(w = calloc(1, sizeof(*w))))
        return AVERROR(ENOMEM);
    w->user_id = user_id;
    w->seconds = seconds;
    snprintf(w->stream, sizeof(w->stream), "%s", stream);
    w->now = account_now(a);
    w->cb = cb;
    w->opaque = opaque;
    w->item.done = write_done;
    groupcommit_submit(a->writer, &w->item);
    return 0;
}

static void read_position_row(sqlite3_stmt *st, void *elem)
{
    read_position(st, elem);
}

int account_position_list(Account *a, int64_t user_id, AccountPosition **pos, int *n)
{
    sqlite3_stmt *st = take(a, ST_POS_LIST);
    void *v;
    int ret;

    sqlite3_bind_int64(st, 1, user_id);
    ret = collect_rows(a, st, sizeof(AccountPosition), read_position_row, "listing positions",
                       &v, n);
    if (ret == 0)
        *pos = v;
    return ret;
}
