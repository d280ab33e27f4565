#!/usr/bin/env bash
# WHIP ingest with an independent client: aiortc (Debian's python3-aiortc,
# tests/whip-client.py) publishes a moving picture as H.264 and a tone as
# Opus to live-ingest --whip -o DIR; the stream comes out as DIR/NAME.mkv
# (Matroska: H.264 + Opus) with frames of both, the audio as long as the
# video, ending with the end mark after DELETE and the grace period. A second publisher from the same
# address past --max-whip-per-addr gets 429; one a trusted proxy
# (--trusted-proxy) says comes from elsewhere is not counted with it.
# Through the nginx edge (live-edge -W) aiortc publishes too: the offer,
# the answer and the DELETE pass through.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
PY=/usr/bin/python3
$PY -c 'import aiortc, numpy' 2>/dev/null || skip_all "no python3-aiortc"
plan 18

printf 'cam s3cret\ncam2 other\n' > "$T/keys"
mkdir -p "$T/out"
WHIP=$(free_port)
W=http://127.0.0.1:$WHIP
start_ingest "$T/log" -v -g 0.5 -k "$T/keys" -o "$T/out" --whip "127.0.0.1:$WHIP" --max-whip-per-addr 1 \
    --trusted-proxy 127.0.0.1 ||
    { fail "live-ingest starts"; exit 1; }

bg sh -c "$PY '$TOP/tests/whip-client.py' '$W/whip/cam' s3cret 4 > '$T/pub.json' 2> '$T/pub.err'"
pub=$!
wait_for 20 grep -q "cam: published over WHIP" "$T/log"
printf 'v=0\r\n' > "$T/x.sdp"
post() { curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/sdp' ${3:+-H "X-Forwarded-For: $3"} --data-binary "@$T/x.sdp" "$W/whip/$1"; }
is "$(post cam2 other)" 429 "a second publisher from the same address: 429 (--max-whip-per-addr 1)"
is "$(post cam2 other 192.0.2.7)" 400 "one a trusted proxy says is elsewhere is not counted with it (its bad SDP: 400)"
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
# the audio lasts as long as the video (its timestamps run at the real rate)
ve=$(ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 "$T/out/cam.mkv" | grep . | tail -1)
ae=$(ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 "$T/out/cam.mkv" | grep . | tail -1)
ok "the audio runs as long as the video ($ae s, $ve s)" awk -v a="$ae" -v v="$ve" 'BEGIN { exit !(v > 1 && a >= 0.8 * v) }'
is "$(tail -c 9 "$T/out/cam.mkv")" onLiveEnd "it ends with the end mark"
like "$(cat "$T/log")" "WHIP cam: publisher 127.0.0.1 ends \\(DELETE\\)" "the log says how it ended"

# through the nginx edge
if command -v nginx >/dev/null; then
    chmod 711 "$T"    # workers run as nobody when the test runs as root
    pe=$(free_port)
    bg live-edge -l "127.0.0.1:$pe" -p "$T/edge" -d 2 -r 0 -c 0 -W "127.0.0.1:$WHIP" "127.0.0.1:$(free_port)" \
        2> "$T/edge.log"
    wait_for 10 eval "ss -Hltn 'sport = :$pe' | grep -q ."
    r=$($PY "$TOP/tests/whip-client.py" "http://127.0.0.1:$pe/whip/cam2" other 2 2> "$T/pub2.err")
    note "$r"
    is "$(jq -r .status <<<"$r")" 201 "through live-edge -W: 201"
    like "$(jq -r .location <<<"$r")" "^/whip/cam2/[0-9a-f]{32}$" "the Location stays a path"
    is "$(jq -r .connected <<<"$r")" true "the media goes to live-ingest's UDP port"
    is "$(jq -r .delete <<<"$r")" 200 "the DELETE passes through"
else
    skip "no nginx"; skip "no nginx"; skip "no nginx"; skip "no nginx"
fi
done_testing
