#!/usr/bin/env bash
# live-ingest against connections that never publish: 300 idle sockets
# from 127.0.0.2 take at most --max-unpublished slots (the rest are
# closed at accept, the kept ones at the handshake deadline) while a
# real ffmpeg publisher from 127.0.0.3 gets in and its stream arrives
# whole; a big message before publishing is over the pre-publish budget;
# --max-message stops at the largest FLV tag.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 11

live-ingest --max-message 16777216 -h >/dev/null 2>&1
is "$?" 2 "--max-message over 16777215 (an FLV tag's limit): usage error"
live-ingest --max-message 16777215 -h >/dev/null 2>&1
is "$?" 0 "--max-message 16777215 accepted"

make_av "$T/src.flv" 2 || { fail "make media"; exit 1; }
mkdir -p "$T/out"
start_ingest "$T/log" -o "$T/out" -g 0 --handshake-timeout 3 || { fail "live-ingest starts"; exit 1; }

bg python3 "$TOP/tests/tcp-helper.py" flood 127.0.0.2 "$PORT" 300 60 "$T/flood"
# closed at accept: all but the --max-unpublished (8) kept ones
wait_for 30 eval "[ -s '$T/flood' ] && [ \$(cut -d' ' -f1 '$T/flood') -ge 292 ]"
read -r closed open < "$T/flood"
ok "300 idle sockets from 127.0.0.2: at most 8 kept ($open), the others closed at once ($closed)" \
    test "$closed" -ge 292 -a "$open" -le 8
like "$(cat "$T/log")" "127\.0\.0\.2:[0-9]+: refused: 8 connections from this address have not published" \
    "the refusals are logged"

RPORT=$(free_port)
bg python3 "$TOP/tests/tcp-helper.py" relay 127.0.0.3 "$RPORT" "$PORT"
wait_for 10 eval "ss -Hltn 'sport = :$RPORT' | grep -q ."
ffmpeg -hide_banner -loglevel error -nostdin -i "$T/src.flv" -c copy -f flv \
    "rtmp://127.0.0.1:$RPORT/live/cam"
is "$?" 0 "meanwhile a publisher from 127.0.0.3 publishes (ffmpeg exit 0)"
like "$(cat "$T/log")" "cam: published by 127\.0\.0\.3:" "it came from 127.0.0.3"
wait_for 10 test -s "$T/out/cam.flv"
is "$(counts "$T/out/cam.flv")" "$(counts "$T/src.flv")" "its stream arrives whole"

wait_for 15 eval "[ \$(cut -d' ' -f2 '$T/flood') -eq 0 ]"
is "$(cut -d' ' -f2 "$T/flood")" 0 "the 8 kept idle sockets are closed at the handshake deadline"
like "$(cat "$T/log")" "127\.0\.0\.2:[0-9]+: no publish within 3 s: closed" "and that is logged"

# 100,000 bytes announced before publishing: over the 64 KiB budget.
raw_open; raw_handshake
raw_send "030000000186a01400000000"
ok "a 100,000-byte message before publishing: closed" raw_closed 3
like "$(cat "$T/log")" "more than 65536 bytes of messages before publishing" "the reason is logged"
done_testing
