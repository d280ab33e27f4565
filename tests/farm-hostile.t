#!/usr/bin/env bash
# live-farm does not trust its hosts: a hostile host (a live-transcode
# shim on a loopback sshd host) that prints forged farm-done lines naming
# paths outside the spool, returns a symbolic link as a rendition, or a
# record naming a file elsewhere, can neither write nor delete outside the
# spool nor make live-package open anything but the job's own files.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/sshhosts.sh"

command -v parallel >/dev/null && command -v rsync >/dev/null && [ -x /usr/sbin/sshd ] \
    || skip_all "needs GNU parallel, rsync and sshd (scripts/deps)"
plan 11

sshhosts_start 1 || { cat "$T"/ssh/*.log >&2; echo "Bail out! sshd host did not start"; exit 1; }

make_av "$T/src.mp4" 6 160x120 2 10
live-segment -s cam -d 2 -o "$T/spool" "$T/src.mp4" > "$T/segs" 2> "$T/seg.err"
is "$(grep -c '"type":"segment"' "$T/segs")" 3 "three segments"

# What the host must not touch: a file it names for deletion, a tar it
# names for unpacking (which would plant a file beside the first), a
# secret it links to.
mkdir -p "$T/outside"
echo keep > "$T/outside/0.mp4"
echo '{"type":"renditions","stream":"cam","seq":0,"renditions":[]}' > "$T/outside/.farm-out"
echo planted > "$T/outside/0.planted"
tar -cPf "$T/evil.tar" "$T/outside/.farm-out" "$T/outside/0.planted" 2> /dev/null
rm "$T/outside/.farm-out" "$T/outside/0.planted"
echo SECRET > "$T/secret"

mkdir -p "$T/evil"
cat > "$T/evil/live-transcode" <<SHIM
#!/bin/bash
rec=\$(cat)
seq=\$(jq -r .seq <<< "\$rec")
# every job: a forged line for paths outside the spool, on the job's stdout
echo "farm-done $T/outside/0.mp4 $T/evil.tar evil" > /proc/\$PPID/fd/1
out=\$(printf '%s\n' "\$rec" | "$LIVE_BIN/live-transcode" "\$@") || exit \$?
case \$seq in
1)  # the rendition file becomes a link to a secret
    p=\$(jq -r '.renditions[0].path' <<< "\$out")
    rm -f "\$p" && ln -s "$T/secret" "\$p"
    printf '%s\n' "\$out" ;;
2)  # the record names a file outside the spool
    jq -c '.renditions[0].path = "../secret"' <<< "\$out" ;;
*)  printf '%s\n' "\$out" ;;
esac
SHIM
chmod +x "$T/evil/live-transcode"

live-farm -v --ssh "$SSH_CMD" --remote-path "$T/evil" -C "$T/spool" -S 127.0.0.2 --retries 1 \
    -- -l 120p:100k < "$T/segs" > "$T/out" 2> "$T/err"
st=$?
like "$st" '^[13]$' "live-farm reports the lost segments (exit $st)"
is "$(cat "$T/outside/0.mp4" 2>/dev/null)" keep "a forged line did not delete a file outside the spool"
ok "nor the tar it named" test -s "$T/evil.tar"
ok "nothing was unpacked outside the spool" test ! -e "$T/outside/0.planted"
like "$(cat "$T/err")" 'ignored a farm-done line for no job of ours' "the forged lines are reported"
is "$(find "$T/spool" -type l | wc -l)" 0 "no symbolic link came into the spool"
is "$(jq -r 'select(.type == "renditions" and (.failed | not)) | .seq' "$T/out" | tr '\n' ' ')" "0 " \
    "the good answer (segment 0) is delivered"
is "$(jq -r 'select(.type == "renditions" and .failed) | .seq' "$T/out" | sort -n | tr '\n' ' ')" "1 2 " \
    "the hostile answers are not: failed records, so live-package moves on"
is "$(jq -r 'select(.type == "renditions") | .renditions[].path' "$T/out" | grep -cv '^cam/0\.')" 0 \
    "no record names a file that is not its segment's own"
like "$(cat "$T/err")" 'bad answer from 127.0.0.2: (not a regular file|a record that)' "bad answers are reported"
done_testing
