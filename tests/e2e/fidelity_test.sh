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

note "restoring again over the first restore changes nothing and fetches (almost) nothing"
run 0 cairn --json restore latest --to "$T/restored"
compare_trees "$T/src" "$T/restored/src"
# only hard-linked files are rewritten (writing into one could change another name)
fetched=$(json 'select(.type=="restore") | .bytes_fetched')
reused=$(json 'select(.type=="restore") | .bytes_reused')
[ "$fetched" -lt $((reused / 100)) ] || fail "an identical copy was fetched again: $(cat "$T/out")"

note "over a damaged copy: only what differs is fetched and written, the result is exact"
r="$T/restored/src"
big=$(find "$r" -type f -size +4M -links 1 | head -1)
[ -n "$big" ] || fail "the generated tree has no big file"
printf 'damage' | dd of="$big" bs=1 seek=1000000 conv=notrunc 2> /dev/null  # one chunk differs
small=$(find "$r" -type f -size +1k -size -64k -links 1 | head -2)
first_small=$(echo "$small" | head -1)
second_small=$(echo "$small" | tail -1)
truncate -s 10 "$first_small"                                               # shorter
echo "appended" >> "$second_small"                                          # longer
linked=$(find "$r" -type f -links +1 | head -1)
[ -z "$linked" ] || echo "changed through a hard link" >> "$linked"          # never written through
sparse=$(find "$r" -type f -name '*sparse*' | head -1)
[ -z "$sparse" ] || printf 'junk-in-a-hole' | dd of="$sparse" bs=1 seek=4096 conv=notrunc 2> /dev/null
victim=$(find "$r" -type f -size +1k -links 1 | tail -1)
rm "$victim" && mkdir "$victim" && echo x > "$victim/inside"                 # a directory in its place
chmod 0 "$(find "$r" -type f -size +1k -links 1 | sed -n 3p)"                # unreadable, yet rewritten
run 0 cairn --json restore latest --to "$T/restored"
compare_trees "$T/src" "$T/restored/src"
total=$(json 'select(.type=="restore") | .bytes + .bytes_reused')
fetched=$(json 'select(.type=="restore") | .bytes_fetched')
echo "   fetched $fetched of $total bytes"
[ "$fetched" -lt $((total / 2)) ] || fail "fetched $fetched of $total bytes for a few small damages"

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
