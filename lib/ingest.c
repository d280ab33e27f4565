/*
 * ingest.c: the RTMP server loop of live-ingest: sockets, timers, stream
 * keys and output sinks around the rtmp.c state machine. See ingest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libavutil/error.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sodium.h>
#include <srt/srt.h>
#include <srt/access_control.h>

#include "array.h"
#include "bytebuf.h"
#include "clock.h"
#include "flv.h"
#include "fs.h"
#include "ingest.h"
#include "keys.h"
#include "log.h"
#include "parse.h"
#include "record.h"
#include "remux.h"
#include "rtc/whipin.h"
#include "rtc/whipmux.h"
#include "srtid.h"
#include "tsmap.h"
#include "rtmp.h"
#include "sock.h"

extern char **environ;

enum Kind { K_LISTEN, K_LISTEN_TLS, K_SIGNAL, K_CONN, K_SINK, K_WHIP };

typedef struct Handle {
    enum Kind kind;
} Handle;

typedef struct Stream Stream;

typedef struct Conn {
    Handle h;
    int fd;
    RtmpConn *rtmp;
    SSL *ssl;              /* RTMPS: TLS on this connection */
    SRTSOCKET srt;         /* an SRT caller (no fd, no RTMP): -1 otherwise */
    int srt_latency;       /* its negotiated receive latency, ms */
    int64_t srt_drain_until; /* gone: its last packets read until then; 0: connected */
    int whip;              /* a WHIP publisher (no fd, no RTMP; whipin.c has its session) */
    int tls_want_write;    /* TLS needs the socket writable to go on reading */
    char peer[80];
    uint8_t addr[16];      /* the peer's address (IPv4 as v4-mapped IPv6) */
    int64_t started, last_read;
    Stream *stream;        /* while it publishes */
    int closing;           /* refused: flush, then close */
    int shut;              /* SHUT_WR done */
    int64_t close_at;
    int published;         /* has published on this connection */
    int paused;            /* not read: its stream's queue is full */
    int64_t paused_since;
    uint32_t events;       /* epoll interest */
    int dead;
    int have_ts;           /* timestamp mapping of this publishing session */
    uint32_t last_raw;
    int64_t last_t, offset;
    struct Conn *next;
} Conn;

struct Stream {
    Handle h;
    char name[RECORD_MAX_NAME + 1];
    Conn *publisher;       /* NULL while waiting for a reconnect */
    int64_t grace_until;
    int64_t published_at;
    int ending;            /* gone for good: drain, then finish */
    int fd;
    int pollable;          /* fd can be in epoll */
    int registered;        /* in epoll for EPOLLOUT */
    int is_stdout;
    pid_t child;
    int is_file;
    char path[PATH_MAX], tmp[PATH_MAX];
    ByteBuf queue;
    int header_written, media_written;
    int64_t last_ts, last_a, last_v, last_wall;
    Remux *remux;          /* Enhanced RTMP video: MPEG-TS or Matroska, not FLV */
    int ts_input;          /* fed MPEG-TS by SRT callers, written as it comes, */
    TsMap tsmap;           /* its timestamps continued across callers */
    int whip_input;        /* fed by WHIP publishers: Matroska (whipmux.c) */
    enum RtcCodec whip_video; /* ... of this video codec (or none) */
    int whip_audio;        /* ... with Opus audio */
    WhipMux *wmux;         /* made at the first frame */
    uint32_t fourcc;       /* its video FourCC */
    uint8_t *seq[2];       /* last sequence headers: audio, video */
    size_t seq_len[2];
    int sessions;
    int dead;
    Stream *next;
};

typedef struct Child {
    pid_t pid;
    char name[RECORD_MAX_NAME + 1];
} Child;

typedef struct Server {
    const IngestOptions *opt;
    int ep, sfd, lfd, tlsfd;
    Handle listen_h, tls_h, signal_h;
    SSL_CTX *ssl_ctx;
    SRTSOCKET srt_lsn;     /* the SRT listener, -1: none */
    int srt_eid;
    WhipIn *whip;          /* WHIP publishers; NULL: none */
    Handle whip_h;
    pthread_mutex_t keys_lock; /* keys: the SRT listen callback runs in libsrt's thread */
    Conn *conns;
    int nconns;
    Stream *streams;
    Keys *keys;
    int quit;
    int64_t quit_deadline;
    int stdout_used;
    int stdout_flags;
    int done;
    int status;
    Child *children;
    int nchildren, cap_children;
    int64_t last_refusal_log;
    size_t hard_queue;
    int dirty;             /* a connection or stream died: sweep */
} Server;

void ingest_options_default(IngestOptions *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->listen = ":1935";
    opt->grace = 10;
    opt->handshake_timeout = 5;
    opt->idle_timeout = 10;
    opt->max_conns = 256;
    opt->max_unpublished = 8;
    opt->srt_latency = 0.12;
    opt->max_queue = 16 << 20;
    opt->whip_keyframes = -1;
    rtmp_limits_default(&opt->limits);
}

/* ---- epoll helpers -------------------------------------------------------- */

static int ep_set(Server *s, int fd, Handle *h, uint32_t events, int op)
{
    struct epoll_event ev = { .events = events, .data.ptr = h };
    return epoll_ctl(s->ep, op, fd, &ev);
}

static void conn_update_events(Server *s, Conn *c)
{
    size_t pending;
    uint32_t want = 0;

    if (c->dead || !c->rtmp)
        return;
    rtmp_conn_output(c->rtmp, &pending);
    if (!c->paused)
        want |= EPOLLIN;
    if ((pending && !c->shut) || c->tls_want_write)
        want |= EPOLLOUT;
    if (want != c->events) {
        ep_set(s, c->fd, &c->h, want, EPOLL_CTL_MOD);
        c->events = want;
    }
}

/* ---- children ----------------------------------------------------------- */

static void child_add(Server *s, pid_t pid, const char *name)
{
    if (s->nchildren == s->cap_children) {
        size_t cap = array_grow(&s->children, s->cap_children, sizeof(*s->children), 16);
        if (!cap)
            return; /* it is reaped all the same, only not named */
        s->cap_children = cap;
    }
    s->children[s->nchildren].pid = pid;
    snprintf(s->children[s->nchildren].name, sizeof(s->children[0].name), "%s", name);
    s->nchildren++;
}

/* Reap the children that have exited; with wait_ms, wait that long for
 * all of them. */
static void reap_children(Server *s, int wait_ms)
{
    int64_t until = clock_mono_ms() + wait_ms;
    pid_t pid;
    int st;

    for (;;) {
        pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) {
            if (pid < 0 || s->nchildren == 0 || clock_mono_ms() >= until)
                return;
            usleep(20000);
            continue;
        }
        const char *name = "?";
        for (int i = 0; i < s->nchildren; i++) {
            if (s->children[i].pid == pid) {
                name = s->children[i].name;
                break;
            }
        }
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            log_debug("%s: command exited", name);
        else if (WIFEXITED(st))
            log_warn("%s: command exited with status %d", name, WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
            log_warn("%s: command killed by signal %d", name, WTERMSIG(st));
        for (int i = 0; i < s->nchildren; i++) {
            if (s->children[i].pid == pid) {
                s->children[i] = s->children[--s->nchildren];
                break;
            }
        }
    }
}

/* ---- streams -------------------------------------------------------------- */

static Stream *find_stream(Server *s, const char *name)
{
    for (Stream *st = s->streams; st; st = st->next)
        if (!st->dead && !strcmp(st->name, name))
            return st;
    return NULL;
}

static int spawn_child(Server *s, Stream *st)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, def;
    char *argv[] = { "sh", "-c", (char *)s->opt->exec_cmd, NULL };
    char envname[RECORD_MAX_NAME + 16], envformat[32];
    char **env;
    int fds[2], n = 0, ret;
    pid_t pid;

    for (char **e = environ; *e; e++)
        n++;
    if (!(env = calloc(n + 3, sizeof(*env))))
        return AVERROR(ENOMEM);
    n = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "LIVE_STREAM=", 12) && strncmp(*e, "LIVE_FORMAT=", 12))
            env[n++] = *e;
    snprintf(envname, sizeof(envname), "LIVE_STREAM=%s", st->name);
    env[n++] = envname;
    snprintf(envformat, sizeof(envformat), "LIVE_FORMAT=%s",
             st->ts_input ? "mpegts" : st->whip_input ? "matroska" : st->remux ? remux_format(st->fourcc) : "flv");
    env[n++] = envformat;
    env[n] = NULL;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        ret = AVERROR(errno);
        free(env);
        return ret;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    ret = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(env);
    close(fds[0]);
    if (ret) {
        close(fds[1]);
        return AVERROR(ret);
    }
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20); /* fewer wake-ups; best effort */
    sock_set_nonblock(fds[1]);
    st->fd = fds[1];
    st->pollable = 1;
    st->child = pid;
    child_add(s, pid, st->name);
    log_debug("%s: started sh -c '%s' (pid %ld)", st->name, s->opt->exec_cmd, (long)pid);
    return 0;
}

