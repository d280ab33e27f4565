#!/usr/bin/env bash
# Broadcasts under one name (live-pipe(5) "broadcast", live-package(1)
# BROADCASTS): two live-vod runs of different recordings under one name
# give two VODs — the newer at OUT/NAME/, the older as NAME@ID with
# manifests of its own naming its media where they stayed, with other file
# names than the newer one's; live-serve lists and plays both; watch
# positions follow the older one. live-segment -c goes on from its state
# file, without the spool's segment files. Records that say nothing of a
# broadcast for a finished stream are refused (exit 3), not ignored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
plan 30

V=$T/vod
DB=$T/vod.db
# talk.mp4 twice: red with 440 Hz, then blue with 880 Hz
mk() {
    ffmpeg -v error -nostdin -f lavfi -i "color=c=$1:size=160x120:rate=25" \
        -f lavfi -i "sine=frequency=$2:sample_rate=48000" -t 4 -c:v libx264 -preset ultrafast \
        -g 25 -pix_fmt yuv420p -c:a aac -b:a 64k -shortest "$3"
}
mk red 440 "$T/day1.mp4" && mk blue 880 "$T/day2.mp4" || { fail "make media"; exit 1; }
vod() { live-vod -s talk -d 2 "$1" "$V" -- -l 120p:150k -p ultrafast -j 1 2>> "$T/vod.err"; }
# rgb DIR REND INIT SEG: the colour of the first frame, "R G B" (1x1)
rgb() {
    cat "$1/$2/$3" "$1/$2/$4" | ffmpeg -v error -nostdin -i - -frames:v 1 -vf scale=1:1 \
        -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | awk '{ print ($1 > 128 ? "R" : "-") ($3 > 128 ? "B" : "-") }'
}
live-resume -d "$DB" user add alice <<< "pw-alice-1" > /dev/null 2>&1 || true
vod "$T/day1.mp4"
is "$?" 0 "day 1 archived"
live-resume -d "$DB" set alice talk 1.5 > /dev/null
vod "$T/day2.mp4"
is "$?" 0 "day 2 under the same name: exit 0"
is "$(sqlite3 "$DB" "SELECT count(*) FROM streams WHERE name LIKE 'talk%' AND state = 'vod'")" 2 "two VODs in the db"
old=$(sqlite3 "$DB" "SELECT name FROM streams WHERE name LIKE 'talk@%'")
like "$old" '^talk@[0-9]+$' "the earlier one is $old"
like "$(cat "$T/vod.err")" "talk: a new broadcast; the one before is video on demand as $old" "and says so"
is "$(ls "$V" | tr '\n' ' ')" "talk $old " "OUT/talk/ and OUT/$old/"
tag=$(sqlite3 "$DB" "SELECT tag FROM streams WHERE name = 'talk'")
like "$tag" '^[0-9]+$' "the newer broadcast's files carry its id ($tag)"
is "$(ls "$V/talk/120p" | grep -c "^$tag-.*\.m4s$")" 2 "its segments are $tag-SEQ.m4s"
ok "its init segment init-$tag.mp4" test -s "$V/talk/120p/init-$tag.mp4"
ok "the earlier one's files stay, under their own names" test -s "$V/talk/120p/0.m4s" -a -s "$V/talk/120p/init.mp4"
is "$(rgb "$V/talk" 120p "init-$tag.mp4" "$tag-0.m4s")" "-B" "OUT/talk/ plays day 2 (blue)"
grep -v '^#' "$V/$old/120p/index.m3u8" | head -1 > "$T/first"
is "$(cat "$T/first")" "../../talk/120p/0.m4s" "the earlier one's playlist names its media where they are"
like "$(cat "$V/$old/manifest.mpd")" 'initialization="../talk/\$RepresentationID\$/init.mp4"' \
    "its MPD too"
is "$(rgb "$V/talk" 120p init.mp4 0.m4s)" "R-" "and they are day 1 (red)"
is "$(live-resume -d "$DB" list alice | cut -f1,2 | tr '\t' ' ')" "$old 1.5" \
    "the watch position taken in day 1 follows it"

