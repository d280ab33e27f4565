#!/usr/bin/env bash
# live-segment: garbage, an empty input and a truncated file end with a
# clear message and exit 3, with every good segment before the fault
# published and nothing temporary left; so does a stop by SIGTERM while
# waiting on a FIFO.
. "$(dirname "$0")/lib.sh"
plan 25

# (SPOOL/.NAME.state is live-segment's state for -c, not a temporary file)
tmpfiles() { find "$T/sp" -name '.*' ! -name '.*.state' 2>/dev/null | wc -l; }

# garbage (fixed pseudo-random bytes) and an empty input, on stdin
perl -e 'srand(42); print map { chr(int(rand(256))) } 1 .. 200000' > "$T/garbage"
live-segment -s g -o "$T/sp" < "$T/garbage" > "$T/g.rec" 2> "$T/g.err"
is "$?" 3 "garbage: exit 3"
like "$(cat "$T/g.err")" '^live-segment: error: standard input: not media' "garbage: a clear message"
is "$(jq -c 'del(.broadcast)' "$T/g.rec")" '{"type":"end","stream":"g","seq":0,"error":"standard input: not media that can be read (Invalid data found when processing input)"}' \
   "garbage: just an end record with the error"
: > "$T/empty"
live-segment -s e -o "$T/sp" "$T/empty" > "$T/e.rec" 2> "$T/e.err"
is "$?" 3 "empty file: exit 3"
like "$(cat "$T/e.err")" 'empty: not media' "empty: a clear message naming the file"
is "$(jq -r .type "$T/e.rec")" "end" "empty: only the end record"

# an FLV cut in the middle of a tag, at 60 %
make_av "$T/full.flv" 25 -- -f flv || { echo "Bail out! cannot make media"; exit 1; }
size=$(stat -c %s "$T/full.flv")
head -c $((size * 6 / 10)) "$T/full.flv" > "$T/cut.flv"
live-segment -s t -o "$T/sp" < "$T/cut.flv" > "$T/t.rec" 2> "$T/t.err"
is "$?" 3 "truncated FLV: exit 3"
like "$(cat "$T/t.err")" 'truncated or corrupt' "truncated FLV: a clear message"
is "$(jq -r 'select(.type == "segment") | .start' "$T/t.rec" | tr '\n' ' ')" "0 10 " \
   "the good part is published: the full first segment and the rest up to the fault"
is "$(jq -r 'select(.seq == 0) | .duration' "$T/t.rec" | head -1)" 10 "first segment complete"
is "$(ffprobe -v error -count_packets -select_streams v -show_entries stream=nb_read_packets -of csv=p=0 \
      "$T/sp/t/0.mp4")" 250 "and its file holds all 250 frames"
like "$(tail -n 1 "$T/t.rec")" '^\{"type":"end","stream":"t","seq":2,"error":"[^"]*truncated' \
     "end record last, with the error"
is "$(tmpfiles)" 0 "nothing temporary left"

# an MP4 with its index first (faststart), cut in the middle
make_av "$T/fs.mp4" 25 -- -movflags +faststart || { echo "Bail out! cannot make media"; exit 1; }
size=$(stat -c %s "$T/fs.mp4")
head -c $((size * 6 / 10)) "$T/fs.mp4" > "$T/cut.mp4"
live-segment -s u -o "$T/sp" "$T/cut.mp4" > "$T/u.rec" 2> /dev/null
is "$?" 3 "truncated MP4: exit 3"
is "$(jq -r 'select(.type == "segment") | .start' "$T/u.rec" | head -1)" 0 "its first segment published"
is "$(tmpfiles)" 0 "nothing temporary left"

# an MPEG-TS (video only: its PES packets have no length) cut inside a
# transport packet ends as the truncated FLV does
make_video "$T/full.ts" 12 -- -f mpegts || { echo "Bail out! cannot make media"; exit 1; }
tsize=$(stat -c %s "$T/full.ts")
head -c $((tsize * 6 / 10)) "$T/full.ts" > "$T/cut.ts"
[ $((tsize * 6 / 10 % 188)) -ne 0 ] || head -c $((tsize * 6 / 10 + 100)) "$T/full.ts" > "$T/cut.ts"
live-segment -s ts -o "$T/sp" -d 2 < "$T/cut.ts" > "$T/ts.rec" 2> "$T/ts.err"
is "$?" 3 "truncated MPEG-TS: exit 3"
like "$(cat "$T/ts.err")" 'truncated or corrupt' "truncated MPEG-TS: a clear message"
is "$(jq -r 'select(.type == "segment") | .start' "$T/ts.rec" | head -2 | tr '\n' ' ')" "0 2 " \
   "the good part is published"
like "$(tail -n 1 "$T/ts.rec")" '^\{"type":"end","stream":"ts",.*"error":"[^"]*truncated' \
     "end record last, with the error"

# SIGTERM while waiting on a FIFO mid-segment: the segment in progress is
# removed, the finished one stays, the process dies of the signal
mkfifo "$T/fifo"
bg sh -c 'exec > "$3"; head -c $2 "$1"; exec sleep 60' _ "$T/full.flv" $((size * 6 / 10)) "$T/fifo"
writer=$!
live-segment -s k -o "$T/sp" "$T/fifo" > "$T/k.rec" 2> /dev/null &
seg=$!
ok "the first segment appears while the producer is slow" wait_for 20 grep -q '"seq":0' "$T/k.rec"
sleep 0.3
is "$(find "$T/sp/k" -name '.1.mp4.tmp-*' | wc -l)" 1 "the second segment is being written under a temporary name"
kill -TERM $seg
wait $seg
is "$?" 143 "SIGTERM: the process dies of it"
is "$(ls -A "$T/sp/k" | tr '\n' ' ')" "0.mp4 " "the temporary file is removed, the finished segment stays"
like "$(tail -n 1 "$T/k.rec")" '"type":"end".*"error":"interrupted"' "an end record says it was interrupted"
kill $writer 2>/dev/null || true # (it may be gone: its FIFO lost its reader)
