#!/usr/bin/env bash
# Cairn against restic (Debian's) on generated trees of many small files, with
# the page cache dropped before every phase (a nightly backup reads from disk):
# for each size, the initial and the no-change backup (wall time, user and
# system CPU, peak RSS from /usr/bin/time), `ls` of one directory and the
# restore of one file from the newest checkpoint (wall time), the repository's
# size, and derived: system CPU per file, the growth of peak RSS per file
# between sizes, and the size of Cairn's file cache (the catalog's file_cache
# table: rows and bytes on disk; it is read from SQLite one directory at a
# time, so what it costs in memory shows in the RSS growth). `--strace N`
# counts the system calls per file of both tools' backups of N files
# (strace -c -f; separately, since strace slows everything down).
#
# The tree (bench/many_files.py, the generator bench/compare.sh --many uses
# too): 200 B - 3 KB text files, 100 a directory, and 3 files of 32 MiB. The
# largest size asked for is generated once (1,000,000 files take a few minutes
# and ~4.5 GB) and kept in BENCH_DIR; a smaller size backs up the first
# N/10000 directories of it (N must be a multiple of 10000). The results
# accumulate across invocations in BENCH_DIR/rows.tsv, and each invocation
# rewrites the Markdown table of all sizes measured so far in
# bench/results/scale-DATE.md (with the goals of issue 15: met or missed).
#
# Needs root (drop_caches). Every measured run must hold the build lock, one
# size at a time (each stays under ~10 minutes on 2 cores):
#   flock /work/.build.lock bench/scale.sh --generate 1000000   # the tree, once
#   flock /work/.build.lock bench/scale.sh --fresh --sizes 250000
#   flock /work/.build.lock bench/scale.sh --sizes 500000       # appends to the same table
#   flock /work/.build.lock bench/scale.sh --sizes 1000000
#   flock /work/.build.lock bench/scale.sh --strace 20000       # syscalls per file
#   TOOLS=read flock /work/.build.lock bench/scale.sh --sizes 1000000  # the kernel's own cost (baseline)
#   bench/scale.sh --sizes 20000                                # quick test of the script (~1 min)
#   bench/scale.sh --clean                                      # removes BENCH_DIR (the trees)
# Options: --fresh forgets the rows measured before (a new results file);
# TOOLS="cairn" leaves restic out; TOOLS=read measures what the kernel alone
# costs on the same tree (a cold stat walk, and reading every file with one
# reader), for comparison; BENCH_DIR (default /var/tmp/cairn-scale).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/var/tmp/cairn-scale}
tools=${TOOLS:-cairn restic}
sizes=""
strace_n=0
generate=0
fresh=0
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=${2//,/ }; shift ;;
    --strace) strace_n=$2; shift ;;
    --generate) generate=$2; shift ;;
    --fresh) fresh=1 ;;
    --clean) rm -rf "${work:?}"; echo "bench: removed $work" >&2; exit 0 ;;
    *) echo "usage: $0 [--sizes N,N...] [--strace N] [--generate N] [--fresh] [--clean]" >&2; exit 2 ;;
  esac
  shift
done
[ -z "$sizes" ] && [ "$strace_n" = 0 ] && [ "$generate" = 0 ] && sizes="250000 500000 1000000"
for n in $sizes $strace_n $generate; do
  if ! [[ $n =~ ^[0-9]+$ ]] || [ $((n % 10000)) -ne 0 ]; then echo "bench: $n: sizes are multiples of 10000" >&2; exit 2; fi
done
if ! [ -w /proc/sys/vm/drop_caches ]; then echo "bench: dropping the page cache needs root" >&2; exit 2; fi
need=()
for p in restic time strace sqlite3; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
[ -x "$root/build/cairn" ] || { echo "bench: build/cairn is missing: scripts/build first" >&2; exit 2; }
export RESTIC_PASSWORD=bench-password RESTIC_CACHE_DIR=$work/restic-cache

