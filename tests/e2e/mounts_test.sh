# one_file_system: a source does not descend into other mounted file systems;
# their mount points are kept as empty directories. Without the option the
# mounted files are backed up like any others.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/mnt" "$T/src/docs"
echo "on the source's own file system" > "$T/src/docs/a.txt"
mount -t tmpfs -o size=4m cairn-test "$T/src/mnt" 2>/dev/null || { echo "cannot mount a tmpfs here"; exit 77; }
at_exit 'umount "$T/src/mnt"'
echo "on another file system" > "$T/src/mnt/b.txt"

config() {  # config ONE_FILE_SYSTEM
  cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets: {repo: {type: local, path: $T/repo}}
plans:
  main:
    sources: [{type: dir, path: $T/src, one_file_system: $1}]
    targets: [repo]
YAML
}

note "one_file_system: true keeps the mount point, empty"
config true
run 0 cairn init
run 0 cairn --json backup
[ "$(checkpoint_stat files)" -eq 1 ] || fail "expected 1 file, got $(checkpoint_stat files)"
run 0 cairn restore latest --to "$T/r1"
[ -d "$T/r1/src/mnt" ] || fail "the mount point is missing"
[ -z "$(ls -A "$T/r1/src/mnt")" ] || fail "files of another file system were backed up"
cmp "$T/src/docs/a.txt" "$T/r1/src/docs/a.txt" || fail "a.txt differs"

note "one_file_system: false (the default) backs up the mounted files too"
config false
run 0 cairn --json backup
[ "$(checkpoint_stat files)" -eq 2 ] || fail "expected 2 files, got $(checkpoint_stat files)"
run 0 cairn restore latest --to "$T/r2"
cmp "$T/src/mnt/b.txt" "$T/r2/src/mnt/b.txt" || fail "b.txt differs"
