#!/usr/bin/env bash
# kill -9 at any moment, then start again on the same OUT and database:
# the stream continues (same availabilityStartTime, next sequence
# numbers, records held in the reorder buffer not lost), and no file a
# manifest lists is ever missing or truncated.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
plan 17

N=30
make_ladder "$T/spool" cam1 $N 1 || { fail "make ladder"; exit 1; }
ladder_records "$T/spool" cam1 $N 1 > "$T/recs"
echo "{\"type\":\"end\",\"stream\":\"cam1\",\"seq\":$N}" > "$T/end"
O=$T/out/cam1
db() { sqlite3 -cmd '.timeout 10000' "$T/live.db" "$@"; }
# exec: pkg always runs in a subshell here (background or pipeline), and
# kill -9 must hit live-package itself
pkg() { exec live-package -C "$T/spool" -o "$T/out" --db "$T/live.db" -t 60 "$@" 2>> "$T/log"; }
rec() { sed -n "$(($1 + 1))p" "$T/recs"; }

# Every file a manifest lists exists with the size the database has.
check_listed() {
    local bad=0 r s size want
    [ -e "$O/manifest.mpd" ] || return 0
    for r in 240p 180p 144p audio; do
        [ -e "$O/$r/index.m3u8" ] || continue
        for s in $(grep -o '^[0-9]*\.m4s' "$O/$r/index.m3u8" | sed 's/\.m4s//'); do
            size=$(stat -c %s "$O/$r/$s.m4s" 2> /dev/null || echo missing)
            want=$(db "SELECT size FROM segment_files WHERE seq = $s AND rendition = '$r'")
            [ "$size" = "$want" ] || { bad=$((bad + 1)); diag "$r/$s.m4s: $size bytes, db says $want"; }
        done
        [ -s "$O/$r/init.mp4" ] || { bad=$((bad + 1)); diag "$r/init.mp4 missing"; }
    done
    # the MPD lists 0 .. startNumber + count - 1 for the video
    local last=$(awk -F'"' '/<S / { r = 0; for (i = 1; i < NF; i++) if ($i ~ / r=$/) r = $(i + 1); n += r + 1 } /<\/AdaptationSet>/ { print n - 1; exit }' "$O/manifest.mpd")
    for ((s = 0; s <= last; s++)); do
        [ -e "$O/240p/$s.m4s" ] || { bad=$((bad + 1)); diag "MPD lists missing 240p/$s.m4s"; }
    done
    return $bad
}

# 1. The reorder buffer survives: 0, 1, 3, 4 read, then kill -9; the next
# run gets only 2 and 5: everything is published in order, no gap.
mkfifo "$T/fifo"
bg pkg "$T/fifo"
pid=$!
exec 3> "$T/fifo"
{ rec 0; rec 1; rec 3; rec 4; } >&3
pending() { [ "$(db "SELECT group_concat(seq) FROM package_pending" 2> /dev/null)" = 3,4 ]; }
ok "3 and 4 wait in the database" wait_for 15 pending
kill -9 "$pid"
wait "$pid" 2> /dev/null
exec 3>&-
ast=$(db "SELECT availability_start FROM streams")
{ rec 2; rec 5; } | pkg
is "$?" 0 "second run exits 0"
is "$(db "SELECT group_concat(seq || ':' || gap) FROM segments")" "0:0,1:0,2:0,3:0,4:0,5:0" \
    "restarted: 2 fills the hole, 3 and 4 come out of the database"
is "$(db "SELECT count(*) FROM package_pending")" 0 "reorder buffer empty"
is "$(db "SELECT availability_start FROM streams")" "$ast" "availabilityStartTime kept"

# 2. kill -9 at random moments while records (pairs swapped) stream in;
# each restart is fed every record again, as an upstream that cannot
# know what was taken would do.
swapped() { awk 'NR % 2 == 1 { held = $0; next } { print; print held; held = "" } END { if (held != "") print held }' "$T/recs"; }
bad=0 kills=0 midway=0 asts=""
feed() { swapped | while read -r l; do printf '%s\n' "$l"; sleep 0.05; done; }
for k in 1 2 3 4 5; do
    bg pkg "$T/fifo"
    pid=$!
    bg feed > "$T/fifo"
    feeder=$!
    sleep "0.$((RANDOM % 9 + 1))"
    kill -9 "$pid" 2> /dev/null && kills=$((kills + 1))
    wait "$pid" 2> /dev/null
    kill -0 "$pid" 2> /dev/null && diag "live-package $pid survived kill -9"
    [ "$(db "SELECT next_seq FROM streams")" -lt $N ] && midway=$((midway + 1))
    kill "$feeder" 2> /dev/null
    wait "$feeder" 2> /dev/null
    check_listed || bad=$((bad + 1))
    asts="$asts $(grep -o 'availabilityStartTime="[^"]*"' "$O/manifest.mpd")"
done
diag "$(db "SELECT next_seq FROM streams") segments published before the last run"
is "$kills" 5 "killed -9 five times"
cmp_num "$midway" -ge 2 "at least two kills before the stream was complete ($midway)"
is "$bad" 0 "after every kill, every listed file is there, whole"
is "$(tr ' ' '\n' <<< "$asts" | grep . | sort -u | wc -l)" 1 "the MPD's availabilityStartTime never changed"
{ swapped; cat "$T/end"; } | pkg
is "$?" 0 "a last run to the end exits 0"
is "$(db "SELECT count(*), sum(gap), min(seq), max(seq) FROM segments")" "$N|0|0|$((N - 1))" \
    "all $N segments published once, no gap"
is "$(db "SELECT state, next_seq FROM streams")" "vod|$N" "stream finished"
is "$(db "SELECT availability_start FROM streams")" "$ast" "availabilityStartTime still the first run's"
ok "final manifests list only whole files" check_listed
is "$(find "$T/out" -name '.*' | wc -l)" 0 "no temporary files left"
is "$(find "$T/spool" -name '*.nut' | wc -l)" 0 "spool emptied"
cat "$O/240p/init.mp4" $(for s in $(seq 0 $((N - 1))); do echo "$O/240p/$s.m4s"; done) > "$T/240p.mp4"
is "$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$T/240p.mp4")" $((N * 25)) \
    "the 240p file set decodes to all $((N * 25)) frames"
