#!/usr/bin/env bash
# live-segment: a 35 s source with a 2 s GOP is cut into 10, 10, 10, 5 s
# segments that start on keyframes, keep every timestamp exactly, and are
# followed by the end record; the command line.
. "$(dirname "$0")/lib.sh"
plan 30

make_av "$T/src.mp4" 35 || { echo "Bail out! cannot make media"; exit 1; }

live-segment -s cam1 -o "$T/spool" "$T/src.mp4" > "$T/rec" 2> "$T/err"
is "$?" 0 "exits 0"
segs() { jq -r "select(.type == \"segment\") | $1" "$T/rec" | tr '\n' ' '; }
is "$(segs .seq)" "0 1 2 3 " "four segment records, seq 0..3"
is "$(segs .start)" "0 10 20 30 " "starts at 0, 10, 20, 30"
is "$(segs '.duration * 100 | round / 100')" "10 10 10 5 " "durations 10, 10, 10, 5"
is "$(segs .path)" "cam1/0.mp4 cam1/1.mp4 cam1/2.mp4 cam1/3.mp4 " "paths SPOOL-relative, NAME/SEQ.mp4"
is "$(segs .discontinuity)" "false false false false " "no discontinuity"
is "$(segs '.start_pts * 1000 / (.timebase | split("/") | (.[0] | tonumber) / (.[1] | tonumber) | 1 / .) | round')" \
   "0 10000 20000 30000 " "exact start_pts/timebase agree with start"
is "$(tail -n 1 "$T/rec" | jq -c "del(.broadcast)")" '{"type":"end","stream":"cam1","seq":4}' "end record last, seq = number of segments"
is "$(jq -c 'select(.seq == 1) | .video' "$T/rec" | head -1)" \
   '{"codec":"h264","width":320,"height":240,"sar":"1:1","fps":"25/1"}' "video member"
is "$(jq -c 'select(.seq == 1) | .audio' "$T/rec" | head -1)" \
   '{"codec":"aac","sample_rate":48000,"channels":2}' "audio member"
is "$(ls -A "$T/spool/cam1" | tr '\n' ' ')" "0.mp4 1.mp4 2.mp4 3.mp4 " "the four files, nothing temporary"

# every segment starts with a keyframe at its start time
firsts=""
for s in 0 1 2 3; do
    firsts+="$(ffprobe -v error -select_streams v -read_intervals '%+#1' \
        -show_entries packet=pts_time,flags -of csv=p=0 "$T/spool/cam1/$s.mp4" | tr -d '\n') "
done
is "$firsts" "0.000000,K_ 10.000000,K_ 20.000000,K_ 30.000000,K_ " "each segment starts on a keyframe at its start"

# the segments together hold exactly the source's video timestamps
ffprobe -v error -select_streams v -show_entries packet=pts_time,dts_time -of csv=p=0 \
    "$T/src.mp4" > "$T/src.v"
for s in 0 1 2 3; do
    ffprobe -v error -select_streams v -show_entries packet=pts_time,dts_time -of csv=p=0 \
        "$T/spool/cam1/$s.mp4"
done > "$T/out.v"
is "$(wc -l < "$T/out.v")" 875 "875 video frames out of 875"
ok "video pts and dts exactly those of the source" cmp -s "$T/src.v" "$T/out.v"
# audio: each packet in the segment whose time range holds it
bad=0
for s in 0 1 2 3; do
    ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 \
        "$T/spool/cam1/$s.mp4" > "$T/a.$s"
    awk -v lo=$((s * 10)) -v hi=$((s * 10 + 10)) '$1 < lo - 0.0001 || $1 >= hi { bad = 1 } END { exit bad }' \
        "$T/a.$s" || bad=1
done
is "$bad" 0 "audio packets lie within their segment's time range"
cmp_num "$(cat "$T"/a.? | wc -l)" -ge 1640 "all audio kept ($(cat "$T"/a.? | wc -l) packets)"

# the command line
out=$(live-segment -h); st=$?
is "$st" 0 "-h exits 0"
like "$out" '^usage: live-segment' "-h prints usage on stdout"
like "$(live-segment --version)" '^live-segment [0-9]' "--version"
live-segment -d 0 "$T/src.mp4" > /dev/null 2> "$T/err"
is "$?" 2 "-d 0 is a usage error"
like "$(cat "$T/err")" '^live-segment: error: -d' "with a message naming -d"
live-segment -s ../x "$T/src.mp4" > /dev/null 2>&1
is "$?" 2 "a bad stream name is a usage error"
live-segment a b > /dev/null 2>&1
is "$?" 2 "two inputs are a usage error"
live-segment -o "$T/spool" "$T/nonexistent.flv" > "$T/rec2" 2> "$T/err"
is "$?" 1 "a missing input file is a runtime failure"
like "$(cat "$T/err")" 'nonexistent.flv' "the message names the file"

# $LIVE_STREAM (set by live-ingest -e) names the stream; -d takes units
(cd "$T" && LIVE_STREAM=envname live-segment -q -d 15s -o sp2 src.mp4) > "$T/rec3"
is "$(jq -r '.stream' "$T/rec3" | sort -u)" "envname" "the stream is named by \$LIVE_STREAM"
is "$(jq -r 'select(.type == "segment") | .start' "$T/rec3" | tr '\n' ' ')" "0 16 30 " \
   "-d 15s: cuts at the first keyframes at or after 15 and 30"

# an MP4 on standard input (index at the end, as ffmpeg writes it by
# default): a redirected file is seekable and is read as the file it is;
# the same bytes through a pipe cannot be, and say so with exit 3
live-segment -q -s stdin -o "$T/sp3" < "$T/src.mp4" > "$T/rec4" 2> "$T/err4"
is "$?" 0 "live-segment < file.mp4: exit 0"
is "$(jq -r 'select(.type == "segment") | .start' "$T/rec4" | tr '\n' ' ')" "0 10 20 30 " \
   "the same segments as from the file named"
cat "$T/src.mp4" | live-segment -q -s piped -o "$T/sp3" > /dev/null 2>&1
is "$?" 3 "the MP4 through a pipe: exit 3 (bad input)"
