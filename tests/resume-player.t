#!/usr/bin/env bash
# The player page's login and resume in headless Chromium against a real
# live-serve and db: resume after logout and login, another user gets no
# position, ?t=, saving on pause/seek/page hide, buffering 10 s on pause,
# a live stream's DVR window.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/chromium ] || skip_all "no /usr/bin/chromium"
[ -d "$TOP/node_modules/playwright-core" ] || skip_all "no playwright-core (scripts/deps)"

DB=$T/live.db
ROOT=$T/out
SEG=2
# 64 s in 2 s segments: a VOD, and the same segments as a live stream
# (resume-player.js writes its dynamic MPD, 40 s old, when it opens it).
# The VOD is made by the pipeline when it is built (live-vod:
# live-segment | live-transcode | live-package --vod), else by ffmpeg's
# DASH muxer.
mkdir -p "$ROOT"
if command -v live-package >/dev/null && command -v live-vod >/dev/null; then
    make_av "$T/src.mp4" 64 320x240 $SEG 25 || { echo "Bail out! no source"; exit 1; }
    live-vod -s vod -d $SEG --db "$DB" "$T/src.mp4" "$ROOT" -- -l 240p:300k -p ultrafast \
        > /dev/null 2> "$T/vod.err" || { echo "Bail out! live-vod failed"; cat "$T/vod.err" >&2; exit 1; }
    note "the VOD comes from the pipeline (live-vod)"
    HLS=1
else
    mkdir -p "$ROOT/vod"
    $FFMPEG -f lavfi -i "testsrc2=size=320x240:rate=25:duration=64" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=64" \
        -c:v libx264 -preset ultrafast -g $((SEG * 25)) -keyint_min $((SEG * 25)) -sc_threshold 0 \
        -pix_fmt yuv420p -c:a aac -ac 2 -b:a 64k \
        -f dash -seg_duration $SEG -use_template 1 -use_timeline 0 "$ROOT/vod/manifest.mpd" \
        || { echo "Bail out! could not make the media"; exit 1; }
    note "no live-package: the VOD comes from ffmpeg's DASH muxer"
fi
cp -r "$ROOT/vod" "$ROOT/cam"
mv "$ROOT/cam/manifest.mpd" "$ROOT/cam/static.mpd"
echo 'alice pw' | live-resume -d "$DB" user add alice
echo 'bob pw' | live-resume -d "$DB" user add bob
live-resume -d "$DB" set bob cam 3
ODD=$'Zo\xc3\xab "Z"; O\'Brien \xe5\x90\x8d'
echo 'odd pw' | live-resume -d "$DB" user add "$ODD"

PORT=$(free_port)
bg live-serve -q -l 127.0.0.1:$PORT -r "$ROOT" -d "$DB" -a '' 2>"$T/serve.err"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$PORT/time" \
    || { echo "Bail out! live-serve did not start"; cat "$T/serve.err" >&2; exit 1; }

HLS=${HLS:-} DB=$DB ODD_USER=$ODD node "$TOP/tests/resume-player.js" "http://127.0.0.1:$PORT" vod "$ROOT/cam" > "$T/out.json" 2> "$T/node.err"
status=$?
r() { jq -r "$1" "$T/out.json"; }
is "$status" 0 "the browser run completed"
[ "$status" = 0 ] || { diag "$(r .error)"; cat "$T/node.err" >&2; }

