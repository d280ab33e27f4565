#!/usr/bin/env bash
# A record whose seq jumps far ahead (9000000000000000) would make one gap
# row per missing number: it is refused (more than 10000 after the next
# one, live-package(1)), exit 3, and its stream and the others go on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
plan 6

make_ladder "$T/spool" cam 4 2 || { fail "make ladder"; exit 1; }
make_ladder "$T/spool" other 4 2 || { fail "make ladder"; exit 1; }
{
    ladder_records "$T/spool" cam 4 2 | head -n1
    ladder_records "$T/spool" cam 4 2 | head -n1 | sed 's/"seq":0/"seq":9000000000000000/'
    ladder_records "$T/spool" cam 4 2 | tail -n1
    echo '{"type":"end","stream":"cam","seq":2}'
    ladder_records "$T/spool" other 4 2
    echo '{"type":"end","stream":"other","seq":2}'
} > "$T/records"
timeout 60 live-package -C "$T/spool" -o "$T/out" --db "$T/live.db" < "$T/records" 2> "$T/err"
is "$?" 3 "a seq 9000000000000000: exit 3 (bad input), at once"
like "$(cat "$T/err")" "cam: segment 9000000000000000 is more than 10000 after the next one \([0-9]+\); record refused" \
    "the refusal is logged"
is "$(sqlite3 "$T/live.db" "SELECT count(*) FROM segments WHERE stream = 'cam'")" 2 "no gap rows for it"
is "$(sqlite3 "$T/live.db" "SELECT group_concat(seq || ':' || gap) FROM segments WHERE stream = 'cam'")" "0:0,1:0" \
    "the stream's own segments are published"
is "$(sqlite3 "$T/live.db" "SELECT group_concat(name || ':' || state) FROM (SELECT * FROM streams ORDER BY name)")" \
    "cam:vod,other:vod" "both streams finish"
is "$(sqlite3 "$T/live.db" "SELECT count(*) FROM package_pending")" 0 "nothing is left pending"
done_testing
