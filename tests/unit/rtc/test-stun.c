/* Unit tests for lib/rtc/stun.c: RFC 5769 test vectors, round trips,
 * integrity and fingerprint failures, malformed headers and attributes. */
#include <arpa/inet.h>
#include <string.h>

#include <libavutil/error.h>

#include "../tap.h"
#include "rtc/stun.h"

/* RFC 5769 2.1: sample request, password "VOkJxbRl1RmTxUk/WvJxBt" */
static const uint8_t req5769[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

int main(void)
{
    StunMsg m;
    StunBuilder b;
    uint8_t buf[STUN_MAX_MESSAGE], bad[sizeof(req5769)];
    const char *pwd = "VOkJxbRl1RmTxUk/WvJxBt";
    uint8_t txid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    struct sockaddr_in sin = { 0 };
    struct sockaddr_in6 sin6 = { 0 };
    int n;

    is_int(stun_parse(req5769, sizeof(req5769), &m), 0, "RFC 5769 request parses");
    is_int(m.type, STUN_BINDING_REQUEST, "it is a binding request");
    ok(m.username_len == 9 && !memcmp(m.username, "evtj:h6vY", 9), "USERNAME evtj:h6vY");
    is_int(m.priority, 0x6e0001ff, "PRIORITY");
    ok(m.ice_controlled && !m.ice_controlling, "ICE-CONTROLLED");
    is_int(stun_check_integrity(req5769, &m, pwd, strlen(pwd)), 0, "RFC 5769 MESSAGE-INTEGRITY verifies");
    is_int(stun_check_fingerprint(req5769, &m), 0, "RFC 5769 FINGERPRINT verifies");
    is_int(stun_check_integrity(req5769, &m, "wrong", 5), AVERROR_INVALIDDATA, "a wrong key fails");
    memcpy(bad, req5769, sizeof(bad));
    bad[46] ^= 1;
    is_int(stun_parse(bad, sizeof(bad), &m), 0, "a flipped PRIORITY bit still parses");
    is_int(stun_check_integrity(bad, &m, pwd, strlen(pwd)), AVERROR_INVALIDDATA, "but its integrity fails");
    is_int(stun_check_fingerprint(bad, &m), AVERROR_INVALIDDATA, "and its fingerprint fails");

    /* header checks */
    is_int(stun_parse(req5769, sizeof(req5769) - 4, &m), AVERROR_INVALIDDATA, "length mismatch refused");
    is_int(stun_parse(req5769, 19, &m), AVERROR_INVALIDDATA, "short header refused");
    memcpy(bad, req5769, sizeof(bad));
    bad[4] = 0;
    is_int(stun_parse(bad, sizeof(bad), &m), AVERROR_INVALIDDATA, "wrong magic cookie refused");
    memcpy(bad, req5769, sizeof(bad));
    bad[22] = 0xff; /* SOFTWARE length past the end */
    is_int(stun_parse(bad, sizeof(bad), &m), AVERROR_INVALIDDATA, "attribute length past the end refused");

    /* build a response, parse it back */
    sin.sin_family = AF_INET;
    sin.sin_port = htons(32853);
    inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
    stun_begin(&b, buf, sizeof(buf), STUN_BINDING_SUCCESS, txid);
    stun_add_xor_address(&b, (struct sockaddr *)&sin);
    n = stun_finish(&b, pwd, strlen(pwd));
    ok(n > 0 && n % 4 == 0, "a response is built (%d bytes)", n);
    is_int(stun_parse(buf, (size_t)n, &m), 0, "it parses");
    is_int(m.type, STUN_BINDING_SUCCESS, "as a success response");
    ok(!memcmp(m.txid, txid, 12), "with the transaction id");
    ok(m.mapped.ss_family == AF_INET && ((struct sockaddr_in *)&m.mapped)->sin_port == sin.sin_port &&
           ((struct sockaddr_in *)&m.mapped)->sin_addr.s_addr == sin.sin_addr.s_addr,
       "XOR-MAPPED-ADDRESS round trips (IPv4)");
    is_int(stun_check_integrity(buf, &m, pwd, strlen(pwd)), 0, "its integrity verifies");
    is_int(stun_check_fingerprint(buf, &m), 0, "its fingerprint verifies");

    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(1234);
    inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &sin6.sin6_addr);
    stun_begin(&b, buf, sizeof(buf), STUN_BINDING_SUCCESS, txid);
    stun_add_xor_address(&b, (struct sockaddr *)&sin6);
    n = stun_finish(&b, NULL, 0);
    is_int(stun_parse(buf, (size_t)n, &m), 0, "an IPv6 response parses");
    ok(m.mapped.ss_family == AF_INET6 &&
           !memcmp(&((struct sockaddr_in6 *)&m.mapped)->sin6_addr, &sin6.sin6_addr, 16),
       "XOR-MAPPED-ADDRESS round trips (IPv6)");
    is_int(stun_check_integrity(buf, &m, pwd, strlen(pwd)), AVERROR_INVALIDDATA, "no MESSAGE-INTEGRITY: refused");

    /* attribute after MESSAGE-INTEGRITY */
    stun_begin(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, txid);
    stun_add(&b, STUN_ATTR_MESSAGE_INTEGRITY, "01234567890123456789", 20);
    stun_add(&b, STUN_ATTR_USERNAME, "a:b", 3);
    is_int(stun_parse(buf, b.len, &m), AVERROR_INVALIDDATA, "an attribute after MESSAGE-INTEGRITY refused");

    /* builder overflow */
    stun_begin(&b, buf, 40, STUN_BINDING_REQUEST, txid);
    stun_add(&b, STUN_ATTR_USERNAME, "0123456789012345678901234567890", 31);
    ok(stun_finish(&b, NULL, 0) < 0, "a builder over its buffer fails");

    is_int(stun_demux(req5769, 1), STUN_DEMUX_STUN, "demux: STUN");
    is_int(stun_demux((const uint8_t *)"\x16", 1), STUN_DEMUX_DTLS, "demux: DTLS");
    is_int(stun_demux((const uint8_t *)"\x80", 1), STUN_DEMUX_RTP, "demux: RTP");
    is_int(stun_demux((const uint8_t *)"\xff", 1), STUN_DEMUX_OTHER, "demux: other");
    return done();
}
