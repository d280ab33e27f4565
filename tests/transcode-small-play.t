#!/usr/bin/env bash
# Small sources in real players (issue 17): 640x360, 360x640 and 320x240
# under the default ladder (a rung at the source's size), 1600x900 (900p,
# 720p, 480p) and segments with no video rung (--exact-ladder above a
# 320x240 source: audio only) play to the end in dash.js and in hls.js,
# frames advancing, at the source's size, with no player error.
# (tests/transcode-small.t checks the records and manifests.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transcode.sh"
[ -x /usr/bin/chromium ] || skip_all "no /usr/bin/chromium"
[ -d "$TOP/node_modules/playwright-core" ] || skip_all "no node_modules (run scripts/deps)"
plan 33
export NODE_PATH=$TOP/node_modules

# NAME SIZE [live-transcode options]: a 2 s source through the stages, VOD
stream() {
    local name=$1 size=$2
    shift 2
    make_av "$T/$name.mp4" 2 "$size" 1 25 &&
    segs "$T/$name.mp4" "$name" 1 > "$T/$name.rec" &&
    live-transcode -q -C "$T/spool" -p ultrafast "$@" < "$T/$name.rec" > "$T/$name.out" 2>> "$T/tc.err" &&
    live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" --vod < "$T/$name.out"
}
for s in s640x360:640x360 s360x640:360x640 s320x240:320x240 s1600x900:1600x900; do
    stream "${s%%:*}" "${s#*:}" || { echo "Bail out! cannot make ${s%%:*}"; exit 1; }
done
stream aonly 320x240 --exact-ladder || { echo "Bail out! cannot make aonly"; exit 1; }
is "$(ids "$T/s1600x900.out" 0)" "900p 720p 480p audio" "1600x900: 900p, 720p and 480p"
is "$(ids "$T/aonly.out" 0)" "audio" "the exact ladder above 320x240: audio only"

port=$(free_port)
bg node "$TOP/tests/package-serve.js" "$T/out" "$port" > /dev/null
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/time" ||
    { echo "Bail out! the static server did not start"; exit 1; }
node "$TOP/tests/small-play.js" "http://127.0.0.1:$port" s640x360 s360x640 s320x240 s1600x900 aonly \
    > "$T/play" 2> "$T/play.err"
while read -r line; do diag "$line"; done < "$T/play"

# get NAME PLAYER FIELD
get() { jq -r --arg n "$1" --arg p "$2" "select(.name == \$n and .player == \$p) | $3" "$T/play"; }
for name in s640x360 s360x640 s320x240; do
    size=${name#s}
    for player in dash hls; do
        is "$(get $name $player .playing)" true "$size, $player: plays"
        # (dash.js stopped at 1.5 s of these 2 s clips in one run of three
        # while the MPD ended them with the video, 5 ms before the audio)
        is "$(get $name $player .ended)" true "$size, $player: to the end"
        is "$(get $name $player .size)/$(get $name $player '.errors | length')" "$size/0" \
            "$size, $player: at its size, no error"
        cmp_num "$(get $name $player .frames)" -ge 40 "$size, $player: frames advance"
    done
done
for player in dash hls; do
    is "$(get s1600x900 $player '"\(.playing),\(.errors | length)"')" "true,0" \
        "1600x900, $player: plays, no error"
    is "$(get s1600x900 $player .ended)" true "1600x900, $player: to the end"
    is "$(get aonly $player '"\(.playing),\(.ended),\(.errors | length),\(.size)"')" "true,true,0,0x0" \
        "audio only, $player: plays to the end, no error"
done
cmp_num "$(get aonly dash .time)" ">=" 1.9 "the audio-only stream's 2 s play"
