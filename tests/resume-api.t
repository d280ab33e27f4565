#!/usr/bin/env bash
# The login and resume API of live-serve (lib/api.c) over real HTTP, on a
# real db: sessions and cookies, forged/expired/logged-out cookies, users
# confined to their own positions, rate limits, odd names, a restart.
. "$(dirname "$0")/lib.sh"

DB=$T/live.db
mkdir -p "$T/www"
echo 'alice pw' | live-resume -d "$DB" user add alice
echo 'bob pw' | live-resume -d "$DB" user add bob
ODD=$'Zo\xc3\xab "Z"; O\'Brien \xe5\x90\x8d'
printf '%s\n' 'p&ss="w"; %' | live-resume -d "$DB" user add "$ODD"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_serve() {
    bg live-serve -q -l 127.0.0.1:$PORT -r "$T/www" -d "$DB" -a '' 2>>"$T/serve.err"
    SERVE=$!
    wait_for 10 curl -sf -o /dev/null "$URL/time"
}
start_serve || { echo "Bail out! live-serve did not start"; cat "$T/serve.err" >&2; exit 1; }

# http METHOD PATH [curl args...]: prints the status; headers in $T/h, body in $T/b.
http() {
    local m=$1 p=$2; shift 2
    curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -X "$m" -H "Content-Type: ${CT:-application/json}" \
        -H "Origin: $URL" "$@" "$URL$p"
}
json() { printf '%s' "$1" | jq -c -n --arg u "$1" --arg p "$2" '{user: $u, password: $p}'; }
login() { http POST /api/login --data-binary "$(json "$1" "$2")" "${@:3}"; }
cookie_of() { sed -n 's/^Set-Cookie: live_session=\([^;]*\);.*/\1/ip' "$T/h" | tr -d '\r'; }
sessions() { sqlite3 "$DB" 'SELECT count(*) FROM sessions'; }

# wrong password
is "$(login alice wrong)" 401 "wrong password: 401"
is "$(grep -ci '^set-cookie' "$T/h")" 0 "no cookie"
is "$(sessions)" 0 "no session created"
is "$(login nobody x)" 401 "unknown user: 401"

# login
is "$(login alice 'alice pw')" 200 "login: 200"
set_cookie=$(grep -i '^set-cookie' "$T/h" | tr -d '\r')
like "$set_cookie" '; HttpOnly' "cookie is HttpOnly"
like "$set_cookie" '; SameSite=Strict' "cookie is SameSite=Strict"
like "$set_cookie" '; Path=/(;|$)' "cookie Path=/"
like "$set_cookie" 'Max-Age=2592000' "cookie lasts 30 days"
A=$(cookie_of)
is "${#A}" 43 "43-character token"
is "$(sessions)" 1 "one session"
is "$(sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE token_hash = CAST('$A' AS BLOB)")" 0 \
    "token not stored in clear"
is "$(http GET /api/me -b "live_session=$A")" 200 "me: 200"
is "$(jq -r .user "$T/b")" alice "me: alice"
like "$(grep -i '^cache-control' "$T/h")" 'no-store' "no-store"
is "$(http GET /api/me)" 401 "no cookie: 401"
F=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
is "$(http GET /api/me -b "live_session=$F")" 401 "forged cookie: 401"
is "$(http GET /api/me -b "live_session=${A%?}x")" 401 "altered cookie: 401"
is "$(http GET /api/me -b "live_session=../../etc")" 401 "garbage cookie: 401"

# expiry: a second session made old in the db
login alice 'alice pw' >/dev/null; E=$(cookie_of)
is "$(http GET /api/me -b "live_session=$E")" 200 "second session works"
sqlite3 "$DB" "UPDATE sessions SET expires = 1000 WHERE created = (SELECT max(created) FROM sessions)"
is "$(http GET /api/me -b "live_session=$E")" 401 "expired cookie: 401"
wait_for 5 test "$(sessions)" = 1
is "$(sessions)" 1 "expired session deleted"
is "$(http GET /api/me -b "live_session=$A")" 200 "the other session still works"

