#!/usr/bin/env bash
# Stable parameter sets (issue 18): a steady 1080p30 source whose
# millisecond timestamps jitter, as an RTMP broadcast's do, gives every
# rung one set of parameter sets (SPS/PPS) over 30 segments. The frame rate
# measured over one segment (60 frames in 1.996 s is 30.06 fps) used to
# reach libx264, which chose level 3.2 instead of 3.1 for 1280x720 on such
# segments: live-package then said "codec configuration changed".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transcode.sh"
plan 7

# 15 s of 1080p30, key frames every 5 frames, every timestamp moved by up
# to 4 ms: segments of about 0.5 s with varying measured frame rates.
$FFMPEG -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=15" \
    -f lavfi -i "sine=sample_rate=44100:duration=15" \
    -vf "setpts=PTS+(random(1)-0.5)*0.008/TB" -fps_mode passthrough \
    -c:v libx264 -preset ultrafast -b:v 400k -g 5 -keyint_min 5 -sc_threshold 0 \
    -pix_fmt yuv420p -c:a aac -f flv "$T/src.flv"
live-segment -q -s cam -o "$T/spool" -d 0.5 < "$T/src.flv" > "$T/seg.rec"
nseg=$(grep -c '"type":"segment"' "$T/seg.rec")
cmp_num "$nseg" ">=" 28 "about 30 segments ($nseg)"
rates=$(for f in "$T"/spool/cam/*.mp4; do probe "$f" stream=avg_frame_rate v; done | sort -u | wc -l)
cmp_num "$rates" ">" 1 "their measured frame rates differ ($rates rates)"

live-transcode -C "$T/spool" -p ultrafast --keep < "$T/seg.rec" > "$T/rend.rec" 2> "$T/tc.err"
is "$?" 0 "live-transcode: exit 0"
for id in 720p 480p; do
    n=$(jq -r --arg id "$id" 'select(.type == "renditions") | .renditions[] | select(.id == $id) | .path' \
            "$T/rend.rec" | while read -r p; do
            ffprobe -v error -show_data -select_streams v -show_entries stream=extradata "$T/spool/$p" | md5sum
        done | sort -u | wc -l)
    is "$n" 1 "$id: one set of parameter sets in $nseg segments"
done
live-package -C "$T/spool" -o "$T/out" --db "$T/live.db" < "$T/rend.rec" 2> "$T/pkg.err"
is "$?" 0 "live-package: exit 0"
unlike "$(cat "$T/pkg.err")" "codec configuration changed" "live-package: no codec configuration change"
