/*
 * rtc/control.c: the framing of live-rtc's control socket and the client
 * side of a WHEP request (live-serve's). See control.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "clock.h"
#include "rtc/control.h"

int rtc_control_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *t = strchr(p, '\t');
        fields[n++] = p;
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    for (int i = 0; i < n; i++)
        if (!strcmp(fields[i], "-"))
            fields[i] = fields[i] + 1; /* "" */
    return n;
}

static int clean(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static const char *dash(const char *s)
{
    return s && *s ? s : "-";
}

int rtc_control_whep_head(char *buf, size_t size, const WhepRequest *rq)
{
    int n;
    if (!clean(rq->method) || !clean(rq->path) || !clean(rq->addr) || !clean(rq->content_type))
        return AVERROR(EINVAL);
    n = snprintf(buf, size, "WHEP\t%s\t%s\t%s\t%zu\t%s\n", dash(rq->method), dash(rq->path), dash(rq->addr),
                 rq->body_len, dash(rq->content_type));
    return n < 0 || (size_t)n >= size || n > RTC_CONTROL_MAX_LINE ? AVERROR(EINVAL) : n;
}

int rtc_control_answer_head(char *buf, size_t size, const WhepResponse *rs, size_t body_len)
{
    int n = snprintf(buf, size, "%d\t%zu\t%d\t%s\t%s\t%s\n", rs->status, body_len, rs->retry_after,
                     dash(rs->location), dash(rs->content_type), dash(rs->allow));
    return n < 0 || (size_t)n >= size ? AVERROR(EINVAL) : n;
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = ev };
    int64_t left = deadline - clock_mono_ms();
    if (left <= 0)
        return AVERROR(ETIMEDOUT);
    int r = poll(&p, 1, (int)left);
    if (r < 0)
        return errno == EINTR ? 0 : AVERROR(errno);
    return r == 0 ? AVERROR(ETIMEDOUT) : 0;
}

/* Reads at least one more byte into buf[*got, room) before deadline and
 * adds what came to *got; a peer that closes first is bad data. */
static int recv_more(int fd, char *buf, size_t room, size_t *got, int64_t deadline)
{
    for (;;) {
        int ret = wait_fd(fd, POLLIN, deadline);
        if (ret < 0)
            return ret;
        ssize_t r = recv(fd, buf + *got, room - *got, MSG_DONTWAIT);
        if (r > 0) {
            *got += (size_t)r;
            return 0;
        }
        if (r == 0)
            return AVERROR_INVALIDDATA;
        if (errno != EAGAIN && errno != EINTR)
            return AVERROR(errno);
    }
}

static int write_all(int fd, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                int r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                    return r;
                continue;
            }
            return AVERROR(errno);
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int rtc_control_whep(const char *sock, const WhepRequest *rq, WhepResponse *rs, char *ctype, size_t ctype_size,
                     char *allow, size_t allow_size, int timeout_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char head[RTC_CONTROL_MAX_LINE + 64], line[RTC_CONTROL_MAX_LINE + 1];
    char *f[6];
    size_t got = 0, blen;
    int64_t deadline = clock_mono_ms() + timeout_ms;
    int fd = -1, ret, n;
    char *body = NULL, *nl;

    memset(rs, 0, sizeof(*rs));
    if (strlen(sock) >= sizeof(sa.sun_path))
        return AVERROR(ENAMETOOLONG);
    strcpy(sa.sun_path, sock);
    if ((n = rtc_control_whep_head(head, sizeof(head), rq)) < 0)
        return n;
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return AVERROR(errno);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        ret = AVERROR(errno);
        goto done;
    }
    /* live-rtc may answer (413) and close before taking the whole body:
     * its answer is read all the same */
    if ((ret = write_all(fd, head, (size_t)n, deadline)) < 0 ||
        (ret = write_all(fd, rq->body ? rq->body : "", rq->body_len, deadline)) < 0) {
        if (ret != AVERROR(EPIPE) && ret != AVERROR(ECONNRESET))
            goto done;
    }
    /* the head line */
    for (;;) {
        if ((nl = memchr(line, '\n', got)))
            break;
        if (got >= sizeof(line) - 1) {
            ret = AVERROR_INVALIDDATA;
            goto done;
        }
        if ((ret = recv_more(fd, line, sizeof(line) - 1, &got, deadline)) < 0)
            goto done;
    }
    *nl = '\0';
    size_t extra = got - (size_t)(nl + 1 - line);
    if (rtc_control_split(line, f, 6) != 6) {
        ret = AVERROR_INVALIDDATA;
        goto done;
    }
    rs->status = atoi(f[0]);
    blen = strtoul(f[1], NULL, 10);
    rs->retry_after = atoi(f[2]);
    if (rs->status < 100 || rs->status > 599 || blen > 1 << 20 || extra > blen) {
        ret = AVERROR_INVALIDDATA;
        goto done;
    }
    snprintf(rs->location, sizeof(rs->location), "%s", f[3]);
    snprintf(ctype, ctype_size, "%s", f[4]);
    snprintf(allow, allow_size, "%s", f[5]);
    rs->content_type = *ctype ? ctype : NULL;
    rs->allow = *allow ? allow : NULL;
    if (!(body = av_malloc(blen + 1))) {
        ret = AVERROR(ENOMEM);
        goto done;
    }
    memcpy(body, nl + 1, extra);
    got = extra;
    while (got < blen)
        if ((ret = recv_more(fd, body, blen, &got, deadline)) < 0)
            goto done;
    body[blen] = '\0';
    rs->body = body;
    body = NULL;
    ret = 0;
done:
    av_free(body);
    close(fd);
    return ret;
}
