/*
 * origin.c: serving live-package's output tree. See origin.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "clock.h"
#include "llhls.h"
#include "log.h"
#include "metrics.h"
#include "origin.h"
#include "path.h"
#include "record.h"

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_OTHER "public, max-age=60"
#define CACHE_VOD_MANIFEST "public, max-age=60"
/* Objects up to this size are kept in memory and sent with one write;
 * larger ones go out with sendfile, which copies less. */
#define SMALL_OBJECT (64 * 1024)

/* Open segments being streamed from one client address. */
typedef struct StreamCount {
    struct StreamCount *next;
    unsigned n;
    char ip[];
} StreamCount;

struct Origin {
    OriginConfig cfg;
    int rootfd;
    pthread_mutex_t lock;        /* the stream counts */
    StreamCount *streams;
    unsigned nstreams;
};

/* A reply streaming an open segment (REL.open) as live-package appends
 * to it; owned by the reply (http_reply_stream). */
typedef struct OpenStream {
    Origin *o;
    int fd;                      /* REL.open, the same inode once renamed to REL */
    uint64_t first, last;        /* the bytes asked for; last UINT64_MAX: to the end */
    double idle;                 /* longest wait for the next byte, seconds */
    double deadline;             /* clock_mono: the whole reply by then */
    int outcome;                 /* of the last wait (enum WaitOutcome) */
    char rel[PATH_MAX_URL + 1];
    char ip[];                   /* the client, for its count */
} OpenStream;

#define OPEN_SUFFIX ".open"

/* Per-request state, kept across a wait. */
typedef struct OriginReq {
    char rel[PATH_MAX_URL + 1];
    int outcome;              /* enum WaitOutcome */
    double duration;          /* segment duration, for Retry-After */
    LlhlsRequest ll;          /* a media playlist's delivery directives */
    double deadline;          /* of a blocking playlist reload (clock_mono), 0: none yet */
} OriginReq;

/* A playlist is read whole to answer delivery directives: at most this. */
#define PLAYLIST_MAX (16 * 1024 * 1024)
/* reply_playlist: look again (the playlist changed while we looked);
 * not HTTP_SUSPENDED. */
#define AGAIN (HTTP_SUSPENDED + 1)

int origin_new(const OriginConfig *cfg, Origin **out)
{
    Origin *o = calloc(1, sizeof(*o));
    if (!o)
        return AVERROR(ENOMEM);
    o->cfg = *cfg;
    pthread_mutex_init(&o->lock, NULL);
    o->rootfd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->rootfd < 0) {
        int err = errno;
        log_error("%s: %s", cfg->root, strerror(err));
        pthread_mutex_destroy(&o->lock);
        free(o);
        return AVERROR(err);
    }
    *out = o;
    return 0;
}

void origin_free(Origin **po)
{
    if (!*po)
        return;
    close((*po)->rootfd);
    while ((*po)->streams) {
        StreamCount *c = (*po)->streams;
        (*po)->streams = c->next;
        free(c);
    }
    pthread_mutex_destroy(&(*po)->lock);
    free(*po);
    *po = NULL;
}

int origin_split3(const char *rel, char *name, char *rend, const char **file)
{
    const char *a = strchr(rel, '/'), *b;
    if (!a || !(b = strchr(a + 1, '/')) || strchr(b + 1, '/'))
        return -1;
    if (a - rel > RECORD_MAX_NAME || b - a - 1 > RECORD_MAX_NAME)
        return -1;
    memcpy(name, rel, a - rel);
    name[a - rel] = '\0';
    memcpy(rend, a + 1, b - a - 1);
    rend[b - a - 1] = '\0';
    *file = b + 1;
    return 0;
}

enum OriginKind origin_classify(const char *rel, char *name, int64_t *seq)
{
    char rend[RECORD_MAX_NAME + 1];
    const char *file, *dot = strrchr(rel, '.');
    size_t n;

