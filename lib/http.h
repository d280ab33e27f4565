/*
 * http.h: the HTTP server of live-serve, on libmicrohttpd (MHD).
 *
 *   viewers / nginx edge --HTTP--> MHD (epoll, thread pool, limits)
 *        --> route table (method + exact path or prefix, first match)
 *        --> handler(HttpRequest *) --> http_reply*() --> access log
 *
 * MHD does the HTTP parsing, keep-alive, HEAD, sendfile and timeouts;
 * this file adds what every route shares: a route table that other
 * modules extend (http_route), request bodies collected whole, CORS
 * headers and preflight, conditional and Range requests for files and
 * blobs, 503 + Retry-After when the server is overloaded, request
 * suspension for handlers that wait (http_suspend/http_resume), request
 * counters for /metrics and a combined-format access log.
 *
 * The request path handed to handlers is the raw one from the request
 * line (MHD's %-decoding is turned off): use path_normalize (path.h)
 * to map it to a file, path_decode_query for query values.
 */
#ifndef LIVE_HTTP_H
#define LIVE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct HttpServer HttpServer;
typedef struct HttpRequest HttpRequest;
struct MHD_Connection;

/* An address block, "ADDR" or "ADDR/BITS", IPv4 or IPv6. */
typedef struct HttpNet {
    int family;                /* AF_INET or AF_INET6 */
    unsigned char addr[16];    /* network byte order; 4 bytes for IPv4 */
    int bits;                  /* prefix length */
} HttpNet;

#define HTTP_MAX_NETS 32

typedef struct HttpConfig {
    const char *host;          /* listen address; NULL or "" = every IPv4 address */
    int port;                  /* 0 = any free port (see http_server_port) */
    unsigned threads;          /* event-loop threads; 0 = one per CPU */
    unsigned max_connections;  /* open connections at most (MHD closes more at accept) */
    unsigned max_per_ip;       /* from one client address; 0 = no limit */
    unsigned timeout;          /* seconds a connection may stay idle or stall */
    unsigned header_timeout;   /* seconds a client may take to send a request head; 0 = off */
    size_t max_body;           /* largest request body accepted (413 beyond) */
    unsigned body_timeout;     /* seconds a client may take to send a request body; 0 = off */
    int access_log_fd;         /* combined-format access log; -1 = none */
    /* Peers whose X-Forwarded-For and X-Forwarded-Proto are believed
     * (an edge, a load balancer); nobody else's are. */
    HttpNet trusted[HTTP_MAX_NETS];
    unsigned ntrusted;
} HttpConfig;

/* Defaults used for fields left 0 by http_config_defaults. */
#define HTTP_DEFAULT_PORT 8080
#define HTTP_DEFAULT_MAX_CONNECTIONS 8192
#define HTTP_DEFAULT_MAX_PER_IP 256
#define HTTP_DEFAULT_TIMEOUT 30
#define HTTP_DEFAULT_HEADER_TIMEOUT 10
#define HTTP_DEFAULT_MAX_BODY (64 * 1024)
#define HTTP_DEFAULT_BODY_TIMEOUT 5

void http_config_defaults(HttpConfig *cfg);

/* A handler returns 0 once it has queued a reply with http_reply*(),
 * HTTP_SUSPENDED after http_suspend (it is called again, with the same
 * request, once http_resume is called), or a negative AVERROR (then a
 * 500 is sent unless a reply was queued). */
#define HTTP_SUSPENDED 1
typedef int (*HttpHandler)(HttpRequest *req, void *arg);

/* Route flags. */
#define HTTP_ROUTE_EXACT  0
#define HTTP_ROUTE_PREFIX 1    /* pattern is a prefix of the path */

/* Create a server (not yet listening). 0 or AVERROR(ENOMEM). */
int http_server_new(const HttpConfig *cfg, HttpServer **out);
/* Stop if running, free. Accepts NULL. */
void http_server_free(HttpServer **srv);

/*
 * Add a route: method ("GET" also answers HEAD; NULL = any method),
 * pattern matched against the raw path (without query), exactly or as
 * a prefix. Routes are tried in the order they were added; the first
 * match wins, so add specific ones first. Unmatched requests get 404;
 * OPTIONS requests without their own route get a CORS preflight reply.
 * The strings are copied. Returns 0 or AVERROR(ENOMEM).
 */
