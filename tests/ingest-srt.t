#!/usr/bin/env bash
# SRT push: live-ingest --srt takes SRT callers (libsrt) and routes each by
# its stream id ("#!::r=NAME,m=publish,k=KEY" or "NAME"); ffmpeg (the
# stream id as an option and in the URL) and srt-live-transmit publish,
# three callers at once, a wrong key is refused in the listen callback
# (before any data), SRT passphrases per stream (key file) and for all
# (--srt-passphrase), and a caller that comes back within the grace period
# continues its stream. The MPEG-TS out is the packets in, with
# timestamp-based delivery at --srt-latency 0.3, and a caller that closes
# without lingering loses nothing libsrt had received. The receive latency
# of each caller is the larger of --srt-latency and the caller's (read
# back from libsrt once connected, and logged).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 39

make_av "$T/src.flv" 2 || { fail "make media"; exit 1; }
$FFMPEG -i "$T/src.flv" -c copy -f mpegts "$T/src.ts" || { fail "make MPEG-TS"; exit 1; }
# "VIDEO AUDIO" packets, read through (a second session in the same file too)
tsc() {
    ffprobe -v error -show_entries packet=codec_type -of csv=p=0 "$1" 2>/dev/null |
        awk -F, 'NF { n[$1]++ } END { printf "%d %d\n", n["video"], n["audio"] }'
}
want=$(tsc "$T/src.ts")
# pts, dts, size and md5 of each packet (the timing too, not just the count)
fmd5() { ffmpeg -hide_banner -loglevel error -i "$1" -map 0 -c copy -f framemd5 - | grep -v '^#'; }
fmd5 "$T/src.ts" > "$T/src.md5"
SPORT=$(free_port)
# srtpub SID [SRT OPTIONS]: ffmpeg as an SRT caller, paced, lingering
# until its last packets are acknowledged.
srtpub() {
    local sid=$1
    shift
    timeout 30 ffmpeg -hide_banner -loglevel error -nostdin -re -i "$T/src.ts" -c copy \
        -f mpegts -srt_streamid "$sid" -linger 2 "$@" "srt://127.0.0.1:$SPORT"
}

mkdir -p "$T/out"
# --srt-latency 0.3: more than callers offer by default (120 ms).
start_ingest "$T/log" -g 1.5 -o "$T/out" --srt "127.0.0.1:$SPORT" --srt-latency 0.3 ||
    { fail "live-ingest starts"; exit 1; }
wait_for 5 grep -q "listening for SRT on 127.0.0.1:$SPORT" "$T/log"

srtpub '#!::r=cam,m=publish'
is "$?" 0 "ffmpeg publishes with an access-control stream id"
wait_for 10 grep -q "cam: stream ended" "$T/log"
is "$(tsc "$T/out/cam.ts")" "$want" "its MPEG-TS arrives whole in cam.ts"
like "$(cat "$T/log")" "cam: SRT receive latency 300 ms for 127\.0\.0\.1:[0-9]+ \(--srt-latency 300 ms\)" \
    "the caller (libsrt's 120 ms) gets --srt-latency's 300 ms, logged"
fmd5 "$T/out/cam.ts" > "$T/cam.md5"
ok "the packets out are the packets in (pts, dts, size, md5 of each)" cmp -s "$T/src.md5" "$T/cam.md5"

srtpub plain -latency 100000
is "$?" 0 "ffmpeg publishes with a plain stream id"
wait_for 10 grep -q "plain: stream ended" "$T/log"
is "$(tsc "$T/out/plain.ts")" "$want" "and it arrives whole"
like "$(cat "$T/log")" "plain: SRT receive latency 300 ms for [^ ]+ \(--srt-latency 300 ms\)" \
    "a caller asking for 100 ms (-latency 100000) gets the larger, 300 ms"

# the stream id in the URL, as OBS and most encoders are configured
# (srt://HOST:PORT?streamid=#!::r=NAME,...: FFmpeg 5.1's libsrt takes it
# as written, and does not decode a URL-encoded one)
timeout 30 ffmpeg -hide_banner -loglevel error -nostdin -re -i "$T/src.ts" -c copy -f mpegts \
    "srt://127.0.0.1:$SPORT?streamid=#!::r=url,m=publish&linger=2&latency=500000"
is "$?" 0 "ffmpeg publishes to srt://...?streamid=#!::r=url,m=publish (the stream id in the URL)"
wait_for 10 grep -q "url: stream ended" "$T/log"
is "$(tsc "$T/out/url.ts")" "$want" "and it arrives whole as url.ts"
like "$(cat "$T/log")" "url: SRT receive latency 500 ms for [^ ]+ \(the caller asked for more than --srt-latency's 300 ms\)" \
    "a caller asking for 500 ms (latency=500000 in the URL) gets its 500 ms"

