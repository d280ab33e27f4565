/* Unit tests for lib/rtc/control.c: the control socket's line framing
 * (split, the request and answer heads, fields that would break them)
 * and rtc_control_whep against a live-rtc end on a real Unix socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "../tap.h"
#include "fakertc.h"
#include "rtc/whep.h"
#include "rtc/control.h"

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char line[] = "201\t5\t-\t/whep/cam/ab\tapplication/sdp\t-", head[2048], sock[200], ctype[64], allow[64];
    char *f[8];
    WhepRequest rq = { .method = "POST", .path = "/whep/cam", .content_type = "application/sdp",
                       .body = "v=0\r\nhello", .body_len = 10, .addr = "127.0.0.1" };
    WhepResponse rs = { .status = 201, .content_type = "application/sdp", .retry_after = 0 };
    FakeRtc fake;
    char *longpath;

    is_int(rtc_control_split(line, f, 8), 6, "six fields");
    is_str(f[0], "201", "status");
    is_str(f[2], "", "\"-\" is empty");
    is_str(f[3], "/whep/cam/ab", "location");
    is_str(f[5], "", "last field empty");
    {
        char l2[] = "a\tb\tc\td";
        is_int(rtc_control_split(l2, f, 2), 2, "at most max fields");
        is_str(f[1], "b", "cut at max (the rest stays in the last one's tail)");
    }

    is_int(rtc_control_whep_head(head, sizeof(head), &rq), 49, "the request head's length");
    is_str(head, "WHEP\tPOST\t/whep/cam\t127.0.0.1\t10\tapplication/sdp\n", "the request head");
    rq.path = "/whep/cam\tx";
    is_int(rtc_control_whep_head(head, sizeof(head), &rq), AVERROR(EINVAL), "a tab in a field is refused");
    rq.path = "/whep/cam\nWHEP";
    is_int(rtc_control_whep_head(head, sizeof(head), &rq), AVERROR(EINVAL), "so is a newline");
    longpath = malloc(1500);
    memset(longpath, 'a', 1499);
    longpath[1499] = '\0';
    rq.path = longpath;
    is_int(rtc_control_whep_head(head, sizeof(head), &rq), AVERROR(EINVAL), "a head over the line limit is refused");
    rq.path = "/whep/cam";
    rq.content_type = NULL;
    rtc_control_whep_head(head, sizeof(head), &rq);
    is_str(head, "WHEP\tPOST\t/whep/cam\t127.0.0.1\t10\t-\n", "an absent field is \"-\"");
    rq.content_type = "application/sdp";

    snprintf(rs.location, sizeof(rs.location), "/whep/cam/0123");
    rtc_control_answer_head(head, sizeof(head), &rs, 42);
    is_str(head, "201\t42\t0\t/whep/cam/0123\tapplication/sdp\t-\n", "the answer head");
    ok(rtc_control_answer_head(head, 8, &rs, 42) < 0, "an answer head that does not fit");

    /* a round trip through a Unix socket */
    snprintf(sock, sizeof(sock), "%s/rtc-control-test.%d", tmpdir && *tmpdir ? tmpdir : "/tmp", (int)getpid());
    fakertc_start(&fake, sock, 4,
                  "201\t11\t0\t/whep/cam/0123456789abcdef0123456789abcdef\tapplication/sdp\t-\nv=0\r\nanswer");
    is_int(rtc_control_whep(sock, &rq, &rs, ctype, sizeof(ctype), allow, sizeof(allow), 10000), 0, "asked");
    is_str(fake.head, "WHEP\tPOST\t/whep/cam\t127.0.0.1\t10\tapplication/sdp", "live-rtc got the head");
    is_str(fake.body, "v=0\r\nhello", "and the body");
    is_int(rs.status, 201, "the status");
    is_str(rs.location, "/whep/cam/0123456789abcdef0123456789abcdef", "Location");
    is_str(rs.content_type, "application/sdp", "content type");
    ok(rs.allow == NULL, "no Allow");
    is_str(rs.body, "v=0\r\nanswer", "the body");
    av_freep(&rs.body);

    fake.answer = "405\t0\t0\t-\t-\tPOST, OPTIONS\n";
    is_int(rtc_control_whep(sock, &rq, &rs, ctype, sizeof(ctype), allow, sizeof(allow), 10000), 0, "a 405");
    ok(rs.status == 405 && rs.allow && !strcmp(rs.allow, "POST, OPTIONS"), "with its Allow");
    ok(rs.body && rs.body[0] == '\0', "an empty body");
    av_freep(&rs.body);

    fake.answer = "999\t0\t0\t-\t-\t-\n";
    is_int(rtc_control_whep(sock, &rq, &rs, ctype, sizeof(ctype), allow, sizeof(allow), 10000),
           AVERROR_INVALIDDATA, "a status out of range is nonsense");
    fake.answer = "200\t50\t0\t-\t-\t-\nshort";
    is_int(rtc_control_whep(sock, &rq, &rs, ctype, sizeof(ctype), allow, sizeof(allow), 10000),
           AVERROR_INVALIDDATA, "a body shorter than announced is bad data");
    ok(rs.body == NULL, "and no body kept");
    fakertc_stop(&fake);
    unlink(sock);

    ok(rtc_control_whep(sock, &rq, &rs, ctype, sizeof(ctype), allow, sizeof(allow), 1000) < 0,
       "nobody listening: an error");
    ok(rtc_control_whep(longpath, &rq, &rs, ctype, sizeof(ctype), allow, sizeof(allow), 1000) ==
           AVERROR(ENAMETOOLONG), "a socket path too long");
    free(longpath);
    return done();
}
