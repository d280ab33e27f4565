#!/usr/bin/env bash
# RTMPS: live-ingest --tls terminates TLS itself (OpenSSL, certificate and
# key from PEM files). ffmpeg publishes to rtmps:// with a self-signed
# certificate and the stream arrives whole, while plain RTMP goes on on
# its own port; a client speaking plain RTMP to the TLS port is closed;
# a bad certificate or a missing key is refused at start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest.sh"
command -v openssl >/dev/null 2>&1 || skip_all "no openssl command"
plan 9

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
    -subj /CN=localhost 2>/dev/null || { fail "make a certificate"; exit 1; }
make_av "$T/src.flv" 2 || { fail "make media"; exit 1; }

live-ingest -l 127.0.0.1:1 --tls 127.0.0.1:1 --tls-cert "$T/cert.pem" >/dev/null 2>&1
is "$?" 2 "--tls without --tls-key: usage error"
echo junk > "$T/bad.pem"
live-ingest -l 127.0.0.1:1 --tls 127.0.0.1:1 --tls-cert "$T/bad.pem" --tls-key "$T/key.pem" 2> "$T/bad.err"
is "$?" 1 "an unreadable certificate: exit 1"
like "$(cat "$T/bad.err")" "--tls-cert .*bad\.pem" "and the reason names the file"

TPORT=$(free_port)
mkdir -p "$T/out"
start_ingest "$T/log" -v -g 0.3 -o "$T/out" --tls "127.0.0.1:$TPORT" --tls-cert "$T/cert.pem" \
    --tls-key "$T/key.pem" || { fail "live-ingest starts"; exit 1; }
wait_for 5 grep -q "listening for RTMPS on 127.0.0.1:$TPORT" "$T/log"

ffmpeg -hide_banner -loglevel error -nostdin -i "$T/src.flv" -c copy -f flv \
    "rtmps://127.0.0.1:$TPORT/live/sec" &
tls_pub=$!
publish "$T/src.flv" plain
is "$?" 0 "plain RTMP publishes meanwhile"
wait "$tls_pub"
is "$?" 0 "ffmpeg publishes over rtmps:// (self-signed certificate)"
like "$(cat "$T/log")" "127\.0\.0\.1:[0-9]+: connected \(RTMPS\)" "the connection was TLS"
wait_for 10 eval "[ -s '$T/out/sec.flv' ] && [ -s '$T/out/plain.flv' ]"
is "$(counts "$T/out/sec.flv")" "$(counts "$T/src.flv")" "the RTMPS stream arrives whole"

# plain RTMP bytes to the TLS port: not TLS, closed
PORT_SAVE=$PORT PORT=$TPORT
raw_open
{ printf '\x03'; head -c 1536 /dev/zero; } >&3 2>/dev/null
timeout 3 cat <&3 >/dev/null 2>&1
isnt "$?" 124 "plain RTMP to the RTMPS port: closed (reset)"
exec 3<&-
PORT=$PORT_SAVE
ok "live-ingest is still running" kill -0 "$INGEST_PID"
done_testing
