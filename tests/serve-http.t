#!/usr/bin/env bash
# live-serve over HTTP: content types, caching headers, validators, Range,
# keep-alive, CORS, /time, /, /streams.json, /watch, /assets, /metrics,
# the live-edge cache, the access log, the command line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 64

R=$T/out
mkdir -p "$R/cam1/720p" "$R/cam1/audio" "$R/old/480p"
head -c 100000 /dev/urandom > "$R/cam1/720p/3.m4s"
head -c 1000 /dev/urandom > "$R/cam1/720p/init.mp4"
printf '<?xml version="1.0"?>\n<MPD type="dynamic"/>\n' > "$R/cam1/manifest.mpd"
printf '#EXTM3U\n' > "$R/cam1/master.m3u8"
printf '#EXTM3U\n' > "$R/cam1/720p/index.m3u8"
printf '<MPD type="static"/>\n' > "$R/old/manifest.mpd"
head -c 2000 /dev/urandom > "$R/old/480p/0.m4s"
head -c 3000 /dev/urandom > "$T/cached"
DB=$T/live.db
serve_schema "$DB"
serve_stream "$DB" cam1 live 2 4
serve_stream "$DB" old vod 10 1
sqlite3 "$DB" "INSERT INTO edge_cache VALUES('cam1/720p/4.m4s', 'cam1', 4, '720p', readfile('$T/cached'), 1700000000.5)"

ok "live-serve -h" sh -c "live-serve -h >/dev/null"
like "$(live-serve -h)" "^usage: live-serve" "usage on stdout"
live-serve --bogus >/dev/null 2>&1; is $? 2 "unknown option: exit 2"
live-serve -c 0 >/dev/null 2>&1; is $? 2 "out-of-range number: exit 2"
live-serve -l 127.0.0.1:1 -r "$T/nonexistent" --no-db 2>/dev/null; is $? 1 "missing root: exit 1"
like "$(live-serve --version)" "^live-serve [0-9]" "--version"

start_serve -r "$R" -d "$DB" -a "$T/access.log"
ok "server answers" true

hdr() { curl -s -D - -o /dev/null "$@" | tr -d '\r'; }
h=$(hdr "$URL/cam1/manifest.mpd")
like "$h" "^HTTP/1.1 200" "manifest 200"
like "$h" "Content-Type: application/dash\+xml" "MPD content type"
like "$h" "Cache-Control: public, max-age=1$" "live manifest max-age 1 s"
like "$h" "ETag: \"" "ETag"
like "$h" "Last-Modified: [A-Z][a-z]{2}, " "Last-Modified"
like "$h" "Access-Control-Allow-Origin: \*" "CORS"
like "$(hdr "$URL/cam1/master.m3u8")" "Content-Type: application/vnd.apple.mpegurl" "HLS master type"
like "$(hdr "$URL/cam1/720p/index.m3u8")" "Content-Type: application/vnd.apple.mpegurl" "HLS media playlist type"
like "$(hdr "$URL/old/manifest.mpd")" "Cache-Control: public, max-age=60" "finished stream's manifest cached longer"
h=$(hdr "$URL/cam1/720p/init.mp4")
like "$h" "Content-Type: video/mp4" "init type"
like "$h" "Cache-Control: public, max-age=31536000, immutable" "init immutable"
h=$(hdr "$URL/cam1/720p/3.m4s")
like "$h" "Content-Type: video/iso.segment" "segment type"
like "$h" "Cache-Control: public, max-age=31536000, immutable" "segment immutable"
like "$h" "Content-Length: 100000" "segment length"
curl -s -o "$T/got" "$URL/cam1/720p/3.m4s"
ok "segment bytes are the file's" cmp -s "$T/got" "$R/cam1/720p/3.m4s"

etag=$(printf '%s\n' "$h" | sed -n 's/^ETag: //p')
lm=$(printf '%s\n' "$h" | sed -n 's/^Last-Modified: //p')
like "$(hdr -H "If-None-Match: $etag" "$URL/cam1/720p/3.m4s")" "^HTTP/1.1 304" "If-None-Match: 304"
like "$(hdr -H "If-None-Match: \"other\"" "$URL/cam1/720p/3.m4s")" "^HTTP/1.1 200" "other ETag: 200"
like "$(hdr -H "If-Modified-Since: $lm" "$URL/cam1/720p/3.m4s")" "^HTTP/1.1 304" "If-Modified-Since: 304"

h=$(hdr -r 100-199 "$URL/cam1/720p/3.m4s")
like "$h" "^HTTP/1.1 206" "Range: 206"
like "$h" "Content-Range: bytes 100-199/100000" "Content-Range"
curl -s -r 100-199 -o "$T/part" "$URL/cam1/720p/3.m4s"
ok "range bytes" cmp -s "$T/part" <(tail -c +101 "$R/cam1/720p/3.m4s" | head -c 100)
like "$(hdr -r 200000- "$URL/cam1/720p/3.m4s")" "^HTTP/1.1 416" "unsatisfiable range: 416"
like "$(hdr -r -10 "$URL/cam1/720p/3.m4s")" "Content-Range: bytes 99990-99999/100000" "suffix range"
like "$(hdr -H "If-Range: \"stale\"" -r 0-9 "$URL/cam1/720p/3.m4s")" "^HTTP/1.1 200" "If-Range mismatch: whole file"

