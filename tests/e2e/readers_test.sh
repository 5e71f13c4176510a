# The number of readers (plans.NAME.readers) changes how many files are read
# and directories listed ahead at once, never what is stored: backups of one
# tree of 200 directories with 1, 2 and 8 readers
# (the file cache dropped in between, so every file is read again) give the
# same root tree; a bad value is refused with its place in the YAML.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/a/b" "$T/src/c" "$T/src/empty"
random_file "$T/src/big.bin" $((12 << 20))
head -c $((9 << 20)) /dev/zero > "$T/src/zeros.bin"
for i in $(seq 1 300); do random_file "$T/src/a/f$i" $((i * 37)); done
for i in $(seq 1 50); do random_file "$T/src/a/b/g$i" $((i * 4000)); done
seq 1 200000 > "$T/src/c/text.txt"
: > "$T/src/c/empty.txt"
ln -s a/f1 "$T/src/link"
for i in $(seq 1 20); do for j in $(seq 1 9); do
  mkdir -p "$T/src/tree/t$i/u$j"; echo "$i $j" > "$T/src/tree/t$i/u$j/x"; ln -s x "$T/src/tree/t$i/u$j/y"
done; done
write_config "$T/src"
run 0 cairn init

trees=()
for readers in 1 2 8; do
  note "backup with $readers reader(s), every file read"
  sed -i "/^    readers:/d" "$T/cairn.yaml"
  echo "    readers: $readers" >> "$T/cairn.yaml"
  rm -f "$T"/state/*.db*
  run 0 cairn --json backup
  [ "$(checkpoint_stat bytes_read)" -eq "$(size_of "$T/src")" ] || fail "$readers readers read $(checkpoint_stat bytes_read) bytes"
  run 0 cairn --json checkpoints
  trees+=("$(jq -r 'select(.type=="checkpoint") | .tree' < "$T/out" | head -1)")
done
[ "${trees[0]}" = "${trees[1]}" ] && [ "${trees[0]}" = "${trees[2]}" ] || fail "trees differ: ${trees[*]}"
[ "${trees[0]}" != null ] && [ -n "${trees[0]}" ] || fail "no tree id in the output"

note "the restored tree is the source"
run 0 cairn restore latest --to "$T/restored"
[ "$(fingerprint "$T/src")" = "$(fingerprint "$T/restored/src")" ] || fail "restored contents differ"

note "readers: 0 is refused with its place"
sed -i "s/^    readers: .*/    readers: 0/" "$T/cairn.yaml"
run 2 cairn backup
grep -q "cairn.yaml:[0-9]*:[0-9]*: readers must be a whole number from 1 to 64" "$T/err" || fail "$(cat "$T/err")"
