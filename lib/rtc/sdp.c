/*
 * rtc/sdp.c: WebRTC SDP offer parsing, format choice and answer writing.
 * See sdp.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/bprint.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "rtc/sdp.h"

#define FAIL(msg)                     \
    do {                              \
        if (why)                      \
            *why = (msg);             \
        return AVERROR_INVALIDDATA;   \
    } while (0)

/* Copy a token bounded by size; 0 or -1 if it does not fit. */
static int copy_tok(char *dst, size_t size, const char *src, size_t n)
{
    if (n >= size)
        return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* Parse a decimal in [min,max] at *p, advancing it. */
static int parse_int(const char **p, const char *end, long min, long max, int *out)
{
    long v = 0;
    const char *s = *p;
    if (s >= end || *s < '0' || *s > '9')
        return -1;
    while (s < end && *s >= '0' && *s <= '9') {
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
        s++;
    }
    if (v < min)
        return -1;
    *out = (int)v;
    *p = s;
    return 0;
}

static SdpFormat *find_fmt(SdpMedia *m, int pt)
{
    for (int i = 0; i < m->nfmt; i++)
        if (m->fmt[i].pt == pt)
            return &m->fmt[i];
    return NULL;
}

static int has_prefix(const char *s, const char *end, const char *pre)
{
    size_t n = strlen(pre);
    return (size_t)(end - s) >= n && !memcmp(s, pre, n);
}

static int parse_m_line(SdpMedia *m, const char *s, const char *end)
{
    const char *t = s;
    int port;

    while (t < end && *t != ' ')
        t++;
    if (copy_tok(m->kind, sizeof(m->kind), s, (size_t)(t - s)) < 0 || t == end)
        return -1;
    s = t + 1;
    if (parse_int(&s, end, 0, 65535, &port) < 0)
        return -1;
    m->port = port;
    if (s < end && *s == '/') { /* port/count */
        int cnt;
        s++;
        if (parse_int(&s, end, 1, 65535, &cnt) < 0)
            return -1;
    }
    if (s >= end || *s != ' ')
        return -1;
    t = ++s;
    while (t < end && *t != ' ')
        t++;
    if (copy_tok(m->proto, sizeof(m->proto), s, (size_t)(t - s)) < 0)
        return -1;
    while (t < end) {
        int pt;
        s = t + 1;
        t = s;
        while (t < end && *t != ' ')
            t++;
        if (t == s)
            continue;
        /* formats of non-RTP media (webrtc-datachannel) are not numbers */
        if (parse_int(&s, t, 0, 127, &pt) < 0 || s != t)
            continue;
        if (m->nfmt >= SDP_MAX_FORMATS)
            return -2;
        if (find_fmt(m, pt))
            continue;
        m->fmt[m->nfmt].pt = pt;
        m->nfmt++;
    }
    return 0;
}

static int parse_rtpmap(SdpMedia *m, const char *s, const char *end)
{
    int pt, clock, ch = 1;
    const char *t;
    SdpFormat *f;

    if (parse_int(&s, end, 0, 127, &pt) < 0 || s >= end || *s != ' ')
        return -1;
    if (!(f = find_fmt(m, pt)))
        return 0; /* not in the m= line: ignored */
    t = ++s;
    while (t < end && *t != '/')
        t++;
    if (t == end || copy_tok(f->name, sizeof(f->name), s, (size_t)(t - s)) < 0)
        return -1;
    s = t + 1;
    if (parse_int(&s, end, 1, 10000000, &clock) < 0)
        return -1;
    if (s < end && *s == '/') {
        s++;
        if (parse_int(&s, end, 1, 255, &ch) < 0)
            return -1;
    }
    f->clock = clock;
    f->channels = ch;
    return 0;
}

static int parse_pt_attr(SdpMedia *m, const char *s, const char *end, int fmtp)
{
    int pt;
    SdpFormat *f;
    if (parse_int(&s, end, 0, 127, &pt) < 0 || s >= end || *s != ' ')
        return -1;
    s++;
    if (!(f = find_fmt(m, pt)))
        return 0;
    if (fmtp)
        return copy_tok(f->fmtp, sizeof(f->fmtp), s, (size_t)(end - s));
    if (end - s == 4 && !memcmp(s, "nack", 4))
        f->nack = 1;
    else if (end - s == 8 && !memcmp(s, "nack pli", 8))
        f->pli = 1;
    else if (end - s == 8 && !memcmp(s, "ccm fir", 7))
        f->fir = 1;
    return 0;
}

/* a=candidate:foundation component transport priority addr port typ ... */
static void parse_candidate(SdpMedia *m, const char *s, const char *end)
{
    int field = 0;
    m->candidates++;
    while (s < end) {
        const char *t = s;
        while (t < end && *t != ' ')
            t++;
        if (field == 2 && t - s == 3 && !strncasecmp(s, "udp", 3))
            m->udp_candidates++;
        field++;
        s = t < end ? t + 1 : t;
    }
}

/* One attribute line (after "a="), at session level when m is NULL. */
static int parse_attr(SdpSession *ss, SdpMedia *m, SdpMedia *sess, const char *s, const char *end)
{
    SdpMedia *dst = m ? m : sess;
    const char *v;
    if (has_prefix(s, end, "group:BUNDLE")) {
        ss->bundle = 1;
        return 0;
    }
    if (has_prefix(s, end, "ice-lite")) {
        ss->ice_lite = 1;
        return 0;
    }
    if (has_prefix(s, end, "ice-ufrag:"))
        return copy_tok(dst->ufrag, sizeof(dst->ufrag), s + 10, (size_t)(end - s - 10));
    if (has_prefix(s, end, "ice-pwd:"))
        return copy_tok(dst->pwd, sizeof(dst->pwd), s + 8, (size_t)(end - s - 8));
    if (has_prefix(s, end, "fingerprint:")) {
        s += 12;
        v = s;
        while (v < end && *v != ' ')
            v++;
        if (v == end || copy_tok(dst->fp_alg, sizeof(dst->fp_alg), s, (size_t)(v - s)) < 0)
            return -1;
        return copy_tok(dst->fingerprint, sizeof(dst->fingerprint), v + 1, (size_t)(end - v - 1));
    }
    if (has_prefix(s, end, "setup:"))
        return copy_tok(dst->setup, sizeof(dst->setup), s + 6, (size_t)(end - s - 6));
    if (!m)
        return 0;
    if (has_prefix(s, end, "mid:"))
        return copy_tok(m->mid, sizeof(m->mid), s + 4, (size_t)(end - s - 4));
    if (end - s == 8 && !memcmp(s, "sendrecv", 8))
        m->dir = SDP_SENDRECV;
    else if (end - s == 8 && !memcmp(s, "sendonly", 8))
        m->dir = SDP_SENDONLY;
    else if (end - s == 8 && !memcmp(s, "recvonly", 8))
        m->dir = SDP_RECVONLY;
    else if (end - s == 8 && !memcmp(s, "inactive", 8))
        m->dir = SDP_INACTIVE;
    else if (end - s == 8 && !memcmp(s, "rtcp-mux", 8))
        m->rtcp_mux = 1;
    else if (has_prefix(s, end, "rtpmap:"))
        return parse_rtpmap(m, s + 7, end);
    else if (has_prefix(s, end, "fmtp:"))
        return parse_pt_attr(m, s + 5, end, 1);
    else if (has_prefix(s, end, "rtcp-fb:"))
        return parse_pt_attr(m, s + 8, end, 0);
    else if (has_prefix(s, end, "candidate:"))
        parse_candidate(m, s + 10, end);
    else if (has_prefix(s, end, "ssrc:") && !m->ssrc) {
        uint64_t v2 = 0;
        for (v = s + 5; v < end && *v >= '0' && *v <= '9' && v2 <= 0xffffffffu; v++)
            v2 = v2 * 10 + (uint64_t)(*v - '0');
        m->ssrc = v2 <= 0xffffffffu ? (uint32_t)v2 : 0;
    }
    return 0;
}

int sdp_parse(const char *text, size_t len, SdpSession *s, const char **why)
{
    const char *p = text, *end = text + len;
    SdpMedia sess;
    SdpMedia *m = NULL;
    int seen_v = 0;

    memset(s, 0, sizeof(*s));
    memset(&sess, 0, sizeof(sess));
    if (len > SDP_MAX_SIZE)
        FAIL("SDP larger than 64 KiB");
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        if (le > p && le[-1] == '\r')
            le--;
        if (le - p > SDP_MAX_LINE)
            FAIL("SDP line too long");
        for (const char *q = p; q < le; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t')
                FAIL("SDP line with a control character");
        if (le - p == 0) {
            p = eol ? eol + 1 : end;
            continue;
        }
        if (le - p < 2 || p[1] != '=')
            FAIL("SDP line not of the form x=...");
        if (!seen_v) {
            if (p[0] != 'v' || le - p != 3 || p[2] != '0')
                FAIL("SDP does not start with v=0");
            seen_v = 1;
        } else if (p[0] == 'm') {
            int r;
            if (s->nmedia >= SDP_MAX_MEDIA)
                FAIL("SDP with too many m= sections");
            m = &s->media[s->nmedia++];
            if ((r = parse_m_line(m, p + 2, le)) == -2)
                FAIL("SDP m= line with too many formats");
            else if (r < 0)
                FAIL("SDP m= line malformed");
        } else if (p[0] == 'a') {
            if (parse_attr(s, m, &sess, p + 2, le) < 0)
                FAIL("SDP attribute malformed or too long");
        }
        p = eol ? eol + 1 : end;
    }
    if (!seen_v)
        FAIL("SDP is empty");
    if (!s->nmedia)
        FAIL("SDP has no m= section");
    for (int i = 0; i < s->nmedia; i++) {
        SdpMedia *x = &s->media[i];
        if (!x->ufrag[0])
            strcpy(x->ufrag, sess.ufrag);
        if (!x->pwd[0])
            strcpy(x->pwd, sess.pwd);
        if (!x->fingerprint[0]) {
            strcpy(x->fp_alg, sess.fp_alg);
            strcpy(x->fingerprint, sess.fingerprint);
        }
        if (!x->setup[0])
            strcpy(x->setup, sess.setup);
    }
    return 0;
}

int sdp_fmtp_get(const char *fmtp, const char *key, char *out, size_t size)
{
    size_t kl = strlen(key);
    const char *p = fmtp;
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *e = p;
        while (*e && *e != ';')
            e++;
        if ((size_t)(e - p) > kl && !strncasecmp(p, key, kl) && p[kl] == '=') {
            if (copy_tok(out, size, p + kl + 1, (size_t)(e - p - kl - 1)) < 0)
                return AVERROR(ENOENT);
            return 0;
        }
        p = e;
    }
    return AVERROR(ENOENT);
}

