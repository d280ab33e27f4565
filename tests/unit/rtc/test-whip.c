/* Unit tests for lib/rtc/whip.c: paths, bearer tokens, the order of the
 * checks (authorization before the body is looked at), statuses. */
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "../tap.h"
#include "fakesessions.h"
#include "rtc/whip.h"

static int fake_auth(void *opaque, const char *stream, const char *token, const char *addr, const char **why)
{
    if (!strcmp(stream, "bad.name")) {
        *why = "a name the pipeline does not take";
        return AVERROR(EINVAL);
    }
    if (strcmp(addr, "127.0.0.1")) {
        *why = "not on loopback";
        return AVERROR(EPERM);
    }
    return token && !strcmp(token, "s3cret") ? 0 : AVERROR(EACCES);
}

static int fake_create(void *opaque, const char *stream, const char *offer, size_t len, const char *addr,
                       char **answer, char *id, const char **why)
{
    if (!strcmp(stream, "busy")) {
        *why = "the stream is being published already";
        return AVERROR(EBUSY);
    }
    if (!strncmp(offer, "bad", 3)) {
        *why = "SDP line not of the form x=...";
        return AVERROR_INVALIDDATA;
    }
    return fake_created(opaque, answer, id);
}

static int status(Fake *f, const char *method, const char *path, const char *ct, const char *auth,
                  const char *body, const char *addr, WhipResponse *rs)
{
    static const WhipOps ops = { fake_auth, fake_create, fake_destroy, fake_count };
    WhepLimits l = { 16, 4 };
    WhipRequest rq = { method, path, ct, auth, body, body ? strlen(body) : 0, addr ? addr : "127.0.0.1" };
    av_freep(&rs->r.body);
    whip_handle(&l, &ops, f, &rq, rs);
    return rs->r.status;
}

int main(void)
{
    Fake f = { 0 };
    WhipResponse rs = { 0 };
    char name[WHEP_MAX_NAME + 1], id[WHEP_ID_SIZE], tok[16];
    const char *sdp = "application/sdp", *good = "Bearer s3cret";

    plan(22);
    is_int(whip_parse_path("/whip/cam", name, id), 1, "/whip/NAME");
    is_int(whip_parse_path("/whip/cam/0123456789abcdef0123456789abcdef", name, id), 2, "/whip/NAME/ID");
    is_int(whip_parse_path("/whep/cam", name, id), 0, "not /whep/");
    is_int(whip_parse_path("/whip/../x", name, id), 0, "no ..");
    ok(whip_bearer("bearer  s3cret ", tok, sizeof(tok)) == 0 && !strcmp(tok, "s3cret"), "Bearer, any case, trimmed");
    is_int(whip_bearer("Basic czNjcmV0", tok, sizeof(tok)), AVERROR(EINVAL), "another scheme");
    is_int(whip_bearer("Bearer 0123456789abcdef0123", tok, sizeof(tok)), AVERROR(EINVAL), "a token too long");

    is_int(status(&f, "POST", "/whip/cam", sdp, good, "v=0", NULL, &rs), 201, "POST with the key: 201");
    is_str(rs.r.location, "/whip/cam/0123456789abcdef0123456789abcdef", "with the session's Location");
    is_str(rs.r.content_type, "application/sdp", "and the answer");
    is_int(status(&f, "POST", "/whip/cam", sdp, "Bearer nope", "v=0", NULL, &rs), 401, "a wrong token: 401");
    is_str(rs.www_authenticate, "Bearer", "WWW-Authenticate: Bearer");
    is_int(status(&f, "POST", "/whip/cam", "text/plain", NULL, "bad", NULL, &rs), 401,
           "no token: 401 before the body is looked at");
    is_int(status(&f, "POST", "/whip/cam", sdp, good, "bad sdp", NULL, &rs), 400, "malformed SDP: 400");
    is_int(status(&f, "POST", "/whip/cam", "text/plain", good, "v=0", NULL, &rs), 415, "not application/sdp: 415");
    is_int(status(&f, "POST", "/whip/bad.name", sdp, good, "v=0", NULL, &rs), 400, "a name not taken: 400");
    is_int(status(&f, "POST", "/whip/cam", sdp, good, "v=0", "192.0.2.1", &rs), 403, "not allowed from there: 403");
    is_int(status(&f, "POST", "/whip/busy", sdp, good, "v=0", NULL, &rs), 409, "published already: 409");
    f.of_addr = 4;
    is_int(status(&f, "POST", "/whip/cam", sdp, good, "v=0", NULL, &rs), 429, "too many from this address: 429");
    f.of_addr = 0;
    f.total = 16;
    is_int(status(&f, "POST", "/whip/cam", sdp, good, "v=0", NULL, &rs), 503, "too many in all: 503");
    is_int(status(&f, "DELETE", "/whip/cam/0123456789abcdef0123456789abcdef", NULL, good, NULL, NULL, &rs), 200,
           "DELETE with the key: 200");
    is_int(status(&f, "PATCH", "/whip/cam/0123456789abcdef0123456789abcdef", NULL, good, NULL, NULL, &rs), 405,
           "PATCH: 405 (ICE-lite)");
    av_freep(&rs.r.body);
    return done();
}