# positions: only one's own
is "$(http GET /api/position/vod -b "live_session=$A")" 404 "no position yet: 404"
is "$(http PUT /api/position/vod -b "live_session=$A" --data-binary '{"seconds":20.5}')" 204 "PUT: 204"
is "$(http GET /api/position/vod -b "live_session=$A")" 200 "GET: 200"
is "$(jq -r .seconds "$T/b")" 20.5 "seconds back"
is "$(live-resume -d "$DB" get alice vod)" 20.5 "the CLI sees it"
is "$(http POST /api/position/vod -b "live_session=$A" -H 'Content-Type: text/plain;charset=UTF-8' \
      --data-binary '{"seconds":21}')" 204 "POST text/plain (sendBeacon's form): 204"
is "$(http PUT /api/position/vod --data-binary '{"seconds":1}')" 401 "PUT without a session: 401"
is "$(http PUT /api/position/vod -b "live_session=$A" --data-binary '{"seconds":-3}')" 400 "negative: 400"
login bob 'bob pw' >/dev/null; B=$(cookie_of)
is "$(http GET /api/position/vod -b "live_session=$B")" 404 "bob has no position for vod"
is "$(http PUT /api/position/vod -b "live_session=$B" --data-binary '{"seconds":5}')" 204 "bob saves his"
is "$(live-resume -d "$DB" get alice vod)" 21 "alice's untouched"
is "$(live-resume -d "$DB" get bob vod)" 5 "bob's stored as his"

# logout
is "$(http POST /api/logout -b "live_session=$B")" 204 "logout: 204"
like "$(grep -i '^set-cookie' "$T/h")" 'live_session=; .*Max-Age=0' "cookie cleared"
is "$(http GET /api/me -b "live_session=$B")" 401 "logged-out cookie: 401"
is "$(http PUT /api/position/vod -b "live_session=$B" --data-binary '{"seconds":9}')" 401 \
    "logged-out cookie cannot write"
is "$(live-resume -d "$DB" get bob vod)" 5 "and did not"

# names with quotes, semicolons, non-ASCII: verbatim both ways
is "$(login "$ODD" 'p&ss="w"; %')" 200 "login with an odd name (JSON)"
O=$(cookie_of)
http GET /api/me -b "live_session=$O" >/dev/null
is "$(jq -r .user "$T/b")" "$ODD" "me returns the name verbatim"
is "$(CT=application/x-www-form-urlencoded http POST /api/login \
      --data-urlencode "user=$ODD" --data-urlencode 'password=p&ss="w"; %')" 200 \
    "login with the odd name as a form"
STREAM=$'caf\xc3\xa9 "1"; x\'y'
ENC=$(jq -rn --arg s "$STREAM" '$s|@uri')
is "$(http PUT "/api/position/$ENC" -b "live_session=$O" --data-binary 12.5)" 404 \
    "a name no stream can have is not written through the API"
live-resume -d "$DB" set "$ODD" "$STREAM" 12.5
is "$(live-resume -d "$DB" list "$ODD" | cut -f1,2)" "$STREAM	12.5" "stored verbatim (CLI)"
http GET "/api/position/$ENC" -b "live_session=$O" >/dev/null
is "$(jq -r .stream "$T/b")" "$STREAM" "returned verbatim (API)"
is "$(sqlite3 "$DB" 'SELECT count(*) FROM users')" 3 "tables intact"

# an earlier broadcast under a name (NAME@ID, watched at /watch/NAME@ID)
# keeps positions of its own; a reserved NAME stays refused with an ID too
is "$(http PUT /api/position/cam@1764754398123 -b "live_session=$O" --data-binary 7.5)" 204 \
    "a position for cam@ID: 204"
is "$(http GET /api/position/cam%401764754398123 -b "live_session=$O")" 200 "read back (@ escaped)"
is "$(jq -r '.stream, .seconds' "$T/b" | paste -sd' ')" "cam@1764754398123 7.5" \
    "under the presentation's name"
is "$(live-resume -d "$DB" get "$ODD" cam@1764754398123)" 7.5 "the CLI reads it"
is "$(http PUT /api/position/watch@12 -b "live_session=$O" --data-binary 1)" 404 "watch@12: 404"
is "$(http PUT /api/position/cam@12x -b "live_session=$O" --data-binary 1)" 404 "cam@12x: 404"

