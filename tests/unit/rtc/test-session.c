/* Unit tests for lib/rtc/session.c: one viewer's session driven by a real
 * peer made of the same parts a browser uses — an ICE connectivity check
 * (stun.h), a DTLS client handshake with its own certificate (dtls.h),
 * SRTP keys from it (srtp.h) — then frames in and SRTP packets out that
 * the peer decrypts: a keyframe first, H.264 and Opus with the offer's
 * payload types; consent lapses after the timeout. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "log.h"
#include "rtc/dtls.h"
#include "rtc/feed.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/sdp.h"
#include "rtc/session.h"
#include "rtc/srtp.h"
#include "rtc/stun.h"

#define MAXQ 256

/* What the session sent, in order. */
typedef struct Queue {
    uint8_t data[MAXQ][1600];
    size_t len[MAXQ];
    int n;
} Queue;

static int full; /* the socket takes nothing: sends queue in the session */

static int qsend(void *opaque, const uint8_t *p, size_t len, const struct sockaddr *to, socklen_t tolen)
{
    Queue *q = opaque;
    (void)to;
    (void)tolen;
    if (full)
        return AVERROR(EAGAIN);
    if (q->n < MAXQ && len <= sizeof(q->data[0])) {
        memcpy(q->data[q->n], p, len);
        q->len[q->n++] = len;
    }
    return 0;
}

static char offer[4096];

static void make_offer(const char *fingerprint)
{
    snprintf(offer, sizeof(offer),
             "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
             "m=video 9 UDP/TLS/RTP/SAVPF 106\r\nc=IN IP4 0.0.0.0\r\n"
             "a=ice-ufrag:Peer\r\na=ice-pwd:PeerPassword0123456789xy\r\n"
             "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n"
             "a=rtpmap:106 H264/90000\r\na=rtcp-fb:106 nack\r\na=rtcp-fb:106 nack pli\r\n"
             "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
             "a=ice-ufrag:Peer\r\na=ice-pwd:PeerPassword0123456789xy\r\n"
             "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:1\r\na=recvonly\r\na=rtcp-mux\r\n"
             "a=rtpmap:111 opus/48000/2\r\n",
             fingerprint, fingerprint);
}

