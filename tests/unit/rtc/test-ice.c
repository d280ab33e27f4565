/* Unit tests for lib/rtc/ice.c: an ICE-lite agent answering a full
 * agent's checks: credentials, integrity, nomination, consent expiry. */
#include <arpa/inet.h>
#include <string.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "rtc/ice.h"
#include "rtc/stun.h"

static int request(uint8_t *buf, const char *user, const char *pwd, int use_candidate, int controlling)
{
    StunBuilder b;
    uint8_t txid[12] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2 };
    stun_begin(&b, buf, STUN_MAX_MESSAGE, STUN_BINDING_REQUEST, txid);
    stun_add(&b, STUN_ATTR_USERNAME, user, strlen(user));
    stun_add_u32(&b, STUN_ATTR_PRIORITY, 1853824767);
    if (controlling)
        stun_add_u64(&b, STUN_ATTR_ICE_CONTROLLING, 0x1122334455667788ull);
    if (use_candidate)
        stun_add(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    return stun_finish(&b, pwd, strlen(pwd));
}

int main(void)
{
    IceAgent a;
    uint8_t req[STUN_MAX_MESSAGE], out[STUN_MAX_MESSAGE];
    char user[64], uf[32];
    struct sockaddr_in from = { 0 }, other = { 0 };
    StunMsg m;
    int n, r;

    is_int(ice_agent_init(&a, "ab", "0123456789012345678901", 0), AVERROR(EINVAL), "a 2-char remote ufrag is refused");
    is_int(ice_agent_init(&a, "abcd", "short", 0), AVERROR(EINVAL), "a short remote password is refused");
    is_int(ice_agent_init(&a, "ab;d", "0123456789012345678901", 0), AVERROR(EINVAL), "a non ice-char is refused");
    is_int(ice_agent_init(&a, "Rmte", "RemotePassword01234567890", 5000000), 0, "agent made");
    is_int(strlen(a.local_ufrag), ICE_UFRAG_LEN, "local ufrag length");
    is_int(strlen(a.local_pwd), ICE_PWD_LEN, "local password length");

    from.sin_family = AF_INET;
    from.sin_port = htons(50000);
    inet_pton(AF_INET, "127.0.0.1", &from.sin_addr);
    other = from;
    other.sin_port = htons(50001);
    snprintf(user, sizeof(user), "%s:Rmte", a.local_ufrag);

    n = request(req, user, a.local_pwd, 0, 1);
    is_int(ice_request_ufrag(req, (size_t)n, uf, sizeof(uf)), 0, "the local ufrag is read from a request");
    is_str(uf, a.local_ufrag, "it is ours");
    r = ice_agent_handle(&a, req, (size_t)n, (struct sockaddr *)&from, sizeof(from), 1000000, out, sizeof(out));
    ok(r > 0, "a valid check is answered");
    is_int(stun_parse(out, (size_t)r, &m), 0, "the answer parses");
    is_int(m.type, STUN_BINDING_SUCCESS, "as a binding success");
    is_int(stun_check_integrity(out, &m, a.local_pwd, strlen(a.local_pwd)), 0, "signed with our password");
    is_int(stun_check_fingerprint(out, &m), 0, "with a fingerprint");
    ok(((struct sockaddr_in *)&m.mapped)->sin_port == from.sin_port, "the mapped address is the sender's");
    ok(!ice_agent_connected(&a), "not connected before nomination");

    n = request(req, user, "WrongPassword0123456789012", 1, 1);
    is_int(ice_agent_handle(&a, req, (size_t)n, (struct sockaddr *)&other, sizeof(other), 1500000, out, sizeof(out)),
           AVERROR_INVALIDDATA, "a wrong MESSAGE-INTEGRITY is dropped");
    n = request(req, "zzzzzzzz:Rmte", a.local_pwd, 1, 1);
    is_int(ice_agent_handle(&a, req, (size_t)n, (struct sockaddr *)&other, sizeof(other), 1500000, out, sizeof(out)),
           AVERROR_INVALIDDATA, "a wrong username is dropped");
    n = request(req, user, a.local_pwd, 1, 0);
    is_int(ice_agent_handle(&a, req, (size_t)n, (struct sockaddr *)&other, sizeof(other), 1500000, out, sizeof(out)),
           AVERROR_INVALIDDATA, "a check without ICE-CONTROLLING is dropped (we are lite)");
    is_int(a.bad_checks, 3, "three bad checks counted");
    ok(((struct sockaddr_in *)&a.peer)->sin_port == from.sin_port, "bad checks do not move the peer");

    n = request(req, user, a.local_pwd, 1, 1);
    ok(ice_agent_handle(&a, req, (size_t)n, (struct sockaddr *)&other, sizeof(other), 2000000, out, sizeof(out)) > 0,
       "USE-CANDIDATE is answered");
    ok(ice_agent_connected(&a), "connected after nomination");
    ok(((struct sockaddr_in *)&a.peer)->sin_port == other.sin_port, "media goes to the nominated address");
    n = request(req, user, a.local_pwd, 0, 1);
    ok(ice_agent_handle(&a, req, (size_t)n, (struct sockaddr *)&from, sizeof(from), 3000000, out, sizeof(out)) > 0,
       "a later plain check is answered");
    ok(((struct sockaddr_in *)&a.peer)->sin_port == other.sin_port, "but does not move a nominated pair");
    ok(!ice_agent_expired(&a, 0, 7000000), "consent holds 4 s after the last check");
    ok(ice_agent_expired(&a, 0, 8000001), "consent lapses 5 s after the last check");
    {
        IceAgent b;
        ice_agent_init(&b, "Rmte", "RemotePassword01234567890", 5000000);
        ok(!ice_agent_expired(&b, 100, 5000000) && ice_agent_expired(&b, 100, 5000101),
           "an agent never checked expires 5 s after its start");
    }
    return done();
}
