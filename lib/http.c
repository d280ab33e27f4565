/*
 * http.c: live-serve's HTTP server on libmicrohttpd. See http.h.
 *
 * A request's life, in MHD's callbacks:
 *   uri_log      request line parsed: HttpRequest allocated (raw target)
 *   access       headers parsed: overload check, route lookup; bodies
 *                collected; the route's handler runs (again after each
 *                http_resume); it queues one reply through http_reply*()
 *   completed    metrics and the access-log line; HttpRequest freed
 * and a connection's: notify_connection STARTED/CLOSED keeps the count
 * behind the 503 and a list for the deadlines, which a housekeeping
 * thread enforces once a second by shutting the socket of a client too
 * slow to send a request head (header_timeout from its connection, or
 * from a request line after keep-alive) or idle for longer than timeout
 * between requests: MHD's own timeout only catches inactivity, so one
 * byte per second would keep a connection forever.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <libavutil/error.h>

#include "clock.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "path.h"
#include "sock.h"

typedef struct Route {
    char *method;        /* NULL = any */
    char *pattern;
    size_t len;
    int flags;
    HttpHandler fn;
    void *arg;
} Route;

typedef struct HttpHeader {
    char *name, *value;
    struct HttpHeader *next;
} HttpHeader;

/* One TCP connection, for the request-head and body deadlines and the
 * per-address count. Where a connection is: a request being handled (no
 * deadline), a head being read (header_timeout from the connection or
 * from the request line), idle between keep-alive requests (timeout), a
 * body being read (body_timeout from the end of the head). */
enum { HEAD_NONE, HEAD_READING, HEAD_IDLE, HEAD_BODY };

typedef struct Conn {
    struct Conn *prev, *next;
    MHD_socket fd;
    char ip[INET6_ADDRSTRLEN]; /* the peer, counted in the address table */
    int counted;
    _Atomic double head_start; /* when the current phase began */
    atomic_int in_head;        /* HEAD_NONE, HEAD_READING, HEAD_IDLE or HEAD_BODY */
    int cut;                   /* already shut down (under the lock) */
} Conn;

/* Connections (or, behind a trusted proxy, requests) per client address. */
#define ADDR_BUCKETS 1024
typedef struct AddrCount {
    struct AddrCount *next;
    unsigned n;
    char ip[INET6_ADDRSTRLEN];
} AddrCount;

struct HttpServer {
    HttpConfig cfg;
    pthread_mutex_t addr_lock;
    AddrCount *addrs[ADDR_BUCKETS];
    struct MHD_Daemon *daemon;
    Route *routes;
    int nroutes;
    int port;
    unsigned overload_at;
    atomic_uint conns;
    atomic_int quiesced;

    pthread_mutex_t lock;     /* conn list, stop */
    pthread_cond_t cond;
    Conn *conn_list;
    pthread_t keeper;
    int keeper_running, stop;
};

struct HttpRequest {
    HttpServer *srv;
    struct MHD_Connection *conn;
    char *target;            /* raw request target */
    char *path;              /* target up to '?' */
    const char *method;
    const char *version;
    char ip[INET6_ADDRSTRLEN];   /* the client (see http_client_ip) */
    char peer[INET6_ADDRSTRLEN]; /* the TCP peer */
    int https;
    int client_counted;          /* ip holds a count in the address table */
    double start;
    int started;
    int suspended;
    const Route *route;
    char *body;
    size_t body_len, body_cap;
    int body_too_big;
    unsigned status;
    uint64_t bytes;
    int queued;
    HttpHeader *headers;
    void *data;
    void (*data_free)(void *);
};

void http_config_defaults(HttpConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->port = HTTP_DEFAULT_PORT;
    cfg->max_connections = HTTP_DEFAULT_MAX_CONNECTIONS;
    cfg->max_per_ip = HTTP_DEFAULT_MAX_PER_IP;
    cfg->timeout = HTTP_DEFAULT_TIMEOUT;
    cfg->header_timeout = HTTP_DEFAULT_HEADER_TIMEOUT;
    cfg->max_body = HTTP_DEFAULT_MAX_BODY;
    cfg->body_timeout = HTTP_DEFAULT_BODY_TIMEOUT;
    cfg->access_log_fd = 2;
}

/* ---- dates, ranges: pure helpers ---- */

void http_format_date(double t, char *buf, size_t size)
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

double http_parse_date(const char *s)
{
    struct tm tm;
    const char *end;

    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return -1;
    return (double)timegm(&tm);
}

/* Parse a decimal uint64 at *s; advances. -1 if none or overflow. */
static int parse_u64(const char **s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = *s;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    *s = p;
    *out = v;
    return 0;
}

int http_parse_range(const char *value, uint64_t size, uint64_t *first, uint64_t *last)
{
    const char *p = value;
    uint64_t a, b;

    if (!p || strncasecmp(p, "bytes=", 6))
        return 0;
    p += 6;
    while (*p == ' ')
        p++;
    if (strchr(p, ','))              /* several ranges: send the whole */
        return 0;
    if (*p == '-') {                 /* suffix: the last N bytes */
        p++;
        if (parse_u64(&p, &b) < 0)
            return 0;
        while (*p == ' ')
            p++;
        if (*p)
            return 0;
        if (b == 0 || size == 0)
            return AVERROR(ERANGE);
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return 1;
    }
    if (parse_u64(&p, &a) < 0 || *p++ != '-')
        return 0;
    if (*p >= '0' && *p <= '9') {
        if (parse_u64(&p, &b) < 0)
            return 0;
        if (b < a)
            return 0;                /* invalid: ignore the header */
    } else {
        b = UINT64_MAX;
    }
    while (*p == ' ')
        p++;
    if (*p)
        return 0;
    if (a >= size)
        return AVERROR(ERANGE);
    *first = a;
    *last = b >= size ? size - 1 : b;
    return 1;
}

