/*
 * api.c: the login and resume HTTP API (see api.h) — routing, body
 * parsing (JSON or an urlencoded form, both bounded) and cookies, on top
 * of account.c; then a thin libmicrohttpd adapter.
 */
#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libavutil/error.h>
#include <sodium.h>

#include "account.h"
#include "api.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "record.h"

int api_match(const char *path)
{
    return path && (!strncmp(path, API_PREFIX, strlen(API_PREFIX)) || !strcmp(path, "/api"));
}

void api_response_clear(ApiResponse *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}

/* Set status and a JSON body made from obj (reference stolen). */
static int reply(ApiResponse *resp, int status, json_t *obj)
{
    resp->status = status;
    free(resp->body);
    resp->body = NULL;
    if (obj) {
        resp->body = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        if (!resp->body) {
            resp->status = 500;
            return AVERROR(ENOMEM);
        }
    }
    return 0;
}

static int reply_error(ApiResponse *resp, int status, const char *msg)
{
    return reply(resp, status, json_pack("{s:s}", "error", msg));
}

static void set_cookie(ApiResponse *resp, const ApiRequest *req, const char *token,
                       long max_age)
{
    snprintf(resp->cookie, sizeof(resp->cookie),
             "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s",
             API_COOKIE, token, max_age, req->https ? "; Secure" : "");
}

/* ---- bodies ----------------------------------------------------------- */

static int is_form(const ApiRequest *req)
{
    const char *ct = req->content_type;
    return ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33);
}

/* The decoded value of key in an urlencoded form into out (size bytes with
 * the NUL). 0; AVERROR(ENOENT) when absent; AVERROR(EINVAL) for a bad
 * escape, an encoded NUL or a value that does not fit. */
static int form_get(const char *body, size_t len, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key), i = 0;

    while (i < len) {
        size_t end = i, n = 0;
        while (end < len && body[end] != '&')
            end++;
        if (end - i > klen && !memcmp(body + i, key, klen) && body[i + klen] == '=') {
            size_t j;
            for (j = i + klen + 1; j < end; j++) {
                int c = (unsigned char)body[j];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    if (j + 2 >= end || (c = parse_percent(body + j)) <= 0)
                        return AVERROR(EINVAL);   /* bad, or an encoded NUL */
                    j += 2;
                }
                if (n + 1 >= size)
                    return AVERROR(EINVAL);
                out[n++] = (char)c;
            }
            out[n] = 0;
            return 0;
        }
        i = end + 1;
    }
    return AVERROR(ENOENT);
}

/* A string member of a JSON object into out; EINVAL when absent, not a
 * string or too long. */
static int json_get_str(json_t *obj, const char *key, char *out, size_t size)
{
    json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);

    if (!s || json_string_length(v) >= size)
        return AVERROR(EINVAL);
    memcpy(out, s, json_string_length(v) + 1);
    return 0;
}

