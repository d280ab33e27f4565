/*
 * rtc/dtls.c: DTLS-SRTP handshakes on OpenSSL with an in-memory datagram
 * BIO. See dtls.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/error.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rtc/dtls.h"

#define QUEUE_MAX 32

struct DtlsCert {
    EVP_PKEY *key;
    X509 *x509;
    SSL_CTX *ctx;
    char fingerprint[DTLS_FINGERPRINT_SIZE];
};

typedef struct Datagram {
    size_t len;
    uint8_t data[DTLS_MTU + 300];
} Datagram;

/* What the BIO reads from and writes to. */
typedef struct DgramQueue {
    const uint8_t *in;      /* the datagram being fed, read once */
    size_t in_len;
    int head, count;
    Datagram out[QUEUE_MAX];
} DgramQueue;

struct DtlsConn {
    SSL *ssl;
    DgramQueue q;
    int server;
    int done;
    int failed;
    char peer_fp[DTLS_FINGERPRINT_SIZE];
};

/* ---- the datagram BIO ---- */

static int dgram_write(BIO *b, const char *buf, int len)
{
    DgramQueue *q = BIO_get_data(b);
    Datagram *d;
    if (len < 0 || (size_t)len > sizeof(q->out[0].data) || q->count >= QUEUE_MAX)
        return -1; /* dropped, as a full socket buffer would */
    d = &q->out[(q->head + q->count) % QUEUE_MAX];
    memcpy(d->data, buf, (size_t)len);
    d->len = (size_t)len;
    q->count++;
    return len;
}

static int dgram_read(BIO *b, char *buf, int len)
{
    DgramQueue *q = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!q->in) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = q->in_len < (size_t)len ? q->in_len : (size_t)len;
    memcpy(buf, q->in, n);
    q->in = NULL;
    q->in_len = 0;
    return (int)n;
}

static long dgram_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    DgramQueue *q = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return q && q->in ? (long)q->in_len : 0;
    case BIO_CTRL_WPENDING:
        return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return DTLS_MTU;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return 28;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:
        return 0;
    default:
        return 0;
    }
}

static int dgram_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *dgram_method(void)
{
    static BIO_METHOD *m;
    if (!m) {
        /* made once; a race between threads frees the loser's copy */
        BIO_METHOD *x = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "live-dgram");
        if (!x)
            return NULL;
        BIO_meth_set_write(x, dgram_write);
        BIO_meth_set_read(x, dgram_read);
        BIO_meth_set_ctrl(x, dgram_ctrl);
        BIO_meth_set_create(x, dgram_create);
        if (!__sync_bool_compare_and_swap(&m, NULL, x))
            BIO_meth_free(x);
    }
    return m;
}

/* ---- certificate ---- */

static void fingerprint_of(X509 *x, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    out[0] = '\0';
    if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32)
        return;
    for (unsigned i = 0; i < n; i++)
        sprintf(out + 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
}

static int verify_any(int preverify, X509_STORE_CTX *ctx)
{
    /* Self-signed certificates are the rule in WebRTC: the fingerprint
     * from the SDP is checked after the handshake instead. */
    return 1;
}

