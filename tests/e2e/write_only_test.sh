# Write-only mode (issue 13): cairn key generate makes a key pair; a machine
# with keyring.mode write-only backs up (deduplicating through its own record
# of stored blob ids) but cannot read one past backup; the private key reads
# everything, bootstrap brings the suite back with it, and an administrator's
# password slot reads too. The theft simulation tries every key on the machine.
source "$CAIRN_E2E_LIB"

note "key generate: private key 0600, public key alone on stdout, needs no configuration"
"$CAIRN" key generate --private-key "$T/keys/private.key" > "$T/pub" 2> "$T/err" || fail "$(cat "$T/err")"
[ "$(stat -c %a "$T/keys/private.key")" = 600 ] || fail "private key mode $(stat -c %a "$T/keys/private.key")"
pub=$(cat "$T/pub")
[[ "$pub" =~ ^cairn-pk1-[0-9a-f]{72}$ ]] || fail "public key form: $pub"
grep -q "^public: $pub\$" "$T/keys/private.key" || fail "the file does not name its public key"
grep -q "off the" "$T/err" || fail "no advice to keep the private key away: $(cat "$T/err")"

note "key generate never overwrites a private key"
before=$(sha256sum < "$T/keys/private.key")
set +e; "$CAIRN" key generate --private-key "$T/keys/private.key" > "$T/out" 2> "$T/err"; code=$?; set -e
[ $code -eq 1 ] || fail "exit $code"
grep -q "already exists" "$T/err" || fail "$(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
[ "$(sha256sum < "$T/keys/private.key")" = "$before" ] || fail "the private key changed"

note "key generate --passphrase: the key is not in the file in the clear"
CAIRN_NEW_PASSWORD="correct horse" "$CAIRN" --json key generate --private-key "$T/keys/protected.key" \
  --passphrase > "$T/out" 2> "$T/err" || fail "$(cat "$T/err")"
grep -q '"passphrase":true' "$T/out" || fail "$(cat "$T/out")"
grep -q '^kdf: argon2id ' "$T/keys/protected.key" || fail "not protected"
! grep -q '^key: ' "$T/keys/protected.key" || fail "a plain key in a protected file"
set +e; setsid "$CAIRN" key generate --private-key "$T/keys/none.key" --passphrase < /dev/null > "$T/out" 2> "$T/err"; code=$?; set -e
[ $code -ne 0 ] && grep -q "CAIRN_NEW_PASSWORD" "$T/err" || fail "no passphrase: exit $code: $(cat "$T/err")"
[ ! -e "$T/keys/none.key" ] || fail "a key file without the asked passphrase"

note "keyring.mode write-only: a bad public key is refused in one line"
mkdir -p "$T/src/deep/er"
name=quokka-ledger-5521
content=zebra-content-7731-$RANDOM$RANDOM
printf '%s\n' "$content" > "$T/src/deep/er/$name.txt"
head -c 400000 /dev/urandom > "$T/src/big.bin"
ln -s "deep/er/$name.txt" "$T/src/link"
KEY_MODE=write-only write_config "$T/src"
sed -i "s|^  mode: write-only|  mode: write-only\n  public_key: cairn-pk1-00|" "$T/cairn.yaml"
run 2 cairn init
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
[ ! -e "$T/repo" ] || fail "a repository was created"

note "init: a write-only repository, the writer key 0600 in state_dir"
sed -i "s|^  public_key: .*|  public_key: $pub|" "$T/cairn.yaml"
run 0 cairn config check
grep -q "public_key: $pub" "$T/out" || fail "config check: $(cat "$T/out")"
run 0 cairn init
[ "$(stat -c %a "$T/state/writer.key")" = 600 ] || fail "writer key mode"
grep -q '"encryption": "x25519-aes-256-gcm"' "$T/repo/config" || fail "not a write-only repository: $(head -c 300 "$T/repo/config")"
run 0 cairn key list
grep -q public-key "$T/out" && grep -q keyfile "$T/out" || fail "slots: $(cat "$T/out")"

