#!/bin/bash
# Second backup of an unchanged 300 x 1 MiB tree on a write-only machine:
# wall time, bytes read, and source files a third backup opens (strace).
# usage: bench/write_only_cache.sh CAIRN_BINARY SCRATCH_DIR
set -e
C=$1; D=$2
rm -rf "$D"; mkdir -p "$D/src" "$D/keys"
for i in $(seq 1 300); do head -c 1048576 /dev/urandom > "$D/src/f$i.bin"; done
"$C" key generate --private-key "$D/keys/p.key" > "$D/pub" 2>/dev/null
cat > "$D/cairn.yaml" <<Y
state_dir: $D/state
keyring:
  mode: write-only
  public_key: $(cat "$D/pub")
targets:
  repo: {type: local, path: $D/repo}
plans:
  main:
    sources: [{type: dir, path: $D/src}]
    targets: [repo]
Y
"$C" -q -c "$D/cairn.yaml" init > /dev/null
"$C" -q -c "$D/cairn.yaml" backup > /dev/null
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
s=$(date +%s.%N)
"$C" -q -c "$D/cairn.yaml" --json backup > "$D/out" &
pid=$!; wait $pid
e=$(date +%s.%N)
echo "wall $(echo "$e - $s" | bc) s; bytes_read $(jq -r 'select(.type=="checkpoint")|.bytes_read' "$D/out")"
strace -f -qq -e trace=openat -o "$D/trace" "$C" -q -c "$D/cairn.yaml" backup > /dev/null
echo "files of the source opened by a third backup: $(grep -c '/src/f' "$D/trace")"
