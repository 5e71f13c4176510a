# TPM mode against a real software TPM (swtpm): unattended backup and restore,
# new hardware, a changed PCR, no TPM, key slots, a kill during key add, and
# wrong credentials that never modify the repository.
source "$CAIRN_E2E_LIB"

start_swtpm "$T/tpm-a"
mkdir -p "$T/src/sub"
random_file "$T/src/data.bin" $((3 << 20))
echo "hello tpm" > "$T/src/sub/note.txt"

tpm_config() {  # tpm_config PCRS
  KEY_MODE=tpm write_config "$T/src"
  sed -i "s|  mode: tpm|  mode: tpm\n  recovery_keyfile: $T/recovery.key\n  tcti: \"$TPM_TCTI\"\n  pcrs: [$1]|" "$T/cairn.yaml"
}
tpm_config ""

note "init seals to the TPM and writes the recovery keyfile 0600"
run 0 cairn init
grep -q "somewhere other than this machine" "$T/out" || fail "init does not say to store the recovery keyfile elsewhere: $(cat "$T/out")"
[ "$(stat -c %a "$T/recovery.key")" = 600 ] || fail "recovery keyfile mode $(stat -c %a "$T/recovery.key")"
run 0 cairn --json key list
[ "$(json 'select(.kind=="tpm") | .id' | wc -l)" -eq 1 ] || fail "no TPM slot"
[ "$(json 'select(.kind=="keyfile") | .id' | wc -l)" -eq 1 ] || fail "no recovery slot"

note "backup and restore with no password and no keyfile"
run 0 cairn backup
run 0 cairn restore latest --to "$T/r1"
diff -r "$T/src" "$T/r1/src" > /dev/null || fail "restore differs"
grep -rq "$(head -c 16 "$T/recovery.key" | tail -c 8)" "$T/state" 2>/dev/null && fail "the recovery key is in state_dir"

note "no TPM reachable: a clear error naming the TCTI, exit 4"
stop_swtpm "$T/tpm-a"
run 4 cairn ls latest
grep -q "no TPM reachable through TCTI \"$TPM_TCTI\"" "$T/err" || fail "$(cat "$T/err")"

note "new hardware (a fresh TPM): refused with exit 5; the recovery keyfile restores everything"
repo_before=$(fingerprint "$T/repo")
start_swtpm "$T/tpm-b"
tpm_config ""
run 5 cairn ls latest
grep -q "sealed by another TPM" "$T/err" || fail "$(cat "$T/err")"
grep -q "recovery keyfile" "$T/err" || fail "no hint to use the recovery keyfile: $(cat "$T/err")"
[ "$(fingerprint "$T/repo")" = "$repo_before" ] || fail "a refused TPM changed the repository"
run 0 cairn --keyfile "$T/recovery.key" restore latest --to "$T/r2"
diff -r "$T/src" "$T/r2/src" > /dev/null || fail "recovery restore differs"

note "key add --tpm re-seals to the new TPM; it then opens unattended"
run 0 cairn --keyfile "$T/recovery.key" key add --tpm
run 0 cairn ls latest src/sub
grep -q note.txt "$T/out" || fail "$(cat "$T/out")"

note "a PCR policy: after the PCR changes the TPM refuses (exit 6, names the PCR); the recovery keyfile still works"
rm -rf "$T/repo" "$T/state"
tpm_config "16"
run 0 cairn init
run 0 cairn backup
run 0 cairn ls latest
TPM2TOOLS_TCTI="$TPM_TCTI" tpm2_pcrextend 16:sha256=$(printf '%064d' 1) || fail "tpm2_pcrextend failed"
run 6 cairn ls latest
grep -q "PCR 16 changed" "$T/err" || fail "$(cat "$T/err")"
run 0 cairn --keyfile "$T/recovery.key" ls latest

