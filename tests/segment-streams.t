#!/usr/bin/env bash
# live-segment: audio-only input is cut on time, video-only input at
# keyframes; a record names only the streams the input has, and a file
# holds only those; extra input streams are left out.
. "$(dirname "$0")/lib.sh"
plan 14

# audio only, FLV on a pipe: cut on time (AAC frames of 1024 samples)
make_audio "$T/a.flv" 25 || { echo "Bail out! cannot make media"; exit 1; }
live-segment -q -s a -o "$T/sp" < "$T/a.flv" > "$T/a.rec"
is "$?" 0 "audio only: exit 0"
is "$(jq -r 'select(.type == "segment") | .duration | round' "$T/a.rec" | tr '\n' ' ')" "10 10 5 " \
   "segments of 10, 10, 5 s"
like "$(jq -r 'select(.type == "segment") | .start' "$T/a.rec" | tr '\n' ' ')" '^0 10(\.0[0-9]*)? 20(\.0[0-9]*)? $' \
     "cut at the first packet at or after 10 and 20 s"
is "$(jq -c 'select(.type == "segment") | [has("video"), .audio.codec]' "$T/a.rec" | sort -u)" '[false,"aac"]' \
   "records: audio, no video member"
is "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$T/sp/a/1.mp4" | tr '\n' ' ')" "audio " \
   "the file holds one audio stream"

# video only, MP4 file, 1 s GOP
make_video "$T/v.mp4" 25 320x240 1 || { echo "Bail out! cannot make media"; exit 1; }
live-segment -q -s v -o "$T/sp" "$T/v.mp4" > "$T/v.rec"
is "$?" 0 "video only: exit 0"
is "$(jq -r 'select(.type == "segment") | "\(.start)+\(.duration)"' "$T/v.rec" | tr '\n' ' ')" "0+10 10+10 20+5 " \
   "segments 0+10, 10+10, 20+5"
is "$(jq -c 'select(.type == "segment") | [has("audio"), .video.codec]' "$T/v.rec" | sort -u)" '[false,"h264"]' \
   "records: video, no audio member"
is "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$T/sp/v/2.mp4" | tr '\n' ' ')" "video " \
   "the file holds one video stream"

# MKV with two audio tracks and a subtitle track: one video, one audio out
printf '1\n00:00:01,000 --> 00:00:03,000\nhello\n' > "$T/s.srt"
$FFMPEG -i "$T/v.mp4" -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=25" \
    -f lavfi -i "sine=frequency=880:sample_rate=44100:duration=25" -i "$T/s.srt" \
    -map 0:v -map 1:a -map 2:a -map 3:s -c:v copy -c:a libopus -c:s srt -t 12 "$T/multi.mkv" ||
    { echo "Bail out! cannot make media"; exit 1; }
live-segment -q -s m -o "$T/sp" "$T/multi.mkv" > "$T/m.rec"
is "$?" 0 "MKV with extra tracks: exit 0"
is "$(jq -c 'select(.seq == 0 and .type == "segment") | [.video.codec, .audio.codec, .audio.sample_rate]' "$T/m.rec")" \
   '["h264","opus",48000]' "one video and the first audio stream in the record"
is "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$T/sp/m/0.mp4" | tr '\n' ' ')" "video audio " \
   "the file holds just those two streams"
is "$(jq -r 'select(.type == "segment") | .start' "$T/m.rec" | tr '\n' ' ')" "0 10 " "cut at 10 s"
is "$(find "$T/sp" -name ".*" ! -name ".*.state" | wc -l)" 0 "nothing temporary left"