static int check(uint8_t *buf, const char *user, const char *pwd)
{
    StunBuilder b;
    uint8_t txid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    stun_begin(&b, buf, STUN_MAX_MESSAGE, STUN_BINDING_REQUEST, txid);
    stun_add(&b, STUN_ATTR_USERNAME, user, strlen(user));
    stun_add_u32(&b, STUN_ATTR_PRIORITY, 1853824767);
    stun_add_u64(&b, STUN_ATTR_ICE_CONTROLLING, 0x1122334455667788ull);
    stun_add(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    return stun_finish(&b, pwd, strlen(pwd));
}

int main(void)
{
    static Queue q;
    static SdpSession sdp;
    static const uint8_t sps[] = { 0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8 };
    static const uint8_t pps[] = { 0x68, 0xce, 0x3c, 0x80 };
    static uint8_t idr[3000], opus[60];
    struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(50000) };
    SdpCaps caps = { .send = 1, .want_video = 1, .want_audio = 1, .h264_profile_idc = 66, .h264_constrained = 1 };
    SdpChoice c;
    DtlsCert *server_cert = NULL, *peer_cert = NULL;
    DtlsConn *peer = NULL;
    DtlsSrtpKeys keys;
    RtcSrtp *srtp = NULL;
    RtcSession *s = NULL;
    RtcFeed *feed = NULL;
    RtcFrame f;
    const char *why = NULL;
    uint8_t buf[STUN_MAX_MESSAGE], d[2048];
    char user[64];
    StunMsg m;
    int64_t now = 1000000;
    uint16_t vseq[64], vseq0 = 0;
    uint32_t vts = 0, ats = 0;
    int nvseq = 0;
    int n, i, rounds, video = 0, audio = 0, first_video_key = -1, marker_last = 0, done_peer = 0;
    size_t len;

    log_init("test-session");
    log_set_level(LOG_LEVEL_QUIET);
    inet_pton(AF_INET, "127.0.0.1", &from.sin_addr);
    if (dtls_cert_new(&server_cert) < 0 || dtls_cert_new(&peer_cert) < 0)
        return 1;
    make_offer(dtls_cert_fingerprint(peer_cert));
    n = sdp_parse(offer, strlen(offer), &sdp, &why);
    if (!ok(n == 0, "the peer's offer parses"))
        diag("%s; fingerprint %s", why ? why : "", dtls_cert_fingerprint(peer_cert));
    is_int(sdp_select(&sdp, &caps, &c, &why), 0, "H.264 and Opus chosen");
    rtc_feed_new(&feed, "cam", NULL, NULL);
    is_int(rtc_session_new(&s, "cam", &sdp, &c, server_cert, 30000000, now, qsend, &q), 0, "a session");
    is_int(s->state, RTC_SESSION_NEW, "new");
    is_int(strlen(s->id), 32, "with a 32-character id");
    ok(s->hist == NULL, "no NACK history before the viewer is connected");

    /* RFC 3550 5.1: SSRCs, first sequence numbers and timestamps are
     * random, for every session and each of its streams */
    {
        RtcSession *o[8];
        int nseq = 0, nssrc = 0, nts = 0;
        for (i = 0; i < 8; i++)
            if (rtc_session_new(&o[i], "cam", &sdp, &c, server_cert, 30000000, now, qsend, &q) < 0)
                break;
        is_int(i, 8, "8 more sessions");
        for (int a = 0; a < i; a++)
            for (int b = a + 1; b < i; b++) {
                nseq += o[a]->video.seq != o[b]->video.seq || o[a]->audio.seq != o[b]->audio.seq;
                nssrc += o[a]->video.ssrc != o[b]->video.ssrc && o[a]->audio.ssrc != o[b]->audio.ssrc;
                nts += o[a]->video_ts_base != o[b]->video_ts_base && o[a]->audio_ts_base != o[b]->audio_ts_base;
            }
        ok(nseq >= 20, "their first sequence numbers differ (%d pairs of 28)", nseq);
        is_int(nssrc, 28, "their SSRCs all differ");
        is_int(nts, 28, "their timestamp offsets all differ");
        for (int a = 0; a < i; a++)
            rtc_session_free(&o[a]);
    }

    /* ICE: a check with the wrong password is ignored, the right one answered */
    snprintf(user, sizeof(user), "%s:Peer", s->ice.local_ufrag);
    n = check(buf, user, "NotThePassword0123456789");
    rtc_session_input(s, feed, buf, (size_t)n, (struct sockaddr *)&from, sizeof(from), now);
    ok(s->state == RTC_SESSION_NEW && (q.n == 0 || (stun_parse(q.data[0], q.len[0], &m) == 0 &&
                                                    m.type == STUN_BINDING_ERROR)),
       "a check with a wrong password is not a success");
    q.n = 0;
    n = check(buf, user, s->ice.local_pwd);
    is_int(rtc_session_input(s, feed, buf, (size_t)n, (struct sockaddr *)&from, sizeof(from), now), 0, "a valid check");
    ok(q.n == 1 && stun_parse(q.data[0], q.len[0], &m) == 0 && m.type == STUN_BINDING_SUCCESS,
       "answered with a binding success");
    is_int(s->state, RTC_SESSION_DTLS, "the session waits for DTLS");
    ok(s->hist == NULL, "still no NACK history while DTLS is under way");
    q.n = 0;

    /* DTLS: the peer is the client */
    is_int(dtls_conn_new(&peer, peer_cert, 0, dtls_cert_fingerprint(server_cert)), 0, "the peer's DTLS client");
    dtls_conn_start(peer);
    for (rounds = 0; rounds < 20 && !(done_peer && s->state == RTC_SESSION_MEDIA); rounds++) {
        while ((n = dtls_conn_pop(peer, d, sizeof(d))) > 0)
            rtc_session_input(s, feed, d, (size_t)n, (struct sockaddr *)&from, sizeof(from), now);
        for (i = 0; i < q.n; i++)
            if (dtls_conn_feed(peer, q.data[i], q.len[i]) == 1)
                done_peer = 1;
        q.n = 0;
    }
    ok(done_peer, "the peer finished the handshake (%d rounds)", rounds);
    is_int(s->state, RTC_SESSION_MEDIA, "the session is in media");
    is_int(dtls_conn_srtp_keys(peer, &keys), 0, "the peer's SRTP keys");
    is_int(rtc_srtp_new(&srtp, &keys), 0, "the peer's SRTP context");

    /* frames: an inter frame first (dropped: the viewer needs a keyframe),
     * then a keyframe of SPS, PPS and a large IDR, then audio */
    memset(&f, 0, sizeof(f));
    f.video = 1;
    f.ts = 90000;
    f.ms = 1000;
    f.n = 1;
    idr[0] = 0x41;
    f.nals[0] = idr;
    f.sizes[0] = 500;
    rtc_session_frame(s, feed, &f, now);
    is_int(q.n, 0, "an inter frame before any keyframe is not sent");
    idr[0] = 0x65;
    for (i = 1; i < (int)sizeof(idr); i++)
        idr[i] = (uint8_t)i;
    f.keyframe = 1;
    f.ts = 93000;
    f.n = 3;
    f.nals[0] = sps;
    f.sizes[0] = sizeof(sps);
    f.nals[1] = pps;
    f.sizes[1] = sizeof(pps);
    f.nals[2] = idr;
    f.sizes[2] = sizeof(idr);
    rtc_session_frame(s, feed, &f, now);
    memset(&f, 0, sizeof(f));
    memset(opus, 0x5a, sizeof(opus));
    f.ts = 48000;
    f.data = opus;
    f.size = sizeof(opus);
    rtc_session_frame(s, feed, &f, now);
    rtc_session_flush(s, now + 1000000);
    ok(q.n >= 3, "packets were sent (%d)", q.n);
    for (i = 0; i < q.n; i++) {
        memcpy(d, q.data[i], q.len[i]);
        len = q.len[i];
        if (rtp_is_rtcp(d, len))
            continue;
        if (rtc_srtp_unprotect(srtp, d, &len) < 0)
            continue;
        if ((d[1] & 0x7f) == c.video_pt) {
            if (nvseq < (int)(sizeof(vseq) / sizeof(vseq[0])))
                vseq[nvseq++] = (uint16_t)(d[2] << 8 | d[3]);
            if (first_video_key < 0) {
                vts = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
                vseq0 = (uint16_t)(d[2] << 8 | d[3]);
                first_video_key = (d[12] & 0x1f) == 7 || (d[12] & 0x1f) == 24 || (d[12] & 0x1f) == 28;
            }
            marker_last = d[1] >> 7;
            video++;
        } else if ((d[1] & 0x7f) == c.audio_pt) {
            audio += len == 12 + sizeof(opus);
            ats = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
        }
    }
    ok(video >= 3, "the keyframe came as SRTP the peer decrypts: %d packets of payload type %d", video, c.video_pt);
    is_int(first_video_key, 1, "starting with the parameter sets or the IDR");
    is_int(marker_last, 1, "the frame's last packet has the marker bit");
    is_int(audio, 1, "the Opus frame as one packet of payload type %d", c.audio_pt);
    ok(s->st.keyframes_sent == 1 && s->st.video_frames >= 1, "counted: one keyframe sent");
    ok(vts != 93000 && vts == 93000 + s->video_ts_base, "the video's RTP timestamp is the frame's plus the session's random offset (%u)", vts);
    ok(ats != 48000 && ats == 48000 + s->audio_ts_base, "the audio's too (%u)", ats);
    ok(s->hist != NULL && s->hist[vseq0 % RTC_HISTORY].seq == vseq0 && s->hist[vseq0 % RTC_HISTORY].len,
       "the NACK history is made with the first video packet, which it holds");

    /* NACKs: answered from the history within RTC_RTX_RATE resends (one
     * second's worth at once), whatever the number of NACKs */
    {
        int nacks = RTC_RTX_RATE / nvseq + 50, k;
        uint64_t before = s->st.retransmits;
        for (k = 0; k < nacks; k++) {
            size_t rl;
            n = rtcp_build_nack(d, 256, 0x1234, s->video.ssrc, vseq, nvseq);
            rl = (size_t)n;
            if (n <= 0 || rtc_srtp_protect_rtcp(srtp, d, &rl) < 0)
                break;
            rtc_session_input(s, feed, d, rl, (struct sockaddr *)&from, sizeof(from), now + 2000000);
        }
        is_int(k, nacks, "%d NACKs of the %d video packets sent", nacks, nvseq);
        ok(s->st.retransmits - before == RTC_RTX_RATE, "%d resent at once (%llu), no more",
           RTC_RTX_RATE, (unsigned long long)(s->st.retransmits - before));
        ok(s->st.rtx_limited == (uint64_t)(nacks * nvseq - RTC_RTX_RATE), "the rest counted over the budget (%llu)",
           (unsigned long long)s->st.rtx_limited);
        /* a second later: a second's worth again */
        n = rtcp_build_nack(d, 256, 0x1234, s->video.ssrc, vseq, nvseq);
        size_t rl = (size_t)n;
        rtc_srtp_protect_rtcp(srtp, d, &rl);
        rtc_session_input(s, feed, d, rl, (struct sockaddr *)&from, sizeof(from), now + 3000000);
        ok(s->st.retransmits - before == RTC_RTX_RATE + (uint64_t)nvseq, "a second later, NACKs are answered again");
    }

    /* PLIs: one picture at once, the rest of a burst answered once, when
     * RTC_KEY_INTERVAL is over */
    {
        uint64_t pics = s->st.pictures;
        for (int k = 0; k < 5; k++) {
            size_t rl;
            n = rtcp_build_pli(d, 256, 0x1234, s->video.ssrc);
            rl = (size_t)n;
            rtc_srtp_protect_rtcp(srtp, d, &rl);
            rtc_session_input(s, feed, d, rl, (struct sockaddr *)&from, sizeof(from), now + 4000000);
        }
        is_int((int)(s->st.plis), 5, "5 PLIs at once");
        is_int((int)(s->st.pictures - pics), 1, "one picture for them at once");
        rtc_session_tick(s, feed, now + 4000000 + RTC_KEY_INTERVAL / 2);
        is_int((int)(s->st.pictures - pics), 1, "none more before the interval is over");
        rtc_session_tick(s, feed, now + 4000000 + RTC_KEY_INTERVAL);
        is_int((int)(s->st.pictures - pics), 2, "one more when it is over");
        rtc_session_tick(s, feed, now + 4000000 + 3 * RTC_KEY_INTERVAL);
        is_int((int)(s->st.pictures - pics), 2, "and that is all");
    }

    /* the queue (a full socket): one tick's worth at once after it was
     * empty; while it waits, all the time since the last flush at
     * RTC_PACE_RATE, up to RTC_PACE_CATCHUP (a server not run for a
     * while catches up instead of overflowing the queue) */
    {
        int64_t t = now + 6000000;
        int before, k;
        for (k = 0; k < 100 && rtc_session_flush(s, t); k++)
            t += 1000000;
        is_int(s->pace_n, 0, "the queue is empty to begin with");
        full = 1;
        memset(&f, 0, sizeof(f));
        f.data = opus;
        f.size = sizeof(opus);
        for (k = 0; k < 600; k++) {
            f.ts = 96000 + (uint32_t)k * 960;
            rtc_session_frame(s, feed, &f, t);
        }
        ok(s->pace_n >= 600, "600 Opus frames queued behind the full socket (%d)", s->pace_n);
        full = 0;
        before = s->pace_n;
        rtc_session_flush(s, t + 1000000);
        is_int(before - s->pace_n, RTC_PACE_PER_TICK, "the first flush after a second: one tick's worth");
        before = s->pace_n;
        rtc_session_flush(s, t + 1300000);
        is_int(before - s->pace_n, 300 * RTC_PACE_RATE / 1000, "300 ms later: 300 ms worth");
        before = s->pace_n;
        rtc_session_flush(s, t + 3300000);
        is_int(before - s->pace_n, RTC_PACE_CATCHUP, "2 s later: RTC_PACE_CATCHUP at most");
        rtc_session_flush(s, t + 4300000);
        is_int(s->pace_n, 0, "a second later the queue is empty");
        full = 1;
        for (k = 0; k < 100; k++) {
            f.ts = 96000 + (uint32_t)(600 + k) * 960;
            rtc_session_frame(s, feed, &f, t + 4300000);
        }
        full = 0;
        before = s->pace_n;
        rtc_session_flush(s, t + 6300000);
        is_int(before - s->pace_n, RTC_PACE_PER_TICK, "queued after it was empty: one tick's worth at once");
        for (k = 0; k < 100 && rtc_session_flush(s, t + 6300000 + k * 100000); k++)
            ;
        q.n = 0;
    }

    /* consent: no check for longer than the timeout */
    is_int(rtc_session_tick(s, feed, now + 5000000), 0, "a tick within the consent");
    is_int(rtc_session_tick(s, feed, now + 31000000), AVERROR_EOF, "consent lapsed after 30 s without a check");
    rtc_session_close(s);
    rtc_session_free(&s);
    ok(s == NULL, "rtc_session_free clears the pointer");

    rtc_srtp_free(&srtp);
    dtls_conn_free(&peer);
    rtc_feed_free(&feed);
    dtls_cert_free(&server_cert);
    dtls_cert_free(&peer_cert);
    return done();
}
