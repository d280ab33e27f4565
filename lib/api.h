/*
 * api.h: the login and resume HTTP API of live-serve, on account.h (the
 * same code as live-resume). Every answer is JSON with Cache-Control:
 * no-store; see live-resume(1), section HTTP API.
 *
 *   POST /api/login          {"user":U,"password":P} or a form user=U&password=P
 *                            200 {"user":U} + Set-Cookie; 401; 429 + Retry-After
 *   POST /api/logout         204, the session is deleted and the cookie cleared
 *   POST /api/password       {"password":OLD,"new":NEW} or a form; 204, the user's
 *                            other sessions ended; 403 wrong OLD; 401; 429
 *   GET  /api/me             200 {"user":U}; 401
 *   GET  /api/position/NAME  200 {"stream":NAME,"seconds":S,"updated":T}; 404; 401
 *   PUT  /api/position/NAME  {"seconds":S} (also POST, for sendBeacon); 204; 401
 *   GET  /api/positions      ?limit=N&after=STREAM: 200 {"positions":[{"stream",
 *                            "seconds","updated"},...], "next":STREAM when more}
 * Position writes: only names a stream could have (record_stream_rule;
 * 404), ACCOUNT_POSITION_BURST per session then one a second (429), at
 * most ACCOUNT_MAX_POSITIONS per user (the least recently updated go).
 *
 * The session travels in the cookie "live_session" (HttpOnly,
 * SameSite=Strict, Path=/, Max-Age = the session lifetime; Secure when the
 * request came over HTTPS as a trusted proxy's X-Forwarded-Proto says).
 * POST, PUT and DELETE must come from this server's own pages
 * (api_same_origin; 403 otherwise). A user reads and
 * writes only their own positions: the user is always the session's.
 *
 * api_handle is I/O-free (request in, response out) so it can be tested
 * without a server; api_routes hooks it into live-serve (http.h).
 */
#ifndef LIVE_API_H
#define LIVE_API_H

#include <stddef.h>

#include "account.h"

#define API_PREFIX "/api/"
#define API_COOKIE "live_session"
/* /api/positions: positions per page by default, and at most (?limit=). */
#define API_POSITIONS_PAGE 100
#define API_POSITIONS_PAGE_MAX 1000
/* The largest request body accepted (413 beyond). */
#define API_MAX_BODY 4096

typedef struct ApiRequest {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* decoded path, e.g. "/api/position/cam1" */
    const char *token;        /* the live_session cookie's value, or NULL */
    const char *content_type; /* or NULL */
    const char *query;        /* the raw query string (after '?'), or NULL */
    const char *body;         /* body_len bytes, need not be NUL-terminated */
    size_t body_len;
    const char *ip;           /* the client, for rate limiting; or NULL */
    int https;                /* came over TLS (Secure cookies) */
    int defer_write;          /* a position write is left to the caller (resp->write) */
} ApiRequest;

typedef struct ApiResponse {
    int status;
    char *body;               /* JSON, malloc'ed; NULL for no body (204) */
    char cookie[160];         /* a Set-Cookie value, or "" */
    int retry_after;          /* seconds for Retry-After, or 0 */
    const char *allow;        /* the Allow header with 405, or NULL */
    struct {                  /* with defer_write: the write to do, then answer 204 */
        int pending;
        int64_t user_id;
        char stream[ACCOUNT_STREAM_MAX + 1];
        double seconds;
    } write;
} ApiResponse;

/* Whether a request that changes something (POST, PUT, DELETE) comes
 * from a page of this server: Sec-Fetch-Site: same-origin, or an Origin
 * whose host[:port] is the Host header. 1 or 0; any argument may be NULL
 * (absent). Pure. */
int api_same_origin(const char *origin, const char *host, const char *fetch_site);

/* Whether a path belongs to the API (starts with API_PREFIX or is "/api"). */
int api_match(const char *path);

/* Answer one request. Always fills *resp (free with api_response_clear);
 * returns 0, or AVERROR(ENOMEM) when even the answer could not be made. */
int api_handle(Account *acct, const ApiRequest *req, ApiResponse *resp);
void api_response_clear(ApiResponse *resp);

/* Add the API's routes (any method under API_PREFIX) to live-serve's
 * server; acct is borrowed and must outlive srv. 0 or AVERROR(ENOMEM). */
struct HttpServer;
int api_routes(Account *acct, struct HttpServer *srv);

/* For live-serve: open the accounts in the database at db (creating its
 * tables; position_rate: position writes per second per session, 0 for
 * no limit, negative for the default)
 * tables) into *acct and add the routes. When it cannot be opened
 * (read-only, say) the API answers 503 and the rest of the server works:
 * *acct stays NULL and 0 is returned. Close *acct after the server. */
int api_start(const char *db, double position_rate, struct HttpServer *srv, Account **acct);

/* Before the server stops: wait for the logins in progress and the
 * queued position writes, whose suspended requests are then resumed
 * (acct may be NULL). */
void api_stop(Account *acct);

#endif
