#!/usr/bin/env bash
# live-transcode: -j 2 gives the same renditions as -j 1; key frames every
# -g seconds inside a segment, the same in every rung.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transcode.sh"
plan 15

make_av "$T/src.mp4" 4 320x240 1 25
segs "$T/src.mp4" cam 1 > "$T/recs"
is "$(grep -c '"segment"' "$T/recs")" 4 "four segments"
cp -r "$T/spool" "$T/spool2"
ladder=240p:400k,180p:250k,120p:150k
live-transcode -j 1 -t 1 -g 0.5 --keep -C "$T/spool" -p ultrafast -l $ladder < "$T/recs" > "$T/j1" 2> "$T/e1"
is "$?" 0 "-j 1: exit 0"
live-transcode -j 2 -t 1 -g 0.5 -C "$T/spool2" -p ultrafast -l $ladder < "$T/recs" > "$T/j2" 2> "$T/e2"
is "$?" 0 "-j 2: exit 0"
is "$(md5sum < "$T/j2")" "$(md5sum < "$T/j1")" "the same records, in the same (input) order"
same=1 aligned=1
for s in 0 1 2 3; do
    for id in 240p 180p 120p audio; do
        p=$(rend "$T/j1" $s $id path)
        a=$(ffprobe -v error -show_entries packet=pts,dts,duration,flags -of csv=p=0 "$T/spool/$p")
        b=$(ffprobe -v error -show_entries packet=pts,dts,duration,flags -of csv=p=0 "$T/spool2/$p")
        [ -n "$a" ] && [ "$a" = "$b" ] || { same=0; diag "segment $s $id differs"; }
    done
    k240=$(keyframes "$T/spool/$(rend "$T/j1" $s 240p path)" | tr '\n' ' ')
    for id in 180p 120p; do
        k=$(keyframes "$T/spool/$(rend "$T/j1" $s $id path)" | tr '\n' ' ')
        [ "$k" = "$k240" ] || { aligned=0; diag "segment $s $id key frames: $k vs $k240"; }
    done
    [ "$(echo $k240 | wc -w)" = 2 ] || { aligned=0; diag "segment $s: key frames $k240"; }
done
# every frame has a duration (the last one too), so the MP4's edit list
# keeps the last frame and the rendition lasts exactly as long as the segment
durs=1
for s in 0 1 2 3; do
    want=$(jq -r --argjson s $s 'select(.seq == $s) | .duration' "$T/recs")
    got=$(probe "$T/spool/$(rend "$T/j1" $s 240p path)" stream=duration v)
    n=$(ffmpeg -hide_banner -nostdin -i "$T/spool/$(rend "$T/j1" $s 240p path)" -f null - 2>&1 |
        sed -n 's/.*frame= *\([0-9]*\).*/\1/p' | tail -1)
    awk -v a="$got" -v b="$want" 'BEGIN { exit !(a - b < 0.001 && b - a < 0.001) }' &&
        [ "$n" = 25 ] || { durs=0; diag "segment $s: duration $got (want $want), $n frames decoded"; }
done
is "$durs" 1 "each video rendition lasts its segment's duration, every frame decodes"
is "$same" 1 "every rendition has the same timestamps and frames with -j 1 and -j 2"
is "$aligned" 1 "every rung has key frames at the same pts, two per 1 s segment with -g 0.5"
ok "--keep keeps the inputs" test -f "$T/spool/$(jq -r 'select(.seq == 0) | .path' "$T/recs")"
is "$(ls "$T/spool2/cam" | grep -vc '\.mp4$')" 0 "without --keep the inputs are removed"

# explicit sizes of another shape: 320x120 is wider than 200x150, so it is
# scaled from the source, not from 200x150 (never upscaled in the cascade)
segs "$T/src.mp4" odd 1 2>/dev/null | head -1 > "$T/odd.rec"
live-transcode -C "$T/spool" -p ultrafast -l 200x150:300k,320x120:300k < "$T/odd.rec" > "$T/odd.out"
is "$(ids "$T/odd.out" 0)" "200x150 320x120 audio" "explicit sizes, sorted by their shorter side"
is "$(probe "$T/spool/$(rend "$T/odd.out" 0 320x120 path)" stream=width,height,display_aspect_ratio v)" \
   "320,120,4:3" "320x120 keeps the 4:3 display aspect with its SAR"
n1=$(ffprobe -v error -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$T/spool/$(rend "$T/odd.out" 0 200x150 path)")
n2=$(ffprobe -v error -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$T/spool/$(rend "$T/odd.out" 0 320x120 path)")
is "$n2" "$n1" "both get every frame ($n1)"

# usage
live-transcode -h > "$T/h"; is "$?" 0 "-h exits 0"
live-transcode -l 720p 2> /dev/null < /dev/null; is "$?" 2 "a bad ladder is a usage error"
live-transcode -p nosuchpreset 2> /dev/null < /dev/null; is "$?" 2 "an unknown preset is a usage error"
