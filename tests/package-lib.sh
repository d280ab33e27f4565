# tests/package-lib.sh: rendition files and records for the live-package
# tests, made without live-transcode: one ffmpeg run encodes a small
# ladder (B-frames, fixed GOP = one segment, keyframes forced at every
# segment start) and cuts every rung and the audio into per-segment .nut
# files, SPOOL/NAME/SEQ.REND.nut, the way live-transcode lays them out.
# Source after tests/lib.sh.

# make_ladder SPOOL NAME SECONDS SEGDUR [av|v|a] [FPS]
# Rungs: 240p (426x240), 180p (320x180), 144p (256x144), and "audio".
make_ladder() {
    local spool=$1 name=$2 dur=$3 seg=$4 what=${5:-av} fps=${6:-25}
    local gop=$((seg * fps)) v=() a=() in=()
    local x264=(-c:v libx264 -preset ultrafast -bf 2 -g "$gop" -keyint_min "$gop"
                -sc_threshold 0 -pix_fmt yuv420p -force_key_frames "expr:gte(t,n_forced*$seg)")
    local cut=(-f segment -segment_time "$seg" -reset_timestamps 0 -segment_format nut)
    mkdir -p "$spool/$name"
    if [ "$what" != a ]; then
        in+=(-f lavfi -i "testsrc2=size=426x240:rate=$fps:duration=$dur")
        v=(-filter_complex "[0:v]split=3[a][b][c];[a]scale=426:240,setsar=1[v0];[b]scale=320:180,setsar=1[v1];[c]scale=256:144,setsar=1[v2]"
           -map '[v0]' "${x264[@]}" -b:v 500k -maxrate 500k -bufsize 1000k "${cut[@]}" "$spool/$name/%d.240p.nut"
           -map '[v1]' "${x264[@]}" -b:v 250k -maxrate 250k -bufsize 500k "${cut[@]}" "$spool/$name/%d.180p.nut"
           -map '[v2]' "${x264[@]}" -b:v 120k -maxrate 120k -bufsize 240k "${cut[@]}" "$spool/$name/%d.144p.nut")
    fi
    if [ "$what" != v ]; then
        local ai=0
        [ "$what" = av ] && ai=1
        in+=(-f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=$(awk -v d=$dur "BEGIN{print d-0.05}")")
        a=(-map "$ai:a" -c:a aac -ac 2 -b:a 64k "${cut[@]}" "$spool/$name/%d.audio.nut")
    fi
    $FFMPEG "${in[@]}" "${v[@]}" "${a[@]}"
}

# ladder_records SPOOL NAME SECONDS SEGDUR [av|v|a]: one renditions record
# per segment, in order, on stdout (the end record is not included).
ladder_records() {
    local spool=$1 name=$2 dur=$3 seg=$4 what=${5:-av}
    awk -v name="$name" -v dur="$dur" -v seg="$seg" -v what="$what" 'BEGIN {
        n = int((dur + seg - 0.001) / seg)
        split("240p:426:240:500000 180p:320:180:250000 144p:256:144:120000", rungs, " ")
        for (i = 0; i < n; i++) {
            start = i * seg; d = dur - start; if (d > seg) d = seg
            r = ""
            if (what != "a") for (k = 1; k <= 3; k++) {
                split(rungs[k], f, ":")
                r = r sprintf("%s{\"id\":\"%s\",\"kind\":\"video\",\"path\":\"%s/%d.%s.nut\",\"width\":%d,\"height\":%d,\"sar\":\"1:1\",\"fps\":\"25/1\",\"bandwidth\":%d,\"codec\":\"avc1.64000d\"}", r == "" ? "" : ",", f[1], name, i, f[1], f[2], f[3], f[4])
            }
            if (what != "v")
                r = r sprintf("%s{\"id\":\"audio\",\"kind\":\"audio\",\"path\":\"%s/%d.audio.nut\",\"codec\":\"mp4a.40.2\",\"bandwidth\":64000,\"sample_rate\":48000,\"channels\":2}", r == "" ? "" : ",", name, i)
            printf "{\"type\":\"renditions\",\"stream\":\"%s\",\"seq\":%d,\"start\":%.6f,\"duration\":%.6f,\"discontinuity\":false,\"renditions\":[%s]}\n", name, i, start, d, r
        }
    }'
}
