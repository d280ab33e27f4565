#!/usr/bin/env bash
# live-package --low-latency: chunk records appended to SEQ.m4s.open (whole
# moof+mdat each) and the playlists rewritten after each: LL-HLS parts as
# byte ranges (durations within PART-TARGET, PART-HOLD-BACK, a rendition
# report for every other rendition, a preload hint naming the part that
# comes next, never a byte not yet written), LL-DASH attributes; the
# finished segment renamed from .open; a segment whose chunks did not all
# come published whole; ffprobe reads the manifests; the VOD at the end
# is the normal mode's (the same segments and durations).
. "$(dirname "$0")/lib.sh"
plan 33

make_av "$T/src.flv" 7 320x240 2 -- -bf 2 -f flv || { echo "Bail out! cannot make media"; exit 1; }
live-segment -L -s cam1 -o "$T/spool" -d 2 "$T/src.flv" 2> /dev/null |
    live-transcode -q -L -C "$T/spool" -l 240p:300k,180p:150k -p ultrafast --keep > "$T/tc" ||
    { echo "Bail out! live-transcode -L"; exit 1; }
cp -a "$T/spool" "$T/spool2"; cp -a "$T/spool" "$T/spool3"; cp -a "$T/spool" "$T/spool4"

python3 "$LIVE_TOP/tests/ll-feed.py" "$T/tc" "$T/out" cam1 -- \
    live-package -q -L -C "$T/spool" -o "$T/out" --db "$T/live.db" > "$T/res" 2> "$T/err"
r() { jq -r ".$1" "$T/res"; }
is "$(r exit)" 0 "live-package -L exits 0"
is "$(r timeouts)" 0 "every chunk's part was listed"
cmp_num "$(r snapshots)" ">=" 30 "playlists checked after every record (3 renditions)"
cmp_num "$(r parts_seen)" ">" 100 "parts listed"
is "$(r too_long)" 0 "no part longer than PART-TARGET"
is "$(r phb_short)" 0 "PART-HOLD-BACK at least 3 part targets"
is "$(r reports_bad)" 0 "a rendition report for every other rendition"
is "$(r unwritten)" 0 "no byte range named before it was written"
is "$(r not_box)" 0 "every part starts with a box (styp or moof)"
is "$(r first_not_independent)" 0 "a segment's first part is INDEPENDENT=YES"
is "$(r hint_bad)" 0 "the preload hint names the open segment's next bytes, or the next segment's start"
cmp_num "$(r hint_checked)" ">" 20 "parts that came after a hint"
is "$(r hint_next_bad)" 0 "each was the part the hint named"
is "$(r 'ffprobe_live[0]')" 0 "ffprobe reads the live master.m3u8"

# The VOD at the end.
ls -R "$T/out/cam1" > "$T/files"
is "$(grep -c '\.open$' "$T/files")" 0 "no .open file left"
is "$(grep -c 'EXT-X-PART\|PRELOAD' "$T/out/cam1/240p/index.m3u8")" 0 "the VOD's playlists list no parts"
ok "ffprobe reads the VOD's master.m3u8" ffprobe -v error "$T/out/cam1/master.m3u8"
ok "ffprobe reads the VOD's manifest.mpd" ffprobe -v error "$T/out/cam1/manifest.mpd"
is "$(head -c 8 "$T/out/cam1/240p/2.m4s" | tail -c 4)" styp "a finished segment starts with its styp"
cmp_num "$(grep -ao moof "$T/out/cam1/240p/2.m4s" | wc -l)" ">=" 4 "and holds its parts' moofs"

live-segment -s cam1 -o "$T/spn" -d 2 "$T/src.flv" 2> /dev/null |
    live-transcode -q -C "$T/spn" -l 240p:300k,180p:150k -p ultrafast |
    live-package -q -C "$T/spn" -o "$T/outn" --db "$T/n.db"
same=0
for rd in 240p 180p audio; do
    cmp -s <(grep -v PROGRAM-DATE "$T/out/cam1/$rd/index.m3u8") \
           <(grep -v PROGRAM-DATE "$T/outn/cam1/$rd/index.m3u8") && same=$((same + 1))
