/*
 * rtc/session.c: one WebRTC peer on the shared port. See session.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <libavutil/error.h>
#include <openssl/rand.h>

#include "log.h"
#include "rtc/rtcp.h"
#include "rtc/session.h"
#include "rtc/stun.h"

static uint32_t rand32(void)
{
    uint32_t v = 0;
    RAND_bytes((unsigned char *)&v, sizeof(v));
    return v;
}

int rtc_session_new(RtcSession **out, const char *stream, const SdpSession *offer, const SdpChoice *c,
                    DtlsCert *cert, int64_t consent_timeout, int64_t now, RtcSendFn send, void *opaque)
{
    RtcSession *s;
    /* the transport of the first m-section we use (the BUNDLE tag) */
    int first = c->video < 0 ? c->audio : c->audio < 0 ? c->video : c->video < c->audio ? c->video : c->audio;
    const SdpMedia *m = &offer->media[first];
    unsigned char idb[16];
    int ret;

    *out = NULL;
    if (!(s = calloc(1, sizeof(*s))))
        return AVERROR(ENOMEM);
    snprintf(s->stream, sizeof(s->stream), "%s", stream);
    if (RAND_bytes(idb, sizeof(idb)) != 1) {
        ret = AVERROR_EXTERNAL;
        goto fail;
    }
    for (int i = 0; i < 16; i++)
        snprintf(s->id + 2 * i, 3, "%02x", idb[i]);
    if ((ret = ice_agent_init(&s->ice, m->ufrag, m->pwd, consent_timeout)) < 0)
        goto fail;
    if ((ret = dtls_conn_new(&s->dtls, cert, 1, m->fingerprint)) < 0)
        goto fail;
    s->created = now;
    s->send = send;
    s->send_opaque = opaque;
    s->has_video = c->video >= 0;
    s->has_audio = c->audio >= 0;
    rtp_sender_init(&s->video, rand32() | 1, c->video_pt, RTP_DEFAULT_MTU);
    rtp_sender_init(&s->audio, rand32() | 2, c->audio_pt, RTP_DEFAULT_MTU);
    /* RFC 3550 5.1: sequence numbers and timestamps start at random
     * values, per session and per stream */
    s->video.seq = (uint16_t)rand32();
    s->audio.seq = (uint16_t)rand32();
    s->video_ts_base = rand32();
    s->audio_ts_base = rand32();
    s->need_key = 1;
    *out = s;
    return 0;
fail:
    rtc_session_free(&s);
    return ret;
}

void rtc_session_free(RtcSession **ps)
{
    RtcSession *s = *ps;
    if (!s)
        return;
    dtls_conn_free(&s->dtls);
    rtc_srtp_free(&s->srtp);
    free(s->hist);
    free(s->pace);
    free(s->gather);
    free(s);
    *ps = NULL;
}

/* Queues a datagram behind the others; a full queue is dropped whole and
 * the viewer starts again at a keyframe. */
static void enqueue(RtcSession *s, const uint8_t *p, size_t len)
{
    RtcHistoryEntry *q;
    if (!s->pace && !(s->pace = malloc(RTC_PACE_MAX * sizeof(*s->pace))))
        return;
    if (s->pace_n == RTC_PACE_MAX || len > sizeof(s->pace[0].data)) {
        s->pace_n = 0;
        s->need_key = 1;
        s->st.pace_overflows++;
        return;
    }
    q = &s->pace[(s->pace_head + s->pace_n++) % RTC_PACE_MAX];
    q->len = (uint16_t)len;
    memcpy(q->data, p, len);
}

void rtc_session_set_send_many(RtcSession *s, RtcSendManyFn fn)
{
    s->send_many = fn;
}

/* Sends what was gathered; what the socket did not take is queued. */
static void gather_flush(RtcSession *s)
{
    size_t sent;
    if (!s->gather_n)
        return;
    sent = s->send_many(s->send_opaque, s->gather, s->gather_seg, s->gather_len,
                        (const struct sockaddr *)&s->ice.peer, s->ice.peer_len);
    while (sent < s->gather_len) {
        size_t n = s->gather_len - sent < s->gather_seg ? s->gather_len - sent : s->gather_seg;
        enqueue(s, s->gather + sent, n);
        sent += n;
    }
    s->gather_n = 0;
    s->gather_len = 0;
    s->gather_closed = 0;
}