mkdir -p "$work/bin"
cp "$root/build/cairn" "$work/bin/cairn"  # a rebuild during the run must not change what is measured
cairn=$work/bin/cairn
tree=$work/tree    # what is backed up: the first N/10000 directories, and the large files
spare=$work/spare  # the other directories of the generated tree
rows=$work/rows.tsv
if [ "$fresh" = 1 ] || ! [ -f "$work/results-name" ]; then
  : > "$rows"
  echo "scale-$(date -u +%Y%m%d-%H%M).md" > "$work/results-name"
fi

# ensure_tree N: the generated tree holds at least N small files.
ensure_tree() {
  local have
  have=$(cat "$work/generated" 2>/dev/null || echo 0)
  [ "$have" -ge "$1" ] && return
  echo "bench: generating $1 small files in $tree" >&2
  rm -rf "$tree" "$spare" "$work/generated"
  mkdir -p "$tree" "$spare"
  python3 "$root/bench/many_files.py" "$tree" "$1" 3
  sync
  echo "$1" > "$work/generated"
}
# arrange N: $tree holds exactly the first N/10000 top directories.
arrange() {
  local keep=$(($1 / 10000)) d i
  for d in "$tree"/d* "$spare"/d*; do
    [ -d "$d" ] || continue
    i=$((10#${d##*/d}))
    if [ "$i" -lt "$keep" ]; then [ "$d" = "$tree/${d##*/}" ] || mv "$d" "$tree/"
    else [ "$d" = "$spare/${d##*/}" ] || mv "$d" "$spare/"; fi
  done
  local have
  have=$(find "$tree" -name 'f*.txt' | wc -l)
  [ "$have" -eq "$1" ] || { echo "bench: the tree holds $have small files, not $1" >&2; exit 1; }
}
cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# measure N TOOL STEP cmd...: cold, then runs the command; appends
# "N TOOL STEP wall user sys rss_kib" to the rows.
measure() {
  local n=$1 tool=$2 step=$3
  shift 3
  cold
  if ! /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/$tool-$step.log" 2>&1; then
    echo "bench: $tool $step failed:" >&2; tail -5 "$work/$tool-$step.log" >&2; exit 1
  fi
  local e u s m
  read -r e u s m < <(tail -1 "$work/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$tool" "$step" "$e" "$u" "$s" "$m" >> "$rows"
  echo "bench: $n files: $tool $step: ${e}s wall, ${u}s user, ${s}s system, $((m / 1024)) MiB" >&2
}
note() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$rows"; }  # N TOOL KEY VALUE

setup_cairn() {
  local d=$work/cairn
  rm -rf "$d"; mkdir -p "$d"
  cat > "$d/cairn.yaml" <<YAML
state_dir: $d/state
keyring: {mode: keyfile, keyfile: $d/cairn.key}
targets: {repo: {type: local, path: $d/repo}}
plans: {bench: {sources: [{type: dir, path: $tree, name: corpus}], targets: [repo]}}
YAML
  "$cairn" -q -c "$d/cairn.yaml" init > /dev/null
}
setup_restic() {
  rm -rf "$work/restic" "$RESTIC_CACHE_DIR"; mkdir -p "$work/restic"
  restic init --repo "$work/restic/repo" > /dev/null
}
backup_cmd() {  # TOOL: the backup command
  case $1 in
    cairn) echo "$cairn -q -c $work/cairn/cairn.yaml backup" ;;
    restic) echo "restic --repo $work/restic/repo backup -q $tree" ;;
  esac
}

# One directory and one file in the middle of the first top directory.
probe_dir=d000/d050
probe_file=d000/d050/f05000.txt

run_size() {
  local n=$1 t
  arrange "$n"
  [ "$tools" = read ] || note "$n" - load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
  for t in $tools; do
    echo "bench: $n files: $t" >&2
    if [ "$t" = read ]; then  # what the kernel costs: a cold stat walk, and reading every file with one reader
      measure "$n" read stat find "$tree" -type f -printf '%s\n'
      measure "$n" read cat sh -c "find '$tree' -type f -print0 | xargs -0 cat > /dev/null"
      continue
    fi
    "setup_$t"
    # shellcheck disable=SC2046
    measure "$n" "$t" initial $(backup_cmd "$t")
    # shellcheck disable=SC2046
    measure "$n" "$t" nochange $(backup_cmd "$t")
    rm -rf "$work/$t/restored"
    case $t in
      cairn)
        measure "$n" cairn ls "$cairn" -q -c "$work/cairn/cairn.yaml" ls latest "corpus/$probe_dir"
        measure "$n" cairn restore1 "$cairn" -q -c "$work/cairn/cairn.yaml" restore latest --to "$work/cairn/restored" --path "corpus/$probe_file"
        cmp "$tree/$probe_file" "$work/cairn/restored/corpus/$probe_file"
        local db rows_n
        db=$(find "$work/cairn/state" -maxdepth 1 -name '*.db' | head -1)
        rows_n=$(sqlite3 "$db" 'SELECT count(*) FROM file_cache')
        note "$n" cairn cache_rows "$rows_n"
        note "$n" cairn catalog_bytes "$(du -cb "$db"* | tail -1 | cut -f1)"
        ;;
      restic)
        measure "$n" restic ls restic --repo "$work/restic/repo" ls latest "$tree/$probe_dir"
        measure "$n" restic restore1 restic --repo "$work/restic/repo" restore latest --target "$work/restic/restored" --include "$tree/$probe_file"
        cmp "$tree/$probe_file" "$work/restic/restored/$tree/$probe_file"
        ;;
    esac
    grep -q "f05099.txt" "$work/$t-ls.log" || { echo "bench: $t ls did not list $probe_dir" >&2; exit 1; }
    note "$n" "$t" repo_bytes "$(du -sb "$work/$t/repo" | cut -f1)"
    rm -rf "${work:?}/$t" "$RESTIC_CACHE_DIR"
  done
  [ "$tools" = read ] || note "$n" - load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# strace_size N: system calls of the initial and the no-change backup of N files.
