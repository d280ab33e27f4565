#!/usr/bin/env bash
# A phone turned to portrait: a 640x360 -> 360x640 switch in the middle
# of one FLV stream goes through live-segment | live-transcode |
# live-package and plays across, to the end, in dash.js and hls.js; the
# portrait half gets portrait rungs.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/chromium ] || skip_all "no /usr/bin/chromium"
[ -d "$TOP/node_modules/playwright-core" ] || skip_all "no node_modules (run scripts/deps)"
plan 11
export NODE_PATH=$TOP/node_modules

$FFMPEG -f lavfi -i "testsrc2=size=640x360:rate=25:duration=4" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=4" \
    -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -c:a aac -f flv "$T/a.flv" &&
$FFMPEG -f lavfi -i "testsrc2=size=360x640:rate=25:duration=4" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=4" \
    -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -c:a aac -output_ts_offset 4 \
    -f flv "$T/b.flv" || { echo "Bail out! cannot make media"; exit 1; }
# one FLV stream: the second's header dropped, its sequence headers kept
{ cat "$T/a.flv"; tail -c +14 "$T/b.flv"; } > "$T/turn.flv"

live-segment -q -s turn -d 1 -o "$T/spool" < "$T/turn.flv" > "$T/seg.rec"
is "$?" 0 "live-segment: exit 0"
is "$(jq -r 'select(.type == "segment") | .discontinuity' "$T/seg.rec" | grep -c true)" 1 \
    "the switch starts a new segment, marked as a discontinuity"
live-transcode -q -C "$T/spool" -p ultrafast < "$T/seg.rec" > "$T/tc.rec"
is "$?" 0 "live-transcode: exit 0"
sizes() { jq -r --argjson s "$1" 'select(.seq == $s) | [.renditions[] | select(.kind == "video") |
    "\(.width)x\(.height)"] | join(" ")' "$T/tc.rec"; }
is "$(sizes 0)" "640x360" "landscape at the start: a landscape rung"
is "$(sizes 7)" "360x640" "portrait after the turn: a portrait rung"
live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" --vod < "$T/tc.rec"
is "$?" 0 "live-package: exit 0"

port=$(free_port)
bg node "$TOP/tests/package-serve.js" "$T/out" "$port" > /dev/null
ok "static server up" wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/time"
r=$(node "$TOP/tests/package-browser.js" "http://127.0.0.1:$port" dash-end turn/manifest.mpd)
diag "dash.js: $r"
is "$(jq -r '.ended' <<< "$r"),$(jq -r '.duration | floor' <<< "$r")" "true,7" \
    "dash.js plays across the turn to the end of the 8 s"
is "$(jq -r '.errors | length' <<< "$r")" 0 "no dash.js errors"
r=$(node "$TOP/tests/package-browser.js" "http://127.0.0.1:$port" hls-vod turn/master.m3u8)
diag "hls.js: $r"
is "$(jq -r '.ended' <<< "$r"),$(jq -r '.duration | floor' <<< "$r")" "true,7" \
    "hls.js plays across the turn to the end"
is "$(jq -r '.errors | length' <<< "$r")" 0 "no hls.js errors"