note "backup; the second one of the unchanged tree uploads nothing"
run 0 cairn --json backup
first=$(checkpoint_stat bytes_uploaded)
[ "$first" -gt 400000 ] || fail "first backup uploaded $first"
data_before=$(size_of "$T/repo/data")
run 0 cairn --json backup
second=$(checkpoint_stat bytes_uploaded)
[ "$second" -lt 4096 ] || fail "second backup uploaded $second bytes"
[ "$(size_of "$T/repo/data")" = "$data_before" ] || fail "the data grew"
[ -s "$T/state/stored-ids/"*.ids ] || fail "no record of stored ids"

note "the sealed file cache: unchanged files are not read again, a changed one is"
[ "$(checkpoint_stat bytes_read)" -eq 0 ] || fail "the second backup read $(checkpoint_stat bytes_read) bytes"
[ "$(checkpoint_stat files_unchanged)" -eq 2 ] || fail "$(cat "$T/out")"
if command -v strace > /dev/null; then  # (chmod 000 would not do: it changes ctime, and root reads anyway)
  run 0 strace -f -qq -e trace=open,openat -o "$T/trace" "$CAIRN" -q -c "$T/cairn.yaml" --json backup
  grep -q 'catalog.db' "$T/trace" || fail "strace saw nothing: $(head -5 "$T/trace")"
  ! grep -q -e 'big\.bin' -e "$name" "$T/trace" || fail "an unchanged file was opened: $(grep -e 'big\.bin' -e "$name" "$T/trace")"
fi
printf 'changed %s\n' "$content" > "$T/src/deep/er/$name.txt"
run 0 cairn --json backup
[ "$(checkpoint_stat bytes_read)" -eq "$(stat -c %s "$T/src/deep/er/$name.txt")" ] || fail "read $(checkpoint_stat bytes_read)"
[ "$(checkpoint_stat files_changed)" -eq 1 ] || fail "$(cat "$T/out")"
if command -v sqlite3 > /dev/null; then
  note "the sealed file cache: a directory gone is no longer described"
  mkdir -p "$T/src/gone/sub"
  echo "gone-file-31337" > "$T/src/gone/sub/gone-name-31337.txt"
  run 0 cairn backup
  rows=$(sqlite3 "$T/state/catalog.db" 'select count(*) from sealed_file_cache')
  rm -rf "$T/src/gone"
  run 0 cairn backup
  [ "$(sqlite3 "$T/state/catalog.db" 'select count(*) from sealed_file_cache')" -eq $((rows - 2)) ] ||
    fail "rows $rows then $(sqlite3 "$T/state/catalog.db" 'select count(*) from sealed_file_cache')"
  ! grep -raq -e gone-name-31337 -e gone-file-31337 "$T/state" || fail "a removed name in the state dir"
fi

note "every read command is refused without the private key, in one line"
refused() {
  run 1 cairn "$@"
  grep -q "this machine is write-only: reading its backups needs --private-key FILE" "$T/err" || fail "$*: $(cat "$T/err")"
  [ "$(wc -l < "$T/err")" -eq 1 ] || fail "$*: more than one line: $(cat "$T/err")"
}
refused restore latest --to "$T/nowhere"
refused ls latest
refused diff latest latest
refused check --read-data
refused check
refused prune
refused find '*'
refused history "src/deep/er/$name.txt"
refused show latest
refused checkpoints
mkdir -p "$T/mnt"
refused mount "$T/mnt"
[ ! -e "$T/nowhere" ] || fail "restore wrote something"
refused key remove 00000000
CAIRN_NEW_PASSWORD=x refused key add --password

note "status says checkpoints are not listed here, not 'no checkpoint'"
run 0 cairn status
grep -q "checkpoints are not listed on this machine (write-only)" "$T/out" || fail "status: $(cat "$T/out")"
! grep -q "no checkpoint" "$T/out" || fail "status: $(cat "$T/out")"
run 0 cairn --json status
grep -q '"checkpoints_listed":false' "$T/out" || fail "status --json: $(cat "$T/out")"

