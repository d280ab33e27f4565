#!/usr/bin/env bash
# Fault: publishers that open TCP and then send nothing, or trickle, or
# stop after publish. Each is timed out and closed with a reason in the
# log; a concurrent good publisher is unaffected; connections held by
# silent peers are given back, so a full server (--max-conns) takes new
# publishers again once the timeout has passed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 11

make_av "$T/src.flv" 4 160x120 || { fail "make media"; exit 1; }
mkdir -p "$T/out"
start_ingest "$T/log" -o "$T/out" -g 0.3 --handshake-timeout 1 --idle-timeout 1 --max-conns 6
publish_bg "$T/src.flv" good -re
GOOD=$PUB_PID

# closed_within FD SECONDS: 0 when the server closes the connection on fd
# FD (EOF or reset) within SECONDS.
closed_within() {
    timeout "$2" cat <&"$1" > /dev/null 2>&1
    local r=$?
    [ $r != 124 ]
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Four peers that connect and say nothing: with the good publisher that
# is 5 of 6 connections.
exec 4<>"/dev/tcp/127.0.0.1/$PORT" 5<>"/dev/tcp/127.0.0.1/$PORT" \
     6<>"/dev/tcp/127.0.0.1/$PORT" 7<>"/dev/tcp/127.0.0.1/$PORT"
t0=$(now_ms)
ok "a peer that sends nothing is closed" closed_within 4 5
t1=$(now_ms)
cmp_num $((t1 - t0)) -ge 800 "not before the handshake timeout (1 s): $((t1 - t0)) ms"
cmp_num $((t1 - t0)) -le 3000 "soon after it: $((t1 - t0)) ms"
ok "every silent peer is closed" eval "closed_within 5 2 && closed_within 6 2 && closed_within 7 2"
exec 4<&- 5<&- 6<&- 7<&-
like "$(cat "$T/log")" "no publish within 1 s: closed" "the reason is logged"

# A peer that trickles a byte every 0.3 s does not extend its time.
exec 4<>"/dev/tcp/127.0.0.1/$PORT"
t0=$(now_ms)
( printf '\x03'; for _ in $(seq 20); do sleep 0.3; printf '\x00' || exit; done ) >&4 2>/dev/null &
trickle=$!
closed_within 4 5
t1=$(now_ms)
kill "$trickle" 2>/dev/null; wait "$trickle" 2>/dev/null
exec 4<&-
cmp_num $((t1 - t0)) -le 3000 "a trickling handshake is closed by the timeout too: $((t1 - t0)) ms"

# A publisher that goes silent after publish.
bytes=$(publish_hex quiet)
raw_open; raw_handshake; raw_send "$bytes"
ok "a publisher silent after publish is closed" raw_closed 5
like "$(cat "$T/log")" "silent for 1 s: closed" "the reason is logged"

wait "$GOOD"
is "$?" 0 "the concurrent good publisher succeeds"
wait_for 5 test -s "$T/out/good.flv"
is "$(counts "$T/out/good.flv")" "$(counts "$T/src.flv")" "and its FLV has every frame"

# Connections are not leaked: six more silent peers later, a publisher still gets in.
for fd in 4 5 6 7 8 9; do eval "exec $fd<>/dev/tcp/127.0.0.1/$PORT"; done
sleep 2
for fd in 4 5 6 7 8 9; do eval "exec $fd<&-"; done
publish "$T/src.flv" late > /dev/null 2>&1
is "$?" 0 "after the silent peers were timed out, a new publisher is served"
done_testing
