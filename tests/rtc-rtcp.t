#!/usr/bin/env bash
# live-rtc's RTCP with an independent client (aiortc): a PLI gets the
# viewer a keyframe long before the next one of the GOP (the cached one
# resent when the video is passed through, an IDR forced from our encoder
# when the rung is ours); Sender Reports put audio and video on one clock
# (a flash and a beep made at the same instants meet within a few tens of
# ms once mapped to NTP time); a flood of PLIs costs two pictures, one of
# NACKs is answered within the
# resend budget (400 a second); a viewer that stops reading is dropped by
# ICE consent while another viewer of the stream gets every frame.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rtc.sh"
have_aiortc || skip_all "python3-aiortc is not installed (scripts/deps)"
$PY -c 'import numpy' 2>/dev/null || skip_all "needs python3-numpy"
plan 17

# 30 s (the feeds are stopped once the client is done), one keyframe only;
# a white flash and a 1 kHz beep at 1, 3, 5, ... s; b.flv has B-frames
av_flash() {
    $FFMPEG -f lavfi -i "color=c=black:s=160x120:r=25:d=30,drawbox=c=white:t=fill:enable='between(mod(t\,2)\,1\,1.39)'" \
        -f lavfi -i "aevalsrc='if(between(mod(t\,2)\,1\,1.39)\,0.6*sin(2*PI*1000*t)\,0)':s=48000:d=30" \
        -c:v libx264 -g 750 -keyint_min 750 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -ac 2 -b:a 96k "$@"
}
av_flash -preset ultrafast "$T/a.flv" || { fail "make media"; exit 1; }
av_flash -preset veryfast -bf 2 "$T/b.flv" || { fail "make media"; exit 1; }
make_av "$T/c.flv" 60 160x120 1 25 || { fail "make media"; exit 1; }
start_rtc --consent-timeout 8 || exit 1
start_serve || exit 1

# PLI, passthrough (a.flv) and our rung (b.flv: B-frames), at once
feed "$T/a.flv" pass; F1=$FEED_PID
feed "$T/b.flv" rung; F2=$FEED_PID
wait_for 20 eval "grep -q 'stream pass: feed connected' '$T/rtc.log' && grep -q 'rung: the source has B-frames' '$T/rtc.log'"
out=$(client --seconds 20 --pli-after 2 --plis 20 --nack-flood 40 --min-frames 150 --sync \
    "http://127.0.0.1:$HTTP/whep/pass" "http://127.0.0.1:$HTTP/whep/rung" 2> "$T/client.err")
p=$(printf '%s\n' "$out" | sed -n 1p)
r=$(printf '%s\n' "$out" | sed -n 2p)
note "pass: $p" "rung: $r"
[ -n "$p" ] || diag "$(tail -n 20 "$T/client.err")"
is "$(field "$p" plis_sent) $(field "$r" plis_sent)" "20 20" "each viewer sent 20 PLIs at once"
ok "passthrough: a keyframe came after the PLI ($(field "$p" pli_key) s of media after it), not at the next (30 s)" \
    awk -v k="$(field "$p" pli_key)" 'BEGIN { exit !(k != "null" && k >= 0 && k < 10) }'
ok "our rung: an IDR came after the PLI ($(field "$r" pli_key) s of media after it)" \
    awk -v k="$(field "$r" pli_key)" 'BEGIN { exit !(k != "null" && k >= 0) }'
ok "our rung's encoder was asked for it" grep -q "stream rung: an IDR is forced for a viewer" "$T/rtc.log"
like "$(grep 'of pass for' "$T/rtc.log")" "passed through" "pass is passed through"
like "$(grep 'of rung for' "$T/rtc.log")" "our rung" "rung is encoded by live-rtc"
pkill -P "$F1"; pkill -P "$F2"    # the stream ends
wait_for 10 eval "[ \$(grep -c 'of \\(pass\\|rung\\) ends' '$T/rtc.log') -ge 2 ]"
like "$(grep 'of pass ends' "$T/rtc.log")" " [1-9][0-9]* PLI" "live-rtc counted the PLI of pass"
like "$(grep 'of rung ends' "$T/rtc.log")" " [1-9][0-9]* PLI" "and of rung"
line=$(grep 'of pass ends' "$T/rtc.log")
pics=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) pictures sent.*/\1/p')
plis=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) PLI,.*/\1/p')
# aiortc asks for pictures of its own too (plis - 20 of them)
ok "20 PLIs at once cost one picture and one more 500 ms later ($pics for $plis PLIs and the join)" \
    test "$pics" -ge 2 -a "$pics" -le $((plis - 20 + 3))
nacked=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) NACKed.*/\1/p')
resent=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) resent.*/\1/p')
cmp_num "$nacked" -ge "$(field "$p" nacks_sent)" "a flood of NACKs reached live-rtc ($nacked packets named)"
ok "it resent no more than its budget of them (400 at once, then 400 a second: $resent)" \
    awk -v r="$resent" 'BEGIN { exit !(r >= 1 && r <= 1200) }'

# A/V sync by Sender Reports: each flash against its beep
for v in "$p" "$r"; do
    name=$(field "$v" url); name=${name##*/}
    sync=$(printf '%s\n' "$v" | jq -r '.sync_ms | map(tostring) | join(" ")')
    ok "$name: flashes and beeps seen ($sync ms, video minus audio)" \
        test "$(printf '%s\n' "$v" | jq '.sync_ms | length')" -ge 2
    ok "$name: each within 45 ms on the Sender Reports' clock" \
        eval "printf '%s\n' '$v' | jq -e '(.sync_ms | length) >= 2 and (.sync_ms | all(. < 45 and . > -45))' > /dev/null"
done

# a viewer that stops reading (SIGSTOP: its socket fills, no consent
# checks) is dropped; the other viewer of the stream misses nothing
feed "$T/c.flv" cam; F3=$FEED_PID
wait_for 20 grep -q 'stream cam: feed connected' "$T/rtc.log"
client --until-end --seconds 40 "http://127.0.0.1:$HTTP/whep/cam" > "$T/good.json" 2> "$T/good.err" & GOOD=$!
wait_for 20 grep -q 'session [0-9a-f]* of cam for' "$T/rtc.log"
$PY "$TOP/tests/rtc-client.py" --seconds 30 "http://127.0.0.1:$HTTP/whep/cam" > "$T/slow.json" 2>&1 & SLOW=$!
_bg_pids+=($SLOW)
wait_for 20 eval "[ \$(grep -c 'session [0-9a-f]* of cam: DTLS done' '$T/rtc.log') -ge 2 ]"
sleep 1
kill -STOP $SLOW
wait_for 60 grep -q "of cam ends (ICE consent expired)" "$T/rtc.log"
pkill -P "$F3"    # the stream ends: the good viewer with it
wait $GOOD
good=$(cat "$T/good.json")
note "good: $good"
ok "the stopped viewer is dropped (ICE consent)" grep -q "of cam ends (ICE consent expired)" "$T/rtc.log"
line=$(grep "of cam ends (the stream ended)" "$T/rtc.log" | head -n1)
note "$line"
sent=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) video frames.*/\1/p')
got=$(field "$good" video_frames)
ok "the other viewer decoded every frame it was sent ($got of $sent)" \
    awk -v g="$got" -v s="$sent" 'BEGIN { exit !(s >= 100 && g >= 0.98 * s) }'
kill -CONT $SLOW 2>/dev/null
kill $SLOW 2>/dev/null
done_testing