note "theft: the state dir and the target hold no name or content in the clear"
for where in "$T/state" "$T/repo" "$T/cairn.yaml"; do
  ! grep -raq -e "$name" -e "$content" -e "deep/er" -e "big.bin" "$where" || fail "found in $where: $(grep -ral -e "$name" -e "$content" "$where")"
done
if command -v sqlite3 > /dev/null; then
  [ "$(sqlite3 "$T/state/catalog.db" 'select count(*) from checkpoints')" = 0 ] || fail "checkpoint rows in the catalog"
  [ "$(sqlite3 "$T/state/catalog.db" 'select count(*) from file_cache')" = 0 ] || fail "a plain file cache in the catalog"
  [ "$(sqlite3 "$T/state/catalog.db" 'select count(*) from sealed_file_cache')" -gt 0 ] || fail "no sealed file cache"
  sqlite3 "$T/state/catalog.db" .dump > "$T/dump"
  ! grep -aq -e "$name" -e "$content" -e "deep/er" -e "big.bin" "$T/dump" || fail "a name in the catalog's rows"
fi

note "theft: every key on the machine, through cairn's own commands, opens nothing"
# Any failure will do (exit 1 or 2): what matters is that nothing opens.
fails() {
  set +e; "$@" > "$T/out" 2> "$T/err"; local got=$?; set -e
  [ $got -ne 0 ] || fail "'$*' succeeded"
}
for key in "$T/state/writer.key"; do
  fails cairn --keyfile "$key" restore latest --to "$T/stolen"
  fails cairn --keyfile "$key" ls latest
  fails cairn --keyfile "$key" find '*'
  fails cairn --keyfile "$key" check --read-data
  fails "$CAIRN" bootstrap "$T/repo" --keyfile "$key" --state-dir "$T/stolen-state"
  fails "$CAIRN" bootstrap "$T/repo" --rebuild --keyfile "$key" --state-dir "$T/stolen-state2"
done
run 1 cairn restore latest --to "$T/stolen"
for where in "$T/stolen" "$T/stolen-state" "$T/stolen-state2" "$T/out" "$T/err"; do
  [ -e "$where" ] || continue
  ! grep -raq -e "$name" -e "$content" "$where" || fail "recovered from $where"
done

note "with the private key: restore bit-exact, ls, check --read-data"
run 0 cairn --private-key "$T/keys/private.key" restore latest --to "$T/restored"
diff -r "$T/src" "$T/restored/src" || fail "restore differs"
[ "$(readlink "$T/restored/src/link")" = "deep/er/$name.txt" ] || fail "symlink"
run 0 cairn --private-key "$T/keys/private.key" ls latest src/deep/er
grep -q "$name" "$T/out" || fail "ls: $(cat "$T/out")"
run 0 cairn --private-key "$T/keys/private.key" check --read-data
run 0 cairn --private-key "$T/keys/private.key" checkpoints
[ "$(grep -c main "$T/out")" -ge 2 ] || fail "checkpoints: $(cat "$T/out")"

note "a protected private key: the passphrase from CAIRN_PRIVATE_KEY_PASSPHRASE"
# protected.key belongs to another key pair: it opens nothing here, after the passphrase.
CAIRN_PRIVATE_KEY_PASSPHRASE="wrong" run 1 cairn --private-key "$T/keys/protected.key" ls latest
CAIRN_PRIVATE_KEY_PASSPHRASE="correct horse" run 1 cairn --private-key "$T/keys/protected.key" ls latest
grep -q "does not open\|not the one" "$T/err" || fail "$(cat "$T/err")"

note "an administrator's password slot reads too"
CAIRN_NEW_PASSWORD=admin-pw run 0 cairn --private-key "$T/keys/private.key" key add --password
CAIRN_PASSWORD=admin-pw run 0 cairn --password restore latest --to "$T/admin"
diff -r "$T/src" "$T/admin/src" || fail "admin restore differs"
CAIRN_PASSWORD=wrong run 1 cairn --password ls latest

