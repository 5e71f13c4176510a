# cairn daemon: runs plans on their schedules at low priority, one daemon per
# state dir, reloads on SIGHUP (keeping the old configuration when the new one
# is bad), retries a failed plan later while the others go on, catches up a
# run missed while it was down, and stops cleanly on SIGTERM even mid-backup.
source "$CAIRN_E2E_LIB"
export TZ=UTC  # schedules are in local time; the checks below spell times in UTC
NIGHTLY=$(date -d '+12 hours' +%H:%M)  # never due while this test runs

mkdir -p "$T/small" "$T/big"
echo one > "$T/small/a"
for i in 1 2 3 4 5 6; do random_file "$T/big/f$i" $((8 << 20)); done

# config EXTRA_PLANS : plan fast (every 1s) and nightly (never due here), plus EXTRA_PLANS.
config() {
  cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
daemon: {retry: 3s}
targets:
  repo: {type: local, path: $T/repo}
  slow: {type: local, path: $T/slowrepo, limits: {upload_kbps: 4096}}
plans:
  fast:
    schedule: ${FAST_SCHEDULE:-every 1s}
    sources: [{type: dir, path: $T/small}]
    targets: [repo]
  nightly:
    schedule: weekly sun,mon,tue,wed,thu,fri,sat $NIGHTLY
    sources: [{type: dir, path: $T/small}]
    targets: [repo]
$1
YAML
}

count() { "$CAIRN" -q --json -c "$T/cairn.yaml" checkpoints --plan "$1" | wc -l; }

# wait_for CMD... : polls (up to 30 s) until CMD succeeds.
wait_for() {
  for _ in $(seq 1 300); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  return 1
}

at_least() { [ "$(count "$1")" -ge "$2" ]; }
logged() { grep -q "$1" "$T/daemon.out" "$T/daemon.err"; }
alive() { kill -0 "$pid" 2>/dev/null; }

at_exit 'kill -9 "${pid:-}"'

start_daemon() {
  "$CAIRN" --json -c "$T/cairn.yaml" daemon > "$T/daemon.out" 2> "$T/daemon.err" &
  pid=$!
}

stop_daemon() {
  kill -TERM "$pid"
  local waited=0
  while alive; do
    sleep 0.1
    waited=$((waited + 1))
    [ $waited -lt 150 ] || { kill -9 "$pid"; fail "the daemon did not stop within 15 s of SIGTERM"; }
  done
  set +e
  wait "$pid"
  local code=$?
  set -e
  [ "$code" -eq 0 ] || { cat "$T/daemon.err"; fail "the daemon exited $code after SIGTERM, expected 0"; }
}

note "a plan without any schedule: the daemon refuses to start, naming the file"
config ""
sed -i '/schedule:/d' "$T/cairn.yaml"
run 0 cairn init
run 2 "$CAIRN" -c "$T/cairn.yaml" daemon
grep -q "no plan has a schedule" "$T/err" || fail "unclear error: $(cat "$T/err")"

note "every 1s: runs again and again, at nice 19, SCHED_IDLE and idle I/O; nightly waits"
config ""
start_daemon
wait_for at_least fast 3 || { cat "$T/daemon.err"; fail "the daemon made fewer than 3 checkpoints in 30 s"; }
[ "$(awk '{print $19}' /proc/"$pid"/stat)" = 19 ] || fail "the daemon runs at nice $(awk '{print $19}' /proc/"$pid"/stat)"
grep -q '^policy *: *5$' /proc/"$pid"/sched || fail "the daemon is not in SCHED_IDLE: $(grep policy /proc/"$pid"/sched)"
ionice -p "$pid" | grep -q idle || fail "the daemon's I/O class is $(ionice -p "$pid")"
[ "$(count nightly)" -eq 0 ] || fail "nightly ran before its time"
jq -s -e 'map(select(.type=="next_run" and .plan=="nightly" and .retry==false)) | length > 0' "$T/daemon.out" > /dev/null || fail "no next_run for nightly: $(cat "$T/daemon.out")"

note "a second daemon on the same state dir is refused"
run 1 "$CAIRN" -c "$T/cairn.yaml" daemon
grep -q "a cairn daemon for $T/state is already running (pid $pid)" "$T/err" || fail "unclear error: $(cat "$T/err")"