static int open_file(Server *s, Stream *st)
{
    struct stat sb;
    int n = snprintf(st->path, sizeof(st->path), "%s/%s.flv", s->opt->out_dir, st->name);
    int fifo = n > 0 && (size_t)n < sizeof(st->path) && stat(st->path, &sb) == 0 &&
               S_ISFIFO(sb.st_mode);

    /* NAME.flv, or NAME.ts / NAME.mkv for Enhanced RTMP video (a FIFO
     * NAME.flv takes any: its reader probes) */
    if (!fifo && (st->remux || st->ts_input || st->whip_input))
        n = snprintf(st->path, sizeof(st->path), "%s/%s.%s", s->opt->out_dir, st->name,
                     st->ts_input ? "ts" : st->whip_input ? "mkv" : remux_extension(st->fourcc));
    if (n < 0 || (size_t)n >= sizeof(st->path))
        return AVERROR(ENAMETOOLONG);
    if (fifo) {
        /* Non-blocking open of a FIFO fails with ENXIO when nobody reads it. */
        st->fd = open(st->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (st->fd < 0)
            return AVERROR(errno);
        st->pollable = 1;
        fcntl(st->fd, F_SETPIPE_SZ, 1 << 20);
        return 0;
    }
    if ((n = fs_tmpname(st->path, st->tmp, sizeof(st->tmp))) < 0)
        return n;
    st->fd = open(st->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (st->fd < 0)
        return AVERROR(errno);
    st->is_file = 1;
    return 0;
}

static int open_stdout(Server *s, Stream *st)
{
    struct stat sb;

    if (fstat(1, &sb) < 0)
        return AVERROR(errno);
    st->fd = 1;
    st->is_stdout = 1;
    if (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)) {
        s->stdout_flags = fcntl(1, F_GETFL);
        sock_set_nonblock(1);
        st->pollable = 1;
    }
    return 0;
}

static Stream *stream_new(Server *s, const char *name)
{
    Stream *st = calloc(1, sizeof(*st));

    if (!st)
        return NULL;
    st->h.kind = K_SINK;
    st->fd = -1;
    snprintf(st->name, sizeof(st->name), "%s", name);
    bytebuf_init(&st->queue, s->hard_queue);
    if (!s->opt->exec_cmd && !s->opt->out_dir)
        s->stdout_used = 1;
    st->next = s->streams;
    s->streams = st;
    return st;
}

/* Open the stream's output when it has its first bytes to write, so a
 * publisher that is refused or sends nothing leaves no file or child. */
static int stream_open_sink(Server *s, Stream *st)
{
    char err[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (s->opt->exec_cmd)
        ret = spawn_child(s, st);
    else if (s->opt->out_dir)
        ret = open_file(s, st);
    else
        ret = open_stdout(s, st);
    if (ret == AVERROR(ENXIO))
        log_error("%s: nobody reads the FIFO %s", st->name, st->path);
    else if (ret < 0)
        log_error("%s: cannot open its output: %s", st->name, log_averr(ret, err, sizeof(err)));
    return ret;
}

/* The stream has nothing left to write: close its output. */
static void stream_finish(Server *s, Stream *st)
{
    char err[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (st->dead)
        return;
    st->dead = 1;
    s->dirty = 1;
    remux_free(&st->remux);
    whipmux_free(&st->wmux);
    if (st->registered)
        epoll_ctl(s->ep, EPOLL_CTL_DEL, st->fd, NULL);
    if (!s->opt->exec_cmd && !s->opt->out_dir) {
        if (s->stdout_flags >= 0 && st->pollable)
            fcntl(1, F_SETFL, s->stdout_flags);
        close(1);
        s->done = 1;
    } else if (st->fd >= 0) {
        close(st->fd);
    }
    st->fd = -1;
    if (st->is_file && (ret = fs_publish(st->tmp, st->path, 0)) < 0)
        log_error("%s: %s", st->path, log_averr(ret, err, sizeof(err)));
    log_info("%s: stream ended", st->name);
}

static void conn_close(Server *s, Conn *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void stream_flush(Server *s, Stream *st);

/* The publisher is gone for good (or the output failed): end the output
 * once the queue has drained. */
static void stream_end(Server *s, Stream *st, int discard)
{
    if (st->dead)
        return;
    st->ending = 1;
    if (discard)
        bytebuf_reset(&st->queue);
    else if (st->remux)
        remux_free(&st->remux);   /* the container's trailer joins the queue */
    else if (st->wmux)
        whipmux_free(&st->wmux);
    else if (st->media_written && !st->ts_input &&   /* MPEG-TS has no end mark */
             flv_put_end(&st->queue, (uint32_t)st->last_ts) < 0)
        log_warn("%s: no room for the end mark: the consumer will take the end for a cut",
                 st->name);
    if (st->publisher)
        conn_close(s, st->publisher, LOG_LEVEL_DEBUG, "stream ended");
    if (bytebuf_size(&st->queue) == 0)
        stream_finish(s, st);
    else
        stream_flush(s, st); /* opens the output if it never was; finishes when drained */
}

static void conn_resume(Server *s, Conn *c)
{
    if (!c->paused)
        return;
    c->paused = 0;
    conn_update_events(s, c);
}

/* Writing the output failed with errno err: end the stream. */
static void stream_fail(Server *s, Stream *st, int err)
{
    if (err == EPIPE)
        log_error("%s: the consumer went away", st->name);
    else
        log_error("%s: writing the output: %s", st->name, strerror(err));
    if (st->is_stdout)
        s->status = AVERROR(err);
    stream_end(s, st, 1);
}

static void stream_want_out(Server *s, Stream *st)
{
    if (st->pollable && !st->registered &&
        ep_set(s, st->fd, &st->h, EPOLLOUT, EPOLL_CTL_ADD) == 0)
        st->registered = 1;
}

/*
 * Write one FLV tag. When nothing waits in the queue it goes straight
 * from the message to the output (writev, no copy), and only what the
 * consumer does not take now is queued. 0, AVERROR(ENOSPC) when the
 * queue is full, or another AVERROR after the stream failed (ended).
 */
static int stream_put_tag(Server *s, Stream *st, int type, uint32_t ts,
                          const uint8_t *body, size_t size)
{
    uint8_t h[FLV_TAG_HEADER_SIZE], t[4];
    struct iovec iov[3];
    size_t total = size + FLV_TAG_OVERHEAD, skip;
    ssize_t n;
    int ret;

    if (bytebuf_size(&st->queue) || st->dead || size > 0xffffff)
        return flv_put_tag(&st->queue, type, ts, body, size);
    if (st->fd < 0 && (ret = stream_open_sink(s, st)) < 0) {
        stream_end(s, st, 1);
        return ret;
    }
    flv_tag_frame(type, ts, size, h, t);
    iov[0] = (struct iovec){ h, sizeof(h) };
    iov[1] = (struct iovec){ (void *)body, size };
    iov[2] = (struct iovec){ t, 4 };
    do
        n = writev(st->fd, iov, 3);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)total)
        return 0;
    if (n < 0 && errno != EAGAIN) {
        stream_fail(s, st, errno);
        return AVERROR(EPIPE);
    }
    /* Queue the rest. */
    skip = n > 0 ? (size_t)n : 0;
    for (int i = 0; i < 3; i++) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        bytebuf_append(&st->queue, (uint8_t *)iov[i].iov_base + skip, iov[i].iov_len - skip);
        skip = 0;
    }
    stream_want_out(s, st);
    return st->queue.err ? AVERROR(ENOSPC) : 0;
}

/* Write what the queue holds, as far as the consumer takes it. */
static void stream_flush(Server *s, Stream *st)
{
    if (st->dead)
        return;
    if (st->fd < 0) {
        if (bytebuf_size(&st->queue) == 0)
            return;
        if (stream_open_sink(s, st) < 0) {
            stream_end(s, st, 1);
            return;
        }
    }
    while (bytebuf_size(&st->queue)) {
        ssize_t n = write(st->fd, bytebuf_data(&st->queue), bytebuf_size(&st->queue));
        if (n > 0) {
            bytebuf_consume(&st->queue, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            stream_want_out(s, st);
            break;
        }
        stream_fail(s, st, n < 0 ? errno : EIO);
        return;
    }
    if (bytebuf_size(&st->queue) == 0 && st->queue.cap > (256 << 10))
        bytebuf_free(&st->queue); /* a burst is over: give its memory back */
    if (bytebuf_size(&st->queue) == 0 && st->registered) {
        epoll_ctl(s->ep, EPOLL_CTL_DEL, st->fd, NULL);
        st->registered = 0;
    }
    if (st->publisher && st->publisher->paused &&
        bytebuf_size(&st->queue) <= s->opt->max_queue / 2)
        conn_resume(s, st->publisher);
    if (st->ending && bytebuf_size(&st->queue) == 0)
        stream_finish(s, st);
}

/* The publisher left: wait grace seconds for it to come back. */
static void stream_detach(Server *s, Stream *st)
{
    st->publisher = NULL;
    if (st->ending || st->dead)
        return;
    st->grace_until = clock_mono_ms() + (int64_t)(s->opt->grace * 1000);
    if (s->opt->grace <= 0)
        stream_end(s, st, 0);
    else
        log_info("%s: publisher gone, waiting %g s for it to return", st->name, s->opt->grace);
}

/* ---- connections ---------------------------------------------------------- */

static void conn_close(Server *s, Conn *c, int level, const char *fmt, ...)
{
    va_list ap;
    char msg[256];

    if (c->dead)
        return;
    c->dead = 1;
    s->dirty = 1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg(level, "%s%s%s: %s", c->peer, c->stream ? " " : "",
            c->stream ? c->stream->name : "", msg);
    if (c->whip) {
        whipin_close(s->whip, c);   /* nothing if whipin.c itself ended it */
    } else if (c->srt != SRT_INVALID_SOCK) {
        srt_epoll_remove_usock(s->srt_eid, c->srt);
        srt_close(c->srt);
        c->srt = SRT_INVALID_SOCK;
    } else {
        epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    }
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    s->nconns--;
    if (c->stream) {
        Stream *st = c->stream;
        c->stream = NULL;
        stream_detach(s, st);
    }
}

/* recv, or SSL_read on an RTMPS connection: bytes, 0 at the end, or -1
 * with errno (EAGAIN: nothing now; EPROTO: TLS failed, logged). */
static ssize_t conn_recv(Conn *c, void *buf, size_t n)
{
    int r, e;

    if (!c->ssl)
        return recv(c->fd, buf, n, 0);
    ERR_clear_error();
    if ((r = SSL_read(c->ssl, buf, (int)n)) > 0)
        return r;
    switch ((e = SSL_get_error(c->ssl, r))) {
    case SSL_ERROR_WANT_WRITE:
        c->tls_want_write = 1;
        /* fall through */
    case SSL_ERROR_WANT_READ:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == 0 || errno == EAGAIN)
            return 0;   /* closed without close_notify */
        return -1;
    default:
        log_debug("%s: TLS: %s", c->peer, ERR_reason_error_string(ERR_peek_last_error())
                                          ? ERR_reason_error_string(ERR_peek_last_error()) : "?");
        errno = EPROTO;
        return -1;
    }
}

/* send, or SSL_write: bytes, or -1 with errno (EAGAIN: not now). */
static ssize_t conn_send(Conn *c, const void *buf, size_t n)
{
    int r;

    if (!c->ssl)
        return send(c->fd, buf, n, MSG_NOSIGNAL);
    ERR_clear_error();
    if ((r = SSL_write(c->ssl, buf, (int)n)) > 0)
        return r;
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    default:
        if (errno == 0 || errno == EAGAIN)
            errno = EPROTO;
        return -1;
    }
}

