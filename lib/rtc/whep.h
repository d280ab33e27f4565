/*
 * rtc/whep.h: WHEP signalling (draft-ietf-wish-whep) as an HTTP-free
 * request handler: method, path, headers that matter and body in, status,
 * headers and body out. The media server supplies the sessions through
 * WhepOps; whoever speaks HTTP (live-rtc's control socket, live-serve)
 * only copies fields.
 *
 *   POST   /whep/NAME      Content-Type: application/sdp, body: offer
 *       -> 201 Created, Location: /whep/NAME/ID, body: answer
 *   DELETE /whep/NAME/ID   -> 200 (the session ends)
 *   PATCH  /whep/NAME/ID   -> 405: we are ICE-lite with one host
 *                             candidate; trickle and restarts add nothing
 *   OPTIONS                -> 204, Accept-Post: application/sdp
 *
 *   400 malformed or unusable offer (the reason in the body), 404 no such
 *   stream or session, 413 offer too large, 415 not application/sdp,
 *   429 too many sessions from this address, 503 too many in total.
 */
#ifndef LIVE_RTC_WHEP_H
#define LIVE_RTC_WHEP_H

#include <stddef.h>

#define WHEP_ID_SIZE 33         /* 32 hex digits and a NUL */
#define WHEP_MAX_NAME 128
#define WHEP_MAX_OFFER 32768

typedef struct WhepLimits {
    int max_sessions;           /* in total (default 500) */
    int max_per_addr;           /* per client address (default 20) */
} WhepLimits;

typedef struct WhepOps {
    /* Make a session of stream for offer; on success *answer (av_malloc'd,
     * the caller's) and id are set. AVERROR(ENOENT): no such stream;
     * AVERROR_INVALIDDATA: unusable offer, *why says why. */
    int (*create)(void *opaque, const char *stream, const char *offer, size_t len, const char *addr,
                  char **answer, char *id, const char **why);
    /* End a session: 0 or AVERROR(ENOENT). */
    int (*destroy)(void *opaque, const char *stream, const char *id);
    /* Sessions now: in total and of addr. */
    void (*count)(void *opaque, const char *addr, int *total, int *of_addr);
} WhepOps;

typedef struct WhepRequest {
    const char *method;
    const char *path;           /* without the query */
    const char *content_type;   /* NULL if absent */
    const char *body;
    size_t body_len;
    const char *addr;           /* the client's address, for limits */
} WhepRequest;

typedef struct WhepResponse {
    int status;
    char location[WHEP_MAX_NAME + WHEP_ID_SIZE + 16];
    const char *content_type;   /* of body */
    const char *allow;          /* Allow header for 405/OPTIONS, or NULL */
    int retry_after;            /* seconds, 0: none */
    char *body;                 /* av_malloc'd, the caller frees; may be NULL */
} WhepResponse;

void whep_limits_default(WhepLimits *l);

/* A short text/plain answer: status and msg (and a newline) as the body. */
void whep_text(WhepResponse *rs, int status, const char *msg);

/* The checks every offer passes, WHEP's and WHIP's: Content-Type
 * application/sdp (else 415), at most WHEP_MAX_OFFER bytes (413), not
 * empty (400). 1 after answering rs so, 0 when the offer may go on. */
int whep_offer_refused(const char *content_type, size_t len, WhepResponse *rs);

/* Parses /whep/NAME or /whep/NAME/ID. NAME is [A-Za-z0-9_.-]{1,128} and
 * not "." or ".."; ID is 32 lowercase hex digits. Returns 1 (stream), 2
 * (session), or 0 when the path is not a WHEP path. */
int whep_parse_path(const char *path, char *name, char *id);

/* Answers one request. Never fails: errors become statuses. */
void whep_handle(const WhepLimits *lim, const WhepOps *ops, void *opaque, const WhepRequest *rq,
                 WhepResponse *rs);

#endif