/* Adds a datagram to the batch: one of the batch's size, or a last
 * shorter one; anything else sends the batch first. 0, or -1 when there
 * is no batch to be had (send it alone). */
static int gather_add(RtcSession *s, const uint8_t *p, size_t len)
{
    if (!s->gather && !(s->gather = malloc(RTC_GATHER_BYTES)))
        return -1;
    if (s->gather_n && (s->gather_closed || len > s->gather_seg || s->gather_n == RTC_GATHER_MAX ||
                        s->gather_len + len > RTC_GATHER_BYTES))
        gather_flush(s);
    if (!s->gather_n)
        s->gather_seg = len;
    else if (len < s->gather_seg)
        s->gather_closed = 1;
    memcpy(s->gather + s->gather_len, p, len);
    s->gather_len += len;
    s->gather_n++;
    return 0;
}

static void gather_begin(RtcSession *s)
{
    s->gathering = s->send_many != NULL;
}

static void gather_end(RtcSession *s)
{
    s->gathering = 0;
    gather_flush(s);
}

static void send_raw(RtcSession *s, const uint8_t *p, size_t len)
{
    if (!s->ice.peer_len)
        return;
    if (s->pacing || s->pace_n) {
        enqueue(s, p, len);
        return;
    }
    if (s->gathering && gather_add(s, p, len) == 0)
        return;
    if (s->send(s->send_opaque, p, len, (const struct sockaddr *)&s->ice.peer, s->ice.peer_len) ==
        AVERROR(EAGAIN))
        enqueue(s, p, len);
}

int rtc_session_flush(RtcSession *s, int64_t now)
{
    /* A budget of RTC_PACE_RATE datagrams a second. Time the queue sat
     * empty saves up one tick's worth at most (a join's burst is paced
     * from its start); time it held datagrams counts in full, up to
     * RTC_PACE_CATCHUP: a server not run for 300 ms on a busy machine
     * owes its viewers 300 ms of sending, and one tick's worth per call
     * fell behind the stream itself until the queue overflowed and was
     * dropped whole. */
    double cap = s->pace_waiting ? RTC_PACE_CATCHUP : RTC_PACE_PER_TICK;
    s->pace_budget += (double)(now - s->pace_last) * RTC_PACE_RATE / 1e6;
    if (s->pace_budget > cap)
        s->pace_budget = cap;
    s->pace_last = now;
    for (; s->pace_budget >= 1 && s->pace_n && s->ice.peer_len; s->pace_budget--) {
        RtcHistoryEntry *q = &s->pace[s->pace_head];
        if (s->send(s->send_opaque, q->data, q->len, (const struct sockaddr *)&s->ice.peer,
                    s->ice.peer_len) == AVERROR(EAGAIN))
            break;
        s->pace_head = (s->pace_head + 1) % RTC_PACE_MAX;
        s->pace_n--;
    }
    s->pace_waiting = s->pace_n > 0;
    return s->pace_n;
}

static void flush_dtls(RtcSession *s)
{
    uint8_t d[DTLS_MTU + 300];
    int n;
    while ((n = dtls_conn_pop(s->dtls, d, sizeof(d))) > 0)
        send_raw(s, d, (size_t)n);
}

static void send_rtcp(RtcSession *s, uint8_t *buf, size_t len)
{
    if (!s->srtp || rtc_srtp_protect_rtcp(s->srtp, buf, &len) < 0)
        return;
    send_raw(s, buf, len);
}

void rtc_session_send_rtcp(RtcSession *s, uint8_t *p, size_t len)
{
    if (s->state == RTC_SESSION_MEDIA)
        send_rtcp(s, p, len);
}

/* Sender Reports put audio and video on one clock: the media time of now
 * is taken from the latest video frame (from audio when there is no
 * video), and each stream's RTP time of it from that stream's last frame
 * by the feed's media milliseconds. Audio leaves the feed later than the
 * video of the same instant (the Opus encoder's frames), so the time
 * each was sent must not be used for both. */