/* Send what the protocol has queued. */
static void conn_flush(Server *s, Conn *c)
{
    size_t len;
    const uint8_t *p;

    if (!c->rtmp)
        return;
    while (!c->dead && (p = rtmp_conn_output(c->rtmp, &len), len > 0)) {
        ssize_t n = conn_send(c, p, len);
        if (n > 0) {
            rtmp_conn_sent(c->rtmp, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        conn_close(s, c, LOG_LEVEL_DEBUG, "send: %s", strerror(errno));
        return;
    }
    if (c->closing && len == 0 && !c->shut) {
        shutdown(c->fd, SHUT_WR);
        c->shut = 1;
    }
    conn_update_events(s, c);
}

static void conn_start_closing(Server *s, Conn *c)
{
    c->closing = 1;
    c->close_at = clock_mono_ms() + 2000;
    conn_flush(s, c);
}

static void refuse(Server *s, Conn *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse(Server *s, Conn *c, const char *code, const char *fmt, ...)
{
    va_list ap;
    char msg[256];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_warn("%s: publish refused (%s): %s", c->peer, code, msg);
    if (rtmp_conn_refuse_publish(c->rtmp, code, msg) < 0) {
        conn_close(s, c, LOG_LEVEL_DEBUG, "refused");
        return;
    }
    conn_start_closing(s, c);
}

static void on_publish(Server *s, Conn *c, const RtmpEvent *ev)
{
    const char *name = ev->name, *rule = record_stream_rule(name);
    Stream *st;

    if (rule) {
        refuse(s, c, "NetStream.Publish.BadName", "invalid stream name: %s", rule);
        return;
    }
    if (s->keys && !keys_check(s->keys, name, ev->key)) {
        refuse(s, c, "NetStream.Publish.Denied", "%s: %s", name,
               ev->key ? "wrong key" : "no key (add ?key=SECRET to the stream name)");
        return;
    }
    if (!s->keys && ev->key)
        log_warn("%s: %s: ?key= ignored: no key file (-k), so keys are not checked",
                 c->peer, name);
    st = find_stream(s, name);
    if (st && st->publisher) {
        refuse(s, c, "NetStream.Publish.BadName", "%s is already being published", name);
        return;
    }
    if (st && st->ending) {
        refuse(s, c, "NetStream.Publish.BadName", "%s is ending; publish again shortly", name);
        return;
    }
    if (st && (st->ts_input || st->whip_input)) {
        refuse(s, c, "NetStream.Publish.BadName", "%s is being published over %s", name,
               st->ts_input ? "SRT" : "WHIP");
        return;
    }
    if (!st) {
        if (s->stdout_used) {
            refuse(s, c, "NetStream.Publish.BadName",
                   "%s: this server writes one stream, to standard output", name);
            return;
        }
        if (!(st = stream_new(s, name))) {
            refuse(s, c, "NetStream.Publish.Failed", "%s: the server cannot open its output", name);
            return;
        }
        log_info("%s: published by %s", name, c->peer);
    } else {
        log_info("%s: publisher back (%s), continuing the stream", name, c->peer);
    }
    st->publisher = c;
    st->sessions++;
    st->published_at = clock_mono_ms();
    c->stream = st;
    c->published = 1;
    c->have_ts = 0;
    if (rtmp_conn_accept_publish(c->rtmp) < 0)
        conn_close(s, c, LOG_LEVEL_WARN, "%s", rtmp_conn_error(c->rtmp));
}

/* Map a publisher's 32-bit timestamp to the stream's output timeline:
 * unwrapped, shifted after the previous session's last one on a
 * reconnect, never backwards per media type. */
static uint32_t map_ts(Conn *c, Stream *st, uint32_t raw, int type)
{
    int64_t *last = type == FLV_TAG_AUDIO ? &st->last_a : &st->last_v, out;

    if (!c->have_ts) {
        c->have_ts = 1;
        c->last_t = raw;
        if (st->media_written) {
            int64_t gap = clock_mono_ms() - st->last_wall;
            c->offset = st->last_ts + (gap > 1 ? gap : 1) - (int64_t)raw;
        } else {
            c->offset = 0;
        }
    } else {
        c->last_t += (int32_t)(raw - c->last_raw);
    }
    c->last_raw = raw;
    out = c->last_t + c->offset;
    if (out < *last)
        out = *last;
    if (out < 0)
        out = 0;
    *last = out;
    if (out > st->last_ts)
        st->last_ts = out;
    return (uint32_t)out;
}

static void write_header(Stream *st, int has_audio, int has_video)
{
    if (st->header_written)
        return;
    if (!has_audio && !has_video)
        has_audio = has_video = 1;
    flv_put_header(&st->queue, has_audio, has_video);
    st->header_written = 1;
}

/* Bytes from the stream's remuxer into its queue. */
static int stream_remux_write(void *opaque, const uint8_t *buf, size_t size)
{
    Stream *st = opaque;

    if (st->dead)
        return AVERROR(EPIPE);
    bytebuf_append(&st->queue, buf, size);
    return st->queue.err ? AVERROR(ENOSPC) : 0;
}

static void fourcc_text(uint32_t fourcc, char cc[5])
{
    for (int i = 0; i < 4; i++) {
        char ch = (char)(fourcc >> (24 - 8 * i));
        cc[i] = ch < 32 || ch > 126 ? '?' : ch;
    }
    cc[4] = '\0';
}

/* The stream's video is Enhanced RTMP with this FourCC: from now on it is
 * written through a remuxer (audio: 1, 0, or -1 not known). 0, or -1
 * after closing the connection (an unknown FourCC, a stream already
 * begun as FLV or with another FourCC). */
static int stream_use_remux(Server *s, Conn *c, Stream *st, uint32_t fourcc, int audio)
{
    char cc[5];

    fourcc_text(fourcc, cc);
    if (!flv_fourcc_known(fourcc)) {
        conn_close(s, c, LOG_LEVEL_ERROR, "Enhanced RTMP video with FourCC '%s' is not"
                   " supported (hvc1, av01, vp09 are)", cc);
        return -1;
    }
    if (st->remux && st->fourcc == fourcc)
        return 0;
    if (st->remux || st->header_written) {
        conn_close(s, c, LOG_LEVEL_ERROR, "Enhanced RTMP video ('%s') in a stream that began"
                   " as %s", cc, st->remux ? "another codec" : "FLV");
        return -1;
    }
    if (remux_new(fourcc, audio, 0, 0, stream_remux_write, st, &st->remux) < 0) {
        conn_close(s, c, LOG_LEVEL_ERROR, "out of memory");
        return -1;
    }
    st->fourcc = fourcc;
    log_info("%s: Enhanced RTMP video '%s': written as %s", st->name, cc, remux_format(fourcc));
    return 0;
}

static void on_metadata(Server *s, Conn *c, const RtmpEvent *ev)
{
    Stream *st = c->stream;
    int has_audio, has_video;
    double vcodec;

    if (!st || st->header_written)
        return; /* the first one wins; libavformat does not like a second */
    if (flv_metadata_info(ev->data, ev->size, &has_audio, &has_video, &vcodec) < 0) {
        log_debug("%s: unreadable onMetaData ignored", st->name);
        return;
    }
    if (vcodec == FLV_CODEC_HEVC_LEGACY) {
        conn_close(s, c, LOG_LEVEL_ERROR,
                   "videocodecid 12 (HEVC outside Enhanced RTMP) is not supported: publish"
                   " H.264, or HEVC as Enhanced RTMP");
        return;
    }
    if (vcodec > 15 && vcodec < 4294967296.0) {   /* a FourCC: Enhanced RTMP */
        uint32_t cc = (uint32_t)vcodec;
        if (stream_use_remux(s, c, st, cc, has_audio) < 0)
            return;
        return;   /* MPEG-TS and Matroska carry no FLV metadata */
    }
    if (st->remux)
        return;
    write_header(st, has_audio, has_video);
    if (flv_put_tag(&st->queue, FLV_TAG_SCRIPT, 0, ev->data, ev->size) < 0)
        log_warn("%s: onMetaData dropped: queue full", st->name);
    stream_flush(s, st);
}

static void media_done(Server *s, Conn *c, Stream *st);

/* What the remuxer said about a tag. */
static void remux_result(Server *s, Conn *c, Stream *st, int ret, const char *what)
{
    char err[AV_ERROR_MAX_STRING_SIZE];

    if (ret == AVERROR(ENOSPC))
        conn_close(s, c, LOG_LEVEL_ERROR, "the consumer is too slow: %zu bytes waiting",
                   bytebuf_size(&st->queue));
    else if (ret == AVERROR_INVALIDDATA)
        conn_close(s, c, LOG_LEVEL_ERROR, "%s this stream cannot take", what);
    else if (ret < 0) {
        log_error("%s: writing %s: %s", st->name, remux_format(st->fourcc),
                  log_averr(ret, err, sizeof(err)));
        stream_end(s, st, 1);
    } else {
        media_done(s, c, st);
    }
}

static void on_remux_video(Server *s, Conn *c, Stream *st, const FlvVideoInfo *vi,
                           const RtmpEvent *ev)
{
    char what[64], cc[5], have[5];

    if (!st->remux && stream_use_remux(s, c, st, vi->fourcc, -1) < 0)
        return;
    fourcc_text(vi->fourcc, cc);
    fourcc_text(st->fourcc, have);
    if (!vi->enhanced || vi->fourcc != st->fourcc) {
        if (vi->enhanced)
            snprintf(what, sizeof(what), "'%s'", cc);
        else
            snprintf(what, sizeof(what), "of FLV codec id %d", vi->codec_id);
        conn_close(s, c, LOG_LEVEL_ERROR, "video %s in a stream of '%s'", what, have);
        return;
    }
    snprintf(what, sizeof(what), "Enhanced RTMP video ('%s') that", cc);
    remux_result(s, c, st, remux_video(st->remux, vi, map_ts(c, st, ev->timestamp, FLV_TAG_VIDEO),
                                       ev->data, ev->size), what);
}

static void on_remux_audio(Server *s, Conn *c, Stream *st, const RtmpEvent *ev)
{
    remux_result(s, c, st, remux_audio(st->remux, map_ts(c, st, ev->timestamp, FLV_TAG_AUDIO),
                                       ev->data, ev->size),
                 "audio other than AAC, or an AAC configuration, that");
}

static void on_media(Server *s, Conn *c, const RtmpEvent *ev)
{
    Stream *st = c->stream;
    int type = ev->type == RTMP_EVENT_AUDIO ? FLV_TAG_AUDIO : FLV_TAG_VIDEO;
    int seq = 0, idx = type == FLV_TAG_AUDIO ? 0 : 1, ret;
    uint32_t ts;

    if (!st)
        return;
    if (type == FLV_TAG_VIDEO) {
        FlvVideoInfo vi;
        if (flv_video_info(ev->data, ev->size, &vi) < 0) {
            if (ev->size > 0 && (ev->data[0] & 0x80))
                conn_close(s, c, LOG_LEVEL_ERROR, "a truncated or invalid Enhanced RTMP video"
                           " header (%zu bytes)", ev->size);
            return;
        }
        if (vi.codec_id == FLV_CODEC_HEVC_LEGACY && !vi.enhanced) {
            conn_close(s, c, LOG_LEVEL_ERROR, "HEVC (FLV codec id 12) video is not supported:"
                       " publish H.264, or HEVC as Enhanced RTMP");
            return;
        }
        if (vi.enhanced || st->remux) {
            on_remux_video(s, c, st, &vi, ev);
            return;
        }
        seq = vi.sequence_header;
    } else {
        FlvAudioInfo ai;
        if (flv_audio_info(ev->data, ev->size, &ai) < 0)
            return;
        if (ai.format == FLV_AUDIO_EX_HEADER) {
            conn_close(s, c, LOG_LEVEL_ERROR, "Enhanced RTMP audio is not supported: publish AAC");
            return;
        }
        if (st->remux) {
            on_remux_audio(s, c, st, ev);
            return;
        }
        seq = ai.sequence_header;
    }
    if (seq) {
        uint8_t *copy;
        if (st->seq[idx] && st->seq_len[idx] == ev->size &&
            !memcmp(st->seq[idx], ev->data, ev->size))
            return; /* the same again after a reconnect */
        if ((copy = malloc(ev->size))) {
            memcpy(copy, ev->data, ev->size);
            free(st->seq[idx]);
            st->seq[idx] = copy;
            st->seq_len[idx] = ev->size;
        }
    }
    ts = map_ts(c, st, ev->timestamp, type);
    if (!st->header_written) {
        write_header(st, 1, 1);
        stream_flush(s, st);
        if (st->dead || st->ending)
            return;
    }
    ret = stream_put_tag(s, st, type, ts, ev->data, ev->size);
    if (ret == AVERROR(ENOSPC)) {
        conn_close(s, c, LOG_LEVEL_ERROR, "the consumer is too slow: %zu bytes waiting",
                   bytebuf_size(&st->queue));
        return;
    }
    if (ret < 0)
        return; /* the stream failed and ended, its publisher with it */
    media_done(s, c, st);
}

/* After a tag went to the stream's output: the reconnect clock, and
 * back-pressure on the publisher. */
static void media_done(Server *s, Conn *c, Stream *st)
{
    st->media_written = 1;
    st->last_wall = clock_mono_ms();
    if (bytebuf_size(&st->queue) > s->opt->max_queue && !c->paused) {
        c->paused = 1;
        c->paused_since = clock_mono_ms();
        log_debug("%s: consumer slow, %zu bytes waiting: not reading the publisher",
                  st->name, bytebuf_size(&st->queue));
        conn_update_events(s, c);
    }
}

static void on_event(Server *s, Conn *c, const RtmpEvent *ev)
{
    switch (ev->type) {
    case RTMP_EVENT_CONNECT:
        log_debug("%s: %s handshake, connect app \"%s\" tcUrl \"%s\"", c->peer,
                  rtmp_conn_digest(c->rtmp) ? "digest" : "plain", ev->app, ev->tc_url);
        break;
    case RTMP_EVENT_PUBLISH:
        on_publish(s, c, ev);
        break;
    case RTMP_EVENT_UNPUBLISH:
        if (c->stream) {
            Stream *st = c->stream;
            log_debug("%s: %s unpublished", c->peer, st->name);
            c->stream = NULL;
            stream_detach(s, st);
            /* paused for that stream's consumer: the connection is no
             * longer tied to it (it may publish again, or leave) */
            conn_resume(s, c);
        }
        break;
    case RTMP_EVENT_METADATA:
        on_metadata(s, c, ev);
        break;
    case RTMP_EVENT_AUDIO:
    case RTMP_EVENT_VIDEO:
        on_media(s, c, ev);
        break;
    }
}

static void conn_read(Server *s, Conn *c)
{
    static uint8_t buf[1 << 16];
    Stream *touched = NULL;

    for (int round = 0; round < 4 && !c->dead && !c->paused; round++) {
        ssize_t n = conn_recv(c, buf, sizeof(buf));
        size_t off = 0;

        if (n == 0) {
            if (c->closing)
                conn_close(s, c, LOG_LEVEL_DEBUG, "closed");
            else
                conn_close(s, c, c->stream ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, "disconnected");
            break;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                conn_close(s, c, LOG_LEVEL_INFO, "recv: %s", strerror(errno));
            break;
        }
        c->last_read = clock_mono_ms();
        if (c->closing)
            continue; /* refused: read and drop until the peer closes */
        if ((size_t)n < sizeof(buf) && !(c->ssl && SSL_pending(c->ssl)))
            round = 4; /* drained: epoll says when there is more; saves an EAGAIN */
        while ((off < (size_t)n || rtmp_conn_has_event(c->rtmp)) && !c->dead && !c->closing) {
            RtmpEvent ev;
            size_t used;
            int r = rtmp_conn_feed(c->rtmp, buf + off, n - off, &used, &ev);
            off += used;
            if (r < 0) {
                conn_flush(s, c);
                conn_close(s, c, LOG_LEVEL_WARN, "protocol error: %s", rtmp_conn_error(c->rtmp));
                break;
            }
            if (r > 0) {
                on_event(s, c, &ev);
                if (c->stream)
                    touched = c->stream;
            }
        }
    }
    if (touched)
        stream_flush(s, touched);
    if (!c->dead)
        conn_flush(s, c);
}

/* The address of a peer as 16 bytes (IPv4 as v4-mapped IPv6). */
static void addr_key(const struct sockaddr_storage *ss, uint8_t key[16])
{
    memset(key, 0, 16);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &in->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    }
}

/* Connections from this address that have not published (yet). */
static int unpublished_from(const Server *s, const uint8_t key[16])
{
    int n = 0;
    for (const Conn *c = s->conns; c; c = c->next)
        if (!c->dead && !c->published && !memcmp(c->addr, key, 16))
            n++;
    return n;
}

/* Whether a new connection from ss may stay: not while stopping, only
 * loopback without keys, and within the limits of connections that have
 * not published (per address) and of connections in all. Refusals are
 * logged (at most once a second for the limits). */
static int admit(Server *s, const struct sockaddr_storage *ss, const char *peer, const uint8_t *key)
{
    int n;

    if (s->quit)
        return 0;
    if (!s->keys && !sock_is_loopback((const struct sockaddr *)ss)) {
        log_warn("%s: refused: without -k only loopback publishers are accepted", peer);
        return 0;
    }
    if ((n = unpublished_from(s, key)) >= s->opt->max_unpublished) {
        int64_t now = clock_mono_ms();
        if (now - s->last_refusal_log > 1000) {
            log_warn("%s: refused: %d connections from this address have not published",
                     peer, n);
            s->last_refusal_log = now;
        }
        return 0;
    }
    if (s->nconns >= s->opt->max_conns) {
        int64_t now = clock_mono_ms();
        if (now - s->last_refusal_log > 1000) {
            log_warn("%s: refused: %d connections already", peer, s->nconns);
            s->last_refusal_log = now;
        }
        return 0;
    }
    return 1;
}

/* A connection for the accepted fd (taken over: closed on failure),
 * RTMPS with tls, added to the server's list and to epoll. */
static void conn_add(Server *s, int fd, int tls, const char *peer, const uint8_t *key)
{
    Conn *c;
    int one = 1;

    if (!(c = calloc(1, sizeof(*c))) || !(c->rtmp = rtmp_conn_new(&s->opt->limits)) ||
        (tls && (!(c->ssl = SSL_new(s->ssl_ctx)) || !SSL_set_fd(c->ssl, fd)))) {
        log_error("out of memory");
        goto fail;
    }
    if (c->ssl)
        SSL_set_accept_state(c->ssl);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->h.kind = K_CONN;
    c->fd = fd;
    c->srt = SRT_INVALID_SOCK;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    memcpy(c->addr, key, sizeof(c->addr));
    c->started = c->last_read = clock_mono_ms();
    c->events = EPOLLIN;
    if (ep_set(s, fd, &c->h, EPOLLIN, EPOLL_CTL_ADD) < 0) {
        log_error("epoll: %s", strerror(errno));
        goto fail;
    }
    c->next = s->conns;
    s->conns = c;
    s->nconns++;
    log_debug("%s: connected%s", peer, tls ? " (RTMPS)" : "");
    return;
fail:
    if (c) {
        rtmp_conn_free(&c->rtmp);
        SSL_free(c->ssl);
    }
    free(c);
    close(fd);
}

/* Every connection waiting on the RTMP (or, with tls, RTMPS) listener. */
static void do_accept(Server *s, int tls)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(tls ? s->tlsfd : s->lfd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        char peer[80];
        uint8_t key[16];

        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                log_warn("accept: %s", strerror(errno));
            return;
        }
        sock_peer((struct sockaddr *)&ss, peer, sizeof(peer));
        addr_key(&ss, key);
        if (!admit(s, &ss, peer, key)) {
            close(fd);
            continue;
        }
        conn_add(s, fd, tls, peer, key);
    }
}

