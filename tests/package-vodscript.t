#!/usr/bin/env bash
# scripts/live-vod: a recording through the real live-segment |
# live-transcode | live-package --vod, with progress on stderr.
. "$(dirname "$0")/lib.sh"
plan 11

make_av "$T/talk.mp4" 6 320x240 2 25 || { fail "make media"; exit 1; }
mkdir -p "$T/tmp"
TMPDIR=$T/tmp live-vod -d 2 "$T/talk.mp4" "$T/vod" -- -l 240p:300k -p ultrafast -j 1 2> "$T/err"
is "$?" 0 "live-vod exits 0"
like "$(cat "$T/err")" 'live-vod: info: talk: 6 of 6 s \(100%\)' "progress on stderr"
O=$T/vod/talk
like "$(cat "$O/manifest.mpd")" 'type="static" mediaPresentationDuration="PT6\.[0-9]*S"' "static MPD of 6 s"
is "$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$O/master.m3u8" | grep . | sort -u | paste -sd' ')" \
    "aac h264,320,240" "ffprobe: the 240p rung (source size kept) and AAC through HLS"
like "$(tail -1 "$O/240p/index.m3u8")" 'EXT-X-ENDLIST' "ENDLIST"
is "$(sqlite3 "$T/vod.db" "SELECT name, state, next_seq FROM streams")" "talk|vod|3" "indexed in OUTDIR.db, outside the served tree"
is "$(ls "$T/vod")" talk "nothing but the stream in OUTDIR"
is "$(ls -A "$T/tmp" | wc -l)" 0 "the spool is removed"
live-vod "$T/missing.mp4" "$T/vod2" 2> "$T/err2"
is "$?" 1 "a missing input: exit 1, as live-segment's"
is "$(cat "$T/err2")" "live-vod: error: $T/missing.mp4: no such file" "a missing input: one error line"
printf 'not media at all' > "$T/junk.mp4"
live-vod "$T/junk.mp4" "$T/vod2" 2> /dev/null
is "$?" 3 "an input that is not media: exit 3"
