# cairn serve behind a real OpenSSH server on 127.0.0.1, reached as an ssh
# target. Two client keys: one forced to `cairn serve --append-only`, one to
# `cairn serve` (the administrator's). Through the append-only key: init,
# backups and a bit-exact restore work; replacing or removing a pack, an index
# file, a checkpoint, a suite state or the config is refused by name and
# changes no file; forget is refused. Through the administrator's key: forget
# and prune work, and check passes.
source "$CAIRN_E2E_LIB"
[ -x "${SERVETOOL:-}" ] || { echo "servetool is not built"; exit 77; }

start_sshd "$T/sshd"
mkdir -p "$T/repo" "$T/src/docs"
ssh-keygen -q -t ed25519 -N '' -f "$T/laptop_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/admin_key"
{
  echo "command=\"$CAIRN serve --append-only $T/repo\",restrict $(cat "$T/laptop_key.pub")"
  echo "command=\"$CAIRN serve $T/repo\",restrict $(cat "$T/admin_key.pub")"
} > "$T/sshd/authorized_keys"
for i in $(seq 1 6); do random_file "$T/src/docs/f$i.bin" $((700 << 10)); done
seq 1 50000 > "$T/src/numbers.txt"

# config KEY FILE: the suite, its one target reached with KEY.
config() {
  cat > "$2" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  vault:
    url: ssh://$SSHD_USER@127.0.0.1:$SSHD_PORT$T/repo
    identity: $1
    known_hosts: $SSHD_KNOWN_HOSTS
    ssh_command: ssh -F /dev/null
    limits: {retry_seconds: 5}
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [vault], keep: {last: 1}}
YAML
}
config "$T/laptop_key" "$T/cairn.yaml"
config "$T/admin_key" "$T/admin.yaml"
login=(-- --host 127.0.0.1 --port "$SSHD_PORT" --user "$SSHD_USER" --path "$T/repo" --known-hosts "$SSHD_KNOWN_HOSTS")

note "init, two backups and a bit-exact restore through the append-only key"
run 0 cairn init
run 0 cairn backup
echo changed >> "$T/src/numbers.txt"
random_file "$T/src/docs/f7.bin" $((300 << 10))
run 0 cairn backup
run 0 cairn restore latest --to "$T/r1"
diff -r "$T/src" "$T/r1/src" > /dev/null || fail "the restore differs"
[ "$(ls "$T/repo/checkpoints" | wc -l)" -eq 2 ] || fail "expected two checkpoints"
[ "$(ls "$T/repo/suite" | grep -vc latest)" -eq 2 ] || fail "expected both suite-state generations kept: $(ls "$T/repo/suite")"
[ -z "$(ls "$T/repo/locks")" ] || fail "a lock was left behind: $(ls "$T/repo/locks")"

note "the append-only key cannot replace or remove a pack, an index, a checkpoint, a suite state or the config"
before=$(fingerprint "$T/repo")
head -c 1000 /dev/urandom > "$T/garbage"
pack=$(cd "$T/repo" && find data -type f | head -1)
index=index/$(ls "$T/repo/index" | head -1)
checkpoint=checkpoints/$(ls "$T/repo/checkpoints" | head -1)
generation=suite/$(ls "$T/repo/suite" | grep -v latest | head -1)
for name in "$pack" "$index" "$checkpoint" "$generation" suite/latest config; do
  run 1 "$SERVETOOL" put "$name" "$T/garbage" "${login[@]}" --identity "$T/laptop_key"
  grep -q "$name.*append-only" "$T/err" || fail "put $name: $(cat "$T/err")"
  run 1 "$SERVETOOL" remove "$name" "${login[@]}" --identity "$T/laptop_key"
  grep -q "$name.*append-only" "$T/err" || fail "remove $name: $(cat "$T/err")"
done
note "an identical re-put (a retried upload) is accepted"
cp "$T/repo/$pack" "$T/same"
run 0 "$SERVETOOL" put "$pack" "$T/same" "${login[@]}" --identity "$T/laptop_key"
note "a new object and a lock may be written; locks may go"
run 0 "$SERVETOOL" put locks/0123 "$T/garbage" "${login[@]}" --identity "$T/laptop_key"
run 0 "$SERVETOOL" remove locks/0123 "${login[@]}" --identity "$T/laptop_key"
run 1 "$SERVETOOL" put ../escape "$T/garbage" "${login[@]}" --identity "$T/laptop_key"
[ "$(fingerprint "$T/repo")" = "$before" ] || fail "the repository changed"
run 1 cairn forget
cat "$T/out" "$T/err" | grep -q "not removed: the server is append-only" || fail "forget: $(cat "$T/out" "$T/err")"
[ "$(fingerprint "$T/repo")" = "$before" ] || fail "the refused forget changed the repository"

note "bootstrap through the append-only key finds the newest suite state"
run 0 "$CAIRN" bootstrap "ssh://$SSHD_USER@127.0.0.1:$SSHD_PORT$T/repo" --identity "$T/laptop_key" \
  --known-hosts "$SSHD_KNOWN_HOSTS" --keyfile "$T/cairn.key" --state-dir "$T/b1"
grep -q "2 checkpoints" "$T/out" || fail "$(cat "$T/out")"

note "the administrator's key forgets and prunes; the kept checkpoint restores and check passes"
rm "$T/src/docs/f1.bin" "$T/src/docs/f2.bin" "$T/src/docs/f3.bin"
run 0 cairn backup
used=$(size_of "$T/repo/data")
run 0 "$CAIRN" -q -c "$T/admin.yaml" forget --prune
[ "$(ls "$T/repo/checkpoints" | wc -l)" -eq 1 ] || fail "forget kept $(ls "$T/repo/checkpoints" | wc -l) checkpoints"
[ "$(size_of "$T/repo/data")" -lt $((used - (1 << 20))) ] || fail "prune freed too little: $used -> $(size_of "$T/repo/data")"
run 0 "$CAIRN" -q -c "$T/admin.yaml" check --read-data
run 0 cairn restore latest --to "$T/r2"
diff -r "$T/src" "$T/r2/src" > /dev/null || fail "the restore after prune differs"
note "a backup after the prune works through the append-only key again"
run 0 cairn backup
run 0 cairn check
