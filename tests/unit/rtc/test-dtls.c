/* Unit tests for lib/rtc/dtls.c: two in-memory peers complete a
 * DTLS-SRTP handshake, agree on keys, and a wrong fingerprint fails. */
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "rtc/dtls.h"

/* Moves datagrams both ways until neither has any; returns rounds used. */
static int shuttle(DtlsConn *cl, DtlsConn *sv, int *cl_ret, int *sv_ret, int drop_first)
{
    uint8_t d[2048];
    int rounds = 0, moved;
    do {
        int n;
        moved = 0;
        while ((n = dtls_conn_pop(cl, d, sizeof(d))) > 0) {
            moved = 1;
            if (drop_first-- > 0)
                continue; /* lost on the way */
            int r = dtls_conn_feed(sv, d, (size_t)n);
            if (r)
                *sv_ret = r;
        }
        while ((n = dtls_conn_pop(sv, d, sizeof(d))) > 0) {
            moved = 1;
            int r = dtls_conn_feed(cl, d, (size_t)n);
            if (r)
                *cl_ret = r;
        }
        if (!moved && !dtls_conn_done(cl) && dtls_conn_timeout(cl) >= 0) {
            usleep((useconds_t)dtls_conn_timeout(cl) + 1000); /* the timer fires */
            dtls_conn_handle_timeout(cl);
            moved = 1;
        }
    } while (moved && ++rounds < 50);
    return rounds;
}

int main(void)
{
    DtlsCert *ca = NULL, *cb = NULL;
    DtlsConn *cl = NULL, *sv = NULL;
    DtlsSrtpKeys kc, ks;
    int cr = 0, sr = 0;
    uint8_t junk[64] = { 23, 0xfe, 0xfd };

    is_int(dtls_cert_new(&ca), 0, "a certificate is made");
    is_int(dtls_cert_new(&cb), 0, "and another");
    is_int(strlen(dtls_cert_fingerprint(ca)), 95, "the fingerprint is 32 hex pairs");
    ok(strcmp(dtls_cert_fingerprint(ca), dtls_cert_fingerprint(cb)), "fingerprints differ");

    is_int(dtls_conn_new(&sv, ca, 1, dtls_cert_fingerprint(cb)), 0, "server connection");
    is_int(dtls_conn_new(&cl, cb, 0, dtls_cert_fingerprint(ca)), 0, "client connection");
    is_int(dtls_conn_feed(sv, junk, sizeof(junk)), 0, "garbage before the handshake is dropped");
    is_int(dtls_conn_start(cl), 0, "the client starts");
    shuttle(cl, sv, &cr, &sr, 0);
    ok(dtls_conn_done(cl) && dtls_conn_done(sv), "both complete the handshake");
    is_int(sr, 1, "the server reports completion once");
    is_int(dtls_conn_srtp_keys(sv, &ks), 0, "server keys");
    is_int(dtls_conn_srtp_keys(cl, &kc), 0, "client keys");
    ok(ks.profile == kc.profile && ks.profile > 0, "one SRTP profile (%d)", ks.profile);
    ok(!memcmp(ks.local, kc.remote, (size_t)(ks.key_len + ks.salt_len)) &&
           !memcmp(ks.remote, kc.local, (size_t)(ks.key_len + ks.salt_len)),
       "what one sends with the other receives with");
    ok(memcmp(ks.local, ks.remote, (size_t)ks.key_len), "the two directions differ");
    dtls_conn_close(cl);
    {
        uint8_t d[2048];
        int n = dtls_conn_pop(cl, d, sizeof(d));
        ok(n > 0 && dtls_conn_feed(sv, d, (size_t)n) == AVERROR_EOF, "close_notify ends the server side");
    }
    dtls_conn_free(&cl);
    dtls_conn_free(&sv);
    ok(!cl && !sv, "free clears the pointers");

    /* the first flight lost: the retransmission timer recovers */
    cr = sr = 0;
    dtls_conn_new(&sv, ca, 1, dtls_cert_fingerprint(cb));
    dtls_conn_new(&cl, cb, 0, dtls_cert_fingerprint(ca));
    dtls_conn_start(cl);
    shuttle(cl, sv, &cr, &sr, 1);
    ok(dtls_conn_done(cl) && dtls_conn_done(sv), "a lost ClientHello is retransmitted");
    dtls_conn_free(&cl);
    dtls_conn_free(&sv);

    /* the server expects another certificate */
    cr = sr = 0;
    dtls_conn_new(&sv, ca, 1, dtls_cert_fingerprint(ca));
    dtls_conn_new(&cl, cb, 0, dtls_cert_fingerprint(ca));
    dtls_conn_start(cl);
    shuttle(cl, sv, &cr, &sr, 0);
    is_int(sr, AVERROR_INVALIDDATA, "a peer certificate not matching the SDP fingerprint fails");
    ok(!dtls_conn_done(sv), "and the server is not done");
    is_int(dtls_conn_srtp_keys(sv, &ks), AVERROR(EAGAIN), "no keys then");
    dtls_conn_free(&cl);
    dtls_conn_free(&sv);
    dtls_cert_free(&ca);
    dtls_cert_free(&cb);
    dtls_cert_free(&ca);
    ok(!ca, "cert free twice is harmless");
    return done();
}
