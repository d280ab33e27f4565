/* Unit tests for lib/account.c on a real SQLite file in a temporary
 * directory: names, hashing, sessions and their expiry, positions, rate
 * limits, and many threads at once. */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <sodium.h>

#include "account.h"
#include "db.h"
#include "log.h"
#include "tap.h"

static double fake_now = 1700000000.0;
static double fake_clock(void) { return fake_now; }

static char dbpath[512];

/* One integer from a query on a connection of its own. */
static long long query_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v = -1;

    if (sqlite3_open(dbpath, &db) != SQLITE_OK)
        return -2;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

static void query_text(const char *sql, char *out, size_t size)
{
    sqlite3 *db;
    sqlite3_stmt *st;

    *out = 0;
    if (sqlite3_open(dbpath, &db) != SQLITE_OK)
        return;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static AccountConfig fast_config(void)
{
    AccountConfig c;
    account_config_default(&c);
    c.opslimit = crypto_pwhash_OPSLIMIT_MIN;   /* tests: cheap hashes */
    c.memlimit = crypto_pwhash_MEMLIMIT_MIN;
    c.now = fake_clock;
    c.user_burst = 3;
    c.user_period = 10;
    c.ip_burst = 6;
    c.ip_period = 5;
    c.slow_max = 0.01;
    return c;
}

static void test_names(void)
{
    ok(account_valid_user_name("alice"), "plain name");
    ok(account_valid_user_name("O'Brien; DROP TABLE users;--"), "quotes and semicolons");
    ok(account_valid_user_name("Zo\xc3\xab \"Z\" \xe5\x90\x8d\xe5\x89\x8d \xf0\x9f\x8e\xac"),
       "non-ASCII (2, 3 and 4 byte UTF-8)");
    ok(!account_valid_user_name(""), "empty refused");
    ok(!account_valid_user_name("a\nb"), "newline refused");
    ok(!account_valid_user_name("a\x7f"), "DEL refused");
    ok(!account_valid_user_name("\xc0\x80"), "overlong refused");
    ok(!account_valid_user_name("\xed\xa0\x80"), "surrogate refused");
    ok(!account_valid_user_name("\xf4\x90\x80\x80"), "past U+10FFFF refused");
    ok(!account_valid_user_name("\xe5\x90"), "truncated sequence refused");
    {
        char big[ACCOUNT_NAME_MAX + 2];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        ok(!account_valid_user_name(big), "over ACCOUNT_NAME_MAX refused");
        big[ACCOUNT_NAME_MAX] = 0;
        ok(account_valid_user_name(big), "exactly ACCOUNT_NAME_MAX accepted");
    }
    ok(account_valid_stream_name("cam 1; \"x\" \xc3\xa9"), "stream with quotes, ;, non-ASCII");
    ok(!account_valid_stream_name("a/b"), "stream with / refused");
}

static void test_users(Account *a)
{
    const char *odd = "O'Brien; DROP TABLE users;--";
    const char *uni = "Zo\xc3\xab \"Z\" \xe5\x90\x8d\xe5\x89\x8d";
    AccountUser u, *v = NULL;
    char hash[256];
    int n = 0;

    is_int(account_user_add(a, "alice", "correct horse"), 0, "add alice");
    is_int(account_user_add(a, "alice", "x"), AVERROR(EEXIST), "add alice again: EEXIST");
    is_int(account_user_add(a, odd, "pw"), 0, "add a name with quotes and ;");
    is_int(account_user_add(a, uni, "pw"), 0, "add a non-ASCII name");
    is_int(account_user_add(a, "bob", "hunter2"), 0, "add bob");
    is_int(account_user_add(a, "a\tb", "pw"), AVERROR(EINVAL), "control char: EINVAL");
    is_int(account_user_add(a, "carol", ""), AVERROR(EINVAL), "empty password: EINVAL");
    is_int(query_int("SELECT count(*) FROM users"), 4, "four users stored, tables intact");
    is_int(account_user_get(a, odd, &u), 0, "get the odd name");
    is_str(u.name, odd, "returned verbatim");
    is_int(account_user_get(a, uni, &u), 0, "get the non-ASCII name");
    is_str(u.name, uni, "returned verbatim (bytes)");
    is_int(account_user_get(a, "nobody", &u), AVERROR(ENOENT), "unknown: ENOENT");
    is_int(account_user_list(a, &v, &n), 0, "list");
    is_int(n, 4, "four listed");
    if (n == 4) {
        is_str(v[0].name, odd, "sorted by bytes: O'Brien first");
        is_str(v[1].name, uni, "then the non-ASCII name (bytes: Z < a)");
        is_str(v[3].name, "bob", "bob last");
    }
    free(v);
    query_text("SELECT hash FROM users WHERE name = 'alice'", hash, sizeof(hash));
    ok(!strncmp(hash, "$argon2id$", 10), "argon2id hash stored: %.30s", hash);
    ok(!strstr(hash, "correct horse"), "no password in the hash");
    is_int(query_int("SELECT count(*) FROM users WHERE hash LIKE '%correct%'"), 0,
           "password not in the db");
}

static void test_sessions(Account *a)
{
    char token[ACCOUNT_TOKEN_LEN + 1], token2[ACCOUNT_TOKEN_LEN + 1], forged[ACCOUNT_TOKEN_LEN + 1];
    AccountUser u;
    double wait;
    int refreshed, i, clean = 1;

    is_int(account_login(a, "alice", "wrong", "10.0.0.1", token, &u, &wait), AVERROR(EACCES),
           "wrong password: EACCES");
    is_int(query_int("SELECT count(*) FROM sessions"), 0, "no session made");
    is_int(account_login(a, "nobody", "x", "10.0.0.1", token, &u, &wait), AVERROR(EACCES),
           "unknown user: EACCES too");
    is_int(account_login(a, "alice", "correct horse", "10.0.0.1", token, &u, &wait), 0,
           "right password logs in");
    is_int(strlen(token), ACCOUNT_TOKEN_LEN, "43-character token");
    for (i = 0; token[i]; i++)
        if (!(isalnum((unsigned char)token[i]) || token[i] == '-' || token[i] == '_'))
            clean = 0;
    ok(clean, "token is base64url: %s", token);
    is_str(u.name, "alice", "login names the user");
    is_int(query_int("SELECT count(*) FROM sessions"), 1, "one session stored");
    is_int(query_int("SELECT length(token_hash) FROM sessions"), 32, "stored as a 32-byte hash");
    is_int(account_login(a, "alice", "correct horse", NULL, token2, NULL, NULL), 0,
           "second login, no ip");
    ok(strcmp(token, token2), "tokens differ");

    memset(&u, 0, sizeof(u));
    is_int(account_session(a, token, &u, &refreshed), 0, "session valid");
    is_str(u.name, "alice", "session's user");
    is_int(refreshed, 0, "fresh session not refreshed");
    snprintf(forged, sizeof(forged), "%s", token);
    forged[5] = forged[5] == 'A' ? 'B' : 'A';
    is_int(account_session(a, forged, &u, NULL), AVERROR(ENOENT), "forged token: ENOENT");
    is_int(account_session(a, "short", &u, NULL), AVERROR(ENOENT), "malformed: ENOENT");
    is_int(account_session(a, "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", &u, NULL),
           AVERROR(ENOENT), "non-base64 of the right length: ENOENT");
    is_int(account_session(a, NULL, &u, NULL), AVERROR(ENOENT), "no token: ENOENT");

    /* sliding expiry */
    fake_now += 301;
    is_int(account_session(a, token, &u, &refreshed), 0, "valid after 5 minutes");
    is_int(refreshed, 1, "and its expiry moved forward");
    account_flush(a);   /* (the move is queued for the writer) */
    is_dbl((double)query_int("SELECT max(expires) FROM sessions"), fake_now + 30 * 86400.0, 1.0,
           "expires 30 days after last use");
    fake_now += 20 * 86400;
    is_int(account_session(a, token, &u, &refreshed), 0, "used again after 20 days: valid");
    account_flush(a);
    fake_now += 29 * 86400;
    is_int(account_session(a, token, &u, NULL), 0, "29 more days: still valid (sliding)");
    is_int(account_session(a, token2, &u, NULL), AVERROR(ENOENT),
           "the unused session expired after 30 days");
    fake_now += 30 * 86400 + 1;
    is_int(account_session(a, token, &u, NULL), AVERROR(ENOENT), "30 days idle: expired");
    account_flush(a);
    is_int(query_int("SELECT count(*) FROM sessions"), 0, "expired sessions deleted");

    is_int(account_login(a, "alice", "correct horse", "10.0.0.1", token, NULL, NULL), 0, "log in");
    is_int(account_logout(a, token), 0, "log out");
    is_int(account_session(a, token, &u, NULL), AVERROR(ENOENT), "logged-out token: ENOENT");
    is_int(account_logout(a, token), AVERROR(ENOENT), "logout twice: ENOENT");
}

static void test_rate_limit(Account *a)
{
    char token[ACCOUNT_TOKEN_LEN + 1];
    double wait = 0;
    char name[32];
    int i;

    fake_now += 3600;   /* every bucket full again */
    for (i = 0; i < 3; i++)
        is_int(account_login(a, "bob", "bad", "10.0.0.2", token, NULL, &wait), AVERROR(EACCES),
               "bob wrong password %d", i + 1);
    is_int(account_login(a, "bob", "hunter2", "10.0.0.2", token, NULL, &wait), AVERROR(EAGAIN),
           "4th attempt on bob from that address, even right: EAGAIN");
    is_dbl(wait, 10, 0.01, "retry after one period");
    is_int(account_login(a, "bob", "hunter2", "10.0.0.3", token, NULL, &wait), 0,
           "the right password from another address: in (slowed down, not refused)");
    is_int(account_login(a, "alice", "correct horse", "10.0.0.2", token, NULL, &wait), 0,
           "another account from the failing address still works");
    fake_now += 10;
    is_int(account_login(a, "bob", "hunter2", "10.0.0.2", token, NULL, &wait), 0,
           "after the period: one more attempt from the failing address, right password");
    is_int(account_login(a, "bob", "bad", "10.0.0.2", token, NULL, &wait), AVERROR(EACCES),
           "a success refilled the pair's bucket");

    fake_now += 3600;
    for (i = 0; i < 6; i++) {
        snprintf(name, sizeof(name), "guess%d", i);
        account_login(a, name, "x", "10.9.9.9", token, NULL, &wait);
    }
    is_int(account_login(a, "alice", "correct horse", "10.9.9.9", token, NULL, &wait),
           AVERROR(EAGAIN), "7th attempt from one address: EAGAIN");
    is_dbl(wait, 5, 0.01, "retry after the address period");
    is_int(account_login(a, "alice", "correct horse", "10.9.9.8", token, NULL, &wait), 0,
           "another address is not limited");
    is_int(query_int("SELECT count(*) FROM users WHERE name LIKE 'guess%'"), 0,
           "failed logins store nothing");
}

static void test_positions(Account *a)
{
    const char *odd = "cam'1; \"x\" \xc3\xa9";
    AccountUser alice, bob;
    AccountPosition p, *v = NULL;
    int n = 0;

    account_user_get(a, "alice", &alice);
    account_user_get(a, "bob", &bob);
    is_int(account_position_get(a, alice.id, "vod", &p), AVERROR(ENOENT), "no position yet");
    is_int(account_position_set(a, alice.id, "vod", 20.25), 0, "set 20.25");
    is_int(account_position_get(a, alice.id, "vod", &p), 0, "get it");
    is_dbl(p.seconds, 20.25, 1e-9, "seconds");
    is_dbl(p.updated, fake_now, 1e-3, "updated now");
    is_str(p.stream, "vod", "stream");
    fake_now += 5;
    is_int(account_position_set(a, alice.id, "vod", 31), 0, "overwrite with 31");
    account_position_get(a, alice.id, "vod", &p);
    is_dbl(p.seconds, 31, 1e-9, "overwritten");
    is_dbl(p.updated, fake_now, 1e-3, "updated moved");
    is_int(account_position_get(a, bob.id, "vod", &p), AVERROR(ENOENT), "bob has none");
    is_int(account_position_set(a, alice.id, odd, 7), 0, "odd stream name");
    is_int(account_position_list(a, alice.id, &v, &n), 0, "list");
    is_int(n, 2, "two positions");
    if (n == 2) {
        is_str(v[0].stream, odd, "odd name verbatim, sorted first");
        is_str(v[1].stream, "vod", "then vod");
    }
    free(v);
    is_int(account_position_set(a, alice.id, "vod", -1), AVERROR(EINVAL), "negative: EINVAL");
    is_int(account_position_set(a, alice.id, "vod", NAN), AVERROR(EINVAL), "NaN: EINVAL");
    is_int(account_position_set(a, alice.id, "vod", 2e9), AVERROR(EINVAL), "huge: EINVAL");
    is_int(account_position_set(a, alice.id, "a/b", 1), AVERROR(EINVAL), "bad stream: EINVAL");
    is_int(account_position_set(a, 999999, "vod", 1), AVERROR(ENOENT), "no such user: ENOENT");
}

/* ---- threads ---------------------------------------------------------- */

#define THREADS 8
#define WRITES 400

typedef struct Worker {
    Account *a;
    int index;
    int errors;
    char token[ACCOUNT_TOKEN_LEN + 1];
} Worker;

static void *worker(void *arg)
{
    Worker *w = arg;
    AccountUser u;
    char stream[32];
    int i;

    for (i = 0; i < WRITES; i++) {
        snprintf(stream, sizeof(stream), "s%d", i % 10);
        if (account_session(w->a, w->token, &u, NULL) < 0 ||
            account_position_set(w->a, u.id, stream, w->index * 1000 + i) < 0)
            w->errors++;
    }
    return NULL;
}

static void *login_worker(void *arg)
{
    Worker *w = arg;
    if (account_login(w->a, "t-user", "pw", NULL, w->token, NULL, NULL) < 0)
        w->errors++;
    return NULL;
}

static int async_done, async_errors;
static pthread_mutex_t async_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_written(void *opaque, int ret)
{
    pthread_mutex_lock(&async_lock);
    async_done++;
    if (ret != (opaque ? AVERROR(ENOENT) : 0))
        async_errors++;
    pthread_mutex_unlock(&async_lock);
}

static void test_threads(Account *a)
{
    pthread_t th[THREADS];
    Worker w[THREADS];
    char name[32];
    int i, errors = 0;
    AccountPosition p;
    AccountUser u;

    fake_now += 3600;
    for (i = 0; i < THREADS; i++) {
        snprintf(name, sizeof(name), "thread%d", i);
        account_user_add(a, name, "pw");
        memset(&w[i], 0, sizeof(w[i]));
        w[i].a = a;
        w[i].index = i;
        account_login(a, name, "pw", NULL, w[i].token, NULL, NULL);
    }
    for (i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, worker, &w[i]);
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        errors += w[i].errors;
    }
    is_int(errors, 0, "%d threads x %d session checks + writes: no errors", THREADS, WRITES);
    is_int(query_int("SELECT count(*) FROM positions p JOIN users u ON u.id = p.user_id "
                     "WHERE u.name LIKE 'thread%'"), THREADS * 10, "10 positions per thread");
    account_user_get(a, "thread3", &u);
    account_position_get(a, u.id, "s9", &p);
    is_dbl(p.seconds, 3000 + WRITES - 1, 1e-9, "last write wins");

    account_user_add(a, "t-user", "pw");
    for (i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].a = a;
    }
    for (i = 0; i < THREADS && i < 3; i++)   /* within t-user's burst of 3 */
        pthread_create(&th[i], NULL, login_worker, &w[i]);
    errors = 0;
    for (i = 0; i < THREADS && i < 3; i++) {
        pthread_join(th[i], NULL);
        errors += w[i].errors;
    }
    is_int(errors, 0, "three concurrent logins of one user all succeed");
}