static json_t *parse_json(const ApiRequest *req)
{
    json_error_t err;
    return json_loadb(req->body ? req->body : "", req->body_len,
                      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
}

/* ---- handlers --------------------------------------------------------- */

static int do_login(Account *acct, const ApiRequest *req, ApiResponse *resp)
{
    char user[ACCOUNT_NAME_MAX + 1], pw[ACCOUNT_PASSWORD_MAX + 1];
    char token[ACCOUNT_TOKEN_LEN + 1];
    AccountUser u;
    double wait;
    int ret;

    if (is_form(req)) {
        ret = form_get(req->body, req->body_len, "user", user, sizeof(user));
        if (!ret)
            ret = form_get(req->body, req->body_len, "password", pw, sizeof(pw));
    } else {
        json_t *obj = parse_json(req);
        ret = json_is_object(obj) ? 0 : AVERROR(EINVAL);
        if (!ret)
            ret = json_get_str(obj, "user", user, sizeof(user));
        if (!ret)
            ret = json_get_str(obj, "password", pw, sizeof(pw));
        json_decref(obj);
    }
    if (ret < 0) {
        sodium_memzero(pw, sizeof(pw));
        return reply_error(resp, 400, "expected user and password");
    }
    ret = account_login(acct, user, pw, req->ip, token, &u, &wait);
    sodium_memzero(pw, sizeof(pw));
    if (!account_valid_user_name(user))   /* not logged as it came */
        snprintf(user, sizeof(user), "(an invalid name)");
    if (ret == AVERROR(EAGAIN)) {
        resp->retry_after = (int)ceil(wait);
        if (resp->retry_after < 1)
            resp->retry_after = 1;
        log_debug("login rate-limited: user '%s' from %s", user, req->ip ? req->ip : "?");
        return reply_error(resp, 429, "too many login attempts");
    }
    if (ret == AVERROR(EACCES)) {
        log_info("login failed: user '%s' from %s", user, req->ip ? req->ip : "?");
        return reply_error(resp, 401, "wrong user or password");
    }
    if (ret < 0)
        return reply_error(resp, 500, "login failed");
    set_cookie(resp, req, token, (long)account_session_ttl(acct));
    sodium_memzero(token, sizeof(token));
    return reply(resp, 200, json_pack("{s:s}", "user", u.name));
}

/* The session's user, or a 401 answer (0 with resp filled: return it). */
static int session(Account *acct, const ApiRequest *req, ApiResponse *resp, AccountUser *u)
{
    int refreshed = 0, ret;

    ret = account_session(acct, req->token, u, &refreshed);
    if (ret == AVERROR(ENOENT)) {
        reply_error(resp, 401, "not logged in");
        return AVERROR(EACCES);
    }
    if (ret < 0) {
        reply_error(resp, 500, "session check failed");
        return ret;
    }
    if (refreshed)   /* the expiry moved: move the cookie's with it */
        set_cookie(resp, req, req->token, (long)account_session_ttl(acct));
    return 0;
}

/* POST /api/password {"password":OLD,"new":NEW} (or a form): the
 * session's user changes their password; every other session of theirs
 * ends, this one stays. */
static int do_password(Account *acct, const ApiRequest *req, ApiResponse *resp)
{
    char old[ACCOUNT_PASSWORD_MAX + 1], pw[ACCOUNT_PASSWORD_MAX + 1];
    AccountUser u;
    double wait = 0;
    int ret;

    if (session(acct, req, resp, &u) < 0)
        return 0;
    if (is_form(req)) {
        ret = form_get(req->body, req->body_len, "password", old, sizeof(old));
        if (!ret)
            ret = form_get(req->body, req->body_len, "new", pw, sizeof(pw));
    } else {
        json_t *obj = parse_json(req);
        ret = json_is_object(obj) ? 0 : AVERROR(EINVAL);
        if (!ret)
            ret = json_get_str(obj, "password", old, sizeof(old));
        if (!ret)
            ret = json_get_str(obj, "new", pw, sizeof(pw));
        json_decref(obj);
    }
    if (ret == 0) {
        ret = account_check(acct, u.name, old, req->ip, &wait);
        if (ret == 0)
            ret = account_user_passwd_keep(acct, u.name, pw, req->token);
        else if (ret == AVERROR(EACCES))
            ret = AVERROR(EPERM);   /* the current password was wrong */
    }
    sodium_memzero(old, sizeof(old));
    sodium_memzero(pw, sizeof(pw));
    if (ret == AVERROR(EINVAL))
        return reply_error(resp, 400, "expected password and new (1 to 1024 bytes)");
    if (ret == AVERROR(EAGAIN)) {
        resp->retry_after = wait < 1 ? 1 : (int)ceil(wait);
        return reply_error(resp, 429, "too many attempts");
    }
    if (ret == AVERROR(EPERM))
        return reply_error(resp, 403, "wrong password");
    if (ret == AVERROR(ENOENT))
        return reply_error(resp, 401, "not logged in");
    if (ret < 0)
        return reply_error(resp, 500, "changing the password failed");
    log_info("password changed: user '%s' from %s; their other sessions ended", u.name,
             req->ip ? req->ip : "?");
    return reply(resp, 204, NULL);
}

static int do_logout(Account *acct, const ApiRequest *req, ApiResponse *resp)
{
    int ret = account_logout(acct, req->token);

    set_cookie(resp, req, "", 0);   /* cleared either way */
    if (ret == AVERROR(ENOENT))
        return reply_error(resp, 401, "not logged in");
    if (ret < 0)
        return reply_error(resp, 500, "logout failed");
    return reply(resp, 204, NULL);
}

static json_t *position_json(const AccountPosition *p)
{
    return json_pack("{s:s, s:f, s:f}", "stream", p->stream, "seconds", p->seconds,
                     "updated", p->updated);
}

/* The seconds of a PUT body: {"seconds":S}, a bare number, or seconds=S. */
static int body_seconds(const ApiRequest *req, double *out)
{
    json_t *j, *v;
    char buf[64];
    int ret = AVERROR(EINVAL);

    if (is_form(req)) {
        if (form_get(req->body, req->body_len, "seconds", buf, sizeof(buf)) < 0)
            return AVERROR(EINVAL);
        return parse_double(buf, 0, ACCOUNT_SECONDS_MAX, out);
    }
    j = parse_json(req);
    v = json_is_object(j) ? json_object_get(j, "seconds") : j;
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (isfinite(d) && d >= 0 && d <= ACCOUNT_SECONDS_MAX) {
            *out = d;
            ret = 0;
        }
    }
    json_decref(j);
    return ret;
}

