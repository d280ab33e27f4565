#!/usr/bin/env bash
# Video-only and audio-only inputs: the manifests carry only what exists.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
plan 12

make_ladder "$T/spool" vid 6 2 v || { fail "make video ladder"; exit 1; }
make_ladder "$T/spool" aud 6 2 a || { fail "make audio ladder"; exit 1; }
{ ladder_records "$T/spool" vid 6 2 v; echo '{"type":"end","stream":"vid","seq":3}'
  ladder_records "$T/spool" aud 6 2 a; echo '{"type":"end","stream":"aud","seq":3}'; } |
    live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db"
is "$?" 0 "two streams in one input, exit 0"

V=$T/out/vid A=$T/out/aud
is "$(grep -c 'contentType="audio"' "$V/manifest.mpd"),$(grep -c 'contentType="video"' "$V/manifest.mpd")" "0,1" \
    "video only: one video AdaptationSet, no audio"
unlike "$(cat "$V/master.m3u8")" 'EXT-X-MEDIA|AUDIO=|mp4a' "video only: no audio group in master.m3u8"
is "$(grep -c '^#EXT-X-STREAM-INF' "$V/master.m3u8")" 3 "video only: three variants"
is "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$V/master.m3u8" | grep . | sort -u | paste -sd,)" video \
    "video only: ffprobe finds only video"
ok "video only: no audio directory" test ! -e "$V/audio"

is "$(grep -c 'contentType="audio"' "$A/manifest.mpd"),$(grep -c 'contentType="video"' "$A/manifest.mpd")" "1,0" \
    "audio only: one audio AdaptationSet, no video"
like "$(cat "$A/master.m3u8")" '#EXT-X-STREAM-INF:BANDWIDTH=[0-9]+,AVERAGE-BANDWIDTH=[0-9]+,CODECS="mp4a.40.2"' \
    "audio only: one audio variant"
unlike "$(cat "$A/master.m3u8")" 'RESOLUTION|EXT-X-MEDIA' "audio only: no video attributes"
is "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$A/manifest.mpd" | grep . | sort -u | paste -sd,)" audio \
    "audio only: ffprobe finds only audio in the MPD"
is "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$A/master.m3u8" | grep . | sort -u | paste -sd,)" audio \
    "audio only: ffprobe finds only audio in the playlists"
is "$(sqlite3 "$T/live.db" "SELECT group_concat(name || ':' || state || ':' || next_seq) FROM (SELECT * FROM streams ORDER BY name)")" "aud:vod:3,vid:vod:3" \
    "both streams finished"
