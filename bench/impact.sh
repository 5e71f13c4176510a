#!/usr/bin/env bash
# How much a backup slows down the person using the machine. Times a
# foreground workload (what a developer does: read a tree of files nobody read
# lately, then compile a small C++ project with 2 jobs) three ways, each
# starting with the page cache dropped:
#   alone;
#   while `cairn daemon` (its default background settings: daemon.nice 19,
#   daemon.io idle; nothing about them in the YAML) runs an initial backup of
#   a large corpus, asked for with `cairn run` (started 3 s before the workload);
#   while `nice -n 19 ionice -c3 restic backup` backs up the same corpus.
# The backups are stopped when the workload ends (cairn cancel / SIGINT); a
# backup that ended before the workload did is reported. Every round uses new
# repositories; the rounds rotate the order of the three modes. Reports the
# median and the spread of the workload's wall time and its slowdown against
# alone, with the goal of issue 15 (<= 10% with Cairn's defaults, and less than
# with restic), in bench/results/impact-DATE.md.
#
#   flock /work/.build.lock bench/impact.sh               # 3 rounds (~7 minutes on 2 cores)
#   flock /work/.build.lock bench/impact.sh --rounds 1    # a quick test of the script
#   CORPUS=/srv/data bench/impact.sh                      # what the backups read (default /usr)
# Options: --rounds N; --units N: the C++ files compiled (default 8; ~3 s each);
# --daemon-nice N: the daemon with daemon.nice N instead of the default (to
# see what the setting does; the goal is about the defaults); --readers N:
# the plan with readers: N instead of the default.
# Needs root (drop_caches), restic, g++. BENCH_DIR (default /var/tmp/cairn-impact).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/var/tmp/cairn-impact}
corpus=${CORPUS:-/usr}
rounds=3
units=8
daemon_nice=""
readers=""
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --units) units=$2; shift ;;
    --daemon-nice) daemon_nice=$2; shift ;;
    --readers) readers=$2; shift ;;
    *) echo "usage: $0 [--rounds N] [--units N] [--daemon-nice N] [--readers N]" >&2; exit 2 ;;
  esac
  shift
done
if ! [ -w /proc/sys/vm/drop_caches ]; then echo "bench: dropping the page cache needs root" >&2; exit 2; fi
for p in restic time g++ curl; do command -v "$p" > /dev/null || { echo "bench: $p is missing" >&2; exit 2; }; done
[ -x "$root/build/cairn" ] || { echo "bench: build/cairn is missing: scripts/build first" >&2; exit 2; }
export RESTIC_PASSWORD=bench-password RESTIC_CACHE_DIR=$work/restic-cache

rm -rf "$work"
mkdir -p "$work/bin" "$work/proj"
cp "$root/build/cairn" "$work/bin/cairn"
cairn=$work/bin/cairn
echo "bench: preparing the foreground's files" >&2
python3 "$root/bench/many_files.py" "$work/fg" 30000 2  # ~190 MB read cold: 30k small files and 2 of 32 MiB
for i in $(seq "$units"); do
  cat > "$work/proj/unit$i.cpp" <<CPP