int dtls_cert_new(DtlsCert **out)
{
    DtlsCert *c = calloc(1, sizeof(*c));
    X509_NAME *name;
    uint8_t serial[8];
    int ret = AVERROR_EXTERNAL;

    *out = NULL;
    if (!c)
        return AVERROR(ENOMEM);
    if (!(c->key = EVP_EC_gen("P-256")) || !(c->x509 = X509_new()))
        goto fail;
    if (RAND_bytes(serial, sizeof(serial)) != 1)
        goto fail;
    serial[0] &= 0x7f;
    ASN1_INTEGER_set_int64(X509_get_serialNumber(c->x509),
                           (int64_t)((uint64_t)serial[0] << 56 | (uint64_t)serial[1] << 48 |
                                     (uint64_t)serial[2] << 40 | (uint64_t)serial[3] << 32 |
                                     (uint64_t)serial[4] << 24 | (uint64_t)serial[5] << 16 |
                                     (uint64_t)serial[6] << 8 | serial[7]));
    X509_set_version(c->x509, 2);
    X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400);
    X509_gmtime_adj(X509_getm_notAfter(c->x509), 30L * 86400);
    name = X509_get_subject_name(c->x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"live-rtc", -1, -1, 0);
    X509_set_issuer_name(c->x509, name);
    if (!X509_set_pubkey(c->x509, c->key) || !X509_sign(c->x509, c->key, EVP_sha256()))
        goto fail;
    fingerprint_of(c->x509, c->fingerprint);
    if (!c->fingerprint[0])
        goto fail;
    if (!(c->ctx = SSL_CTX_new(DTLS_method())))
        goto fail;
    SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION);
    if (SSL_CTX_use_certificate(c->ctx, c->x509) != 1 || SSL_CTX_use_PrivateKey(c->ctx, c->key) != 1)
        goto fail;
    /* returns 0 on success */
    if (SSL_CTX_set_tlsext_use_srtp(c->ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"))
        goto fail;
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_any);
    SSL_CTX_set_read_ahead(c->ctx, 1);
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
    *out = c;
    return 0;
fail:
    ERR_clear_error();
    dtls_cert_free(&c);
    return ret;
}

void dtls_cert_free(DtlsCert **pc)
{
    DtlsCert *c = *pc;
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    X509_free(c->x509);
    EVP_PKEY_free(c->key);
    free(c);
    *pc = NULL;
}

const char *dtls_cert_fingerprint(const DtlsCert *c)
{
    return c->fingerprint;
}

/* ---- connection ---- */

/* Retransmission timer: 200 ms, doubling up to 3 s (OpenSSL's 1 s start
 * is long for a viewer waiting for a picture). */
static unsigned int timer_cb(SSL *ssl, unsigned int previous_us)
{
    unsigned int next = previous_us ? previous_us * 2 : 200000;
    return next > 3000000 ? 3000000 : next;
}

int dtls_conn_new(DtlsConn **out, DtlsCert *cert, int server, const char *peer_fingerprint)
{
    DtlsConn *c = calloc(1, sizeof(*c));
    BIO *bio;

    *out = NULL;
    if (!c)
        return AVERROR(ENOMEM);
    if (!dgram_method() || !(c->ssl = SSL_new(cert->ctx)) || !(bio = BIO_new(dgram_method()))) {
        ERR_clear_error();
        dtls_conn_free(&c);
        return AVERROR(ENOMEM);
    }
    BIO_set_data(bio, &c->q);
    SSL_set_bio(c->ssl, bio, bio);  /* SSL owns it: one reference for both */
    SSL_set_mtu(c->ssl, DTLS_MTU - 28);
    DTLS_set_link_mtu(c->ssl, DTLS_MTU);
    DTLS_set_timer_cb(c->ssl, timer_cb);
    c->server = server;
    if (server)
        SSL_set_accept_state(c->ssl);
    else
        SSL_set_connect_state(c->ssl);
    snprintf(c->peer_fp, sizeof(c->peer_fp), "%s", peer_fingerprint ? peer_fingerprint : "");
    *out = c;
    return 0;
}

void dtls_conn_free(DtlsConn **pc)
{
    DtlsConn *c = *pc;
    if (!c)
        return;
    SSL_free(c->ssl);
    free(c);
    *pc = NULL;
}

static int check_peer(DtlsConn *c)
{
    X509 *peer = SSL_get0_peer_certificate(c->ssl);
    char fp[DTLS_FINGERPRINT_SIZE];
    if (!peer || !SSL_get_selected_srtp_profile(c->ssl))
        return AVERROR_INVALIDDATA;
    fingerprint_of(peer, fp);
    if (!fp[0] || strcasecmp(fp, c->peer_fp))
        return AVERROR_INVALIDDATA;
    return 0;
}

