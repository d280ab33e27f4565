# tests/sshhosts.sh: throwaway ssh "hosts" on this machine for the farm
# tests and scripts/bench-scale. Source it after tests/lib.sh (it uses $T
# and bg):
#
#   . "$TOP/tests/sshhosts.sh"
#   sshhosts_start 3          # sshd on 127.0.0.2, .3, .4
#   live-farm -S "$SSH_HOSTS" --ssh "$SSH_CMD" ...
#   sshhosts_kill 2           # the second host dies with its sessions
#
# Each host is its own sshd (-D, in the foreground, started with bg so the
# test stops it) with its own config in $T/ssh: a fresh host key and user
# key, no PAM, StrictModes off, key-only login (root included), one
# loopback address each, all on one free port. Sets SSH_HOSTS
# ("127.0.0.2,127.0.0.3,..."), SSH_CMD (the ssh command with the key, the
# port and no host-key checks) and SSH_PIDS (the sshd pids).

sshhosts_start() {
    local n=$1 i d=$T/ssh port
    mkdir -p "$d" /run/sshd 2>/dev/null
    chmod 700 "$d"
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" -C live-test-host </dev/null || return 1
    ssh-keygen -q -t ed25519 -N '' -f "$d/user_key" -C live-test-user </dev/null || return 1
    cp "$d/user_key.pub" "$d/authorized_keys"
    port=$(free_port) || return 1
    SSH_HOSTS=
    SSH_PIDS=()
    for i in $(seq 1 "$n"); do
        cat > "$d/sshd-$i.conf" <<CONF
ListenAddress 127.0.0.$((i + 1)):$port
HostKey $d/host_key
PidFile $d/sshd-$i.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers $(id -un)
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
PrintLastLog no
MaxStartups 200:30:400
MaxSessions 100
LogLevel ERROR
# bash sources ~/.bashrc for commands run by sshd unless it is nested
# (SHLVL); keep the test hosts independent of the account's rc files.
SetEnv SHLVL=1
CONF
        bg /usr/sbin/sshd -D -e -f "$d/sshd-$i.conf" 2>>"$d/sshd-$i.log"
        SSH_PIDS+=($!)
        SSH_HOSTS=${SSH_HOSTS:+$SSH_HOSTS,}127.0.0.$((i + 1))
    done
    SSH_CMD="ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5 -o KexAlgorithms=curve25519-sha256 -i $d/user_key -p $port"
    SSH_PORT=$port
    for i in $(seq 1 "$n"); do
        wait_for 10 $SSH_CMD "127.0.0.$((i + 1))" true </dev/null || return 1
    done
}

# sshhosts_kill I: kill -9 host I's sshd and every process under it (its
# sessions and what they run), as a machine that dies would.
sshhosts_kill() {
    local pid=${SSH_PIDS[$(($1 - 1))]} all p
    all=$(_sshhosts_tree "$pid")
    kill -STOP $all 2>/dev/null
    kill -9 $all 2>/dev/null
    wait "$pid" 2>/dev/null
}

_sshhosts_tree() {
    local p
    echo "$1"
    for p in $(ps -o pid= --ppid "$1"); do _sshhosts_tree "$p"; done
}
