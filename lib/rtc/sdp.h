/*
 * rtc/sdp.h: the SDP of WebRTC offer/answer (RFC 8866, RFC 8829 JSEP,
 * RFC 8843 BUNDLE), as much as a media server needs: parse a peer's
 * offer into SdpSession, choose what we can send or receive
 * (sdp_select), and write our answer (sdp_answer). No I/O.
 *
 *   v=0 / o= / s= / t=            session
 *   a=group:BUNDLE 0 1            one transport for all m-sections
 *   a=ice-ufrag / a=ice-pwd       (session or media level)
 *   a=fingerprint:sha-256 AB:..   the peer's DTLS certificate
 *   a=setup:actpass               the offerer lets us pick: we are passive
 *   m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 ...
 *   a=mid:0  a=recvonly  a=rtcp-mux
 *   a=rtpmap:102 H264/90000
 *   a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
 *   a=rtcp-fb:102 nack / nack pli / ccm fir
 *   a=candidate:... udp ... typ host
 *
 * Audio and video must be BUNDLEd; an offer that gives them separate
 * transports gets one, that of the first m-section we use (RFC 8843).
 *
 * Every line, attribute and count is bounded (SDP_MAX_*); an offer over a
 * bound is refused as a whole, not cut.
 */
#ifndef LIVE_RTC_SDP_H
#define LIVE_RTC_SDP_H

#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_SIZE    65536
#define SDP_MAX_LINE    4096
#define SDP_MAX_MEDIA   8
#define SDP_MAX_FORMATS 48
#define SDP_MAX_TOKEN   256

typedef struct SdpFormat {
    int pt;
    char name[32];          /* "H264", "opus", ... as written */
    int clock;
    int channels;
    char fmtp[SDP_MAX_TOKEN];
    int nack, pli, fir;
} SdpFormat;

enum SdpDirection { SDP_SENDRECV = 0, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

typedef struct SdpMedia {
    char kind[16];          /* video, audio, application, ... */
    int port;
    char proto[64];
    char mid[33];
    enum SdpDirection dir;
    int rtcp_mux;
    char ufrag[SDP_MAX_TOKEN + 1];
    char pwd[SDP_MAX_TOKEN + 1];
    char fp_alg[16];
    char fingerprint[SDP_MAX_TOKEN];
    char setup[16];
    int candidates;         /* a=candidate lines */
    int udp_candidates;     /* of them over UDP */
    uint32_t ssrc;          /* first a=ssrc, 0 if none */
    int nfmt;
    SdpFormat fmt[SDP_MAX_FORMATS];
} SdpMedia;

typedef struct SdpSession {
    int bundle;             /* a=group:BUNDLE present */
    int ice_lite;
    int nmedia;
    SdpMedia media[SDP_MAX_MEDIA];
} SdpSession;

/* Parses an offer (or answer). Session-level ice-ufrag, ice-pwd,
 * fingerprint and setup are copied into every m-section that has none.
 * On failure returns AVERROR_INVALIDDATA and points *why (if not NULL)
 * at a static sentence for the peer ("SDP line too long", ...). */
int sdp_parse(const char *text, size_t len, SdpSession *s, const char **why);

/* What we have to offer the peer: the H.264 profile of the stream. */
typedef struct SdpCaps {
    int h264_profile_idc;   /* 66 baseline, 77 main, 100 high */
    int h264_constrained;   /* constraint_set1: constrained baseline */
    int want_video, want_audio;
    int send;               /* 1: we send (WHEP), 0: we receive (WHIP) */
} SdpCaps;

typedef struct SdpChoice {
    int video;              /* index of the m-section we use, -1 if none */
    int audio;
    int video_pt, audio_pt;
    char video_fmtp[SDP_MAX_TOKEN];
    int video_nack, video_pli, video_fir, audio_nack;
    char video_codec[8];    /* "H264"; receiving (WHIP): "H264", "VP8" or "VP9" */
} SdpChoice;

/* Chooses an H.264 format with packetization-mode=1 whose profile the
 * stream can be sent as, and Opus/48000/2. Receiving (caps->send 0,
 * WHIP), any H.264 with packetization-mode=1 (constrained baseline
 * first), else VP9 profile 0, else VP8; video offered in none of these
 * fails, and so does an offer with neither usable video nor Opus. Fails (AVERROR_INVALIDDATA,
 * *why set) for: no BUNDLE-able DTLS transport (no UDP/TLS/RTP/SAVPF),
 * missing ICE credentials or fingerprint, setup other than actpass or
 * active, no rtcp-mux, no H.264 we can send, only non-UDP candidates,
 * or a direction that does not let us send (receive). */
int sdp_select(const SdpSession *offer, const SdpCaps *caps, SdpChoice *c, const char **why);

typedef struct SdpAnswerParams {
    const char *ufrag, *pwd;
    const char *fingerprint;    /* "AB:CD:..." of our certificate, sha-256 */
    const char *address;        /* host candidate address */
    int port;
    uint32_t video_ssrc, audio_ssrc;
    const char *cname;
    const char *stream;         /* msid stream id */
    int send;                   /* as in SdpCaps */
} SdpAnswerParams;

/* Writes the answer to the offer for choice c. Returns a string the
 * caller frees with av_free, or NULL when out of memory. */
char *sdp_answer(const SdpSession *offer, const SdpChoice *c, const SdpAnswerParams *p);

/* profile_idc and constraint flags from a fmtp's profile-level-id; 0 or
 * AVERROR_INVALIDDATA when there is none or it is not 6 hex digits. */
int sdp_h264_profile(const char *fmtp, int *profile_idc, int *constraints);
/* The value of key in a "k=v;k=v" fmtp, copied to out; 0 or AVERROR(ENOENT). */
int sdp_fmtp_get(const char *fmtp, const char *key, char *out, size_t size);

#endif
