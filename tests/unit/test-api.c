/* Unit tests for lib/api.c: the HTTP API answered without a server
 * (api_handle), on a real SQLite file in a temporary directory. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libavutil/error.h>
#include <sodium.h>

#include "account.h"
#include "api.h"
#include "log.h"
#include "tap.h"

static Account *acct;
static ApiResponse resp;

/* Answer METHOD PATH with body (may be NULL) and token; resp holds it. */
static int call(const char *method, const char *path, const char *token,
                const char *ctype, const char *body, const char *ip)
{
    ApiRequest req = {
        .method = method, .path = path, .token = token, .content_type = ctype,
        .body = body, .body_len = body ? strlen(body) : 0, .ip = ip ? ip : "127.0.0.1",
    };
    api_response_clear(&resp);
    api_handle(acct, &req, &resp);
    return resp.status;
}

/* The token in resp's Set-Cookie into tok ("" when none). */
static void cookie_token(char *tok, size_t size)
{
    const char *p = strstr(resp.cookie, API_COOKIE "=");
    size_t n;

    *tok = 0;
    if (!p)
        return;
    p += strlen(API_COOKIE) + 1;
    n = strcspn(p, ";");
    if (n < size) {
        memcpy(tok, p, n);
        tok[n] = 0;
    }
}

static const char *body_str(const char *key, char *buf, size_t size)
{
    json_t *j = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
    const char *s = json_string_value(json_object_get(j, key));
    snprintf(buf, size, "%s", s ? s : "(none)");
    json_decref(j);
    return buf;
}

static double body_num(const char *key)
{
    json_t *j = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
    double d = json_number_value(json_object_get(j, key));
    json_decref(j);
    return d;
}