strace_size() {
  local n=$1 t step
  arrange "$n"
  for t in $tools; do
    "setup_$t"
    for step in initial nochange; do
      cold
      echo "bench: $n files: $t $step under strace -c -f" >&2
      # shellcheck disable=SC2046
      strace -c -f -o "$work/strace-$t-$step.txt" $(backup_cmd "$t") > /dev/null 2>&1
      # The total line: "100.00 seconds usecs/call calls [errors] total".
      note "$n" "$t" "syscalls_$step" "$(awk '$NF == "total" {print $4}' "$work/strace-$t-$step.txt")"
      note "$n" "$t" "top_$step" "$(awk '$1 ~ /^[0-9.]+$/ && $NF != "total" {print $4, $NF}' "$work/strace-$t-$step.txt" |
        sort -rn | head -6 | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')"
    done
    rm -rf "${work:?}/$t" "$RESTIC_CACHE_DIR"
  done
}

if [ "$generate" -gt 0 ]; then ensure_tree "$generate"; fi
max=0
for n in $sizes $strace_n; do [ "$n" -gt "$max" ] && max=$n; done
[ "$max" -gt 0 ] && ensure_tree "$max"
for n in $sizes; do run_size "$n"; done
[ "$strace_n" -gt 0 ] && strace_size "$strace_n"
[ -z "$sizes" ] && [ "$strace_n" = 0 ] && exit 0

# The table of every size measured so far, with the goals of issue 15.
out=$root/bench/results/$(cat "$work/results-name")
mkdir -p "$root/bench/results"
python3 - "$rows" "$out" "$("$cairn" --version)" "$(restic version | cut -d' ' -f1-2)" \
  "$(nproc)" "$(uname -r)" "$(cat "/sys/block/$(basename "$(df --output=source "$work" | tail -1)")/queue/scheduler" 2>/dev/null || echo unknown)" <<'PY'
