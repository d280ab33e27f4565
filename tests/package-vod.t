#!/usr/bin/env bash
# live-package --vod on a 60 s three-rung ladder with audio: manifests
# that ffprobe reads, self-contained segments, exact durations, aligned
# renditions, spool cleanup and the live-edge cache in the database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
plan 26

make_ladder "$T/spool" cam1 60 2 || { fail "make ladder"; exit 1; }
# segment 10 says the input's timestamps jumped there
{ ladder_records "$T/spool" cam1 60 2 | sed '/"seq":10,/s/"discontinuity":false/"discontinuity":true/'
  echo '{"type":"end","stream":"cam1","seq":30}'; } > "$T/recs"
ok "live-package --vod exits 0" \
    live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" --vod "$T/recs"
O=$T/out/cam1

# ffprobe finds every rendition with the right size, through DASH and HLS.
want=$'h264 426x240\nh264 320x180\nh264 256x144\naac 48000'
sizes() { ffprobe -v error -show_entries stream=codec_name,width,height,sample_rate -of csv=p=0 "$1" |
    awk -F, '$1 == "aac" { print "aac " $2; next } NF { print $1 " " $2 "x" $3 }' | sort -u; }
is "$(sizes "$O/manifest.mpd" | sort)" "$(sort <<< "$want")" "ffprobe: MPD has every rendition with its size"
is "$(sizes "$O/master.m3u8" | sort)" "$(sort <<< "$want")" "ffprobe: master.m3u8 has every rendition with its size"
like "$(cat "$O/manifest.mpd")" 'type="static".*mediaPresentationDuration="PT60.000S"' "static MPD, 60 s"
like "$(grep -c '<Representation' "$O/manifest.mpd")" '^4$' "four Representations"
like "$(cat "$O/master.m3u8")" 'BANDWIDTH=[0-9]+,AVERAGE-BANDWIDTH=[0-9]+,RESOLUTION=426x240,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",FRAME-RATE=25\.000,AUDIO="audio"' \
    "master: variant attributes from the streams"
is "$(grep -o 'BANDWIDTH=[0-9]*,AVERAGE-BANDWIDTH=[0-9]*' "$O/master.m3u8" |
      awk -F'[=,]' '$4 > $2 { print "over: " $0 }')" "" "master: AVERAGE-BANDWIDTH <= BANDWIDTH on every variant"
like "$(cat "$O/master.m3u8")" 'EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio".*URI="audio/index.m3u8"' "master: audio group"
like "$(tail -1 "$O/240p/index.m3u8")" '^#EXT-X-ENDLIST$' "media playlist ends with ENDLIST"
is "$(grep -c '^#EXT-X-DISCONTINUITY$' "$O/audio/index.m3u8")" 1 "the record's discontinuity: one EXT-X-DISCONTINUITY"
like "$(grep -B3 '^10\.m4s' "$O/240p/index.m3u8" | head -1)" '^#EXT-X-DISCONTINUITY$' "before segment 10"
is "$(grep -c '<Period' "$O/manifest.mpd")" 1 "one DASH Period (the timeline is continuous)"

# Every segment, after its init segment, is readable on its own: one
# ffmpeg per rendition opens the 30 files and reads every packet.
bad=0
for r in 240p 180p 144p audio; do
    args=()
    for s in $(seq 0 29); do
        cat "$O/$r/init.mp4" "$O/$r/$s.m4s" > "$T/$r-$s.mp4"
        args+=(-i "$T/$r-$s.mp4")
    done
    maps=()
    for s in $(seq 0 29); do maps+=(-map "$s"); done
    if ! msg=$(ffmpeg -v error -nostdin "${args[@]}" "${maps[@]}" -c copy -f null - 2>&1) ||
        [ -n "$msg" ]; then
        bad=$((bad + 1))
        diag "$r: a segment is unreadable: $msg"
    fi
done
is "$bad" 0 "all 120 segments readable after their init"

# Durations add up to the source's, within one frame (25 fps = 0.04 s).
for r in 240p 180p 144p; do
    cat "$O/$r/init.mp4" $(for s in $(seq 0 29); do echo "$O/$r/$s.m4s"; done) > "$T/$r.mp4"
