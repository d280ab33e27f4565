#!/usr/bin/env bash
# live-ingest -e: two publishers at once, each gets its own child
# (sh -c CMD with LIVE_STREAM=NAME) with its own complete FLV; -o DIR
# writes into a FIFO when one is there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 8

make_av "$T/a.flv" 4 320x240 2 25 || { fail "make media"; exit 1; }
make_av "$T/b.flv" 3 160x120 1 30 || { fail "make media"; exit 1; }
mkdir -p "$T/got"
start_ingest "$T/log" -g 0.3 -e "cat > '$T/got/'\"\$LIVE_STREAM\".flv; echo \"\$LIVE_STREAM\" >> '$T/done'"
publish "$T/a.flv" alpha -re & PA=$!
publish "$T/b.flv" beta -re & PB=$!
wait $PA; ra=$?
wait $PB; rb=$?
is "$ra $rb" "0 0" "both publishers succeed at the same time"
wait_for 5 eval "[ \$(wc -l < '$T/done' 2>/dev/null || echo 0) -ge 2 ]"
is "$(sort "$T/done" | tr '\n' ' ')" "alpha beta " "one child per stream, each with its LIVE_STREAM, each saw end of input"
is "$(counts "$T/got/alpha.flv")" "$(counts "$T/a.flv")" "alpha complete"
is "$(counts "$T/got/beta.flv")" "$(counts "$T/b.flv")" "beta complete"
is "$(packets "$T/got/beta.flv" | md5sum)" "$(packets "$T/b.flv" | md5sum)" "beta's timestamps intact"
kill "$INGEST_PID"; wait_exit "$INGEST_PID" 5
is "$?" 0 "SIGTERM stops the server"

# -o DIR with a FIFO: the reader gets the stream live.
PORT=$(free_port)
mkdir -p "$T/fifo"
mkfifo "$T/fifo/cam.flv"
cat "$T/fifo/cam.flv" > "$T/fromfifo.flv" &
CATP=$!
start_ingest "$T/log2" -g 0.3 -o "$T/fifo"
ok "publish into -o DIR with a FIFO" publish "$T/b.flv" cam
wait_exit "$CATP" 5
is "$(counts "$T/fromfifo.flv")" "$(counts "$T/b.flv")" "the FIFO reader got the whole stream and its end"