import collections, statistics, sys, time
rows_file, out, cairn_v, restic_v, cores, kernel, sched = sys.argv[1:]
m = collections.defaultdict(dict)  # (n, tool) -> step -> (wall, user, sys, rss_kib)
notes = collections.defaultdict(dict)  # (n, tool) -> key -> value
for line in open(rows_file):
    f = line.rstrip("\n").split("\t")
    if len(f) == 7: m[(int(f[0]), f[1])][f[2]] = tuple(float(x) for x in f[3:])
    elif len(f) == 4: notes[(int(f[0]), f[1])][f[2]] = f[3]
sizes = sorted({n for n, t in m})
L = []
def p(s=""): L.append(s)
mib = lambda kib: kib / 1024
def ratio(a, b): return a / b if a is not None and b else None
def fmt(v, d=1): return "-" if v is None else f"{v:.{d}f}"
def verdict(ok): return "-" if ok is None else ("met" if ok else "**missed**")
p(f"## Scale: many small files, cold page cache — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC")
p()
p(f"{cairn_v}, {restic_v}; {cores} vCPUs (shared with other agents' processes: builds and benchmarks were held off by "
  f"the build lock, other processes were not), Linux {kernel}, I/O scheduler `{sched}`. Page cache dropped before every "
  f"phase (`sync; echo 3 > /proc/sys/vm/drop_caches`); times from `/usr/bin/time`, one run each.")
p("Tree: bench/many_files.py (N text files of 200 B - 3 KB, 100 a directory, and 3 files of 32 MiB). "
  "`ls` lists corpus/d000/d050 (100 files); restore one file restores corpus/d000/d050/f05000.txt from the newest checkpoint.")
p("Reproduce: `flock /work/.build.lock bench/scale.sh --fresh --sizes 250000`, then `--sizes 500000`, `--sizes 1000000`, "
  "`--strace 20000` and `TOOLS=read ... --sizes 1000000` (each appends to this table).")
for n in sizes:
    load = f"load average {notes[(n, '-')].get('load_start', '?')} at start, {notes[(n, '-')].get('load_end', '?')} at end"
    p(); p(f"### {n:,} files ({load})"); p()
    p("| phase | metric | cairn | restic | cairn/restic | goal (issue 15) | |")
    p("|---|---|---:|---:|---:|---|---|")
    c, r = m.get((n, "cairn"), {}), m.get((n, "restic"), {})
    def get(d, step, i): return d[step][i] if step in d else None
    for step, label in (("initial", "initial backup"), ("nochange", "no-change backup")):
        cw, rw = get(c, step, 0), get(r, step, 0)
        goal = 0.6 if step == "initial" else 0.3
        rt = ratio(cw, rw)
        p(f"| {label} | wall (s) | {fmt(cw)} | {fmt(rw)} | {fmt(rt, 2)} | <= {goal}x restic | {verdict(None if rt is None else rt <= goal)} |")
        p(f"| {label} | user / system CPU (s) | {fmt(get(c, step, 1))} / {fmt(get(c, step, 2))} | {fmt(get(r, step, 1))} / {fmt(get(r, step, 2))} | | | |")
        cs, rs = get(c, step, 2), get(r, step, 2)
        p(f"| {label} | system CPU per file (µs) | {fmt(cs and cs / n * 1e6, 0)} | {fmt(rs and rs / n * 1e6, 0)} | {fmt(ratio(cs, rs), 2)} | measured and explained (strace below) | |")
        cm, rm = get(c, step, 3), get(r, step, 3)
        cm, rm = cm and mib(cm), rm and mib(rm)
        rt = ratio(cm, rm)
        if step == "initial":
            p(f"| {label} | peak RSS (MiB) | {fmt(cm, 0)} | {fmt(rm, 0)} | {fmt(rt, 2)} | <= 0.5x restic | {verdict(None if rt is None else rt <= 0.5)} |")
        else:
            ok = None if cm is None else cm <= 150
            p(f"| {label} | peak RSS (MiB) | {fmt(cm, 0)} | {fmt(rm, 0)} | {fmt(rt, 2)} | <= 150 MiB | {verdict(ok)} |")
    cw, rw = get(c, "ls", 0), get(r, "ls", 0)
    p(f"| `ls` of one directory | wall (s) | {fmt(cw, 2)} | {fmt(rw, 2)} | {fmt(ratio(cw, rw), 2)} | (reported) | |")
    cw, rw = get(c, "restore1", 0), get(r, "restore1", 0)
    p(f"| restore one file | wall (s) | {fmt(cw, 2)} | {fmt(rw, 2)} | {fmt(ratio(cw, rw), 2)} | < 2 s (cairn) | {verdict(None if cw is None else cw < 2)} |")
    cm, rm = get(c, "restore1", 3), get(r, "restore1", 3)
    p(f"| restore one file | peak RSS (MiB) | {fmt(cm and mib(cm), 0)} | {fmt(rm and mib(rm), 0)} | {fmt(ratio(cm, rm), 2)} | | |")
    cb, rb = notes[(n, "cairn")].get("repo_bytes"), notes[(n, "restic")].get("repo_bytes")
    cb, rb = cb and int(cb) / 2**20, rb and int(rb) / 2**20
    p(f"| repository | size (MiB) | {fmt(cb, 0)} | {fmt(rb, 0)} | {fmt(ratio(cb, rb), 2)} | | |")
    rd = m.get((n, "read"), {})
    for step, label in (("stat", "baseline: cold stat walk (find -printf %s)"), ("cat", "baseline: cold read of every file (find, xargs cat: one reader)")):
        if step in rd:
            w, u, sy, _ = rd[step]
            p(f"| {label} | wall (s), user / system CPU (s), system per file (µs) | {w:.1f}, {u:.1f} / {sy:.1f}, {sy / n * 1e6:.0f} | | | | |")
    rows_n, db = notes[(n, "cairn")].get("cache_rows"), notes[(n, "cairn")].get("catalog_bytes")
    if rows_n and db:
        p(f"| file cache | catalog rows / bytes on disk per file | {rows_n} / {int(db) / max(int(rows_n), 1):.0f} | | | | |")
