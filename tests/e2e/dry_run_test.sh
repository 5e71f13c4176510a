# backup --dry-run: lists the files a backup would read and the totals, from
# the sources and the file cache alone; writes nothing anywhere (no state
# dir, no repository, no catalog change), and honours the excludes.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/docs" "$T/src/cache"
random_file "$T/src/docs/a.bin" 100000
echo "notes" > "$T/src/docs/notes.txt"
echo "skip me" > "$T/src/docs/x.tmp"
printf 'Signature: 8a477f597d28d172789f06886806bc55\n' > "$T/src/cache/CACHEDIR.TAG"
random_file "$T/src/cache/blob" 50000
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets: {repo: {type: local, path: $T/repo}}
plans:
  main:
    sources: [{type: dir, path: $T/src, exclude: ["*.tmp"], exclude_caches: true}]
    targets: [repo]
  cmd:
    sources: [{type: command, name: dump, command: "echo hi"}]
    targets: [repo]
YAML

note "before any backup: every file is to be read, nothing is created"
run 0 cairn backup --dry-run main
grep -q "$T/src/docs/a.bin" "$T/out" || fail "a.bin is not listed: $(cat "$T/out")"
grep -q "x.tmp\|blob" "$T/out" && fail "an excluded file is listed: $(cat "$T/out")"
grep -q "^total: would read 3 files, " "$T/out" || fail "$(cat "$T/out")"
[ ! -e "$T/state" ] && [ ! -e "$T/repo" ] && [ ! -e "$T/cairn.key" ] || fail "a dry run created files"

note "after a backup: only the changed file"
run 0 cairn init
run 0 cairn backup main
before=$(fingerprint "$T/repo")
catalog_before=$(sha256sum < "$T/state/catalog.db")
echo "more" >> "$T/src/docs/notes.txt"
run 0 cairn --json backup --dry-run main
[ "$(json 'select(.type=="would_read") | .path')" = "$T/src/docs/notes.txt" ] || fail "$(cat "$T/out")"
[ "$(json 'select(.type=="dry_run") | .files')" -eq 3 ] || fail "$(cat "$T/out")"
[ "$(json 'select(.type=="dry_run") | .files_to_read')" -eq 1 ] || fail "$(cat "$T/out")"
[ "$(json 'select(.type=="dry_run") | .bytes_to_read')" -eq 11 ] || fail "$(cat "$T/out")"
[ "$(fingerprint "$T/repo")" = "$before" ] || fail "a dry run changed the repository"
# (SQLite may add its -shm and -wal files beside the catalog: any reader does)
[ "$(sha256sum < "$T/state/catalog.db")" = "$catalog_before" ] || fail "a dry run changed the catalog"

note "a command source is not run"
run 0 cairn backup --dry-run cmd
grep -q "known only when it runs" "$T/out" || fail "$(cat "$T/out")"

note "an unknown plan is a usage error; a missing source fails like the backup would"
run 2 cairn backup --dry-run nope
grep -q 'no plan named "nope"' "$T/err" || fail "$(cat "$T/err")"
mv "$T/src" "$T/gone"
run 1 cairn backup --dry-run main
grep -q "cairn.yaml:6:.*source" "$T/out" || fail "$(cat "$T/out")"

note "two sources of one plan keep their own file caches: a second backup reads nothing"
mkdir -p "$T/one" "$T/two"
echo 1 > "$T/one/x"
echo 2 > "$T/two/y"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets: {repo: {type: local, path: $T/repo}}
plans:
  two:
    sources: [{type: dir, path: $T/one}, {type: dir, path: $T/two}]
    targets: [repo]
YAML
run 0 cairn backup two
run 0 cairn --json backup --dry-run two
[ "$(json 'select(.type=="dry_run") | .files_to_read')" -eq 0 ] || fail "$(cat "$T/out")"
run 0 cairn --json backup two
[ "$(checkpoint_stat files_unchanged)" -eq 2 ] || fail "a source's files were read again: $(cat "$T/out")"
