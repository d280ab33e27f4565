/*
 * account.h: viewer accounts, login sessions and watch positions, kept in
 * the shared SQLite database (db.h). The one implementation behind both
 * live-resume (the command line) and the HTTP API of live-serve (api.h).
 *
 * Tables (created here with CREATE TABLE IF NOT EXISTS; see
 * live-resume(1) for the full schema):
 *   users(id, name UNIQUE, hash, created)       argon2id hashes (libsodium)
 *   sessions(token_hash PK, user_id, created, expires, seen)
 *   positions(user_id, stream, seconds, updated, PK(user_id, stream))
 * Deleting a user deletes its sessions and positions (foreign keys).
 *
 * Passwords: crypto_pwhash_str_alg with argon2id at the INTERACTIVE limits
 * (64 MiB, 2 passes). That memory is taken by every hash in progress, so at
 * most AccountConfig.max_hashing hashes run at once; more wait in line.
 *
 * Sessions: a token is 32 bytes from the OS's random source
 * (randombytes_buf), sent to the client as 43 characters of unpadded
 * base64url; the database keeps only its BLAKE2b-256 hash
 * (crypto_generichash), so a copy of the db does not log anyone in. A
 * session expires session_ttl seconds after it was last used (sliding;
 * default 30 days); its expiry is pushed forward at most every
 * session_refresh seconds so that reads do not turn into writes.
 *
 * Login rate limiting: token buckets in memory, one per (account name,
 * client address) pair and one per client address: every attempt takes a
 * token from both before any password is checked (so the limit also caps
 * the argon2 work an attacker can cause), and is refused (EAGAIN) when
 * either is empty. Wrong passwords from one address therefore lock out
 * that address only, never the account's owner elsewhere. A third bucket
 * per account (all addresses) slows attempts down when it is empty (up to
 * slow_max seconds each) instead of refusing them. A successful login
 * refills its pair's and its account's buckets. The buckets live in this
 * process only: a restart resets them.
 *
 * Names: user names and stream names are stored and returned byte for byte
 * (only bound parameters reach SQL). A name must be valid UTF-8 without
 * control characters; a stream name also must not contain '/'.
 *
 * Thread safety: every function may be called from any number of threads
 * at once on one Account. Reads (session checks, lookups) go through one
 * connection, writes through another (WAL: a reader never waits for a
 * writer, so a session check answers even while live-package holds the
 * write lock); position writes and session refreshes are committed in
 * batches by one writer thread (see groupcommit.h). Hashing runs outside
 * every lock.
 *
 * Errors: 0 or a negative AVERROR. AVERROR(ENOENT): no such user, session
 * or position. AVERROR(EEXIST): the user exists. AVERROR(EACCES): wrong
 * user or password. AVERROR(EAGAIN): rate-limited. AVERROR(EINVAL): a bad
 * name, password or number. AVERROR_EXTERNAL: the database failed (logged).
 */
#ifndef LIVE_ACCOUNT_H
#define LIVE_ACCOUNT_H

#include <stdint.h>
#include <sqlite3.h>

/* Characters of a session token (base64url of 32 bytes, no padding). */
#define ACCOUNT_TOKEN_LEN 43
#define ACCOUNT_NAME_MAX 128     /* bytes of a user name */
#define ACCOUNT_STREAM_MAX 255   /* bytes of a stream name */
#define ACCOUNT_PASSWORD_MAX 1024
#define ACCOUNT_SECONDS_MAX 1e9  /* largest position, in seconds */
/* Positions kept per user: writing one more evicts the least recently
 * updated. */
#define ACCOUNT_MAX_POSITIONS 1000
/* Position writes per session by default: a burst, then one every period
 * seconds (the player saves every 5 s, and on pause, seek and leave). */
#define ACCOUNT_POSITION_BURST 20
#define ACCOUNT_POSITION_PERIOD 1.0

typedef struct AccountConfig {
    double session_ttl;      /* seconds of inactivity until a session expires */
    double session_refresh;  /* push the expiry forward at most this often */
    int max_hashing;         /* argon2 hashes computed at once */
    unsigned long long opslimit; /* argon2id passes */
    size_t memlimit;             /* argon2id memory, bytes */
    /* Token buckets: burst = tokens when full, one token back every period.
     * user_*: per (account, address) pair, and per account (slowing). */
    double user_burst, user_period;
    double ip_burst, ip_period;
    double slow_max;         /* longest slow-down of one attempt, seconds */
    /* Position writes per session: burst, then one every period (0: no limit). */
    double position_burst, position_period;
    /* The clock, unix seconds; NULL for the real one (tests move time). */
    double (*now)(void);
} AccountConfig;

typedef struct Account Account;