static int do_position(Account *acct, const ApiRequest *req, ApiResponse *resp,
                       const char *stream)
{
    AccountUser u;
    AccountPosition p;
    double seconds;
    int ret;

    if (strcmp(req->method, "GET") && strcmp(req->method, "PUT") &&
        strcmp(req->method, "POST")) {
        resp->allow = "GET, PUT, POST";
        return reply_error(resp, 405, "method not allowed");
    }
    if (session(acct, req, resp, &u) < 0)
        return 0;
    if (!account_valid_stream_name(stream))
        return reply_error(resp, 404, "bad stream name");
    if (!strcmp(req->method, "GET")) {
        ret = account_position_get(acct, u.id, stream, &p);
        if (ret == AVERROR(ENOENT))
            return reply_error(resp, 404, "no position");
        if (ret < 0)
            return reply_error(resp, 500, "reading the position failed");
        return reply(resp, 200, position_json(&p));
    }
    /* no presentation could have this name (NAME@ID is an earlier broadcast) */
    if (record_presentation_rule(stream))
        return reply_error(resp, 404, "not a stream name");
    {
        double wait = 0;
        if (req->token && account_position_write_allowed(acct, req->token, &wait) < 0) {
            resp->retry_after = wait < 1 ? 1 : (int)ceil(wait);
            return reply_error(resp, 429, "too many position writes");
        }
    }
    if (body_seconds(req, &seconds) < 0)
        return reply_error(resp, 400, "expected {\"seconds\": 0 to 1e9}");
    if (req->defer_write) {
        resp->write.pending = 1;
        resp->write.user_id = u.id;
        snprintf(resp->write.stream, sizeof(resp->write.stream), "%s", stream);
        resp->write.seconds = seconds;
        return reply(resp, 204, NULL);
    }
    ret = account_position_set(acct, u.id, stream, seconds);
    if (ret == AVERROR(ENOENT))    /* the user was deleted meanwhile */
        return reply_error(resp, 401, "not logged in");
    if (ret < 0)
        return reply_error(resp, 500, "saving the position failed");
    return reply(resp, 204, NULL);
}

/* GET /api/positions[?limit=N][&after=STREAM]: a page of the user's
 * positions ordered by stream, with "next" (the after= of the next page)
 * when there are more. */
