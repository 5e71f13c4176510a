# SFTP and S3 targets against real servers on 127.0.0.1 (OpenSSH, OpenStack
# Swift with s3api): backup, restore, check and bootstrap through each, clear
# errors for a wrong secret and an unknown host key, and a two-target plan
# whose S3 server stops mid-run: the SFTP checkpoint is complete.
source "$CAIRN_E2E_LIB"

start_sshd "$T/sshd"
start_swift "$T/swift"
mkdir -p "$T/src/docs"
for i in $(seq 1 12); do random_file "$T/src/docs/f$i.bin" $((3 << 20)); done
seq 1 100000 > "$T/src/numbers.txt"
printf '%s\n%s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$T/s3.keys"
chmod 600 "$T/s3.keys"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  nas:
    url: sftp://$SSHD_USER@127.0.0.1:$SSHD_PORT$SSHD_ROOT/cairn
    identity: $SSHD_IDENTITY
    known_hosts: $SSHD_KNOWN_HOSTS
  cloud:
    type: s3
    endpoint: $S3_ENDPOINT
    bucket: $S3_BUCKET
    prefix: laptop
    access_key_file: $T/s3.keys
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [nas, cloud]}
YAML

note "init, backup, and a second backup that reads nothing, to both targets at once"
run 0 cairn init
run 0 cairn --json backup
[ "$(json 'select(.type=="checkpoint") | .target' | sort | tr '\n' ' ')" = "cloud nas " ] || fail "$(cat "$T/out")"
[ "$(json 'select(.type=="checkpoint" and .target=="nas") | .bytes_read')" -eq "$(size_of "$T/src")" ] || fail "read"
run 0 cairn --json backup
[ "$(json 'select(.type=="checkpoint" and .target=="cloud") | .bytes_read')" -eq 0 ] || fail "the no-change backup read data"

note "restore and check --read-data through each target"
for t in nas cloud; do
  run 0 cairn restore latest --target "$t" --to "$T/r-$t"
  diff -r "$T/src" "$T/r-$t/src" > /dev/null || fail "restore from $t differs"
  run 0 cairn check --read-data --target "$t"
done
[ "$(find "$SSHD_ROOT/cairn" -name '.tmp-*' -o -name '.replaced-*' | wc -l)" -eq 0 ] || fail "temporaries left on the SFTP server"