int sdp_h264_profile(const char *fmtp, int *profile_idc, int *constraints)
{
    char v[16];
    char *end;
    unsigned long x;
    if (sdp_fmtp_get(fmtp, "profile-level-id", v, sizeof(v)) < 0 || strlen(v) != 6)
        return AVERROR_INVALIDDATA;
    x = strtoul(v, &end, 16);
    if (*end)
        return AVERROR_INVALIDDATA;
    *profile_idc = (int)(x >> 16);
    *constraints = (int)(x >> 8 & 0xff);
    return 0;
}

/* Can a stream of profile (idc, constrained) be sent as format f? */
static int h264_fits(const SdpFormat *f, const SdpCaps *caps, int *score)
{
    char pm[8];
    int idc, cons;
    if (strcasecmp(f->name, "H264") || f->clock != 90000)
        return 0;
    if (sdp_fmtp_get(f->fmtp, "packetization-mode", pm, sizeof(pm)) < 0 || strcmp(pm, "1"))
        return 0;
    if (sdp_h264_profile(f->fmtp, &idc, &cons) < 0) {
        idc = 66; /* RFC 6184: the default is baseline */
        cons = 0;
    }
    if (caps->h264_profile_idc == 66 && caps->h264_constrained) {
        /* constrained baseline decodes as baseline, main and high too */
        if (idc == 66 || idc == 77 || idc == 100) {
            *score = (idc == 66 && (cons & 0x40)) ? 3 : idc == 66 ? 2 : 1;
            return 1;
        }
        return 0;
    }
    if (idc == caps->h264_profile_idc) {
        *score = 3;
        return 1;
    }
    /* main is a subset of high */
    if (caps->h264_profile_idc == 77 && idc == 100) {
        *score = 1;
        return 1;
    }
    return 0;
}

