# kill -9 at several points of a backup: afterwards check passes, the earlier
# checkpoint restores bit for bit, and the next backup completes and reuses
# what the killed runs uploaded.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/old"
for i in 1 2 3; do random_file "$T/src/old/f$i" $((1 << 20)); done
LIMITS="{upload_kbps: 61440}"  # 60 MiB/s: the kills land mid-run
write_config "$T/src"
run 0 cairn init
run 0 cairn --json backup
first=$(checkpoint_stat id)
cp -a "$T/src" "$T/expected-first"

mkdir -p "$T/src/new"
for i in $(seq 1 24); do random_file "$T/src/new/f$i" $((10 << 20)); done
new_bytes=$(size_of "$T/src/new")

for packs in scan 1 3 6 9 12; do
  note "kill -9 at: $packs"
  "$CAIRN" -q -c "$T/cairn.yaml" backup > /dev/null 2>&1 &
  pid=$!
  if [ "$packs" = scan ]; then sleep 0.05; else wait_packs "$packs" || true; fi
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  run 0 cairn check
  run 0 cairn ls "$first" src/old
done

note "the earlier checkpoint still restores"
run 0 cairn restore "$first" --to "$T/restored-first"
diff -r "$T/expected-first" "$T/restored-first/src" > /dev/null || fail "first checkpoint differs after the crashes"

# The killed runs left their marks: the next backup lists the packs to index theirs.
marks=$(ls "$T/state/uploads" | wc -l)
[ "$marks" -ge 1 ] || fail "no killed run left an upload mark in $T/state/uploads"

note "the next backup completes and reuses what the killed runs uploaded"
run 0 cairn --json backup
[ -z "$(ls "$T/state/uploads")" ] || fail "marks remain after a backup indexed every pack: $(ls "$T/state/uploads")"
uploaded=$(checkpoint_stat bytes_uploaded)
echo "   uploaded $uploaded bytes for $new_bytes new bytes"
[ "$uploaded" -lt "$new_bytes" ] || fail "nothing was reused: uploaded $uploaded of $new_bytes"
run 0 cairn check --read-data
run 0 cairn restore latest --to "$T/restored-last"
diff -r "$T/src" "$T/restored-last/src" > /dev/null || fail "the last checkpoint differs"
