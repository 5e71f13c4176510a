# on_failure: a command run after a failed or partial run, with the plan, the
# status, the failed targets and the error in its environment; the plan's own
# replaces the suite's; a good run runs none.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src" "$T/b"
echo data > "$T/src/a.txt"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
on_failure: 'env | grep ^CAIRN_ | sort > $T/suite-hook.env'
targets:
  good: {type: local, path: $T/repo}
  bad: {type: local, path: $T/bad-repo}
plans:
  main: {sources: [{type: dir, path: $T/src}], targets: [good]}
  lost: {sources: [{type: dir, path: $T/src}], targets: [bad]}
  both:
    sources: [{type: dir, path: $T/b}]
    targets: [good, bad]
    on_failure: 'env | grep ^CAIRN_ | sort > $T/plan-hook.env; exit 3'
YAML
run 0 cairn init

note "a good run runs no on_failure"
run 0 cairn backup main
[ ! -e "$T/suite-hook.env" ] || fail "on_failure ran after a good run"

note "a failed run (its only target is gone) runs the suite's on_failure"
rm -rf "$T/bad-repo" && echo "not a repository" > "$T/bad-repo"
run 1 cairn backup lost
grep -q "^CAIRN_PLAN=lost$" "$T/suite-hook.env" || fail "$(cat "$T/suite-hook.env")"
grep -q "^CAIRN_RUN_STATUS=failed$" "$T/suite-hook.env" || fail "$(cat "$T/suite-hook.env")"
grep -q "^CAIRN_ERROR=..*" "$T/suite-hook.env" || fail "no error: $(cat "$T/suite-hook.env")"

note "a partial run (one target broken) runs the plan's own, naming the target; its exit code is a warning"
run 1 cairn backup both
grep -q "^CAIRN_PLAN=both$" "$T/plan-hook.env" || fail "$(cat "$T/plan-hook.env")"
grep -q "^CAIRN_RUN_STATUS=partial$" "$T/plan-hook.env" || fail "$(cat "$T/plan-hook.env")"
grep -q "^CAIRN_FAILED_TARGETS=bad$" "$T/plan-hook.env" || fail "$(cat "$T/plan-hook.env")"
grep -q "^CAIRN_TARGET=bad$" "$T/plan-hook.env" || fail "$(cat "$T/plan-hook.env")"
grep -q "on_failure command exited with 3" "$T/err" "$T/out" || fail "the hook's failure is not a warning: $(cat "$T/err")"
