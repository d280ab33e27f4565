#!/usr/bin/env bash
# live-edge and HLS blocking playlist reloads: 500 viewers blocked on the
# next segment (index.m3u8?_HLS_msn=N, the same URL for all) cost the
# origin one request, held there until the segment is listed, and all get
# the playlist with it the moment it lands; the same for the next part
# (_HLS_msn=N&_HLS_part=P).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
command -v nginx >/dev/null || skip_all "needs nginx (scripts/deps)"
command -v live-serve >/dev/null || skip_all "live-serve is not built"
plan 8

chmod 711 "$T"    # nginx workers run as nobody when the test runs as root
D=$T/out/cam/240p
mkdir -p "$D"
start_serve -q -r "$T/out" --no-db -D 2 -a "$T/origin.log" || diag "the origin did not start"
po=$PORT pe=$(free_port)
bg live-edge -l "127.0.0.1:$pe" -p "$T/edge" -d 2 -r 0 -c 0 "127.0.0.1:$po" 2> "$T/edge.log"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$pe/" || diag "the edge did not start"

hls_playlist 6 > "$T/p6"; publish "$T/p6" "$D/index.m3u8"
P=http://127.0.0.1:$pe/cam/240p/index.m3u8

# 500 viewers blocked on segment 6.
LOAD_READY=$T/sent node "$TOP/tests/http-load.js" "$P?_HLS_msn=6" 500 > "$T/r1" &
load=$!
wait_for 30 test -e "$T/sent" || diag "the requests were not all sent"
sleep 1
hls_playlist 7 > "$T/p7"; publish "$T/p7" "$D/index.m3u8"
wait "$load"
is "$(jq -r '.status["200"]' "$T/r1")" 500 "500 blocked reloads: all 200 once segment 6 is listed"
is "$(jq -r '.bytes' "$T/r1")" $((500 * $(wc -c < "$T/p7"))) "all with the playlist that lists it"
is "$(grep -c '_HLS_msn=6 ' "$T/origin.log")" 1 "one origin request for them"
cmp_num "$(jq -r '.cache.MISS // 0' "$T/r1")" -le 1 "the rest answered from the edge's cache"

# 500 viewers blocked on part 1 of segment 7.
hls_playlist 7 1 > "$T/p7a"; publish "$T/p7a" "$D/index.m3u8"
LOAD_READY=$T/sent2 node "$TOP/tests/http-load.js" "$P?_HLS_msn=7&_HLS_part=1" 500 > "$T/r2" &
load=$!
wait_for 30 test -e "$T/sent2" || diag "the requests were not all sent"
sleep 1
hls_playlist 7 2 > "$T/p7b"; publish "$T/p7b" "$D/index.m3u8"
wait "$load"

is "$(jq -r '.status["200"]' "$T/r2")" 500 "500 blocked part reloads: all 200 once part 1 is listed"
is "$(jq -r '.bytes' "$T/r2")" $((500 * $(wc -c < "$T/p7b"))) "all with the playlist that lists it"
is "$(grep -c '_HLS_msn=7&_HLS_part=1 ' "$T/origin.log")" 1 "one origin request for them"
like "$(curl -s -D - -o /dev/null "$P?_HLS_msn=7&_HLS_part=1")" 'X-Cache-Status: (HIT|STALE|UPDATING)' \
    "a later viewer of the same reload: from the cache"
