#!/usr/bin/env bash
# Enhanced RTMP: a publisher made for the test (tests/erpub.c) sends HEVC
# from libx265 (B-frames) and AAC in the spec's byte layout; live-ingest
# announces fourCcList in its connect reply, writes the stream as MPEG-TS
# (LIVE_FORMAT=mpegts for -e) with every video pts and dts exactly the
# source's, and live-segment | live-transcode | live-package make the
# H.264 ladder from it. Unknown FourCCs and truncated headers:
# tests/ingest-hostile.t.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
command -v cc >/dev/null 2>&1 || skip_all "no C compiler for the test publisher"
plan 14

# shellcheck disable=SC2046
cc -o "$T/erpub" "$TOP/tests/erpub.c" $(pkg-config --cflags --libs libavformat libavcodec libavutil) ||
    { fail "build the test publisher"; exit 1; }
$FFMPEG -f lavfi -i testsrc2=size=320x240:rate=30:duration=4 -f lavfi -i sine=duration=4 \
    -c:v libx265 -preset ultrafast -x265-params log-level=error:keyint=60:bframes=3 \
    -c:a aac -video_track_timescale 1000 "$T/src.mp4" || { fail "make HEVC media"; exit 1; }

start_ingest "$T/log" -v -g 0.3 -e \
    "echo \"\$LIVE_FORMAT\" > '$T/'\"\$LIVE_STREAM\".fmt; cat > '$T/'\"\$LIVE_STREAM\".out" ||
    { fail "live-ingest starts"; exit 1; }

# The connect reply lists the FourCCs.
raw_open; raw_handshake
raw_msg 03 14 00000000 "$(amf_str connect)003ff000000000000003$(amf_key app)$(amf_str live)$(amf_key tcUrl)$(amf_str "rtmp://127.0.0.1/live")000009"
timeout 2 cat <&3 > "$T/reply"
exec 3<&-
like "$(tr -c 'a-zA-Z0-9' ' ' < "$T/reply")" 'fourCcList .*hvc1 .*av01 .*vp09' \
    "the connect reply announces fourCcList: hvc1, av01, vp09"

"$T/erpub" "$T/src.mp4" "rtmp://127.0.0.1:$PORT/live/cam"
is "$?" 0 "the Enhanced RTMP publisher sends HEVC + AAC"
wait_for 10 grep -q "cam: stream ended" "$T/log"
like "$(cat "$T/log")" "cam: Enhanced RTMP video 'hvc1': written as mpegts" "the stream is written as MPEG-TS"
is "$(cat "$T/cam.fmt")" mpegts "the -e command is told LIVE_FORMAT=mpegts"
is "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$T/cam.out" | awk 'NF && !seen[$0]++' | paste -sd,)" \
    "hevc,aac" "HEVC and AAC come out"
# pts and dts of every video packet, in ms from the first dts
ffprobe -v error -select_streams v -show_entries packet=pts,dts -of csv=p=0 "$T/src.mp4" |
    awk -F, '$1 != "" { if (!s) { b = $2; s = 1 } print $1 - b "," $2 - b }' > "$T/want"
ffprobe -v error -select_streams v -show_entries packet=pts,dts -of csv=p=0 "$T/cam.out" |
    awk -F, '$1 != "" { if (!s) { b = $2; s = 1 } print ($1 - b) / 90 "," ($2 - b) / 90 }' > "$T/got"
is "$(wc -l < "$T/got")" 120 "all 120 video frames"
ok "every pts and dts is the source's (B-frames: pts != dts)" cmp -s "$T/want" "$T/got"
a() { ffprobe -v error -select_streams a -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" | grep . | head -n1; }
is "$(a "$T/cam.out")" "$(a "$T/src.mp4")" "every audio frame"

# AV1 (libaom), without onMetaData: Matroska, its frame size from the
# first keyframe's sequence header.
$FFMPEG -f lavfi -i testsrc2=size=160x120:rate=30:duration=2 -f lavfi -i sine=duration=2 \
    -c:v libaom-av1 -cpu-used 8 -g 30 -c:a aac -video_track_timescale 1000 "$T/av1.mp4" ||
    fail "make AV1 media"
"$T/erpub" -n "$T/av1.mp4" "rtmp://127.0.0.1:$PORT/live/av"
is "$?" 0 "the Enhanced RTMP publisher sends AV1 + AAC"
wait_for 10 grep -q "av: stream ended" "$T/log"
is "$(cat "$T/av.fmt")" matroska "AV1: LIVE_FORMAT=matroska"
is "$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$T/av.out" | awk 'NF' | paste -sd' ')" \
    "av1,160,120 aac" "AV1 160x120 and AAC come out"
ffprobe -v error -select_streams v -show_entries packet=pts -of csv=p=0 "$T/av1.mp4" |
    awk -F, '$1 != "" { if (!s) { b = $1; s = 1 } print $1 - b }' > "$T/want-av1"
ffprobe -v error -select_streams v -show_entries packet=pts -of csv=p=0 "$T/av.out" |
    awk -F, '$1 != "" { if (!s) { b = $1; s = 1 } print $1 - b }' > "$T/got-av1"
ok "every AV1 frame at its own time" cmp -s "$T/want-av1" "$T/got-av1"

live-segment -q -s cam -d 2 -o "$T/spool" < "$T/cam.out" | live-transcode -q -C "$T/spool" |
    live-package -q -C "$T/spool" -o "$T/pkg" --db "$T/live.db" --vod
is "$?" 0 "live-segment, live-transcode and live-package take it"
like "$(cat "$T/pkg/cam/master.m3u8")" 'RESOLUTION=320x240,CODECS="avc1\.[0-9a-f]+,mp4a\.40\.2",FRAME-RATE=30\.000' \
    "an H.264 ladder comes out"
done_testing
