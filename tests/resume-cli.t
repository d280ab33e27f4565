#!/usr/bin/env bash
# live-resume: accounts and positions from the shell, on a real db file.
. "$(dirname "$0")/lib.sh"

DB=$T/live.db
R() { live-resume -d "$DB" "$@"; }
ODD=$'O\'Brien; DROP TABLE users;-- "x"'
UNI=$'Zo\xc3\xab \xe5\x90\x8d\xe5\x89\x8d \xf0\x9f\x8e\xac'

out=$(live-resume -h); is "$?" 0 "-h exits 0"
like "$out" '^usage: live-resume' "-h prints usage on stdout"
live-resume --version | grep -q '^live-resume ' ; is "$?" 0 "--version"
live-resume bogus 2>/dev/null; is "$?" 2 "unknown command: 2"
live-resume user add 2>/dev/null; is "$?" 2 "missing NAME: 2"
R set alice s 1x 2>/dev/null; is "$?" 2 "bad SECONDS: 2"
R set alice s -- -1 2>/dev/null; is "$?" 2 "negative SECONDS: 2"
err=$(live-resume -d "$DB" 2>&1); is "$?" 2 "no command: 2"
like "$err" "^live-resume: error: no command" "no command: an error line first"
err=$(R set alice s -1 2>&1); is "$?" 2 "set alice s -1: 2"
like "$err" "^live-resume: error: bad SECONDS '-1'" "-1 after the command is SECONDS, not an option"

echo 'correct horse' | R user add alice; is "$?" 0 "user add, password from stdin"
printf 'hunter2\r\n' | R user add bob; is "$?" 0 "CRLF line end"
printf '%s\n' 'p;w"' | R user add "$ODD"; is "$?" 0 "add a name with quotes and semicolons"
printf 'pw' | R user add "$UNI"; is "$?" 0 "add a non-ASCII name (no final newline)"
err=$(echo x | R user add alice 2>&1); is "$?" 3 "existing user: 3"
like "$err" "^live-resume: error: user 'alice' exists" "says so"
: | R user add carol 2>/dev/null; is "$?" 3 "no password: 3"
printf '\n' | R user add carol 2>/dev/null; is "$?" 3 "empty password: 3"
head -c 2000 /dev/zero | tr '\0' x | R user add carol 2>/dev/null; is "$?" 3 "over-long password: 3"
printf 'a\tb' > "$T/ctl"; echo pw | R user add "$(cat "$T/ctl")" 2>/dev/null; is "$?" 3 "control character in name: 3"
hash=$(sqlite3 "$DB" "SELECT hash FROM users WHERE name = 'alice'")
like "$hash" '^\$argon2id\$v=19\$m=65536,t=2,p=1\$' "argon2id hash at the INTERACTIVE limits"
is "$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE hash LIKE '%horse%'")" 0 "no password in the db"

# a terminal: prompt twice, echo off, nothing from argv
mkfifo "$T/tty.in"
( exec 3>"$T/tty.in"
  for p in Password: Again:; do
      for _ in $(seq 100); do grep -q "$p" "$T/ts" 2>/dev/null && break; sleep 0.05; done
      printf 'tty-secret\n' >&3
  done; sleep 0.5 ) &
script -qfec "live-resume -d '$DB' user add dave" "$T/ts" < "$T/tty.in" > /dev/null
is "$?" 0 "user add on a terminal"
wait
grep -q 'Again:' "$T/ts"; is "$?" 0 "asked twice"
grep -q tty-secret "$T/ts"; is "$?" 1 "password not echoed"

out=$(R user list | cut -f1)
is "$out" "$(printf '%s\n' "$ODD" "$UNI" alice bob dave)" "user list: names verbatim, byte order"
out=$(R --json user list | jq -r .user)
is "$out" "$(printf '%s\n' "$ODD" "$UNI" alice bob dave)" "--json user list: names verbatim"

R get alice vod 2>/dev/null; is "$?" 3 "no position: 3"
err=$(R get nobody vod 2>&1); is "$?" 3 "no user: 3"
like "$err" "no user 'nobody'" "says which"
R set alice vod 20.5; is "$?" 0 "set"
is "$(R get alice vod)" 20.5 "get prints the seconds"
R set alice vod 30; is "$(R get alice vod)" 30 "overwrite; whole seconds without .000"
R set "$UNI" "cam'1; \"2\" é" 12.125; is "$?" 0 "set with odd user and stream names"
out=$(R -j get "$UNI" "cam'1; \"2\" é")
is "$(jq -r .user <<<"$out")" "$UNI" "--json get: user verbatim"
is "$(jq -r .stream <<<"$out")" "cam'1; \"2\" é" "--json get: stream verbatim"
is "$(jq -r .seconds <<<"$out")" 12.125 "--json get: seconds"
R get bob vod 2>/dev/null; is "$?" 3 "bob has no position in alice's stream"
R set alice a/b 1 2>/dev/null; is "$?" 3 "stream with /: 3"
R set nobody vod 1 2>/dev/null; is "$?" 3 "set for no user: 3"
R set alice live 7; R list alice > "$T/list"; is "$?" 0 "list"
is "$(cut -f1,2 "$T/list")" "$(printf 'live\t7\nvod\t30')" "list: STREAM TAB SECONDS, by stream"
like "$(head -1 "$T/list" | cut -f3)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "list: updated in ISO 8601"
is "$(R -j list alice | jq -s 'length')" 2 "--json list: two JSON lines"

R user del alice; is "$?" 0 "user del"
R user del alice 2>/dev/null; is "$?" 3 "user del again: 3"
is "$(sqlite3 "$DB" "SELECT count(*) FROM positions p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL")" 0 \
    "her positions went with her"
echo 'new pw' | R user passwd bob; is "$?" 0 "user passwd"
echo x | R user passwd nobody 2>/dev/null; is "$?" 3 "passwd for no user: 3"
live-resume -d "$T/no/such/dir/x.db" user list 2>/dev/null; is "$?" 1 "unopenable db: 1"
done_testing
