# S3 configuration errors, named as such by every command (against s3rver):
# a missing bucket is "bucket X does not exist at ENDPOINT", never "no Cairn
# repository here (run init)"; missing credentials are a configuration error
# (exit 2, one line naming the target and what is missing).
source "$CAIRN_E2E_LIB"

start_s3rver "$T/s3rver"
mkdir -p "$T/src"
echo hello > "$T/src/a.txt"
config() {  # config BUCKET [KEYS_FILE]
  cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  cloud:
    type: s3
    endpoint: $S3_ENDPOINT
    bucket: $1
${2:+    access_key_file: $2}
    limits: {retry_seconds: 30}
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [cloud], keep: {last: 1}}
YAML
}
printf '%s\n%s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$T/s3.keys"
chmod 600 "$T/s3.keys"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
url_of() { echo "s3+http://${S3_ENDPOINT#http://}/$1"; }

# named_bucket EXIT cmd... : fails unless the command names the missing bucket, promptly.
named_bucket() {
  local want=$1 start=$SECONDS
  shift
  run "$want" "$@"
  grep -q "bucket gone does not exist at $S3_ENDPOINT" "$T/err" || fail "'$*': $(cat "$T/err")"
  grep -q "no Cairn repository" "$T/err" && fail "'$*' says there is no repository: $(cat "$T/err")"
  [ $((SECONDS - start)) -le 10 ] || fail "'$*' took $((SECONDS - start)) s: a missing bucket is not transient"
}

note "a missing bucket, before init: init and backup name it"
config gone "$T/s3.keys"
named_bucket 1 cairn init
named_bucket 1 cairn backup
named_bucket 1 cairn check

note "a missing bucket after backups (removed, or a typo): every command names it"
config cairn "$T/s3.keys"
run 0 cairn init
run 0 cairn backup
echo again >> "$T/src/a.txt"
run 0 cairn backup  # so that forget has a checkpoint to remove
config gone "$T/s3.keys"
named_bucket 1 cairn backup
named_bucket 1 cairn restore latest --to "$T/r"
named_bucket 1 cairn ls latest
named_bucket 1 cairn check --read-data
named_bucket 1 cairn key list
named_bucket 1 cairn forget
named_bucket 1 cairn prune
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
  named_bucket 1 "$CAIRN" bootstrap "$(url_of gone)" --keyfile "$T/cairn.key" --state-dir "$T/b1"

note "no credentials (no access_key_file, no AWS_* variables): exit 2, one line naming the target"
config cairn
for cmd in init backup check "key list" prune forget "restore latest --to $T/r2" "ls latest"; do
  # shellcheck disable=SC2086
  run 2 cairn $cmd
  [ "$(wc -l < "$T/err")" -eq 1 ] || fail "'$cmd': not one line: $(cat "$T/err")"
  grep -q "no S3 credentials for target cloud" "$T/err" || fail "'$cmd': $(cat "$T/err")"
  grep -q "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set" "$T/err" || fail "'$cmd': $(cat "$T/err")"
done
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY run 2 cairn backup
grep -q "AWS_SECRET_ACCESS_KEY is not set" "$T/err" || fail "$(cat "$T/err")"
run 2 "$CAIRN" bootstrap "$(url_of cairn)" --keyfile "$T/cairn.key" --state-dir "$T/b2"
grep -q "no S3 credentials for $S3_ENDPOINT/cairn: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set" "$T/err" \
  || fail "$(cat "$T/err")"
config cairn "$T/missing.keys"
run 2 cairn backup
grep -q "cannot read access_key_file $T/missing.keys of target cloud" "$T/err" || fail "$(cat "$T/err")"

note "with the credentials back, everything works and nothing was damaged"
config cairn "$T/s3.keys"
run 0 cairn check --read-data
run 0 cairn restore latest --to "$T/r3"
diff -r "$T/src" "$T/r3/src" > /dev/null || fail "the restore differs"
