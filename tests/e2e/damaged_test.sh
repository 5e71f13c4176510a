# A damaged pack costs only the files that use it: restore names them and
# exits 3, every other file is restored; check --read-data names them too.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src"
random_file "$T/src/victim.bin" $((30 << 20))
for i in $(seq 1 20); do echo "file $i" > "$T/src/small$i.txt"; done
write_config "$T/src"
run 0 cairn init
run 0 cairn backup
run 0 cairn check --read-data

# The largest pack holds the big file's data; flip one byte in its middle.
pack=$(find "$T/repo/data" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
size=$(stat -c %s "$pack")
flip_byte "$pack" $((size / 2))

note "restore names the damaged file and restores the rest"
run 3 cairn restore latest --to "$T/restored"
grep -q "victim.bin" "$T/err" || fail "the damaged file is not named: $(cat "$T/err")"
for i in $(seq 1 20); do
  [ "$(cat "$T/restored/src/small$i.txt")" = "file $i" ] || fail "small$i.txt was not restored"
done

note "check finds the structure intact; check --read-data names the damage"
run 0 cairn check
run 1 cairn check --read-data
grep -q "victim.bin" "$T/err" || fail "check does not name the file: $(cat "$T/err")"

note "a missing pack is named by check"
rm "$pack"
run 1 cairn check
grep -q "is missing" "$T/err" || fail "$(cat "$T/err")"