static int step(DtlsConn *c)
{
    int r, err;
    if (c->failed)
        return AVERROR_INVALIDDATA;
    if (!c->done) {
        r = SSL_do_handshake(c->ssl);
        if (r == 1) {
            if (check_peer(c) < 0) {
                c->failed = 1;
                SSL_shutdown(c->ssl);
                return AVERROR_INVALIDDATA;
            }
            c->done = 1;
            return 1;
        }
        err = SSL_get_error(c->ssl, r);
        ERR_clear_error();
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            return 0;
        c->failed = 1;
        return AVERROR_INVALIDDATA;
    }
    {
        uint8_t buf[2048];
        r = SSL_read(c->ssl, buf, sizeof(buf)); /* alerts; application data is not expected */
        if (r > 0)
            return 0;
        err = SSL_get_error(c->ssl, r);
        ERR_clear_error();
        if (err == SSL_ERROR_ZERO_RETURN)
            return AVERROR_EOF;
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            return 0;
        return AVERROR_EOF;
    }
}

int dtls_conn_start(DtlsConn *c)
{
    int r = step(c);
    return r < 0 ? r : 0;
}

int dtls_conn_feed(DtlsConn *c, const uint8_t *p, size_t len)
{
    int r;
    c->q.in = p;
    c->q.in_len = len;
    r = step(c);
    c->q.in = NULL;
    c->q.in_len = 0;
    return r;
}

int dtls_conn_pop(DtlsConn *c, uint8_t *out, size_t cap)
{
    Datagram *d;
    if (!c->q.count)
        return 0;
    d = &c->q.out[c->q.head];
    c->q.head = (c->q.head + 1) % QUEUE_MAX;
    c->q.count--;
    if (d->len > cap)
        return AVERROR(ENOSPC);
    memcpy(out, d->data, d->len);
    return (int)d->len;
}

int64_t dtls_conn_timeout(DtlsConn *c)
{
    struct timeval tv;
    if (c->done || c->failed || DTLSv1_get_timeout(c->ssl, &tv) != 1)
        return -1;
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

void dtls_conn_handle_timeout(DtlsConn *c)
{
    if (!c->done && !c->failed)
        DTLSv1_handle_timeout(c->ssl);
    ERR_clear_error();
}

int dtls_conn_done(const DtlsConn *c)
{
    return c->done;
}

int dtls_conn_srtp_keys(DtlsConn *c, DtlsSrtpKeys *k)
{
    SRTP_PROTECTION_PROFILE *prof;
    uint8_t m[2 * (16 + 14)];
    int kl = 16, sl;

    memset(k, 0, sizeof(*k));
    if (!c->done || !(prof = SSL_get_selected_srtp_profile(c->ssl)))
        return AVERROR(EAGAIN);
    switch (prof->id) {
    case SRTP_AES128_CM_SHA1_80: k->profile = DTLS_SRTP_AES128_CM_SHA1_80; sl = 14; break;
    case SRTP_AES128_CM_SHA1_32: k->profile = DTLS_SRTP_AES128_CM_SHA1_32; sl = 14; break;
    case SRTP_AEAD_AES_128_GCM:  k->profile = DTLS_SRTP_AEAD_AES_128_GCM; sl = 12; break;
    default: return AVERROR_INVALIDDATA;
    }
    if (SSL_export_keying_material(c->ssl, m, (size_t)(2 * (kl + sl)), "EXTRACTOR-dtls_srtp", 19,
                                   NULL, 0, 0) != 1) {
        ERR_clear_error();
        return AVERROR_EXTERNAL;
    }
    /* client key, server key, client salt, server salt */
    const uint8_t *ck = m, *sk = m + kl, *cs = m + 2 * kl, *ss = m + 2 * kl + sl;
    uint8_t *lo = k->local, *re = k->remote;
    memcpy(lo, c->server ? sk : ck, kl);
    memcpy(lo + kl, c->server ? ss : cs, sl);
    memcpy(re, c->server ? ck : sk, kl);
    memcpy(re + kl, c->server ? cs : ss, sl);
    k->key_len = kl;
    k->salt_len = sl;
    return 0;
}

void dtls_conn_close(DtlsConn *c)
{
    if (c->done)
        SSL_shutdown(c->ssl);
    ERR_clear_error();
}