int http_parse_open_range(const char *value, uint64_t *first, uint64_t *last)
{
    const char *p = value;
    uint64_t a, b = UINT64_MAX;

    if (!p || strncasecmp(p, "bytes=", 6))
        return 0;
    for (p += 6; *p == ' '; p++)
        ;
    if (strchr(p, ',') || parse_u64(&p, &a) < 0 || *p++ != '-')
        return 0;
    if (*p >= '0' && *p <= '9' && (parse_u64(&p, &b) < 0 || b < a))
        return 0;
    while (*p == ' ')
        p++;
    if (*p)
        return 0;
    *first = a;
    *last = b;
    return 1;
}

/* ---- trusted proxies: pure helpers ---- */

int http_parse_net(const char *s, HttpNet *net)
{
    char buf[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    int max;

    if (len == 0 || len >= INET6_ADDRSTRLEN)
        return AVERROR(EINVAL);
    memcpy(buf, s, len);
    buf[len] = 0;
    memset(net, 0, sizeof(*net));
    if (inet_pton(AF_INET, buf, net->addr) == 1) {
        net->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
        net->family = AF_INET6;
        max = 128;
    } else {
        return AVERROR(EINVAL);
    }
    net->bits = max;
    if (slash) {
        const char *p = slash + 1;
        int bits = 0;
        if (!*p || strlen(p) > 3)
            return AVERROR(EINVAL);
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return AVERROR(EINVAL);
            bits = bits * 10 + (*p - '0');
        }
        if (bits > max)
            return AVERROR(EINVAL);
        net->bits = bits;
    }
    return 0;
}

/* ip as an address: family and 4 or 16 bytes; IPv4-mapped IPv6 as IPv4. */
static int parse_ip(const char *ip, int *family, unsigned char *addr)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    if (inet_pton(AF_INET, ip, addr) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, ip, addr) == 1) {
        *family = AF_INET6;
        if (!memcmp(addr, mapped, 12)) {
            memmove(addr, addr + 12, 4);
            *family = AF_INET;
        }
        return 0;
    }
    return -1;
}

