# tests/serve-lib.sh: helpers for the live-serve tests (sourced after lib.sh).

# serve_schema DB: the tables live-package owns (live-pipe(5), DESIGN.md).
serve_schema() {
    sqlite3 "$1" >/dev/null <<'SQL'
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS streams(name TEXT PRIMARY KEY, state TEXT NOT NULL,
    availability_start REAL NOT NULL, segment_duration REAL NOT NULL,
    next_seq INTEGER NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS segments(stream TEXT, seq INTEGER, start REAL, duration REAL,
    gap INTEGER, discontinuity INTEGER, published REAL, PRIMARY KEY(stream, seq));
CREATE TABLE IF NOT EXISTS segment_files(stream TEXT, seq INTEGER, rendition TEXT, size INTEGER,
    PRIMARY KEY(stream, seq, rendition));
CREATE TABLE IF NOT EXISTS edge_cache(path TEXT PRIMARY KEY, stream TEXT, seq INTEGER,
    rendition TEXT, data BLOB, mtime REAL);
SQL
}

# serve_stream DB NAME STATE DURATION NEXT_SEQ: a streams row.
serve_stream() {
    sqlite3 "$1" "INSERT OR REPLACE INTO streams VALUES('$2', '$3', strftime('%s','now') - 60, $4, $5, strftime('%s','now'))"
}

# start_serve ARGS...: live-serve on a free loopback port; sets PORT, URL,
# SERVE_PID; its stderr goes to $T/serve.err. A port taken between
# free_port and the bind (another test's client, say) means another try.
start_serve() {
    local try
    for try in 1 2 3 4 5; do
        PORT=$(free_port)
        URL=http://127.0.0.1:$PORT
        bg live-serve -l 127.0.0.1:"$PORT" "$@" 2>>"$T/serve.err"
        SERVE_PID=$!
        wait_for 10 _serve_up_or_dead
        if kill -0 "$SERVE_PID" 2>/dev/null; then
            curl -sf -o /dev/null "$URL/time" && return 0
        fi
        wait "$SERVE_PID" 2>/dev/null
    done
    diag "live-serve did not start: $(tail -3 "$T/serve.err")"
    return 1
}
_serve_up_or_dead() {
    curl -sf -o /dev/null "$URL/time" || ! kill -0 "$SERVE_PID" 2>/dev/null
}

# hls_playlist N [PARTS]: an LL-HLS media playlist (PART-TARGET 0.5 s,
# blocking reloads): segments 0..N-1 of 2 s, then PARTS parts of segment N.
hls_playlist() {
    local n=$1 parts=${2:-0} i
    printf '#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=0.5\n'
    printf '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5,HOLD-BACK=6.000\n'
    printf '#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI="init.mp4"\n'
    for ((i = 0; i < n; i++)); do printf '#EXTINF:2.00000,\n%d.m4s\n' "$i"; done
    for ((i = 0; i < parts; i++)); do
        printf '#EXT-X-PART:DURATION=0.5,URI="%d.p%d.m4s"\n' "$n" "$i"
    done
}

# cpu_ticks PID: user + system CPU time of a process, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# publish FILE DEST: the way live-package publishes (temp name, rename).
publish() {
    local dir=${2%/*} base=${2##*/}
    cp "$1" "$dir/.$base.tmp-$$-1" && mv "$dir/.$base.tmp-$$-1" "$2"
}