    if (dot && (!strcmp(dot, ".mpd") || !strcmp(dot, ".m3u8"))) {
        const char *slash = strchr(rel, '/');
        n = slash ? (size_t)(slash - rel) : 0;
        if (n > RECORD_MAX_NAME)
            n = 0;
        memcpy(name, rel, n);
        name[n] = '\0';
        return ORIGIN_MANIFEST;
    }
    if (origin_split3(rel, name, rend, &file) < 0)
        return ORIGIN_OTHER;
    /* a broadcast's files: init.mp4 and SEQ.m4s, or with its id (every
     * broadcast under a name after the first, live-package(1)):
     * init-ID.mp4 and ID-SEQ.m4s; an init segment that replaced the
     * first at segment S (a new size): init.S.mp4, init-ID.S.mp4 */
    if (!strncmp(file, "init", 4)) {
        const char *c = file + 4;
        n = *c == '-' ? strspn(c + 1, "0123456789") : 0;
        if (*c == '-' && (n == 0 || n > 19))
            return ORIGIN_OTHER;
        c += n ? n + 1 : 0;
        n = *c == '.' ? strspn(c + 1, "0123456789") : 0;
        if (n > 0 && n <= 19)
            c += n + 1;
        if (!strcmp(c, ".mp4"))
            return ORIGIN_INIT;
        return ORIGIN_OTHER;
    }
    n = strspn(file, "0123456789");
    if (n > 0 && n <= 19 && file[n] == '-')
        file += n + 1;
    n = strspn(file, "0123456789");
    if (n > 0 && n <= 18 && !strcmp(file + n, ".m4s")) {
        *seq = strtoll(file, NULL, 10);
        return ORIGIN_SEGMENT;
    }
    return ORIGIN_OTHER;
}

/*
 * Whether ROOT may serve rel: only what a player needs, by name —
 * manifests and playlists, init and media segments, captions. Anything
 * else that lands in the tree (the db and its -wal and -shm files, logs,
 * key files, a stray config) is never served, whatever its name.
 */
static int servable(const char *rel)
{
    static const char *const ext[] = {
        ".mpd", ".m3u8", ".m4s", ".mp4", ".m4a", ".m4v", ".ts", ".vtt",
    };
    const char *slash = strrchr(rel, '/');
    const char *base = slash ? slash + 1 : rel;
    const char *dot = strrchr(base, '.');
    size_t i;

    if (!dot || dot == base)
        return 0;
    for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
        if (!strcmp(dot, ext[i]))
            return 1;
    return 0;
}

/*
 * Whether a missing segment is worth waiting for: the stream is live and
 * seq is the next one (or the one after, for a player a little ahead).
 * Without a db row, a tree being written: the previous segment is there
 * and recent. Returns the wait in seconds, or 0.
 */
