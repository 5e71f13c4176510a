#!/usr/bin/env bash
# Cairn and restic side by side on the same local servers: OpenSSH (SFTP) and
# OpenStack Swift (S3), started on 127.0.0.1 for this run. Initial backup and
# full restore of one corpus through each backend; wall time, CPU time, peak
# memory and the ratio cairn/restic, as a Markdown table.
#   bench/remote.sh                      # corpus: /usr/include /usr/share/doc
#   CORPUS_SOURCES="/usr/share" bench/remote.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/cairn-bench-remote}
sources=${CORPUS_SOURCES:-/usr/include /usr/share/doc}
export RESTIC_PASSWORD=bench-password
[ -x "$root/build/cairn" ] || "$root/scripts/build" >&2
rm -rf "$work"
mkdir -p "$work/corpus"
for s in $sources; do cp -a --parents "$s" "$work/corpus/" 2>/dev/null || true; done
find "$work/corpus" -xtype l -delete 2>/dev/null || true
corpus_mib=$(( $(du -sb "$work/corpus" | cut -f1) >> 20 ))
files=$(find "$work/corpus" -type f | wc -l)
eval "$("$root/tests/support/start-sshd" "$work/sshd")"
# HTTPS: restic's S3 client streams aws-chunked uploads over plain HTTP, which Swift refuses.
eval "$(SWIFT_TLS=1 "$root/tests/support/start-swift" "$work/swift" bench)"
trap 'kill $SSHD_PID $SWIFT_PIDS 2>/dev/null || true' EXIT
warm() { find "$work/corpus" -type f -print0 | xargs -0 cat > /dev/null; }

declare -A wall cpu rss
measure() {  # measure KEY cmd...
  local key=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/$key.log" 2>&1 || {
    echo "bench: $key failed:" >&2; tail -5 "$work/$key.log" >&2; exit 1; }
  read -r e u s m < "$work/time"
  wall[$key]=$e; cpu[$key]=$(echo "$u + $s" | bc); rss[$key]=$((m / 1024))
}

printf '%s\n%s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$work/s3.keys"
chmod 600 "$work/s3.keys"
cat > "$work/cairn.yaml" <<YAML
state_dir: $work/state
keyring: {mode: keyfile, keyfile: $work/cairn.key}
targets:
  sftp: {url: "sftp://$SSHD_USER@127.0.0.1:$SSHD_PORT$SSHD_ROOT/cairn", identity: $SSHD_IDENTITY, known_hosts: $SSHD_KNOWN_HOSTS}
  s3: {type: s3, endpoint: $S3_ENDPOINT, bucket: bench, prefix: cairn, access_key_file: $work/s3.keys, ca_file: $S3_CA_FILE}
plans:
  sftp: {sources: [{type: dir, path: $work/corpus, name: corpus}], targets: [sftp]}
  s3: {sources: [{type: dir, path: $work/corpus, name: corpus}], targets: [s3]}
YAML
c=("$root/build/cairn" -q -c "$work/cairn.yaml")
"${c[@]}" init > /dev/null
ssh_cmd="ssh -p $SSHD_PORT -i $SSHD_IDENTITY -o UserKnownHostsFile=$SSHD_KNOWN_HOSTS -o StrictHostKeyChecking=yes $SSHD_USER@127.0.0.1 -s sftp"
r_sftp=(restic -r "sftp:$SSHD_USER@127.0.0.1:$SSHD_ROOT/restic" -o "sftp.command=$ssh_cmd")
r_s3=(env AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY"
      restic --cacert "$S3_CA_FILE" -r "s3:$S3_ENDPOINT/bench/restic" -o s3.bucket-lookup=path -o s3.region=us-east-1)
"${r_sftp[@]}" init > /dev/null
"${r_s3[@]}" init > /dev/null

for backend in sftp s3; do
  echo "bench: $backend backups" >&2
  warm; measure "cairn-$backend-backup" "${c[@]}" backup "$backend"
  declare -n r="r_$backend"
  warm; measure "restic-$backend-backup" "${r[@]}" backup "$work/corpus"
  echo "bench: $backend restores" >&2
  sync; measure "cairn-$backend-restore" "${c[@]}" restore latest --plan "$backend" --to "$work/out-cairn-$backend"
  sync; measure "restic-$backend-restore" "${r[@]}" restore latest --target "$work/out-restic-$backend"
done

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
{
  echo "## Remote targets: cairn vs restic — $(date -u +%Y-%m-%d) on $(nproc) cores"
  echo
  echo "Corpus: $corpus_mib MiB in $files files from: $sources. Servers on 127.0.0.1: OpenSSH $(ssh -V 2>&1 | cut -d, -f1 | cut -d_ -f2), OpenStack Swift s3api."
  echo
  echo "| backend | step | cairn wall (s) | restic wall (s) | cairn/restic | cairn cpu (s) | restic cpu (s) | cairn rss (MiB) | restic rss (MiB) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for backend in sftp s3; do
    for step in backup restore; do
      k="$backend-$step"
      echo "| $backend | $step | ${wall[cairn-$k]} | ${wall[restic-$k]} | $(ratio "${wall[cairn-$k]}" "${wall[restic-$k]}") | ${cpu[cairn-$k]} | ${cpu[restic-$k]} | ${rss[cairn-$k]} | ${rss[restic-$k]} |"
    done
  done
} | tee "$work/results.md"
mkdir -p "$root/bench/results"
cp "$work/results.md" "$root/bench/results/remote-$(date -u +%Y%m%d-%H%M).md"
