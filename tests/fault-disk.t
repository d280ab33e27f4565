#!/usr/bin/env bash
# Fault: the disk under OUT fills up (a small tmpfs mounted as OUT).
# live-package must say so and stop with a failure status, and what it had
# published must stay intact: every file a manifest lists is there and
# whole (its size as the db records it), the manifests still parse, no
# temporary file is left behind. With room again, a restarted live-package
# continues the stream to the end.
. "$(dirname "$0")/lib.sh"

for p in live-segment live-transcode live-package; do
    [ -x "$LIVE_BIN/$p" ] || skip_all "$p is not built yet"
done
[ "$(id -u)" = 0 ] || skip_all "mounting a tmpfs needs root"
mkdir -p "$T/full"
mount -t tmpfs -o size=320k,mode=0755 live-test "$T/full" 2>/dev/null ||
    skip_all "cannot mount a tmpfs here"
trap 'umount -l "$T/full" 2>/dev/null; _cleanup' EXIT
plan 13

make_av "$T/in.mp4" 16 160x120 1 || { fail "make media"; exit 1; }
live-segment -q -s full -o "$T/spool" -d 2 "$T/in.mp4" > "$T/seg.jsonl" &&
    live-transcode -q --keep -C "$T/spool" -p ultrafast -l 120p:150k < "$T/seg.jsonl" > "$T/ren.jsonl"
ok "records made" test "$(grep -c '"renditions"' "$T/ren.jsonl")" = 8

db=$T/live.db
live-package --keep -C "$T/spool" -o "$T/full" --db "$db" < "$T/ren.jsonl" > /dev/null 2> "$T/err"
st=$?
isnt "$st" 0 "live-package fails when the disk is full"
like "$(cat "$T/err")" "error: .*(No space left on device|ENOSPC)" "and says why"
n=$(sqlite3 "$db" "SELECT count(*) FROM segments WHERE stream='full'")
cmp_num "$n" -ge 1 "some segments were published before ($n)"
cmp_num "$n" -lt 8 "not all of them"

# What was published is intact.
check_tree() {
    local bad=0 pl f rend seq size want
    for pl in "$T"/full/full/*/index.m3u8; do
        rend=$(basename "$(dirname "$pl")")
        while read -r f; do
            case $f in '#'*|'') continue ;; esac
            [ -s "$T/full/full/$rend/$f" ] || { diag "$rend/$f listed but missing"; bad=1; continue; }
            seq=${f%.m4s}
            want=$(sqlite3 "$db" "SELECT size FROM segment_files WHERE stream='full' AND seq=$seq AND rendition='$rend'")
            size=$(stat -c %s "$T/full/full/$rend/$f")
            [ -z "$want" ] || [ "$want" = "$size" ] || { diag "$rend/$f: $size bytes, db says $want"; bad=1; }
        done < "$pl"
    done
    return $bad
}
ok "every file a playlist lists is there and whole" check_tree
ok "the MPD parses" eval "ffprobe -v error -i \"$T/full/full/manifest.mpd\" > /dev/null"
ok "the HLS master playlist parses" eval "ffprobe -v error -i \"$T/full/full/master.m3u8\" > /dev/null"
is "$(find "$T/full" -name '.*.tmp-*' | wc -l)" 0 "no temporary file left behind"
is "$(sqlite3 "$db" "SELECT count(*) FROM segments s WHERE stream='full' AND NOT EXISTS
      (SELECT 1 FROM segment_files f WHERE f.stream=s.stream AND f.seq=s.seq)")" 0 \
    "no segment in the db without its files"

# Room again: a restart continues to the end.
mount -o remount,size=16m "$T/full"
live-package --keep -C "$T/spool" -o "$T/full" --db "$db" < "$T/ren.jsonl" > /dev/null 2> "$T/err2"
is "$?" 0 "with room again, a restarted live-package succeeds"
is "$(sqlite3 "$db" "SELECT count(*) FROM segments WHERE stream='full'")" 8 "every segment is published"
ok "and every listed file is whole" check_tree
done_testing
