# Resources whose commands run as another user, and command timeouts
# (docs/RESOURCES.md): as root, a descriptor with `user: nobody` has its
# backup, recover and post_recovery run as nobody (HOME, USER, LOGNAME set,
# the staging and recovery folders theirs); a user that does not exist and a
# command past its `timeout` fail only their own resource (exit 3, the others
# committed); not as root, another user is one clear error.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/conf/resources.d" "$T/docs" "$T/dest"
echo "kept" > "$T/docs/a.txt"
cat > "$T/app" <<'SH'
#!/bin/sh
set -eu
case $1 in
  backup)
    echo "$(id -un) $USER $LOGNAME $HOME" > "$CAIRN_STAGING_DIR/who.txt"
    mkdir "$CAIRN_STAGING_DIR/sub" && echo data > "$CAIRN_STAGING_DIR/sub/file"
    echo '{"by": "'"$(id -un)"'"}' ;;
  recover)
    cp -r "$CAIRN_RECOVERY_DIR/." "$CAIRN_DESTINATION/"
    id -un > "$CAIRN_DESTINATION/recovered-by"
    echo '{"x": 1}' ;;
  post) id -un > "$CAIRN_DESTINATION_LOG" ;;
  slow) echo started > "$CAIRN_STAGING_DIR/partial"; exec sleep 28.5 ;;
esac
SH
chmod 755 "$T/app"
descriptor() {  # NAME USER [EXTRA]
  { echo "name: $1"; echo 'version: "1"'; echo "backup: $T/app ${4:-backup}"; echo "recover: $T/app recover"
    echo "post_recovery: CAIRN_DESTINATION_LOG=$T/dest/post.log $T/app post"
    [ -n "$2" ] && echo "user: $2"; [ -n "${3:-}" ] && echo "$3"; } > "$T/conf/resources.d/$1.yaml"
  chmod 644 "$T/conf/resources.d/$1.yaml"
}
cat > "$T/conf/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  repo: {type: local, path: $T/repo}
plans:
  apps:
    sources: [{type: resources}, {type: dir, path: $T/docs}]
    targets: [repo]
YAML
cairn() { "$CAIRN" -q -c "$T/conf/cairn.yaml" "$@"; }

note "a command past its timeout is stopped (its whole process group), and fails only its resource"
descriptor slow "" "timeout: 1" slow
run 0 cairn init
start=$(date +%s)
run 3 cairn backup
[ $(($(date +%s) - start)) -lt 10 ] || fail "the timeout did not stop the command in time"
grep -q "resources.d/slow.yaml: resource slow: \`$T/app slow\` ran longer than its timeout of 1 s and was stopped" "$T/err" \
  || fail "$(cat "$T/err")"
[ "$(grep -c . "$T/err")" = 1 ] || fail "not one line: $(cat "$T/err")"
pgrep -f "^sleep 28.5$" > /dev/null && fail "the command's child is still running"
run 0 cairn ls latest
grep -q docs "$T/out" || fail "the dir source was not committed: $(cat "$T/out")"
rm "$T/conf/resources.d/slow.yaml"
printf 'name: bad\nversion: "1"\nbackup: "true"\nrecover: "true"\ntimeout: 0\n' > "$T/conf/resources.d/bad.yaml"
run 2 cairn checkpoints
grep -q "bad.yaml:5:10: timeout must be a whole number of seconds from 1 to 604800" "$T/err" || fail "$(cat "$T/err")"
rm "$T/conf/resources.d/bad.yaml"

if [ "$(id -u)" != 0 ]; then
  note "not root: a resource for another user is one clear error, and fails only itself"
  descriptor other nobody
  run 3 cairn backup
  grep -q "resource other: user: nobody: Cairn runs as uid $(id -u) and cannot run commands as another user" "$T/err" \
    || fail "$(cat "$T/err")"
  echo "resource_users: ok (not root: the run-as part needs root)"
  exit 0
fi

note "as root: user nobody runs the commands; its staged files are its own"
descriptor other nobody
descriptor ghost no-such-user-cairn
run 3 cairn backup
grep -q "resources.d/ghost.yaml: resource ghost: user: no user \"no-such-user-cairn\" on this machine" "$T/err" \
  || fail "$(cat "$T/err")"
[ "$(grep -c . "$T/err")" = 1 ] || fail "not one line: $(cat "$T/err")"
run 0 cairn --json show latest
[ "$(json '.resources[] | select(.name=="other") | .metadata.by')" = nobody ] || fail "backup did not run as nobody: $(cat "$T/out")"
json '.resources[] | select(.name=="ghost") | .error' | grep -q "no user" || fail "ghost is not recorded as failed: $(cat "$T/out")"
run 0 cairn restore latest --path other --to "$T/raw"
[ "$(cat "$T/raw/other/who.txt")" = "nobody nobody nobody $(getent passwd nobody | cut -d: -f6)" ] \
  || fail "environment: $(cat "$T/raw/other/who.txt")"
