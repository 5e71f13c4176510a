# Under systemd the daemon logs to the journal with fields, so that
# `journalctl PLAN=home` finds a plan's runs: a real systemd-journald runs in a
# private mount namespace (its own /run, so nothing of the machine's changes),
# and the daemon gets JOURNAL_STREAM as systemd would set it. Elsewhere the
# daemon prints plain lines, and --log-level hides what is below it.
source "$CAIRN_E2E_LIB"

journald=/lib/systemd/systemd-journald
if [ "$(id -u)" -ne 0 ] || [ ! -x "$journald" ] || ! command -v journalctl > /dev/null || ! unshare -m true 2> /dev/null; then
  echo "SKIP: needs root, unshare -m, $journald and journalctl"
  exit 77
fi

mkdir -p "$T/src"
echo hello > "$T/src/a.txt"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets: {usb: {type: local, path: $T/repo}}
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [usb], schedule: every 1h}
  broken: {sources: [{type: dir, path: $T/missing}], targets: [usb], schedule: every 1h}
daemon: {retry: 1h}
YAML
run 0 cairn init

note "under systemd: structured journal entries"
export T CAIRN journald
unshare -m bash -euc '
  mount -t tmpfs none /run
  mkdir -p /run/systemd/journal /run/log/journal
  "$journald" > "$T/journald.log" 2>&1 &
  jd=$!
  for _ in $(seq 1 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
  : > "$T/daemon.err"
  JOURNAL_STREAM=$(stat -c %d:%i "$T/daemon.err") "$CAIRN" -c "$T/cairn.yaml" daemon > "$T/daemon.out" 2>> "$T/daemon.err" &
  pid=$!
  for _ in $(seq 1 200); do
    journalctl --no-pager -q PLAN=broken OUTCOME=failed 2> /dev/null | grep -q . && \
      journalctl --no-pager -q PLAN=home OUTCOME=ok 2> /dev/null | grep -q . && break
    sleep 0.1
  done
  kill -TERM $pid
  wait $pid || true
  journalctl --no-pager -o json SYSLOG_IDENTIFIER=cairn > "$T/journal.json"
  journalctl --no-pager -o cat PLAN=home > "$T/plan-home.txt"
  kill $jd
  wait $jd || true
'
jq -e -s 'map(select(.PLAN=="home" and .TARGET=="usb" and .OUTCOME=="ok" and .PRIORITY=="6"
                     and (.RUN_ID|length)==16 and (.CHECKPOINT|length)>0)) | length == 1' "$T/journal.json" > /dev/null \
  || fail "no entry for home's run: $(cat "$T/journal.json") $(cat "$T/daemon.err")"
jq -e -s 'map(select(.PLAN=="broken" and .OUTCOME=="failed" and .PRIORITY=="3")) | length >= 1' "$T/journal.json" > /dev/null \
  || fail "no entry for broken's failed run: $(cat "$T/journal.json")"
grep -q "^home -> usb: checkpoint " "$T/plan-home.txt" || fail "journalctl PLAN=home: $(cat "$T/plan-home.txt")"
grep -q "broken" "$T/plan-home.txt" && fail "PLAN=home shows another plan: $(cat "$T/plan-home.txt")"
grep -q "serving the control API" "$T/journal.json" && fail "a debug entry at the default level (info)"
grep -q "home" "$T/daemon.out" && fail "the run was printed too (twice in the journal): $(cat "$T/daemon.out")"

note "elsewhere: plain lines; --log-level error shows only what failed"
rm -rf "$T/state/catalog.db"* && run 0 cairn init
"$CAIRN" -c "$T/cairn.yaml" --log-level error daemon > "$T/plain.out" 2> "$T/plain.err" &
pid=$!
at_exit "kill $pid"
for _ in $(seq 1 200); do grep -q "broken" "$T/plain.err" && break; sleep 0.1; done
sleep 0.5
kill -TERM $pid
wait $pid || true
grep -q "plan broken, target usb: no checkpoint" "$T/plain.err" || fail "the failed run is not logged: $(cat "$T/plain.err")"
grep -q "home\|next run\|started" "$T/plain.out" && fail "info lines at --log-level error: $(cat "$T/plain.out")"
run 2 "$CAIRN" --log-level verbose status
grep -q "log-level" "$T/err" || fail "$(cat "$T/err")"
echo PASS
