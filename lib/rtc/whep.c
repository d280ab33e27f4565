/*
 * rtc/whep.c: WHEP request handling. See whep.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libavutil/error.h>
#include <libavutil/avstring.h>
#include <libavutil/mem.h>

#include "rtc/whep.h"

void whep_limits_default(WhepLimits *l)
{
    l->max_sessions = 500;
    l->max_per_addr = 20;
}

static int name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

int whep_parse_path(const char *path, char *name, char *id)
{
    const char *p, *s;
    size_t n;
    if (strncmp(path, "/whep/", 6))
        return 0;
    p = path + 6;
    for (s = p; *s && *s != '/'; s++)
        if (!name_char(*s))
            return 0;
    n = (size_t)(s - p);
    if (!n || n > WHEP_MAX_NAME || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
        return 0;
    memcpy(name, p, n);
    name[n] = '\0';
    if (!*s)
        return 1;
    s++;
    if (strlen(s) != WHEP_ID_SIZE - 1)
        return 0;
    for (int i = 0; i < WHEP_ID_SIZE - 1; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    memcpy(id, s, WHEP_ID_SIZE);
    return 2;
}

void whep_text(WhepResponse *rs, int status, const char *msg)
{
    rs->status = status;
    rs->content_type = "text/plain; charset=utf-8";
    rs->body = av_asprintf("%s\n", msg);
}

static int is_sdp(const char *ct)
{
    size_t n = strlen("application/sdp");
    if (!ct || strncasecmp(ct, "application/sdp", n))
        return 0;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

int whep_offer_refused(const char *content_type, size_t len, WhepResponse *rs)
{
    if (!is_sdp(content_type))
        whep_text(rs, 415, "the offer must be sent as Content-Type: application/sdp");
    else if (len > WHEP_MAX_OFFER)
        whep_text(rs, 413, "the SDP offer is larger than 32 KiB");
    else if (!len)
        whep_text(rs, 400, "the request has no SDP offer");
    else
        return 0;
    return 1;
}

void whep_handle(const WhepLimits *lim, const WhepOps *ops, void *opaque, const WhepRequest *rq,
                 WhepResponse *rs)
{
    char name[WHEP_MAX_NAME + 1], id[WHEP_ID_SIZE];
    int kind = whep_parse_path(rq->path, name, id);

    memset(rs, 0, sizeof(*rs));
    if (!kind) {
        whep_text(rs, 404, "not a WHEP resource: /whep/NAME or /whep/NAME/SESSION");
        return;
    }
    if (!strcmp(rq->method, "OPTIONS")) {
        rs->status = 204;
        rs->allow = kind == 1 ? "POST, OPTIONS" : "DELETE, OPTIONS";
        return;
    }
    if (kind == 1) {
        int total = 0, of_addr = 0, ret;
        const char *why = NULL;
        char *answer = NULL;
        if (strcmp(rq->method, "POST")) {
            rs->allow = "POST, OPTIONS";
            whep_text(rs, 405, "a WHEP endpoint takes POST with an SDP offer");
            return;
        }
        if (whep_offer_refused(rq->content_type, rq->body_len, rs))
            return;
        ops->count(opaque, rq->addr, &total, &of_addr);
        if (total >= lim->max_sessions) {
            rs->retry_after = 5;
            whep_text(rs, 503, "too many WebRTC sessions on this server");
            return;
        }
        if (of_addr >= lim->max_per_addr) {
            rs->retry_after = 5;
            whep_text(rs, 429, "too many WebRTC sessions from this address");
            return;
        }
        ret = ops->create(opaque, name, rq->body, rq->body_len, rq->addr, &answer, id, &why);
        if (ret == AVERROR(ENOENT)) {
            whep_text(rs, 404, "no such live stream");
            return;
        }
        if (ret == AVERROR(EAGAIN) || ret == AVERROR(ENOSPC)) {
            rs->retry_after = 1;
            whep_text(rs, 503, why ? why : "the stream is not ready yet");
            return;
        }
        if (ret < 0) {
            whep_text(rs, ret == AVERROR_INVALIDDATA ? 400 : 500, why ? why : "the offer cannot be used");
            return;
        }
        rs->status = 201;
        rs->content_type = "application/sdp";
        rs->body = answer;
        snprintf(rs->location, sizeof(rs->location), "/whep/%s/%s", name, id);
        return;
    }
    if (!strcmp(rq->method, "DELETE")) {
        if (ops->destroy(opaque, name, id) < 0)
            whep_text(rs, 404, "no such WHEP session");
        else
            rs->status = 200;
        return;
    }
    rs->allow = "DELETE, OPTIONS";
    whep_text(rs, 405, !strcmp(rq->method, "PATCH")
                      ? "trickle ICE and ICE restarts are not supported: the server is ICE-lite"
                      : "a WHEP session takes DELETE");
}
