#!/usr/bin/env bash
# The reorder buffer: records 2, 1, 3 are published 1, 2, 3; a missing
# segment holds the next one back for -t seconds, then becomes a gap the
# manifests show (a new DASH Period, an HLS discontinuity) and players
# play across; a record that says its segment failed is a gap at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
plan 19

make_ladder "$T/spool" cam1 8 1 || { fail "make ladder"; exit 1; }
ladder_records "$T/spool" cam1 8 1 > "$T/recs"
rec() { sed -n "$(($1 + 1))p" "$T/recs"; }
mkfifo "$T/fifo"
bg live-package -v -C "$T/spool" -o "$T/out" --db "$T/live.db" -t 2 "$T/fifo" 2> "$T/log"
pkg=$!
exec 3> "$T/fifo"
O=$T/out/cam1
db() { sqlite3 "$T/live.db" "$@"; }
published() { db "SELECT group_concat(seq) FROM (SELECT seq FROM segments WHERE stream = 'cam1' ORDER BY seq)" 2> /dev/null; }

rec 1 >&3
sleep 1
is "$(published)" "" "segment 1 is held back while 0 is missing"
ok "no manifest yet" test ! -e "$O/manifest.mpd"
rec 0 >&3
p01() { [ "$(published)" = 0,1 ]; }
wait_for 10 p01
is "$(published)" 0,1 "0 arrives: 0 and 1 are published"
rec 2 >&3
p012() { [ "$(published)" = 0,1,2 ]; }
wait_for 10 p012
# the log line follows the db commit: wait for it too
logged2() { grep -Eq 'published segment 2([^0-9]|$)' "$T/log"; }
wait_for 10 logged2
is "$(grep -o 'published segment [0-9]*' "$T/log" | awk '{ print $3 }' | paste -sd,)" 0,1,2 \
    "published strictly in order: 0, 1, 2"

# 3 goes missing: 4 waits for the timeout, then 3 is a gap.
t0=$(date +%s.%N)
rec 4 >&3
sleep 1
is "$(published)" 0,1,2 "segment 4 waits for the missing 3"
gap3() { [ "$(db "SELECT gap FROM segments WHERE seq = 3" 2> /dev/null)" = 1 ]; }
ok "3 is given up" wait_for 10 gap3
t1=$(date +%s.%N)
cmp_num "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" ">=" 1.9 "only after the 2 s timeout"
p01234() { [ "$(published)" = 0,1,2,3,4 ]; }
wait_for 10 p01234
is "$(published)" 0,1,2,3,4 "then 4 is published"
like "$(cat "$T/log")" 'segment 3 did not arrive within 2 s; published as a gap' "the gap is logged"
rec 3 >&3
# a failed segment is a gap without waiting
rec 5 | jq -c '.failed = true | .renditions = [] | .error = "decode error"' >&3
rec 6 >&3
rec 7 >&3
echo '{"type":"end","stream":"cam1","seq":8}' >&3
exec 3>&-
wait "$pkg"
is "$?" 0 "live-package exits 0"
like "$(cat "$T/log")" 'segment 3 was published already; record ignored' "the late record is ignored"
like "$(cat "$T/log")" 'segment 5 failed upstream \(decode error\); published as a gap' "a failed record is a gap"
is "$(db "SELECT group_concat(seq || ':' || gap) FROM segments")" "0:0,1:0,2:0,3:1,4:0,5:1,6:0,7:0" "segments rows with gaps"

# How the manifests show the gaps.
is "$(grep -o '<Period [^>]*>' "$O/manifest.mpd" | paste -sd' ')" \
    '<Period id="p0" start="PT0.000S" duration="PT4.000S"> <Period id="p4" start="PT4.000S" duration="PT2.000S"> <Period id="p6" start="PT6.000S" duration="PT2.000S">' \
    "DASH: a new Period after each gap"
like "$(tr '\n' ' ' < "$O/240p/index.m3u8")" '2\.m4s #EXT-X-DISCONTINUITY #EXT-X-PROGRAM-DATE-TIME:[^ ]* #EXTINF:1\.00000, 4\.m4s' \
    "HLS: a discontinuity before 4"
like "$(tr '\n' ' ' < "$O/240p/index.m3u8")" '4\.m4s #EXT-X-DISCONTINUITY #EXT-X-PROGRAM-DATE-TIME:[^ ]* #EXTINF:1\.00000, 6\.m4s' \
    "HLS: a discontinuity before 6"
is "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$O/240p/index.m3u8" | head -1)" 150 \
    "ffprobe reads the 6 segments across the gaps in the HLS playlist"

port=$(free_port)
bg node "$TOP/tests/package-serve.js" "$T/out" "$port" > /dev/null
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/time"
r=$(node "$TOP/tests/package-browser.js" "http://127.0.0.1:$port" dash-end cam1/manifest.mpd)
diag "dash.js: $r"
is "$(jq -r '"\(.duration) \(.ended) \(.errors | length)"' <<< "$r")" "8 true 0" "dash.js plays across the gaps to the end"
r=$(node "$TOP/tests/package-browser.js" "http://127.0.0.1:$port" hls-vod cam1/master.m3u8)
diag "hls.js: $r"
is "$(jq -r '"\(.ended) \(.errors | length)"' <<< "$r")" "true 0" "hls.js plays across the discontinuities"