/* Can we receive format f (WHIP)? H.264 in mode 1 first (constrained
 * baseline before the other profiles), then VP9 profile 0, then VP8
 * (last: live-segment's MP4 segments cannot carry it). */
static int receivable(const SdpFormat *f, int *score)
{
    char v[8];
    int idc, cons;
    if (f->clock != 90000)
        return 0;
    if (!strcasecmp(f->name, "H264")) {
        if (sdp_fmtp_get(f->fmtp, "packetization-mode", v, sizeof(v)) < 0 || strcmp(v, "1"))
            return 0;
        if (sdp_h264_profile(f->fmtp, &idc, &cons) < 0)
            idc = 66, cons = 0;
        *score = idc == 66 && (cons & 0x40) ? 40 : idc == 66 || idc == 77 || idc == 100 ? 35 : 30;
        return 1;
    }
    if (!strcasecmp(f->name, "VP9")) {
        if (sdp_fmtp_get(f->fmtp, "profile-id", v, sizeof(v)) == 0 && strcmp(v, "0"))
            return 0;
        *score = 20;
        return 1;
    }
    if (!strcasecmp(f->name, "VP8")) {
        *score = 10;
        return 1;
    }
    return 0;
}

/* The best video format of media section i (m) for us, into c. */
static void choose_video(const SdpMedia *m, int i, const SdpCaps *caps, SdpChoice *c)
{
    int best = 0;
    for (int k = 0; k < m->nfmt; k++) {
        int score = 0;
        if ((caps->send ? h264_fits(&m->fmt[k], caps, &score) : receivable(&m->fmt[k], &score)) &&
            score > best) {
            best = score;
            c->video = i;
            c->video_pt = m->fmt[k].pt;
            snprintf(c->video_fmtp, sizeof(c->video_fmtp), "%s", m->fmt[k].fmtp);
            c->video_nack = m->fmt[k].nack;
            c->video_pli = m->fmt[k].pli;
            c->video_fir = m->fmt[k].fir;
            /* as we write it, whatever the offer's case */
            snprintf(c->video_codec, sizeof(c->video_codec), "%s",
                     !strcasecmp(m->fmt[k].name, "VP8") ? "VP8"
                     : !strcasecmp(m->fmt[k].name, "VP9") ? "VP9" : "H264");
        }
    }
}

