#!/usr/bin/env bash
# Live: rendition records fed one per second (1 s segments) give a
# dynamic MPD that dash.js plays near the live edge; availabilityStartTime
# never changes; the DVR window (-w 6) slides and a segment's files are
# removed only after the manifest stopped listing them; the end record
# turns the stream into VOD.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
plan 24

N=24
make_ladder "$T/spool" cam1 $N 1 || { fail "make ladder"; exit 1; }
{ ladder_records "$T/spool" cam1 $N 1; echo "{\"type\":\"end\",\"stream\":\"cam1\",\"seq\":$N}"; } > "$T/recs"
mkdir -p "$T/out"
port=$(free_port)
bg node "$TOP/tests/package-serve.js" "$T/out" "$port" > /dev/null
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/time"
# The browser starts first and waits for the stream (see package-browser.js).
READY=$T/ready node "$TOP/tests/package-browser.js" "http://127.0.0.1:$port" dash-live cam1/manifest.mpd 8 \
    > "$T/dash.json" &
browser=$!
wait_for 60 test -e "$T/ready"

mkfifo "$T/fifo"
bg live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" -w 6 --grace 2 -t 5 "$T/fifo"
pkg=$!
feed() { while read -r l; do printf '%s\n' "$l"; sleep 1; done < "$T/recs"; }
bg feed > "$T/fifo"
O=$T/out/cam1
ok "manifest.mpd appears" wait_for 10 test -s "$O/manifest.mpd"

# Watch the manifest while the stream runs: what it lists must exist.
: > "$T/ast"; : > "$T/pub"; : > "$T/start"; : > "$T/msn"
missing=0 polls=0 dynamic=0
while kill -0 "$pkg" 2> /dev/null; do
    cp "$O/manifest.mpd" "$T/m.mpd" 2> /dev/null || continue
    polls=$((polls + 1))
    grep -q 'type="dynamic"' "$T/m.mpd" || { sleep 0.25; continue; }
    dynamic=$((dynamic + 1))
    cp "$T/m.mpd" "$T/dyn.mpd"
    cp "$O/240p/index.m3u8" "$T/i.m3u8" 2> /dev/null &&
        grep -q '^#EXT-X-ENDLIST' "$T/i.m3u8" || cp "$T/i.m3u8" "$T/live.m3u8" 2> /dev/null
    sed -n 's/^#EXT-X-MEDIA-SEQUENCE://p' "$T/i.m3u8" >> "$T/msn" 2> /dev/null
    grep -o 'availabilityStartTime="[^"]*"' "$T/m.mpd" >> "$T/ast"
    grep -o 'publishTime="[^"]*"' "$T/m.mpd" >> "$T/pub"
    read -r first count < <(awk -F'"' '/contentType="video"/ { v = 1 } v && /startNumber=/ {
            for (i = 1; i < NF; i++) if ($i ~ /startNumber=$/) s = $(i + 1) }
        v && /<S / { r = 0; for (i = 1; i < NF; i++) if ($i ~ / r=$/) r = $(i + 1); n += r + 1 }
        /<\/AdaptationSet>/ { v = 0 } END { print s, n }' "$T/m.mpd")
    echo "$first $count" >> "$T/start"
    for ((s = first; s < first + count; s++)); do
        for r in 240p 180p 144p audio; do
            [ -s "$O/$r/$s.m4s" ] || { missing=$((missing + 1)); diag "listed but missing: $r/$s.m4s"; }
        done
    done
    sleep 0.25
done
wait "$pkg"
is "$?" 0 "live-package exits 0 after the end record"
wait "$browser"

cmp_num "$dynamic" -ge 20 "saw the dynamic MPD many times ($dynamic)"
is "$(sort -u "$T/ast" | wc -l)" 1 "availabilityStartTime identical across every update"
cmp_num "$(sort -u "$T/pub" | wc -l)" -ge 10 "publishTime advances"
is "$missing" 0 "every listed segment file existed at every look"
cmp_num "$(awk '{ print $1 }' "$T/start" | sort -n | tail -1)" -ge 12 "the window slid (startNumber grew)"
cmp_num "$(awk '{ print $2 }' "$T/start" | sort -n | tail -1)" -le 7 "at most 6 s (+1 segment) listed"
like "$(cat "$T/dyn.mpd")" 'minimumUpdatePeriod="PT1.000S" timeShiftBufferDepth="PT6.000S" suggestedPresentationDelay="PT3.000S"' \
    "live MPD attributes"
cmp_num "$(sort -n "$T/msn" | tail -1)" -ge 12 "HLS: the playlist slides too (EXT-X-MEDIA-SEQUENCE grew)"
is "$(grep -c '^#EXTINF' "$T/live.m3u8"),$(grep -c ENDLIST "$T/live.m3u8")" "$(grep -c '^#EXTINF' "$T/live.m3u8"),0" \
    "HLS: no ENDLIST while live"
cmp_num "$(grep -c '^#EXTINF' "$T/live.m3u8")" -le 7 "HLS: only the window is listed"
like "$(cat "$T/dyn.mpd")" '<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="/time"/>' "UTCTiming /time"
like "$(cat "$T/dyn.mpd")" '<Period id="p0" start="PT0.000S">' "Period id and start"
is "$(ls "$O"/240p/0.m4s "$O"/audio/0.m4s 2> /dev/null | wc -l)" 0 "old segment files were removed"
cmp_num "$(ls "$O/240p" | grep -c 'm4s$')" -le 12 "only the window plus the grace period stays on disk"
gone=0
for q in $(sqlite3 "$T/live.db" "SELECT seq FROM segments WHERE stream = 'cam1'"); do
    [ -e "$O/240p/$q.m4s" ] || gone=$((gone + 1))
done
is "$gone,$(sqlite3 "$T/live.db" "SELECT min(seq) > 0 FROM segments")" "0,1" \
    "segment rows of removed files are gone too"

r=$(cat "$T/dash.json")
diag "dash.js: $r"
j() { jq -r "$1" <<< "$r"; }
is "$(j .playing),$(j .dynamic)" "true,true" "dash.js plays the dynamic MPD"
cmp_num "$(j .latency)" "<" 6 "dash.js plays near the live edge (latency $(j .latency) s)"
is "$(j .still_playing)" true "dash.js keeps playing"
is "$(j '.errors | length')" 0 "no dash.js errors"

like "$(cat "$O/manifest.mpd")" 'type="static"' "finalized: static MPD"
like "$(tail -1 "$O/240p/index.m3u8")" '^#EXT-X-ENDLIST$' "finalized: ENDLIST"
is "$(sqlite3 "$T/live.db" "SELECT state, next_seq FROM streams")" "vod|$N" "finalized: stream is vod"
