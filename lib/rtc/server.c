/*
 * rtc/server.c: live-rtc's loop: the shared UDP port, the control socket,
 * streams and sessions. See server.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "array.h"
#include "bytebuf.h"
#include "clock.h"
#include "flv.h"
#include "log.h"
#include "sock.h"
#include "rtc/control.h"
#include "rtc/feed.h"
#include "rtc/feedpkt.h"
#include "rtc/server.h"
#include "rtc/session.h"
#include "rtc/stun.h"

#define MAX_CONNS 256
#define MAX_FLV_TAG (16u << 20)
#define FEED_BUF_MAX (32u << 20)

typedef struct Server Server;

typedef struct Stream {
    char name[WHEP_MAX_NAME + 1];
    RtcFeed *feed;
    Server *srv;
    int64_t viewers_ever;
    RtcSession **viewers;       /* its sessions (also in Server.sessions): a
                                 * frame goes to these, not to all */
    int nviewers, viewers_cap;
} Stream;

enum ConnKind { CONN_NEW = 0, CONN_FEED, CONN_WHEP, CONN_ANSWER };

typedef struct Conn {
    int fd;
    enum ConnKind kind;
    ByteBuf in, out;
    Stream *stream;             /* FEED */
    int flv_header;             /* FEED: header read */
    int packets;                /* FEED: packets (feedpkt.h), not FLV */
    char head[RTC_CONTROL_MAX_LINE + 1]; /* WHEP: the request line */
    size_t body_len;
} Conn;

struct Server {
    const RtcConfig *cfg;
    int udp, listen;
    int port;
    DtlsCert *cert;
    Conn *conns[MAX_CONNS];
    int nconns;
    Stream **streams;
    int nstreams;
    RtcSession **sessions;
    int nsessions, cap;
    int64_t now;
    uint64_t udp_dropped;
    int udp_full;               /* a send met a full socket: wait for POLLOUT */
    int no_gso;                 /* the kernel refused UDP_SEGMENT */
};

void rtc_config_defaults(RtcConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->udp_host = "127.0.0.1";
    cfg->udp_port = 8189;
    cfg->control = "live-rtc.sock";
    cfg->consent_timeout = 30;
    whep_limits_default(&cfg->limits);
    cfg->max_streams = 64;
}

/* ---- sessions ---- */

static int udp_send(void *opaque, const uint8_t *p, size_t len, const struct sockaddr *to, socklen_t tolen)
{
    Server *srv = opaque;
    /* A full socket buffer: the session queues the datagram (its own
     * queue, bounded); nothing ever blocks on a viewer. */
    if (sendto(srv->udp, p, len, MSG_DONTWAIT, to, tolen) < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
            srv->udp_full = 1;
            return AVERROR(EAGAIN);
        }
        srv->udp_dropped++;
    }
    return 0;
}

/* Datagrams of seg bytes (the last may be shorter) in one sendmsg with
 * UDP_SEGMENT (GSO: one trip through the stack for all of them), or one
 * by one where the kernel does not take it. Returns the bytes that went. */
