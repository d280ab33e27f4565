#!/usr/bin/env bash
# Audio timestamps exact in the sample rate's time base: consecutive audio
# segments join sample-accurately (tfdt of one = tfdt + duration of the
# one before) through live-segment | live-transcode | live-package, for
# AAC copied from FLV and Matroska (millisecond timestamps), and for MP3
# and Opus encoded to AAC once per segment.
. "$(dirname "$0")/lib.sh"
plan 15

src() { # src OUT AUDIO-ARGS...: 5 s, 1 s GOP
    local out=$1; shift
    $FFMPEG -f lavfi -i "testsrc2=size=160x120:rate=30:duration=5" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=5" \
        -c:v libx264 -preset ultrafast -g 30 -keyint_min 30 -sc_threshold 0 -pix_fmt yuv420p \
        "$@" "$out"
}
src "$T/aac.flv" -c:a aac -ar 44100 &&
    src "$T/aac.mkv" -c:a aac -ar 48000 &&
    src "$T/mp3.flv" -c:a libmp3lame -ar 44100 &&
    src "$T/opus.mkv" -c:a libopus -ar 48000 || { echo "Bail out! cannot make media"; exit 1; }

for f in aac.flv aac.mkv mp3.flv opus.mkv; do
    name=${f%.*}${f#*.}
    { live-segment -q -s "$name" -d 1 -o "$T/spool" "$T/$f" |
        live-transcode -q -C "$T/spool" -p ultrafast -l 120p:200k |
        live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" --vod; } 2> "$T/$name.err"
    is "$?" 0 "$f: the pipeline exits 0"
    "$TOP/tests/m4s-joins" "$T/out/$name/audio" > "$T/$name.joins"
    cmp_num "$(wc -l < "$T/$name.joins")" ">=" 4 "$f: four segments or more"
    is "$(awk 'NR > 1 && $4 != 0' "$T/$name.joins" | tr '\n' ' ')" "" \
       "$f: every audio segment starts where the one before it ends, to the sample"
done
# the video still lines up: the last audio segment ends within a frame of the video's
a_end=$(awk 'END { print ($2 + $3) / 48000 }' "$T/opusmkv.joins")
cmp_num "$a_end" ">" 4.9 "opus: the audio runs to the end (${a_end} s)"
cmp_num "$a_end" "<" 5.1 "and not past it"
is "$(awk 'NR == 1 { print $2 }' "$T/aacmkv.joins")" 0 "the first segment starts at 0"