static int net_contains(const HttpNet *net, int family, const unsigned char *addr)
{
    int full = net->bits / 8, rest = net->bits % 8;

    if (net->family != family || memcmp(net->addr, addr, full))
        return 0;
    if (!rest)
        return 1;
    return ((net->addr[full] ^ addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int http_nets_contain(const HttpNet *nets, unsigned n, const char *ip)
{
    unsigned char addr[16];
    unsigned i;
    int family;

    if (!n || parse_ip(ip, &family, addr) < 0)
        return 0;
    for (i = 0; i < n; i++)
        if (net_contains(&nets[i], family, addr))
            return 1;
    return 0;
}

void http_forwarded_client(const char *xff, const HttpNet *nets, unsigned n,
                           char *buf, size_t size)
{
    const char *end = xff + strlen(xff), *p;
    char ip[INET6_ADDRSTRLEN];
    unsigned char addr[16];
    int family;

    while (end > xff) {
        const char *a, *b;
        size_t len;
        for (p = end; p > xff && p[-1] != ','; p--)
            ;
        for (a = p; a < end && (*a == ' ' || *a == '\t'); a++)
            ;
        for (b = end; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
            ;
        len = b - a;
        if (len == 0 || len >= sizeof(ip))
            return;                      /* malformed: the hop that sent it */
        memcpy(ip, a, len);
        ip[len] = 0;
        if (parse_ip(ip, &family, addr) < 0 || len >= size)
            return;
        memcpy(buf, ip, len + 1);
        if (!http_nets_contain(nets, n, ip))
            return;                      /* the first untrusted hop: the client */
        end = p > xff ? p - 1 : xff;
    }
}

/* ---- per-address counts ---- */

static AddrCount **addr_slot(HttpServer *srv, const char *ip)
{
    uint32_t h = 2166136261u;
    const char *p;
    AddrCount **a;

    for (p = ip; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (a = &srv->addrs[h % ADDR_BUCKETS]; *a; a = &(*a)->next)
        if (!strcmp((*a)->ip, ip))
            break;
    return a;
}

/* Count one more for ip: 0, or AVERROR(EBUSY) when it has max_per_ip
 * already (or AVERROR(ENOMEM)); nothing is counted then. */
static int addr_take(HttpServer *srv, const char *ip)
{
    AddrCount **a, *c;
    int r = 0;

    pthread_mutex_lock(&srv->addr_lock);
    a = addr_slot(srv, ip);
    if (!*a && (*a = calloc(1, sizeof(**a))))
        snprintf((*a)->ip, sizeof((*a)->ip), "%s", ip);
    c = *a;
    if (!c)
        r = AVERROR(ENOMEM);
    else if (c->n >= srv->cfg.max_per_ip)
        r = AVERROR(EBUSY);
    else
        c->n++;
    if (c && !c->n) {
        *a = c->next;
        free(c);
    }
    pthread_mutex_unlock(&srv->addr_lock);
    return r;
}

static void addr_release(HttpServer *srv, const char *ip)
{
    AddrCount **a, *c;

    pthread_mutex_lock(&srv->addr_lock);
    a = addr_slot(srv, ip);
    if ((c = *a) && c->n && !--c->n) {
        *a = c->next;
        free(c);
    }
    pthread_mutex_unlock(&srv->addr_lock);
}

/* ---- requests ---- */

const char *http_method(const HttpRequest *req) { return req->method ? req->method : ""; }
const char *http_path(const HttpRequest *req) { return req->path; }

const char *http_query_string(const HttpRequest *req)
{
    const char *q = strchr(req->target, '?');
    return q ? q + 1 : "";
}
const char *http_client_ip(const HttpRequest *req) { return req->ip; }
const char *http_peer_ip(const HttpRequest *req) { return req->peer; }
int http_is_https(const HttpRequest *req) { return req->https; }
void *http_request_data(const HttpRequest *req) { return req->data; }

int http_is_head(const HttpRequest *req)
{
    return req->method && !strcmp(req->method, MHD_HTTP_METHOD_HEAD);
}

const char *http_header(const HttpRequest *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const HttpRequest *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_body(const HttpRequest *req, size_t *len)
{
    if (len)
        *len = req->body_len;
    return req->body ? req->body : "";
}

void http_set_request_data(HttpRequest *req, void *data, void (*free_fn)(void *))
{
    if (req->data && req->data_free && req->data != data)
        req->data_free(req->data);
    req->data = data;
    req->data_free = free_fn;
}

int http_add_header(HttpRequest *req, const char *name, const char *value)
{
    HttpHeader *h = calloc(1, sizeof(*h));
    if (!h || !(h->name = strdup(name)) || !(h->value = strdup(value))) {
        if (h) {
            free(h->name);
            free(h);
        }
        return AVERROR(ENOMEM);
    }
    h->next = req->headers;
    req->headers = h;
    return 0;
}

static int has_header(const HttpRequest *req, const char *name)
{
    const HttpHeader *h;
    for (h = req->headers; h; h = h->next)
        if (!strcasecmp(h->name, name))
            return 1;
    return 0;
}

static void free_headers(HttpRequest *req)
{
    while (req->headers) {
        HttpHeader *h = req->headers;
        req->headers = h->next;
        free(h->name);
        free(h->value);
        free(h);
    }
}

void http_suspend(HttpRequest *req)
{
    req->suspended = 1;
    MHD_suspend_connection(req->conn);
}

void http_resume(HttpRequest *req)
{
    MHD_resume_connection(req->conn);
}

/* ---- replies ---- */

/* Add the pending and default headers, queue, account. Takes resp. */
static int queue(HttpRequest *req, unsigned status, struct MHD_Response *resp,
                 const char *type, const char *cache, uint64_t bytes)
{
    const HttpHeader *h;
    enum MHD_Result r;

    if (!resp)
        return AVERROR(ENOMEM);
    if (req->queued) {
        MHD_destroy_response(resp);
        return AVERROR(EINVAL);
    }
    for (h = req->headers; h; h = h->next)
        MHD_add_response_header(resp, h->name, h->value);
    if (type && !has_header(req, MHD_HTTP_HEADER_CONTENT_TYPE))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (cache && !has_header(req, MHD_HTTP_HEADER_CACHE_CONTROL))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    if (!has_header(req, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    if (!has_header(req, "Access-Control-Expose-Headers"))
        MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                                "Content-Length, Content-Range, Date, ETag, Last-Modified, Retry-After");
    r = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    free_headers(req);
    if (r != MHD_YES)
        return AVERROR(EIO);
    req->queued = 1;
    req->status = status;
    req->bytes = http_is_head(req) ? 0 : bytes;
    return 0;
}

int http_reply(HttpRequest *req, unsigned status, const char *type, const char *cache,
               const void *data, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    return queue(req, status, resp, type, cache, len);
}

int http_reply_error(HttpRequest *req, unsigned status, const char *msg)
{
    char buf[256];
    int n;

    if (!msg)
        msg = MHD_get_reason_phrase_for(status);
    n = snprintf(buf, sizeof(buf), "%u %s\n", status, msg ? msg : "");
    if (n < 0 || (size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    return http_reply(req, status, "text/plain; charset=utf-8", "no-store", buf, n);
}

/* 1 if the If-None-Match list contains etag (weak comparison) or "*". */
static int etag_matches(const char *list, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = list;

    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (!strncmp(p, "W/", 2))
            p += 2;
        if (!strncmp(p, etag, elen) && (p[elen] == ',' || p[elen] == ' ' || !p[elen]))
            return 1;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

/*
 * The shared part of file and blob replies: validators, 304, Range.
 * Returns 1 when a 304/416 was queued (nothing more to do), 0 with
 * [*off, *off + *len) to send and *status, or an AVERROR.
 */
static int conditional(HttpRequest *req, uint64_t size, double mtime, const char *etag,
                       const char *cache, unsigned *status, uint64_t *off, uint64_t *len)
{
    char lm[64], cr[96];
    const char *inm = http_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);
    const char *ims = http_header(req, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
    const char *range = http_header(req, MHD_HTTP_HEADER_RANGE);
    const char *ifr = http_header(req, MHD_HTTP_HEADER_IF_RANGE);
    uint64_t first, last;
    int r, notmod = 0;

    http_format_date(mtime, lm, sizeof(lm));
    if ((r = http_add_header(req, MHD_HTTP_HEADER_ETAG, etag)) < 0 ||
        (r = http_add_header(req, MHD_HTTP_HEADER_LAST_MODIFIED, lm)) < 0 ||
        (r = http_add_header(req, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes")) < 0)
        return r;
    if (inm)
        notmod = etag_matches(inm, etag);
    else if (ims) {
        double t = http_parse_date(ims);
        notmod = t >= 0 && (double)(int64_t)mtime <= t;
    }
    if (notmod) {
        r = http_reply(req, MHD_HTTP_NOT_MODIFIED, NULL, cache, "", 0);
        return r < 0 ? r : 1;
    }
    *status = MHD_HTTP_OK;
    *off = 0;
    *len = size;
    if (range && (!ifr || !strcmp(ifr, etag))) {
        r = http_parse_range(range, size, &first, &last);
        if (r == AVERROR(ERANGE)) {
            snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
            if ((r = http_add_header(req, MHD_HTTP_HEADER_CONTENT_RANGE, cr)) < 0)
                return r;
            r = http_reply(req, MHD_HTTP_RANGE_NOT_SATISFIABLE, "text/plain", "no-store", "", 0);
            return r < 0 ? r : 1;
        }
        if (r == 1) {
            snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)first,
                     (unsigned long long)last, (unsigned long long)size);
            if ((r = http_add_header(req, MHD_HTTP_HEADER_CONTENT_RANGE, cr)) < 0)
                return r;
            *status = MHD_HTTP_PARTIAL_CONTENT;
            *off = first;
            *len = last - first + 1;
        }
    }
    return 0;
}

void http_file_etag(const struct stat *st, char *buf, size_t size)
{
    snprintf(buf, size, "\"%llx-%llx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec * 1000000ULL + st->st_mtim.tv_nsec / 1000);
}

void http_blob_etag(size_t len, double mtime, char *buf, size_t size)
{
    snprintf(buf, size, "\"%llx-%llx\"", (unsigned long long)len,
             (unsigned long long)(mtime * 1e6));
}

int http_reply_fd(HttpRequest *req, int fd, uint64_t size, double mtime, const char *etag,
                  const char *type, const char *cache)
{
    struct MHD_Response *resp;
    unsigned status;
    uint64_t off, len;
    int r;

    r = conditional(req, size, mtime, etag, cache, &status, &off, &len);
    if (r != 0) {
        close(fd);
        return r < 0 ? r : 0;
    }
    if (len == 0) {
        close(fd);
        return http_reply(req, status, type, cache, "", 0);
    }
    /* MHD closes fd when the response is destroyed; it sends with
     * sendfile. Without a response the fd is still ours to close. */
    if (!(resp = MHD_create_response_from_fd_at_offset64(len, fd, off))) {
        close(fd);
        return AVERROR(ENOMEM);
    }
    return queue(req, status, resp, type, cache, len);
}

int http_reply_file(HttpRequest *req, int fd, const struct stat *st, const char *type,
                    const char *cache)
{
    char etag[64];

    http_file_etag(st, etag, sizeof(etag));
    return http_reply_fd(req, fd, st->st_size, st->st_mtim.tv_sec + st->st_mtim.tv_nsec / 1e9,
                         etag, type, cache);
}

int http_reply_blob(HttpRequest *req, const void *data, size_t len, double mtime,
                    const char *type, const char *cache)
{
    char etag[64];
    unsigned status;
    uint64_t off, n;
    int r;

    http_blob_etag(len, mtime, etag, sizeof(etag));
    r = conditional(req, len, mtime, etag, cache, &status, &off, &n);
    if (r != 0)
        return r < 0 ? r : 0;
    return http_reply(req, status, type, cache, (const char *)data + off, n);
}

int http_reply_shared(HttpRequest *req, const void *data, size_t len, double mtime,
                      const char *etag, const char *type, const char *cache,
                      void (*release)(void *), void *arg)
{
    struct MHD_Response *resp;
    unsigned status;
    uint64_t off, n;
    int r;

    r = conditional(req, len, mtime, etag, cache, &status, &off, &n);
    if (r != 0) {
        release(arg);
        return r < 0 ? r : 0;
    }
    /* MHD calls release when it destroys the response (also on failure). */
    resp = MHD_create_response_from_buffer_with_free_callback_cls(n, (char *)data + off,
                                                                  release, arg);
    if (!resp) {
        release(arg);
        return AVERROR(ENOMEM);
    }
    return queue(req, status, resp, type, cache, n);
}

/* A streamed reply's reader, as MHD calls it. */
typedef struct Stream {
    HttpRequest *req;      /* valid while MHD may call the reader */
    HttpStreamRead read;
    void *arg;
    void (*free_fn)(void *);
} Stream;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    Stream *s = cls;
    int64_t n = s->read(s->arg, s->req, pos, buf, max);

    if (n > 0) {
        s->req->bytes += n;
        return n;
    }
    if (n == 0)    /* suspended by the reader: MHD calls again on resume */
        return 0;
    return n == AVERROR_EOF ? MHD_CONTENT_READER_END_OF_STREAM
                            : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    Stream *s = cls;
    if (s->free_fn)
        s->free_fn(s->arg);
    free(s);
}

int http_reply_stream(HttpRequest *req, unsigned status, uint64_t size, const char *type,
                      const char *cache, HttpStreamRead read, void *arg,
                      void (*free_fn)(void *))
{
    struct MHD_Response *resp;
    Stream *s = calloc(1, sizeof(*s));
    int r;

    if (!s) {
        if (free_fn)
            free_fn(arg);
        return AVERROR(ENOMEM);
    }
    *s = (Stream){ .req = req, .read = read, .arg = arg, .free_fn = free_fn };
    /* MHD calls stream_free when it destroys the response (not on a
     * failed create) */
    resp = MHD_create_response_from_callback(size == HTTP_SIZE_UNKNOWN ? MHD_SIZE_UNKNOWN : size,
                                             16 * 1024, stream_read, s, stream_free);
    if (!resp) {
        stream_free(s);
        return AVERROR(ENOMEM);
    }
    r = queue(req, status, resp, type, cache, 0);
    req->bytes = 0;    /* counted as the reader delivers */
    return r;
}

/* CORS preflight for any path without an OPTIONS route. */
static int reply_preflight(HttpRequest *req)
{
    const char *want = http_header(req, "Access-Control-Request-Headers");
    int r;

    if ((r = http_add_header(req, "Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")) < 0 ||
        (r = http_add_header(req, "Access-Control-Allow-Headers",
                             want ? want : "Range, Content-Type")) < 0 ||
        (r = http_add_header(req, "Access-Control-Max-Age", "86400")) < 0)
        return r;
    return http_reply(req, MHD_HTTP_NO_CONTENT, NULL, NULL, "", 0);
}

/* ---- the MHD callbacks ---- */

static int method_ok(const Route *rt, const char *method)
{
    if (!rt->method)
        return 1;
    if (!strcmp(rt->method, method))
        return 1;
    return !strcmp(rt->method, MHD_HTTP_METHOD_GET) && !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

static const Route *find_route(const HttpServer *srv, const char *method, const char *path,
                               int *path_matched)
{
    int i;
    *path_matched = 0;
    for (i = 0; i < srv->nroutes; i++) {
        const Route *rt = &srv->routes[i];
        int match = rt->flags & HTTP_ROUTE_PREFIX ? !strncmp(path, rt->pattern, rt->len)
                                                  : !strcmp(path, rt->pattern);
        if (!match)
            continue;
        if (method_ok(rt, method))
            return rt;
        *path_matched = 1;
    }
    return NULL;
}

static Conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    HttpServer *srv = cls;
    HttpRequest *req = calloc(1, sizeof(*req));
    const union MHD_ConnectionInfo *ci;
    char *q;

    if (!req)
        return NULL;
    req->srv = srv;
    req->conn = conn;
    req->start = clock_mono();
    req->target = strdup(uri ? uri : "");
    req->path = strdup(uri ? uri : "");
    if (!req->target || !req->path) {
        free(req->target);
        free(req->path);
        free(req);
        return NULL;
    }
    if ((q = strchr(req->path, '?')))
        *q = '\0';
    {   /* a request line after keep-alive idling: its head is due now */
        Conn *c = conn_of(conn);
        if (c && atomic_load(&c->in_head) == HEAD_IDLE) {
            atomic_store(&c->head_start, clock_mono());
            atomic_store(&c->in_head, HEAD_READING);
        }
    }
    strcpy(req->ip, "-");
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        sock_host(ci->client_addr, req->ip, sizeof(req->ip));
        if (!req->ip[0])
            strcpy(req->ip, "-");
    }
    memcpy(req->peer, req->ip, sizeof(req->peer));
    return req;
}

static int reply_overload(HttpRequest *req)
{
    metrics_overload();
    http_add_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "2");
    http_add_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
    return http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded, retry later");
}

/* Behind a trusted proxy: the client it names, and TLS as it says; the
 * client is counted against the per-address limit for the request's
 * life. 0, or AVERROR(EBUSY) when that client is over the limit. */
static int forwarded(HttpServer *srv, HttpRequest *req)
{
    const char *xff, *proto;

    if (!http_nets_contain(srv->cfg.trusted, srv->cfg.ntrusted, req->peer))
        return 0;
    xff = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Forwarded-For");
    proto = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    if (xff)
        http_forwarded_client(xff, srv->cfg.trusted, srv->cfg.ntrusted, req->ip, sizeof(req->ip));
    req->https = proto && !strcasecmp(proto, "https");
    if (!srv->cfg.max_per_ip || http_nets_contain(srv->cfg.trusted, srv->cfg.ntrusted, req->ip))
        return 0;
    if (addr_take(srv, req->ip) < 0)
        return AVERROR(EBUSY);
    req->client_counted = 1;
    return 0;
}

static int has_body(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return (cl && strtoull(cl, NULL, 10) > 0) || te;
}

/* The first call for a request: its head is in. Refuse it at once when
 * the server is overloaded or stopping, the client has too many
 * connections, or the body announced is too large; otherwise wait for
 * the body (MHD keeps the connection alive only for replies queued once
 * the request is fully read). */
static enum MHD_Result request_start(HttpServer *srv, HttpRequest *req, struct MHD_Connection *conn,
                                     const char *method, const char *version)
{
    Conn *c = conn_of(conn);
    const char *cl;

    req->started = 1;
    req->method = method;
    req->version = version;
    if (c) {   /* the body, if any, is due within body_timeout */
        atomic_store(&c->head_start, clock_mono());
        atomic_store(&c->in_head, has_body(conn) ? HEAD_BODY : HEAD_NONE);
    }
    if (atomic_load(&srv->quiesced) || atomic_load(&srv->conns) >= srv->overload_at)
        return reply_overload(req) < 0 ? MHD_NO : MHD_YES;
    if (forwarded(srv, req) < 0) {
        http_add_header(req, MHD_HTTP_HEADER_RETRY_AFTER, "2");
        http_add_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
        return http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                                "too many connections from this address") < 0 ? MHD_NO : MHD_YES;
    }
    cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > srv->cfg.max_body) {
        http_add_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
        return http_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, NULL) < 0 ? MHD_NO : MHD_YES;
    }
    return MHD_YES;
}

/* A piece of the body: kept, up to max_body (beyond, the request is
 * marked and answered 413 once it is all in). */
static enum MHD_Result take_body(HttpServer *srv, HttpRequest *req, const char *upload, size_t n)
{
    if (req->body_too_big || req->queued)
        return MHD_YES;
    if (req->body_len + n > srv->cfg.max_body) {
        req->body_too_big = 1;
        return MHD_YES;
    }
    if (req->body_len + n + 1 > req->body_cap) {
        size_t cap = (req->body_len + n + 1) * 2;
        char *b = realloc(req->body, cap);
        if (!b)
            return MHD_NO;
        req->body = b;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, upload, n);
    req->body_len += n;
    req->body[req->body_len] = '\0';
    return MHD_YES;
}

/* The whole request is in: 413, 405 or 404, a CORS preflight, or its
 * route's handler (again after a suspension); a handler that failed or
 * sent nothing gets a 500. */
static enum MHD_Result dispatch(HttpServer *srv, HttpRequest *req, struct MHD_Connection *conn,
                                const char *method)
{
    Conn *c = conn_of(conn);
    int r, path_matched;

    if (c && atomic_load(&c->in_head) == HEAD_BODY)
        atomic_store(&c->in_head, HEAD_NONE);   /* no deadline while it is handled */
    if (req->queued)
        return MHD_YES;
    req->suspended = 0;
    if (req->body_too_big) {
        http_add_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
        r = http_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, NULL);
    } else if (!req->route && !(req->route = find_route(srv, method, req->path, &path_matched)) &&
               strcmp(method, MHD_HTTP_METHOD_OPTIONS)) {
        if (path_matched) {
            http_add_header(req, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, OPTIONS");
            r = http_reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, NULL);
        } else {
            r = http_reply_error(req, MHD_HTTP_NOT_FOUND, NULL);
        }
    } else if (!req->route) {
        r = reply_preflight(req);
    } else {
        r = req->route->fn(req, req->route->arg);
        if (r == HTTP_SUSPENDED)
            return MHD_YES;
    }
    if (!req->queued) {
        char err[AV_ERROR_MAX_STRING_SIZE];
        log_error("%s %s: %s", method, req->target,
                  r < 0 ? log_averr(r, err, sizeof(err)) : "the handler sent no reply");
        r = http_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
    }
    return r < 0 && !req->queued ? MHD_NO : MHD_YES;
}

/* MHD's request callback: called with the head, then with each piece of
 * the body, then once more when the request is all in (and again after
 * every resume of a suspended request). */
static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload, size_t *upload_size, void **con_cls)
{
    HttpServer *srv = cls;
    HttpRequest *req = *con_cls;

    (void)url;
    if (!req)
        return MHD_NO;   /* out of memory in uri_log: drop the connection */
    if (!req->started)
        return request_start(srv, req, conn, method, version);
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        return take_body(srv, req, upload, n);
    }
    return dispatch(srv, req, conn, method);
}

/* ---- the access log ---- */

/* A bounded writer: nothing is ever written at or past end. */
typedef struct LogOut {
    char *p, *end;
} LogOut;

static void out_raw(LogOut *o, const char *s, size_t n)
{
    size_t room = (size_t)(o->end - o->p);
    if (n > room)
        n = room;
    memcpy(o->p, s, n);
    o->p += n;
}

static int needs_escape(unsigned char c)
{
    return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

/* Append s escaped (\xHH for control characters, '"', '\\' and bytes
 * >= 0x7f; "-" for NULL or empty), in at most max bytes: a field that
 * does not fit is cut on a character boundary and ends in "...". */
static void out_field(LogOut *o, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t room = (size_t)(o->end - o->p), need = 0;
    const char *q;
    char *lim;

    if (!s || !*s)
        s = "-";
    if (max > room)
        max = room;
    for (q = s; *q && need <= max; q++)
        need += needs_escape((unsigned char)*q) ? 4 : 1;
    lim = o->p + max;
    if (need > max)
        lim = max >= 3 ? lim - 3 : o->p;   /* room for "..." */
    for (; *s; s++) {
        unsigned char c = *s;
        if (!needs_escape(c)) {
            if (o->p + 1 > lim)
                break;
            *o->p++ = c;
        } else {
            if (o->p + 4 > lim)
                break;
            *o->p++ = '\\';
            *o->p++ = 'x';
            *o->p++ = hex[c >> 4];
            *o->p++ = hex[c & 15];
        }
    }
    if (*s && max >= 3)
        out_raw(o, "...", 3);
}

size_t http_access_line(char *buf, size_t size, const HttpLogEntry *e)
{
    char tail[2048], date[64], num[64];
    LogOut t = { tail, tail + sizeof(tail) }, o;
    struct tm tm;
    time_t when = e->time;
    size_t tail_len, room;

    if (size == 0)
        return 0;
    o = (LogOut){ buf, buf + size - 1 };   /* the NUL always fits */

    /* what follows the request target, made first so the target (the
     * one field of unbounded length) gets what is left */
    out_raw(&t, " ", 1);
    out_field(&t, e->version, 16);
    if (e->bytes)
        snprintf(num, sizeof(num), "\" %u %llu \"", e->status, (unsigned long long)e->bytes);
    else
        snprintf(num, sizeof(num), "\" %u - \"", e->status);
    out_raw(&t, num, strlen(num));
    out_field(&t, e->referer, 1024);
    out_raw(&t, "\" \"", 3);
    out_field(&t, e->user_agent, 512);
    out_raw(&t, "\"\n", 2);
    tail_len = (size_t)(t.p - tail);

    gmtime_r(&when, &tm);
    if (!strftime(date, sizeof(date), "%d/%b/%Y:%H:%M:%S +0000", &tm))
        strcpy(date, "-");
    out_field(&o, e->ip, 64);
    out_raw(&o, " - - [", 6);
    out_raw(&o, date, strlen(date));
    out_raw(&o, "] \"", 3);
    out_field(&o, e->method, 32);
    out_raw(&o, " ", 1);
    room = (size_t)(o.end - o.p);
    out_field(&o, e->target, room > tail_len ? room - tail_len : 0);
    out_raw(&o, tail, tail_len);
    if (o.p > buf && o.p[-1] != '\n')
        o.p[-1] = '\n';                   /* a buffer too small for the tail */
    *o.p = '\0';
    return (size_t)(o.p - buf);
}

static void access_log(HttpServer *srv, HttpRequest *req, unsigned status)
{
    char line[HTTP_LOG_LINE_MAX];
    HttpLogEntry e = { .ip = req->ip, .method = req->method, .target = req->target,
                       .version = req->version, .status = status, .bytes = req->bytes,
                       .time = time(NULL) };
    size_t len;

    if (srv->cfg.access_log_fd < 0)
        return;
    if (req->started) {
        e.referer = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_REFERER);
        e.user_agent = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_USER_AGENT);
    }
    len = http_access_line(line, sizeof(line), &e);
    if (write(srv->cfg.access_log_fd, line, len) < 0)
        (void)0;  /* a full disk must not stop serving */
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    HttpServer *srv = cls;
    HttpRequest *req = *con_cls;
    Conn *c = conn_of(conn);
    unsigned status;

    if (c) {   /* idle until the next request line (keep-alive) */
        atomic_store(&c->head_start, clock_mono());
        atomic_store(&c->in_head, HEAD_IDLE);
    }
    if (!req)
        return;
    status = req->status;
    if (!req->queued) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
        status = ci ? ci->http_status : 0;
    }
    if (status || req->started) {
        metrics_response(status, req->bytes);
        access_log(srv, req, status);
    }
    if (req->client_counted)
        addr_release(srv, req->ip);
    if (req->data && req->data_free)
        req->data_free(req->data);
    free_headers(req);
    free(req->body);
    free(req->target);
    free(req->path);
    free(req);
    *con_cls = NULL;
    (void)toe;
}

static void connection_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    HttpServer *srv = cls;
    Conn *c;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        atomic_fetch_add(&srv->conns, 1);
        metrics_connections(1);
        c = calloc(1, sizeof(*c));
        if (!c)
            return;
        c->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
        c->in_head = HEAD_READING;
        c->head_start = clock_mono();
        /* The per-address limit, on the peer; a trusted proxy is not
         * limited (its clients are, per request: see forwarded()). */
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr && srv->cfg.max_per_ip) {
            sock_host(ci->client_addr, c->ip, sizeof(c->ip));
            if (c->ip[0] && !http_nets_contain(srv->cfg.trusted, srv->cfg.ntrusted, c->ip)) {
                if (addr_take(srv, c->ip) == 0) {
                    c->counted = 1;
                } else if (c->fd != MHD_INVALID_SOCKET) {
                    shutdown(c->fd, SHUT_RDWR);   /* closed at once */
                    c->cut = 1;
                }
            }
        }
        pthread_mutex_lock(&srv->lock);
        c->next = srv->conn_list;
        if (c->next)
            c->next->prev = c;
        srv->conn_list = c;
        pthread_mutex_unlock(&srv->lock);
        *socket_context = c;
        return;
    }
    atomic_fetch_sub(&srv->conns, 1);
    metrics_connections(-1);
    c = *socket_context;
    if (!c)
        return;
    /* Unlinked before MHD closes the socket: the keeper never shuts an
     * fd that was closed and reused. */
    pthread_mutex_lock(&srv->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conn_list = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&srv->lock);
    if (c->counted)
        addr_release(srv, c->ip);
    free(c);
    *socket_context = NULL;
}

