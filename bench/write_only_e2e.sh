#!/bin/bash
# End-to-end cost of write-only mode: initial `cairn backup` of one tree into
# a fresh local repository, write-only against keyfile, ROUNDS rounds, the
# modes alternating so drift hits both. Prints one line per run and medians.
# Usage: bench/write_only_e2e.sh CAIRN_BINARY TREE [ROUNDS]
set -euo pipefail
cairn=$1 tree=$2 rounds=${3:-3}
w=$(mktemp -d /tmp/cairn-wo-bench.XXXXXX)
trap 'rm -rf "$w"' EXIT
"$cairn" key generate --private-key "$w/private.key" > "$w/pub" 2> /dev/null
config() {  # MODE DIR
  {
    echo "state_dir: $2/state"
    echo "keyring:"
    echo "  mode: $1"
    if [ "$1" = keyfile ]; then echo "  keyfile: $2/cairn.key"; else echo "  public_key: $(cat "$w/pub")"; fi
    echo "targets:"
    echo "  repo: {type: local, path: $2/repo}"
    echo "plans:"
    echo "  main:"
    echo "    sources: [{type: dir, path: $tree}]"
    echo "    targets: [repo]"
  } > "$2/cairn.yaml"
}
declare -A times
for ((r = 1; r <= rounds; r++)); do
  for mode in keyfile write-only; do
    d="$w/$mode-$r"
    mkdir -p "$d"
    config "$mode" "$d"
    "$cairn" -q -c "$d/cairn.yaml" init > /dev/null
    sync
    start=$(date +%s.%N)
    # Exit 3 (some files unreadable, e.g. not root) still commits: it counts.
    "$cairn" -q --json -c "$d/cairn.yaml" backup > "$d/out" || [ $? -eq 3 ]
    end=$(date +%s.%N)
    s=$(echo "$end - $start" | bc)
    up=$(jq -r 'select(.type=="checkpoint") | .bytes_uploaded' "$d/out")
    echo "round $r: $mode $s s, uploaded $up bytes"
    times[$mode]+="$s "
    rm -rf "$d"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
k=$(echo "${times[keyfile]}" | median)
o=$(echo "${times[write-only]}" | median)
echo "median: keyfile $k s, write-only $o s, write-only / keyfile $(echo "scale=3; $o / $k" | bc)"