like "$(r .wrong_error)" 'Wrong user or password' "a wrong password in the form: refused"
is "$(r .wrong_sessions)" 0 "and no session made"
is "$(r .odd_shown)" "$ODD" "a name with quotes, ; and non-ASCII logs in, shown verbatim"
is "$(r .odd_me)" "$ODD" "and /api/me returns it verbatim"
is "$(r .expired_me)" 401 "an expired session: 401, the form again"
is "$(r .forged_me)" 401 "a forged cookie: 401"
is "$(r .alice_login)" alice "alice logs in with the form"
cmp_num "$(r .alice_at_logout)" '>=' 20 "she played to about 20 s"
is "$(r .me_after_logout)" 401 "logged out: /api/me is 401"
cmp_num "$(r .before_relogin)" '<' 6 "logged out, a new page plays from the start"
cmp_num "$(r .after_relogin)" '>=' 19 "logging in again jumps to her position ..."
cmp_num "$(r .after_relogin)" '<=' 23 "... within 3 s of 20 s"
cmp_num "$(r .alice_resumed_first)" '>=' 17 "reopened, playback starts within 3 s of 20 s ..."
cmp_num "$(r .alice_resumed_first)" '<=' 23 "... (not after)"
cmp_num "$(r .alice_resumed_later)" '>' "$(r .alice_resumed_first)" "and plays on"
is "$(r .saved_after_seek)" 41 "a seek while paused saves the position"
left=$(r .left_at)
saved=$(live-resume -d "$DB" get alice vod)
cmp_num "$saved" '>=' "$(awk -v l="$left" 'BEGIN { print l - 0.6 }')" \
    "leaving the page saved the position by sendBeacon ($saved, left at $left)"
if [ -n "${HLS:-}" ]; then
    is "$(r .hls_engine)" hls "?player=hls plays with hls.js"
    cmp_num "$(r .hls_first)" '>=' "$(awk -v l="$left" 'BEGIN { print l - 2 }')" \
        "and resumes at her position too ($(r .hls_first))"
    cmp_num "$(r .hls_first)" '<=' "$(awk -v l="$left" 'BEGIN { print l + 3 }')" "... (not later)"
fi
is "$(r .bob_login)" bob "bob logs in"
is "$(r .bob_shown)" bob "the page shows him logged in"
is "$(r .bob_position_status)" 404 "bob gets no position for alice's stream"
cmp_num "$(r .bob_started)" '<' 1 "bob starts at the beginning"
cmp_num "$(r .t30_first)" '>=' 29.5 "?t=30 plays from 30 s ..."
cmp_num "$(r .t30_first)" '<=' 31 "... (not later)"
cmp_num "$(r .t30_later)" '>' "$(r .t30_first)" "and plays on"

# Pause at t: the buffer reaches t+10 s (the segment crossing it
# included) within a few seconds, then grows no further.
t=$(r .pause.t)
ahead() { r ".pause.samples[$1]" | awk -v t="$t" '{ printf "%.2f", $1 - t }'; }
is "$(r .pause.stillPaused)" true "still paused"
cmp_num "$(ahead 6)" '>=' 9.5 "3 s after pausing at $t, buffered $(ahead 6) s ahead (>= 10)"
cmp_num "$(ahead 6)" '<=' $((10 + SEG)) "... and at most one segment more"
is "$(ahead 15)" "$(ahead 6)" "7 s later: no further"
is "$(r '[.pause.samples[6:][]] | unique | length')" 1 "never grew meanwhile"

# Live, 20 s DVR window: a position older than the window resumes at
# its start, not at the live edge; one inside it resumes there.
is "$(r .live.live)" true "the live stream plays as live"
a=$(r '.live.range[0]'); b=$(r '.live.range[1]'); first=$(r .live.first)
cmp_num "$first" '>=' "$(awk -v a="$a" 'BEGIN { print a - 1 }')" \
    "a position older than the window [$a, $b] resumes at its start ($first) ..."
cmp_num "$first" '<=' "$(awk -v a="$a" 'BEGIN { print a + 4 }')" "... not later"
cmp_num "$first" '<' "$(awk -v b="$b" 'BEGIN { print b - 8 }')" "... and not at the live edge"
is "$(r .live.put)" 204 "a position inside the window saved"
cmp_num "$(r .live.inWindowFirst)" '>=' 30 "it resumes there ..."
cmp_num "$(r .live.inWindowFirst)" '<=' 33 "... within 2 s"
done_testing