pids=()
for i in 1 2 3; do srtpub "#!::r=many$i" & pids+=($!); done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
is "$failed" 0 "three callers at once"
wait_for 10 eval "[ \$(grep -c 'many.: stream ended' '$T/log') -eq 3 ]"
is "$(for i in 1 2 3; do tsc "$T/out/many$i.ts"; done | sort -u)" "$want" "each arrives whole"

ffmpeg -hide_banner -loglevel error -nostdin -re -i "$T/src.ts" -c copy -f mpegts - 2>/dev/null |
    timeout 10 srt-live-transmit -q file://con "srt://127.0.0.1:$SPORT?streamid=relay&latency=400" >/dev/null 2>&1
wait_for 10 grep -q "relay: stream ended" "$T/log"
read -r v a <<< "$(tsc "$T/out/relay.ts")"
read -r wv wa <<< "$want"
ok "srt-live-transmit publishes: $v of $wv video packets, $a of $wa audio (it does not linger: its last ones may be lost)" \
    test "$v" = "$wv" -a "$a" -ge $((wa * 9 / 10))
like "$(cat "$T/log")" "relay: SRT receive latency 400 ms for [^ ]+ \(the caller asked for more than --srt-latency's 300 ms\)" \
    "srt-live-transmit asking for 400 ms (latency=400) gets its 400 ms"
# A caller that closes at once (no linger) with a latency of 1.5 s: most
# of its 2 s are still in libsrt's buffer, each packet waiting for its
# delivery time, when the connection ends; they are read as it comes
# (packets it had not sent yet when it closed are lost: at most its last
# few; without the wait only the first half second of it arrived).
timeout 30 ffmpeg -hide_banner -loglevel error -nostdin -re -i "$T/src.ts" -c copy -f mpegts \
    -srt_streamid tail -linger 0 -latency 1500000 "srt://127.0.0.1:$SPORT"
wait_for 15 grep -q "tail: stream ended" "$T/log"
read -r v a <<< "$(tsc "$T/out/tail.ts")"
ok "a caller gone without lingering: what was in libsrt's buffer is delivered ($v of $wv video packets)" \
    test "$v" -ge $((wv * 3 / 4))
# One that closes at 8 s of latency (all of it still held) and comes back
# at once: the new caller is taken, the old one's undelivered packets lost.
timeout 30 ffmpeg -hide_banner -loglevel error -nostdin -re -i "$T/src.ts" -c copy -f mpegts \
    -srt_streamid quick -linger 0 -latency 8000000 "srt://127.0.0.1:$SPORT"
srtpub quick
wait_for 15 grep -q "quick: stream ended" "$T/log"
like "$(cat "$T/log")" "quick: SRT: closed, and replaced by 127\.0\.0\.1:[0-9]+ before its last packets were due" \
    "a caller back before its last packets were due replaces the closed one"
is "$(tsc "$T/out/quick.ts")" "$want" "and its stream arrives whole"

srtpub '#!::r=cam,m=request' 2>/dev/null
isnt "$?" 0 "m=request is refused"
like "$(cat "$T/log")" 'SRT caller refused: stream id "#!::r=cam,m=request" names no stream' \
    "with the reason"
kill "$INGEST_PID"
wait_exit "$INGEST_PID" 15

# Keys: checked in the listen callback. Passphrases: "enc" and "enc2"
# have their own in the key file, "sec" gets --srt-passphrase's.
printf 'sec s3cret\nenc s3cret 0123456789abc\nenc2 s3cret 0123456789abc\n' > "$T/keys"
PORT=$(free_port) SPORT=$(free_port)
start_ingest "$T/log2" -g 0.3 -o "$T/out2" -k "$T/keys" --srt "127.0.0.1:$SPORT" \
    --srt-passphrase globalpass123 || { fail "live-ingest starts"; exit 1; }
mkdir -p "$T/out2"
wait_for 5 grep -q "listening for SRT" "$T/log2"
unlike "$(ps -o args= -p "$INGEST_PID")" "globalpass123" "--srt-passphrase is wiped from the command line"
srtpub '#!::r=sec,k=wrong' -passphrase globalpass123 2>/dev/null
isnt "$?" 0 "a wrong key is refused"
like "$(cat "$T/log2")" "SRT caller refused: sec: wrong key" "before any data (the listen callback)"
ok "nothing is written for it" test ! -e "$T/out2/sec.ts"
srtpub '#!::r=sec,k=s3cret' 2>/dev/null
isnt "$?" 0 "the right key without the passphrase is refused"
ok "nothing is written for it" test ! -e "$T/out2/sec.ts"
srtpub '#!::r=sec,m=publish,k=s3cret' -passphrase globalpass123
is "$?" 0 "the right key and --srt-passphrase's passphrase publish"
wait_for 10 grep -q "sec: stream ended" "$T/log2"

