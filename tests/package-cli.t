#!/usr/bin/env bash
# live-package's command line and bad input: help, usage errors (exit 2),
# bad records and unreadable rendition files (exit 3 after publishing the
# good ones).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/package-lib.sh"
plan 12

like "$(live-package -h)" '^usage: live-package' "-h prints usage on stdout"
ok "-h exits 0" live-package -h
live-package --bogus 2> "$T/err"; is "$?" 2 "unknown option: exit 2"
like "$(cat "$T/err")" 'usage: live-package' "usage on stderr"
live-package -t soon < /dev/null 2> "$T/err"; is "$?" 2 "bad -t: exit 2"
like "$(cat "$T/err")" '^live-package: error: -t' "bad -t is named"
like "$(live-package --version)" '^live-package [0-9]' "--version"

make_ladder "$T/spool" cam1 4 2 || { fail "make ladder"; exit 1; }
: > "$T/spool/cam1/1.240p.nut"   # an empty (unreadable) rendition file
{ ladder_records "$T/spool" cam1 4 2 | sed -n 1p
  echo 'this is not json'
  ladder_records "$T/spool" cam1 4 2 | sed -n 2p
  echo '{"type":"end","stream":"cam1","seq":2}'; } |
    live-package -C "$T/spool" -o "$T/out" --db "$T/live.db" 2> "$T/err"
is "$?" 3 "bad input: exit 3"
like "$(cat "$T/err")" 'not a JSON record' "the bad line is reported"
like "$(cat "$T/err")" 'segment 1 has an unreadable rendition file; published as a gap' "the unreadable file is reported"
is "$(sqlite3 "$T/live.db" "SELECT group_concat(seq || ':' || gap) FROM segments")" "0:0,1:1" "the good segment is published"
like "$(cat "$T/out/cam1/240p/index.m3u8")" '0\.m4s' "and listed"
