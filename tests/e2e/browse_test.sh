# Browsing and reaching checkpoints, through a local and an SFTP target:
# restore --delete (and --dry-run) against a hostile destination, find,
# history, and copy between targets.
source "$CAIRN_E2E_LIB"

start_sshd "$T/sshd"
mkdir -p "$T/src/a/sub" "$T/src/b"
echo one > "$T/src/a/x.txt"
echo two > "$T/src/a/sub/y.txt"
echo keep > "$T/src/keep.txt"
random_file "$T/src/b/big.bin" $((5 << 20))
ln -s a/x.txt "$T/src/link"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  disk: {type: local, path: $T/repo}
  nas:
    url: sftp://$SSHD_USER@127.0.0.1:$SSHD_PORT$SSHD_ROOT/cairn
    identity: $SSHD_IDENTITY
    known_hosts: $SSHD_KNOWN_HOSTS
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [disk, nas]}
YAML
run 0 cairn init
run 0 cairn backup

# spoil DIR : what an older copy picked up since, plus symlinks to outside
# directories where removal and replacement happen.
spoil() {
  local r=$1
  echo extra > "$r/src/extra.txt"
  mkdir -p "$r/src/a/newdir/deep"
  echo z > "$r/src/a/newdir/deep/z"
  echo changed > "$r/src/keep.txt"
  echo top > "$r/other-top.txt"
  rm -rf "$r/src/a/sub"
  ln -s "$T/outside2" "$r/src/a/sub"      # where the checkpoint has a directory
  ln -s "$T/outside" "$r/src/a/evil"      # not in the checkpoint: removed, never followed
  ln -s "$T/outside" "$r/src/b/evil-dir"
}
make_outside() {
  rm -rf "$T/outside" "$T/outside2"
  mkdir -p "$T/outside/inner" "$T/outside2"
  echo precious > "$T/outside/p.txt"
  echo precious > "$T/outside/inner/q.txt"
  echo junk > "$T/outside2/junk"          # not in the checkpoint's src/a/sub
  echo y > "$T/outside2/y.txt"
}
outside_intact() {
  [ "$(cat "$T/outside/p.txt")" = precious ] && [ "$(cat "$T/outside/inner/q.txt")" = precious ] &&
    [ "$(cat "$T/outside2/junk")" = junk ] && [ "$(cat "$T/outside2/y.txt")" = y ] ||
    fail "a directory outside the destination was changed: $(ls -laR "$T/outside" "$T/outside2")"
}

for t in disk nas; do
  r="$T/r-$t"
  note "restore --delete --dry-run from $t: lists, changes nothing"
  run 0 cairn restore latest --target "$t" --to "$r"
  make_outside
  spoil "$r"
  before=$(cd "$r" && find . -printf '%p %y %s %T@ %l\n' | sort | sha256sum)
  run 0 cairn restore latest --target "$t" --to "$r" --delete --dry-run
  for line in "- src/extra.txt  (6 B)" "- src/a/newdir/" "- src/a/evil" "- src/b/evil-dir" "M src/keep.txt  (content)" \
              "M src/a/sub/  (type)"; do
    grep -qF -- "$line" "$T/out" || { cat "$T/out"; fail "dry run from $t lacks \"$line\""; }
  done
  grep -q "other-top" "$T/out" && fail "the dry run would touch what is outside the restored paths"
  grep -q "newdir/deep" "$T/out" && fail "a removed directory should be one line"
  grep -q "^+ src/a/sub/y.txt" "$T/out" || fail "the dry run does not say src/a/sub/y.txt would be created"
  [ "$(cd "$r" && find . -printf '%p %y %s %T@ %l\n' | sort | sha256sum)" = "$before" ] || fail "the dry run changed the destination"
  outside_intact
  run 0 cairn --json restore latest --target "$t" --to "$r" --delete --dry-run
  [ "$(json 'select(.type=="restore_dry_run") | .remove')" -eq 4 ] || fail "json: $(cat "$T/out")"

  note "restore --delete from $t: the destination becomes the checkpoint; outside stays"
  run 0 cairn --json restore latest --target "$t" --to "$r" --delete
  [ "$(json 'select(.type=="restore") | .removed | length')" -eq 4 ] || fail "removed: $(cat "$T/out")"
  diff -r "$T/src" "$r/src" > /dev/null || fail "after --delete, $r/src differs from the source"
  have_treetool && compare_trees "$T/src" "$r/src"
  [ -f "$r/other-top.txt" ] || fail "--delete removed a file outside the restored paths"
  [ ! -L "$r/src/a/sub" ] && [ -d "$r/src/a/sub" ] || fail "the symlink in place of a directory was not replaced"
  outside_intact
  run 0 cairn restore latest --target "$t" --to "$r" --delete --dry-run
  grep -q "would create 0, change 0, remove 0" "$T/out" || fail "not exact after --delete: $(cat "$T/out")"
