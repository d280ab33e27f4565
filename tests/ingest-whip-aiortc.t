#!/usr/bin/env bash
# WHIP ingest with an independent client: aiortc (Debian's python3-aiortc,
# tests/whip-client.py) publishes a moving picture as H.264 and a tone as
# Opus to live-ingest --whip -o DIR; the stream comes out as DIR/NAME.mkv
# (Matroska: H.264 + Opus) with frames of both, ending with the end mark
# after DELETE and the grace period. A second publisher from the same
# address past --max-whip-per-addr gets 429.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
PY=/usr/bin/python3
$PY -c 'import aiortc, numpy' 2>/dev/null || skip_all "no python3-aiortc"
plan 12

printf 'cam s3cret\ncam2 other\n' > "$T/keys"
mkdir -p "$T/out"
WHIP=$(free_port)
W=http://127.0.0.1:$WHIP
start_ingest "$T/log" -v -g 0.5 -k "$T/keys" -o "$T/out" --whip "127.0.0.1:$WHIP" --max-whip-per-addr 1 ||
    { fail "live-ingest starts"; exit 1; }

bg sh -c "$PY '$TOP/tests/whip-client.py' '$W/whip/cam' s3cret 4 > '$T/pub.json' 2> '$T/pub.err'"
pub=$!
wait_for 20 grep -q "cam: published over WHIP" "$T/log"
printf 'v=0\r\n' > "$T/x.sdp"
post() { curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/sdp' --data-binary "@$T/x.sdp" "$W/whip/$1"; }
is "$(post cam2 other)" 429 "a second publisher from the same address: 429 (--max-whip-per-addr 1)"
wait "$pub"
r=$(cat "$T/pub.json")
note "$r" "$(tail -3 "$T/pub.err")"
is "$(jq -r .status <<<"$r")" 201 "aiortc's offer gets 201"
is "$(jq -r .connected <<<"$r")" true "ICE and DTLS connect"
cmp_num "$(jq -r .video_packets <<<"$r")" -gt 30 "video packets sent ($(jq -r .video_packets <<<"$r"))"
cmp_num "$(jq -r .audio_packets <<<"$r")" -gt 50 "audio packets sent ($(jq -r .audio_packets <<<"$r"))"
is "$(jq -r .delete <<<"$r")" 200 "DELETE: 200"
wait_for 10 grep -q "cam: stream ended" "$T/log"
ok "the stream ends after the grace period" test -f "$T/out/cam.mkv"
is "$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$T/out/cam.mkv" | grep . | paste -sd' ')" \
    "h264,160,120 opus" "DIR/cam.mkv holds H.264 160x120 and Opus"
v=$(ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$T/out/cam.mkv")
a=$(ffprobe -v error -select_streams a -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$T/out/cam.mkv")
cmp_num "$v" -gt 30 "video frames decode ($v)"
cmp_num "$a" -gt 50 "audio packets ($a)"
is "$(tail -c 9 "$T/out/cam.mkv")" onLiveEnd "it ends with the end mark"
like "$(cat "$T/log")" "WHIP cam: publisher 127.0.0.1 ends \\(DELETE\\)" "the log says how it ended"
done_testing
