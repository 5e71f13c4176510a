# The S3 target against a second S3 implementation, s3rver (npm; Swift is the
# strict one in remote_test): backup twice, restore, check --read-data,
# forget and prune, and bootstrap from the s3+http:// URL, with packs of
# several MiB. The target sets object_lock_days: s3rver accepts the Object
# Lock headers and ignores them (no server here enforces Object Lock), so
# this proves only that they break nothing and are sent.
source "$CAIRN_E2E_LIB"

start_s3rver "$T/s3rver"
mkdir -p "$T/src/docs"
for i in 1 2 3 4 5 6; do random_file "$T/src/docs/f$i.bin" $((3 << 20)); done
random_file "$T/src/docs/small.bin" $((40 << 10))
seq 1 100000 > "$T/src/numbers.txt"
printf '%s\n%s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$T/s3.keys"
chmod 600 "$T/s3.keys"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  cloud:
    type: s3
    endpoint: $S3_ENDPOINT
    bucket: $S3_BUCKET
    prefix: laptop
    access_key_file: $T/s3.keys
    object_lock_days: 2
    limits: {retry_seconds: 20}
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [cloud], keep: {last: 1}}
YAML

note "init and two backups"
run 0 cairn init
run 0 cairn --json backup
[ "$(checkpoint_stat bytes_read)" -eq "$(size_of "$T/src")" ] || fail "read"
packs=$(find "$T/s3rver/data/$S3_BUCKET/laptop/data" -type f -size +2M -name '*._S3rver_object' | wc -l)
[ "$packs" -ge 1 ] || fail "no pack of several MiB: $(find "$T/s3rver/data" -type f -printf '%s %p\n' | head)"
echo more > "$T/src/more.txt"
CAIRN_CURL_VERBOSE=1 run 0 cairn --json backup
# curl -v: "> PUT /key" then the request's headers, up to a blank line.
headers_of() { tr -d '\r' < "$T/err" | awk -v re="$1" '$0 ~ "^> PUT " re {f=1} f && /^$/ {f=0} f'; }
headers_of "/$S3_BUCKET/laptop/(data|index|checkpoints)/" > "$T/put-headers"
grep -q "^x-amz-object-lock-mode: COMPLIANCE$" "$T/put-headers" || fail "no object lock header sent: $(head -20 "$T/put-headers")"
grep -q "^x-amz-object-lock-retain-until-date: $(date -u -d '+2 days' +%Y-%m-%d)T..:..:..Z$" "$T/put-headers" || fail "no retention date"
grep -q "^Content-MD5: " "$T/put-headers" || fail "no Content-MD5"
headers_of "/$S3_BUCKET/laptop/locks/" > "$T/lock-headers"
[ -s "$T/lock-headers" ] || fail "no lock object PUT seen"
! grep -q "x-amz-object-lock" "$T/lock-headers" || fail "a lock object was retained"
[ "$(checkpoint_stat files_new)" -eq 1 ] || fail "$(cat "$T/out")"

note "restore and check --read-data"
run 0 cairn restore latest --to "$T/r"
diff -r "$T/src" "$T/r/src" > /dev/null || fail "the restore differs"
run 0 cairn check --read-data

note "forget and prune: the removed files' data goes, the kept checkpoint restores"
# 9 of 18 MiB: at least 9 - 20% of 18 MiB is freed whatever the pack layout
rm "$T/src/docs/f1.bin" "$T/src/docs/f2.bin" "$T/src/docs/f3.bin"
run 0 cairn backup
run 0 cairn --json forget --prune
freed=$(json 'select(.type=="prune") | .bytes_freed')
[ "$freed" -ge $((2 << 20)) ] || fail "prune freed only $freed bytes"
rm -rf "$T/r"
run 0 cairn restore latest --to "$T/r"
diff -r "$T/src" "$T/r/src" > /dev/null || fail "the restore after prune differs"
run 0 cairn check --read-data

note "bootstrap from the s3+http:// URL"
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
  run 0 "$CAIRN" bootstrap "s3+http://${S3_ENDPOINT#http://}/$S3_BUCKET/laptop" --keyfile "$T/cairn.key" --state-dir "$T/b1"
grep -q "1 checkpoint" "$T/out" || fail "$(cat "$T/out")"
grep -q "object_lock_days: 2" "$T/b1/cairn.yaml" || fail "the recovered YAML lost object_lock_days"
[ -s "$T/b1/credentials/cloud" ] || fail "the target credentials were not in the suite state"
run 0 "$CAIRN" -q -c "$T/b1/cairn.yaml" restore latest --to "$T/r2"
diff -r "$T/src" "$T/r2/src" > /dev/null || fail "the restore after bootstrap differs"
