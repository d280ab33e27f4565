#!/usr/bin/env bash
# Every libFuzzer target in fuzz/ builds, replays its committed corpus
# (seeds and the inputs of past crashes) without a finding, and survives a
# few seconds of fresh fuzzing (FUZZ_CHECK_SECONDS, default 3), so a
# regression in a parser shows up in `make check`. Longer runs: make fuzz.
. "$(dirname "$0")/lib.sh"

command -v clang >/dev/null 2>&1 || skip_all "clang is not installed (scripts/deps)"
targets=()
for f in "$TOP"/fuzz/*.c; do
    [ -f "$f" ] || continue
    n=${f##*/}
    targets+=("${n%.c}")
done
[ ${#targets[@]} -gt 0 ] || skip_all "no fuzz targets"
secs=${FUZZ_CHECK_SECONDS:-3}

plan $((1 + ${#targets[@]}))
ok "fuzz targets build" "$TOP/scripts/fuzz" -b
for t in "${targets[@]}"; do
    # libFuzzer runs every committed input first, then fuzzes.
    row=$(FUZZ_SECONDS=$secs "$TOP/scripts/fuzz" -w "$T/corpus" "$t" 2>"$T/$t.err")
    like "$row" "^fuzz-$t	[1-9][0-9]*	.*	ok\$" \
        "$t: the committed corpus and ${secs}s of fuzzing find nothing"
    case $row in *"	ok") ;; *) diag "$(cat "$T/$t.err")" ;; esac
    note "$row"
done
done_testing
