#!/usr/bin/env bash
# live-pipeline --low-latency: ffmpeg publishes over RTMP, parts flow
# through live-segment -L | live-transcode -L | live-package -L: while
# live the playlists served have parts (PART-INF, EXT-X-PART byte ranges,
# a preload hint) and the MPD is LL-DASH; ffprobe reads the playlists and
# the MPD (its open segment streamed by live-serve as it grows); the
# player page plays it in headless Chromium with hls.js in lowLatencyMode
# and dash.js with live catch-up, for a minute with no stall longer than
# 0.5 s (timed from the video element's events);
# after the publisher stops the stream is VOD without parts, whose
# segments and durations are those of the same source through the normal
# mode. The command line refuses --farm with it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need_programs live-ingest live-segment live-transcode live-package live-serve
need_browser
plan 28

"$TOP/scripts/live-pipeline" --low-latency -F h1 -d "$T/x" > /dev/null 2> "$T/err"
is "$?" 2 "--low-latency with --farm: usage error"
"$TOP/scripts/live-pipeline" --low-latency --part 3 -s 2 -d "$T/x" > /dev/null 2> "$T/err"
is "$?" 2 "a part longer than a segment: usage error"

LIVE_INGEST_OPTS="-g 2" start_pipeline --no-rtc --low-latency -s 2 -L 240p:400k,144p:120k -p ultrafast

# 90 s in real time over RTMP (the same file again below, in normal mode):
# Chromium may take half of it to start on a busy machine.
make_av "$T/src.flv" 90 320x240 1 -- -f flv || { echo "Bail out! cannot make media"; exit 1; }
bg $FFMPEG -re -i "$T/src.flv" -c copy -f flv "rtmp://127.0.0.1:$RTMP/live/cam1"
pub=$!
has_parts() { curl -sf "$URL/cam1/240p/index.m3u8" | grep -q '^#EXT-X-PART:'; }
wait_for 30 has_parts
pl=$(curl -s "$URL/cam1/240p/index.m3u8")
like "$pl" "#EXT-X-PART-INF:PART-TARGET=0\\.5[0-9]*" "the live playlist has a part target near 0.5 s"
like "$pl" 'PART-HOLD-BACK=1\.' "and PART-HOLD-BACK"
like "$pl" '#EXT-X-PART:DURATION=[0-9.]*,URI="[0-9]+\.m4s",BYTERANGE="[0-9]+@0",INDEPENDENT=YES' \
    "parts are byte ranges of the segments"
like "$pl" '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="[0-9]+\.m4s",BYTERANGE-START=[0-9]+' "a preload hint"
like "$pl" '#EXT-X-RENDITION-REPORT:URI="../144p/index.m3u8",LAST-MSN=[0-9]+,LAST-PART=[0-9]+' \
    "a rendition report for the other video rendition"
mpd=$(curl -s "$URL/cam1/manifest.mpd")
like "$mpd" 'availabilityTimeOffset="1\.4[0-9]*" availabilityTimeComplete="false"' \
    "the live MPD is LL-DASH (segments available a part after they start)"
like "$mpd" '<ProducerReferenceTime id="0" type="encoder" wallClockTime="[-0-9T:.]+Z" presentationTime="[0-9]+"/>' \
    "ProducerReferenceTime"
like "$mpd" '<ServiceDescription id="0"><Latency target="1[0-9]{3}" min="[0-9]+" max="[0-9]+"/><PlaybackRate min="0.95" max="1.05"/>' \
    "a ServiceDescription latency target of 3 parts, catch-up rates"
like "$mpd" 'minimumUpdatePeriod="PT0\.5[0-9]*S"' "updated every part"
like "$mpd" '<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="/time"/>' "UTCTiming"
like "$(curl -s "$URL/time")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "live-serve answers the UTCTiming URL"
ok "ffprobe reads the live master.m3u8" ffprobe -v error "$URL/cam1/master.m3u8"
ok "ffprobe reads the live MPD" ffprobe -v error "$URL/cam1/manifest.mpd"