/* The first stereo 48 kHz Opus of media section i (m), into c. */
static void choose_audio(const SdpMedia *m, int i, SdpChoice *c)
{
    for (int k = 0; k < m->nfmt; k++) {
        const SdpFormat *f = &m->fmt[k];
        if (!strcasecmp(f->name, "opus") && f->clock == 48000 && f->channels == 2) {
            c->audio = i;
            c->audio_pt = f->pt;
            c->audio_nack = f->nack;
            break;
        }
    }
}

/* ICE, DTLS, rtcp-mux and BUNDLE of a chosen media section m. */
static int check_transport(const SdpSession *o, const SdpMedia *m, const SdpChoice *c,
                           const char **why)
{
    if (!m->ufrag[0] || !m->pwd[0])
        FAIL("the offer has no ICE credentials (a=ice-ufrag, a=ice-pwd)");
    if (strlen(m->ufrag) < 4 || strlen(m->pwd) < 22)
        FAIL("the offer's ICE credentials are too short");
    if (strcasecmp(m->fp_alg, "sha-256") || strlen(m->fingerprint) != 95)
        FAIL("the offer has no sha-256 DTLS fingerprint");
    if (strcmp(m->setup, "actpass") && strcmp(m->setup, "active"))
        FAIL("the offer must let us be the DTLS server (a=setup:actpass or active)");
    if (!m->rtcp_mux)
        FAIL("the offer must use rtcp-mux");
    /* RFC 8843: the offerer may give each m-section its own
     * transport; the answer puts them all on the first one's */
    if (c->video >= 0 && c->audio >= 0 && !o->bundle)
        FAIL("the offer must BUNDLE audio and video on one transport");
    return 0;
}