int http_route(HttpServer *srv, const char *method, const char *pattern, int flags,
               HttpHandler fn, void *arg);

/* One access-log line: the combined format of nginx and Apache. */
typedef struct HttpLogEntry {
    const char *ip, *method, *target, *version, *referer, *user_agent; /* NULL: "-" */
    unsigned status;
    uint64_t bytes;            /* 0: "-" */
    long long time;            /* seconds since the epoch */
} HttpLogEntry;

#define HTTP_LOG_LINE_MAX 4096

/*
 * Format e as one line into buf (size bytes, NUL included): every field
 * escaped (\xHH for control characters, '"', '\\' and bytes >= 0x7f),
 * so a request cannot forge a line; fields too long for the line are cut
 * and end in "..." (the request target first: the fields after it stay).
 * Never writes past buf + size; the line ends in '\n' (when size >= 2).
 * Returns its length, without the NUL.
 */
size_t http_access_line(char *buf, size_t size, const HttpLogEntry *e);

/* Bind and start serving. 0, or AVERROR(EADDRINUSE) etc. (logged). */
int http_server_start(HttpServer *srv);
/* The bound port (after start). */
int http_server_port(const HttpServer *srv);
/* Stop accepting new connections and answer new requests with 503. */
void http_server_quiesce(HttpServer *srv);

/* Request fields. Strings are owned by the request. */
const char *http_method(const HttpRequest *req);
const char *http_path(const HttpRequest *req);       /* raw, without "?query" */
const char *http_query_string(const HttpRequest *req); /* raw, after '?'; "" if none */
const char *http_header(const HttpRequest *req, const char *name); /* NULL if absent */
/* The client: the peer's address, or behind a trusted proxy the address
 * its X-Forwarded-For names (the rightmost one that is not a trusted
 * proxy itself). Rate limits, per-address limits and the log use it. */
const char *http_client_ip(const HttpRequest *req);
/* The address of the TCP peer itself. */
const char *http_peer_ip(const HttpRequest *req);
/* 1 when the request came over TLS: X-Forwarded-Proto: https from a
 * trusted proxy (live-serve itself speaks plain HTTP). */
int http_is_https(const HttpRequest *req);
/* A query parameter, percent-decoded; NULL if absent ("" without a value). */
const char *http_query(const HttpRequest *req, const char *name);
const char *http_body(const HttpRequest *req, size_t *len); /* NUL-terminated; "" if none */
/* 1 for HEAD requests (the body is not sent; replies are built as for GET). */
int http_is_head(const HttpRequest *req);

/* A handler's own per-request data, kept across suspension; free_fn
 * (may be NULL) is called when the request ends. */
void *http_request_data(const HttpRequest *req);
void http_set_request_data(HttpRequest *req, void *data, void (*free_fn)(void *));

/* Add a header to the reply queued next (e.g. Set-Cookie, Retry-After).
 * A handler's own Access-Control-* or Cache-Control header replaces the
 * default. 0 or AVERROR(ENOMEM). */
int http_add_header(HttpRequest *req, const char *name, const char *value);

/* Reply with a copy of len bytes. type may be NULL (no Content-Type);
 * cache is the Cache-Control value (NULL = none). 0 or AVERROR. */
int http_reply(HttpRequest *req, unsigned status, const char *type, const char *cache,
               const void *data, size_t len);
/* Reply with a short text/plain message (status text when msg is NULL)
 * and Cache-Control: no-store. */
int http_reply_error(HttpRequest *req, unsigned status, const char *msg);
/* Reply with a file, taking over fd (closed in every case): ETag and
 * Last-Modified from st, 304 for If-None-Match / If-Modified-Since, 206
 * for a single byte Range, 416 for an unsatisfiable one; sent with
 * sendfile. */
int http_reply_file(HttpRequest *req, int fd, const struct stat *st, const char *type,
                    const char *cache);
/* The same for fd at a given size, modification time and ETag (e.g. a
 * dup of a cached fd). */
int http_reply_fd(HttpRequest *req, int fd, uint64_t size, double mtime, const char *etag,
                  const char *type, const char *cache);
