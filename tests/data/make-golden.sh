#!/usr/bin/env bash
# Writes the golden repositories of the current format version ONCE. Never
# rerun it for an existing version: tests/repo/golden_test.cpp proves that
# repositories written by earlier builds stay readable.
#   tests/data/make-golden.sh build/cairn 1
set -euo pipefail
cairn=$(realpath "$1")
version=$2
here=$(cd "$(dirname "$0")" && pwd)
for mode in keyfile none; do
  out=$here/format-v$version-$mode
  [ -e "$out" ] && { echo "$out exists: golden data is never regenerated" >&2; exit 1; }
  work=$(mktemp -d)
  mkdir -p "$work/golden/sub"
  printf 'hello, golden world\n' > "$work/golden/hello.txt"
  chmod 0640 "$work/golden/hello.txt"
  touch -d @1600000000.123456789 "$work/golden/hello.txt"
  ln -s hello.txt "$work/golden/link"
  seq 1 20000 > "$work/golden/sub/numbers.txt"
  cat > "$work/cairn.yaml" <<YAML
state_dir: $work/state
keyring: {mode: $mode, keyfile: $work/cairn.key}
targets: {golden: {type: local, path: $out/repository}}
plans: {golden: {sources: [{type: dir, path: $work/golden}], targets: [golden]}}
YAML
  "$cairn" -q -c "$work/cairn.yaml" init > /dev/null
  "$cairn" -q -c "$work/cairn.yaml" backup > /dev/null
  [ "$mode" = keyfile ] && cp "$work/cairn.key" "$out/cairn.key"
  echo "written by $("$cairn" --version) on $(date -u +%Y-%m-%d) with tests/data/make-golden.sh" > "$out/README"
  rm -rf "$work"
done
