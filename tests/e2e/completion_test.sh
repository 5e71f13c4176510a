# Shell completion: the bash script, sourced, completes commands, options,
# the plan and target names of the YAML in use (-c or $CAIRN_CONFIG) and
# checkpoint ids, through `cairn __complete`. zsh's script is checked for syntax.
source "$CAIRN_E2E_LIB"
completions=$(dirname "$CAIRN_E2E_LIB")/../../completions

mkdir -p "$T/src" "$T/bin"
echo hi > "$T/src/a"
cat > "$T/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets: {usb: {type: local, path: $T/repo}, usb2: {type: local, path: $T/repo2}}
plans:
  home: {sources: [{type: dir, path: $T/src}], targets: [usb]}
  homework: {sources: [{type: dir, path: $T/src}], targets: [usb2]}
  media: {sources: [{type: dir, path: $T/src}], targets: [usb]}
YAML
run 0 cairn init
run 0 cairn backup home
id=$(cairn --json checkpoints | jq -r '.id' | head -1)
ln -s "$CAIRN" "$T/bin/cairn"

# complete WORDS... : what _cairn offers for the last word (space-separated, sorted).
complete_words() {
  PATH="$T/bin:$PATH" bash -c '
    source "$1"; shift
    COMP_WORDS=(cairn "$@"); COMP_CWORD=$#
    _cairn
    [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$completions/cairn.bash" "$@"
}
expect() {  # expect "WANTED" WORDS...
  local want=$1 got
  shift
  got=$(complete_words "$@")
  [ "$got" = "$want" ] || fail "cairn $* <TAB>: got '$got', wanted '$want'"
}

note "commands and options"
expect "backup bootstrap " ba b
expect "check checkpoints " chec
expect "list " key l
expect "check example " config ""
expect "--dry-run " backup --dry
expect "--log-level " --log

note "plans and targets of the YAML named by -c, or \$CAIRN_CONFIG"
expect "home homework " -c "$T/cairn.yaml" backup ho
expect "home homework media " -c "$T/cairn.yaml" backup ""
expect "usb usb2 " -c "$T/cairn.yaml" check --target ""
expect "media " -c "$T/cairn.yaml" checkpoints --plan m
CAIRN_CONFIG="$T/cairn.yaml" expect "home homework " run h
expect "" -c "$T/cairn.yaml" run home ""   # run takes one plan

note "checkpoint ids"
expect "${id:0:8} latest " -c "$T/cairn.yaml" restore ""
expect "${id:0:8} " -c "$T/cairn.yaml" ls "${id:0:3}"

note "files where a file is wanted"
touch "$T/somefile.key"
expect "$T/somefile.key " --keyfile "$T/somefile"
expect "" -c "$T/missing.yaml" backup ""   # a YAML that does not load offers nothing

if command -v zsh > /dev/null; then zsh -n "$completions/_cairn" || fail "_cairn: zsh syntax"; fi
echo PASS