done

note "--delete with --path removes only below that path"
r="$T/r-disk"
echo extra > "$r/src/extra.txt"
echo extra > "$r/src/a/extra.txt"
run 0 cairn restore latest --to "$r" --delete --path src/a
[ -f "$r/src/extra.txt" ] || fail "--path src/a removed src/extra.txt"
[ ! -e "$r/src/a/extra.txt" ] || fail "--path src/a kept src/a/extra.txt"

note "a dry run into a missing directory creates nothing"
run 0 cairn restore latest --to "$T/nowhere" --delete --dry-run
[ ! -e "$T/nowhere" ] || fail "the dry run created the destination"
grep -q "^+ src/b/big.bin" "$T/out" || fail "$(cat "$T/out")"

note "find and history over checkpoints where src/a/x.txt changes, vanishes and comes back"
sleep 1.1; echo one-changed > "$T/src/a/x.txt"
run 0 cairn backup
rm "$T/src/a/x.txt"
run 0 cairn backup
sleep 1.1; echo one > "$T/src/a/x.txt"
run 0 cairn backup
for t in disk nas; do
  run 0 cairn --json find 'x.txt' --target "$t"
  [ "$(json 'select(.type=="find") | "\(.checkpoints) \(.checkpoints_matching) \(.matches)"')" = "4 3 3" ] ||
    fail "find x.txt on $t: $(cat "$T/out")"
  [ "$(json 'select(.type=="found") | .path' | sort -u)" = "src/a/x.txt" ] || fail "$(cat "$T/out")"
  # 4 checkpoints of 5 trees each; src/a/sub and src/b are the same in all and read once
  reads=$(json 'select(.type=="find") | .trees_read')
  [ "$reads" -le 14 ] || fail "find read $reads trees on $t; shared subtrees should be read once"
  run 0 cairn --json find '/src/b/*' --target "$t"
  [ "$(json 'select(.type=="found") | "\(.path) \(.size)"' | sort -u)" = "src/b/big.bin $((5 << 20))" ] || fail "$(cat "$T/out")"
  run 0 cairn --json find '**/sub' --target "$t"
  [ "$(json 'select(.type=="find") | .matches')" -eq 4 ] || fail "$(cat "$T/out")"

  run 0 cairn --json history src/a/x.txt --target "$t"
  [ "$(json 'select(.type=="version") | "\(.present) \(.checkpoints) \(.size)"' | tr '\n' ,)" = "true 1 4,true 1 12,false 1 null,true 1 4," ] ||
    fail "history on $t: $(cat "$T/out")"
  first=$(json 'select(.type=="version") | .content' | sed -n 1p)
  last=$(json 'select(.type=="version") | .content' | sed -n 4p)
  [ "$first" = "$last" ] || fail "the same content has two content ids: $first $last"
  old=$(json 'select(.type=="version") | .checkpoint' | sed -n 2p)
  note "a version from history restores by its checkpoint id ($t)"
  run 0 cairn restore "$old" --target "$t" --path src/a/x.txt --to "$T/v-$t"
  [ "$(cat "$T/v-$t/src/a/x.txt")" = one-changed ] || fail "restored the wrong version"
  run 0 cairn history src/b --target "$t"
  grep -q "^1 version of src/b on target $t" "$T/out" || fail "$(cat "$T/out")"
