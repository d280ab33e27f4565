#!/usr/bin/env bash
# The player page without its players: live-serve warns at start when
# dash.all.min.js or hls.min.js is missing from its assets, and make
# install refuses to install such a page (scripts/www-assets --check).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 8

mkdir -p "$T/root" "$T/bare" "$T/full"
cp "$TOP/www/watch.html" "$T/bare/"
cp "$TOP/www/watch.html" "$T/full/"
: > "$T/full/dash.all.min.js"
: > "$T/full/hls.min.js"

start_serve -r "$T/root" --no-db --assets "$T/bare" || { echo "Bail out! live-serve did not start"; exit 1; }
like "$(cat "$T/serve.err")" "warning: $T/bare: dash.all.min.js and hls.min.js missing: the player page cannot play" \
    "players missing: a warning at start naming them"
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/assets/dash.all.min.js")" 404 "and they are indeed 404"
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
: > "$T/serve.err"
start_serve -r "$T/root" --no-db --assets "$T/full" || { echo "Bail out! live-serve did not start"; exit 1; }
unlike "$(cat "$T/serve.err")" "missing" "players present: no warning"
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null

"$TOP/scripts/www-assets" --check "$T/bare" 2> "$T/check.err"
is "$?" 1 "www-assets --check: a page without players fails"
like "$(cat "$T/check.err")" "lacks dash.all.min.js hls.min.js" "and says what is missing"
"$TOP/scripts/www-assets" --check "$T/full"
is "$?" 0 "with them it passes"
# make install checks before it copies anything
out=$(make -s -n -C "$TOP" install DESTDIR="$T/inst" 2>/dev/null)
like "$out" "www-assets --check" "make install runs the check"
is "$(printf '%s\n' "$out" | grep -m1 -E "www-assets --check|$T/inst" | grep -c 'www-assets --check')" 1 \
    "before it creates or copies anything"
