#!/usr/bin/env bash
# Stream names: the names live-serve routes at the top of its URL space
# (api, assets, metrics, streams.json, time, watch, whep, whip; any case)
# are refused at publish by live-ingest (NetStream.Publish.BadName with
# the rule in the message) and by every stage's name check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 9

make_av "$T/src.flv" 2 || { fail "make media"; exit 1; }
mkdir -p "$T/out"
start_ingest "$T/log" -o "$T/out" -g 0.3

nok "publishing 'watch': ffmpeg fails" publish "$T/src.flv" "watch" 2> "$T/e1"
like "$(cat "$T/e1")" "none of the names live-serve routes" "the publisher is told the rule"
like "$(cat "$T/log")" "NetStream.Publish.BadName.*live-serve routes: api assets" \
    "the refusal is logged with its code and the rule"
nok "publishing 'Streams.JSON': refused too" publish "$T/src.flv" "Streams.JSON" 2>/dev/null
is "$(ls -A "$T/out")" "" "nothing written for refused names"
ok "a name that only starts like one ('watching') is published" publish "$T/src.flv" "watching"

live-segment -s api -o "$T/spool" < "$T/src.flv" > /dev/null 2> "$T/seg.err"
is "$?" 2 "live-segment -s api: usage error (exit 2)"
like "$(cat "$T/seg.err")" "not a valid stream name.*live-serve routes" "with the rule"
printf '{"type":"end","stream":"metrics","seq":0}\n' |
    live-package -C "$T/spool" -o "$T/pkg" --db "$T/db" > /dev/null 2> "$T/pkg.err"
is "$?" 3 "live-package: a record for 'metrics' is bad input (exit 3)"
