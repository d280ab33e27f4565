/*
 * rtc/ice.c: ICE-lite binding request handling and consent freshness.
 * See ice.h.
 */
#include <string.h>

#include <libavutil/error.h>
#include <openssl/rand.h>

#include "rtc/ice.h"
#include "rtc/stun.h"

int ice_random_string(char *out, size_t n)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char r[64];
    if (n > sizeof(r))
        return AVERROR(EINVAL);
    if (RAND_bytes(r, (int)n) != 1)
        return AVERROR_EXTERNAL;
    for (size_t i = 0; i < n; i++)
        out[i] = chars[r[i] & 63];
    out[n] = '\0';
    return 0;
}

static int valid_ice_chars(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return 0;
    }
    return 1;
}

int ice_agent_init(IceAgent *a, const char *remote_ufrag, const char *remote_pwd, int64_t consent_timeout)
{
    int ret;
    memset(a, 0, sizeof(*a));
    /* RFC 8839: ufrag 4..256 ice-chars, pwd 22..256 */
    if (!valid_ice_chars(remote_ufrag, 4, ICE_MAX_UFRAG) || !valid_ice_chars(remote_pwd, 22, ICE_MAX_UFRAG))
        return AVERROR(EINVAL);
    strcpy(a->remote_ufrag, remote_ufrag);
    strcpy(a->remote_pwd, remote_pwd);
    if ((ret = ice_random_string(a->local_ufrag, ICE_UFRAG_LEN)) < 0 ||
        (ret = ice_random_string(a->local_pwd, ICE_PWD_LEN)) < 0)
        return ret;
    a->consent_timeout = consent_timeout > 0 ? consent_timeout : 30000000;
    return 0;
}

int ice_request_ufrag(const uint8_t *p, size_t len, char *out, size_t size)
{
    StunMsg m;
    size_t n = 0;
    if (stun_parse(p, len, &m) < 0 || m.type != STUN_BINDING_REQUEST || !m.username || !size)
        return AVERROR_INVALIDDATA;
    while (n < m.username_len && m.username[n] != ':')
        n++;
    if (n == m.username_len || n == 0 || n >= size)
        return AVERROR_INVALIDDATA;
    memcpy(out, m.username, n);
    out[n] = '\0';
    return 0;
}

int ice_agent_handle(IceAgent *a, const uint8_t *p, size_t len, const struct sockaddr *from,
                     socklen_t fromlen, int64_t now, uint8_t *out, size_t cap)
{
    StunMsg m;
    StunBuilder b;
    size_t lu = strlen(a->local_ufrag), ru = strlen(a->remote_ufrag);

    if (stun_parse(p, len, &m) < 0 || m.type != STUN_BINDING_REQUEST)
        goto bad;
    /* USERNAME = local:remote, exactly */
    if (!m.username || m.username_len != lu + 1 + ru || memcmp(m.username, a->local_ufrag, lu) ||
        m.username[lu] != ':' || memcmp(m.username + lu + 1, a->remote_ufrag, ru))
        goto bad;
    if (m.fingerprint_off && stun_check_fingerprint(p, &m) < 0)
        goto bad;
    if (stun_check_integrity(p, &m, a->local_pwd, strlen(a->local_pwd)) < 0)
        goto bad;
    if (m.unknown_required || !m.ice_controlling)
        goto bad;    /* a lite agent is always controlled: the peer must control */
    if (fromlen > sizeof(a->peer))
        goto bad;
    stun_begin(&b, out, cap, STUN_BINDING_SUCCESS, m.txid);
    stun_add_xor_address(&b, from);
    int n = stun_finish(&b, a->local_pwd, strlen(a->local_pwd));
    if (n < 0)
        return n;
    a->checks++;
    a->last_check = now;
    /* Media follows the nominated pair; before nomination, the address
     * the checks come from (a lite agent's only choice anyway). */
    if (m.use_candidate || !a->nominated) {
        memcpy(&a->peer, from, fromlen);
        a->peer_len = fromlen;
    }
    if (m.use_candidate)
        a->nominated = 1;
    return n;
bad:
    a->bad_checks++;
    return AVERROR_INVALIDDATA;
}

int ice_agent_connected(const IceAgent *a)
{
    return a->nominated && a->last_check;
}

int ice_agent_expired(const IceAgent *a, int64_t start, int64_t now)
{
    int64_t last = a->last_check ? a->last_check : start;
    return now - last > a->consent_timeout;
}