note "forget and prune through each target: the forgotten data goes, the kept checkpoint restores"
sed -i 's|^  home: {sources: \[{type: dir, path: \(.*\)}\], targets: \[nas, cloud\]}$|  home: {sources: [{type: dir, path: \1}], targets: [nas, cloud], keep: {last: 1}}|' "$T/cairn.yaml"
grep -q "keep: {last: 1}" "$T/cairn.yaml" || fail "could not add a keep policy"
rm "$T/src/docs/f1.bin" "$T/src/docs/f2.bin" "$T/src/docs/f3.bin" "$T/src/docs/f4.bin"
run 0 cairn backup
run 0 cairn --json forget --prune
[ "$(json 'select(.type=="forget" and .keep==false) | .target' | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "2 2 " ] \
  || fail "expected two checkpoints forgotten per target: $(cat "$T/out")"
cp "$T/out" "$T/forget.out"
for t in nas cloud; do
  freed=$(jq -r "select(.type==\"prune\" and .target==\"$t\") | .bytes_freed" "$T/forget.out")
  # 12 of ~36 MiB removed. Packs less than 20% unused stay as they are, and how
  # the removed chunks spread over packs depends on timing, so the bound is what
  # holds for any layout: unused - 20% of all = 12 - 7.2 MiB, at least 4.8 MiB
  [ "$freed" -ge $((2 << 20)) ] || fail "prune on $t freed only $freed bytes"
  rm -rf "$T/r-$t"
  run 0 cairn restore latest --target "$t" --to "$T/r-$t"
  diff -r "$T/src" "$T/r-$t/src" > /dev/null || fail "restore from $t differs after prune"
  run 0 cairn check --read-data --target "$t"
done

note "bootstrap from sftp:// and s3+http:// URLs"
run 0 "$CAIRN" bootstrap "sftp://$SSHD_USER@127.0.0.1:$SSHD_PORT$SSHD_ROOT/cairn" --identity "$SSHD_IDENTITY" \
  --known-hosts "$SSHD_KNOWN_HOSTS" --keyfile "$T/cairn.key" --state-dir "$T/b1"
grep -q "4 checkpoints" "$T/out" || fail "$(cat "$T/out")"
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
  run 0 "$CAIRN" bootstrap "s3+http://${S3_ENDPOINT#http://}/$S3_BUCKET/laptop" --keyfile "$T/cairn.key" --state-dir "$T/b2"
[ -s "$T/b2/credentials/nas" ] && [ -s "$T/b2/credentials/cloud" ] || fail "the target credentials were not in the suite state"
note "the recovered YAML uses the recovered credentials: no environment needed"
grep -q "access_key_file: \"$T/b2/credentials/cloud\"" "$T/b2/cairn.yaml" || fail "$(cat "$T/b2/cairn.yaml")"
grep -q "identity: \"$T/b2/credentials/nas\"" "$T/b2/cairn.yaml" || fail "$(cat "$T/b2/cairn.yaml")"
[ "$(tail -c 1 "$T/b2/cairn.yaml" | od -An -c | tr -d ' ')" = '\n' ] || fail "the recovered YAML does not end with a newline"
for t in nas cloud; do
  run 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$CAIRN" -q -c "$T/b2/cairn.yaml" ls latest --target "$t"
done

note "a wrong S3 secret and an unknown host key: clear errors naming the target, nothing committed"
sed "s|$T/s3.keys|$T/wrong.keys|" "$T/cairn.yaml" > "$T/wrong.yaml"
printf '%s\nnot-the-secret\n' "$S3_ACCESS_KEY" > "$T/wrong.keys"
chmod 600 "$T/wrong.keys"
run 1 "$CAIRN" -q -c "$T/wrong.yaml" ls latest --target cloud
grep -q "refused the access key or secret" "$T/err" || fail "$(cat "$T/err")"
grep -q "not-the-secret" "$T/err" "$T/out" && fail "the secret was printed"
: > "$T/empty_known_hosts"
sed "s|known_hosts: $SSHD_KNOWN_HOSTS|known_hosts: $T/empty_known_hosts|" "$T/cairn.yaml" > "$T/unknown.yaml"
run 1 "$CAIRN" -q -c "$T/unknown.yaml" ls latest --target nas
grep -q "unknown host key SHA256:" "$T/err" || fail "$(cat "$T/err")"

note "the S3 server stops mid-run: the SFTP target still commits, the run exits 1"
before=$(cairn --json checkpoints | jq -s 'length')
for i in $(seq 1 10); do random_file "$T/src/docs/new$i.bin" $((4 << 20)); done
sed -i "s|    access_key_file: $T/s3.keys|    access_key_file: $T/s3.keys\n    limits: {upload_kbps: 8192, retry_seconds: 8}|" "$T/cairn.yaml"
"$CAIRN" -q -c "$T/cairn.yaml" --json backup > "$T/run.out" 2> "$T/run.err" &
pid=$!
sleep 2
kill $SWIFT_PIDS 2>/dev/null || true
set +e
wait "$pid"
code=$?
set -e
[ "$code" -eq 1 ] || { cat "$T/run.err"; fail "exit $code, expected 1"; }
has() { jq -e -n "[inputs | select($1)] | length > 0" "$T/run.out" > /dev/null; }
has '.type=="checkpoint" and .target=="nas"' || fail "nas did not commit: $(cat "$T/run.out" "$T/run.err")"
has '.type=="target_failed" and .target=="cloud"' || fail "cloud's failure is not reported"
grep -q "cloud" "$T/run.err" || fail "no error line names the failed target"
[ "$(cairn --json checkpoints | jq -s 'length')" -eq $((before + 1)) ] || fail "expected exactly one new checkpoint"
run 0 cairn restore latest --target nas --to "$T/r-after"
diff -r "$T/src" "$T/r-after/src" > /dev/null || fail "the SFTP checkpoint of the interrupted run is incomplete"
run 0 cairn check --read-data --target nas