h=$(hdr -I "$URL/cam1/720p/3.m4s")
like "$h" "^HTTP/1.1 200" "HEAD"
like "$h" "Content-Length: 100000" "HEAD has the length"
v=$(curl -sv -o /dev/null -o /dev/null "$URL/cam1/manifest.mpd" "$URL/cam1/720p/init.mp4" 2>&1)
like "$v" "Re-using existing connection" "keep-alive"
h=$(curl -s -D - -o /dev/null -X OPTIONS -H "Origin: http://other.example" \
    -H "Access-Control-Request-Method: GET" -H "Access-Control-Request-Headers: range" "$URL/cam1/720p/3.m4s" | tr -d '\r')
like "$h" "^HTTP/1.1 204" "CORS preflight 204"
like "$h" "Access-Control-Allow-Headers: range" "preflight allows Range"
like "$(hdr -X POST "$URL/cam1/720p/3.m4s")" "^HTTP/1.1 405" "POST to a file: 405"

# The live-edge cache: a segment in the db, not in the tree.
h=$(hdr "$URL/cam1/720p/4.m4s")
like "$h" "^HTTP/1.1 200" "edge-cache segment served"
like "$h" "Content-Type: video/iso.segment" "edge-cache segment type"
curl -s -o "$T/got" "$URL/cam1/720p/4.m4s"
ok "edge-cache bytes" cmp -s "$T/got" "$T/cached"
like "$(hdr -r 0-9 "$URL/cam1/720p/4.m4s")" "Content-Range: bytes 0-9/3000" "Range on a cached blob"

# The memory cache: small segments are kept after the first request; a
# file replaced at the same path (a restarted stream) is not served stale.
head -c 10000 /dev/urandom > "$R/cam1/720p/2.m4s"
curl -s -o /dev/null "$URL/cam1/720p/2.m4s"
curl -s -o "$T/got" "$URL/cam1/720p/2.m4s"
ok "small segment served (twice)" cmp -s "$T/got" "$R/cam1/720p/2.m4s"
like "$(curl -s "$URL/metrics")" 'live_serve_memory_hits_total [1-9]' "the second from memory"
head -c 10000 /dev/urandom > "$T/new"
publish "$T/new" "$R/cam1/720p/2.m4s"
curl -s -o "$T/got" "$URL/cam1/720p/2.m4s"
ok "a replaced file is served new, not from memory" cmp -s "$T/got" "$T/new"
rm "$R/cam1/720p/2.m4s"
like "$(hdr "$URL/cam1/720p/2.m4s")" "^HTTP/1.1 404" "a removed file is not served from memory"
curl -s -o "$T/got" "$URL/cam1/720p/4.m4s"
ok "edge-cache segment again (from memory)" cmp -s "$T/got" "$T/cached"

h=$(hdr "$URL/cam1/720p/99.m4s")
like "$h" "^HTTP/1.1 404" "missing segment: 404 at once (not next)"
like "$h" "Cache-Control: no-store" "404 not cached"
like "$(hdr "$URL/nothing/manifest.mpd")" "^HTTP/1.1 404" "unknown stream: 404"

t=$(curl -s "$URL/time")
like "$t" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$" "/time is ISO 8601 UTC"
d=$(( $(date -u +%s) - $(date -u -d "$t" +%s) ))
cmp_num "${d#-}" -le 2 "/time is now"
like "$(hdr "$URL/time")" "Cache-Control: no-store" "/time not cached"

idx=$(curl -s "$URL/")
like "$idx" 'href="/watch/cam1"' "index lists the live stream"
like "$idx" 'href="/watch/old"' "index lists the finished stream"
j=$(curl -s "$URL/streams.json")
is "$(printf '%s' "$j" | jq -r '[.[] | .name + ":" + .state] | join(",")')" "cam1:live,old:vod" "streams.json"
like "$(hdr "$URL/watch/cam1")" "^HTTP/1.1 200" "player page"
like "$(curl -s "$URL/watch/cam1")" "dash.all.min.js" "the page loads dash.js from this server"
like "$(hdr "$URL/watch/nope")" "^HTTP/1.1 404" "player page of an unknown stream: 404"
like "$(hdr "$URL/assets/dash.all.min.js")" "Content-Type: text/javascript" "dash.js served"
like "$(hdr "$URL/assets/hls.min.js")" "^HTTP/1.1 200" "hls.js served"
m=$(curl -s "$URL/metrics")
like "$m" 'live_serve_requests_total\{code="200"\} [1-9]' "metrics: requests by status"
like "$m" 'live_serve_cache_hits_total [1-9]' "metrics: cache hits"
like "$m" 'live_serve_streams\{state="live"\} 1' "metrics: streams"

like "$(grep -m1 manifest.mpd "$T/access.log")" '^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] "GET /cam1/manifest.mpd HTTP/1.1" 200 [0-9]+ "-" "curl/' "access log: combined format"
done_testing
