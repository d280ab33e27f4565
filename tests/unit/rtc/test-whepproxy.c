/* Unit tests for lib/rtc/whepproxy.c: /whep/ requests to a real HTTP
 * server (http.c) are forwarded over a real Unix socket to a live-rtc
 * end and its answer comes back as it is (status, Location, Allow,
 * Retry-After, body, no-store); live-rtc away is a 503; an offer over
 * the limit a 413 without asking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../httpget.h"
#include "fakertc.h"
#include "http.h"
#include "log.h"
#include "rtc/whep.h"
#include "rtc/whepproxy.h"

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char sock[200], *big;
    HttpConfig cfg;
    HttpServer *srv = NULL;
    FakeRtc fake;
    HttpAnswer a;
    int port;

    log_init("test-whepproxy");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(sock, sizeof(sock), "%s/rtc-whepproxy-test.%d", tmpdir && *tmpdir ? tmpdir : "/tmp", (int)getpid());
    http_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 2;
    cfg.access_log_fd = -1;
    if (http_server_new(&cfg, &srv) < 0)
        return 1;
    is_int(whepproxy_routes(srv, sock), 0, "routes added");
    if (http_server_start(srv) < 0)
        return 1;
    port = http_server_port(srv);

    fakertc_start(&fake, sock, 3,
                  "201\t11\t0\t/whep/cam/0123456789abcdef0123456789abcdef\tapplication/sdp\t-\nv=0\r\nanswer");
    is_int(httpreq(port, "POST", "/whep/cam", "Content-Type: application/sdp\r\n", "v=0\r\noffer", 10, &a),
           201, "POST /whep/cam: live-rtc's 201");
    is_str(fake.head, "WHEP\tPOST\t/whep/cam\t127.0.0.1\t10\tapplication/sdp", "forwarded head: method, path, client, length, type");
    is_str(fake.body, "v=0\r\noffer", "forwarded body");
    ok(strstr(a.head, "\r\nLocation: /whep/cam/0123456789abcdef0123456789abcdef") != NULL, "its Location");
    ok(strstr(a.head, "\r\nCache-Control: no-store") != NULL, "never cached");
    ok(strstr(a.head, "Access-Control-Expose-Headers: Location, Retry-After, Allow") != NULL,
       "the headers a page may read");
    is_str(a.body, "v=0\r\nanswer", "its body");
    httpget_free(&a);

    fake.answer = "503\t4\t3\t-\ttext/plain\t-\nfull";
    is_int(httpreq(port, "DELETE", "/whep/cam/0123456789abcdef0123456789abcdef", NULL, NULL, 0, &a), 503,
           "DELETE forwarded, live-rtc's 503");
    ok(strstr(a.head, "\r\nRetry-After: 3") != NULL, "with its Retry-After");
    is_str(fake.head, "WHEP\tDELETE\t/whep/cam/0123456789abcdef0123456789abcdef\t127.0.0.1\t0\t-", "the DELETE's head");
    httpget_free(&a);

    fake.answer = "405\t0\t0\t-\t-\tPOST, OPTIONS\n";
    is_int(httpreq(port, "PATCH", "/whep/cam", NULL, "x", 1, &a), 405, "PATCH forwarded, 405");
    ok(strstr(a.head, "\r\nAllow: POST, OPTIONS") != NULL, "with its Allow");
    httpget_free(&a);
    fakertc_stop(&fake);
    unlink(sock);

    is_int(httpreq(port, "POST", "/whep/cam", "Content-Type: application/sdp\r\n", "v=0\r\n", 5, &a), 503,
           "live-rtc away: 503");
    ok(strstr(a.head, "\r\nRetry-After: 5") != NULL, "try again in 5 s");
    httpget_free(&a);

    big = malloc(WHEP_MAX_OFFER + 2);
    memset(big, 'a', WHEP_MAX_OFFER + 1);
    is_int(httpreq(port, "POST", "/whep/cam", "Content-Type: application/sdp\r\n", big, WHEP_MAX_OFFER + 1, &a),
           413, "an offer over the limit: 413, live-rtc not asked");
    httpget_free(&a);
    free(big);
    is_int(httpget(port, "/whep/cam", NULL, &a), 405, "GET is not a WHEP method: 405");
    httpget_free(&a);

    http_server_free(&srv);
    return done();
}