/* Enforce the request-head deadline once a second. */
static void *keeper_main(void *arg)
{
    HttpServer *srv = arg;
    struct timespec ts;
    Conn *c;

    pthread_mutex_lock(&srv->lock);
    while (!srv->stop) {
        double now = clock_mono();
        for (c = srv->conn_list; c; c = c->next) {
            int phase = atomic_load(&c->in_head);
            double limit = phase == HEAD_IDLE ? srv->cfg.timeout
                         : phase == HEAD_BODY ? srv->cfg.body_timeout
                         : srv->cfg.header_timeout;
            if (!c->cut && c->fd != MHD_INVALID_SOCKET && phase != HEAD_NONE && limit > 0 &&
                now - atomic_load(&c->head_start) > limit) {
                shutdown(c->fd, SHUT_RDWR);
                c->cut = 1;
            }
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&srv->cond, &srv->lock, &ts);
    }
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    /* Limits reached and clients going away are normal for a server. */
    log_debug("libmicrohttpd: %s", buf);
}

/* Identity: handlers get the raw path and decode it themselves (path.h),
 * so an encoded '/' or NUL can be told from a real one. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

/* ---- server ---- */

int http_server_new(const HttpConfig *cfg, HttpServer **out)
{
    HttpServer *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return AVERROR(ENOMEM);
    srv->cfg = *cfg;
    pthread_mutex_init(&srv->lock, NULL);
    pthread_mutex_init(&srv->addr_lock, NULL);
    pthread_cond_init(&srv->cond, NULL);
    *out = srv;
    return 0;
}

