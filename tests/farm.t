#!/usr/bin/env bash
# live-farm: live-transcode spread over three ssh hosts on this machine
# (sshd on 127.0.0.2, .3, .4 with throwaway keys) matches a one-host run;
# a host killed mid-run still yields every segment exactly once.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/sshhosts.sh"

command -v parallel >/dev/null && command -v rsync >/dev/null && [ -x /usr/sbin/sshd ] \
    || skip_all "needs GNU parallel, rsync and sshd (scripts/deps)"
plan 29

live-farm -h > "$T/help"
is "$?" 0 "-h exits 0"
like "$(cat "$T/help")" "^usage: live-farm" "-h prints usage"
live-farm -C "$T" < /dev/null 2> "$T/err"
is "$?" 2 "no hosts: exit 2"
like "$(cat "$T/err")" '^live-farm: error: no hosts' "usage error says so"

sshhosts_start 3 || { cat "$T"/ssh/*.log >&2; echo "Bail out! sshd hosts did not start"; exit 1; }

LADDER=(-l 240p:300k)
farm() { live-farm -v --ssh "$SSH_CMD" --remote-path "${REMOTE_PATH:-$LIVE_BIN}" "$@" -- "${LADDER[@]}"; }

# A 60 s 320x240 stream, 2 s GOP, cut into 10 s segments; the same
# segments in three spools.
make_av "$T/src.mp4" 60 320x240 2 10
live-segment -s cam -d 10 -o "$T/one" "$T/src.mp4" > "$T/segs" 2> "$T/seg.err"
is "$(grep -c '"type":"segment"' "$T/segs")" 6 "live-segment cut 6 segments"
cp -a "$T/one" "$T/three"
cp -a "$T/one" "$T/kill"

# summary of a renditions stream: seq start duration, and per rendition
# its id and the frame count and first timestamp of its file.
summary() {
    local spool=$1 out=$2 rec path
    jq -r 'select(.type == "renditions") | [.seq, .start, .duration, (.failed // false)] | @tsv' "$out" | sort -n
    jq -r 'select(.type == "renditions") | .renditions[] | .path' "$out" | sort -V | while read -r path; do
        printf '%s %s\n' "${path#*/}" \
            "$(ffprobe -v error -count_packets -show_entries stream=nb_read_packets,start_time -of csv=p=0 "$spool/$path" | tr '\n' ' ')"
    done
}

# One host.
t0=$(date +%s.%N)
farm -C "$T/one" -S 127.0.0.2 < "$T/segs" > "$T/one.out" 2> "$T/one.err"
is "$?" 0 "one host: exit 0"
note "one host: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
is "$(grep -c '"type":"renditions"' "$T/one.out")" 6 "one host: 6 renditions records"

# Three hosts, the records arriving one every 1.2 s as from a live
# live-segment: the first renditions record must come out while the input
# is still arriving, not at its end.
t0=$(date +%s.%N)
( while IFS= read -r line; do printf '%s\n' "$line"; sleep 1.2; done < "$T/segs"; touch "$T/input-ended" ) \
    | farm -C "$T/three" -S "$SSH_HOSTS" 2> "$T/three.err" \
    | while IFS= read -r line; do
          [ -s "$T/three.out" ] || { [ -e "$T/input-ended" ] && echo late || echo early; } > "$T/first"
          printf '%s\n' "$line" >> "$T/three.out"
      done
is "${PIPESTATUS[1]}" 0 "three hosts: exit 0"
is "$(cat "$T/first")" early "records flow out while the input is still coming"
note "three hosts: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
is "$(grep -c '"type":"renditions"' "$T/three.out")" 6 "three hosts: 6 renditions records"
is "$(tail -n 1 "$T/three.out" | jq -r '.type + " " + (.seq | tostring)')" "end 6" \
    "the end record comes last"
hosts_used=$(grep -o 'done on 127\.0\.0\.[0-9]*' "$T/three.err" | sort -u | wc -l)
# which free slot takes a segment is parallel's choice: with a record
# every 1.2 s a quick host can take a third one's turn (2 of 3 in one
# clean-clone make check), so spreading means more than one host
note "segments done on $hosts_used of the three hosts"
cmp_num "$hosts_used" -ge 2 "segments were spread over the hosts"
summary "$T/one" "$T/one.out" > "$T/one.sum"
summary "$T/three" "$T/three.out" > "$T/three.sum"
ok "segment count, timing and frames match the one-host run" cmp -s "$T/one.sum" "$T/three.sum" \
    || diag "$(diff "$T/one.sum" "$T/three.sum")"
