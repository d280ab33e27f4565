#!/usr/bin/env bash
# WHEP through the nginx edge (live-edge): offers, DELETE and PATCH pass
# through to live-serve and live-rtc, nothing is cached (two offers make
# two sessions), the origin sees the viewer's address for its limits.
# With two origins (each with its own live-rtc) the offers are spread
# over both and a session's DELETE reaches the origin that holds it: the
# edge puts the origin's number in the Location.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rtc.sh"
command -v nginx >/dev/null || skip_all "needs nginx (scripts/deps)"
plan 14

chmod 711 "$T"    # workers run as nobody when the test runs as root
OFFER=$TOP/fuzz/corpus/rtc-sdp/chromium-offer.sdp
make_av "$T/a.flv" 20 320x240 1 25 || { fail "make media"; exit 1; }
start_rtc || exit 1
mkdir -p "$T/out"
po=$(free_port); pe=$(free_port)
bg live-serve --no-db --rtc "$T/rtc.sock" -l "127.0.0.1:$po" -r "$T/out" -a '' \
    --trusted-proxy 127.0.0.1 2> "$T/serve.log"
# a second origin with a live-rtc of its own, fed the same stream
bg live-rtc -u 127.0.0.1:0 -c "$T/rtc2.sock" -v 2> "$T/rtc2.log"
wait_for 20 grep -q "WebRTC on UDP" "$T/rtc2.log"
po2=$(free_port)
bg live-serve --no-db --rtc "$T/rtc2.sock" -l "127.0.0.1:$po2" -r "$T/out" -a '' \
    --trusted-proxy 127.0.0.1 2> "$T/serve2.log"
bg live-edge -l "127.0.0.1:$pe" -p "$T/edge" -d 2 -r 0 -c 0 "127.0.0.1:$po" "127.0.0.1:$po2" 2> "$T/edge.log"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$po/time" || diag "origin did not start"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$pe/time" || diag "edge did not start"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$po2/time" || diag "second origin did not start"
feed "$T/a.flv" cam
( ffmpeg -hide_banner -loglevel error -nostdin -re -i "$T/a.flv" -c copy -f flv - |
    LIVE_STREAM=cam live-rtc -f "$T/rtc2.sock" > /dev/null 2>> "$T/feed2.log" ) &
_bg_pids+=($!)
wait_for 20 grep -q 'stream cam: feed connected' "$T/rtc.log"
wait_for 20 grep -q 'stream cam: feed connected' "$T/rtc2.log"
HTTP=$pe    # whep() goes to the edge
wait_for 20 eval "[ \"\$(whep POST /whep/cam application/sdp '$OFFER')\" = 201 ]"
# until both origins answer (each live-rtc has media)
wait_for 20 eval "[ \"\$(whep POST /whep/cam application/sdp '$OFFER')\" = 201 ] && [ \"\$(whep POST /whep/cam application/sdp '$OFFER')\" = 201 ]"
is "$(whep POST /whep/cam application/sdp "$OFFER")" 201 "an offer through the edge: 201"
loc1=$(sed -n 's/^Location: *\([^[:space:]]*\).*/\1/Ip' "$T/h")
unlike "$(cat "$T/h")" "X-Cache-Status: HIT" "not from the cache"
is "$(whep POST /whep/cam application/sdp "$OFFER")" 201 "a second offer: 201"
loc2=$(sed -n 's/^Location: *\([^[:space:]]*\).*/\1/Ip' "$T/h")
ok "a session of its own ($loc1, $loc2)" test -n "$loc1" -a -n "$loc2" -a "$loc1" != "$loc2"
is "$(whep PATCH "$loc1" application/trickle-ice-sdpfrag "$OFFER")" 405 "PATCH through the edge: 405"
is "$(whep DELETE "$loc1")" 200 "DELETE through the edge ends it"
is "$(whep DELETE "$loc1")" 404 "and it is gone"
like "$(grep "of cam for" "$T/rtc.log" | head -n1)" "for 127\\.0\\.0\\.1:" "live-rtc counts the viewer's address"

# two origins: offers go round robin; every session's DELETE finds it
locs=()
for i in 1 2 3 4; do
    [ "$(whep POST /whep/cam application/sdp "$OFFER")" = 201 ] &&
        locs+=("$(sed -n 's/^Location: *\([^[:space:]]*\).*/\1/Ip' "$T/h")")
done
is "${#locs[@]}" 4 "four offers through the edge: 201"
like "${locs[*]}" '/whep/cam/o1-[0-9a-f]{32}' "a Location names origin 1"
like "${locs[*]}" '/whep/cam/o2-[0-9a-f]{32}' "another names origin 2"
codes=
for l in "${locs[@]}"; do codes+="$(whep DELETE "$l") "; done
is "$codes" "200 200 200 200 " "each session's DELETE reaches its origin"
is "$(grep -c 'ends (DELETE)' "$T/rtc2.log")" "$(printf '%s\n' "${locs[@]}" | grep -c /o2-)" \
    "origin 2's live-rtc ended the sessions it held"
is "$(whep DELETE "${locs[0]}")" 404 "a second DELETE: 404"
done_testing
