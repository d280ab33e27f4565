#!/usr/bin/env bash
# Enhanced RTMP: a publisher made for the test (tests/erpub.c) sends HEVC
# from libx265 (B-frames) and AAC in the spec's byte layout; live-ingest
# announces fourCcList in its connect reply, writes the stream as MPEG-TS
# (LIVE_FORMAT=mpegts for -e) with every video pts and dts exactly the
# source's, and live-segment | live-transcode | live-package make the
# H.264 ladder from it and from AV1 and VP9, aligned, played by dash.js.
# Unknown FourCCs and truncated headers: tests/ingest-hostile.t.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
command -v cc >/dev/null 2>&1 || skip_all "no C compiler for the test publisher"
plan 23

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

# VP9 (libvpx, no configuration record of its own: erpub sends a vpcC)
$FFMPEG -f lavfi -i testsrc2=size=160x120:rate=30:duration=2 -f lavfi -i sine=duration=2 \
    -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -g 30 -c:a aac -video_track_timescale 1000 "$T/vp9.mp4" ||
    fail "make VP9 media"
"$T/erpub" "$T/vp9.mp4" "rtmp://127.0.0.1:$PORT/live/vp"
is "$?" 0 "the Enhanced RTMP publisher sends VP9 + AAC"
wait_for 10 grep -q "vp: stream ended" "$T/log"
is "$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$T/vp.out" | awk 'NF' | paste -sd' ')" \
    "vp9,160,120 aac" "VP9 160x120 and AAC come out ($(cat "$T/vp.fmt"))"
ffprobe -v error -select_streams v -show_entries packet=pts -of csv=p=0 "$T/vp9.mp4" |
    awk -F, '$1 != "" { if (!s) { b = $1; s = 1 } print $1 - b }' > "$T/want-vp9"
ffprobe -v error -select_streams v -show_entries packet=pts -of csv=p=0 "$T/vp.out" |
    awk -F, '$1 != "" { if (!s) { b = $1; s = 1 } print $1 - b }' > "$T/got-vp9"
ok "every VP9 frame at its own time ($(wc -l < "$T/got-vp9") frames)" cmp -s "$T/want-vp9" "$T/got-vp9"

# The ladder from HEVC and from AV1: every rung's key frames at the same
# instants, packaged, played to the end by dash.js.
ladder=180p:200k,90p:100k,72p:80k
{ live-segment -q -s cam -d 2 -o "$T/spool" < "$T/cam.out"
  live-segment -q -s av -d 1 -o "$T/spool" < "$T/av.out"
  live-segment -q -s vp -d 1 -o "$T/spool" < "$T/vp.out"; } |
    live-transcode -q -j 1 -g 1 -p ultrafast -l $ladder -C "$T/spool" > "$T/rend"
is "$?" 0 "live-segment and live-transcode take HEVC, AV1 and VP9"
is "$(jq -r 'select(.type == "renditions") | "\(.stream) \([.renditions[].id] | join(" "))"' "$T/rend" | sort -u | paste -sd,)" \
    "av 120p 90p 72p audio,cam 240p 180p 90p 72p audio,vp 120p 90p 72p audio" \
    "the ladders: 240p (cam's own size) and 120p (av's, vp's) above the rungs that fit"
aligned=1
while read -r seq paths; do
    first=
    for p in $paths; do
        k=$(ffprobe -v error -select_streams v -show_entries packet=pts_time,flags -of csv=p=0 "$T/spool/$p" |
            awk -F, '$2 ~ /K/ { print $1 }' | paste -sd' ')
        [ -n "$k" ] || { aligned=0; diag "$p: no key frame"; }
        [ -z "$first" ] && first=$k
        [ "$k" = "$first" ] || { aligned=0; diag "$seq $p key frames $k vs $first"; }
    done
done < <(jq -r 'select(.type == "renditions") | "\(.stream)/\(.seq) \([.renditions[] | select(.kind == "video") | .path] | join(" "))"' "$T/rend")
is "$aligned" 1 "every rung of every segment has its key frames at the same instants"
live-package -q -C "$T/spool" -o "$T/pkg" --db "$T/live.db" --vod < "$T/rend"
is "$?" 0 "live-package takes the three ladders"
like "$(cat "$T/pkg/cam/master.m3u8")" 'RESOLUTION=320x240,CODECS="avc1\.[0-9a-f]+,mp4a\.40\.2",FRAME-RATE=30\.000' \
    "an H.264 ladder comes out"
if [ -x /usr/bin/chromium ] && [ -d "$TOP/node_modules/playwright-core" ]; then
    port=$(free_port)
    bg node "$TOP/tests/package-serve.js" "$T/pkg" "$port" > /dev/null
    wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/time"
    for s in cam av vp; do
        r=$(node "$TOP/tests/package-browser.js" "http://127.0.0.1:$port" dash-end $s/manifest.mpd)
        diag "dash.js $s: $r"
        is "$(jq -r '"\(.playing) \(.ended) \(.errors | length)"' <<< "$r")" "true true 0" \
            "dash.js plays the ladder made from $(case $s in cam) echo HEVC ;; av) echo AV1 ;; *) echo VP9 ;; esac) to the end, no error"
    done
else
    skip "no chromium or node_modules"
    skip "no chromium or node_modules"
    skip "no chromium or node_modules"
fi
done_testing
