# A full disk under state_dir (the catalog, the file cache, staging): the
# backup fails or finishes with a clear word, never leaves the catalog
# unreadable, and loses no committed checkpoint; with room again the next
# backup completes and everything restores.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/state" "$T/src"
mount -t tmpfs -o size=1m cairn-state "$T/state" 2>/dev/null || { echo "cannot mount a tmpfs here"; exit 77; }
at_exit 'umount "$T/state"'
random_file "$T/src/small.bin" 4096
write_config "$T/src"
run 0 cairn init
run 0 cairn --json backup
first=$(checkpoint_stat id)
cp -a "$T/src" "$T/expected-first"

note "many new files: the file cache no longer fits in the catalog's disk"
mkdir -p "$T/src/many"
for d in $(seq 1 40); do
  mkdir -p "$T/src/many/d$d"
  for f in $(seq 1 250); do echo "$d-$f" > "$T/src/many/d$d/file-with-a-long-name-$f.txt"; done
done
# Fill what is left, so the next catalog writes meet a full disk.
dd if=/dev/zero of="$T/state/filler" bs=4k 2> /dev/null || true
set +e
"$CAIRN" -q --json -c "$T/cairn.yaml" backup > "$T/out" 2> "$T/err"
code=$?
set -e
note "exit $code: $(head -c 300 "$T/err")"
[ "$code" -eq 0 ] || [ "$code" -eq 1 ] || fail "exit $code: $(cat "$T/err")"
if [ "$code" -ne 0 ]; then
  grep -q "no space left on the disk of $T/state" "$T/err" || fail "the error does not say the disk is full: $(cat "$T/err")"
  [ "$(grep -c . "$T/err")" -le 4 ] || fail "more than a few lines of error: $(cat "$T/err")"
fi

note "nothing committed is lost: with the filler gone the catalog opens, the first checkpoint restores, check passes"
rm -f "$T/state/filler"
run 0 cairn --json checkpoints
json '.id' | grep -q "$first" || fail "the first checkpoint is gone from the catalog: $(cat "$T/out")"
run 0 cairn restore "$first" --to "$T/r1"
diff -r "$T/expected-first" "$T/r1/src" > /dev/null || fail "the first checkpoint differs"
run 0 cairn check --read-data

note "the disk fills during the run (256 KiB left): a clear word, nothing committed lost"
for d in $(seq 41 80); do
  mkdir -p "$T/src/many/d$d"
  for f in $(seq 1 250); do echo "$d-$f" > "$T/src/many/d$d/another-file-with-a-long-name-$f.txt"; done
done
free_kib=$(df -k --output=avail "$T/state" | tail -1)
[ "$free_kib" -gt 256 ] && dd if=/dev/zero of="$T/state/filler" bs=1k count=$((free_kib - 256)) 2> /dev/null || true
set +e
"$CAIRN" -q --json -c "$T/cairn.yaml" backup > "$T/out" 2> "$T/err"
code=$?
set -e
note "exit $code: $(head -c 400 "$T/err")"
[ "$code" -le 1 ] || [ "$code" -eq 3 ] || fail "exit $code: $(cat "$T/err")"
grep -q "no space left on the disk of $T/state" "$T/err" || fail "nothing says the disk is full: $(cat "$T/err")"
rm -f "$T/state/filler"
run 0 cairn --json checkpoints
json '.id' | grep -q "$first" || fail "the first checkpoint is gone from the catalog"
run 0 cairn check --read-data

note "with room again, the next backup completes and restores"
mount -o remount,size=64m "$T/state"
run 0 cairn --json backup
run 0 cairn restore latest --to "$T/r2"
diff -r "$T/src" "$T/r2/src" > /dev/null || fail "the last checkpoint differs"
run 0 cairn check --read-data
