#!/usr/bin/env bash
# A password change ends the user's other sessions: from the command line
# (live-resume user passwd) every session, through the API (POST
# /api/password) every one but the session that made the change.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 14

DB=$T/live.db
mkdir -p "$T/root"
printf 'old pw\n' | live-resume -d "$DB" user add alice > /dev/null
printf 'bob pw\n' | live-resume -d "$DB" user add bob > /dev/null
start_serve -r "$T/root" -d "$DB" -a ''

post() { # post PATH JSON [curl args]: the status; headers in $T/h (Origin: $ORIGIN)
    curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -H "Origin: ${ORIGIN:-$URL}" \
        -H 'Content-Type: application/json' --data-binary "$2" "${@:3}" "$URL$1"
}
login() { post /api/login "{\"user\":\"$1\",\"password\":\"$2\"}" > /dev/null
          sed -n 's/^Set-Cookie: live_session=\([^;]*\);.*/\1/ip' "$T/h" | tr -d '\r'; }
me() { curl -s -o /dev/null -w '%{http_code}' -b "live_session=$1" "$URL/api/me"; }

A=$(login alice 'old pw'); B=$(login alice 'old pw'); C=$(login bob 'bob pw')
is "$(me "$A") $(me "$B") $(me "$C")" "200 200 200" "two sessions of alice, one of bob"
printf 'new pw\n' | live-resume -d "$DB" user passwd alice
is "$(me "$A") $(me "$B")" "401 401" "live-resume user passwd ends every session of alice"
is "$(me "$C")" 200 "bob's session stays"

A=$(login alice 'new pw'); B=$(login alice 'new pw')
is "$(post /api/password '{"password":"wrong","new":"x"}' -b "live_session=$A")" 403 \
    "a change with the wrong current password: 403"
is "$(me "$A") $(me "$B")" "200 200" "and no session ended"
is "$(ORIGIN=http://evil.example post /api/password '{"password":"new pw","new":"newer pw"}' \
      -b "live_session=$A")" 403 "a cross-site change: 403"
is "$(post /api/password '{"password":"new pw","new":"newer pw"}')" 401 "without a session: 401"
is "$(post /api/password '{"password":"new pw","new":"newer pw"}' -b "live_session=$A")" 204 \
    "a change through the API: 204"
is "$(me "$A")" 200 "the session that changed it stays"
is "$(me "$B")" 401 "the other session of alice ended"
is "$(me "$C")" 200 "bob's session stays"
is "$(post /api/login '{"user":"alice","password":"new pw"}')" 401 "the old password no longer logs in"
is "$(post /api/login '{"user":"alice","password":"newer pw"}')" 200 "the new one does"
is "$(sqlite3 "$DB" "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'alice'")" 2 \
    "alice has the changing session and the new one"
done_testing