static size_t udp_send_many(void *opaque, const uint8_t *p, size_t seg, size_t len, const struct sockaddr *to,
                            socklen_t tolen)
{
    Server *srv = opaque;
    size_t off = 0;
    if (len > seg && !srv->no_gso) {
        char cbuf[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
        struct iovec iov = { (void *)p, len };
        struct msghdr m = { .msg_name = (void *)to, .msg_namelen = tolen, .msg_iov = &iov, .msg_iovlen = 1,
                            .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        uint16_t gso = (uint16_t)seg;
        cm->cmsg_level = SOL_UDP;
        cm->cmsg_type = UDP_SEGMENT;
        cm->cmsg_len = CMSG_LEN(sizeof(gso));
        memcpy(CMSG_DATA(cm), &gso, sizeof(gso));
        if (sendmsg(srv->udp, &m, MSG_DONTWAIT) >= 0)
            return len;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
            srv->udp_full = 1;
            return 0;
        }
        if (errno != EINVAL && errno != EIO && errno != EOPNOTSUPP && errno != ENOPROTOOPT) {
            srv->udp_dropped++;
            return len;
        }
        log_info("UDP GSO is not available (%s): one datagram at a time", strerror(errno));
        srv->no_gso = 1;
    }
    for (; off < len; off += seg) {
        size_t n = len - off < seg ? len - off : seg;
        if (udp_send(srv, p + off, n, to, tolen) == AVERROR(EAGAIN))
            break;
    }
    return off < len ? off : len;
}

static Stream *find_stream(Server *srv, const char *name)
{
    for (int i = 0; i < srv->nstreams; i++)
        if (!strcmp(srv->streams[i]->name, name))
            return srv->streams[i];
    return NULL;
}

static void drop_session(Server *srv, int i, const char *why)
{
    RtcSession *s = srv->sessions[i];
    Stream *st;
    log_info("session %s of %s ends (%s): %llu video frames, %llu audio frames, %llu packets (%llu dropped "
             "by --test-loss), %llu NACKed, %llu resent, %llu over the resend budget, %llu PLI, %llu FIR, "
             "%llu pictures sent for them or the join",
             s->id, s->stream, why, (unsigned long long)s->st.video_frames,
             (unsigned long long)s->st.audio_frames, (unsigned long long)s->st.packets,
             (unsigned long long)s->st.dropped_loss, (unsigned long long)s->st.nacks,
             (unsigned long long)s->st.retransmits, (unsigned long long)s->st.rtx_limited,
             (unsigned long long)s->st.plis, (unsigned long long)s->st.firs,
             (unsigned long long)s->st.pictures);
    if ((st = s->owner))
        for (int k = 0; k < st->nviewers; k++)
            if (st->viewers[k] == s) {
                st->viewers[k] = st->viewers[--st->nviewers];
                break;
            }
    rtc_session_close(s);
    rtc_session_free(&s);
    srv->sessions[i] = srv->sessions[--srv->nsessions];
}

static void on_datagram(void *arg, const uint8_t *p, size_t len, const struct sockaddr *from,
                        socklen_t fromlen)
{
    Server *srv = arg;
    RtcSession *s = NULL;
    int idx = -1;
    enum StunDemux d = stun_demux(p, len);

    if (d == STUN_DEMUX_STUN) {
        char uf[ICE_UFRAG_LEN + 2];
        if (ice_request_ufrag(p, len, uf, sizeof(uf)) == 0)
            for (int i = 0; i < srv->nsessions; i++)
                if (!strcmp(srv->sessions[i]->ice.local_ufrag, uf)) {
                    idx = i;
                    break;
                }
    } else if (d != STUN_DEMUX_OTHER) {
        for (int i = 0; i < srv->nsessions; i++)
            if (sock_same_addr(&srv->sessions[i]->ice.peer, srv->sessions[i]->ice.peer_len, from)) {
                idx = i;
                break;
            }
    }
    if (idx < 0) {
        srv->udp_dropped++;
        log_trace("dropped a datagram of %zu bytes from nobody we know", len);
        return;
    }
    s = srv->sessions[idx];
    Stream *st = s->owner;
    if (rtc_session_input(s, st ? st->feed : NULL, p, len, from, fromlen, srv->now) < 0)
        drop_session(srv, idx, "closed by the viewer or DTLS failed");
}

static void on_frame(void *opaque, const RtcFrame *f)
{
    Stream *st = opaque;
    for (int i = 0; i < st->nviewers; i++)
        rtc_session_frame(st->viewers[i], st->feed, f, st->srv->now);
}

/* ---- WHEP ---- */

static int whep_create(void *opaque, const char *name, const char *offer, size_t len, const char *addr,
                       char **answer, char *id, const char **why)
{
    Server *srv = opaque;
    Stream *st = find_stream(srv, name);
    static SdpSession sdp; /* large: not on the stack; the loop is single-threaded */
    SdpChoice c;
    SdpCaps caps = { .send = 1 };
    RtcSession *s = NULL;
    int ret;

    if (!st)
        return AVERROR(ENOENT);
    caps.want_video = rtc_feed_has_video(st->feed);
    caps.want_audio = rtc_feed_has_audio(st->feed);
    if (caps.want_video && rtc_feed_video_profile(st->feed, &caps.h264_profile_idc, &caps.h264_constrained) < 0)
        caps.want_video = 0;
    if (!caps.want_video && !caps.want_audio) {
        *why = "the stream has no media yet";
        return AVERROR(EAGAIN);
    }
    if ((ret = sdp_parse(offer, len, &sdp, why)) < 0)
        return ret;
    if ((ret = sdp_select(&sdp, &caps, &c, why)) < 0 && caps.want_video && !rtc_feed_encoding(st->feed)) {
        /* the viewer cannot decode the source's profile: our rung can be
         * constrained baseline, which every H.264 decoder takes */
        SdpCaps cb = caps;
        cb.h264_profile_idc = 66;
        cb.h264_constrained = 1;
        if ((ret = sdp_select(&sdp, &cb, &c, why)) == 0)
            rtc_feed_use_rung(st->feed);
    }
    if (ret < 0)
        return ret;
    if ((ret = array_reserve(&srv->sessions, srv->nsessions, &srv->cap, sizeof(*srv->sessions), 16)) < 0 ||
        (ret = array_reserve(&st->viewers, st->nviewers, &st->viewers_cap, sizeof(*st->viewers), 4)) < 0)
        return ret;
    ret = rtc_session_new(&s, name, &sdp, &c, srv->cert, (int64_t)(srv->cfg->consent_timeout * 1e6), srv->now,
                          udp_send, srv);
    if (ret == AVERROR(EINVAL)) {
        *why = "the offer's ICE credentials are not valid";
        return AVERROR_INVALIDDATA;
    }
    if (ret < 0)
        return ret;
    rtc_session_set_send_many(s, udp_send_many);
    snprintf(s->addr, sizeof(s->addr), "%s", addr ? addr : "");
    s->test_loss = srv->cfg->test_loss;
    SdpAnswerParams ap = {
        .ufrag = s->ice.local_ufrag, .pwd = s->ice.local_pwd, .fingerprint = dtls_cert_fingerprint(srv->cert),
        .address = srv->cfg->address, .port = srv->port, .video_ssrc = s->video.ssrc,
        .audio_ssrc = s->audio.ssrc, .cname = "live-rtc", .stream = name, .send = 1,
    };
    if (!(*answer = sdp_answer(&sdp, &c, &ap))) {
        rtc_session_free(&s);
        return AVERROR(ENOMEM);
    }
    memcpy(id, s->id, WHEP_ID_SIZE);
    srv->sessions[srv->nsessions++] = s;
    st->viewers[st->nviewers++] = s;
    s->owner = st;
    st->viewers_ever++;
    log_info("session %s of %s for %s: H.264 PT %d%s, Opus PT %d", s->id, name, addr, c.video_pt,
             rtc_feed_encoding(st->feed) ? " (our rung)" : " (passed through)", c.audio_pt);
    return 0;
}

static int whep_destroy(void *opaque, const char *name, const char *id)
{
    Server *srv = opaque;
    for (int i = 0; i < srv->nsessions; i++)
        if (!strcmp(srv->sessions[i]->id, id) && !strcmp(srv->sessions[i]->stream, name)) {
            drop_session(srv, i, "DELETE");
            return 0;
        }
    return AVERROR(ENOENT);
}

static void whep_count(void *opaque, const char *addr, int *total, int *of_addr)
{
    Server *srv = opaque;
    *total = srv->nsessions;
    *of_addr = 0;
    for (int i = 0; i < srv->nsessions; i++)
        if (addr && !strcmp(srv->sessions[i]->addr, addr))
            (*of_addr)++;
}

/* ---- control connections ---- */

static void conn_close(Server *srv, int i)
{
    Conn *c = srv->conns[i];
    if (c->kind == CONN_FEED && c->stream) {
        Stream *st = c->stream;
        log_info("stream %s ended: closing its viewers", st->name);
        for (int k = srv->nsessions - 1; k >= 0; k--)
            if (srv->sessions[k]->owner == st)
                drop_session(srv, k, "the stream ended");
        for (int k = 0; k < srv->nstreams; k++)
            if (srv->streams[k] == st) {
                srv->streams[k] = srv->streams[--srv->nstreams];
                break;
            }
        rtc_feed_free(&st->feed);
        free(st->viewers);
        free(st);
    }
    close(c->fd);
    bytebuf_free(&c->in);
    bytebuf_free(&c->out);
    free(c);
    srv->conns[i] = srv->conns[--srv->nconns];
}

static void conn_answer(Conn *c, const WhepResponse *rs)
{
    char head[RTC_CONTROL_MAX_LINE + 64];
    size_t blen = rs->body ? strlen(rs->body) : 0;
    int n = rtc_control_answer_head(head, sizeof(head), rs, blen);
    if (n > 0) {
        bytebuf_append(&c->out, head, (size_t)n);
        bytebuf_append(&c->out, rs->body ? rs->body : "", blen);
    }
    c->kind = CONN_ANSWER;
}

static void do_whep(Server *srv, Conn *c)
{
    char *f[6];
    WhepRequest rq = { 0 };
    WhepResponse rs;
    static const WhepOps ops = { whep_create, whep_destroy, whep_count };

    rtc_control_split(c->head, f, 6);
    rq.method = f[1];
    rq.path = f[2];
    rq.addr = f[3];
    rq.content_type = *f[5] ? f[5] : NULL;
    rq.body = (const char *)bytebuf_data(&c->in);
    rq.body_len = c->body_len;
    whep_handle(&srv->cfg->limits, &ops, srv, &rq, &rs);
    log_debug("WHEP %s %s from %s: %d", rq.method, rq.path, rq.addr, rs.status);
    conn_answer(c, &rs);
    av_free(rs.body);
}

/* The packets of a feed that is not FLV (feedpkt.h), after its magic. */
static int feed_packets(Server *srv, Conn *c)
{
    Stream *st = c->stream;
    (void)srv;
    for (;;) {
        RtcFeedPkt pk;
        size_t used;
        int ret = rtc_feedpkt_read(bytebuf_data(&c->in), bytebuf_size(&c->in), &pk, &used);
        if (ret == AVERROR(EAGAIN))
            return 0;
        if (ret < 0) {
            log_error("stream %s: a bad packet record in the feed", st->name);
            return ret;
        }
        ret = rtc_feed_packet(st->feed, &pk);
        bytebuf_consume(&c->in, used);
        if (ret < 0)
            return ret;
    }
}

/* A feed is FLV, or packets (feedpkt.h) when the tee's input was MPEG-TS
 * or Matroska: its first bytes say which. */
static int feed_tags(Server *srv, Conn *c)
{
    size_t used;
    int ret, flags;
    Stream *st = c->stream;
    if (c->packets)
        return feed_packets(srv, c);
    if (!c->flv_header) {
        if (bytebuf_size(&c->in) >= RTC_FEEDPKT_MAGIC_SIZE &&
            !memcmp(bytebuf_data(&c->in), RTC_FEEDPKT_MAGIC, RTC_FEEDPKT_MAGIC_SIZE)) {
            bytebuf_consume(&c->in, RTC_FEEDPKT_MAGIC_SIZE);
            c->packets = 1;
            return feed_packets(srv, c);
        }
        if (bytebuf_size(&c->in) < RTC_FEEDPKT_MAGIC_SIZE &&
            !memcmp(bytebuf_data(&c->in), RTC_FEEDPKT_MAGIC, bytebuf_size(&c->in)))
            return 0; /* more to come */
        ret = flv_read_header(bytebuf_data(&c->in), bytebuf_size(&c->in), &flags, &used);
        if (ret == AVERROR(EAGAIN))
            return 0;
        if (ret < 0) {
            log_error("stream %s: the feed is neither FLV nor packets", st->name);
            return ret;
        }
        bytebuf_consume(&c->in, used);
        c->flv_header = 1;
    }
    for (;;) {
        FlvTag tag;
        ret = flv_read_tag(bytebuf_data(&c->in), bytebuf_size(&c->in), MAX_FLV_TAG, &tag, &used);
        if (ret == AVERROR(EAGAIN))
            return 0;
        if (ret < 0) {
            log_error("stream %s: bad FLV in the feed", st->name);
            return ret;
        }
        ret = rtc_feed_tag(st->feed, tag.type, tag.timestamp, tag.body, tag.size);
        bytebuf_consume(&c->in, used);
        if (ret < 0)
            return ret;
    }
}

/* The first line of a connection says what it is. */
static int conn_head(Server *srv, Conn *c)
{
    const uint8_t *d = bytebuf_data(&c->in);
    size_t n = bytebuf_size(&c->in);
    const uint8_t *nl = memchr(d, '\n', n);
    char *f[6];
    int nf;

    if (!nl)
        return n > RTC_CONTROL_MAX_LINE ? AVERROR_INVALIDDATA : 0;
    if ((size_t)(nl - d) > RTC_CONTROL_MAX_LINE)
        return AVERROR_INVALIDDATA;
    memcpy(c->head, d, (size_t)(nl - d));
    c->head[nl - d] = '\0';
    bytebuf_consume(&c->in, (size_t)(nl - d) + 1);
    if (!strncmp(c->head, "FEED\t", 5)) {
        char line[RTC_CONTROL_MAX_LINE + 1], dummy[WHEP_ID_SIZE];
        Stream *st, *old;
        snprintf(line, sizeof(line), "/whep/%s", c->head + 5);
        if (whep_parse_path(line, (char[WHEP_MAX_NAME + 1]){ 0 }, dummy) != 1) {
            log_error("a feed with a bad stream name: %.64s", c->head + 5);
            return AVERROR_INVALIDDATA;
        }
        if ((old = find_stream(srv, c->head + 5))) {
            log_warn("stream %s: a new feed replaces the old one", old->name);
            for (int i = 0; i < srv->nconns; i++)
                if (srv->conns[i]->stream == old) {
                    conn_close(srv, i);
                    break;
                }
        }
        if (srv->nstreams >= srv->cfg->max_streams) {
            log_error("stream %s refused: %d streams already", c->head + 5, srv->nstreams);
            return AVERROR(ENOSPC);
        }
        Stream **ns = realloc(srv->streams, (size_t)(srv->nstreams + 1) * sizeof(*ns));
        if (!ns || !(st = calloc(1, sizeof(*st))))
            return AVERROR(ENOMEM);
        srv->streams = ns;
        snprintf(st->name, sizeof(st->name), "%s", c->head + 5);
        st->srv = srv;
        if (rtc_feed_new(&st->feed, st->name, on_frame, st) < 0) {
            free(st);
            return AVERROR(ENOMEM);
        }
        srv->streams[srv->nstreams++] = st;
        c->kind = CONN_FEED;
        c->stream = st;
        c->in.max = FEED_BUF_MAX;
        log_info("stream %s: feed connected", st->name);
        return feed_tags(srv, c);
    }
    char copy[RTC_CONTROL_MAX_LINE + 1];
    strcpy(copy, c->head);
    nf = rtc_control_split(copy, f, 6);
    if (nf == 6 && !strcmp(f[0], "WHEP")) {
        char *end;
        unsigned long len = strtoul(f[4], &end, 10);
        if (*end || !*f[4])
            return AVERROR_INVALIDDATA;
        c->kind = CONN_WHEP;
        if (len > WHEP_MAX_OFFER) {
            WhepResponse rs = { .status = 413, .content_type = "text/plain; charset=utf-8",
                                .body = "the SDP offer is larger than 32 KiB\n" };
            conn_answer(c, &rs);
            return 0;
        }
        c->body_len = len;
        c->in.max = WHEP_MAX_OFFER + RTC_CONTROL_MAX_LINE;
        return 0;
    }
    log_warn("control socket: unknown request %.32s", c->head);
    return AVERROR_INVALIDDATA;
}

/* Reads what is there; 0 to keep the connection, negative to close it. */
static int conn_readable(Server *srv, Conn *c)
{
    uint8_t buf[65536];
    ssize_t r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    int ret;
    if (r < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : AVERROR(errno);
    if (r == 0)
        return AVERROR_EOF;
    if (c->kind == CONN_ANSWER)
        return 0; /* nothing more is expected */
    bytebuf_append(&c->in, buf, (size_t)r);
    if (c->in.err)
        return AVERROR(ENOSPC);
    if (c->kind == CONN_NEW && (ret = conn_head(srv, c)) < 0)
        return ret;
    if (c->kind == CONN_FEED)
        return feed_tags(srv, c);
    if (c->kind == CONN_WHEP && bytebuf_size(&c->in) >= c->body_len)
        do_whep(srv, c);
    return 0;
}

/* ---- sockets ---- */

static int open_udp(Server *srv)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
    struct addrinfo *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char port[16];
    int buf = 4 << 20, ret;

    snprintf(port, sizeof(port), "%d", srv->cfg->udp_port);
    if ((ret = getaddrinfo(srv->cfg->udp_host, port, &hints, &ai)) != 0) {
        log_error("UDP address %s: %s", srv->cfg->udp_host, gai_strerror(ret));
        return AVERROR(EINVAL);
    }
    srv->udp = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (srv->udp < 0 || bind(srv->udp, ai->ai_addr, ai->ai_addrlen) < 0) {
        ret = AVERROR(errno);
        log_error("UDP %s:%d: %s", srv->cfg->udp_host, srv->cfg->udp_port, av_err2str(ret));
        freeaddrinfo(ai);
        return ret;
    }
    freeaddrinfo(ai);
    setsockopt(srv->udp, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    setsockopt(srv->udp, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    getsockname(srv->udp, (struct sockaddr *)&ss, &sl);
    srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

static int open_control(Server *srv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat stt;
    const char *path = srv->cfg->control;
    int ret;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        log_error("control socket path too long: %s", path);
        return AVERROR(ENAMETOOLONG);
    }
    strcpy(sa.sun_path, path);
    srv->listen = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (srv->listen < 0)
        return AVERROR(errno);
    /* a socket left by a live-rtc that died: nobody answers on it */
    if (lstat(path, &stt) == 0 && S_ISSOCK(stt.st_mode)) {
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            close(probe);
            log_error("%s: another live-rtc is listening there", path);
            return AVERROR(EADDRINUSE);
        }
        if (probe >= 0)
            close(probe);
        unlink(path);
    }
    if (bind(srv->listen, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(srv->listen, 64) < 0) {
        ret = AVERROR(errno);
        log_error("control socket %s: %s", path, av_err2str(ret));
        return ret;
    }
    return 0;
}

static void accept_conns(Server *srv)
{
    for (;;) {
        int fd = accept4(srv->listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        Conn *c;
        if (fd < 0)
            return;
        if (srv->nconns >= MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
            log_warn("control socket: too many connections");
            close(fd);
            continue;
        }
        c->fd = fd;
        bytebuf_init(&c->in, WHEP_MAX_OFFER + 2 * RTC_CONTROL_MAX_LINE);
        bytebuf_init(&c->out, 1 << 20);
        srv->conns[srv->nconns++] = c;
    }
}

/* The poll set: the UDP port (POLLOUT too while it was full), the
 * control listener, then every control connection. Returns the count. */
static int poll_set(const Server *srv, struct pollfd *pfd)
{
    int n = 0;

    pfd[n++] = (struct pollfd){ .fd = srv->udp, .events = (short)(POLLIN | (srv->udp_full ? POLLOUT : 0)) };
    pfd[n++] = (struct pollfd){ .fd = srv->listen, .events = POLLIN };
    for (int i = 0; i < srv->nconns; i++)
        pfd[n++] = (struct pollfd){ .fd = srv->conns[i]->fd,
                                    .events = (short)(POLLIN | (bytebuf_size(&srv->conns[i]->out) ? POLLOUT : 0)) };
    return n;
}

/* The UDP port can take more: the sessions' queues go on. */
static void udp_writable(Server *srv)
{
    srv->udp_full = 0;
    for (int i = 0; i < srv->nsessions; i++)
        if (srv->sessions[i]->pace_n)
            rtc_session_flush(srv->sessions[i], srv->now);
}

/* The control connections that poll reported on (pfd[2..n)): read, send
 * what waits, close the failed ones and answered WHEP requests. The
 * array changes as they close, so they are found by fd. */
static void serve_conns(Server *srv, const struct pollfd *pfd, int n)
{
    for (int k = 2; k < n; k++) {
        int i, r = 0;
        Conn *c;
        for (i = 0; i < srv->nconns && srv->conns[i]->fd != pfd[k].fd; i++)
            ;
        if (i == srv->nconns || !pfd[k].revents)
            continue;
        c = srv->conns[i];
        if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
            r = conn_readable(srv, c);
        if (r >= 0 && bytebuf_size(&c->out)) {
            ssize_t w = send(c->fd, bytebuf_data(&c->out), bytebuf_size(&c->out), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0)
                bytebuf_consume(&c->out, (size_t)w);
            else if (w < 0 && errno != EAGAIN)
                r = AVERROR(errno);
        }
        if (r < 0 || (c->kind == CONN_ANSWER && !bytebuf_size(&c->out)))
            conn_close(srv, i);
    }
}

/* Every session's timers; those that ended or whose consent lapsed go. */
static void tick_sessions(Server *srv)
{
    for (int i = srv->nsessions - 1; i >= 0; i--) {
        /* the feed only for a picture asked for earlier */
        Stream *st = srv->sessions[i]->key_pending ? srv->sessions[i]->owner : NULL;
        if (rtc_session_tick(srv->sessions[i], st ? st->feed : NULL, srv->now) < 0)
            drop_session(srv, i, srv->sessions[i]->state == RTC_SESSION_CLOSED ? "closed"
                                                                               : "ICE consent expired");
    }
}

/* Everything the server holds: sessions, connections, sockets (the
 * control socket's file removed), the certificate. */
static void server_close(Server *srv)
{
    while (srv->nsessions)
        drop_session(srv, srv->nsessions - 1, "live-rtc stops");
    while (srv->nconns)
        conn_close(srv, srv->nconns - 1);
    free(srv->streams);
    free(srv->sessions);
    if (srv->udp >= 0)
        close(srv->udp);
    if (srv->listen >= 0) {
        close(srv->listen);
        unlink(srv->cfg->control);
    }
    dtls_cert_free(&srv->cert);
}

int rtc_server_run(const RtcConfig *cfg)
{
    Server srv = { .cfg = cfg, .udp = -1, .listen = -1 };
    struct pollfd *pfd = NULL;
    int ret;
    int64_t last_tick = 0;

    if ((ret = dtls_cert_new(&srv.cert)) < 0) {
        log_error("cannot make a DTLS certificate");
        return ret;
    }
    if ((ret = open_udp(&srv)) < 0 || (ret = open_control(&srv)) < 0)
        goto done;
    if (!(pfd = calloc(MAX_CONNS + 2, sizeof(*pfd)))) {
        ret = AVERROR(ENOMEM);
        goto done;
    }
    log_info("WebRTC on UDP %s:%d (candidates say %s), control socket %s, certificate %s", cfg->udp_host,
             srv.port, cfg->address, cfg->control, dtls_cert_fingerprint(srv.cert));
    while (!*cfg->stop) {
        int n = poll_set(&srv, pfd);
        if (poll(pfd, (nfds_t)n, 20) < 0 && errno != EINTR)
            break;
        srv.now = clock_mono_us();
        if (pfd[0].revents & POLLIN)
            sock_recv_each(srv.udp, 256, on_datagram, &srv);
        if (pfd[0].revents & POLLOUT)
            udp_writable(&srv);
        serve_conns(&srv, pfd, n);
        if (pfd[1].revents & POLLIN)
            accept_conns(&srv);
        if (srv.now - last_tick >= 20000) {
            last_tick = srv.now;
            tick_sessions(&srv);
        }
    }
    log_info("stopping: %d sessions, %d streams", srv.nsessions, srv.nstreams);
    ret = 0;
done:
    server_close(&srv);
    free(pfd);
    return ret;
}
