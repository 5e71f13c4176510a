#!/usr/bin/env bash
# Cairn side by side with restic and Borg (Debian's packages), in one run, on
# one corpus: initial backup, backup with no change, backup after a small
# change, full restore, and the same restore again over the restored tree
# (cairn keeps what is in place; the others rewrite). Reports wall time, CPU
# time, peak memory (RSS, /usr/bin/time) and repository size for each, and the
# ratios to restic and Borg, as Markdown tables (stdout and bench/results/).
#
# A nightly backup reads from disk, so by default every phase runs twice: with
# the page cache dropped before it ("cold": sync; echo 3 > drop_caches, needs
# root) and with the data read just before it ("warm").
#
#   bench/compare.sh                 # corpus: /usr/share /usr/include /usr/lib/x86_64-linux-gnu
#   bench/compare.sh --small         # ~600 MB: /usr/include /usr/share/doc /usr/share/man /usr/lib/python3 + a 128 MiB image
#   bench/compare.sh --many 100000   # generated: N small files (200 B - 3 KB, 100 a directory) + 3 large ones
#   bench/compare.sh --warm          # warm only (the old mode); --cold: cold only
#   bench/compare.sh --repeat 3      # every phase 3 times (fresh repositories, each round starting with
#                                    # another tool): the median, and the spread of wall times
#   CAIRN_BEFORE=/tmp/cairn-old bench/compare.sh   # also an older cairn binary ("before" column)
#   TOOLS="cairn restic" CORPUS_SOURCES="/usr/share" bench/compare.sh
#
# All tools use encryption and zstd (restic repository v2 "auto", borg
# --compression zstd, level 3 like cairn). restic and Borg are installed from
# Debian when missing (bench only; CI does not need them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/cairn-bench}
sources=${CORPUS_SOURCES:-/usr/share /usr/include /usr/lib/x86_64-linux-gnu}
tools=${TOOLS:-cairn restic borg}
modes="cold warm"
repeat=1
many=0
corpus_name="real files"
while [ $# -gt 0 ]; do
  case $1 in
    --warm) modes=warm ;;
    --cold) modes=cold ;;
    --small) sources="/usr/include /usr/share/doc /usr/share/man /usr/lib/python3"; small_image=1 ;;
    --many) many=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    *) echo "usage: $0 [--warm|--cold] [--small|--many N] [--repeat N]" >&2; exit 2 ;;
  esac
  shift
done
[ -n "${CAIRN_BEFORE:-}" ] && tools="$tools before"
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
mkdir -p "$work/bin"
cp "$root/build/cairn" "$work/bin/cairn"  # a rebuild during the run must not change what is measured
if [[ $modes == *cold* ]] && ! [ -w /proc/sys/vm/drop_caches ]; then
  echo "bench: dropping the page cache needs root; use --warm" >&2; exit 2
fi

# many_files DIR N: N files of 200 B - 3 KB (100 a directory, 100 directories a level) and 3 of 32 MiB
# (bench/many_files.py, shared with bench/scale.sh).
many_files() { python3 "$root/bench/many_files.py" "$1" "$2" 3; }

mkdir -p "$work/pristine"
if [ "$many" -gt 0 ]; then
  echo "bench: generating $many small files" >&2
  many_files "$work/pristine" "$many"
  corpus_name="$many generated small files (200 B - 3 KB, 100 a directory) and 3 files of 32 MiB"
else
  echo "bench: copying the corpus from $sources" >&2
  for s in $sources; do cp -a --parents "$s" "$work/pristine/" 2>/dev/null || true; done
  find "$work/pristine" -xtype l -delete 2>/dev/null || true
  if [ -n "${small_image:-}" ]; then  # a disk image: incompressible and empty parts
    { head -c $((96 << 20)) /dev/urandom; head -c $((32 << 20)) /dev/zero; } > "$work/pristine/disk.img"
    corpus_name="real files from $sources and a 128 MiB image"
  else
    corpus_name="real files from $sources"
  fi
fi
corpus_bytes=$(du -sb "$work/pristine" | cut -f1)
corpus_files=$(find "$work/pristine" -type f | wc -l)
corpus=$work/corpus

declare -A vals failed size

# Trees and repositories of a finished round go to $work/trash (a rename) and
# are deleted when the run ends, not between phases: ext4 without a journal
# (this VM's root) passes over inodes freed in the last 60 s, or 6 min once
# their inode-table block is written again, at a buffer lookup each, so a
# restore within minutes of deleting a restored tree spent twice the system
# time (15 s vs 7.5 s, 86k files) -- whichever tool came first after the
# deletion. Needs ~(tools + 2) x corpus of free disk per round (a corpus copy
# and a restored tree per tool, repositories); with less, trees are deleted at
# once as before, and a warning says so.
trash=$work/trash
trashed=0
keep_trash=1
need_kib=$(( (corpus_bytes / 1024) * ($(wc -w <<<"$tools") + 2) * repeat * $(wc -w <<<"$modes") ))
if [ "$(df -Pk "$work" | awk 'NR == 2 {print $4}')" -lt "$need_kib" ]; then
  keep_trash=0
  echo "bench: less than $((need_kib >> 20)) GiB free: finished trees are deleted at once (restore times may include ext4's recently-freed inode scan)" >&2
