# A suite-wide bandwidth limit holds for all targets together: one plan
# writing to two targets under `limits: {upload_kbps: 4096}` cannot send its
# 2 x 12 MiB faster than 4 MiB/s in total (less one second of burst), while
# each target alone has no limit. Both checkpoints restore.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src"
for i in 1 2 3; do random_file "$T/src/f$i" $((4 << 20)); done
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
limits: {upload_kbps: 4096}
targets:
  a: {type: local, path: $T/repo-a}
  b: {type: local, path: $T/repo-b}
plans:
  main: {sources: [{type: dir, path: $T/src}], targets: [a, b]}
YAML
run 0 cairn init
start=$(date +%s.%N)
run 0 cairn --json backup
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
sent=$(json 'select(.type=="checkpoint") | .bytes_uploaded' | awk '{s += $1} END {print s}')
echo "   uploaded $sent bytes to two targets in $elapsed s"
# 24 MiB at 4 MiB/s is 6 s; a second of credit may be spent at once.
awk -v e="$elapsed" 'BEGIN {exit !(e >= 4.5)}' || fail "the suite limit did not hold: $sent bytes in $elapsed s"
for t in a b; do
  rm -rf "$T/r"
  run 0 cairn restore latest --target "$t" --to "$T/r"
  diff -r "$T/src" "$T/r/src" > /dev/null || fail "target $t restores differently"
done

note "a bad suite limit is named with its place"
sed -i 's/^limits: {upload_kbps: 4096}/limits: {upload_kbs: 4096}/' "$T/cairn.yaml"
run 2 cairn backup
grep -q 'cairn.yaml:3:10: unknown key "upload_kbs" in the suite.s limits' "$T/err" || fail "$(cat "$T/err")"