static int do_positions(Account *acct, const ApiRequest *req, ApiResponse *resp)
{
    char after[ACCOUNT_STREAM_MAX + 1] = "", num[16];
    const char *q = req->query ? req->query : "";
    AccountUser u;
    AccountPosition *v = NULL;
    json_t *arr, *obj;
    int i, n = 0, limit = API_POSITIONS_PAGE, shown = 0;

    if (session(acct, req, resp, &u) < 0)
        return 0;
    if (form_get(q, strlen(q), "limit", num, sizeof(num)) == 0 &&
        parse_int(num, 1, API_POSITIONS_PAGE_MAX, &limit) < 0)
        return reply_error(resp, 400, "limit: 1 to 1000");
    if (form_get(q, strlen(q), "after", after, sizeof(after)) == AVERROR(EINVAL))
        return reply_error(resp, 400, "bad after=");
    if (account_position_list(acct, u.id, &v, &n) < 0)
        return reply_error(resp, 500, "listing positions failed");
    arr = json_array();
    for (i = 0; i < n && shown < limit; i++) {
        if (after[0] && strcmp(v[i].stream, after) <= 0)
            continue;
        json_array_append_new(arr, position_json(&v[i]));
        shown++;
    }
    obj = json_pack("{s:o}", "positions", arr);
    if (obj && i < n && shown == limit)
        json_object_set_new(obj, "next", json_string(v[i - 1].stream));
    free(v);
    return reply(resp, 200, obj);
}

int api_handle(Account *acct, const ApiRequest *req, ApiResponse *resp)
{
    const char *path = req->path, *m = req->method;
    AccountUser u;

    memset(resp, 0, sizeof(*resp));
    if (!strncmp(path, "/api/position/", 14))
        return do_position(acct, req, resp, path + 14);
    if (!strcmp(path, "/api/login") || !strcmp(path, "/api/logout") ||
        !strcmp(path, "/api/password")) {
        if (strcmp(m, "POST")) {
            resp->allow = "POST";
            return reply_error(resp, 405, "method not allowed");
        }
        if (path[5] == 'p')
            return do_password(acct, req, resp);
        return path[5] == 'l' && path[8] == 'i' ? do_login(acct, req, resp)
                                                : do_logout(acct, req, resp);
    }
    if (!strcmp(path, "/api/me") || !strcmp(path, "/api/positions")) {
        if (strcmp(m, "GET") && strcmp(m, "HEAD")) {
            resp->allow = "GET, HEAD";
            return reply_error(resp, 405, "method not allowed");
        }
        if (path[5] == 'p')
            return do_positions(acct, req, resp);
        if (session(acct, req, resp, &u) < 0)
            return 0;
        return reply(resp, 200, json_pack("{s:s}", "user", u.name));
    }
    return reply_error(resp, 404, "no such API");
}

/* ---- live-serve's HTTP server ----------------------------------------- */

/* Percent-decode a path (no '+' rule) into out. 0, or AVERROR(EINVAL)
 * for a bad escape or an encoded NUL, AVERROR(ENAMETOOLONG). */
static int decode_path(const char *raw, char *out, size_t size)
{
    size_t n = 0;

    for (; *raw; raw++) {
        int c = (unsigned char)*raw;
        if (c == '%') {
            if ((c = parse_percent(raw)) <= 0)
                return AVERROR(EINVAL);   /* bad, or an encoded NUL */
            raw += 2;
        }
        if (n + 1 >= size)
            return AVERROR(ENAMETOOLONG);
        out[n++] = (char)c;
    }
    out[n] = 0;
    return 0;
}

/* The value of the cookie name in a Cookie header into out ("" when
 * absent or too long). */
static void cookie_value(const char *header, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    const char *p = header;

    *out = 0;
    while (p && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        if (!strncmp(p, name, nlen) && p[nlen] == '=') {
            size_t len = strcspn(p + nlen + 1, ";");
            if (len < size) {
                memcpy(out, p + nlen + 1, len);
                out[len] = 0;
                while (len > 0 && out[len - 1] == ' ')
                    out[--len] = 0;
            }
            return;
        }
        p = strchr(p, ';');
    }
}

