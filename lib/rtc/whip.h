/*
 * rtc/whip.h: WHIP signalling (draft-ietf-wish-whip) as an HTTP-free
 * request handler, as whep.h is for viewers: method, path, the headers
 * that matter and the body in; status, headers and body out. live-ingest
 * supplies the publishing sessions through WhipOps (whipin.h).
 *
 *   POST   /whip/NAME      Authorization: Bearer SECRET (the stream's key)
 *                          Content-Type: application/sdp, body: offer
 *       -> 201 Created, Location: /whip/NAME/ID, body: answer
 *   DELETE /whip/NAME/ID   (the same bearer) -> 200: the publish ends
 *   PATCH  /whip/NAME/ID   -> 405: ICE-lite with one host candidate
 *
 *   400 malformed or unusable offer (the reason in the body), 401 no or
 *   wrong bearer token (WWW-Authenticate: Bearer), 403 without a key
 *   file a publisher that is not on loopback, 404 not a WHIP path or no
 *   such session, 409 the stream is being published already, 413 offer
 *   too large, 415 not application/sdp, 429 too many publishers from this
 *   address, 503 too many in total.
 */
#ifndef LIVE_RTC_WHIP_H
#define LIVE_RTC_WHIP_H

#include <stddef.h>

#include "rtc/whep.h"

typedef struct WhipOps {
    /* May addr publish stream with token (NULL: none was sent)? 0,
     * AVERROR(EACCES) (401), AVERROR(EPERM) (403), AVERROR(EINVAL) (400:
     * a name the pipeline does not take; *why says why). */
    int (*authorize)(void *opaque, const char *stream, const char *token, const char *addr, const char **why);
    /* Make the publishing session of stream for offer: as WhepOps.create;
     * AVERROR(EBUSY): published already (409, *why). */
    int (*create)(void *opaque, const char *stream, const char *offer, size_t len, const char *addr,
                  char **answer, char *id, const char **why);
    /* End a session: 0 or AVERROR(ENOENT). */
    int (*destroy)(void *opaque, const char *stream, const char *id);
    /* Sessions now: in total and of addr. */
    void (*count)(void *opaque, const char *addr, int *total, int *of_addr);
} WhipOps;

typedef struct WhipRequest {
    const char *method;
    const char *path;           /* without the query */
    const char *content_type;   /* NULL if absent */
    const char *authorization;  /* NULL if absent */
    const char *body;
    size_t body_len;
    const char *addr;
} WhipRequest;

/* WhepResponse's fields, plus www_authenticate for a 401. */
typedef struct WhipResponse {
    WhepResponse r;
    const char *www_authenticate;
} WhipResponse;

/* /whip/NAME (1) or /whip/NAME/ID (2), else 0; as whep_parse_path. */
int whip_parse_path(const char *path, char *name, char *id);

/* The token of "Bearer TOKEN" (scheme case-insensitive) into out; 0, or
 * AVERROR(EINVAL) for another scheme or a token too long. */
int whip_bearer(const char *authorization, char *out, size_t size);

/* Answers one request. Never fails: errors become statuses. */
void whip_handle(const WhepLimits *lim, const WhipOps *ops, void *opaque, const WhipRequest *rq,
                 WhipResponse *rs);

#endif
