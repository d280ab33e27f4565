#!/usr/bin/env bash
# Fault: kill -9 each stage of a running live pipeline in turn and start it
# again. The stream goes on (numbering and timeline continue, no
# duplicate, the stream is live again at the end), the manifests never
# list a file that is not there (checked from the disk every 0.2 s while
# it runs), every listed segment decodes after its init segment, and no
# temporary file is left.
#
# The stages are joined through record files (followed with tail -F)
# rather than pipes, so that each can be restarted on its own, as a
# supervisor would:
#
#   ffmpeg -re --RTMP--> live-ingest -e 'live-segment -c >> seg.jsonl'
#   tail -F seg.jsonl | live-transcode --keep >> ren.jsonl
#   tail -F ren.jsonl | live-package --> OUT + db --> live-serve
#
# live-transcode --keep leaves the segment files in the spool: that is
# where live-segment -c finds where to go on after a restart.
. "$(dirname "$0")/lib.sh"

for p in live-ingest live-segment live-transcode live-package live-serve; do
    [ -x "$LIVE_BIN/$p" ] || skip_all "$p is not built yet"
done
plan 18

S=$T/spool
OUT=$T/out
DB=$T/live.db
SEG=$T/seg.jsonl
REN=$T/ren.jsonl
mkdir -p "$S" "$OUT"
: > "$SEG"
: > "$REN"
rport=$(free_port)
hport=$(free_port)

now() { date +%s.%N; }
published() { sqlite3 "$DB" "SELECT count(*) FROM segments WHERE stream='cam'" 2>/dev/null || echo 0; }
# wait_more N SECONDS: until N more segments than now are published.
wait_more() {
    local want=$(( $(published) + $1 ))
    wait_for "$2" eval '[ "$(published)" -ge '$want' ]'
}

start_publisher() {
    ffmpeg -hide_banner -loglevel error -nostdin -re \
        -f lavfi -i "testsrc2=size=160x120:rate=25" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
        -t 120 -c:v libx264 -preset ultrafast -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p \
        -c:a aac -b:a 64k -ac 2 -f flv "rtmp://127.0.0.1:$rport/live/cam" 2>> "$T/publisher.log" &
    PUB=$!
    _bg_pids+=("$PUB")
}
start_ingest() {
    bg live-ingest -q -l "127.0.0.1:$rport" -g 10 \
        -e "live-segment -q -c -o '$S' -d 2 >> '$SEG' 2>> '$T/segment.log'" 2>> "$T/ingest.log"
    INGEST=$!
    wait_for 10 eval "ss -Hltn 'sport = :$rport' | grep -q ."
}
# start_transcode: go on after the records already answered (one output
# record per input record, in order).
start_transcode() {
    local k=$(( $(wc -l < "$REN") + 1 ))
    exec {tfd}< <(exec tail -n "+$k" -F "$SEG" 2>/dev/null)
    _bg_pids+=($!)
    live-transcode -q --keep -j 1 -C "$S" -p ultrafast -l 120p:150k <&$tfd >> "$REN" 2>> "$T/transcode.log" &
    TRANSCODE=$!
    _bg_pids+=("$TRANSCODE")
    exec {tfd}<&-
}
# start_package: all the records again; what was published is skipped.
start_package() {
    exec {pfd}< <(exec tail -n +1 -F "$REN" 2>/dev/null)
    _bg_pids+=($!)
    live-package -q -C "$S" -o "$OUT" --db "$DB" -t 20 --grace 5 <&$pfd 2>> "$T/package.log" &
    PACKAGE=$!
    _bg_pids+=("$PACKAGE")
    exec {pfd}<&-
}
start_serve() {
    bg live-serve -q -l "127.0.0.1:$hport" -r "$OUT" -d "$DB" -a ''
    SERVE=$!
    wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$hport/time"
}
# kill9 PID: kill -9 and reap.
kill9() { kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }

# The watcher: every 0.2 s, every file a playlist lists must be on disk
# (checked right after reading the playlist; files leave the disk only
# after a grace period). Also notes each availabilityStartTime seen.
watcher() {
    local pl f d
    while [ ! -e "$T/watch.stop" ]; do
        for pl in "$OUT"/cam/*/index.m3u8; do
            [ -f "$pl" ] || continue
            d=${pl%/index.m3u8}
            while read -r f; do
                case $f in
                    '#EXT-X-MAP:URI='*) f=${f#*URI=\"}; f=${f%%\"*} ;;
                    '#'*|'') continue ;;
                esac
                [ -s "$d/$f" ] || echo "$(date +%T.%N) ${d##*/}/$f listed but missing" >> "$T/watch.bad"
            done < "$pl"
        done
        [ -f "$OUT/cam/manifest.mpd" ] &&
            grep -o 'availabilityStartTime="[^"]*"' "$OUT/cam/manifest.mpd" >> "$T/watch.ast"
        sleep 0.2
    done
}

