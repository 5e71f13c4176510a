# Application resources (docs/RESOURCES.md): a small "notes" application
# registers itself in resources.d/, keeps an SQLite database and a secret
# key marked sensitive. One plan backs it up to an encrypted (keyfile) and a
# plain (`none`) target: the secret is stored only on the encrypted one, and
# the manifest says so. restore --resource runs its recover command with the
# recovery folder, and the post-recovery step runs exactly once.
source "$CAIRN_E2E_LIB"
command -v sqlite3 > /dev/null || { echo "sqlite3 is not installed"; exit 77; }

app=$T/app
mkdir -p "$app" "$T/conf/resources.d"
sqlite3 "$app/notes.db" > /dev/null "PRAGMA journal_mode=WAL; CREATE TABLE log(at INTEGER);
  CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
  INSERT INTO notes(body) VALUES('first'), ('second'), ('third');"
head -c 48 /dev/urandom | base64 > "$app/secret.key"
echo '{"theme": "dark"}' > "$app/settings.json"
cp "$app/secret.key" "$T/secret.orig"

# The application's own backup tool: one script, four verbs.
cat > "$T/notesapp" <<'SH'
#!/bin/bash
set -eu
app=${NOTES_APP:?}
case $1 in
  backup)
    # The staging folder is new, empty and private.
    [ -z "$(ls -A "$CAIRN_STAGING_DIR")" ] || { echo "staging not empty" >&2; exit 9; }
    [ "$(stat -c %a "$CAIRN_STAGING_DIR")" = 700 ] || { echo "staging not 0700" >&2; exit 9; }
    [ -n "${NOTES_FAIL:-}" ] && { echo "disk on fire" >&2; exit 4; }
    sqlite3 -cmd ".timeout 5000" "$app/notes.db" ".backup '$CAIRN_STAGING_DIR/notes.db'"
    cp "$app/settings.json" "$CAIRN_STAGING_DIR/"
    mkdir "$CAIRN_STAGING_DIR/keys" && cp "$app/secret.key" "$CAIRN_STAGING_DIR/keys/"
    if [ -n "${NOTES_HUGE:-}" ]; then head -c 70000 /dev/zero | tr '\0' 'x' | sed 's/.*/{"a": "&"}/'; exit 0; fi
    echo "{\"schema\": 3, \"notes\": $(sqlite3 -cmd ".timeout 5000" "$app/notes.db" 'SELECT count(*) FROM notes')}"
    ;;
  recover)
    dest=${CAIRN_DESTINATION:-$app}
    { echo "dir=$CAIRN_RECOVERY_DIR"; echo "version=$CAIRN_RESOURCE_VERSION"; echo "left_out=$CAIRN_LEFT_OUT";
      echo "metadata=$(cat "$CAIRN_METADATA_FILE")"; } > "$NOTES_LOG/recover.log"
    [ "$(sqlite3 "$CAIRN_RECOVERY_DIR/notes.db" 'PRAGMA integrity_check')" = ok ] || exit 5
    jq -e .theme "$CAIRN_RECOVERY_DIR/settings.json" > /dev/null || exit 6
    mkdir -p "$dest" && cp -a "$CAIRN_RECOVERY_DIR/." "$dest/"
    secret=false; [ -f "$CAIRN_RECOVERY_DIR/keys/secret.key" ] && secret=true
    echo "{\"from\": \"$CAIRN_CHECKPOINT\", \"secret\": $secret}"
    ;;
  post)
    cat "$CAIRN_POST_RECOVERY_FILE" >> "$NOTES_LOG/post.log"; echo >> "$NOTES_LOG/post.log"
    ;;
esac
SH
chmod 755 "$T/notesapp"
export NOTES_APP=$app NOTES_LOG=$T
cat > "$T/conf/resources.d/notes.yaml" <<YAML
name: notes
version: "2.1"
backup: $T/notesapp backup
recover: $T/notesapp recover
post_recovery: $T/notesapp post
sensitive: [keys]
YAML
chmod 644 "$T/conf/resources.d/notes.yaml"

# config MODE TARGETS (init makes every target of the YAML: with none, only plain is there)
config() {
  cat > "$T/conf/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: $1, keyfile: $T/cairn.key}
targets:
  plain: {type: local, path: $T/plain}
$([ "$1" = none ] || echo "  enc: {type: local, path: $T/enc}")
plans:
  apps:
    sources: [{type: resource, name: notes}]
    targets: [$2]
YAML
}
cairn() { "$CAIRN" -q -c "$T/conf/cairn.yaml" "$@"; }

