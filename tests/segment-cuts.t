#!/usr/bin/env bash
# live-segment: a 4 s GOP is cut at 12, 20, 32, 40 (no drift); the same
# source as MP4 from a file and as FLV over a slow pipe gives the same cut
# points; H.264 with B-frames keeps pts and dts exactly.
. "$(dirname "$0")/lib.sh"
plan 12

make_av "$T/gop4.mp4" 41 320x240 4 || { echo "Bail out! cannot make media"; exit 1; }
starts() { jq -r 'select(.type == "segment") | .start * 1000 | round / 1000' "$1" | tr '\n' ' '; }

live-segment -q -s a -o "$T/sp" "$T/gop4.mp4" > "$T/mp4.rec"
is "$?" 0 "MP4 file: exit 0"
is "$(starts "$T/mp4.rec")" "0 12 20 32 40 " "4 s GOP, -d 10: cuts at 12, 20, 32, 40"
is "$(jq -r 'select(.type == "segment") | .duration * 1000 | round / 1000' "$T/mp4.rec" | tr '\n' ' ')" \
   "12 8 12 8 1 " "durations 12, 8, 12, 8, 1"
firsts=""
for s in 0 1 2 3 4; do
    firsts+="$(ffprobe -v error -select_streams v -read_intervals '%+#1' \
        -show_entries packet=flags -of csv=p=0 "$T/sp/a/$s.mp4" | tr -d '\n') "
done
is "$firsts" "K_ K_ K_ K_ K_ " "every segment starts on a keyframe"

# the same media as FLV through a pipe whose producer stalls twice: the
# stall is waited for, not taken as the end
$FFMPEG -i "$T/gop4.mp4" -c copy -f flv "$T/gop4.flv"
size=$(stat -c %s "$T/gop4.flv")
{ head -c 300000 "$T/gop4.flv"; sleep 1.5; tail -c +300001 "$T/gop4.flv" | head -c $((size / 2));
  sleep 1; tail -c +$((300001 + size / 2)) "$T/gop4.flv"; } |
    live-segment -q -s b -o "$T/sp" > "$T/flv.rec"
is "$?" 0 "FLV over a stalling pipe: exit 0"
is "$(starts "$T/flv.rec")" "$(starts "$T/mp4.rec")" "the same cut points as the MP4 file"
is "$(jq -r .seq "$T/flv.rec" | tail -1)" 5 "five segments, then the end record"

# B-frames (x264 -bf 3, pyramid): every pts and dts kept exactly, shifted
# by the origin (the first keyframe's pts)
make_av "$T/bf.flv" 14 320x240 2 30 -- -preset fast -bf 3 -f flv || { echo "Bail out!"; exit 1; }
live-segment -q -s c -o "$T/sp" < "$T/bf.flv" > "$T/bf.rec"
is "$(jq -r 'select(.type == "segment") | .start' "$T/bf.rec" | tr '\n' ' ')" "0 10 " "B-frames: cuts at 0 and 10"
ffprobe -v error -select_streams v -show_entries packet=pts,dts,flags -of csv=p=0 "$T/bf.flv" > "$T/bf.in"
origin=$(head -1 "$T/bf.in" | cut -d, -f1)
awk -F, -v o="$origin" '{ printf "%d,%d\n", $1 - o, $2 - o }' "$T/bf.in" > "$T/bf.want"
for s in 0 1; do
    ffprobe -v error -select_streams v -show_entries packet=pts_time,dts_time -of csv=p=0 "$T/sp/c/$s.mp4"
done | awk -F, '{ printf "%d,%d\n", $1 * 1000 + ($1 < 0 ? -0.5 : 0.5), $2 * 1000 + ($2 < 0 ? -0.5 : 0.5) }' > "$T/bf.got"
is "$(wc -l < "$T/bf.got")" "$(wc -l < "$T/bf.want")" "every frame kept"
ok "pts and dts exactly the input's (B-frames, negative dts at the start)" cmp -s "$T/bf.want" "$T/bf.got"
cmp_num "$(awk -F, '$1 != $2' "$T/bf.got" | wc -l)" -gt 100 "the source really has reordered frames"
is "$(ffprobe -v error -select_streams v -read_intervals '%+#1' -show_entries packet=pts_time,flags \
      -of csv=p=0 "$T/sp/c/1.mp4" | tr -d '\n')" "10.000000,K_" "second segment: its keyframe at 10.000"
