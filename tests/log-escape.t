#!/usr/bin/env bash
# Log lines cannot be forged: an RTMP command name and a tcUrl carrying
# CR LF and a fake "live-ingest: ..." line come out escaped (\x0a) inside
# the one line that reports them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 6

start_ingest "$T/log" -v -o "$T/out" --handshake-timeout 3 || { fail "live-ingest starts"; exit 1; }
forged=$'x\nlive-ingest: info: forged: published by 6.6.6.6\r'
raw_open; raw_handshake
raw_msg 03 14 00000000 "$(amf_str "$forged")003ff0000000000000"
ok "a forged command name: the connection is closed" raw_closed 3

tc=$'rtmp://h/live\nlive-ingest: info: forged2: published by 6.6.6.6'
raw_open; raw_handshake
raw_msg 03 14 00000000 "$(amf_str connect)003ff000000000000003$(amf_key app)$(amf_str live)$(amf_key tcUrl)$(amf_str "$tc")000009"
raw_closed 5
wait_for 5 grep -q 'forged2' "$T/log"

unlike "$(cat "$T/log")" '^live-ingest: info: forged' "no forged line in the log"
like "$(cat "$T/log")" 'protocol error: command "x\\x0alive-ingest: info: forged: [a-z ]*" before connect' \
    "the command name is logged escaped, in its own line"
like "$(cat "$T/log")" 'tcUrl "rtmp://h/live\\x0alive-ingest: info: forged2' "the tcUrl is logged escaped"
is "$(grep -c '' "$T/log")" "$(grep -c '^live-ingest: [a-z]*: ' "$T/log")" "every line is a live-ingest line"
ok "live-ingest is still running" kill -0 "$INGEST_PID"
done_testing
