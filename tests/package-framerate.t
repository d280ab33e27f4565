#!/usr/bin/env bash
# The frame rate the manifests announce is the source's nominal rate: a
# 30 fps FLV source (frames 33 and 34 ms apart, FLV timestamps being
# milliseconds) is FRAME-RATE=30.000 and frameRate="30" (it was 29.412,
# from one 34 ms frame), and a 29.97 fps one stays 30000/1001.
. "$(dirname "$0")/lib.sh"
plan 4

pipeline() {
    live-segment -q -s cam -d 2 -o "$T/$1/spool" < "$T/$1.flv" |
        live-transcode -q -C "$T/$1/spool" |
        live-package -q -C "$T/$1/spool" -o "$T/$1/out" --db "$T/$1/live.db" --vod
}
for r in 30 30000/1001; do
    d=${r%%/*}
    $FFMPEG -f lavfi -i "testsrc2=size=320x240:rate=$r:duration=4" -f lavfi -i sine=duration=4 \
        -c:v libx264 -preset ultrafast -g 60 -c:a aac "$T/$d.flv" || fail "make media"
    pipeline "$d" || fail "pipeline at $r fps"
done

is "$(grep -o 'FRAME-RATE=[0-9.]*' "$T/30/out/cam/master.m3u8" | sort -u)" "FRAME-RATE=30.000" \
    "30 fps FLV: HLS FRAME-RATE=30.000"
is "$(grep -o 'frameRate="[^"]*"' "$T/30/out/cam/manifest.mpd" | sort -u)" 'frameRate="30"' \
    "30 fps FLV: MPD frameRate=30"
is "$(grep -o 'FRAME-RATE=[0-9.]*' "$T/30000/out/cam/master.m3u8" | sort -u)" "FRAME-RATE=29.970" \
    "29.97 fps FLV: FRAME-RATE=29.970"
is "$(grep -o 'frameRate="[^"]*"' "$T/30000/out/cam/manifest.mpd" | sort -u)" 'frameRate="30000/1001"' \
    "29.97 fps FLV: frameRate=30000/1001"
done_testing
