#!/usr/bin/env bash
# make demo's script, short and small: it starts the pipeline, publishes
# the sample over RTMP, prints the URL to watch once it is live; at the end
# the stream is VOD and nothing is left running.
. "$(dirname "$0")/lib.sh"
for p in live-ingest live-segment live-transcode live-package live-serve; do
    command -v $p >/dev/null 2>&1 || skip_all "$p is not built yet"
done
plan 8

DEMO_DIR=$T/demo DEMO_HTTP_PORT=$(free_port) DEMO_RTC_PORT=$(free_port) DEMO_SIZE=320x180 \
    DEMO_LADDER=180p:300k DEMO_SECONDS=8 DEMO_EXIT=1 "$TOP/scripts/demo" > "$T/out" 2> "$T/err" &
demo=$!
# while it is live, the real-time URL's stream answers WHEP
wait_for 60 eval "[ \$(wc -l < '$T/out') -ge 2 ]"
rt=$(sed -n 2p "$T/out")
whep=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
    --data-binary @"$TOP/fuzz/corpus/rtc-sdp/chromium-offer.sdp" "${rt%%/watch/*}/whep/demo")
wait $demo
is $? 0 "scripts/demo exits 0"
url=$(head -1 "$T/out")
like "$url" '^http://127\.0\.0\.1:[0-9]+/watch/demo$' "it printed the URL to watch ($url)"
like "$(cat "$T/err")" "live now" "it said when the stream was live"
like "$(sed -n 2p "$T/out")" '^http://127\.0\.0\.1:[0-9]+/watch/demo\?player=webrtc$' "and the real-time URL"
is "$whep" 201 "the WebRTC stage serves the stream over WHEP"
is "$(sqlite3 "$T/demo/live.db" "SELECT state FROM streams WHERE name = 'demo'")" vod "the broadcast ended as VOD"
ok "with a manifest and segments" test -s "$T/demo/out/demo/manifest.mpd" -a -s "$T/demo/out/demo/180p/0.m4s"
left=$(ps -eo args | grep -F "$T/demo" | grep -v grep | wc -l)
is "$left" 0 "nothing left running"
done_testing
