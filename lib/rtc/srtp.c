/*
 * rtc/srtp.c: SRTP/SRTCP through libsrtp2. See srtp.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <srtp2/srtp.h>

#include "rtc/srtp.h"

struct RtcSrtp {
    srtp_t tx, rx;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status;

static void init_lib(void)
{
    init_status = srtp_init() == srtp_err_status_ok ? 0 : AVERROR_EXTERNAL;
}

static int set_policy(srtp_policy_t *p, int profile)
{
    memset(p, 0, sizeof(*p));
    switch (profile) {
    case DTLS_SRTP_AES128_CM_SHA1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
        return 0;
    case DTLS_SRTP_AES128_CM_SHA1_32:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp); /* RFC 5764: SRTCP keeps 80 */
        return 0;
    case DTLS_SRTP_AEAD_AES_128_GCM:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
        return 0;
    default:
        return AVERROR(EINVAL);
    }
}

int rtc_srtp_new(RtcSrtp **out, const DtlsSrtpKeys *k)
{
    RtcSrtp *s;
    srtp_policy_t tx, rx;
    uint8_t ktx[32], krx[32];

    *out = NULL;
    pthread_once(&init_once, init_lib);
    if (init_status < 0)
        return init_status;
    if (set_policy(&tx, k->profile) < 0 || set_policy(&rx, k->profile) < 0)
        return AVERROR(EINVAL);
    if (!(s = calloc(1, sizeof(*s))))
        return AVERROR(ENOMEM);
    memcpy(ktx, k->local, sizeof(ktx));
    memcpy(krx, k->remote, sizeof(krx));
    tx.ssrc.type = ssrc_any_outbound;
    tx.key = ktx;
    tx.window_size = 1024;
    tx.allow_repeat_tx = 1; /* NACK answers resend the same packet */
    rx.ssrc.type = ssrc_any_inbound;
    rx.key = krx;
    rx.window_size = 1024;
    if (srtp_create(&s->tx, &tx) != srtp_err_status_ok) {
        free(s);
        return AVERROR_EXTERNAL;
    }
    if (srtp_create(&s->rx, &rx) != srtp_err_status_ok) {
        srtp_dealloc(s->tx);
        free(s);
        return AVERROR_EXTERNAL;
    }
    *out = s;
    return 0;
}

void rtc_srtp_free(RtcSrtp **ps)
{
    RtcSrtp *s = *ps;
    if (!s)
        return;
    srtp_dealloc(s->tx);
    srtp_dealloc(s->rx);
    free(s);
    *ps = NULL;
}

typedef srtp_err_status_t (*SrtpFn)(srtp_t, void *, int *);

static int run(srtp_t ctx, SrtpFn fn, uint8_t *buf, size_t *len, size_t min)
{
    int n;
    if (*len < min || *len > 65535)
        return AVERROR_INVALIDDATA;
    n = (int)*len;
    if (fn(ctx, buf, &n) != srtp_err_status_ok)
        return AVERROR_INVALIDDATA;
    *len = (size_t)n;
    return 0;
}

int rtc_srtp_protect(RtcSrtp *s, uint8_t *buf, size_t *len)
{
    return run(s->tx, srtp_protect, buf, len, 12);
}

int rtc_srtp_protect_rtcp(RtcSrtp *s, uint8_t *buf, size_t *len)
{
    return run(s->tx, srtp_protect_rtcp, buf, len, 8);
}

int rtc_srtp_unprotect(RtcSrtp *s, uint8_t *buf, size_t *len)
{
    return run(s->rx, srtp_unprotect, buf, len, 12);
}

int rtc_srtp_unprotect_rtcp(RtcSrtp *s, uint8_t *buf, size_t *len)
{
    return run(s->rx, srtp_unprotect_rtcp, buf, len, 8);
}
