#!/usr/bin/env bash
# Real-time playback in headless Chromium: the player page's WebRTC mode
# (/watch/NAME?player=webrtc) and a minimal WHEP page of the test's own
# both play a live stream from live-rtc with video frames decoded and
# audio samples received, both advancing; the page says what does not
# apply in real time and offers the switch back; a stream live-rtc does
# not have falls back to DASH/HLS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rtc.sh"
need_browser
plan 14

make_av "$T/a.flv" 40 320x240 1 25 || { fail "make media"; exit 1; }
start_rtc || exit 1
start_serve || exit 1
# the player page is for streams live-serve knows (DASH/HLS output or db
# rows): this test has live-rtc only, so the names exist as directories
mkdir -p "$T/out/cam" "$T/out/nosuchstream"
feed "$T/a.flv" cam
wait_for 20 grep -q 'stream cam: feed connected' "$T/rtc.log"
r=$(node "$TOP/tests/rtc-browser.js" "http://127.0.0.1:$HTTP" cam 2> "$T/node.err")
note "$r"
j() { printf '%s\n' "$r" | jq -r "$1"; }
is "$(j .player_engine)" webrtc "the player page plays over WebRTC"
is "$(j .player_connected)" true "its peer connection connects"
is "$(j .player.first.codec)" video/H264 "with H.264"
cmp_num "$(j .player.first.video)" -gt 0 "video frames are decoded ($(j .player.first.video))"
cmp_num "$(j .player.second.video)" -gt "$(j .player.first.video)" "and advance ($(j .player.second.video))"
cmp_num "$(j .player.second.audio)" -gt "$(j .player.first.audio)" "audio samples advance ($(j .player.first.audio) -> $(j .player.second.audio))"
like "$(j .player_page.note)" "quality menu, the DVR bar and resume do not apply" "the page says what does not apply"
like "$(j .player_page.switchHref)" "^/watch/cam$" "and offers the switch back to DASH/HLS"
is "$(j .own_status)" 201 "a minimal WHEP page of our own gets an answer"
cmp_num "$(j .own.second.video)" -gt "$(j .own.first.video)" "its video frames advance ($(j .own.first.video) -> $(j .own.second.video))"
cmp_num "$(j .own.second.audio)" -gt "$(j .own.first.audio)" "its audio advances"
is "$(j .own_delete)" 200 "its DELETE ends the session"
like "$(j .fallback.why)" "404" "a stream live-rtc does not have: the page falls back"
is "$(j '.errors | length')" 0 "no page errors"
done_testing
