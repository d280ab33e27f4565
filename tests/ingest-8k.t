#!/usr/bin/env bash
# An 8K camera over Enhanced RTMP: a 7680x4320 HEVC source (8 frames from
# libx265 ultrafast, sent by tests/erpub.c in the spec's byte layout) goes
# through live-ingest, live-segment and live-transcode and becomes 1080p,
# 720p and 480p at exactly 16:9, each at the H.264 level of its own size;
# 1440p and 2160p only with --uhd; a picture above 8K is refused with its
# size named.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
command -v cc >/dev/null 2>&1 || skip_all "no C compiler for the test publisher"
plan 12

# shellcheck disable=SC2046
cc -o "$T/erpub" "$TOP/tests/erpub.c" $(pkg-config --cflags --libs libavformat libavcodec libavutil) ||
    { fail "build the test publisher"; exit 1; }
# a small picture scaled up (cheap to make), then 8 frames of 8K HEVC
$FFMPEG -f lavfi -i testsrc2=size=960x540:rate=30,scale=7680:4320:flags=neighbor \
    -f lavfi -i sine -frames:v 8 -t 0.27 -c:v libx265 -preset ultrafast \
    -x265-params log-level=error:keyint=30:bframes=0:frame-threads=1 \
    -c:a aac -video_track_timescale 1000 "$T/src.mp4" || { fail "make 8K HEVC media"; exit 1; }

start_ingest "$T/log" -g 0.3 -e "cat > '$T/'\"\$LIVE_STREAM\".out" ||
    { fail "live-ingest starts"; exit 1; }
"$T/erpub" "$T/src.mp4" "rtmp://127.0.0.1:$PORT/live/cam8k"
is "$?" 0 "the Enhanced RTMP publisher sends 7680x4320 HEVC + AAC"
wait_for 20 grep -q "cam8k: stream ended" "$T/log"
is "$(ffprobe -v error -select_streams v -show_entries stream=codec_name,width,height -of csv=p=0 "$T/cam8k.out" | grep . | head -n1)" \
    "hevc,7680,4320" "live-ingest hands on the 8K HEVC stream"

live-segment -q -s cam8k -d 2 -o "$T/spool" < "$T/cam8k.out" > "$T/recs"
live-transcode -q -p ultrafast -C "$T/spool" --keep < "$T/recs" > "$T/rend"
is "$?" 0 "live-transcode decodes 8K HEVC"
# id width height sar codec frames, one line per video rung
rungs() {
    jq -r 'select(.type == "renditions") | .renditions[] | select(.kind == "video") |
           "\(.id) \(.width)x\(.height) \(.sar) \(.codec[0:4]) \(.codec[9:11]) \(.path)"' "$1"
}
rungs "$T/rend" > "$T/r"
is "$(awk '{ print $1, $2, $3 }' "$T/r" | paste -sd,)" \
    "1080p 1920x1080 1:1,720p 1280x720 1:1,480p 832x468 1:1" \
    "the default ladder: 1080p, 720p, 480p, square pixels, nothing above 1080p"
aspect=1
while read -r id size sar codec level path; do
    w=${size%x*} h=${size#*x}
    [ $((w * 9)) = $((h * 16)) ] || { aspect=0; diag "$id $size is not 16:9"; }
done < "$T/r"
is "$aspect" 1 "every rung is exactly 16:9"
# libx264's level for each size at 30 fps: 4.0 (0x28), 3.1 (0x1f), 3.1
is "$(awk '{ print $4 "." $5 }' "$T/r" | paste -sd,)" "avc1.28,avc1.1f,avc1.1f" \
    "H.264 levels: 1080p 4.0, 720p 3.1, 480p 3.1"
frames=1
while read -r id size sar codec level path; do
    n=$(ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$T/spool/$path")
    k=$(ffprobe -v error -select_streams v -show_entries packet=flags -of csv=p=0 "$T/spool/$path" | head -n1)
    [ "$n" = 8 ] && [ "${k:0:1}" = K ] || { frames=0; diag "$id: $n frames, first $k"; }
done < "$T/r"
is "$frames" 1 "every rung: the 8 frames, a key frame first"

live-transcode -q -p ultrafast --uhd -C "$T/spool" --keep < "$T/recs" > "$T/rend-uhd"
is "$?" 0 "live-transcode --uhd"
rungs "$T/rend-uhd" > "$T/ru"
is "$(awk '{ print $1, $2 }' "$T/ru" | paste -sd,)" \
    "2160p 3840x2160,1440p 2560x1440,1080p 1920x1080,720p 1280x720,480p 832x468" \
    "--uhd: 2160p and 1440p as well"
is "$(awk '$1 == "2160p" { print $4 "." $5 }' "$T/ru")" "avc1.33" "2160p at level 5.1"

# Above 8K (8200x4352: more than level 6's 8192x4352 pixels): refused.
$FFMPEG -f lavfi -i color=c=gray:size=8200x4352:rate=1 -frames:v 1 -c:v libx264 -preset ultrafast \
    "$T/big.mkv" || fail "make an 8200x4352 picture"
live-segment -q -s big -d 2 -o "$T/spool" < "$T/big.mkv" > "$T/big.recs"
live-transcode -q -C "$T/spool" < "$T/big.recs" > "$T/big.rend" 2> "$T/big.err"
is "$?" 3 "a picture above 8K: exit 3"
like "$(cat "$T/big.err")" "video size 8200x4352 is above 8K" "the message names its size"
done_testing