start_serve -r "$V" -d "$DB" -a ''
is "$(curl -s "$URL/streams.json" | jq -r '[.[].name] | sort | join(" ")')" "talk $old" \
    "streams.json lists both"
like "$(curl -s "$URL/")" "href=\"/watch/$old\"" "the index page links the earlier one"
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/watch/$old")" 200 "/watch/$old is a page"
code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
is "$(code "$URL/$old/master.m3u8") $(code "$URL/$old/120p/index.m3u8") $(code "$URL/$old/manifest.mpd")" \
    "200 200 200" "its manifests are served"
is "$(code "$URL/talk/120p/0.m4s")" 200 "its media at the URL the playlist resolves to"
like "$(curl -sI "$URL/talk/120p/$tag-1.m4s" "$URL/talk/120p/init-$tag.mp4" | grep -ci 'cache-control: .*immutable')" '^2$' \
    "the newer one's $tag-SEQ.m4s and init-$tag.mp4 are served as immutable segments"

# live-segment -c from the state file alone
ffmpeg -v error -nostdin -i "$T/day1.mp4" -c copy -f flv - | live-segment -q -c -s cam -d 2 -o "$T/sp" > "$T/cut"
is "$(tail -n 1 "$T/cut" | jq -c '[.type, .lost]')" '["end",true]' \
    "-c, a pipe that ends without live-ingest's end mark: the end record says lost"
rm -f "$T/sp/cam/"*.mp4
live-segment -q -c -s cam -d 2 -o "$T/sp" < "$T/day2.mp4" > "$T/cont"
is "$(jq -r 'select(.type == "segment") | "\(.seq)/\(.start >= 4 and .start < 4.1)/\(.discontinuity)"' "$T/cont" | head -1)" \
    "2/true/true" "-c goes on after the spool's files were deleted: segment 2 where 1 ended (4 s), a discontinuity"
is "$(jq -r .broadcast "$T/cont" | sort -u | wc -l)" 1 "one broadcast id on every record"
is "$(cat "$T/sp/.cam.state" | jq -r .broadcast)" "$(jq -r .broadcast "$T/cont" | head -1)" "the state file's"
is "$(jq -r .broadcast "$T/cut" | sort -u)" "$(jq -r .broadcast "$T/cont" | head -1)" "the cut run's"
# an FLV that ends with live-ingest's end mark (a script tag "onLiveEnd"): ended
{ ffmpeg -v error -nostdin -i "$T/day1.mp4" -c copy -f flv -
  printf '\x12\x00\x00\x0c\x00\x0f\xa0\x00\x00\x00\x00\x02\x00\x09onLiveEnd\x00\x00\x00\x17'; } |
    live-segment -q -c -s cam -d 2 -o "$T/sp" > "$T/ended"
is "$(tail -n 1 "$T/ended" | jq -c '[.type, .lost]')" '["end",null]' "with the end mark: a plain end"
live-segment -q -c -s cam -d 2 -o "$T/sp" < "$T/day2.mp4" > "$T/next"
is "$(jq -r 'select(.type == "segment") | "\(.seq)/\(.start)/\(.broadcast > '"$(jq -r .broadcast "$T/cut" | head -1)"')"' "$T/next" | head -1)" \
    "0/0/true" "and -c after it starts a new broadcast from 0"

live-segment -q -c -s fresh -d 2 -o "$T/sp" < "$T/day1.mp4" > "$T/fresh"
is "$(jq -r 'select(.seq == 0 and .type == "segment") | "\(.start)/\(.discontinuity)/\(.broadcast > 0)"' "$T/fresh")" \
    "0/false/true" "-c with nothing to continue: a new broadcast from 0"

# Records without a broadcast id for a finished stream: refused, exit 3.
printf '{"type":"renditions","stream":"talk","seq":0,"start":0,"duration":2,"renditions":[]}\n' |
    live-package -C "$T/sp" -o "$V" --db "$DB" > /dev/null 2> "$T/clash"
is "$?" 3 "a record for finished 'talk' that says no new broadcast: exit 3"
