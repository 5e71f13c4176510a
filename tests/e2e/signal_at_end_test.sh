# A signal that arrives as a command ends. The signal thread asks the running
# application to stop; the command's own thread destroys that application when
# it returns: the stop must never reach an application being destroyed (it
# once could). Small backups, each sent SIGTERM or SIGHUP at a moment spread
# over its end: every one exits 0 (done first) or 130 (stopped), never with a
# crash, and the repository checks clean after all of them.
source "$CAIRN_E2E_LIB"

mkdir -p "$T/src"
for i in $(seq 1 20); do random_file "$T/src/f$i" 4096; done
write_config "$T/src"
run 0 cairn init
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
start=$(now_ms)
run 0 cairn backup
took=$(( $(now_ms) - start ))
echo "   one backup takes ${took} ms"
done_first=0 stopped=0
for i in $(seq 1 30); do
  echo "changed $i" > "$T/src/changing"
  delay_ms=$(( took * (40 + (i * 37) % 90) / 100 ))  # 40% to 129% of a run, spread
  signal=TERM
  [ $((i % 3)) -eq 0 ] && signal=HUP
  "$CAIRN" -q -c "$T/cairn.yaml" backup > "$T/out" 2> "$T/err" &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -"$signal" "$pid" 2> /dev/null || true
  set +e
  wait "$pid"
  code=$?
  set -e
  case $code in
    0) done_first=$((done_first + 1)) ;;
    130) stopped=$((stopped + 1)) ;;
    *) cat "$T/err"; fail "round $i: exit $code after SIG$signal ${delay_ms} ms in, expected 0 or 130" ;;
  esac
done
echo "   30 signals: $done_first backups had ended, $stopped were stopped"
[ -z "$(ls "$T/repo/locks")" ] || fail "a stopped run left its lock"
run 0 cairn check