int api_same_origin(const char *origin, const char *host, const char *fetch_site)
{
    const char *auth;
    size_t alen;

    if (fetch_site && !strcasecmp(fetch_site, "same-origin"))
        return 1;
    if (!origin || !host || !*host)
        return 0;
    if (!strncasecmp(origin, "http://", 7))
        auth = origin + 7;
    else if (!strncasecmp(origin, "https://", 8))
        auth = origin + 8;
    else
        return 0;                     /* "null", other schemes */
    alen = strlen(auth);
    if (alen && auth[alen - 1] == '/')
        alen--;
    return alen == strlen(host) && !strncasecmp(auth, host, alen) && !memchr(auth, '/', alen);
}

/*
 * Work that would hold one of live-server's few event threads is done
 * with the request suspended: a position write waits for the writer
 * thread's group commit; a login (argon2id, ~0.1 s of CPU and 64 MiB)
 * runs on a thread of its own. The request's strings stay valid while it
 * is suspended; what the second call needs is kept here (request data).
 */
#define API_MAX_LOGINS 64   /* logins in progress at most; more get 503 */

typedef struct ApiPending {
    HttpRequest *hr;
    Account *acct;
    int login;                 /* a login (resp), else a position write (ret) */
    int ret;
    ApiRequest req;
    ApiResponse resp;
    char path[1100], token[ACCOUNT_TOKEN_LEN + 2], ip[64];
} ApiPending;

static int logins_running;
static pthread_mutex_t logins_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t logins_cond = PTHREAD_COND_INITIALIZER;

static void pending_free(void *arg)
{
    ApiPending *p = arg;

    api_response_clear(&p->resp);
    free(p);
}

/* Send resp (not freed). */
static int send_response(HttpRequest *hr, const ApiResponse *resp)
{
    char num[16];

    if (resp->cookie[0])
        http_add_header(hr, "Set-Cookie", resp->cookie);
    if (resp->retry_after) {
        snprintf(num, sizeof(num), "%d", resp->retry_after);
        http_add_header(hr, "Retry-After", num);
    }
    if (resp->allow)
        http_add_header(hr, "Allow", resp->allow);
    return http_reply(hr, resp->status, resp->body ? "application/json" : NULL, "no-store",
                      resp->body ? resp->body : "", resp->body ? strlen(resp->body) : 0);
}

static void write_done(void *opaque, int ret)
{
    ApiPending *p = opaque;

    p->ret = ret;
    http_resume(p->hr);
}

static void *login_main(void *arg)
{
    ApiPending *p = arg;

    api_handle(p->acct, &p->req, &p->resp);
    http_resume(p->hr);
    pthread_mutex_lock(&logins_lock);
    logins_running--;
    pthread_cond_broadcast(&logins_cond);
    pthread_mutex_unlock(&logins_lock);
    return NULL;
}

/* Called again once the work is done: answer with its result. */
static int finish(HttpRequest *hr, ApiPending *p)
{
    if (p->login)
        return send_response(hr, &p->resp);
    if (p->ret == AVERROR(ENOENT))
        return http_reply_error(hr, 401, "not logged in");
    if (p->ret < 0)
        return http_reply_error(hr, 500, "saving the position failed");
    return send_response(hr, &p->resp);   /* 204, maybe a renewed cookie */
}

