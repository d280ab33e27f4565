#!/usr/bin/env bash
# live-edge and HLS blocking playlist reloads: 500 viewers blocked on the
# next segment (index.m3u8?_HLS_msn=N, the same URL for all) cost the
# origin one request, held there until the segment is listed, and all get
# the playlist with it the moment it lands; the same for the next part
# (_HLS_msn=N&_HLS_part=P).
. "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || skip_all "needs nginx (scripts/deps)"
command -v live-serve >/dev/null || skip_all "live-serve is not built"
plan 8

chmod 711 "$T"    # nginx workers run as nobody when the test runs as root
mkdir -p "$T/out/cam/240p"
po=$(free_port); pe=$(free_port)
bg live-serve -q -l "127.0.0.1:$po" -r "$T/out" --no-db -D 2 -a "$T/origin.log"
bg live-edge -l "127.0.0.1:$pe" -p "$T/edge" -d 2 -r 0 -c 0 "127.0.0.1:$po" 2> "$T/edge.log"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$po/time" || diag "the origin did not start"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$pe/" || diag "the edge did not start"

# playlist N [PARTS]: segments 0..N-1 of 2 s, then PARTS parts of segment N
playlist() {
    local n=$1 parts=${2:-0} i
    printf '#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=0.5\n'
    printf '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5,HOLD-BACK=6.000\n'
    printf '#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI="init.mp4"\n'
    for ((i = 0; i < n; i++)); do printf '#EXTINF:2.00000,\n%d.m4s\n' "$i"; done
    for ((i = 0; i < parts; i++)); do
        printf '#EXT-X-PART:DURATION=0.5,URI="%d.p%d.m4s"\n' "$n" "$i"
    done
}
publish() { # publish FILE: the way live-package does, write then rename
    cp "$1" "$T/out/cam/240p/.index.tmp" && mv "$T/out/cam/240p/.index.tmp" "$T/out/cam/240p/index.m3u8"
}
playlist 6 > "$T/p6"; publish "$T/p6"
P=http://127.0.0.1:$pe/cam/240p/index.m3u8

# 500 viewers blocked on segment 6.
LOAD_READY=$T/sent node "$TOP/tests/http-load.js" "$P?_HLS_msn=6" 500 > "$T/r1" &
load=$!
wait_for 30 test -e "$T/sent" || diag "the requests were not all sent"
sleep 1
playlist 7 > "$T/p7"; publish "$T/p7"
wait "$load"
is "$(jq -r '.status["200"]' "$T/r1")" 500 "500 blocked reloads: all 200 once segment 6 is listed"
is "$(jq -r '.bytes' "$T/r1")" $((500 * $(wc -c < "$T/p7"))) "all with the playlist that lists it"
is "$(grep -c '_HLS_msn=6 ' "$T/origin.log")" 1 "one origin request for them"
cmp_num "$(jq -r '.cache.MISS // 0' "$T/r1")" -le 1 "the rest answered from the edge's cache"

# 500 viewers blocked on part 1 of segment 7.
playlist 7 1 > "$T/p7a"; publish "$T/p7a"
LOAD_READY=$T/sent2 node "$TOP/tests/http-load.js" "$P?_HLS_msn=7&_HLS_part=1" 500 > "$T/r2" &
load=$!
wait_for 30 test -e "$T/sent2" || diag "the requests were not all sent"
sleep 1
playlist 7 2 > "$T/p7b"; publish "$T/p7b"
wait "$load"

is "$(jq -r '.status["200"]' "$T/r2")" 500 "500 blocked part reloads: all 200 once part 1 is listed"
is "$(jq -r '.bytes' "$T/r2")" $((500 * $(wc -c < "$T/p7b"))) "all with the playlist that lists it"
is "$(grep -c '_HLS_msn=7&_HLS_part=1 ' "$T/origin.log")" 1 "one origin request for them"
like "$(curl -s -D - -o /dev/null "$P?_HLS_msn=7&_HLS_part=1")" 'X-Cache-Status: (HIT|STALE|UPDATING)' \
    "a later viewer of the same reload: from the cache"
