/*
 * rtc/whepproxy.h: live-serve's side of WHEP: /whep/ requests on the
 * origin (so the player page and the nginx edge need no other host) are
 * forwarded to live-rtc over its control socket (control.h) and its
 * answer is sent back as it is: status, Location, Allow, Retry-After,
 * body. Never cached (Cache-Control: no-store).
 */
#ifndef LIVE_RTC_WHEPPROXY_H
#define LIVE_RTC_WHEPPROXY_H

#include "http.h"
#include "rtc/whep.h"

/* Adds the POST, DELETE and PATCH routes under /whep/ to srv, forwarding
 * to the control socket at sock (the string must outlive srv). 0 or
 * AVERROR(ENOMEM). */
int whepproxy_routes(HttpServer *srv, const char *sock);

/* Sends a WHEP or WHIP answer as the HTTP reply to req: its status,
 * Location, Allow, WWW-Authenticate (when not NULL) and Retry-After, the
 * headers a page may read, the body, never cached. rs->body is freed
 * (and cleared). 0 or a negative AVERROR. */
int whepproxy_reply(HttpRequest *req, WhepResponse *rs, const char *www_authenticate);

#endif