note "key slots: add a keyfile and a password, change the password, remove; never the last or the one in use"
rm -rf "$T/repo" "$T/state"
tpm_config ""
run 0 cairn init
run 0 cairn backup
run 0 cairn key add --keyfile "$T/spare.key"
[ "$(stat -c %a "$T/spare.key")" = 600 ] || fail "spare keyfile mode"
run 0 cairn --keyfile "$T/spare.key" ls latest
CAIRN_NEW_PASSWORD=first run 0 cairn key add --password
CAIRN_PASSWORD=first run 0 cairn --password ls latest
pw=$(cairn --json key list | jq -r 'select(.kind=="password") | .id')
CAIRN_NEW_PASSWORD=second run 0 cairn key passwd "$pw"
CAIRN_PASSWORD=second run 0 cairn --password ls latest
CAIRN_PASSWORD=first run 1 cairn --password ls latest
grep -q "wrong password" "$T/err" || fail "$(cat "$T/err")"
spare=$(cairn --json key list | jq -r "select(.kind==\"keyfile\" and .id != \"\") | .id" | tail -1)
run 2 cairn --keyfile "$T/spare.key" key remove "$(cairn --keyfile "$T/spare.key" --json key list | jq -r 'select(.current) | .id')"
grep -q "opened the repository in this command" "$T/err" || fail "$(cat "$T/err")"
run 0 cairn key remove "$spare"
run 1 cairn --keyfile "$T/spare.key" ls latest
run 1 cairn key remove 00000000
grep -q "no key slot 00000000" "$T/err" || fail "$(cat "$T/err")"

note "wrong credentials never modify a byte of the repository"
before=$(fingerprint "$T/repo")
mkdir -p "$T/stranger"
CAIRN_PASSWORD=wrong run 1 cairn --password key add --keyfile "$T/stranger/k.key"
CAIRN_PASSWORD=wrong run 1 cairn --password backup
run 1 cairn --keyfile "$T/spare.key" key remove "$pw"
[ "$(fingerprint "$T/repo")" = "$before" ] || fail "a refused credential changed the repository"
[ ! -e "$T/stranger/k.key" ] || fail "a refused key add still created its keyfile"

note "bootstrap of a TPM suite on new hardware: told to use the recovery keyfile, which works"
run 2 "$CAIRN" bootstrap "$T/repo" --state-dir "$T/bs-none"
grep -q "recovery keyfile" "$T/err" || fail "$(cat "$T/err")"
run 0 "$CAIRN" bootstrap "$T/repo" --keyfile "$T/recovery.key" --state-dir "$T/bs"
run 0 "$CAIRN" -q -c "$T/bs/cairn.yaml" checkpoints

note "kill -9 during key add leaves a header that opens with the old slots"
header_ok() { jq -e '.magic == "cairn-repository"' "$T/repo/config" > /dev/null; }
for delay in 0.02 0.05 0.1 0.15 0.2 0.3; do
  CAIRN_NEW_PASSWORD=killed "$CAIRN" -q -c "$T/cairn.yaml" key add --password > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # swtpm has no resource manager: free what the killed process left loaded,
  # as the kernel's (/dev/tpmrm0) does when a process dies.
  TPM2TOOLS_TCTI="$TPM_TCTI" tpm2_flushcontext -t > /dev/null 2>&1 || true
  TPM2TOOLS_TCTI="$TPM_TCTI" tpm2_flushcontext -s > /dev/null 2>&1 || true
  run 0 cairn ls latest
  run 0 cairn --keyfile "$T/recovery.key" ls latest
  header_ok || fail "the header is damaged after kill -9 at ${delay}s"
done
run 0 cairn check

export TPM2TOOLS_TCTI="$TPM_TCTI"
note "a TPM whose object memory other programs filled (no resource manager): a clear error with the fix"
for _ in 1 2 3 4; do tpm2_createprimary -Q -C o -c "$T/filler.ctx" 2>/dev/null || break; done
run 1 cairn ls latest
grep -q "tpm2_flushcontext" "$T/err" || fail "$(cat "$T/err")"
tpm2_flushcontext -t
run 0 cairn ls latest

note "dictionary-attack lockout (provoked with a wrong password on another object): exit 7; the recovery keyfile works"
tpm2_dictionarylockout -Q -s -n 1 -t 600 -l 600
tpm2_createprimary -Q -C o -c "$T/p.ctx" && tpm2_flushcontext -t
echo data | tpm2_create -Q -C "$T/p.ctx" -p right -i - -u "$T/k.pub" -r "$T/k.priv" && tpm2_flushcontext -t
tpm2_load -Q -C "$T/p.ctx" -u "$T/k.pub" -r "$T/k.priv" -c "$T/k.ctx" && tpm2_flushcontext -t
tpm2_unseal -Q -c "$T/k.ctx" -p wrong 2>/dev/null && fail "a wrong password unsealed"
tpm2_flushcontext -t
run 7 cairn ls latest
grep -q "dictionary-attack lockout" "$T/err" || fail "$(cat "$T/err")"
run 0 cairn --keyfile "$T/recovery.key" ls latest
