#!/usr/bin/env bash
# Every stream the pipeline carries reaches WebRTC viewers, whatever
# live-ingest hands its pipeline (live-pipe(5)): through
# scripts/live-pipeline, the `live-rtc -f` tee reads MPEG-TS from SRT
# callers (ffmpeg) and from an HEVC Enhanced RTMP publisher
# (tests/erpub.c), and Matroska from WHIP publishers (aiortc, H.264 and
# VP8), passes it on unchanged (live-segment makes the DASH of each) and
# feeds live-rtc its packets; an independent WebRTC client (aiortc)
# plays each over WHEP with H.264 and Opus that decode. H.264 without
# B-frames is passed through; H.264 with B-frames, VP8 and HEVC get our
# rung; the WHIP streams' Opus is passed through, AAC is encoded to Opus.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rtc.sh"
for p in live-ingest live-segment live-transcode live-package live-serve live-rtc; do
    command -v $p >/dev/null 2>&1 || skip_all "$p is not built yet"
done
have_aiortc || skip_all "python3-aiortc is not installed (scripts/deps)"
plan 23
[ -n "${KEEP_T:-}" ] && note "T=$T"

RTMP=$(free_port) HTTP=$(free_port) WHIP=$(free_port) SPORT=$(free_port)
URL=http://127.0.0.1:$HTTP
make_av "$T/a.ts" 20 160x120 1 25 || { fail "make media"; exit 1; }
make_av "$T/b.ts" 20 160x120 1 25 -- -preset veryfast -bf 2 -x264-params bframes=2 || { fail "make media"; exit 1; }
LIVE_INGEST_OPTS="-g 1 --srt 127.0.0.1:$SPORT --whip 127.0.0.1:$WHIP" bg "$TOP/scripts/live-pipeline" \
    -r 127.0.0.1:$RTMP -l 127.0.0.1:$HTTP -u 127.0.0.1:0 -d "$T/live" -s 2 -L 240p:400k -p ultrafast
wait_for 20 curl -sf -o /dev/null "$URL/time"
wait_for 20 grep -q "WebRTC on UDP" "$T/live/rtc.log"
ok "the pipeline with its WebRTC stage is up" curl -sf -o /dev/null "$URL/time"
RLOG=$T/live/rtc.log

# SRT: two callers, MPEG-TS, one without B-frames, one with
srtpub() {
    timeout 60 ffmpeg -hide_banner -loglevel error -nostdin -re -i "$1" -c copy -f mpegts \
        -srt_streamid "$2" "srt://127.0.0.1:$SPORT"
}
srtpub "$T/a.ts" srtcam & PA=$!
srtpub "$T/b.ts" srtbf & PB=$!
_bg_pids+=($PA $PB)
wait_for 30 eval "grep -q 'stream srtcam: feed connected' '$RLOG' && grep -q 'stream srtbf: feed connected' '$RLOG'"
out=$(client --seconds 40 --min-frames 50 "$URL/whep/srtcam" "$URL/whep/srtbf" 2> "$T/client.err")
a=$(printf '%s\n' "$out" | sed -n 1p)
b=$(printf '%s\n' "$out" | sed -n 2p)
note "srtcam: $a" "srtbf: $b"
is "$(field "$a" status) $(field "$b" status)" "201 201" "SRT streams: both WHEP offers are answered with 201"
cmp_num "$(field "$a" video_frames)" -ge 50 "srtcam: H.264 frames decode"
cmp_num "$(field "$a" audio_frames)" -ge 20 "srtcam: Opus frames decode"
cmp_num "$(field "$b" video_frames)" -ge 50 "srtbf: H.264 frames decode"
cmp_num "$(field "$b" audio_frames)" -ge 20 "srtbf: Opus frames decode"
like "$(grep 'of srtcam for' "$RLOG")" "passed through" "srtcam (no B-frames) is passed through"
like "$(grep 'of srtbf for' "$RLOG")" "our rung" "srtbf (B-frames) gets our rung"
wait $PA $PB
ok "the SRT streams' MPEG-TS reached live-segment whole too: srtcam has DASH" \
    wait_for 30 eval "curl -sf -o /dev/null '$URL/srtcam/manifest.mpd'"

