#!/bin/bash
# Time and peak memory of cairn export and restore --archive against a restore
# from the repository: 3 random 64 MiB files, one of them twice, 2000 small files.
#   bench/archive.sh [CAIRN_BINARY]   (default build/cairn)
set -eu
B=$(realpath "${1:-$(dirname "$0")/../build/cairn}")
T=$(mktemp -d /tmp/arch-perf.XXXXXX); trap 'rm -rf "$T"' EXIT
mkdir -p $T/src
for i in 1 2 3; do head -c 64M /dev/urandom > $T/src/r$i; done
cp $T/src/r1 $T/src/copy
for i in $(seq 1 2000); do echo "small $i" > $T/src/s$i; done
cat > $T/c.yaml <<Y
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/k}
targets: {repo: {type: local, path: $T/repo}}
plans: {main: {sources: [{type: dir, path: $T/src}], targets: [repo]}}
Y
c() { "$B" -q -c $T/c.yaml "$@"; }
C="$B -q -c $T/c.yaml"
c init >/dev/null; c backup >/dev/null
t() { /usr/bin/time -f "%e s, max RSS %M KiB" "$@"; }
echo -n "restore from repo:          "; t $C restore latest --to $T/r0 >/dev/null
echo -n "export --plain:             "; t $C export latest --plain --to $T/a.cairn >/dev/null
echo -n "export --keyfile:           "; t $C export latest --keyfile $T/k --to $T/k.cairn >/dev/null
CAIRN_ARCHIVE_PASSPHRASE=p /usr/bin/time -o $T/time -f "%e s, max RSS %M KiB" $C export latest --passphrase --to - 2>/dev/null > $T/p.cairn
echo "export --passphrase to a pipe: $(cat $T/time)"
echo "archive size: $(stat -c %s $T/a.cairn) bytes for $(du -sb $T/src | cut -f1) bytes of files (192 MiB distinct)"
echo -n "restore --archive (keyfile): "; t "$B" -q --keyfile $T/k restore --archive $T/k.cairn --to $T/r1 >/dev/null
diff -r $T/r0 $T/r1 && echo "identical to the restore from the repository"
