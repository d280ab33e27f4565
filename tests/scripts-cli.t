#!/usr/bin/env bash
# The scripts' command lines follow the C programs': -h/--help/--version
# on stdout with exit 0, usage errors as "PROGRAM: error: ..." with exit 2.
. "$(dirname "$0")/lib.sh"
plan 40

for p in live-pipeline live-vod live-edge live-farm; do
    out=$("$p" -h 2> "$T/err"); st=$?
    is "$st" 0 "$p -h: exit 0"
    like "$out" "^usage: $p " "$p -h: the usage line first, on stdout"
    is "$(cat "$T/err")" "" "$p -h: nothing on stderr"
    is "$("$p" --help 2> /dev/null)" "$out" "$p --help: the same text"
    out=$("$p" --version 2> "$T/err"); st=$?
    is "$st" 0 "$p --version: exit 0"
    like "$out" "^$p [0-9]+\.[0-9]+" "$p --version: name and version on stdout"
    "$p" --no-such-option > "$T/out" 2> "$T/err"; st=$?
    is "$st" 2 "$p --no-such-option: exit 2"
    like "$(head -1 "$T/err")" "^$p: error: .*no-such-option" "$p: the error names the option, with the prefix"
    is "$(cat "$T/out")" "" "$p: nothing on stdout"
    "$p" -X > /dev/null 2> "$T/err"
    like "$(head -1 "$T/err")" "^$p: error: " "$p -X: the error prefix"
done