int sdp_select(const SdpSession *o, const SdpCaps *caps, SdpChoice *c, const char **why)
{
    int any_candidates = 0, udp_candidates = 0, video_offered = 0, ret;
    memset(c, 0, sizeof(*c));
    c->video = c->audio = -1;
    c->video_pt = c->audio_pt = -1;
    for (int i = 0; i < o->nmedia; i++) {
        const SdpMedia *m = &o->media[i];
        enum SdpDirection want_dir = caps->send ? SDP_SENDONLY : SDP_RECVONLY;
        if (m->port == 0 || strcmp(m->proto, "UDP/TLS/RTP/SAVPF"))
            continue;
        if (m->dir == want_dir || m->dir == SDP_INACTIVE)
            continue; /* it would not let us send (receive) */
        any_candidates += m->candidates;
        udp_candidates += m->udp_candidates;
        if (!strcmp(m->kind, "video") && caps->want_video && c->video < 0) {
            video_offered = 1;
            choose_video(m, i, caps, c);
        } else if (!strcmp(m->kind, "audio") && caps->want_audio && c->audio < 0) {
            choose_audio(m, i, c);
        }
    }
    if (caps->send && caps->want_video && c->video < 0)
        FAIL("the offer has no H.264 with packetization-mode=1 in a profile this stream can be sent as");
    if (!caps->send && video_offered && c->video < 0)
        FAIL("the offer's video has no H.264 (packetization-mode=1), VP8 or VP9 (profile 0)");
    if (c->video < 0 && c->audio < 0)
        FAIL("the offer has no usable media section");
    if ((c->video >= 0 && (ret = check_transport(o, &o->media[c->video], c, why)) < 0) ||
        (c->audio >= 0 && (ret = check_transport(o, &o->media[c->audio], c, why)) < 0))
        return ret;
    /* No candidates at all: the peer trickles or is found peer-reflexive
     * (we are ICE-lite, it connects to us). Only TCP or other ones: it
     * cannot reach our UDP port. */
    if (any_candidates && !udp_candidates)
        FAIL("the offer has no usable ICE candidate (UDP)");
    return 0;
}

static const char *dir_name(int send)
{
    return send ? "sendonly" : "recvonly";
}

