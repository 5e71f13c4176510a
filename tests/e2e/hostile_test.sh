# Damage on the target, as an attacker or a bad disk leaves it: a damaged index
# file costs a warning (and check --repair rewrites it), a vanished checkpoint
# is reported by check and marked in cairn checkpoints, and damaged headers
# and truncated tree packs exit 1 (damage), never 2 (usage).
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/sub"
random_file "$T/src/big.bin" $((3 << 20))
echo a > "$T/src/a.txt"
echo b > "$T/src/sub/b.txt"
write_config "$T/src"
run 0 cairn init
run 0 cairn backup
echo c > "$T/src/c.txt"
run 0 cairn backup
run 0 cairn check

note "one damaged index file: restore works, check names it, check --repair rewrites it"
idx=$(ls "$T/repo/index" | head -1)
flip_byte "$T/repo/index/$idx" 40
run 0 cairn restore latest --to "$T/r1"
grep -q "index/$idx" "$T/err" || fail "the damaged index file is not named: $(cat "$T/err")"
cmp -s "$T/src/big.bin" "$T/r1/src/big.bin" || fail "big.bin was not restored"
[ "$(cat "$T/r1/src/sub/b.txt")" = b ] || fail "sub/b.txt was not restored"
run 1 cairn check
grep -q "index/$idx" "$T/err" || fail "check does not name the damaged index file: $(cat "$T/err")"
run 0 cairn check --repair
grep -q "index repaired" "$T/out" || fail "check --repair says nothing: $(cat "$T/out")"
[ ! -e "$T/repo/index/$idx" ] || fail "the damaged index file is still there"
run 0 cairn check --read-data
grep -q "index/" "$T/err" && fail "a warning about the index is left: $(cat "$T/err")"

note "a checkpoint that vanished from the target"
cp=$(ls "$T/repo/checkpoints" | head -1)
mv "$T/repo/checkpoints/$cp" "$T/saved-checkpoint"
run 1 cairn check
grep -q "checkpoint ${cp:0:8} .*gone from the target" "$T/err" || fail "not reported: $(cat "$T/err")"
run 0 cairn checkpoints
grep "^${cp:0:8}" "$T/out" | grep -q VANISHED || fail "cairn checkpoints does not mark it: $(cat "$T/out")"
mv "$T/saved-checkpoint" "$T/repo/checkpoints/$cp"
run 0 cairn check
run 0 cairn checkpoints
grep -q VANISHED "$T/out" && fail "still marked after it came back: $(cat "$T/out")"

note "a truncated tree pack is damage (exit 1)"
run 0 cairn --json checkpoints
oldest=$(json 'select(.type=="checkpoint") | .id' | tail -1)
cp -a "$T/repo" "$T/repo-intact"
# The packs under 1 MiB: the tree packs (and the small data pack of c.txt).
find "$T/repo/data" -type f -size -1024k | while read -r p; do truncate -s $(( $(stat -c %s "$p") / 2 )) "$p"; done
run 1 cairn ls latest src
run 1 cairn check
# Shorter than the first blob's offset: the read starts past the end.
find "$T/repo/data" -type f -size -1024k | while read -r p; do truncate -s 16 "$p"; done
run 1 cairn ls latest src
run 1 cairn diff "${oldest:0:8}" latest
run 1 cairn check
rm -rf "$T/repo" && mv "$T/repo-intact" "$T/repo"
run 0 cairn ls latest src

note "a damaged header is damage (exit 1)"
cp "$T/repo/config" "$T/config-intact"
echo "junk" > "$T/repo/config"
run 1 cairn ls latest src
run 1 cairn check
sed 's/"pack_size": [0-9]*/"pack_size": 4294967295/' "$T/config-intact" > "$T/repo/config"
run 1 cairn ls latest src
grep -q "pack_size out of range" "$T/err" || fail "$(cat "$T/err")"
cp "$T/config-intact" "$T/repo/config"
run 0 cairn check

note "a killed key change's temporary file goes with the next exclusive lock; a live writer's stays"
echo partial > "$T/repo/.tmp-999999999-0-0123456789abcdef"
sleep 300 & live=$!
at_exit "kill $live"
echo partial > "$T/repo/.tmp-$live-0-0123456789abcdef"
run 0 cairn ls latest src  # a shared lock removes nothing
[ -e "$T/repo/.tmp-999999999-0-0123456789abcdef" ] || fail "a shared lock removed a temporary file"
run 0 cairn key add --keyfile "$T/second.key"
[ ! -e "$T/repo/.tmp-999999999-0-0123456789abcdef" ] || fail "the killed writer's temporary file is still there"
[ -e "$T/repo/.tmp-$live-0-0123456789abcdef" ] || fail "a live writer's temporary file was removed"
kill "$live"