static double wait_time(Origin *o, const char *name, const char *rel, int64_t seq,
                        OriginReq *or)
{
    DbStream s;
    double dur = o->cfg.default_duration;

    if (dbread_stream(o->cfg.db, name, &s) == 0) {
        if (s.segment_duration > 0)
            dur = s.segment_duration;
        or->duration = dur;
        if (!s.live || seq < s.next_seq || seq > s.next_seq + 1)
            return 0;
    } else {
        char prev[PATH_MAX_URL + 32];
        const char *slash = strrchr(rel, '/');
        struct stat st;
        or->duration = dur;
        if (seq == 0 || !slash)
            return 0;
        snprintf(prev, sizeof(prev), "%.*s/%lld.m4s", (int)(slash - rel), rel,
                 (long long)(seq - 1));
        if (fstatat(o->rootfd, prev, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            clock_real() - st.st_mtime > 2 * dur + 1)
            return 0;
    }
    return dur < o->cfg.wait_max ? dur : o->cfg.wait_max;
}

static int reply_missing(HttpRequest *req, OriginReq *or, int segment)
{
    char ra[32];
    if (segment) {
        /* Back off for about half a segment before asking again. */
        double d = or->duration > 0 ? or->duration / 2 : 1;
        snprintf(ra, sizeof(ra), "%d", d < 1 ? 1 : (int)ceil(d));
        http_add_header(req, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    return http_reply_error(req, MHD_HTTP_NOT_FOUND, NULL);
}

static const char *manifest_cache(Origin *o, const char *name, char *buf, size_t size)
{
    DbStream s;
    double age = o->cfg.manifest_max_age;

    if (name[0] && dbread_stream(o->cfg.db, name, &s) == 0) {
        if (!s.live)
            return CACHE_VOD_MANIFEST;
        if (s.segment_duration > 0 && s.segment_duration < age)
            age = s.segment_duration;
    }
    if (age < 1) {
        snprintf(buf, size, "no-cache");
        return buf;
    }
    snprintf(buf, size, "public, max-age=%d", (int)age);
    return buf;
}

static void release_entry(void *e)
{
    memcache_unref(e);
}

/* Reply from a memory-cache entry (the reference is passed on). */
static int reply_entry(HttpRequest *req, MemEntry *e, const char *type)
{
    int fd = memcache_fd(e);

    if (fd >= 0) {        /* a large object: sendfile from a dup */
        int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        size_t len = memcache_len(e);
        double mtime = memcache_mtime(e);
        char etag[64];
        snprintf(etag, sizeof(etag), "%s", memcache_etag(e));
        memcache_unref(e);
        if (dfd < 0)
            return AVERROR(errno);
        return http_reply_fd(req, dfd, len, mtime, etag, type, CACHE_IMMUTABLE);
    }
    return http_reply_shared(req, memcache_data(e), memcache_len(e), memcache_mtime(e),
                             memcache_etag(e), type, CACHE_IMMUTABLE, release_entry, e);
}

/* Read a small immutable file whole into the memory cache; closes fd on
 * success. NULL (fd left open) when it could not be read. */
static MemEntry *read_entry(Origin *o, const char *key, int fd, const struct stat *st)
{
    char etag[64];
    size_t got = 0, len = st->st_size;
    char *buf = malloc(len ? len : 1);
    MemEntry *e;

    if (!buf)
        return NULL;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, got);
        if (n <= 0) {
            free(buf);
            return NULL;
        }
        got += n;
    }
    http_file_etag(st, etag, sizeof(etag));
    e = memcache_put(o->cfg.mem, key, buf, len, st->st_mtim.tv_sec + st->st_mtim.tv_nsec / 1e9,
                     etag, st->st_dev, st->st_ino);
    if (e)
        close(fd);
    return e;
}

/* A db blob into the memory cache: in memory when small, else in a
 * memfd so that it goes out with sendfile. data is taken over. */
static MemEntry *blob_entry(Origin *o, const char *key, void *data, size_t len, double mtime)
{
    char etag[64];
    int fd;

    http_blob_etag(len, mtime, etag, sizeof(etag));
    if (len <= SMALL_OBJECT)
        return memcache_put(o->cfg.mem, key, data, len, mtime, etag, 0, 0);
    fd = memfd_create("live-serve-segment", MFD_CLOEXEC);
    if (fd >= 0) {
        size_t got = 0;
        while (got < len) {
            ssize_t n = write(fd, (char *)data + got, len - got);
            if (n <= 0)
                break;
            got += n;
        }
        if (got == len) {
            free(data);
            return memcache_put_fd(o->cfg.mem, key, fd, len, mtime, etag, 0, 0);
        }
        close(fd);
    }
    return memcache_put(o->cfg.mem, key, data, len, mtime, etag, 0, 0);
}

/* A cache hit is stale when it came from a file that is no longer the
 * one at its path (the stream was restarted, or the segment left the
 * DVR window). */
static int entry_stale(Origin *o, const char *rel, const MemEntry *e)
{
    unsigned long long dev, ino;
    struct stat st;

    memcache_origin(e, &dev, &ino);
    if (!ino)
        return 0;
    if (fstatat(o->rootfd, rel, &st, 0) < 0)
        return 1;
    return st.st_ino != ino || st.st_dev != dev;
}

/* The whole of fd (closed) into *buf (caller frees), NUL-terminated. */
static int read_all(int fd, const struct stat *st, char **buf, size_t *len)
{
    size_t got = 0, size = st->st_size;
    char *b;

    if (st->st_size < 0 || st->st_size > PLAYLIST_MAX) {
        close(fd);
        return AVERROR(EFBIG);
    }
    if (!(b = malloc(size + 1))) {
        close(fd);
        return AVERROR(ENOMEM);
    }
    while (got < size) {
        ssize_t n = pread(fd, b + got, size - got, got);
        if (n <= 0)
            break;
        got += n;
    }
    close(fd);
    b[got] = '\0';
    *buf = b;
    *len = got;
    return 0;
}

/* 503 with Retry-After: too many requests wait already. */
static int reply_overloaded(HttpRequest *req)
{
    metrics_overload();
    http_add_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    return http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "too many waiting requests");
}