/* ---- timers and housekeeping --------------------------------------------- */

static int srt_open(Server *s);
static void srt_read(Server *s, Conn *c);
static int srt_gone(Server *s, Conn *c, const char *why);

static void check_timers(Server *s)
{
    int64_t now = clock_mono_ms();
    int64_t hs = (int64_t)(s->opt->handshake_timeout * 1000);
    int64_t idle = (int64_t)(s->opt->idle_timeout * 1000);

    for (Conn *c = s->conns; c; c = c->next) {
        if (c->dead)
            continue;
        /* TLS holds decrypted bytes epoll does not see (after a pause) */
        if (c->ssl && !c->paused && !c->closing && SSL_pending(c->ssl) > 0) {
            conn_read(s, c);
            if (c->dead)
                continue;
        }
        if (c->srt_drain_until) {   /* a gone caller's last packets, if epoll is quiet */
            srt_read(s, c);
            if (!c->dead)
                srt_gone(s, c, "disconnected");
            continue;
        }
        if (c->closing) {
            if (now >= c->close_at)
                conn_close(s, c, LOG_LEVEL_DEBUG, "closed after refusal");
        } else if (!c->stream && !c->published) {
            if (now - c->started > hs)
                conn_close(s, c, LOG_LEVEL_WARN, "no publish within %g s: closed",
                           s->opt->handshake_timeout);
        } else if (c->paused && c->stream) {
            if (now - c->paused_since > idle)
                conn_close(s, c, LOG_LEVEL_ERROR,
                           "the consumer took nothing for %g s (%zu bytes waiting): publisher dropped",
                           s->opt->idle_timeout, bytebuf_size(&c->stream->queue));
        } else if (now - c->last_read > idle) {
            conn_close(s, c, LOG_LEVEL_WARN, "silent for %g s: closed", s->opt->idle_timeout);
        }
    }
    for (Stream *st = s->streams; st; st = st->next) {
        if (st->dead || st->ending || st->publisher)
            continue;
        if (now >= st->grace_until) {
            log_info("%s: publisher did not return within %g s", st->name, s->opt->grace);
            stream_end(s, st, 0);
        }
    }
}

