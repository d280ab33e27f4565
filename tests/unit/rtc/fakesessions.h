/*
 * fakesessions.h: the session store the WHEP and WHIP handler tests give
 * whep_handle and whip_handle (rtc/whep.h, rtc/whip.h): one session id
 * (FAKE_ID) that can be ended, the session counts the test sets, and the
 * answer of a created session. Header-only.
 */
#ifndef LIVE_TEST_FAKESESSIONS_H
#define LIVE_TEST_FAKESESSIONS_H

#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#define FAKE_ID "0123456789abcdef0123456789abcdef"

typedef struct Fake {
    int total, of_addr;         /* what count reports */
    int destroyed, created;     /* sessions ended, made */
} Fake;

/* A session made: its id and a minimal answer. */
static int fake_created(Fake *f, char **answer, char *id)
{
    f->created++;
    strcpy(id, FAKE_ID);
    *answer = av_strdup("v=0\r\n");
    return 0;
}

static int fake_destroy(void *opaque, const char *stream, const char *id)
{
    Fake *f = opaque;
    if (strcmp(id, FAKE_ID))
        return AVERROR(ENOENT);
    f->destroyed++;
    return 0;
}

static void fake_count(void *opaque, const char *addr, int *total, int *of_addr)
{
    Fake *f = opaque;
    *total = f->total;
    *of_addr = f->of_addr;
}

#endif
