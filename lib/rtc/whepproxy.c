/*
 * rtc/whepproxy.c: /whep/ on live-serve, forwarded to live-rtc. See
 * whepproxy.h. The call blocks one of live-serve's event threads for the
 * round trip over the Unix socket (live-rtc answers from memory: about a
 * millisecond; at most 5 s before a 503).
 */
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "log.h"
#include "rtc/control.h"
#include "rtc/whepproxy.h"

int whepproxy_reply(HttpRequest *req, WhepResponse *rs, const char *www_authenticate)
{
    char num[16];
    int r;

    if (rs->location[0])
        http_add_header(req, "Location", rs->location);
    if (rs->allow)
        http_add_header(req, "Allow", rs->allow);
    if (www_authenticate)
        http_add_header(req, "WWW-Authenticate", www_authenticate);
    if (rs->retry_after > 0) {
        snprintf(num, sizeof(num), "%d", rs->retry_after);
        http_add_header(req, "Retry-After", num);
    }
    http_add_header(req, "Access-Control-Expose-Headers", "Location, Retry-After, Allow");
    r = http_reply(req, (unsigned)rs->status, rs->content_type, "no-store", rs->body ? rs->body : "",
                   rs->body ? strlen(rs->body) : 0);
    av_freep(&rs->body);
    return r;
}

static int handle(HttpRequest *req, void *arg)
{
    const char *sock = arg;
    WhepRequest rq = { 0 };
    WhepResponse rs;
    char ctype[128], allow[64];
    int r;

    rq.method = http_method(req);
    rq.path = http_path(req);
    rq.content_type = http_header(req, "Content-Type");
    rq.body = http_body(req, &rq.body_len);
    rq.addr = http_client_ip(req);
    if (rq.body_len > WHEP_MAX_OFFER)
        return http_reply_error(req, 413, "the SDP offer is larger than 32 KiB");
    r = rtc_control_whep(sock, &rq, &rs, ctype, sizeof(ctype), allow, sizeof(allow), 5000);
    if (r == AVERROR(EINVAL))
        return http_reply_error(req, 400, "bad request head");
    if (r < 0) {
        log_warn("WHEP %s %s: live-rtc at %s: %s", rq.method, rq.path, sock, av_err2str(r));
        http_add_header(req, "Retry-After", "5");
        return http_reply_error(req, 503, "real-time viewing (live-rtc) is not available");
    }
    return whepproxy_reply(req, &rs, NULL);
}

int whepproxy_routes(HttpServer *srv, const char *sock)
{
    static const char *methods[] = { "POST", "DELETE", "PATCH" };
    for (int i = 0; i < 3; i++) {
        int r = http_route(srv, methods[i], "/whep/", HTTP_ROUTE_PREFIX, handle, (void *)sock);
        if (r < 0)
            return r;
    }
    return 0;
}
