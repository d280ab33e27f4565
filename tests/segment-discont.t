#!/usr/bin/env bash
# live-segment: an FLV whose timestamps restart at 0 halfway (a publisher
# that reconnected: one FLV header, then the second session's tags from 0,
# with its own metadata and sequence headers) gives continuous, monotonic
# output timestamps and one discontinuity flag, on the segment after the
# jump; a 32-bit millisecond wrap stays continuous too; a second run with
# --continue goes on after the first run's segments.
. "$(dirname "$0")/lib.sh"
plan 20

# flv_shift MS: add MS (mod 2^32) to every tag timestamp of the FLV on stdin
flv_shift() {
    perl -e 'binmode STDIN; binmode STDOUT; local $/; my $d = <STDIN>; my $off = shift;
        my $p = unpack("N", substr($d, 5, 4)) + 4;
        while ($p + 11 <= length $d) {
            my ($s1, $s2, $s3, $t1, $t2, $t3, $t4) = unpack("C7", substr($d, $p + 1, 7));
            my $ts = ((($t4 << 24) | ($t1 << 16) | ($t2 << 8) | $t3) + $off) % 4294967296;
            substr($d, $p + 4, 4) = pack("C4", ($ts >> 16) & 255, ($ts >> 8) & 255, $ts & 255, $ts >> 24);
            $p += 11 + (($s1 << 16) | ($s2 << 8) | $s3) + 4;
        }
        print $d;' "$1"
}

make_av "$T/a.flv" 13 || { echo "Bail out! cannot make media"; exit 1; }
make_av "$T/b.flv" 12 || { echo "Bail out! cannot make media"; exit 1; }
# b's tags without its 9-byte header and first PreviousTagSize
{ cat "$T/a.flv"; tail -c +14 "$T/b.flv"; } > "$T/restart.flv"
# the input really jumps back to 0
is "$(ffprobe -v error -select_streams v -show_entries packet=pts -of csv=p=0 "$T/restart.flv" |
      awk 'NR > 1 && $1 < prev - 1000 { n++ } { prev = $1 } END { print n + 0 }')" 1 \
   "the input's video timestamps jump back once"

cat "$T/restart.flv" | live-segment -s r -o "$T/sp" > "$T/rec" 2> "$T/err"
is "$?" 0 "exit 0"
recs() { jq -r "select(.type == \"segment\") | $1" "$T/rec" | tr '\n' ' '; }
is "$(recs .discontinuity)" "false false true false " "the segment after the jump, and only it, is a discontinuity"
like "$(recs '.start * 1000 | round')" '^0 10000 1303[0-9] 2103[0-9] $' \
     "a cut at the jump (13.03: where the first session ended), then on the grid (21.03)"
# the timeline is continuous: each start is the previous start + duration
is "$(jq -s -r '[.[] | select(.type == "segment")] | [range(1; length) as $i |
        (.[$i].start_pts - .[$i - 1].start_pts - .[$i - 1].duration_pts)] | map(tostring) | join(" ")' "$T/rec")" \
   "0 0 0" "start = previous start + previous duration"
like "$(cat "$T/err")" 'jumped' "the jump is reported"

for s in 0 1 2 3; do
    ffprobe -v error -select_streams v -show_entries packet=pts_time,dts_time -of csv=p=0 "$T/sp/r/$s.mp4"
done > "$T/v"
for s in 0 1 2 3; do
    ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 "$T/sp/r/$s.mp4"
done > "$T/a"
is "$(wc -l < "$T/v")" 625 "every video frame of both sessions (325 + 300)"
is "$(awk -F, 'NR > 1 && $2 <= prev { n++ } { prev = $2 } END { print n + 0 }' "$T/v")" 0 \
   "video dts strictly increasing across all segments"
is "$(awk -F, 'NR > 1 && ($1 - prev > 0.08 || $1 <= prev) { n++ } { prev = $1 } END { print n + 0 }' "$T/v")" 0 \
   "video pts continuous: no gap over 2 frames, no step back"
is "$(awk 'NR > 1 && ($1 - prev > 0.05 || $1 <= prev) { n++ } { prev = $1 } END { print n + 0 }' "$T/a")" 0 \
   "audio pts continuous and increasing"
cmp_num "$(awk -F, 'END { print $1 }' "$T/v")" '>' 24.9 "the output runs on to 25 s"

# timestamps starting 15 s before the 32-bit millisecond wrap
flv_shift $((4294967296 - 15000)) < "$T/a.flv" > "$T/wrap.flv"
like "$(ffprobe -v error -show_entries packet=dts -of csv=p=0 "$T/wrap.flv" -select_streams v | head -1)" \
     '^(-|42949)' "the wrap input starts just before 2^32 ms"
# (read with -c through a pipe that ends without live-ingest's end mark:
# the input was cut, and a later -c run goes on with the broadcast)
cat "$T/wrap.flv" | live-segment -q -c -s w -o "$T/sp" > "$T/wrec"
# (the last AAC frame ends at 13.0133 s: 3.014 in the FLV's milliseconds,
# rounded up; 3.013 when the audio was timed by its rounded timestamps)
like "$(jq -r 'select(.type == "segment") | "\(.start)/\(.duration)/\(.discontinuity)"' "$T/wrec" | tr '\n' ' ')" \
   '^0/10/false 10/3\.01[34]/false $' "across the wrap: continuous, cut on the grid"
for s in 0 1; do
    ffprobe -v error -select_streams v -show_entries packet=dts_time -of csv=p=0 "$T/sp/w/$s.mp4"
done | awk 'NR > 1 && ($1 - prev > 0.041 || $1 <= prev) { n++ } { prev = $1 } END { print n + 0 }' > "$T/wn"
is "$(cat "$T/wn")" 0 "video dts step by one frame throughout"

# --continue: a new run (the publisher came back after the input was cut)
# goes on after the segments already there, leaving other stages' files
# and live temporary files alone
touch "$T/sp/w/.1.720p.mp4.tmp-1-0" "$T/sp/w/1.720p.mp4" "$T/sp/w/.2.mp4.tmp-999999999-0"
live-segment -c -s w -o "$T/sp" < "$T/b.flv" > "$T/crec" 2> "$T/cerr"
is "$?" 0 "--continue: exit 0"
is "$(jq -r 'select(.type == "segment") | "\(.seq)/\(.discontinuity)"' "$T/crec" | tr '\n' ' ')" "2/true 3/false " \
   "numbering goes on at 2; the first new segment is a discontinuity"
cmp_num "$(jq -r 'select(.seq == 2) | .start' "$T/crec" | head -1)" '>=' 13.013 "it starts where segment 1 ended (13.013 s) ..."
cmp_num "$(jq -r 'select(.seq == 2) | .start' "$T/crec" | head -1)" '<=' 13.015 "... within a millisecond"
is "$(ffprobe -v error -select_streams v -read_intervals '%+#1' -show_entries packet=flags -of csv=p=0 \
      "$T/sp/w/2.mp4" | tr -d '\n')" "K_" "and on a keyframe"
is "$(ls -A "$T/sp/w" | tr '\n' ' ')" ".1.720p.mp4.tmp-1-0 0.mp4 1.720p.mp4 1.mp4 2.mp4 3.mp4 " \
   "a dead run's segment temporary file is removed, other files are kept"
