#!/usr/bin/env bash
# live-ingest: ffmpeg publishes a 20 s H.264/AAC stream over RTMP (digest
# handshake); the FLV on stdout has every frame with the source's
# timestamps, and live-ingest | live-segment cuts it as the file is cut.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 12

make_av "$T/src.flv" 20 320x240 2 25 || { fail "make media"; exit 1; }

start_ingest "$T/log" -g 0.5 -v
ok "ffmpeg publishes (no -re)" publish "$T/src.flv" "cam1?key=anything"
wait_exit "$INGEST_PID" 10
wait "$INGEST_PID"
is "$?" 0 "live-ingest exits 0 when the only stream ends"
is "$(counts "$T/out.flv")" "$(counts "$T/src.flv")" "every video and audio packet is there"
is "$(packets "$T/out.flv" | md5sum)" "$(packets "$T/src.flv" | md5sum)" \
    "timestamps and keyframe flags equal the source's"
like "$(cat "$T/log")" "cam1: published by 127\.0\.0\.1" "publish logged"
like "$(cat "$T/log")" "digest handshake" "ffmpeg's client used the digest handshake"
# -re only for a short part: the stream is live-paced and still whole.
OUT=$T/re.flv start_ingest "$T/log2" -g 0.5
publish "$T/src.flv" "cam2" -re -t 2 >/dev/null 2>&1
wait_exit "$INGEST_PID" 10
is "$(counts "$T/re.flv" | cut -d' ' -f1)" "50" "a live-paced publish (-re, 2 s) arrives whole"

# ffmpeg checks the server's digest (S1) and signature (S2) only when it
# plays: a playing ffmpeg gets past the handshake, then is refused.
PORT=$(free_port)
start_ingest "$T/log3" -v
ffmpeg -hide_banner -v debug -nostdin -i "rtmp://127.0.0.1:$PORT/live/x" -f null - > "$T/play.err" 2>&1
unlike "$(cat "$T/play.err")" "validating failed|Signature mismatch" "ffmpeg validates the server's digest and signature"
like "$(cat "$T/log3")" "digest handshake, connect" "and goes on to connect"
like "$(cat "$T/log3")" "play: this server only takes publishers" "playing is refused"

# live-ingest | live-segment cuts as the file is cut.
if command -v live-segment >/dev/null 2>&1; then
    live-segment -s cam1 -o "$T/spool-file" < "$T/src.flv" > "$T/rec-file" 2>/dev/null
    PORT=$(free_port)
    bg sh -c "live-ingest -q -l 127.0.0.1:$PORT -g 0.5 2>/dev/null | live-segment -q -s cam1 -o '$T/spool-rtmp' > '$T/rec-rtmp'"
    SEG_PID=$!
    wait_for 5 listening "$PORT"
    publish "$T/src.flv" "cam1"
    wait_exit "$SEG_PID" 20
    norm() { jq -c '{seq, start, duration, video, audio}' "$1" 2>/dev/null; }
    isnt "$(norm "$T/rec-file")" "" "live-segment cut the file"
    is "$(norm "$T/rec-rtmp")" "$(norm "$T/rec-file")" "live-ingest | live-segment cuts the same segments"
else
    skip "live-segment is not built yet (issue of another stage)"
    skip "live-segment is not built yet (issue of another stage)"
fi
