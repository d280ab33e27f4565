#!/usr/bin/env bash
# live-farm with VP8 segments: live-segment cuts VP8 (a WHIP publisher's
# fallback) into Matroska segments, NAME/SEQ.mkv; live-farm ships them to
# an ssh host (sshd on 127.0.0.2) and brings back the H.264 and AAC
# renditions, NAME/SEQ.ID.mp4, the same as a local live-transcode makes.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/sshhosts.sh"

command -v parallel >/dev/null && command -v rsync >/dev/null && [ -x /usr/sbin/sshd ] \
    || skip_all "needs GNU parallel, rsync and sshd (scripts/deps)"
plan 6

$FFMPEG -f lavfi -i "testsrc2=size=320x180:rate=25:duration=4" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=4" \
    -c:v libvpx -deadline realtime -cpu-used 8 -b:v 300k -g 25 -keyint_min 25 -auto-alt-ref 0 \
    -c:a libopus -b:a 48k "$T/src.webm" || { echo "Bail out! cannot make media"; exit 1; }
live-segment -q -s cam -d 2 -o "$T/spool" "$T/src.webm" > "$T/segs"
is "$(jq -r 'select(.type == "segment") | .path' "$T/segs" | paste -sd' ')" "cam/0.mkv cam/1.mkv" \
    "two Matroska segments"
cp -a "$T/spool" "$T/local"

sshhosts_start 1 || { cat "$T"/ssh/*.log >&2; echo "Bail out! sshd hosts did not start"; exit 1; }
live-farm -q --ssh "$SSH_CMD" --remote-path "$LIVE_BIN" -C "$T/spool" -S "$SSH_HOSTS" \
    -- -l 144p:150k -p ultrafast < "$T/segs" > "$T/out" 2> "$T/err"
is "$?" 0 "live-farm: exit 0"
note "$(tail -3 "$T/err")"
is "$(jq -r 'select(.type == "renditions") | "\(.seq) \([.renditions[].path] | join(","))"' "$T/out" | paste -sd' ')" \
    "0 cam/0.180p.mp4,cam/0.144p.mp4,cam/0.audio.mp4 1 cam/1.180p.mp4,cam/1.144p.mp4,cam/1.audio.mp4" \
    "a renditions record per segment, NAME/SEQ.ID.mp4 beside NAME/SEQ.mkv"
is "$(jq -r .type "$T/out" | tail -1)" end "then the end record"
live-transcode -q -C "$T/local" -l 144p:150k -p ultrafast < "$T/segs" > /dev/null
# what each file holds: codec, size, packets
what() {
    for f in 0.180p 0.144p 0.audio 1.180p 1.144p 1.audio; do
        ffprobe -v error -count_packets -show_entries stream=codec_name,width,nb_read_packets -of csv=p=0 \
            "$1/cam/$f.mp4"
    done | paste -sd' '
}
got=$(what "$T/spool")
note "$got"
is "$got" "$(what "$T/local")" "the host's renditions are those of a local run"
like "$got" "^h264,320,50 h264,256,50 aac,[0-9]+ h264,320,50 h264,256,50 aac" "H.264 of every frame, AAC"
done_testing
