# Application sources: an SQLite database copied with the online backup API
# while another process keeps writing to it (the copy is consistent and whole),
# and the standard output of a command. Both restore exactly; failures name
# the source; a stop interrupts a long command; staging leaves nothing behind.
source "$CAIRN_E2E_LIB"
command -v sqlite3 > /dev/null || { echo "sqlite3 is not installed"; exit 77; }

mkdir -p "$T/app" "$T/files"
echo "plain file" > "$T/files/a.txt"
db="$T/app/shop.db"
sqlite3 "$db" "PRAGMA journal_mode=WAL; CREATE TABLE orders(id INTEGER PRIMARY KEY, item TEXT, note TEXT);" > /dev/null
sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
               INSERT INTO orders(item, note) SELECT 'item-' || i, hex(randomblob(64)) FROM n;"
chmod 640 "$db"
touch -d '2026-01-02 03:04:05' "$db"

# config COMMAND : a plan with a dir, an sqlite and a command source.
config() {
  cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  repo: {type: local, path: $T/repo}
plans:
  main:
    sources:
      - {type: dir, path: $T/files}
      - type: sqlite
        path: $db
        name: shop
        post_restore: sqlite3 shop.db 'PRAGMA integrity_check' > check.txt
      - type: command
        name: report
        output: report.txt
        command: $1
    targets: [repo]
YAML
}

config "echo \"source \$CAIRN_SOURCE of \$CAIRN_PLAN\"; seq 1 200000"
run 0 cairn init

note "backup while a writer keeps inserting: the copy is consistent"
( for i in $(seq 1 200); do sqlite3 "$db" "INSERT INTO orders(item, note) VALUES('live-$i', 'x');" 2> /dev/null; done ) &
writer=$!
at_exit 'kill "${writer:-}"'
rows_before=$(sqlite3 "$db" "SELECT count(*) FROM orders")
run 0 cairn --json backup
wait "$writer" || true
rows_after=$(sqlite3 "$db" "SELECT count(*) FROM orders")
[ -z "$(ls -A "$T/state/staging/main" 2> /dev/null)" ] || fail "the staging folder was left behind: $(ls -R "$T/state/staging")"

note "restore: the database opens, checks ok, has a row count between before and after; the output is exact"
run 0 cairn restore latest --to "$T/r"
[ "$(sqlite3 "$T/r/shop/shop.db" 'PRAGMA integrity_check')" = ok ] || fail "the restored database is damaged"
rows=$(sqlite3 "$T/r/shop/shop.db" "SELECT count(*) FROM orders")
[ "$rows" -ge "$rows_before" ] && [ "$rows" -le "$rows_after" ] || fail "$rows rows restored, the source had $rows_before..$rows_after"
[ "$(sqlite3 "$T/r/shop/shop.db" "SELECT note FROM orders WHERE id = 77")" = "$(sqlite3 "$db" "SELECT note FROM orders WHERE id = 77")" ] \
  || fail "row 77 differs"
[ "$(cat "$T/r/shop/check.txt" 2> /dev/null)" = ok ] || fail "the post_restore step did not run: $(cat "$T/out")"
{ echo "source report of main"; seq 1 200000; } > "$T/expected-report"
cmp "$T/r/report/report.txt" "$T/expected-report" || fail "the command's output differs"
cmp "$T/r/files/a.txt" "$T/files/a.txt" || fail "the dir source differs"

note "a second backup of an unchanged database stores little (its pages deduplicate); mode and mtime are kept"
touch -d '2026-01-02 03:04:05' "$db"
run 0 cairn --json backup  # the writer changed it since the first
run 0 cairn --json backup
new=$(json 'select(.type=="checkpoint") | .bytes_new')
[ "$new" -lt $((1 << 20)) ] || fail "$new new bytes for an unchanged database"
rm -rf "$T/r"
run 0 cairn restore latest --to "$T/r" --path shop
[ "$(stat -c %a "$T/r/shop/shop.db")" = 640 ] || fail "mode $(stat -c %a "$T/r/shop/shop.db"), expected 640"
[ "$(stat -c %Y "$T/r/shop/shop.db")" = "$(date -d '2026-01-02 03:04:05' +%s)" ] || fail "the mtime was not kept"

note "a failing command fails only itself: the other sources are committed, the run is partial (exit 3)"
config "echo boom >&2; exit 3"
run 3 cairn backup
grep -q "source report: \`echo boom >&2; exit 3\` exited with 3: boom" "$T/err" || fail "unclear error: $(cat "$T/err")"
run 0 cairn --json show latest
[ "$(json '.sources[] | select(.name=="report") | .error' | grep -c 'exited with 3: boom')" = 1 ] || fail "the checkpoint does not say why: $(cat "$T/out")"
run 0 cairn ls latest
grep -q "shop" "$T/out" && grep -q "files" "$T/out" && ! grep -q "report" "$T/out" || fail "ls: $(cat "$T/out")"
run 0 cairn --json runs
[ "$(jq -rs 'map(select(.type=="run"))[0] | .status' < "$T/out")" = partial ] || fail "runs: $(cat "$T/out")"
jq -rs 'map(select(.type=="run"))[0] | .error' < "$T/out" | grep -q "source report: .*exited with 3: boom" || fail "runs: $(cat "$T/out")"

note "a command past its timeout: its process group is stopped, only that source fails"
config "sleep 29.5 & sleep 29.5"
sed -i 's|^        output: report.txt|        output: report.txt\n        timeout: 1|' "$T/cairn.yaml"
start=$(date +%s)
run 3 cairn backup
[ $(($(date +%s) - start)) -lt 10 ] || fail "the timeout did not stop the command in time"
grep -q "source report: \`sleep 29.5 & sleep 29.5\` ran longer than its timeout of 1 s and was stopped" "$T/err" || fail "$(cat "$T/err")"
pgrep -f "^sleep 29.5$" > /dev/null && fail "a child of the command is still running"

note "a file that is not a database, and a missing one"
config "true"
cp "$db" "$T/shop.db.real"
echo "not a database at all, just text that is long enough to be read" > "$db"
run 3 cairn backup
grep -q "is not an SQLite database" "$T/err" || fail "unclear error: $(cat "$T/err")"
rm "$db"
run 2 cairn backup
grep -q "cairn.yaml:10:15: source path $db of plan \"main\" does not exist" "$T/err" || fail "unclear error: $(cat "$T/err")"
mv "$T/shop.db.real" "$db"

note "a YAML that runs commands and that others can change is refused"
chmod g+w "$T/cairn.yaml"
run 2 cairn backup
grep -q "runs a command, and $T/cairn.yaml can be changed by other users: chmod go-w" "$T/err" || fail "$(cat "$T/err")"
chmod go-w "$T/cairn.yaml"

note "SIGTERM while a long command runs: it is stopped, the backup ends at once, nothing is committed"
config "sleep 61"
sigterm_during_sleep 61
run 0 cairn check
