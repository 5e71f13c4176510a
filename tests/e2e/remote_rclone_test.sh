# The SFTP target against a second SFTP server, rclone's (Go pkg/sftp), which
# answers every read with at most 32 KiB: backup (twice: the second reads the
# index back), restore, check --read-data, forget --prune and bootstrap, with files larger
# than 32 KiB and packs of several MiB. Each command must finish promptly.
source "$CAIRN_E2E_LIB"

start_rclone_sftp "$T/rclone"
mkdir -p "$T/src/docs"
for i in 1 2 3; do random_file "$T/src/docs/f$i.bin" $((3 << 20)); done
random_file "$T/src/docs/small.bin" $((40 << 10))
seq 1 100000 > "$T/src/numbers.txt"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  nas:
    url: sftp://$SSHD_USER@127.0.0.1:$SSHD_PORT/cairn
    identity: $SSHD_IDENTITY
    known_hosts: $SSHD_KNOWN_HOSTS
    limits: {timeout_seconds: 10, retry_seconds: 20}
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [nas], keep: {last: 1}}
YAML

# timed SECONDS EXPECTED_EXIT cmd... : run, and fail when it took longer.
timed() {
  local limit=$1 start=$SECONDS
  shift
  run "$@"
  [ $((SECONDS - start)) -le "$limit" ] || fail "'${*:2}' took $((SECONDS - start)) s (limit $limit s)"
}

note "init and two backups (the second reads the index back through 32 KiB reads)"
timed 20 0 cairn init
timed 30 0 cairn --json backup
[ "$(checkpoint_stat bytes_read)" -eq "$(size_of "$T/src")" ] || fail "read"
big=$(find "$SSHD_ROOT/cairn/data" -type f -size +2M | wc -l)
[ "$big" -ge 1 ] || fail "no pack of several MiB on the server: $(find "$SSHD_ROOT/cairn" -type f -printf '%s %p\n')"
echo more > "$T/src/more.txt"
timed 30 0 cairn --json backup
[ "$(checkpoint_stat files_new)" -eq 1 ] || fail "$(cat "$T/out")"
grep -q "retrying" "$T/err" && fail "a retry during the backup: $(cat "$T/err")"

note "restore and check --read-data"
timed 30 0 cairn restore latest --to "$T/r"
diff -r "$T/src" "$T/r/src" > /dev/null || fail "the restore differs"
timed 30 0 cairn check --read-data
[ "$(find "$SSHD_ROOT/cairn" -name '.tmp-*' -o -name '.replaced-*' | wc -l)" -eq 0 ] || fail "temporaries left on the server"

note "forget and prune: objects deleted and replaced through rclone, the kept checkpoint restores"
# two of three 3 MiB files: 6 - 20% of 9 MiB is freed whatever the pack layout
rm "$T/src/docs/f1.bin" "$T/src/docs/f2.bin"
timed 30 0 cairn backup
timed 30 0 cairn --json forget --prune
freed=$(json 'select(.type=="prune") | .bytes_freed')
[ "$freed" -ge $((2 << 20)) ] || fail "prune freed only $freed bytes"
rm -rf "$T/r"
timed 30 0 cairn restore latest --to "$T/r"
diff -r "$T/src" "$T/r/src" > /dev/null || fail "the restore after prune differs"
timed 30 0 cairn check --read-data

note "bootstrap from the sftp:// URL"
timed 30 0 "$CAIRN" bootstrap "sftp://$SSHD_USER@127.0.0.1:$SSHD_PORT/cairn" --identity "$SSHD_IDENTITY" \
  --known-hosts "$SSHD_KNOWN_HOSTS" --keyfile "$T/cairn.key" --state-dir "$T/b1"
grep -q "1 checkpoint" "$T/out" || fail "$(cat "$T/out")"
timed 30 0 "$CAIRN" -q -c "$T/b1/cairn.yaml" restore latest --to "$T/r2"
diff -r "$T/src" "$T/r2/src" > /dev/null || fail "the restore after bootstrap differs"
