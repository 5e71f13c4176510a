# SIGINT stops a backup cleanly: exit 130, no checkpoint, the repository
# checks clean and the next run reuses every pack already written.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src"
for i in $(seq 1 24); do random_file "$T/src/f$i" $((10 << 20)); done
LIMITS="{upload_kbps: 61440}"
write_config "$T/src"
run 0 cairn init
"$CAIRN" -q -c "$T/cairn.yaml" backup > "$T/out" 2> "$T/err" &
pid=$!
wait_packs 3 || true
kill -INT "$pid"
set +e
wait "$pid"
code=$?
set -e
if [ "$code" -eq 0 ]; then
  echo "   (the backup finished before the signal; nothing to check)"
  exit 0
fi
[ "$code" -eq 130 ] || { cat "$T/err"; fail "exit $code after SIGINT, expected 130"; }
run 0 cairn --json checkpoints
[ -z "$(cat "$T/out")" ] || fail "an interrupted run left a checkpoint"
[ -z "$(ls "$T/repo/locks")" ] || fail "an interrupted run left its lock"
run 0 cairn check
run 0 cairn --json backup
uploaded=$(checkpoint_stat bytes_uploaded)
total=$(size_of "$T/src")
echo "   after the interrupt: uploaded $uploaded of $total bytes"
[ "$uploaded" -lt "$total" ] || fail "nothing was reused"
run 0 cairn check --read-data
