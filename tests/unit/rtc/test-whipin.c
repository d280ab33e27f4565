/* Unit tests for lib/rtc/whipin.c: a real WHIP ingest on loopback (its
 * HTTP thread and UDP port), driven by HTTP requests from a client
 * thread while this thread runs the ingest's loop (whipin_service), as
 * live-ingest does: an offer with the key gets 201, an answer with our
 * candidate on the bound port and a Location; publish sees the codecs;
 * refusals (no key, busy, too many from one address) create nothing; a
 * signed ICE check on the UDP port gets a signed success; DELETE ends the
 * session (unpublish) and a second DELETE is 404; whipin_close ends one
 * without unpublish; whipin_free ends the rest with it. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/error.h>

#include "../httpget.h"
#include "../tap.h"
#include "log.h"
#include "rtc/dtls.h"
#include "rtc/stun.h"
#include "rtc/whipin.h"

typedef struct Host {
    int published, unpublished, frames;
    enum RtcCodec video;
    int audio;
    char stream[64], why[64];
    int handles;
} Host;

static int h_authorize(void *opaque, const char *stream, const char *token, const char *addr, const char **why)
{
    return token && !strcmp(token, "s3cret") ? 0 : AVERROR(EACCES);
}

static int h_publish(void *opaque, const char *stream, const char *addr, enum RtcCodec video, int audio,
                     void **handle, const char **why)
{
    Host *h = opaque;
    if (!strcmp(stream, "busy")) {
        *why = "published already";
        return AVERROR(EBUSY);
    }
    h->published++;
    h->video = video;
    h->audio = audio;
    snprintf(h->stream, sizeof(h->stream), "%s", stream);
    *handle = (void *)(intptr_t)++h->handles;
    return 0;
}

static void h_frame(void *opaque, void *handle, int video, int64_t ms, int key, const uint8_t *data, size_t size)
{
    ((Host *)opaque)->frames++;
}

static void h_unpublish(void *opaque, void *handle, const char *why)
{
    Host *h = opaque;
    h->unpublished++;
    snprintf(h->why, sizeof(h->why), "%s", why);
}

typedef struct Call {
    int port;
    const char *method, *path, *extra, *body;
    HttpAnswer a;
    volatile int done;
} Call;

static void *call_run(void *arg)
{
    Call *c = arg;
    httpreq(c->port, c->method, c->path, c->extra, c->body, c->body ? strlen(c->body) : 0, &c->a);
    __atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* One request from another thread while this one runs the loop. */
static int call(WhipIn *w, int port, const char *method, const char *path, const char *extra, const char *body,
                HttpAnswer *a)
{
    Call c = { .port = port, .method = method, .path = path, .extra = extra, .body = body };
    pthread_t t;
    int udp, wake;

    if (pthread_create(&t, NULL, call_run, &c))
        return -1;
    whipin_fds(w, &udp, &wake);
    for (int i = 0; i < 3000 && !__atomic_load_n(&c.done, __ATOMIC_SEQ_CST); i++) {
        struct pollfd p[2] = { { udp, POLLIN, 0 }, { wake, POLLIN, 0 } };
        poll(p, 2, 10);
        whipin_service(w);
    }
    pthread_join(t, NULL);
    whipin_service(w);
    *a = c.a;
    return a->status;
}

/* The value of "a=NAME:" in sdp, into buf. */
static const char *sdp_attr(const char *sdp, const char *name, char *buf, size_t size)
{
    const char *p = sdp ? strstr(sdp, name) : NULL;
    size_t n;
    buf[0] = '\0';
    if (!p)
        return buf;
    p += strlen(name);
    n = strcspn(p, "\r\n");
    snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), p);
    return buf;
}

/* A signed ICE check to the UDP port; 1 if a signed success came back
 * (waiting tries times 10 ms at most). */
static int ice_check(WhipIn *w, int port, const char *ufrag, const char *pwd, int tries)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    uint8_t buf[STUN_MAX_MESSAGE], txid[12] = "whipin-test1";
    char user[128];
    StunBuilder b;
    StunMsg m;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), len, got = 0;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    snprintf(user, sizeof(user), "%s:Peer", ufrag);
    stun_begin(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, txid);
    stun_add(&b, STUN_ATTR_USERNAME, user, strlen(user));
    stun_add_u32(&b, STUN_ATTR_PRIORITY, 1853824767);
    stun_add_u64(&b, STUN_ATTR_ICE_CONTROLLING, 0x1122334455667788ull);
    stun_add(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    if (fd < 0 || (len = stun_finish(&b, pwd, strlen(pwd))) < 0 ||
        sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&sa, sizeof(sa)) != len) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    for (int i = 0; i < tries && !got; i++) {
        struct pollfd p = { fd, POLLIN, 0 };
        whipin_service(w);
        if (poll(&p, 1, 10) == 1) {
            ssize_t n = recv(fd, buf, sizeof(buf), 0);
            got = n > 0 && stun_parse(buf, (size_t)n, &m) == 0 && m.type == STUN_BINDING_SUCCESS &&
                  !memcmp(m.txid, txid, 12) && stun_check_integrity(buf, &m, pwd, strlen(pwd)) == 0 &&
                  stun_check_fingerprint(buf, &m) == 0;
            if (!got)
                break;
        }
    }
    close(fd);
    return got;
}

