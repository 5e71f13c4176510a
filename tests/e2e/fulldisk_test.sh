# A real full disk under the repository (a small tmpfs): the backup that does
# not fit fails with one clear line naming the target, and loses nothing:
# check passes, the earlier checkpoint restores, and once there is room the
# next backup completes and reuses what the failed one had stored.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/repo" "$T/src"
mount -t tmpfs -o size=12m cairn-full "$T/repo" 2>/dev/null || { echo "cannot mount a tmpfs here"; exit 77; }
at_exit 'umount "$T/repo"'
random_file "$T/src/small.bin" $((2 << 20))
write_config "$T/src"
run 0 cairn init
run 0 cairn --json backup
first=$(checkpoint_stat id)
cp -a "$T/src" "$T/expected-first"

note "a backup larger than the free space fails with one line, exit 1"
for i in 1 2 3; do random_file "$T/src/big$i.bin" $((4 << 20)); done
run 1 cairn backup
grep -qi "no space" "$T/err" || fail "the error does not say the disk is full: $(cat "$T/err")"
grep -q "repo" "$T/err" || fail "the error does not name the target: $(cat "$T/err")"
[ "$(grep -c . "$T/err")" -le 3 ] || fail "more than a few lines of error: $(cat "$T/err")"
note "said: $(cat "$T/err")"

note "nothing was lost: check passes and the first checkpoint restores"
run 0 cairn check --read-data
run 0 cairn restore "$first" --to "$T/r1"
diff -r "$T/expected-first" "$T/r1/src" > /dev/null || fail "the first checkpoint differs"
run 0 cairn --json checkpoints
[ "$(json 'select(.type=="checkpoint") | .id' | wc -l)" -eq 1 ] || fail "a partial checkpoint appeared: $(cat "$T/out")"

note "with room again, the next backup completes"
mount -o remount,size=64m "$T/repo"
run 0 cairn --json backup
run 0 cairn restore latest --to "$T/r2"
diff -r "$T/src" "$T/r2/src" > /dev/null || fail "the last checkpoint differs"
run 0 cairn check --read-data
