#!/usr/bin/env bash
# Fault: the database is locked by another writer (the sqlite3 shell
# holding BEGIN EXCLUSIVE for a few seconds). live-package and
# live-resume wait for it (busy timeout) and then succeed, rather than
# failing; live-serve keeps answering from the db meanwhile (WAL readers
# are not blocked by a writer).
. "$(dirname "$0")/lib.sh"

for p in live-segment live-transcode live-package live-resume; do
    [ -x "$LIVE_BIN/$p" ] || skip_all "$p is not built yet"
done
plan 11

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
db=$T/live.db
# lock SECONDS: hold an exclusive write lock on the db for that long, in
# the background; returns once the lock is held.
lock() {
    rm -f "$T/lock.out"   # a "locked" left by the last lock must not count
    ( echo "BEGIN EXCLUSIVE;"; echo "SELECT 'locked';"; sleep "$1"; echo "COMMIT;" ) |
        sqlite3 "$db" > "$T/lock.out" &
    LOCK_PID=$!
    wait_for 5 grep -q locked "$T/lock.out"
}

make_av "$T/in.mp4" 6 160x120 1 || { fail "make media"; exit 1; }
live-segment -q -s dbl -o "$T/spool" -d 2 "$T/in.mp4" > "$T/seg.jsonl" &&
    live-transcode -q -C "$T/spool" -p ultrafast -l 120p:150k < "$T/seg.jsonl" > "$T/ren.jsonl"
ok "records made" test "$(grep -c '"renditions"' "$T/ren.jsonl")" = 3

# The first segment goes through unhindered, creating the db.
head -n1 "$T/ren.jsonl" > "$T/first.jsonl"
tail -n +2 "$T/ren.jsonl" > "$T/rest.jsonl"
live-package -q -C "$T/spool" -o "$T/out" --db "$db" < "$T/first.jsonl"
ok "first segment published" test -f "$T/out/dbl/120p/0.m4s"

lock 3
ok "the db is locked by the sqlite3 shell" test -s "$T/lock.out"
t0=$(now_ms)
live-package -q -C "$T/spool" -o "$T/out" --db "$db" < "$T/rest.jsonl" 2> "$T/package.err"
st=$?
t1=$(now_ms)
is "$st" 0 "live-package waits for the lock and succeeds"
cmp_num $((t1 - t0)) -ge 1500 "it did wait ($((t1 - t0)) ms)"
is "$(sqlite3 "$db" "SELECT count(*) FROM segments WHERE stream='dbl'")" 3 "every segment is in the db"
ok "and on disk" test -f "$T/out/dbl/120p/2.m4s" -a -f "$T/out/dbl/audio/2.m4s"
wait "$LOCK_PID"

printf 'secret-password\n' | live-resume -q -d "$db" user add alice
lock 3
t0=$(now_ms)
live-resume -q -d "$db" set alice dbl 42
is "$?" 0 "live-resume waits for the lock and saves the position"
t1=$(now_ms)
cmp_num $((t1 - t0)) -ge 1500 "it did wait ($((t1 - t0)) ms)"
wait "$LOCK_PID"
is "$(live-resume -d "$db" get alice dbl)" 42 "the position is there"

if [ -x "$LIVE_BIN/live-serve" ]; then
    port=$(free_port)
    bg live-serve -q -l "127.0.0.1:$port" -r "$T/out" -d "$db" -a ''
    wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/time"
    lock 4
    t0=$(now_ms)
    code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/dbl/120p/2.m4s")
    t1=$(now_ms)
    is "$code $((t1 - t0 < 1500))" "200 1" "live-serve answers at once while the db is locked"
    wait "$LOCK_PID"
else
    skip "live-serve is not built"
fi
done_testing
