#!/usr/bin/env bash
# scripts/live-pipeline keeps each stream's log apart from its servers'
# own: a stream named "serve" writes DIR/streams/serve.log, not into
# live-serve's DIR/serve.log. The db stays out of the served tree.
. "$(dirname "$0")/lib.sh"
for p in live-ingest live-segment live-transcode live-package live-serve; do
    command -v $p >/dev/null 2>&1 || skip_all "$p is not built yet"
done
plan 5

RTMP=$(free_port) HTTP=$(free_port)
bg "$TOP/scripts/live-pipeline" -r 127.0.0.1:$RTMP -l 127.0.0.1:$HTTP -u 127.0.0.1:0 -d "$T/live" -s 1 \
    -L 144p:120k -p ultrafast 2> "$T/pipeline.err"
pipe=$!
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$HTTP/time"
$FFMPEG -v error -re -f lavfi -i "testsrc2=size=192x144:rate=25:duration=3" \
    -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -f flv "rtmp://127.0.0.1:$RTMP/live/serve"
logged() { grep -q 'live-\(segment\|package\)' "$T/live/streams/serve.log" 2>/dev/null; }
wait_for 30 logged
like "$(cat "$T/live/streams/serve.log" 2>/dev/null)" 'live-(segment|package)' \
    "the stages of stream 'serve' log to DIR/streams/serve.log"
unlike "$(cat "$T/live/serve.log")" 'live-(segment|transcode|package):' "not into live-serve's DIR/serve.log"
like "$(cat "$T/live/serve.log")" 'live-serve' "which is live-serve's own"
kill -TERM "$pipe"
wait "$pipe"
is $? 0 "the pipeline stops cleanly"
is "$(find "$T/live/out" -name '*.db*' | wc -l)" 0 "no db in the served tree"
done_testing
