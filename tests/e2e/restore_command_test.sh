# A command source's restore_command (README, `restore --load`): the output
# of `sqlite3 DB .dump` is backed up, then streamed from the checkpoint into
# `sqlite3 fresh.db`, whose dump then equals the original's. The command
# comes only from the local YAML; a failing, a non-reading and a too-slow
# restore_command are each one clear error line.
source "$CAIRN_E2E_LIB"
command -v sqlite3 > /dev/null || { echo "sqlite3 is not installed"; exit 77; }

db=$T/shop.db
sqlite3 "$db" "CREATE TABLE orders(id INTEGER PRIMARY KEY, item TEXT, note TEXT, data BLOB);
  CREATE INDEX orders_item ON orders(item);
  CREATE TABLE customers(name TEXT UNIQUE, joined TEXT);
  INSERT INTO customers VALUES ('Zoë', '2026-01-01'), ('O''Brien', NULL), ('tab	and
newline', '2026-02-03');
  CREATE VIEW big AS SELECT * FROM orders WHERE id > 10;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
  INSERT INTO orders(item, note, data) SELECT 'item-' || (i % 97), hex(randomblob(40)), randomblob(32) FROM n;"
mkdir -p "$T/files" && echo "x" > "$T/files/a.txt"

# config RESTORE_COMMAND [TIMEOUT]
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
      - type: command
        name: shopdump
        output: shop.sql
        command: sqlite3 $db .dump
        restore_command: $1
        timeout: ${2:-60}
      - {type: command, name: plain, command: echo hi}
    targets: [repo]
YAML
  chmod 600 "$T/cairn.yaml"
}
config "sqlite3 $T/fresh.db"
run 0 cairn init
run 0 cairn backup
sqlite3 "$db" .dump > "$T/dump.orig"
[ "$(stat -c %s "$T/dump.orig")" -gt $((4 << 20)) ] || fail "the dump is smaller than expected"

note "restore --load: the stored dump is streamed into sqlite3 fresh.db, which then dumps the same"
run 0 cairn restore latest --load shopdump
grep -q "source shopdump loaded from checkpoint .*shopdump/shop.sql handed to its restore_command" "$T/out" || fail "$(cat "$T/out")"
sqlite3 "$T/fresh.db" .dump > "$T/dump.fresh"
cmp "$T/dump.orig" "$T/dump.fresh" || fail "the loaded database differs"
[ "$(sqlite3 "$T/fresh.db" 'PRAGMA integrity_check')" = ok ] || fail "the loaded database is damaged"
grep -rqs "INSERT INTO orders" "$T/state" && fail "a plaintext copy of the dump was left under state_dir"
rm "$T/fresh.db"
run 0 cairn --json restore latest --load shopdump --plan main
[ "$(json 'select(.type=="source_load") | .bytes')" = "$(stat -c %s "$T/dump.orig")" ] || fail "bytes: $(cat "$T/out")"

note "the command comes from this YAML, run with the source's environment"
config 'cat > '"$T"'/got.sql; echo "$CAIRN_SOURCE $CAIRN_PLAN ${#CAIRN_CHECKPOINT}" > '"$T"'/env.txt'
run 0 cairn restore latest --load shopdump
cmp "$T/got.sql" "$T/dump.orig" || fail "the restore_command did not get the output exactly"
[ "$(cat "$T/env.txt")" = "shopdump main 64" ] || fail "environment: $(cat "$T/env.txt")"

note "a restore_command that fails: its exit code and last error line, exit 1"
config 'cat > /dev/null; echo "no space left" >&2; exit 4'
run 1 cairn restore latest --load shopdump
grep -q "cairn.yaml:13:26: source shopdump: the restore_command exited with 4: no space left" "$T/err" || fail "$(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"

note "a restore_command that stops reading before the end fails, even when it exits 0"
config "head -c 10 > /dev/null"
run 1 cairn restore latest --load shopdump
grep -q "source shopdump: the restore_command: the command stopped reading its input before its end" "$T/err" || fail "$(cat "$T/err")"

note "past its timeout, the restore_command is stopped"
config "sleep 29.5" 1
start=$(date +%s)
run 1 cairn restore latest --load shopdump
[ $(($(date +%s) - start)) -lt 10 ] || fail "the timeout did not stop the command in time"
grep -q "the restore_command: \`sleep 29.5\` ran longer than its timeout of 1 s and was stopped" "$T/err" || fail "$(cat "$T/err")"
pgrep -f "^sleep 29.5$" > /dev/null && fail "the restore_command is still running"

note "sources that cannot be loaded: one clear line each (exit 2)"
config "sqlite3 $T/fresh2.db"
run 2 cairn restore latest --load plain
grep -q "cairn.yaml:15:47: command source plain has no restore_command to load its output into" "$T/err" || fail "$(cat "$T/err")"
run 2 cairn restore latest --load files
grep -q "source files is a dir source: only command sources are loaded back (restore it with --to DIR)" "$T/err" || fail "$(cat "$T/err")"
run 2 cairn restore latest --load nothing
grep -q "plan \"main\" has no source \"nothing\" here" "$T/err" || fail "$(cat "$T/err")"
run 2 cairn restore latest --load shopdump --to "$T/x"
grep -q "restore --load hands the source's output to its restore_command: no --to" "$T/err" || fail "$(cat "$T/err")"
sed -i 's|^        restore_command: .*|        restore_command: ""|' "$T/cairn.yaml"
run 2 cairn restore latest --load shopdump
grep -q "cairn.yaml:13:26: the restore_command is empty" "$T/err" || fail "$(cat "$T/err")"

note "a checkpoint whose backup of the source failed: refused, saying so"
config "sqlite3 $T/fresh3.db"
sed -i "s|^        command: sqlite3 .*|        command: echo broken >\&2; exit 5|" "$T/cairn.yaml"
run 3 cairn backup
run 1 cairn restore latest --load shopdump
grep -q "holds nothing of source shopdump: its backup failed in that run (.*exited with 5: broken.*); load an older checkpoint" "$T/err" \
  || fail "$(cat "$T/err")"
[ ! -e "$T/fresh3.db" ] || fail "the restore_command ran"
run 2 cairn restore --archive "$T/none.cairn" --load shopdump
grep -q -- "--load does not go with --archive" "$T/err" || fail "$(cat "$T/err")"
