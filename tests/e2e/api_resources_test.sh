# Registering application resources through the daemon's control API
# (docs/API.md, docs/RESOURCES.md): root registers one, it is listed (without
# its commands' text) and, once the daemon has reloaded, a plan with
# {type: resources} started by `cairn run` backs it up. A caller who is not
# root (nobody, in api.group) may register only resources that run as
# nobody: naming root is 403 with nothing written; without user: the
# descriptor says user: nobody and its backup runs as nobody. Nobody may not
# change or delete root's; bad bodies are 400 and write nothing.
source "$CAIRN_E2E_LIB"
[ "$(id -u)" = 0 ] || { echo "api_resources: needs root (run-as users and SO_PEERCRED)"; exit 77; }

R="$T/conf/resources.d"
mkdir -p "$R" "$T/docs"
echo kept > "$T/docs/a.txt"
printf 'name: seed\nversion: "1"\nbackup: echo seed > "$CAIRN_STAGING_DIR/seed.txt"\nrecover: "true"\n' > "$R/seed.yaml"
cat > "$T/conf/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
api: {group: nogroup}
targets:
  repo: {type: local, path: $T/repo}
plans:
  apps: {sources: [{type: resources}, {type: dir, path: $T/docs, name: docs}], targets: [repo], schedule: daily 03:00}
  pinned: {sources: [{type: resource, name: seed}], targets: [repo]}
YAML
cairn() { "$CAIRN" -q -c "$T/conf/cairn.yaml" "$@"; }
run 0 cairn init