if len(sizes) > 1:
    p(); p("### Peak RSS growth per file between sizes"); p()
    p("Goal: peak RSS of cairn's initial backup growing less than linearly with the file count: here, the memory each")
    p("added file costs (the slope) must shrink from one interval to the next (a constant slope is linear growth;")
    p("the ratio of RSS to files alone would call any fixed base sublinear).")
    p()
    p("| from → to | backup | cairn (bytes/file) | restic (bytes/file) | cairn RSS ratio / file ratio | |")
    p("|---|---|---:|---:|---:|---|")
    last = None
    for a, b in zip(sizes, sizes[1:]):
        for step in ("initial", "nochange"):
            vals, rel = [], None
            for t in ("cairn", "restic"):
                x, y = m.get((a, t), {}).get(step), m.get((b, t), {}).get(step)
                vals.append(None if not (x and y) else (y[3] - x[3]) * 1024 / (b - a))
                if t == "cairn" and x and y: rel = (y[3] / x[3]) / (b / a)
            ok = None
            if step == "initial" and vals[0] is not None:
                ok = None if last is None else vals[0] < last
                last = vals[0]
            p(f"| {a:,} → {b:,} | {step} | {fmt(vals[0], 0)} | {fmt(vals[1], 0)} | {fmt(rel, 2)} | {verdict(ok) if step == 'initial' else ''} |")
st = [(n, t) for (n, t), d in notes.items() if "syscalls_initial" in d]
if st:
    p(); p("### System calls per file (strace -c -f, cold, run separately)"); p()
    p("| files | tool | backup | syscalls | per file | most frequent (count) |")
    p("|---:|---|---|---:|---:|---|")
    for n, t in sorted(st):
        for step in ("initial", "nochange"):
            calls = notes[(n, t)].get(f"syscalls_{step}")
            if calls:
                p(f"| {n:,} | {t} | {step} | {int(calls):,} | {int(calls) / n:.1f} | {notes[(n, t)].get('top_' + step, '')} |")
open(out, "w").write("\n".join(L) + "\n")
print("\n".join(L))
PY
echo "bench: wrote $out" >&2
