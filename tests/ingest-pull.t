#!/usr/bin/env bash
# live-ingest URL (pull mode): ffmpeg as an SRT caller into
# 'srt://...?mode=listener'; the source dropping and a new caller arriving
# continue one FLV; a file with --realtime is paced; an rtmp:// pull.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 12

if ! ffmpeg -hide_banner -protocols 2>/dev/null | grep -qx '  srt'; then
    skip_all "this ffmpeg has no SRT (libsrt) support"
fi
make_av "$T/src.flv" 3 || { fail "make media"; exit 1; }
src_counts=$(counts "$T/src.flv")
# linger: in live mode SRT drops unsent data at close unless told to wait.
srt_send() {
    ffmpeg -hide_banner -loglevel error -nostdin -re -i "$1" -c copy -f mpegts \
        "srt://127.0.0.1:$PORT?mode=caller&latency=50000&linger=5"
}

# SRT: one caller, then the source ends and live-ingest gives up (--retry 0).
bg live-ingest --retry 0 "srt://127.0.0.1:$PORT?mode=listener" > "$T/srt.flv" 2> "$T/log1"
ING=$!
sleep 0.5
ok "ffmpeg sends over SRT as the caller" srt_send "$T/src.flv"
wait_exit "$ING" 10
wait "$ING"
is "$?" 0 "live-ingest ends with the source (--retry 0)"
is "$(counts "$T/srt.flv")" "$src_counts" "every video and audio packet arrived through SRT"

# SRT: two callers in a row, one continuous output.
PORT=$(free_port)
bg live-ingest --retry 3 "srt://127.0.0.1:$PORT?mode=listener" > "$T/srt2.flv" 2> "$T/log2"
ING=$!
sleep 0.5
srt_send "$T/src.flv"
wait_for 5 grep -q "reconnecting" "$T/log2"
wait_for 5 eval "ss -Hlun 'sport = :$PORT' | grep -q ."
ok "a second caller after the first one left" srt_send "$T/src.flv"
sleep 0.3
kill "$ING"
wait "$ING"
is "$?" 0 "SIGTERM ends pull mode cleanly"
read -r v a <<< "$(counts "$T/srt2.flv")"
is "$v" "$(( ${src_counts% *} * 2 ))" "both sessions' video in one FLV"
packets "$T/srt2.flv" > "$T/pk"
is "$(awk -F, '{ if ($3 < last[$1]) bad++; last[$1] = $3 } END { print bad + 0 }' "$T/pk")" 0 \
    "timestamps never go back"
last=$(awk -F, '$1 == 0 { d = $3 } END { print d }' "$T/pk")
cmp_num "$last" -ge 5900 "the second session goes on after the first (last video dts $last ms)"
like "$(cat "$T/log2")" "reconnecting in [0-9.]+ s" "reconnect with backoff logged"

# A file, paced with --realtime.
start=$(date +%s%N)
live-ingest --realtime "$T/src.flv" > "$T/rt.flv" 2>/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cmp_num "$ms" -ge 2700 "--realtime paces a 3 s file ($ms ms)"
is "$(counts "$T/rt.flv")" "$src_counts" "the file is copied whole"

# rtmp:// pull from ffmpeg acting as an RTMP server.
PORT=$(free_port)
ffmpeg -hide_banner -loglevel error -nostdin -i "$T/src.flv" -c copy -f flv -listen 1 \
    "rtmp://127.0.0.1:$PORT/live/x" &
SRV=$!
wait_for 5 listening "$PORT"
live-ingest --retry 0 "rtmp://127.0.0.1:$PORT/live/x" > "$T/rtmp.flv" 2>/dev/null
wait "$SRV" 2>/dev/null
read -r v a <<< "$(counts "$T/rtmp.flv")"
cmp_num "$v" -ge 70 "an rtmp:// pull gets the stream ($v video packets)"
