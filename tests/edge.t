#!/usr/bin/env bash
# live-edge: nginx on loopback in front of two live-serve origins.
# Request coalescing (1,000 requests for a new segment -> one origin
# request, counted from the origins' /metrics), manifest refresh storms,
# failover when an origin dies, throttling with Retry-After.
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || skip_all "needs nginx (scripts/deps)"
command -v live-serve >/dev/null || skip_all "live-serve is not built"
plan 32

# --- the configuration ---------------------------------------------------
live-edge -h > "$T/help"
is "$?" 0 "-h exits 0"
like "$(cat "$T/help")" '^usage: live-edge' "-h prints usage"
live-edge -p "$T/x" 2> "$T/err"
is "$?" 2 "no origin: exit 2"
live-edge -p "$T/x" -S 404 127.0.0.1:1 2> /dev/null
is "$?" 2 "a limit status other than 429/503: exit 2"
live-edge -p "$T/x" 127.0.0.1 2> /dev/null
is "$?" 2 "an origin without a port: exit 2"

conf=$(live-edge -n -d 6 -m 1 127.0.0.1:1001 127.0.0.1:1002)
like "$conf" 'proxy_cache_lock on;' "config: cache lock on"
like "$conf" 'proxy_cache_lock_timeout 8s;' "config: lock timeout follows the segment duration (-d 6)"
like "$conf" 'proxy_cache_use_stale updating' "config: stale manifests served while one request updates"
like "$conf" 'proxy_cache_background_update on;' "config: manifests refreshed in the background"
like "$conf" 'keepalive [0-9]+;' "config: upstream keepalive"
like "$conf" 'server 127.0.0.1:1002 max_fails=1 fail_timeout=5s;' "config: both origins, passive health checks"
like "$conf" 'proxy_next_upstream error timeout' "config: failover on errors and timeouts"
ok "nginx accepts the configuration (-t)" live-edge -t -p "$T/x" 127.0.0.1:1001 127.0.0.1:1002

# --- two origins, one edge -----------------------------------------------
# Workers run as nobody when the test runs as root: let them reach $T.
chmod 711 "$T"
mkdir -p "$T/out/cam/240p"
pa=$(free_port); pb=$(free_port); pe=$(free_port)
bg live-serve -l "127.0.0.1:$pa" -r "$T/out" --db "$T/live.db" 2> "$T/a.log"
pid_a=$!
bg live-serve -l "127.0.0.1:$pb" -r "$T/out" --db "$T/live.db" 2> "$T/b.log"
bg live-edge -l "127.0.0.1:$pe" -p "$T/edge" -d 10 -r 0 -c 0 "127.0.0.1:$pa" "127.0.0.1:$pb" 2> "$T/edge.log"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$pa/metrics" || diag "origin A did not start"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$pb/metrics" || diag "origin B did not start"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$pe/" || diag "edge did not start"

# requests an origin has answered, from its /metrics (the scrape itself
# counts once; subtracted by the caller through the baseline).
requests() {
    curl -sf "http://127.0.0.1:$1/metrics" | awk '/^live_serve_requests_total[{ ]/ { n += $NF } END { print n + 0 }'
}
both() { echo $(( $(requests "$pa") + $(requests "$pb") )); }
b1=$(both); b2=$(both)
scrape=$((b2 - b1))

publish() { # publish SRC DEST: the way live-package does, write then rename
    cp "$1" "$T/out/.tmp.$$" && mv "$T/out/.tmp.$$" "$T/out/$2"
}
head -c 200000 /dev/urandom > "$T/seg"

# 1,000 concurrent requests for a segment just published.
publish "$T/seg" cam/240p/7.m4s
before=$(both)
node "$TOP/tests/http-load.js" "http://127.0.0.1:$pe/cam/240p/7.m4s" 1000 > "$T/r1"
after=$(both)
is "$(jq -r '.status["200"]' "$T/r1")" 1000 "1,000 concurrent segment requests: all 200"
is "$(jq -r '.bytes' "$T/r1")" 200000000 "every answer complete"
is "$((after - before - scrape))" 1 "they cost the origins exactly one request"

