/*
 * httpget.h: a minimal blocking HTTP/1.0 client for the unit tests of the
 * server's parts (serve, site, waiter, whepproxy): one request to 127.0.0.1, the
 * whole answer read until the server closes. Header-only.
 */
#ifndef LIVE_TEST_HTTPGET_H
#define LIVE_TEST_HTTPGET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct HttpAnswer {
    int status;         /* -1: no answer */
    char head[4096];    /* status line and headers */
    char *body;         /* NUL-terminated, malloc'd (free with httpget_free) */
    size_t len;
} HttpAnswer;

/* method path on 127.0.0.1:port with len bytes of body (extra: more
 * header lines, each ending in "\r\n", or NULL). Returns a->status. */
static inline int httpreq(int port, const char *method, const char *path, const char *extra,
                          const char *body, size_t blen, HttpAnswer *a)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    char req[2048], *all = NULL, *sep;
    size_t len = 0, cap = 0;
    ssize_t n;
    int fd;

    memset(a, 0, sizeof(*a));
    a->status = -1;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s%zu%sConnection: close\r\n\r\n",
             method, path, extra ? extra : "", body ? "Content-Length: " : "", blen, body ? "\r\n" : "");
    if (!body)   /* no Content-Length line: drop the number printed */
        snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n",
                 method, path, extra ? extra : "");
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req) ||
        (body && write(fd, body, blen) != (ssize_t)blen)) {
        close(fd);
        return -1;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *p = realloc(all, cap = 2 * cap + 8192);
            if (!p)
                break;
            all = p;
        }
        if ((n = read(fd, all + len, 4096)) <= 0)
            break;
        len += n;
    }
    close(fd);
    if (!all)
        return -1;
    all[len] = '\0';
    if ((sep = strstr(all, "\r\n\r\n")) && sscanf(all, "HTTP/1.%*d %d", &a->status) == 1) {
        size_t hlen = sep - all;
        snprintf(a->head, sizeof(a->head), "%.*s", (int)hlen, all);
        a->len = len - hlen - 4;
        a->body = malloc(a->len + 1);
        if (a->body) {
            memcpy(a->body, sep + 4, a->len);
            a->body[a->len] = '\0';
        }
    }
    free(all);
    return a->status;
}

/* GET path. */
static inline int httpget(int port, const char *path, const char *extra, HttpAnswer *a)
{
    return httpreq(port, "GET", path, extra, NULL, 0, a);
}

static inline void httpget_free(HttpAnswer *a)
{
    free(a->body);
    a->body = NULL;
}

/* A port that was free a moment ago on 127.0.0.1 (0 if none). */
static inline int httpget_free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = 0;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

#endif
