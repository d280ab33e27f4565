/* Unit tests for lib/rtc/whep.c: paths, methods, content types, limits
 * and the mapping of session errors to statuses. */
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "../tap.h"
#include "fakesessions.h"
#include "rtc/whep.h"

static int fake_create(void *opaque, const char *stream, const char *offer, size_t len, const char *addr,
                       char **answer, char *id, const char **why)
{
    if (!strcmp(stream, "none"))
        return AVERROR(ENOENT);
    if (!strncmp(offer, "bad", 3)) {
        *why = "the offer has no H.264";
        return AVERROR_INVALIDDATA;
    }
    return fake_created(opaque, answer, id);
}

static int status(const WhepLimits *l, Fake *f, const char *method, const char *path, const char *ct,
                  const char *body, WhepResponse *rs)
{
    static const WhepOps ops = { fake_create, fake_destroy, fake_count };
    WhepRequest rq = { method, path, ct, body, body ? strlen(body) : 0, "127.0.0.1" };
    av_freep(&rs->body);
    whep_handle(l, &ops, f, &rq, rs);
    return rs->status;
}

int main(void)
{
    WhepLimits l;
    Fake f = { 0 };
    WhepResponse rs = { 0 };
    char name[WHEP_MAX_NAME + 1], id[WHEP_ID_SIZE];
    static char big[WHEP_MAX_OFFER + 2];

    whep_limits_default(&l);
    is_int(whep_parse_path("/whep/cam1", name, id), 1, "/whep/NAME");
    is_str(name, "cam1", "its name");
    is_int(whep_parse_path("/whep/cam1/0123456789abcdef0123456789abcdef", name, id), 2, "/whep/NAME/ID");
    is_str(id, "0123456789abcdef0123456789abcdef", "its id");
    is_int(whep_parse_path("/whep/..", name, id), 0, "/whep/.. is not a stream");
    is_int(whep_parse_path("/whep/a%2fb", name, id), 0, "escapes are not names");
    is_int(whep_parse_path("/whep/cam1/XYZ", name, id), 0, "a malformed session id");
    is_int(whep_parse_path("/whep/", name, id), 0, "no name");

    is_int(status(&l, &f, "POST", "/whep/cam1", "application/sdp", "v=0", &rs), 201, "POST an offer: 201");
    is_str(rs.location, "/whep/cam1/0123456789abcdef0123456789abcdef", "with a Location");
    is_str(rs.content_type, "application/sdp", "and the answer as application/sdp");
    is_int(status(&l, &f, "POST", "/whep/cam1", "application/sdp; charset=utf-8", "v=0", &rs), 201,
           "a parameter on the content type is fine");
    is_int(status(&l, &f, "POST", "/whep/none", "application/sdp", "v=0", &rs), 404, "unknown stream: 404");
    is_int(status(&l, &f, "POST", "/whep/cam1", "application/sdp", "bad", &rs), 400, "unusable offer: 400");
    ok(rs.body && strstr(rs.body, "H.264"), "saying why");
    is_int(status(&l, &f, "POST", "/whep/cam1", "text/plain", "v=0", &rs), 415, "wrong content type: 415");
    is_int(status(&l, &f, "POST", "/whep/cam1", NULL, "v=0", &rs), 415, "no content type: 415");
    is_int(status(&l, &f, "POST", "/whep/cam1", "application/sdp", "", &rs), 400, "no body: 400");
    memset(big, 'v', sizeof(big) - 1);
    is_int(status(&l, &f, "POST", "/whep/cam1", "application/sdp", big, &rs), 413, "a huge offer: 413");
    is_int(status(&l, &f, "GET", "/whep/cam1", NULL, NULL, &rs), 405, "GET: 405");
    is_str(rs.allow, "POST, OPTIONS", "with Allow");
    is_int(status(&l, &f, "OPTIONS", "/whep/cam1", NULL, NULL, &rs), 204, "OPTIONS: 204");
    is_int(status(&l, &f, "PATCH", "/whep/cam1/0123456789abcdef0123456789abcdef", "application/trickle-ice-sdpfrag",
                  "a=x", &rs), 405, "PATCH: 405 (ICE-lite)");
    is_int(status(&l, &f, "DELETE", "/whep/cam1/0123456789abcdef0123456789abcdef", NULL, NULL, &rs), 200,
           "DELETE: 200");
    is_int(f.destroyed, 1, "the session is ended");
    is_int(status(&l, &f, "DELETE", "/whep/cam1/00000000000000000000000000000000", NULL, NULL, &rs), 404,
           "DELETE of an unknown session: 404");
    f.of_addr = l.max_per_addr;
    is_int(status(&l, &f, "POST", "/whep/cam1", "application/sdp", "v=0", &rs), 429, "per-address limit: 429");
    ok(rs.retry_after > 0, "with Retry-After");
    f.total = l.max_sessions;
    is_int(status(&l, &f, "POST", "/whep/cam1", "application/sdp", "v=0", &rs), 503, "total limit: 503");
    is_int(status(&l, &f, "POST", "/other", "application/sdp", "v=0", &rs), 404, "not a WHEP path: 404");
    av_freep(&rs.body);
    return done();
}
