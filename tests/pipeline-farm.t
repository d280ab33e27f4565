#!/usr/bin/env bash
# live-pipeline -F (issue 18): the live transcode runs on three ssh hosts
# (sshd on 127.0.0.2-4, tests/sshhosts.sh) through live-farm; a broadcast
# published over RTMP, with one host lost mid-way (killed with its
# sessions), has every segment published once, in order, no gap, and
# becomes a VOD that plays. The lag of each segment (published after its
# last frame) is noted, not judged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$TOP/tests/sshhosts.sh"
for p in live-ingest live-segment live-transcode live-package live-serve; do
    command -v $p >/dev/null 2>&1 || skip_all "$p is not built yet"
done
command -v parallel >/dev/null && command -v rsync >/dev/null && [ -x /usr/sbin/sshd ] \
    || skip_all "needs GNU parallel, rsync and sshd (scripts/deps)"
plan 11

sshhosts_start 3 || { cat "$T"/ssh/*.log >&2; echo "Bail out! sshd hosts did not start"; exit 1; }
RTMP=$(free_port) HTTP=$(free_port)
URL=http://127.0.0.1:$HTTP
export LIVE_FARM_OPTS="--ssh '$SSH_CMD' --remote-path '$LIVE_BIN' -v"
bg "$TOP/scripts/live-pipeline" -r 127.0.0.1:$RTMP -l 127.0.0.1:$HTTP --no-rtc \
    -d "$T/live" -s 2 -L 240p:300k -p ultrafast -F "$SSH_HOSTS" 2> "$T/pipeline.err"
pipe=$!
wait_for 10 curl -sf -o /dev/null "$URL/time"
ok "the pipeline's live-serve answers" curl -sf -o /dev/null "$URL/time"

# 20 s in real time over RTMP; a host is lost mid-broadcast: the second
# one, killed with its sessions once it has delivered a segment
$FFMPEG -re -f lavfi -i "testsrc2=size=320x240:rate=25:duration=20" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=20" \
    -c:v libx264 -preset ultrafast -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p \
    -c:a aac -b:a 64k -f flv "rtmp://127.0.0.1:$RTMP/live/cam" 2> "$T/ffmpeg.err" &
pub=$!
log=$T/live/streams/cam.log
# the host lost is the first to deliver (which one is parallel's choice)
h=3
if wait_for 20 grep -qE 'live-farm: info: .*done on 127\.0\.0\.[234]' "$log"; then
    h=$(grep -oE 'done on 127\.0\.0\.[234]' "$log" | head -n 1 | grep -oE '[234]$')
    sshhosts_kill $((h - 1))
    pass "host 127.0.0.$h lost mid-broadcast (after $(grep -c 'done on' "$log") segments)"
else
    fail "no ssh host delivered a segment"
fi
others=$(echo 234 | tr -d "$h")
wait "$pub"
is "$?" 0 "the publisher ran to its end"
is_vod() { [ "$(curl -s "$URL/streams.json" | jq -r '.[] | select(.name == "cam") | .state')" = vod ]; }
wait_for 120 is_vod
ok "the stream became a VOD" is_vod
like "$(cat "$log")" "live-farm: info: .*127\.0\.0\.[234]" "live-farm ran the segments on the ssh hosts"
last3=$(grep -n "done on 127\\.0\\.0\\.$h" "$log" | tail -1 | cut -d: -f1)
is "$(tail -n +$((last3 + 1)) "$log" | grep -c "done on 127\\.0\\.0\\.$h")" 0 "  none on the lost host after it was lost"
cmp_num "$(tail -n +$((last3 + 1)) "$log" | grep -c "done on 127\\.0\\.0\\.[$others]")" ">=" 3 "  the others took over"
n=$(sqlite3 "$T/live/live.db" "SELECT COUNT(*) FROM segments WHERE stream = 'cam'")
cmp_num "$n" ">=" 9 "about ten segments ($n)"
is "$(sqlite3 "$T/live/live.db" "SELECT COUNT(*) FROM segments WHERE stream = 'cam' AND gap")" 0 "no gap"
note "lag (s after the segment's last frame): $(sqlite3 "$T/live/live.db" "SELECT group_concat(printf('%.1f', l), ' ') FROM
    (SELECT published - (SELECT MIN(published - start - duration) FROM segments WHERE stream = 'cam') - start - duration AS l
     FROM segments WHERE stream = 'cam' ORDER BY seq)") (relative to the least)"
is "$(sqlite3 "$T/live/live.db" "SELECT group_concat(seq, ' ') FROM (SELECT seq FROM segments WHERE stream = 'cam' ORDER BY published, seq)")" \
   "$(seq 0 $((n - 1)) | tr '\n' ' ' | sed 's/ $//')" "every segment published once, in order"
f=$(ffmpeg -hide_banner -loglevel error -nostdin -i "$URL/cam/manifest.mpd" -map 0:v:0 -f null - -progress - 2>/dev/null |
    awk -F= '$1 == "frame" { n = $2 } END { print n + 0 }')
cmp_num "$f" ">=" 450 "the VOD plays ($f frames)"
kill -TERM "$pipe"
wait "$pipe"
