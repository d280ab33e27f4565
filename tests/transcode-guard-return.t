#!/usr/bin/env bash
# The load guard gives the full ladder back (issue 18): live-transcode
# --max-lag is fed the records of a 1080p broadcast it is far behind (each
# record's wallclock set 30 s in the past and 60 s more each time, the
# lag growing: what a machine too slow for the ladder sees, on any
# machine), then of the same stream at 640x360 (wallclock now: it keeps
# up). It steps down level by level to drop2 on the 1080p segments, then
# back up to the full ladder on the small ones, and at the end every rung
# that fits the small source is encoded again. One record in, one out: the
# driver waits for each renditions record before writing the next, so
# every segment is planned at the guard's latest level.
. "$(dirname "$0")/lib.sh"
plan 13

# 6 s of 1080p at ~3 Mbit/s, 30 s of 640x360 at ~1.5 Mbit/s, 1 s segments
$FFMPEG -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=6" -f lavfi -i "sine=duration=6" \
    -c:v libx264 -preset ultrafast -b:v 3M -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p \
    -c:a aac -f flv "$T/big.flv"
$FFMPEG -f lavfi -i "testsrc2=size=640x360:rate=25:duration=30" -f lavfi -i "sine=duration=30" \
    -c:v libx264 -preset ultrafast -b:v 1500k -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p \
    -c:a aac -f flv "$T/small.flv"
# (their segment records only: the stream goes on)
live-segment -q -s big -o "$T/spool" -d 1 < "$T/big.flv" | jq -c 'select(.type == "segment")' > "$T/big.rec"
live-segment -q -s small -o "$T/spool" -d 1 < "$T/small.flv" | jq -c 'select(.type == "segment")' > "$T/small.rec"
nb=$(wc -l < "$T/big.rec") ns=$(wc -l < "$T/small.rec")
is "$nb $ns" "6 30" "the sources cut into 6 and 30 segments"

# one stream "cam": the small source's records follow the big one's
jq -c '.stream = "cam"' "$T/big.rec" > "$T/in.rec"
jq -c --argjson n "$nb" '.stream = "cam" | .seq += $n | .start += 6' "$T/small.rec" >> "$T/in.rec"

# the ladder: 1080p, 360p, 180p; the sources above every rung's bit rate,
# so at the full ladder every rung that fits is encoded
coproc TC { exec live-transcode -C "$T/spool" -p ultrafast -l 1080p:1000k,360p:400k,180p:150k \
    --tolerance 0 --max-lag 20 -j 1 2> "$T/tc.err"; }
k=0
while read -r rec; do
    now=$(date +%s.%N)
    if [ "$k" -lt "$nb" ]; then
        wc=$(awk -v n="$now" -v k="$k" 'BEGIN { printf "%.3f", n - 30 - 60 * k }')
    else
        wc=$now
    fi
    jq -c --argjson w "$wc" '.wallclock = $w' <<<"$rec" >&"${TC[1]}"
    IFS= read -r -t 120 out <&"${TC[0]}" || { echo "# no record out for segment $k"; break; }
    printf '%s\n' "$out" >> "$T/out.rec"
    k=$((k + 1))
done < "$T/in.rec"
exec {TC[1]}>&-
wait "$TC_PID"
is "$?" 0 "live-transcode exits 0"
is "$(wc -l < "$T/out.rec")" "$((nb + ns))" "one renditions record per segment"

levels=$(jq -r '.guard.step' "$T/out.rec" | tr '\n' ' ')
note "levels: $levels"
like "$levels" "^faster pass drop1 drop2 " "far behind on 1080p: one step down per segment, to drop2"
like "$levels" "drop2 .*drop1 .*pass .*faster .*full $" "on the small source: back up level by level to full"
steps=$(grep -o 'step \(down\|up\) to [a-z0-9]*' "$T/tc.err" | tr '\n' ',')
like "$steps" "^step down to faster,step down to pass,step down to drop1,step down to drop2,step up to drop1,.*step up to full,$" \
   "the log tells the same steps"
like "$(grep -m1 'step up' "$T/tc.err")" '^live-transcode: info: cam: [0-9.]+ s behind the broadcast, trend [-+][0-9.]+ s/s: step up to drop1' \
     "a step up is logged with the stream's name"

# what the levels did to the 1080p segments: at drop2 only the source is
# left (passed through), both encoded rungs dropped
last_big=$(sed -n "${nb}p" "$T/out.rec")
is "$(jq -r '[.renditions[] | select(.kind == "video") | "\(.id)=\(.passthrough)"] | join(" ")' <<<"$last_big")" \
   "1080p=true" "the last 1080p segment (drop2): only the source, passed through"
is "$(jq -r '.dropped | join(" ")' <<<"$last_big")" "360p 180p" "  360p and 180p left out"

# the end: every rung that fits 640x360 encoded again, none dropped
last=$(tail -n 1 "$T/out.rec")
is "$(jq -r '.guard.step' <<<"$last")" full "the last segment: the full ladder"
is "$(jq -r '[.renditions[] | select(.kind == "video") | "\(.id)=\(.passthrough)"] | join(" ")' <<<"$last")" \
   "360p=false 180p=false" "  360p and 180p both encoded"
is "$(jq -r '.dropped // [] | length' <<<"$last")" 0 "  nothing dropped"
f=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=width,height,nb_read_packets -of csv=p=0 \
    "$T/spool/$(jq -r '.renditions[] | select(.id == "180p") | .path' <<<"$last")")
like "$f" "^320,180,2[45]$" "  its 180p rendition is a whole 320x180 second ($f)"
