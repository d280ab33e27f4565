# tests/rtc.sh: helpers for the live-rtc tests (sourced after lib.sh).
#
#   start_rtc [ARGS...]     live-rtc on a free UDP port (in $RTC_PORT), control
#                           socket $T/rtc.sock, log $T/rtc.log, pid $RTC_PID
#   start_serve             live-serve --rtc $T/rtc.sock on $HTTP
#   feed FILE NAME          ffmpeg -re FILE | live-rtc -f (background, pid $FEED_PID)
#   client ARGS...          tests/rtc-client.py (aiortc) ARGS
#   field JSON KEY          a value of a JSON line
PY=/usr/bin/python3

have_aiortc() { $PY -c 'import aiortc' 2>/dev/null; }

start_rtc() {
    bg live-rtc -u 127.0.0.1:0 -c "$T/rtc.sock" -v "$@" 2> "$T/rtc.log"
    RTC_PID=$!
    wait_for 20 grep -q "WebRTC on UDP" "$T/rtc.log" || { diag "$(cat "$T/rtc.log")"; return 1; }
    RTC_PORT=$(sed -n 's/.*WebRTC on UDP 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$T/rtc.log" | head -n1)
}

start_serve() {
    local try
    mkdir -p "$T/out"
    for try in 1 2 3 4 5; do
        HTTP=$(free_port)
        bg live-serve --no-db --rtc "$T/rtc.sock" -l "127.0.0.1:$HTTP" -r "$T/out" -a '' 2> "$T/serve.log"
        SERVE_PID=$!
        wait_for 20 eval "curl -s -o /dev/null http://127.0.0.1:$HTTP/ || ! kill -0 $SERVE_PID" 
        curl -s -o /dev/null "http://127.0.0.1:$HTTP/" && return 0
    done
    diag "live-serve did not start: $(cat "$T/serve.log")"
    return 1
}

feed() {
    local file=$1 name=$2
    shift 2
    ( ffmpeg -hide_banner -loglevel error -nostdin -re "$@" -i "$file" -c copy -f flv - |
        LIVE_STREAM=$name live-rtc -f "$T/rtc.sock" > /dev/null 2>> "$T/feed.log" ) &
    FEED_PID=$!
    _bg_pids+=($FEED_PID)
}

client() { $PY "$TOP/tests/rtc-client.py" "$@"; }

field() { printf '%s\n' "$1" | jq -r ".$2"; }

# whep METHOD PATH [CONTENT-TYPE BODY-FILE]: "STATUS" of the request (headers in $T/h, body in $T/b)
whep() {
    local m=$1 p=$2
    if [ $# -ge 4 ]; then
        curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -X "$m" -H "Content-Type: $3" \
            --data-binary @"$4" "http://127.0.0.1:$HTTP$p"
    else
        curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -X "$m" "http://127.0.0.1:$HTTP$p"
    fi
}
