# The web dashboard in a real browser (Debian's chromium, driven by
# playwright-core): sign in with the URL cairn ui prints, see the plans, start
# a run, pause and resume it, and watch its progress bar reach done, browse the new checkpoint,
# restore a file through the page (same bytes as the source). And with curl:
# no session, no CSRF token, a wrong one, a spent token or another Host get
# 401/403/421 and change nothing. A session acts as the user who ran cairn ui
# (nobody, in api.group: restores only into their own directory). Screenshots of each page at desktop and
# phone width go to $CAIRN_TEST_OUTPUT/web (or the temporary directory).
source "$CAIRN_E2E_LIB"
support=${CAIRN_SUPPORT_DIR:?}/web
"$support/install" || exit $?

mkdir -p "$T/src/docs"
printf 'hello <b>web</b> & "quotes"\n' > "$T/src/docs/hello.txt"
touch "$T/src/docs/<img src=x onerror=alert(1)>.txt"
port=$(free_port)
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  repo: {type: local, path: $T/repo, limits: {upload_kbps: 8192}}
plans:
  nightly: {sources: [{type: dir, path: $T/src, name: src}], targets: [repo], schedule: daily 03:00}
  now: {sources: [{type: dir, path: $T/src, name: src}], targets: [repo]}
api: {web: "127.0.0.1:$port", group: nogroup}
YAML
run 0 cairn init
"$CAIRN" -c "$T/cairn.yaml" daemon > "$T/daemon.log" 2>&1 &
at_exit "kill $!"
S="$T/state/cairn.sock"
W="http://127.0.0.1:$port"
# The log line comes after the listener is up: wait for it, not just for the port.
for _ in $(seq 1 300); do grep -q "serving the web dashboard" "$T/daemon.log" && [ -S "$S" ] && break; sleep 0.1; done
grep -q "serving the web dashboard on $W/" "$T/daemon.log" || fail "no dashboard: $(cat "$T/daemon.log")"
code_of() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
runs_count() { curl -s --unix-socket "$S" http://cairn/v1/runs | jq '.runs | length'; }

note "refused without a session, without or with a wrong CSRF token, with a spent token, from another Host"
[ "$(code_of "$W/v1/plans")" = 401 ] || fail "no cookie: $(cat "$T/body")"
[ "$(jq -r .error.code "$T/body")" = unauthorized ] || fail "$(cat "$T/body")"
[ "$(code_of -X POST "$W/v1/plans/now/run")" = 401 ] || fail "POST without a cookie: $(cat "$T/body")"
[ "$(code_of -X POST "$W/v1/web/token")" = 401 ] || fail "a token from the web side: $(cat "$T/body")"
run 0 cairn ui --json
token=$(json .url | sed 's/.*#token=//')
[ ${#token} = 64 ] || fail "no token in $(cat "$T/out")"
json .url | grep -q "^$W/#token=" || fail "wrong URL: $(cat "$T/out")"
# A wrong token: one character changed (${token/a/b} changed nothing in a token without an "a").
wrong_token="$([ "${token:0:1}" = 0 ] && echo 1 || echo 0)${token:1}"
[ "$(code_of -X POST -d '{"token":"'"$wrong_token"'"}' "$W/login")" = 401 ] || fail "a wrong token logged in"
[ "$(code_of -c "$T/jar" -X POST -d '{"token":"'"$token"'"}' "$W/login")" = 200 ] || fail "login: $(cat "$T/body")"
csrf=$(jq -r .csrf "$T/body")
grep -q "HttpOnly" "$T/jar" || fail "the cookie is not HttpOnly: $(cat "$T/jar")"
curl -s -D "$T/headers" -o /dev/null -X POST -d '{"token":"'"$token"'"}' "$W/login"
grep -q "^HTTP/1.1 401" "$T/headers" || fail "the token worked twice"
for h in "Content-Security-Policy: default-src 'self'" "X-Frame-Options: DENY" "X-Content-Type-Options: nosniff" \
         "Referrer-Policy: no-referrer"; do
  grep -qi "^$h" "$T/headers" || fail "missing $h: $(cat "$T/headers")"
done
[ "$(code_of -b "$T/jar" "$W/v1/plans")" = 200 ] || fail "with the cookie: $(cat "$T/body")"
[ "$(jq -r '.plans | length' "$T/body")" = 2 ] || fail "$(cat "$T/body")"
[ "$(code_of -b "$T/jar" -X POST "$W/v1/plans/now/run")" = 403 ] || fail "POST without CSRF: $(cat "$T/body")"
wrong_csrf="$([ "${csrf:0:1}" = 0 ] && echo 1 || echo 0)${csrf:1}"
[ "$(code_of -b "$T/jar" -H "X-CSRF-Token: $wrong_csrf" -X POST "$W/v1/plans/now/run")" = 403 ] ||
  fail "a wrong CSRF token: $(cat "$T/body")"
[ "$(code_of -b "$T/jar" -H "X-CSRF-Token: $csrf" -H "Host: evil.example:$port" -X POST "$W/v1/plans/now/run")" = 421 ] ||
  fail "another Host: $(cat "$T/body")"
[ "$(code_of -b "$T/jar" -H "X-CSRF-Token: $csrf" -H "Origin: http://evil.example" -X POST "$W/v1/pause")" = 403 ] ||
  fail "another Origin: $(cat "$T/body")"
sleep 0.5
[ "$(runs_count)" = 0 ] || fail "a refused request started a run"
[ "$(curl -s --unix-socket "$S" http://cairn/v1/daemon | jq -r .paused)" = false ] || fail "a refused request paused"

note "a first checkpoint (through the Unix socket), then new data for the browser's run to upload and diff"
curl -s -X POST --unix-socket "$S" http://cairn/v1/plans/now/run > /dev/null
for _ in $(seq 1 300); do [ "$(runs_count)" = 1 ] && [ "$(curl -s --unix-socket "$S" http://cairn/v1/runs/current | jq .running)" = false ] && break; sleep 0.1; done
[ "$(runs_count)" = 1 ] || fail "the first run did not end"
for i in $(seq 1 6); do random_file "$T/src/f$i.bin" $((4 << 20)); done

note "the browser: plans, a run to done, history, browse, diff, restore"
shots="${CAIRN_TEST_OUTPUT:-$T}/web"
mkdir -p "$shots" "$T/restored"
run 0 cairn ui --json
url=$(json .url)
node "$support/drive.mjs" "$url" now src/docs/hello.txt "$T/restored" "$shots" > "$T/seen.json" ||
  fail "the browser: $(cat "$T/seen.json"); daemon: $(tail -5 "$T/daemon.log")"
seen() { jq -r "$1" "$T/seen.json"; }
[ "$(seen '.plans | join(" ")')" = "nightly now" ] || fail "plans: $(cat "$T/seen.json")"
seen '.states | join(",")' | grep -q "running,paused,running.*done$" || fail "progress states: $(seen '.states')"
seen .pausedText | grep -q "paused: paused by request" || fail "no reason for the pause: $(seen .pausedText)"
[ "$(seen .barValue)" = 1 ] || fail "the bar did not fill: $(cat "$T/seen.json")"
seen .runningText | grep -q "read" || fail "no progress detail while running: $(seen .runningText)"
[ "$(seen .historyBars)" -ge 3 ] || fail "no bars in the history chart"
[ "$(seen .entries)" = 2 ] || fail "browse: $(cat "$T/seen.json")"
seen .diffSummary | grep -q "6 added" || fail "diff: $(seen .diffSummary)"
seen .rowText | grep -q "rw" || fail "no mode in the listing: $(seen .rowText)"
[ "$(seen '.consoleErrors | length')" = 0 ] || fail "the page logged errors (CSP?): $(seen .consoleErrors)"
[ "$(runs_count)" = 2 ] || fail "runs: $(runs_count)"
[ "$(seen .restoreState)" = done ] || fail "restore: $(seen .restoreText)"
restored=$(find "$T/restored" -name hello.txt -type f)
[ -n "$restored" ] || fail "nothing restored: $(find "$T/restored")"
cmp "$restored" "$T/src/docs/hello.txt" || fail "restored bytes differ"
for page in overview overview-dark overview-running overview-paused history browse restore; do
  for w in desktop phone; do [ -s "$shots/$page-$w.png" ] || fail "no screenshot $page-$w.png"; done
done

note "a session acts as whoever ran cairn ui: nobody (in api.group) restores only into their own directory"
chmod 711 "$T" "$T/state"
mkdir -p "$T/victim" "$T/nob"
chown 65534:65534 "$T/nob"
setpriv --reuid=65534 --regid=65534 --clear-groups "$CAIRN" -c "$T/cairn.yaml" ui --json > "$T/nob.json" ||
  fail "cairn ui as nobody: $(cat "$T/nob.json")"
token=$(jq -r .url "$T/nob.json" | sed 's/.*#token=//')
[ "$(code_of -c "$T/nobjar" -X POST -d '{"token":"'"$token"'"}' "$W/login")" = 200 ] || fail "nobody's login: $(cat "$T/body")"
csrf=$(jq -r .csrf "$T/body")
restore_as_nobody() {
  code_of -b "$T/nobjar" -H "X-CSRF-Token: $csrf" -X POST \
    -d "{\"plan\":\"now\",\"paths\":[\"src/docs/hello.txt\"],\"to\":\"$1\"}" "$W/v1/restores"
}
wait_restore() {
  for _ in $(seq 1 100); do
    curl -s -b "$T/nobjar" "$W/v1/restores/$1" > "$T/job"
    [ "$(jq -r .state "$T/job")" != running ] && return 0
    sleep 0.1
  done
  fail "restore $1 did not end: $(cat "$T/job")"
}
got=$(restore_as_nobody "$T/victim")
if [ "$got" = 202 ]; then wait_restore "$(jq -r .id "$T/body")"; [ "$(jq -r .state "$T/job")" = failed ] || fail "$(cat "$T/job")"
else [ "${got:0:1}" = 4 ] || fail "into root's directory: HTTP $got $(cat "$T/body")"; fi
[ -z "$(ls -A "$T/victim")" ] || fail "nobody's web session wrote into root's directory"
[ "$(restore_as_nobody "$T/nob")" = 202 ] || fail "into nobody's directory: $(cat "$T/body")"
wait_restore "$(jq -r .id "$T/body")"
[ "$(jq -r .state "$T/job")" = done ] || fail "$(cat "$T/job")"
cmp "$T/nob/src/docs/hello.txt" "$T/src/docs/hello.txt" || fail "nobody's restored file differs"
[ "$(stat -c %u "$T/nob/src/docs/hello.txt")" = 65534 ] || fail "the restored file is not nobody's"
note "screenshots in $shots"
