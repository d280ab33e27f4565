#!/usr/bin/env bash
# live-segment --low-latency: every segment is also written in parts of
# about -p seconds, each announced by a part record before the segment's
# own record; a segment's parts follow each other without gaps, the first
# starts on its keyframe, and together they hold exactly the segment's
# packets (B-frames and audio included); audio-only input is cut into
# parts too; the command line. Through live-transcode and live-package,
# a stream segmented with -L makes the same renditions and the same VOD
# as without.
. "$(dirname "$0")/lib.sh"
plan 29

# 7 s, 2 s GOP, B-frames (ultrafast has none: ask for them).
make_av "$T/src.flv" 7 320x240 2 -- -bf 2 -f flv || { echo "Bail out! cannot make media"; exit 1; }

live-segment -L -s cam1 -o "$T/spool" -d 2 "$T/src.flv" > "$T/rec" 2> "$T/err"
is "$?" 0 "exits 0"
types=$(jq -r '.type + (if .type == "part" then "." + (.part | tostring) else "" end)' "$T/rec" |
    tr '\n' ' ')
is "$types" "part.0 part.1 part.2 part.3 segment part.0 part.1 part.2 part.3 segment part.0 part.1 part.2 part.3 segment part.0 part.1 segment end " \
    "four parts of 0.5 s, then the segment's record, for every segment"
is "$(jq -r 'select(.type == "part" and .last) | "\(.seq).\(.part)"' "$T/rec" | tr '\n' ' ')" \
    "0.3 1.3 2.3 3.1 " "the last part of each segment says so"
is "$(jq -r 'select(.type == "part" and .independent) | "\(.seq).\(.part)"' "$T/rec" | tr '\n' ' ')" \
    "0.0 1.0 2.0 3.0 " "the first part of each segment is independent (starts on its keyframe)"
is "$(jq -r 'select(.type == "part") | .path' "$T/rec" | head -2 | tr '\n' ' ')" \
    "cam1/0.p0.nut cam1/0.p1.nut " "part paths: NAME/SEQ.pN.nut"
# Parts tile their segment: each starts where the one before ended, the
# first at the segment's start, the last ends at the segment's end.
tiles=$(jq -rs 'group_by(.seq) | map(select(.[0].type != "end")) | map(
    (map(select(.type == "part"))) as $p | (map(select(.type == "segment"))[0]) as $s |
    ($p[0].start_pts == $s.start_pts) and
    ($p[-1].start_pts + $p[-1].duration_pts == $s.start_pts + $s.duration_pts) and
    ([range(1; $p | length)] | all(. as $i | $p[$i].start_pts == $p[$i - 1].start_pts + $p[$i - 1].duration_pts))
    ) | all' "$T/rec")
is "$tiles" true "parts tile their segment exactly"
cmp_num "$(jq -s '[.[] | select(.type == "part") | .duration] | max' "$T/rec")" "<=" 0.6 \
    "no part longer than 0.5 s + one frame"
is "$(jq -c 'select(.type == "part" and .seq == 1 and .part == 2) | [.video.codec, .audio.codec, .discontinuity]' "$T/rec")" \
    '["h264","aac",false]' "parts carry the stream description"

# Packets: the parts of a segment together are the segment.
# (pts in microseconds; a part's are the timeline's + 10 s, "shift"; NUT
# keeps no dts, a reader decodes in file order.)
pk() { ffprobe -v quiet -show_entries packet=stream_index,pts_time,size,flags -of csv=p=0 "$1" |
       awk -F, -v s="${2:-0}" '{ printf "%s,%.0f,%s,%s\n", $1, ($2 - s) * 1e6, $3, $4 }'; }
same=0
for s in 0 1 2 3; do
    for p in "$T"/spool/cam1/$s.p*.nut; do pk "$p" 10; done > "$T/parts.$s"
    pk "$T/spool/cam1/$s.mp4" > "$T/seg.$s"
    cmp -s <(sort "$T/parts.$s") <(sort "$T/seg.$s") && same=$((same + 1))
done
[ "$same" = 4 ] || diag "$(diff <(sort "$T/parts.0") <(sort "$T/seg.0") | head -5)"
is "$(jq -r 'select(.type == "part") | .shift' "$T/rec" | sort -u)" 10 "shift: 10 s"
is "$same" 4 "every segment's parts hold exactly its packets"
is "$(pk "$T/spool/cam1/1.p1.nut" | cut -d, -f1 | sort -u | tr '\n' ' ')" "0 1 " "a part has video and audio"
is "$(ffprobe -v error -select_streams v -read_intervals '%+#1' -show_entries packet=flags -of csv=p=0 \
    "$T/spool/cam1/2.p0.nut")" "K_" "a segment's first part starts on a keyframe"
