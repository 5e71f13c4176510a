# cairn daemon keeps out of the user's way: every thread of it (CAF workers,
# readers, listing threads, uploaders, the API's) runs at nice 19, in the
# SCHED_IDLE class and the idle I/O class by default, also while a backup
# runs; daemon.cpu: normal and daemon.io: normal turn the classes off.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src"
for i in $(seq 1 6); do random_file "$T/src/f$i.bin" $((8 << 20)); done
write_daemon_config() {
  cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  repo: {type: local, path: $T/repo, limits: {upload_kbps: 8192}}
plans:
  now: {sources: [{type: dir, path: $T/src}], targets: [repo], schedule: daily 03:00}
$1
YAML
}
# threads PID: "tid nice policy ioclass" for every thread of PID.
threads() {
  local t line
  for t in /proc/"$1"/task/*; do
    line="${t##*/} $(awk '{print $19}' "$t/stat" 2> /dev/null) $(awk '/^policy/ {print $3}' "$t/sched" 2> /dev/null) $(ionice -p "${t##*/}" 2> /dev/null | cut -d: -f1) $(cat "$t/comm" 2> /dev/null)" || true  # (set -e: a thread may end meanwhile)
    [ -d "$t" ] && [ "$(echo "$line" | wc -w)" -ge 5 ] && echo "$line"  # a thread that ended meanwhile is left out
  done
  return 0
}
start_daemon() {
  "$CAIRN" -c "$T/cairn.yaml" daemon > "$T/daemon.log" 2>&1 &
  daemon=$!
  for _ in $(seq 1 100); do [ -S "$T/state/cairn.sock" ] && break; sleep 0.1; done
  [ -S "$T/state/cairn.sock" ] || fail "no API socket: $(cat "$T/daemon.log")"
}
stop_daemon() { kill "$daemon"; wait "$daemon" || true; rm -f "$T/state/cairn.sock"; }

write_daemon_config ""
run 0 cairn init
start_daemon
at_exit 'kill $daemon 2> /dev/null || true'

note "defaults: nice 19, SCHED_IDLE (policy 5), I/O class idle, on every thread while a run goes on"
run 0 cairn run now
for _ in $(seq 1 50); do
  curl -s --unix-socket "$T/state/cairn.sock" http://cairn/v1/runs/current | grep -q '"running":true' && break
  sleep 0.1
done
threads "$daemon" > "$T/threads"
[ "$(wc -l < "$T/threads")" -ge 4 ] || fail "only $(wc -l < "$T/threads") threads: $(cat "$T/threads")"
awk '$2 != 19 || $3 != 5 || $4 != "idle"' "$T/threads" > "$T/odd"
[ ! -s "$T/odd" ] || fail "threads not in the background classes (tid nice policy io): $(cat "$T/odd")"
stop_daemon

note "daemon.cpu: normal and daemon.io: normal: only the nice value stays"
write_daemon_config "daemon: {cpu: normal, io: normal}"
start_daemon
threads "$daemon" > "$T/threads"
awk '$2 != 19 || $3 != 0 || $4 == "idle"' "$T/threads" > "$T/odd"
[ ! -s "$T/odd" ] || fail "(tid nice policy io): $(cat "$T/odd")"
stop_daemon

note "a wrong value is refused with its place"
write_daemon_config "daemon: {cpu: lazy}"
run 2 cairn status
grep -q 'cairn.yaml:7:15: daemon cpu must be idle or normal, not "lazy"' "$T/err" || fail "$(cat "$T/err")"
echo "daemon_priority: ok"
