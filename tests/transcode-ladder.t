#!/usr/bin/env bash
# live-transcode: which rungs a source gets, their sizes and aspect,
# passthrough of a fitting H.264 source, aligned IDR frames, spool cleanup.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transcode.sh"
plan 43

# --- 1080p H.264 within 5000k: 1080p copied, 720p and 480p encoded -------
make_av "$T/hd.mp4" 2 1920x1080 1 25 -- -b:v 2500k -maxrate 2500k -bufsize 2500k
segs "$T/hd.mp4" hd 1 > "$T/hd.rec"
cp -r "$T/spool/hd" "$T/hd-src"
live-transcode -C "$T/spool" < "$T/hd.rec" > "$T/hd.out" 2> "$T/hd.err"
is "$?" 0 "1080p source: exit 0"
is "$(jq -r .type "$T/hd.out" | tr '\n' ' ')" "renditions renditions end " \
   "two renditions records, then the end record"
is "$(ids "$T/hd.out" 0)" "1080p 720p 480p audio" "1080p source: three rungs and audio"
is "$(rend "$T/hd.out" 0 1080p passthrough)" true "1080p is passed through"
is "$(rend "$T/hd.out" 0 720p passthrough)" false "720p is encoded"
p1080=$(rend "$T/hd.out" 0 1080p path)
src0=$(jq -r 'select(.seq == 0) | .path' "$T/hd.rec")
is "$(vpackets "$T/spool/$p1080" | awk '{ print $2 }' | md5sum)" \
   "$(vpackets "$T/hd-src/${src0#hd/}" | awk '{ print $2 }' | md5sum)" \
   "1080p video packets are bit-identical to the source's"
is "$(probe "$T/spool/$(rend "$T/hd.out" 0 720p path)" stream=width,height,sample_aspect_ratio v)" \
   "1280,720,1:1" "720p is 1280x720 SAR 1:1 in the file"
is "$(rend "$T/hd.out" 0 480p width)x$(rend "$T/hd.out" 0 480p height):$(rend "$T/hd.out" 0 480p sar)" \
   "832x468:1:1" "480p of 16:9 is 832x468 with square pixels"
is "$(probe "$T/spool/$(rend "$T/hd.out" 1 480p path)" stream=width,height,display_aspect_ratio v)" \
   "832,468,16:9" "480p file: 832x468, 16:9"
codec=$(rend "$T/hd.out" 0 720p codec)
level=$(probe "$T/spool/$(rend "$T/hd.out" 0 720p path)" stream=level v)
like "$codec" "^avc1\.64[0-9a-f]{2}$(printf %02x "$level")\$" "720p codec string $codec from its SPS (High, level $level)"
is "$(rend "$T/hd.out" 0 720p bandwidth)" 2800000 "720p bandwidth is its maxrate"
is "$(rend "$T/hd.out" 0 audio codec)" mp4a.40.2 "AAC audio passed on as mp4a.40.2"
is "$(probe "$T/spool/$(rend "$T/hd.out" 0 audio path)" stream=codec_name)" aac "audio file holds AAC"
for s in 0 1; do
    first="" ; nk=""
    for id in 1080p 720p 480p; do
        f=$T/spool/$(rend "$T/hd.out" $s $id path)
        k=$(keyframes "$f")
        first="$first $(echo "$k" | head -1)"
        nk="$nk $(echo "$k" | wc -l)"
        is "$(ffprobe -v error -select_streams v -show_entries packet=flags -of csv=p=0 "$f" | head -1)" \
           "K_" "segment $s $id: first packet is a key frame"
    done
    is "$(echo $first | tr ' ' '\n' | sort -u | wc -l)" 1 "segment $s: every rung starts at the same pts ($first)"
    is "$(echo $nk | tr ' ' '\n' | sort -u | wc -l)" 1 "segment $s: same number of key frames ($nk)"
done
start1=$(jq -r 'select(.seq == 1) | .start' "$T/hd.rec")
f=$T/spool/$(rend "$T/hd.out" 1 480p path)
cmp_num "$(keyframes "$f" | head -1)" ">=" "$(awk -v s="$start1" 'BEGIN { print s - 0.041 }')" \
    "segment 1 starts at its record's start ($start1)"
ffprobe -v error -select_streams v -show_entries frame=pict_type,key_frame -of csv=p=0 "$f" |
    head -1 | cut -d, -f1,2 > "$T/f1"
is "$(cat "$T/f1")" "1,I" "the first frame is an I (IDR) frame"
is "$(ls "$T/spool/hd" | grep -c '\.nut$')" 0 "input segment files removed"

# --- 1080p with --passthrough never: every rung encoded ----------------------
segs "$T/hd.mp4" hd2 1 2>/dev/null | head -1 > "$T/hd2.rec"
live-transcode -C "$T/spool" --passthrough never -l 1080p:5000k < "$T/hd2.rec" > "$T/hd2.out"
is "$(rend "$T/hd2.out" 0 1080p passthrough)" false "--passthrough never encodes 1080p"
# a source above the rung's bit rate is encoded too
segs "$T/hd.mp4" hd3 1 2>/dev/null | head -1 > "$T/hd3.rec"
live-transcode -C "$T/spool" -l 1080p:1000k < "$T/hd3.rec" > "$T/hd3.out"
is "$(rend "$T/hd3.out" 0 1080p passthrough)" false "a source above the rung's bit rate is encoded"
# within the tolerance (50% by default) of the rung's bit rate: passed through
segs "$T/hd.mp4" hd4 1 2>/dev/null | head -1 > "$T/hd4.rec"
live-transcode -C "$T/spool" --keep -p ultrafast -l 1080p:2400k < "$T/hd4.rec" > "$T/hd4.out"
is "$(rend "$T/hd4.out" 0 1080p passthrough)" true "a source within 50% above the rung's bit rate is passed through"
cmp_num "$(rend "$T/hd4.out" 0 1080p bandwidth)" ">=" 2400000 "  its bandwidth: the larger of the rung's and the measured one"
live-transcode -C "$T/spool" --keep -p ultrafast -l 1080p:2400k --tolerance 10 < "$T/hd4.rec" > "$T/hd5.out"
is "$(rend "$T/hd5.out" 0 1080p passthrough)" false "--tolerance 10: encoded"
live-transcode -C "$T/spool" -p ultrafast -l 1080p:1000k --passthrough always < "$T/hd4.rec" > "$T/hd6.out"
is "$(rend "$T/hd6.out" 0 1080p passthrough)" true "--passthrough always: passed through whatever the bit rate"

# --- 720p source: no 1080p ---------------------------------------------------
make_av "$T/s720.mp4" 1 1280x720 1 25
segs "$T/s720.mp4" s720 1 > "$T/s720.rec"
live-transcode -C "$T/spool" < "$T/s720.rec" > "$T/s720.out"
is "$(ids "$T/s720.out" 0)" "720p 480p audio" "720p source: 720p and 480p only (never upscaled)"

# --- 1366x768: no square-pixel size near 720 or 480, exact SAR ---------------
make_video "$T/wxga.mp4" 1 1366x768 1 25
segs "$T/wxga.mp4" wxga 1 > "$T/wxga.rec"
live-transcode -C "$T/spool" -p ultrafast < "$T/wxga.rec" > "$T/wxga.out"
is "$(ids "$T/wxga.out" 0)" "720p 480p" "1366x768 video only: 720p and 480p"
is "$(rend "$T/wxga.out" 0 720p width)x$(rend "$T/wxga.out" 0 720p height) $(rend "$T/wxga.out" 0 720p sar)" \
   "1280x720 2049:2048" "1366x768 -> 720p 1280x720 SAR 2049:2048"
is "$(probe "$T/spool/$(rend "$T/wxga.out" 0 720p path)" stream=sample_aspect_ratio,display_aspect_ratio v)" \
   "2049:2048,683:384" "720p file signals SAR 2049:2048, display 683:384 = the source's"
is "$(probe "$T/spool/$(rend "$T/wxga.out" 0 480p path)" stream=width,height,sample_aspect_ratio,display_aspect_ratio v)" \
   "854,480,3415:3416,683:384" "480p file 854x480 SAR 3415:3416, display 683:384"

# --- 640x480 4:3 --------------------------------------------------------------
make_av "$T/vga.mp4" 1 640x480 1 25 -- -b:v 800k -maxrate 800k -bufsize 800k
segs "$T/vga.mp4" vga 1 > "$T/vga.rec"
live-transcode -C "$T/spool" -p ultrafast -l 480p:1200k,360p:600k,720p:2800k < "$T/vga.rec" > "$T/vga.out"
is "$(ids "$T/vga.out" 0)" "480p 360p audio" "640x480: 480p and 360p"
is "$(rend "$T/vga.out" 0 480p passthrough)" true "640x480 H.264 fits 480p: passed through"
is "$(probe "$T/spool/$(rend "$T/vga.out" 0 360p path)" stream=width,height,display_aspect_ratio v)" \
   "480,360,4:3" "360p of 4:3 is 480x360"

# --- portrait 360x640: the rung is the width ---------------------------------
make_video "$T/tall.mp4" 1 360x640 1 25
segs "$T/tall.mp4" tall 1 > "$T/tall.rec"
live-transcode -C "$T/spool" -p ultrafast --passthrough never -l 360p:600k,240p:300k < "$T/tall.rec" > "$T/tall.out"
is "$(ids "$T/tall.out" 0)" "360p 240p" "portrait: 360p and 240p"
is "$(probe "$T/spool/$(rend "$T/tall.out" 0 240p path)" stream=width,height,sample_aspect_ratio,display_aspect_ratio v)" \
   "234,416,1:1,9:16" "portrait 240p is 234x416, 9:16"
is "$(probe "$T/spool/$(rend "$T/tall.out" 0 360p path)" stream=width,height v)" \
   "360,640" "portrait 360p is the source size"
