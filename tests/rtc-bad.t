#!/usr/bin/env bash
# live-rtc and bad input, while a viewer plays: malformed SDP, offers
# without H.264 or without a usable candidate, the wrong content type, a
# huge body get a clear 4xx; STUN with a wrong MESSAGE-INTEGRITY and
# random datagrams on the UDP port are dropped; the per-address limit
# holds; the viewer plays on unaffected.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rtc.sh"
have_aiortc || skip_all "python3-aiortc is not installed (scripts/deps)"
plan 19

OFFER=$TOP/fuzz/corpus/rtc-sdp/chromium-offer.sdp
make_av "$T/a.flv" 16 320x240 1 25 || { fail "make media"; exit 1; }
start_rtc --max-per-address 3 || exit 1
start_serve || exit 1
feed "$T/a.flv" cam
wait_for 20 grep -q 'stream cam: feed connected' "$T/rtc.log"
client --seconds 10 "http://127.0.0.1:$HTTP/whep/cam" > "$T/good.json" 2> "$T/good.err" &
GOOD=$!
wait_for 20 grep -q "DTLS done" "$T/rtc.log"

printf 'v=0\r\nthis is not SDP\r\n' > "$T/bad.sdp"
is "$(whep POST /whep/cam application/sdp "$T/bad.sdp")" 400 "malformed SDP: 400"
like "$(cat "$T/b")" "x=" "saying what is wrong"
sed 's/H264/VP9/g' "$OFFER" > "$T/noh264.sdp"
is "$(whep POST /whep/cam application/sdp "$T/noh264.sdp")" 400 "an offer without H.264: 400"
like "$(cat "$T/b")" "no H.264" "saying so"
sed 's/ udp / tcp /' "$OFFER" > "$T/tcp.sdp"
is "$(whep POST /whep/cam application/sdp "$T/tcp.sdp")" 400 "an offer with only TCP candidates: 400"
like "$(cat "$T/b")" "usable ICE candidate" "saying so"
is "$(whep POST /whep/cam text/plain "$OFFER")" 415 "an offer as text/plain: 415"
head -c 40000 /dev/urandom > "$T/big"
is "$(whep POST /whep/cam application/sdp "$T/big")" 413 "a 40 kB body: 413"

# a session of our own, for its ICE credentials
is "$(whep POST /whep/cam application/sdp "$OFFER")" 201 "a good offer: 201"
ufrag=$(sed -n 's/^a=ice-ufrag:\([^[:space:]]*\).*/\1/p' "$T/b" | head -n1)
pwd=$(sed -n 's/^a=ice-pwd:\([^[:space:]]*\).*/\1/p' "$T/b" | head -n1)
is "$($PY "$TOP/tests/rtc-stun.py" "$RTC_PORT" "$ufrag" Xy7Z "$pwd")" response \
    "a binding request signed with the session's password is answered (checked by Python's HMAC)"
is "$($PY "$TOP/tests/rtc-stun.py" "$RTC_PORT" "$ufrag" Xy7Z "$pwd" --wrong-key)" none \
    "one with a wrong MESSAGE-INTEGRITY is dropped"
is "$($PY "$TOP/tests/rtc-stun.py" "$RTC_PORT" "$ufrag" Xy7Z "$pwd" --garbage)" none \
    "random bytes are dropped"
$PY - "$RTC_PORT" <<'PYEOF'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000):
    first = bytes([(0, 1, 22, 23, 128, 129, 200, 255)[i % 8]])
    s.sendto(first + os.urandom(i % 1200), ("127.0.0.1", int(sys.argv[1])))
PYEOF
ok "2000 random datagrams (STUN-, DTLS- and RTP-looking) leave live-rtc running" kill -0 "$RTC_PID"

# per address: the viewer, our session, one more; the fourth is refused
is "$(whep POST /whep/cam application/sdp "$OFFER")" 201 "a third session from this address"
is "$(whep POST /whep/cam application/sdp "$OFFER")" 429 "a fourth: 429 (--max-per-address 3)"
like "$(cat "$T/h")" "Retry-After" "with Retry-After"

wait $GOOD
good=$(cat "$T/good.json")
note "$good"
cmp_num "$(field "$good" video_frames)" -ge 100 "the viewer played on: $(field "$good" video_frames) frames"
cmp_num "$(field "$good" audio_frames)" -ge 100 "with sound: $(field "$good" audio_frames) frames"
unlike "$(cat "$T/rtc.log")" "DTLS handshake failed|closed by the viewer" "no session failed"
done_testing
