#!/usr/bin/env bash
# live-ingest -k: a wrong key, no key, and a second publisher on a busy
# NAME are refused with an error onStatus (ffmpeg exits non-zero) and
# nothing is written for them; keys may sit in the name or the app; the
# key file is re-read on SIGHUP (a broken one keeps the keys in force).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
plan 21

make_av "$T/src.flv" 3 || { fail "make media"; exit 1; }
mkdir -p "$T/out"
printf '# name secret\ncam1 s3cret\n\ncam2\tother%%x\nobs k3y\n' > "$T/keys"
start_ingest "$T/log" -k "$T/keys" -o "$T/out" -g 0.3

nok "wrong key: ffmpeg fails" publish "$T/src.flv" "cam1?key=bad" 2> "$T/e1"
like "$(cat "$T/e1")" "wrong key" "the publisher is told why (onStatus error)"
like "$(cat "$T/log")" "NetStream.Publish.Denied.*cam1: wrong key" "refusal logged with its status code"
nok "no key: ffmpeg fails" publish "$T/src.flv" "cam1" 2> "$T/e2"
like "$(cat "$T/e2")" "no key" "the publisher is told the key is missing"
nok "unknown name: ffmpeg fails" publish "$T/src.flv" "cam9?key=s3cret" 2>/dev/null
is "$(ls -A "$T/out")" "" "nothing written for refused publishers"

# A good publisher, live-paced, and a second one on the same NAME meanwhile.
publish "$T/src.flv" "cam1?key=s3cret" -re 2> "$T/e3" &
P1=$!
wait_for 5 grep -q "cam1: published" "$T/log"
nok "second publisher on a busy NAME: ffmpeg fails" publish "$T/src.flv" "cam1?key=s3cret" 2> "$T/e4"
like "$(cat "$T/e4")" "already being published" "the second publisher is told the NAME is busy"
wait "$P1"
is "$?" 0 "the first publisher is unaffected"
wait_for 5 test -f "$T/out/cam1.flv"
is "$(counts "$T/out/cam1.flv")" "$(counts "$T/src.flv")" "its output is complete"

# OBS-style and key-in-app forms, percent-encoded key.
ok "key in the app (rtmp://HOST/live?key=S/NAME), %-encoded" \
    ffmpeg -hide_banner -loglevel error -nostdin -i "$T/src.flv" -c copy -f flv \
    "rtmp://127.0.0.1:$PORT/live?key=other%25x/cam2"
wait_for 5 test -f "$T/out/cam2.flv"
is "$(counts "$T/out/cam2.flv")" "$(counts "$T/src.flv")" "cam2 complete"

# OBS's form: server rtmp://HOST/live, stream key "NAME?key=SECRET" (its
# librtmp sends app "live" and the key as the publish name).
ok "OBS form: server .../live, stream key NAME?key=SECRET" \
    ffmpeg -hide_banner -loglevel error -nostdin -i "$T/src.flv" -c copy -f flv \
    -rtmp_app live -rtmp_playpath "obs?key=k3y" "rtmp://127.0.0.1:$PORT"
wait_for 5 test -f "$T/out/obs.flv"
is "$(counts "$T/out/obs.flv")" "$(counts "$T/src.flv")" "obs complete"

# SIGHUP re-reads the key file.
printf 'cam3 newkey\n' > "$T/keys"
kill -HUP "$INGEST_PID"
wait_for 5 grep -q "1 keys loaded" "$T/log"
nok "after SIGHUP the old key is gone" publish "$T/src.flv" "cam1?key=s3cret" 2>/dev/null
ok "after SIGHUP the new key works" publish "$T/src.flv" "cam3?key=newkey"
printf 'cam3 newkey extra-field\n' > "$T/keys"
kill -HUP "$INGEST_PID"
wait_for 5 grep -q "keeping the keys in force" "$T/log"
wait_for 10 grep -q "cam3: stream ended" "$T/log" # the NAME is free again
ok "a broken key file on SIGHUP keeps the keys in force" publish "$T/src.flv" "cam3?key=newkey"

# Without -k a key in the URL is not checked: the publish goes on (from
# loopback) and the log says the key was ignored.
kill "$INGEST_PID"; wait "$INGEST_PID" 2>/dev/null
PORT=$(free_port)
mkdir -p "$T/out2"
start_ingest "$T/log2" -o "$T/out2" -g 0.3
ok "no key file: a publisher with ?key= is accepted" publish "$T/src.flv" "cam5?key=whatever"
like "$(cat "$T/log2")" "warning: .*cam5: \?key= ignored: no key file" "and told in the log that its key was ignored"
publish "$T/src.flv" "cam6" 2> /dev/null
unlike "$(grep cam6 "$T/log2")" "key= ignored" "no such warning without a key"
