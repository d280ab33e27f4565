#!/usr/bin/env bash
# live-serve protects itself: 1,000 idle connections and a client sending
# one byte per second do not stop others from being served; the slow and
# idle ones are cut after the request-head timeout; the per-address
# connection limit holds; an overloaded server answers 503 + Retry-After.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 16

R=$T/root
mkdir -p "$R/cam1/720p"
head -c 100000 /dev/urandom > "$R/cam1/720p/0.m4s"
echo '<MPD type="static"/>' > "$R/cam1/manifest.mpd"
CLIENTS=$TOP/tests/serve/clients.js

start_serve -r "$R" --no-db -a "" -p 300 -H 4 -t 30
bg node "$CLIENTS" --port "$PORT" --idle 1000 --spread 4 --slow 1 --hold 9 > "$T/res"
wait_for 10 grep -q ready "$T/res"
ok "1,000 idle connections and a slow client connected" grep -q ready "$T/res"
conns=$(curl -s "$URL/metrics" | awk '$1 == "live_serve_connections" { print $2 }')
cmp_num "$conns" -ge 1000 "the server holds them ($conns open)"

# Others are served meanwhile, promptly.
slowest=0 good=0
for i in $(seq 20); do
    out=$(curl -s -o "$T/got" -w '%{http_code} %{time_total}' "$URL/cam1/720p/0.m4s")
    [ "${out% *}" = 200 ] && cmp -s "$T/got" "$R/cam1/720p/0.m4s" && good=$((good + 1))
    slowest=$(awk -v a="$slowest" -v b="${out#* }" 'BEGIN { print (b > a ? b : a) }')
done
is $good 20 "20 segment requests served during the flood"
cmp_num "$slowest" "<" 0.5 "each within 0.5 s (slowest ${slowest} s)"

wait_for 15 grep -q '^{' "$T/res"
res=$(grep '^{' "$T/res")
is "$(printf '%s' "$res" | jq -r '.slow[0].answered')" false "the slow client got no answer"
cut=$(printf '%s' "$res" | jq -r '.slow[0].after')
cmp_num "$cut" ">=" 3.5 "the slow client was cut at the head timeout (${cut} s)"
cmp_num "$cut" "<" 7 "not much later"
is "$(printf '%s' "$res" | jq -r '.closedIdle')" 1000 "the idle connections were closed too"
conns=$(curl -s "$URL/metrics" | awk '$1 == "live_serve_connections" { print $2 }')
cmp_num "$conns" -le 5 "and their slots freed ($conns open)"

# The per-address limit: 320 connections from one address, 300 allowed.
bg node "$CLIENTS" --port "$PORT" --idle 320 --spread 1 --base 20 --hold 2 > "$T/res2"
wait_for 10 grep -q '^{' "$T/res2"
closed=$(grep '^{' "$T/res2" | jq -r '.closedIdle')
is "$closed" 20 "beyond 300 from one address: closed at once"

# Keep-alive: idle between requests is allowed up to -t, not just -H.
start_serve -r "$R" --no-db -a "" -H 2 -t 5
bg node "$CLIENTS" --port "$PORT" --keepalive 3 --spread 1 --base 40 --hold 9 > "$T/res4"
wait_for 15 grep -q '^{' "$T/res4"
res=$(grep '^{' "$T/res4")
is "$(jq -r '[.keepalive[] | select(.answered)] | length' <<<"$res")" 3 "keep-alive clients were answered"
first=$(jq -r '[.keepalive[].after] | min' <<<"$res")
cmp_num "$first" ">=" 4.5 "then left idle past the head timeout, until the idle timeout (${first} s)"
cmp_num "$first" "<" 8 "and closed then"

# Overload: a server for 64 connections answers 503 past 60.
start_serve -r "$R" --no-db -a "" -c 64 -p 0 -T 1 -H 30
bg node "$CLIENTS" --port "$PORT" --idle 62 --spread 2 --hold 6 > "$T/res3"
wait_for 10 grep -q ready "$T/res3"
h=$(curl -s -D - -o /dev/null "$URL/cam1/720p/0.m4s" | tr -d '\r')
like "$h" "^HTTP/1.1 503" "overloaded: 503"
like "$h" "Retry-After: [1-9]" "503 with Retry-After"
wait_for 10 grep -q '^{' "$T/res3"
like "$(curl -s -o /dev/null -w '%{http_code}' "$URL/cam1/720p/0.m4s")" "^200$" "served again once the load is gone"
done_testing
