#!/usr/bin/env bash
# The player page in headless Chromium, on a DASH + HLS tree made by
# ffmpeg's own dash muxer (the contract's layout, two video renditions):
# dash.js plays, the quality menu lists and switches renditions, ?t=
# starts there, hls.js plays the HLS playlists, and nothing is loaded
# from outside the server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need_browser
[ -f "$LIVE_BIN/../www/dash.all.min.js" ] || skip_all "no dash.js in the build (scripts/deps, make)"
plan 16

V=$T/root/vod
mkdir -p "$V/0" "$V/1" "$V/2"
(cd "$V" && $FFMPEG -f lavfi -i "testsrc2=size=640x360:rate=25:duration=16" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=16" \
    -filter_complex "[0:v]split=2[a][b];[b]scale=320:180[b2]" -map "[a]" -map "[b2]" -map 1:a \
    -c:v libx264 -preset ultrafast -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p \
    -b:v:0 800k -b:v:1 150k -c:a aac -b:a 64k \
    -f dash -seg_duration 2 -use_template 1 -use_timeline 0 -hls_playlist 1 \
    -init_seg_name '$RepresentationID$/init.mp4' -media_seg_name '$RepresentationID$/$Number$.m4s' \
    -adaptation_sets "id=0,streams=v id=1,streams=a" manifest.mpd)
ok "ffmpeg made a DASH + HLS tree" test -s "$V/manifest.mpd" -a -s "$V/master.m3u8"

start_serve -r "$T/root" --no-db -a "$T/access.log"
watch() { node "$TOP/tests/serve/watch.js" "$@"; }

watch "$URL/watch/vod" --seconds 3 --quality 1 --want-height 180 \
    -- "$URL/watch/vod?t=10" --seconds 1 -- "$URL/watch/vod?player=hls" --seconds 2 > "$T/runs"
r=$(sed -n 1p "$T/runs")
is "$(jq -r .engine <<<"$r")" dash "dash.js chosen"
t0=$(jq -r .start.t <<<"$r") t1=$(jq -r .end.t <<<"$r")
cmp_num "$t1" ">" "$(awk -v a="$t0" 'BEGIN { print a + 1 }')" "currentTime advances ($t0 -> $t1)"
is "$(jq -r '.start.qualities | length' <<<"$r")" 2 "two video qualities"
is "$(jq -r '.start.options' <<<"$r")" 3 "the menu: Auto and two"
is "$(jq -r .end.live <<<"$r")" false "a static MPD plays as VOD"
is "$(jq -r '.end.range[1] | floor' <<<"$r")" 16 "the seek bar spans the whole stream"
is "$(jq -r .end.height <<<"$r")" 180 "choosing 180p in the menu switches to it"
is "$(jq -r '.outside | length' <<<"$r")" 0 "nothing loaded from elsewhere"
is "$(jq -r '.errors | length' <<<"$r")" 0 "no page errors"
[ "$(jq -r '.errors | length' <<<"$r")" = 0 ] || diag "$(jq -c .errors <<<"$r")"

r=$(sed -n 2p "$T/runs")
t0=$(jq -r .start.t <<<"$r")
cmp_num "$t0" ">=" 9.5 "?t=10 starts at 10 s (at $t0)"
cmp_num "$t0" "<" 13 "and not past it"

r=$(sed -n 3p "$T/runs")
is "$(jq -r .engine <<<"$r")" hls "?player=hls uses hls.js"
cmp_num "$(jq -r .end.t <<<"$r")" ">" 1 "hls.js plays"
is "$(jq -r '.start.qualities | length' <<<"$r")" 2 "hls.js sees two qualities"
like "$(grep -c 'GET /vod/media_0.m3u8' "$T/access.log")" '^[1-9]' "the HLS playlists were fetched"
done_testing
