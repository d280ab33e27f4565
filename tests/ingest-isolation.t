#!/usr/bin/env bash
# live-ingest isolation: a consumer that stops reading throttles and then
# drops its own publisher only, while another stream goes on; 64
# publishers at once all arrive whole; connections over --max-conns are
# closed at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 9

make_av "$T/src.flv" 2 || { fail "make media"; exit 1; }
make_video "$T/big.flv" 4 640x480 1 25 -- -b:v 8M -maxrate 8M -bufsize 1M || { fail "make media"; exit 1; }

# "stuck" reads nothing for 4 s; "fine" reads at once.
mkdir -p "$T/got"
start_ingest "$T/log" -g 0.3 --queue 65536 --idle-timeout 2 -e \
    "[ \"\$LIVE_STREAM\" = stuck ] && sleep 4; cat > '$T/got/'\"\$LIVE_STREAM\".flv"
publish_bg "$T/big.flv" stuck 2>/dev/null
STUCK=$PUB_PID
wait_for 5 grep -q "stuck: published" "$T/log"
ok "another publisher meanwhile succeeds" publish "$T/src.flv" fine -re
wait_for 5 test -s "$T/got/fine.flv"
wait_for 5 grep -q "fine: stream ended" "$T/log"
is "$(counts "$T/got/fine.flv")" "$(counts "$T/src.flv")" "its output is complete and on time"
wait_for 5 grep -q "the consumer took nothing" "$T/log"
like "$(cat "$T/log")" "stuck: the consumer took nothing for 2 s \([0-9]+ bytes waiting\): publisher dropped" \
    "the stalled stream's publisher is dropped with an error"
wait "$STUCK"
kill "$INGEST_PID"
wait_exit "$INGEST_PID" 15
v=$(counts "$T/got/stuck.flv" | cut -d' ' -f1)
cmp_num "$v" -ge 1 "what was queued for the stalled consumer is still delivered ($v frames)"
cmp_num "$v" -lt 100 "but not everything was buffered for it ($v of 100 frames)"

# 64 publishers at once into -o DIR.
PORT=$(free_port)
mkdir -p "$T/many"
start_ingest "$T/log2" -g 0.3 -o "$T/many" --max-unpublished 64
pids=()
for i in $(seq 1 64); do
    publish_bg "$T/src.flv" "s$i" -re 2>/dev/null
    pids+=("$PUB_PID")
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
is "$failed" 0 "64 publishers at once all succeed"
wait_for 10 eval "[ \$(ls '$T/many' | grep -c '^s.*\.flv\$') -eq 64 ]"
is "$(md5sum "$T"/many/s*.flv | awk '{ print $1 }' | sort -u | wc -l) $(ls "$T/many" | wc -l)" "1 64" \
    "64 identical, finished outputs"
is "$(counts "$T/many/s64.flv")" "$(counts "$T/src.flv")" "and each is complete"

# --max-conns
PORT=$(free_port)
start_ingest "$T/log3" --max-conns 1 --handshake-timeout 3
exec 4<>"/dev/tcp/127.0.0.1/$PORT"
raw_open
ok "a connection over --max-conns is closed at once" raw_closed 1
exec 4<&-
