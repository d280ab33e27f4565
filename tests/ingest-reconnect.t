#!/usr/bin/env bash
# live-ingest -g: a publisher killed (SIGKILL, no unpublish) and restarted
# within the grace period continues the same output: one FLV, one header,
# timestamps monotonic per stream, going on after a gap, never reset.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 13

make_av "$T/src.flv" 4 320x240 1 25 || { fail "make media"; exit 1; }
start_ingest "$T/log" -g 15
publish_bg "$T/src.flv" cam -re 2>/dev/null
P1=$PUB_PID
wait_for 20 grep -q "cam: published" "$T/log"
sleep 1.5
kill -9 "$P1"
wait "$P1" 2>/dev/null
wait_for 10 grep -q "publisher gone" "$T/log"
sleep 0.5
ok "the publisher comes back within the grace period" publish "$T/src.flv" cam -re -t 1.5
wait_for 10 eval "[ \$(grep -c 'publisher gone' '$T/log') -ge 2 ]"
kill "$INGEST_PID" # rather than waiting out the grace period
wait "$INGEST_PID"
is "$?" 0 "live-ingest ends the stream on SIGTERM"
like "$(cat "$T/log")" "cam: publisher back" "the reconnect continues the stream"
is "$(grep -c 'stream ended' "$T/log")" 1 "the output ended once"

packets "$T/out.flv" > "$T/pk"
is "$(head -c 3 "$T/out.flv")" "FLV" "an FLV"
read -r v a <<< "$(counts "$T/out.flv")"
cmp_num "$v" -ge 55 "video from both sessions (got $v packets)"
cmp_num "$v" -le 95 "the first session was cut short (got $v packets)"
is "$(awk -F, '{ if ($3 < last[$1]) bad++; last[$1] = $3 } END { print bad + 0 }' "$T/pk")" 0 \
    "dts never goes back, per stream"
# The second session starts after the first one's end plus the time away
# (>= 0.5 s), so the last timestamp is past about 1.5 + 0.5 + 1.5 s (in ms).
last=$(awk -F, '$1 == 0 { d = $3 } END { print d }' "$T/pk")
cmp_num "$last" -ge 3300 "timestamps go on after the gap (last video dts $last ms)"
gap=$(awk -F, '$1 == 0 { if (p != "" && $3 - p > g) g = $3 - p; p = $3 } END { print g }' "$T/pk")
cmp_num "$gap" -ge 500 "one gap of the time away ($gap ms), not a reset"

# With -e the command is not restarted: one child sees both sessions.
PORT=$(free_port)
start_ingest "$T/log2" -g 15 -e "echo start >> '$T/starts'; cat > '$T/e.flv'"
publish_bg "$T/src.flv" cam -re 2>/dev/null
wait_for 20 grep -q "cam: published" "$T/log2"
sleep 1
kill -9 "$PUB_PID"
wait "$PUB_PID" 2>/dev/null
wait_for 10 grep -q "publisher gone" "$T/log2"
publish "$T/src.flv" cam -t 1
wait_for 10 eval "[ \$(grep -c 'publisher gone' '$T/log2') -ge 2 ]"
kill "$INGEST_PID"
wait "$INGEST_PID"
is "$(cat "$T/starts")" "start" "-e: one command for both sessions"
read -r v a <<< "$(counts "$T/e.flv")"
cmp_num "$v" -ge 40 "-e: its FLV holds both sessions ($v video packets)"
is "$(packets "$T/e.flv" | awk -F, '{ if ($3 < last[$1]) bad++; last[$1] = $3 } END { print bad + 0 }')" 0 \
    "-e: timestamps never go back"
