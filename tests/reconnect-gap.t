#!/usr/bin/env bash
# A publisher gone and back within the grace period (issue 17): publish
# over RTMP, kill the publisher, restart it 3 s later. live-ingest goes on
# by the time away; live-segment keeps that gap on the timeline (more than
# 1 s forward, live-segment(1) Timeline), ends the segment before it with
# its last packet and marks the next a discontinuity; live-package starts
# a new Period there. The playlists show one EXT-X-DISCONTINUITY, in the
# same place for audio and video, and the same EXTINF for audio and video
# around it; the MPD has two Periods, and ffprobe reads it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 11

make_av "$T/src.flv" 8 192x108 1 25 || { echo "Bail out! cannot make media"; exit 1; }
S=$T/spool O=$T/out
start_ingest "$T/log" -g 15 -e "live-segment -s cam -d 1 -o '$S' 2> '$T/seg.err' |
    live-transcode -q -C '$S' -l 108p:150k -p ultrafast |
    live-package -q -C '$S' -o '$O' --db '$T/live.db' -w 600" ||
    { echo "Bail out! live-ingest did not start"; exit 1; }

publish_bg "$T/src.flv" cam -re 2>/dev/null
wait_for 20 test -f "$O/cam/audio/index.m3u8"
sleep 1
kill -9 "$PUB_PID"
wait "$PUB_PID" 2>/dev/null
wait_for 10 grep -q "publisher gone" "$T/log"
sleep 3
publish_bg "$T/src.flv" cam -re -t 4 2>/dev/null
ok "the live playlists show the discontinuity" \
    wait_for 30 grep -q EXT-X-DISCONTINUITY$ "$O/cam/audio/index.m3u8"
wait "$PUB_PID"
wait_for 10 eval "[ \$(grep -c 'publisher gone' '$T/log') -ge 2 ]"
kill "$INGEST_PID"   # ends the stream: the pipeline finishes it as VOD
wait "$INGEST_PID"
ok "finished" wait_for 30 grep -q EXT-X-ENDLIST "$O/cam/audio/index.m3u8"

like "$(cat "$T/log")" "cam: publisher back" "live-ingest: the same stream continued"
like "$(cat "$T/seg.err")" "gap of ([3-9]|[12][0-9])\.[0-9]+ s .*kept" "live-segment: the gap is kept"
# per playlist: one line per segment, "D" before one after a discontinuity
lines() { awk '/^#EXT-X-DISCONTINUITY$/ { d = "D " } /^#EXTINF:/ { sub(/^#EXTINF:/, ""); sub(/,.*/, ""); print d $0; d = "" }' "$1"; }
lines "$O/cam/audio/index.m3u8" > "$T/a"
lines "$O/cam/108p/index.m3u8" > "$T/v"
diag "audio: $(tr '\n' ' ' < "$T/a")"
diag "video: $(tr '\n' ' ' < "$T/v")"
is "$(grep -c '^D' "$T/a"),$(grep -c '^D' "$T/v")" "1,1" "one discontinuity in each playlist"
is "$(grep -n '^D' "$T/a" | cut -d: -f1)" "$(grep -n '^D' "$T/v" | cut -d: -f1)" \
    "at the same segment"
is "$(wc -l < "$T/a")" "$(wc -l < "$T/v")" "as many segments of audio as of video"
# every segment (those around the gap too): audio and video agree to a
# frame or two (the killed publisher's last audio and video packets are
# not sent at the same instant); before, the one before the gap said 2.0 s
# for video and 5.9 s for audio
is "$(paste "$T/a" "$T/v" | tr -d D | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 0.1) n++ } END { print n + 0 }')" \
    0 "audio and video EXTINF agree for every segment"
n=$(grep -n '^D' "$T/v" | cut -d: -f1)
cmp_num "$(sed -n "$((n - 1))p" "$T/v" | tr -d 'D ')" '<' 1.5 "the segment before the gap holds no hole"
is "$(grep -c '<Period' "$O/cam/manifest.mpd")" 2 "the MPD: a new Period after the gap"
ok "ffprobe reads the MPD" ffprobe -v error -show_entries format=duration "$O/cam/manifest.mpd"
