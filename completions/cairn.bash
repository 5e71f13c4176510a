# bash completion for cairn. Candidates come from the program itself
# (`cairn __complete WORDS...`): commands and options as --help knows them,
# plan and target names of the YAML in use, checkpoint ids from the catalog.
_cairn() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\n'
  local candidates
  candidates=($("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2> /dev/null))
  if [ "${candidates[0]:-}" = "__files__" ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    compopt -o filenames 2> /dev/null
    return 0
  fi
  COMPREPLY=("${candidates[@]}")
}
complete -F _cairn cairn
