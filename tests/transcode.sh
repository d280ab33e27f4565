# tests/transcode.sh: helpers for the live-transcode tests (sourced after lib.sh).

# segs SRC NAME SECONDS: cut SRC into segments under $T/spool/NAME and
# print their records, then an end record. Uses live-segment when it is
# built, else ffmpeg's segment muxer and hand-written records.
segs() {
    local src=$1 name=$2 d=$3
    mkdir -p "$T/spool"
    if [ -x "$LIVE_BIN/live-segment" ]; then
        live-segment -q -s "$name" -o "$T/spool" -d "$d" "$src"
        return
    fi
    mkdir -p "$T/spool/$name"
    $FFMPEG -i "$src" -map 0 -c copy -f segment -segment_time "$d" -segment_format nut \
        -segment_list "$T/$name.csv" -segment_list_type csv "$T/spool/$name/%08d.nut" || return 1
    awk -F, -v n="$name" '{ printf "{\"type\":\"segment\",\"stream\":\"%s\",\"seq\":%d,\"path\":\"%s/%s\",\"start\":%s,\"duration\":%.6f,\"discontinuity\":false}\n", n, NR - 1, n, $1, $2, $3 - $2 }' "$T/$name.csv"
    echo "{\"type\":\"end\",\"stream\":\"$name\",\"seq\":$(wc -l < "$T/$name.csv")}"
}

# rend FILE SEQ ID FIELD: a field of one rendition in the renditions records
rend() {
    jq -r --argjson s "$2" --arg id "$3" --arg f "$4" \
        'select(.type == "renditions" and .seq == $s) | .renditions[] | select(.id == $id) | .[$f]' "$1"
}

# ids FILE SEQ: the rendition ids of a segment, space-separated
ids() {
    jq -r --argjson s "$2" 'select(.type == "renditions" and .seq == $s) | [.renditions[].id] | join(" ")' "$1"
}

# keyframes FILE: "pts_time" of each video key frame, one per line
keyframes() {
    ffprobe -v error -select_streams v -show_entries packet=pts_time,flags -of csv=p=0 "$1" |
        awk -F, '$2 ~ /K/ { print $1 }'
}

# vpackets FILE: md5 of every video packet, in order
vpackets() {
    ffmpeg -hide_banner -loglevel error -i "$1" -map 0:v -c copy -f framemd5 - |
        grep -v '^#' | awk -F, '{ print $5, $6 }'
}