# methods, sizes, unknown paths
is "$(http GET /api/login)" 405 "GET /api/login: 405"
is "$(http GET /api/nothing -b "live_session=$A")" 404 "unknown API: 404"
head -c 5000 /dev/zero | tr '\0' 1 > "$T/big"
is "$(http PUT /api/position/vod -b "live_session=$A" --data-binary @"$T/big")" 413 "over 4 KiB: 413"

# rate limits: per (account, address) (5, then 1 per 12 s), per address
# (20, then 1 per 3 s); wrong passwords lock out their address only
n=0 start=$(date +%s.%N)
while [ $n -lt 15 ] && [ "$(login bob wrong --interface 127.0.0.6)" = 401 ]; do n=$((n + 1)); done
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
is "$(cat "$T/b")" '{"error":"too many login attempts"}' "bob from one address: limited after $n wrong attempts"
cmp_num $n -ge 5 "not before the pair's burst of 5"
cmp_num $n '<=' "$(awk -v t="$took" 'BEGIN { print 6 + t / 12 }')" \
    "nor after the 1 every 12 s refilled in $took s"
is "$(login bob 'bob pw' --interface 127.0.0.6)" 429 "then the right password from that address: 429"
like "$(grep -i '^retry-after' "$T/h" | tr -d '\r')" '^Retry-After: ([1-9]|1[0-2])$' "Retry-After"
is "$(grep -ci '^set-cookie' "$T/h")" 0 "no cookie when limited"
is "$(login bob 'bob pw' --interface 127.0.0.7)" 200 "the right password from another address: 200 (no lockout)"
n=0 start=$(date +%s.%N)
while [ $n -lt 60 ] && [ "$(login "guess$n" x --interface 127.0.0.9)" = 401 ]; do n=$((n + 1)); done
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
# On a loaded machine (make check SANITIZE=1 beside other work) 60
# argon2 checks can take long enough for the refill to keep up.
if [ $n -lt 60 ] || awk -v t="$took" 'BEGIN { exit !(21 + t / 3 < 60) }'; then
    is "$(cat "$T/b")" '{"error":"too many login attempts"}' "one address: limited after $n attempts"
else
    skip "60 attempts took $took s: the refill of 1 every 3 s kept up"
fi
cmp_num $n -ge 20 "not before its burst of 20"
cmp_num $n '<=' "$(awk -v t="$took" 'BEGIN { print 21 + t / 3 }')" "nor after the 1 every 3 s refilled in $took s"
is "$(login alice 'alice pw' --interface 127.0.0.10)" 200 "another address: not limited"

# another writer holds the db (live-package, say): checks and reads answer
# at once; a position write waits for the lock (its request suspended,
# not a server thread), then is saved
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
( echo "BEGIN EXCLUSIVE;"; echo "SELECT 'locked';"; sleep 3; echo "COMMIT;" ) | sqlite3 "$DB" > "$T/lock.out" &
LOCK_PID=$!
wait_for 5 grep -q locked "$T/lock.out"
t0=$(now_ms)
curl -s -o /dev/null -w '%{http_code}' -X PUT -b "live_session=$A" -H 'Content-Type: application/json' -H "Origin: $URL" \
    --data-binary '{"seconds":33}' \
    "$URL/api/position/vod" > "$T/put.code" &
PUT_PID=$!
code=$(http GET /api/me -b "live_session=$A"); code2=$(http GET /api/position/vod -b "live_session=$A")
t1=$(now_ms)
is "$code $code2 $(jq -r .seconds "$T/b")" "200 200 21" "while locked: session check and read answered ..."
cmp_num $((t1 - t0)) -lt 1500 "... at once ($((t1 - t0)) ms)"
wait "$PUT_PID"; t2=$(now_ms)
is "$(cat "$T/put.code")" 204 "the write waited for the lock and succeeded"
cmp_num $((t2 - t0)) -ge 1500 "(it did wait: $((t2 - t0)) ms)"
wait "$LOCK_PID"
is "$(live-resume -d "$DB" get alice vod)" 33 "and is in the db"

# a restart: sessions and positions are in the db
kill "$SERVE"; wait "$SERVE" 2>/dev/null
start_serve
is "$(http GET /api/position/vod -b "live_session=$A")" 200 "after a restart the session holds"
is "$(jq -r .seconds "$T/b")" 33 "and the position"
done_testing
