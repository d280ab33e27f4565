/*
 * rtc/whipin.c: WHIP publishers in live-ingest: the HTTP thread's
 * requests handed to the loop, the UDP port, and per publisher its
 * session, jitter buffers, depacketisers and clocks. See whipin.h.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libavutil/avstring.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "array.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "sock.h"
#include "rtc/jitter.h"
#include "rtc/rtcp.h"
#include "rtc/session.h"
#include "rtc/stun.h"
#include "rtc/whip.h"
#include "rtc/whepproxy.h"
#include "rtc/whipin.h"

#define MAX_WAITING 32          /* requests waiting for the loop */
#define REQUEST_WAIT_S 5
#define PLI_INTERVAL_US 500000
#define TICK_US 20000

enum { AUDIO = 0, VIDEO = 1 };

typedef struct Req {
    char method[16], path[WHEP_MAX_NAME + WHEP_ID_SIZE + 16], ctype[128], auth[600], addr[64];
    int has_ctype, has_auth;
    char *body;
    size_t body_len;
    WhipResponse rs;
    int done;
    struct Req *next;
} Req;

typedef struct Track {
    int on;
    int pt, clock;
    uint32_t ssrc;
    int have_ssrc;
    RtcJitter jb;
    RtcDepack dp;
    int anchored;
    int64_t anchor_ms, acc;     /* ms of the first frame; RTP ticks since it */
    uint32_t first_ts, last_ts;
    int have_sr;                /* the sender's clock: NTP time of an RTP time */
    double sr_ntp_ms;
    uint32_t sr_rtp;
    uint32_t lsr;               /* for our Receiver Reports (RFC 3550 A.3, A.8) */
    int64_t sr_at;
    int have_seq;
    uint16_t max_seq;
    uint32_t cycles, base_seq, received, expected_prior, received_prior;
    int64_t last_transit;
    double jitter;
    uint64_t frames;
} Track;

typedef struct Pub {
    WhipIn *w;
    RtcSession *s;
    void *handle;
    char name[WHEP_MAX_NAME + 1];
    Track t[2];
    int64_t start_us;           /* the first frame of either track */
    int64_t last_pli;
    int64_t last_key;           /* when the last video keyframe came (or media started) */
    int synced;                 /* audio placed against video by sender reports */
    int64_t last_rr;
    uint64_t plis, nacks;
    int dead;
} Pub;

struct WhipIn {
    WhipInConfig cfg;
    char address[256];
    WhipInOps ops;
    void *opaque;
    HttpServer *http;
    int udp, wake, port;
    DtlsCert *cert;
    Pub **pubs;
    int npubs, cap;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    Req *queue;
    int nqueue;
    int stopping;
    int64_t now, last_tick;
};

