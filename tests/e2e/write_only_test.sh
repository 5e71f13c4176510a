# Write-only mode, as far as it is built: cairn key generate makes a key pair
# (the private key 0600, optionally under a passphrase; the public key on
# stdout in its text form), and keyring.mode write-only is parsed and refused
# with one clear line until the repository layer uses the sealing (issue 13).
source "$CAIRN_E2E_LIB"

note "key generate: private key 0600, public key alone on stdout, needs no configuration"
"$CAIRN" key generate --private-key "$T/keys/private.key" > "$T/pub" 2> "$T/err" || fail "$(cat "$T/err")"
[ "$(stat -c %a "$T/keys/private.key")" = 600 ] || fail "private key mode $(stat -c %a "$T/keys/private.key")"
pub=$(cat "$T/pub")
[[ "$pub" =~ ^cairn-pk1-[0-9a-f]{72}$ ]] || fail "public key form: $pub"
grep -q "^public: $pub\$" "$T/keys/private.key" || fail "the file does not name its public key"
grep -q "off the" "$T/err" || fail "no advice to keep the private key away: $(cat "$T/err")"

note "key generate never overwrites a private key"
before=$(sha256sum < "$T/keys/private.key")
set +e; "$CAIRN" key generate --private-key "$T/keys/private.key" > "$T/out" 2> "$T/err"; code=$?; set -e
[ $code -eq 1 ] || fail "exit $code"
grep -q "already exists" "$T/err" || fail "$(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
[ "$(sha256sum < "$T/keys/private.key")" = "$before" ] || fail "the private key changed"

note "key generate --passphrase: the key is not in the file in the clear"
CAIRN_NEW_PASSWORD="correct horse" "$CAIRN" --json key generate --private-key "$T/keys/protected.key" \
  --passphrase > "$T/out" 2> "$T/err" || fail "$(cat "$T/err")"
grep -q '"passphrase":true' "$T/out" || fail "$(cat "$T/out")"
grep -q '^kdf: argon2id ' "$T/keys/protected.key" || fail "not protected"
! grep -q '^key: ' "$T/keys/protected.key" || fail "a plain key in a protected file"
set +e; setsid "$CAIRN" key generate --private-key "$T/keys/none.key" --passphrase < /dev/null > "$T/out" 2> "$T/err"; code=$?; set -e
[ $code -ne 0 ] && grep -q "CAIRN_NEW_PASSWORD" "$T/err" || fail "no passphrase: exit $code: $(cat "$T/err")"
[ ! -e "$T/keys/none.key" ] || fail "a key file without the asked passphrase"

note "keyring.mode write-only: parsed, and refused as not yet supported"
mkdir -p "$T/src"
echo hello > "$T/src/a.txt"
KEY_MODE=write-only write_config "$T/src"
sed -i "s|^  mode: write-only|  mode: write-only\n  public_key: $pub|" "$T/cairn.yaml"
run 2 cairn init
grep -qE "cairn.yaml:[0-9]+:[0-9]+: keyring mode write-only is not yet supported" "$T/err" || fail "$(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
[ ! -e "$T/repo" ] || fail "a repository was created"
echo "write-only: ok"
