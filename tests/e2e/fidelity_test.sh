# Restore fidelity on a generated tree with every kind of metadata: contents,
# modes with setuid/setgid/sticky, owners (as root), mtimes to the nanosecond,
# symlinks (dangling too), hard links, empty directories, sparse files,
# extended attributes, names with any bytes. Then --path restores.
source "$CAIRN_E2E_LIB"
have_treetool || { echo "treetool not built"; exit 77; }

"$TREETOOL" gen "$T/src" --seed 7 --big-mib 12 > /dev/null
write_config "$T/src"
run 0 cairn init
run 0 cairn --json backup
run 0 cairn restore latest --to "$T/restored"
compare_trees "$T/src" "$T/restored/src"
note "full restore is identical: $(cat "$T/compare")"

note "restoring again over the first restore changes nothing"
run 0 cairn restore latest --to "$T/restored"
compare_trees "$T/src" "$T/restored/src"

note "ls shows odd names escaped, one per line"
run 0 cairn ls latest src/names
grep -qF 'new\nline' "$T/out" || fail "a newline in a name is not escaped: $(cat "$T/out")"
grep -qF '\xff\xfe-bytes' "$T/out" || fail "invalid UTF-8 is not escaped: $(cat "$T/out")"
[ "$(wc -l < "$T/out")" -eq "$(find "$T/src/names" -mindepth 1 -maxdepth 1 -printf x | wc -c)" ] || fail "not one line per entry"
run 0 cairn --json ls latest src/files
[ "$(json 'select(.type=="file") | .name' | wc -l)" -ge 1 ] || fail "no files in JSON listing"

note "--path restores a single file and a subtree"
file=$(cd "$T/src" && find . -type f -size +1k -size -64k | head -1 | cut -c3-)
dir=$(cd "$T/src" && find . -mindepth 2 -type d | head -1 | cut -c3-)
run 0 cairn restore latest --to "$T/one" --path "src/$file"
cmp "$T/src/$file" "$T/one/src/$file" || fail "single file differs"
[ "$(find "$T/one" -type f | wc -l)" -eq 1 ] || fail "more than the one file was restored"
run 0 cairn restore latest --to "$T/sub" --path "src/$dir"
compare_trees "$T/src/$dir" "$T/sub/src/$dir"
note "a symlink already in the restore directory cannot lead writes outside it"
mkdir -p "$T/outside" "$T/trap"
ln -s "$T/outside" "$T/trap/src"
run 0 cairn restore latest --to "$T/trap" --path "src/$file"
[ -z "$(ls -A "$T/outside")" ] || fail "restore wrote through a symlink: $(ls -A "$T/outside")"
[ ! -L "$T/trap/src" ] && cmp "$T/src/$file" "$T/trap/src/$file" || fail "file not restored in place of the symlink"
run 1 cairn restore latest --to "$T/none" --path "src/no/such/thing"
grep -q "is not in the checkpoint" "$T/err" || fail "$(cat "$T/err")"

note "check --read-data"
run 0 cairn check --read-data
