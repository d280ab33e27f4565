#!/usr/bin/env bash
# live-serve refuses every form of path traversal: 400, 403 or 404, and
# never a byte from outside ROOT (plain and encoded dot-dot, encoded
# slashes and backslashes, NUL, absolute paths and URLs, symlinks out).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"

R=$T/root
mkdir -p "$R/cam1/720p" "$T/outside"
echo TOPSECRET-1 > "$T/secret"
echo TOPSECRET-2 > "$T/outside/secret"
echo inside > "$R/cam1/720p/0.m4s"
echo '<MPD type="static"/>' > "$R/cam1/manifest.mpd"
echo hidden > "$R/cam1/.hidden"
ln -s ../../secret "$R/cam1/up"                 # relative, out of ROOT
ln -s "$T/secret" "$R/cam1/abs"                 # absolute, out of ROOT
ln -s "$T/outside" "$R/cam1/dir"                # a directory out of ROOT
ln -s /etc "$R/etc"
ln -s 720p/0.m4s "$R/cam1/in.m4s"               # stays inside: allowed

start_serve -r "$R" --no-db -a "$T/access.log"

forms=(
    "/../secret" "/cam1/../../secret" "/cam1/720p/../../../secret"
    "/%2e%2e/secret" "/%2E%2E/secret" "/cam1/%2e%2e/%2e%2e/secret" "/.%2e/secret" "/%2e./secret"
    "/cam1/..%2f..%2fsecret" "/cam1%2f..%2f..%2fsecret" "/..%2fsecret" "/%2f%2e%2e%2fsecret"
    "/cam1/..%5c..%5csecret" "/cam1\\..\\..\\secret" "/..\\secret" "/%5c..%5csecret"
    "/cam1/%252e%252e/%252e%252e/secret" "/%c0%ae%c0%ae/secret" "/%c0%af../secret"
    "/cam1/0.m4s%00.mpd" "/secret%00" "/%00/../secret"
    "//secret" "///etc/passwd" "/%2fetc%2fpasswd" "/etc/passwd" "/etc/hostname"
    "/cam1/up" "/cam1/abs" "/cam1/dir/secret" "/cam1/.hidden" "/cam1/./up" "/./cam1/up"
    "/assets/../../secret" "/assets/%2e%2e/%2e%2e/secret" "/assets/..%2f..%2fsecret"
    "/watch/../../secret" "/watch/%2e%2e%2f%2e%2e%2fsecret"
)
plan $(( ${#forms[@]} * 2 + 10 ))

for f in "${forms[@]}"; do
    body=$(curl -s --path-as-is -o - -w '\n%{http_code}' "$URL$f")
    code=${body##*$'\n'}
    like "$code" '^(400|403|404)$' "refused: $f ($code)"
    unlike "$body" "TOPSECRET|root:x:0" "no byte from outside: $f"
done

# Forms curl will not send: raw request lines.
raw() {
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    printf '%s' "$1" >&3
    timeout 5 cat <&3
    exec 3<&-
}
r=$(raw $'GET ../secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
like "$r" "^HTTP/1.1 (400|403|404)" "relative request target refused"
unlike "$r" TOPSECRET "no secret for a relative target"
r=$(raw $'GET http://127.0.0.1/../secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
like "$r" "^HTTP/1.1 (400|403|404)" "absolute-form URL with dot-dot refused"
unlike "$r" TOPSECRET "no secret for an absolute URL"
r=$(printf 'GET /cam1/\000../../secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; cat <&3" 2>/dev/null)
unlike "$r" TOPSECRET "literal NUL in the request line"
like "$(curl -s -o /dev/null -w '%{http_code}' "$URL/cam1/in.m4s")" '^200$' "a symlink inside ROOT is followed"
is "$(curl -s "$URL/cam1/720p/0.m4s")" inside "normal files still served"
like "$(curl -s -o /dev/null -w '%{http_code}' "$URL/cam1/")" '^404$' "a directory is not listed"
kill -0 "$SERVE_PID"; is $? 0 "server still running"
like "$(grep -c ' 40[034] ' "$T/access.log")" '^[1-9]' "refusals logged"
done_testing
