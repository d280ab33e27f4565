#!/usr/bin/env bash
# live-serve and segments still being written (low-latency mode, the
# contract in live-serve(1)): the test plays live-package, appending
# chunks to NAME/REND/SEQ.m4s.open with whole write()s and renaming it to
# SEQ.m4s when complete. A GET for SEQ.m4s streams the open file with
# chunked transfer encoding as its bytes land (the client holds the first
# chunk before the second is written) and ends at the rename; a request
# made before the open file exists waits for it; Range bytes=N- and
# bytes=N-M wait for byte N; .open files are never served by their own
# name; one whose open file never appears is a 404 after a segment
# duration; the stream limits per address answer 503; a blocking playlist
# reload for the next part is answered from the playlist that adds it,
# not a later one; live-serve stops cleanly with a stream waiting.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 27

D=$T/out/cam1/720p
mkdir -p "$D"
for k in 1 2 3 4; do head -c $((3000 + k * 1000)) /dev/urandom > "$T/c$k"; done
cat "$T/c1" "$T/c2" "$T/c3" "$T/c4" > "$T/whole"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
has_size() { [ "$(size "$1")" -eq "$2" ]; }
head -c 5000 /dev/urandom > "$D/0.m4s"
start_serve -q -r "$T/out" --no-db -D 4 -a "$T/access.log" --max-streams-per-ip 2 ||
    { fail "live-serve starts"; exit 1; }

# A segment being written, streamed as it grows.
cat "$T/c1" > "$D/1.m4s.open"
curl -sN -D "$T/h1" -o "$T/got1" -w '%{http_code}\n' "$URL/cam1/720p/1.m4s" > "$T/code1" &
get=$!
ok "the first chunk reaches the client while the segment is open" \
    wait_for 20 has_size "$T/got1" "$(size "$T/c1")"
ok "the reply is still going" kill -0 $get
cat "$T/c2" >> "$D/1.m4s.open"
ok "the second chunk follows" \
    wait_for 20 has_size "$T/got1" $(($(size "$T/c1") + $(size "$T/c2")))
cat "$T/c3" >> "$D/1.m4s.open"
cat "$T/c4" >> "$D/1.m4s.open"
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/cam1/720p/1.m4s.open")" 404 \
    ".open files are not served by their own name"
mv "$D/1.m4s.open" "$D/1.m4s"
wait $get
is "$(cat "$T/code1")" 200 "200"
ok "the whole segment, byte for byte" cmp -s "$T/got1" "$T/whole"
like "$(tr -d '\r' < "$T/h1")" '^Transfer-Encoding: chunked$' "chunked transfer encoding"
ok "the complete segment is served from its file" \
    cmp -s <(curl -s "$URL/cam1/720p/1.m4s") "$T/whole"

# A request before the open file exists: it waits, then streams.
curl -sN -o "$T/got2" -w '%{http_code}\n' --max-time 30 "$URL/cam1/720p/2.m4s" > "$T/code2" &
get=$!
sleep 0.5
cat "$T/c1" > "$D/2.m4s.open"
ok "a request made before the segment began gets its first chunk" \
    wait_for 20 has_size "$T/got2" "$(size "$T/c1")"
cat "$T/c2" "$T/c3" "$T/c4" >> "$D/2.m4s.open"
mv "$D/2.m4s.open" "$D/2.m4s"
wait $get
is "$(cat "$T/code2")" 200 "200"
ok "the whole segment" cmp -s "$T/got2" "$T/whole"

# Range requests on an open segment (EXT-X-PART BYTERANGE, the preload
# hint's BYTERANGE-START): they wait for their first byte.
c1=$(size "$T/c1") c2=$(size "$T/c2")
cat "$T/c1" > "$D/3.m4s.open"
curl -s -D "$T/h3a" -o "$T/got3a" -w '%{http_code}\n' -H "Range: bytes=$c1-" \
    --max-time 30 "$URL/cam1/720p/3.m4s" > "$T/code3a" &
open_get=$!
curl -s -D "$T/h3b" -o "$T/got3b" -w '%{http_code}\n' -H "Range: bytes=$c1-$((c1 + c2 - 1))" \
    --max-time 30 "$URL/cam1/720p/3.m4s" > "$T/code3b" &