# The player page, both players at once, 60 s after each first played
# (the acceptance's minute: dash.js stalled every few seconds when its
# MPD reloads were delayed as retries, and the delay reset once a minute).
STALLS_AFTER_PLAY=1 node "$TOP/tests/live-join.js" "$URL" cam1 60 watch-hls watch-dash > "$T/runs" 2> "$T/driver.err"
[ -s "$T/runs" ] || diag "$(tail -5 "$T/driver.err")"
# Stalls are judged from what was seen, not from the load average (at
# load 10-24 on 2 processors both players played a minute without one):
# on a machine too busy to publish in real time (the last complete
# segment's end trailed the wall clock by more than 5 s) stalls say
# nothing of the mode; a stall counts only by as much of it as the
# page's main thread, where a player feeds its buffer, was not held up
# in it or just before it (live-join.js's held), and not at all when
# around it the pipeline was late (the last complete segment's end more
# than 3.5 s behind the clock: it is 0.3-2.5 s when it keeps up).
lag=$(jq -s '[.[].samples[].edge | select(. != null)] | sort | if length > 0 then .[length / 2 | floor] else 0 end' "$T/runs")
load=$(cut -d' ' -f1 /proc/loadavg)
busy=$(awk -v l="$lag" 'BEGIN { print (l > 5) }')
[ "$busy" = 1 ] && diag "publishing trailed the clock by $lag s (load $load): too busy to judge stalls"
for p in watch-hls watch-dash; do
    r=$(grep "\"player\":\"$p\"" "$T/runs")
    j() { jq -r "$1" <<< "$r"; }
    diag "$p: stalls $(j '.stalls | tostring'), page held up $(j '.held | tostring'), errors $(j '.errors | tostring')," \
         "latency $(j '[.samples[4:][] | .latency | select(. != null)] | sort | .[length / 2 | floor]') s"
    is "$(j .played)" true "$p plays the low-latency stream"
    is "$(j .lowLatency)" "${p#watch-}" "the page put ${p#watch-}.js in its low-latency mode"
    if [ "$busy" = 1 ]; then
        skip "stalls: the machine is too busy (publishing $lag s behind, load $load)"
    else
        is "$(j '[.samples as $x | .stalls as $s | .held as $h | .stallAt as $at | range($s | length) |
                 select($s[.] - ($h[.] // 0) > 0.5) | . as $i |
                 select([$x[] | select(.wall >= $at[$i] - 2 and .wall <= $at[$i] + $s[$i] + 1) |
                         .edge // 0] | (max // 0) <= 3.5)] | length')" 0 \
            "no stall longer than 0.5 s ($(j '.stalls | length') in all)"
    fi
    cmp_num "$(j '[.samples[] | .t] | (max - min)')" ">" 8 "currentTime advances"
done
wait "$pub"
vod() { [ "$(curl -s "$URL/streams.json" | jq -r '.[] | select(.name == "cam1") | .state')" = vod ]; }
wait_for 30 vod
ok "after the publisher stopped, the stream is VOD" vod
pl=$(curl -s "$URL/cam1/240p/index.m3u8")
unlike "$pl" 'EXT-X-PART' "the VOD's playlist has no parts"
is "$(find "$T/live/out" -name '*.open' | wc -l)" 0 "no growing segment left"
kill -TERM "$pipe"; wait "$pipe" 2>/dev/null

# The same source through the normal mode: the same segments and durations.
live-segment -s cam1 -o "$T/sp" -d 2 "$T/src.flv" 2> /dev/null |
    live-transcode -q -C "$T/sp" -l 240p:400k,144p:120k -p ultrafast |
    live-package -q -C "$T/sp" -o "$T/outn" --db "$T/n.db"
ext() { grep -A1 '^#EXTINF' "$1" | grep -v '^--'; }
is "$(ext "$T/live/out/cam1/240p/index.m3u8" | md5sum)" "$(ext "$T/outn/cam1/240p/index.m3u8" | md5sum)" \
    "the VOD's segments and durations are the normal mode's"
ok "ffprobe reads the VOD's MPD" ffprobe -v error "$T/live/out/cam1/manifest.mpd"