/*
 * A media playlist asked for with delivery directives (llhls.h): answer
 * it once it holds the segment or part named (blocking reload), waiting
 * for its next version through the waiter, else 503 after 3 target
 * durations; as its delta update for _HLS_skip. fd is taken over.
 * Returns a reply's status, HTTP_SUSPENDED, or AGAIN.
 */
static int reply_playlist(Origin *o, HttpRequest *req, OriginReq *or, const char *name, int fd,
                          const struct stat *st)
{
    const char *type = path_content_type(or->rel);
    char cache[64], *text = NULL, *delta = NULL;
    size_t len, dlen;
    LlhlsPlaylist p;
    int r;

    if ((r = read_all(fd, st, &text, &len)) < 0)
        return r;
    if (llhls_scan(text, len, &p) < 0) {      /* not a media playlist: as it is */
        r = http_reply(req, MHD_HTTP_OK, type, manifest_cache(o, name, cache, sizeof(cache)),
                       text, len);
        free(text);
        return r;
    }
    if (!llhls_ready(&p, &or->ll)) {
        double now = clock_mono(), hold = 3 * (p.target > 0 ? p.target : 1);
        free(text);
        if (llhls_too_far(&p, &or->ll))
            return http_reply_error(req, MHD_HTTP_BAD_REQUEST, "_HLS_msn is too far ahead");
        if (!or->deadline)
            or->deadline = now + hold;
        if (!o->cfg.waiter || now >= or->deadline) {
            char ra[32];
            snprintf(ra, sizeof(ra), "%d", (int)ceil(p.target > 0 ? p.target : 1));
            http_add_header(req, MHD_HTTP_HEADER_RETRY_AFTER, ra);
            return http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                                    "the segment asked for did not come");
        }
        r = waiter_wait_change(o->cfg.waiter, req, or->rel, st, or->deadline - now, &or->outcome);
        if (r == HTTP_SUSPENDED)
            return r;
        if (r == AVERROR(EAGAIN))
            return reply_overloaded(req);
        return r < 0 ? r : AGAIN;
    }
    if (or->ll.skip && (r = llhls_delta(text, len, &p, &delta, &dlen)) < 0) {
        free(text);
        return r;
    }
    r = http_reply(req, MHD_HTTP_OK, type, manifest_cache(o, name, cache, sizeof(cache)),
                   delta ? delta : text, delta ? dlen : len);
    av_free(delta);
    free(text);
    return r;
}

/* A new request: its normalized path checked and kept (with the LL-HLS
 * query) as the request's data. NULL when it was answered already (with
 * the status in *r). */
static OriginReq *begin(HttpRequest *req, int *r)
{
    char rel[PATH_MAX_URL + 1];
    OriginReq *or;

    *r = path_normalize(http_path(req), rel, sizeof(rel));
    if (*r == AVERROR(EPERM)) {
        *r = http_reply_error(req, MHD_HTTP_FORBIDDEN, NULL);
        return NULL;
    }
    if (*r < 0) {
        *r = http_reply_error(req, MHD_HTTP_BAD_REQUEST, NULL);
        return NULL;
    }
    if (!rel[0] || !servable(rel)) {
        *r = http_reply_error(req, MHD_HTTP_NOT_FOUND, NULL);
        return NULL;
    }
    if (!(or = calloc(1, sizeof(*or)))) {
        *r = AVERROR(ENOMEM);
        return NULL;
    }
    strcpy(or->rel, rel);
    http_set_request_data(req, or, free);
    *r = strlen(rel) > 5 && !strcmp(rel + strlen(rel) - 5, ".m3u8")
         ? llhls_parse_request(http_query(req, "_HLS_msn"), http_query(req, "_HLS_part"),
                               http_query(req, "_HLS_skip"), &or->ll)
         : llhls_parse_request(NULL, NULL, NULL, &or->ll);
    if (*r < 0) {
        *r = http_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad _HLS_msn, _HLS_part or _HLS_skip");
        return NULL;
    }
    return or;
}