note "bootstrap with the private key on a fresh state dir; backups go on"
# A second target: bootstrap reads one, and rebuilds the record of stored
# blobs of both, so neither re-uploads everything.
sed -i -e "s|^targets:|targets:\n  usb2:\n    type: local\n    path: $T/repo2|" -e "s|targets: \[repo\]|targets: [repo, usb2]|" "$T/cairn.yaml"
run 0 cairn init
echo more > "$T/src/new.txt"
run 0 cairn backup
[ "$(ls "$T/state/stored-ids/"*.ids | wc -l)" -eq 2 ] || fail "stored-ids: $(ls "$T/state/stored-ids/")"
run 0 "$CAIRN" bootstrap "$T/repo" --private-key "$T/keys/private.key" --state-dir "$T/state2" --config-out "$T/new.yaml"
[ "$(stat -c %a "$T/state2/writer.key")" = 600 ] || fail "no writer key after bootstrap: $(ls -la "$T/state2")"
cmp -s "$T/state/writer.key" "$T/state2/writer.key" || fail "another writer key"
for f in "$T/state/stored-ids/"*.ids; do
  cmp -s "$f" "$T/state2/stored-ids/$(basename "$f")" || [ -s "$T/state2/stored-ids/$(basename "$f")" ] ||
    fail "bootstrap did not rebuild $(basename "$f"): $(ls -la "$T/state2/stored-ids")"
done
echo newer > "$T/src/newer.txt"
run 0 "$CAIRN" -q --json -c "$T/new.yaml" backup
[ "$(checkpoint_stat bytes_uploaded | wc -l)" -eq 2 ] || fail "not two targets: $(cat "$T/out")"
for up in $(checkpoint_stat bytes_uploaded); do
  [ "$up" -lt 100000 ] || fail "after bootstrap a target's backup uploaded $up bytes"
done
run 1 "$CAIRN" -q -c "$T/new.yaml" ls latest
run 0 "$CAIRN" -q -c "$T/new.yaml" --private-key "$T/keys/private.key" restore latest --to "$T/after"
diff -r "$T/src" "$T/after/src" || fail "restore after bootstrap differs"

note "keyring.tpm: the writer secret sealed to this machine's TPM, no writer key on disk"
if command -v swtpm > /dev/null; then
  start_swtpm "$T/tpm-a"
  mkdir -p "$T/tsrc"
  printf '%s\n' "$content" > "$T/tsrc/$name.txt"
  KEY_MODE=write-only write_config "$T/tsrc"
  sed -i -e "s|^  mode: write-only|  mode: write-only\n  public_key: $pub\n  tpm: true\n  tcti: \"$TPM_TCTI\"|" \
    -e "s|$T/state|$T/tstate|" -e "s|$T/repo|$T/trepo|" "$T/cairn.yaml"
  run 0 cairn init
  [ ! -e "$T/tstate/writer.key" ] || fail "a writer key file in TPM mode"
  run 0 cairn --json key list
  [ "$(json 'select(.kind=="tpm") | .id' | wc -l)" -eq 1 ] || fail "no TPM slot: $(cat "$T/out")"
  run 0 cairn --json backup
  run 0 cairn --json backup
  [ "$(checkpoint_stat bytes_uploaded)" -lt 4096 ] || fail "second backup uploaded $(checkpoint_stat bytes_uploaded)"
  refused ls latest
  ! grep -raq -e "$name" -e "$content" "$T/tstate" "$T/trepo" || fail "a name or content in the clear"
  run 0 cairn --private-key "$T/keys/private.key" restore latest --to "$T/trestored"
  diff -r "$T/tsrc" "$T/trestored/tsrc" || fail "restore differs"
  note "new hardware: the private key re-seals the writer secret to the new TPM"
  stop_swtpm "$T/tpm-a"
  start_swtpm "$T/tpm-b"
  sed -i "s|tcti: .*|tcti: \"$TPM_TCTI\"|" "$T/cairn.yaml"
  rm -f "$T/tstate/tpm-sealed.json"
  run 1 cairn backup
  run 0 cairn --private-key "$T/keys/private.key" key add --tpm
  run 0 cairn --json backup
  [ "$(checkpoint_stat bytes_uploaded)" -lt 4096 ] || fail "after re-sealing the backup uploaded $(checkpoint_stat bytes_uploaded)"
  refused ls latest
fi
echo "write-only: ok"
