# Incremental and dedup: a second backup with no change reads nothing; a
# changed file is read alone; an insertion re-uploads only nearby chunks; the
# same data under other names grows the repository by less than 1%.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/a/b" "$T/src/c"
random_file "$T/src/big.bin" $((24 << 20))
for i in $(seq 1 40); do random_file "$T/src/a/f$i" $((i * 1000)); done
seq 1 300000 > "$T/src/c/text.txt"
echo small > "$T/src/a/b/small.txt"
write_config "$T/src"
run 0 cairn init
total=$(size_of "$T/src")
files=$(find "$T/src" -type f | wc -l)

note "first backup reads everything"
run 0 cairn --json backup
[ "$(checkpoint_stat bytes_read)" -eq "$total" ] || fail "first backup read $(checkpoint_stat bytes_read) of $total bytes"
[ "$(checkpoint_stat files_new)" -eq "$files" ] || fail "files_new"

note "a backup with no change reads no file content"
run 0 cairn --json backup
[ "$(checkpoint_stat bytes_read)" -eq 0 ] || fail "no-change backup read $(checkpoint_stat bytes_read) bytes"
[ "$(checkpoint_stat files_unchanged)" -eq "$files" ] || fail "files_unchanged is $(checkpoint_stat files_unchanged), expected $files"
[ "$(checkpoint_stat bytes_new)" -eq 0 ] || fail "no-change backup stored $(checkpoint_stat bytes_new) new bytes"

note "a changed file is the only one read"
echo "changed" >> "$T/src/a/f7"
run 0 cairn --json backup
[ "$(checkpoint_stat files_changed)" -eq 1 ] || fail "files_changed is $(checkpoint_stat files_changed)"
[ "$(checkpoint_stat bytes_read)" -eq "$(stat -c %s "$T/src/a/f7")" ] || fail "read $(checkpoint_stat bytes_read) bytes"

note "an insertion in a big file re-uploads only the chunks around it"
python_free_insert() {  # insert 100 bytes at the middle
  local f=$1 half=$(( $(stat -c %s "$1") / 2 ))
  { head -c "$half" "$f"; head -c 100 /dev/urandom; tail -c +$((half + 1)) "$f"; } > "$f.new"
  mv "$f.new" "$f"
}
python_free_insert "$T/src/big.bin"
run 0 cairn --json backup
new=$(checkpoint_stat bytes_new)
[ "$new" -lt $((6 << 20)) ] || fail "an insertion in a 24 MiB file stored $new new bytes"
echo "   insertion: $new new bytes of $(stat -c %s "$T/src/big.bin")"

note "the same data under other names grows the repository by less than 1%"
before=$(size_of "$T/repo")
mkdir "$T/src/copy"
cp -a "$T/src/a" "$T/src/copy/renamed-a"
cp -a "$T/src/big.bin" "$T/src/copy/another-name.bin"
cp -a "$T/src/c/text.txt" "$T/src/copy/text-copy.txt"
run 0 cairn --json backup
after=$(size_of "$T/repo")
growth=$((after - before))
[ $((growth * 100)) -lt "$before" ] || fail "repository grew by $growth of $before bytes"
echo "   dedup: repository grew by $growth bytes ($before -> $after)"

note "diff names exactly what changed between two checkpoints"
run 0 cairn --json checkpoints
before_copy=$(json '.id' | sed -n 2p)
rm "$T/src/a/f3"
chmod 600 "$T/src/a/f4"
echo "more" >> "$T/src/c/text.txt"
ln -s a/f5 "$T/src/link-to-f5"
run 0 cairn backup
run 0 cairn --json diff "$before_copy" latest
changes=$(json 'select(.type=="change") | "\(.change) \(.path)"' | sort | tr '\n' ';')
expected="added src/copy;added src/link-to-f5;content src/c/text.txt;metadata src/a/f4;removed src/a/f3;"
[ "$changes" = "$expected" ] || fail "diff says: $changes (expected $expected)"
[ "$(json 'select(.type=="diff") | .removed')" -eq 1 ] || fail "summary: $(tail -1 "$T/out")"
run 0 cairn diff latest latest
grep -q "added 0, removed 0, changed 0, metadata only 0" "$T/out" || fail "a checkpoint differs from itself: $(cat "$T/out")"

note "the names of one inode (hard links) are read once, and come back as links"
mkdir -p "$T/src/links/sub"
random_file "$T/src/links/one" $((3 << 20))
ln "$T/src/links/one" "$T/src/links/two"
ln "$T/src/links/one" "$T/src/links/sub/three"
run 0 cairn --json backup
[ "$(checkpoint_stat bytes_read)" -eq $((3 << 20)) ] || fail "a new file with 3 names: read $(checkpoint_stat bytes_read) bytes"
echo "appended" >> "$T/src/links/two"
run 0 cairn --json backup
[ "$(checkpoint_stat files_changed)" -eq 3 ] || fail "files_changed is $(checkpoint_stat files_changed), expected 3"
[ "$(checkpoint_stat bytes_read)" -eq "$(stat -c %s "$T/src/links/one")" ] \
  || fail "a changed file with 3 names: read $(checkpoint_stat bytes_read) bytes"
run 0 cairn --json backup
[ "$(checkpoint_stat bytes_read)" -eq 0 ] || fail "the names that took the first one's chunks were not cached"
run 0 cairn restore latest --to "$T/linked"
for n in one two sub/three; do cmp -s "$T/src/links/one" "$T/linked/src/links/$n" || fail "links/$n restored wrong"; done
[ "$(stat -c %h "$T/linked/src/links/sub/three")" -eq 3 ] || fail "the restored names are not one inode"
[ "$(stat -c %i "$T/linked/src/links/one")" = "$(stat -c %i "$T/linked/src/links/sub/three")" ] || fail "not linked"

note "check passes"
run 0 cairn check --read-data
