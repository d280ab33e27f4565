#!/usr/bin/env bash
# live-transcode: a corrupted or missing segment is reported in its record,
# the others are transcoded, the exit status is 3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transcode.sh"
plan 13

make_av "$T/src.mp4" 3 320x240 1 25
segs "$T/src.mp4" cam 1 > "$T/recs"
is "$(grep -c '"segment"' "$T/recs")" 3 "three segments"
mid=$T/spool/$(jq -r 'select(.seq == 1) | .path' "$T/recs")
head -c "$(stat -c %s "$mid")" /dev/urandom > "$mid"
{ sed -n 1,3p "$T/recs"
  echo 'this is not JSON'
  echo '{"type":"segment","stream":"cam","seq":3,"path":"cam/missing.nut","start":3,"duration":1}'
  sed -n 4p "$T/recs"; } > "$T/in"
live-transcode -C "$T/spool" -p ultrafast -l 240p:400k,120p:150k < "$T/in" > "$T/out" 2> "$T/err"
is "$?" 3 "exit status 3"
is "$(jq -c '[.seq, .failed // false]' "$T/out" | tr '\n' ' ')" "[0,false] [1,true] [2,false] [3,true] [3,false] " \
   "records in input order: 1 and 3 failed, end record last"
is "$(jq -r 'select(.seq == 1) | .renditions | length' "$T/out")" 0 "the failed record lists no renditions"
like "$(jq -r 'select(.seq == 1) | .error' "$T/out")" "." "the failed record says why"
like "$(jq -r 'select(.seq == 3 and .type == "renditions") | .error' "$T/out")" "cannot open" "a missing file: cannot open"
is "$(jq -r 'select(.seq == 1) | .start' "$T/out")" "$(jq -r 'select(.seq == 1) | .start' "$T/recs")" \
   "the failed record keeps start"
is "$(ids "$T/out" 0)" "240p 120p audio" "segment 0 fine"
is "$(ids "$T/out" 2)" "240p 120p audio" "segment 2 fine"
like "$(cat "$T/err")" "live-transcode: error: cam/0*1\.[a-z0-9]+: " "the error names the segment"
ok "the failed segment's file is kept" test -f "$mid"
is "$(ls "$T/spool/cam" | grep -c "^${mid##*/}" )" 1 "no rendition file for the failed segment"
is "$(ls -a "$T/spool/cam" | grep -c tmp)" 0 "no temporary files left"
