#!/usr/bin/env bash
# live-segment: VP8 video (a WHIP publisher's fallback, a WebM file), which
# FFmpeg 5.1's MP4 muxer has no tag for, is cut into Matroska segments,
# NAME/SEQ.mkv, that start on keyframes and hold every packet of the
# source with its timestamps; live-transcode makes the H.264 ladder and
# AAC of them, also in low-latency mode. --continue finds the last
# segment among .mkv files (and .mp4 ones: a later H.264 broadcast in the
# same spool is MP4 again) and removes a dead run's temporary .mkv.
. "$(dirname "$0")/lib.sh"
command -v live-transcode >/dev/null 2>&1 || skip_all "live-transcode is not built yet"
plan 22

# 7 s of VP8 (a keyframe every second) and Opus, as WebM
$FFMPEG -f lavfi -i "testsrc2=size=320x180:rate=25:duration=7" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=7" \
    -c:v libvpx -deadline realtime -cpu-used 8 -b:v 300k -g 25 -keyint_min 25 -auto-alt-ref 0 \
    -c:a libopus -b:a 48k "$T/src.webm" || { echo "Bail out! cannot make media"; exit 1; }

live-segment -v -s cam -d 2 -o "$T/spool" "$T/src.webm" > "$T/rec" 2> "$T/err"
is "$?" 0 "exits 0"
segs() { jq -r "select(.type == \"segment\") | $1" "$T/rec" | tr '\n' ' '; }
is "$(segs .path)" "cam/0.mkv cam/1.mkv cam/2.mkv cam/3.mkv " "paths NAME/SEQ.mkv"
is "$(segs .start)" "0 2 4 6 " "cut at 2, 4, 6 s"
is "$(segs '[.video.codec, .audio.codec] | join("+")')" "vp8+opus vp8+opus vp8+opus vp8+opus " \
    "records: VP8 and Opus"
like "$(cat "$T/err")" "mkv segments: Matroska" "the log says why the container"
is "$(ls -A "$T/spool/cam" | tr '\n' ' ')" "0.mkv 1.mkv 2.mkv 3.mkv " "the four files, nothing temporary"
is "$(ffprobe -v error -show_entries format=format_name -of default=nw=1:nk=1 "$T/spool/cam/1.mkv")" \
    "matroska,webm" "a segment is Matroska"

firsts=""
for s in 0 1 2 3; do
    firsts+="$(ffprobe -v error -select_streams v -read_intervals '%+#1' \
        -show_entries packet=pts_time,flags -of csv=p=0 "$T/spool/cam/$s.mkv" | tr -d '\n') "
done
is "$firsts" "0.000000,K_ 2.000000,K_ 4.000000,K_ 6.000000,K_ " "each segment starts on a keyframe at its start"

# the segments together hold the source's packets; the timeline starts at
# the first keyframe (the source's is at 0.007 s, after Opus's pre-skip):
# video timestamps as they were, less that; audio counted in samples from
# its first packet, so within a millisecond of the source's (which has
# milliseconds), never drifting
for k in v a; do
    probe "$T/src.webm" packet=pts_time,size "$k" | grep . | cut -d, -f1,2 > "$T/src.$k"
    for s in 0 1 2 3; do probe "$T/spool/cam/$s.mkv" packet=pts_time,size "$k" | grep . | cut -d, -f1,2
    done > "$T/seg.$k"
done
v0=$(head -1 "$T/src.v" | cut -d, -f1)
awk -F, -v o="$v0" '{ printf "%.3f,%s\n", $1 - o, $2 }' "$T/src.v" > "$T/src.v0"
awk -F, '{ printf "%.3f,%s\n", $1, $2 }' "$T/seg.v" > "$T/seg.v0"
ok "every video packet, its pts and size ($(wc -l < "$T/src.v") packets)" cmp -s "$T/src.v0" "$T/seg.v0"
sort -t, -k1,1g "$T/src.a" > "$T/src.as"; sort -t, -k1,1g "$T/seg.a" > "$T/seg.as"
is "$(paste -d, "$T/src.as" "$T/seg.as" | awk -F, -v o="$v0" '
        { d = $3 - ($1 - o); if (d < 0) d = -d; if ($2 != $4 || d > 0.0015) bad++ }
        END { print NR - (NR == 0), bad + 0 }')" "$(wc -l < "$T/src.a") 0" \
    "every audio packet, its size, its pts within 1 ms ($(wc -l < "$T/src.a") packets)"

