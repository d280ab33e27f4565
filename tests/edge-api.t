#!/usr/bin/env bash
# live-edge never caches the API (/api/position/NAME.m3u8 once matched the
# playlist location and one user's answer went to everyone), its cache key
# has no query string (the origin ignores it: a query made up per request
# missed every time), and the origin, trusting the edge (--trusted-proxy),
# sees the viewer's address behind it.
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || skip_all "needs nginx (scripts/deps)"
command -v live-serve >/dev/null || skip_all "live-serve is not built"
plan 13

chmod 711 "$T"    # workers run as nobody when the test runs as root
mkdir -p "$T/out/cam/240p"
echo 'alice pw' | live-resume -d "$T/live.db" user add alice
echo 'bob pw' | live-resume -d "$T/live.db" user add bob
po=$(free_port); pe=$(free_port)
bg live-serve -l "127.0.0.1:$po" -r "$T/out" --db "$T/live.db" -a "$T/origin.log" \
    --trusted-proxy 127.0.0.1 2> "$T/serve.err"
bg live-edge -l "127.0.0.1:$pe" -p "$T/edge" -d 2 -r 0 -c 0 "127.0.0.1:$po" 2> "$T/edge.log"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$po/time" || diag "origin did not start"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$pe/time" || diag "edge did not start"
E=http://127.0.0.1:$pe

# login USER PASSWORD: the session token, logged in through the edge
login() {
    curl -s -D - -o /dev/null -H "Origin: $E" -H 'Content-Type: application/json' \
        --data-binary "{\"user\":\"$1\",\"password\":\"$2\"}" "$E/api/login" |
        sed -n 's/^Set-Cookie: live_session=\([^;]*\);.*/\1/ip' | tr -d '\r'
}
A=$(login alice 'alice pw'); B=$(login bob 'bob pw')
is "${#A}:${#B}" "43:43" "alice and bob log in through the edge"
put() {
    curl -s -o /dev/null -w '%{http_code}' -X PUT -b "live_session=$1" -H "Origin: $E" \
        -H 'Content-Type: application/json' --data-binary "{\"seconds\":$2}" "$E/api/position/x.m3u8"
}
is "$(put "$A" 10)$(put "$B" 20)" 204204 "each saves a position for a stream named x.m3u8"
get() { curl -s -D "$T/h" -b "live_session=$1" "$E/api/position/x.m3u8" | jq -r .seconds; }
is "$(get "$A")" 10 "alice reads hers"
is "$(get "$B")" 20 "bob reads his, not alice's from the cache"
unlike "$(grep -i '^x-cache-status' "$T/h")" 'HIT' "the API is not answered from the cache"
is "$(curl -s -o /dev/null -w '%{http_code}' "$E/api/position/x.m3u8")" 401 "without a cookie: 401, not a cached answer"

# The query string is not in the key of the tree's files.
head -c 5000 /dev/urandom > "$T/out/cam/240p/.t" && mv "$T/out/cam/240p/.t" "$T/out/cam/240p/0.m4s"
printf '<MPD type="static"/>\n' > "$T/out/cam/.m" && mv "$T/out/cam/.m" "$T/out/cam/manifest.mpd"
status() { curl -s -o /dev/null -D - "$E$1" | tr -d '\r' | sed -n 's/^X-Cache-Status: //Ip'; }
status /cam/240p/0.m4s?v=1 > /dev/null
is "$(status /cam/240p/0.m4s?v=2)" HIT "a segment with another query: a cache hit"
is "$(status '/cam/240p/0.m4s?x='$RANDOM)" HIT "and with a made-up one"
status /cam/manifest.mpd?a=1 > /dev/null
is "$(status /cam/manifest.mpd?b=2)" HIT "a manifest with another query: a cache hit"
is "$(grep -c 'GET /cam/240p/0.m4s' "$T/origin.log")" 1 "the origin was asked once for the segment"
status /assets/player.js?v=1 > /dev/null
is "$(status /assets/player.js?v=$RANDOM)" HIT "a player script with a made-up query: a cache hit"

# The viewer's address reaches the origin's log (and its limits).
curl -s -o /dev/null --interface 127.0.0.3 -H 'X-Forwarded-For: 6.6.6.6' "$E/time"
wait_for 5 grep -q 'GET /time' "$T/origin.log"
like "$(grep 'GET /time' "$T/origin.log" | tail -1)" '^127\.0\.0\.3 ' \
    "the origin logs the viewer behind the edge, not a forged X-Forwarded-For"
like "$(live-edge -n 127.0.0.1:1)" 'location \^~ /api/' "the API location comes before the regular expressions"
done_testing
