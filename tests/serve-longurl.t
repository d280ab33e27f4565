#!/usr/bin/env bash
# live-serve's access log against long and hostile request lines: a
# 12,000-byte URL (it once wrote past the 4,096-byte line buffer: run this
# under make SANITIZE=1 too), a long User-Agent and Referer, control
# characters in the target. Every request is one line of at most 4,096
# bytes, the fields after the target are kept, and the server lives on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 9

mkdir -p "$T/root"
start_serve -r "$T/root" --no-db -a "$T/access.log" || { fail "live-serve starts"; exit 1; }

long=$(head -c 12000 /dev/zero | tr '\0' 'a')
code=$(curl -s -o /dev/null -w '%{http_code}' -A "agent-one" "$URL/$long")
like "$code" '^4[0-9][0-9]$' "a 12,000-byte URL is refused ($code)"
curl -s -o /dev/null -A "$long" -e "$long" "$URL/short-$long"
curl -s -o /dev/null -A "agent-three" "$URL/a%0d%0a127.0.0.1%20-%20-%20forged"
# a raw request line with a control byte curl would not send
exec 3<>"/dev/tcp/127.0.0.1/${PORT}"
printf 'GET /x\001y HTTP/1.1\r\nHost: a\r\nUser-Agent: agent-four\r\nConnection: close\r\n\r\n' >&3
timeout 5 cat <&3 >/dev/null
exec 3<&-
wait_for 5 eval "[ \$(grep -vc ' /time ' '$T/access.log') -ge 4 ]"

is "$(grep -vc ' /time ' "$T/access.log")" 4 "one line per request"
ok "the server is still running" kill -0 "$SERVE_PID"
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/time")" 200 "and still answers"
is "$(awk 'length($0) >= 4096' "$T/access.log" | wc -l)" 0 "no line reaches 4,096 bytes"
like "$(grep -m1 'agent-one' "$T/access.log")" '\.\.\. HTTP/1\.1" [0-9]{3} [-0-9]+ "-" "agent-one"$' \
    "the long URL is cut; status and user agent are kept"
like "$(grep -m1 short- "$T/access.log")" '^127\.0\.0\.1 - - \[[^]]*\] "(GET|-) /short-a+\.\.\. (HTTP/1\.1|-)" [0-9]{3} [-0-9]+ "[^"]*" "[^"]*"$' \
    "long referer and user agent: the line keeps its shape"
like "$(grep -m1 'agent-four' "$T/access.log")" '"GET /x\\x01y HTTP/1\.1"' "a control byte is escaped"
like "$(grep -m1 'agent-three' "$T/access.log")" '"GET /a%0d%0a127' "an encoded CR LF stays encoded"
done_testing
