# Shared helpers of the end-to-end tests. Source it first thing:
#   source "$CAIRN_E2E_LIB"
set -euo pipefail

: "${CAIRN:?CAIRN must name the cairn binary}"
T=$(mktemp -d /tmp/cairn-e2e.XXXXXX)
chmod 755 "$T"
cleanup_dir() {
  # Read-only directories from restores must become removable.
  chmod -R u+rwx "$T" 2>/dev/null || true
  rm -rf "$T"
}
# at_exit 'COMMAND' : runs COMMAND when the script exits (latest first),
# without changing its exit code.
EXIT_HOOKS=()
at_exit() { EXIT_HOOKS+=("$1"); }
on_exit() {
  local code=$?
  set +e
  local i
  for ((i = ${#EXIT_HOOKS[@]} - 1; i >= 0; i--)); do eval "${EXIT_HOOKS[$i]}" > /dev/null 2>&1; done
  trap - EXIT
  cleanup_dir
  exit $code
}
trap on_exit EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }

# write_config SOURCE... : one plan "main" backing up the sources to target "repo".
write_config() {
  {
    echo "state_dir: $T/state"
    echo "keyring:"
    echo "  mode: ${KEY_MODE:-keyfile}"
    [ "${KEY_MODE:-keyfile}" = keyfile ] && echo "  keyfile: $T/cairn.key"
    [ -n "${PASSWORD_FILE:-}" ] && echo "  password_file: $PASSWORD_FILE"
    echo "targets:"
    echo "  repo:"
    echo "    type: local"
    echo "    path: $T/repo"
    [ -n "${LIMITS:-}" ] && echo "    limits: $LIMITS"
    echo "plans:"
    echo "  main:"
    echo "    sources:"
    for s in "$@"; do
      echo "      - type: dir"
      echo "        path: $s"
      [ -n "${EXCLUDE:-}" ] && echo "        exclude: $EXCLUDE"
    done
    echo "    targets: [repo]"
  } > "$T/cairn.yaml"
}

cairn() { "$CAIRN" -q -c "$T/cairn.yaml" "$@"; }

# run EXPECTED_EXIT cmd... : runs, keeps stdout in $T/out and stderr in $T/err.
run() {
  local want=$1
  shift
  set +e
  "$@" > "$T/out" 2> "$T/err"
  local got=$?
  set -e
  if [ "$got" -ne "$want" ]; then
    echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"
    fail "'$*' exited $got, expected $want"
  fi
}

# json FILTER : applies a jq filter to the JSON lines of the last run's stdout.
json() { jq -r "$1" < "$T/out"; }

# checkpoint_stat FIELD : a field of the (single) checkpoint object of the last backup.
checkpoint_stat() { jq -r "select(.type==\"checkpoint\") | .$1" < "$T/out"; }

# size_of DIR : bytes used by the files under DIR.
size_of() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }

# fingerprint DIR : one hash over every file's name and content.
fingerprint() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }

have_treetool() { [ -x "${TREETOOL:-}" ]; }

compare_trees() {
  local flags=(--no-atime)
  [ "$(id -u)" -ne 0 ] && flags+=(--no-owner)
  "$TREETOOL" compare "$1" "$2" "${flags[@]}" > "$T/compare" || { cat "$T/compare"; fail "restored tree differs: $1 vs $2"; }
}

random_file() { head -c "$2" /dev/urandom > "$1"; }

# sigterm_during_sleep : starts a backup of $T/cairn.yaml whose run includes
# `sleep 60` (a step or a source), sends SIGTERM once that sleep runs, and
# checks that the backup ends within 10 s with exit 130, that the sleep was
# terminated with it, and that no checkpoint was committed in $T/repo.
# descendant_of PID PATTERN: a process matching PATTERN (pgrep -f) runs below PID.
descendant_of() {
  local p q
  for p in $(pgrep -f "$2"); do
    q=$p
    while [ -n "$q" ] && [ "$q" -gt 1 ]; do
      [ "$q" = "$1" ] && return 0
      q=$(awk '{print $4}' "/proc/$q/stat" 2>/dev/null)
    done
  done
  return 1
}

# sigterm_during_sleep [SECONDS]: the step under test is `sleep SECONDS`
# (60 by default; tests that may run in parallel use different ones).
sigterm_during_sleep() {
  local n pid code start secs=${1:-60}
  n=$(ls "$T/repo/checkpoints" | wc -l)
  "$CAIRN" -q -c "$T/cairn.yaml" backup > /dev/null 2> "$T/err" &
  pid=$!
  # Wait for this backup's own step (another test running in parallel may
  # have a `sleep 60` of its own).
  for _ in $(seq 1 200); do descendant_of "$pid" "^sleep $secs\$" && break; sleep 0.05; done
  start=$(date +%s)
  kill -TERM "$pid"
  set +e
  wait "$pid"
  code=$?
  set -e
  [ "$code" -eq 130 ] || fail "exit $code after SIGTERM, expected 130: $(cat "$T/err")"
  [ $(( $(date +%s) - start )) -lt 10 ] || fail "the backup took more than 10 s to stop"
  pgrep -f "^sleep $secs\$" > /dev/null && fail "sleep $secs is still running after the backup stopped"
  [ "$(ls "$T/repo/checkpoints" | wc -l)" -eq "$n" ] || fail "an interrupted run committed a checkpoint"
}

