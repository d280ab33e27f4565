/*
 * rtc/control.h: live-rtc's control socket (a Unix stream socket), the
 * one way into the WebRTC stage. A connection says what it is on its
 * first line (fields separated by tabs, no tab or newline inside one):
 *
 *   FEED <TAB> NAME <LF>  then FLV bytes, as live-ingest writes them, until
 *                         EOF (the stream ends: its viewers are closed)
 *   WHEP <TAB> METHOD <TAB> PATH <TAB> CLIENT-ADDR <TAB> LENGTH <TAB> CONTENT-TYPE <LF>
 *                         then LENGTH bytes of body; the answer is
 *   STATUS <TAB> LENGTH <TAB> RETRY-AFTER <TAB> LOCATION <TAB> CONTENT-TYPE <TAB> ALLOW <LF>
 *                         then LENGTH bytes of body, and the connection closes
 *
 * Empty fields are written "-". live-serve forwards /whep/ requests this
 * way (rtc_control_whep); `live-rtc -f SOCK` feeds a stream.
 */
#ifndef LIVE_RTC_CONTROL_H
#define LIVE_RTC_CONTROL_H

#include <stddef.h>

#include "rtc/whep.h"

#define RTC_CONTROL_MAX_LINE 1024

/* Splits a line (without its LF, modified in place) into at most max
 * tab-separated fields; "-" becomes "". Returns the count. */
int rtc_control_split(char *line, char **fields, int max);

/* The request head for rq into buf; AVERROR(EINVAL) when a field holds
 * a tab or control character, or does not fit. */
int rtc_control_whep_head(char *buf, size_t size, const WhepRequest *rq);
/* The answer head for rs. */
int rtc_control_answer_head(char *buf, size_t size, const WhepResponse *rs, size_t body_len);

/* Asks the live-rtc at sock (blocking, at most timeout_ms in all). The
 * response's strings are copied into rs->body-owned storage: body
 * (av_malloc'd) and the static-length fields. 0, or a negative AVERROR
 * when live-rtc cannot be reached or answers nonsense. */
int rtc_control_whep(const char *sock, const WhepRequest *rq, WhepResponse *rs, char *ctype, size_t ctype_size,
                     char *allow, size_t allow_size, int timeout_ms);

#endif
