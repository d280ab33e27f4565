#!/usr/bin/env bash
# A phone turned to portrait: a 640x360 -> 360x640 switch in the middle
# of one FLV stream goes through live-segment | live-transcode |
# live-package and plays across, to the end, in dash.js and hls.js; the
# portrait half gets portrait rungs, new init segments (init.SEQ.mp4), a
# new DASH Period with the portrait sizes, an EXT-X-DISCONTINUITY with a
# new EXT-X-MAP in the playlists; ffprobe reads the manifests.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/chromium ] || skip_all "no /usr/bin/chromium"
[ -d "$TOP/node_modules/playwright-core" ] || skip_all "no node_modules (run scripts/deps)"
plan 22
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
is "$(jq -r 'select(.type == "segment") | "\(.video.width)x\(.video.height)"' "$T/seg.rec" | uniq -c |
      awk '{ print $1 "*" $2 }' | tr '\n' ' ')" "4*640x360 4*360x640 " \
    "live-segment's records give the size of each segment's video (portrait from the turn)"
live-transcode -q -C "$T/spool" -p ultrafast < "$T/seg.rec" > "$T/tc.rec"
is "$?" 0 "live-transcode: exit 0"
sizes() { jq -r --argjson s "$1" 'select(.seq == $s) | [.renditions[] | select(.kind == "video") |
    "\(.width)x\(.height)"] | join(" ")' "$T/tc.rec"; }
is "$(sizes 0)" "640x360" "landscape at the start: a landscape rung"
is "$(sizes 7)" "360x640" "portrait after the turn: a portrait rung"
live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" --vod < "$T/tc.rec"
is "$?" 0 "live-package: exit 0"
turn=$(jq -r 'select(.type == "segment" and .discontinuity) | .seq' "$T/seg.rec")
ok "new init segments at the turn (segment $turn)" \
    test -s "$T/out/turn/360p/init.$turn.mp4" -a -s "$T/out/turn/audio/init.$turn.mp4"
mpd=$T/out/turn/manifest.mpd
is "$(grep -c '<Period' "$mpd")" 2 "the MPD: a new Period at the turn"
is "$(grep -o 'initialization="[^"]*"' "$mpd" | sort -u | tr '\n' ' ')" \
    "initialization=\"\$RepresentationID\$/init.$turn.mp4\" initialization=\"\$RepresentationID\$/init.mp4\" " \
    "each Period names its init segments"
is "$(grep -o 'width="[0-9]*" height="[0-9]*"' "$mpd" | tr '\n' ' ')" \
    'width="640" height="360" width="360" height="640" ' "per-Period sizes: landscape, then portrait"
pl=$T/out/turn/360p/index.m3u8
is "$(grep -A1 '^#EXT-X-DISCONTINUITY$' "$pl" | tail -n1)" "#EXT-X-MAP:URI=\"init.$turn.mp4\"" \
    "HLS: a discontinuity with a new EXT-X-MAP"
is "$(grep -c '^#EXT-X-MAP' "$T/out/turn/audio/index.m3u8")" 2 "the audio playlist too"
ok "ffprobe reads the MPD" ffprobe -v error "$mpd"
ok "ffprobe reads the HLS master" ffprobe -v error "$T/out/turn/master.m3u8"

port=$(free_port)
bg node "$TOP/tests/package-serve.js" "$T/out" "$port" > /dev/null
ok "static server up" wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/time"
node "$TOP/tests/small-play.js" "http://127.0.0.1:$port" turn > "$T/play" 2> "$T/play.err"
while read -r line; do diag "$line"; done < "$T/play"
get() { jq -r --arg p "$1" "select(.player == \$p) | $2" "$T/play"; }
# dash.js 5.2.1 at the Period change (new init segments, a new size):
# in 1-2 runs of 8 on a quiet machine it counted 100-104 of the 200
# frames, or stopped at 7.99 s of 8 without 'ended' (no MediaSource
# reload, no media error); the cause is not found, so for dash.js these
# two are TODO; hls.js asserts them.
for p in dash hls; do
    t=; [ $p = dash ] && t="dash.js at a Period change: 1-2 runs of 8 end early or count half the frames"
    todo "$t" is "$(get $p '"\(.ended),\(.errors | length)"')" "true,0" "$p: plays across the turn to the end, no error"
    is "$(get $p '.sizes | join(" ")')" "640x360 360x640" "$p: landscape frames, then portrait ones"
    todo "$t" cmp_num "$(get $p .frames)" ">=" 190 "$p: frames advance across the turn (of 200)"
done