"$CAIRN" -c "$T/conf/cairn.yaml" daemon > "$T/daemon.log" 2>&1 &
daemon=$!
at_exit "kill $daemon"
S="$T/state/cairn.sock"
for _ in $(seq 1 100); do [ -S "$S" ] && break; sleep 0.1; done
[ -S "$S" ] || fail "no API socket: $(cat "$T/daemon.log")"
chmod 711 "$T" "$T/state"
mkdir "$T/nobtmp" && chown nobody "$T/nobtmp"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# code_of [nobody] CURL-ARGS...: the HTTP status; the body in $T/nobtmp/body.
code_of() {
  local who=() code rc
  [ "$1" = nobody ] && { who=(setpriv --reuid=65534 --regid=65534 --clear-groups); shift; }
  # A reload (after each change) briefly recreates the socket and makes
  # state_dir private again: retry while the socket cannot be reached.
  for _ in $(seq 1 100); do
    # (the daemon and the CLI keep state_dir private; nobody needs to reach the socket)
    [ ${#who[@]} -gt 0 ] && chmod 711 "$T/state"
    rm -f "$T/nobtmp/body"
    rc=0
    code=$("${who[@]}" curl -s -o "$T/nobtmp/body" -w '%{http_code}' --unix-socket "$S" "$@") || rc=$?
    # 7: could not connect; 52/56 with no status: the old server closed the
    # connection while a reload stopped it, before it read the request.
    [ "$rc" = 7 ] || { [ "$code" = 000 ] && { [ "$rc" = 52 ] || [ "$rc" = 56 ]; }; } || break
    sleep 0.1
  done
  echo "$rc" > "$T/curl_rc"
  echo "$code"
}
body() { cat "$T/nobtmp/body" 2> /dev/null || echo "(no reply, curl exit $(cat "$T/curl_rc"))"; }
# Waits until the daemon (reloaded) lists resource $1 at version $2, or ($2 =
# gone) no longer lists it.
wait_listed() {
  for _ in $(seq 1 100); do
    if curl -s --unix-socket "$S" http://cairn/v1/resources > "$T/list" 2> /dev/null && jq -e . "$T/list" > /dev/null 2>&1; then
      v=$(jq -r --arg n "$1" '[.resources[] | select(.name == $n) | .version] | first // "gone"' "$T/list")
      [ "$v" = "$2" ] && return 0
    fi
    sleep 0.1
  done
  fail "resource $1 ${2:-not listed}: $(cat "$T/list" 2> /dev/null) $(tail -3 "$T/daemon.log")"
}
# Starts plan apps through the daemon and waits for checkpoint number $1.
run_apps() {
  run 0 cairn run apps
  grep -q "by the daemon" "$T/out" || fail "cairn run did not go through the daemon: $(cat "$T/out")"
  for _ in $(seq 1 100); do
    [ "$(curl -s --unix-socket "$S" 'http://cairn/v1/checkpoints?plan=apps' | jq '.checkpoints | length')" = "$1" ] && return 0
    sleep 0.1
  done
  fail "no checkpoint $1: $(tail -5 "$T/daemon.log")"
}

note "root registers a resource: 201, written 0644 by the daemon, listed without its commands' text"
[ "$(code_of -X POST -d '{"name":"notes","version":"2.1","backup":"echo secret-cmd > \"$CAIRN_STAGING_DIR/n.txt\"","recover":"true","sensitive":["keys/"],"timeout":60}' \
  http://cairn/v1/resources)" = 201 ] || fail "register: $(body)"
[ "$(jq -r .file "$T/nobtmp/body")" = "$R/notes.yaml" ] || fail "$(body)"
[ "$(stat -c '%a %U' "$R/notes.yaml")" = "644 root" ] || fail "mode: $(stat -c '%a %U' "$R/notes.yaml")"
grep -q '^registered_by: 0$' "$R/notes.yaml" || fail "$(cat "$R/notes.yaml")"
ls -A "$R" | grep -q '^\.' && fail "a temporary was left: $(ls -A "$R")"
wait_listed notes 2.1
[ "$(jq -c '.resources[] | select(.name=="notes") | [.version, .user, .commands.post_recovery, .sensitive, .timeout, .registered_by]' "$T/list")" = \
  '["2.1",null,false,["keys"],60,0]' ] || fail "list: $(cat "$T/list")"
grep -q secret-cmd "$T/list" && fail "the list shows a command: $(cat "$T/list")"
run 0 cairn resources --json
[ "$(jq -r '[.resources[].name] | join(",")' "$T/out")" = notes,seed ] || fail "cairn resources: $(cat "$T/out")"
run 0 cairn resources
grep -q '^notes .*2.1' "$T/out" || fail "cairn resources: $(cat "$T/out")"

note "cairn run through the daemon backs it up with {type: resources}"
run_apps 1
run 0 cairn restore latest --plan apps --path notes --to "$T/raw"
[ "$(cat "$T/raw/notes/n.txt")" = secret-cmd ] || fail "notes was not backed up: $(ls -R "$T/raw")"

note "nobody may not register a resource that runs as root or as another user: 403, nothing written"
for user in root daemon; do
  c=$(code_of nobody -X POST -d "{\"name\":\"evil\",\"version\":\"1\",\"backup\":\"id > /tmp/pwn\",\"recover\":\"true\",\"user\":\"$user\"}" \
    http://cairn/v1/resources)
  [ "$c" = 403 ] || fail "user $user: HTTP $c $(ls -la $S; setpriv --reuid=65534 --regid=65534 --clear-groups curl -sS --unix-socket $S http://cairn/v1/daemon 2>&1)"
  [ "$(jq -r .error.code "$T/nobtmp/body")" = forbidden ] || fail "$(body)"
  [ "$(jq -r .error.message "$T/nobtmp/body" | grep -c .)" = 1 ] || fail "not one line: $(body)"
done
[ ! -e "$R/evil.yaml" ] || fail "a refused registration wrote $(cat "$R/evil.yaml")"

note "nobody may not change or delete root's resource"
cp "$R/notes.yaml" "$T/notes.before"
[ "$(code_of nobody -X POST -d '{"name":"notes","version":"1","backup":"true","recover":"true"}' http://cairn/v1/resources)" = 403 ] ||
  fail "overwrite: $(body)"
[ "$(code_of nobody -X DELETE http://cairn/v1/resources/notes)" = 403 ] || fail "delete: $(body)"
[ "$(code_of nobody -X DELETE http://cairn/v1/resources/seed)" = 403 ] || fail "delete a hand-written one: $(body)"
cmp "$R/notes.yaml" "$T/notes.before" || fail "nobody changed root's descriptor"
[ -e "$R/seed.yaml" ] || fail "nobody deleted seed"

note "bad bodies: 400, nothing written"
ls -A "$R" > "$T/files.before"
for b in 'not json' '[1]' '{"name":"../x","version":"1","backup":"true","recover":"true"}' \
  '{"name":"x","version":"1","backup":"true","recover":"true","colour":"red"}' \
  '{"name":"x","version":"1","recover":"true"}' '{"name":"x","version":"1","backup":"","recover":"true"}' \
  '{"name":"x","version":1,"backup":"true","recover":"true"}' \
  '{"name":"x","version":"1","backup":"true","recover":"true","timeout":0}' \
  '{"name":"x","version":"1","backup":"true","recover":"true","timeout":-5}' \
  '{"name":"x","version":"1","backup":"true","recover":"true","sensitive":["../etc"]}' \
  '{"name":"x","version":"1","backup":"true","recover":"true","user":"no-such-user-cairn"}' \
  '{"name":"x","version":"1\u0001","backup":"true","recover":"true"}'; do
  [ "$(code_of -X POST -d "$b" http://cairn/v1/resources)" = 400 ] || fail "$b: $(body)"
  [ "$(jq -r .error.code "$T/nobtmp/body")" = invalid_input ] || fail "$b: $(body)"
done
ls -A "$R" | cmp - "$T/files.before" || fail "a bad body wrote: $(ls -A "$R")"
[ "$(code_of -X DELETE http://cairn/v1/resources/nothing)" = 404 ] || fail "delete unknown: $(body)"

note "a change that would break the configuration is undone: 400"
[ "$(code_of nobody -X POST -d '{"name":"docs","version":"1","backup":"true","recover":"true"}' http://cairn/v1/resources)" = 400 ] ||
  fail "a resource named like a dir source: $(body)"
jq -r .error.message "$T/nobtmp/body" | grep -q 'two sources of plan "apps" are named "docs"' || fail "$(body)"
[ "$(code_of -X DELETE http://cairn/v1/resources/seed)" = 400 ] || fail "deleting a resource a plan names: $(body)"
jq -r .error.message "$T/nobtmp/body" | grep -q 'no resource "seed" is registered' || fail "$(body)"
ls -A "$R" | cmp - "$T/files.before" || fail "a refused change left: $(ls -A "$R")"

note "nobody registers one without user: it runs as nobody"
[ "$(code_of nobody -X POST -d '{"name":"nobs","version":"1","backup":"id -un > \"$CAIRN_STAGING_DIR/who.txt\"","recover":"true"}' \
  http://cairn/v1/resources)" = 201 ] || fail "nobody's registration: $(body)"
wait_listed nobs 1
[ "$(jq -r .user "$T/nobtmp/body")" = nobody ] || fail "$(body)"
grep -q '^user: "nobody"$' "$R/nobs.yaml" || fail "$(cat "$R/nobs.yaml")"
grep -q '^registered_by: 65534$' "$R/nobs.yaml" || fail "$(cat "$R/nobs.yaml")"
[ "$(stat -c '%a %U' "$R/nobs.yaml")" = "644 root" ] || fail "mode: $(stat -c '%a %U' "$R/nobs.yaml")"
[ "$(code_of nobody -X POST -d '{"name":"nobs","version":"2","backup":"id -un > \"$CAIRN_STAGING_DIR/who.txt\"","recover":"true","user":"nobody"}' \
  http://cairn/v1/resources)" = 201 ] || fail "nobody updates their own: $(body)"
wait_listed nobs 2
[ "$(jq -r '.resources[] | select(.name=="nobs") | .version + " " + .user' "$T/list")" = "2 nobody" ] || fail "$(cat "$T/list")"
run_apps 2
run 0 cairn restore latest --plan apps --path nobs --to "$T/raw2"
[ "$(cat "$T/raw2/nobs/who.txt")" = nobody ] || fail "the backup ran as $(cat "$T/raw2/nobs/who.txt")"
[ "$(stat -c %U "$T/raw2/nobs/who.txt")" = nobody ] || fail "the staged file is owned by $(stat -c %U "$T/raw2/nobs/who.txt")"

note "nobody deletes their own; root deletes any"
[ "$(code_of nobody -X DELETE http://cairn/v1/resources/nobs)" = 200 ] || fail "delete own: $(body)"
[ ! -e "$R/nobs.yaml" ] || fail "nobs.yaml is still there"
wait_listed nobs gone
[ "$(code_of -X DELETE http://cairn/v1/resources/notes)" = 200 ] || fail "root deletes: $(body)"
wait_listed notes gone
[ "$(jq -r '[.resources[].name] | join(",")' "$T/list")" = seed ] || fail "$(cat "$T/list")"
kill -0 $daemon || fail "the daemon died: $(tail -5 "$T/daemon.log")"
echo "api_resources: ok"