done
run 0 cairn find 'x.txt'
grep -q "3 matches in 3 of 4 checkpoints of target disk" "$T/out" || fail "$(cat "$T/out")"
run 2 cairn find 'x' --plan nope
grep -q 'no plan named "nope"' "$T/err" || fail "$(cat "$T/err")"
run 0 cairn history src/nothing/here
grep -q "^0 versions" "$T/out" || fail "$(cat "$T/out")"

note "copy: checkpoints of a local target to an SFTP target and on to another local one, each with its own keys"
cat > "$T/copy.yaml" <<YAML
state_dir: $T/state2
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  disk2: {type: local, path: $T/repo2}
  nas2:
    url: sftp://$SSHD_USER@127.0.0.1:$SSHD_PORT$SSHD_ROOT/cairn2
    identity: $SSHD_IDENTITY
    known_hosts: $SSHD_KNOWN_HOSTS
  usb: {type: local, path: $T/repo3}
plans:
  solo: {sources: [{type: dir, path: $T/src}], targets: [disk2]}
YAML
c2() { "$CAIRN" -q -c "$T/copy.yaml" "$@"; }
run 0 c2 init
run 0 c2 backup
echo more > "$T/src/a/more.txt"
run 0 c2 backup
run 0 c2 --json copy --from disk2 --to nas2
[ "$(json 'select(.type=="copy_summary") | "\(.copied) \(.already) \(.failed)"')" = "2 0 0" ] || fail "$(cat "$T/out")"
[ "$(json 'select(.type=="copy_summary") | .bytes_uploaded')" -ge $((5 << 20)) ] || fail "$(cat "$T/out")"
run 0 c2 restore latest --target nas2 --to "$T/c-nas"
diff -r "$T/src" "$T/c-nas/src" > /dev/null || fail "the copy on nas2 does not restore the source"
have_treetool && compare_trees "$T/src" "$T/c-nas/src"
run 0 c2 check --read-data --target nas2
run 0 c2 --json checkpoints --target nas2
[ "$(grep -c . "$T/out")" -eq 2 ] || fail "the catalog does not record the copies: $(cat "$T/out")"

note "copy again: nothing moves"
run 0 c2 --json copy --from disk2 --to nas2
[ "$(json 'select(.type=="copy_summary") | "\(.copied) \(.already) \(.bytes_uploaded)"')" = "0 2 0" ] || fail "$(cat "$T/out")"

note "a new checkpoint: only its new blobs are uploaded"
echo newer > "$T/src/a/newer.txt"
run 0 c2 backup
run 0 c2 --json copy --from disk2 --to nas2
[ "$(json 'select(.type=="copy_summary") | .copied')" -eq 1 ] || fail "$(cat "$T/out")"
up=$(json 'select(.type=="copy_summary") | .bytes_uploaded')
[ "$up" -lt $((256 << 10)) ] || fail "copying a small change uploaded $up bytes"

note "a copy that cannot store its data writes no checkpoint; the next one completes"
nas_newest=$(c2 --json checkpoints --target nas2 | jq -r .id | head -1)
[ ! -e "$T/repo3/data" ] || mv "$T/repo3/data" "$T/repo3/data.away"
touch "$T/repo3/data"  # a file where the packs go
run 1 c2 copy --from nas2 --to usb "${nas_newest:0:10}"
grep -q "not copied" "$T/err" || fail "$(cat "$T/err")"
[ -z "$(ls "$T/repo3/checkpoints" 2>/dev/null)" ] || fail "a checkpoint was written without its data"
rm "$T/repo3/data"
[ ! -e "$T/repo3/data.away" ] || mv "$T/repo3/data.away" "$T/repo3/data"
run 0 c2 --json copy --from nas2 --to usb "${nas_newest:0:10}"
[ "$(json 'select(.type=="copy_summary") | .copied')" -eq 1 ] || fail "$(cat "$T/out")"
run 0 c2 restore latest --target usb --to "$T/c-usb"
diff -r "$T/src" "$T/c-usb/src" > /dev/null || fail "the copy on usb does not restore the source"
run 0 c2 check --target usb
run 2 c2 copy --from disk2 --to disk2
grep -q "two different targets" "$T/err" || fail "$(cat "$T/err")"
