#!/usr/bin/env bash
# live-serve's coalescing wait: 500 concurrent requests for a segment not
# yet published wait without using CPU, and ONE publication answers them
# all; a wait ends after about one segment duration with 404 no-store and
# Retry-After; segments that are not next, and finished streams, get 404
# at once; too many waiting requests get 503; stopping answers waiters.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 22

R=$T/root
DB=$T/live.db
mkdir -p "$R/cam1/720p" "$R/short/720p" "$R/old/720p"
head -c 50000 /dev/urandom > "$T/seg"
for i in 0 1 2 3 4; do cp "$T/seg" "$R/cam1/720p/$i.m4s"; done
cp "$T/seg" "$R/short/720p/0.m4s"
serve_schema "$DB"
serve_stream "$DB" cam1 live 8 5
serve_stream "$DB" short live 1 1
serve_stream "$DB" old vod 8 1
N=500
cpids=()

start_serve -r "$R" -d "$DB" -p 0 -a ""
waiting() { curl -s "$URL/metrics" | awk '$1 == "live_serve_waiting_requests" { print $2 }'; }
waiting_is() { test "$(waiting)" = "$1"; }

# 500 concurrent requests for the next segment, 5.m4s.
# (curl runs at most 300 transfers in parallel: two of them, N/2 each)
for i in $(seq $((N / 2))); do printf 'url = "%s/cam1/720p/5.m4s"\noutput = "/dev/null"\n' "$URL"; done > "$T/curl.cfg"
for k in 1 2; do
    curl -s -Z --parallel-max $((N / 2)) --parallel-immediate -w '%{http_code} %{size_download}\n' \
        -K "$T/curl.cfg" > "$T/codes$k" 2>/dev/null &
    cpids+=($!)
done
wait_for 20 waiting_is $N
is "$(waiting)" $N "$N requests are waiting"
c0=$(cpu_ticks "$SERVE_PID")
sleep 2
c1=$(cpu_ticks "$SERVE_PID")
cmp_num $((c1 - c0)) -le 3 "the server used no CPU while they waited ($((c1 - c0)) ticks in 2 s)"
is "$(cat "$T/codes1" "$T/codes2" | wc -l)" 0 "none answered before the segment lands"
t0=$(date +%s%N)
publish "$T/seg" "$R/cam1/720p/5.m4s"
wait "${cpids[@]}"
t1=$(date +%s%N)
is "$(cat "$T/codes1" "$T/codes2" | grep -c '^200 50000$')" $N "all $N answered with the segment"
ms=$(( (t1 - t0) / 1000000 ))
cmp_num $ms -lt 3000 "all answered within 3 s of the publication ($ms ms)"
m=$(curl -s "$URL/metrics")
like "$m" "live_serve_waits_total\{outcome=\"published\"\} $N" "$N waits released by publication"
like "$m" "live_serve_waiting_requests 0" "nobody waits any more"

# A wait that times out: about one segment duration (1 s), then 404.
t0=$(date +%s%N)
h=$(curl -s -D - -o /dev/null "$URL/short/720p/1.m4s" | tr -d '\r')
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
like "$h" "^HTTP/1.1 404" "timed-out wait: 404"
like "$h" "Cache-Control: no-store" "timed-out wait: no-store"
like "$h" "Retry-After: [1-9]" "timed-out wait: Retry-After"
cmp_num $ms -ge 900 "waited about a segment duration ($ms ms)"
cmp_num $ms -lt 2500 "but not much longer"

# Not the next segment, a finished stream: 404 at once.
t0=$(date +%s%N)
like "$(curl -s -D - -o /dev/null "$URL/cam1/720p/9.m4s" | tr -d '\r')" "^HTTP/1.1 404" "far future segment: 404"
like "$(curl -s -D - -o /dev/null "$URL/old/720p/1.m4s" | tr -d '\r')" "^HTTP/1.1 404" "finished stream: 404"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
cmp_num $ms -lt 3000 "both at once, not after a wait of 8 s ($ms ms)"

# The segment after next (a player slightly ahead) waits too, and is
# released by its own publication only.
sqlite3 "$DB" "UPDATE streams SET next_seq = 6 WHERE name = 'cam1'"
curl -s -o /dev/null -w '%{http_code}\n' "$URL/cam1/720p/7.m4s" > "$T/seven" &
c7=$!
wait_for 10 waiting_is 1
publish "$T/seg" "$R/cam1/720p/6.m4s"
sleep 0.3
is "$(waiting)" 1 "another file's publication releases nobody"
sqlite3 "$DB" "UPDATE streams SET next_seq = 7 WHERE name = 'cam1'"
publish "$T/seg" "$R/cam1/720p/7.m4s"
wait "$c7"
is "$(cat "$T/seven")" 200 "its own publication releases it"

# Too many waiting: 503 with Retry-After.
PORT1=$PORT URL1=$URL SP1=$SERVE_PID
start_serve -r "$R" -d "$DB" -p 0 -W 2 -a ""
curl -s -o /dev/null "$URL/cam1/720p/8.m4s" & w1=$!
curl -s -o /dev/null "$URL/cam1/720p/8.m4s" & w2=$!
wait_for 10 waiting_is 2
h=$(curl -s -D - -o /dev/null "$URL/cam1/720p/8.m4s" | tr -d '\r')
like "$h" "^HTTP/1.1 503" "beyond --max-waiting: 503"
like "$h" "Retry-After: [1-9]" "503 with Retry-After"

# Stopping answers the waiting requests and exits cleanly.
t0=$(date +%s%N)
kill -TERM "$SERVE_PID"
wait "$w1" "$w2"
wait "$SERVE_PID"; st=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is $st 0 "SIGTERM with waiting requests: exit 0"
[ $st = 0 ] || diag "$(tail -5 "$T/serve.err")"
cmp_num $ms -lt 3000 "waiting requests answered at stop ($ms ms)"
kill -0 "$SP1"; is $? 0 "the first server still runs"
done_testing
