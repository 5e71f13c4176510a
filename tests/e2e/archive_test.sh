# Single-file archives (cairn export, restore --archive, ls --archive): a real
# tree with symlinks, hard links, extended attributes and an application
# resource with a sensitive file is exported with a passphrase, a keyfile,
# plain and to a pipe; each restores with no YAML and no state in an empty
# directory, bit-exact against a restore from the repository. A plain archive
# lacks the sensitive file; a damaged one restores the rest and names what it
# lost (exit 3); a hostile destination is never written through.
source "$CAIRN_E2E_LIB"

src=$T/src
mkdir -p "$src/docs/deep/er" "$T/notes/keys" "$T/conf/resources.d" "$T/outside" "$T/empty"
echo "hello" > "$src/docs/a.txt"
random_file "$src/big.bin" 3500000
random_file "$src/docs/deep/er/small" 1000
ln "$src/docs/a.txt" "$src/docs/hard"
ln -s ../big.bin "$src/docs/link"
printf 'zero\0bytes' > "$src/docs/deep/z"
chmod 0640 "$src/docs/deep/z"
touch -d '2001-02-03 04:05:06.123456789' "$src/docs/deep"
xattrs=false
if command -v setfattr > /dev/null && setfattr -n user.cairn -v archived "$src/docs/a.txt" 2> /dev/null; then xattrs=true; fi
echo '{"n": 1}' > "$T/notes/db.json"
echo "the secret" > "$T/notes/keys/secret.key"
cat > "$T/conf/resources.d/notes.yaml" <<YAML
name: notes
version: "1"
backup: cp -a $T/notes/. "\$CAIRN_STAGING_DIR/"
recover: "true"
sensitive: [keys]
YAML
chmod 644 "$T/conf/resources.d/notes.yaml"
cat > "$T/conf/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  repo: {type: local, path: $T/repo}
plans:
  main:
    sources: [{type: dir, path: $src}, {type: resource, name: notes}]
    targets: [repo]
YAML
cairn() { "$CAIRN" -q -c "$T/conf/cairn.yaml" "$@"; }
run 0 cairn init
run 0 cairn backup
run 0 cairn restore latest --to "$T/from-repo"

# Reading needs nothing but the file: no YAML, no state, an empty HOME.
bare() { (cd "$T/empty" && env -i PATH="$PATH" HOME="$T/empty" "$CAIRN" -q "$@"); }
restored_same() {
  compare_trees "$T/from-repo/src" "$1/src"
  cmp "$T/from-repo/notes/db.json" "$1/notes/db.json" || fail "$1: notes differ"
  [ "$(stat -c %i "$1/src/docs/a.txt")" = "$(stat -c %i "$1/src/docs/hard")" ] || fail "$1: hard link lost"
  [ "$(readlink "$1/src/docs/link")" = ../big.bin ] || fail "$1: symlink lost"
  if $xattrs; then [ "$(getfattr --only-values -n user.cairn "$1/src/docs/a.txt")" = archived ] || fail "$1: xattr lost"; fi
}

note "export with a passphrase, a keyfile, plain, and to a pipe"
export CAIRN_ARCHIVE_PASSPHRASE="tiger lily 42"
run 0 cairn export latest --passphrase --to "$T/pass.cairn"
grep -q "encrypted" "$T/out" || fail "export says: $(cat "$T/out")"
run 0 cairn export latest --keyfile "$T/cairn.key" --to "$T/key.cairn"
run 0 cairn export latest --plain --to "$T/plain.cairn"
grep -q "left out (sensitive, the archive is not encrypted): notes/keys" "$T/out" || fail "plain export: $(cat "$T/out")"
set +e
cairn export latest --passphrase --to - > "$T/pipe.cairn" 2> "$T/err"
code=$?
set -e
[ $code = 0 ] || fail "export to stdout: $code $(cat "$T/err")"
grep -q "standard output" "$T/err" || fail "export to stdout says: $(cat "$T/err")"
[ "$(head -c 8 "$T/pipe.cairn")" = CAIRNARC ] || fail "stdout archive has no header"
[ "$(stat -c %a "$T/pass.cairn")" = 600 ] || fail "archive mode $(stat -c %a "$T/pass.cairn")"
! grep -q "the secret" "$T/pass.cairn" "$T/key.cairn" "$T/plain.cairn" || fail "the secret is readable in an archive"
ls "$T" | grep -q 'tmp-' && fail "temporary files left: $(ls "$T")"

note "crash safety: an existing file is not replaced, a failed export leaves nothing"
run 1 cairn export latest --plain --to "$T/plain.cairn"
grep -q "exists already" "$T/err" || fail "$(cat "$T/err")"
run 1 cairn export latest --plain --to "$T/nodir/x.cairn"
[ ! -e "$T/nodir" ] || fail "created something"
run 2 cairn export latest --to "$T/x.cairn"
grep -q "exactly one of" "$T/err" || fail "$(cat "$T/err")"