# the ladder from the Matroska segments
live-transcode -q -C "$T/spool" -l 180p:300k,144p:100k -p ultrafast -j 1 --keep < "$T/rec" > "$T/rend"
is "$?" 0 "live-transcode: exit 0"
is "$(jq -r 'select(.type == "renditions") | [.renditions[].path] | join(",")' "$T/rend" | head -1)" \
    "cam/0.180p.mp4,cam/0.144p.mp4,cam/0.audio.mp4" "renditions NAME/SEQ.ID.mp4 beside NAME/SEQ.mkv"
got=""
for s in 0 1 2 3; do
    got+="$(probe "$T/spool/cam/$s.180p.mp4" stream=codec_name,nb_frames | tr '\n' ' ')"
    got+="$(probe "$T/spool/cam/$s.audio.mp4" stream=codec_name | tr '\n' ' ')"
done
is "$got" "h264,50 aac h264,50 aac h264,50 aac h264,25 aac " "H.264, every frame of each segment, and AAC"
first=$(probe "$T/spool/cam/2.180p.mp4" packet=pts_time,flags v | head -1)
is "$first" "4.000000,K_" "a rendition starts where its segment does, on a keyframe"

# low latency: parts in NUT as for any codec, the segment in Matroska,
# both made into chunks and renditions by live-transcode -L
live-segment -q -L -p 0.5 -s ll -d 2 -o "$T/spool" "$T/src.webm" > "$T/ll.rec"
is "$(jq -r 'select(.seq == 0) | .path' "$T/ll.rec" | paste -sd' ')" \
    "ll/0.p0.nut ll/0.p1.nut ll/0.p2.nut ll/0.p3.nut ll/0.mkv" "-L: four NUT parts, then ll/0.mkv"
live-transcode -q -L -C "$T/spool" -l 180p:300k -p ultrafast < "$T/ll.rec" > "$T/ll.rend"
is "$(jq -r 'select(.seq == 0) | "\(.type) \([.renditions[].path] | join(","))"' "$T/ll.rend" | tail -2 | paste -sd' ')" \
    "chunk ll/0.c3.180p.mp4,ll/0.c3.audio.mp4 renditions ll/0.180p.mp4,ll/0.audio.mp4" \
    "live-transcode -L: chunks of every part, then the segment's renditions"

# --continue without a state file: after the highest SEQ of the .mkv
# files; a dead run's temporary Matroska is removed, other files are not
rm -f "$T/spool/.cam.state" "$T/spool/cam/"*.mp4
: > "$T/spool/cam/.4.mkv.tmp-2147483000-0"
: > "$T/spool/cam/.4.mkv.part"
live-segment -c -s cam -d 2 -o "$T/spool" "$T/src.webm" > "$T/rec2" 2> "$T/err2"
is "$?" 0 "--continue: exit 0"
is "$(jq -r 'select(.type == "segment") | .seq' "$T/rec2" | head -1)" 4 "numbering after 3.mkv"
is "$(jq -r 'select(.seq == 4) | [.start >= 7 and .start < 7.1, .discontinuity] | join(" ")' "$T/rec2")" \
    "true true" "the timeline after 3.mkv's end (its audio's, 7.0x s), a discontinuity"
ok "the dead run's temporary file is removed" test ! -e "$T/spool/cam/.4.mkv.tmp-2147483000-0"
ok "another stage's file is not" test -e "$T/spool/cam/.4.mkv.part"

# H.264 in the same spool: MP4 again, numbered after the .mkv files
rm -f "$T/spool/.cam.state"
make_av "$T/h264.mp4" 2 320x180 1 || { echo "Bail out! cannot make media"; exit 1; }
live-segment -q -c -s cam -d 2 -o "$T/spool" "$T/h264.mp4" > "$T/rec3"
is "$(jq -r 'select(.type == "segment") | .path' "$T/rec3" | tr '\n' ' ')" "cam/8.mp4 " \
    "H.264 after VP8: NAME/SEQ.mp4, after 7.mkv"
done_testing
