# Retention: forget applies the plan's keep: policy (dry run first), prune
# frees the data only forgotten checkpoints used, and neither loses a byte of
# a kept checkpoint: check --read-data passes and each kept checkpoint
# restores exactly, also after prune is killed at each of its steps, and
# prune refuses to delete anything while a backup runs or when a checkpoint
# cannot be read.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/stable" "$T/src/moving"
for i in 1 2 3; do random_file "$T/src/stable/s$i" $((4 << 20)); done
write_config "$T/src"
sed -i 's/^    targets: \[repo\]/    targets: [repo]\n    keep: {last: 2}/' "$T/cairn.yaml"
run 0 cairn init

# backup_version N : changes the moving files, backs up, remembers the tree.
backup_version() {
  rm -f "$T/src/moving/"*
  for i in 1 2; do random_file "$T/src/moving/m$1-$i" $((3 << 20)); done
  run 0 cairn --json backup
  local id
  id=$(checkpoint_stat id)
  rm -rf "$T/expect/$id"
  mkdir -p "$T/expect/$id"
  cp -a "$T/src/." "$T/expect/$id/"
  echo "$id"
}

# verify : check --read-data passes and every listed checkpoint restores exactly.
verify() {
  run 0 cairn check --read-data
  run 0 cairn --json checkpoints
  for id in $(json '.id'); do
    rm -rf "$T/r"
    run 0 cairn restore "$id" --to "$T/r"
    [ "$(fingerprint "$T/r/src")" = "$(fingerprint "$T/expect/$id")" ] || fail "checkpoint ${id:0:8} restores differently"
  done
}

ids=()
for v in 1 2 3 4 5; do ids+=("$(backup_version $v)"); done

note "forget --dry-run shows the decision and changes nothing"
run 0 cairn forget --dry-run
grep -q "would forget 3 of 5 checkpoints" "$T/out" || fail "$(cat "$T/out")"
grep -q "keep.*${ids[4]:0:8}.*(newest, last)" "$T/out" || fail "no reason for the newest: $(cat "$T/out")"
[ "$(ls "$T/repo/checkpoints" | wc -l)" -eq 5 ] || fail "a dry run removed checkpoints"

note "forget removes the three oldest from the target and the catalog; the data stays"
data_before=$(size_of "$T/repo/data")
run 0 cairn forget
[ "$(ls "$T/repo/checkpoints" | wc -l)" -eq 2 ] || fail "$(ls "$T/repo/checkpoints" | wc -l) checkpoints left on the target"
run 0 cairn --json checkpoints
[ "$(json '.id' | sort | tr '\n' ' ')" = "$(printf '%s\n' "${ids[3]}" "${ids[4]}" | sort | tr '\n' ' ')" ] || fail "the catalog lists $(json '.id')"
[ "$(size_of "$T/repo/data")" -eq "$data_before" ] || fail "forget deleted data"

note "prune --dry-run deletes nothing; prune frees the forgotten versions' data"
run 0 cairn prune --dry-run
[ "$(size_of "$T/repo/data")" -eq "$data_before" ] || fail "a dry run deleted data"
run 0 cairn --json prune
freed=$(json 'select(.type=="prune") | .bytes_freed')
data_after=$(size_of "$T/repo/data")
echo "   data: $data_before -> $data_after bytes (reported freed: $freed)"
# 3 forgotten versions held 2 x 3 MiB of random data each
[ $((data_before - data_after)) -ge $((15 << 20)) ] || fail "prune freed only $((data_before - data_after)) bytes"
verify

note "forget --id removes exactly the named checkpoint (by a unique prefix)"
extra=$(backup_version named)
run 0 cairn --json checkpoints
count_before=$(json '.id' | wc -l)
run 0 cairn forget --id "${extra:0:12}"
grep -q "forget ${extra:0:8}" "$T/out" || fail "$(cat "$T/out")"
[ ! -e "$T/repo/checkpoints/$extra" ] || fail "the named checkpoint is still on the target"
run 0 cairn --json checkpoints
[ "$(json '.id' | wc -l)" -eq $((count_before - 1)) ] || fail "forget --id removed more or less than one"
run 1 cairn forget --id "${extra:0:12}"
grep -q "${extra:0:12}" "$T/err" || fail "a forgotten id is not named: $(cat "$T/err")"

note "prune killed after each of its steps: every kept checkpoint survives, the next prune finishes"
for step in "packs written" "index written" "old index removed" "packs removed"; do
  backup_version "k-$step" > /dev/null
  backup_version "l-$step" > /dev/null
  run 0 cairn forget
  set +e
  CAIRN_TEST_PRUNE_KILL_AFTER="$step" "$CAIRN" -q -c "$T/cairn.yaml" prune > /dev/null 2>&1
  code=$?
  set -e
  [ "$code" -eq 137 ] || fail "prune was not killed after '$step' (exit $code)"
  verify
  run 0 cairn prune
  verify
done

note "prune waits for no one: a running backup's lock makes it refuse, deleting nothing"
for i in 1 2 3 4 5 6; do random_file "$T/src/moving/big$i" $((4 << 20)); done
LIMITS="{upload_kbps: 2048}" write_config "$T/src"  # 24 MiB: about 12 s
sed -i 's/^    targets: \[repo\]/    targets: [repo]\n    keep: {last: 2}/' "$T/cairn.yaml"
"$CAIRN" -q -c "$T/cairn.yaml" backup > /dev/null 2>&1 &
backup=$!
at_exit 'kill -9 "${backup:-}"'
for _ in $(seq 1 200); do [ -n "$(ls "$T/repo/locks" 2>/dev/null)" ] && break; sleep 0.05; done
run 1 cairn prune
grep -q "lock" "$T/err" || fail "unclear error: $(cat "$T/err")"
kill -INT "$backup"
set +e
wait "$backup"
code=$?
set -e
if [ "$code" -eq 0 ]; then  # a slow machine: it finished first; remember what it holds
  run 0 cairn --json checkpoints
  id=$(json '.id' | head -1)
  mkdir -p "$T/expect/$id"
  cp -a "$T/src/." "$T/expect/$id/"
else
  [ "$code" -eq 130 ] || fail "the throttled backup ended with $code"
fi
rm -f "$T/src/moving/big"*

note "a checkpoint that cannot be read: prune refuses and deletes nothing"
write_config "$T/src"
sed -i 's/^    targets: \[repo\]/    targets: [repo]\n    keep: {last: 2}/' "$T/cairn.yaml"
run 0 cairn forget
victim=$(ls "$T/repo/checkpoints" | head -1)
cp "$T/repo/checkpoints/$victim" "$T/victim.bak"
flip_byte "$T/repo/checkpoints/$victim" 40
cmp -s "$T/victim.bak" "$T/repo/checkpoints/$victim" && fail "the checkpoint was not damaged"
before=$(fingerprint "$T/repo/data")
run 1 cairn prune
grep -q "cannot prune: checkpoint ${victim:0:8}" "$T/err" || fail "unclear error: $(cat "$T/err")"
[ "$(fingerprint "$T/repo/data")" = "$before" ] || fail "prune deleted data despite an unreadable checkpoint"
cp "$T/victim.bak" "$T/repo/checkpoints/$victim"
run 0 cairn prune
verify