done
is "$same" 3 "the VOD's playlists are the normal mode's (segments, durations)"
is "$(grep '<S ' "$T/out/cam1/manifest.mpd" | md5sum)" "$(grep '<S ' "$T/outn/cam1/manifest.mpd" | md5sum)" \
    "and so is the MPD's SegmentTimeline"

# A segment whose chunks did not all come (part 2 of segment 2 lost): it
# is published whole from its renditions record.
jq -c 'select(.type != "chunk" or .seq != 2 or .part != 2)' "$T/tc" > "$T/tc2"
LL_WAIT=4 python3 "$LIVE_TOP/tests/ll-feed.py" "$T/tc2" "$T/out2" cam1 -- \
    live-package -q -L -C "$T/spool2" -o "$T/out2" --db "$T/live2.db" > "$T/res2" 2> /dev/null
is "$(jq -r .exit "$T/res2")" 0 "a lost chunk: exits 0"
is "$(grep -ao moof "$T/out2/cam1/240p/2.m4s" | wc -l)" 1 "that segment written whole (one moof)"
is "$(grep -c '\.open$' <(ls -R "$T/out2/cam1"))" 0 "its .open files removed"
is "$(grep -v PROGRAM-DATE "$T/out2/cam1/240p/index.m3u8" | md5sum)" \
   "$(grep -v PROGRAM-DATE "$T/outn/cam1/240p/index.m3u8" | md5sum)" "the VOD is the same"

# Killed in the middle of segment 2 (two of its chunks appended), started
# again with the records from its renditions record on: the growing files
# of the run before are removed, the segment is published whole.
cut=$(grep -n '"seq":2,' "$T/tc" | sed -n 2p | cut -d: -f1)     # chunk 2.1
mkfifo "$T/fifo"
live-package -q -L -C "$T/spool3" -o "$T/out3" --db "$T/live3.db" "$T/fifo" 2> /dev/null &
pk=$!
exec 5> "$T/fifo"
head -n "$cut" "$T/tc" >&5
growing() { [ -s "$T/out3/cam1/240p/2.m4s.open" ] && grep -q '2.m4s",BYTERANGE="[0-9]*@[1-9]' "$T/out3/cam1/240p/index.m3u8"; }
wait_for 30 growing
ok "segment 2 grows in 2.m4s.open" growing
kill -KILL "$pk"; wait "$pk" 2> /dev/null; exec 5>&-
sed -n "$((cut + 1)),\$p" "$T/tc" | jq -c 'select(.type != "chunk" or .seq != 2)' > "$T/rest"
live-package -q -L -C "$T/spool3" -o "$T/out3" --db "$T/live3.db" "$T/rest" 2> /dev/null
is "$?" 0 "restarted, it exits 0"
is "$(find "$T/out3" -name '*.open' | wc -l)" 0 "the growing files of the run before are gone"
is "$(grep -ao moof "$T/out3/cam1/240p/2.m4s" | wc -l)" 1 "segment 2 published whole"
is "$(grep -v PROGRAM-DATE "$T/out3/cam1/240p/index.m3u8" | md5sum)" \
   "$(grep -v PROGRAM-DATE "$T/outn/cam1/240p/index.m3u8" | md5sum)" "and the VOD is the same"

# The stream ends (an end record) with segment 2 in progress: its growing
# files go when the stream is finished, not only when live-package exits.
{ head -n "$cut" "$T/tc"; jq -c 'select(.type == "end") | .seq = 2' "$T/tc"; } > "$T/tc4"
mkfifo "$T/fifo4"
live-package -q -L -C "$T/spool4" -o "$T/out4" --db "$T/live4.db" "$T/fifo4" 2> /dev/null &
pk=$!
exec 6> "$T/fifo4"
cat "$T/tc4" >&6
ended() { grep -q ENDLIST "$T/out4/cam1/240p/index.m3u8"; }
wait_for 30 ended
ok "the end record finishes the stream (live-package still running)" ended
is "$(find "$T/out4" -name '*.open' | wc -l)" 0 "the unfinished segment's growing files are gone"
exec 6>&-; wait "$pk"
