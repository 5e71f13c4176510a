# docs/RECOVERY.md, keyfile mode, followed command by command: each `guide`
# line below must appear verbatim in the guide, and runs with the guide's
# absolute paths (/etc, /var, /mnt, /home, /root, /media) moved under $T.
# The old machine has the quick start's layout; it is lost but for the USB
# disk and a copy of the keyfile.
source "$CAIRN_E2E_LIB"

GUIDE="$CAIRN_SUPPORT_DIR/../../docs/RECOVERY.md"
[ -f "$GUIDE" ] || fail "no guide at $GUIDE"
export CAIRN_CONFIG="$T/etc/cairn/cairn.yaml"  # where plain `cairn` looks (/etc/cairn/cairn.yaml)
cairn() { "$CAIRN" -q "$@"; }
under_t() { sed -E "s#(^|[ =])/(etc|var|mnt|home|root|media)([/ ]|\$)#\\1$T/\\2\\3#g" <<< "$1"; }
# guide 'COMMAND' : checks that the guide holds COMMAND, then runs it (moved under $T).
guide() {
  grep -qF -- "$1" "$GUIDE" || fail "the guide no longer says: $1"
  note "guide: $1"
  run 0 eval "$(under_t "$1")"
}

note "the old machine: the quick start's YAML, two backups to the USB disk"
mkdir -p "$T/etc/cairn" "$T/home/alice/docs" "$T/mnt/usb" "$T/media/stick"
random_file "$T/home/alice/docs/report.odt" 300000
echo "notes" > "$T/home/alice/notes.txt"
ln -s docs/report.odt "$T/home/alice/latest-report"
cat > "$CAIRN_CONFIG" <<YAML
state_dir: $T/var/lib/cairn
keyring:
  mode: keyfile
  keyfile: $T/etc/cairn/cairn.key
targets:
  usb:
    type: local
    path: $T/mnt/usb/cairn
plans:
  home:
    sources:
      - type: dir
        path: $T/home/alice
        exclude: ["*.tmp"]
    targets: [usb]
YAML
run 0 cairn init
run 0 cairn backup
echo "more notes" >> "$T/home/alice/notes.txt"
run 0 cairn backup
cp -a "$T/home/alice" "$T/expected-alice"
cp "$T/etc/cairn/cairn.key" "$T/media/stick/cairn.key"   # the copy kept off the machine
rm -rf "$T/etc" "$T/var" "$T/home/alice"                 # the machine is lost

note "1. the key"
guide 'install -d -m 700 /root/recovery'
guide 'install -m 600 /media/stick/cairn.key /root/recovery/cairn.key'

note "2. bootstrap"
guide 'cairn bootstrap /mnt/usb/cairn --keyfile /root/recovery/cairn.key --state-dir /var/lib/cairn --config-out /etc/cairn/cairn.yaml'
grep -q "2 checkpoints of 1 plan(s): home" "$T/out" || fail "bootstrap found other checkpoints: $(cat "$T/out")"

note "3. check the YAML"
guide "grep -n -e 'keyfile' -e 'password_file' -e 'path:' -e 'exclude_from' -e 'identity' -e 'known_hosts' /etc/cairn/cairn.yaml"
grep -q "keyfile: $T/etc/cairn/cairn.key" "$T/out" || fail "the grep does not show the keyfile: $(cat "$T/out")"
grep -q "path: $T/home/alice" "$T/out" || fail "the grep does not show the source: $(cat "$T/out")"
guide 'install -m 600 /root/recovery/cairn.key /etc/cairn/cairn.key'
guide 'cairn checkpoints'
[ "$(grep -c home "$T/out")" -eq 2 ] || fail "expected 2 checkpoints: $(cat "$T/out")"
guide 'cairn ls latest --plan home'
grep -q "alice/" "$T/out" || fail "the checkpoint's root lacks alice: $(cat "$T/out")"

note "4. restore"
guide 'cairn restore latest --plan home --to /home'
compare_trees "$T/expected-alice" "$T/home/alice"
[ "$(readlink "$T/home/alice/latest-report")" = docs/report.odt ] || fail "the symlink was not restored"

note "5. back in service"
guide 'cairn check'
data_before=$(size_of "$T/mnt/usb/cairn/data")
guide 'cairn backup'
# Restored files have new inodes and ctimes, so they are read again, but
# their chunks are in the repository: next to nothing is uploaded.
[ $(( $(size_of "$T/mnt/usb/cairn/data") - data_before )) -lt 50000 ] || fail "the backup after recovery stored the data again"
run 0 cairn checkpoints
[ "$(grep -c home "$T/out")" -eq 3 ] || fail "expected 3 checkpoints after the new backup: $(cat "$T/out")"
