# Recovery on new hardware: machine A runs two plans on two local targets;
# its state and config are deleted; bootstrap with only the keyfile brings
# back every checkpoint and restore works. Also: a damaged newest suite state,
# a single suite file with no target, password mode, --rebuild, a wrong key.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/a/docs" "$T/b"
random_file "$T/a/docs/report.bin" $((2 << 20))
echo "plan b" > "$T/b/notes.txt"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  one: {type: local, path: $T/repo1}
  two: {type: local, path: $T/repo2}
plans:
  docs:
    sources:
      - {type: dir, path: $T/a, post_restore: "touch \$CAIRN_RESTORED_PATH/.restored-by-post-step"}
    targets: [one, two]
  notes: {sources: [{type: dir, path: $T/b}], targets: [one]}
YAML
run 0 cairn init
for i in 1 2 3; do
  echo "run $i" >> "$T/b/notes.txt"
  random_file "$T/a/docs/new$i.bin" 100000
  run 0 cairn backup
done
[ "$(jq '.generations | length' "$T/repo2/suite/latest")" -eq 5 ] || fail "target two (not in plan notes) did not get every suite state"
run 0 cairn --json checkpoints
before=$(json '.id' | sort)
[ "$(echo "$before" | wc -l)" -eq 9 ] || fail "expected 9 checkpoints, got $(echo "$before" | wc -l)"
cp -a "$T/a" "$T/expected-a"
cp -a "$T/b" "$T/expected-b"
cp "$T/cairn.key" "$T/saved.key"
cp "$(ls -d "$T"/repo1/suite/0* | head -1)" "$T/one-suite-state"

note "machine A is lost: state dir and configuration are gone"
rm -rf "$T/state" "$T/cairn.yaml" "$T/cairn.key"

note "wrong keyfile: a clear error and nothing written to --state-dir"
"$CAIRN" -q -c /dev/null init > /dev/null 2>&1 || true
mkdir -p "$T/other" && printf 'targets: {x: {type: local, path: %s}}\nkeyring: {keyfile: %s}\n' "$T/other/repo" "$T/other/k.key" > "$T/other/c.yaml"
"$CAIRN" -q -c "$T/other/c.yaml" init > /dev/null
run 1 "$CAIRN" bootstrap "$T/repo1" --keyfile "$T/other/k.key" --state-dir "$T/wrong"
grep -q "does not open" "$T/err" || fail "$(cat "$T/err")"
[ ! -e "$T/wrong" ] || fail "a wrong key wrote to the state dir"

note "bootstrap from target one with only the keyfile"
run 0 "$CAIRN" bootstrap "$T/repo1" --keyfile "$T/saved.key" --state-dir "$T/new-state" --config-out "$T/new.yaml"
grep -q "9 checkpoints of 2 plan(s)" "$T/out" || fail "$(cat "$T/out")"
grep -q "runs commands; check them in .*post_restore: touch" "$T/err" || fail "the recovered commands are not shown: $(cat "$T/err")"
sed -i "s|keyfile: $T/cairn.key|keyfile: $T/saved.key|" "$T/new.yaml"
run 0 "$CAIRN" -q -c "$T/new.yaml" --json checkpoints
[ "$(json '.id' | sort)" = "$before" ] || fail "the recovered catalog does not list every checkpoint"
run 0 "$CAIRN" -q -c "$T/new.yaml" runs
grep -q "running" "$T/out" && fail "the recovered history shows a run still running: $(cat "$T/out")"
run 0 "$CAIRN" -q -c "$T/new.yaml" restore latest --plan docs --to "$T/r-docs"
diff -r -x .restored-by-post-step "$T/expected-a" "$T/r-docs/a" || fail "plan docs restored differently"
grep -q "post-restore step of a: .*: done" "$T/out" || fail "no post-restore step: $(cat "$T/out")"
[ -e "$T/r-docs/a/.restored-by-post-step" ] || fail "the post-restore step did not run"
run 0 "$CAIRN" -q -c "$T/new.yaml" restore latest --plan notes --to "$T/r-notes"
diff -r "$T/expected-b" "$T/r-notes/b" > /dev/null || fail "plan notes restored differently"
run 0 "$CAIRN" -q -c "$T/new.yaml" backup
run 0 "$CAIRN" -q -c "$T/new.yaml" check