#include <algorithm>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>
template <int N> struct work {
  static std::string run(const std::string& s) {
    std::regex r("([a-z]+)" + std::to_string(N + $i));
    std::map<std::string, int> m;
    for (std::sregex_iterator it(s.begin(), s.end(), r), end; it != end; ++it) m[it->str()]++;
    std::vector<std::pair<std::string, int>> v(m.begin(), m.end());
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
    std::ostringstream o;
    for (auto& [k, n] : v) o << k << n;
    return o.str() + work<N - 1>::run(s);
  }
};
template <> struct work<0> { static std::string run(const std::string&) { return {}; } };
std::string unit$i(const std::string& s) { return work<16>::run(s); }
CPP
done
cat > "$work/foreground.sh" <<SH
#!/bin/sh
set -e
start=\$(date +%s.%N)
find "$work/fg" -type f -print0 | xargs -0 cat > /dev/null
echo "\$(date +%s.%N) - \$start" | bc > "$work/readtime"
printf '%s\0' "$work"/proj/*.cpp | xargs -0 -P 2 -n 1 g++ -std=c++20 -O2 -c -o /dev/null
SH
chmod +x "$work/foreground.sh"

cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }
declare -A wall running reads
# foreground MODE: runs the workload, appends its wall time.
foreground() {
  /usr/bin/time -f "%e" -o "$work/time" "$work/foreground.sh"
  wall[$1]+="$(tail -1 "$work/time") "
  reads[$1]+="$(printf '%.2f' "$(cat "$work/readtime")") "
  echo "bench: round $round: $1: foreground $(tail -1 "$work/time") s (its reading part $(cat "$work/readtime") s)" >&2
}

setup_cairn() {
  rm -rf "$work/cairn"; mkdir -p "$work/cairn"
  cat > "$work/cairn/cairn.yaml" <<YAML
state_dir: $work/cairn/state
keyring: {mode: keyfile, keyfile: $work/cairn/cairn.key}
targets: {repo: {type: local, path: $work/cairn/repo}}
plans:
  bench:
    sources: [{type: dir, path: $corpus, name: corpus}]
    targets: [repo]
    schedule: daily $(date -d '+12 hours' +%H:%M)   # the daemon needs a scheduled plan; not due during the bench
YAML
  [ -z "$readers" ] || sed -i "s/^    targets: \[repo\]$/&\n    readers: $readers/" "$work/cairn/cairn.yaml"
  [ -z "$daemon_nice" ] || echo "daemon: {nice: $daemon_nice}" >> "$work/cairn/cairn.yaml"
  "$cairn" -q -c "$work/cairn/cairn.yaml" init > /dev/null
}
cairn_api() { curl -s --unix-socket "$work/cairn/state/cairn.sock" "http://cairn$1"; }

run_alone() { cold; foreground alone; }
run_cairn() {
  setup_cairn
  "$cairn" -q -c "$work/cairn/cairn.yaml" daemon > "$work/cairn/daemon.log" 2>&1 &
  local pid=$! i
  for i in $(seq 100); do [ -S "$work/cairn/state/cairn.sock" ] && break; sleep 0.1; done
  [ -S "$work/cairn/state/cairn.sock" ] || { echo "bench: the daemon did not start:" >&2; cat "$work/cairn/daemon.log" >&2; exit 1; }
  cold
  "$cairn" -q -c "$work/cairn/cairn.yaml" run bench > /dev/null
  sleep 3
  cairn_api /v1/runs/current | grep -q '"running":true' || {
    echo "bench: the daemon's run did not start" >&2; cat "$work/cairn/daemon.log" >&2; kill "$pid" 2> /dev/null; exit 1; }
  foreground cairn
  if cairn_api /v1/runs/current | grep -q '"running":true'; then running[cairn]+="yes "
  else running[cairn]+="no "; fi
  "$cairn" -q -c "$work/cairn/cairn.yaml" cancel bench > /dev/null 2>&1 || true
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$work/cairn"
}
run_restic() {
  rm -rf "$work/restic" "$RESTIC_CACHE_DIR"
  restic init --repo "$work/restic/repo" > /dev/null
  cold
  nice -n 19 ionice -c3 restic --repo "$work/restic/repo" backup -q "$corpus" > "$work/restic.log" 2>&1 &
  local pid=$!
  sleep 3
  foreground restic
  if kill -0 "$pid" 2> /dev/null; then running[restic]+="yes "; else running[restic]+="no "; fi
  kill -INT "$pid" 2> /dev/null || true; wait "$pid" || true
  rm -rf "$work/restic" "$RESTIC_CACHE_DIR"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
modes=(alone cairn restic)
for round in $(seq "$rounds"); do
  for k in 0 1 2; do
    m=${modes[$(((k + round - 1) % 3))]}
    "run_$m"
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
range() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s-%s", lo, hi}'; }
slow() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}'; }
base=$(median "${wall[alone]}")
s_cairn=$(awk -v a="$(median "${wall[cairn]}")" -v b="$base" 'BEGIN {print (a / b - 1) * 100}')
s_restic=$(awk -v a="$(median "${wall[restic]}")" -v b="$base" 'BEGIN {print (a / b - 1) * 100}')
met() { [ "$1" = 1 ] && echo met || echo "**missed**"; }
sched=$(cat "/sys/block/$(basename "$(df --output=source "$work" | tail -1)")/queue/scheduler" 2>/dev/null || echo unknown)
out=$root/bench/results/impact-$(date -u +%Y%m%d-%H%M).md
mkdir -p "$root/bench/results"
{
  echo "## Impact of a background backup on a foreground workload — $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "$("$cairn" --version), $(restic version | cut -d' ' -f1-2); $(nproc) vCPUs **shared with other agents' processes** (builds and"
  echo "benchmarks held off by the build lock, other processes not: the spread shows the noise), Linux $(uname -r), I/O scheduler \`$sched\`."
  echo "Load average $load_start at start, $load_end at end. $rounds round(s), each mode once a round (order rotated), page cache dropped before each."
  echo
  echo "Foreground: read $(du -sh "$work/fg" | cut -f1) in $(find "$work/fg" -type f | wc -l) files cold (one reader), then compile $units C++ files"
  echo "(g++ -O2, 2 jobs). Background: an initial backup of $corpus ($(du -sh "$corpus" 2>/dev/null | cut -f1)) into a new local repository,"
  echo "started 3 s before the foreground and stopped after it: \`cairn daemon\` with $([ -z "$daemon_nice" ] && echo "its defaults (nice 19, I/O class idle)" || echo "daemon.nice $daemon_nice (and I/O class idle, the default)")"
  echo "and \`cairn run\`; restic under \`nice -n 19 ionice -c3\`."
  echo
  echo "| background | foreground wall (s), median | range | slowdown (median) | backup still running at the end | goal (issue 15) | |"
  echo "|---|---:|---|---:|---|---|---|"
  echo "| none | $base | $(range "${wall[alone]}") | | | | |"
  echo "| cairn daemon ($([ -z "$daemon_nice" ] && echo defaults || echo "nice $daemon_nice")) | $(median "${wall[cairn]}") | $(range "${wall[cairn]}") | $(slow "$(median "${wall[cairn]}")" "$base") | ${running[cairn]} | $([ -z "$daemon_nice" ] && echo "<= 10%, and less than restic" || echo "(the goal is for the defaults; as if)") | $(met "$(awk -v c="$s_cairn" -v r="$s_restic" 'BEGIN {print (c <= 10 && c < r) ? 1 : 0}')") |"
  echo "| restic, nice 19, ionice idle | $(median "${wall[restic]}") | $(range "${wall[restic]}") | $(slow "$(median "${wall[restic]}")" "$base") | ${running[restic]} | | |"
  echo
  echo "Foreground wall times per round: alone ${wall[alone]}; cairn ${wall[cairn]}; restic ${wall[restic]}."
  echo "Of which reading the files (the rest compiles): alone ${reads[alone]}; cairn ${reads[cairn]}; restic ${reads[restic]}."
  [ -z "$readers" ] || echo "The plan had readers: $readers."
  echo "Reproduce: \`flock /work/.build.lock bench/impact.sh --rounds $rounds$([ "$units" = 8 ] || echo " --units $units")$([ -z "$daemon_nice" ] || echo " --daemon-nice $daemon_nice")\`."
} | tee "$out"
rm -rf "${work:?}"
echo "bench: wrote $out" >&2
