#!/usr/bin/env bash
# Nothing silent: an archive that cannot be published (a codec that
# cannot be segmented, no rung for the video and no audio) ends with an
# error naming the stream and the reason and exit 3, and live-serve's
# /metrics counts it; a good archive beside them is not counted. Records
# refused because another broadcast holds the name (one older than it, one
# that names no broadcast for a finished name) are a name clash: exit 3,
# and /metrics names them (NAME@ID) with the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 17

$FFMPEG -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=3" -c:a pcm_s16le "$T/pcm.mkv" &&
    make_video "$T/small.mp4" 3 320x240 1 25 &&
    make_av "$T/good.mp4" 3 320x240 1 25 || { echo "Bail out! cannot make media"; exit 1; }
V=$T/vod DB=$T/vod.db

live-vod -q -d 1 --db "$DB" "$T/pcm.mkv" "$V" 2> "$T/pcm.err"
is "$?" 3 "an unsupported codec: exit 3"
like "$(cat "$T/pcm.err")" "live-package: error: pcm: nothing published: .*pcm_s16le cannot be segmented" \
    "the stream's name and the reason"

live-vod -q -d 1 --db "$DB" "$T/small.mp4" "$V" -- --exact-ladder -l 480p:500k -p ultrafast \
    2> "$T/small.err"
is "$?" 3 "no rung and no audio: exit 3"
like "$(cat "$T/small.err")" "live-package: error: small: ended with none of its 3 segments published; nothing to watch: .*every rung is larger than the 320x240 source" \
    "the stream's name and the reason"

live-vod -q -d 1 --db "$DB" "$T/good.mp4" "$V" -- -l 240p:300k -p ultrafast 2> "$T/good.err"
is "$?" 0 "a good archive: exit 0"
is "$(sqlite3 "$DB" 'SELECT stream FROM unpublished ORDER BY stream' | tr '\n' ' ')" "pcm small " \
    "the two are in the db's unpublished table, with their reasons"

rec() { printf '{"type":"renditions","stream":"good","seq":%d,%s"start":0,"duration":1,"renditions":[]}\n' "$@"; }
rec 0 '"broadcast":1,' | live-package -C "$T/sp" -o "$V" --db "$DB" > /dev/null 2> "$T/clash1"
is "$?" 3 "a record of a broadcast older than the one that holds 'good': exit 3"
like "$(cat "$T/clash1")" "good: segment 0 belongs to broadcast 1, older than" "the name and the reason"
rec 5 '' | live-package -C "$T/sp" -o "$V" --db "$DB" > /dev/null 2> "$T/clash0"
is "$?" 3 "a record naming no broadcast for finished 'good': exit 3"
is "$(sqlite3 "$DB" 'SELECT stream || ":" || kind FROM unpublished ORDER BY stream' | tr '\n' ' ')" \
    "good@0:name_clash good@1:name_clash pcm:codec small:no_rung " "the db: four, with their kinds"

start_serve -r "$V" -d "$DB" || { echo "Bail out! live-serve did not start"; exit 1; }
m=$(curl -sf "$URL/metrics")
like "$m" $'\nlive_serve_streams_unpublished 4\n' "/metrics: four presentations with nothing to watch"
like "$m" $'\nlive_serve_unpublished_by_reason{reason="no_rung"} 1\nlive_serve_unpublished_by_reason{reason="codec"} 1\nlive_serve_unpublished_by_reason{reason="name_clash"} 2\nlive_serve_unpublished_by_reason{reason="other"} 0\n' \
    "/metrics: counted by reason"
like "$m" $'\nlive_serve_unpublished{stream="good@0",reason="name_clash"} 1\n' "/metrics: the clash by name"
like "$m" $'\nlive_serve_unpublished{stream="small",reason="no_rung"} 1\n' "/metrics: no rung by name"
like "$m" $'\nlive_serve_segments_unpublished 3\n' "/metrics: their three failed segments"
like "$m" 'live_serve_streams\{state="vod"\} 1' "the good one is the one VOD"
is "$(curl -sf "$URL/streams.json" | jq -r '.. | .name? // empty' 2>/dev/null | tr '\n' ' ')" "good " \
    "streams.json lists only what can be watched"