is "$(jq -r 'select(.type == "renditions") | .renditions[].path' "$T/three.out" \
        | while read -r p; do [ -s "$T/three/$p" ] && echo y; done | wc -l)" \
   "$(jq -r 'select(.type == "renditions") | .renditions[].path' "$T/three.out" | wc -l)" \
   "every rendition file named in a record is in the spool"
is "$(find "$T/three" -name '*.nut' -o -name '.farm*' | wc -l)" 0 \
    "segment files consumed, nothing temporary left behind"

# Kill the second host while it transcodes: a shim in front of
# live-transcode notes which host started a job and gives the kill time to
# land mid-job.
mkdir -p "$T/shim"
cat > "$T/shim/live-transcode" <<EOF
#!/bin/sh
echo "\$PARALLEL_SSHHOST" >> "$T/starts"
sleep 1
exec "$LIVE_BIN/live-transcode" "\$@"
EOF
chmod +x "$T/shim/live-transcode"
: > "$T/starts"
t0=$(date +%s.%N)
REMOTE_PATH=$T/shim farm -C "$T/kill" -S "$SSH_HOSTS" --joblog "$T/kill.log" \
    < "$T/segs" > "$T/kill.out" 2> "$T/kill.err" &
farm_pid=$!
if wait_for 30 grep -q '^127\.0\.0\.3$' "$T/starts"; then
    sshhosts_kill 2
    pass "host 127.0.0.3 killed in the middle of a job"
else
    fail "host 127.0.0.3 never started a job"
fi
wait "$farm_pid"
is "$?" 0 "killed host: exit 0"
note "killed host: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
is "$(jq -r 'select(.type == "renditions") | .seq' "$T/kill.out" | sort -n | tr '\n' ' ')" "0 1 2 3 4 5 " \
    "killed host: every segment exactly once"
is "$(grep -c 'done on 127\.0\.0\.3' "$T/kill.err")" 0 "nothing was delivered by the dead host"
summary "$T/kill" "$T/kill.out" > "$T/kill.sum"
ok "killed host: output matches the one-host run" cmp -s "$T/one.sum" "$T/kill.sum" \
    || diag "$(diff "$T/one.sum" "$T/kill.sum")"
is "$(find "$T/kill" -name '*.nut' -o -name '.farm*' | wc -l)" 0 \
    "killed host: nothing temporary left behind"

# The records flow on into live-package, which restores the order: the
# out-of-order output of the killed-host run becomes one VOD of 60 s.
live-package -q -C "$T/kill" -o "$T/out" --db "$T/live.db" --vod < "$T/kill.out" 2> "$T/package.err"
is "$?" 0 "live-package takes the farm's records"
is "$(ls "$T/out/cam/240p" | grep -c '\.m4s$')" 6 "six segments published"
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/out/cam/manifest.mpd" 2>/dev/null)
cmp_num "${dur:-0}" ">=" 59.5 "the manifest covers the 60 s stream ($dur s)"

# A segment live-transcode cannot decode is an answer, not a host
# failure: a failed record, exit 3, no retry. A segment no host can take
# (nothing listens on 127.0.0.9) gets a failed record too, exit 1.
mkdir -p "$T/bad/cam"
head -c 30000 /dev/urandom > "$T/bad/cam/0.mp4"
sed -n 1p "$T/segs" > "$T/bad.seg"
farm -C "$T/bad" -S 127.0.0.2 --joblog "$T/bad.log" < "$T/bad.seg" > "$T/bad.out" 2> "$T/bad.err"
is "$?" 3 "undecodable segment: exit 3"
is "$(jq -r '.failed' "$T/bad.out")" true "undecodable segment: a failed record"
is "$(awk 'NR > 1' "$T/bad.log" | wc -l)" 1 "undecodable segment: tried once"
mkdir -p "$T/nohost/cam"
cp "$T/one/cam/0.240p.mp4" "$T/nohost/cam/0.mp4"
farm -C "$T/nohost" -S 127.0.0.9 --retries 2 < "$T/bad.seg" > "$T/nohost.out" 2> "$T/nohost.err"
is "$?" 1 "no host reachable: exit 1"
is "$(jq -r '[.seq, .failed] | @tsv' "$T/nohost.out")" "$(printf '0\ttrue')" \
    "no host reachable: the segment gets a failed record, so live-package can move on"

done_testing