static void send_sr(RtcSession *s, int64_t now)
{
    uint8_t buf[256 + RTC_SRTP_MAX_TRAILER];
    struct timeval tv;
    int64_t wall;
    double ms_now;
    int by_video = s->has_video && s->video.packets;
    gettimeofday(&tv, NULL);
    wall = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    if (by_video)
        ms_now = (double)s->last_video_ms + (double)(now - s->last_video_us) / 1000;
    else
        ms_now = (double)s->last_audio_ms + (double)(now - s->last_audio_us) / 1000;
    for (int k = 0; k < 2; k++) {
        RtpSender *r = k ? &s->audio : &s->video;
        uint32_t clock = k ? 48000 : 90000;
        if (!(k ? s->has_audio : s->has_video) || !r->packets)
            continue;
        int64_t d = llrint((ms_now - (double)(k ? s->last_audio_ms : s->last_video_ms)) * clock / 1000);
        uint32_t ts = (k ? s->last_audio_ts + s->audio_ts_base : s->last_video_ts + s->video_ts_base) + (uint32_t)d;
        int n = rtcp_build_sr(buf, 256, r->ssrc, rtcp_ntp_from_us(wall), ts, r->packets, r->octets, "live-rtc");
        if (n > 0)
            send_rtcp(s, buf, (size_t)n);
    }
    s->last_sr = now;
}

typedef struct EmitCtx {
    RtcSession *s;
    int video;
} EmitCtx;

static int emit_rtp(void *opaque, const uint8_t *pkt, size_t len)
{
    EmitCtx *e = opaque;
    RtcSession *s = e->s;
    uint8_t buf[RTP_MAX_PACKET + RTC_SRTP_MAX_TRAILER];
    uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);

    memcpy(buf, pkt, len);
    if (rtc_srtp_protect(s->srtp, buf, &len) < 0)
        return 0;
    /* the history is made with the first video packet: a session that
     * never gets that far (ICE or DTLS never completes) costs no more */
    if (e->video && !s->hist)
        s->hist = calloc(RTC_HISTORY, sizeof(*s->hist));
    if (e->video && s->hist && len <= sizeof(s->hist[0].data)) {
        RtcHistoryEntry *h = &s->hist[seq % RTC_HISTORY];
        h->seq = seq;
        h->len = (uint16_t)len;
        memcpy(h->data, buf, len);
    }
    s->st.packets++;
    s->st.bytes += len;
    if (s->test_loss > 0 && (double)(rand32() % 1000000) / 1e6 < s->test_loss) {
        s->st.dropped_loss++;
        return 0;
    }
    uint64_t overflows = s->st.pace_overflows;
    send_raw(s, buf, len);
    return s->st.pace_overflows != overflows ? AVERROR(ENOSPC) : 0; /* the rest of it would be lost too */
}

static void send_video(RtcSession *s, const RtcFrame *f, int64_t now)
{
    EmitCtx e = { s, 1 };
    rtp_h264_send(&s->video, f->nals, f->sizes, f->n, f->ts + s->video_ts_base, emit_rtp, &e);
    s->st.video_frames++;
    s->last_video_ts = f->ts;
    s->last_video_ms = f->ms;
    s->last_video_us = now;
}

/* Sends the current GOP (passthrough: the feed caches it), paced out of
 * the viewer's queue: a picture at once and every frame after it
 * decodable. Frames older than what the viewer has already been sent (a
 * PLI's replay) go out with timestamps just after it, so the receiver
 * decodes them as the newest rather than dropping them as late; their
 * media time stays that of now. Returns 0 when nothing is cached. */
static int send_gop(RtcSession *s, RtcFeed *feed, int64_t now)
{
    int n = feed && s->has_video ? rtc_feed_gop_count(feed) : 0;
    int replay = s->video.packets != 0;
    int64_t ms = s->last_video_ms;
    if (!n)
        return 0;
    s->pacing = 1;
    s->need_key = 0;
    for (int i = 0; i < n && !s->need_key; i++) {
        RtcFrame f;
        rtc_feed_gop_frame(feed, i, &f);
        if (replay && (int32_t)(f.ts - s->last_video_ts) <= 0) {
            f.ts = s->last_video_ts + 1;
            f.ms = ms;
        }
        send_video(s, &f, now);
    }
    s->pacing = 0;
    s->st.keyframes_sent++;
    rtc_session_flush(s, now);
    return 1;
}

