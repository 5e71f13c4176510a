# The daemon's control API on its Unix socket, driven with curl as another
# program would: plans, run now, progress polled and streamed (SSE), cancel
# mid-run (check passes, the next run reuses what was uploaded), runs with
# their cost, checkpoints and a tree, /metrics, JSON errors, and a caller
# that is neither root, the daemon's user nor in api.group refused (403).
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src"
for i in $(seq 1 8); do random_file "$T/src/f$i.bin" $((6 << 20)); done
echo "hello" > "$T/src/hello.txt"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  repo: {type: local, path: $T/repo, limits: {upload_kbps: 16384}}
plans:
  nightly: {sources: [{type: dir, path: $T/src}], targets: [repo], schedule: daily 03:00}
  now: {sources: [{type: dir, path: $T/src}], targets: [repo]}
YAML
run 0 cairn init
# systemd's side of Type=notify: a datagram socket that keeps what it gets.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode() + "\n"); f.flush()
' "$T/notify.sock" "$T/notify.log" &
at_exit "kill $!"
for _ in $(seq 1 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=2000000 "$CAIRN" -c "$T/cairn.yaml" daemon > "$T/daemon.log" 2>&1 &
daemon=$!
at_exit "kill $daemon"
S="$T/state/cairn.sock"
for _ in $(seq 1 100); do [ -S "$S" ] && break; sleep 0.1; done
[ -S "$S" ] || fail "no API socket: $(cat "$T/daemon.log")"
[ "$(stat -c %a "$S")" = 660 ] || fail "the socket is not 0660"
api() { curl -s --unix-socket "$S" "$@"; }
code_of() { curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$S" "$@"; }

note "plans, and JSON errors with a stable code"
api http://cairn/v1/plans > "$T/plans.json"
[ "$(jq -r '.plans[].name' "$T/plans.json" | tr '\n' ' ')" = "nightly now " ] || fail "$(cat "$T/plans.json")"
[ "$(jq -r '.plans[] | select(.name=="nightly") | .schedule' "$T/plans.json")" = "daily 03:00" ] || fail "schedule"
[ "$(code_of -X POST http://cairn/v1/plans/nope/run)" = 404 ] || fail "unknown plan: $(cat "$T/body")"
[ "$(jq -r .error.code "$T/body")" = not_found ] || fail "$(cat "$T/body")"
[ "$(code_of http://cairn/v2/plans)" = 404 ] || fail "unversioned path"
grep -q "key\|secret" "$T/plans.json" && grep -qi "keyfile" "$T/plans.json" && fail "the API shows key material"

note "run now: progress polled with totals, ETA, monotonic bytes; the event stream sees it"
curl -sN --unix-socket "$S" http://cairn/v1/events > "$T/events" &
events=$!
at_exit "kill $events"
[ "$(code_of -X POST http://cairn/v1/plans/now/run)" = 202 ] || fail "run: $(cat "$T/body")"
[ "$(jq -r .state "$T/body")" = started ] || fail "$(cat "$T/body")"
last=0; seen_running=0; seen_total=0; seen_eta=0; seen_target=0
for _ in $(seq 1 300); do
  api http://cairn/v1/runs/current > "$T/current"
  if [ "$(jq -r .running "$T/current")" != true ]; then [ $seen_running = 1 ] && break; sleep 0.1; continue; fi
  seen_running=1
  done_bytes=$(jq -r .progress.bytes_done "$T/current")
  [ "$done_bytes" -ge "$last" ] || fail "bytes went back: $last -> $done_bytes"
  last=$done_bytes
  [ "$(jq -r .progress.bytes_total "$T/current")" -gt 0 ] && seen_total=1
  [ "$(jq -r .progress.eta_seconds "$T/current")" != null ] && seen_eta=1
  [ "$(jq -r '.progress.uploaded_by_target.repo // 0' "$T/current")" -gt 0 ] && seen_target=1
  sleep 0.2
done
[ $seen_running = 1 ] || fail "the run was never seen running"
[ $seen_total = 1 ] || fail "the totals were never known"
[ $seen_eta = 1 ] || fail "no ETA was given"
[ $seen_target = 1 ] || fail "no bytes uploaded per target were shown"
for _ in $(seq 1 50); do grep -q "^event: run" "$T/events" && break; sleep 0.1; done
grep -q "^event: progress" "$T/events" || fail "no progress event: $(head -c 500 "$T/events")"
grep -A1 "^event: run" "$T/events" | grep -q '"status":"ok"' || fail "no run event: $(tail -c 500 "$T/events")"
api "http://cairn/v1/runs?plan=now" > "$T/runs"
[ "$(jq -r '.runs[0].status' "$T/runs")" = ok ] || fail "$(cat "$T/runs")"
[ "$(jq -r '.runs[0].stats.bytes_uploaded' "$T/runs")" -gt $((40 << 20)) ] || fail "run cost: $(cat "$T/runs")"

note "checkpoints and a checkpoint's tree"
api "http://cairn/v1/checkpoints?plan=now" > "$T/cps"
id=$(jq -r '.checkpoints[0].id' "$T/cps")
[ ${#id} = 64 ] || fail "$(cat "$T/cps")"
api "http://cairn/v1/checkpoints/$id/tree?path=src" > "$T/tree"
[ "$(jq -r '.entries[] | select(.name=="hello.txt") | .size' "$T/tree")" = 6 ] || fail "$(cat "$T/tree")"

note "cancel mid-run: nothing committed, check passes, the next run reuses the uploaded packs"
# Enough new data that reading is held back by the slow uploads (a cancel
# while committing is commit_cancel_test.sh's).
for i in $(seq 5 14); do random_file "$T/src/g$i.bin" $((8 << 20)); done
cairn_cli() { "$CAIRN" -q -c "$T/cairn.yaml" "$@"; }
run 0 cairn_cli run now
grep -q "started by the daemon" "$T/out" || fail "$(cat "$T/out")"
for _ in $(seq 1 100); do
  api http://cairn/v1/runs/current > "$T/current"
  [ "$(jq -r '.progress.bytes_uploaded // 0' "$T/current")" -gt $((16 << 20)) ] && break
  sleep 0.1
done
[ "$(jq -r .running "$T/current")" = true ] || fail "the run ended before it could be cancelled"
run 0 cairn_cli cancel now
grep -q "cancelled" "$T/out" || fail "$(cat "$T/out")"
for _ in $(seq 1 100); do [ "$(api http://cairn/v1/runs/current | jq -r .running)" = false ] && break; sleep 0.1; done
api "http://cairn/v1/runs?plan=now&limit=1" > "$T/runs"; [ "$(jq -r ".runs[0].status" "$T/runs")" = cancelled ] || fail "not recorded as cancelled: $(cat "$T/runs") $(cat "$T/daemon.log")"
[ "$(api "http://cairn/v1/checkpoints?plan=now" | jq '.checkpoints | length')" = 1 ] || fail "a cancelled run committed"
run 0 cairn_cli check
packs_kept=$(find "$T/repo/data" -type f | wc -l)
[ "$packs_kept" -gt 4 ] || fail "the cancelled run left no uploaded pack to reuse"
ls -la "$T/repo/index" "$T/repo/data"/* > "$T/before-rerun" 2>&1
run 0 cairn_cli --json run now
for _ in $(seq 1 300); do
  [ "$(api 'http://cairn/v1/runs?plan=now&limit=1' | jq -r '.runs[0].status')" = ok ] && break
  sleep 0.1
done
uploaded=$(api 'http://cairn/v1/runs?plan=now&limit=1' | jq -r '.runs[0].stats.bytes_uploaded')
[ "$uploaded" -lt $((70 << 20)) ] || fail "the run after a cancel uploaded everything again ($uploaded bytes): $(cat "$T/before-rerun" "$T/daemon.log"; api "http://cairn/v1/runs?plan=now")"
run 0 cairn_cli runs --plan now
[ "$(grep -c . "$T/out")" -ge 3 ] || fail "runs: $(cat "$T/out")"
grep -q cancelled "$T/out" || fail "runs: $(cat "$T/out")"

note "pause and resume through the API: reading and uploads wait, nothing is lost, the run completes"
for i in $(seq 15 20); do random_file "$T/src/h$i.bin" $((8 << 20)); done
[ "$(code_of -X POST http://cairn/v1/plans/now/run)" = 202 ] || fail "run: $(cat "$T/body")"
for _ in $(seq 1 100); do [ "$(api http://cairn/v1/runs/current | jq -r .running)" = true ] && break; sleep 0.1; done
[ "$(code_of -X POST http://cairn/v1/pause)" = 200 ] || fail "pause: $(cat "$T/body")"
[ "$(jq -r .why "$T/body")" = "paused by request" ] || fail "$(cat "$T/body")"
sleep 1  # what was in flight lands
a=$(api http://cairn/v1/runs/current | jq -c '[.progress.bytes_done, .progress.bytes_uploaded]')
sleep 2
b=$(api http://cairn/v1/runs/current | jq -c '[.progress.bytes_done, .progress.bytes_uploaded, .paused]')
[ "$a" = "$(echo "$b" | jq -c '.[0:2]')" ] || fail "work went on while paused: $a then $b"
[ "$(echo "$b" | jq -r '.[2]')" = "paused by request" ] || fail "the run does not say why it waits: $b"
run 0 cairn_cli status
grep -q "paused: paused by request" "$T/out" || fail "status does not show the pause: $(cat "$T/out")"
run 0 cairn_cli resume
for _ in $(seq 1 300); do [ "$(api http://cairn/v1/runs/current | jq -r .running)" = false ] && break; sleep 0.1; done
[ "$(api 'http://cairn/v1/runs?plan=now&limit=1' | jq -r '.runs[0].status')" = ok ] || fail "the resumed run did not commit"

note "pause_when: on battery (a fake power supply) pauses a run, mains power resumes it"
kill -TERM $daemon; wait $daemon || true
mkdir -p "$T/sys/class/power_supply/AC" "$T/sys/class/power_supply/BAT0"
echo Mains > "$T/sys/class/power_supply/AC/type"; echo 0 > "$T/sys/class/power_supply/AC/online"
echo Battery > "$T/sys/class/power_supply/BAT0/type"; echo Discharging > "$T/sys/class/power_supply/BAT0/status"
cat >> "$T/cairn.yaml" <<YAML
daemon: {pause_when: {on_battery: true, command: "test -e $T/metered"}, pause_check: 1s, sysfs_root: $T/sys}
YAML
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=2000000 "$CAIRN" -c "$T/cairn.yaml" daemon >> "$T/daemon.log" 2>&1 &
daemon=$!
at_exit "kill $daemon"
for _ in $(seq 1 100); do [ -S "$S" ] && break; sleep 0.1; done
for i in $(seq 21 24); do random_file "$T/src/h$i.bin" $((8 << 20)); done
runs_before=$(api 'http://cairn/v1/runs?plan=now&limit=1000' | jq '.runs | length')
sleep 1.5
[ "$(api http://cairn/v1/daemon | jq -r .why)" = "on battery" ] || fail "not paused on battery: $(api http://cairn/v1/daemon)"
[ "$(code_of -X POST http://cairn/v1/plans/now/run)" = 202 ] || fail "run: $(cat "$T/body")"
sleep 2
[ "$(api 'http://cairn/v1/runs?plan=now&limit=1000' | jq '.runs | length')" = "$runs_before" ] || fail "a run started on battery"
echo 1 > "$T/sys/class/power_supply/AC/online"
for _ in $(seq 1 300); do
  [ "$(api 'http://cairn/v1/runs?plan=now&limit=1000' | jq '.runs | length')" -gt "$runs_before" ] &&
    [ "$(api 'http://cairn/v1/runs?plan=now&limit=1' | jq -r '.runs[0].status')" = ok ] && break
  sleep 0.1
done
[ "$(api 'http://cairn/v1/runs?plan=now&limit=1' | jq -r '.runs[0].status')" = ok ] || fail "no run after mains power came back"
[ "$(api http://cairn/v1/daemon | jq -r .paused)" = false ] || fail "still paused on mains"

note "pause_when command: exit 0 pauses (as a metered-network check would), non-zero resumes"
touch "$T/metered"
for _ in $(seq 1 40); do [ "$(api http://cairn/v1/daemon | jq -r .why)" = "pause_when command says so" ] && break; sleep 0.1; done
[ "$(api http://cairn/v1/daemon | jq -r .why)" = "pause_when command says so" ] || fail "not paused by the command: $(api http://cairn/v1/daemon)"
rm "$T/metered"
for _ in $(seq 1 40); do [ "$(api http://cairn/v1/daemon | jq -r .paused)" = false ] && break; sleep 0.1; done
[ "$(api http://cairn/v1/daemon | jq -r .paused)" = false ] || fail "still paused after the command said no"

note "/metrics in the Prometheus text format"
api http://cairn/metrics > "$T/metrics"
grep -q '^cairn_up 1$' "$T/metrics" || fail "$(cat "$T/metrics")"
grep -q '^cairn_plan_last_run_success{plan="now"} 1$' "$T/metrics" || fail "$(cat "$T/metrics")"
grep -q '^cairn_checkpoints{plan="now",target="repo"} 4$' "$T/metrics" || fail "$(cat "$T/metrics")"
command -v promtool > /dev/null || fail "promtool is missing (scripts/install-deps installs prometheus)"
promtool check metrics < "$T/metrics" > "$T/promtool" 2>&1 || fail "promtool refused the metrics: $(cat "$T/promtool")"

note "status shows the daemon"
run 0 cairn_cli status
grep -q "daemon: running" "$T/out" || fail "$(cat "$T/out")"

note "a caller that is not root, the daemon's user or in api.group is refused"
chmod 666 "$S"  # let it connect: the check is SO_PEERCRED, not the file mode
chmod 755 "$T/state"
got=$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -o /dev/null -w '%{http_code}' --unix-socket "$S" \
  -X POST http://cairn/v1/plans/now/run)
[ "$got" = 403 ] || fail "nobody got HTTP $got"
chmod 660 "$S"
chmod 700 "$T/state"

note "systemd was told: READY, STATUS of the run, watchdog keep-alives"
grep -q "^READY=1" "$T/notify.log" || fail "no READY: $(cat "$T/notify.log")"
grep -q "^WATCHDOG=1" "$T/notify.log" || fail "no watchdog keep-alive: $(cat "$T/notify.log")"
grep -q "^STATUS=now: " "$T/notify.log" || fail "no STATUS of a run: $(cat "$T/notify.log")"

note "SIGTERM: the daemon stops and removes its socket"
kill -TERM $daemon
for _ in $(seq 1 100); do kill -0 $daemon 2> /dev/null || break; sleep 0.1; done
kill -0 $daemon 2> /dev/null && fail "the daemon did not stop"
[ ! -e "$S" ] || fail "the socket was left behind"
grep -q "^STOPPING=1" "$T/notify.log" || fail "no STOPPING: $(cat "$T/notify.log")"
true
