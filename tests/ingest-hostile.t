#!/usr/bin/env bash
# live-ingest against hostile peers: garbage, a handshake that stops
# halfway, Set Chunk Size 0x7fffffff, a message over the size limit, a
# chunk stream id storm, Enhanced RTMP video of an unknown FourCC or with
# a truncated header. Each such
# connection is closed with a reason, a concurrent good publisher is
# unaffected, and the server survives (also under make SANITIZE=1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 20

make_av "$T/src.flv" 3 || { fail "make media"; exit 1; }
mkdir -p "$T/out"
start_ingest "$T/log" -o "$T/out" -g 0.3 --handshake-timeout 1 --idle-timeout 2
publish_bg "$T/src.flv" good -re
GOOD=$PUB_PID
wait_for 5 grep -q "good: published" "$T/log"

raw_open
(head -c 4000 /dev/urandom | tr '\003' 'x' >&3) 2>/dev/null
ok "garbage: closed" raw_closed 3
like "$(cat "$T/log")" "protocol error: handshake: RTMP version" "garbage: reason logged"

raw_open
{ printf '\x03'; head -c 700 /dev/zero; } >&3
ok "a handshake that stops halfway: closed by the timeout" raw_closed 4
like "$(cat "$T/log")" "no publish within 1 s" "half handshake: reason logged"

raw_open; raw_handshake
raw_msg 02 01 00000000 7fffffff
ok "Set Chunk Size 0x7fffffff: closed" raw_closed 3
like "$(cat "$T/log")" "Set Chunk Size 2147483647 out of range" "chunk size: reason logged"

raw_open; raw_handshake
raw_send "02000000ffffff0900000000"
ok "a message of 16 MiB - 1 (over the 8 MiB limit): closed" raw_closed 3
like "$(cat "$T/log")" "message of 16777215 bytes over the limit" "message size: reason logged"

storm=
zeros=$(printf '00%.0s' $(seq 1 128))
# fmt 0 headers on csids 64.. (2-byte basic header), each opening a 1024-byte
# message with its first 128-byte chunk (32 of them stay inside the 64 KiB
# a connection may hold before it publishes).
for i in $(seq 0 60); do storm+="00$(printf %02x "$i")0000000004000900000000$zeros"; done
raw_open; raw_handshake
raw_send "$storm"
ok "a chunk stream id storm: closed" raw_closed 3
like "$(cat "$T/log")" "more than 32 chunk streams" "csid storm: reason logged"

# Enhanced RTMP with a FourCC live-ingest does not take ('xyz1', a sequence start).
bytes="$(publish_hex odd)$(msg_hex 06 09 01000000 "9078797a31$(printf '01%.0s' $(seq 1 40))")"
raw_open; raw_handshake
raw_send "$bytes"
ok "Enhanced RTMP video of an unknown FourCC: connection closed" raw_closed 3
like "$(cat "$T/log")" "odd: Enhanced RTMP video with FourCC 'xyz1' is not supported" \
    "unknown FourCC: refused clearly"
sleep 0.6
is "$(ls -A "$T/out" | grep -c odd)" 0 "nothing is written for the refused stream"

# An Enhanced RTMP header cut short (IsExHeader and half a FourCC).
bytes="$(publish_hex short)$(msg_hex 06 09 01000000 "906876")"
raw_open; raw_handshake
raw_send "$bytes"
ok "a truncated Enhanced RTMP header: connection closed" raw_closed 3
like "$(cat "$T/log")" "short: a truncated or invalid Enhanced RTMP video header \(3 bytes\)" \
    "truncated header: refused clearly"

# A publisher that publishes and then says nothing.
bytes=$(publish_hex quiet)
raw_open; raw_handshake
raw_send "$bytes"
ok "a silent publisher: closed by the idle timeout" raw_closed 5
like "$(cat "$T/log")" "quiet: silent for 2 s: closed" "silence: reason logged"

wait "$GOOD"
is "$?" 0 "the concurrent good publisher succeeds"
wait_for 5 test -f "$T/out/good.flv"
is "$(counts "$T/out/good.flv")" "$(counts "$T/src.flv")" "its output is complete"
kill "$INGEST_PID"
wait "$INGEST_PID"
is "$?" 0 "the server is alive and exits cleanly (no sanitizer report)"
