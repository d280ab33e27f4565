#!/usr/bin/env bash
# Joining a live stream 30 s in (2 s segments, fed in real time through
# live-package and served by live-serve): the player page with hls.js and
# with dash.js, and stock hls.js, dash.js and Shaka at their defaults on a
# plain page of the test's own, all play near the live edge — 3 x the
# segment duration behind the end of what is published (HOLD-BACK), give
# or take one segment on a busy machine — never at the window's start,
# and never sit paused; the stock players play as close to live as the
# player page does. The latency is in the
# manifests: HOLD-BACK in the playlists, suggestedPresentationDelay, a
# ServiceDescription and UTCTiming in the MPD.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
[ -x /usr/bin/chromium ] || skip_all "no chromium"
[ -d "$TOP/node_modules/playwright-core" ] || skip_all "no playwright-core (scripts/deps)"
[ -d "$TOP/node_modules/shaka-player" ] || skip_all "no shaka-player (scripts/deps)"
[ -f "$LIVE_BIN/../www/hls.min.js" ] || skip_all "no hls.js in the build (scripts/deps, make)"
PLAYERS=${PLAYERS:-"watch-hls watch-dash hls dash shaka-dash shaka-hls"}
plan 41
export NODE_PATH=$TOP/node_modules

SEG=2 N=54 JOIN=30 PLAY=14
make_ladder "$T/spool" cam1 $N $SEG || { fail "make ladder"; exit 1; }
ladder_records "$T/spool" cam1 $N $SEG > "$T/recs"
mkdir -p "$T/out"
mkfifo "$T/fifo"
bg live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" -t 10 "$T/fifo"
# A segment's record comes once its last frame would have been captured.
feed() { while read -r l; do sleep $SEG; printf '%s\n' "$l"; done < "$T/recs"; }
bg feed > "$T/fifo"
port=$(free_port)
bg live-serve -q -l 127.0.0.1:"$port" -r "$T/out" -d "$T/live.db" -a "$T/access.log" -D $SEG
URL=http://127.0.0.1:$port
O=$T/out/cam1
ok "the stream is published" wait_for 20 test -s "$O/240p/index.m3u8"

# The manifests carry the latency.
sleep 3
m3u=$(curl -sf "$URL/cam1/240p/index.m3u8")
mpd=$(curl -sf "$URL/cam1/manifest.mpd")
like "$m3u" '^#EXT-X-TARGETDURATION:2$' "target duration 2"
like "$m3u" '^#EXT-X-SERVER-CONTROL:.*,HOLD-BACK=6.000$' "HOLD-BACK = 3 target durations"
like "$(curl -sf "$URL/cam1/audio/index.m3u8")" '^#EXT-X-SERVER-CONTROL:.*,HOLD-BACK=6.000$' "the audio playlist too"
like "$mpd" 'suggestedPresentationDelay="PT6.000S"' "suggestedPresentationDelay = 3 segments"
like "$mpd" '<ServiceDescription id="0"><Latency target="6000" min="[0-9]+" max="[0-9]+"/>' \
    "ServiceDescription with the latency target"
like "$mpd" '<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="/time"/>' "UTCTiming"
probe_ok() { ffprobe -v error -show_entries format=duration -i "$1" > /dev/null; }
ok "ffprobe reads the live MPD" probe_ok "$URL/cam1/manifest.mpd"
ok "ffprobe reads the live HLS playlists" probe_ok "$URL/cam1/master.m3u8"

# Join JOIN seconds into the stream.
ast=$(sqlite3 "$T/live.db" "SELECT availability_start FROM streams WHERE name = 'cam1'")
now=$(date +%s.%N)
sleep "$(awk -v a="$ast" -v n="$now" -v j=$JOIN 'BEGIN { s = a + j - n; print (s > 0 ? s : 0) }')"
node "$TOP/tests/live-join.js" "$URL" cam1 $PLAY $PLAYERS > "$T/runs" 2> "$T/driver.err"
[ -s "$T/runs" ] || diag "$(tail -5 "$T/driver.err")"

# How far the published end trailed the wall clock: the test paces the
# stream in real time, and a machine too busy to publish a segment in its
# duration cannot show where a player joins.
lag=$(jq -s '[.[].samples[].edge | select(. != null)] | sort | if length > 0 then .[length / 2 | floor] else 0 end' "$T/runs")
busy=$(awk -v l="$lag" -v s=$SEG 'BEGIN { print (l > 3 * s) }')
[ "$busy" = 1 ] && diag "publishing trailed the clock by $lag s: too busy to judge the players' positions"
# Each player: the median latency over the samples after its first 4 s
# (start-up), against the wall clock of the frame shown.
for p in $PLAYERS; do
    r=$(grep "\"player\":\"$p\"" "$T/runs")
    j() { jq -r "$1" <<< "$r"; }
    lat=$(j '[.samples[4:][] | select(.latency != null and .edge != null) | .latency - .edge] | sort |
             if length > 0 then .[length / 2 | floor] else "none" end')
    max=$(j '[.samples[4:][] | .latency | select(. != null)] | max // "none"')
    # the least room left between the play position and the window's start
    room=$(j '[.samples[4:][] | select(.latency != null and .edge != null) | .window - (.latency - .edge)] | min // "none"')
    diag "$p: median $lat s behind the published end, at most $max s behind the clock," \
         "stalls $(j '.stalls | tostring'), errors $(j '.errors | tostring')"
    is "$(j .played)" true "$p plays"
    # HOLD-BACK (3 segments) behind the published end, give or take the
    # start-up (one more segment) and the time the player stalled on this
    # busy machine (a player does not catch up by default).
    stalled=$(j '[.stalls[]] | add // 0')
    if [ "$busy" = 1 ]; then
        skip "$p: within 3 segments of the live edge (the machine is too busy)"
    else
        cmp_num "$lat" "<=" "$(awk -v s=$SEG -v x="$stalled" 'BEGIN { print 4 * s + x }')" \
            "$p: within 3 segments of the live edge ($lat s; stalled $stalled s)"
    fi
    cmp_num "$room" ">=" $((2 * SEG)) "$p: never near the window's start ($room s after it at the least)"
    is "$(j '[.samples[-4:][] | select(.paused)] | length')" 0 "$p: not paused"
    errs=$(j '.errors | length')
    is "$errs" 0 "$p: no errors"
    [ "$errs" = 0 ] || diag "the server's answers other than 2xx and 304 (count, method, target, status):" \
        "$(awk '$9 !~ /^(2..|304)$/ { print $6, $7, $9 }' "$T/access.log" | sort | uniq -c | tail -20)"
    [ "$p" = dash ] && dash=$lat
    [ "$p" = watch-dash ] && watchdash=$lat
    [ "$p" = hls ] && hls=$lat
    [ "$p" = watch-hls ] && watchhls=$lat
done
if [ "$busy" = 1 ]; then
    skip "stock dash.js as close to live as the player page (the machine is too busy)"
    skip "stock hls.js as close to live as the player page (the machine is too busy)"
else
    cmp_num "$dash" "<=" "$(awk -v w="$watchdash" -v s=$SEG 'BEGIN { print w + s }')" \
        "stock dash.js as close to live as the player page ($dash vs $watchdash s)"
    cmp_num "$hls" "<=" "$(awk -v w="$watchhls" -v s=$SEG 'BEGIN { print w + s }')" \
        "stock hls.js as close to live as the player page ($hls vs $watchhls s)"
fi
