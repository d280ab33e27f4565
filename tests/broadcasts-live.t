#!/usr/bin/env bash
# A name published a second time over RTMP (issue 17), through
# scripts/live-pipeline and a live-edge cache: publish `cam` (red), let it
# end, publish `cam` again (blue). The second broadcast is live at the same
# URLs and plays from its own first segment; the first is a VOD at
# /cam@ID/, its manifests naming its media where they are. Through the
# edge, warm with the first broadcast's segments and manifests, a dash.js
# viewer of the second sees blue frames and no failed request.
. "$(dirname "$0")/lib.sh"
need_programs live-ingest live-segment live-transcode live-package live-serve
command -v nginx >/dev/null || skip_all "needs nginx (scripts/deps)"
need_browser
[ -f "$LIVE_BIN/../www/dash.all.min.js" ] || skip_all "no dash.js in the build (scripts/deps, make)"
plan 14
chmod 711 "$T"   # nginx workers run as another user

RTMP=$(free_port) HTTP=$(free_port) EP=$(free_port)
URL=http://127.0.0.1:$HTTP
EDGE=http://127.0.0.1:$EP
LIVE_INGEST_OPTS="-g 1" bg "$TOP/scripts/live-pipeline" -q -r 127.0.0.1:$RTMP -l 127.0.0.1:$HTTP \
    -u 127.0.0.1:0 -d "$T/live" -s 2 -L 144p:150k -p ultrafast
wait_for 10 curl -sf -o /dev/null "$URL/time"
bg live-edge -l "127.0.0.1:$EP" -p "$T/edge" -d 2 "127.0.0.1:$HTTP" 2> "$T/edge.log"
wait_for 10 curl -sf -o /dev/null "$EDGE/time" || diag "the edge did not start: $(tail -3 "$T/edge.log")"

publish() { # COLOUR SECONDS
    $FFMPEG -re -f lavfi -i "color=c=$1:size=256x144:rate=25:duration=$2" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$2" \
        -c:v libx264 -preset ultrafast -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p \
        -c:a aac -b:a 64k -f flv "rtmp://127.0.0.1:$RTMP/live/cam" 2>> "$T/publisher.log"
}
state() { curl -s "$URL/streams.json" | jq -r --arg n "$1" '.[] | select(.name == $n) | .state'; }
code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }

ok "the first broadcast (red) is published" publish red 7
ok "and finished" wait_for 40 eval '[ "$(state cam)" = vod ]'
# warm the edge with the first broadcast: manifests, init and media segments
for f in manifest.mpd master.m3u8 144p/index.m3u8 144p/init.mp4 144p/0.m4s 144p/1.m4s audio/init.mp4 audio/0.m4s; do
    curl -s -o /dev/null "$EDGE/cam/$f"
done
is "$(curl -s -o /dev/null -w '%{http_code}' -D - "$EDGE/cam/144p/0.m4s" | tr -d '\r' | grep -ci '^x-cache-status: hit')" 1 \
    "the edge holds the first broadcast's segment 0"

publish blue 40 &
PUB=$!
_bg_pids+=("$PUB")
ok "the second broadcast is live under the same name" wait_for 40 eval '[ "$(state cam)" = live ]'
old=$(curl -s "$URL/streams.json" | jq -r '.[] | select(.name | startswith("cam@")) | .name')
like "$old" '^cam@[0-9]+$' "the first is listed as $old"
is "$(state "$old")" vod "as video on demand"
tag=${old#cam@}
# (the edge may answer from its manifest cache a moment longer)
wait_for 20 eval 'curl -s "$EDGE/cam/manifest.mpd" | grep -q "type=\"dynamic\""'
mpd=$(curl -s "$EDGE/cam/manifest.mpd")
like "$mpd" 'type="dynamic"' "/cam/manifest.mpd is the live one"
unlike "$mpd" 'media="\$RepresentationID\$/\$Number\$\.m4s"' "its segments are not named as the first's"
like "$(curl -s "$URL/$old/manifest.mpd")" 'type="static".*' "/$old/manifest.mpd: the first, static"
is "$(code "$URL/$old/144p/index.m3u8") $(code "$URL/$old/master.m3u8")" "200 200" "its playlists"
first=$(curl -s "$URL/$old/144p/index.m3u8" | grep -v '^#' | head -1)
is "$first" "../../cam/144p/0.m4s" "they name its media where they stayed"

r=$(node "$TOP/tests/frame-color.js" "$EDGE/watch/cam?player=dash" 2> "$T/player.err")
note "dash.js through the edge: $r"
is "$(jq -r '[(.errors | length), (.failed | length), .live] | join(" ")' <<<"$r")" "0 0 true" \
    "dash.js plays the live one through the edge: no error, no failed request (no 404)"
like "$(jq -r '.rgb | "\(.[0]) \(.[2])"' <<<"$r")" '^([0-9]|[1-5][0-9]) (1[5-9][0-9]|2[0-9][0-9])$' \
    "and sees the second broadcast's frames (blue, not red)"
r=$(node "$TOP/tests/frame-color.js" "$URL/watch/$old?player=dash" 2> "$T/player2.err")
like "$(jq -r '.rgb | "\(.[0]) \(.[2])"' <<<"$r")" '^(1[5-9][0-9]|2[0-9][0-9]) ([0-9]|[1-5][0-9])$' \
    "/watch/$old plays the first (red)"