/* Free what died during this round of events. */
static void sweep(Server *s)
{
    if (!s->dirty)
        return;
    s->dirty = 0;
    for (Conn **pc = &s->conns; *pc;) {
        Conn *c = *pc;
        if (c->dead) {
            *pc = c->next;
            rtmp_conn_free(&c->rtmp);
            free(c);
        } else {
            pc = &c->next;
        }
    }
    for (Stream **ps = &s->streams; *ps;) {
        Stream *st = *ps;
        if (st->dead) {
            *ps = st->next;
            bytebuf_free(&st->queue);
            free(st->seq[0]);
            free(st->seq[1]);
            free(st);
        } else {
            ps = &st->next;
        }
    }
}

static void on_signal(Server *s)
{
    struct signalfd_siginfo si;
    Keys *k;

    while (read(s->sfd, &si, sizeof(si)) == sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGHUP:
            if (!s->opt->keyfile)
                break;
            if (keys_load(s->opt->keyfile, &k) == 0) {
                pthread_mutex_lock(&s->keys_lock);
                keys_free(&s->keys);
                s->keys = k;
                pthread_mutex_unlock(&s->keys_lock);
                log_info("%s: %zu keys loaded", s->opt->keyfile, keys_count(k));
            } else {
                log_error("%s: keeping the keys in force", s->opt->keyfile);
            }
            break;
        case SIGCHLD:
            reap_children(s, 0);
            break;
        default:
            if (!s->quit) {
                log_info("signal %d: ending every stream", (int)si.ssi_signo);
                s->quit = 1;
                s->quit_deadline = clock_mono_ms() + 5000;
                for (Stream *st = s->streams; st; st = st->next)
                    stream_end(s, st, 0);
            } else {
                s->quit_deadline = 0; /* a second signal: do not wait */
            }
        }
    }
}

