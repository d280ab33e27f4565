#!/usr/bin/env bash
# live-rtc end to end: two streams published at once over RTMP reach
# live-rtc through live-ingest -e 'live-rtc -f', and an independent
# WebRTC client (aiortc) plays both over WHEP on live-serve's origin with
# H.264 and Opus that decode; one stream has B-frames (our own rung is
# encoded), the other is passed through. A viewer joining mid-GOP gets a
# picture at once; one that vanishes is reaped by ICE consent; the
# stream's end closes its viewers; WHEP DELETE and PATCH.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
. "$(dirname "$0")/rtc.sh"
have_aiortc || skip_all "python3-aiortc is not installed (scripts/deps)"
plan 20
[ -n "${KEEP_T:-}" ] && note "T=$T"

make_av "$T/a.flv" 24 320x240 4 25 || { fail "make media"; exit 1; }
make_av "$T/b.flv" 14 160x120 1 25 -- -preset veryfast -bf 2 -x264-params bframes=2 || { fail "make media"; exit 1; }
start_rtc --consent-timeout 8 || exit 1
start_serve || exit 1
start_ingest "$T/ingest.log" -e "exec live-rtc -f '$T/rtc.sock' > /dev/null" || exit 1

is "$(whep POST /whep/nosuch application/sdp "$TOP/fuzz/corpus/rtc-sdp/chromium-offer.sdp")" 404 \
    "an offer for a stream that does not exist: 404"

publish "$T/a.flv" alpha -re > /dev/null 2>&1 & PA=$!
publish "$T/b.flv" beta -re > /dev/null 2>&1 & PB=$!
wait_for 20 eval "grep -q 'stream alpha: feed connected' '$T/rtc.log' && grep -q 'stream beta: feed connected' '$T/rtc.log'"
out=$(client --seconds 25 --min-frames 60 "http://127.0.0.1:$HTTP/whep/alpha" "http://127.0.0.1:$HTTP/whep/beta" 2> "$T/client.err")
a=$(printf '%s\n' "$out" | sed -n 1p)
b=$(printf '%s\n' "$out" | sed -n 2p)
note "alpha: $a" "beta: $b"
is "$(field "$a" status) $(field "$b" status)" "201 201" "both WHEP offers are answered with 201"
cmp_num "$(field "$a" video_frames)" -ge 60 "alpha: H.264 frames decode"
cmp_num "$(field "$a" audio_frames)" -ge 50 "alpha: Opus frames decode"
cmp_num "$(field "$b" video_frames)" -ge 60 "beta: H.264 frames decode"
cmp_num "$(field "$b" audio_frames)" -ge 50 "beta: Opus frames decode"
is "$(field "$a" width)x$(field "$a" height) $(field "$b" width)x$(field "$b" height)" "320x240 160x120" \
    "each stream at its own size"
like "$(grep 'of alpha for' "$T/rtc.log")" "passed through" "alpha (no B-frames) is passed through"
like "$(grep 'of beta for' "$T/rtc.log")" "our rung" "beta (B-frames) gets a zerolatency rung of ours"
like "$(cat "$T/rtc.log")" "session [0-9a-f]* of alpha ends \\(DELETE\\)" "the client's DELETE ends its session"

# a viewer of beta stays until the stream ends
client --until-end --seconds 40 "http://127.0.0.1:$HTTP/whep/beta" > "$T/end.json" 2>&1 &
CL=$!

# mid-GOP: alpha has a keyframe every 4 s; a viewer joining between two
# gets the cached one at once, not at the next.
sleep 1.3
out=$(client --seconds 15 --min-frames 1 "http://127.0.0.1:$HTTP/whep/alpha")
note "$out"
first=$(field "$out" first_video)
ok "a viewer joining mid-GOP sees a picture within one GOP (after ${first}s)" \
    awk -v f="$first" 'BEGIN { exit !(f != "null" && f < 4) }'

# a viewer that vanishes (no DELETE, no DTLS close) is reaped by consent
out=$(client --seconds 3 --min-frames 10 --vanish "http://127.0.0.1:$HTTP/whep/alpha")
cmp_num "$(field "$out" video_frames)" -ge 1 "the vanishing viewer played"
ok "it is reaped by ICE consent freshness" wait_for 15 grep -q "ICE consent expired" "$T/rtc.log"

# DELETE, PATCH on a session of our own
code=$(whep POST /whep/alpha application/sdp "$TOP/fuzz/corpus/rtc-sdp/chromium-offer.sdp")
loc=$(sed -n 's/^Location: *\([^[:space:]]*\).*/\1/Ip' "$T/h")
is "$code" 201 "a hand-made offer is answered"
like "$loc" '^/whep/alpha/[0-9a-f]{32}$' "with a Location"
is "$(whep PATCH "$loc" application/trickle-ice-sdpfrag "$T/h")" 405 "PATCH (trickle) on it: 405, we are ICE-lite"
is "$(whep DELETE "$loc")" 200 "DELETE ends it"
is "$(whep DELETE "$loc")" 404 "a second DELETE: 404"

# the end of a stream closes its viewers
wait $PA $PB
wait $CL
note "$(cat "$T/end.json")"
is "$(field "$(cat "$T/end.json")" ended)" true "the end of the stream ends the viewer's tracks"
ok "live-rtc logs the stream's end" grep -q "stream beta ended: closing its viewers" "$T/rtc.log"
done_testing