char *sdp_answer(const SdpSession *o, const SdpChoice *c, const SdpAnswerParams *p)
{
    AVBPrint b;
    char *out = NULL;

    av_bprint_init(&b, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprintf(&b, "v=0\r\no=- %u%u 2 IN IP4 %s\r\ns=live\r\nt=0 0\r\n",
               p->video_ssrc, p->audio_ssrc, p->address);
    av_bprintf(&b, "a=ice-lite\r\n");
    if (o->bundle) {
        av_bprintf(&b, "a=group:BUNDLE");
        for (int i = 0; i < o->nmedia; i++)
            if (i == c->video || i == c->audio)
                av_bprintf(&b, " %s", o->media[i].mid);
        av_bprintf(&b, "\r\n");
    }
    av_bprintf(&b, "a=msid-semantic: WMS %s\r\n", p->stream);
    for (int i = 0; i < o->nmedia; i++) {
        const SdpMedia *m = &o->media[i];
        int video = i == c->video, audio = i == c->audio;
        if (!video && !audio) {
            av_bprintf(&b, "m=%s 0 %s", m->kind, m->proto[0] ? m->proto : "UDP/TLS/RTP/SAVPF");
            if (m->nfmt)
                for (int k = 0; k < m->nfmt; k++)
                    av_bprintf(&b, " %d", m->fmt[k].pt);
            else
                av_bprintf(&b, " 0");
            av_bprintf(&b, "\r\nc=IN IP4 0.0.0.0\r\n");
            if (m->mid[0])
                av_bprintf(&b, "a=mid:%s\r\n", m->mid);
            av_bprintf(&b, "a=inactive\r\n");
            continue;
        }
        int pt = video ? c->video_pt : c->audio_pt;
        uint32_t ssrc = video ? p->video_ssrc : p->audio_ssrc;
        const char *track = video ? "video" : "audio";
        av_bprintf(&b, "m=%s %d UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 %s\r\n", m->kind, p->port, pt,
                   p->address);
        av_bprintf(&b, "a=mid:%s\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", m->mid, p->ufrag, p->pwd);
        av_bprintf(&b, "a=fingerprint:sha-256 %s\r\na=setup:passive\r\na=%s\r\na=rtcp-mux\r\n",
                   p->fingerprint, dir_name(p->send));
        if (video && (!strcmp(c->video_codec, "VP8") || !strcmp(c->video_codec, "VP9"))) {
            av_bprintf(&b, "a=rtpmap:%d %s/90000\r\n", pt, c->video_codec);
            if (!strcmp(c->video_codec, "VP9"))
                av_bprintf(&b, "a=fmtp:%d profile-id=0\r\n", pt);
            av_bprintf(&b, "a=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\na=rtcp-fb:%d ccm fir\r\n",
                       pt, pt, pt);
        } else if (video) {
            char lvl[16];
            int idc, cons;
            av_bprintf(&b, "a=rtpmap:%d H264/90000\r\n", pt);
            if (sdp_fmtp_get(c->video_fmtp, "profile-level-id", lvl, sizeof(lvl)) < 0 ||
                sdp_h264_profile(c->video_fmtp, &idc, &cons) < 0)
                snprintf(lvl, sizeof(lvl), "42e01f");
            av_bprintf(&b, "a=fmtp:%d level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%s\r\n",
                       pt, lvl);
            av_bprintf(&b, "a=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\na=rtcp-fb:%d ccm fir\r\n",
                       pt, pt, pt);
        } else {
            av_bprintf(&b, "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d minptime=10;useinbandfec=1\r\n", pt, pt);
        }
        if (video && !p->send)  /* our REMB lets a publisher's bit rate grow */
            av_bprintf(&b, "a=rtcp-fb:%d goog-remb\r\n", pt);
        if (p->send) {
            av_bprintf(&b, "a=msid:%s %s-%s\r\n", p->stream, p->stream, track);
            av_bprintf(&b, "a=ssrc:%u cname:%s\r\na=ssrc:%u msid:%s %s-%s\r\n", ssrc, p->cname, ssrc,
                       p->stream, p->stream, track);
        }
        av_bprintf(&b, "a=candidate:1 1 udp 2130706431 %s %d typ host\r\n", p->address, p->port);
        av_bprintf(&b, "a=end-of-candidates\r\n");
    }
    if (!av_bprint_is_complete(&b) || av_bprint_finalize(&b, &out) < 0) {
        av_bprint_finalize(&b, NULL);
        return NULL;
    }
    return out;
}
