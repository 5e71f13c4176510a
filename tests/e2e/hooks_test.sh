# A plan's before and after steps: before runs ahead of reading the sources
# (e.g. to stop a service or flush a database), after runs after every run
# with its outcome in CAIRN_RUN_STATUS (e.g. to start the service again). A
# failing before step means no checkpoint, yet after still runs; a failing
# after step is a warning; SIGTERM terminates a long before step.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src"
echo data > "$T/src/a"
config() {  # config BEFORE AFTER
  cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets: {repo: {type: local, path: $T/repo}}
plans:
  main:
    sources: [{type: dir, path: $T/src}]
    targets: [repo]
    before: $1
    after: $2
YAML
}

note "before writes a file that the backup then contains; after sees the outcome"
config "echo \"made by before for \$CAIRN_PLAN\" > $T/src/from-before" "echo \"\$CAIRN_RUN_STATUS\" >> $T/after.log"
run 0 cairn init
run 0 cairn backup
run 0 cairn restore latest --to "$T/r"
[ "$(cat "$T/r/src/from-before")" = "made by before for main" ] || fail "the before step did not run first"
[ "$(cat "$T/after.log")" = ok ] || fail "after saw: $(cat "$T/after.log" 2> /dev/null)"

note "a failing before step: no checkpoint, one line with its error; after still runs, told 'failed'"
config "echo 'service will not stop' >&2; exit 4" "echo \"\$CAIRN_RUN_STATUS\" >> $T/after.log"
n=$(ls "$T/repo/checkpoints" | wc -l)
run 1 cairn backup
grep -q "the before step \`echo 'service will not stop' >&2; exit 4\` exited with 4: service will not stop (nothing backed up)" "$T/err" \
  || fail "unclear error: $(cat "$T/err")"
[ "$(ls "$T/repo/checkpoints" | wc -l)" -eq "$n" ] || fail "a checkpoint was committed after a failed before step"
[ "$(tail -1 "$T/after.log")" = failed ] || fail "after saw: $(tail -1 "$T/after.log")"

note "a failing after step is a warning; the checkpoint stands"
config "true" "exit 9"
run 0 cairn backup
grep -q "the after step \`exit 9\` exited with 9" "$T/err" || fail "no warning: $(cat "$T/err")"

note "a second run of the plan while the first is in its before step: refused, and runs no step"
config "sleep 3" "echo \"\$CAIRN_RUN_STATUS\" >> $T/after.log"
"$CAIRN" -q -c "$T/cairn.yaml" backup > /dev/null 2>&1 &
first=$!
for _ in $(seq 1 100); do descendant_of "$first" "^sleep 3$" && break; sleep 0.05; done
lines=$(wc -l < "$T/after.log")
run 1 cairn backup
grep -q "plan main is already running" "$T/err" || fail "$(cat "$T/err")"
[ "$(wc -l < "$T/after.log")" -eq "$lines" ] || fail "the refused run ran the after step"
wait "$first"
[ "$(tail -1 "$T/after.log")" = ok ] || fail "after of the first run saw: $(tail -1 "$T/after.log")"

note "SIGTERM during a long before step: it is terminated, nothing is committed, after runs"
config "sleep 60" "echo \"\$CAIRN_RUN_STATUS\" >> $T/after.log"
sigterm_during_sleep
[ "$(tail -1 "$T/after.log")" = cancelled ] || fail "after saw: $(tail -1 "$T/after.log")"
run 0 cairn check
