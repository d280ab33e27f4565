/*
 * fakertc.h: the live-rtc end of a control socket (rtc/control.h) for
 * the unit tests of its clients: a thread that takes one connection at a
 * time, reads the head line and the body it announces, and answers with
 * a fixed head and body. Header-only.
 */
#ifndef LIVE_TEST_FAKERTC_H
#define LIVE_TEST_FAKERTC_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct FakeRtc {
    int fd;
    pthread_t thread;
    int connections;             /* answer this many, then stop */
    const char *answer;          /* the whole answer, head line and body */
    char head[1100];             /* the last request's head line (without LF) */
    char body[4096];             /* and its body */
    size_t body_len;
} FakeRtc;

static void *fakertc_run(void *arg)
{
    FakeRtc *f = arg;
    for (int i = 0; i < f->connections; i++) {
        char buf[8192];
        size_t got = 0, want = 0;
        char *nl = NULL;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            break;
        while (got < sizeof(buf) - 1) {
            ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);
            if (n <= 0)
                break;
            got += n;
            buf[got] = '\0';
            if (!nl && (nl = strchr(buf, '\n'))) {
                char *tab = nl;
                int tabs = 0;
                /* WHEP \t METHOD \t PATH \t ADDR \t LENGTH \t TYPE */
                for (char *p = buf; p < nl; p++)
                    if (*p == '\t' && ++tabs == 4)
                        tab = p;
                want = (size_t)(nl + 1 - buf) + strtoul(tab + 1, NULL, 10);
            }
            if (nl && got >= want)
                break;
        }
        if (nl) {
            snprintf(f->head, sizeof(f->head), "%.*s", (int)(nl - buf), buf);
            f->body_len = got - (size_t)(nl + 1 - buf);
            memcpy(f->body, nl + 1, f->body_len);
            f->body[f->body_len] = '\0';
        }
        if (write(c, f->answer, strlen(f->answer)) < 0)
            f->head[0] = '\0';
        close(c);
    }
    return NULL;
}

/* Listen at path and answer n connections with answer. */
static inline int fakertc_start(FakeRtc *f, const char *path, int n, const char *answer)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memset(f, 0, sizeof(*f));
    if (strlen(path) >= sizeof(sa.sun_path))
        return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    unlink(path);
    f->connections = n;
    f->answer = answer;
    if ((f->fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
        bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(f->fd, 4) < 0)
        return -1;
    return pthread_create(&f->thread, NULL, fakertc_run, f) ? -1 : 0;
}

static inline void fakertc_stop(FakeRtc *f)
{
    pthread_join(f->thread, NULL);
    close(f->fd);
}

#endif