note "a plain target (key mode none) and an encrypted one (keyfile) in one plan"
config none plain
run 0 cairn init
config keyfile "enc, plain"
run 0 cairn init
# The application runs while it is backed up: it writes its database (WAL)
# and replaces its settings atomically (temporary file + rename) in a loop.
writer() {
  while :; do
    sqlite3 -cmd ".timeout 5000" "$app/notes.db" "INSERT INTO log(at) VALUES(random());" || exit 1
    printf '{"theme": "dark", "n": %d}\n' "$RANDOM" > "$app/settings.json.tmp"
    mv "$app/settings.json.tmp" "$app/settings.json"
    sleep 0.01
  done
}
writer & writer_pid=$!
at_exit "kill $writer_pid"
for _ in $(seq 1 100); do [ "$(sqlite3 "$app/notes.db" 'SELECT count(*) FROM log')" -gt 0 ] && break; sleep 0.05; done
writes_before=$(sqlite3 -cmd ".timeout 5000" "$app/notes.db" 'SELECT count(*) FROM log')
run 0 cairn --json backup
writes_after=$(sqlite3 -cmd ".timeout 5000" "$app/notes.db" 'SELECT count(*) FROM log')
kill "$writer_pid"; wait "$writer_pid" 2> /dev/null || true
[ "$writes_after" -gt "$writes_before" ] || fail "the application did not write during the backup"
[ "$(json 'select(.type=="checkpoint") | .target' | sort | tr '\n' ' ')" = "enc plain " ] || fail "not committed on both: $(cat "$T/out")"
[ -z "$(ls -A "$T/state/staging/apps" 2> /dev/null)" ] || fail "staging left behind: $(ls -laR "$T/state/staging")"

note "the manifest: version, metadata, sizes; on the plain target the sensitive path is left out, and says why"
run 0 cairn --json checkpoints
man() { jq -r "select(.target==\"$1\") | .sources[] | select(.name==\"notes\") | .manifest | $2" < "$T/out"; }
[ "$(man enc .version)" = 2.1 ] || fail "version: $(cat "$T/out")"
[ "$(man enc .metadata.notes)" = 3 ] || fail "metadata: $(cat "$T/out")"
[ "$(man enc '.left_out // "none"')" = none ] || fail "the encrypted target left something out: $(cat "$T/out")"
[ "$(man plain '.left_out.paths | join(",")')" = keys ] || fail "left_out on plain: $(cat "$T/out")"
man plain .left_out.reason | grep -q "does not encrypt" || fail "no reason: $(cat "$T/out")"
[ "$(man enc .files)" = 3 ] && [ "$(man plain .files)" = 2 ] || fail "file counts: $(man enc .files) $(man plain .files)"
run 0 cairn checkpoints
grep -q "resource notes 2.1: 2 files" "$T/out" && grep -q "left out: keys (sensitive: this target does not encrypt" "$T/out" \
  || fail "cairn checkpoints does not show the manifest: $(cat "$T/out")"
run 0 cairn show latest --target plain
grep -q "left out: keys" "$T/out" && grep -q 'notes metadata: {"notes":3,"schema":3}' "$T/out" || fail "show: $(cat "$T/out")"

note "bootstrap --rebuild (no suite state): the rebuilt catalog shows the manifest too"
run 0 "$CAIRN" -q bootstrap "$T/plain" --rebuild --state-dir "$T/rebuilt"
# The rebuilt YAML only lists the resource in a comment (its descriptor must
# be installed first); a plan with nothing else in it is left out.
grep -q "^#   plan apps: - {type: resource, name: notes}" "$T/rebuilt/cairn.yaml" || fail "$(cat "$T/rebuilt/cairn.yaml")"
grep -q "^plans:" "$T/rebuilt/cairn.yaml" && fail "a plan with no source was written: $(cat "$T/rebuilt/cairn.yaml")"
cp -a "$T/conf/resources.d" "$T/rebuilt/"
printf 'plans:\n  apps: {sources: [{type: resource, name: notes}], targets: [recovered]}\n' >> "$T/rebuilt/cairn.yaml"
run 0 "$CAIRN" -q -c "$T/rebuilt/cairn.yaml" show latest
grep -q "resource notes 2.1: 2 files" "$T/out" && grep -q "left out: keys" "$T/out" || fail "show after --rebuild: $(cat "$T/out")"
run 0 "$CAIRN" -q -c "$T/rebuilt/cairn.yaml" ls latest
grep -q "resource notes 2.1: 2 files" "$T/out" || fail "ls after --rebuild: $(cat "$T/out")"

note "the plain target holds no trace of the secret: not in its trees, not restorable"
run 0 cairn ls latest notes --target plain
grep -q keys "$T/out" && fail "the plain checkpoint names keys/: $(cat "$T/out")"
run 0 cairn ls latest --target plain
grep -q "resource notes 2.1: 2 files" "$T/out" || fail "cairn ls does not show the manifest: $(cat "$T/out")"
run 0 cairn ls latest notes --target enc
grep -q keys "$T/out" || fail "the encrypted checkpoint lacks keys/: $(cat "$T/out")"

note "restore --resource from the encrypted target: recover gets everything, then the recovery folder is gone"
sqlite3 "$app/notes.db" "DELETE FROM notes"
rm -f "$app/secret.key"
run 0 cairn restore latest --target enc --resource notes --to "$T/restored"
[ "$(sqlite3 "$T/restored/notes.db" 'SELECT group_concat(body) FROM notes')" = "first,second,third" ] || fail "rows not restored"
cmp "$T/restored/keys/secret.key" "$T/secret.orig" || fail "the secret was not recovered from the encrypted target"
grep -q '^version=2.1$' "$T/recover.log" && grep -q '^left_out=$' "$T/recover.log" \
  && grep -q '^metadata={"notes":3,"schema":3}$' "$T/recover.log" || fail "recover's environment: $(cat "$T/recover.log")"
