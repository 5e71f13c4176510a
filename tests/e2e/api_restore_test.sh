# Restores and diffs through the daemon's control API: a restore started by
# POST /v1/restores runs as a job with progress and a report, its bytes equal
# the source, and the event stream sees it. A caller who is not root (here
# nobody, in api.group) may restore only into an existing directory of their
# own; what is restored becomes theirs, without setuid bits, and a symlink to
# someone else's directory is refused. Bad requests get 4xx and write nothing.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src/sub/deep"
random_file "$T/src/big.bin" $((3 << 20))
echo "hello" > "$T/src/sub/hello.txt"
echo "deep" > "$T/src/sub/deep/d.txt"
cp /bin/true "$T/src/sub/suid" && chmod 4755 "$T/src/sub/suid"
ln -s hello.txt "$T/src/sub/link"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
api: {group: nogroup}
targets:
  repo: {type: local, path: $T/repo}
plans:
  home: {sources: [{type: dir, path: $T/src, name: src}], targets: [repo], schedule: daily 03:00}
YAML
run 0 cairn init
run 0 cairn backup home
echo "changed" > "$T/src/sub/hello.txt"
echo "new" > "$T/src/sub/new.txt"
rm "$T/src/sub/deep/d.txt"
run 0 cairn backup home

"$CAIRN" -c "$T/cairn.yaml" daemon > "$T/daemon.log" 2>&1 &
daemon=$!
at_exit "kill $daemon"
S="$T/state/cairn.sock"
for _ in $(seq 1 100); do [ -S "$S" ] && break; sleep 0.1; done
[ -S "$S" ] || fail "no API socket: $(cat "$T/daemon.log")"
api() { curl -s --unix-socket "$S" "$@"; }
code_of() { curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$S" "$@"; }
curl -sN --unix-socket "$S" http://cairn/v1/events > "$T/events" &
at_exit "kill $!"

# Waits for restore $1 to end; its final JSON is in $T/job.
wait_job() {
  for _ in $(seq 1 300); do
    api "http://cairn/v1/restores/$1" > "$T/job"
    [ "$(jq -r .state "$T/job")" != running ] && return 0
    sleep 0.1
  done
  fail "restore $1 did not end: $(cat "$T/job")"
}

note "diff against the parent: what changed, in path order"
[ "$(code_of 'http://cairn/v1/checkpoints/latest/diff?plan=home')" = 200 ] || fail "diff: $(cat "$T/body")"
[ "$(jq -r '[.changes[] | .change + " " + .path] | join(",")' "$T/body")" = \
  "removed src/sub/deep/d.txt,content src/sub/hello.txt,added src/sub/new.txt" ] || fail "diff: $(cat "$T/body")"
[ "$(jq -r .summary.added "$T/body")" = 1 ] || fail "summary: $(cat "$T/body")"
[ "$(code_of 'http://cairn/v1/checkpoints/latest/diff?plan=home&limit=1')" = 200 ] || fail "diff limit"
[ "$(jq -r '.changes | length' "$T/body"),$(jq -r .truncated "$T/body")" = "1,true" ] || fail "limit: $(cat "$T/body")"

note "find and history, as cairn find and cairn history"
[ "$(code_of 'http://cairn/v1/find?pattern=hello.txt&plan=home')" = 200 ] || fail "find: $(cat "$T/body")"
[ "$(jq -r '[.found[].path] | unique | join(",")' "$T/body"),$(jq -r .checkpoints_matching "$T/body")" = "src/sub/hello.txt,2" ] ||
  fail "find: $(cat "$T/body")"
[ "$(code_of 'http://cairn/v1/find')" = 400 ] || fail "find without a pattern"
[ "$(code_of 'http://cairn/v1/history?path=src/sub/hello.txt&plan=home')" = 200 ] || fail "history: $(cat "$T/body")"
[ "$(jq -r '[.versions[] | .entry.size] | join(",")' "$T/body")" = "6,8" ] || fail "history: $(cat "$T/body")"

note "root restores a folder: a job with progress and a report; the bytes equal the source"
[ "$(code_of -X POST -d "{\"plan\":\"home\",\"checkpoint\":\"latest\",\"paths\":[\"src/sub\"],\"to\":\"$T/restored\"}" \
  http://cairn/v1/restores)" = 202 ] || fail "restore: $(cat "$T/body")"
id=$(jq -r .id "$T/body")
[ "$(jq -r .state "$T/body")" = running ] || fail "$(cat "$T/body")"
wait_job "$id"
[ "$(jq -r .state "$T/job")" = done ] || fail "restore: $(cat "$T/job")"
[ "$(jq -r .report.files "$T/job")" -ge 3 ] || fail "report: $(cat "$T/job")"
diff -r "$T/src/sub" "$T/restored/src/sub" || fail "restored folder differs"
[ "$(stat -c %a "$T/restored/src/sub/suid")" = 4755 ] || fail "root's restore lost the setuid bit"
[ "$(api http://cairn/v1/restores | jq -r '.restores[0].id')" = "$id" ] || fail "list of restores"
grep -q '^event: restore' "$T/events" || fail "no restore event: $(cat "$T/events")"

note "bad requests: 4xx, nothing written"
[ "$(code_of -X POST -d 'not json' http://cairn/v1/restores)" = 400 ] || fail "not JSON: $(cat "$T/body")"
[ "$(code_of -X POST -d '{"plan":"home","to":"relative/dir"}' http://cairn/v1/restores)" = 400 ] || fail "relative"
[ "$(code_of -X POST -d "{\"plan\":\"home\",\"paths\":[\"src/../..\"],\"to\":\"$T/bad\"}" http://cairn/v1/restores)" = 400 ] ||
  fail "dot-dot path: $(cat "$T/body")"
[ "$(code_of -X POST -d "{\"checkpoint\":\"deadbeef\",\"to\":\"$T/bad\"}" http://cairn/v1/restores)" = 404 ] ||
  fail "unknown checkpoint: $(cat "$T/body")"
[ "$(code_of -X POST -d "{\"plan\":\"home\",\"paths\":7,\"to\":\"$T/bad\"}" http://cairn/v1/restores)" = 400 ] ||
  fail "paths of the wrong type: $(cat "$T/body")"
[ "$(jq -r .error.code "$T/body")" = invalid_input ] || fail "$(cat "$T/body")"
[ ! -e "$T/bad" ] || fail "a refused restore wrote $T/bad"
[ "$(code_of http://cairn/v1/restores/99)" = 404 ] || fail "unknown restore"

note "nobody (in api.group): only into a directory of their own, and the files become theirs"
chmod 711 "$T" "$T/state"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
mkdir -p "$T/victim" "$T/nob" "$T/nobtmp"
chown 65534:65534 "$T/nob" "$T/nobtmp"
ln -s "$T/victim" "$T/nob/link"
chown -h 65534:65534 "$T/nob/link"
for to in "$T/victim" "$T/nob/link" "$T/nob/missing"; do
  got=$(as_nobody curl -s -o "$T/nobtmp/body" -w '%{http_code}' --unix-socket "$S" -X POST \
    -d "{\"plan\":\"home\",\"paths\":[\"src/sub\"],\"to\":\"$to\"}" http://cairn/v1/restores)
  if [ "$got" = 202 ]; then wait_job "$(jq -r .id "$T/nobtmp/body")"; [ "$(jq -r .state "$T/job")" = failed ] || fail "$to: $(cat "$T/job")"
  else [ "${got:0:1}" = 4 ] || fail "$to: HTTP $got $(cat "$T/nobtmp/body")"; fi
done
[ -z "$(ls -A "$T/victim")" ] || fail "nobody's restore wrote into root's directory: $(ls -A "$T/victim")"
[ ! -e "$T/nob/missing" ] || fail "a missing destination was created for nobody"
got=$(as_nobody curl -s -o "$T/nobtmp/body" -w '%{http_code}' --unix-socket "$S" -X POST \
  -d "{\"plan\":\"home\",\"paths\":[\"src/sub\"],\"to\":\"$T/nob\"}" http://cairn/v1/restores)
[ "$got" = 202 ] || fail "nobody's restore into their own directory: HTTP $got $(cat "$T/nobtmp/body")"
wait_job "$(jq -r .id "$T/nobtmp/body")"
[ "$(jq -r .state "$T/job")" = done ] || fail "$(cat "$T/job")"
diff -r "$T/src/sub" "$T/nob/src/sub" || fail "nobody's restored folder differs"
[ -z "$(find "$T/nob/src" ! -uid 65534 -print -quit)" ] || fail "restored entries not owned by nobody: $(find "$T/nob/src" ! -uid 65534 | head -3)"
[ "$(stat -c %a "$T/nob/src/sub/suid")" = 755 ] || fail "the setuid bit survived a restore for nobody"
[ "$(jq -r '.report.post_restore | length' "$T/job")" = 0 ] || fail "post-restore steps ran for nobody"
true