# WHIP: aiortc publishes H.264 and Opus, and VP8 and Opus, Matroska down
# the pipeline
bg sh -c "$PY '$TOP/tests/whip-client.py' 'http://127.0.0.1:$WHIP/whip/whipcam' any 60 > '$T/pub.json' 2> '$T/pub.err'"
bg sh -c "$PY '$TOP/tests/whip-client.py' 'http://127.0.0.1:$WHIP/whip/whipvp8' any 60 --codec VP8 > '$T/pub8.json' 2> '$T/pub8.err'"
wait_for 40 eval "grep -q 'stream whipcam: feed connected' '$RLOG' && grep -q 'stream whipvp8: feed connected' '$RLOG'"
out=$(client --seconds 40 --min-frames 50 "$URL/whep/whipcam" "$URL/whep/whipvp8" 2> "$T/client2.err")
a=$(printf '%s\n' "$out" | sed -n 1p)
b=$(printf '%s\n' "$out" | sed -n 2p)
note "whipcam: $a" "whipvp8: $b"
is "$(field "$a" status) $(field "$b" status)" "201 201" "WHIP streams: both WHEP offers are answered with 201"
cmp_num "$(field "$a" video_frames)" -ge 50 "whipcam: H.264 frames decode"
cmp_num "$(field "$a" audio_frames)" -ge 20 "whipcam: Opus frames decode"
like "$(grep 'of whipcam for' "$RLOG")" "passed through" "its H.264 is passed through"
ok "its Opus is passed through" grep -q "stream whipcam: the source's Opus is passed through" "$RLOG"
cmp_num "$(field "$b" video_frames)" -ge 50 "whipvp8: H.264 frames decode"
cmp_num "$(field "$b" audio_frames)" -ge 20 "whipvp8: Opus frames decode"
like "$(grep 'of whipvp8 for' "$RLOG")" "our rung" "VP8 gets our H.264 rung"

# HEVC over Enhanced RTMP (B-frames; MPEG-TS down the pipeline), paced by
# ffmpeg -re into a FIFO that erpub reads
if cc -o "$T/erpub" "$TOP/tests/erpub.c" $(pkg-config --cflags --libs libavformat libavcodec libavutil) &&
    $FFMPEG -f lavfi -i testsrc2=size=160x120:rate=25:duration=20 -f lavfi -i sine=duration=20 \
        -c:v libx265 -preset ultrafast -x265-params log-level=error:keyint=25:bframes=2 \
        -c:a aac "$T/hevc.mkv"; then
    mkfifo "$T/hevc.fifo"
    ( ffmpeg -hide_banner -loglevel error -nostdin -re -i "$T/hevc.mkv" -c copy -f matroska - > "$T/hevc.fifo" 2> "$T/fifo.err" ) &
    _bg_pids+=($!)
    ( "$T/erpub" "$T/hevc.fifo" "rtmp://127.0.0.1:$RTMP/live/hevccam" 2> "$T/erpub.err" ) &
    _bg_pids+=($!)
    wait_for 40 grep -q "stream hevccam: feed connected" "$RLOG"
    out=$(client --seconds 40 --min-frames 50 "$URL/whep/hevccam" 2> "$T/client3.err")
    note "hevccam: $out"
    is "$(field "$out" status)" 201 "HEVC stream: the WHEP offer is answered with 201"
    cmp_num "$(field "$out" video_frames)" -ge 50 "hevccam: H.264 frames decode"
    cmp_num "$(field "$out" audio_frames)" -ge 20 "hevccam: Opus frames decode"
    is "$(field "$out" width)x$(field "$out" height)" 160x120 "at the source's size"
    like "$(grep 'of hevccam for' "$RLOG")" "our rung" "HEVC gets our H.264 rung"
else
    fail "build the Enhanced RTMP publisher and its HEVC"
    for i in 1 2 3 4; do skip "no HEVC publisher"; done
fi
ok "no feed was refused as bad input" eval "! grep -q 'is not FLV\\|bad packet record\\|neither FLV' '$RLOG' '$T/live/streams/'*.log"
done_testing
