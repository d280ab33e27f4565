# tests/lib.sh: TAP helpers for the shell end-to-end tests.
#
#   . "$(dirname "$0")/lib.sh"
#   plan 3
#   ok "live-segment runs" live-segment -h
#   is "$(cat n)" 4 "four segments"
#   like "$out" '^live-segment: error' "error prefix"
#
# Provides $T (a temporary directory removed at exit, with every process
# started by bg killed), $TOP (the checkout), $LIVE_BIN first in PATH,
# free_port, wait_for and media makers built on ffmpeg -f lavfi.
#
# One locale for every test, whatever the caller's: byte order for sort,
# byte-wise regular expressions, untranslated messages (as jq's
# tests/setup does). No set -e: the tests run commands that must fail and
# look at $? afterwards; the setup below stops by itself when it fails.
set -u
export LC_ALL=C

TOP=${LIVE_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LIVE_BIN=${LIVE_BIN:-$TOP/build/bin}
PATH=$LIVE_BIN:$TOP/scripts:$PATH
export TOP LIVE_BIN PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/live-test.XXXXXX") || { echo "Bail out! mktemp -d failed"; exit 1; }
_tap_n=0
_tap_failed=0
_tap_planned=0
_bg_pids=()

_cleanup() {
    local p
    for p in "${_bg_pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${_bg_pids[@]}"; do
        # give each a moment, then force
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    [ -n "${KEEP_T:-}" ] && { echo "# kept $T" >&2; return; }
    rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

plan() { _tap_planned=$1; echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { printf '# %s\n' "$@" >&2; }
note() { printf '# %s\n' "$@"; }

pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*${_tap_todo:+ # TODO $_tap_todo}"; }
fail() {
    _tap_n=$((_tap_n + 1))
    [ -n "${_tap_todo:-}" ] || _tap_failed=$((_tap_failed + 1))
    echo "not ok $_tap_n - $*${_tap_todo:+ # TODO $_tap_todo}"
}
# todo REASON ASSERTION ARGS...: a known failure, named in TAP's TODO
# directive: reported either way, never failing the file (prove counts it).
todo() { _tap_todo=$1; shift; "$@"; _tap_todo=; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # skip $*"; }

# ok DESC CMD ARGS...: passes when the command exits 0.
ok() {
    local desc=$1; shift
    if "$@"; then pass "$desc"; else fail "$desc"; diag "command failed: $*"; fi
}
# nok DESC CMD ARGS...: passes when the command exits non-zero.
nok() {
    local desc=$1; shift
    if "$@"; then fail "$desc"; diag "command succeeded: $*"; else pass "$desc"; fi
}
# is GOT WANT DESC
is() {
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3"; diag "got:  '$1'" "want: '$2'"; fi
}
isnt() {
    if [ "$1" != "$2" ]; then pass "$3"; else fail "$3"; diag "got '$1', wanted something else"; fi
}
# like GOT ERE DESC
like() {
    if printf '%s' "$1" | grep -Eq -- "$2"; then pass "$3"; else fail "$3"; diag "got:  '$1'" "want match: $2"; fi
}
unlike() {
    if printf '%s' "$1" | grep -Eq -- "$2"; then fail "$3"; diag "got:  '$1'" "unwanted match: $2"; else pass "$3"; fi
}
# cmp_num GOT OP WANT DESC (OP: -lt -le -eq -ge -gt, or < <= > >= for decimals)
cmp_num() {
    local got=$1 op=$2 want=$3 desc=$4 r
    case $op in
        -lt|-le|-eq|-ge|-gt|-ne) [ "$got" "$op" "$want" ] 2>/dev/null && r=0 || r=1 ;;
        *) r=$(awk -v a="$got" -v b="$want" -v op="$op" 'BEGIN {
               if (a == "" || b == "") { print 1; exit }
               if (op == "<") print !(a < b); else if (op == "<=") print !(a <= b);
               else if (op == ">") print !(a > b); else if (op == ">=") print !(a >= b);
               else print 1 }') ;;
    esac
    if [ "$r" = 0 ]; then pass "$desc"; else fail "$desc"; diag "got $got, want $op $want"; fi
}

done_testing() {
    [ "$_tap_planned" = 0 ] && echo "1..$_tap_n"
    [ "$_tap_failed" = 0 ] && { [ "$_tap_planned" = 0 ] || [ "$_tap_planned" = "$_tap_n" ]; }
}

# bg CMD ARGS...: start in the background, killed at exit; sets $! as usual.
bg() { "$@" & _bg_pids+=($!); }

# need_programs PROG...: skip the whole file unless every PROG is built
# (on PATH). Before plan.
need_programs() {
    local p
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || skip_all "$p is not built yet"
    done
}

# need_browser: skip the whole file without headless Chromium or
# playwright-core (scripts/deps); NODE_PATH set for the page scripts.
# Before plan.
need_browser() {
    [ -x /usr/bin/chromium ] || skip_all "no chromium"
    [ -d "$TOP/node_modules/playwright-core" ] || skip_all "no playwright-core (scripts/deps)"
    export NODE_PATH=$TOP/node_modules
}

# start_pipeline ARGS...: scripts/live-pipeline -q in the background on
# free ports (sets RTMP, HTTP, URL; pipe: its pid), output under $T/live,
# with ARGS added (LIVE_INGEST_OPTS and the like from the caller's
# environment); returns once its live-serve answers /time (at most 15 s).
start_pipeline() {
    RTMP=$(free_port) HTTP=$(free_port)
    URL=http://127.0.0.1:$HTTP
    bg "$TOP/scripts/live-pipeline" -q -r 127.0.0.1:$RTMP -l 127.0.0.1:$HTTP -d "$T/live" "$@"
    pipe=$!
    wait_for 15 curl -sf -o /dev/null "$URL/time"
}

# free_port: a TCP port on loopback that no socket uses now, in any state,
# below the kernel's ephemeral range (so no client connection can take it
# between this check and the server's bind, and no TIME-WAIT left by one
# blocks the bind).
free_port() {
    local p lo hi
    read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
    [ "$lo" -gt 12000 ] 2>/dev/null || lo=32768
    for _ in $(seq 50); do
        p=$(( (RANDOM << 1 | RANDOM & 1) % (lo - 10000) + 10000 ))
        if ! ss -Htan "( sport = :$p )" 2>/dev/null | grep -q .; then echo "$p"; return 0; fi
    done
    return 1
}

# wait_for SECONDS CMD ARGS...: poll every 0.1 s until CMD succeeds.
wait_for() {
    local limit=$1; shift
    local end=$(( $(date +%s%N) / 1000000 + ${limit%.*} * 1000 ))
    while ! "$@" 2>/dev/null; do
        [ $(( $(date +%s%N) / 1000000 )) -ge $end ] && return 1
        sleep 0.1
    done
}

# Media made by ffmpeg -f lavfi (real encoders, small sizes, fast).
FFMPEG=${FFMPEG:-ffmpeg -hide_banner -loglevel error -nostdin -y}

# _media_opts [SIZE [GOP [FPS]]] [--] [EXTRA...]: sets size, gop, fps (the
# caller's locals) and the array _extra; "--" may come after any of them.
_media_opts() {
    local pos=()
    while [ $# -gt 0 ] && [ "$1" != -- ] && [ ${#pos[@]} -lt 3 ]; do pos+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    size=${pos[0]:-320x240} gop=${pos[1]:-2} fps=${pos[2]:-25}
    _extra=("$@")
}

# make_av OUT SECONDS [SIZE [GOP_SECONDS [FPS]]] [-- EXTRA FFMPEG OUTPUT ARGS]
# H.264 (fixed GOP, no scene cuts) + AAC stereo 48 kHz, container by OUT's extension.
make_av() {
    local out=$1 dur=$2 size gop fps
    shift 2
    _media_opts "$@"
    set -- ${_extra[@]+"${_extra[@]}"}
    $FFMPEG -f lavfi -i "testsrc2=size=$size:rate=$fps:duration=$dur" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$dur" \
        -c:v libx264 -preset ultrafast -g $((gop * fps)) -keyint_min $((gop * fps)) \
        -sc_threshold 0 -pix_fmt yuv420p -c:a aac -ac 2 -b:a 96k "$@" "$out"
}

# make_video OUT SECONDS [SIZE [GOP_SECONDS [FPS]]] [-- EXTRA]: video only.
make_video() {
    local out=$1 dur=$2 size gop fps
    shift 2
    _media_opts "$@"
    set -- ${_extra[@]+"${_extra[@]}"}
    $FFMPEG -f lavfi -i "testsrc2=size=$size:rate=$fps:duration=$dur" \
        -c:v libx264 -preset ultrafast -g $((gop * fps)) -keyint_min $((gop * fps)) \
        -sc_threshold 0 -pix_fmt yuv420p "$@" "$out"
}

# make_audio OUT SECONDS [-- EXTRA]: AAC (or what EXTRA says) only.
make_audio() {
    local out=$1 dur=$2
    shift 2
    [ "${1:-}" = -- ] && shift
    $FFMPEG -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$dur" \
        -c:a aac -ac 2 -b:a 96k "$@" "$out"
}

# probe FILE ENTRIES [STREAM]: ffprobe values, one per line (csv, no keys).
probe() {
    ffprobe -v error ${3:+-select_streams "$3"} -show_entries "$2" -of csv=p=0 "$1"
}
