#!/usr/bin/env bash
# What a stranger can do to live-serve's API and limits: cross-site
# requests (CSRF), a request body trickled a byte at a time, forged
# X-Forwarded-For and -Proto (believed only from --trusted-proxy peers,
# for the log, login limits, the cookie's Secure flag and per-address
# limits), and /metrics limited to given addresses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 26

DB=$T/live.db
mkdir -p "$T/root"
printf 'alice pw\n' | live-resume -d "$DB" user add alice > /dev/null

# --- CSRF ------------------------------------------------------------------
start_serve -r "$T/root" -d "$DB" -a "$T/access.log" --body-timeout 2 --metrics-allow 127.0.0.5
# post ORIGIN CONTENT-TYPE BODY [curl args]: the status of a login
post() {
    local origin=$1 ct=$2 body=$3; shift 3
    curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -H "Content-Type: $ct" \
        ${origin:+-H "Origin: $origin"} --data-binary "$body" "$@" "$URL/api/login"
}
is "$(post http://evil.example application/x-www-form-urlencoded 'user=alice&password=alice+pw')" 403 \
    "a cross-site form login: 403"
is "$(grep -ci '^set-cookie' "$T/h")" 0 "and no cookie"
is "$(post http://evil.example text/plain '{"user":"alice","password":"alice pw"}')" 403 \
    "a cross-site text/plain login: 403"
is "$(post null application/x-www-form-urlencoded 'user=alice&password=alice+pw')" 403 \
    "Origin: null (a sandboxed page): 403"
is "$(post '' application/json '{"user":"alice","password":"alice pw"}' -H 'Sec-Fetch-Site: cross-site')" 403 \
    "no Origin, Sec-Fetch-Site: cross-site: 403"
is "$(post '' application/json '{"user":"alice","password":"alice pw"}' -H 'Sec-Fetch-Site: same-origin')" 200 \
    "Sec-Fetch-Site: same-origin: 200"
is "$(post "$URL" application/x-www-form-urlencoded 'user=alice&password=alice+pw')" 200 \
    "a same-origin form login: 200"
A=$(sed -n 's/^Set-Cookie: live_session=\([^;]*\);.*/\1/ip' "$T/h" | tr -d '\r')
is "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -b "live_session=$A" -H 'Origin: http://evil.example' \
      -H 'Content-Type: application/json' --data-binary '{"seconds":5}' "$URL/api/position/cam")" 403 \
    "a cross-site position write with the victim's cookie: 403"
is "$(live-resume -d "$DB" list alice | wc -l)" 0 "and nothing was written"
is "$(curl -s -o /dev/null -w '%{http_code}' -b "live_session=$A" -H 'Origin: http://evil.example' \
      "$URL/api/me")" 200 "a GET needs no Origin"
unlike "$(grep -i '^set-cookie' "$T/h")" 'Secure' "no Secure cookie over plain HTTP"

# --- a trickled body -------------------------------------------------------
# The head at once, then one byte of a 100-byte body every 25 s: the
# connection is closed within the body timeout (2 s here), not kept.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{' "$URL" >&3
start=$(date +%s)
timeout 30 cat <&3 > /dev/null
took=$(( $(date +%s) - start ))
exec 3<&-
cmp_num "$took" -lt 20 "a body trickled byte by byte is cut off ($took s), not waited for"
like "$(curl -s -o /dev/null -w '%{http_code}' "$URL/time")" '^200$' "the server answers on"

# --- metrics limited -------------------------------------------------------
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics")" 404 "/metrics from another address: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.5 "$URL/metrics")" 200 \
    "/metrics from an allowed address: 200"

# --- X-Forwarded-* from a peer that is not trusted --------------------------
: > "$T/access.log"
curl -s -o /dev/null -H 'X-Forwarded-For: 203.0.113.7' "$URL/time"
wait_for 5 grep -q 'GET /time' "$T/access.log"
like "$(grep 'GET /time' "$T/access.log")" '^127\.0\.0\.1 ' "an untrusted peer's X-Forwarded-For is not logged as the client"
post "$URL" application/json '{"user":"alice","password":"alice pw"}' -H 'X-Forwarded-Proto: https' > /dev/null
unlike "$(grep -i '^set-cookie' "$T/h")" 'Secure' "nor its X-Forwarded-Proto believed"
# Its X-Forwarded-For does not dodge the login limit: wrong passwords
# each under a new forged address still run out the one real address's.
n=0
while [ $n -lt 12 ] && [ "$(post "$URL" application/json '{"user":"alice","password":"wrong"}' \
        -H "X-Forwarded-For: 198.51.100.$n" --interface 127.0.0.8)" = 401 ]; do n=$((n + 1)); done
is "$(cat "$T/b")" '{"error":"too many login attempts"}' "forged X-Forwarded-For: limited by the real address after $n"
kill "$SERVE_PID"; wait "$SERVE_PID" 2> /dev/null

# --- behind a trusted proxy --------------------------------------------------
start_serve -r "$T/root" -d "$DB" -a "$T/access2.log" --trusted-proxy 127.0.0.0/30 -p 2
curl -s -o /dev/null -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.7' "$URL/time"
wait_for 5 grep -q 'GET /time' "$T/access2.log"
like "$(grep 'GET /time' "$T/access2.log")" '^203\.0\.113\.7 ' "a trusted proxy's client is logged"
post "$URL" application/json '{"user":"alice","password":"alice pw"}' -H 'X-Forwarded-Proto: https' > /dev/null
like "$(grep -i '^set-cookie' "$T/h")" '; Secure' "its X-Forwarded-Proto: https makes the cookie Secure"
# Wrong passwords from one client behind the proxy, then the right one
# from another client behind it.
n=0
while [ $n -lt 12 ] && [ "$(post "$URL" application/json '{"user":"alice","password":"wrong"}' \
        -H 'X-Forwarded-For: 203.0.113.66')" = 401 ]; do n=$((n + 1)); done
is "$(cat "$T/b")" '{"error":"too many login attempts"}' "one client behind the proxy: limited after $n"
is "$(post "$URL" application/json '{"user":"alice","password":"alice pw"}' -H 'X-Forwarded-For: 203.0.113.66')" 429 \
    "the right password from it: 429"
is "$(post "$URL" application/json '{"user":"alice","password":"alice pw"}' -H 'X-Forwarded-For: 203.0.113.67')" 200 \
    "the right password from another client behind the same proxy: 200"
# Per-address limit (-p 2) on the clients behind the proxy, not on it:
# three requests of one client waiting at once, the third refused.
mkdir -p "$T/root/cam/240p"
echo seg > "$T/root/cam/240p/0.m4s"
pids=()
for i in 1 2 3; do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'X-Forwarded-For: 203.0.113.90' \
        "$URL/cam/240p/1.m4s" >> "$T/codes" &
    pids+=($!)
done
answered() { [ -s "$T/codes" ]; }
wait_for 10 answered
is "$(head -1 "$T/codes" | cut -d' ' -f1)" 503 "a client past the per-address limit behind the proxy: 503"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.91' "$URL/cam/240p/0.m4s")" 200 \
    "another client through the same proxy is served"
publish "$T/root/cam/240p/0.m4s" "$T/root/cam/240p/1.m4s"   # the waiting two are answered
wait "${pids[@]}"
is "$(cut -d' ' -f1 "$T/codes" | sort | tr '\n' ' ')" "200 200 503 " "the two within the limit were served"
done_testing