/* A segment or init segment from memory or from the db's live-edge
 * cache: 1 when answered (status in *r), 0 when neither has it. */
static int reply_cached(Origin *o, HttpRequest *req, const OriginReq *or, const char *type,
                        int *r)
{
    MemEntry *e;
    void *data;
    size_t len;
    double mtime;

    if (o->cfg.mem && (e = memcache_get(o->cfg.mem, or->rel))) {
        if (!entry_stale(o, or->rel, e)) {
            metrics_memory_hit();
            *r = reply_entry(req, e, type);
            return 1;
        }
        memcache_unref(e);
        memcache_remove(o->cfg.mem, or->rel);
    }
    if (dbread_edge(o->cfg.db, or->rel, &data, &len, &mtime) < 0)
        return 0;
    metrics_cache_hit();
    if (!o->cfg.mem) {
        *r = http_reply_blob(req, data, len, mtime, type, CACHE_IMMUTABLE);
        free(data);
    } else if (!(e = blob_entry(o, or->rel, data, len, mtime))) {
        *r = AVERROR(ENOMEM);
    } else {
        *r = reply_entry(req, e, type);
    }
    return 1;
}

/* The reply for the open file fd of the request's path: a reply's
 * status, HTTP_SUSPENDED, or AGAIN (a blocking playlist reload to try
 * again). */
static int reply_open(Origin *o, HttpRequest *req, OriginReq *or, enum OriginKind kind,
                      const char *name, int fd, const struct stat *st, const char *type)
{
    char cache[64];

    if (kind == ORIGIN_SEGMENT || kind == ORIGIN_INIT) {
        MemEntry *e;
        metrics_cache_miss();
        if (o->cfg.mem && (size_t)st->st_size <= SMALL_OBJECT &&
            (e = read_entry(o, or->rel, fd, st)))
            return reply_entry(req, e, type);
        return http_reply_file(req, fd, st, type, CACHE_IMMUTABLE);
    }
    if (kind == ORIGIN_MANIFEST && (or->ll.msn >= 0 || or->ll.skip))
        return reply_playlist(o, req, or, name, fd, st);
    if (kind == ORIGIN_MANIFEST)
        return http_reply_file(req, fd, st, type, manifest_cache(o, name, cache, sizeof(cache)));
    return http_reply_file(req, fd, st, type, CACHE_OTHER);
}

/* A segment not there (yet): wait for it to be published, or say it is
 * missing. A reply's status, HTTP_SUSPENDED, or AGAIN (it landed: open
 * it again). */
static int wait_segment(Origin *o, HttpRequest *req, OriginReq *or, const char *name,
                        int64_t seq)
{
    double t = wait_time(o, name, or->rel, seq, or);
    int r;

    if (t <= 0)
        return reply_missing(req, or, 1);
    r = waiter_wait(o->cfg.waiter, req, or->rel, t, &or->outcome);
    if (r == HTTP_SUSPENDED)
        return r;
    if (r == AVERROR(EAGAIN))
        return reply_overloaded(req);
    if (r < 0)
        return reply_missing(req, or, 1);
    or->outcome = WAIT_PUBLISHED;
    return AGAIN;
}

/* Count a stream for ip, within the limits: 0, or AVERROR(EAGAIN). */
static int stream_count(Origin *o, const char *ip)
{
    StreamCount *c;
    int r = 0;

    pthread_mutex_lock(&o->lock);
    for (c = o->streams; c && strcmp(c->ip, ip); c = c->next)
        ;
    if ((o->cfg.max_streams && o->nstreams >= o->cfg.max_streams) ||
        (c && o->cfg.max_streams_per_ip && c->n >= o->cfg.max_streams_per_ip)) {
        r = AVERROR(EAGAIN);
    } else if (!c && !(c = calloc(1, sizeof(*c) + strlen(ip) + 1))) {
        r = AVERROR(ENOMEM);
    } else {
        if (!c->n) {
            strcpy(c->ip, ip);
            c->next = o->streams;
            o->streams = c;
        }
        c->n++;
        o->nstreams++;
    }
    pthread_mutex_unlock(&o->lock);
    return r;
}

