#!/usr/bin/env bash
# The pipeline under valgrind: live-segment | live-transcode | live-package
# on a 3 s source, then live-serve answering a few requests, each program
# run by valgrind --leak-check=full. A memory error or any byte definitely
# lost fails the test (valgrind's exit status 99). Kept short: valgrind
# runs the x264 and AAC encoders about 30 times slower than normal.
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null 2>&1 || skip_all "valgrind is not installed (scripts/deps)"
for p in live-segment live-transcode live-package; do
    [ -x "$LIVE_BIN/$p" ] || skip_all "$p is not built yet"
done
# A build with AddressSanitizer cannot run under valgrind.
if ldd "$LIVE_BIN/live-segment" 2>/dev/null | grep -q libasan; then
    skip_all "valgrind needs the plain build, not SANITIZE=1"
fi

VG=(valgrind -q --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
    --error-exitcode=99 --track-fds=no --suppressions="$TOP/tests/valgrind.supp")

# vg NAME CMD...: run CMD under valgrind, its report in $T/NAME.vg.
vg() {
    local name=$1; shift
    "${VG[@]}" --log-file="$T/$name.vg" "$@"
}
# report NAME STATUS: valgrind's findings when the run failed.
report() {
    [ "$2" != 0 ] && [ -s "$T/$1.vg" ] && diag "$(head -n 60 "$T/$1.vg")"
    return 0
}

plan 8
make_av "$T/in.flv" 3 160x120 1 || { fail "source made"; exit 1; }

vg segment live-segment -q -s vg -o "$T/spool" -d 1.5 "$T/in.flv" > "$T/seg.jsonl"
st=$?; is "$st" 0 "live-segment under valgrind: no error, nothing definitely lost"; report segment $st
is "$(grep -c '"type":"segment"' "$T/seg.jsonl")" 2 "two segments"

vg transcode live-transcode -q -C "$T/spool" -p ultrafast -l 120p:150k -j 1 < "$T/seg.jsonl" > "$T/ren.jsonl"
st=$?; is "$st" 0 "live-transcode under valgrind: no error, nothing definitely lost"; report transcode $st
is "$(grep -c '"type":"renditions"' "$T/ren.jsonl")" 2 "two renditions records"

vg package live-package -q -C "$T/spool" -o "$T/out" --db "$T/live.db" < "$T/ren.jsonl"
st=$?; is "$st" 0 "live-package under valgrind: no error, nothing definitely lost"; report package $st
ok "manifests written" test -s "$T/out/vg/manifest.mpd" -a -s "$T/out/vg/master.m3u8"

if [ -x "$LIVE_BIN/live-serve" ]; then
    port=$(free_port)
    # valgrind itself in the background (not a function's subshell), so
    # that the signal reaches it
    "${VG[@]}" --log-file="$T/serve.vg" live-serve -q -l "127.0.0.1:$port" -r "$T/out" \
        -d "$T/live.db" -a '' -T 2 > /dev/null &
    spid=$!
    _bg_pids+=("$spid")
    wait_for 60 curl -sf -o /dev/null "http://127.0.0.1:$port/time"
    for u in vg/manifest.mpd vg/master.m3u8 vg/120p/init.mp4 vg/120p/0.m4s nope/x.m4s ../etc/passwd time; do
        curl -s -o /dev/null "http://127.0.0.1:$port/$u"
    done
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/vg/manifest.mpd")
    is "$code" 200 "live-serve answers under valgrind"
    kill -TERM "$spid"
    wait "$spid"
    st=$?; is "$st" 0 "live-serve under valgrind: clean exit on SIGTERM, nothing definitely lost"; report serve $st
else
    skip "live-serve is not built yet"
    skip "live-serve is not built yet"
fi
done_testing
