# tests/ingest.sh: helpers for the live-ingest end-to-end tests (sourced
# after lib.sh).
#
#   start_ingest LOG ARGS...   live-ingest -l 127.0.0.1:$PORT ARGS (stdout to $T/out.flv
#                              unless ARGS redirect), pid in $INGEST_PID
#   publish FILE NAME[?key=K] [FFMPEG INPUT ARGS...]  ffmpeg -c copy -f flv to it
#   counts FILE                "VIDEO AUDIO" packet counts (ffprobe)
#   packets FILE               "stream,pts,dts,flags" lines

PORT=$(free_port)

listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# start_ingest LOG [ARGS...]: stdout of live-ingest goes to $OUT (default $T/out.flv).
# free_port's range overlaps the ephemeral ports of other tests' outgoing
# connections, so a failed bind is retried on another port.
start_ingest() {
    local log=$1 try
    shift
    for try in 1 2 3 4 5; do
        bg live-ingest -l "127.0.0.1:$PORT" "$@" > "${OUT:-$T/out.flv}" 2> "$log"
        INGEST_PID=$!
        wait_for 5 eval "listening $PORT || ! kill -0 $INGEST_PID" 
        listening "$PORT" && kill -0 "$INGEST_PID" 2>/dev/null && return 0
        kill "$INGEST_PID" 2>/dev/null
        PORT=$(free_port)
    done
    diag "live-ingest did not start: $(cat "$log")"
    return 1
}

# publish FILE NAME [EXTRA INPUT ARGS...]: exit status of ffmpeg.
publish() {
    local file=$1 name=$2
    shift 2
    ffmpeg -hide_banner -loglevel error -nostdin "$@" -i "$file" -c copy -f flv \
        "rtmp://127.0.0.1:$PORT/live/$name"
}

counts() {
    local v a
    v=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" 2>/dev/null)
    a=$(ffprobe -v error -select_streams a -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" 2>/dev/null)
    echo "${v:-0} ${a:-0}"
}

packets() {
    ffprobe -v error -show_entries packet=stream_index,pts,dts,flags -of csv=p=0 "$1"
}

# wait_exit PID SECONDS: wait for a process to end by itself; 0 if it did.
wait_exit() {
    local pid=$1 limit=$2
    wait_for "$limit" eval "! kill -0 $pid 2>/dev/null"
}

# publish_bg FILE NAME [EXTRA INPUT ARGS...]: ffmpeg itself in the
# background (so it can be killed), its pid in $PUB_PID.
publish_bg() {
    local file=$1 name=$2
    shift 2
    ffmpeg -hide_banner -loglevel error -nostdin "$@" -i "$file" -c copy -f flv \
        "rtmp://127.0.0.1:$PORT/live/$name" &
    PUB_PID=$!
}

# A raw RTMP client in bash for crafted input, on fd 3:
#   raw_open; raw_handshake; raw_send HEX; raw_msg CSID TYPE SID PAYLOADHEX
#   raw_closed SECONDS: 0 when the server closed the connection in time
hx() { printf "$(printf '%s' "$1" | sed 's/\(..\)/\\x\1/g')"; }
s2h() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
amf_str() { printf '02%04x%s' "${#1}" "$(s2h "$1")"; }
amf_key() { printf '%04x%s' "${#1}" "$(s2h "$1")"; }
raw_open() { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; }
raw_handshake() {
    { printf '\x03'; head -c 1536 /dev/zero; } >&3
    timeout 5 head -c 3073 <&3 > /dev/null || return 1
    head -c 1536 /dev/zero >&3
}
raw_send() { (hx "$1" >&3) 2>/dev/null; } # a subshell: SIGPIPE must not end the test
# raw_msg CSID(hex, <40) TYPE(hex) SID(8 hex, little endian) PAYLOAD(hex): fmt 0, one chunk.
msg_hex() { printf '%s000000%06x%s%s%s' "$1" $((${#4} / 2)) "$2" "$3" "$4"; }
raw_msg() { raw_send "$(msg_hex "$@")"; }
raw_closed() { timeout "$1" cat <&3 > /dev/null 2>&1; local r=$?; exec 3<&-; return $r; }
# publish_hex NAME: the bytes of Set Chunk Size 4096, connect, createStream
# and publish NAME on stream 1 (made before connecting: forks take time).
publish_hex() {
    msg_hex 02 01 00000000 00001000
    msg_hex 03 14 00000000 "$(amf_str connect)003ff000000000000003$(amf_key app)$(amf_str live)$(amf_key tcUrl)$(amf_str "rtmp://127.0.0.1/live")000009"
    msg_hex 03 14 00000000 "$(amf_str createStream)00400000000000000005"
    msg_hex 08 14 01000000 "$(amf_str publish)00000000000000000005$(amf_str "$1")$(amf_str live)"
}