int main(void)
{
    char dir[] = "/tmp/live-test-api-XXXXXX", path[512], tok[64], tok2[64], buf[256];
    const char *odd = "Zo\xc3\xab \"Z\"; O'Brien";
    AccountConfig cfg;
    json_t *j;

    log_init("test-api");
    log_set_level(LOG_LEVEL_WARN);
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/live.db", dir);
    account_config_default(&cfg);
    cfg.opslimit = crypto_pwhash_OPSLIMIT_MIN;
    cfg.memlimit = crypto_pwhash_MEMLIMIT_MIN;
    cfg.user_burst = 4;
    cfg.slow_max = 0.01;
    if (account_open(path, &cfg, &acct) < 0)
        return 1;
    account_user_add(acct, "alice", "secret");
    account_user_add(acct, "bob", "builder");
    account_user_add(acct, odd, "p&ss=w%rd");

    ok(api_match("/api/me") && api_match("/api") && !api_match("/apix") && !api_match("/watch/x"),
       "api_match");

    is_int(call("POST", "/api/login", NULL, "application/json",
                "{\"user\":\"alice\",\"password\":\"nope\"}", NULL), 401, "wrong password: 401");
    is_str(resp.cookie, "", "no cookie");
    is_int(call("POST", "/api/login", NULL, "application/json",
                "{\"user\":\"alice\",\"password\":\"secret\"}", NULL), 200, "JSON login: 200");
    ok(strstr(resp.cookie, "; HttpOnly") && strstr(resp.cookie, "; SameSite=Strict") &&
       strstr(resp.cookie, "; Path=/") && strstr(resp.cookie, "Max-Age=2592000") &&
       !strstr(resp.cookie, "Secure"), "cookie flags: %s", resp.cookie);
    cookie_token(tok, sizeof(tok));
    is_int(strlen(tok), ACCOUNT_TOKEN_LEN, "token in the cookie");
    is_str(body_str("user", buf, sizeof(buf)), "alice", "body names the user");

    is_int(call("GET", "/api/me", tok, NULL, NULL, NULL), 200, "me with the cookie: 200");
    is_str(body_str("user", buf, sizeof(buf)), "alice", "me is alice");
    is_int(call("GET", "/api/me", NULL, NULL, NULL, NULL), 401, "me without: 401");
    snprintf(tok2, sizeof(tok2), "%s", tok);
    tok2[10] ^= 1;
    is_int(call("GET", "/api/me", tok2, NULL, NULL, NULL), 401, "forged cookie: 401");
    is_int(call("POST", "/api/me", tok, NULL, NULL, NULL), 405, "POST me: 405");

    /* positions */
    is_int(call("GET", "/api/position/vod", tok, NULL, NULL, NULL), 404, "no position: 404");
    is_int(call("PUT", "/api/position/vod", tok, "application/json", "{\"seconds\":20.5}", NULL),
           204, "PUT JSON: 204");
    ok(resp.body == NULL, "no body with 204");
    is_int(call("GET", "/api/position/vod", tok, NULL, NULL, NULL), 200, "GET: 200");
    is_dbl(body_num("seconds"), 20.5, 1e-9, "seconds back");
    is_str(body_str("stream", buf, sizeof(buf)), "vod", "stream back");
    is_int(call("POST", "/api/position/vod", tok, "text/plain;charset=UTF-8", "{\"seconds\":21}",
                NULL), 204, "POST text/plain JSON (sendBeacon): 204");
    is_int(call("PUT", "/api/position/vod", tok, NULL, "22.25", NULL), 204, "bare number: 204");
    is_int(call("PUT", "/api/position/vod", tok, "application/x-www-form-urlencoded",
                "seconds=23.5", NULL), 204, "form: 204");
    call("GET", "/api/position/vod", tok, NULL, NULL, NULL);
    is_dbl(body_num("seconds"), 23.5, 1e-9, "last write kept");
    is_int(call("PUT", "/api/position/vod", tok, NULL, "{\"seconds\":-1}", NULL), 400,
           "negative: 400");
    is_int(call("PUT", "/api/position/vod", tok, NULL, "{\"seconds\":\"1\"}", NULL), 400,
           "string: 400");
    is_int(call("PUT", "/api/position/vod", tok, NULL, "{\"seconds\":1e10}", NULL), 400,
           "huge: 400");
    is_int(call("PUT", "/api/position/vod", tok, NULL, "{bad", NULL), 400, "bad JSON: 400");
    is_int(call("PUT", "/api/position/vod", NULL, NULL, "{\"seconds\":1}", NULL), 401,
           "no session: 401");
    is_int(call("DELETE", "/api/position/vod", tok, NULL, NULL, NULL), 405, "DELETE: 405");
    is_str(resp.allow, "GET, PUT, POST", "Allow");
    is_int(call("PUT", "/api/position/caf\xc3\xa9 'x'; y", tok, NULL, "{\"seconds\":3}", NULL), 404,
           "a name no stream can have: 404");
    is_int(call("PUT", "/api/position/watch", tok, NULL, "{\"seconds\":3}", NULL), 404,
           "a name live-serve routes: 404");
    is_int(call("PUT", "/api/position/cam-2.b_x", tok, NULL, "{\"seconds\":3}", NULL), 204,
           "a plausible stream name: 204");
    call("GET", "/api/position/cam-2.b_x", tok, NULL, NULL, NULL);
    is_str(body_str("stream", buf, sizeof(buf)), "cam-2.b_x", "stream verbatim");
    is_int(call("GET", "/api/positions", tok, NULL, NULL, NULL), 200, "positions list");
    j = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
    is_int(json_array_size(json_object_get(j, "positions")), 2, "two positions");
    ok(!json_object_get(j, "next"), "one page: no next");
    json_decref(j);
    {   /* pages of one */
        ApiRequest req = { .method = "GET", .path = "/api/positions", .token = tok,
                           .query = "limit=1" };
        api_response_clear(&resp);
        api_handle(acct, &req, &resp);
        j = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
        is_int(json_array_size(json_object_get(j, "positions")), 1, "limit=1: one position");
        is_str(json_string_value(json_object_get(j, "next")), "cam-2.b_x", "and next");
        json_decref(j);
        req.query = "limit=1&after=cam-2.b_x";
        api_response_clear(&resp);
        api_handle(acct, &req, &resp);
        j = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
        is_str(json_string_value(json_object_get(json_array_get(json_object_get(j, "positions"), 0),
                                                 "stream")), "vod", "the next page");
        ok(!json_object_get(j, "next"), "the last page: no next");
        json_decref(j);
        req.query = "limit=5000";
        api_response_clear(&resp);
        api_handle(acct, &req, &resp);
        is_int(resp.status, 400, "limit=5000: 400");
    }

    /* bob sees only his own */
    is_int(call("POST", "/api/login", NULL, "application/x-www-form-urlencoded",
                "user=bob&password=builder", NULL), 200, "form login: 200");
    cookie_token(tok2, sizeof(tok2));
    is_int(call("GET", "/api/position/vod", tok2, NULL, NULL, NULL), 404,
           "bob has no position for alice's stream");
    is_int(call("PUT", "/api/position/vod", tok2, NULL, "{\"seconds\":99}", NULL), 204,
           "bob writes his");
    call("GET", "/api/position/vod", tok, NULL, NULL, NULL);
    is_dbl(body_num("seconds"), 23.5, 1e-9, "alice's untouched");

    /* an odd name, form-encoded */
    is_int(call("POST", "/api/login", NULL, "application/x-www-form-urlencoded",
                "password=p%26ss%3Dw%25rd&user=Zo%C3%AB+%22Z%22%3B+O%27Brien", NULL), 200,
           "form login with an encoded odd name and password");
    is_str(body_str("user", buf, sizeof(buf)), odd, "name verbatim");
    is_int(call("POST", "/api/login", NULL, "application/x-www-form-urlencoded",
                "user=al%00ice&password=secret", NULL), 400, "encoded NUL: 400");
    is_int(call("POST", "/api/login", NULL, "application/x-www-form-urlencoded",
                "user=alice&password=secre%4", NULL), 400, "truncated escape: 400");
    is_int(call("POST", "/api/login", NULL, "application/json", "[1]", NULL), 400,
           "not an object: 400");
    is_int(call("GET", "/api/login", NULL, NULL, NULL, NULL), 405, "GET login: 405");

    /* logout */
    is_int(call("POST", "/api/logout", tok, NULL, NULL, NULL), 204, "logout: 204");
    ok(strstr(resp.cookie, API_COOKIE "=;") && strstr(resp.cookie, "Max-Age=0"),
       "cookie cleared: %s", resp.cookie);
    is_int(call("GET", "/api/me", tok, NULL, NULL, NULL), 401, "logged-out cookie: 401");
    is_int(call("GET", "/api/position/vod", tok, NULL, NULL, NULL), 401,
           "logged-out cookie cannot read positions");
    is_int(call("POST", "/api/logout", tok, NULL, NULL, NULL), 401, "logout again: 401");
    is_int(call("GET", "/api/me", tok2, NULL, NULL, NULL), 200, "bob's session unaffected");

    /* rate limit: burst 4 per (account, address) */
    call("POST", "/api/login", NULL, NULL, "{\"user\":\"alice\",\"password\":\"x\"}", "10.1.1.1");
    call("POST", "/api/login", NULL, NULL, "{\"user\":\"alice\",\"password\":\"x\"}", "10.1.1.1");
    call("POST", "/api/login", NULL, NULL, "{\"user\":\"alice\",\"password\":\"x\"}", "10.1.1.1");
    is_int(call("POST", "/api/login", NULL, NULL, "{\"user\":\"alice\",\"password\":\"x\"}",
                "10.1.1.1"), 401, "4th wrong attempt: 401");
    is_int(call("POST", "/api/login", NULL, NULL,
                "{\"user\":\"alice\",\"password\":\"secret\"}", "10.1.1.1"), 429,
           "5th attempt from that address, right password: 429");
    ok(resp.retry_after >= 1 && resp.retry_after <= 12, "Retry-After %d", resp.retry_after);
    is_str(resp.cookie, "", "no cookie when limited");
    is_int(call("POST", "/api/login", NULL, NULL,
                "{\"user\":\"alice\",\"password\":\"secret\"}", "10.1.1.4"), 200,
           "the right password from another address: 200");

    is_int(call("GET", "/api/nothing", tok2, NULL, NULL, NULL), 404, "unknown API: 404");
    {
        ApiRequest req = { .method = "POST", .path = "/api/login", .content_type = "application/json",
                           .body = "{\"user\":\"bob\",\"password\":\"builder\"}", .https = 1 };
        req.body_len = strlen(req.body);
        api_response_clear(&resp);
        api_handle(acct, &req, &resp);
        ok(resp.status == 200 && strstr(resp.cookie, "; Secure"), "Secure over HTTPS");
    }

    ok(api_same_origin("http://127.0.0.1:8080", "127.0.0.1:8080", NULL), "same origin");
    ok(api_same_origin("https://Live.Example", "live.example", NULL), "https, case");
    ok(!api_same_origin("http://evil.example", "live.example", NULL), "another site");
    ok(!api_same_origin("http://live.example:8081", "live.example:8080", NULL), "another port");
    ok(!api_same_origin("http://live.example.evil", "live.example", NULL), "a longer name");
    ok(!api_same_origin("null", "live.example", NULL), "Origin: null");
    ok(!api_same_origin(NULL, "live.example", NULL), "no Origin");
    ok(!api_same_origin("http://live.example", NULL, NULL), "no Host");
    ok(api_same_origin(NULL, "live.example", "same-origin"), "Sec-Fetch-Site: same-origin");
    ok(!api_same_origin(NULL, "live.example", "cross-site"), "Sec-Fetch-Site: cross-site");
    ok(!api_same_origin("http://live.example/x", "live.example", NULL), "a path in Origin");

    api_response_clear(&resp);
    account_close(&acct);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    if (system(path) != 0)
        diag("cleanup failed");
    return done();
}
