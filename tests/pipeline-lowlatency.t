#!/usr/bin/env bash
# live-pipeline --low-latency: ffmpeg publishes over RTMP, parts flow
# through live-segment -L | live-transcode -L | live-package -L: while
# live the playlists served have parts (PART-INF, EXT-X-PART byte ranges,
# a preload hint) and the MPD is LL-DASH; ffprobe reads the playlists;
# after the publisher stops the stream is VOD without parts, whose
# segments and durations are those of the same source through the normal
# mode. The command line refuses --farm with it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
for p in live-ingest live-segment live-transcode live-package live-serve; do
    command -v $p >/dev/null 2>&1 || skip_all "$p is not built yet"
done
plan 14

"$TOP/scripts/live-pipeline" --low-latency -F h1 -d "$T/x" > /dev/null 2> "$T/err"
is "$?" 2 "--low-latency with --farm: usage error"
"$TOP/scripts/live-pipeline" --low-latency --part 3 -s 2 -d "$T/x" > /dev/null 2> "$T/err"
is "$?" 2 "a part longer than a segment: usage error"

RTMP=$(free_port) HTTP=$(free_port)
URL=http://127.0.0.1:$HTTP
LIVE_INGEST_OPTS="-g 2" bg "$TOP/scripts/live-pipeline" -q --no-rtc --low-latency -r 127.0.0.1:$RTMP \
    -l 127.0.0.1:$HTTP -d "$T/live" -s 2 -L 240p:400k,144p:120k -p ultrafast
pipe=$!
wait_for 10 curl -sf -o /dev/null "$URL/time"

# 12 s in real time over RTMP (the same file again below, in normal mode).
make_av "$T/src.flv" 12 320x240 1 -- -f flv || { echo "Bail out! cannot make media"; exit 1; }
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
like "$(curl -s "$URL/cam1/manifest.mpd")" 'availabilityTimeComplete="false"' "the live MPD is LL-DASH"
ok "ffprobe reads the live master.m3u8" ffprobe -v error "$URL/cam1/master.m3u8"
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