/* The viewer needs a picture (a join, a PLI or FIR): an IDR from our
 * encoder when the rung is ours; else the cached GOP (the viewer's
 * decoder has every reference the live frames after it need); else the
 * cached keyframe alone, then nothing until the next keyframe. At most
 * every RTC_KEY_INTERVAL for one viewer: a stream of PLIs costs a GOP
 * each. */
static void want_keyframe(RtcSession *s, RtcFeed *feed, int64_t now)
{
    const RtcFrame *k;
    if (s->last_key_req && now - s->last_key_req < RTC_KEY_INTERVAL) {
        s->key_pending = 1; /* answered by a tick once the interval is over */
        return;
    }
    s->key_pending = 0;
    s->last_key_req = now;
    s->st.pictures++;
    s->need_key = 1;
    if (!feed)
        return;
    if (rtc_feed_force_keyframe(feed, now))
        return;
    if (s->state != RTC_SESSION_MEDIA || send_gop(s, feed, now))
        return;
    if ((k = rtc_feed_keyframe(feed))) {
        RtcFrame f = *k;
        /* not older than what the viewer already has */
        if ((int32_t)(f.ts - s->last_video_ts) <= 0 && s->video.packets) {
            f.ts = s->last_video_ts + 1;
            f.ms = s->last_video_ms;
        }
        send_video(s, &f, now);
        s->st.keyframes_sent++;
    }
}

void rtc_session_frame(RtcSession *s, RtcFeed *feed, const RtcFrame *f, int64_t now)
{
    if (s->state != RTC_SESSION_MEDIA)
        return;
    if (f->video) {
        if (!s->has_video)
            return;
        if (s->need_key && !f->keyframe)
            return;
        s->need_key = 0;
        gather_begin(s);
        send_video(s, f, now);
        gather_end(s);
        if (f->keyframe)
            s->st.keyframes_sent++;
    } else if (s->has_audio) {
        EmitCtx e = { s, 0 };
        rtp_opus_send(&s->audio, f->data, f->size, f->ts + s->audio_ts_base, emit_rtp, &e);
        s->st.audio_frames++;
        s->last_audio_ts = f->ts;
        s->last_audio_ms = f->ms;
        s->last_audio_us = now;
    }
    if (now - s->last_sr >= 1000000)
        send_sr(s, now);
}

/* Resends what a NACK names from the history, within a budget of
 * RTC_RTX_RATE a second: one RTCP packet names up to 256 packets, and a
 * viewer sending many would have us send 250 times what it sends. */
static void on_nack(RtcSession *s, const RtcpPacket *pk, const RtcpEvent *e, int64_t now)
{
    s->rtx_budget += (double)(now - s->rtx_last) * RTC_RTX_RATE / 1e6;
    if (!s->rtx_last || s->rtx_budget > RTC_RTX_RATE)
        s->rtx_budget = RTC_RTX_RATE;
    s->rtx_last = now;
    gather_begin(s);
    for (int i = 0; i < e->nseq; i++) {
        uint16_t seq = pk->seqs[e->first_seq + i];
        RtcHistoryEntry *h = s->hist ? &s->hist[seq % RTC_HISTORY] : NULL;
        s->st.nacks++;
        if (s->rtx_budget < 1) {
            s->st.rtx_limited++;
        } else if (h && h->len && h->seq == seq) {
            s->rtx_budget--;
            send_raw(s, h->data, h->len);
            s->st.retransmits++;
        } else {
            s->st.nack_misses++;
        }
    }
    gather_end(s);
}

static int on_rtcp(RtcSession *s, RtcFeed *feed, uint8_t *buf, size_t len, int64_t now)
{
    RtcpPacket pk;
    if (!s->srtp || rtc_srtp_unprotect_rtcp(s->srtp, buf, &len) < 0)
        return 0; /* dropped */
    if (s->recv)
        s->recv(s->recv_opaque, buf, len, 1);
    rtcp_parse(buf, len, &pk);
    for (int i = 0; i < pk.nev; i++) {
        const RtcpEvent *e = &pk.ev[i];
        switch (e->type) {
        case RTCP_EV_NACK:
            if (e->ssrc == s->video.ssrc)
                on_nack(s, &pk, e, now);
            break;
        case RTCP_EV_PLI:
        case RTCP_EV_FIR:
            if (e->ssrc == s->video.ssrc || e->type == RTCP_EV_FIR) {
                if (e->type == RTCP_EV_PLI)
                    s->st.plis++;
                else
                    s->st.firs++;
                want_keyframe(s, feed, now);
            }
            break;
        case RTCP_EV_RR:
            if (e->ssrc == s->video.ssrc)
                s->st.fraction_lost = e->fraction_lost;
            break;
        case RTCP_EV_BYE:
            return AVERROR_EOF;
        default:
            break;
        }
    }
    return 0;
}

