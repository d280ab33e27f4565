#!/usr/bin/env bash
# The whole pipeline end to end (scripts/live-pipeline): ffmpeg publishes
# over RTMP into live-ingest | live-segment | live-transcode | live-package,
# live-serve serves it. While live: ffprobe reads the MPD, headless Chromium
# plays /watch/NAME, currentTime advances and stays near the live edge, and
# with the network throttled the player switches to the small rendition.
# After the publisher stops the stream becomes VOD and plays from the start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need_programs live-ingest live-segment live-transcode live-package live-serve
need_browser
plan 24

LIVE_INGEST_OPTS="-g 2" start_pipeline -u 127.0.0.1:0 -s 2 -L 360p:1500k,144p:120k -p ultrafast
ok "the pipeline's live-serve answers" curl -sf -o /dev/null "$URL/time"

# 26 s of a moving pattern and a tone, in real time, over RTMP.
bg $FFMPEG -re -f lavfi -i "testsrc2=size=640x360:rate=25:duration=26" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=26" \
    -c:v libx264 -preset ultrafast -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p \
    -c:a aac -b:a 64k -f flv "rtmp://127.0.0.1:$RTMP/live/cam1"
pub=$!
live_state() { curl -s "$URL/streams.json" | jq -r '.[] | select(.name == "cam1") | .state'; }
is_live() { [ "$(live_state)" = live ] && curl -sf -o /dev/null "$URL/cam1/manifest.mpd"; }
wait_for 20 is_live
is "$(live_state)" live "the stream is listed as live"
like "$(curl -s "$URL/")" 'href="/watch/cam1"' "and on the index page"
mpd=$(curl -s "$URL/cam1/manifest.mpd")
like "$mpd" 'type="dynamic"' "a dynamic MPD while live"
like "$mpd" '<UTCTiming[^>]*/time' "UTCTiming points at /time"
like "$(curl -s -D - -o /dev/null "$URL/cam1/manifest.mpd" | tr -d '\r')" "Cache-Control: public, max-age=1" \
    "the live MPD is cached at most 1 s"
sleep 3
p=$(ffprobe -v error -show_entries stream=codec_type,width,height -of csv=p=0 "$URL/cam1/manifest.mpd" 2>&1)
like "$p" "^video,640,360" "ffprobe reads the live MPD: 360p"
like "$p" "video,256,144" "and 144p"
like "$p" "audio" "and the audio"

# Chromium: plays live, follows the edge, switches down when throttled.
r=$(node "$TOP/tests/serve/watch.js" "$URL/watch/cam1" --seconds 16 --throttle 250 --after 8 --high 360 --want-height 144)
is "$(jq -r .engine <<<"$r")" dash "dash.js plays the live stream"
is "$(jq -r .start.live <<<"$r")" true "the player knows it is live"
t0=$(jq -r .start.t <<<"$r") t1=$(jq -r .end.t <<<"$r") wall=$(jq -r .wall <<<"$r")
cmp_num "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" ">" 3 "currentTime advances ($t0 -> $t1 in ${wall} s)"
lag=$(jq -r '.start.range[1] - .start.t' <<<"$r")
cmp_num "$lag" "<" 10 "it plays near the live edge (${lag} s behind)"
cmp_num "$(jq -r '.start.t - .start.range[0]' <<<"$r")" ">" 0.5 "not from the window's start (the manifests ask for 3 segments of latency, so an early join sits near 1 s)"
e0=$(jq -r '.start.range[1]' <<<"$r") e1=$(jq -r '.end.range[1]' <<<"$r")
cmp_num "$(awk -v a="$e0" -v b="$e1" 'BEGIN { print b - a }')" ">" 0 "the live edge moves on ($e0 -> $e1)"
like "$(jq -r '.heights | join(",")' <<<"$r")" "360,144$" "throttled, it switches from 360p to 144p (heights $(jq -r '.heights | join(",")' <<<"$r"))"
is "$(jq -r '.outside | length' <<<"$r")" 0 "nothing loaded from elsewhere"
[ "$(jq -r '.errors | length' <<<"$r")" = 0 ] || diag "$(jq -c .errors <<<"$r")"

# The publisher stops: the stream becomes VOD and plays from its start.
wait "$pub"
is_vod() { [ "$(live_state)" = vod ]; }
wait_for 30 is_vod
is "$(live_state)" vod "after the publisher stops the stream is VOD"
like "$(curl -s "$URL/cam1/manifest.mpd")" 'type="static"' "a static MPD"
node "$TOP/tests/serve/watch.js" "$URL/watch/cam1" --seconds 2 -- "$URL/watch/cam1?player=hls&t=10" --seconds 2 > "$T/vod"
r=$(sed -n 1p "$T/vod")
cmp_num "$(jq -r .start.t <<<"$r")" "<" 2 "the VOD plays from the start (at $(jq -r .start.t <<<"$r"))"
cmp_num "$(jq -r '.end.range[1]' <<<"$r")" ">" 20 "the whole recording is there ($(jq -r '.end.range[1]' <<<"$r") s)"

r=$(sed -n 2p "$T/vod")
is "$(jq -r .engine <<<"$r")" hls "hls.js plays the HLS playlists of the VOD"
cmp_num "$(jq -r .start.t <<<"$r")" ">=" 9 "from ?t=10 (at $(jq -r .start.t <<<"$r"))"

kill -TERM "$pipe"
wait "$pipe"
is $? 0 "the pipeline stops cleanly"
done_testing