void whipin_config_default(WhipInConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->limits.max_sessions = 16;
    cfg->limits.max_per_addr = 4;
    cfg->consent_timeout = 15;
    cfg->jitter_delay = 0.2;
    cfg->keyframe_interval = 2;
    cfg->max_bitrate = 8000000;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int whipin_count(const WhipIn *w)
{
    int n = 0;
    for (int i = 0; i < w->npubs; i++)
        n += !w->pubs[i]->dead;
    return n;
}

/* ---- publishers ---- */

static int udp_send(void *opaque, const uint8_t *p, size_t len, const struct sockaddr *to, socklen_t tolen)
{
    WhipIn *w = opaque;
    if (sendto(w->udp, p, len, MSG_DONTWAIT, to, tolen) < 0 && (errno == EAGAIN || errno == ENOBUFS))
        return AVERROR(EAGAIN);
    return 0;
}

static void pub_free(Pub **pp)
{
    Pub *p = *pp;
    if (!p)
        return;
    for (int k = 0; k < 2; k++) {
        rtc_jitter_free(&p->t[k].jb);
        rtc_depack_free(&p->t[k].dp);
    }
    if (p->s)
        rtc_session_close(p->s);
    rtc_session_free(&p->s);
    free(p);
    *pp = NULL;
}

/* The publisher goes (freed by sweep); the ingest is told when notify. */
static void pub_end(Pub *p, const char *why, int notify)
{
    if (p->dead)
        return;
    p->dead = 1;
    log_info("WHIP %s: publisher %s ends (%s): %llu video frames, %llu audio frames, %llu lost, %llu NACKed"
             " (%llu recovered), %llu PLI",
             p->name, p->s->addr, why, (unsigned long long)p->t[VIDEO].frames,
             (unsigned long long)p->t[AUDIO].frames,
             (unsigned long long)(p->t[VIDEO].jb.st.lost + p->t[AUDIO].jb.st.lost),
             (unsigned long long)p->t[VIDEO].jb.st.nacks_sent, (unsigned long long)p->t[VIDEO].jb.st.recovered,
             (unsigned long long)p->plis);
    if (notify)
        p->w->ops.unpublish(p->w->opaque, p->handle, why);
}

static void sweep(WhipIn *w)
{
    for (int i = w->npubs - 1; i >= 0; i--)
        if (w->pubs[i]->dead) {
            pub_free(&w->pubs[i]);
            w->pubs[i] = w->pubs[--w->npubs];
        }
}

static void send_pli(Pub *p, Track *t)
{
    uint8_t buf[64 + RTC_SRTP_MAX_TRAILER];
    int n;
    if (!t->have_ssrc || p->w->now - p->last_pli < PLI_INTERVAL_US || p->s->state != RTC_SESSION_MEDIA)
        return;
    if ((n = rtcp_build_pli(buf, 64, p->s->video.ssrc, t->ssrc)) > 0) {
        rtc_session_send_rtcp(p->s, buf, (size_t)n);
        p->last_pli = p->w->now;
        p->plis++;
    }
}

/* A frame's time: the track's first frame at its arrival (since the
 * publisher's first frame), the others by its RTP clock from there. */
static int64_t frame_ms(Pub *p, Track *t, uint32_t ts)
{
    if (!p->start_us)
        p->start_us = p->w->now;
    if (!t->anchored) {
        t->anchored = 1;
        t->anchor_ms = (p->w->now - p->start_us) / 1000;
        t->acc = 0;
        t->first_ts = ts;
    } else {
        t->acc += (int32_t)(ts - t->last_ts);
    }
    t->last_ts = ts;
    return t->anchor_ms + t->acc * 1000 / t->clock;
}

/* Once both tracks have a sender report, audio is placed against video
 * by the sender's own clock rather than by arrival (once: later reports
 * only confirm it, and moving a track again would be a jump). */
static void sync_tracks(Pub *p)
{
    Track *a = &p->t[AUDIO], *v = &p->t[VIDEO];
    double na, nv, off;
    if (p->synced || !a->anchored || !v->anchored || !a->have_sr || !v->have_sr)
        return;
    p->synced = 1;
    /* the sender's NTP time of each track's first frame */
    na = a->sr_ntp_ms + (double)(int32_t)(a->first_ts - a->sr_rtp) * 1000 / a->clock;
    nv = v->sr_ntp_ms + (double)(int32_t)(v->first_ts - v->sr_rtp) * 1000 / v->clock;
    off = v->anchor_ms + (na - nv) - a->anchor_ms;
    if (off > 1000 || off < -1000) {
        log_debug("WHIP %s: sender reports put audio %.0f ms from where it arrived: ignored", p->name, off);
        return;
    }
    a->anchor_ms += (int64_t)off;
    log_debug("WHIP %s: audio moved %+.0f ms by the sender reports", p->name, off);
}

static void on_sr(Pub *p, const uint8_t *d, size_t len)
{
    RtcpPacket pk;
    rtcp_parse(d, len, &pk);
    for (int i = 0; i < pk.nev; i++) {
        const RtcpEvent *e = &pk.ev[i];
        if (e->type != RTCP_EV_SR)
            continue;
        for (int k = 0; k < 2; k++) {
            Track *t = &p->t[k];
            if (t->on && t->have_ssrc && t->ssrc == e->ssrc) {
                t->have_sr = 1;
                t->sr_ntp_ms = (double)(e->ntp >> 32) * 1000 + (double)(e->ntp & 0xffffffffu) * 1000 / 4294967296.0;
                t->sr_rtp = e->rtp_ts;
                t->lsr = (uint32_t)(e->ntp >> 16);
                t->sr_at = p->w->now;
            }
        }
    }
    sync_tracks(p);
}

/* What the jitter buffer can give out now, as frames to the ingest. */
static void drain(Pub *p, int k)
{
    Track *t = &p->t[k];
    RtcJitterPacket pk;
    while (!p->dead && rtc_jitter_pop(&t->jb, p->w->now, &pk) == 1) {
        RtcDepackFrame f;
        if (rtc_depack_put(&t->dp, pk.data, pk.len, pk.ts, pk.marker, pk.lost, &f) != 1)
            continue;
        t->frames++;
        if (f.keyframe && k == VIDEO)
            p->last_key = p->w->now;
        int64_t ms = frame_ms(p, t, f.ts);
        sync_tracks(p);     /* the first frame of a track may complete what the reports need */
        p->w->ops.frame(p->w->opaque, p->handle, k == VIDEO, ms, f.keyframe, f.data, f.size);
    }
    if (!p->dead && k == VIDEO && rtc_depack_need_key(&t->dp) && t->jb.st.received)
        send_pli(p, t);
}

/* What a Receiver Report says of a track: sequence numbers (with
 * wraps), losses and interarrival jitter, as RFC 3550 appendix A. */
static void count_packet(Pub *p, Track *t, const RtpHeader *h)
{
    int64_t arrival = p->w->now * t->clock / 1000000, transit = arrival - (int64_t)h->ts, d;
    if (!t->have_seq || t->jb.started == 0) {
        t->have_seq = 1;
        t->max_seq = h->seq;
        t->base_seq = h->seq;
        t->cycles = t->received = t->expected_prior = t->received_prior = 0;
        t->last_transit = transit;
        t->jitter = 0;
    }
    if ((int16_t)(h->seq - t->max_seq) > 0) {
        if (h->seq < t->max_seq)
            t->cycles += 65536;
        t->max_seq = h->seq;
    }
    t->received++;
    d = transit - t->last_transit;
    t->last_transit = transit;
    t->jitter += ((double)(d < 0 ? -d : d) - t->jitter) / 16;
}

/* Receiver Reports on both tracks and a REMB, every second: without them
 * a browser's congestion control keeps its start rate (~300 kbit/s). */
static void send_reports(Pub *p)
{
    RtcpReportBlock rb[2];
    uint32_t ssrcs[2];
    uint8_t buf[256 + RTC_SRTP_MAX_TRAILER];
    int n = 0, len, r;
    for (int k = 0; k < 2; k++) {
        Track *t = &p->t[k];
        uint32_t ext, expected, exp_int, rec_int;
        int64_t lost_int;
        if (!t->on || !t->have_ssrc || !t->have_seq)
            continue;
        ext = t->cycles + t->max_seq;
        expected = ext - t->base_seq + 1;
        exp_int = expected - t->expected_prior;
        rec_int = t->received - t->received_prior;
        t->expected_prior = expected;
        t->received_prior = t->received;
        lost_int = (int64_t)exp_int - rec_int;
        rb[n] = (RtcpReportBlock){
            .ssrc = t->ssrc, .fraction_lost = exp_int && lost_int > 0 ? (uint8_t)((lost_int << 8) / exp_int) : 0,
            .lost = (int32_t)((int64_t)expected - t->received), .highest = ext, .jitter = (uint32_t)t->jitter,
            .lsr = t->have_sr ? t->lsr : 0,
            .dlsr = t->have_sr ? (uint32_t)((p->w->now - t->sr_at) * 65536 / 1000000) : 0,
        };
        ssrcs[n++] = t->ssrc;
    }
    if (!n || (len = rtcp_build_rr(buf, 256, p->s->video.ssrc, rb, n)) < 0)
        return;
    if ((r = rtcp_build_remb(buf + len, 256 - (size_t)len, p->s->video.ssrc, p->w->cfg.max_bitrate, ssrcs, n)) > 0)
        len += r;
    rtc_session_send_rtcp(p->s, buf, (size_t)len);
}

/* SRTP-unprotected media from the session. */
static void on_media(void *opaque, const uint8_t *d, size_t len, int rtcp)
{
    Pub *p = opaque;
    RtpHeader h;
    int k;
    if (p->dead)
        return;
    if (rtcp) {
        on_sr(p, d, len);
        return;
    }
    if (rtp_parse(d, len, &h) < 0)
        return;
    k = p->t[VIDEO].on && h.pt == p->t[VIDEO].pt ? VIDEO : p->t[AUDIO].on && h.pt == p->t[AUDIO].pt ? AUDIO : -1;
    if (k < 0)
        return;     /* a payload type we did not answer */
    Track *t = &p->t[k];
    if (t->have_ssrc && t->ssrc != h.ssrc) {
        /* the sender restarted the stream: a new sequence space */
        log_debug("WHIP %s: %s SSRC changed", p->name, k == VIDEO ? "video" : "audio");
        t->jb.started = 0;
    }
    t->ssrc = h.ssrc;
    t->have_ssrc = 1;
    count_packet(p, t, &h);
    if (rtc_jitter_put(&t->jb, h.seq, h.ts, h.marker, d + h.header_size, h.payload_size, p->w->now) == 0)
        drain(p, k);
}

static int track_init(Track *t, enum RtcCodec codec, int pt, int64_t delay)
{
    int ret, video = codec != RTC_CODEC_OPUS;
    t->on = 1;
    t->pt = pt;
    t->clock = video ? 90000 : 48000;
    if ((ret = rtc_jitter_init(&t->jb, video ? 512 : 64, video ? delay : delay / 2, video)) < 0)
        return ret;
    return rtc_depack_init(&t->dp, codec);
}

static int pub_create(void *opaque, const char *name, const char *offer, size_t len, const char *addr,
                      char **answer, char *id, const char **why)
{
    WhipIn *w = opaque;
    static SdpSession sdp;      /* large; only the loop's thread gets here */
    SdpChoice c;
    SdpCaps caps = { .want_video = 1, .want_audio = 1, .send = 0 };
    enum RtcCodec vcodec;
    int64_t delay = (int64_t)(w->cfg.jitter_delay * 1e6);
    Pub *p = NULL;
    int ret;

    if ((ret = sdp_parse(offer, len, &sdp, why)) < 0 || (ret = sdp_select(&sdp, &caps, &c, why)) < 0)
        return ret;
    vcodec = c.video >= 0 ? rtc_codec_from_name(c.video_codec) : RTC_CODEC_NONE;
    if ((ret = array_reserve(&w->pubs, w->npubs, &w->cap, sizeof(*w->pubs), 8)) < 0)
        return ret;
    if (!(p = calloc(1, sizeof(*p))))
        return AVERROR(ENOMEM);
    p->w = w;
    snprintf(p->name, sizeof(p->name), "%s", name);
    ret = rtc_session_new(&p->s, name, &sdp, &c, w->cert, (int64_t)(w->cfg.consent_timeout * 1e6), w->now,
                          udp_send, w);
    if (ret == AVERROR(EINVAL)) {
        *why = "the offer's ICE credentials are not valid";
        ret = AVERROR_INVALIDDATA;
    }
    if (ret < 0)
        goto fail;
    p->s->recv = on_media;
    p->s->recv_opaque = p;
    snprintf(p->s->addr, sizeof(p->s->addr), "%s", addr ? addr : "");
    if ((vcodec != RTC_CODEC_NONE && (ret = track_init(&p->t[VIDEO], vcodec, c.video_pt, delay)) < 0) ||
        (c.audio >= 0 && (ret = track_init(&p->t[AUDIO], RTC_CODEC_OPUS, c.audio_pt, delay)) < 0))
        goto fail;
    SdpAnswerParams ap = {
        .ufrag = p->s->ice.local_ufrag, .pwd = p->s->ice.local_pwd, .fingerprint = dtls_cert_fingerprint(w->cert),
        .address = w->address, .port = w->port, .video_ssrc = p->s->video.ssrc, .audio_ssrc = p->s->audio.ssrc,
        .cname = "live-ingest", .stream = name, .send = 0,
    };
    if (!(*answer = sdp_answer(&sdp, &c, &ap))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if ((ret = w->ops.publish(w->opaque, name, addr, vcodec, c.audio >= 0, &p->handle, why)) < 0) {
        av_freep(answer);
        goto fail;
    }
    memcpy(id, p->s->id, WHEP_ID_SIZE);
    w->pubs[w->npubs++] = p;
    log_info("WHIP %s: publisher %s, session %s: video %s PT %d, audio %s PT %d", name, addr, p->s->id,
             rtc_codec_name(vcodec), c.video_pt, c.audio >= 0 ? "opus" : "none", c.audio_pt);
    return 0;
fail:
    pub_free(&p);
    return ret;
}

static int pub_destroy(void *opaque, const char *name, const char *id)
{
    WhipIn *w = opaque;
    for (int i = 0; i < w->npubs; i++) {
        Pub *p = w->pubs[i];
        if (!p->dead && !strcmp(p->s->id, id) && !strcmp(p->name, name)) {
            pub_end(p, "DELETE", 1);
            return 0;
        }
    }
    return AVERROR(ENOENT);
}

static void pub_count(void *opaque, const char *addr, int *total, int *of_addr)
{
    WhipIn *w = opaque;
    *total = *of_addr = 0;
    for (int i = 0; i < w->npubs; i++)
        if (!w->pubs[i]->dead) {
            (*total)++;
            if (addr && !strcmp(w->pubs[i]->s->addr, addr))
                (*of_addr)++;
        }
}

static int authorize(void *opaque, const char *name, const char *token, const char *addr, const char **why)
{
    WhipIn *w = opaque;
    return w->ops.authorize(w->opaque, name, token, addr, why);
}

void whipin_close(WhipIn *w, void *handle)
{
    for (int i = 0; i < w->npubs; i++)
        if (w->pubs[i]->handle == handle)
            pub_end(w->pubs[i], "ended by the ingest", 0);
}

/* ---- datagrams ---- */

/* One datagram (sock_recv_each), at its own time. */
static void on_datagram(void *arg, const uint8_t *d, size_t len, const struct sockaddr *from,
                        socklen_t fl)
{
    WhipIn *w = arg;
    enum StunDemux k = stun_demux(d, len);
    Pub *p = NULL;

    w->now = mono_us();
    if (k == STUN_DEMUX_STUN) {
        char uf[ICE_UFRAG_LEN + 2];
        if (ice_request_ufrag(d, len, uf, sizeof(uf)) == 0)
            for (int i = 0; i < w->npubs && !p; i++)
                if (!w->pubs[i]->dead && !strcmp(w->pubs[i]->s->ice.local_ufrag, uf))
                    p = w->pubs[i];
    } else if (k != STUN_DEMUX_OTHER) {
        for (int i = 0; i < w->npubs && !p; i++)
            if (!w->pubs[i]->dead && sock_same_addr(&w->pubs[i]->s->ice.peer, w->pubs[i]->s->ice.peer_len, from))
                p = w->pubs[i];
    }
    if (!p) {
        log_trace("WHIP: dropped a datagram of %zu bytes from nobody we know", len);
        return;
    }
    if (rtc_session_input(p->s, NULL, d, len, from, fl, w->now) < 0)
        pub_end(p, "closed by the publisher (RTCP BYE or DTLS)", 1);
}

static void tick(WhipIn *w)
{
    for (int i = 0; i < w->npubs; i++) {
        Pub *p = w->pubs[i];
        Track *v = &p->t[VIDEO];
        uint16_t seqs[64];
        uint8_t buf[512 + RTC_SRTP_MAX_TRAILER];
        int n;
        if (p->dead)
            continue;
        if (rtc_session_tick(p->s, NULL, w->now) < 0) {
            pub_end(p, p->s->state == RTC_SESSION_CLOSED ? "closed" : "ICE consent lapsed", 1);
            continue;
        }
        for (int k = 0; k < 2; k++)
            if (p->t[k].on)
                drain(p, k);
        if (p->dead || !v->on || !v->have_ssrc || p->s->state != RTC_SESSION_MEDIA)
            continue;
        if (!p->last_key)
            p->last_key = w->now;
        if (w->now - p->last_rr >= 1000000) {
            p->last_rr = w->now;
            send_reports(p);
        }
        if (w->cfg.keyframe_interval > 0 && w->now - p->last_key >= (int64_t)(w->cfg.keyframe_interval * 1e6) &&
            w->now - p->last_pli >= (int64_t)(w->cfg.keyframe_interval * 1e6))
            send_pli(p, v);     /* the next cut of the segmenter needs one */
        if ((n = rtc_jitter_nacks(&v->jb, w->now, seqs, 64)) > 0 &&
            (n = rtcp_build_nack(buf, 512, p->s->video.ssrc, v->ssrc, seqs, n)) > 0)
            rtc_session_send_rtcp(p->s, buf, (size_t)n);
    }
}

/* ---- requests from the HTTP thread ---- */

static void answer_requests(WhipIn *w)
{
    static const WhipOps ops = { authorize, pub_create, pub_destroy, pub_count };
    uint64_t v;
    while (read(w->wake, &v, sizeof(v)) > 0)
        ;
    pthread_mutex_lock(&w->lock);
    while (w->queue) {
        Req *r = w->queue;
        WhipRequest rq = { r->method, r->path, r->has_ctype ? r->ctype : NULL, r->has_auth ? r->auth : NULL,
                           r->body ? r->body : "", r->body_len, r->addr };
        w->queue = r->next;
        w->nqueue--;
        w->now = mono_us();
        whip_handle(&w->cfg.limits, &ops, w, &rq, &r->rs);
        log_info("WHIP %s %s from %s: %d", r->method, r->path, r->addr, r->rs.r.status);
        r->done = 1;
    }
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static int copy_field(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (!src || n >= size)
        return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

/* MHD's thread: the request goes to the loop, and its answer back. */
/* The request copied for the media thread (its strings bounded); NULL
 * after an error reply (*ret: the reply's result). */
static Req *req_copy(HttpRequest *req, int *ret)
{
    size_t blen;
    const char *body = http_body(req, &blen);
    Req *r;

    if (blen > WHEP_MAX_OFFER) {
        *ret = http_reply_error(req, 413, "the SDP offer is larger than 32 KiB");
        return NULL;
    }
    if (!(r = calloc(1, sizeof(*r))) || (blen && !(r->body = malloc(blen + 1)))) {
        free(r);
        *ret = http_reply_error(req, 503, "out of memory");
        return NULL;
    }
    if (!copy_field(r->path, sizeof(r->path), http_path(req))) {
        free(r->body);
        free(r);
        *ret = http_reply_error(req, 404, "not a WHIP resource");
        return NULL;
    }
    copy_field(r->method, sizeof(r->method), http_method(req));
    copy_field(r->addr, sizeof(r->addr), http_client_ip(req));
    r->has_ctype = copy_field(r->ctype, sizeof(r->ctype), http_header(req, "Content-Type"));
    if (http_header(req, "Authorization")) {
        /* one too long to be a key is sent on as a wrong one */
        if (!(r->has_auth = copy_field(r->auth, sizeof(r->auth), http_header(req, "Authorization"))))
            r->has_auth = copy_field(r->auth, sizeof(r->auth), "Bearer -");
    }
    if (blen) {
        memcpy(r->body, body, blen);
        r->body[blen] = '\0';
    }
    r->body_len = blen;
    return r;
}

/* Queues r for the media thread and waits for its answer (at most
 * REQUEST_WAIT_S). 0 when answered; otherwise the reason for a 503
 * (r is no longer queued). */
static const char *queue_and_wait(WhipIn *w, Req *r)
{
    struct timespec until;
    Req **tail;

    pthread_mutex_lock(&w->lock);
    if (w->stopping || w->nqueue >= MAX_WAITING) {
        pthread_mutex_unlock(&w->lock);
        return "the server is busy";
    }
    for (tail = &w->queue; *tail; tail = &(*tail)->next)
        ;
    *tail = r;
    w->nqueue++;
    {
        uint64_t one = 1;
        if (write(w->wake, &one, sizeof(one)) < 0)
            log_debug("WHIP: wake-up: %s", strerror(errno));
    }
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += REQUEST_WAIT_S;
    while (!r->done && pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT)
        ;
    if (!r->done) {
        for (Req **q = &w->queue; *q; q = &(*q)->next)
            if (*q == r) {
                *q = r->next;
                w->nqueue--;
                break;
            }
        pthread_mutex_unlock(&w->lock);
        return "the server did not answer in time";
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static int handle(HttpRequest *req, void *arg)
{
    WhipIn *w = arg;
    const char *busy;
    Req *r;
    int ret;

    if (!(r = req_copy(req, &ret)))
        return ret;
    if ((busy = queue_and_wait(w, r))) {
        free(r->body);
        free(r);
        http_add_header(req, "Retry-After", "1");
        return http_reply_error(req, 503, busy);
    }
    ret = whepproxy_reply(req, &r->rs.r, r->rs.www_authenticate);
    free(r->body);
    free(r);
    return ret;
}

/* ---- set-up ---- */

static int open_udp(WhipIn *w, const char *host, int port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
    struct addrinfo *ai = NULL;
    char port_s[16];
    int buf = 4 << 20, ret;

    snprintf(port_s, sizeof(port_s), "%d", port);
    if ((ret = getaddrinfo(host[0] ? host : NULL, port_s, &hints, &ai)) != 0) {
        log_error("--whip %s: %s", w->cfg.listen, gai_strerror(ret));
        return AVERROR(EINVAL);
    }
    w->udp = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (w->udp < 0 || bind(w->udp, ai->ai_addr, ai->ai_addrlen) < 0) {
        ret = AVERROR(errno);
        log_error("--whip %s (UDP): %s", w->cfg.listen, av_err2str(ret));
        freeaddrinfo(ai);
        return ret;
    }
    freeaddrinfo(ai);
    setsockopt(w->udp, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    w->port = port;
    return 0;
}

int whipin_new(WhipIn **out, const WhipInConfig *cfg, const WhipInOps *ops, void *opaque)
{
    WhipIn *w;
    HttpConfig hc;
    char host[256];
    int port, ret;

    *out = NULL;
    if (!(w = calloc(1, sizeof(*w))))
        return AVERROR(ENOMEM);
    w->cfg = *cfg;
    w->ops = *ops;
    w->opaque = opaque;
    w->udp = w->wake = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    *out = w;
    if ((ret = parse_hostport(cfg->listen, host, sizeof(host), &port)) < 0) {
        log_error("--whip %s: want ADDR:PORT", cfg->listen);
        return ret;
    }
    snprintf(w->address, sizeof(w->address), "%s",
             cfg->address ? cfg->address : host[0] && strcmp(host, "0.0.0.0") && strcmp(host, "::") ? host
                                                                                              : "127.0.0.1");
    if ((ret = dtls_cert_new(&w->cert)) < 0) {
        log_error("WHIP: cannot make a DTLS certificate");
        return ret;
    }
    if ((ret = open_udp(w, host, port)) < 0)
        return ret;
    if ((w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        return AVERROR(errno);
    http_config_defaults(&hc);
    hc.host = host[0] ? host : NULL;
    hc.port = port;
    hc.threads = 2;
    hc.max_connections = 256;
    hc.max_per_ip = 32;
    hc.max_body = WHEP_MAX_OFFER;
    hc.access_log_fd = -1;
    for (int i = 0; i < cfg->ntrusted && hc.ntrusted < HTTP_MAX_NETS; i++)
        if (http_parse_net(cfg->trusted[i], &hc.trusted[hc.ntrusted++]) < 0) {
            log_error("--trusted-proxy %s: want ADDR or ADDR/BITS", cfg->trusted[i]);
            return AVERROR(EINVAL);
        }
    if ((ret = http_server_new(&hc, &w->http)) < 0)
        return ret;
    for (int i = 0; i < 3; i++)
        if ((ret = http_route(w->http, (const char *[]){ "POST", "DELETE", "PATCH" }[i], "/whip/",
                              HTTP_ROUTE_PREFIX, handle, w)) < 0)
            return ret;
    if ((ret = http_server_start(w->http)) < 0)
        return ret;
    w->now = mono_us();
    log_info("WHIP on %s (HTTP on TCP, media on UDP; candidates say %s), certificate %s", cfg->listen, w->address,
             dtls_cert_fingerprint(w->cert));
    return 0;
}

void whipin_free(WhipIn **wp)
{
    WhipIn *w = *wp;
    if (!w)
        return;
    /* requests still waiting get a 503 from their own thread */
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    while (w->queue) {
        Req *r = w->queue;
        w->queue = r->next;
        r->rs.r.status = 503;
        r->rs.r.content_type = "text/plain; charset=utf-8";
        r->rs.r.body = av_strdup("live-ingest is stopping\n");
        r->done = 1;
    }
    w->nqueue = 0;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    http_server_free(&w->http);
    for (int i = 0; i < w->npubs; i++)
        pub_end(w->pubs[i], "live-ingest stops", 1);
    sweep(w);
    free(w->pubs);
    if (w->udp >= 0)
        close(w->udp);
    if (w->wake >= 0)
        close(w->wake);
    dtls_cert_free(&w->cert);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
    *wp = NULL;
}

void whipin_fds(const WhipIn *w, int *udp, int *wake)
{
    *udp = w->udp;
    *wake = w->wake;
}

void whipin_service(WhipIn *w)
{
    w->now = mono_us();
    sock_recv_each(w->udp, 512, on_datagram, w);
    answer_requests(w);
    w->now = mono_us();
    if (w->now - w->last_tick >= TICK_US) {
        w->last_tick = w->now;
        tick(w);
    }
    sweep(w);
}
