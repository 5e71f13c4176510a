#!/usr/bin/env bash
# The ssh target (cairn serve --append-only behind OpenSSH) beside the sftp
# target on the same OpenSSH server on 127.0.0.1: initial backup and full
# restore of one corpus of incompressible files; wall time of each.
#   bench/serve.sh                 # 256 MiB in 32 files
#   CORPUS_MIB=1024 bench/serve.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/cairn-bench-serve}
mib=${CORPUS_MIB:-256}
cairn=$root/build/cairn
[ -x "$cairn" ] || "$root/scripts/build" >&2
rm -rf "$work"
mkdir -p "$work/corpus" "$work/serve-repo"
for i in $(seq 1 32); do head -c $((mib * 1024 * 1024 / 32)) /dev/urandom > "$work/corpus/f$i"; done
eval "$("$root/tests/support/start-sshd" "$work/sshd")"
trap 'kill $SSHD_PID 2>/dev/null || true' EXIT
ssh-keygen -q -t ed25519 -N '' -f "$work/serve_key"
echo "command=\"$cairn serve --append-only $work/serve-repo\",restrict $(cat "$work/serve_key.pub")" >> "$work/sshd/authorized_keys"
cat > "$work/cairn.yaml" <<YAML
state_dir: $work/state
keyring: {mode: keyfile, keyfile: $work/cairn.key}
targets:
  sftp: {url: "sftp://$SSHD_USER@127.0.0.1:$SSHD_PORT$SSHD_ROOT/repo", identity: $SSHD_IDENTITY, known_hosts: $SSHD_KNOWN_HOSTS}
  ssh: {url: "ssh://$SSHD_USER@127.0.0.1:$SSHD_PORT$work/serve-repo", identity: $work/serve_key, known_hosts: $SSHD_KNOWN_HOSTS, ssh_command: ssh -F /dev/null}
plans:
  to_sftp: {sources: [{type: dir, path: $work/corpus}], targets: [sftp]}
  to_ssh: {sources: [{type: dir, path: $work/corpus}], targets: [ssh]}
YAML
c() { "$cairn" -q -c "$work/cairn.yaml" "$@" > /dev/null; }
seconds() { local t0; t0=$(date +%s.%N); "$@"; echo "$(date +%s.%N) - $t0" | bc; }
c init
echo "| target | backup ${mib} MiB (s) | restore (s) |"
echo "|---|---|---|"
for t in sftp ssh; do
  b=$(seconds c backup "to_$t")
  r=$(seconds c restore latest --plan "to_$t" --target "$t" --to "$work/restore-$t")
  cmp -s "$work/corpus/f1" "$work/restore-$t/corpus/f1" || { echo "bench: restore from $t differs" >&2; exit 1; }
  printf '| %s | %.1f | %.1f |\n' "$t" "$b" "$r"
done