# Files keep their owner; folders were taken back by root before the read (docs/RESOURCES.md).
[ -z "$(find "$T/raw/other" -mindepth 1 ! -type d ! -user nobody -print -quit)" ] || fail "staged files not owned by nobody: $(ls -lR "$T/raw/other")"
[ "$(stat -c %U "$T/raw/other/sub")" = root ] || fail "a staged folder was not taken back: $(ls -lR "$T/raw/other")"

note "recover and post-recovery run as nobody, into a destination of theirs"
chown nobody "$T/dest"
run 0 cairn restore latest --resource other --to "$T/dest"
[ "$(cat "$T/dest/recovered-by")" = nobody ] || fail "recover ran as $(cat "$T/dest/recovered-by")"
cmp "$T/dest/sub/file" "$T/raw/other/sub/file" || fail "recover did not get the staged files"
[ -z "$(ls -A "$T/state/recovery")" ] || fail "the recovery folder was left: $(ls -la "$T/state/recovery")"
run 0 cairn post-recovery other
[ "$(cat "$T/dest/post.log")" = nobody ] || fail "post_recovery ran as $(cat "$T/dest/post.log")"
run 0 cairn --json post-recovery other
[ "$(json .ran)" = false ] || fail "post-recovery ran twice"

note "a process of nobody's that outlived its backup command cannot swap a folder for a symlink to root's files"
rm "$T/conf/resources.d/ghost.yaml"
secret=$(mktemp -d /root/cairn-secret-XXXXXX 2>/dev/null || mktemp -d "$T/secret-XXXXXX")
chmod 700 "$secret"
marker="cairn-sneak-loop-$$-${T##*/}"
stop_sneak() { for pid in $(pgrep -f "$marker"); do kill "$pid" 2>/dev/null; done; rm -rf "$secret"; }
at_exit stop_sneak
for i in $(seq 1 300); do echo "TOPSECRET-$marker" > "$secret/f$i.txt"; done
cat > "$T/sneak" <<SH
#!/bin/sh
set -eu
mkdir -p "\$CAIRN_STAGING_DIR/a/d"
for i in \$(seq 1 300); do echo "mine \$i" > "\$CAIRN_STAGING_DIR/a/d/f\$i.txt"; done
cd "\$CAIRN_STAGING_DIR/a"
setsid sh -c 'end=\$((\$(date +%s) + 6)); while [ "\$(date +%s)" -lt "\$end" ]; do
  mv d d.real 2>/dev/null && ln -s "$secret" d 2>/dev/null; rm -f d 2>/dev/null; mv d.real d 2>/dev/null; done' "$marker" \
  > /dev/null 2>&1 < /dev/null &
echo '{}'
SH
chmod 755 "$T/sneak"
{ echo "name: sneak"; echo 'version: "1"'; echo "backup: $T/sneak"; echo "recover: $T/app recover"; echo "user: nobody"; } \
  > "$T/conf/resources.d/sneak.yaml"
chmod 644 "$T/conf/resources.d/sneak.yaml"
set +e; cairn backup > "$T/out" 2> "$T/err"; code=$?; set -e
pgrep -f "$marker" > /dev/null || fail "the detached loop was not running during the backup (the test proves nothing)"
case $code in
  0) run 0 cairn restore latest --path sneak --to "$T/sneaked"
     [ -d "$T/sneaked/sneak/a" ] || fail "sneak's own data is missing: $(ls -lR "$T/sneaked")" ;;
  3) grep -q "resources.d/sneak.yaml: resource sneak: cannot take back .*(nothing stored for it this run)" "$T/err" || fail "$(cat "$T/err")"
     [ "$(grep -c . "$T/err")" = 1 ] || fail "not one line: $(cat "$T/err")"
     run 0 cairn restore latest --to "$T/sneaked" ;;
  *) fail "backup exited with $code: $(cat "$T/err")" ;;
esac
grep -rq "TOPSECRET" "$T/sneaked" && fail "root read the secret into the backup: $(grep -rl TOPSECRET "$T/sneaked" | head -3)"
stop_sneak

note "nobody could not have registered a root resource: a descriptor nobody owns may not run as root"
descriptor rooty root
chown nobody "$T/conf/resources.d/rooty.yaml"
run 2 cairn checkpoints
grep -q "rooty.yaml: resource rooty would run its commands as root, but the file is not owned by root" "$T/err" || fail "$(cat "$T/err")"
echo "resource_users: ok"