int rtc_session_input(RtcSession *s, RtcFeed *feed, const uint8_t *p, size_t len, const struct sockaddr *from,
                      socklen_t fromlen, int64_t now)
{
    uint8_t buf[2048];
    int r;

    if (s->state == RTC_SESSION_CLOSED)
        return AVERROR_EOF;
    switch (stun_demux(p, len)) {
    case STUN_DEMUX_STUN:
        r = ice_agent_handle(&s->ice, p, len, from, fromlen, now, buf, sizeof(buf));
        if (r > 0) {
            s->send(s->send_opaque, buf, (size_t)r, from, fromlen);
            if (s->state == RTC_SESSION_NEW)
                s->state = RTC_SESSION_DTLS;
        }
        return 0;
    case STUN_DEMUX_DTLS:
        /* only from the address ICE validated */
        if (s->state == RTC_SESSION_NEW || !s->ice.peer_len)
            return 0;
        r = dtls_conn_feed(s->dtls, p, len);
        flush_dtls(s);
        if (r == 1) {
            DtlsSrtpKeys k;
            if (dtls_conn_srtp_keys(s->dtls, &k) < 0 || rtc_srtp_new(&s->srtp, &k) < 0)
                return AVERROR_EOF;
            s->state = RTC_SESSION_MEDIA;
            log_debug("session %s of %s: DTLS done, media starts", s->id, s->stream);
            want_keyframe(s, feed, now);
            return 0;
        }
        if (r < 0) {
            log_info("session %s of %s: %s", s->id, s->stream,
                     r == AVERROR_EOF ? "the viewer closed DTLS" : "DTLS handshake failed");
            s->state = RTC_SESSION_CLOSED;
            return AVERROR_EOF;
        }
        return 0;
    case STUN_DEMUX_RTP:
        if (s->state != RTC_SESSION_MEDIA || len > sizeof(buf) - RTC_SRTP_MAX_TRAILER)
            return 0;
        if (rtp_is_rtcp(p, len)) {
            memcpy(buf, p, len);
            return on_rtcp(s, feed, buf, len, now);
        }
        if (s->recv) {  /* a WHIP publisher's media */
            memcpy(buf, p, len);
            if (rtc_srtp_unprotect(s->srtp, buf, &len) == 0)
                s->recv(s->recv_opaque, buf, len, 0);
        }
        return 0; /* RTP from a viewer: not expected */
    default:
        return 0;
    }
}

int rtc_session_tick(RtcSession *s, RtcFeed *feed, int64_t now)
{
    int64_t t;
    if (s->state == RTC_SESSION_CLOSED)
        return AVERROR_EOF;
    if (ice_agent_expired(&s->ice, s->created, now))
        return AVERROR_EOF;
    if (s->state == RTC_SESSION_DTLS && (t = dtls_conn_timeout(s->dtls)) == 0) {
        dtls_conn_handle_timeout(s->dtls);
        flush_dtls(s);
    }
    if (s->key_pending && s->state == RTC_SESSION_MEDIA && now - s->last_key_req >= RTC_KEY_INTERVAL)
        want_keyframe(s, feed, now);
    if (s->pace_n)
        rtc_session_flush(s, now);
    if (s->state == RTC_SESSION_MEDIA && now - s->last_sr >= 1000000)
        send_sr(s, now);
    return 0;
}

void rtc_session_close(RtcSession *s)
{
    if (s->state == RTC_SESSION_MEDIA) {
        uint8_t buf[64 + RTC_SRTP_MAX_TRAILER] = { 0x81, 203, 0, 1 };
        uint32_t ssrc = s->video.ssrc;
        buf[4] = ssrc >> 24; buf[5] = ssrc >> 16; buf[6] = ssrc >> 8; buf[7] = (uint8_t)ssrc;
        send_rtcp(s, buf, 8);
        dtls_conn_close(s->dtls);
        flush_dtls(s);
    }
    s->state = RTC_SESSION_CLOSED;
}
