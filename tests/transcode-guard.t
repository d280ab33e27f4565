#!/usr/bin/env bash
# The load guard (issue 18): a live source this machine cannot transcode in
# real time with the given ladder (noise at libx264's veryslow preset, a 2 s lag limit: slow with 4 s kept up on a quiet machine) makes
# live-transcode --max-lag step down (logged with the stream's name, in the
# records, in live-serve's /metrics) while dash.js keeps playing; when the
# source becomes cheap (a flat picture) it steps back up to the full ladder. Every segment is published
# once, in order; the rung left out is a gap in that rendition only.
# Every wait is for an event, with a generous limit (the machine may be at
# load 20): the flat picture is published until the full ladder is back
# (up to 240 s of it), the player watched until it has played 4 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 16

# 16 s of noise then up to 240 s of flat grey (published until the
# guard is back at the full ladder), 640x360 25 fps at 2 Mbit/s
$FFMPEG -f lavfi -i "testsrc2=size=640x360:rate=25:duration=16,noise=alls=40:allf=t" \
    -f lavfi -i "color=c=gray:size=640x360:rate=25:duration=240" -f lavfi -i "sine=duration=256" \
    -filter_complex "[0:v][1:v]concat=n=2:v=1:a=0[v]" -map "[v]" -map 2:a \
    -c:v libx264 -preset ultrafast -b:v 2M -maxrate 2M -bufsize 2M -g 25 -keyint_min 25 \
    -sc_threshold 0 -pix_fmt yuv420p -c:a aac -f flv "$T/src.flv"
mkdir -p "$T/out"
live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" < /dev/null 2>/dev/null
start_serve -r "$T/out" -d "$T/live.db"

# published in real time (-re), as a broadcast is, until stopped
mkfifo "$T/pub"
( live-segment -q -s cam -o "$T/spool" -d 1 < "$T/pub" |
    live-transcode -C "$T/spool" -p veryslow -l 360p:1500k,240p:500k --tolerance 0 --max-lag 2 -j 1 \
        2> "$T/tc.err" | tee "$T/rend.rec" |
    live-package -C "$T/spool" -o "$T/out" --db "$T/live.db" 2> "$T/pkg.err" ) &
pipe=$!
$FFMPEG -re -i "$T/src.flv" -c copy -f flv - > "$T/pub" &
pub=$!
steps_down() {
    curl -s "$URL/metrics" | grep -q 'live_transcode_guard_steps_total{stream="cam",direction="down"} [1-9]'
}
wait_for 300 steps_down
ok "/metrics counts the guard's steps down while the stream is live" steps_down
m=$(curl -s "$URL/metrics")
like "$m" 'live_transcode_lag_seconds\{stream="cam"\} [0-9.]+' "/metrics: the stream's lag"
like "$m" 'live_transcode_guard_level\{stream="cam",step="[a-z0-9]+"\} [1-9]' "/metrics: its level above 0"
# dash.js keeps playing while the guard steps (a rung left out, the top
# rung switched to the source's packets)
if [ -x /usr/bin/chromium ] && [ -d "$TOP/node_modules/playwright-core" ]; then
    r=$(NODE_PATH=$TOP/node_modules node "$TOP/tests/serve/watch.js" "$URL/watch/cam" --seconds 120 --advance 5)
    printf "%s\n" "$r" > "$T/watch.json"
    is "$(jq -r .engine <<<"$r")" dash "dash.js plays the stream while it is stepped down"
    t0=$(jq -r .start.t <<<"$r") t1=$(jq -r .end.t <<<"$r")
    # dash.js 5.2.1 joining the live stream inside the Period of a drop
    # step (240p left out) stays there with an empty buffer, its quality
    # still 240p (seen three times at load 18-24, each time 0 s played in
    # 120 s; the same stream as a VOD from the same time plays): a player
    # problem with the drop's Period that the guard's test does not hide
    t="dash.js stalls when it joins live inside a drop step's Period (issue 18)"
    todo "$t" cmp_num "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" ">" 4 "  currentTime advances ($t0 -> $t1)" ||
        diag "$(jq -c 'del(.start.qualities, .end.qualities)' <<<"$r")"
    is "$(jq -r '.errors | length' <<<"$r")" 0 "  no player error" || diag "$(jq -c .errors <<<"$r")"
else
    skip "no chromium or playwright-core"; skip "no chromium"; skip "no chromium"
fi
# the full ladder back (the flat picture is cheap at any load), then the
# broadcast ends
full() { grep -q 'step up to full' "$T/tc.err"; }
wait_for 300 full
kill -TERM "$pub" 2>/dev/null
wait "$pub"
wait "$pipe"
is "$?" 0 "the pipeline ends with exit 0"

like "$(grep -m1 'step down' "$T/tc.err")" '^live-transcode: warning: cam: [0-9.]+ s behind the broadcast \(limit 2\.0 s\), trend [-+][0-9.]+ s/s: step down to faster' \
     "the first step down is logged with the stream's name: faster encoding"
steps=$(grep -o 'step \(down\|up\) to [a-z0-9]*' "$T/tc.err" | tr '\n' ',')
note "steps: $steps"
like "$steps" 'step down to .*step up to ' "it steps down, then back up"
like "$steps" 'step down to .*step up to full,' "the full ladder returns once the source is cheap"
like "$(jq -r 'select(.type == "renditions") | .guard.step' "$T/rend.rec" | uniq | tr '\n' ' ')" \
   "^(full )?faster pass .*full " "the records tell the steps: faster, pass, ..., full again"
n=$(grep -c '"type":"renditions"' "$T/rend.rec")
is "$(jq -r 'select(.type == "renditions") | .seq' "$T/rend.rec" | tr '\n' ' ')" "$(seq 0 $((n - 1)) | tr '\n' ' ')" \
   "every segment once, in order ($n)"
is "$(sqlite3 "$T/live.db" "SELECT COUNT(*) FROM segments WHERE stream = 'cam' AND NOT gap")" "$n" \
   "live-package published every one (no gap)"
# the pass step changes the top rung's parameter sets (the source's, in
# band); the faster step must not change the encoded rungs'
unlike "$(grep -v 'left out' "$T/pkg.err")" "240p: segment [0-9]*: codec configuration changed" \
       "the faster step keeps the parameter sets (240p)"
f=$(ffmpeg -hide_banner -loglevel error -nostdin -i "$T/out/cam/360p/index.m3u8" -f null - -progress - 2>"$T/play.err" |
      awk -F= '$1 == "frame" { n = $2 } END { print n + 0 }')
want=$(sqlite3 "$T/live.db" "SELECT CAST(round(SUM(duration) * 25) AS INTEGER) - 10 FROM segments WHERE stream = 'cam'")
cmp_num "$f" ">=" "$want" "the finished stream plays: 360p, every frame ($f)" || diag "$(head -5 "$T/play.err")"
if grep -q 'step down to drop' "$T/tc.err"; then
    cmp_num "$(grep -c '^#EXT-X-GAP' "$T/out/cam/240p/index.m3u8")" ">=" 1 \
            "240p, left out for a while, has gaps in its playlist"
else
    skip "the guard left no rung out this time (the machine kept up at the pass step)"
fi