int main(void)
{
    char dir[] = "/tmp/live-test-account-XXXXXX", cmd[600], hash[256];
    AccountConfig cfg = fast_config();
    Account *a = NULL, *b = NULL;
    AccountUser u;
    AccountPosition p;

    log_init("test-account");
    if (!mkdtemp(dir))
        return 1;
    snprintf(dbpath, sizeof(dbpath), "%s/live.db", dir);

    test_names();
    is_int(account_open(dbpath, &cfg, &a), 0, "open a new database");
    is_int(account_open(dbpath, &cfg, &b), 0, "open it again (schema idempotent)");
    account_close(&b);
    ok(!b, "close clears the pointer");
    account_close(&b);
    if (!a)
        return done();
    test_users(a);
    test_sessions(a);
    test_rate_limit(a);
    test_positions(a);
    test_threads(a);

    /* asynchronous writes: every callback runs, close waits for them */
    {
        AccountUser bob;
        int i, queued = 0;
        account_user_get(a, "bob", &bob);
        for (i = 0; i < 500; i++)
            queued += account_position_set_async(a, bob.id, "async", i, on_written, NULL) == 0;
        queued += account_position_set_async(a, 987654, "async", 1, on_written, (void *)1) == 0;
        is_int(account_position_set_async(a, bob.id, "a/b", 1, on_written, NULL), AVERROR(EINVAL),
               "async: a bad name is refused at once");
        is_int(queued, 501, "501 writes queued");
        account_flush(a);
        is_int(async_done, 501, "flush waited for every callback");
        for (i = 0; i < 50; i++)
            queued += account_position_set_async(a, bob.id, "async", 499, on_written, NULL) == 0;
        account_close(&a);
        is_int(async_done, 551, "close waited for every callback");
        is_int(async_errors, 0, "all committed (and the unknown user's got ENOENT)");
        account_open(dbpath, &cfg, &a);
        account_position_get(a, bob.id, "async", &p);
        is_dbl(p.seconds, 499, 1e-9, "the last queued write is the one kept");
    }

    /* user deletion cascades */
    account_user_get(a, "alice", &u);
    is_int(account_user_del(a, "alice"), 0, "delete alice");
    is_int(account_user_del(a, "alice"), AVERROR(ENOENT), "delete again: ENOENT");
    snprintf(cmd, sizeof(cmd), "SELECT count(*) FROM positions WHERE user_id = %lld",
             (long long)u.id);
    is_int(query_int(cmd), 0, "her positions went with her");
    snprintf(cmd, sizeof(cmd), "SELECT count(*) FROM sessions WHERE user_id = %lld",
             (long long)u.id);
    is_int(query_int(cmd), 0, "and her sessions");

    /* survives a reopen (a restart of the server) */
    account_user_get(a, "bob", &u);
    account_position_set(a, u.id, "vod", 42.5);
    account_close(&a);
    is_int(account_open(dbpath, &cfg, &a), 0, "reopen");
    is_int(account_position_get(a, u.id, "vod", &p), 0, "position still there");
    is_dbl(p.seconds, 42.5, 1e-9, "with its value");
    account_close(&a);

    /* the real limits: argon2id, 64 MiB, 2 passes */
    is_int(account_open(dbpath, NULL, &a), 0, "open with the default config");
    if (a) {
        is_int(account_user_add(a, "real", "pw"), 0, "hash with the default limits");
        query_text("SELECT hash FROM users WHERE name = 'real'", hash, sizeof(hash));
        ok(strstr(hash, "$argon2id$v=19$m=65536,t=2,p=1$") == hash, "INTERACTIVE: %.40s", hash);
        is_int(account_login(a, "real", "pw", NULL, cmd, NULL, NULL), 0, "and log in");
        account_close(&a);
    }

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("cleanup failed");
    return done();
}