static void stream_uncount(Origin *o, const char *ip)
{
    StreamCount **pp, *c;

    pthread_mutex_lock(&o->lock);
    for (pp = &o->streams; (c = *pp); pp = &c->next)
        if (!strcmp(c->ip, ip)) {
            o->nstreams--;
            if (!--c->n) {
                *pp = c->next;
                free(c);
            }
            break;
        }
    pthread_mutex_unlock(&o->lock);
}

static void open_stream_free(void *arg)
{
    OpenStream *s = arg;
    stream_uncount(s->o, s->ip);
    close(s->fd);
    free(s);
}

/* Whether the open segment is complete: 1 when REL is its inode (the
 * rename is done: every byte is in), 0 while it is still open, or
 * AVERROR(ESTALE) when it went away or REL is another file. */
static int open_complete(const OpenStream *s, const struct stat *st)
{
    char open_rel[PATH_MAX_URL + sizeof(OPEN_SUFFIX)];
    struct stat fin;

    if (fstatat(s->o->rootfd, s->rel, &fin, AT_SYMLINK_NOFOLLOW) == 0)
        return fin.st_ino == st->st_ino && fin.st_dev == st->st_dev ? 1 : AVERROR(ESTALE);
    snprintf(open_rel, sizeof(open_rel), "%s%s", s->rel, OPEN_SUFFIX);
    if (fstatat(s->o->rootfd, open_rel, &fin, AT_SYMLINK_NOFOLLOW) < 0 ||
        fin.st_ino != st->st_ino || fin.st_dev != st->st_dev)
        return AVERROR(ESTALE);
    return 0;
}

/*
 * The reader of an open segment's reply (HttpStreamRead): the bytes
 * there from pos on; when there are none yet, a wait for the file to
 * grow (waiter_wait_grow: no polling), at most s->idle seconds at a
 * time and until s->deadline in all; the end once the segment was
 * renamed to its final name and every byte asked for went out.
 */
static int64_t open_stream_read(void *arg, HttpRequest *req, uint64_t pos, char *buf,
                                size_t max)
{
    OpenStream *s = arg;
    uint64_t off = s->first + pos;
    int timed_out = s->outcome == WAIT_TIMEOUT;
    struct stat st;
    int r;

    s->outcome = WAIT_NONE;
    for (;;) {
        if (off > s->last)
            return AVERROR_EOF;
        if (fstat(s->fd, &st) < 0)
            return AVERROR(errno);
        if (off < (uint64_t)st.st_size) {
            uint64_t n = (uint64_t)st.st_size - off;
            ssize_t got;
            if (n > max)
                n = max;
            if (s->last != UINT64_MAX && n > s->last - off + 1)
                n = s->last - off + 1;
            got = pread(s->fd, buf, n, off);
            return got > 0 ? got : got == 0 ? AVERROR(EIO) : AVERROR(errno);
        }
        if ((r = open_complete(s, &st)) < 0)
            return r;
        if (r == 1) {    /* renamed: the size before the rename was the last */
            if (fstat(s->fd, &st) < 0)
                return AVERROR(errno);
            if (off < (uint64_t)st.st_size)
                continue;
            /* all sent; a range past the end is cut short */
            return s->last == UINT64_MAX ? AVERROR_EOF : AVERROR(EIO);
        }
        if (timed_out || clock_mono() >= s->deadline)
            return AVERROR(ETIMEDOUT);
        r = waiter_wait_grow(s->o->cfg.waiter, req, s->rel, &st,
                             fmin(s->idle, s->deadline - clock_mono()), &s->outcome);
        if (r == HTTP_SUSPENDED)
            return 0;
        if (r < 0)
            return r;
    }
}

/* The segment duration of stream name: the db's, else the default. */
static double segment_duration(Origin *o, const char *name)
{
    DbStream s;

    if (dbread_stream(o->cfg.db, name, &s) == 0 && s.segment_duration > 0)
        return s.segment_duration;
    return o->cfg.default_duration;
}

