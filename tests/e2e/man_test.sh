# The man pages come from the parser (what --help says) and the README: one
# page per command, cairn.yaml(5) with every key of the README's table, and
# mandoc finds nothing to warn about in any of them.
source "$CAIRN_E2E_LIB"
command -v mandoc > /dev/null || { echo "SKIP: mandoc is not installed (scripts/install-deps)"; exit 77; }
readme=$(dirname "$CAIRN_E2E_LIB")/../../README.md

run 0 "$CAIRN" help-man "$T/man" "$readme"
for page in "$T"/man/*; do
  mandoc -T lint -W warning "$page" > "$T/lint" 2>&1 || true
  [ ! -s "$T/lint" ] || fail "mandoc -T lint: $(cat "$T/lint")"
done

note "a page for every command and subcommand --help lists"
commands=$("$CAIRN" --help | awk '/^Subcommands:/ {on=1; next} on && /^  [a-z]/ {print $1}')
[ -n "$commands" ] || fail "no commands in --help"
for c in $commands; do
  [ -f "$T/man/cairn-$c.1" ] || fail "no man page for $c"
  grep -q "$("$CAIRN" "$c" --help | head -1 | cut -c1-30)" "$T/man/cairn-$c.1" || fail "cairn-$c.1 does not say what --help says"
done
for sub in key-add key-list key-remove key-passwd config-check config-example; do
  [ -f "$T/man/cairn-$sub.1" ] || fail "no man page for $sub"
done
grep -qF '\-\-dry\-run' "$T/man/cairn-backup.1" || fail "cairn-backup.1 lacks --dry-run"

note "cairn.yaml(5) has every key of the README's table"
keys=$(sed -n '/^## Configuration/,/^## /p' "$readme" | grep '^| `' | cut -d'`' -f2)
[ "$(echo "$keys" | wc -l)" -gt 30 ] || fail "too few keys in the README: $keys"
text=$(mandoc -T utf8 "$T/man/cairn.yaml.5" | col -b)
while read -r key; do
  grep -qF -- "$key" <<< "$text" || fail "cairn.yaml(5) lacks $key"
done <<< "$keys"
echo PASS
