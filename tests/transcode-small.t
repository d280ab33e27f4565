#!/usr/bin/env bash
# The ladder always has a rung (issue 17): sources smaller than every rung
# get a rung at their own size, a source well above the largest rung left
# keeps its size, --exact-ladder gives only the ladder's rungs (audio only
# when none fits), and a stream with nothing published is never announced.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transcode.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 31

# vod NAME: package NAME's renditions records as VOD under $T/out
vod() {
    live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" --vod < "$T/$1.out" 2> "$T/$1.perr"
}

# frames URL: decoded video frames ffmpeg reads from a manifest
frames() {
    ffmpeg -hide_banner -loglevel error -nostdin -i "$1" -map 0:v:0 -f null - -progress - 2>/dev/null |
        awk -F= '$1 == "frame" { n = $2 } END { print n + 0 }'
}

# --- smaller than every rung of the default ladder: a rung at its size -----
for spec in 640x360:360p 360x640:360p 320x240:240p; do
    size=${spec%%:*} id=${spec#*:} name=s${size}
    make_av "$T/$name.mp4" 2 "$size" 1 25 -- -b:v 200k -maxrate 200k -bufsize 200k
    segs "$T/$name.mp4" "$name" 1 > "$T/$name.rec"
    live-transcode -C "$T/spool" -p ultrafast < "$T/$name.rec" > "$T/$name.out" 2> "$T/$name.err"
    is "$(ids "$T/$name.out" 0)" "$id audio" "$size under the default ladder: $id at its size and audio"
    is "$(rend "$T/$name.out" 0 "$id" width)x$(rend "$T/$name.out" 0 "$id" height)" "$size" \
       "$size: the rung is the source's size"
    is "$(rend "$T/$name.out" 0 "$id" passthrough)" true "$size H.264 within the rung's bit rate: passed through"
    vod "$name"
    is "$?" 0 "$size: live-package --vod exit 0"
    is "$(frames "$T/out/$name/master.m3u8")" 50 "$size: the HLS master plays all 50 frames"
    is "$(frames "$T/out/$name/manifest.mpd")" 50 "$size: the DASH manifest plays all 50 frames"
done

# --- 1600x900: 900p kept above 720p and 480p --------------------------------
make_video "$T/s900.mp4" 1 1600x900 1 25
segs "$T/s900.mp4" s900 1 > "$T/s900.rec"
live-transcode -C "$T/spool" -p ultrafast < "$T/s900.rec" > "$T/s900.out"
is "$(ids "$T/s900.out" 0)" "900p 720p 480p" "1600x900: 900p, 720p, 480p"
is "$(rend "$T/s900.out" 0 900p bandwidth)" 4375000 "900p's bit rate: 720p's scaled by area (2800k x 1.5625)"
# --exact-ladder: only the ladder's
segs "$T/s900.mp4" s900x 1 > "$T/s900x.rec"
live-transcode -C "$T/spool" -p ultrafast --exact-ladder < "$T/s900x.rec" > "$T/s900x.out"
is "$(ids "$T/s900x.out" 0)" "720p 480p" "1600x900 with --exact-ladder: 720p and 480p"

# --- an exact ladder above a small source: the audio is still published ------
make_av "$T/aonly.mp4" 2 320x240 1 25
segs "$T/aonly.mp4" aonly 1 > "$T/aonly.rec"
live-transcode -C "$T/spool" -p ultrafast --exact-ladder < "$T/aonly.rec" > "$T/aonly.out" 2> "$T/aonly.err"
is "$?" 0 "exact ladder above the source: exit 0"
is "$(ids "$T/aonly.out" 0)" "audio" "no video rung: the segment keeps its audio"
like "$(cat "$T/aonly.err")" "every rung is larger than the 320x240 source: audio only" "and says why"
vod aonly
is "$?" 0 "audio-only segments: live-package --vod exit 0"
n=$(ffmpeg -hide_banner -loglevel error -nostdin -i "$T/out/aonly/master.m3u8" -map 0:a:0 -f null - \
    -progress - 2>/dev/null | awk -F= '$1 == "out_time_us" { t = $2 } END { printf "%.0f", t / 1e5 }')
cmp_num "$n" ">=" 19 "the audio-only HLS master plays ~2 s of audio (${n}00 ms)"

# --- video only under an exact ladder: nothing to publish, nothing announced --
make_video "$T/vonly.mp4" 2 320x240 1 25
segs "$T/vonly.mp4" vonly 1 > "$T/vonly.rec"
live-transcode -C "$T/spool" -p ultrafast --exact-ladder < "$T/vonly.rec" > "$T/vonly.out" 2> "$T/vonly.err"
is "$?" 3 "no rung and no audio: live-transcode exit 3"
live-package -C "$T/spool" -o "$T/out" --db "$T/live.db" < "$T/vonly.out" 2> "$T/vonly.perr"
is "$?" 3 "a stream with every segment failed: live-package exit 3"
unlike "$(cat "$T/vonly.perr")" "now video on demand" "it is not announced as video on demand"
like "$(cat "$T/vonly.perr")" "vonly: ended with none of its 2 segments published" "it says nothing was published"
start_serve -r "$T/out" -d "$T/live.db"
is "$(curl -s "$URL/streams.json" | jq -r '[.[].name] | sort | join(",")')" \
   "aonly,s320x240,s360x640,s640x360" "streams.json lists the published streams, not the empty one"