# 1,000 requests for the next segment before it is published: they are
# all sent, the one the edge lets through waits at an origin (live-serve
# holds a request for the segment after a recent one), then the segment
# lands.
waits() {
    curl -sf "http://127.0.0.1:$1/metrics" | awk '/^live_serve_waits_total\{outcome="published"\}/ { print $NF }'
}
publish "$T/seg" cam/240p/7.m4s    # the previous segment, recent
w_before=$(( $(waits "$pa") + $(waits "$pb") ))
before=$(both)
LOAD_READY=$T/sent node "$TOP/tests/http-load.js" "http://127.0.0.1:$pe/cam/240p/8.m4s" 1000 > "$T/r2" &
load=$!
wait_for 30 test -e "$T/sent" || diag "the requests were not all sent"
sleep 0.5
publish "$T/seg" cam/240p/8.m4s
wait "$load"
after=$(both)
is "$(jq -r '.status["200"]' "$T/r2")" 1000 "1,000 requests waiting for a segment: all 200 once it lands"
is "$(( $(waits "$pa") + $(waits "$pb") - w_before ))" 1 "one request waited at an origin for it"
is "$((after - before - scrape))" 1 "they cost the origins exactly one request"

# Manifest requests for three seconds: as many as wrk makes over 50
# kept-alive connections (at least 1,000: a count, which a loaded machine
# under the sanitizers also reaches, not a rate), at most four origin
# requests (the first fetch and one refresh each time the 1 s manifest
# cache expired).
printf '<?xml version="1.0"?>\n<MPD type="dynamic"/>\n' > "$T/mpd"
publish "$T/mpd" cam/manifest.mpd
before=$(both)
wrk -t1 -c50 -d3s "http://127.0.0.1:$pe/cam/manifest.mpd" > "$T/r3" 2>&1
after=$(both)
n=$(awk '/requests in/ { print $1 }' "$T/r3")
cmp_num "${n:-0}" -ge 1000 "at least 1,000 manifest requests in three seconds (${n:-0})"
unlike "$(cat "$T/r3")" 'Non-2xx|Socket errors' "all of them 200"
cmp_num "$((after - before - scrape))" -le 4 "they cost the origins at most four requests"
note "segment: $(jq -c .cache "$T/r1"); manifests: ${n:-0} in 3 s, $((after - before - scrape)) at the origins"

# Failover: origin A dies; new segments still come, all through B.
for i in $(seq 20 39); do publish "$T/seg" "cam/240p/$i.m4s"; done
kill -9 "$pid_a"
wait "$pid_a" 2> /dev/null
b_before=$(requests "$pb")
codes=$(for i in $(seq 20 39); do
    curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$pe/cam/240p/$i.m4s"
done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
is "$codes" "200:20 " "origin A killed: 20 new segments all 200 through the edge"
cmp_num "$(( $(requests "$pb") - b_before ))" -ge 20 "origin B answered them"
# Connection pooling: those 20 misses, one after the other, went over the
# edge's kept-alive connections; they are still open, and few.
pool=$(ss -Htn state established "( dport = :$pb )" | wc -l)
cmp_num "$pool" -ge 1 "the edge keeps its connections to the origin open"
cmp_num "$pool" -le 3 "and reuses them ($pool for 20 requests)"

# --- throttling ----------------------------------------------------------
pt=$(free_port)
bg live-edge -l "127.0.0.1:$pt" -p "$T/edge2" -r 5 -b 5 -c 0 -R 2 "127.0.0.1:$pb" 2> "$T/edge2.log"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$pt/" || diag "edge 2 did not start"
sleep 1.2    # the probes above spent part of the burst
node "$TOP/tests/http-load.js" "http://127.0.0.1:$pt/cam/240p/7.m4s" 100 > "$T/r4"
cmp_num "$(jq -r '.status["429"] // 0' "$T/r4")" -ge 80 "past the rate limit: 429"
is "$(jq -r '.retry_after' "$T/r4")" "$(jq -r '.status["429"] // 0' "$T/r4")" "every 429 carries Retry-After"
cmp_num "$(jq -r '.status["200"] // 0' "$T/r4")" -ge 5 "the burst is served"
is "$(jq -c '.retry_after_values' "$T/r4")" '["2"]' "Retry-After is what -R says"

# A connection limit answered with 503: six slow clients at once for a
# 32 MB file, each holding its connection for a second; the edge allows two.
pc=$(free_port)
head -c 32000000 /dev/zero > "$T/big"
publish "$T/big" cam/240p/big.mp4
bg live-edge -l "127.0.0.1:$pc" -p "$T/edge3" -r 0 -c 2 -S 503 "127.0.0.1:$pb" 2> "$T/edge3.log"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$pc/" || diag "edge 3 did not start"
curl -s -o /dev/null "http://127.0.0.1:$pc/cam/240p/big.mp4"     # into the cache
node "$TOP/tests/http-load.js" "http://127.0.0.1:$pc/cam/240p/big.mp4" 6 0 1000 > "$T/r5"
is "$(jq -r '.status["503"] // 0' "$T/r5")" 4 "past the connection limit: 503"
is "$(jq -r '.retry_after' "$T/r5")" 4 "every 503 carries Retry-After"

done_testing