note "SIGHUP with a bad configuration: reported, the old one kept"
cp "$T/cairn.yaml" "$T/good.yaml"
echo "plans: [oops" >> "$T/cairn.yaml"
kill -HUP "$pid"
wait_for logged "kept the previous configuration" || fail "no word about the bad configuration"
grep -q "cairn.yaml:18:1: " "$T/daemon.err" || fail "the error does not say where: $(cat "$T/daemon.err")"
cp "$T/good.yaml" "$T/cairn.yaml"  # for the commands below; the daemon read it already
n=$(count fast)
wait_for at_least fast $((n + 2)) || fail "the daemon stopped running fast after a bad reload"

note "SIGHUP adds a plan whose source is gone: it fails, is retried later, fast goes on"
config "  broken:
    schedule: every 1s
    sources: [{type: dir, path: $T/missing}]
    targets: [repo]"
reloaded_at=$(date +%s)
kill -HUP "$pid"
wait_for logged '"reloaded' || fail "no reload after SIGHUP: $(cat "$T/daemon.err")"
wait_for logged '"retry":true' || fail "no retry announced for the failed plan"
grep -q "plan broken, target repo: no checkpoint: .*$T/missing" "$T/daemon.err" || fail "the failure does not name the source: $(cat "$T/daemon.err")"
n=$(count fast)
wait_for at_least fast $((n + 2)) || fail "fast stopped while broken failed"
failures=$(grep -c 'plan broken' "$T/daemon.err")
allowed=$(( ($(date +%s) - reloaded_at) / 3 + 2 ))  # once at once, then every 3 s at most
[ "$failures" -le "$allowed" ] || fail "broken failed $failures times in $(( $(date +%s) - reloaded_at )) s (retry is 3s)"
alive || fail "the daemon died"

note "status: the daemon's pid, each plan's last run and next run; exit 1 for the failing plan"
run 1 cairn --json status
[ "$(json 'select(.type=="daemon") | .pid')" = "$pid" ] || fail "status does not see the daemon: $(cat "$T/out")"
[ "$(json 'select(.plan=="broken") | .last_run.status')" = failed ] || fail "$(cat "$T/out")"
# every 1s, so it may be mid-run: last_run is still the last run that ended
[ "$(json 'select(.plan=="fast") | .last_run.status')" = ok ] || fail "$(cat "$T/out")"
[ "$(json 'select(.plan=="fast") | .targets[0].checkpoints')" -ge 3 ] || fail "$(cat "$T/out")"
json 'select(.plan=="nightly") | .next_run' | grep -q "T$NIGHTLY:00" || fail "nightly's next run: $(cat "$T/out")"
run 1 cairn status
grep -q "^broken: every 1s" "$T/out" && grep -q "last run .*: failed" "$T/out" || fail "$(cat "$T/out")"
# Again and again while `fast` starts and ends runs: its lock is held from
# before its row is made until after the row says how the run ended.
for i in $(seq 30); do
  run 1 cairn --json status
  [ "$(json 'select(.plan=="fast") | .last_run.status')" = ok ] || fail "status $i: $(cat "$T/out")"
  sleep 0.05
done

note "SIGTERM: exits 0"
stop_daemon
logged '"stopped"' || fail "no stopped event"
run 1 cairn --json status
[ "$(json 'select(.type=="daemon") | .running')" = false ] || fail "status still sees a daemon"
[ "$(json 'select(.plan=="broken") | .failing')" = true ] || fail "broken is not failing: $(cat "$T/out")"

note "a cancelled run after failures (the stop may have caught broken mid-run) does not hide them"
newest=$(sqlite3 "$T/state/catalog.db" "SELECT max(started_ns) FROM runs")
sqlite3 "$T/state/catalog.db" "INSERT INTO runs(plan, started_ns, finished_ns, status, error)
  VALUES ('broken', $((newest + 1000)), $((newest + 2000)), 'cancelled', 'stopped')"
run 1 cairn --json status
[ "$(json 'select(.plan=="broken") | .last_run.status')" = cancelled ] || fail "$(cat "$T/out")"
[ "$(json 'select(.plan=="broken") | .failing')" = true ] || fail "$(cat "$T/out")"
[ "$(json 'select(.plan=="fast") | .failing')" = false ] || fail "$(cat "$T/out")"
run 1 cairn status
grep -q "last run .*: cancelled.*: stopped" "$T/out" && grep -q "last finished run .*: failed: " "$T/out" || fail "$(cat "$T/out")"

