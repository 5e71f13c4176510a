# Faults between Cairn and an S3 server (Swift with s3api, our own proxy in
# between): connections cut in the middle of requests, latency, stalls, and a
# link that never works. Backups either finish (retries re-send whole requests,
# multipart parts included) or fail cleanly; afterwards check passes and every
# earlier checkpoint restores.
source "$CAIRN_E2E_LIB"
[ -x "${FAULTPROXY:-}" ] || { echo "faultproxy not built"; exit 77; }

start_swift "$T/swift"
SWIFT_HTTP_PORT=${S3_ENDPOINT##*:}
printf '%s\n%s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$T/s3.keys"
chmod 600 "$T/s3.keys"

config() {  # config PORT
  cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  cloud:
    type: s3
    endpoint: http://127.0.0.1:$1
    bucket: $S3_BUCKET
    prefix: faults
    access_key_file: $T/s3.keys
    limits: {timeout_seconds: 4, retry_seconds: 30}
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [cloud]}
YAML
}

mkdir -p "$T/src"
for i in 1 2 3; do random_file "$T/src/base$i" $((1 << 20)); done
config "$SWIFT_HTTP_PORT"
run 0 cairn init
run 0 cairn --json backup
first=$(checkpoint_stat id)
cp -a "$T/src" "$T/expected-first"
grow() { for i in $(seq 1 6); do random_file "$T/src/$1-$i" $((3 << 20)); done; }

note "the first 3 connections are cut after 2 MiB: retried requests finish the backup"
grow cut
start_proxy "$SWIFT_HTTP_PORT" --cut-after $((2 << 20)) --cut-connections 3
config "$PROXY_PORT"
run 0 cairn backup
stop_proxy
config "$SWIFT_HTTP_PORT"
run 0 cairn check --read-data

note "20 ms of latency on every read: slower, still complete"
grow slow
start_proxy "$SWIFT_HTTP_PORT" --delay-ms 20
config "$PROXY_PORT"
run 0 cairn backup
stop_proxy

note "a 2 s stall on every connection (under the 4 s timeout): complete"
grow stall
start_proxy "$SWIFT_HTTP_PORT" --stall-after $((1 << 20)) --stall-ms 2000
config "$PROXY_PORT"
run 0 cairn backup
stop_proxy

note "a link that drops every connection after 200 KiB: the backup fails cleanly within its retry budget"
grow broken
start_proxy "$SWIFT_HTTP_PORT" --cut-after $((200 << 10))
config "$PROXY_PORT"
start=$(date +%s)
run 1 cairn backup
[ $(( $(date +%s) - start )) -lt 120 ] || fail "the failing backup did not give up within its budget"
grep -q "cloud" "$T/err" || fail "the error does not name the target: $(cat "$T/err")"
grep -q "$S3_SECRET_KEY" "$T/err" "$T/out" && fail "the secret appears in the output"
stop_proxy

note "afterwards, directly: check passes, the first checkpoint restores, the next backup completes"
config "$SWIFT_HTTP_PORT"
run 0 cairn check --read-data
run 0 cairn restore "$first" --to "$T/r-first"
diff -r "$T/expected-first" "$T/r-first/src" > /dev/null || fail "the first checkpoint differs"
run 0 cairn backup
run 0 cairn restore latest --to "$T/r-last"
diff -r "$T/src" "$T/r-last/src" > /dev/null || fail "the last checkpoint differs"
