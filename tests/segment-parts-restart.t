#!/usr/bin/env bash
# live-segment --low-latency killed in the middle of a segment and
# restarted with -c: the stream goes on at the next segment, whose parts
# are announced from part 0 (the killed segment's number is taken again,
# as it was never announced as a segment); the killed run's temporary
# segment and part files are removed.
. "$(dirname "$0")/lib.sh"
plan 7

make_av "$T/src.flv" 12 320x240 1 -- -f flv || { echo "Bail out! cannot make media"; exit 1; }
mkfifo "$T/in"
# Real time into the first run, killed once part 1 of segment 1 is out.
$FFMPEG -re -i "$T/src.flv" -c copy -f flv - > "$T/in" 2> /dev/null &
feeder=$!
bg live-segment -L -s cam1 -o "$T/spool" -d 2 "$T/in" > "$T/rec1" 2> /dev/null
seg=$!
ok "the first run announced part 1 of segment 1" \
    wait_for 30 grep -q '"seq":1,.*"part":1,' "$T/rec1"
kill -9 $seg
wait $seg 2> /dev/null
kill $feeder 2> /dev/null
wait $feeder 2> /dev/null
cmp_num "$(ls -A "$T/spool/cam1" | grep -c tmp)" -ge 1 "the kill left temporary files"
is "$(jq -r 'select(.type == "segment") | .seq' "$T/rec1" | tr '\n' ' ')" "0 " \
    "only segment 0 was announced as a segment"
live-segment -L -c -s cam1 -o "$T/spool" -d 2 "$T/src.flv" > "$T/rec2" 2> "$T/err2"
is "$?" 0 "the second run (-c) exits 0"
is "$(head -1 "$T/rec2" | jq -r '"\(.type) \(.seq) \(.part) \(.discontinuity)"')" "part 1 0 true" \
    "it goes on at segment 1, part 0, a discontinuity"
is "$(jq -r 'select(.type == "part" and .seq == 1) | .part' "$T/rec2" | tr '\n' ' ')" "0 1 2 3 " \
    "segment 1's parts announced anew from 0"
is "$(ls -A "$T/spool/cam1" | grep -c tmp)" 0 "the killed run's temporary files are gone"
