#!/usr/bin/env bash
# live-rtc under 5% packet loss (its test-only loss switch drops RTP
# packets on their first sending): the client's NACKs are answered from
# the retransmission history and it decodes at least 98% of the video
# frames it was sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rtc.sh"
have_aiortc || skip_all "python3-aiortc is not installed (scripts/deps)"
plan 6

make_av "$T/a.flv" 12 320x240 1 25 || { fail "make media"; exit 1; }
start_rtc --test-loss 5 || exit 1
start_serve || exit 1
feed "$T/a.flv" cam
wait_for 20 grep -q 'stream cam: feed connected' "$T/rtc.log"
out=$(client --until-end --seconds 60 "http://127.0.0.1:$HTTP/whep/cam" 2> "$T/client.err")
note "$out"
is "$(field "$out" status)" 201 "the offer is answered"
wait_for 10 grep -q "of cam ends" "$T/rtc.log"
line=$(grep "of cam ends" "$T/rtc.log" | head -n1)
note "$line"
sent=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) video frames.*/\1/p')
dropped=$(printf '%s\n' "$line" | sed -n 's/.*(\([0-9]*\) dropped by --test-loss).*/\1/p')
nacked=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) NACKed.*/\1/p')
resent=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) resent.*/\1/p')
got=$(field "$out" video_frames)
cmp_num "$dropped" -gt 0 "packets were lost ($dropped)"
cmp_num "$nacked" -gt 0 "the client NACKed them ($nacked)"
cmp_num "$resent" -gt 0 "and they were sent again ($resent)"
cmp_num "$sent" -ge 100 "the viewer was sent most of the stream ($sent frames)"
ok "it decoded at least 98% of them ($got of $sent)" awk -v g="$got" -v s="$sent" 'BEGIN { exit !(g >= 0.98 * s) }'
done_testing