done
n=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$T/240p.mp4")
is "$n" 1500 "240p: all 1500 frames decode in order"
sum=$(awk -F'[:,]' '/^#EXTINF/ { s += $2 } END { printf "%.4f", s }' "$O/240p/index.m3u8")
cmp_num "$(awk -v s="$sum" 'BEGIN { d = s - 60; print d < 0 ? -d : d }')" "<=" 0.04 "HLS EXTINFs add up to 60 s ($sum)"
tl=$(awk -F'"' '/timescale="90000"/ { v = 1 } v && /<S / { for (i = 1; i < NF; i++) { if ($i ~ / d=$/) d = $(i + 1); if ($i ~ / r=$/) r = $(i + 1) } s += d * (r + 1); r = 0 } /<\/AdaptationSet>/ { v = 0 } END { printf "%.4f", s / 90000 }' "$O/manifest.mpd")
cmp_num "$(awk -v s="$tl" 'BEGIN { d = s - 60; print d < 0 ? -d : d }')" "<=" 0.04 "MPD video timeline adds up to 60 s ($tl)"
d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/180p.mp4")
cmp_num "$(awk -v s="$d" 'BEGIN { d = s - 60; print d < 0 ? -d : d }')" "<=" 0.04 "180p file set plays 60 s ($d)"

# Segment N of every rendition starts at the same time (tfdt), exactly
# N * 2 s for video; audio within one AAC frame; B-frames need signed
# composition offsets (trun version 1).
mis=0
files=()
for s in $(seq 0 29); do files+=("$O"/{240p,180p,144p,audio}/$s.m4s); done
node "$TOP/tests/package-tfdt.js" "${files[@]}" | awk '{ print $1 }' | paste - - - - > "$T/tfdt"
s=0
while read -r v1 v2 v3 a; do
    [ "$v1 $v2 $v3" = "$((s * 180000)) $((s * 180000)) $((s * 180000))" ] ||
        { mis=$((mis + 1)); diag "segment $s: video tfdt $v1 $v2 $v3"; }
    awk -v a="$a" -v v="$s" 'BEGIN { d = a / 48000 - v * 2; exit !(d < 0.0214 && d > -0.0214) }' ||
        { mis=$((mis + 1)); diag "segment $s: audio tfdt $a"; }
    s=$((s + 1))
done < "$T/tfdt"
[ "$s" = 30 ] || mis=$((mis + 1))
is "$mis" 0 "segment N starts at N*2 s in every rendition"
like "$(node "$TOP/tests/package-tfdt.js" "$O/240p/3.m4s")" '^540000 1 50 [1-9]' "trun v1 with negative composition offsets"

# The spool is emptied of what was packaged.
is "$(find "$T/spool/cam1" -name '*.nut' | wc -l)" 0 "rendition files removed from the spool"
is "$(find "$T/out" -name '.*' | wc -l)" 0 "no temporary files left"

# The database: the stream, its segments, the last 10 s in the edge cache.
db() { sqlite3 "$T/live.db" "$@"; }
is "$(db "SELECT state, next_seq, segment_duration FROM streams WHERE name = 'cam1'")" "vod|30|2.0" "streams row"
is "$(db "SELECT count(*), sum(gap) FROM segments WHERE stream = 'cam1'")" "30|0" "30 segment rows"
is "$(db "SELECT count(*) FROM segment_files WHERE stream = 'cam1'")" 120 "120 segment_files rows"
is "$(db "SELECT rendition, group_concat(seq) FROM (SELECT * FROM edge_cache WHERE seq IS NOT NULL ORDER BY seq) GROUP BY rendition ORDER BY rendition")" \
    $'144p|25,26,27,28,29\n180p|25,26,27,28,29\n240p|25,26,27,28,29\naudio|25,26,27,28,29' "edge cache: the last 10 s of each rendition"
db "SELECT writefile('$T/edge.m4s', data) FROM edge_cache WHERE path = 'cam1/180p/27.m4s'" > /dev/null
ok "edge cache bytes equal the published file" cmp "$T/edge.m4s" "$O/180p/27.m4s"
