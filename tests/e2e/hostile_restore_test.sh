# Restore into a hostile destination never changes anything outside it:
# symlinked directories at every depth (in small trees and in ones of more
# than 2,000 entries), symlinked files, hard links to outside files, and a
# destination that keeps changing while restore runs. A victim directory is
# compared before and after. Also: a file whose content is damaged leaves
# nothing (or the older copy) behind, and a post-restore step that came with
# a checkpoint runs only with --run-post-restore.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/big" "$T/src/a/b/c/d" "$T/src/sub"
for i in $(seq 1 3000); do echo "big $i" > "$T/src/big/f$i"; done
echo deep > "$T/src/a/b/c/d/deep.txt"
echo "file" > "$T/src/file.txt"
echo "linked" > "$T/src/hl1.txt"
ln "$T/src/hl1.txt" "$T/src/hl2.txt"
echo "sub" > "$T/src/sub/s.txt"
chmod 4755 "$T/src/sub/s.txt"
ln -s /etc/passwd "$T/src/dangerous-link"
write_config "$T/src"
run 0 cairn init
run 0 cairn backup

# The victim: what an attacker who can write into the destination wants changed.
mkdir -p "$T/victim/sub"
for i in $(seq 1 50); do echo "precious $i" > "$T/victim/f$i"; done
echo "precious" > "$T/victim/file.txt"
echo "precious" > "$T/victim/s.txt"
chmod 0600 "$T/victim/s.txt"
echo "precious" > "$T/victim/hl1.txt"
victim_state() {
  (cd "$T/victim" && find . -printf '%p %y %m %s %T@ %U %G\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
before=$(victim_state)
check_victim() {
  [ "$(victim_state)" = "$before" ] || { diff <(echo "$before") <(victim_state) >&2; fail "$1: restore changed files outside its destination"; }
}

note "symlinked directories at every depth, a symlinked file, hard links to outside files"
d="$T/d1"
mkdir -p "$d/src/a/b/c"
ln -s "$T/victim" "$d/src/big"          # a tree of 3,000 entries
ln -s "$T/victim" "$d/src/sub"
ln -s "$T/victim" "$d/src/a/b/c/d"
ln -s "$T/victim/file.txt" "$d/src/file.txt"
ln "$T/victim/hl1.txt" "$d/src/hl1.txt"
ln "$T/victim/s.txt" "$d/src/hl2.txt"
run 0 cairn restore latest --to "$d"
check_victim "symlinks and hard links in the destination"
diff -r --no-dereference "$T/src" "$d/src" > /dev/null || fail "restored tree differs from the source"
[ "$(stat -c %i "$d/src/hl1.txt")" = "$(stat -c %i "$d/src/hl2.txt")" ] || fail "hard link not restored"
[ -L "$d/src/big" ] && fail "the symlinked directory is still a symlink"

note "a symlink in place of the destination's source directory itself"
d="$T/d2"
mkdir -p "$d"
ln -s "$T/victim" "$d/src"
run 0 cairn restore latest --to "$d"
check_victim "symlinked source directory"
diff -r --no-dereference "$T/src" "$d/src" > /dev/null || fail "restored tree differs from the source"

note "the same with --path (parents made on the way)"
d="$T/d3"
mkdir -p "$d/src/a"
ln -s "$T/victim" "$d/src/a/b"
run 0 cairn restore latest --to "$d" --path src/a/b/c/d/deep.txt --path src/big
check_victim "--path"
[ "$(cat "$d/src/a/b/c/d/deep.txt")" = deep ] || fail "deep.txt not restored"

note "over an older copy whose directories became symlinks"
d="$T/d4"
run 0 cairn restore latest --to "$d"
rm -rf "$d/src/big" "$d/src/a/b"
ln -s "$T/victim" "$d/src/big"
ln -s "$T/victim" "$d/src/a/b"
rm "$d/src/file.txt" && ln "$T/victim/file.txt" "$d/src/file.txt"
run 0 cairn restore latest --to "$d"
check_victim "older copy"
diff -r --no-dereference "$T/src" "$d/src" > /dev/null || fail "restored tree differs from the source"

note "a destination that keeps changing while restore runs"
d="$T/d5"
mkdir -p "$d"
(
  end=$((SECONDS + 20))
  while [ $SECONDS -lt $end ] && [ ! -e "$T/stop-swapping" ]; do
    # Only entries of src/, which restore never turns into a symlink: the
    # swapper itself must not write through one of its own links.
    for p in big a sub; do
      rm -rf "$d/src/$p" 2> /dev/null || true
      ln -sfn "$T/victim" "$d/src/$p" 2> /dev/null || true
    done
    ln -f "$T/victim/hl1.txt" "$d/src/hl1.txt" 2> /dev/null || true
    ln -sf "$T/victim/s.txt" "$d/src/file.txt" 2> /dev/null || true
  done
) &
swapper=$!
at_exit "kill $swapper"
for i in 1 2 3; do
  set +e
  cairn restore latest --to "$d" > "$T/out" 2> "$T/err"
  code=$?
  set -e
  case $code in 0|1|3) ;; *) fail "restore into a changing destination exited $code: $(cat "$T/err")" ;; esac
done
touch "$T/stop-swapping"
wait $swapper || true
check_victim "changing destination"

note "damaged content: the file is not left behind half-written, an older copy is kept"
d="$T/d6"
random_file "$T/src/victim.bin" $((20 << 20))
run 0 cairn backup
cp "$T/src/victim.bin" "$T/older-victim.bin"
pack=$(find "$T/repo/data" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
flip_byte "$pack" $(( $(stat -c %s "$pack") / 2 ))
run 3 cairn --json restore latest --to "$d"
[ ! -e "$d/src/victim.bin" ] || fail "a file with damaged content was left in place"
ls -a "$d/src" | grep -q '^\.cairn-restore' && fail "temporary files were left behind"
[ "$(jq -r 'select(.type=="restore") | .files_failed' < "$T/out")" = 1 ] || fail "not counted as failed: $(cat "$T/out")"
echo "an older copy" > "$d/src/victim.bin"
run 3 cairn restore latest --to "$d"
[ "$(cat "$d/src/victim.bin")" = "an older copy" ] || fail "the older copy was not kept"

note "a post-restore step carried by the checkpoint runs only with --run-post-restore"
mkdir -p "$T/p"
echo p > "$T/p/x"
plan_with() {  # plan_with STEP_LINE: the suite with a plan "steps" for $T/p
  sed '/^plans:/,$d' "$T/cairn.yaml"
  printf 'plans:\n  steps:\n    sources:\n      - {type: dir, path: %s%s}\n    targets: [repo]\n' "$T/p" "$1"
}
plan_with ", post_restore: \"touch $T/step-ran\"" > "$T/with.yaml"
plan_with "" > "$T/without.yaml"
run 0 "$CAIRN" -q -c "$T/with.yaml" backup
run 0 "$CAIRN" -q -c "$T/without.yaml" restore latest --plan steps --to "$T/r-steps"
[ ! -e "$T/step-ran" ] || fail "a command from the checkpoint ran without consent"
grep -q "not run" "$T/err" || fail "the withheld step is not shown: $(cat "$T/err")"
run 0 "$CAIRN" -q -c "$T/without.yaml" restore latest --plan steps --to "$T/r-steps2" --run-post-restore
[ -e "$T/step-ran" ] || fail "--run-post-restore did not run the step"
rm "$T/step-ran"
run 0 "$CAIRN" -q -c "$T/with.yaml" restore latest --plan steps --to "$T/r-steps3"
[ -e "$T/step-ran" ] || fail "the local YAML's step did not run"