int main(void)
{
    static const WhipInOps ops = { h_authorize, h_publish, h_frame, h_unpublish };
    const char *key = "Authorization: Bearer s3cret\r\nContent-Type: application/sdp\r\n";
    Host h = { 0 };
    WhipInConfig cfg;
    WhipIn *w = NULL;
    DtlsCert *cert = NULL;
    HttpAnswer a;
    char listen[64], offer[4096], loc[128], loc2[128], ufrag[64], pwd[128], cand[256], want[64];
    int port;

    log_init("test-whipin");
    log_set_level(LOG_LEVEL_QUIET);

    whipin_config_default(&cfg);
    cfg.listen = "no port here";
    ok(whipin_new(&w, &cfg, &ops, &h) < 0, "a listen address without a port: refused");
    whipin_free(&w);
    ok(!w, "whipin_free after a failed whipin_new clears the pointer");

    port = httpget_free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    cfg.listen = listen;
    cfg.limits.max_per_addr = 1;
    is_int(whipin_new(&w, &cfg, &ops, &h), 0, "WHIP ingest on %s", listen);
    if (!w)
        return done();
    is_int(whipin_count(w), 0, "no publishers yet");

    dtls_cert_new(&cert);
    snprintf(offer, sizeof(offer),
             "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
             "m=video 9 UDP/TLS/RTP/SAVPF 106\r\nc=IN IP4 0.0.0.0\r\n"
             "a=ice-ufrag:Peer\r\na=ice-pwd:PeerPassword0123456789xy\r\n"
             "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\n"
             "a=rtpmap:106 H264/90000\r\na=rtcp-fb:106 nack pli\r\n"
             "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
             "a=ice-ufrag:Peer\r\na=ice-pwd:PeerPassword0123456789xy\r\n"
             "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:1\r\na=sendonly\r\na=rtcp-mux\r\n"
             "a=rtpmap:111 opus/48000/2\r\n",
             dtls_cert_fingerprint(cert), dtls_cert_fingerprint(cert));

    is_int(call(w, port, "POST", "/whip/cam", "Content-Type: application/sdp\r\n", offer, &a), 401,
           "an offer without the key: 401");
    is_int(h.published, 0, "and no publish");
    httpget_free(&a);

    is_int(call(w, port, "POST", "/whip/busy", key, offer, &a), 409, "a stream published already: 409");
    httpget_free(&a);
    is_int(call(w, port, "POST", "/whip/cam", key, offer, &a), 201, "an offer with the key: 201");
    ok(h.published == 1 && !strcmp(h.stream, "cam") && h.video == RTC_CODEC_H264 && h.audio,
       "publish: stream cam, H.264 and audio");
    is_int(whipin_count(w), 1, "one publisher");
    sdp_attr(a.head, "Location: ", loc, sizeof(loc));
    ok(!strncmp(loc, "/whip/cam/", 10) && strlen(loc) == 10 + 32, "Location: /whip/cam/ID (%s)", loc);
    sdp_attr(a.body, "a=candidate:", cand, sizeof(cand));
    snprintf(want, sizeof(want), " 127.0.0.1 %d typ host", port);
    ok(strstr(cand, want) != NULL, "a host candidate on the bound address and port (%s)", cand);
    ok(a.body && strstr(a.body, "a=setup:passive") && strstr(a.body, "H264/90000") &&
       strstr(a.body, "opus/48000/2") && strstr(a.body, "a=recvonly"),
       "the answer: DTLS server, receiving H.264 and Opus");
    sdp_attr(a.body, "a=ice-ufrag:", ufrag, sizeof(ufrag));
    sdp_attr(a.body, "a=ice-pwd:", pwd, sizeof(pwd));
    httpget_free(&a);

    ok(ufrag[0] && pwd[0] && ice_check(w, port, ufrag, pwd, 1000), "a signed ICE check on the UDP port: a signed success");
    ok(!ice_check(w, port, ufrag, "not the password at all!", 50), "one signed with another password: no success");

    is_int(call(w, port, "POST", "/whip/cam2", key, offer, &a), 429, "a second from this address (limit 1): 429");
    httpget_free(&a);
    is_int(whipin_count(w), 1, "refusals made no publisher");
    is_int(h.published, 1, "and no publish");

    is_int(call(w, port, "DELETE", loc, "Authorization: Bearer s3cret\r\n", NULL, &a), 200, "DELETE the session: 200");
    httpget_free(&a);
    ok(h.unpublished == 1 && !strcmp(h.why, "DELETE"), "unpublish, because of the DELETE");
    is_int(whipin_count(w), 0, "no publishers");
    is_int(call(w, port, "DELETE", loc, "Authorization: Bearer s3cret\r\n", NULL, &a), 404, "DELETE it again: 404");
    httpget_free(&a);

    is_int(call(w, port, "POST", "/whip/cam", key, offer, &a), 201, "publish again");
    httpget_free(&a);
    is_int(whipin_count(w), 1, "one publisher");
    whipin_close(w, (void *)(intptr_t)h.handles);
    whipin_service(w);
    is_int(whipin_count(w), 0, "whipin_close ends it");
    is_int(h.unpublished, 1, "without unpublish");

    is_int(call(w, port, "POST", "/whip/cam", key, offer, &a), 201, "and again");
    sdp_attr(a.head, "Location: ", loc2, sizeof(loc2));
    ok(strcmp(loc, loc2), "a new session ID");
    httpget_free(&a);
    whipin_free(&w);
    ok(!w && h.unpublished == 2 && !strcmp(h.why, "live-ingest stops"), "whipin_free ends it with unpublish");
    is_int(h.frames, 0, "no media was sent: no frames");

    dtls_cert_free(&cert);
    return done();
}
