#!/usr/bin/env bash
# A publisher paused by back-pressure (its consumer reads nothing) whose
# stream is unpublished in the same read: the connection is resumed, the
# idle timeout closes it without touching the stream it no longer has
# (live-ingest dereferenced the cleared stream there and crashed), and
# the server goes on serving other publishers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 5

make_av "$T/src.flv" 1 || { fail "make media"; exit 1; }
mkdir -p "$T/got"
# "cam" never reads its input: 1 MiB in the pipe (live-ingest sizes it),
# then --queue 65536.
start_ingest "$T/log" -v -g 30 --queue 65536 --idle-timeout 1 --handshake-timeout 5 -e \
    "if [ \"\$LIVE_STREAM\" = cam ]; then sleep 30; else cat > '$T/got/'\"\$LIVE_STREAM\".flv; fi" ||
    { fail "live-ingest starts"; exit 1; }

# A 4,096-byte H.264 NAL unit tag (one chunk at chunk size 4096): an FLV
# tag of 4,111 bytes. 100 of them stay well inside the pipe; then rounds
# of "publish, 12 tags, FCUnpublish" (49 KiB: one read), each once the
# last was read, until the queue passes 65,536 bytes: the round that
# pauses the publisher unpublishes it in the same read.
tag=$(msg_hex 06 09 01000000 "1701000000$(printf '00%.0s' $(seq 1 4091))")
pub=$(msg_hex 08 14 01000000 "$(amf_str publish)00000000000000000005$(amf_str cam)$(amf_str live)")
unpub=$(msg_hex 03 14 01000000 "$(amf_str FCUnpublish)00400800000000000005$(amf_str cam)")
first=$(publish_hex cam)
for _ in $(seq 1 100); do first+=$tag; done
round=$pub
for _ in $(seq 1 12); do round+=$tag; done
round+=$unpub
hx "$round" > "$T/round.bin"   # one write(2) each time (printf writes in pieces)
raw_open; raw_handshake
raw_send "$first$unpub"
n=1
wait_for 5 grep -q "cam unpublished" "$T/log"
for _ in $(seq 1 60); do
    grep -q "not reading the publisher" "$T/log" && break
    cat "$T/round.bin" >&3
    n=$((n + 1))
    wait_for 5 eval "[ \$(grep -c 'cam unpublished' '$T/log') -ge $n ]"
done
like "$(cat "$T/log")" "cam: consumer slow, [0-9]+ bytes waiting: not reading the publisher" \
    "the publisher was paused by back-pressure"
like "$(grep -A1 "not reading the publisher" "$T/log" | tail -n1)" "127\.0\.0\.1:[0-9]+: cam unpublished" \
    "and unpublished in the same read"
wait_for 6 grep -q "silent for 1 s: closed" "$T/log"
like "$(cat "$T/log")" "127\.0\.0\.1:[0-9]+: silent for 1 s: closed" \
    "the idle timeout closes the connection, which no longer has a stream"
ok "live-ingest is still running" kill -0 "$INGEST_PID"
publish "$T/src.flv" other
want=$(counts "$T/src.flv")
wait_for 10 eval "[ \"\$(counts '$T/got/other.flv')\" = '$want' ]"
is "$(counts "$T/got/other.flv")" "$want" "and takes another publisher whole"
exec 3<&- 2>/dev/null
done_testing
