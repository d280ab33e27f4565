#!/usr/bin/env bash
# live-transcode --low-latency: part records in, a chunk record per part
# out (every rendition, tiling its segment, an IDR only at the segment's
# start), then the usual renditions record whose files are the chunks'
# packets; a B-frame source; a transcoder started mid segment transcodes
# that segment whole and goes on in parts at the next one.
. "$(dirname "$0")/lib.sh"
plan 16

# 5 s at 25 fps, 2 s GOP, B-frames in the source.
make_av "$T/src.flv" 5 320x240 2 -- -bf 2 -f flv || { echo "Bail out! cannot make media"; exit 1; }
live-segment -L -s cam1 -o "$T/spool" -d 2 "$T/src.flv" > "$T/seg" 2> /dev/null ||
    { echo "Bail out! live-segment"; exit 1; }

live-transcode -q -L -C "$T/spool" -l 240p:300k,180p:150k -p ultrafast < "$T/seg" > "$T/rec" 2> "$T/err"
is "$?" 0 "exits 0"
types=$(jq -r '.type + (if .type == "chunk" then "." + (.part | tostring) else "" end)' "$T/rec" |
    tr '\n' ' ')
is "$types" "chunk.0 chunk.1 chunk.2 chunk.3 renditions chunk.0 chunk.1 chunk.2 chunk.3 renditions chunk.0 chunk.1 renditions end " \
    "a chunk per part, then the segment's renditions record"
is "$(jq -r 'select(.type == "chunk") | [.renditions[].id] | join(",")' "$T/rec" | sort -u)" \
    "240p,180p,audio" "every chunk has every rendition"
tiles=$(jq -rs 'map(select(.type != "end")) | group_by(.seq) | map(
    (map(select(.type == "chunk"))) as $c | (map(select(.type == "renditions"))[0]) as $r |
    (($c[0].start - $r.start) | fabs < 0.0005) and
    (($c[-1].start + $c[-1].duration - $r.start - $r.duration) | fabs < 0.0005) and
    ($c[-1].last) and ($c[0].independent) and
    ([range(1; $c | length)] | all(. as $i | ($c[$i].start - $c[$i - 1].start - $c[$i - 1].duration) | fabs < 0.0005))
    ) | all' "$T/rec")
is "$tiles" true "chunks tile their segment; the first is independent, the last says so"

keys() { for c in "$T"/spool/cam1/1.c*.240p.mp4; do
    printf '%s ' "$(probe "$c" packet=flags v | grep -c K)"; done; }
is "$(keys)" "1 0 0 0 " "an IDR frame at the segment's start only (2 s GOP)"
is "$(probe "$T/spool/cam1/1.c0.240p.mp4" stream=has_b_frames v)" 0 "no B-frames (zerolatency)"
pk() { probe "$1" packet=pts_time,size v | awk -F, '{ printf "%.3f,%s\n", $1, $2 }'; }
for s in 0 1 2; do
    for c in $(ls "$T"/spool/cam1/$s.c*.240p.mp4 | sort -V); do pk "$c"; done > "$T/chunks.$s"
    pk "$T/spool/cam1/$s.240p.mp4" > "$T/whole.$s"
done
ok "the chunks of a rendition are its segment file, packet for packet" \
    cmp -s <(cat "$T"/chunks.{0,1,2}) <(cat "$T"/whole.{0,1,2})
is "$(cat "$T"/whole.{0,1,2} | wc -l)" 125 "125 frames in all (5 s at 25 fps)"
is "$(ls "$T/spool/cam1" | grep -c '\.nut$')" 0 "part files removed"

# The renditions records look as the normal mode's (the same ids, kinds,
# sizes, times).
live-segment -s cam1 -o "$T/sp2" -d 2 "$T/src.flv" 2> /dev/null |
    live-transcode -q -C "$T/sp2" -l 240p:300k,180p:150k -p ultrafast > "$T/rec-n"
norm() { jq -c 'select(.type != "chunk") | del(.broadcast) |
    if .renditions then .renditions |= map({id, kind, width, height, start}) else . end' "$1"; }
is "$(norm "$T/rec" | md5sum)" "$(norm "$T/rec-n" | md5sum)" "renditions records as in the normal mode"

# Started in the middle of segment 0 (its parts 0 and 1 never seen): that
# segment whole, the next ones in chunks.
rm -rf "$T/spool"
live-segment -L -s cam1 -o "$T/spool" -d 2 "$T/src.flv" > "$T/seg" 2> /dev/null
sed -n '3,$p' "$T/seg" | live-transcode -q -L -C "$T/spool" -l 240p:300k -p ultrafast > "$T/rec3" 2> "$T/err3"
is "$?" 0 "started mid segment: exits 0"
is "$(jq -r 'select(.type == "chunk") | .seq' "$T/rec3" | sort -u | tr '\n' ' ')" "1 2 " \
    "no chunks for the segment it joined in the middle"
is "$(jq -r 'select(.type == "renditions") | "\(.seq):\(.renditions | length)"' "$T/rec3" | tr '\n' ' ')" \
    "0:2 1:2 2:2 " "every segment has its renditions record"
is "$(probe "$T/spool/cam1/0.240p.mp4" packet=pts v | wc -l)" 50 "the joined segment, transcoded whole"

# Audio only: transcoded per segment, quietly, without part files left.
make_audio "$T/a.m4a" 3 || fail "make audio"
live-segment -L -s a -o "$T/sp4" -d 1 "$T/a.m4a" 2> /dev/null |
    live-transcode -L -C "$T/sp4" > "$T/rec4" 2> "$T/err4"
is "$(jq -rs '[(map(select(.type == "chunk")) | length), (map(select(.type == "renditions")) | length) ==
    (map(select(.type == "end"))[0].seq)] | @text' "$T/rec4")" '[0,true]' \
    "audio only: a renditions record per segment, no chunks"
is "$(ls "$T/sp4/a" | grep -c '\.nut$'; grep -c error "$T/err4")" "$(printf '0\n0')" "no part file left, no error"
