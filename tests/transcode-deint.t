#!/usr/bin/env bash
# live-transcode: an interlaced source (720x576, top field first) is
# deinterlaced with bwdif before scaling, so no rung is combed: each rung
# matches ffmpeg's bwdif (then scale) of the source, not the source's
# woven fields; a progressive source is not touched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transcode.sh"
plan 9

# 576i: 50 fields a second woven into 25 frames, coded interlaced
$FFMPEG -f lavfi -i "testsrc2=size=720x576:rate=50:duration=2" \
    -vf "tinterlace=interleave_top,setfield=tff" -c:v libx264 -preset ultrafast \
    -flags +ildct+ilme -x264-params tff=1 -g 25 -pix_fmt yuv420p -crf 18 "$T/i.mp4" ||
    { echo "Bail out! cannot make media"; exit 1; }
is "$(probe "$T/i.mp4" stream=field_order v)" tt "the source is interlaced, top field first"
segs "$T/i.mp4" i 1 > "$T/i.rec"
live-transcode -v -v -C "$T/spool" -p ultrafast -l 576p:8000k,288p:2000k < "$T/i.rec" > "$T/i.out" 2> "$T/i.err"
is "$?" 0 "exit 0"
is "$(grep -c 'interlaced source: deinterlaced' "$T/i.err")" 2 "both segments deinterlaced"
is "$(rend "$T/i.out" 0 576p passthrough)" false "the source-size rung is encoded, not passed through combed"

# references for segment 0 (the first 25 frames)
$FFMPEG -i "$T/i.mp4" -vf bwdif=mode=send_frame:parity=auto:deint=interlaced -frames:v 25 -c:v ffv1 "$T/bwdif.mkv"
$FFMPEG -i "$T/i.mp4" -frames:v 25 -c:v ffv1 "$T/woven.mkv"
psnr() { # psnr RENDITION REFERENCE W H: average PSNR, the reference scaled to WxH
    ffmpeg -hide_banner -nostdin -i "$1" -i "$2" \
        -lavfi "[1:v]scale=$3:$4:flags=bicubic[r];[0:v][r]psnr" -f null - 2>&1 |
        sed -n 's/.*average:\([0-9.]*\).*/\1/p' | tail -1
}
for r in 576p:720:576 288p:360:288; do
    IFS=: read -r id w h <<< "$r"
    f=$T/spool/$(rend "$T/i.out" 0 "$id" path)
    good=$(psnr "$f" "$T/bwdif.mkv" "$w" "$h") bad=$(psnr "$f" "$T/woven.mkv" "$w" "$h")
    cmp_num "${good:-0}" ">" 40 "$id: close to bwdif's picture (PSNR $good dB)"
    cmp_num "$(awk -v g="${good:-0}" -v b="${bad:-99}" 'BEGIN { print g - b }')" ">" 10 \
        "$id: far closer to it than to the woven fields ($bad dB)"
done

# a progressive source of the same size goes straight to the scaler
make_video "$T/p.mp4" 2 720x576 1 25 || { echo "Bail out! cannot make media"; exit 1; }
segs "$T/p.mp4" p 1 > "$T/p.rec"
live-transcode -v -v -C "$T/spool" -p ultrafast -l 288p:2000k < "$T/p.rec" > /dev/null 2> "$T/p.err"
is "$(grep -c 'deinterlaced' "$T/p.err")" 0 "progressive: not deinterlaced"