note "a row no Cairn wrote (restored from a target, a newer version): control bytes print escaped"
sqlite3 "$T/state/catalog.db" "INSERT INTO runs(plan, started_ns, finished_ns, status, error)
  VALUES ('broken', $((newest + 3000)), $((newest + 4000)), 'done' || char(27) || '[2J', 'boom' || char(27) || ']0;pwned' || char(7))"
run 0 cairn runs --plan broken
grep -q "failed .*unknown run status 'done\\\\x1b\[2J' in the catalog: boom\\\\x1b\]0;pwned\\\\x07" "$T/out" || fail "$(cat -v "$T/out")"
! grep -q $'\x1b' "$T/out" || fail "a raw escape reached the terminal: $(cat -v "$T/out")"
run 1 cairn status
! grep -q $'\x1b' "$T/out" || fail "a raw escape reached the terminal: $(cat -v "$T/out")"
run 0 cairn --json runs --plan broken
[ "$(json 'select(.status=="failed") | .error' | head -1)" = $'unknown run status \'done\x1b[2J\' in the catalog: boom\x1b]0;pwned\x07' ] || fail "$(cat -v "$T/out")"

note "a run missed while the daemon was down is caught up once at start"
last=$(date -d '-1 hour' +%H:%M)
FAST_SCHEDULE="daily $last" config ""
before=$(count fast)
old=$(( ($(date +%s) - 8 * 86400) * 1000000000 ))
sqlite3 "$T/state/catalog.db" "UPDATE runs SET started_ns = $old, finished_ns = $old WHERE plan = 'fast'"
start_daemon
wait_for at_least fast $((before + 1)) || fail "the missed run was not caught up"
sleep 2
[ "$(count fast)" -eq $((before + 1)) ] || fail "more than one catch-up run: $(( $(count fast) - before ))"
due=$(jq -r 'select(.type=="next_run" and .plan=="fast") | .due' "$T/daemon.out" | tail -1)
[[ "$due" > "$(date -u -d '+22 hours' +%Y-%m-%dT%H:%M:%S)" ]] || fail "after catching up, fast is due at $due, not tomorrow"
stop_daemon

note "SIGTERM in the middle of a throttled backup: no half checkpoint, the repository checks clean"
config "  bulk:
    schedule: every 1h
    sources: [{type: dir, path: $T/big}]
    targets: [slow]"
run 0 cairn init
sed -i "s/every 1s/daily $NIGHTLY/" "$T/cairn.yaml"
start_daemon
for _ in $(seq 1 300); do
  [ "$(find "$T/slowrepo/data" -type f 2>/dev/null | wc -l)" -ge 1 ] && break
  sleep 0.1
done
run 0 cairn --json status
[ "$(json 'select(.plan=="bulk") | .running_pid')" = "$pid" ] || fail "status does not show bulk running: $(cat "$T/out")"
stop_daemon
[ "$(count bulk)" -eq 0 ] || fail "a half-finished run left a checkpoint"
run 0 cairn check --target slow

note "keep: after each good run the daemon forgets what the policy drops, and prunes (prune_every)"
FAST_SCHEDULE="every 1s" config ""
sed -i 's/^daemon: {retry: 3s}/daemon: {retry: 3s, prune_every: 1s}/; s/^    targets: \[repo\]$/    targets: [repo]\n    keep: {last: 2}/' "$T/cairn.yaml"
start_daemon
forgotten() { [ "$(jq -s 'map(select(.type=="forget" and .plan=="fast" and .keep==false)) | length' "$T/daemon.out")" -ge 3 ]; }
wait_for forgotten || fail "the daemon forgot nothing: $(tail -5 "$T/daemon.out")"
wait_for logged '"type":"prune"' || fail "the daemon never pruned: $(tail -5 "$T/daemon.out")"
stop_daemon
# a run that ends as SIGTERM arrives is not forgotten any more: keep + 1 at most
[ "$(count fast)" -le 3 ] || fail "$(count fast) checkpoints of fast are left, keep says 2"
run 0 cairn check --read-data --target repo
