#!/usr/bin/env bash
# WHIP ingest: headless Chromium with a fake camera and microphone
# publishes through a page of the test's own (tests/whip-browser.js:
# RTCPeerConnection + fetch POST /whip/NAME with the stream's key as the
# bearer token) into live-ingest --whip, run by scripts/live-pipeline:
# the stream goes through live-segment | live-transcode | live-package,
# ffprobe sees video and audio in the DASH output and dash.js plays it
# (the player page), currentTime advancing, audio decoded as it plays; after DELETE and the grace
# period it becomes VOD (the Matroska end mark). VP9 and VP8 (the ladder
# re-encodes them) reach the packaged output too. A wrong or missing bearer token
# gets 401, malformed SDP 400, an offer without a usable video codec 400,
# another content type 415; DELETE ends the publish.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need_programs live-ingest live-segment live-transcode live-package live-serve
need_browser
plan 28

WHIP=$(free_port)
W=http://127.0.0.1:$WHIP
printf 'cam s3cret\ncam2 other\ncam3 third\n' > "$T/keys"
LIVE_INGEST_OPTS="-g 2 --whip 127.0.0.1:$WHIP" start_pipeline --no-rtc -s 2 -L 240p:400k -p ultrafast \
    -k "$T/keys"
wait_for 10 eval "curl -s -o /dev/null -X PATCH $W/whip/cam/00000000000000000000000000000000"
ok "the pipeline's live-serve answers" curl -sf -o /dev/null "$URL/time"

# signalling errors, with curl
post() { # BEARER CONTENT-TYPE BODY-FILE: the status, the body in $T/body, headers in $T/hdr
    curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X POST ${1:+-H "Authorization: Bearer $1"} \
        -H "Content-Type: $2" --data-binary "@$3" "$W/whip/cam"
}
printf 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n' > "$T/nomedia.sdp"
is "$(post wrong application/sdp "$T/nomedia.sdp")" 401 "a wrong bearer token gets 401"
like "$(tr -d '\r' < "$T/hdr")" "WWW-Authenticate: Bearer" "with WWW-Authenticate: Bearer"
is "$(post '' application/sdp "$T/nomedia.sdp")" 401 "no bearer token gets 401"
printf 'this is not SDP\n' > "$T/bad.sdp"
is "$(post s3cret application/sdp "$T/bad.sdp")" 400 "malformed SDP gets 400"
is "$(post s3cret application/sdp "$T/nomedia.sdp")" 400 "SDP without media gets 400"
fp=$(printf 'AB:%.0s' $(seq 31))AB
{
    printf 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n'
    printf 'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 %s\r\n' "$fp"
    printf 'a=setup:actpass\r\nm=video 9 UDP/TLS/RTP/SAVPF 45\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n'
    printf 'a=sendonly\r\na=rtcp-mux\r\na=rtpmap:45 AV1/90000\r\n'
} > "$T/av1.sdp"
is "$(post s3cret application/sdp "$T/av1.sdp")" 400 "an offer with only AV1 video gets 400"
like "$(cat "$T/body")" "no H.264 .*VP8 or VP9" "saying which codecs would do"
is "$(post s3cret text/plain "$T/av1.sdp")" 415 "another content type gets 415"

# Chromium publishes H.264 + Opus until the stream has been watched
bg sh -c "WHIP_STOP='$T/stop' node '$TOP/tests/whip-browser.js' '$W' cam s3cret 90 H264 > '$T/pub.json' 2> '$T/pub.err'"
pub=$!
state() { curl -s "$URL/streams.json" | jq -r --arg n "$1" '.[] | select(.name == $n) | .state'; }
is_live() { [ "$(state cam)" = live ] && curl -sf -o /dev/null "$URL/cam/manifest.mpd"; }
wait_for 60 is_live
is "$(state cam)" live "the WHIP stream is live"
sleep 2
p=$(ffprobe -v error -show_entries stream=codec_type,width,height -of csv=p=0 "$URL/cam/manifest.mpd" 2>&1)
like "$p" "video,320,240" "ffprobe reads its MPD: video 320x240"
like "$p" "audio" "and audio"
r=$(node "$TOP/tests/serve/watch.js" "$URL/watch/cam" --seconds 4)
note "$r"
is "$(jq -r .engine <<<"$r")" dash "dash.js plays it"
t0=$(jq -r .start.t <<<"$r") t1=$(jq -r .end.t <<<"$r")
cmp_num "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" ">" 2 "currentTime advances ($t0 -> $t1)"
ab=$(jq -r '.end.audioBytes - .start.audioBytes' <<<"$r")
cmp_num "$ab" -gt 0 "with audio: dash.js feeds the audio decoder while it plays ($ab bytes)"
touch "$T/stop"
wait "$pub"
pj=$(cat "$T/pub.json")
note "$pj"
is "$(jq -r .status <<<"$pj")" 201 "the publisher got 201"
like "$(jq -r .location <<<"$pj")" "^/whip/cam/[0-9a-f]{32}$" "and a Location"
is "$(jq -r .first.codec <<<"$pj")" video/H264 "it sent H.264"
cmp_num "$(jq -r .second.audio <<<"$pj")" ">" "$(jq -r .first.audio <<<"$pj")" "and Opus"
is "$(jq -r .delete <<<"$pj")" 200 "DELETE on the Location: 200"
ok "the stream ends after the grace period (VOD)" wait_for 30 eval '[ "$(state cam)" = vod ]'
a=$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$T/live/out/cam/manifest.mpd" 2>/dev/null | grep . | sort -u | paste -sd,)
is "$a" "audio,video" "the packaged stream has audio and video"

# VP9: the ladder re-encodes it
node "$TOP/tests/whip-browser.js" "$W" cam2 other 6 VP9 > "$T/vp9.json" 2> "$T/vp9.err"
note "$(cat "$T/vp9.json")"
is "$(jq -r .first.codec < "$T/vp9.json")" video/VP9 "Chromium publishes VP9"
wait_for 30 eval '[ "$(state cam2)" = vod ]'
p=$(ffprobe -v error -show_entries stream=codec_name,height -of csv=p=0 "$T/live/out/cam2/manifest.mpd" 2>&1 | grep . | sort -u | paste -sd' ')
like "$p" "h264,240" "VP9 comes out of the ladder as H.264 ($p)"
like "$p" "aac" "with AAC audio from Opus"

# VP8, the other fallback: live-segment's Matroska segments, the same ladder
node "$TOP/tests/whip-browser.js" "$W" cam3 third 6 VP8 > "$T/vp8.json" 2> "$T/vp8.err"
note "$(cat "$T/vp8.json")"
is "$(jq -r .first.codec < "$T/vp8.json")" video/VP8 "Chromium publishes VP8"
wait_for 30 eval '[ "$(state cam3)" = vod ]'
p=$(ffprobe -v error -show_entries stream=codec_name,height -of csv=p=0 "$T/live/out/cam3/manifest.mpd" 2>&1 | grep . | sort -u | paste -sd' ')
like "$p" "h264,240" "VP8 comes out of the ladder as H.264 ($p)"
like "$p" "aac" "with AAC audio"
done_testing