/*
 * A segment not published yet whose open segment (REL.open) is there:
 * streamed as it grows, with chunked transfer encoding, or from byte N
 * for "Range: bytes=N-" (also chunked) and "bytes=N-M" (Content-Length
 * known: the reply waits for each byte). AVERROR(ENOENT) when there is
 * no open segment; 503 beyond the stream limits.
 */
static int reply_growing(Origin *o, HttpRequest *req, OriginReq *or, const char *name,
                         const char *type)
{
    char open_rel[PATH_MAX_URL + sizeof(OPEN_SUFFIX)], cr[96];
    const char *ip = http_client_ip(req);
    uint64_t first = 0, last = UINT64_MAX;
    int ranged, fd, r;
    double dur;
    OpenStream *s;
    struct stat st;

    if (!o->cfg.waiter)
        return AVERROR(ENOENT);
    snprintf(open_rel, sizeof(open_rel), "%s%s", or->rel, OPEN_SUFFIX);
    if ((fd = path_open(o->rootfd, open_rel, &st)) < 0)
        return fd == AVERROR(EPERM) || fd == AVERROR(EACCES) ? AVERROR(ENOENT) : fd;
    if (stream_count(o, ip) < 0) {
        close(fd);
        return reply_overloaded(req);
    }
    if (!(s = calloc(1, sizeof(*s) + strlen(ip) + 1))) {
        stream_uncount(o, ip);
        close(fd);
        return AVERROR(ENOMEM);
    }
    dur = segment_duration(o, name);
    /* chunks land every fraction of a second: a gap of two segment
     * durations means the writer is gone */
    *s = (OpenStream){ .o = o, .fd = fd, .idle = fmin(2 * dur + 1, o->cfg.wait_max),
                       .deadline = clock_mono() + 4 * dur + 2 };
    strcpy(s->rel, or->rel);
    strcpy(s->ip, ip);
    ranged = http_parse_open_range(http_header(req, MHD_HTTP_HEADER_RANGE), &first, &last);
    if (ranged && last != UINT64_MAX) {
        snprintf(cr, sizeof(cr), "bytes %llu-%llu/*", (unsigned long long)first,
                 (unsigned long long)last);
        http_add_header(req, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
    }
    s->first = first;
    s->last = last;
    metrics_cache_miss();
    r = http_reply_stream(req, ranged ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK,
                          last == UINT64_MAX ? HTTP_SIZE_UNKNOWN : last - first + 1, type,
                          ranged ? "no-store" : CACHE_IMMUTABLE, open_stream_read, s,
                          open_stream_free);
    return r;
}

int origin_handle(HttpRequest *req, void *arg)
{
    Origin *o = arg;
    OriginReq *or = http_request_data(req);
    char name[RECORD_MAX_NAME + 1];
    const char *type;
    struct stat st;
    enum OriginKind kind;
    int64_t seq = -1;
    int fd, r;

    if (!or && !(or = begin(req, &r)))
        return r;
    kind = origin_classify(or->rel, name, &seq);
    type = path_content_type(or->rel);
    if ((kind == ORIGIN_SEGMENT || kind == ORIGIN_INIT) && reply_cached(o, req, or, type, &r))
        return r;
    do {
        fd = path_open(o->rootfd, or->rel, &st);
        if (fd >= 0)
            r = reply_open(o, req, or, kind, name, fd, &st, type);
        else if (fd == AVERROR(EPERM) || fd == AVERROR(EACCES))
            return http_reply_error(req, MHD_HTTP_FORBIDDEN, NULL);
        else if (fd != AVERROR(ENOENT))
            return fd;
        else if (kind == ORIGIN_SEGMENT &&
                 (r = reply_growing(o, req, or, name, type)) != AVERROR(ENOENT))
            return r;
        else if (kind != ORIGIN_SEGMENT || or->outcome != WAIT_NONE || !o->cfg.waiter)
            return reply_missing(req, or, kind == ORIGIN_SEGMENT);
        else
            r = wait_segment(o, req, or, name, seq);
    } while (r == AGAIN);
    return r;
}