note "restore --archive with nothing else, bit-exact"
unset CAIRN_ARCHIVE_PASSPHRASE
echo "tiger lily 42" > "$T/pass.txt"
run 0 bare restore --archive "$T/pass.cairn" --passphrase-file "$T/pass.txt" --to "$T/r-pass"
restored_same "$T/r-pass"
[ -f "$T/r-pass/notes/keys/secret.key" ] || fail "the encrypted archive lacks the sensitive file"
run 0 bare --keyfile "$T/cairn.key" restore --archive "$T/key.cairn" --to "$T/r-key"
restored_same "$T/r-key"
run 0 bare restore --archive "$T/plain.cairn" --to "$T/r-plain"
compare_trees "$T/from-repo/src" "$T/r-plain/src"
[ ! -e "$T/r-plain/notes/keys" ] || fail "the plain archive holds the sensitive file"
run 0 env CAIRN_ARCHIVE_PASSPHRASE="tiger lily 42" bash -c "cd '$T/empty' && '$CAIRN' -q restore --archive '$T/pipe.cairn' --to '$T/r-pipe'"
restored_same "$T/r-pipe"
[ -z "$(ls -A "$T/empty")" ] || fail "reading an archive wrote into the working directory: $(ls -A "$T/empty")"

note "ls --archive, and --path"
run 0 bare ls --archive "$T/plain.cairn"
grep -q "src/" "$T/out" && grep -q "notes/" "$T/out" && grep -q "left out: keys" "$T/out" || fail "ls: $(cat "$T/out")"
run 0 bare ls --archive "$T/plain.cairn" src/docs
grep -q "a.txt" "$T/out" || fail "ls path: $(cat "$T/out")"
run 0 bare restore --archive "$T/plain.cairn" --path src/docs/deep --to "$T/r-part"
[ -f "$T/r-part/src/docs/deep/z" ] && [ ! -e "$T/r-part/src/big.bin" ] || fail "--path restored: $(find "$T/r-part")"
run 0 cairn export latest --plain --path src/docs --to "$T/docs.cairn"
run 0 bare ls --archive "$T/docs.cairn" src
[ "$(grep -c . "$T/out")" = 1 ] && grep -q "docs/" "$T/out" || fail "export --path: $(cat "$T/out")"

run 0 cairn export latest --plain --resource notes --to "$T/notes.cairn"
run 0 bare ls --archive "$T/notes.cairn"
[ "$(grep -c '/$' "$T/out")" = 1 ] && grep -q "notes/" "$T/out" || fail "export --resource: $(cat "$T/out")"
run 1 cairn export latest --plain --resource nope --to "$T/nope.cairn"
grep -q 'holds no resource "nope"' "$T/err" && [ ! -e "$T/nope.cairn" ] || fail "$(cat "$T/err")"

note "a wrong passphrase is one line"
echo "wrong" > "$T/wrong.txt"
run 1 bare restore --archive "$T/pass.cairn" --passphrase-file "$T/wrong.txt" --to "$T/r-wrong"
[ "$(wc -l < "$T/err")" = 1 ] && grep -q "wrong passphrase" "$T/err" || fail "wrong passphrase: $(cat "$T/err")"
[ ! -e "$T/r-wrong" ] || fail "a wrong passphrase created the destination"

note "a damaged archive restores the rest and names what it lost"
cp "$T/key.cairn" "$T/bad.cairn"
size=$(stat -c %s "$T/bad.cairn")
flip_byte "$T/bad.cairn" $((size / 2))
run 3 bare --keyfile "$T/cairn.key" restore --archive "$T/bad.cairn" --to "$T/r-bad"
grep -q "not restored: src/big.bin" "$T/err" || fail "damage not named: $(cat "$T/err")"
cmp "$T/from-repo/src/docs/deep/er/small" "$T/r-bad/src/docs/deep/er/small" || fail "an intact file was not restored"
[ ! -e "$T/r-bad/src/big.bin" ] || fail "a damaged file was left in place"
head -c $((size / 3)) "$T/plain.cairn" > "$T/cut.cairn"
run 3 bare restore --archive "$T/cut.cairn" --to "$T/r-cut"
grep -q "not restored:" "$T/err" || fail "cut archive: $(cat "$T/err")"

note "a hostile destination: a symlink to outside is never followed"
mkdir -p "$T/hostile"
ln -s "$T/outside" "$T/hostile/src"
run 0 bare restore --archive "$T/plain.cairn" --to "$T/hostile"
[ -z "$(ls -A "$T/outside")" ] || fail "wrote outside the destination: $(ls -A "$T/outside")"
[ -f "$T/hostile/src/big.bin" ] && [ ! -L "$T/hostile/src" ] || fail "the symlink was not replaced"
note "ok"
