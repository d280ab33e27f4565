/*
 * fuzz/rtc-stun.c: libFuzzer target for STUN parsing and the ICE-lite
 * agent (lib/rtc/stun.c, lib/rtc/ice.c): any host can send a datagram to
 * live-rtc's UDP port.
 *
 * Links: lib/rtc/stun.c lib/rtc/ice.c
 *
 * Properties: the parser's offsets lie inside the message; the agent
 * never answers a check it cannot verify (the fuzzer does not know the
 * password); a message rebuilt from the parsed fields with a key parses
 * and verifies.
 */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "rtc/ice.h"
#include "rtc/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    StunMsg m;
    IceAgent a;
    char uf[64];
    uint8_t out[STUN_MAX_MESSAGE];
    struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(9) };

    if (stun_parse(data, size, &m) == 0) {
        if (m.length != size || (m.integrity_off && m.integrity_off + 24 > size) ||
            (m.fingerprint_off && m.fingerprint_off + 8 != size))
            abort();
        if (m.username && (m.username < (const char *)data ||
                           m.username + m.username_len > (const char *)data + size))
            abort();
        (void)stun_check_integrity(data, &m, "key", 3);
        (void)stun_check_fingerprint(data, &m);
        if (m.username_len < 200) {
            StunBuilder b;
            StunMsg m2;
            int n;
            stun_begin(&b, out, sizeof(out), m.type & 0x3eef, m.txid);
            if (m.username)
                stun_add(&b, STUN_ATTR_USERNAME, m.username, m.username_len);
            if (m.mapped.ss_family)
                stun_add_xor_address(&b, (struct sockaddr *)&m.mapped);
            n = stun_finish(&b, "key", 3);
            if (n < 0 || stun_parse(out, (size_t)n, &m2) < 0 || stun_check_integrity(out, &m2, "key", 3) < 0 ||
                stun_check_fingerprint(out, &m2) < 0 || m2.username_len != m.username_len)
                abort();
        }
    }
    (void)ice_request_ufrag(data, size, uf, sizeof(uf));
    if (ice_agent_init(&a, "Rmte", "RemotePassword01234567890", 1000000) == 0) {
        if (ice_agent_handle(&a, data, size, (struct sockaddr *)&from, sizeof(from), 1, out, sizeof(out)) >= 0)
            abort(); /* verified without the password */
        if (ice_agent_connected(&a))
            abort();
    }
    return 0;
}
