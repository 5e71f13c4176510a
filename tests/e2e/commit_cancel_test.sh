# A cancel that arrives after every source was read (the run is committing):
# a throttled target keeps the last uploads slow, the cancel comes through the
# API once the progress phase says committing. Before a target's checkpoint
# write has started the run is abandoned: no new checkpoint, outcome
# cancelled, check passes, and the next run reuses the packs uploaded so far.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src"
echo hello > "$T/src/hello.txt"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  repo: {type: local, path: $T/repo, limits: {upload_kbps: 8192}}
plans:
  now: {sources: [{type: dir, path: $T/src}], targets: [repo], schedule: daily 03:00}
YAML
run 0 cairn init
run 0 cairn backup now
[ "$(ls "$T/repo/checkpoints" | wc -l)" = 1 ] || fail "no first checkpoint"

"$CAIRN" -c "$T/cairn.yaml" daemon > "$T/daemon.log" 2>&1 &
daemon=$!
at_exit "kill $daemon"
S="$T/state/cairn.sock"
for _ in $(seq 1 100); do [ -S "$S" ] && break; sleep 0.1; done
[ -S "$S" ] || fail "no API socket: $(cat "$T/daemon.log")"
api() { curl -s --unix-socket "$S" "$@"; }

note "cancel while committing: no checkpoint, outcome cancelled"
# Two full packs and a part of one: reading ends while the second pack still
# uploads, so the commit waits for it (and for the third) at 8 MiB/s.
for i in 1 2 3 4 5; do random_file "$T/src/f$i.bin" $((8 << 20)); done
[ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$S" -X POST http://cairn/v1/plans/now/run)" = 202 ] || fail "run"
phase=""
for _ in $(seq 1 200); do
  phase=$(api http://cairn/v1/runs/current | jq -r '.progress.phase // ""')
  [ "$phase" = committing ] && break
  sleep 0.05
done
[ "$phase" = committing ] || fail "the run was never seen committing (last phase: $phase)"
started=$(date +%s%N)
[ "$(curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$S" -X POST http://cairn/v1/plans/now/cancel)" = 200 ] ||
  fail "cancel: $(cat "$T/body")"
for _ in $(seq 1 100); do [ "$(api http://cairn/v1/runs/current | jq -r .running)" = false ] && break; sleep 0.1; done
[ "$(api http://cairn/v1/runs/current | jq -r .running)" = false ] || fail "the cancelled run did not stop"
echo "cancel to stop: $(( ($(date +%s%N) - started) / 1000000 )) ms"
api "http://cairn/v1/runs?plan=now&limit=1" > "$T/runs"
[ "$(jq -r '.runs[0].status' "$T/runs")" = cancelled ] || fail "not recorded as cancelled: $(cat "$T/runs") $(cat "$T/daemon.log")"
[ "$(ls "$T/repo/checkpoints" | wc -l)" = 1 ] || fail "a run cancelled before its checkpoint write committed one"
run 0 cairn checkpoints
[ "$(grep -c . "$T/out")" -le 2 ] || fail "checkpoints: $(cat "$T/out")"
kill $daemon; wait $daemon || true

note "check passes; the next run reuses what the cancelled one uploaded"
run 0 cairn check
[ "$(find "$T/repo/data" -type f | wc -l)" -ge 2 ] || fail "the cancelled run kept no uploaded pack"
run 0 cairn --json backup now
uploaded=$(jq -r 'select(.type=="checkpoint") | .bytes_uploaded' "$T/out")
[ -n "$uploaded" ] && [ "$uploaded" -lt $((20 << 20)) ] || fail "the next run uploaded $uploaded bytes: $(cat "$T/out")"
echo "uploaded after the cancel: $uploaded of $((40 << 20)) bytes"
[ "$(ls "$T/repo/checkpoints" | wc -l)" = 2 ] || fail "the next run committed no checkpoint"
run 0 cairn check