fi
discard() {
  local p
  for p in "$@"; do
    [ -e "$p" ] || continue
    if [ "$keep_trash" = 1 ]; then
      trashed=$((trashed + 1))
      mkdir -p "$trash"
      mv "$p" "$trash/$trashed"
    else
      rm -rf "$p"
    fi
  done
}
# At the end every tree goes (the logs stay), so that the next run does not
# start by deleting them.
trap 'rm -rf "$trash" "$work/pristine" "$work/corpus" "$work"/{cairn,before,restic,borg}' EXIT

# prepare MODE DIR...: before a phase, empty the page cache (cold) or read DIRs into it (warm).
prepare() {
  local mode=$1; shift
  sync
  if [ "$mode" = cold ]; then echo 3 > /proc/sys/vm/drop_caches
  else find "$@" -type f -print0 2>/dev/null | xargs -0 -r cat > /dev/null; fi
}

# measure TOOL STEP cmd... : runs the command, records wall s, cpu s, peak KiB (appended per repetition).
measure() {
  local tool=$1 step=$2
  shift 2
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/$tool-$step.log" 2>&1 || {
    echo "bench: $tool $step failed:" >&2; tail -5 "$work/$tool-$step.log" >&2
    [ -n "${ALLOW_FAILURE:-}" ] || exit 1
    failed[$mode,$tool,$step]=1; }
  grep -q "exited with non-zero status\|Command exited" "$work/time" && sed -i '1d' "$work/time"
  read -r e u s m < "$work/time"
  vals[$mode,$tool,$step,wall]+="$e "
  vals[$mode,$tool,$step,cpu]+="$(echo "$u + $s" | bc) "
  vals[$mode,$tool,$step,sys]+="$s "
  vals[$mode,$tool,$step,rss]+="$m "
}

small_change() {
  local c=$corpus
  set +o pipefail  # find | head: find dies of SIGPIPE, which is fine here
  find "$c" -type f \( -name '*.txt' -o -name '*.h' \) -size +1k | sort | head -20 | while read -r f; do echo "bench change" >> "$f"; done
  local big
  big=$(find "$c" -type f -size +4M | sort | head -1)
  [ -n "$big" ] && dd if=/dev/urandom of="$big" bs=1M count=1 seek=1 conv=notrunc status=none
  head -c $((5 << 20)) /dev/urandom > "$c/bench-new-file.bin"
  find "$c" -type f -name '*.gz' | sort | head -5 | xargs -r rm -f
  set -o pipefail
}

cairn_bin() { [ "$1" = before ] && echo "$CAIRN_BEFORE" || echo "$work/bin/cairn"; }
cairn_cfg() { echo "$work/$1/cairn.yaml"; }
setup_cairn() {
  local d=$work/$1
  mkdir -p "$d"
  cat > "$d/cairn.yaml" <<YAML
state_dir: $d/state
keyring: {mode: keyfile, keyfile: $d/cairn.key}
targets: {repo: {type: local, path: $d/repo}}
plans: {bench: {sources: [{type: dir, path: $corpus, name: corpus}], targets: [repo]}}
YAML
  "$(cairn_bin "$1")" -q -c "$d/cairn.yaml" init > /dev/null
}
backup_cairn() { measure "$1" "$2" "$(cairn_bin "$1")" -q -c "$(cairn_cfg "$1")" backup; }
restore_cairn() { measure "$1" "$2" "$(cairn_bin "$1")" -q -c "$(cairn_cfg "$1")" restore latest --to "$work/$1/restored"; }

setup_tool() {
  local t=$1
  discard "${work:?}/$t"
  case $t in
    cairn|before) setup_cairn "$t" ;;
    restic) mkdir -p "$work/restic"; restic init --repo "$work/restic/repo" > /dev/null ;;
    borg) mkdir -p "$work/borg"; borg init -e repokey "$work/borg/repo" > /dev/null 2>&1 ;;
  esac
}
n_borg=0
backup() {  # backup TOOL STEP
  case $1 in
    cairn|before) backup_cairn "$1" "$2" ;;
    restic) measure restic "$2" restic --repo "$work/restic/repo" backup "$corpus" ;;
    borg) n_borg=$((n_borg + 1)); measure borg "$2" borg create --compression zstd "$work/borg/repo::a$n_borg" "$corpus" ;;
  esac
}
restore() {  # restore TOOL STEP
  case $1 in
    cairn|before) restore_cairn "$1" "$2" ;;
    # restic 0.14 refuses to replace existing symlinks ("file exists") and exits 1:
    # its time is still reported, marked as failed.
    restic) ALLOW_FAILURE=$([ "$2" = again ] && echo 1) measure restic "$2" restic --repo "$work/restic/repo" restore latest --target "$work/restic/restored" ;;
    borg) mkdir -p "$work/borg/restored"; pushd "$work/borg/restored" > /dev/null
          measure borg "$2" borg extract "$work/borg/repo::a$n_borg"; popd > /dev/null ;;
  esac
}