[ -z "$(ls -A "$T/state/recovery")" ] || fail "the recovery folder was left: $(ls -la "$T/state/recovery")"
[ "$(stat -c %a "$T/state/recovery")" = 700 ] || fail "state_dir/recovery is not 0700"
grep -q "cairn post-recovery notes" "$T/out" || fail "no hint at the post-recovery step: $(cat "$T/out")"

note "post-recovery runs once, with what recover printed; then it has nothing to do"
run 0 cairn post-recovery notes
grep -q '"secret":true' "$T/post.log" || fail "post-recovery data: $(cat "$T/post.log")"
run 0 cairn --json post-recovery notes
[ "$(json .ran)" = false ] || fail "it ran twice: $(cat "$T/out")"
[ "$(grep -c secret "$T/post.log")" = 1 ] || fail "post.log: $(cat "$T/post.log")"
[ "$(jq -r .exit_code "$T/state/resources/notes.outcome.json")" = 0 ] || fail "no outcome recorded"

note "restore --resource from the plain target: the secret is absent, and recover is told so"
rm -rf "$T/restored"
run 0 cairn restore latest --target plain --resource notes --to "$T/restored"
[ -f "$T/restored/notes.db" ] || fail "the database was not recovered"
[ -e "$T/restored/keys" ] && fail "a secret came back from a plain target"
grep -q '^left_out=keys$' "$T/recover.log" || fail "recover was not told what is missing: $(cat "$T/recover.log")"
grep -q "not in this checkpoint (sensitive, its target does not encrypt): keys" "$T/out" || fail "$(cat "$T/out")"

note "errors: an unknown resource, a failing backup command, too much metadata, a writable descriptor"
run 2 cairn restore latest --target enc --resource chrome
grep -q 'no resource "chrome" is registered here' "$T/err" || fail "$(cat "$T/err")"
cp "$T/secret.orig" "$app/secret.key"
note "a failing resource fails only itself: the plan's other source is committed, the manifest says why, exit 3"
mkdir -p "$T/docs" && echo "kept anyway" > "$T/docs/readme.txt"
config keyfile "enc, plain"
sed -i "s|sources: \[{type: resource, name: notes}\]|sources: [{type: resource, name: notes}, {type: dir, path: $T/docs}]|" "$T/conf/cairn.yaml"
export NOTES_FAIL=1
run 3 cairn backup
unset NOTES_FAIL
grep -q "resources.d/notes.yaml: resource notes: the backup command exited with 4: disk on fire" "$T/err" || fail "$(cat "$T/err")"
[ -z "$(ls -A "$T/state/staging/apps" 2> /dev/null)" ] || fail "a failed staging folder was left: $(ls -laR "$T/state/staging")"
run 0 cairn --json show latest --target enc
[ "$(json '.resources[] | select(.name=="notes") | .error' | grep -c 'exited with 4: disk on fire')" = 1 ] || fail "manifest: $(cat "$T/out")"
run 0 cairn show latest --target enc
grep -q "resource notes 2.1: failed, nothing stored: .*disk on fire" "$T/out" || fail "show: $(cat "$T/out")"
run 0 cairn restore latest --target enc --path docs --to "$T/docs-back"
cmp "$T/docs-back/docs/readme.txt" "$T/docs/readme.txt" || fail "the other source was not committed"
run 1 cairn restore latest --target enc --resource notes --to "$T/nothing"
grep -q "holds nothing of resource notes: its backup failed in that run" "$T/err" || fail "$(cat "$T/err")"
run 0 cairn --json runs
[ "$(jq -rs 'map(select(.type=="run"))[0] | .status' < "$T/out")" = partial ] || fail "runs: $(cat "$T/out")"
export NOTES_HUGE=1
run 3 cairn backup
unset NOTES_HUGE
grep -q "the backup command printed [0-9]* bytes; at most 65536 bytes of JSON are read" "$T/err" || fail "$(cat "$T/err")"
config keyfile "enc, plain"
chmod 664 "$T/conf/resources.d/notes.yaml"
run 2 cairn checkpoints
grep -q "notes.yaml: resource notes runs commands, and the file can be changed by other users: chmod go-w" "$T/err" \
  || fail "$(cat "$T/err")"
[ "$(wc -l < "$T/err")" = 1 ] || fail "not one line: $(cat "$T/err")"
chmod 644 "$T/conf/resources.d/notes.yaml"
if [ "$(id -u)" = 0 ]; then
  note "as root: a descriptor not owned by root may not run commands as root"
  chown nobody "$T/conf/resources.d/notes.yaml"
  run 2 cairn checkpoints
  grep -q "would run its commands as root, but the file is not owned by root" "$T/err" || fail "$(cat "$T/err")"
  chown root "$T/conf/resources.d/notes.yaml"
fi
echo "resources: ok"