static int open_socket(const char *opt, const char *addr, int *out)
{
    char host[256], port_s[16], err[AV_ERROR_MAX_STRING_SIZE];
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST };
    struct addrinfo *res, *ai;
    int port, ret, fd = -1, one = 1;

    if ((ret = parse_hostport(addr, host, sizeof(host), &port)) < 0) {
        log_error("%s %s: want ADDR:PORT", opt, addr);
        return ret;
    }
    snprintf(port_s, sizeof(port_s), "%d", port);
    hints.ai_family = host[0] ? AF_UNSPEC : AF_INET;
    if ((ret = getaddrinfo(host[0] ? host : NULL, port_s, &hints, &res)) != 0) {
        log_error("%s %s: %s", opt, addr, gai_strerror(ret));
        return AVERROR(EINVAL);
    }
    ret = AVERROR(EADDRNOTAVAIL);
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        /* SOMAXCONN (the kernel's cap, 4096 on Debian 12): a burst of
         * connections waits in the queue to be admitted or refused at
         * once, where a short queue drops their handshakes and leaves
         * each to the client's SYN retries (1, 3, 7, 15, 31 s) */
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
            break;
        ret = AVERROR(errno);
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        log_error("listen on %s: %s", addr, log_averr(ret, err, sizeof(err)));
        return ret;
    }
    *out = fd;
    return 0;
}

static int whip_open(Server *s);