static int api_http(HttpRequest *hr, void *arg)
{
    Account *acct = arg;
    ApiPending *p = http_request_data(hr);
    const char *m = http_method(hr);
    pthread_attr_t attr;
    pthread_t th;
    int ret, busy;

    if (p)
        return finish(hr, p);
    /* CSRF: a request that changes something must come from a page of
     * this server (cookies are sent with cross-site form posts). */
    if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS") &&
        !api_same_origin(http_header(hr, "Origin"), http_header(hr, "Host"),
                         http_header(hr, "Sec-Fetch-Site"))) {
        log_info("%s %s from %s: refused, not from this site (Origin: %s)", m, http_path(hr),
                 http_client_ip(hr), http_header(hr, "Origin") ? "another" : "none");
        return http_reply(hr, 403, "application/json", "no-store",
                          "{\"error\":\"cross-site request refused\"}", 38);
    }
    if (!(p = calloc(1, sizeof(*p))))
        return AVERROR(ENOMEM);
    http_set_request_data(hr, p, pending_free);
    p->hr = hr;
    p->acct = acct;
    if (decode_path(http_path(hr), p->path, sizeof(p->path)) < 0)
        return http_reply_error(hr, 404, "no such API");
    p->req.body = http_body(hr, &p->req.body_len);
    if (p->req.body_len > API_MAX_BODY)
        return http_reply_error(hr, 413, "request body too large");
    cookie_value(http_header(hr, "Cookie"), API_COOKIE, p->token, sizeof(p->token));
    snprintf(p->ip, sizeof(p->ip), "%s", http_client_ip(hr));
    p->req.method = http_method(hr);
    p->req.path = p->path;
    p->req.token = p->token[0] ? p->token : NULL;
    p->req.content_type = http_header(hr, "Content-Type");
    p->req.query = http_query_string(hr);
    p->req.ip = p->ip[0] ? p->ip : NULL;
    p->req.https = http_is_https(hr);
    p->req.defer_write = 1;

    if ((!strcmp(p->path, "/api/login") || !strcmp(p->path, "/api/password")) &&
        !strcmp(p->req.method, "POST")) {   /* argon2: on a thread of its own */
        pthread_mutex_lock(&logins_lock);
        busy = logins_running >= API_MAX_LOGINS;
        if (!busy)
            logins_running++;
        pthread_mutex_unlock(&logins_lock);
        if (busy) {
            http_add_header(hr, "Retry-After", "2");
            return http_reply(hr, 503, "application/json", "no-store",
                              "{\"error\":\"too many logins at once\"}", 35);
        }
        p->login = 1;
        http_suspend(hr);   /* before the thread can finish and resume it */
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        ret = pthread_create(&th, &attr, login_main, p);
        pthread_attr_destroy(&attr);
        if (ret)
            login_main(p);   /* no thread: do it here */
        return HTTP_SUSPENDED;
    }

    api_handle(acct, &p->req, &p->resp);
    if (!p->resp.write.pending)
        return send_response(hr, &p->resp);
    http_suspend(hr);   /* before the write can finish and resume it */
    ret = account_position_set_async(acct, p->resp.write.user_id, p->resp.write.stream,
                                     p->resp.write.seconds, write_done, p);
    if (ret < 0)
        write_done(p, ret);
    return HTTP_SUSPENDED;
}

void api_stop(Account *acct)
{
    pthread_mutex_lock(&logins_lock);
    while (logins_running > 0)
        pthread_cond_wait(&logins_cond, &logins_lock);
    pthread_mutex_unlock(&logins_lock);
    account_flush(acct);
}

int api_routes(Account *acct, HttpServer *srv)
{
    return http_route(srv, NULL, API_PREFIX, HTTP_ROUTE_PREFIX, api_http, acct);
}

static int api_off(HttpRequest *hr, void *arg)
{
    http_add_header(hr, "Retry-After", "60");
    return http_reply(hr, 503, "application/json", "no-store",
                      "{\"error\":\"accounts unavailable\"}", 32);
}

int api_start(const char *db, double position_rate, HttpServer *srv, Account **acct)
{
    AccountConfig cfg;

    account_config_default(&cfg);
    if (position_rate > 0)
        cfg.position_period = 1 / position_rate;
    else if (position_rate == 0)
        cfg.position_period = 0;   /* no limit */
    if (account_open(db, &cfg, acct) < 0) {   /* the reason is logged */
        log_warn("%s: login and resume are off; video is served as usual", db);
        return http_route(srv, NULL, API_PREFIX, HTTP_ROUTE_PREFIX, api_off, NULL);
    }
    return api_routes(*acct, srv);
}
