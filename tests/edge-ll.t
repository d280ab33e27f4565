#!/usr/bin/env bash
# live-edge -L, the low-latency edge (Varnish) in front of live-serve:
# 500 viewers blocked on the next part (index.m3u8?_HLS_msn=N&_HLS_part=P)
# cost the origin one request; a segment still being written (live-serve
# streams SEQ.m4s.open, chunked) reaches a viewer through the edge chunk by
# chunk, and 500 viewers who come while it is being fetched share that one
# origin request; parts are cached; /api/ and /whep/ always reach the
# origin.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
command -v varnishd >/dev/null || skip_all "needs varnishd (the varnish package)"
command -v live-serve >/dev/null || skip_all "live-serve is not built"
plan 19

chmod 711 "$T"    # varnishd's compiler and child run as their own users
D=$T/out/cam/240p
mkdir -p "$D"
start_serve -q -r "$T/out" --no-db -D 2 -a "$T/origin.log" || diag "the origin did not start"
po=$PORT pe=$(free_port)
bg live-edge -L -l "127.0.0.1:$pe" -p "$T/edge" -d 2 "127.0.0.1:$po" 2> "$T/edge.log"
E=http://127.0.0.1:$pe
ok "the edge starts" wait_for 60 curl -sf -o /dev/null "$E/time"

hls_playlist 7 1 > "$T/p1"; publish "$T/p1" "$D/index.m3u8"
P=$E/cam/240p/index.m3u8

# 500 viewers blocked on part 1 of segment 7 (some with a query of their
# own, which the edge drops from the key).
LOAD_READY=$T/sent node "$TOP/tests/http-load.js" "$P?_HLS_msn=7&_HLS_part=1" 480 > "$T/r1" &
load=$!
LOAD_READY=$T/sent2 node "$TOP/tests/http-load.js" "$P?t=5&_HLS_part=1&_HLS_msn=7" 20 > "$T/r1b" &
load2=$!
wait_for 60 test -e "$T/sent" -a -e "$T/sent2" || diag "the requests were not all sent"
sleep 1
hls_playlist 7 2 > "$T/p2"; publish "$T/p2" "$D/index.m3u8"
wait "$load" "$load2"
is "$(jq -r '.status["200"]' "$T/r1") $(jq -r '.status["200"]' "$T/r1b")" "480 20" \
    "500 blocked part reloads: all 200 once part 1 is listed"
is "$(jq -r '.bytes' "$T/r1")" $((480 * $(wc -c < "$T/p2"))) "all with the playlist that lists it"
is "$(grep -c '_HLS_msn=7&_HLS_part=1 ' "$T/origin.log")" 1 "one origin request for them"

# A segment still being written, through the edge: the test appends a
# chunk every 0.3 s, as live-package would, until told to finish it.
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
has_size() { [ "$(size "$1")" -eq "$2" ]; }
head -c 20000 /dev/urandom > "$T/c1"
cat "$T/c1" > "$D/8.m4s.open"
(
    while [ ! -e "$T/finish" ]; do
        sleep 0.3
        head -c 7000 /dev/urandom > "$T/chunk" && cat "$T/chunk" >> "$D/8.m4s.open"
    done
    mv "$D/8.m4s.open" "$D/8.m4s"
) &
writer=$!
curl -sN -o "$T/first" --max-time 60 "$E/cam/240p/8.m4s" &
first=$!
ok "the first chunk reaches a viewer through the edge while the segment is open" \
    wait_for 30 sh -c "[ \$(stat -c %s '$T/first' 2>/dev/null || echo 0) -ge 20000 ] && [ -e '$D/8.m4s.open' ]"
LOAD_READY=$T/sent3 node "$TOP/tests/http-load.js" "$E/cam/240p/8.m4s" 500 > "$T/r2" &
load=$!
wait_for 60 test -e "$T/sent3" || diag "the requests were not all sent"
sleep 1
touch "$T/finish"
wait "$writer"
wait "$load"
wait "$first"
ok "that viewer gets the whole segment" cmp -s "$T/first" "$D/8.m4s"
is "$(jq -r '.status["200"]' "$T/r2")" 500 "500 viewers who came during the fetch: all 200"
is "$(jq -r '.bytes' "$T/r2")" $((500 * $(size "$D/8.m4s"))) "all with the whole segment"
is "$(grep -c 'GET /cam/240p/8.m4s ' "$T/origin.log")" 1 "one origin request for the 501 of them"
ok "the origin streamed it chunked" grep -q 'GET /cam/240p/8.m4s HTTP/1.1" 200' "$T/origin.log"

# LL-HLS parts as byte ranges of the open segment (EXT-X-PART BYTERANGE,
# the preload hint's BYTERANGE-START): each range is fetched once, with
# its range, and answered when its bytes are in.
head -c 20000 /dev/urandom > "$D/9.m4s.open"
for k in 1 2 3; do
    curl -s -D "$T/rh$k" -o "$T/rb$k" -w '%{http_code}' -H 'Range: bytes=25000-29999' \
        --max-time 60 "$E/cam/240p/9.m4s" > "$T/rc$k" &
done
curl -s -o "$T/hint" -w '%{http_code}' -H 'Range: bytes=30000-' --max-time 60 \
    "$E/cam/240p/9.m4s" > "$T/hintc" &
sleep 1
for k in 1 2 3 4; do head -c 5000 /dev/urandom >> "$D/9.m4s.open"; sleep 0.3; done
mv "$D/9.m4s.open" "$D/9.m4s"
wait_for 60 sh -c "[ -s '$T/rc1' ] && [ -s '$T/rc2' ] && [ -s '$T/rc3' ] && [ -s '$T/hintc' ]"
is "$(cat "$T/rc1" "$T/rc2" "$T/rc3" "$T/hintc")" "206206206206" "ranges of an open segment through the edge: 206"
tail -c +25001 "$D/9.m4s" | head -c 5000 > "$T/part"
ok "a part's range: its bytes, the same for three viewers" \
    sh -c "cmp -s '$T/rb1' '$T/part' && cmp -s '$T/rb2' '$T/part' && cmp -s '$T/rb3' '$T/part'"
like "$(tr -d '\r' < "$T/rh1")" '^Content-Range: bytes 25000-29999/' "with its Content-Range"
ok "the preload hint's open range: to the segment's end" cmp -s "$T/hint" <(tail -c +30001 "$D/9.m4s")
is "$(grep -c 'GET /cam/240p/9.m4s ' "$T/origin.log")" 2 "two origin requests: one per range"

# Parts are cached; /api/ and /whep/ are not.
head -c 5000 /dev/urandom > "$D/7.p1.m4s"
for k in 1 2 3; do curl -s -o /dev/null "$E/cam/240p/7.p1.m4s"; done
is "$(grep -c 'GET /cam/240p/7.p1.m4s ' "$T/origin.log")" 1 "a part: one origin request for three viewers"
for k in 1 2; do curl -s -o /dev/null "$E/api/streams"; done
is "$(grep -c 'GET /api/streams ' "$T/origin.log")" 2 "/api/: every request reaches the origin"
for k in 1 2; do curl -s -o /dev/null -X POST --data 'v=0' "$E/whep/cam"; done
is "$(grep -c 'POST /whep/cam ' "$T/origin.log")" 2 "/whep/: every offer reaches the origin"
ok "live-edge -L -t checks the configuration" live-edge -L -t -p "$T/edge2" "127.0.0.1:$po"
