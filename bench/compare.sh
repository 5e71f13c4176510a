#!/usr/bin/env bash
# Cairn side by side with restic and Borg (Debian's packages), in one run, on
# one corpus of real files copied from this machine: initial backup, backup
# with no change, backup after a small change, full restore, and the same
# restore again over the restored tree (cairn keeps what is in place; the
# others rewrite). Reports wall
# time, CPU time, peak memory and repository size for each, and the ratios
# cairn/restic and cairn/borg, as a Markdown table (stdout and bench/results/).
#
#   bench/compare.sh                      # corpus: /usr/share /usr/include /usr/lib/x86_64-linux-gnu
#   CORPUS_SOURCES="/usr/share" bench/compare.sh
#   TOOLS="cairn restic" bench/compare.sh
#
# All tools use encryption and zstd (restic repository v2 "auto", borg
# --compression zstd, level 3 like cairn) and run with a warm page cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/cairn-bench}
sources=${CORPUS_SOURCES:-/usr/share /usr/include /usr/lib/x86_64-linux-gnu}
tools=${TOOLS:-cairn restic borg}
export RESTIC_PASSWORD=bench-password BORG_PASSPHRASE=bench-password
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes

need=()
for p in restic borgbackup time bc; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
[ -x "$root/build/cairn" ] || "$root/scripts/build" >&2

rm -rf "$work"
mkdir -p "$work/corpus"
echo "bench: copying the corpus from $sources" >&2
for s in $sources; do cp -a --parents "$s" "$work/corpus/" 2>/dev/null || true; done
find "$work/corpus" -xtype l -delete 2>/dev/null || true
corpus_bytes=$(du -sb "$work/corpus" | cut -f1)
corpus_files=$(find "$work/corpus" -type f | wc -l)
warm() { find "$work/corpus" -type f -print0 | xargs -0 cat > /dev/null; }  # every tool starts with a warm page cache

declare -A wall cpu rss size failed

# measure TOOL STEP cmd... : runs the command, records wall s, cpu s, peak KiB.
measure() {
  local tool=$1 step=$2
  shift 2
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/$tool-$step.log" 2>&1 || {
    echo "bench: $tool $step failed:" >&2; tail -5 "$work/$tool-$step.log" >&2
    [ -n "${ALLOW_FAILURE:-}" ] || exit 1
    failed[$tool,$step]=1; }
  grep -q "exited with non-zero status\|Command exited" "$work/time" && sed -i '1d' "$work/time"
  read -r e u s m < "$work/time"
  wall[$tool,$step]=$e
  cpu[$tool,$step]=$(echo "$u + $s" | bc)
  rss[$tool,$step]=$m
}

small_change() {
  local c=$work/corpus
  set +o pipefail  # find | head: find dies of SIGPIPE, which is fine here
  find "$c" -type f -name '*.txt' -size +1k | head -20 | while read -r f; do echo "bench change" >> "$f"; done
  local big
  big=$(find "$c" -type f -size +4M | head -1)
  [ -n "$big" ] && dd if=/dev/urandom of="$big" bs=1M count=1 seek=1 conv=notrunc status=none
  head -c $((5 << 20)) /dev/urandom > "$c/bench-new-file.bin"
  find "$c" -type f -name '*.gz' | head -5 | xargs -r rm -f
  set -o pipefail
}

run_cairn() {
  local d=$work/cairn
  mkdir -p "$d"
  cat > "$d/cairn.yaml" <<YAML
state_dir: $d/state
keyring: {mode: keyfile, keyfile: $d/cairn.key}
targets: {repo: {type: local, path: $d/repo}}
plans: {bench: {sources: [{type: dir, path: $work/corpus, name: corpus}], targets: [repo]}}
YAML
  local c=("$root/build/cairn" -q -c "$d/cairn.yaml")
  "${c[@]}" init > /dev/null
  measure cairn initial "${c[@]}" backup
  measure cairn nochange "${c[@]}" backup
}
run_cairn_change() { measure cairn change "$root/build/cairn" -q -c "$work/cairn/cairn.yaml" backup; }
run_cairn_restore() {
  measure cairn restore "$root/build/cairn" -q -c "$work/cairn/cairn.yaml" restore latest --to "$work/cairn/restored"
  size[cairn]=$(du -sb "$work/cairn/repo" | cut -f1)
}
run_cairn_again() { measure cairn again "$root/build/cairn" -q -c "$work/cairn/cairn.yaml" restore latest --to "$work/cairn/restored"; }

