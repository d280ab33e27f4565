#!/usr/bin/env bash
# Real players on live-package's VOD output in headless Chromium: dash.js
# plays the 60 s VOD to the end with the right duration and switches to a
# lower rendition when the network is throttled; hls.js plays master.m3u8.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
[ -x /usr/bin/chromium ] || skip_all "no /usr/bin/chromium"
[ -d "$TOP/node_modules/playwright-core" ] || skip_all "no node_modules (run scripts/deps)"
plan 11

make_ladder "$T/spool" cam1 60 2 || { fail "make ladder"; exit 1; }
{ ladder_records "$T/spool" cam1 60 2; echo '{"type":"end","stream":"cam1","seq":30}'; } |
    live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" --vod
port=$(free_port)
bg node "$TOP/tests/package-serve.js" "$T/out" "$port" > /dev/null
ok "static server up" wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/time"

r=$(node "$TOP/tests/package-browser.js" "http://127.0.0.1:$port" dash-vod cam1/manifest.mpd)
diag "dash.js: $r"
j() { jq -r "$1" <<< "$r"; }
is "$(j .playing)" true "dash.js starts playing"
is "$(j .duration)" 60 "dash.js reports a 60 s duration"
is "$(j .top_reached)" true "dash.js reaches the top rendition unthrottled"
is "$(j .switched_down)" true "dash.js switches down under a 200 kbit/s network ($(j .before) -> $(j .after))"
is "$(j .ended)" true "dash.js plays to the end"
is "$(j '.errors | length')" 0 "no dash.js errors"

r=$(node "$TOP/tests/package-browser.js" "http://127.0.0.1:$port" hls-vod cam1/master.m3u8)
diag "hls.js: $r"
is "$(j .playing)" true "hls.js plays master.m3u8"
is "$(j '.resolutions | join(" ")')" "256x144 320x180 426x240" "hls.js sees the three variants"
is "$(j .ended),$(j '.duration | floor')" "true,60" "hls.js plays the 60 s to the end"
is "$(j '.errors | length')" 0 "no hls.js errors"
