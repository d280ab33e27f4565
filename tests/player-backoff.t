#!/usr/bin/env bash
# The player page's retries back off exponentially with jitter: through
# live-edge, the first three requests for a media segment are answered
# 429 + Retry-After (as the edge's throttling answers); the player retries
# after growing delays, different from one player to the next, and plays.
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || skip_all "needs nginx (scripts/deps)"
command -v live-serve >/dev/null || skip_all "live-serve is not built"
need_browser
[ -f "$LIVE_BIN/../www/dash.all.min.js" ] || skip_all "no dash.js in the build (scripts/deps, make)"
plan 8

chmod 711 "$T"
V=$T/root/vod
mkdir -p "$V/0" "$V/1"
(cd "$V" && $FFMPEG -f lavfi -i "testsrc2=size=320x240:rate=25:duration=8" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=8" \
    -c:v libx264 -preset ultrafast -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p \
    -b:v 300k -c:a aac -b:a 64k \
    -f dash -seg_duration 2 -use_template 1 -use_timeline 0 \
    -init_seg_name '$RepresentationID$/init.mp4' -media_seg_name '$RepresentationID$/$Number$.m4s' \
    -adaptation_sets "id=0,streams=v id=1,streams=a" manifest.mpd)
ps=$(free_port); pe=$(free_port)
bg live-serve -l "127.0.0.1:$ps" -r "$T/root" --no-db -a "" 2> "$T/serve.log"
bg live-edge -l "127.0.0.1:$pe" -p "$T/edge" -d 2 "127.0.0.1:$ps" 2> "$T/edge.log"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$pe/time" || diag "edge or origin did not start"

node "$TOP/tests/player-backoff.js" "http://127.0.0.1:$pe/watch/vod" '/vod/0/1\.m4s' 3 2 > "$T/runs" 2> "$T/err"
r1=$(sed -n 1p "$T/runs") r2=$(sed -n 2p "$T/runs")
note "player 1: $r1" "player 2: $r2"
is "$(jq -r '.played' <<<"$r1") $(jq -r '.played' <<<"$r2")" "true true" "both players play after three 429s"
is "$(jq -r '.attempts | length' <<<"$r1")" 4 "four attempts: three refused, one served"
# gaps between attempts: attempt n waits in [d/2, d], d = 250 ms * 2^(n-1),
# plus the time a request takes.
gaps() { jq -r '[.attempts as $a | range(1; $a | length) | $a[.] - $a[. - 1]] | map(tostring) | join(" ")' <<<"$1"; }
read -r g1 g2 g3 <<<"$(gaps "$r1")"
note "gaps: $(gaps "$r1") / $(gaps "$r2") ms"
cmp_num "${g1:-0}" -ge 120 "first retry waits at least 125 ms"
cmp_num "${g2:-0}" -ge 240 "second waits at least 250 ms"
cmp_num "${g3:-0}" -gt "${g1:-0}" "third waits longer than the first"
cmp_num "${g3:-0}" -ge 490 "third waits at least 500 ms"
cmp_num "${g3:-0}" -le 3000 "capped: no retry sits idle for seconds"
isnt "$(gaps "$r1")" "$(gaps "$r2")" "two players do not retry in step (jitter)"
done_testing