is "$(ls -A "$T/spool/cam1" | grep -c tmp)" 0 "nothing temporary left"

# Finer parts.
live-segment -s cam1 -o "$T/spool2" -d 2 -p 250ms "$T/src.flv" > "$T/rec2" 2> "$T/err2"
is "$?" 0 "-p 250ms alone turns parts on"
is "$(jq -r 'select(.type == "part" and .seq == 0) | .part' "$T/rec2" | tr '\n' ' ')" "0 1 2 3 4 5 6 7 " \
    "eight parts of 0.25 s to a 2 s segment"

# Without -L: no parts (the normal mode unchanged).
live-segment -s cam1 -o "$T/spool3" -d 2 "$T/src.flv" > "$T/rec3" 2> /dev/null
is "$(jq -r .type "$T/rec3" | sort -u | tr '\n' ' ')" "end segment " "normal mode: no part records"
is "$(jq -c 'select(.type == "segment") | del(.path, .broadcast, .wallclock)' "$T/rec3" | md5sum)" \
   "$(jq -c 'select(.type == "segment") | del(.path, .broadcast, .wallclock)' "$T/rec" | md5sum)" "the same segment records as in low-latency mode"
ok "the same segment files" cmp "$T/spool3/cam1/2.mp4" "$T/spool/cam1/2.mp4"

# Audio only: parts cut on any packet.
make_audio "$T/a.m4a" 3 || fail "make audio"
live-segment -L -s a -o "$T/spool4" -d 1 "$T/a.m4a" > "$T/rec4" 2> /dev/null
is "$?" 0 "audio only: exits 0"
is "$(jq -r 'select(.type == "part" and .seq == 1) | .part' "$T/rec4" | tr '\n' ' ')" "0 1 " \
    "audio only: two parts to a 1 s segment"

# The command line.
live-segment -s x -o "$T/s5" -d 1 -p 2 "$T/a.m4a" > /dev/null 2> "$T/err5"
is "$?" 2 "a part longer than a segment is a usage error"
like "$(cat "$T/err5")" "longer than a segment" "and says so"
live-segment -s x -o "$T/s5" -p 0.01 "$T/a.m4a" > /dev/null 2> /dev/null
is "$?" 2 "-p below 0.05 s: usage error"

# Through live-transcode, which works in whole segments: the same
# renditions records as from the normal mode, and the parts' files are
# removed with the part records it skips.
live-segment -L -s cam1 -o "$T/sp6" -d 2 "$T/src.flv" 2> /dev/null |
    live-transcode -q -C "$T/sp6" -l 180p:200k -p ultrafast > "$T/rend-ll"
is "$?" 0 "live-segment -L | live-transcode: exits 0"
is "$(grep -c '"type":"renditions"' "$T/rend-ll")" 4 "four renditions records"
live-segment -s cam1 -o "$T/sp7" -d 2 "$T/src.flv" 2> /dev/null |
    live-transcode -q -C "$T/sp7" -l 180p:200k -p ultrafast > "$T/rend-n"
norm() { jq -c 'del(.broadcast) | if .renditions then .renditions |= map(del(.path)) else . end' "$1"; }
is "$(norm "$T/rend-ll" | md5sum)" "$(norm "$T/rend-n" | md5sum)" "the same renditions records as without parts"
is "$(ls "$T/sp6/cam1" | grep -c '\.p[0-9]*\.nut$')" 0 "no part file left in the spool"

# The VOD: live-package over each: the same manifests and media.
live-package -q --vod -C "$T/sp6" -o "$T/vod-ll" --db "$T/vod-ll.db" "$T/rend-ll"
live-package -q --vod -C "$T/sp7" -o "$T/vod-n" --db "$T/vod-n.db" "$T/rend-n"
# (the playlists' program date times are the packaging run's wall clock)
tree() { (cd "$1/cam1" && for f in $(find . -type f ! -name manifest.mpd | sort); do
              printf '%s ' "$f"; grep -v '^#EXT-X-PROGRAM-DATE-TIME' "$f" | md5sum; done); }
is "$(tree "$T/vod-ll" | md5sum)" "$(tree "$T/vod-n" | md5sum)" "the VOD's media and playlists are the same bytes"
is "$(sed 's/publishTime="[^"]*"//' "$T/vod-ll/cam1/manifest.mpd" | md5sum)" \
   "$(sed 's/publishTime="[^"]*"//' "$T/vod-n/cam1/manifest.mpd" | md5sum)" "and so is its MPD"