int http_route(HttpServer *srv, const char *method, const char *pattern, int flags,
               HttpHandler fn, void *arg)
{
    Route *r = realloc(srv->routes, (srv->nroutes + 1) * sizeof(*r));
    if (!r)
        return AVERROR(ENOMEM);
    srv->routes = r;
    r += srv->nroutes;
    memset(r, 0, sizeof(*r));
    r->pattern = strdup(pattern);
    r->method = method ? strdup(method) : NULL;
    if (!r->pattern || (method && !r->method)) {
        free(r->pattern);
        free(r->method);
        return AVERROR(ENOMEM);
    }
    r->len = strlen(pattern);
    r->flags = flags;
    r->fn = fn;
    r->arg = arg;
    srv->nroutes++;
    return 0;
}

int http_server_start(HttpServer *srv)
{
    const HttpConfig *cfg = &srv->cfg;
    struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
    struct addrinfo *ai = NULL;
    const union MHD_DaemonInfo *di;
    char port[16];
    unsigned threads = cfg->threads;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                     MHD_USE_TURBO | MHD_USE_ERROR_LOG;
    int r;

    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 && n < 64 ? n : 2;
    }
    snprintf(port, sizeof(port), "%d", cfg->port);
    hints.ai_family = cfg->host && cfg->host[0] ? AF_UNSPEC : AF_INET;
    r = getaddrinfo(cfg->host && cfg->host[0] ? cfg->host : NULL, port, &hints, &ai);
    if (r) {
        log_error("%s: %s", cfg->host ? cfg->host : "", gai_strerror(r));
        return AVERROR(EINVAL);
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->overload_at = cfg->max_connections - (cfg->max_connections / 16 ? cfg->max_connections / 16 : 1);
    if (!srv->overload_at)
        srv->overload_at = 1;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, srv,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        /* the per-address limit is counted here (connection_cb), so that
         * trusted proxies can be left out of it */
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096,
        /* Per connection: request head and MHD's bookkeeping; MHD clears
         * it for every request, so it is not larger than it must be. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, srv,
        MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
        MHD_OPTION_NOTIFY_CONNECTION, connection_cb, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!srv->daemon) {
        log_error("cannot listen on %s:%d (in use, or no permission)",
                  cfg->host && cfg->host[0] ? cfg->host : "*", cfg->port);
        return AVERROR(EADDRINUSE);
    }
    di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : cfg->port;
    if (cfg->header_timeout || cfg->body_timeout) {
        if (pthread_create(&srv->keeper, NULL, keeper_main, srv) == 0)
            srv->keeper_running = 1;
    }
    return 0;
}

int http_server_port(const HttpServer *srv)
{
    return srv->port;
}

void http_server_quiesce(HttpServer *srv)
{
    atomic_store(&srv->quiesced, 1);
}

void http_server_free(HttpServer **psrv)
{
    HttpServer *srv = *psrv;
    int i;

    if (!srv)
        return;
    if (srv->keeper_running) {
        pthread_mutex_lock(&srv->lock);
        srv->stop = 1;
        pthread_cond_signal(&srv->cond);
        pthread_mutex_unlock(&srv->lock);
        pthread_join(srv->keeper, NULL);
    }
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    for (i = 0; i < srv->nroutes; i++) {
        free(srv->routes[i].method);
        free(srv->routes[i].pattern);
    }
    free(srv->routes);
    for (i = 0; i < ADDR_BUCKETS; i++)
        while (srv->addrs[i]) {
            AddrCount *a = srv->addrs[i];
            srv->addrs[i] = a->next;
            free(a);
        }
    pthread_mutex_destroy(&srv->addr_lock);
    pthread_mutex_destroy(&srv->lock);
    pthread_cond_destroy(&srv->cond);
    free(srv);
    *psrv = NULL;
}