start_serve
start_package
start_transcode
start_ingest
watcher &
WATCH=$!
_bg_pids+=("$WATCH")
start_publisher

ok "the live pipeline publishes" wait_more 3 40

kill9 "$PACKAGE"
start_package
ok "live-package killed with -9 and restarted: the stream goes on" wait_more 2 30

kill9 "$TRANSCODE"
start_transcode
ok "live-transcode killed with -9 and restarted: the stream goes on" wait_more 2 30

kill9 "$SERVE"
start_serve
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hport/cam/master.m3u8")
is "$code" 200 "live-serve killed with -9 and restarted: it serves the stream again"

# live-segment: the ingest server loses its consumer and drops the
# publisher, which reconnects (as OBS does); a new live-segment -c goes on.
seg_pid=$(pgrep -f -n "live-segment -q -c -o $S")
before=$(published)
kill9 "$seg_pid"
wait_for 10 eval "! kill -0 $PUB 2>/dev/null"
start_publisher
ok "live-segment killed with -9, the publisher back: the stream goes on" wait_more 2 40

# live-ingest: its child sees the end of its input; the publisher comes
# back to a restarted server.
kill9 "$INGEST"
wait_for 10 eval "! kill -0 $PUB 2>/dev/null"
start_ingest
start_publisher
ok "live-ingest killed with -9 and restarted, the publisher back: the stream goes on" wait_more 2 40

# The end: the publisher stops, the stream is finalized.
kill -INT "$PUB"
wait "$PUB" 2>/dev/null
wait_for 30 eval '[ "$(sqlite3 "$DB" "SELECT state FROM streams WHERE name='"'cam'"'")" = vod ]'
touch "$T/watch.stop"
wait "$WATCH" 2>/dev/null

is "$(cat "$T/watch.bad" 2>/dev/null | head -n 5)" "" "no playlist ever listed a missing file"
is "$(sort -u "$T/watch.ast" | wc -l)" 1 "availabilityStartTime never changed"
is "$(sqlite3 "$DB" "SELECT state FROM streams WHERE name='cam'")" vod "the stream is finalized at the end"

# The timeline in the db: numbering from 0 without holes or repeats,
# each segment starting where the one before ended (within a frame), or,
# where live-segment -c continued the broadcast, as much later as it was
# away (a discontinuity).
sqlite3 -separator ' ' "$DB" "SELECT seq, start, duration, gap, discontinuity FROM segments WHERE stream='cam' ORDER BY seq" \
    > "$T/timeline"
n=$(wc -l < "$T/timeline")
cmp_num "$n" -ge 12 "segments published over the run ($n)"
is "$(awk '$1 != NR - 1' "$T/timeline" | head -n 3)" "" "sequence numbers 0..$((n - 1)) without a hole"
is "$(awk 'NR > 1 && ($2 < end - 0.05 || ($2 > end + 0.05 && !$5)) { print; } { end = $2 + $3 }' "$T/timeline" | head -n 3)" "" \
    "each segment starts where the previous one ended, or later at a discontinuity (the time a stage was away)"
is "$(awk '$4 != 0' "$T/timeline" | head -n 3)" "" "no gap"
discont=$(sqlite3 "$DB" "SELECT count(*) FROM segments WHERE stream='cam' AND discontinuity")
cmp_num "$discont" -ge 2 "the restarts of the publisher are marked as discontinuities ($discont)"

# Every listed segment decodes after its init segment.
broken=
for r in 120p audio; do
    while read -r f; do
        case $f in '#'*|'') continue ;; esac
        if ! cat "$OUT/cam/$r/init.mp4" "$OUT/cam/$r/$f" |
            ffmpeg -v error -nostdin -i - -f null - > "$T/dec.err" 2>&1 || [ -s "$T/dec.err" ]; then
            broken+="$r/$f "
        fi
    done < "$OUT/cam/$r/index.m3u8"
done
is "$broken" "" "every listed segment decodes after its init segment"
is "$(find "$OUT" -name '.*.tmp-*' | wc -l)" 0 "no temporary file left in OUT"
errors=$(cat "$T"/package.log "$T"/serve.log 2>/dev/null | grep -c ': error:')
is "$errors" 0 "live-package and live-serve logged no error"
[ "$errors" = 0 ] || diag "$(grep -h ': error:' "$T"/package.log | head -n 5)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hport/cam/manifest.mpd")
is "$code" 200 "the finished stream is served"
done_testing
