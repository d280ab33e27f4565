#!/usr/bin/env bash
# live-transcode --estimate SOURCE (issue 18): the real-time factor of the
# ladder for a source on this machine, before going live.
. "$(dirname "$0")/lib.sh"
plan 8

make_av "$T/src.mp4" 3 640x360 1 25
mkdir -p "$T/tmp"
TMPDIR=$T/tmp live-transcode -p ultrafast -l 360p:800k,240p:300k --passthrough never \
    --estimate "$T/src.mp4" > "$T/est.json" 2> "$T/est.err"
is "$?" 0 "--estimate: exit 0"
cmp_num "$(jq -r .realtime_factor "$T/est.json")" ">" 0 "a real-time factor ($(jq -r .realtime_factor "$T/est.json"))"
is "$(jq -r .seconds "$T/est.json")" 3 "over the source's 3 s (it is shorter than 10 s)"
is "$(jq -r '[.renditions[].id] | join(" ")' "$T/est.json")" "360p 240p audio" "the ladder's renditions"
like "$(cat "$T/est.err")" "^live-transcode: info: .*src.mp4: 3.0 s of media in [0-9.]+ s: [0-9.]+x real time" \
     "a line for people on stderr"
is "$(ls -A "$T/tmp")" "" "the temporary spool is removed"
live-transcode --estimate "$T/nothing.mp4" > /dev/null 2> "$T/bad.err"
is "$?" 3 "an unreadable source: exit 3"
like "$(cat "$T/bad.err")" "nothing.mp4: cannot read" "and says so"
