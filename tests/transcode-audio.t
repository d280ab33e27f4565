#!/usr/bin/env bash
# live-transcode: MP3 and Opus audio become AAC, encoded once per segment.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transcode.sh"
plan 12

for codec in mp3 opus; do
    case $codec in
        mp3) args="-c:a libmp3lame -ar 44100" ;;
        opus) args="-c:a libopus -ar 48000" ;;
    esac
    $FFMPEG -f lavfi -i "testsrc2=size=320x240:rate=25:duration=2" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
        -c:v libx264 -preset ultrafast -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p \
        $args -ac 2 -b:a 96k "$T/$codec.mkv"
    segs "$T/$codec.mkv" "$codec" 1 > "$T/$codec.rec"
    live-transcode -v -C "$T/spool" -p ultrafast -l 240p:400k,180p:250k,120p:150k \
        < "$T/$codec.rec" > "$T/$codec.out" 2> "$T/$codec.err"
    is "$?" 0 "$codec: exit 0"
    is "$(rend "$T/$codec.out" 0 audio codec) $(rend "$T/$codec.out" 1 audio codec)" \
       "mp4a.40.2 mp4a.40.2" "$codec: the audio renditions are AAC-LC"
    f=$T/spool/$(rend "$T/$codec.out" 1 audio path)
    is "$(probe "$f" stream=codec_name,channels)" "aac,2" "$codec: the file holds stereo AAC"
    is "$(grep -c "audio encoded to AAC" "$T/$codec.err")" 2 \
       "$codec: encoded once per segment (two segments, three rungs)"
    # the AAC starts where the segment's audio starts and lasts as long
    start=$(jq -r 'select(.seq == 1) | .start' "$T/$codec.rec")
    first=$(ffprobe -v error -show_entries packet=pts_time -of csv=p=0 "$f" | head -1)
    cmp_num "$(awk -v a="$first" -v b="$start" 'BEGIN { d = a - b; print d < 0 ? -d : d }')" "<" 0.05 \
        "$codec: segment 1 audio starts at the segment start ($first vs $start)"
    dur=$(ffprobe -v error -show_entries packet=duration_time -of csv=p=0 "$f" | awk '{ s += $1 } END { print s }')
    cmp_num "$(awk -v a="$dur" 'BEGIN { d = a - 1; print d < 0 ? -d : d }')" "<" 0.05 \
        "$codec: segment 1 audio lasts about 1 s ($dur), priming dropped"
done