note "the newest suite state is damaged: fall back to the previous one and say so"
newest=$(jq -r '.generations[0]' "$T/repo1/suite/latest")
size=$(stat -c %s "$T/repo1/$newest")
flip_byte "$T/repo1/$newest" $((size - 20))
run 0 "$CAIRN" bootstrap "$T/repo1" --keyfile "$T/saved.key" --state-dir "$T/state-2"
grep -q "damaged" "$T/err" || fail "the fallback is not reported: $(cat "$T/err")"
grep -q "trying an older one" "$T/err" || fail "$(cat "$T/err")"

note "a single suite-state file, no target at all"
run 0 "$CAIRN" bootstrap --suite-file "$T/one-suite-state" --keyfile "$T/saved.key" --state-dir "$T/state-3"
grep -q "checkpoints of" "$T/out" || fail "$(cat "$T/out")"

note "no suite state at all: --rebuild from the checkpoints"
rm -rf "$T/repo2/suite"
run 1 "$CAIRN" bootstrap "$T/repo2" --keyfile "$T/saved.key" --state-dir "$T/state-4"
grep -q -- "--rebuild" "$T/err" || fail "$(cat "$T/err")"
run 0 "$CAIRN" bootstrap "$T/repo2" --rebuild --keyfile "$T/saved.key" --state-dir "$T/state-4"
grep -q "rebuilt the catalog" "$T/out" || fail "$(cat "$T/out")"
run 0 "$CAIRN" -q -c "$T/state-4/cairn.yaml" restore latest --plan docs --to "$T/r-rebuilt"
diff -r -x .restored-by-post-step "$T/expected-a" "$T/r-rebuilt/a" > /dev/null || fail "rebuilt catalog restores differently"

note "password mode"
mkdir -p "$T/pw/src" && echo secret-data > "$T/pw/src/f.txt"
cat > "$T/pw/c.yaml" <<YAML
state_dir: $T/pw/state
keyring: {mode: password}
targets: {t: {type: local, path: $T/pw/repo}}
plans: {p: {sources: [{type: dir, path: $T/pw/src}], targets: [t]}}
YAML
export CAIRN_PASSWORD=correct-horse
run 0 "$CAIRN" -q -c "$T/pw/c.yaml" init
run 0 "$CAIRN" -q -c "$T/pw/c.yaml" backup
rm -rf "$T/pw/state"
CAIRN_PASSWORD=wrong run 1 "$CAIRN" bootstrap "$T/pw/repo" --password --state-dir "$T/pw/new"
grep -q "wrong password" "$T/err" || fail "$(cat "$T/err")"
run 0 "$CAIRN" bootstrap "$T/pw/repo" --password --state-dir "$T/pw/new"
run 0 "$CAIRN" -q -c "$T/pw/new/cairn.yaml" restore latest --to "$T/pw/out"
[ "$(cat "$T/pw/out/src/f.txt")" = secret-data ] || fail "password-mode restore"

note "checkpoints forgotten after the newest suite state: bootstrap does not list them, and says so"
unset CAIRN_PASSWORD
sed -i 's|^  notes: {sources: \(.*\), targets: \[one\]}$|  notes: {sources: \1, targets: [one], keep: {last: 1}}|' "$T/new.yaml"
grep -q "keep: {last: 1}" "$T/new.yaml" || fail "could not add a keep policy: $(grep notes "$T/new.yaml")"
run 0 "$CAIRN" -q -c "$T/new.yaml" backup
run 0 "$CAIRN" -q -c "$T/new.yaml" forget notes
run 0 "$CAIRN" -q -c "$T/new.yaml" --json checkpoints --target one
expected=$(json '.id' | sort)
run 0 "$CAIRN" bootstrap "$T/repo1" --keyfile "$T/saved.key" --state-dir "$T/state-6" --config-out "$T/six.yaml"
grep -q "were forgotten after this suite state was written" "$T/err" || fail "no word of the forgotten: $(cat "$T/err")"
run 0 "$CAIRN" -q -c "$T/six.yaml" --json checkpoints --target one
[ "$(json '.id' | sort)" = "$expected" ] || fail "bootstrap lists checkpoints the target no longer has"