/* A user as the session check and the listings see it. */
typedef struct AccountUser {
    int64_t id;
    char name[ACCOUNT_NAME_MAX + 1];
    double created;
} AccountUser;

typedef struct AccountPosition {
    char stream[ACCOUNT_STREAM_MAX + 1];
    double seconds;
    double updated;
} AccountPosition;

/* The defaults documented above and in live-resume(1). */
void account_config_default(AccountConfig *cfg);

/* Create the tables when missing (idempotent). */
int account_schema(sqlite3 *db);

/* Open the database at path (created if missing) and the tables.
 * cfg may be NULL for the defaults; it is copied. Free with account_close. */
int account_open(const char *path, const AccountConfig *cfg, Account **out);
void account_close(Account **a);

/* Whether a name is acceptable (1) or not (0). */
int account_valid_user_name(const char *name);
int account_valid_stream_name(const char *name);

/* Users. add: EEXIST, EINVAL (name, or a password empty or longer than
 * ACCOUNT_PASSWORD_MAX). del: ENOENT. passwd: ENOENT, EINVAL. */
int account_user_add(Account *a, const char *name, const char *password);
int account_user_del(Account *a, const char *name);
int account_user_passwd(Account *a, const char *name, const char *password);
/* A password change ends every session of the user (a stolen cookie
 * stops working with the old password); _keep spares the session of
 * keep_token (the one that made the change; NULL: none), in the same
 * transaction. */
int account_user_passwd_keep(Account *a, const char *name, const char *password,
                             const char *keep_token);
int account_user_get(Account *a, const char *name, AccountUser *user);

/* All users ordered by name: *users is a malloc'ed array of *n (the caller
 * frees it; NULL when there are none). */
int account_user_list(Account *a, AccountUser **users, int *n);

/*
 * Log in: check the rate limits for name and ip (ip may be NULL), then the
 * password. On success a new session is stored, its token written to
 * token (ACCOUNT_TOKEN_LEN + 1 bytes, NUL-terminated) and the user to
 * *user (may be NULL). EACCES for an unknown user or a wrong password
 * (indistinguishable, and taking the same time); EAGAIN when rate-limited,
 * with *retry_after (may be NULL) set to the seconds until a retry can
 * succeed. Nothing is stored on failure.
 */
int account_login(Account *a, const char *name, const char *password,
                  const char *ip, char *token, AccountUser *user,
                  double *retry_after);

/* The same checks as account_login (rate limits, then the password),
 * without making a session: 0, EACCES, EAGAIN. For a password change. */
int account_check(Account *a, const char *name, const char *password, const char *ip,
                  double *retry_after);

/* The user of a live session (ENOENT for an unknown, malformed or expired
 * token). *refreshed (may be NULL) is set to 1 when the expiry was pushed
 * forward by this call (the caller may then renew the cookie). */
int account_session(Account *a, const char *token, AccountUser *user, int *refreshed);

/* Delete the session (ENOENT when there was none). */
int account_logout(Account *a, const char *token);

/* Whether the session of token may write a position now (its own rate,
 * position_burst then one every position_period): 0, or
 * EAGAIN with *retry_after (may be NULL) the seconds to wait. */
int account_position_write_allowed(Account *a, const char *token, double *retry_after);

/* Positions of a user, by id (from account_session); at most
 * ACCOUNT_MAX_POSITIONS per user, the least recently updated evicted ... */
int account_position_get(Account *a, int64_t user_id, const char *stream,
                         AccountPosition *pos);
int account_position_set(Account *a, int64_t user_id, const char *stream,
                         double seconds);
/* The same without waiting: 0 when queued (cb will be called once, from
 * the writer thread, with the result: 0, ENOENT for no such user, or
 * AVERROR_EXTERNAL), or EINVAL / ENOMEM at once (cb is not called).
 * Writes are committed in batches, one transaction per batch (see
 * account.c); account_close waits for the queued ones. */
typedef void (*AccountWriteDone)(void *opaque, int ret);
int account_position_set_async(Account *a, int64_t user_id, const char *stream,
                               double seconds, AccountWriteDone cb, void *opaque);
/* Wait until every write queued so far is committed and its callback has
 * returned (a server calls it before it stops; a NULL a is fine). */
void account_flush(Account *a);
/* ... all of them ordered by stream: *pos malloc'ed, caller frees. */
int account_position_list(Account *a, int64_t user_id, AccountPosition **pos, int *n);

/* Delete expired sessions; returns how many were removed, or AVERROR. */
int account_expire(Account *a);

/* The seconds the configured clock shows. */
double account_now(const Account *a);
/* The configured session lifetime (seconds of inactivity). */
double account_session_ttl(const Account *a);

#endif
