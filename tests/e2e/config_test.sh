# cairn config example prints a YAML that cairn config check accepts, and that
# a real backup and restore run with (its paths pointed here); config check
# prints the effective configuration without secrets, and a wrong file gets
# one line with file:line:col and exit code 2, with nothing created.
source "$CAIRN_E2E_LIB"

note "the example passes config check as it is"
run 0 "$CAIRN" config example
cp "$T/out" "$T/example.yaml"
grep -q '^# ' "$T/example.yaml" || fail "the example has no comments"
run 0 "$CAIRN" -c "$T/example.yaml" config check
grep -q '^  retry: 15m$' "$T/out" || fail "no default in the effective configuration: $(cat "$T/out")"
grep -q 'connections: 1' "$T/out" || fail "$(cat "$T/out")"

note "the effective configuration loads again, to itself"
cp "$T/out" "$T/effective.yaml"
run 0 "$CAIRN" -c "$T/effective.yaml" config check
diff <(tail -n +2 "$T/effective.yaml") <(tail -n +2 "$T/out") || fail "the effective configuration changed when loaded again"

note "the example, pointed at this test's folders, backs up and restores"
mkdir -p "$T/src"
echo hello > "$T/src/a.txt"
sed -e "s|/var/lib/cairn|$T/state|; s|/etc/cairn/cairn.key|$T/cairn.key|; s|/mnt/usb/cairn|$T/repo|; s|path: /home|path: $T/src|" \
  "$T/example.yaml" > "$T/cairn.yaml"
run 0 cairn init
run 0 cairn backup home
run 0 cairn restore latest --to "$T/r"
cmp "$T/src/a.txt" "$T/r/src/a.txt" || fail "restored file differs"

note "no secret is printed: credentials in URLs, credential files' contents"
printf 'AKIAEXAMPLEID\nsup3rs3cret\n' > "$T/s3.keys"
chmod 600 "$T/s3.keys"
cat > "$T/secret.yaml" <<YAML
state_dir: $T/state2
keyring: {mode: password, password_file: $T/pw}
targets:
  cloud: {url: "s3://s3.example.org/bucket", access_key_file: $T/s3.keys}
  ssh: {url: "sftp://alice:hunter2@nas/srv", identity: $T/id}
plans:
  p: {sources: [{type: dir, path: $T/src}], targets: [cloud, ssh]}
YAML
echo "correct horse" > "$T/pw"
run 0 "$CAIRN" -c "$T/secret.yaml" config check
grep -q "sup3rs3cret\|AKIAEXAMPLEID\|hunter2\|correct horse" "$T/out" "$T/err" && fail "a secret was printed: $(cat "$T/out")"
grep -q "access_key_file: $T/s3.keys" "$T/out" || fail "the credentials file is not named: $(cat "$T/out")"
run 0 "$CAIRN" --json -c "$T/secret.yaml" config check
[ "$(json '.valid')" = true ] || fail "$(cat "$T/out")"

note "a wrong file: one line with file:line:col, exit 2, nothing created"
printf 'state_dir: %s/state3\ntargets:\n  usb: {type: local, path: /x}\nplans:\n  p:\n    sources: [{type: dir, path: /y}]\n    targets: [usb]\n    tagret: x\n' "$T" > "$T/bad.yaml"
run 2 "$CAIRN" -c "$T/bad.yaml" config check
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
grep -q "bad.yaml:8:5: unknown key \"tagret\"" "$T/err" || fail "$(cat "$T/err")"
[ ! -e "$T/state3" ] || fail "config check created the state directory"
run 2 "$CAIRN" -c "$T/missing.yaml" config check
grep -q "missing.yaml: no such file" "$T/err" || fail "$(cat "$T/err")"
echo "PASS"
