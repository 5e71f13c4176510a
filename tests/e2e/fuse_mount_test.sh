# cairn mount with real FUSE, through a local and an SFTP target: the
# namespace (plans, targets, checkpoints by time, id and latest), cp -a out of
# the mount equals a restore, tail -c of a large file fetches only its last
# blobs, and the mount ends cleanly on fusermount3 -u and on SIGTERM.
source "$CAIRN_E2E_LIB"

[ -c /dev/fuse ] || { echo "SKIP: /dev/fuse does not exist here: FUSE cannot run"; exit 77; }
command -v fusermount3 > /dev/null || { echo "SKIP: fusermount3 is not installed (apt-get install fuse3)"; exit 77; }
start_sshd "$T/sshd"
mkdir -p "$T/src/docs/deep" "$T/src/private"
echo hello > "$T/src/docs/a.txt"
seq 1 20000 > "$T/src/docs/deep/numbers.txt"
: > "$T/src/empty"
ln -s docs/a.txt "$T/src/link"
ln -s /nonexistent/target "$T/src/dangling"
chmod 0750 "$T/src/private"
echo secret > "$T/src/private/s.txt"
chmod 0640 "$T/src/private/s.txt"
setfattr -n user.colour -v blue "$T/src/docs/a.txt" 2>/dev/null || true
random_file "$T/src/big.bin" $((40 << 20))
touch -d '2001-02-03 04:05:06.123456789' "$T/src/docs/a.txt"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  disk: {type: local, path: $T/repo}
  nas:
    url: sftp://$SSHD_USER@127.0.0.1:$SSHD_PORT$SSHD_ROOT/cairn
    identity: $SSHD_IDENTITY
    known_hosts: $SSHD_KNOWN_HOSTS
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [disk, nas]}
YAML
run 0 cairn init
run 0 cairn backup
echo later > "$T/src/docs/later.txt"
run 0 cairn backup

MNT="$T/mnt"
mkdir -p "$MNT"
MOUNT_PID=""
at_exit 'fusermount3 -u -z "$MNT"; [ -n "$MOUNT_PID" ] && kill -9 $MOUNT_PID'
start_mount() {
  "$CAIRN" -q -c "$T/cairn.yaml" mount "$MNT" "$@" 2> "$T/mount.err" &
  MOUNT_PID=$!
  for _ in $(seq 1 200); do
    [ -e "$MNT/.cairn-stats" ] && return 0
    if ! kill -0 "$MOUNT_PID" 2>/dev/null && grep -q "cannot mount" "$T/mount.err"; then
      echo "SKIP: FUSE cannot mount here: $(cat "$T/mount.err")"  # e.g. a container without CAP_SYS_ADMIN
      exit 77
    fi
    sleep 0.05
  done
  cat "$T/mount.err"
  fail "the mount did not appear"
}
# wait_exit : the mount process ends (within 5 s) with exit 0 and the mount is gone.
wait_exit() {
  for _ in $(seq 1 100); do kill -0 "$MOUNT_PID" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$MOUNT_PID" 2>/dev/null && fail "cairn mount did not exit after $1"
  local code=0
  wait "$MOUNT_PID" || code=$?
  MOUNT_PID=""
  [ "$code" -eq 0 ] || fail "cairn mount exited $code after $1: $(cat "$T/mount.err")"
  mountpoint -q "$MNT" && fail "still mounted after $1"
  return 0
}
fetched() { awk '$1=="bytes_fetched" {print $2}' "$MNT/.cairn-stats"; }

start_mount
note "the namespace"
[ "$(ls "$MNT/home" | tr '\n' ' ')" = "disk nas " ] || fail "$(ls -la "$MNT/home")"
# two checkpoints by time (one made in the same second as the other gets "_2")
[ "$(ls "$MNT/home/disk" | grep -cE 'Z(_2)?$')" -eq 2 ] || fail "$(ls -la "$MNT/home/disk")"
[ -L "$MNT/home/disk/latest" ] || fail "latest is not a symlink"
[ -f "$MNT/home/disk/latest/src/docs/later.txt" ] || fail "latest is not the newest checkpoint"
id=$(cairn --json checkpoints --target nas | jq -r .id | tail -1)
[ -d "$MNT/home/nas/by-id/$id/src" ] || fail "by-id/$id"
[ ! -e "$MNT/home/nas/by-id/$id/src/docs/later.txt" ] || fail "the older checkpoint shows a newer file"
(echo x > "$MNT/home/disk/latest/src/new") 2>/dev/null && fail "the mount is writable"

for t in nas disk; do
  note "tail -c of a 40 MiB file through $t fetches only its last blobs"
  before=$(fetched)
  [ "$(tail -c 1000 "$MNT/home/$t/latest/src/big.bin" | sha256sum)" = "$(tail -c 1000 "$T/src/big.bin" | sha256sum)" ] ||
    fail "tail -c differs"
  got=$(( $(fetched) - before ))
  note "fetched $got bytes for the last 1000 of $((40 << 20))"
  [ "$got" -gt 0 ] && [ "$got" -le $((16 << 20)) ] || fail "tail -c fetched $got bytes through $t"
  note "cp -a out of the mount equals a restore ($t)"
  mkdir -p "$T/cp-$t"
  cp -a "$MNT/home/$t/latest/src" "$T/cp-$t/"
  run 0 cairn restore latest --target "$t" --to "$T/r-$t"
  diff -r --no-dereference "$T/r-$t/src" "$T/cp-$t/src" > /dev/null || fail "cp -a from the mount differs from a restore ($t)"
  have_treetool && compare_trees "$T/r-$t/src" "$T/cp-$t/src"
  [ "$(stat -c '%a %Y' "$T/cp-$t/src/private")" = "$(stat -c '%a %Y' "$T/r-$t/src/private")" ] || fail "directory mode or mtime"
  [ "$(stat -c '%y' "$T/cp-$t/src/docs/a.txt")" = "$(stat -c '%y' "$T/src/docs/a.txt")" ] || fail "nanosecond mtime"
  if getfattr -n user.colour "$T/src/docs/a.txt" > /dev/null 2>&1; then
    [ "$(getfattr --only-values -n user.colour "$MNT/home/$t/latest/src/docs/a.txt" 2>/dev/null)" = blue ] || fail "xattr through the mount"
  fi
  [ "$(readlink "$MNT/home/$t/latest/src/dangling")" = /nonexistent/target ] || fail "symlink target"
done

note "fusermount3 -u ends the mount cleanly"
fusermount3 -u "$MNT"
wait_exit "fusermount3 -u"
note "SIGTERM ends the mount cleanly"
start_mount --plan home --target disk
[ "$(ls "$MNT/home")" = disk ] || fail "--target disk shows $(ls "$MNT/home")"
kill -TERM "$MOUNT_PID"
wait_exit SIGTERM
run 2 cairn mount "$MNT" --plan nope
grep -q 'no plan named "nope"' "$T/err" || fail "$(cat "$T/err")"
