#!/usr/bin/env bash
# live-serve serves from ROOT only what a player needs: a database (and its
# -wal and -shm), logs and other files left in the tree are 404 even though
# they are there. A db whose accounts live-serve opens is made private.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 16

R=$T/root
mkdir -p "$R/cam1/720p"
echo seg > "$R/cam1/720p/0.m4s"
echo init > "$R/cam1/720p/init.mp4"
echo '#EXTM3U' > "$R/cam1/master.m3u8"
echo '<MPD type="static"/>' > "$R/cam1/manifest.mpd"
echo 'log line' > "$R/cam1.log"
echo '{}' > "$R/config.json"
echo 'k' > "$R/cam1/keys"

# The db in the served tree, as live-vod used to lay it out; readable by
# all, as a db made under umask 022 is.
DB=$R/live.db
serve_schema "$DB"
chmod 0644 "$DB"
start_serve -r "$R" -d "$DB" -a "$T/access.log"
# an account and a session in it, so that the -wal has something
printf 'pw1\n' | live-resume -d "$DB" user add alice > /dev/null 2>&1
curl -s -o /dev/null -H 'Content-Type: application/json' -H "Origin: $URL" \
    -d '{"user":"alice","password":"pw1"}' "$URL/api/login"
[ -e "$DB-wal" ] || sqlite3 "$DB" "PRAGMA journal_mode=WAL; INSERT INTO streams VALUES('x','vod',0,1,0,0)"

code() { curl -s -o /dev/null -w '%{http_code}' "$URL$1"; }
for f in /live.db /live.db-wal /live.db-shm /cam1.log /config.json /cam1/keys; do
    is "$(code "$f")" 404 "$f is not served"
done
unlike "$(curl -s "$URL/live.db")" "SQLite|argon2" "no byte of the db"
is "$(code /cam1/720p/0.m4s)" 200 "a segment is served"
is "$(code /cam1/720p/init.mp4)" 200 "an init segment is served"
is "$(code /cam1/master.m3u8)" 200 "a playlist is served"
is "$(code /cam1/manifest.mpd)" 200 "a manifest is served"
is "$(code /streams.json)" 200 "streams.json is served"
is "$(code /time)" 200 "/time is served"

is "$(stat -c %a "$DB")" 600 "the db holding accounts is made private"
[ -e "$DB-wal" ] && mode=$(stat -c %a "$DB-wal") || mode=600
is "$mode" 600 "so is its -wal"

# A db created anew (live-resume here) is created 0600.
printf 'pw\n' | live-resume -d "$T/new.db" user add bob > /dev/null 2>&1
is "$(stat -c %a "$T/new.db")" 600 "a new db is created 0600"
done_testing
