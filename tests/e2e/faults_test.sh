# Faults between Cairn and an SFTP server (a proxy of our own in between):
# connections cut after some bytes, latency, stalls, and a link that never
# works. Backups either finish (retries on new connections) or fail cleanly;
# afterwards check passes and every earlier checkpoint restores.
source "$CAIRN_E2E_LIB"
[ -x "${FAULTPROXY:-}" ] || { echo "faultproxy not built"; exit 77; }

start_sshd "$T/sshd"
start_sftp_proxy() {  # start_sftp_proxy OPTIONS... : the proxy port needs its own known_hosts line
  start_proxy "$SSHD_PORT" "$@"
  sed "s/\[127.0.0.1\]:$SSHD_PORT/[127.0.0.1]:$PROXY_PORT/" "$SSHD_KNOWN_HOSTS" > "$T/known_hosts_proxy"
}

config() {  # config PORT KNOWN_HOSTS [RETRY_SECONDS]
  cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  nas:
    url: sftp://$SSHD_USER@127.0.0.1:$1$SSHD_ROOT/cairn
    identity: $SSHD_IDENTITY
    known_hosts: $2
    limits: {timeout_seconds: 4, retry_seconds: ${3:-10}}
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [nas]}
YAML
}

mkdir -p "$T/src"
for i in 1 2 3; do random_file "$T/src/base$i" $((1 << 20)); done
config "$SSHD_PORT" "$SSHD_KNOWN_HOSTS"
run 0 cairn init
run 0 cairn --json backup
first=$(checkpoint_stat id)
cp -a "$T/src" "$T/expected-first"
grow() { for i in $(seq 1 6); do random_file "$T/src/$1-$i" $((3 << 20)); done; }

note "the first 3 connections are cut after 2 MiB: retries on new connections finish the backup"
grow cut
start_sftp_proxy --cut-after $((2 << 20)) --cut-connections 3
config "$PROXY_PORT" "$T/known_hosts_proxy"
run 0 cairn backup
stop_proxy
config "$SSHD_PORT" "$SSHD_KNOWN_HOSTS"
run 0 cairn check --read-data

note "20 ms of latency on every read: slower, still complete"
grow slow
start_sftp_proxy --delay-ms 20
config "$PROXY_PORT" "$T/known_hosts_proxy"
run 0 cairn backup
stop_proxy

note "a 2 s stall on every connection (under the 4 s timeout): complete"
grow stall
start_sftp_proxy --stall-after $((1 << 20)) --stall-ms 2000
config "$PROXY_PORT" "$T/known_hosts_proxy"
run 0 cairn backup
stop_proxy

note "a 60 s stall on the first 2 connections (over the 4 s timeout): dropped, retried on new ones, complete"
# libssh alone would wait for the stalled replies as long as the channel is
# open: the stall watch drops a connection on which nothing moves.
grow silent
start_sftp_proxy --stall-after $((1 << 20)) --stall-ms 60000 --stall-connections 2
# One upload may meet both stalled connections in turn (4-5 s each, and a
# reconnect): the retry budget must cover two drops, not one.
config "$PROXY_PORT" "$T/known_hosts_proxy" 30
start=$(date +%s)
run 0 cairn backup
took=$(( $(date +%s) - start ))
# ~17 s here (two drops after 4-5 s each, retried at once); waiting the stall out takes over 60.
[ "$took" -lt 40 ] || fail "the backup waited out the stall ($took s) instead of dropping the connection"
grep -q "nothing moved on the connection for 4 s" "$T/err" || fail "no word of the dropped connection: $(cat "$T/err")"
stop_proxy

note "a link that drops every connection after 200 KiB: the backup fails cleanly within its retry budget"
grow broken
start_sftp_proxy --cut-after $((200 << 10))
config "$PROXY_PORT" "$T/known_hosts_proxy"
start=$(date +%s)
run 1 cairn backup
[ $(( $(date +%s) - start )) -lt 120 ] || fail "the failing backup did not give up within its budget"
grep -q "nas" "$T/err" || fail "the error does not name the target: $(cat "$T/err")"
# While it retries it says so (once per operation), rather than going quiet.
grep -qE "failed [0-9]+ times, retrying for up to [0-9]+ s more: " "$T/err" || fail "no retry notice: $(cat "$T/err")"
stop_proxy

note "afterwards, directly: check passes, the first checkpoint restores, the next backup completes"
config "$SSHD_PORT" "$SSHD_KNOWN_HOSTS"
run 0 cairn check --read-data
run 0 cairn restore "$first" --to "$T/r-first"
diff -r "$T/expected-first" "$T/r-first/src" > /dev/null || fail "the first checkpoint differs"
run 0 cairn backup
run 0 cairn restore latest --to "$T/r-last"
diff -r "$T/src" "$T/r-last/src" > /dev/null || fail "the last checkpoint differs"
