#!/usr/bin/env bash
# kill -9 of live-ingest while dash.js and hls.js play (issue 12): its
# per-stream pipeline sees its input cut without live-ingest's end mark, so
# live-segment -c writes a "lost" end record and live-package keeps the
# stream live (no ENDLIST, no static MPD). live-ingest is started again,
# the publisher comes back, the next live-segment -c continues the same
# broadcast, and both players play on to the new segments. At the end the
# publisher stops: after the grace period live-ingest marks the end and the
# stream is finished.
. "$(dirname "$0")/lib.sh"

for p in live-ingest live-segment live-transcode live-package live-serve; do
    [ -x "$LIVE_BIN/$p" ] || skip_all "$p is not built yet"
done
[ -x /usr/bin/chromium ] || skip_all "no chromium"
[ -d "$TOP/node_modules/playwright-core" ] || skip_all "no playwright-core (scripts/deps)"
[ -f "$LIVE_BIN/../www/dash.all.min.js" ] || skip_all "no dash.js in the build (scripts/deps, make)"
plan 14
export NODE_PATH=$TOP/node_modules

S=$T/spool OUT=$T/out DB=$T/live.db
mkdir -p "$S" "$OUT"
rport=$(free_port)
hport=$(free_port)
stage="live-segment -q -c -s \"\$LIVE_STREAM\" -d 2 -o '$S' 2>> '$T/segment.log'"
stage="$stage | live-transcode -q -C '$S' -p ultrafast -l 120p:150k -j 1 2>> '$T/transcode.log'"
stage="$stage | live-package -C '$S' -o '$OUT' --db '$DB' -w 120 2>> '$T/package.log'"

start_ingest() {
    bg live-ingest -q -l "127.0.0.1:$rport" -g 3 -e "$stage" 2>> "$T/ingest.log"
    INGEST=$!
    wait_for 10 eval "ss -Hltn 'sport = :$rport' | grep -q ."
}
start_publisher() {
    ffmpeg -hide_banner -loglevel error -nostdin -re \
        -f lavfi -i "testsrc2=size=160x120:rate=25" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
        -t 120 -c:v libx264 -preset ultrafast -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p \
        -c:a aac -b:a 64k -ac 2 -f flv "rtmp://127.0.0.1:$rport/live/cam" 2>> "$T/publisher.log" &
    PUB=$!
    _bg_pids+=("$PUB")
}
published() { sqlite3 "$DB" "SELECT count(*) FROM segments WHERE stream='cam'" 2>/dev/null || echo 0; }
state() { sqlite3 "$DB" "SELECT state FROM streams WHERE name='cam'" 2>/dev/null; }

bg live-serve -q -l "127.0.0.1:$hport" -r "$OUT" -d "$DB" -a '' 2>> "$T/serve.log"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$hport/time"
start_ingest
start_publisher
ok "the stream is live (6 segments)" wait_for 60 eval '[ "$(published)" -ge 6 ]'

# Both players, 36 s each from the moment they play.
node "$TOP/tests/edge-player.js" "http://127.0.0.1:$hport/watch/cam?player=dash" 36 "$T/dash.on" 6 \
    > "$T/dash.json" 2> "$T/dash.err" &
DASHP=$!
node "$TOP/tests/edge-player.js" "http://127.0.0.1:$hport/watch/cam?player=hls" 36 "$T/hls.on" \
    > "$T/hls.json" 2> "$T/hls.err" &
HLSP=$!
_bg_pids+=("$DASHP" "$HLSP")
ok "both players play" wait_for 90 eval 'test -e "$T/dash.on" -a -e "$T/hls.on"'

# The watcher: no playlist ever says ENDLIST, the MPD is never static.
( while [ ! -e "$T/stop" ]; do
      grep -l 'EXT-X-ENDLIST' "$OUT"/cam/*/index.m3u8 >> "$T/ended" 2>/dev/null
      grep -l 'type="static"' "$OUT"/cam/manifest.mpd >> "$T/ended" 2>/dev/null
      sleep 0.2
  done ) &
_bg_pids+=($!)

before=$(published)
kill -9 "$INGEST"
wait "$INGEST" 2>/dev/null
wait_for 15 eval "! kill -0 $PUB 2>/dev/null"
ok "live-segment wrote a lost end record" wait_for 20 grep -q "publisher is gone" "$T/package.log"
is "$(state)" live "the stream stays live"
start_ingest
start_publisher
ok "live-ingest restarted, the publisher back: the stream goes on" \
    wait_for 60 eval '[ "$(published)" -ge $((before + 4)) ]'

wait "$DASHP" "$HLSP"
touch "$T/stop"
for pl in dash hls; do
    r=$(cat "$T/$pl.json")
    note "$pl: $r"
    is "$(jq -r '.errors | length' <<<"$r")" 0 "$pl: no page error"
    # The second half of the 36 s comes after the outage: it must play.
    cmp_num "$(jq -r '.t_end - .t_mid' <<<"$r")" ">=" 6 "$pl: still playing after the restart"
    is "$(jq -r '.live' <<<"$r")" true "$pl: a live stream"
done
is "$(sort -u "$T/ended" 2>/dev/null)" "" "no ENDLIST and no static MPD while the publisher was away"
is "$(sqlite3 "$DB" "SELECT count(*) FROM streams")" 1 "one presentation: the broadcast went on"

# The publisher stops for good: live-ingest marks the end after its grace.
kill -INT "$PUB"
wait "$PUB" 2>/dev/null
ok "then the publisher stops: the stream is finished" wait_for 40 eval '[ "$(state)" = vod ]'
