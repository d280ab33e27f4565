#!/usr/bin/env bash
# Watch positions are bounded: at most 1000 per user (the least recently
# updated evicted), a write rate per session (429 past it), names a stream
# could have only, and /api/positions answers in pages.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 12

DB=$T/live.db
mkdir -p "$T/root"
printf 'pw\n' | live-resume -d "$DB" user add alice > /dev/null
start_serve -r "$T/root" -d "$DB" -a ''
A=$(curl -s -D - -o /dev/null -H "Origin: $URL" -H 'Content-Type: application/json' \
    --data-binary '{"user":"alice","password":"pw"}' "$URL/api/login" |
    sed -n 's/^Set-Cookie: live_session=\([^;]*\);.*/\1/ip' | tr -d '\r')
put() { # put STREAM SECONDS: the status
    curl -s -o /dev/null -w '%{http_code}' -X PUT -b "live_session=$A" -H "Origin: $URL" \
        -H 'Content-Type: application/json' --data-binary "{\"seconds\":$2}" "$URL/api/position/$1"
}
count() { sqlite3 "$DB" "SELECT count(*) FROM positions"; }

# 1000 positions already (written as the server would, oldest first)
uid=$(sqlite3 "$DB" "SELECT id FROM users WHERE name = 'alice'")
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
    INSERT INTO positions SELECT $uid, printf('s%04d', i), i, 1000000 + i FROM n"
is "$(count)" 1000 "1000 positions"
is "$(put new-stream 7)" 204 "one more, of a new stream: 204"
is "$(count)" 1000 "still 1000: the cap holds"
is "$(sqlite3 "$DB" "SELECT count(*) FROM positions WHERE stream = 's0000'")" 0 "the least recently updated went"
is "$(sqlite3 "$DB" "SELECT CAST(seconds AS INTEGER) FROM positions WHERE stream = 'new-stream'")" 7 "the new one is kept"
is "$(put s0500 9)" 204 "an update of an existing one"
is "$(count)" 1000 "evicts nothing more than needed"

is "$(put 'bad%20name' 1)" 404 "a name no stream can have: 404"
is "$(put metrics 1)" 404 "a name live-serve routes: 404"

# pages
p1=$(curl -s -b "live_session=$A" "$URL/api/positions")
is "$(jq '.positions | length' <<< "$p1") $(jq -r .next <<< "$p1")" "100 s0099" \
    "/api/positions: a first page of 100, and where the next starts"
p2=$(curl -s -b "live_session=$A" "$URL/api/positions?limit=1000&after=$(jq -r .next <<< "$p1")")
is "$(jq '.positions | length' <<< "$p2") $(jq -r '.next // "none"' <<< "$p2")" "900 none" \
    "the rest in one page of up to 1000, the last"

# write rate per session: a burst of 20, then about one a second
codes=$(for i in $(seq 1 40); do put cam $i; echo; done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
like "$codes" '429:' "past the session's write rate: 429 ($codes)"
done_testing
