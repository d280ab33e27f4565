/*
 * rtc/whip.c: WHIP request handling. See whip.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "rtc/whip.h"

#define MAX_TOKEN 512

int whip_parse_path(const char *path, char *name, char *id)
{
    char p[WHEP_MAX_NAME + WHEP_ID_SIZE + 16];
    size_t n = strlen(path);
    if (strncmp(path, "/whip/", 6) || n >= sizeof(p))
        return 0;
    /* the same names and ids as WHEP's */
    memcpy(p, "/whep/", 6);
    memcpy(p + 6, path + 6, n - 6 + 1);
    return whep_parse_path(p, name, id);
}

int whip_bearer(const char *a, char *out, size_t size)
{
    size_t n;
    if (!a || strncasecmp(a, "Bearer ", 7))
        return AVERROR(EINVAL);
    a += 7;
    while (*a == ' ')
        a++;
    n = strlen(a);
    while (n && a[n - 1] == ' ')
        n--;
    if (!n || n >= size)
        return AVERROR(EINVAL);
    memcpy(out, a, n);
    out[n] = '\0';
    return 0;
}

static void text(WhipResponse *rs, int status, const char *msg)
{
    whep_text(&rs->r, status, msg);
}

/* The bearer token checked for stream: 0, or the status sent. */
static int check_auth(const WhipOps *ops, void *opaque, const char *name, const WhipRequest *rq, WhipResponse *rs)
{
    char token[MAX_TOKEN];
    const char *why = NULL;
    int have = rq->authorization && whip_bearer(rq->authorization, token, sizeof(token)) == 0;
    int ret = ops->authorize(opaque, name, have ? token : NULL, rq->addr, &why);
    if (ret == AVERROR(EACCES)) {
        rs->www_authenticate = "Bearer";
        text(rs, 401, have ? "wrong bearer token for this stream"
                           : "no bearer token: send Authorization: Bearer SECRET (the stream's key)");
    } else if (ret == AVERROR(EPERM)) {
        text(rs, 403, why ? why : "publishing is not allowed from this address");
    } else if (ret < 0) {
        text(rs, 400, why ? why : "this stream name is not allowed");
    }
    return ret < 0 ? rs->r.status : 0;
}

/* POST /whip/NAME: the checks of the request (method, authorization,
 * content type, size, limits), then the publisher's session. */
static void whip_post(const WhepLimits *lim, const WhipOps *ops, void *opaque, const WhipRequest *rq,
                      WhipResponse *rs, const char *name)
{
    char id[WHEP_ID_SIZE];
    int total = 0, of_addr = 0, ret;
    const char *why = NULL;
    char *answer = NULL;

    if (strcmp(rq->method, "POST")) {
        rs->r.allow = "POST, OPTIONS";
        text(rs, 405, "a WHIP endpoint takes POST with an SDP offer");
        return;
    }
    if (check_auth(ops, opaque, name, rq, rs))
        return;
    if (whep_offer_refused(rq->content_type, rq->body_len, &rs->r))
        return;
    ops->count(opaque, rq->addr, &total, &of_addr);
    if (total >= lim->max_sessions) {
        rs->r.retry_after = 5;
        text(rs, 503, "too many WHIP publishers on this server");
        return;
    }
    if (of_addr >= lim->max_per_addr) {
        rs->r.retry_after = 5;
        text(rs, 429, "too many WHIP publishers from this address");
        return;
    }
    ret = ops->create(opaque, name, rq->body, rq->body_len, rq->addr, &answer, id, &why);
    if (ret == AVERROR(EBUSY)) {
        text(rs, 409, why ? why : "the stream is being published already");
        return;
    }
    if (ret == AVERROR(ENOSPC) || ret == AVERROR(EAGAIN)) {
        rs->r.retry_after = 1;
        text(rs, 503, why ? why : "the server cannot take this publisher now");
        return;
    }
    if (ret < 0) {
        text(rs, ret == AVERROR_INVALIDDATA ? 400 : 500, why ? why : "the offer cannot be used");
        return;
    }
    rs->r.status = 201;
    rs->r.content_type = "application/sdp";
    rs->r.body = answer;
    snprintf(rs->r.location, sizeof(rs->r.location), "/whip/%s/%s", name, id);
}

void whip_handle(const WhepLimits *lim, const WhipOps *ops, void *opaque, const WhipRequest *rq,
                 WhipResponse *rs)
{
    char name[WHEP_MAX_NAME + 1], id[WHEP_ID_SIZE];
    int kind = whip_parse_path(rq->path, name, id);

    memset(rs, 0, sizeof(*rs));
    if (!kind) {
        text(rs, 404, "not a WHIP resource: /whip/NAME or /whip/NAME/SESSION");
        return;
    }
    if (!strcmp(rq->method, "OPTIONS")) {
        rs->r.status = 204;
        rs->r.allow = kind == 1 ? "POST, OPTIONS" : "DELETE, OPTIONS";
        return;
    }
    if (kind == 1) {
        whip_post(lim, ops, opaque, rq, rs, name);
        return;
    }
    if (!strcmp(rq->method, "DELETE")) {
        if (check_auth(ops, opaque, name, rq, rs))
            return;
        if (ops->destroy(opaque, name, id) < 0)
            text(rs, 404, "no such WHIP session");
        else
            rs->r.status = 200;
        return;
    }
    rs->r.allow = "DELETE, OPTIONS";
    text(rs, 405, !strcmp(rq->method, "PATCH")
                      ? "trickle ICE and ICE restarts are not supported: the server is ICE-lite"
                      : "a WHIP session takes DELETE");
}
