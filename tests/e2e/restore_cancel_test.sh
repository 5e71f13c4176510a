# Cancelling a restore: through the API (POST /v1/restores/ID/cancel) and with
# Ctrl-C on cairn restore. A throttled target makes the restore slow enough
# to be caught mid-read. The restore stops at its next read, reports
# cancelled, and leaves no temporary file and no partial file; files already
# restored stay whole. Another user may not cancel it.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/a" "$T/src/b"
for i in 1 2; do random_file "$T/src/a/f$i" $((3 << 20)); random_file "$T/src/b/g$i" $((3 << 20)); done
echo small > "$T/src/a/small.txt"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
api: {group: nogroup}
targets:
  repo: {type: local, path: $T/repo, limits: {download_kbps: 2048}}
plans:
  home: {sources: [{type: dir, path: $T/src, name: src}], targets: [repo], schedule: daily 03:00}
YAML
run 0 cairn init
run 0 cairn backup home

# No temporary file, and every file there is whole (equal to its source).
only_whole_files() {
  local left
  left=$(find "$1" -name '.cairn-restore-*' | head -3)
  [ -z "$left" ] || fail "temporary files left in $1: $left"
  while IFS= read -r f; do
    cmp -s "$f" "$T/src/${f#$1/src/}" || fail "$f is not whole"
  done < <(find "$1" -type f)
}

note "Ctrl-C on cairn restore: exit 130, nothing half-written"
"$CAIRN" -q -c "$T/cairn.yaml" restore latest --to "$T/ctrl-c" > "$T/out" 2> "$T/err" &
pid=$!
sleep 1
kill -INT $pid
started=$(date +%s)
set +e; wait $pid; rc=$?; set -e
[ "$rc" = 130 ] || fail "restore after Ctrl-C exited $rc: $(cat "$T/err")"
[ $(($(date +%s) - started)) -le 10 ] || fail "the restore took more than 10 s to stop"
grep -q "cancelled" "$T/err" || fail "no word of the cancel: $(cat "$T/err")"
only_whole_files "$T/ctrl-c"

"$CAIRN" -c "$T/cairn.yaml" daemon > "$T/daemon.log" 2>&1 &
daemon=$!
at_exit "kill $daemon"
S="$T/state/cairn.sock"
for _ in $(seq 1 100); do [ -S "$S" ] && break; sleep 0.1; done
[ -S "$S" ] || fail "no API socket: $(cat "$T/daemon.log")"
api() { curl -s --unix-socket "$S" "$@"; }
code_of() { curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$S" "$@"; }
wait_job() {
  for _ in $(seq 1 300); do
    api "http://cairn/v1/restores/$1" > "$T/job"
    [ "$(jq -r .state "$T/job")" != running ] && return 0
    sleep 0.1
  done
  fail "restore $1 did not end: $(cat "$T/job")"
}

note "a restore cancelled through the API ends as cancelled, with nothing half-written"
[ "$(code_of -X POST -d "{\"plan\":\"home\",\"to\":\"$T/api\"}" http://cairn/v1/restores)" = 202 ] ||
  fail "restore: $(cat "$T/body")"
id=$(jq -r .id "$T/body")
sleep 1
if command -v setpriv > /dev/null && [ "$(id -u)" = 0 ]; then
  chmod 711 "$T" "$T/state"
  [ "$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -o /dev/null -w '%{http_code}' \
      --unix-socket "$S" -X POST "http://cairn/v1/restores/$id/cancel")" = 403 ] || fail "another user cancelled it"
fi
[ "$(code_of -X POST "http://cairn/v1/restores/$id/cancel")" = 202 ] || fail "cancel: $(cat "$T/body")"
wait_job "$id"
[ "$(jq -r .state "$T/job")" = cancelled ] || fail "state after cancel: $(cat "$T/job")"
jq -r .error "$T/job" | grep -q cancelled || fail "no word of the cancel: $(cat "$T/job")"
only_whole_files "$T/api"
[ "$(code_of -X POST "http://cairn/v1/restores/$id/cancel")" = 200 ] || fail "second cancel: $(cat "$T/body")"
[ "$(jq -r .state "$T/body")" = cancelled ] || fail "$(cat "$T/body")"
[ "$(code_of -X POST http://cairn/v1/restores/999/cancel)" = 404 ] || fail "unknown restore: $(cat "$T/body")"
[ "$(jq -r .error.code "$T/body")" = not_found ] || fail "$(cat "$T/body")"

note "a restore not cancelled still finishes, whole"
[ "$(code_of -X POST -d "{\"plan\":\"home\",\"paths\":[\"src/a/small.txt\"],\"to\":\"$T/whole\"}" http://cairn/v1/restores)" = 202 ] ||
  fail "restore: $(cat "$T/body")"
wait_job "$(jq -r .id "$T/body")"
[ "$(jq -r .state "$T/job")" = done ] || fail "$(cat "$T/job")"
cmp "$T/src/a/small.txt" "$T/whole/src/a/small.txt" || fail "small.txt differs"