/* RTMPS: the TLS context from the certificate chain and key files. */
static int tls_setup(Server *s)
{
    const IngestOptions *o = s->opt;
    unsigned long e;

    if (!(s->ssl_ctx = SSL_CTX_new(TLS_server_method())))
        return AVERROR(ENOMEM);
    SSL_CTX_set_min_proto_version(s->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(s->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(s->ssl_ctx, o->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(s->ssl_ctx, o->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(s->ssl_ctx) != 1) {
        e = ERR_get_error();
        log_error("--tls-cert %s, --tls-key %s: %s", o->tls_cert, o->tls_key,
                  ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unusable");
        return AVERROR(EINVAL);
    }
    return 0;
}

static int open_listener(Server *s)
{
    int ret;

    if ((ret = open_socket("-l", s->opt->listen, &s->lfd)) < 0)
        return ret;
    if (s->opt->tls_listen && ((ret = tls_setup(s)) < 0 ||
                               (ret = open_socket("--tls", s->opt->tls_listen, &s->tlsfd)) < 0))
        return ret;
    if (s->opt->whip_listen && (ret = whip_open(s)) < 0)
        return ret;
    return s->opt->srt_listen ? srt_open(s) : 0;
}

/* ---- SRT callers ---------------------------------------------------------- */

/* libsrt's thread, before the caller is accepted: the stream id names a
 * stream and carries its key; a wrong one is refused before any data.
 * A stream with a passphrase in the key file gets it on this socket
 * (libsrt then refuses a caller without it, also before any data), and
 * it stands for the key: k= may be left out. */
static int srt_listen_cb(void *opaque, SRTSOCKET ns, int hsversion,
                         const struct sockaddr *peer, const char *sid)
{
    Server *s = opaque;
    char name[RECORD_MAX_NAME + 1], key[256], who[80], pass[KEYS_MAX_PASSPHRASE + 1];
    int ok, has_pass = 0;

    (void)hsversion;
    sock_peer(peer, who, sizeof(who));
    if (srtid_parse(sid, name, sizeof(name), key, sizeof(key)) < 0 || record_stream_rule(name)) {
        log_warn("%s: SRT caller refused: stream id \"%.80s\" names no stream", who,
                 sid ? sid : "");
        srt_setrejectreason(ns, SRT_REJX_BAD_REQUEST);
        return -1;
    }
    pthread_mutex_lock(&s->keys_lock);
    if (s->keys)
        has_pass = keys_passphrase(s->keys, name, pass, sizeof(pass));
    ok = s->keys ? (has_pass && !key[0]) || keys_check(s->keys, name, key[0] ? key : NULL)
                 : sock_is_loopback(peer);
    pthread_mutex_unlock(&s->keys_lock);
    if (ok && has_pass &&
        srt_setsockflag(ns, SRTO_PASSPHRASE, pass, (int)strlen(pass)) < 0) {
        log_error("%s: SRT caller refused: %s: setting its passphrase: %s", who, name,
                  srt_getlasterror_str());
        ok = 0;
    }
    sodium_memzero(pass, sizeof(pass));
    if (!ok) {
        log_warn("%s: SRT caller refused: %s: %s", who, name,
                 s->keys ? (key[0] ? "wrong key" : "no key (k=SECRET in the stream id)")
                         : "without -k only loopback publishers are accepted");
        srt_setrejectreason(ns, SRT_REJX_FORBIDDEN);
        return -1;
    }
    return 0;
}

/* libsrt's own messages, at our debug level. */
static void srt_log(void *opaque, int level, const char *file, int line, const char *area,
                    const char *message)
{
    (void)opaque, (void)level, (void)file, (void)line, (void)area;
    log_debug("libsrt: %s", message);
}

/* The listener, in live mode as SRT receivers run: timestamp-based packet
 * delivery (TSBPD) with --srt-latency as the receive latency offered (the
 * connection takes the larger of it and the caller's SRTO_PEERLATENCY), so
 * that a lost packet can be retransmitted within it, and each packet is
 * delivered its latency after it was sent, at the pace it was sent. Too-late
 * packet drop is off: a packet still missing when its time comes is waited
 * for (its sender, seeing the flag off, never gives up on it either) rather
 * than skipped, so a busy machine or a slow network delays the stream
 * instead of cutting holes in it; what comes out is what was sent. */
static int srt_open(Server *s)
{
    char host[256];
    struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST };
    struct addrinfo *res = NULL;
    char port_s[16];
    int port, no = 0, yes = 1, latency = (int)(s->opt->srt_latency * 1000 + 0.5), ret;

    if ((ret = parse_hostport(s->opt->srt_listen, host, sizeof(host), &port)) < 0) {
        log_error("--srt %s: want ADDR:PORT", s->opt->srt_listen);
        return ret;
    }
    snprintf(port_s, sizeof(port_s), "%d", port);
    hints.ai_family = host[0] ? AF_UNSPEC : AF_INET;
    if (getaddrinfo(host[0] ? host : NULL, port_s, &hints, &res) != 0 || !res) {
        log_error("--srt %s: not an address", s->opt->srt_listen);
        return AVERROR(EINVAL);
    }
    srt_startup();
    srt_setloghandler(NULL, srt_log);
    srt_setlogflags(SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME |
                    SRT_LOGF_DISABLE_SEVERITY | SRT_LOGF_DISABLE_EOL);
    s->srt_lsn = srt_create_socket();
    if (s->srt_lsn == SRT_INVALID_SOCK ||
        srt_setsockflag(s->srt_lsn, SRTO_RCVSYN, &no, sizeof(no)) < 0 ||
        srt_setsockflag(s->srt_lsn, SRTO_TSBPDMODE, &yes, sizeof(yes)) < 0 ||
        srt_setsockflag(s->srt_lsn, SRTO_RCVLATENCY, &latency, sizeof(latency)) < 0 ||
        srt_setsockflag(s->srt_lsn, SRTO_TLPKTDROP, &no, sizeof(no)) < 0 ||
        (s->opt->srt_passphrase &&
         srt_setsockflag(s->srt_lsn, SRTO_PASSPHRASE, s->opt->srt_passphrase,
                         (int)strlen(s->opt->srt_passphrase)) < 0) ||
        srt_bind(s->srt_lsn, res->ai_addr, (int)res->ai_addrlen) < 0 ||
        srt_listen(s->srt_lsn, 64) < 0 ||
        srt_listen_callback(s->srt_lsn, srt_listen_cb, s) < 0) {
        log_error("--srt %s: %s", s->opt->srt_listen, srt_getlasterror_str());
        freeaddrinfo(res);
        return AVERROR(EADDRNOTAVAIL);
    }
    freeaddrinfo(res);
    s->srt_eid = srt_epoll_create();
    {
        int ev = SRT_EPOLL_IN | SRT_EPOLL_ERR;
        srt_epoll_add_usock(s->srt_eid, s->srt_lsn, &ev);
    }
    log_info("listening for SRT on %s", s->opt->srt_listen);
    return 0;
}

/* An accepted caller publishes at once, under its stream id's name. */
static void srt_accept_one(Server *s, SRTSOCKET ns, const struct sockaddr_storage *ss)
{
    char sid[600], name[RECORD_MAX_NAME + 1], key[256];
    int len = sizeof(sid), ev = SRT_EPOLL_IN | SRT_EPOLL_ERR, no = 0;
    int offered = (int)(s->opt->srt_latency * 1000 + 0.5);
    Stream *st;
    Conn *c;

    if (srt_getsockflag(ns, SRTO_STREAMID, sid, &len) < 0 || len >= (int)sizeof(sid))
        len = 0;
    sid[len] = '\0';
    if (srtid_parse(sid, name, sizeof(name), key, sizeof(key)) < 0 || !(c = calloc(1, sizeof(*c)))) {
        srt_close(ns);
        return;
    }
    c->h.kind = K_CONN;
    c->fd = -1;
    c->srt = ns;
    c->published = 1;
    sock_peer((const struct sockaddr *)ss, c->peer, sizeof(c->peer));
    c->started = c->last_read = clock_mono_ms();
    c->next = s->conns;
    s->conns = c;
    s->nconns++;
    srt_setsockflag(ns, SRTO_RCVSYN, &no, sizeof(no));
    srt_epoll_add_usock(s->srt_eid, ns, &ev);
    len = sizeof(c->srt_latency);
    if (srt_getsockflag(ns, SRTO_RCVLATENCY, &c->srt_latency, &len) < 0)
        c->srt_latency = offered;
    log_info("%s: SRT receive latency %d ms for %s (%s %d ms)", name, c->srt_latency, c->peer,
             c->srt_latency > offered ? "the caller asked for more than --srt-latency's"
                                      : "--srt-latency", offered);
    st = find_stream(s, name);
    if (st && st->publisher && st->publisher->srt_drain_until) {
        /* its caller closed and came back before its last packets were due:
         * what is due is taken, the rest (under its latency) is lost */
        Conn *old = st->publisher;
        srt_read(s, old);
        if (!old->dead)
            conn_close(s, old, LOG_LEVEL_INFO, "SRT: closed, and replaced by %s before its"
                       " last packets were due", c->peer);
    }
    if (st && st->publisher && st->publisher->srt != SRT_INVALID_SOCK &&
        clock_mono_ms() - st->publisher->last_read >= SRT_TAKEOVER_MS)
        /* a caller killed and restarted: the old socket has not timed out yet */
        conn_close(s, st->publisher, LOG_LEVEL_INFO, "SRT: silent for %.1f s, replaced by %s",
                   (clock_mono_ms() - st->publisher->last_read) / 1000.0, c->peer);
    if (st && (st->publisher || st->ending || !st->ts_input)) {
        conn_close(s, c, LOG_LEVEL_WARN, "SRT: %s %s", name,
                   st->publisher ? "is already being published"
                   : st->ending ? "is ending; publish again shortly"
                   : st->whip_input ? "is being published over WHIP"
                                : "is being published over RTMP");
        return;
    }
    if (!st) {
        if (s->stdout_used || !(st = stream_new(s, name))) {
            conn_close(s, c, LOG_LEVEL_WARN, "SRT: %s: %s", name, s->stdout_used
                       ? "this server writes one stream, to standard output"
                       : "the server cannot open its output");
            return;
        }
        st->ts_input = 1;
        tsmap_init(&st->tsmap);
        log_info("%s: published over SRT by %s", name, c->peer);
    } else {
        int64_t away = st->media_written ? clock_mono_ms() - st->last_wall : 0;
        tsmap_new_session(&st->tsmap, away);
        log_info("%s: SRT publisher back (%s) after %.1f s, continuing the stream: its"
                 " timestamps go on from the last ones, a discontinuity marked", name, c->peer,
                 away / 1000.0);
    }
    st->publisher = c;
    st->sessions++;
    st->published_at = clock_mono_ms();
    c->stream = st;
}

/* A caller that is gone (closed, or its connection broken) can leave
 * packets in libsrt's receive buffer whose delivery time (sent + latency)
 * has not come: libsrt hands them over only then. They are read as their
 * time comes, for at most the latency and 2 s more, and the caller is
 * closed once none is left. 1: still draining; 0: closed. */
static int srt_gone(Server *s, Conn *c, const char *why)
{
    int64_t now = clock_mono_ms();
    int32_t left = 0;
    int len = sizeof(left);

    if (!c->srt_drain_until)
        c->srt_drain_until = now + c->srt_latency + 2000;
    if (c->stream && now < c->srt_drain_until &&
        srt_getsockflag(c->srt, SRTO_RCVDATA, &left, &len) == 0 && left > 0)
        return 1;
    conn_close(s, c, c->stream ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, "SRT: %s", why);
    return 0;
}

/* MPEG-TS from a caller, as libsrt delivers it (each packet its latency
 * after it was sent), into its stream's output. */
static void srt_read(Server *s, Conn *c)
{
    char buf[1500];
    Stream *st = c->stream;

    while (!c->dead && !c->paused && st) {
        int n = srt_recvmsg(c->srt, buf, sizeof(buf));
        if (n == SRT_ERROR) {
            if (srt_getlasterror(NULL) != SRT_EASYNCRCV)
                srt_gone(s, c, srt_getlasterror_str());
            break;
        }
        if (n <= 0)
            break;
        c->last_read = clock_mono_ms();
        tsmap_feed(&st->tsmap, (const uint8_t *)buf, (size_t)n, &st->queue);
        if (st->queue.err) {
            conn_close(s, c, LOG_LEVEL_ERROR, "the consumer is too slow: %zu bytes waiting",
                       bytebuf_size(&st->queue));
            break;
        }
        media_done(s, c, st);
    }
    if (st && !st->dead)
        stream_flush(s, st);
}

/* What libsrt has for us: callers to accept, data, ends. */
static void srt_service(Server *s)
{
    SRT_EPOLL_EVENT evs[64];
    int n = srt_epoll_uwait(s->srt_eid, evs, 64, 0);

    for (int i = 0; i < n; i++) {
        if (evs[i].fd == s->srt_lsn) {
            for (;;) {
                struct sockaddr_storage ss;
                int sl = sizeof(ss);
                SRTSOCKET ns = srt_accept(s->srt_lsn, (struct sockaddr *)&ss, &sl);
                if (ns == SRT_INVALID_SOCK)
                    break;
                if (s->quit)
                    srt_close(ns);
                else
                    srt_accept_one(s, ns, &ss);
            }
            continue;
        }
        for (Conn *c = s->conns; c; c = c->next)
            if (!c->dead && c->srt == evs[i].fd) {
                srt_read(s, c);   /* what arrived before an end, too */
                if (!c->dead && (evs[i].events & SRT_EPOLL_ERR))
                    srt_gone(s, c, "disconnected");
                break;
            }
    }
}

/* ---- WHIP publishers (rtc/whipin.c) --------------------------------------- */

static int addr_is_loopback(const char *a)
{
    return !strncmp(a, "127.", 4) || !strcmp(a, "::1") || !strncmp(a, "::ffff:127.", 11);
}

static int whip_authorize(void *opaque, const char *name, const char *token, const char *addr,
                          const char **why)
{
    Server *s = opaque;
    const char *rule = record_stream_rule(name);
    int ok;

    if (rule) {
        *why = rule;
        return AVERROR(EINVAL);
    }
    if (!s->keys) {
        if (addr_is_loopback(addr))
            return 0;
        *why = "without a key file (-k) only loopback publishers are accepted";
        return AVERROR(EPERM);
    }
    pthread_mutex_lock(&s->keys_lock);
    ok = keys_check(s->keys, name, token);
    pthread_mutex_unlock(&s->keys_lock);
    if (!ok)
        log_warn("%s: WHIP publish of %s refused: %s", addr, name, token ? "wrong key" : "no bearer token");
    return ok ? 0 : AVERROR(EACCES);
}

static int whip_publish(void *opaque, const char *name, const char *addr, enum RtcCodec video, int audio,
                        void **handle, const char **why)
{
    Server *s = opaque;
    Stream *st = find_stream(s, name);
    Conn *c;

    if (s->quit) {
        *why = "live-ingest is stopping";
        return AVERROR(EAGAIN);
    }
    if (st && (st->publisher || st->ending || !st->whip_input)) {
        *why = st->publisher ? "the stream is being published already"
             : st->ending    ? "the stream is ending; publish again shortly"
                             : "the stream is being published over RTMP or SRT";
        return AVERROR(EBUSY);
    }
    if (st && (st->whip_video != video || st->whip_audio != audio)) {
        *why = "the stream waits for its publisher to return with the same codecs (its grace period)";
        return AVERROR(EBUSY);
    }
    if (!st && s->stdout_used) {
        *why = "this server writes one stream, to standard output";
        return AVERROR(EBUSY);
    }
    if (s->nconns >= s->opt->max_conns) {
        *why = "too many publishers on this server";
        return AVERROR(ENOSPC);
    }
    if (!(c = calloc(1, sizeof(*c))))
        return AVERROR(ENOMEM);
    if (!st) {
        if (!(st = stream_new(s, name))) {
            free(c);
            return AVERROR(ENOMEM);
        }
        st->whip_input = 1;
        st->whip_video = video;
        st->whip_audio = audio;
        log_info("%s: published over WHIP by %s (video %s, audio %s)", name, addr, rtc_codec_name(video),
                 audio ? "opus" : "none");
    } else {
        log_info("%s: WHIP publisher back (%s), continuing the stream", name, addr);
    }
    c->h.kind = K_CONN;
    c->fd = -1;
    c->srt = SRT_INVALID_SOCK;
    c->whip = 1;
    c->published = 1;
    snprintf(c->peer, sizeof(c->peer), "%s", addr);
    c->started = c->last_read = clock_mono_ms();
    c->next = s->conns;
    s->conns = c;
    s->nconns++;
    st->publisher = c;
    st->sessions++;
    st->published_at = clock_mono_ms();
    c->stream = st;
    *handle = c;
    return 0;
}

static void whip_frame(void *opaque, void *handle, int video, int64_t ms, int key, const uint8_t *data,
                       size_t size)
{
    Server *s = opaque;
    Conn *c = handle;
    Stream *st = c->stream;
    char err[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    if (c->dead || !st || st->dead || st->ending)
        return;
    c->last_read = clock_mono_ms();
    if (!st->wmux && !st->header_written) {
        if ((ret = whipmux_new(st->whip_video, st->whip_audio, stream_remux_write, st, &st->wmux)) < 0) {
            conn_close(s, c, LOG_LEVEL_ERROR, "WHIP: %s", log_averr(ret, err, sizeof(err)));
            return;
        }
        st->header_written = 1;
    }
    if (!st->wmux)
        return;
    ms = map_ts(c, st, (uint32_t)ms, video ? FLV_TAG_VIDEO : FLV_TAG_AUDIO);
    ret = video ? whipmux_video(st->wmux, ms, key, data, size) : whipmux_audio(st->wmux, ms, data, size);
    if (ret == AVERROR(ENOSPC)) {
        conn_close(s, c, LOG_LEVEL_ERROR, "the consumer is too slow: %zu bytes waiting",
                   bytebuf_size(&st->queue));
        return;
    }
    if (ret < 0) {
        log_error("%s: writing Matroska: %s", st->name, log_averr(ret, err, sizeof(err)));
        stream_end(s, st, 1);
        return;
    }
    if (bytebuf_size(&st->queue))
        media_done(s, c, st);
    stream_flush(s, st);
}

static void whip_unpublish(void *opaque, void *handle, const char *why)
{
    Server *s = opaque;
    Conn *c = handle;
    conn_close(s, c, LOG_LEVEL_INFO, "WHIP: %s", why);
}

static int whip_open(Server *s)
{
    static const WhipInOps ops = { whip_authorize, whip_publish, whip_frame, whip_unpublish };
    WhipInConfig cfg;

    whipin_config_default(&cfg);
    cfg.listen = s->opt->whip_listen;
    cfg.address = s->opt->whip_address;
    if (s->opt->whip_max > 0)
        cfg.limits.max_sessions = s->opt->whip_max;
    if (s->opt->whip_max_per_addr > 0)
        cfg.limits.max_per_addr = s->opt->whip_max_per_addr;
    if (s->opt->whip_keyframes >= 0)
        cfg.keyframe_interval = s->opt->whip_keyframes;
    for (int i = 0; i < s->opt->ntrusted; i++)
        cfg.trusted[cfg.ntrusted++] = s->opt->trusted[i];
    return whipin_new(&s->whip, &cfg, &ops, s);
}

/* The signals the loop takes through its signalfd (blocked, old mask in
 * *old), the epoll set with the listener and the signalfd in it. */
static int server_start(Server *s, sigset_t *old)
{
    sigset_t mask;

    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, old);
    s->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    if (s->sfd < 0 || s->ep < 0) {
        int ret = AVERROR(errno);
        log_error("epoll/signalfd: %s", strerror(errno));
        return ret;
    }
    s->listen_h.kind = K_LISTEN;
    s->tls_h.kind = K_LISTEN_TLS;
    s->signal_h.kind = K_SIGNAL;
    ep_set(s, s->lfd, &s->listen_h, EPOLLIN, EPOLL_CTL_ADD);
    if (s->tlsfd >= 0) {
        ep_set(s, s->tlsfd, &s->tls_h, EPOLLIN, EPOLL_CTL_ADD);
        log_info("listening for RTMPS on %s", s->opt->tls_listen);
    }
    ep_set(s, s->sfd, &s->signal_h, EPOLLIN, EPOLL_CTL_ADD);
    if (s->whip) {
        int udp, wake;
        whipin_fds(s->whip, &udp, &wake);
        s->whip_h.kind = K_WHIP;
        ep_set(s, udp, &s->whip_h, EPOLLIN, EPOLL_CTL_ADD);
        ep_set(s, wake, &s->whip_h, EPOLLIN, EPOLL_CTL_ADD);
    }
    log_info("listening on %s", s->opt->listen);
    return 0;
}

/* One epoll event to the listener, the signalfd, a connection or a sink. */
static void dispatch(Server *s, const struct epoll_event *ev)
{
    Handle *h = ev->data.ptr;

    switch (h->kind) {
    case K_LISTEN:
        do_accept(s, 0);
        break;
    case K_LISTEN_TLS:
        do_accept(s, 1);
        break;
    case K_SIGNAL:
        on_signal(s);
        break;
    case K_CONN: {
        Conn *c = (Conn *)h;
        if (c->dead)
            break;
        if (ev->events & EPOLLOUT)
            conn_flush(s, c);
        if (!c->dead && ((ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ||
                         ((ev->events & EPOLLOUT) && c->tls_want_write))) {
            c->tls_want_write = 0;
            conn_read(s, c);
        }
        break;
    }
    case K_SINK: {
        Stream *st = (Stream *)h;
        if (!st->dead)
            stream_flush(s, st);
        break;
    }
    case K_WHIP:
        whipin_service(s->whip);
        break;
    }
}

/* The event loop, until a signal ends it (and the streams have finished
 * or the quit deadline passed). 0 or AVERROR. */
static int server_loop(Server *s)
{
    struct epoll_event evs[64];
    int64_t last_timers = 0, now;
    int n;

    while (!s->done) {
        if (s->quit) {
            if (!s->streams || clock_mono_ms() >= s->quit_deadline)
                break;
        }
        n = epoll_wait(s->ep, evs, 64, s->srt_lsn != SRT_INVALID_SOCK ? 10 : s->whip ? 20 : 100);
        if (n < 0) {
            int ret = AVERROR(errno);
            if (errno == EINTR)
                continue;
            log_error("epoll_wait: %s", strerror(errno));
            return ret;
        }
        for (int i = 0; i < n; i++)
            dispatch(s, &evs[i]);
        if (s->srt_lsn != SRT_INVALID_SOCK)
            srt_service(s);
        if (s->whip)
            whipin_service(s->whip);   /* its timers: NACKs, PLIs, jitter deadlines */
        /* Timers every 100 ms, not on every event: O(connections) each. */
        now = clock_mono_ms();
        if (now - last_timers >= 100 || s->quit) {
            check_timers(s);
            last_timers = now;
        }
        sweep(s);
        if (s->quit && s->lfd >= 0) {
            close(s->lfd);
            s->lfd = -1;
        }
        if (s->quit && s->srt_lsn != SRT_INVALID_SOCK) {
            srt_close(s->srt_lsn);
            s->srt_lsn = SRT_INVALID_SOCK;
        }
        if (s->quit && s->tlsfd >= 0) {
            close(s->tlsfd);
            s->tlsfd = -1;
        }
    }
    return 0;
}

/* Close every connection, finish every stream, wait for the commands
 * and release what the server holds. */
static void server_stop(Server *s)
{
    for (Conn *c = s->conns; c; c = c->next)
        if (!c->dead)
            conn_close(s, c, LOG_LEVEL_DEBUG, "server stopping");
    for (Stream *st = s->streams; st; st = st->next) {
        if (!st->dead) {
            if (bytebuf_size(&st->queue))
                log_warn("%s: %zu bytes not written", st->name, bytebuf_size(&st->queue));
            stream_finish(s, st);
        }
    }
    whipin_free(&s->whip);
    sweep(s);
    if (s->nchildren) {
        log_debug("waiting for %d commands", s->nchildren);
        reap_children(s, 30000);
    }
    free(s->children);
    keys_free(&s->keys);
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->tlsfd >= 0)
        close(s->tlsfd);
    SSL_CTX_free(s->ssl_ctx);
    if (s->srt_lsn != SRT_INVALID_SOCK)
        srt_close(s->srt_lsn);
    if (s->srt_eid >= 0)
        srt_epoll_release(s->srt_eid);
    if (s->opt->srt_listen)
        srt_cleanup();
    if (s->sfd >= 0)
        close(s->sfd);
    if (s->ep >= 0)
        close(s->ep);
}

int ingest_run(const IngestOptions *opt)
{
    Server s = { .opt = opt, .ep = -1, .sfd = -1, .lfd = -1, .tlsfd = -1, .stdout_flags = -1,
                 .srt_lsn = SRT_INVALID_SOCK, .srt_eid = -1,
                 .keys_lock = PTHREAD_MUTEX_INITIALIZER };
    sigset_t old;
    int ret, masked = 0;

    s.hard_queue = opt->max_queue + opt->limits.max_message_size + (1 << 20);
    if (opt->keyfile) {
        if ((ret = keys_load(opt->keyfile, &s.keys)) < 0)
            return ret;
        log_info("%s: %zu keys loaded", opt->keyfile, keys_count(s.keys));
    } else {
        log_warn("no key file (-k): accepting publishers from loopback addresses only");
    }
    if ((ret = open_listener(&s)) >= 0) {
        masked = 1;
        if ((ret = server_start(&s, &old)) >= 0 && (ret = server_loop(&s)) >= 0)
            ret = s.status == AVERROR(EPIPE) ? 0 : s.status;
    }
    server_stop(&s);
    if (masked)
        sigprocmask(SIG_SETMASK, &old, NULL);
    return ret;
}
