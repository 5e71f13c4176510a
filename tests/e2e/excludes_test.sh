# Excludes people know from tar, borg and restic: exclude_caches (a directory
# with a valid CACHEDIR.TAG keeps only itself and the tag), exclude_if_present
# (a directory holding a marker keeps only itself and the marker), and
# exclude_from (a file of patterns next to the YAML). Checks what `cairn ls`
# and a restore show, entry for entry, and that skipped files are not read.
source "$CAIRN_E2E_LIB"

SIG="Signature: 8a477f597d28d172789f06886806bc55"
S="$T/src"
mkdir -p "$S/cache/sub" "$S/fakecache" "$S/private/sub" "$S/docs/nested/thumbs" "$S/build" "$S/.ccache"
echo "kept" > "$S/docs/a.txt"
echo "scratch" > "$S/docs/notes.tmp"            # *.tmp from the exclude file
echo "object" > "$S/build/main.o"                # build/ from the exclude file
printf '%s\n# This file is a cache directory tag.\n' "$SIG" > "$S/cache/CACHEDIR.TAG"
random_file "$S/cache/big.bin" 300000
echo "deep" > "$S/cache/sub/deep.txt"
echo "Signature: 8a477f597d28d172789f06886806bc56" > "$S/fakecache/CACHEDIR.TAG"  # one digit off
echo "not a cache" > "$S/fakecache/data.txt"
printf '%s' "$SIG" > "$S/docs/nested/thumbs/CACHEDIR.TAG"  # exactly the signature, no newline
echo "thumb" > "$S/docs/nested/thumbs/t1.png"
touch "$S/private/.nobackup"
echo "secret" > "$S/private/secret.txt"
echo "secret too" > "$S/private/sub/more.txt"
touch "$S/.ccache/.cairn-skip"
echo "compiler cache" > "$S/.ccache/x.o"

cat > "$T/excludes.txt" <<'PATTERNS'
# scratch files

*.tmp
   build/
PATTERNS
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets: {repo: {type: local, path: $T/repo}}
plans:
  main:
    sources:
      - type: dir
        path: $S
        exclude_caches: true
        exclude_if_present: [.nobackup, .cairn-skip]
        exclude_from: excludes.txt
    targets: [repo]
YAML

run 0 cairn init
run 0 cairn --json backup
# a.txt, 2 CACHEDIR.TAG kept, fakecache's 2 files, 2 markers
[ "$(checkpoint_stat files)" -eq 7 ] || fail "expected 7 files, got $(checkpoint_stat files): $(cat "$T/out")"
[ "$(checkpoint_stat bytes_read)" -lt 100000 ] || fail "the cache's contents were read: $(checkpoint_stat bytes_read) bytes"

note "cairn ls shows a cache directory with only its tag"
run 0 cairn ls latest src/cache
grep -q "CACHEDIR.TAG" "$T/out" || fail "the CACHEDIR.TAG is missing: $(cat "$T/out")"
[ "$(grep -c . "$T/out")" -eq 1 ] || fail "the cache directory holds more than its tag: $(cat "$T/out")"
run 0 cairn ls latest src/private
grep -q ".nobackup" "$T/out" || fail "the marker is missing: $(cat "$T/out")"
[ "$(grep -c . "$T/out")" -eq 1 ] || fail "the marked directory holds more than its marker: $(cat "$T/out")"

note "a restore holds exactly what should be there"
run 0 cairn restore latest --to "$T/r"
(cd "$T/r/src" && find . -mindepth 1 | sort) > "$T/got"
cat > "$T/want" <<LIST
./.ccache
./.ccache/.cairn-skip
./cache
./cache/CACHEDIR.TAG
./docs
./docs/a.txt
./docs/nested
./docs/nested/thumbs
./docs/nested/thumbs/CACHEDIR.TAG
./fakecache
./fakecache/CACHEDIR.TAG
./fakecache/data.txt
./private
./private/.nobackup
LIST
diff "$T/want" "$T/got" || fail "the restored tree is not what the excludes leave"
cmp "$S/cache/CACHEDIR.TAG" "$T/r/src/cache/CACHEDIR.TAG" || fail "the tag differs"
cmp "$S/fakecache/data.txt" "$T/r/src/fakecache/data.txt" || fail "fakecache/data.txt differs"

note "without the keys everything is backed up"
sed -i '/exclude_caches\|exclude_if_present\|exclude_from/d' "$T/cairn.yaml"
run 0 cairn --json backup
[ "$(checkpoint_stat files)" -eq 15 ] || fail "expected 15 files, got $(checkpoint_stat files)"

note "a missing exclude file fails a backup (exit 2) naming the key's place"
sed -i "s|^        path: $S\$|        path: $S\n        exclude_from: missing.txt|" "$T/cairn.yaml"
run 2 cairn backup
grep -q "cairn.yaml:9:23: cannot read exclude_from $T/missing.txt: no such file" "$T/err" || fail "$(cat "$T/err")"

note "... and only a backup: ls, status and restore still work with that YAML"
run 0 cairn ls latest src/docs
grep -q "a.txt" "$T/out" || fail "$(cat "$T/out")"
run 0 cairn status
run 0 cairn restore latest --to "$T/r2" --path src/docs
[ -f "$T/r2/src/docs/a.txt" ] || fail "restore with an unreadable exclude_from did not restore"
