#!/usr/bin/env bash
# live-serve and HLS playlist delivery directives (RFC 8216bis), on a live
# stream that live-package publishes one segment at a time as the test
# feeds its records: a blocking playlist reload (_HLS_msn) is held until
# the segment lands, then answered at once through the waiter (one
# request, no re-polling: a 200 with the segment, where a timeout would
# have been a 503); many such requests are released by one landing; a
# request too far ahead or malformed is a 400; one whose segment never
# comes is a 503 after 3 target durations; _HLS_skip=YES gives a delta
# update; hls.js reloads the playlists that way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
plan 23

# 2 s segments: a blocking reload is held up to 3 target durations, 6 s,
# time enough for a slow (sanitizer) build to publish the next segment.
N=24
make_ladder "$T/spool" cam1 $((2 * N)) 2 || { fail "make ladder"; exit 1; }
ladder_records "$T/spool" cam1 $((2 * N)) 2 > "$T/recs"
mkdir -p "$T/out"
mkfifo "$T/fifo"
bg live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" -t 30 "$T/fifo"
exec 3> "$T/fifo"
fed=0
# feed_to K: records 0..K-1 are in
feed_to() { while [ $fed -lt "$1" ]; do sed -n "$((fed + 1))p" "$T/recs" >&3; fed=$((fed + 1)); done; }
port=$(free_port)
bg live-serve -q -l 127.0.0.1:"$port" -r "$T/out" -d "$T/live.db" -a "$T/access.log" -D 2
URL=http://127.0.0.1:$port
P=$URL/cam1/240p/index.m3u8
O=$T/out/cam1
feed_to 5
ok "segments 0..4 are published" wait_for 20 grep -q '^4.m4s$' "$O/240p/index.m3u8"
wait_for 10 curl -sf -o /dev/null "$URL/time"
like "$(curl -s "$P")" 'CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.000,HOLD-BACK=6.000' \
    "the playlist says it can block and skip"

# A blocking reload for segment 5, then segment 5.
curl -s -o "$T/b5" -w '%{http_code}\n' "$P?_HLS_msn=5" > "$T/b5.code" &
blocked=$!
sleep 1
ok "the request for segment 5 is held" kill -0 $blocked
feed_to 6
wait $blocked
answered=$(date +%s.%N)
is "$(cat "$T/b5.code")" 200 "answered 200 once segment 5 landed (a timeout is a 503)"
like "$(cat "$T/b5")" '^5\.m4s$' "with segment 5 in it"
seg5=$(stat -c %.Y "$O/240p/5.m4s")
cmp_num "$seg5" "<=" "$answered" "the segment file existed before the answer"
is "$(grep -c '_HLS_msn=5' "$T/access.log")" 1 "one request: the client did not poll"
diag "answered $(awk -v a="$answered" -v s="$seg5" 'BEGIN { printf "%.3f", a - s }') s after 5.m4s landed"

# Ready already: at once.
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$P?_HLS_msn=3")" 200 "an older segment: at once"

# 50 requests for segment 6, released by one landing.
LOAD_READY=$T/sent node "$TOP/tests/http-load.js" "$P?_HLS_msn=6" 50 > "$T/many" &
load=$!
wait_for 30 test -e "$T/sent" || diag "the requests were not all sent"
sleep 0.5
feed_to 7
wait $load
is "$(jq -c .status "$T/many")" '{"200":50}' "50 blocked requests: all answered 200"
is "$(jq .bytes "$T/many")" $((50 * $(wc -c < "$O/240p/index.m3u8"))) "all with the playlist that lists segment 6"

# Bad requests.
is "$(curl -s -o /dev/null -w '%{http_code}' "$P?_HLS_msn=10")" 400 "three past the last segment: 400"
is "$(curl -s -o /dev/null -w '%{http_code}' "$P?_HLS_part=1")" 400 "_HLS_part without _HLS_msn: 400"
is "$(curl -s -o /dev/null -w '%{http_code}' "$P?_HLS_msn=x7")" 400 "not a number: 400"
is "$(curl -s -o /dev/null -w '%{http_code}' "$P?_HLS_skip=MAYBE")" 400 "_HLS_skip neither YES nor v2: 400"

# A segment that does not come: 503 after 3 target durations.
t0=$(date +%s.%N)
code=$(curl -s -D "$T/h503" -o /dev/null -w '%{http_code}' --max-time 20 "$P?_HLS_msn=8")
t1=$(date +%s.%N)
is "$code" 503 "segment 8 never came: 503"
cmp_num "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" ">=" 5.9 "after holding it 3 target durations"
like "$(cat "$T/h503")" 'Retry-After: 2' "with Retry-After"

# Delta updates: 12 segments of 2 s, CAN-SKIP-UNTIL 12 s: 0..5 skipped.
feed_to 12
wait_for 20 grep -q '^11.m4s$' "$O/240p/index.m3u8"
d=$(curl -s "$P?_HLS_msn=11&_HLS_skip=YES")
like "$d" '^#EXT-X-SKIP:SKIPPED-SEGMENTS=6$' "_HLS_skip=YES: a delta update skipping 6 segments"
like "$d" '^#EXT-X-VERSION:9$' "version 9"
unlike "$d" '^5\.m4s$' "segment 5 is not in it"
probe_ok() { ffprobe -v error -show_entries format=duration -i "$1" > /dev/null; }
ok "ffprobe reads the live playlists" probe_ok "$URL/cam1/master.m3u8"

# hls.js: feed a segment every 2 s while it plays; it reloads the
# playlists with _HLS_msn (and later with _HLS_skip).
( for k in $(seq 13 $N); do sleep 2; feed_to "$k"; done ) &
feeder=$!
if [ -x /usr/bin/chromium ] && [ -d "$TOP/node_modules/playwright-core" ]; then
    NODE_PATH=$TOP/node_modules node "$TOP/tests/live-join.js" "$URL" cam1 8 hls > "$T/hls.json" 2> /dev/null
    is "$(jq -r '.played, (.errors | length)' "$T/hls.json" | tr '\n' ' ')" "true 0 " "hls.js plays, no errors"
    cmp_num "$(grep -c 'index.m3u8?_HLS_msn=' "$T/access.log")" -ge 3 "hls.js reloads with _HLS_msn"
else
    skip "no chromium"
    skip "no chromium"
fi
wait $feeder
exec 3>&-