/* The same for data in memory (copied) with its modification time. */
int http_reply_blob(HttpRequest *req, const void *data, size_t len, double mtime,
                    const char *type, const char *cache);

/* The same for shared data that must live until the response is sent:
 * no copy is made; release(arg) is called once the data is no longer
 * needed (also at once on 304, 416 or failure). etag is the entity tag
 * to send (quoted). */
int http_reply_shared(HttpRequest *req, const void *data, size_t len, double mtime,
                      const char *etag, const char *type, const char *cache,
                      void (*release)(void *), void *arg);

/* The ETag http_reply_file sends for a file with this stat, and the one
 * http_reply_blob sends for len bytes modified at mtime, into buf
 * (at least 48 bytes). */
void http_file_etag(const struct stat *st, char *buf, size_t size);
void http_blob_etag(size_t len, double mtime, char *buf, size_t size);

/*
 * A reply whose body is not all there yet (a segment still being
 * written): read(arg, req, pos, buf, max) is called for the bytes from
 * pos on and returns how many it put in buf (> 0); 0 after it has
 * suspended the request (http_suspend, e.g. through waiter.h) — it is
 * called again once the request is resumed, never in a loop; AVERROR_EOF
 * at the end of the body; another negative AVERROR to cut the reply off
 * (the connection is closed: the client sees a short body). size is the
 * body's length when known (Content-Length), else HTTP_SIZE_UNKNOWN: the
 * body goes out with chunked transfer encoding (HTTP/1.1; an HTTP/1.0
 * client gets it up to a closed connection). free_fn(arg) (may be NULL)
 * runs when the reply is done with, also on failure. No validators,
 * no Range: the caller adds what applies (http_add_header).
 */
#define HTTP_SIZE_UNKNOWN UINT64_MAX
typedef int64_t (*HttpStreamRead)(void *arg, HttpRequest *req, uint64_t pos, char *buf,
                                  size_t max);
int http_reply_stream(HttpRequest *req, unsigned status, uint64_t size, const char *type,
                      const char *cache, HttpStreamRead read, void *arg,
                      void (*free_fn)(void *));

/* Suspend the request (from its handler, which then returns
 * HTTP_SUSPENDED); http_resume, from any thread, has the handler called
 * again. A suspended request must be resumed before the server stops. */
void http_suspend(HttpRequest *req);
void http_resume(HttpRequest *req);

/* Parse one "bytes=" Range header against a size. Returns 1 with
 * [*first, *last] for a satisfiable single range, 0 to send the whole
 * (no or unsupported header: several ranges, other units, bad syntax),
 * AVERROR(ERANGE) for an unsatisfiable one (416). Pure; unit-tested. */
int http_parse_range(const char *value, uint64_t size, uint64_t *first, uint64_t *last);

/* Parse one "bytes=" Range header for a body of unknown length (a
 * segment still being written): "bytes=N-" (*last = UINT64_MAX) or
 * "bytes=N-M". Returns 1 with [*first, *last], 0 for no header or any
 * other form (suffix ranges, several ranges, bad syntax: send the
 * whole). Pure; unit-tested. */
int http_parse_open_range(const char *value, uint64_t *first, uint64_t *last);

/* Parse "ADDR" or "ADDR/BITS" into *net. 0 or AVERROR(EINVAL). Pure. */
int http_parse_net(const char *s, HttpNet *net);
/* 1 when the address text ip (IPv4, IPv6, or IPv4-mapped IPv6) is in one
 * of the n blocks. Pure. */
int http_nets_contain(const HttpNet *nets, unsigned n, const char *ip);
/* The client address from an X-Forwarded-For value sent by a trusted
 * peer: walking from the right, the first address that is not in the
 * trusted blocks (or the leftmost when all are); a malformed entry ends
 * the walk at the hop that sent it. Into buf, which holds peer on entry.
 * Pure. */
void http_forwarded_client(const char *xff, const HttpNet *nets, unsigned n,
                           char *buf, size_t size);

/* An HTTP date (RFC 9110 IMF-fixdate) for t into buf (at least 30 bytes);
 * http_parse_date returns the time or -1. */
void http_format_date(double t, char *buf, size_t size);
double http_parse_date(const char *s);

#endif
