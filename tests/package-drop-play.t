#!/usr/bin/env bash
# A rung the load guard left out (issue 18) is a gap the players switch
# away from. The renditions records of a 38 s broadcast (2 s segments,
# 360p and 180p) say, as live-transcode --max-lag's drop1 step does, that
# 360p was left out of segments 10-12 ("dropped"); live-package, fed them in
# real time, publishes those segments in 180p only:
#  - DASH: a Period of their own listing 180p only (a hole in 360p's
#    $Number$ timeline would shift every later number), then one with
#    both again; dash.js, held to 360p, plays through them at 180p;
#  - HLS: EXT-X-GAP in 360p's playlist, 180p's whole (hls.js 1.7 takes a
#    GAP segment as a load error: it retries it, then switches to a level
#    that has the segment; how long that takes depends on its retry
#    timers, so it is not timed here).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
[ -x /usr/bin/chromium ] && [ -d "$TOP/node_modules/playwright-core" ] ||
    skip_all "no chromium or playwright-core (scripts/deps)"
plan 10

$FFMPEG -f lavfi -i "testsrc2=size=640x360:rate=25:duration=38" -f lavfi -i "sine=duration=38" \
    -c:v libx264 -preset ultrafast -b:v 1M -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p \
    -c:a aac -f flv "$T/src.flv"
live-segment -q -s cam -o "$T/spool" -d 2 < "$T/src.flv" |
    live-transcode -q -C "$T/spool" -p ultrafast -l 360p:800k,180p:200k --passthrough never > "$T/rend.rec"
jq -c 'if .type == "renditions" and .seq >= 10 and .seq <= 12
       then .renditions |= map(select(.id != "360p")) | .dropped = ["360p"] else . end' \
    "$T/rend.rec" > "$T/drop.rec"
is "$(jq -r 'select(.type == "renditions") | .seq' "$T/drop.rec" | wc -l)" 19 "19 segments, 360p dropped from 3"

mkdir -p "$T/out"
live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" < /dev/null 2>/dev/null
start_serve -r "$T/out" -d "$T/live.db"
# in real time: a record every 2 s
( while IFS= read -r r; do printf '%s\n' "$r"; sleep 2; done < "$T/drop.rec" ) |
    live-package -C "$T/spool" -o "$T/out" --db "$T/live.db" 2> "$T/pkg.err" &
feed=$!
has() { [ "$(sqlite3 "$T/live.db" "SELECT COUNT(*) FROM segments WHERE stream = 'cam'" 2>/dev/null)" -ge "$1" ]; }
wait_for 60 has 2

# dash.js joins live before the gap, held to 360p
r=$(NODE_PATH=$TOP/node_modules node "$TOP/tests/serve/watch.js" "$URL/watch/cam" --seconds 40 --quality 360p)
t0=$(jq -r .start.t <<<"$r") t1=$(jq -r .end.t <<<"$r")
is "$(jq -r .engine <<<"$r")" dash "dash.js plays the live stream"
cmp_num "$t0" "<" 20 "  from before the dropped segments ($t0)"
cmp_num "$t1" ">" 27 "  to after them ($t1)"
like "$(jq -c .heights <<<"$r")" "180" "  at 180p where 360p is missing ($(jq -c .heights <<<"$r"))"
is "$(jq -r '.errors | length' <<<"$r")" 0 "  no player error" || diag "$(jq -c .errors <<<"$r")"

wait "$feed"
mpd=$(cat "$T/out/cam/manifest.mpd")
periods=$(grep -o '<Period id="[^"]*"' <<<"$mpd" | tr '\n' ' ')
is "$periods" '<Period id="p0" <Period id="p0-10" <Period id="p0-13" ' \
   "the MPD: a Period for the segments without 360p, then one with it again"
is "$(sed -n '/<Period id="p0-10"/,/<\/Period>/p' <<<"$mpd" | grep -o 'Representation id="[^"]*"' | tr '\n' ' ')" \
   'Representation id="180p" Representation id="audio" ' "  that Period lists 180p and audio only"
is "$(grep -c '^#EXT-X-GAP' "$T/out/cam/360p/index.m3u8")" 3 "HLS: 360p's playlist has 3 EXT-X-GAP"
is "$(grep -c '^#EXT-X-GAP' "$T/out/cam/180p/index.m3u8")" 0 "  180p's none"
