#!/usr/bin/env bash
# A WHIP publisher that offers only VP8 (aiortc, tests/whip-client.py
# --codec VP8: its offer has VP8 and nothing else) through
# scripts/live-pipeline (live-rtc's tee too): live-ingest --whip writes
# Matroska (VP8 + Opus), live-segment cuts it into Matroska segments
# (SEQ.mkv: FFmpeg 5.1's MP4 muxer has no tag for VP8), live-transcode
# re-encodes them into the H.264 ladder with AAC audio, live-package makes
# DASH of it: after DELETE and the grace period it is VOD, ffprobe reads
# every rendition of the MPD and the audio, and dash.js plays it, audio
# included.
. "$(dirname "$0")/lib.sh"
for p in live-ingest live-segment live-transcode live-package live-serve live-rtc; do
    command -v $p >/dev/null 2>&1 || skip_all "$p is not built yet"
done
PY=/usr/bin/python3
$PY -c 'import aiortc, numpy' 2>/dev/null || skip_all "no python3-aiortc"
plan 17

RTMP=$(free_port) HTTP=$(free_port) WHIP=$(free_port)
URL=http://127.0.0.1:$HTTP W=http://127.0.0.1:$WHIP
printf 'cam s3cret\n' > "$T/keys"
# --keep: the segment files stay in the spool for the test to look at.
# The whole default pipeline: live-rtc's tee (-f) passes the Matroska on.
LIVE_INGEST_OPTS="-g 1 --whip 127.0.0.1:$WHIP --whip-keyframes 1" LIVE_TRANSCODE_OPTS="--keep" \
    bg "$TOP/scripts/live-pipeline" -u "127.0.0.1:$(free_port)" -r 127.0.0.1:$RTMP -l 127.0.0.1:$HTTP -d "$T/live" -s 1 \
    -L 240p:400k,144p:150k -p ultrafast -k "$T/keys"
wait_for 15 curl -sf -o /dev/null "$URL/time"
wait_for 10 eval "curl -s -o /dev/null -X PATCH $W/whip/cam/00000000000000000000000000000000"
ok "the pipeline answers (HTTP and WHIP)" curl -sf -o /dev/null "$URL/time"

r=$($PY "$TOP/tests/whip-client.py" "$W/whip/cam" s3cret 6 --codec VP8 --size 320x240 2> "$T/pub.err")
note "$r" "$(tail -3 "$T/pub.err")"
is "$(jq -r .status <<<"$r")" 201 "aiortc's VP8-only offer gets 201"
is "$(jq -r .video_codec <<<"$r")" VP8 "the answer takes VP8"
is "$(jq -r .connected <<<"$r")" true "ICE and DTLS connect"
cmp_num "$(jq -r .video_packets <<<"$r")" -gt 60 "video packets sent ($(jq -r .video_packets <<<"$r"))"
is "$(jq -r .delete <<<"$r")" 200 "DELETE: 200"

state() { curl -s "$URL/streams.json" | jq -r --arg n "$1" '.[] | select(.name == $n) | .state'; }
ok "the stream ends after the grace period (VOD)" wait_for 60 eval '[ "$(state cam)" = vod ]'
note "$(tail -5 "$T/live/streams/cam.log")"

# the spool: Matroska segments of VP8 and Opus, no MP4 segment
n=$(find "$T/live/spool/cam" -name '[0-9]*.mkv' | wc -l)
cmp_num "$n" -ge 3 "live-segment wrote Matroska segments ($n)"
is "$(find "$T/live/spool/cam" -regex '.*/[0-9]+\.mp4' | wc -l)" 0 "and no MP4 segment"
is "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$T/live/spool/cam/1.mkv" | paste -sd' ')" \
    "vp8 opus" "a segment holds VP8 and Opus"
is "$(find "$T/live/spool/cam" -name '.*tmp*' | wc -l)" 0 "nothing temporary left"

# every rendition of the MPD: H.264 at each rung, AAC
mpd=$T/live/out/cam/manifest.mpd
p=$(ffprobe -v error -show_entries stream=codec_name,height -of csv=p=0 "$mpd" 2>&1 | grep . | sort -u | paste -sd' ')
is "$p" "aac h264,144 h264,240" "ffprobe reads every rendition: H.264 240p and 144p and AAC ($p)"
c=$(ffprobe -v error -count_packets -show_entries stream=codec_name,height,nb_read_packets -of csv=p=0 "$mpd" |
    grep . | sort -u | paste -sd' ')
note "$c"
like "$c" '^aac,[0-9]{3,} h264,144,[0-9]{2,} h264,240,[0-9]{2,}$' "each rendition has its packets"
# the audio decodes and lasts as long as the video (1024-sample AAC frames
# at 48 kHz against 30 fps)
a=$(ffprobe -v error -select_streams a -show_entries frame=pkt_size -of csv=p=0 "$mpd" 2>/dev/null | grep -c .)
v=$(sed -n 's/^h264,240,//p' <<<"${c// /$'\n'}")
ok "the audio decodes and lasts as long as the video ($a AAC frames, ${v:-no} video frames)" \
    awk -v a="$a" -v v="${v:-0}" 'BEGIN { exit !(v > 60 && a * 1024 / 48000 >= 0.8 * v / 30) }' 

# dash.js plays it
if [ -x /usr/bin/chromium ] && [ -d "$TOP/node_modules/playwright-core" ]; then
    export NODE_PATH=$TOP/node_modules
    w=$(node "$TOP/tests/serve/watch.js" "$URL/watch/cam" --seconds 3)
    note "$w"
    is "$(jq -r .engine <<<"$w")" dash "dash.js plays it"
    t0=$(jq -r .start.t <<<"$w") t1=$(jq -r .end.t <<<"$w")
    cmp_num "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" ">" 1 "currentTime advances ($t0 -> $t1)"
    ab=$(jq -r '.end.audioBytes' <<<"$w")
    cmp_num "$ab" -gt 0 "with audio: Chromium decoded $ab bytes of it"
else
    skip "no chromium"; skip "no chromium"; skip "no chromium"
fi
done_testing