# The first tool to restore after the backups was measured slower (writeback of
# earlier phases, it seems): each round starts with another tool.
rotate() { local -a a=($tools); local n=${#a[@]} i; for ((i = 0; i < n; i++)); do echo -n "${a[$(((i + $1) % n))]} "; done; }
all_tools=$tools
for mode in $modes; do
  for rep in $(seq "$repeat"); do
    tools=$(rotate $((rep - 1)))
    echo "bench: $mode, round $rep of $repeat ($tools)" >&2
    discard "$corpus"; cp -a "$work/pristine" "$corpus"
    for t in $tools; do
      setup_tool "$t"
      echo "bench: $mode: $t: initial and no-change backups" >&2
      prepare "$mode" "$corpus"; backup "$t" initial
      prepare "$mode" "$corpus"; backup "$t" nochange
    done
    small_change
    for t in $tools; do echo "bench: $mode: $t: backup after a small change" >&2; prepare "$mode" "$corpus"; backup "$t" change; done
    for t in $tools; do
      echo "bench: $mode: $t: restore" >&2
      prepare "$mode" "$work/$t/repo"; restore "$t" restore
      size[$t]=$(du -sb "$work/$t/repo" | cut -f1)
    done
    for t in $tools; do
      echo "bench: $mode: $t: restore again over the restored tree" >&2
      prepare "$mode" "$work/$t/repo" "$work/$t/restored"; restore "$t" again
    done
    for t in $tools; do discard "${work:?}/$t/restored"; done
  done
done
tools=$all_tools

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
spread() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {if (NR > 1) printf " (%s-%s)", lo, hi}'; }
ratio() { [ -n "${2:-}" ] && [ "$(echo "$2 > 0" | bc)" = 1 ] && printf '%.2f' "$(echo "$1 / $2" | bc -l)" || echo "-"; }
mib() { printf '%.0f' "$(echo "$1 / 1048576" | bc -l)"; }
has() { [[ " $tools " == *" $1 "* ]]; }

{
  echo "## Cairn vs restic vs Borg — $(date -u '+%Y-%m-%d %H:%M') UTC on $(nproc) cores"
  echo
  echo "Corpus: $(mib "$corpus_bytes") MiB in $corpus_files files: $corpus_name."
  echo "Versions: $("$work/bin/cairn" --version)$(has restic && echo ", $(restic version | cut -d' ' -f1-2)")$(has borg && echo ", $(borg --version)")."
  echo "Each value is the median of $repeat run(s)$([ "$repeat" -gt 1 ] && echo "; wall times show the range in parentheses")."
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  cols=""; for t in $tools; do cols+=" $t |"; done
  rcols=""; for t in restic borg before; do has "$t" && rcols+=" cairn/$t |"; done
  for mode in $modes; do
    echo
    echo "### $mode page cache$([ "$mode" = cold ] && echo " (dropped before every phase)" || echo " (data read just before every phase)")"
    echo
    echo "| step | metric |$cols$rcols"
    echo "|---|---|$(for t in $tools; do echo -n '---|'; done)$(for t in restic borg before; do has "$t" && echo -n '---|'; done)"
    for step in initial nochange change restore again; do
      for metric in wall cpu sys rss; do
        unit=s; [ $metric = rss ] && unit=MiB
        row="| $step | $metric ($unit) |"
        declare -A med=()
        for t in $tools; do
          raw=${vals[$mode,$t,$step,$metric]:-}
          v=$(median "$raw")
          [ $metric = rss ] && [ -n "$v" ] && v=$(printf '%.0f' "$(echo "$v / 1024" | bc -l)")
          med[$t]=$v
          extra=""; [ $metric = wall ] && extra=$(spread "$raw")
          [ -n "${failed[$mode,$t,$step]:-}" ] && [ $metric = wall ] && extra+=" (failed)"
          row+=" $v$extra |"
        done
        for t in restic borg before; do has "$t" && row+=" $(ratio "${med[cairn]:-}" "${med[$t]:-}") |"; done
        echo "$row"
      done
    done
    row="| repository | size (MiB) |"
    for t in $tools; do row+=" $([ -n "${size[$t]:-}" ] && mib "${size[$t]}") |"; done
    for t in restic borg before; do has "$t" && row+=" $(ratio "${size[cairn]:-}" "${size[$t]:-}") |"; done
    echo "$row"
  done
} | tee "$work/results.md"
mkdir -p "$root/bench/results"
cp "$work/results.md" "$root/bench/results/$(date -u +%Y%m%d-%H%M).md"