# flip_byte FILE OFFSET : changes the byte at OFFSET (always to another value).
flip_byte() {
  local old
  old=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
  printf "\\x$(printf %02x $(( (old + 1) % 256 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# wait_packs N : waits (up to 20 s) until the repository holds N packs.
wait_packs() {
  for _ in $(seq 1 400); do
    [ "$(find "$T/repo/data" -type f 2>/dev/null | wc -l)" -ge "$1" ] && return 0
    sleep 0.05
  done
  return 1
}

# free_port : a TCP port on 127.0.0.1 that nothing listens on (and the next one).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( (RANDOM % 12000) + 20000 ))  # below the ephemeral range
    if ! ss -ltn 2>/dev/null | grep -qE ":($p|$((p + 1)))\b"; then echo "$p"; return 0; fi
  done
  return 1
}

# start_swtpm STATE_DIR : a private software TPM; sets TPM_TCTI. A fresh state
# directory is a new machine's TPM. Stopped by stop_swtpm or at exit.
SWTPM_PIDS=()
start_swtpm() {
  command -v swtpm >/dev/null || { echo "swtpm is not installed"; exit 77; }
  mkdir -p "$1"
  rm -f "$1/swtpm.pid"
  for _ in 1 2 3 4 5; do  # another test may take the same port at the same moment
    TPM_PORT=$(free_port)
    swtpm socket --tpm2 --daemon --server type=tcp,port="$TPM_PORT",bindaddr=127.0.0.1 \
      --ctrl type=tcp,port=$((TPM_PORT + 1)),bindaddr=127.0.0.1 --tpmstate dir="$1" \
      --flags not-need-init,startup-clear --pid file="$1/swtpm.pid" 2>/dev/null || continue
    for _ in $(seq 1 100); do [ -s "$1/swtpm.pid" ] && break; sleep 0.02; done
    [ -s "$1/swtpm.pid" ] && break
  done
  [ -s "$1/swtpm.pid" ] || fail "swtpm did not start"
  SWTPM_PIDS+=("$(cat "$1/swtpm.pid")")
  TPM_TCTI="swtpm:host=127.0.0.1,port=$TPM_PORT"
}
stop_swtpm() { kill "$(cat "$1/swtpm.pid")" 2>/dev/null || true; sleep 0.1; }
stop_all_swtpm() { for p in "${SWTPM_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
at_exit stop_all_swtpm

# start_sshd DIR / start_swift DIR : real servers on 127.0.0.1 (tests/support).
SERVER_PIDS=()
start_sshd() {
  [ -x /usr/sbin/sshd ] || { echo "sshd is not installed"; exit 77; }
  eval "$("$CAIRN_SUPPORT_DIR/start-sshd" "$1")"
  SERVER_PIDS+=("$SSHD_PID")
}
# start_rclone_sftp DIR : rclone's SFTP server (a second implementation) with
# the same variables as start_sshd; paths on it are relative to $SSHD_ROOT,
# so an object at $SSHD_ROOT/x is /x on the server.
start_rclone_sftp() {
  command -v rclone >/dev/null || { echo "rclone is not installed"; exit 77; }
  eval "$("$CAIRN_SUPPORT_DIR/start-rclone-sftp" "$1")"
  SERVER_PIDS+=("$SSHD_PID")
}
start_swift() {
  command -v swift-proxy-server >/dev/null || { echo "swift is not installed"; exit 77; }
  local out=""
  for _ in 1 2 3; do  # another test may have taken one of its ports
    out=$("$CAIRN_SUPPORT_DIR/start-swift" "$1" "${2:-cairn}") && break
    out=""
  done
  [ -n "$out" ] || fail "Swift did not start"
  eval "$out"
  SERVER_PIDS+=($SWIFT_PIDS)
}
# start_s3rver DIR [BUCKET] : s3rver (npm; a quick second S3 server, installed
# into tests/support/s3rver by npm ci the first time) with the same variables
# as start_swift; S3RVER_PID.
start_s3rver() {
  local out="" code=0
  out=$("$CAIRN_SUPPORT_DIR/start-s3rver" "$1" "${2:-cairn}") || code=$?
  [ "$code" -eq 77 ] && { echo "node/npm are not installed"; exit 77; }
  [ "$code" -eq 0 ] || fail "s3rver did not start"
  eval "$out"
  SERVER_PIDS+=("$S3RVER_PID")
}
stop_servers() { [ ${#SERVER_PIDS[@]} -gt 0 ] && kill "${SERVER_PIDS[@]}" 2>/dev/null || true; }
at_exit stop_servers

# start_proxy UPSTREAM_PORT OPTIONS... : our fault-injecting TCP proxy in front
# of a server (tests/e2e/faultproxy.cpp); sets PROXY_PORT. stop_proxy ends it.
PROXY_PIDS=()
start_proxy() {
  [ -x "${FAULTPROXY:-}" ] || { echo "faultproxy not built"; exit 77; }
  local upstream=$1
  shift
  PROXY_PORT=$(free_port)
  "$FAULTPROXY" "$PROXY_PORT" "$upstream" "$@" > "$T/proxy.out" &
  PROXY_PIDS+=($!)
  for _ in $(seq 1 100); do grep -q ready "$T/proxy.out" 2>/dev/null && return 0; sleep 0.02; done
  fail "faultproxy did not start"
}
stop_proxy() { [ ${#PROXY_PIDS[@]} -gt 0 ] && kill "${PROXY_PIDS[@]}" 2>/dev/null || true; PROXY_PIDS=(); }
at_exit stop_proxy
