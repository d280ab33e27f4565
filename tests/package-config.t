#!/usr/bin/env bash
# A rendition whose codec configuration changes mid-stream (a publisher
# that came back with other encoder settings): init.mp4 stays what players
# have, the new parameter sets travel in band, and everything decodes.
. "$(dirname "$0")/lib.sh"
plan 5

mkdir -p "$T/spool/cam1"
x264() { $FFMPEG -f lavfi -i "testsrc2=size=320x240:rate=25:duration=2" -c:v libx264 -preset ultrafast \
    -g 50 -sc_threshold 0 -pix_fmt yuv420p "$@"; }
x264 -profile:v baseline -f nut "$T/spool/cam1/0.v.nut" || { fail "make media"; exit 1; }
x264 -profile:v high -bf 2 -output_ts_offset 2 -f nut "$T/spool/cam1/1.v.nut"
rec() { printf '{"type":"renditions","stream":"cam1","seq":%d,"start":%d,"duration":2,"renditions":[{"id":"v","kind":"video","path":"cam1/%d.v.nut"}]}\n' "$1" $((2 * $1)) "$1"; }
{ rec 0; rec 1; echo '{"type":"end","stream":"cam1","seq":2}'; } |
    live-package -C "$T/spool" -o "$T/out" --db "$T/live.db" 2> "$T/err"
is "$?" 0 "exit 0"
like "$(cat "$T/err")" 'cam1: v: segment 1: codec configuration changed; parameter sets sent in band' "the change is reported"
like "$(grep -o 'codecs="[^"]*"' "$T/out/cam1/manifest.mpd")" 'codecs="avc1\.42' "the manifest keeps the first configuration's codec"
cat "$T/out/cam1/v/init.mp4" "$T/out/cam1/v/0.m4s" "$T/out/cam1/v/1.m4s" > "$T/all.mp4"
is "$(ffmpeg -v error -i "$T/all.mp4" -f null - 2>&1 | wc -l)" 0 "the file set decodes without an error"
is "$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$T/all.mp4")" 100 "all 100 frames"