part_get=$!
sleep 0.5
ok "a range starting past the written bytes is held" kill -0 $part_get
cat "$T/c2" >> "$D/3.m4s.open"
wait $part_get
ok "bytes=N-M is answered once its bytes are in, the segment still open" test -e "$D/3.m4s.open"
is "$(cat "$T/code3b")" 206 "206"
ok "with those bytes" cmp -s "$T/got3b" "$T/c2"
like "$(tr -d '\r' < "$T/h3b")" "^Content-Range: bytes $c1-$((c1 + c2 - 1))/\\*\$" "Content-Range N-M/*"
ok "bytes=N- goes on" kill -0 $open_get
cat "$T/c3" "$T/c4" >> "$D/3.m4s.open"
mv "$D/3.m4s.open" "$D/3.m4s"
wait $open_get
is "$(cat "$T/code3a")" 206 "bytes=N-: 206"
ok "bytes=N- ends with the segment" cmp -s "$T/got3a" <(tail -c +$((c1 + 1)) "$T/whole")

# The stream limit per address (2 here): a third stream is a 503.
cat "$T/c1" > "$D/4.m4s.open"
curl -s -o /dev/null --max-time 30 "$URL/cam1/720p/4.m4s" &
s1=$!
curl -s -o /dev/null --max-time 30 "$URL/cam1/720p/4.m4s" &
s2=$!
sleep 1
h=$(curl -s -D - -o /dev/null --max-time 10 "$URL/cam1/720p/4.m4s" | tr -d '\r')
like "$h" '^HTTP/1.1 503' "a third stream from one address: 503"
like "$h" '^Retry-After: 1$' "with Retry-After"
cat "$T/c2" "$T/c3" "$T/c4" >> "$D/4.m4s.open"
mv "$D/4.m4s.open" "$D/4.m4s"
wait $s1 $s2

# A blocking playlist reload for the next part: answered from the
# playlist that adds it (the one after the rename), not a later one.
PL=$T/out/cam1/720p/index.m3u8
playlist() {   # playlist PARTS: segments 0..4 and PARTS parts of 5
    {
        printf '#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n'
        printf '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5\n'
        printf '#EXT-X-PART-INF:PART-TARGET=0.5\n#EXT-X-MEDIA-SEQUENCE:0\n'
        for s in 0 1 2 3 4; do printf '#EXTINF:2.0,\n%d.m4s\n' $s; done
        for ((p = 0; p < $1; p++)); do
            printf '#EXT-X-PART:DURATION=0.5,URI="5.m4s",BYTERANGE="1000@%d"\n' $((p * 1000))
        done
        printf '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="5.m4s",BYTERANGE-START=%d\n' $(($1 * 1000))
    } > "$PL.tmp" && mv "$PL.tmp" "$PL"
}
playlist 1
ts=$(date +%s.%N)
curl -s -o "$T/pl" -w '%{time_total}' "$URL/cam1/720p/index.m3u8?_HLS_msn=5&_HLS_part=1" > "$T/pl.time" &
pl_get=$!
sleep 0.5
ok "the reload for part 1 of segment 5 is held" kill -0 $pl_get
t0=$(date +%s.%N)
playlist 2
wait_for 20 sh -c "! kill -0 $pl_get 2>/dev/null"
playlist 3
wait $pl_get
is "$(grep -c '^#EXT-X-PART:' "$T/pl")" 2 "answered with the playlist that added part 1, before the next part"
diag "the blocking reload was answered $(awk -v s="$ts" -v a="$t0" -v d="$(cat "$T/pl.time")" 'BEGIN { printf "%.0f", (s + d - a) * 1000 }') ms after the playlist's rename, curl's start-up the error (load $(cut -d' ' -f1 /proc/loadavg))"

# A segment whose open file never appears: 404 after about one segment
# duration (-D 4), as without low latency.
t0=$(date +%s.%N)
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$URL/cam1/720p/5.m4s")" 404 \
    "no open segment within a segment duration: 404"
cmp_num "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" ">=" 3.5 "after waiting for it"

# Stopping with a stream waiting for its next chunk: a clean stop.
cat "$T/c1" > "$D/5.m4s.open"
curl -s -o /dev/null --max-time 30 "$URL/cam1/720p/5.m4s" &
s1=$!
sleep 0.5
kill -TERM "$SERVE_PID"
ok "live-serve stops with a stream waiting" wait_for 10 sh -c "! kill -0 $SERVE_PID 2>/dev/null"
wait "$SERVE_PID"
is "$?" 0 "exit status 0"
wait $s1 || true    # its reply was cut off