srtpub '#!::r=enc2' -passphrase globalpass123 2>/dev/null
isnt "$?" 0 "a stream's own passphrase: another one is refused"
srtpub '#!::r=enc2' 2>/dev/null
isnt "$?" 0 "and none"
ok "nothing is written for them" test ! -e "$T/out2/enc2.ts"
unlike "$(cat "$T/log2")" "enc2: published" "they never published"
srtpub '#!::r=enc' -passphrase 0123456789abc -pbkeylen 32
is "$?" 0 "the stream's own passphrase publishes (AES-256), no key needed"
wait_for 10 grep -q "enc: stream ended" "$T/log2"
fmd5 "$T/out2/enc.ts" > "$T/enc.md5"
ok "the packets out are the packets in (pts, dts, size, md5 of each)" cmp -s "$T/src.md5" "$T/enc.md5"
# A caller killed (-9) mid-stream and started again 1.2 s later (its
# socket not yet timed out: the silent caller is replaced) continues the
# stream: its MPEG-TS, whose clock starts anew, goes on from the last
# timestamps written, with a discontinuity marked. Grace 4 s: room for a
# restart on a busy machine.
kill "$INGEST_PID"
wait_exit "$INGEST_PID" 15
PORT=$(free_port) SPORT=$(free_port)
mkdir -p "$T/out3"
start_ingest "$T/log3" -g 4 -o "$T/out3" --srt "127.0.0.1:$SPORT" || { fail "live-ingest starts"; exit 1; }
wait_for 5 grep -q "listening for SRT" "$T/log3"
make_av "$T/src6.flv" 6 && $FFMPEG -i "$T/src6.flv" -c copy -f mpegts "$T/src6.ts" ||
    fail "make 6 s of MPEG-TS"
ffmpeg -hide_banner -loglevel error -nostdin -re -i "$T/src6.ts" -c copy \
    -f mpegts -srt_streamid back "srt://127.0.0.1:$SPORT" &
pid_back=$!
wait_for 10 grep -q "back: published over SRT" "$T/log3"
sleep 1.5
kill -9 "$pid_back"
wait "$pid_back" 2>/dev/null
sleep 1.2    # an encoder's restart
srtpub back
is "$?" 0 "the caller killed -9 and restarted publishes"
wait_for 15 grep -q 'back: stream ended' "$T/log3"
like "$(cat "$T/log3")" "back: SRT: silent for [0-9.]+ s, replaced by 127\.0\.0\.1" \
    "it replaces the killed one, whose socket had not timed out"
like "$(cat "$T/log3")" "back: SRT publisher back \(127\.0\.0\.1:[0-9]+\) after [0-9.]+ s, continuing the stream" \
    "and continues its stream"
read -r v a <<< "$(tsc "$T/out3/back.ts")"
ok "both sessions are in it: $v video packets (the second's $wv and some of the first's)" \
    test "$v" -gt "$wv"
# video dts in 90 kHz ticks: never back, one jump forward of at least 1 s
ffprobe -v error -select_streams v -show_entries packet=dts -of csv=p=0 "$T/out3/back.ts" |
    awk 'NF { if (n++ && $1 <= l) back++; if (n > 1 && $1 - l >= 90000) jump++; l = $1 }
         END { print back + 0, jump + 0 }' > "$T/back.dts"
is "$(cat "$T/back.dts")" "0 1" "video timestamps never go back, and jump forward once by 1 s or more"
# discontinuity_indicator set in the adaptation fields of the second session
python3 - "$T/out3/back.ts" > "$T/back.disc" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
pids = set()
for i in range(0, len(d) - 187, 188):
    p = d[i:i + 188]
    if p[0] == 0x47 and p[3] & 0x20 and p[4] > 0 and p[5] & 0x80:
        pids.add((p[1] & 0x1f) << 8 | p[2])
print(' '.join('%#x' % x for x in sorted(pids)))
PY
like "$(cat "$T/back.disc")" "0x100 0x101" "the discontinuity is marked on the video and audio PIDs"
live-segment -q -s back -d 1 -o "$T/spool" < "$T/out3/back.ts" > "$T/back.recs"
is "$(jq -r 'select(.type == "segment") | .discontinuity' "$T/back.recs" | grep -c true)" 1 \
    "live-segment cuts there: one segment is a discontinuity"
done_testing