run_restic() {
  local r=$work/restic/repo
  mkdir -p "$work/restic"
  restic init --repo "$r" > /dev/null
  measure restic initial restic --repo "$r" backup "$work/corpus"
  measure restic nochange restic --repo "$r" backup "$work/corpus"
}
run_restic_change() { measure restic change restic --repo "$work/restic/repo" backup "$work/corpus"; }
run_restic_restore() {
  measure restic restore restic --repo "$work/restic/repo" restore latest --target "$work/restic/restored"
  size[restic]=$(du -sb "$work/restic/repo" | cut -f1)
}
# restic 0.14 refuses to replace existing symlinks ("file exists") and exits 1:
# its time is still reported, marked as failed.
run_restic_again() { ALLOW_FAILURE=1 measure restic again restic --repo "$work/restic/repo" restore latest --target "$work/restic/restored"; }

run_borg() {
  local r=$work/borg/repo
  mkdir -p "$work/borg"
  borg init -e repokey "$r" > /dev/null 2>&1
  measure borg initial borg create --compression zstd "$r::one" "$work/corpus"
  measure borg nochange borg create --compression zstd "$r::two" "$work/corpus"
}
run_borg_change() { measure borg change borg create --compression zstd "$work/borg/repo::three" "$work/corpus"; }
run_borg_restore() {
  mkdir -p "$work/borg/restored"
  pushd "$work/borg/restored" > /dev/null
  measure borg restore borg extract "$work/borg/repo::three"
  popd > /dev/null
  size[borg]=$(du -sb "$work/borg/repo" | cut -f1)
}
run_borg_again() {
  pushd "$work/borg/restored" > /dev/null
  measure borg again borg extract "$work/borg/repo::three"
  popd > /dev/null
}

for t in $tools; do echo "bench: $t: initial and no-change backups" >&2; warm; "run_$t"; done
small_change
for t in $tools; do echo "bench: $t: backup after a small change" >&2; warm; "run_${t}_change"; done
for t in $tools; do echo "bench: $t: restore" >&2; sync; "run_${t}_restore"; done
for t in $tools; do echo "bench: $t: restore again over the restored tree" >&2; sync; "run_${t}_again"; done

ratio() { [ -n "${2:-}" ] && [ "$(echo "$2 > 0" | bc)" = 1 ] && printf '%.2f' "$(echo "$1 / $2" | bc -l)" || echo "-"; }
mib() { printf '%.0f' "$(echo "$1 / 1048576" | bc -l)"; }

{
  echo "## Cairn vs restic vs Borg — $(date -u +%Y-%m-%d) on $(nproc) cores"
  echo
  echo "Corpus: $(mib "$corpus_bytes") MiB in $corpus_files files from: $sources."
  echo "Versions: $("$root/build/cairn" --version), $(restic version | cut -d' ' -f1-2), $(borg --version)."
  echo
  echo "| step | metric | cairn | restic | borg | cairn/restic | cairn/borg |"
  echo "|---|---|---|---|---|---|---|"
  for step in initial nochange change restore again; do
    for metric in wall cpu rss; do
      declare -n m=$metric
      unit=s; [ $metric = rss ] && unit="MiB"
      val() { local v=${m[$1,$step]:-}; [ -z "$v" ] && { echo ""; return; }; [ $metric = rss ] && printf '%.0f' "$(echo "$v / 1024" | bc -l)" || echo "$v"; }
      c=$(val cairn); r=$(val restic); b=$(val borg)
      [ -n "${failed[restic,$step]:-}" ] && [ $metric = wall ] && r="$r (failed)"
      echo "| $step | $metric ($unit) | $c | $r | $b | $(ratio "$c" "${r% (failed)}") | $(ratio "$c" "$b") |"
    done
  done
  c=${size[cairn]:-}; r=${size[restic]:-}; b=${size[borg]:-}
  echo "| repository | size (MiB) | $([ -n "$c" ] && mib "$c") | $([ -n "$r" ] && mib "$r") | $([ -n "$b" ] && mib "$b") | $(ratio "$c" "$r") | $(ratio "$c" "$b") |"
} | tee "$work/results.md"
mkdir -p "$root/bench/results"
cp "$work/results.md" "$root/bench/results/$(date -u +%Y%m%d-%H%M).md"
